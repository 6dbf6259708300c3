import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** Test frames: a grey background with a bright square at (x, y), as PNG / JPEG / WebP. */
export async function squareFrame(opts: { width?: number; height?: number; x?: number; y?: number; format?: 'png' | 'jpeg' | 'webp' } = {}): Promise<Buffer> {
  const { width = 72, height = 48, x = 10, y = 10, format = 'png' } = opts;
  const raw = Buffer.alloc(width * height * 3, 80);
  for (let yy = y; yy < Math.min(height, y + 12); yy++) {
    for (let xx = x; xx < Math.min(width, x + 12); xx++) raw.fill(230, (yy * width + xx) * 3, (yy * width + xx) * 3 + 3);
  }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  return format === 'png' ? img.png().toBuffer() : format === 'jpeg' ? img.jpeg().toBuffer() : img.webp().toBuffer();
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A well-formed PNG whose header claims width×height but whose data is a few bytes (a decompression bomb's shape). */
export function hugePngHeader(width = 100_000, height = 100_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A real JPEG whose frame header (SOF) is patched to claim width×height: a bomb's shape without the bytes. */
export function hugeJpegHeader(jpeg: Buffer, width = 65_000, height = 65_000): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i + 9 < out.length;) {
    if (out[i] !== 0xff) break;
    const marker = out[i + 1]!;
    const len = out.readUInt16BE(i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): [len][precision][height][width]
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + len;
  }
  throw new Error('no SOF marker in this JPEG');
}
