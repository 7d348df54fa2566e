import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { mirrorPadGradient, reflectionPad2d } from "../lib/reflection_pad.ts";
import { maxAbsDiff } from "./helpers.ts";

await tf.setBackend("cpu");

/** Central finite differences of sum(weights * f(x)) in float64 via JS. */
function numericGradient(
  f: (x: tf.Tensor4D) => tf.Tensor,
  x: tf.Tensor4D,
  weights: tf.Tensor,
): Float64Array {
  const base = x.dataSync() as Float32Array;
  const grad = new Float64Array(base.length);
  const h = 1e-2;
  for (let i = 0; i < base.length; i++) {
    const plus = base.slice();
    const minus = base.slice();
    plus[i] += h;
    minus[i] -= h;
    const value = (values: Float32Array) =>
      tf.tidy(() =>
        tf.sum(tf.mul(f(tf.tensor4d(values, x.shape)), weights)).dataSync()[0]
      );
    grad[i] = (value(plus) - value(minus)) / (2 * h);
  }
  return grad;
}

Deno.test("reflection padding pads with the mirrored pixels, edge excluded", async () => {
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
  const padded = reflectionPad2d(x, 1);
  assert.deepEqual(padded.shape, [1, 5, 5, 1]);
  assert.deepEqual(Array.from(await padded.data()).slice(0, 5), [
    5,
    4,
    5,
    6,
    5,
  ]);
  assert.throws(() => reflectionPad2d(x, 3), /larger than 3 pixels/);
});

Deno.test("MirrorPad gradient counts every copy of a pixel (reflect and symmetric)", async () => {
  const x = tf.ones([1, 3, 3, 1]) as tf.Tensor4D;
  const reflect = tf.grad((t: tf.Tensor) =>
    tf.sum(
      tf.mirrorPad(
        t as tf.Tensor4D,
        [[0, 0], [1, 1], [1, 1], [0, 0]],
        "reflect",
      ),
    )
  )(x);
  assert.deepEqual(Array.from(await reflect.data()), [
    1,
    3,
    1,
    3,
    9,
    3,
    1,
    3,
    1,
  ]);
  const symmetric = tf.grad((t: tf.Tensor) =>
    tf.sum(
      tf.mirrorPad(
        t as tf.Tensor4D,
        [[0, 0], [2, 2], [1, 1], [0, 0]],
        "symmetric",
      ),
    )
  )(x);
  assert.deepEqual(Array.from(await symmetric.data()), [
    4,
    2,
    4,
    6,
    3,
    6,
    4,
    2,
    4,
  ]);
});

Deno.test("MirrorPad gradient matches finite differences on the model's pads (1 and 3)", () => {
  for (const [size, pad, channels] of [[5, 1, 2], [7, 3, 1], [6, 3, 2]]) {
    const x = tf.randomNormal(
      [1, size, size + 1, channels],
      0,
      1,
      "float32",
      7,
    ) as tf.Tensor4D;
    const weights = tf.randomNormal(
      [1, size + 2 * pad, size + 1 + 2 * pad, channels],
      0,
      1,
      "float32",
      3,
    );
    const f = (t: tf.Tensor4D) => reflectionPad2d(t, pad);
    const analytic = tf.grad((t: tf.Tensor) =>
      tf.sum(tf.mul(f(t as tf.Tensor4D), weights))
    )(x);
    const numeric = numericGradient(f, x, weights);
    assert.ok(
      maxAbsDiff(analytic.dataSync(), numeric) < 1e-3,
      `size ${size} pad ${pad}: analytic and numeric gradients differ`,
    );
  }
});

Deno.test("mirrorPadGradient folds one axis at a time", async () => {
  const dy = tf.tensor1d([10, 1, 2, 3, 20]);
  const dx = mirrorPadGradient(dy, [[1, 1]], "reflect");
  assert.deepEqual(Array.from(await dx.data()), [1, 2 + 10 + 20, 3]);
});
