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
 * Names of single-kernel versions a backend may register (the native one
 * does): forward x, gamma, beta -> [y, normalised x, 1/std]; backward dy,
 * normalised x, 1/std, gamma -> [dx, dgamma, dbeta].
 */
const FORWARD_KERNEL = "CycleGANInstanceNorm";
const BACKWARD_KERNEL = "CycleGANInstanceNormGrad";

function hasKernel(name: string, channels: number): boolean {
  return channels <= 4096 && tf.getKernel(name, tf.getBackend()) != null;
}

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
  const backward = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [xHat, invStd, g] = saved;
    if (hasKernel(BACKWARD_KERNEL, g.shape[0])) {
      return tf.engine().runKernel(BACKWARD_KERNEL, {
        dy,
        xHat,
        invStd,
        gamma: g,
      }) as tf.Tensor[];
    }
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
  };
  const op = tf.customGrad(
    ((
      input: tf.Tensor,
      scale: tf.Tensor,
      shift: tf.Tensor,
      save: tf.GradSaveFunc,
    ) => {
      const channels = input.shape[3]!;
      if (hasKernel(FORWARD_KERNEL, channels)) {
        const [y, xHat, invStd] = tf.engine().runKernel(
          FORWARD_KERNEL,
          { x: input, gamma: scale, beta: shift },
          { epsilon } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor[];
        save([xHat, invStd, scale]);
        return { value: y, gradFunc: backward };
      }
      const mean = tf.mean(input, [1, 2], true);
      const centred = tf.sub(input, mean);
      const variance = tf.mean(tf.square(centred), [1, 2], true);
      const inverseStd = tf.rsqrt(tf.add(variance, epsilon));
      const normalised = tf.mul(centred, inverseStd);
      save([normalised, inverseStd, scale]);
      return {
        value: tf.add(tf.mul(normalised, scale), shift),
        gradFunc: backward,
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return op(x, gamma, beta) as tf.Tensor4D;
}
