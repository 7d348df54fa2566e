/**
 * Checks a backend's convolution kernels against another backend's, forward
 * and backward, on the layer shapes the CycleGAN uses. The tests run it to
 * hold our own kernels to tfjs's cpu backend; it also tells a user whether a
 * backend computes what the reference does.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { createGenerator } from "../generator.ts";
import { createDiscriminator } from "../discriminator.ts";

/** One convolution layer to check. */
export interface ConvCase {
  /** Readable name, e.g. "4x4 stride-2 conv". */
  name: string;
  /** "conv" for Conv2D, "transpose" for a transposed convolution. */
  kind: "conv" | "transpose";
  batch: number;
  /** Input height and width. */
  size: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  pad: "same" | "valid";
}

/** The model's layer shapes, at small sizes, for 1 and 3 image channels. */
export function cycleGanConvCases(): ConvCase[] {
  const cases: ConvCase[] = [];
  for (const batch of [1, 2]) {
    for (const channels of [1, 3]) {
      const c = (
        name: string,
        kind: ConvCase["kind"],
        size: number,
        inChannels: number,
        outChannels: number,
        kernel: number,
        stride: number,
        pad: ConvCase["pad"],
      ) =>
        cases.push({
          name: `${name}, ${channels} ch, batch ${batch}`,
          kind,
          batch,
          size,
          inChannels,
          outChannels,
          kernel,
          stride,
          pad,
        });
      c("7x7 stem conv", "conv", 14, channels, 4, 7, 1, "valid");
      c("4x4 stride-2 conv", "conv", 12, 4, 8, 4, 2, "same");
      c("3x3 residual conv", "conv", 8, 8, 8, 3, 1, "valid");
      c("4x4 stride-2 transposed conv", "transpose", 6, 8, 4, 4, 2, "same");
      c("7x7 head conv", "conv", 14, 4, channels, 7, 1, "valid");
      c("4x4 stride-2 PatchGAN conv", "conv", 14, channels, 4, 4, 2, "valid");
      c("4x4 stride-1 PatchGAN conv", "conv", 7, 8, 1, 4, 1, "valid");
      c("4x4 stride-1 PatchGAN conv, wide", "conv", 7, 4, 8, 4, 1, "valid");
    }
  }
  return cases;
}

/** Output, input gradient and filter gradient of one case. */
export interface ConvResult {
  y: Float32Array;
  dx: Float32Array;
  dFilter: Float32Array;
}

function seeded(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

/**
 * Runs one case on the active backend: y = conv(x, w), then the gradients
 * of sum(y * r) for a fixed random r, all from seeded inputs.
 */
export async function runConvCase(c: ConvCase): Promise<ConvResult> {
  const xShape: [number, number, number, number] = [
    c.batch,
    c.size,
    c.size,
    c.inChannels,
  ];
  const filterShape: [number, number, number, number] = c.kind === "conv"
    ? [c.kernel, c.kernel, c.inChannels, c.outChannels]
    : [c.kernel, c.kernel, c.outChannels, c.inChannels];
  const outSize = c.kind === "transpose"
    ? c.size * c.stride
    : c.pad === "same"
    ? Math.ceil(c.size / c.stride)
    : Math.floor((c.size - c.kernel) / c.stride) + 1;
  const yShape = [c.batch, outSize, outSize, c.outChannels];
  const count = (s: number[]) => s.reduce((a, b) => a * b, 1);

  const x = tf.tensor4d(seeded(count(xShape), 1), xShape);
  const w = tf.tensor4d(seeded(count(filterShape), 2), filterShape);
  const r = tf.tensor(seeded(count(yShape), 3), yShape);
  const forward = (xi: tf.Tensor4D, wi: tf.Tensor4D) =>
    c.kind === "conv" ? tf.conv2d(xi, wi, c.stride, c.pad) : tf.conv2dTranspose(
      xi,
      wi,
      yShape as [number, number, number, number],
      c.stride,
      c.pad,
    );
  const y = forward(x, w);
  const grads = tf.grads((xi: tf.Tensor, wi: tf.Tensor) =>
    tf.sum(tf.mul(forward(xi as tf.Tensor4D, wi as tf.Tensor4D), r))
  )([x, w]);
  const result = {
    y: await y.data() as Float32Array,
    dx: await grads[0].data() as Float32Array,
    dFilter: await grads[1].data() as Float32Array,
  };
  tf.dispose([x, w, r, y, ...grads]);
  return result;
}

/** Largest absolute difference over the largest absolute reference value. */
export function relativeError(
  actual: Float32Array,
  expected: Float32Array,
): number {
  if (actual.length !== expected.length) {
    throw new Error(
      `Cannot compare ${actual.length} values with ${expected.length}`,
    );
  }
  let diff = 0, scale = 0;
  for (let i = 0; i < actual.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/**
 * A whole small network's gradient on the current backend: a 1 -> 3
 * channel generator (4 filters, 1 residual block) into a PatchGAN, the
 * mean squared patch score of two fixed 32 px images, and its gradient
 * with respect to every weight. Returns the loss and each gradient by
 * name; no tensor is left behind. Seeded, so two backends can be compared.
 */
export async function smallModelGradients(): Promise<
  Map<string, Float32Array>
> {
  const generator = createGenerator({
    inputChannels: 1,
    outputChannels: 3,
    filters: 4,
    residualBlocks: 1,
    seed: 3,
  });
  const discriminator = createDiscriminator({ inputChannels: 3, filters: 4 });
  const image = new Float32Array(2 * 32 * 32).map((_, i) => Math.sin(i * 0.37));
  const x = tf.tensor4d(image, [2, 32, 32, 1]);
  const { value, grads } = tf.variableGrads(() =>
    tf.mean(
      tf.square(discriminator.apply(generator.apply(x)) as tf.Tensor),
    ) as tf.Scalar
  );
  // Layer names get a fresh suffix per model built; key by position.
  const out = new Map<string, Float32Array>();
  out.set("loss", await value.data() as Float32Array);
  for (const [i, g] of Object.values(grads).entries()) {
    out.set(`gradient ${i}`, await g.data() as Float32Array);
  }
  tf.dispose([x, value, ...Object.values(grads)]);
  generator.dispose();
  discriminator.dispose();
  return out;
}
