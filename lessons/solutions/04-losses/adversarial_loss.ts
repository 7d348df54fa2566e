/**
 * Reference solution of lesson 04, exercise "adversarial-loss".
 *
 * @module
 */
import { tf } from "../../../lib/tf.ts";

export function discriminatorLoss(
  realScores: tf.Tensor,
  fakeScores: tf.Tensor,
): tf.Scalar {
  return tf.tidy(() => {
    const real = tf.mean(tf.square(tf.sub(realScores, 1)));
    const fake = tf.mean(tf.square(fakeScores));
    // Halved so the discriminator learns at half the generator's pace.
    return tf.mul(0.5, tf.add(real, fake)) as tf.Scalar;
  });
}

export function generatorAdversarialLoss(fakeScores: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(fakeScores, 1))) as tf.Scalar);
}
