import sharp from 'sharp';
import { AirlockError } from '../errors.js';

/** Decoded pixels: 8-bit RGB, interleaved, row-major. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** File name endings treated as images by `airlock run --input` and batch jobs. */
export const IMAGE_EXTENSIONS = [
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.bmp',
  '.avif',
] as const;

export function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Largest image accepted (pixels): guards against decompression bombs. */
export const MAX_IMAGE_PIXELS = 64 * 1024 * 1024;

/**
 * Decodes PNG, JPEG, WebP, GIF, TIFF, AVIF (what libvips reads) into 8-bit RGB. Transparency is
 * flattened onto white (text on a transparent background stays readable), EXIF rotation applied.
 */
export async function decodeImage(bytes: Uint8Array, name = 'the image'): Promise<RawImage> {
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  } catch (cause) {
    throw new AirlockError(
      'MEDIA_READ_FAILED',
      `${name} is not an image Airlock can read (${(cause as Error).message.split('\n')[0]}). Use a PNG, JPEG or WebP file that opens in an image viewer.`,
      { cause, details: { file: name } },
    );
  }
}

/** Resizes with libvips (bilinear-class kernel); `fill` stretches to exactly width × height. */
export async function resizeImage(
  image: RawImage,
  width: number,
  height: number,
  fit: 'fill' | 'contain' | 'cover' = 'fill',
): Promise<RawImage> {
  if (image.width === width && image.height === height) return image;
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .resize(width, height, { fit, kernel: 'linear', background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/** Copies a rectangle out of an image (clamped to its bounds). */
export function cropImage(image: RawImage, x0: number, y0: number, x1: number, y1: number): RawImage {
  const left = Math.max(0, Math.min(image.width - 1, Math.floor(x0)));
  const top = Math.max(0, Math.min(image.height - 1, Math.floor(y0)));
  const right = Math.max(left + 1, Math.min(image.width, Math.ceil(x1)));
  const bottom = Math.max(top + 1, Math.min(image.height, Math.ceil(y1)));
  const width = right - left;
  const height = bottom - top;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * 3;
    data.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}

/** Turns an image upside down (rotation by 180°). */
export function rotate180(image: RawImage): RawImage {
  const n = image.width * image.height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const j = (n - 1 - i) * 3;
    data[i * 3] = image.data[j]!;
    data[i * 3 + 1] = image.data[j + 1]!;
    data[i * 3 + 2] = image.data[j + 2]!;
  }
  return { width: image.width, height: image.height, data };
}
