import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { InstanceNorm, instanceNorm } from "../lib/instance_norm.ts";

await tf.setBackend("cpu");

Deno.test("instance norm gives each image and channel zero mean, unit variance", async () => {
  const x = tf.randomUniform([2, 8, 8, 3], -5, 9, "float32", 1) as tf.Tensor4D;
  const y = instanceNorm(x);
  const { mean, variance } = tf.moments(y, [1, 2]);
  for (const m of await mean.data()) assert.ok(Math.abs(m) < 1e-5);
  for (const v of await variance.data()) assert.ok(Math.abs(v - 1) < 1e-3);
});

Deno.test("instance norm stays finite, values and gradients, on a blank image", async () => {
  const layer = new InstanceNorm();
  const blank = tf.fill([1, 8, 8, 2], 0.7) as tf.Tensor4D;
  const output = layer.apply(blank) as tf.Tensor;
  assert.ok((await output.data()).every(Number.isFinite));
  const weights = tf.randomNormal([1, 8, 8, 2], 0, 1, "float32", 2);
  const grads = tf.variableGrads(
    () => tf.sum(tf.mul(layer.apply(blank) as tf.Tensor, weights)) as tf.Scalar,
    layer.trainableWeights.map((w) => w.read() as tf.Variable),
  );
  for (const g of Object.values(grads.grads)) {
    assert.ok((await g.data()).every(Number.isFinite));
  }
  const inputGrad = tf.grad((t: tf.Tensor) =>
    tf.sum(tf.mul(layer.apply(t) as tf.Tensor, weights))
  )(blank);
  assert.ok((await inputGrad.data()).every(Number.isFinite));
});

Deno.test("instance norm applies its learnt scale and offset per channel", async () => {
  const x = tf.randomNormal([1, 4, 4, 2], 0, 1, "float32", 5) as tf.Tensor4D;
  const gamma = tf.tensor1d([2, 0.5]);
  const beta = tf.tensor1d([1, -1]);
  const y = instanceNorm(x, gamma, beta);
  const { mean, variance } = tf.moments(y, [1, 2]);
  const means = await mean.data();
  const variances = await variance.data();
  assert.ok(Math.abs(means[0] - 1) < 1e-5 && Math.abs(means[1] + 1) < 1e-5);
  assert.ok(
    Math.abs(variances[0] - 4) < 1e-2 && Math.abs(variances[1] - 0.25) < 1e-2,
  );
});
