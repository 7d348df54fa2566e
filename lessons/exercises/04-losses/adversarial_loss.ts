/**
 * Lesson 04, exercise "adversarial-loss": the least-squares (LSGAN)
 * adversarial losses on PatchGAN score maps.
 *
 * The discriminator wants real patches scored 1 and fakes scored 0, and is
 * slowed down by a factor 1/2:
 *
 *   discriminatorLoss(real, fake) = 0.5 * (mean((real - 1)^2) + mean(fake^2))
 *
 * The generator wants its fakes scored as real:
 *
 *   generatorAdversarialLoss(fake) = mean((fake - 1)^2)
 *
 * Scores are maps [batch, rows, columns, 1]; return scalar tensors and leave
 * nothing else behind.
 *
 * Check it: deno task check adversarial-loss
 *
 * @module
 */
import { tf } from "../../../lib/tf.ts";

export function discriminatorLoss(
  realScores: tf.Tensor,
  fakeScores: tf.Tensor,
): tf.Scalar {
  // TODO(student): real patches towards 1, fake patches towards 0, halved.
  void [tf, realScores, fakeScores];
  throw new Error("Not implemented yet: discriminatorLoss");
}

export function generatorAdversarialLoss(fakeScores: tf.Tensor): tf.Scalar {
  // TODO(student): the generator's fakes towards "real".
  void fakeScores;
  throw new Error("Not implemented yet: generatorAdversarialLoss");
}
