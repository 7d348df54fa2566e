/**
 * Small shared helpers for the tests: a tiny config that trains in well
 * under a second a step on the cpu backend, and numeric comparisons.
 *
 * @module
 */
import { tf } from "../lib/tf.ts";
import type { CycleGANConfig } from "../lib/config.ts";

/** A CycleGAN small enough for unit tests (16 px, 4 filters). */
export const TINY: Partial<CycleGANConfig> = Object.freeze({
  imageSize: 16,
  generatorFilters: 4,
  residualBlocks: 1,
  discriminatorFilters: 4,
  discriminatorLayers: 2,
  poolSize: 2,
  seed: 1,
});

/** The largest absolute difference between two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new Error(`Lengths differ: ${a.length} vs ${b.length}`);
  }
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** A deterministic image batch in [-1, 1]: smooth stripes and a disc. */
export function patternBatch(
  batch: number,
  size: number,
  channels: number,
  phase = 0,
): tf.Tensor4D {
  const data = new Float32Array(batch * size * size * channels);
  let i = 0;
  for (let n = 0; n < batch; n++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < channels; c++) {
          const r = Math.hypot(x - size / 2, y - size / 2) / size;
          data[i++] = Math.tanh(
            Math.sin((x + phase + n) * 0.7 + c) + (r < 0.3 ? 0.8 : -0.4),
          );
        }
      }
    }
  }
  return tf.tensor4d(data, [batch, size, size, channels]);
}
