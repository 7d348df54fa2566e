/**
 * Lesson 04, exercise "cycle-loss": the cycle-consistency and identity
 * losses.
 *
 *   cycleLoss(real, cycled, weight)  = weight * mean(|real - cycled|)
 *   identityLoss(real, same, weight) = weight * mean(|real - same|)
 *
 * `real`, `cycled` and `same` are image batches [batch, height, width,
 * channels]; both functions return a scalar tensor the caller owns, and
 * leave no other tensor behind.
 *
 * Check it: deno task check cycle-loss
 *
 * @module
 */
import { tf } from "../../../lib/tf.ts";

export function cycleLoss(
  real: tf.Tensor,
  cycled: tf.Tensor,
  weight = 10,
): tf.Scalar {
  // TODO(student): weight times the mean absolute difference (L1).
  void [tf, real, cycled, weight];
  throw new Error("Not implemented yet: cycleLoss");
}

export function identityLoss(
  real: tf.Tensor,
  same: tf.Tensor,
  weight = 5,
): tf.Scalar {
  // TODO(student): the same form as the cycle loss, on G(real) vs real.
  void [real, same, weight];
  throw new Error("Not implemented yet: identityLoss");
}
