/**
 * Image codecs: PNG and JPEG files to pixels, pixels to PNG, and a grid of
 * images as one PNG (the sample sheets the CLI and notebooks write).
 *
 * Decoding keeps what the file holds (8 or 16 bits, 1 to 4 channels, palette
 * expanded to RGB or RGBA); `toFloatPixels` then converts to the channel
 * count a model wants, in [-1, 1]. PNG is read and written by `fast-png`,
 * JPEG read by `jpeg-js`; both are pure JavaScript.
 *
 * ```ts
 * import { decodeImage, encodePng, toFloatPixels } from "./image_io.ts";
 * const png = encodePng({
 *   width: 2, height: 1, channels: 1, data: new Float32Array([-1, 1]),
 * });
 * const image = decodeImage(png, "two_pixels.png");
 * toFloatPixels(image, 3); // Float32Array [-1, -1, -1, 1, 1, 1]
 * ```
 *
 * @module
 */
import * as fastPng from "fast-png";
import jpeg from "jpeg-js";
import type { Images } from "../datasets/types.ts";

/** File formats `decodeImage` reads. */
export type ImageFormat = "png" | "jpeg";

/** Pixels as stored in a file, interleaved, row by row. */
export interface DecodedImage {
  width: number;
  height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** Samples, `height * width * channels` of them, 0..maxValue. */
  data: Uint8Array | Uint16Array;
  /** 255 for 8-bit (and lower) images, 65535 for 16-bit ones. */
  maxValue: number;
  /** Bits per sample in the file (1, 2, 4, 8 or 16). */
  bitDepth: number;
  format: ImageFormat;
  /** Whether the file stored a palette (expanded in `data`). */
  palette: boolean;
}

/** Pixels to encode: floats in [-1, 1], or integer samples. */
export interface PixelImage {
  width: number;
  height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /**
   * Interleaved samples: Float32Array values in [-1, 1] (clamped) become
   * 8-bit, Uint8Array is written as 8-bit, Uint16Array as 16-bit.
   */
  data: Float32Array | Uint8Array | Uint16Array;
}

/** Thrown for a file that is not a readable PNG or JPEG. */
export class ImageDecodeError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`Cannot read image ${path}: ${reason}`);
    this.name = "ImageDecodeError";
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Which format the first bytes announce, or a guess at what else it is. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return "jpeg";
  }
  return undefined;
}

function describeUnknown(bytes: Uint8Array): string {
  const ascii = String.fromCharCode(...bytes.subarray(0, 4));
  if (bytes.length === 0) return "the file is empty";
  if (ascii.startsWith("GIF8")) return "it is a GIF";
  if (ascii.startsWith("BM")) return "it looks like a BMP";
  if (ascii === "RIFF") return "it is a RIFF file (WebP?)";
  if (ascii === "II*\0" || ascii === "MM\0*") return "it is a TIFF";
  const hex = [...bytes.subarray(0, 8)]
    .map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
  return `its first bytes are ${hex}`;
}

/**
 * Decodes a PNG or JPEG file's bytes. `path` only names the file in errors.
 * Throws `ImageDecodeError` for an unknown format, a truncated or corrupt
 * file, or an image with no pixels.
 */
export function decodeImage(bytes: Uint8Array, path: string): DecodedImage {
  const format = sniffFormat(bytes);
  if (format === undefined) {
    throw new ImageDecodeError(
      path,
      `expected a PNG or JPEG file, but ${describeUnknown(bytes)}`,
    );
  }
  let image: DecodedImage;
  try {
    image = format === "png" ? decodePngFile(bytes) : decodeJpegFile(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ImageDecodeError(
      path,
      `corrupt or truncated ${format.toUpperCase()} (${reason})`,
    );
  }
  if (image.width < 1 || image.height < 1) {
    throw new ImageDecodeError(
      path,
      `image has no pixels (${image.width}x${image.height})`,
    );
  }
  const expected = image.width * image.height * image.channels;
  if (image.data.length < expected) {
    throw new ImageDecodeError(
      path,
      `truncated pixel data: ${image.data.length} samples, expected ${expected}`,
    );
  }
  return image;
}

function decodePngFile(bytes: Uint8Array): DecodedImage {
  const png = fastPng.decode(bytes, { checkCrc: true });
  const base = { width: png.width, height: png.height, format: "png" as const };
  if (png.palette) {
    const rgb = fastPng.convertIndexedToRgb(png);
    const channels = rgb.length / (png.width * png.height) === 4 ? 4 : 3;
    return {
      ...base,
      channels,
      data: rgb,
      maxValue: 255,
      bitDepth: png.depth,
      palette: true,
    };
  }
  const channels = png.channels as 1 | 2 | 3 | 4;
  if (png.depth === 16) {
    return {
      ...base,
      channels,
      data: png.data as Uint16Array,
      maxValue: 65535,
      bitDepth: 16,
      palette: false,
    };
  }
  const data = png.depth === 8
    ? Uint8Array.from(png.data)
    : unpackLowBitDepth(png.data as Uint8Array, png, channels);
  return {
    ...base,
    channels,
    data,
    maxValue: 255,
    bitDepth: png.depth,
    palette: false,
  };
}

/** 1-, 2- and 4-bit grey samples, packed per row, spread to 0..255. */
function unpackLowBitDepth(
  packed: Uint8Array,
  size: { width: number; height: number; depth: number },
  channels: number,
): Uint8Array {
  const { width, height, depth } = size;
  const samplesPerRow = width * channels;
  const bytesPerRow = Math.ceil((samplesPerRow * depth) / 8);
  const levels = (1 << depth) - 1;
  const out = new Uint8Array(samplesPerRow * height);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < samplesPerRow; i++) {
      const bit = i * depth;
      const byte = packed[y * bytesPerRow + (bit >> 3)];
      const value = (byte >> (8 - depth - (bit & 7))) & levels;
      out[y * samplesPerRow + i] = Math.round((value * 255) / levels);
    }
  }
  return out;
}

/** Components in the JPEG's frame header: 1 for a grey JPEG. */
function jpegComponents(bytes: Uint8Array): number {
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return 3;
    const marker = bytes[offset + 1];
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    const startOfFrame = marker >= 0xc0 && marker <= 0xcf &&
      marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (startOfFrame) return bytes[offset + 9];
    offset += 2 + length;
  }
  return 3;
}

function decodeJpegFile(bytes: Uint8Array): DecodedImage {
  const decoded = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    tolerantDecoding: false,
  });
  const rgb = decoded.data;
  const grey = jpegComponents(bytes) === 1;
  const data = grey ? new Uint8Array(decoded.width * decoded.height) : rgb;
  if (grey) {
    for (let i = 0; i < data.length; i++) data[i] = rgb[i * 3];
  }
  return {
    width: decoded.width,
    height: decoded.height,
    channels: grey ? 1 : 3,
    data,
    maxValue: 255,
    bitDepth: 8,
    format: "jpeg",
    palette: false,
  };
}

/**
 * Converts decoded pixels to `channels` float channels in [-1, 1].
 *
 * Like the reference CycleGAN's loader (PIL's `convert`): alpha is dropped,
 * grey is repeated into R, G and B, and colour becomes grey by ITU-R BT.601
 * luma (0.299 R + 0.587 G + 0.114 B).
 */
export function toFloatPixels(
  image: DecodedImage,
  channels: 1 | 3,
): Float32Array {
  const count = image.width * image.height;
  const out = new Float32Array(count * channels);
  const scale = 2 / image.maxValue;
  const source = image.data;
  const stride = image.channels;
  const colour = stride >= 3;
  for (let p = 0; p < count; p++) {
    const at = p * stride;
    if (channels === 1) {
      const grey = colour
        ? 0.299 * source[at] + 0.587 * source[at + 1] + 0.114 * source[at + 2]
        : source[at];
      out[p] = grey * scale - 1;
    } else if (colour) {
      out[p * 3] = source[at] * scale - 1;
      out[p * 3 + 1] = source[at + 1] * scale - 1;
      out[p * 3 + 2] = source[at + 2] * scale - 1;
    } else {
      const grey = source[at] * scale - 1;
      out[p * 3] = grey;
      out[p * 3 + 1] = grey;
      out[p * 3 + 2] = grey;
    }
  }
  return out;
}

/** Float samples in [-1, 1] to bytes, clamping and mapping NaN to 0. */
export function floatToBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = Math.round((data[i] + 1) * 127.5);
    out[i] = value > 255 ? 255 : value > 0 ? value : 0;
  }
  return out;
}

/**
 * Encodes pixels as a PNG file. Float data is read as [-1, 1] and written
 * as 8-bit; Uint16Array data is written as 16-bit.
 */
export function encodePng(image: PixelImage): Uint8Array {
  const { width, height, channels, data } = image;
  if (
    !Number.isInteger(width) || !Number.isInteger(height) || width < 1 ||
    height < 1
  ) {
    throw new RangeError(
      `PNG size must be positive integers, got ${width}x${height}`,
    );
  }
  if (![1, 2, 3, 4].includes(channels)) {
    throw new RangeError(`PNG channels must be 1 to 4, got ${channels}`);
  }
  const expected = width * height * channels;
  if (data.length !== expected) {
    throw new RangeError(
      `PNG data has ${data.length} samples, expected ${width}x${height}x${channels} = ${expected}`,
    );
  }
  const samples = data instanceof Float32Array ? floatToBytes(data) : data;
  return fastPng.encode({
    width,
    height,
    channels,
    depth: samples instanceof Uint16Array ? 16 : 8,
    data: samples,
  });
}

/** One image of a stack as a `PixelImage` (float, [-1, 1]). */
export function imageAt(images: Images, index: number): PixelImage {
  const [count, height, width, channels] = images.shape;
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(
      `Image index must be in [0, ${count - 1}], got ${index}`,
    );
  }
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(`Images must have 1 or 3 channels, got ${channels}`);
  }
  const size = height * width * channels;
  return {
    width,
    height,
    channels,
    data: images.data.subarray(index * size, (index + 1) * size),
  };
}

/** How `imageGrid` lays out its cells. */
export interface GridOptions {
  /** Pixels between cells and around the edge. Default 2. */
  padding?: number;
  /** Grey level of the padding in [-1, 1]. Default 1 (white). */
  background?: number;
}

/**
 * Tiles image stacks into one RGB or grey picture: each stack is a row,
 * its images left to right (e.g. rows of real A, fake B, cycled A). Stacks
 * may differ in size and channels: cells take the largest size, grey is
 * shown as RGB when any stack is in colour.
 *
 * ```ts
 * import { encodePng, imageGrid } from "./image_io.ts";
 * const realA = { data: new Float32Array(2 * 4 * 4), shape: [2, 4, 4, 1] as [number, number, number, number] };
 * const png = encodePng(imageGrid([realA, realA]));
 * ```
 */
export function imageGrid(
  rows: Images[],
  options: GridOptions = {},
): PixelImage {
  const padding = options.padding ?? 2;
  const background = options.background ?? 1;
  if (rows.length === 0) {
    throw new RangeError("imageGrid needs at least one row");
  }
  const channels = rows.some((row) => row.shape[3] === 3) ? 3 : 1;
  const cellHeight = Math.max(...rows.map((row) => row.shape[1]));
  const cellWidth = Math.max(...rows.map((row) => row.shape[2]));
  const columns = Math.max(...rows.map((row) => row.shape[0]));
  const width = padding + columns * (cellWidth + padding);
  const height = padding + rows.length * (cellHeight + padding);
  const data = new Float32Array(width * height * channels).fill(background);
  rows.forEach((row, r) => {
    for (let c = 0; c < row.shape[0]; c++) {
      const cell = imageAt(row, c);
      const top = padding + r * (cellHeight + padding);
      const left = padding + c * (cellWidth + padding);
      for (let y = 0; y < cell.height; y++) {
        for (let x = 0; x < cell.width; x++) {
          const to = ((top + y) * width + left + x) * channels;
          const from = (y * cell.width + x) * cell.channels;
          for (let k = 0; k < channels; k++) {
            data[to + k] = cell.data[from + (cell.channels === 3 ? k : 0)];
          }
        }
      }
    }
  });
  return { width, height, channels, data };
}
