import sharp from 'sharp';
import { VadError } from '../errors';

/** api.md VAD_MAX_PIXELS: the most pixels a decoded frame may have. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export interface DecodeOptions {
  /** Frames declaring more pixels (width × height) are refused before decoding. */
  maxPixels?: number;
}

/** A decoded frame: RGB uint8, row-major [height, width, 3]. */
export interface DecodedImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly format: ImageFormat;
}

/**
 * What the first bytes say the file is. Formats are told apart by their signatures, not by what
 * a client claims, and anything but JPEG/PNG/WebP is refused before libvips sees it (SVG, TIFF and
 * friends are larger attack surfaces, and anomalib's frames are never in them).
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | { unsupported: string } {
  const at = (i: number, s: string): boolean => {
    for (let k = 0; k < s.length; k++) if (bytes[i + k] !== s.charCodeAt(k)) return false;
    return true;
  };
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (at(0, '\x89PNG\r\n\x1a\n')) return 'png';
  if (at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  if (at(0, 'GIF87a') || at(0, 'GIF89a')) return { unsupported: 'GIF' };
  if (at(0, 'II*\x00') || at(0, 'MM\x00*')) return { unsupported: 'TIFF' };
  if (at(0, 'BM')) return { unsupported: 'BMP' };
  if (at(4, 'ftyp')) return { unsupported: 'HEIF/AVIF' };
  if (at(0, '%PDF')) return { unsupported: 'PDF' };
  const head = Buffer.from(bytes.subarray(0, 256)).toString('latin1').trimStart().toLowerCase();
  if (head.startsWith('<?xml') || head.startsWith('<svg')) return { unsupported: 'SVG' };
  return { unsupported: 'unknown' };
}

function badImage(message: string, details?: Record<string, unknown>, cause?: unknown): VadError {
  return new VadError('bad_image', message, details, cause === undefined ? undefined : { cause });
}

/**
 * Decodes JPEG, PNG or WebP bytes to RGB uint8 [H, W, 3].
 * - Alpha is dropped, not composited (cv2.imread(IMREAD_COLOR), which anomalib uses, does the same).
 * - Grey, CMYK and 16-bit images become 8-bit sRGB.
 * - EXIF orientation is applied, as cv2.imread does by default: the frame is scored the way it is
 *   displayed, and sizes (and boxes scaled back) refer to the upright image.
 * - Declared dimensions over `maxPixels` are refused from the header, before any pixel is decoded.
 * - Truncated or corrupt data is refused, not decoded to a partly grey frame.
 */
export async function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (bytes.length === 0) throw badImage('the image is empty (0 bytes): send a JPEG, PNG or WebP file');
  const format = sniffImageFormat(bytes);
  if (typeof format !== 'string') {
    const what = format.unsupported === 'unknown' ? 'not a recognisable image' : `a ${format.unsupported} image`;
    throw badImage(`the image is ${what}: only JPEG, PNG and WebP are accepted`, { format: format.unsupported });
  }
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  try {
    // One libvips pass: limitInputPixels is checked against the header before any pixel is
    // decoded, so a bomb costs nothing; its size is read for the message only on that refusal.
    const { data, info } = await sharp(input, { limitInputPixels: maxPixels, failOn: 'truncated' })
      .autoOrient()
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      throw new Error(`decoder returned ${info.channels} channels for ${info.width}x${info.height}`);
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, format };
  } catch (e) {
    if (/exceeds pixel limit/i.test((e as Error).message)) throw await oversizeError(input, format, maxPixels, e);
    throw badImage(`the ${format.toUpperCase()} data cannot be decoded (${(e as Error).message}): the file is truncated or corrupt`, { format }, e);
  }
}

/** The refusal of a frame over `maxPixels`, naming the size its header declares. */
async function oversizeError(input: Buffer, format: ImageFormat, maxPixels: number, cause: unknown): Promise<VadError> {
  const { width = 0, height = 0 } = await sharp(input, { limitInputPixels: false })
    .metadata()
    .catch(() => ({ width: 0, height: 0 }));
  return badImage(
    `the image is ${width}x${height} (${width * height} pixels), over the limit of ${maxPixels} pixels (VAD_MAX_PIXELS): send smaller frames`,
    { format, width, height, maxPixels },
    cause,
  );
}
