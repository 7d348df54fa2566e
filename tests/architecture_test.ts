import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import {
  blockModel,
  downsampleBlock,
  residualBlock,
  upsampleBlock,
} from "../lib/blocks.ts";
import { createGenerator } from "../lib/generator.ts";
import { createDiscriminator, patchGeometry } from "../lib/discriminator.ts";

await tf.setBackend("cpu");

Deno.test("downsampling block halves height and width", () => {
  const block = blockModel(3, (x) => downsampleBlock(x, { filters: 8 }));
  const y = block.predict(tf.zeros([2, 32, 24, 3])) as tf.Tensor;
  assert.deepEqual(y.shape, [2, 16, 12, 8]);
  const kernel = block.getWeights()[0];
  assert.deepEqual(kernel.shape, [4, 4, 3, 8], "4x4 kernel");
});

Deno.test("residual block keeps the shape and adds its input back", async () => {
  const block = blockModel(6, (x) => residualBlock(x, {}));
  const x = tf.randomNormal([1, 8, 8, 6], 0, 1, "float32", 4);
  const y = block.predict(x) as tf.Tensor;
  assert.deepEqual(y.shape, [1, 8, 8, 6]);
  const kernels = block.getWeights().filter((w) => w.rank === 4);
  assert.deepEqual(kernels.map((k) => k.shape), [[3, 3, 6, 6], [3, 3, 6, 6]]);
  // With the second convolution zeroed, the block is exactly the identity.
  const lastConv = block.layers.filter((l) => l.name.includes("conv")).at(-1)!;
  lastConv.setWeights(lastConv.getWeights().map((w) => tf.zerosLike(w)));
  const identity = block.predict(x) as tf.Tensor;
  const diff = await tf.max(tf.abs(tf.sub(identity, x))).data();
  assert.ok(
    diff[0] < 1e-6,
    `skip connection should pass the input through, max diff ${diff[0]}`,
  );
});

Deno.test("upsampling block doubles height and width with a 4x4 transposed conv", () => {
  const block = blockModel(8, (x) => upsampleBlock(x, { filters: 4 }));
  const y = block.predict(tf.zeros([1, 5, 7, 8])) as tf.Tensor;
  assert.deepEqual(y.shape, [1, 10, 14, 4]);
  assert.deepEqual(block.getWeights()[0].shape, [4, 4, 4, 8]);
});

Deno.test("generator maps [b, s, s, in] to [b, s, s, out] in [-1, 1] for 32-256 px", async () => {
  for (
    const [inputChannels, outputChannels] of [[1, 1], [3, 3], [1, 3], [3, 1]]
  ) {
    const generator = createGenerator({
      inputChannels,
      outputChannels,
      filters: 4,
      residualBlocks: 1,
    });
    const sizes = inputChannels === outputChannels ? [32, 64, 128, 256] : [32];
    for (const size of sizes) {
      const y = tf.tidy(() =>
        generator.predict(
          tf.randomNormal([1, size, size, inputChannels], 0, 3),
        ) as tf.Tensor
      );
      assert.deepEqual(y.shape, [1, size, size, outputChannels]);
      const values = await y.data();
      assert.ok(values.every((v) => v >= -1 && v <= 1), "tanh output range");
      y.dispose();
    }
    generator.dispose();
  }
});

Deno.test("generator layout: stem, 2 down, N residual, 2 up, head", () => {
  const generator = createGenerator({
    inputChannels: 1,
    outputChannels: 1,
    filters: 8,
    residualBlocks: 3,
    inputSize: 64,
  });
  const convs = generator.layers.filter((l) => /conv$/.test(l.name));
  const kernelShapes = convs.map((l) => l.getWeights()[0].shape);
  assert.deepEqual(kernelShapes[0], [7, 7, 1, 8]);
  assert.deepEqual(kernelShapes[1], [4, 4, 8, 16]);
  assert.deepEqual(kernelShapes[2], [4, 4, 16, 32]);
  assert.equal(
    kernelShapes.filter((s) => s[0] === 3).length,
    6,
    "two 3x3 convs per residual block",
  );
  assert.deepEqual(kernelShapes.at(-1), [7, 7, 8, 1]);
  assert.equal(
    generator.layers.filter((l) => l.name.endsWith("_deconv")).length,
    2,
  );
  assert.deepEqual(generator.outputs[0].shape, [null, 64, 64, 1]);
});

Deno.test("weights start as N(0, 0.02) and repeat for a seed", () => {
  const make = (seed: number) =>
    createGenerator({
      inputChannels: 1,
      outputChannels: 1,
      filters: 16,
      residualBlocks: 1,
      seed,
    });
  const kernel = (g: tf.LayersModel) =>
    Array.from(g.getWeights()[0].dataSync());
  const a = kernel(make(3));
  const b = kernel(make(3));
  const c = kernel(make(4));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  assert.ok(
    Math.abs(mean) < 0.005 && Math.abs(std - 0.02) < 0.004,
    `std ${std}`,
  );
});

Deno.test("PatchGAN returns a patch map of the size patchGeometry predicts", () => {
  const discriminator = createDiscriminator({ inputChannels: 3, filters: 4 });
  for (const size of [32, 64, 128, 256]) {
    const y = tf.tidy(() =>
      discriminator.predict(tf.zeros([2, size, size, 3])) as tf.Tensor
    );
    const { outputSize } = patchGeometry(size);
    assert.deepEqual(y.shape, [2, outputSize, outputSize, 1]);
    y.dispose();
  }
  assert.deepEqual(patchGeometry(256), {
    receptiveField: 70,
    stride: 8,
    outputSize: 30,
  });
  assert.equal(patchGeometry(128, 2).receptiveField, 34);
  assert.equal(patchGeometry(128, 4).receptiveField, 142);
  assert.throws(() => patchGeometry(16), /larger input than 16 px/);
});
