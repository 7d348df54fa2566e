/**
 * Lesson 02, exercise "instance-norm": implement instance normalisation.
 *
 * For every image n and channel c of x ([batch, height, width, channels]):
 *
 *   mean[n, c]     = average of x[n, :, :, c] over height and width
 *   variance[n, c] = average of (x[n, :, :, c] - mean[n, c])^2
 *   y[n, h, w, c]  = gamma[c] * (x[n, h, w, c] - mean[n, c])
 *                      / sqrt(variance[n, c] + epsilon) + beta[c]
 *
 * Rules: use tfjs ops only (`tf.moments`, `tf.sub`, `tf.rsqrt`, ... are all
 * fair game), and leave no tensors behind (the caller owns the result only).
 *
 * Check it: deno task check instance-norm
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
  // TODO(student): normalise each image and channel over its height and
  // width, then scale by gamma and shift by beta.
  void [tf, x, gamma, beta, epsilon];
  throw new Error("Not implemented yet: instanceNorm");
}
