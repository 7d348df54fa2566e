/**
 * Image quality against a ground truth: mean absolute error, peak
 * signal-to-noise ratio and structural similarity (Wang et al. 2004).
 *
 * Inputs are stacks of images, [count, height, width, channels], with
 * values in [-1, 1] as the models produce them; every metric first maps
 * them to [0, 1], the range the figures are quoted in. Each returns the
 * mean over the stack. Plain arrays in, plain numbers out: the metrics work
 * the same whatever backend produced the images.
 *
 * @module
 */

/** A stack of images as plain values. */
export interface ImageStack {
  data: Float32Array | number[];
  shape: readonly [number, number, number, number];
}

function checkPair(prediction: ImageStack, truth: ImageStack, what: string) {
  const same = prediction.shape.length === 4 &&
    prediction.shape.every((n, i) => n === truth.shape[i]);
  if (!same) {
    throw new RangeError(
      `${what}: prediction shape [${prediction.shape}] differs from ground truth [${truth.shape}]`,
    );
  }
  const size = prediction.shape.reduce((a, b) => a * b, 1);
  if (prediction.data.length !== size || truth.data.length !== size) {
    throw new RangeError(
      `${what}: data length does not match shape [${prediction.shape}]`,
    );
  }
}

const toUnit = (v: number) => (v + 1) / 2;

/** Mean absolute error in [0, 1] units. */
export function meanAbsoluteError(
  prediction: ImageStack,
  truth: ImageStack,
): number {
  checkPair(prediction, truth, "MAE");
  let sum = 0;
  for (let i = 0; i < prediction.data.length; i++) {
    sum += Math.abs(toUnit(prediction.data[i]) - toUnit(truth.data[i]));
  }
  return sum / prediction.data.length;
}

/**
 * Peak signal-to-noise ratio in dB, peak 1, averaged over images. Identical
 * images give Infinity.
 */
export function psnr(prediction: ImageStack, truth: ImageStack): number {
  checkPair(prediction, truth, "PSNR");
  const [count] = prediction.shape;
  const per = prediction.data.length / count;
  let total = 0;
  for (let n = 0; n < count; n++) {
    let squared = 0;
    for (let i = n * per; i < (n + 1) * per; i++) {
      const d = toUnit(prediction.data[i]) - toUnit(truth.data[i]);
      squared += d * d;
    }
    const mse = squared / per;
    total += mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
  }
  return total / count;
}

function gaussianKernel(sigma: number, radius: number): Float64Array {
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
    sum += kernel[i + radius];
  }
  return kernel.map((v) => v / sum);
}

/** Separable Gaussian blur of one plane, "valid" region only. */
function blur(
  plane: Float64Array,
  height: number,
  width: number,
  kernel: Float64Array,
): { data: Float64Array; height: number; width: number } {
  const k = kernel.length;
  const w1 = width - k + 1;
  const h1 = height - k + 1;
  const rows = new Float64Array(height * w1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < w1; x++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += kernel[i] * plane[y * width + x + i];
      rows[y * w1 + x] = s;
    }
  }
  const out = new Float64Array(h1 * w1);
  for (let y = 0; y < h1; y++) {
    for (let x = 0; x < w1; x++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += kernel[i] * rows[(y + i) * w1 + x];
      out[y * w1 + x] = s;
    }
  }
  return { data: out, height: h1, width: w1 };
}

/**
 * Structural similarity with the usual settings (11x11 Gaussian window,
 * sigma 1.5, K1 = 0.01, K2 = 0.03, data range 1), averaged over the valid
 * windows of every channel of every image. 1 means identical.
 */
export function ssim(prediction: ImageStack, truth: ImageStack): number {
  checkPair(prediction, truth, "SSIM");
  const [count, height, width, channels] = prediction.shape;
  const radius = Math.min(5, Math.floor((Math.min(height, width) - 1) / 2));
  const kernel = gaussianKernel(1.5, radius);
  const c1 = (0.01) ** 2;
  const c2 = (0.03) ** 2;
  let total = 0;
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < channels; c++) {
      const x = new Float64Array(height * width);
      const y = new Float64Array(height * width);
      for (let i = 0; i < height * width; i++) {
        const index = (n * height * width + i) * channels + c;
        x[i] = toUnit(prediction.data[index]);
        y[i] = toUnit(truth.data[index]);
      }
      const mx = blur(x, height, width, kernel);
      const my = blur(y, height, width, kernel);
      const xx = blur(x.map((v) => v * v), height, width, kernel).data;
      const yy = blur(y.map((v) => v * v), height, width, kernel).data;
      const xy = blur(x.map((v, i) => v * y[i]), height, width, kernel).data;
      let sum = 0;
      for (let i = 0; i < mx.data.length; i++) {
        const ux = mx.data[i];
        const uy = my.data[i];
        const vx = xx[i] - ux * ux;
        const vy = yy[i] - uy * uy;
        const cov = xy[i] - ux * uy;
        sum += ((2 * ux * uy + c1) * (2 * cov + c2)) /
          ((ux * ux + uy * uy + c1) * (vx + vy + c2));
      }
      total += sum / mx.data.length;
    }
  }
  return total / (count * channels);
}

/** The three metrics at once. */
export interface QualityScores {
  psnr: number;
  ssim: number;
  mae: number;
}

/** PSNR, SSIM and MAE of `prediction` against `truth`. */
export function compareImages(
  prediction: ImageStack,
  truth: ImageStack,
): QualityScores {
  return {
    psnr: psnr(prediction, truth),
    ssim: ssim(prediction, truth),
    mae: meanAbsoluteError(prediction, truth),
  };
}
