/** The fused instance norm against the same maths in plain tfjs ops. */
import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { fusedInstanceNorm } from "../lib/kernels/instance_norm.ts";
import { relativeError } from "../lib/kernels/check.ts";

function composed(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): tf.Tensor {
  const { mean, variance } = tf.moments(x, [1, 2], true);
  const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
  return tf.add(tf.mul(y, gamma), beta);
}

Deno.test("fused instance norm matches the composed ops, values and gradients", async () => {
  await tf.setBackend("cpu");
  const x = tf.randomNormal([2, 5, 6, 3], 1, 3, "float32", 1) as tf.Tensor4D;
  const gamma = tf.tensor1d([1.5, -0.5, 2]);
  const beta = tf.tensor1d([0.1, 0.2, -0.3]);
  const weights = tf.randomNormal([2, 5, 6, 3], 0, 1, "float32", 2);
  const run = (norm: typeof composed) =>
    tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(
        tf.mul(
          norm(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5),
          weights,
        ),
      )
    )([x, gamma, beta]);
  const expected = run(composed);
  const actual = run(fusedInstanceNorm);
  for (let i = 0; i < 3; i++) {
    const error = relativeError(
      await actual[i].data() as Float32Array,
      await expected[i].data() as Float32Array,
    );
    assert.ok(error <= 1e-4, `gradient ${i} differs by ${error}`);
  }
  const y = relativeError(
    await fusedInstanceNorm(x, gamma, beta, 1e-5).data() as Float32Array,
    await composed(x, gamma, beta, 1e-5).data() as Float32Array,
  );
  assert.ok(y <= 1e-5, `values differ by ${y}`);
});

Deno.test("fused instance norm keeps fewer tensors alive for the backward pass", () => {
  const x = tf.randomNormal([1, 8, 8, 4]) as tf.Tensor4D;
  const gamma = tf.ones([4]) as tf.Tensor1D;
  const beta = tf.zeros([4]) as tf.Tensor1D;
  const peak = (norm: typeof composed) => {
    let most = 0;
    tf.grad((a: tf.Tensor) => {
      const before = tf.memory().numTensors;
      const y = tf.sum(norm(a as tf.Tensor4D, gamma, beta, 1e-5));
      most = tf.memory().numTensors - before;
      return y;
    })(x).dispose();
    return most;
  };
  const fused = peak(fusedInstanceNorm), plain = peak(composed);
  assert.ok(fused < plain, `fused keeps ${fused} tensors, composed ${plain}`);
});
