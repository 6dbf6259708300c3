import sharp from 'sharp';
import type { ClipScore } from '@vad/core';
import { scaleBox } from './json';

/** Green (normal) → red (anomalous) by the region score relative to the number of enabled attributes. */
export function scoreColour(score: number, enabledCount: number): string {
  const t = Math.max(0, Math.min(1, score / Math.max(1, enabledCount)));
  const r = Math.round(255 * Math.min(1, 2 * t));
  const g = Math.round(255 * Math.min(1, 2 * (1 - t)));
  return `rgb(${r},${g},0)`;
}

const escapeXml = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function overlaySvg(clip: ClipScore, imageSize: readonly [number, number], originalSize: readonly [number, number], enabledCount: number): string {
  const [h, w] = originalSize;
  const stroke = Math.max(1, Math.round(Math.min(w, h) / 200));
  const font = Math.max(10, Math.round(Math.min(w, h) / 20));
  const boxes = clip.regions
    .map((r) => {
      const [x1, y1, x2, y2] = scaleBox(r.box, imageSize, originalSize);
      const c = scoreColour(r.score, enabledCount);
      return (
        `<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${Math.max(1, x2 - x1).toFixed(1)}" height="${Math.max(1, y2 - y1).toFixed(1)}" ` +
        `fill="none" stroke="${c}" stroke-width="${stroke}"/>` +
        `<text x="${x1.toFixed(1)}" y="${Math.max(font * 0.6, y1 - 2).toFixed(1)}" font-size="${Math.round(font * 0.6)}" fill="${c}" font-family="sans-serif">${r.score.toFixed(2)}</text>`
      );
    })
    .join('');
  const label = escapeXml(`score ${clip.score.toFixed(3)}`);
  const frameColour = scoreColour(clip.score, enabledCount);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">` +
    boxes +
    `<rect x="0" y="0" width="${Math.round(font * 6.5)}" height="${Math.round(font * 1.3)}" fill="black" fill-opacity="0.55"/>` +
    `<text x="${Math.round(font * 0.25)}" y="${font}" font-size="${font}" fill="${frameColour}" font-family="sans-serif">${label}</text>` +
    `</svg>`
  );
}

/** `Accept: image/png|image/jpeg`: the scored frame, as sent, with its regions drawn and its score written. */
export async function renderScoredFrame(
  frame: Uint8Array,
  clip: ClipScore,
  imageSize: readonly [number, number],
  originalSize: readonly [number, number],
  enabledCount: number,
  format: 'png' | 'jpeg',
): Promise<Uint8Array> {
  const svg = Buffer.from(overlaySvg(clip, imageSize, originalSize, enabledCount));
  // Upright first, as the worker decoded it (EXIF orientation), so the overlay's size matches.
  const img = sharp(frame, { limitInputPixels: false })
    .autoOrient()
    .removeAlpha()
    .composite([{ input: svg, top: 0, left: 0 }]);
  const out = format === 'png' ? await img.png().toBuffer() : await img.jpeg({ quality: 90 }).toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
