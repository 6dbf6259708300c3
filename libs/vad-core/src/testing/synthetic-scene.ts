import { VadError } from '../errors';

// Local aliases: inside jest's vm sandbox every `Math.x` in a per-pixel loop is a slow global lookup.
const { PI, abs, ceil, cos, floor, hypot, imul, log, max, min, round, sin, sqrt } = Math;

/**
 * A deterministic synthetic surveillance scene in the spirit of UCSD Ped2: a static camera over a
 * walkway, pedestrians walking at ordinary speeds, and — in test clips only — fast objects
 * (cyclists, carts, runners) that make a frame anomalous. It lets the fit → score loop, the server
 * and the benchmarks run end to end with no downloaded data set, with labels that make frame-level
 * AUROC meaningful.
 */

export type SceneKind = 'train' | 'test';
export type SceneObjectKind = 'walker' | 'runner' | 'cyclist' | 'cart';

/** Kinds that never appear in training clips: a frame showing one is labelled anomalous. */
export const ANOMALOUS_OBJECT_KINDS: readonly SceneObjectKind[] = ['runner', 'cyclist', 'cart'];

export interface SceneOptions {
  seed: number;
  frames: number;
  width?: number;
  height?: number;
  kind: SceneKind;
  /** Mean number of walkers in view (default 4). */
  walkers?: number;
  /** Target share of frames showing an anomalous object in test clips (default 0.4). */
  anomalousFraction?: number;
  /** Which anomalous kinds test clips draw from (default all of ANOMALOUS_OBJECT_KINDS). */
  anomalyKinds?: readonly SceneObjectKind[];
  /** Sensor noise amplitude in grey levels (default 3; 0 turns it off). */
  noise?: number;
}

export interface SceneObject {
  id: number;
  kind: SceneObjectKind;
  anomalous: boolean;
  /** xyxy in pixels, clipped to the frame: the extent of what was drawn. */
  box: [number, number, number, number];
  /** Displacement since the previous frame, px/frame (the ground-truth motion of the object). */
  velocity: [number, number];
}

export interface Scene {
  seed: number;
  kind: SceneKind;
  width: number;
  height: number;
  /** RGB, HWC, uint8, one per frame. */
  frames: Uint8Array[];
  /** 1 when an anomalous object is visible in the frame, else 0. */
  labels: Uint8Array;
  /** The objects visible in each frame. */
  objects: SceneObject[][];
}

export function generateScene(options: SceneOptions): Scene {
  const o = checkOptions(options);
  const rng = mulberry32(o.seed);
  const { width, height } = o;
  const background = paintBackground(width, height, rng);
  const actors = planActors(o, rng);
  const noise = noiseTable(width * height * 3, o.noise, rng);

  const spans = actors.map((a) => visibleSpan(a, width, height, o.frames));
  const frames: Uint8Array[] = [];
  const objects: SceneObject[][] = [];
  const labels = new Uint8Array(o.frames);
  // One allocation for the whole clip: a fresh 250 kB buffer per frame costs more than drawing it.
  const frameBytes = width * height * 3;
  const pixels = new Uint8ClampedArray(frameBytes * o.frames);
  for (let t = 0; t < o.frames; t++) {
    const frame = pixels.subarray(t * frameBytes, (t + 1) * frameBytes);
    frame.set(background);
    const visible: SceneObject[] = [];
    for (let k = 0; k < actors.length; k++) {
      const actor = actors[k]!;
      const [enter, leave] = spans[k]!;
      if (t < enter || t >= leave) continue;
      const shapes = actorShapes(actor, t - actor.start);
      const box = clipBox(shapesExtent(shapes), width, height);
      if (!box) continue;
      for (const s of shapes) drawShape(frame, width, height, s);
      visible.push({ id: actor.id, kind: actor.kind, anomalous: actor.anomalous, box, velocity: [actor.vx, actor.vy] });
      if (actor.anomalous) labels[t] = 1;
    }
    if (o.noise > 0) addNoise(frame, noise, floor(rng() * (noise.length - frame.length)));
    frames.push(new Uint8Array(frame.buffer, frame.byteOffset, frame.length));
    objects.push(visible);
  }
  return { seed: o.seed, kind: o.kind, width, height, frames, labels, objects };
}

// --- Options ----------------------------------------------------------------------------------------

type ResolvedOptions = Required<SceneOptions>;

function checkOptions(options: SceneOptions): ResolvedOptions {
  const o: ResolvedOptions = {
    width: 360,
    height: 240,
    walkers: 4,
    anomalousFraction: 0.4,
    anomalyKinds: ANOMALOUS_OBJECT_KINDS,
    noise: 3,
    ...options,
  };
  const bad = (what: string): never => {
    throw new VadError('bad_argument', `synthetic scene: ${what}`, { options: { ...options } });
  };
  if (!Number.isInteger(o.seed)) bad(`seed must be an integer, got ${o.seed}`);
  if (!Number.isInteger(o.frames) || o.frames < 1) bad(`frames must be a positive integer, got ${o.frames}`);
  if (!Number.isInteger(o.width) || !Number.isInteger(o.height) || o.width < 64 || o.height < 64)
    bad(`width and height must be integers ≥ 64, got ${o.width}×${o.height}`);
  if (o.kind !== 'train' && o.kind !== 'test') bad(`kind must be "train" or "test", got ${String(o.kind)}`);
  if (!(o.walkers >= 0 && o.walkers <= 50)) bad(`walkers must be in [0, 50], got ${o.walkers}`);
  if (!(o.anomalousFraction > 0 && o.anomalousFraction < 1)) bad(`anomalousFraction must be in (0, 1), got ${o.anomalousFraction}`);
  if (o.anomalyKinds.length === 0 || o.anomalyKinds.some((k) => !ANOMALOUS_OBJECT_KINDS.includes(k)))
    bad(`anomalyKinds must be a non-empty subset of ${ANOMALOUS_OBJECT_KINDS.join(', ')}`);
  if (!(o.noise >= 0 && o.noise <= 40)) bad(`noise must be in [0, 40] grey levels, got ${o.noise}`);
  return o;
}

// --- Randomness ---------------------------------------------------------------------------------

type Rng = () => number;

/** mulberry32: tiny, fast, and the same sequence on every platform for a given seed. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();
const pick = <T>(rng: Rng, items: readonly T[]): T => items[floor(rng() * items.length)]!;

/**
 * One table of triangular noise, read at a random offset per frame: per-pixel draws for every frame
 * would dominate generation time, and an offset into white noise is as good as fresh noise.
 */
function noiseTable(pixels: number, amplitude: number, rng: Rng): Int8Array {
  const table = new Int8Array(pixels + 65_536);
  if (amplitude === 0) return table;
  for (let i = 0; i < table.length; i++) table[i] = round((rng() + rng() - 1) * amplitude * 1.5);
  return table;
}

function addNoise(frame: Uint8ClampedArray, noise: Int8Array, offset: number): void {
  for (let i = 0; i < frame.length; i++) frame[i] = frame[i]! + noise[offset + i]!;
}

// --- Background: building front, paved walkway with grout lines, lamp posts, benches, planters -----

type Rgb = readonly [number, number, number];

function paintBackground(width: number, height: number, rng: Rng): Uint8ClampedArray {
  const img = new Float32Array(width * height * 3);
  const wallBottom = round(height * 0.18);
  const tile = max(12, round(height / 12));
  // Low-frequency illumination (value noise on a coarse grid), so the pavement is not flat.
  const cell = 24;
  const gw = ceil(width / cell) + 2;
  const gh = ceil(height / cell) + 2;
  const light = Float32Array.from({ length: gw * gh }, () => uniform(rng, -12, 12));
  for (let y = 0; y < height; y++) {
    const gy = y / cell;
    const iy = floor(gy);
    const fy = gy - iy;
    for (let x = 0; x < width; x++) {
      const gx = x / cell;
      const ix = floor(gx);
      const fx = gx - ix;
      const l00 = light[iy * gw + ix]!;
      const l01 = light[iy * gw + ix + 1]!;
      const l10 = light[(iy + 1) * gw + ix]!;
      const l11 = light[(iy + 1) * gw + ix + 1]!;
      const shade = (l00 + (l01 - l00) * fx) * (1 - fy) + (l10 + (l11 - l10) * fx) * fy;
      const grain = uniform(rng, -7, 7);
      let c: Rgb;
      if (y < wallBottom) {
        const window = x % 40 >= 8 && x % 40 < 30 && y % 30 >= 6 && y % 30 < 22 && y < wallBottom - 4;
        c = window ? [70, 85, 100] : [150, 128, 110];
      } else {
        const grout = (y - wallBottom) % tile === 0 || (x + ((floor((y - wallBottom) / tile) % 2) * tile) / 2) % (tile * 2) < 1;
        c = grout ? [140, 136, 128] : [178, 172, 160];
      }
      const i = 3 * (y * width + x);
      img[i] = c[0] + shade + grain;
      img[i + 1] = c[1] + shade + grain;
      img[i + 2] = c[2] + shade + grain;
    }
  }
  const out = new Uint8ClampedArray(img);
  // Static structure: it has strong edges but no motion, so a good flow leaves it at zero.
  const posts = 2 + floor(rng() * 2);
  for (let k = 0; k < posts; k++) {
    const x = uniform(rng, 0.05, 0.95) * width;
    const top = wallBottom - uniform(rng, 0, 10);
    drawShape(out, width, height, { kind: 'rect', x1: x, y1: top, x2: x + 3, y2: top + height * 0.45, rgb: [55, 55, 60] });
    drawShape(out, width, height, { kind: 'ellipse', x1: x - 3, y1: top - 4, x2: x + 6, y2: top + 2, rgb: [230, 220, 170] });
  }
  const benches = 1 + floor(rng() * 2);
  for (let k = 0; k < benches; k++) {
    const x = uniform(rng, 0.05, 0.8) * width;
    const y = uniform(rng, 0.25, 0.85) * height;
    drawShape(out, width, height, { kind: 'rect', x1: x, y1: y, x2: x + 40, y2: y + 6, rgb: [110, 75, 45] });
    drawShape(out, width, height, { kind: 'rect', x1: x + 3, y1: y + 6, x2: x + 6, y2: y + 14, rgb: [60, 60, 60] });
    drawShape(out, width, height, { kind: 'rect', x1: x + 34, y1: y + 6, x2: x + 37, y2: y + 14, rgb: [60, 60, 60] });
  }
  const planterX = uniform(rng, 0.1, 0.9) * width;
  const planterY = uniform(rng, 0.3, 0.9) * height;
  drawShape(out, width, height, { kind: 'rect', x1: planterX - 14, y1: planterY, x2: planterX + 14, y2: planterY + 12, rgb: [120, 115, 110] });
  drawShape(out, width, height, { kind: 'ellipse', x1: planterX - 16, y1: planterY - 14, x2: planterX + 16, y2: planterY + 4, rgb: [60, 120, 55] });
  return out;
}

// --- Actors -------------------------------------------------------------------------------------

interface Actor {
  id: number;
  kind: SceneObjectKind;
  anomalous: boolean;
  /** First frame it exists (it may start off-screen and walk in). */
  start: number;
  /** Foot point (bottom centre) at `start`, and velocity in px/frame. */
  x0: number;
  y0: number;
  vx: number;
  vy: number;
  /** Body size in px. */
  w: number;
  h: number;
  colours: { top: Rgb; bottom: Rgb; skin: Rgb; body: Rgb };
  /** Gait: radians per px walked, and a per-actor phase offset. */
  stride: number;
  phase: number;
}

interface KindSpec {
  speed: [number, number];
  w: [number, number];
  h: [number, number];
  /** Directions (radians) it may travel in, picked uniformly, plus jitter. */
  headings: readonly number[];
}

/** Sizes are for a 240-pixel-high frame and scale with the height. */
const KINDS: Record<SceneObjectKind, KindSpec> = {
  walker: { speed: [0.5, 2], w: [12, 20], h: [30, 50], headings: [0, PI, 0, PI, PI / 6, (5 * PI) / 6, -PI / 6, (-5 * PI) / 6, PI / 2, -PI / 2] },
  runner: { speed: [3.5, 5], w: [14, 20], h: [34, 48], headings: [0, PI, PI / 8, (-7 * PI) / 8] },
  cyclist: { speed: [4, 8], w: [34, 42], h: [40, 50], headings: [0, PI] },
  cart: { speed: [3, 6], w: [54, 76], h: [30, 40], headings: [0, PI] },
};

const SHIRTS: readonly Rgb[] = [
  [200, 40, 40],
  [40, 70, 170],
  [230, 200, 60],
  [40, 140, 70],
  [235, 235, 235],
  [30, 30, 35],
  [150, 60, 150],
  [230, 120, 40],
];
const TROUSERS: readonly Rgb[] = [
  [40, 45, 70],
  [30, 30, 30],
  [90, 80, 60],
  [60, 60, 65],
  [110, 110, 130],
];
const SKINS: readonly Rgb[] = [
  [240, 200, 170],
  [210, 160, 120],
  [150, 100, 70],
  [100, 70, 50],
];
const VEHICLES: readonly Rgb[] = [
  [210, 30, 30],
  [30, 90, 200],
  [240, 240, 240],
  [250, 180, 0],
  [20, 20, 20],
];

function planActors(o: ResolvedOptions, rng: Rng): Actor[] {
  const actors: Actor[] = [];
  const scale = o.height / 240;
  const make = (kind: SceneObjectKind, start: number, onScreen: boolean): Actor => {
    const spec = KINDS[kind];
    const w = uniform(rng, spec.w[0], spec.w[1]) * scale;
    const h = uniform(rng, spec.h[0], spec.h[1]) * scale;
    const speed = uniform(rng, spec.speed[0], spec.speed[1]) * scale;
    const heading = pick(rng, spec.headings) + uniform(rng, -0.12, 0.12);
    const vx = speed * cos(heading);
    const vy = speed * sin(heading);
    // A point on its path, on the walkway; walk back from it until fully off-screen, unless it is
    // already in view when the clip starts.
    let x = uniform(rng, 0.1, 0.9) * o.width;
    let y = uniform(rng, 0.35, 0.97) * o.height;
    if (!onScreen) {
      const back = edgeDistance(x, y, -vx, -vy, w, h, o.width, o.height);
      x -= vx * back;
      y -= vy * back;
    }
    return {
      id: actors.length,
      kind,
      anomalous: ANOMALOUS_OBJECT_KINDS.includes(kind),
      start,
      x0: x,
      y0: y,
      vx,
      vy,
      w,
      h,
      colours: { top: pick(rng, SHIRTS), bottom: pick(rng, TROUSERS), skin: pick(rng, SKINS), body: pick(rng, VEHICLES) },
      stride: (2 * PI) / (0.9 * h),
      phase: uniform(rng, 0, 2 * PI),
    };
  };

  // Walkers: some in view from the first frame, then arrivals at the rate that keeps the mean count.
  const initial = round(o.walkers);
  for (let k = 0; k < initial; k++) actors.push(make('walker', 0, true));
  const meanStay = (o.width * 0.8) / (1.25 * scale);
  const rate = o.walkers / meanStay;
  const nextArrival = () => max(1, round(-log(1 - rng()) / max(rate, 1e-6)));
  for (let t = nextArrival(); t < o.frames; t += nextArrival()) actors.push(make('walker', t, false));

  if (o.kind === 'test') planAnomalies(o, rng, make, actors);
  return actors;
}

/**
 * Anomalous objects one after another with normal gaps sized so that about `anomalousFraction` of
 * the frames show one; the first comes early so that short clips get one too.
 */
function planAnomalies(o: ResolvedOptions, rng: Rng, make: (kind: SceneObjectKind, start: number, onScreen: boolean) => Actor, actors: Actor[]): void {
  let t = floor(uniform(rng, 0.05, 0.25) * o.frames);
  while (t < o.frames) {
    const actor = make(pick(rng, o.anomalyKinds), t, false);
    actors.push(actor);
    const [enter, leave] = visibleSpan(actor, o.width, o.height, o.frames);
    const shown = max(1, leave - enter);
    const gap = (shown * (1 - o.anomalousFraction)) / o.anomalousFraction;
    t = leave + max(2, round(gap * uniform(rng, 0.6, 1.4)));
  }
}

/** Frames walked from (x, y) along (dx, dy) per frame until the body is fully outside the frame. */
function edgeDistance(x: number, y: number, dx: number, dy: number, w: number, h: number, width: number, height: number): number {
  // Margins cover everything drawn around the foot point: swinging legs, wheels, the bob.
  const tx = dx > 0 ? (width + w - x) / dx : dx < 0 ? (-w - x) / dx : Infinity;
  const ty = dy > 0 ? (height + h + 3 - y) / dy : dy < 0 ? (-1 - y) / dy : Infinity;
  return ceil(min(tx, ty)) + 1;
}

/** [first, last + 1) frames before `until` in which the actor is on screen (it moves in a straight line). */
function visibleSpan(actor: Actor, width: number, height: number, until: number): [number, number] {
  let enter = -1;
  for (let t = actor.start; t < until; t++) {
    const on = clipBox(shapesExtent(actorShapes(actor, t - actor.start)), width, height) !== undefined;
    if (on && enter < 0) enter = t;
    if (!on && enter >= 0) return [enter, t];
  }
  return enter < 0 ? [until, until] : [enter, until];
}

// --- Drawing ------------------------------------------------------------------------------------

interface Shape {
  kind: 'rect' | 'ellipse';
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  rgb: Rgb;
}

/** The primitives of an actor `k` frames after its start (gait wobble included). */
function actorShapes(a: Actor, k: number): Shape[] {
  const fx = a.x0 + a.vx * k;
  const fy = a.y0 + a.vy * k;
  const travelled = hypot(a.vx, a.vy) * k;
  const phase = a.phase + travelled * a.stride;
  const facing = a.vx >= 0 ? 1 : -1;
  const { w, h } = a;
  const c = a.colours;
  switch (a.kind) {
    case 'walker':
    case 'runner': {
      const swing = sin(phase) * w * (a.kind === 'runner' ? 0.45 : 0.25) * min(1, abs(a.vx) / hypot(a.vx, a.vy) + 0.3);
      const bob = abs(sin(phase)) * (a.kind === 'runner' ? 2 : 1);
      const top = fy - h - bob;
      const legTop = top + 0.56 * h;
      const leg = 0.3 * w;
      return [
        { kind: 'rect', x1: fx - 0.2 * w - leg / 2 + swing, y1: legTop, x2: fx - 0.2 * w + leg / 2 + swing, y2: fy, rgb: c.bottom },
        { kind: 'rect', x1: fx + 0.2 * w - leg / 2 - swing, y1: legTop, x2: fx + 0.2 * w + leg / 2 - swing, y2: fy, rgb: shade(c.bottom, 0.8) },
        { kind: 'rect', x1: fx - 0.5 * w, y1: top + 0.2 * h, x2: fx + 0.5 * w, y2: legTop + 0.04 * h, rgb: c.top },
        { kind: 'rect', x1: fx - 0.5 * w, y1: top + 0.3 * h, x2: fx - 0.3 * w, y2: top + 0.36 * h, rgb: shade(c.top, 0.7) },
        { kind: 'ellipse', x1: fx - 0.28 * w, y1: top, x2: fx + 0.28 * w, y2: top + 0.22 * h, rgb: c.skin },
        { kind: 'rect', x1: fx - 0.3 * w, y1: top, x2: fx + 0.3 * w, y2: top + 0.06 * h, rgb: shade(c.bottom, 0.6) },
      ];
    }
    case 'cyclist': {
      const r = 0.22 * h;
      const wheelY = fy - r;
      const pedal = sin(phase * 2) * 0.08 * h;
      const riderX = fx - facing * 0.05 * w;
      return [
        { kind: 'ellipse', x1: fx - w / 2, y1: wheelY - r, x2: fx - w / 2 + 2 * r, y2: fy, rgb: [25, 25, 25] },
        { kind: 'ellipse', x1: fx + w / 2 - 2 * r, y1: wheelY - r, x2: fx + w / 2, y2: fy, rgb: [25, 25, 25] },
        { kind: 'ellipse', x1: fx - w / 2 + 0.4 * r, y1: wheelY - 0.6 * r, x2: fx - w / 2 + 1.6 * r, y2: wheelY + 0.6 * r, rgb: [160, 160, 160] },
        { kind: 'ellipse', x1: fx + w / 2 - 1.6 * r, y1: wheelY - 0.6 * r, x2: fx + w / 2 - 0.4 * r, y2: wheelY + 0.6 * r, rgb: [160, 160, 160] },
        { kind: 'rect', x1: fx - w / 2 + r, y1: wheelY - 0.15 * h, x2: fx + w / 2 - r, y2: wheelY - 0.08 * h, rgb: c.body },
        { kind: 'rect', x1: riderX - 0.12 * w + pedal, y1: wheelY - 0.3 * h, x2: riderX - 0.02 * w + pedal, y2: wheelY, rgb: c.bottom },
        { kind: 'rect', x1: riderX - 0.18 * w, y1: fy - 0.85 * h, x2: riderX + 0.12 * w, y2: wheelY - 0.25 * h, rgb: c.top },
        { kind: 'ellipse', x1: riderX - 0.1 * w + facing * 0.08 * w, y1: fy - h, x2: riderX + 0.12 * w + facing * 0.08 * w, y2: fy - 0.82 * h, rgb: c.skin },
      ];
    }
    case 'cart': {
      const r = 0.16 * h;
      return [
        { kind: 'rect', x1: fx - w / 2, y1: fy - h, x2: fx + w / 2, y2: fy - r, rgb: c.body },
        { kind: 'rect', x1: fx - w / 2 + 0.08 * w, y1: fy - 0.9 * h, x2: fx - 0.05 * w, y2: fy - 0.55 * h, rgb: [150, 190, 220] },
        { kind: 'rect', x1: fx + 0.05 * w, y1: fy - 0.9 * h, x2: fx + w / 2 - 0.08 * w, y2: fy - 0.55 * h, rgb: [150, 190, 220] },
        { kind: 'rect', x1: fx - w / 2, y1: fy - 0.4 * h, x2: fx + w / 2, y2: fy - 0.34 * h, rgb: shade(c.body, 0.6) },
        { kind: 'ellipse', x1: fx - w / 2 + 0.08 * w, y1: fy - 2 * r, x2: fx - w / 2 + 0.08 * w + 2 * r, y2: fy, rgb: [25, 25, 25] },
        { kind: 'ellipse', x1: fx + w / 2 - 0.08 * w - 2 * r, y1: fy - 2 * r, x2: fx + w / 2 - 0.08 * w, y2: fy, rgb: [25, 25, 25] },
      ];
    }
  }
}

function shade(c: Rgb, f: number): Rgb {
  return [c[0] * f, c[1] * f, c[2] * f];
}

function shapesExtent(shapes: readonly Shape[]): [number, number, number, number] {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const s of shapes) {
    x1 = min(x1, s.x1);
    y1 = min(y1, s.y1);
    x2 = max(x2, s.x2);
    y2 = max(y2, s.y2);
  }
  return [x1, y1, x2, y2];
}

/** The part of a box inside the frame, or undefined when less than one pixel of it shows. */
function clipBox(b: [number, number, number, number], width: number, height: number): [number, number, number, number] | undefined {
  const x1 = max(0, b[0]);
  const y1 = max(0, b[1]);
  const x2 = min(width, b[2]);
  const y2 = min(height, b[3]);
  return x2 - x1 >= 1 && y2 - y1 >= 1 ? [x1, y1, x2, y2] : undefined;
}

/**
 * Anti-aliased fill (coverage of each pixel by the shape), so sub-pixel motion at walking speed
 * moves edges smoothly instead of in one-pixel jumps that a flow would read as jitter.
 */
function drawShape(img: Uint8ClampedArray, width: number, height: number, s: Shape): void {
  const px1 = max(0, floor(s.x1));
  const py1 = max(0, floor(s.y1));
  const px2 = min(width, ceil(s.x2));
  const py2 = min(height, ceil(s.y2));
  const [r, g, b] = s.rgb;
  const cx = (s.x1 + s.x2) / 2;
  const cy = (s.y1 + s.y2) / 2;
  const rx = (s.x2 - s.x1) / 2;
  const ry = (s.y2 - s.y1) / 2;
  for (let y = py1; y < py2; y++) {
    const coverY = min(y + 1, s.y2) - max(y, s.y1);
    for (let x = px1; x < px2; x++) {
      let a: number;
      if (s.kind === 'rect') {
        a = coverY * (min(x + 1, s.x2) - max(x, s.x1));
      } else {
        const dx = (x + 0.5 - cx) / rx;
        const dy = (y + 0.5 - cy) / ry;
        // Signed distance to the ellipse edge in (approximate) pixels, turned into coverage.
        const d = (sqrt(dx * dx + dy * dy) - 1) * min(rx, ry);
        a = min(1, max(0, 0.5 - d));
      }
      if (a <= 0) continue;
      const i = 3 * (y * width + x);
      img[i] = img[i]! + (r - img[i]!) * a;
      img[i + 1] = img[i + 1]! + (g - img[i + 1]!) * a;
      img[i + 2] = img[i + 2]! + (b - img[i + 2]!) * a;
    }
  }
}
