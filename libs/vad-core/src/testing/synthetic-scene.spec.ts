import { createHash } from 'node:crypto';
import { VadError } from '../errors';
import { ANOMALOUS_OBJECT_KINDS, generateScene, type Scene, type SceneObject } from './synthetic-scene';

function digest(scene: Scene): string {
  const h = createHash('sha256');
  for (const f of scene.frames) h.update(f);
  h.update(scene.labels);
  h.update(JSON.stringify(scene.objects));
  return h.digest('hex');
}

const inside = (o: SceneObject, width: number, height: number, margin = 2) =>
  o.box[0] >= margin && o.box[1] >= margin && o.box[2] <= width - margin && o.box[3] <= height - margin;

describe('generateScene', () => {
  const test = generateScene({ seed: 7, frames: 200, kind: 'test' });

  it('is deterministic: the same seed gives identical bytes, another seed a different clip', () => {
    expect(digest(generateScene({ seed: 7, frames: 200, kind: 'test' }))).toBe(digest(test));
    const short = generateScene({ seed: 8, frames: 30, kind: 'test' });
    expect(digest(generateScene({ seed: 8, frames: 30, kind: 'test' }))).toBe(digest(short));
    expect(digest(generateScene({ seed: 9, frames: 30, kind: 'test' }))).not.toBe(digest(short));
  });

  it('returns one RGB HWC frame, one label and one object list per frame at the requested size', () => {
    expect(test.width).toBe(360);
    expect(test.height).toBe(240);
    expect(test.frames).toHaveLength(200);
    expect(test.labels).toHaveLength(200);
    expect(test.objects).toHaveLength(200);
    for (const f of test.frames) expect(f.length).toBe(240 * 360 * 3);
    const small = generateScene({ seed: 1, frames: 3, kind: 'train', width: 160, height: 120 });
    expect(small.frames.map((f) => f.length)).toEqual([160 * 120 * 3, 160 * 120 * 3, 160 * 120 * 3]);
  });

  it('labels a frame 1 exactly when an anomalous object is visible', () => {
    for (let t = 0; t < test.frames.length; t++) {
      expect(test.labels[t]).toBe(test.objects[t]!.some((o) => o.anomalous) ? 1 : 0);
      for (const o of test.objects[t]!) expect(o.anomalous).toBe(ANOMALOUS_OBJECT_KINDS.includes(o.kind));
    }
  });

  it('makes part of each test clip anomalous, so frame-level AUROC is meaningful', () => {
    for (const seed of [7, 1, 2]) {
      const scene = seed === 7 ? test : generateScene({ seed, frames: 200, kind: 'test' });
      const share = scene.labels.reduce((a, b) => a + b, 0) / scene.labels.length;
      expect(share).toBeGreaterThan(0.2);
      expect(share).toBeLessThan(0.65);
    }
    // Short clips still get an anomaly.
    const short = generateScene({ seed: 3, frames: 40, kind: 'test' });
    expect(short.labels.some((l) => l === 1)).toBe(true);
    expect(short.labels.some((l) => l === 0)).toBe(true);
  });

  it('keeps training clips normal: walkers only, at walking speed, in several directions', () => {
    const train = generateScene({ seed: 5, frames: 300, kind: 'train' });
    expect(Array.from(train.labels).every((l) => l === 0)).toBe(true);
    const walkers = train.objects.flat();
    expect(walkers.length).toBeGreaterThan(300 * 2);
    expect(new Set(walkers.map((o) => o.kind))).toEqual(new Set(['walker']));
    const ids = new Set(walkers.map((o) => o.id));
    expect(ids.size).toBeGreaterThan(4);
    const headings = new Set<string>();
    for (const o of walkers) {
      const speed = Math.hypot(...o.velocity);
      expect(speed).toBeGreaterThanOrEqual(0.5);
      expect(speed).toBeLessThanOrEqual(2);
      headings.add(Math.abs(o.velocity[0]) > Math.abs(o.velocity[1]) ? (o.velocity[0] > 0 ? 'right' : 'left') : 'vertical');
    }
    expect(headings.size).toBeGreaterThanOrEqual(2);
  });

  it('draws people-sized walkers and faster, different-shaped anomalous objects', () => {
    const scenes = [test, generateScene({ seed: 11, frames: 200, kind: 'test' }), generateScene({ seed: 12, frames: 200, kind: 'test' })];
    const seen = new Map<string, { speeds: number[]; widths: number[]; heights: number[] }>();
    for (const scene of scenes) {
      for (const o of scene.objects.flat()) {
        if (!inside(o, scene.width, scene.height)) continue;
        const s = seen.get(o.kind) ?? { speeds: [], widths: [], heights: [] };
        s.speeds.push(Math.hypot(...o.velocity));
        s.widths.push(o.box[2] - o.box[0]);
        s.heights.push(o.box[3] - o.box[1]);
        seen.set(o.kind, s);
      }
    }
    const walker = seen.get('walker')!;
    // Body 12–20 px wide; the swinging legs add a little.
    expect(Math.min(...walker.widths)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...walker.widths)).toBeLessThanOrEqual(26);
    expect(Math.min(...walker.heights)).toBeGreaterThanOrEqual(30);
    expect(Math.max(...walker.heights)).toBeLessThanOrEqual(52);
    const anomalies = [...seen.entries()].filter(([k]) => k !== 'walker');
    expect(anomalies.length).toBeGreaterThanOrEqual(2);
    for (const [, s] of anomalies) expect(Math.min(...s.speeds)).toBeGreaterThan(Math.max(...walker.speeds));
    const cyclist = seen.get('cyclist');
    if (cyclist) expect(Math.min(...cyclist.widths)).toBeGreaterThan(Math.max(...walker.widths));
  });

  it('moves objects by their velocity from frame to frame', () => {
    let checked = 0;
    for (let t = 1; t < test.frames.length; t++) {
      for (const o of test.objects[t]!) {
        const before = test.objects[t - 1]!.find((p) => p.id === o.id);
        if (!before || !inside(o, 360, 240) || !inside(before, 360, 240)) continue;
        // Centre of the box bottom (the feet / wheels): no gait bob there.
        const dx = (o.box[0] + o.box[2]) / 2 - (before.box[0] + before.box[2]) / 2;
        const dy = o.box[3] - before.box[3];
        expect(Math.abs(dx - o.velocity[0])).toBeLessThan(1.5);
        expect(Math.abs(dy - o.velocity[1])).toBeLessThan(1e-6 + 0.01);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('draws objects inside their boxes only, over a static background, plus bounded sensor noise', () => {
    const seed = 21;
    const background = generateScene({ seed, frames: 1, kind: 'train', walkers: 0, noise: 0 }).frames[0]!;
    const still = generateScene({ seed, frames: 5, kind: 'train', walkers: 0, noise: 0 });
    for (const f of still.frames) expect(Buffer.compare(Buffer.from(f), Buffer.from(background))).toBe(0);

    const noisy = generateScene({ seed, frames: 3, kind: 'train', walkers: 0, noise: 3 });
    let maxDiff = 0;
    let anyDiff = 0;
    for (let i = 0; i < background.length; i++) {
      const d = Math.abs(noisy.frames[2]![i]! - background[i]!);
      maxDiff = Math.max(maxDiff, d);
      anyDiff += d > 0 ? 1 : 0;
    }
    expect(maxDiff).toBeLessThanOrEqual(5);
    expect(anyDiff).toBeGreaterThan(background.length / 4);
    expect(Buffer.compare(Buffer.from(noisy.frames[1]!), Buffer.from(noisy.frames[2]!))).not.toBe(0);

    const scene = generateScene({ seed, frames: 60, kind: 'test', noise: 0 });
    const { width, height } = scene;
    for (let t = 0; t < scene.frames.length; t += 7) {
      const f = scene.frames[t]!;
      const covered = new Uint8Array(width * height);
      for (const o of scene.objects[t]!) {
        let changed = 0;
        // Pixels whose square meets the box.
        for (let y = Math.floor(o.box[1]); y < Math.ceil(o.box[3]); y++) {
          for (let x = Math.floor(o.box[0]); x < Math.ceil(o.box[2]); x++) {
            covered[y * width + x] = 1;
            const i = 3 * (y * width + x);
            changed += f[i] !== background[i] || f[i + 1] !== background[i + 1] || f[i + 2] !== background[i + 2] ? 1 : 0;
          }
        }
        expect(changed).toBeGreaterThan(0.3 * (o.box[2] - o.box[0]) * (o.box[3] - o.box[1]));
      }
      for (let p = 0; p < width * height; p++) {
        if (covered[p]) continue;
        if (f[3 * p] !== background[3 * p] || f[3 * p + 1] !== background[3 * p + 1] || f[3 * p + 2] !== background[3 * p + 2]) {
          throw new Error(`frame ${t}: pixel (${p % width}, ${Math.floor(p / width)}) changed outside every object box`);
        }
      }
    }
  });

  it.each([
    [{ seed: 1.5, frames: 10, kind: 'train' }, /seed/],
    [{ seed: 1, frames: 0, kind: 'train' }, /frames/],
    [{ seed: 1, frames: 10, kind: 'video' }, /kind/],
    [{ seed: 1, frames: 10, kind: 'test', width: 32 }, /width/],
    [{ seed: 1, frames: 10, kind: 'test', anomalyKinds: ['walker'] }, /anomalyKinds/],
    [{ seed: 1, frames: 10, kind: 'test', anomalousFraction: 1 }, /anomalousFraction/],
  ])('refuses %j with bad_argument', (options, mention) => {
    let err: unknown;
    try {
      generateScene(options as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VadError);
    expect((err as VadError).code).toBe('bad_argument');
    expect((err as VadError).message).toMatch(mention);
  });
});
