/**
 * Image preprocessing as the reference CycleGAN does it: resize to a load
 * size, take a random crop, flip left-right at random; or, with no resizing,
 * pad or crop to a multiple of 4 so the generator's two downsamplings come
 * back to the same size.
 *
 * Images here are float, [height, width, channels] row by row.
 *
 * @module
 */
import type { SeededRandom } from "../lib/random.ts";

/** One float image, interleaved. */
export interface FloatImage {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

/**
 * How training images are prepared, after the reference's `--preprocess`:
 * - `resize_and_crop`: resize to loadSize x loadSize, random crop of `size`.
 * - `scale_width_and_crop`: scale the width to loadSize keeping the aspect
 *   ratio, random crop of `size` (padded if the height falls short).
 * - `crop`: random crop of `size` at the original scale (padded if small).
 * - `resize`: resize straight to `size` x `size`.
 * - `none`: keep the scale; pad or crop each side to a multiple of 4 around
 *   the centre. Images keep their own shapes.
 */
export type PreprocessMode =
  | "resize_and_crop"
  | "scale_width_and_crop"
  | "crop"
  | "resize"
  | "none";

export const PREPROCESS_MODES: readonly PreprocessMode[] = [
  "resize_and_crop",
  "scale_width_and_crop",
  "crop",
  "resize",
  "none",
];

/** Preprocessing settings. */
export interface PreprocessOptions {
  mode: PreprocessMode;
  /** Output side for the cropping and resizing modes. */
  size: number;
  /** Side (or width) to resize to before cropping. */
  loadSize: number;
  /** Random left-right flips (training only). */
  flip: boolean;
}

/**
 * Resamples with a triangle (bilinear) filter whose support widens when
 * shrinking, so downscaling averages instead of aliasing (as PIL does).
 */
export function resize(
  image: FloatImage,
  height: number,
  width: number,
): FloatImage {
  if (height === image.height && width === image.width) return image;
  const horizontal = resizeAxis(image, width, "x");
  return resizeAxis(horizontal, height, "y");
}

function resizeAxis(
  image: FloatImage,
  target: number,
  axis: "x" | "y",
): FloatImage {
  const source = axis === "x" ? image.width : image.height;
  if (source === target) return image;
  const scale = source / target;
  const support = Math.max(1, scale);
  const weights: { start: number; values: Float32Array }[] = [];
  for (let t = 0; t < target; t++) {
    const centre = (t + 0.5) * scale - 0.5;
    const start = Math.max(0, Math.ceil(centre - support));
    const end = Math.min(source - 1, Math.floor(centre + support));
    const values = new Float32Array(end - start + 1);
    let sum = 0;
    for (let s = start; s <= end; s++) {
      const w = Math.max(0, 1 - Math.abs(s - centre) / support);
      values[s - start] = w;
      sum += w;
    }
    if (sum === 0) {
      const nearest = Math.min(source - 1, Math.max(0, Math.round(centre)));
      weights.push({ start: nearest, values: Float32Array.of(1) });
      continue;
    }
    for (let k = 0; k < values.length; k++) values[k] /= sum;
    weights.push({ start, values });
  }
  const { channels } = image;
  const height = axis === "y" ? target : image.height;
  const width = axis === "x" ? target : image.width;
  const out = new Float32Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const { start, values } = weights[axis === "x" ? x : y];
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < values.length; k++) {
          const sx = axis === "x" ? start + k : x;
          const sy = axis === "y" ? start + k : y;
          sum += values[k] * image.data[(sy * image.width + sx) * channels + c];
        }
        out[(y * width + x) * channels + c] = sum;
      }
    }
  }
  return { data: out, height, width, channels };
}

/**
 * Cuts out (or pads to) a `height` x `width` window whose top-left corner
 * is at (top, left); pixels outside the image take `fill`.
 */
export function cropOrPad(
  image: FloatImage,
  top: number,
  left: number,
  height: number,
  width: number,
  fill = -1,
): FloatImage {
  const { channels } = image;
  const out = new Float32Array(height * width * channels).fill(fill);
  for (let y = 0; y < height; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= image.height) continue;
    for (let x = 0; x < width; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= image.width) continue;
      const from = (sy * image.width + sx) * channels;
      out.set(
        image.data.subarray(from, from + channels),
        (y * width + x) * channels,
      );
    }
  }
  return { data: out, height, width, channels };
}

/** Mirrors an image left to right. */
export function flipHorizontal(image: FloatImage): FloatImage {
  const { height, width, channels } = image;
  const out = new Float32Array(image.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * channels;
      const to = (y * width + (width - 1 - x)) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = image.data[from + c];
    }
  }
  return { data: out, height, width, channels };
}

/** The nearest multiple of 4 (at least 4), rounding halves up. */
export function nearestMultipleOf4(side: number): number {
  return Math.max(4, Math.round(side / 4) * 4);
}

/**
 * Prepares one image. `random` is used only for training (crop position,
 * flip); without it the crop is centred and nothing is flipped, which is
 * how test images are prepared.
 */
export function preprocess(
  image: FloatImage,
  options: PreprocessOptions,
  random?: SeededRandom,
): FloatImage {
  const { size, loadSize, mode } = options;
  let out = image;
  if (mode === "none") {
    const height = nearestMultipleOf4(image.height);
    const width = nearestMultipleOf4(image.width);
    out = cropOrPad(
      image,
      Math.floor((image.height - height) / 2),
      Math.floor((image.width - width) / 2),
      height,
      width,
    );
  } else if (mode === "resize") {
    out = resize(image, size, size);
  } else {
    if (mode === "resize_and_crop") {
      out = resize(image, loadSize, loadSize);
    } else if (mode === "scale_width_and_crop") {
      const height = Math.max(
        1,
        Math.round((image.height * loadSize) / image.width),
      );
      out = resize(image, height, loadSize);
    }
    const pickTop = out.height - size;
    const pickLeft = out.width - size;
    const top = pickTop <= 0
      ? Math.floor(pickTop / 2)
      : random
      ? random.int(pickTop + 1)
      : Math.floor(pickTop / 2);
    const left = pickLeft <= 0
      ? Math.floor(pickLeft / 2)
      : random
      ? random.int(pickLeft + 1)
      : Math.floor(pickLeft / 2);
    out = cropOrPad(out, top, left, size, size);
  }
  if (options.flip && random && random.next() < 0.5) out = flipHorizontal(out);
  return out;
}
