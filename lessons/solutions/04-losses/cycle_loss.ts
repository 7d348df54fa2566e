/**
 * Reference solution of lesson 04, exercise "cycle-loss".
 *
 * @module
 */
import { tf } from "../../../lib/tf.ts";

export function cycleLoss(
  real: tf.Tensor,
  cycled: tf.Tensor,
  weight = 10,
): tf.Scalar {
  // L1, not L2: it punishes small errors as much as large ones, so the
  // round trip keeps edges sharp instead of averaging them away.
  return tf.tidy(() =>
    tf.mul(weight, tf.mean(tf.abs(tf.sub(real, cycled)))) as tf.Scalar
  );
}

export function identityLoss(
  real: tf.Tensor,
  same: tf.Tensor,
  weight = 5,
): tf.Scalar {
  return tf.tidy(() =>
    tf.mul(weight, tf.mean(tf.abs(tf.sub(real, same)))) as tf.Scalar
  );
}
