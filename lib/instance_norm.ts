/**
 * Instance normalisation (Ulyanov et al. 2016): every image and channel is
 * normalised over its own height and width, then scaled and shifted by a
 * learnt per-channel gamma and beta. CycleGAN uses it instead of batch norm
 * because style is a per-image statistic and batches are tiny.
 *
 * On a blank (constant) image the variance is zero; epsilon keeps both the
 * output and its gradient finite there.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { fusedInstanceNorm } from "./kernels/instance_norm.ts";

/** Default epsilon, as in PyTorch's InstanceNorm2d. */
export const INSTANCE_NORM_EPSILON = 1e-5;

/**
 * Normalises `x` ([batch, height, width, channels]) per image and channel,
 * then applies `gamma` and `beta` ([channels]) when given.
 */
export function instanceNorm(
  x: tf.Tensor4D,
  gamma?: tf.Tensor1D,
  beta?: tf.Tensor1D,
  epsilon = INSTANCE_NORM_EPSILON,
): tf.Tensor4D {
  // One op with a closed-form gradient: far fewer tensors on the tape.
  if (gamma && beta) return fusedInstanceNorm(x, gamma, beta, epsilon);
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    return y as tf.Tensor4D;
  });
}

/** Serialisable settings of {@link InstanceNorm}. */
export interface InstanceNormArgs {
  epsilon?: number;
  name?: string;
}

/** Instance normalisation as a tfjs layer, with a learnt gamma and beta. */
export class InstanceNorm extends tf.layers.Layer {
  static className = "InstanceNorm";
  readonly epsilon: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;

  constructor(args: InstanceNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? INSTANCE_NORM_EPSILON;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape =
      (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null) {
      throw new Error(
        `InstanceNorm needs a known channel count, got shape ${
          JSON.stringify(shape)
        }`,
      );
    }
    this.gamma = this.addWeight(
      "gamma",
      [channels],
      "float32",
      tf.initializers.ones(),
    );
    this.beta = this.addWeight(
      "beta",
      [channels],
      "float32",
      tf.initializers.zeros(),
    );
    this.built = true;
  }

  override computeOutputShape(
    inputShape: tf.Shape | tf.Shape[],
  ): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return instanceNorm(
      x,
      this.gamma.read() as tf.Tensor1D,
      this.beta.read() as tf.Tensor1D,
      this.epsilon,
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(InstanceNorm);
