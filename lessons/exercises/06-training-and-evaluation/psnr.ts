/**
 * Lesson 06, exercise "psnr": peak signal-to-noise ratio against a ground
 * truth.
 *
 * Images come as a stack, `data` holding [count, height, width, channels]
 * values in [-1, 1] (what the generator outputs). Map each value to [0, 1]
 * first, v -> (v + 1) / 2, so the peak is 1. Then, per image,
 *
 *   MSE  = mean over its pixels of (prediction - truth)^2
 *   PSNR = 10 * log10(1 / MSE)       (Infinity when MSE is 0)
 *
 * and return the mean PSNR over the images of the stack.
 *
 * Check it: deno task check psnr
 *
 * @module
 */

export interface ImageStack {
  data: Float32Array;
  shape: readonly [number, number, number, number];
}

export function psnr(prediction: ImageStack, truth: ImageStack): number {
  // TODO(student): per-image MSE in [0, 1] units, then the mean PSNR in dB.
  void [prediction, truth];
  throw new Error("Not implemented yet: psnr");
}
