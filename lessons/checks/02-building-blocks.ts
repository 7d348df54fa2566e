/**
 * Checks of lesson 02: block shapes, instance norm and the residual block,
 * graded against the library's own blocks.
 *
 * @module
 */
import { tf } from "../../lib/tf.ts";
import { instanceNorm as referenceInstanceNorm } from "../../lib/instance_norm.ts";
import {
  blockModel,
  downsampleBlock,
  residualBlock as referenceResidualBlock,
  upsampleBlock,
} from "../../lib/blocks.ts";
import {
  countLeaks,
  type Exercise,
  expectClose,
  expectNoLeak,
  expectShape,
  exportedFunction,
  exportedValue,
  fixedNormal,
  formatNumber,
  formatShape,
  Hint,
  type Lesson,
  type StudentModule,
} from "./harness.ts";

type Symbolic = tf.SymbolicTensor;

/** The output shape a block gives a batch of `inputShape`, by running it. */
function runShape(
  inputShape: [number, number, number, number],
  block: (x: Symbolic) => Symbolic,
): number[] {
  const model = blockModel(inputShape[3], block);
  const shape = tf.tidy(() => {
    const output = model.predict(tf.zeros(inputShape)) as tf.Tensor;
    return output.shape;
  });
  model.dispose();
  return shape;
}

const blockShapes: Exercise = {
  id: "block-shapes",
  title: "Predict the blocks' output shapes",
  file: "block_shapes.ts",
  checks: [
    {
      name: "downsampling block on [1, 64, 64, 8]",
      run: (m) =>
        expectShape(
          exportedValue(m, "downsampled"),
          runShape([1, 64, 64, 8], (x) => downsampleBlock(x, { filters: 16 })),
          "downsampled",
        ),
    },
    {
      name: "residual block on [2, 16, 16, 32]",
      run: (m) =>
        expectShape(
          exportedValue(m, "residual"),
          runShape([2, 16, 16, 32], (x) => referenceResidualBlock(x, {})),
          "residual",
        ),
    },
    {
      name: "upsampling block on [1, 16, 16, 32]",
      run: (m) =>
        expectShape(
          exportedValue(m, "upsampled"),
          runShape([1, 16, 16, 32], (x) => upsampleBlock(x, { filters: 8 })),
          "upsampled",
        ),
    },
    {
      name: "3x3 valid conv on [2, 10, 10, 1]",
      run: (m) =>
        expectShape(
          exportedValue(m, "validConv"),
          runShape(
            [2, 10, 10, 1],
            (x) =>
              tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "valid" })
                .apply(x) as Symbolic,
          ),
          "validConv",
        ),
    },
    {
      name: "transposedConvOutputSize matches tfjs's conv2dTranspose",
      run: (m) => {
        const predict = exportedFunction<
          (n: number, k: number, s: number, p: "same" | "valid") => number
        >(m, "transposedConvOutputSize");
        for (const padding of ["same", "valid"] as const) {
          for (const [size, kernel, stride] of CONV_CASES) {
            const layer = tf.layers.conv2dTranspose({
              filters: 1,
              kernelSize: kernel,
              strides: stride,
              padding,
            });
            const expected = (layer.computeOutputShape([
              1,
              size,
              size,
              1,
            ]) as number[])[1];
            const got = predict(size, kernel, stride, padding);
            if (got !== expected) {
              throw new Hint(
                `input ${size}, kernel ${kernel}, stride ${stride}, ` +
                  `padding "${padding}": expected ${expected}, got ${got}`,
              );
            }
          }
        }
      },
    },
  ],
};

const CONV_CASES: [number, number, number][] = [
  [16, 4, 2],
  [5, 3, 2],
  [7, 3, 1],
  [8, 4, 1],
  [3, 1, 2],
  [10, 5, 3],
];

/** Inputs whose images and channels have clearly different statistics. */
function instanceNormInputs() {
  return tf.tidy(() => {
    const noise = fixedNormal([2, 5, 6, 3], 11) as tf.Tensor4D;
    // Image 0 and 1, channel 0..2: different means and spreads per pair.
    const scale = tf.tensor4d([1, 3, 0.5, 2, 0.25, 4], [2, 1, 1, 3]);
    const shift = tf.tensor4d([2, -1, 0.5, -3, 1, 5], [2, 1, 1, 3]);
    return {
      x: tf.add(tf.mul(noise, scale), shift) as tf.Tensor4D,
      gamma: tf.tensor1d([1.5, 0.5, -2]),
      beta: tf.tensor1d([0.25, -1, 3]),
    };
  });
}

type InstanceNormFn = (
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon?: number,
) => tf.Tensor4D;

const instanceNormFn = (m: StudentModule) =>
  exportedFunction<InstanceNormFn>(m, "instanceNorm");

const instanceNormExercise: Exercise = {
  id: "instance-norm",
  title: "Implement instance normalisation",
  file: "instance_norm.ts",
  checks: [
    {
      name: "each image and channel comes out with mean 0 and std 1",
      run: async (m) => {
        const student = instanceNormFn(m);
        const { x, gamma, beta } = instanceNormInputs();
        const ones = tf.ones([3]) as tf.Tensor1D;
        const zeros = tf.zeros([3]) as tf.Tensor1D;
        try {
          const y = student(x, ones, zeros);
          if (!(y instanceof tf.Tensor)) {
            throw new Hint("expected a tensor back");
          }
          if (y.shape.join() !== x.shape.join()) {
            throw new Hint(
              `expected the input's shape ${formatShape(x.shape)}, got ${
                formatShape(y.shape)
              }`,
            );
          }
          const { mean, variance } = tf.moments(y, [1, 2]);
          const [means, variances] = [await mean.data(), await variance.data()];
          tf.dispose([y, mean, variance]);
          for (let i = 0; i < means.length; i++) {
            const where = `image ${Math.floor(i / 3)}, channel ${i % 3}`;
            if (!(Math.abs(means[i]) < 1e-3)) {
              throw new Hint(
                `with gamma = 1 and beta = 0, the mean over height and width ` +
                  `of ${where} came out ${formatNumber(means[i])}, expected ` +
                  `0: each image and channel needs its own statistics`,
              );
            }
            const std = Math.sqrt(variances[i]);
            if (!(Math.abs(std - 1) < 1e-2)) {
              throw new Hint(
                `with gamma = 1 and beta = 0, the standard deviation of ` +
                  `${where} came out ${formatNumber(std)}, expected 1 ` +
                  `(divide by the square root of the variance plus epsilon; ` +
                  `the variance averages over height x width values)`,
              );
            }
          }
        } finally {
          tf.dispose([x, gamma, beta, ones, zeros]);
        }
      },
    },
    {
      name: "gamma scales and beta shifts each channel",
      run: async (m) => {
        const student = instanceNormFn(m);
        const { x, gamma, beta } = instanceNormInputs();
        const expected = referenceInstanceNorm(x, gamma, beta);
        try {
          const got = student(x, gamma, beta);
          await expectClose(got, expected, "output", 1e-4);
          tf.dispose(got);
        } finally {
          tf.dispose([x, gamma, beta, expected]);
        }
      },
    },
    {
      name: "a blank (constant) image gives finite values",
      run: async (m) => {
        const student = instanceNormFn(m);
        const x = tf.fill([1, 4, 4, 2], 0.7) as tf.Tensor4D;
        const gamma = tf.tensor1d([2, 3]);
        const beta = tf.tensor1d([0.5, -0.5]);
        try {
          const got = student(x, gamma, beta);
          const values = await got.data();
          tf.dispose(got);
          if (values.some((v) => !Number.isFinite(v))) {
            throw new Hint(
              `a constant image came out as ${values[0]}: its variance is ` +
                `0, so the division needs epsilon to stay finite`,
            );
          }
          const expected = referenceInstanceNorm(x, gamma, beta);
          const reference = tf.tensor(values, x.shape);
          try {
            await expectClose(reference, expected, "blank image output", 1e-4);
          } finally {
            tf.dispose([expected, reference]);
          }
        } finally {
          tf.dispose([x, gamma, beta]);
        }
      },
    },
    {
      name: "gradients for x, gamma and beta match the library's",
      run: async (m) => {
        const student = instanceNormFn(m);
        const { x, gamma, beta } = instanceNormInputs();
        const weights = fixedNormal(x.shape, 5);
        const loss =
          (fn: InstanceNormFn) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
            tf.sum(
              tf.mul(
                fn(a as tf.Tensor4D, b as tf.Tensor1D, c as tf.Tensor1D),
                weights,
              ),
            ) as tf.Scalar;
        const expected = tf.grads(loss(referenceInstanceNorm))([
          x,
          gamma,
          beta,
        ]);
        try {
          const got = tf.grads(loss(student))([x, gamma, beta]);
          try {
            const names = [
              "gradient for x",
              "gradient for gamma",
              "gradient for beta",
            ];
            for (let i = 0; i < 3; i++) {
              await expectClose(got[i], expected[i], names[i], 1e-3);
            }
          } finally {
            tf.dispose(got);
          }
        } finally {
          tf.dispose([x, gamma, beta, weights, ...expected]);
        }
      },
    },
    {
      name: "no tensors left behind",
      run: async (m) => {
        const student = instanceNormFn(m);
        const { x, gamma, beta } = instanceNormInputs();
        try {
          const leaked = await countLeaks(
            () => student(x, gamma, beta),
            (y) => tf.dispose(y),
          );
          expectNoLeak(leaked, "instanceNorm");
        } finally {
          tf.dispose([x, gamma, beta]);
        }
      },
    },
  ],
};

type ResidualBlockFn = (x: Symbolic) => Symbolic;

const CHANNELS = 4;
const SIZE = 8;

/**
 * Why a block's output shape is wrong, in words, or undefined when it is
 * right: `what` names whose shape it is.
 */
function shapeProblem(
  shape: readonly (number | null)[],
  what: string,
): string | undefined {
  const expected = [null, SIZE, SIZE, CHANNELS];
  if (shape.join() === expected.join()) return undefined;
  const height = shape[1] ?? SIZE;
  let why = "";
  if (height < SIZE) {
    why = `: ${SIZE - height} pixels lost; a 3x3 "valid" conv shrinks each ` +
      `side by 1, so each one needs 1 pixel of padding before it`;
  } else if (height > SIZE) {
    why = `: ${height - SIZE} pixels gained; pad by exactly what each 3x3 ` +
      `conv removes`;
  } else if (shape[3] !== CHANNELS) {
    why = ": each conv needs as many filters as the input has channels";
  }
  return `on a ${formatShape(expected)} input ${what} gave ${
    formatShape(shape)
  }, expected the same shape${why}`;
}

/** The student's block as a model on [batch, 8, 8, 4] images. */
function studentBlock(m: StudentModule): tf.LayersModel {
  const block = exportedFunction<ResidualBlockFn>(m, "residualBlock");
  const input = tf.input({ shape: [SIZE, SIZE, CHANNELS] });
  let output: unknown;
  try {
    output = block(input);
  } catch (error) {
    // The add layer refuses a branch whose shape differs from the input's.
    const shapes = /shapes \[(\d+),(\d+),(\d+)\] \[(\d+),(\d+),(\d+)\]/.exec(
      (error as Error).message,
    );
    if (!shapes) throw error;
    const branch = [null, ...shapes.slice(4, 7).map(Number)];
    throw new Hint(
      `the input could not be added back: ${
        shapeProblem(branch, "the branch")
      }`,
    );
  }
  if (!(output instanceof tf.SymbolicTensor)) {
    throw new Hint(
      "residualBlock must return the symbolic tensor of its last layer",
    );
  }
  return tf.model({ inputs: input, outputs: output });
}

function convLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((layer) => layer.getClassName() === "Conv2D");
}

function withBlock<T>(
  m: StudentModule,
  body: (model: tf.LayersModel) => Promise<T>,
): Promise<T> {
  const model = studentBlock(m);
  return body(model).finally(() => model.dispose());
}

/** An input with a strong pattern at the borders, where padding matters. */
function blockInput(): tf.Tensor4D {
  return fixedNormal([2, SIZE, SIZE, CHANNELS], 3) as tf.Tensor4D;
}

const residualBlockExercise: Exercise = {
  id: "residual-block",
  title: "Build the residual block",
  file: "residual_block.ts",
  checks: [
    {
      name: "keeps the shape [batch, height, width, channels]",
      run: (m) =>
        withBlock(m, (model) => {
          const problem = shapeProblem(model.outputs[0].shape, "the block");
          if (problem) throw new Hint(problem);
          return Promise.resolve();
        }),
    },
    {
      name: "two 3x3 convolutions, each followed by instance norm",
      run: (m) =>
        withBlock(m, (model) => {
          const convs = convLayers(model);
          const kernels = convs.map((layer) => layer.getWeights()[0].shape);
          const norms = model.layers.filter((layer) =>
            layer.getClassName() === "InstanceNorm"
          ).length;
          const want = [3, 3, CHANNELS, CHANNELS].join();
          if (
            convs.length !== 2 || kernels.some((k) =>
              k.join() !== want
            )
          ) {
            throw new Hint(
              `expected 2 conv layers with ${CHANNELS} filters and kernel ` +
                `3x3, found ${convs.length}: kernels ${
                  kernels.map(formatShape).join(", ") || "none"
                }`,
            );
          }
          if (norms !== 2) {
            throw new Hint(`expected 2 InstanceNorm layers, found ${norms}`);
          }
          return Promise.resolve();
        }),
    },
    {
      name: "skip connection: with the second conv zeroed, output = input",
      run: (m) =>
        withBlock(m, async (model) => {
          const convs = convLayers(model);
          if (convs.length < 1) throw new Hint("the block has no conv layer");
          const last = convs[convs.length - 1];
          tf.tidy(() =>
            last.setWeights(last.getWeights().map((w) => tf.zerosLike(w)))
          );
          const x = blockInput();
          const y = model.predict(x) as tf.Tensor;
          const relu = tf.relu(x);
          try {
            const [got, input, rectified] = await Promise.all([
              y.data(),
              x.data(),
              relu.data(),
            ]);
            let largest = 0;
            let rectifiedMatch = true;
            for (let i = 0; i < got.length; i++) {
              largest = Math.max(largest, Math.abs(got[i] - input[i]));
              if (Math.abs(got[i] - rectified[i]) > 1e-4) {
                rectifiedMatch = false;
              }
            }
            if (largest <= 1e-4) return;
            if (rectifiedMatch) {
              throw new Hint(
                "with the second conv zeroed, negative inputs came out as 0: " +
                  "the ReLU belongs inside the branch after the first norm, " +
                  "not after the addition",
              );
            }
            throw new Hint(
              "with the second conv's weights set to 0 the branch adds " +
                "nothing, so the block should return its input unchanged " +
                `(y = x + F(x)); the output differed from the input by up ` +
                `to ${formatNumber(largest)}. Is the input added back at ` +
                `the end?`,
            );
          } finally {
            tf.dispose([x, y, relu]);
          }
        }),
    },
    {
      name: "with the library's weights, the same output as its block",
      run: (m) =>
        withBlock(m, async (model) => {
          const reference = blockModel(
            CHANNELS,
            (x) => referenceResidualBlock(x, {}),
          );
          const x = blockInput();
          try {
            const referenceKernels = convLayers(reference).map((layer) =>
              layer.getWeights()[0]
            );
            const convs = convLayers(model);
            if (convs.length !== referenceKernels.length) {
              throw new Hint(
                `expected ${referenceKernels.length} conv layers, found ${convs.length}`,
              );
            }
            convs.forEach((layer, i) => {
              const weights = layer.getWeights();
              if (
                weights[0].shape.join() !== referenceKernels[i].shape.join()
              ) {
                throw new Hint(
                  `conv ${i + 1} has kernel ${
                    formatShape(weights[0].shape)
                  }, ` +
                    `expected ${formatShape(referenceKernels[i].shape)}`,
                );
              }
              // Library convs have no bias (instance norm would remove it).
              tf.tidy(() =>
                layer.setWeights([
                  referenceKernels[i],
                  ...weights.slice(1).map((w) => tf.zerosLike(w)),
                ])
              );
            });
            const expected = reference.predict(x) as tf.Tensor;
            const got = model.predict(x) as tf.Tensor;
            try {
              await expectClose(got, expected, "output", 1e-3).catch(
                (error) => {
                  throw new Hint(
                    `${error.message}. Border pixels differing first ` +
                      `points to the padding (reflected, not zeros); ` +
                      `everywhere to the order of pad, conv, norm and ReLU`,
                  );
                },
              );
            } finally {
              tf.dispose([expected, got]);
            }
          } finally {
            x.dispose();
            reference.dispose();
          }
        }),
    },
  ],
};

export const lesson: Lesson = {
  id: "02",
  slug: "02-building-blocks",
  title: "The building blocks",
  exercises: [blockShapes, instanceNormExercise, residualBlockExercise],
};
