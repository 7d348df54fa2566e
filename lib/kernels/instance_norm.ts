/**
 * Instance norm as one differentiable op with a hand-written gradient.
 *
 * Composed of tfjs ops, an instance norm leaves five full-size tensors on
 * the gradient tape per layer (x - mean, its square, the normalised image,
 * its scaled and shifted copies), and every one stays alive until the whole
 * backward pass ends. As one `tf.customGrad` op it keeps only the
 * normalised image and the per-channel 1/std, and its backward pass is the
 * closed form (N = height * width, x^ the normalised image, g = dy * gamma):
 *
 *   dx     = (1/std) * (g - mean(g) - x^ * mean(g * x^))
 *   dgamma = sum(dy * x^),  dbeta = sum(dy)
 *
 * @module
 */
import { tf } from "../tf.ts";

/**
 * y = gamma * (x - mean) / sqrt(variance + epsilon) + beta, with the mean
 * and variance over height and width of each image and channel.
 * Shapes: x [batch, height, width, channels], gamma and beta [channels].
 */
export function fusedInstanceNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): tf.Tensor4D {
  const op = tf.customGrad(
    ((
      input: tf.Tensor,
      scale: tf.Tensor,
      shift: tf.Tensor,
      save: tf.GradSaveFunc,
    ) => {
      const mean = tf.mean(input, [1, 2], true);
      const centred = tf.sub(input, mean);
      const variance = tf.mean(tf.square(centred), [1, 2], true);
      const inverseStd = tf.rsqrt(tf.add(variance, epsilon));
      const normalised = tf.mul(centred, inverseStd);
      save([normalised, inverseStd, scale]);
      return {
        value: tf.add(tf.mul(normalised, scale), shift),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xHat, invStd, g] = saved;
          const scaled = tf.mul(dy, g);
          const dx = tf.mul(
            invStd,
            tf.sub(
              tf.sub(scaled, tf.mean(scaled, [1, 2], true)),
              tf.mul(xHat, tf.mean(tf.mul(scaled, xHat), [1, 2], true)),
            ),
          );
          const dGamma = tf.sum(tf.mul(dy, xHat), [0, 1, 2]);
          const dBeta = tf.sum(dy, [0, 1, 2]);
          return [dx, dGamma, dBeta];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return op(x, gamma, beta) as tf.Tensor4D;
}
