/**
 * Reference solution of lesson 06, exercise "psnr".
 *
 * @module
 */

export interface ImageStack {
  data: Float32Array;
  shape: readonly [number, number, number, number];
}

export function psnr(prediction: ImageStack, truth: ImageStack): number {
  const count = prediction.shape[0];
  const perImage = prediction.data.length / count;
  let total = 0;
  for (let n = 0; n < count; n++) {
    let squared = 0;
    for (let i = n * perImage; i < (n + 1) * perImage; i++) {
      // Both in [0, 1]: the difference halves.
      const difference = (prediction.data[i] - truth.data[i]) / 2;
      squared += difference * difference;
    }
    const mse = squared / perImage;
    total += mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
  }
  return total / count;
}
