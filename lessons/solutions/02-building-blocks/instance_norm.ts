/**
 * Reference solution of lesson 02, exercise "instance-norm". For
 * instructors: keep it away from students until they have tried.
 *
 * @module
 */
import { tf } from "../../../lib/tf.ts";

export function instanceNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon = 1e-5,
): tf.Tensor4D {
  return tf.tidy(() => {
    // Statistics per image and channel: reduce over height and width only.
    const { mean, variance } = tf.moments(x, [1, 2], true);
    const normalised = tf.mul(
      tf.sub(x, mean),
      tf.rsqrt(tf.add(variance, epsilon)),
    );
    return tf.add(tf.mul(normalised, gamma), beta) as tf.Tensor4D;
  });
}
