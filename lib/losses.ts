/**
 * The CycleGAN objective (Zhu et al. 2017, eq. 3):
 *
 *   L(G, F, D_A, D_B) = L_GAN(G, D_B) + L_GAN(F, D_A) + lambda L_cyc(G, F)
 *
 * with G = generatorAB, F = generatorBA, D_A and D_B the discriminators of
 * the two domains (the paper writes X and Y for A and B),
 * plus the identity term of section 5.2, weighted lambda_id x lambda.
 * Every function takes tensors and returns a scalar tensor; the caller
 * owns it.
 *
 * @module
 */
import { tf } from "./tf.ts";
import type { AdversarialLossKind } from "./config.ts";

/**
 * What the generator wants: the discriminator's patch scores on its fakes
 * to read "real". Least squares: mean((D(fake) - 1)^2). Cross-entropy:
 * -mean(log sigmoid(D(fake))).
 */
export function generatorAdversarialLoss(
  fakeScores: tf.Tensor,
  kind: AdversarialLossKind = "lsgan",
): tf.Scalar {
  return tf.tidy(() => scoreLoss(fakeScores, 1, kind));
}

/**
 * What the discriminator wants: real patches scored 1 and fake patches 0.
 * Halved, as in the reference, so that D learns at half G's pace.
 */
export function discriminatorLoss(
  realScores: tf.Tensor,
  fakeScores: tf.Tensor,
  kind: AdversarialLossKind = "lsgan",
): tf.Scalar {
  return tf.tidy(() =>
    tf.mul(
      0.5,
      tf.add(scoreLoss(realScores, 1, kind), scoreLoss(fakeScores, 0, kind)),
    )
  );
}

function scoreLoss(
  scores: tf.Tensor,
  target: 0 | 1,
  kind: AdversarialLossKind,
): tf.Scalar {
  const labels = target === 1 ? tf.onesLike(scores) : tf.zerosLike(scores);
  if (kind === "lsgan") {
    return tf.mean(tf.squaredDifference(scores, labels)) as tf.Scalar;
  }
  return tf.losses.sigmoidCrossEntropy(labels, scores) as tf.Scalar;
}

/**
 * Cycle consistency (eq. 2): an image translated to the other domain and
 * back should come back unchanged. weight x mean(|real - cycled|).
 */
export function cycleConsistencyLoss(
  real: tf.Tensor,
  cycled: tf.Tensor,
  weight = 10,
): tf.Scalar {
  return tf.tidy(() =>
    tf.mul(weight, tf.mean(tf.abs(tf.sub(real, cycled)))) as tf.Scalar
  );
}

/**
 * Identity (section 5.2): a generator fed an image already in its output
 * domain should leave it alone, which keeps colours and intensities from
 * drifting. weight x mean(|real - G(real)|); the caller passes
 * lambda_id x lambda as the weight (0.5 x 10 = 5 by default).
 */
export function identityLoss(
  real: tf.Tensor,
  same: tf.Tensor,
  weight = 5,
): tf.Scalar {
  return tf.tidy(() =>
    tf.mul(weight, tf.mean(tf.abs(tf.sub(real, same)))) as tf.Scalar
  );
}
