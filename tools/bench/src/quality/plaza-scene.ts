import type { LabelledVideo, QualitySet } from './quality-set';

/**
 * A second scene generator, written independently of @vad/core/testing's walkway (different
 * background, shapes, motion model, noise), so bench:quality does not only grade the model on the
 * generator it was fitted on. A high camera over a plaza: a blotchy paving texture with static
 * kiosks; pedestrians are two-tone ellipses (body + head) whose heading drifts as a random walk at
 * 0.4–2.2 px/frame; in test videos skaters and delivery carts (rectangles, 5–10 px/frame) cross,
 * and a frame is anomalous while one is in view. Global brightness flickers by ±2 grey levels and
 * each pixel gets uniform noise, as cheap cameras do.
 */
const W = 360;
const H = 240;

function xorshift(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

interface Mover {
  x: number;
  y: number;
  heading: number;
  speed: number;
  w: number;
  h: number;
  body: [number, number, number];
  head: [number, number, number];
  anomalous: boolean;
  rect: boolean;
  start: number;
}

function paving(rand: () => number): Float32Array {
  const img = new Float32Array(W * H * 3);
  const blot = Array.from({ length: 40 }, () => ({ x: rand() * W, y: rand() * H, r: 15 + rand() * 40, d: (rand() - 0.5) * 30 }));
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      let v = 120 + 20 * Math.sin(x / 17) * Math.cos(y / 23);
      for (const b of blot) if ((x - b.x) ** 2 + (y - b.y) ** 2 < b.r * b.r) v += b.d;
      const seam = x % 30 === 0 || y % 30 === 0 ? -25 : 0;
      const i = 3 * (y * W + x);
      img[i] = v + seam + 8;
      img[i + 1] = v + seam;
      img[i + 2] = v + seam - 10;
    }
  for (let k = 0; k < 4; k++) {
    const x0 = Math.floor(rand() * (W - 30));
    const y0 = Math.floor(rand() * (H - 30));
    for (let y = y0; y < y0 + 18; y++) for (let x = x0; x < x0 + 26; x++) img.set([60, 90, 70], 3 * (y * W + x));
  }
  return img;
}

function spawn(rand: () => number, anomalous: boolean, start: number): Mover {
  const edge = Math.floor(rand() * 4);
  const x = edge === 0 ? -10 : edge === 1 ? W + 10 : rand() * W;
  const y = edge === 2 ? -10 : edge === 3 ? H + 10 : rand() * H;
  const heading = Math.atan2(H / 2 + (rand() - 0.5) * H * 0.6 - y, W / 2 + (rand() - 0.5) * W * 0.6 - x);
  const colour = (): [number, number, number] => [40 + rand() * 180, 40 + rand() * 180, 40 + rand() * 180];
  return anomalous
    ? { x, y, heading, speed: 5 + rand() * 5, w: 10 + rand() * 14, h: 8 + rand() * 10, body: colour(), head: colour(), anomalous, rect: true, start }
    : {
        x,
        y,
        heading,
        speed: 0.4 + rand() * 1.8,
        w: 7 + rand() * 6,
        h: 14 + rand() * 10,
        body: colour(),
        head: [200, 170, 140],
        anomalous,
        rect: false,
        start,
      };
}

function inView(m: Mover): boolean {
  return m.x > -m.w && m.x < W + m.w && m.y > -m.h && m.y < H + m.h;
}

function draw(frame: Float32Array, m: Mover): void {
  for (let y = Math.max(0, Math.floor(m.y - m.h / 2)); y < Math.min(H, Math.ceil(m.y + m.h / 2)); y++)
    for (let x = Math.max(0, Math.floor(m.x - m.w / 2)); x < Math.min(W, Math.ceil(m.x + m.w / 2)); x++) {
      const dx = (x + 0.5 - m.x) / (m.w / 2);
      const dy = (y + 0.5 - m.y) / (m.h / 2);
      if (!m.rect && dx * dx + dy * dy > 1) continue;
      frame.set(dy < -0.5 ? m.head : m.body, 3 * (y * W + x));
    }
}

export function plazaVideo(seed: number, frames: number, test: boolean): LabelledVideo {
  const rand = xorshift(seed);
  const background = paving(rand);
  const movers: Mover[] = Array.from({ length: 5 }, () => {
    const m = spawn(rand, false, 0);
    m.x = 20 + rand() * (W - 40); // start some already inside
    m.y = 20 + rand() * (H - 40);
    return m;
  });
  let nextAnomaly = 15 + Math.floor(rand() * 20);
  const out: Uint8Array[] = [];
  const labels = new Uint8Array(frames);
  const frame = new Float32Array(W * H * 3);
  for (let t = 0; t < frames; t++) {
    if (test && t === nextAnomaly) {
      movers.push(spawn(rand, true, t));
      nextAnomaly = t + 60 + Math.floor(rand() * 50);
    }
    frame.set(background);
    for (const m of movers) {
      if (!m.anomalous) m.heading += (rand() - 0.5) * 0.3;
      m.x += Math.cos(m.heading) * m.speed;
      m.y += Math.sin(m.heading) * m.speed;
    }
    for (let k = movers.length - 1; k >= 0; k--) {
      const m = movers[k]!;
      if (!inView(m) && t - m.start > 5) {
        movers.splice(k, 1);
        if (!m.anomalous) movers.push(spawn(rand, false, t));
      }
    }
    for (const m of movers) {
      draw(frame, m);
      if (m.anomalous && m.x > 0 && m.x < W && m.y > 0 && m.y < H) labels[t] = 1;
    }
    const flicker = (rand() - 0.5) * 4;
    const px = new Uint8Array(W * H * 3);
    for (let i = 0; i < px.length; i++) px[i] = Math.max(0, Math.min(255, Math.round(frame[i]! + flicker + (rand() - 0.5) * 8)));
    out.push(px);
  }
  return { id: `plaza-${seed}`, width: W, height: H, frames: out, labels };
}

export function plazaSet(): QualitySet {
  return {
    name: 'plaza (second generator)',
    train: Array.from({ length: 4 }, (_, i) => plazaVideo(100 + i, 100, false)),
    test: Array.from({ length: 3 }, (_, i) => plazaVideo(900 + i, 150, true)),
  };
}
