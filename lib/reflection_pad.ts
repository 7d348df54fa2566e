/**
 * Reflection padding with a correct gradient.
 *
 * The reference CycleGAN pads with reflected pixels before its 7x7 and 3x3
 * convolutions, so that the borders of a translated image do not darken.
 * tfjs implements this as the `MirrorPad` op, but the gradient it ships is a
 * plain slice of the centre: the reflected border pixels also came from the
 * input, and their share of the gradient is dropped. Importing this module
 * replaces that gradient, for every backend, with one that folds the border
 * gradients back onto the pixels they were copied from.
 *
 * @module
 */
import { tf } from "./tf.ts";

type MirrorMode = "reflect" | "symmetric";

/** Name of the one-pass gradient kernel a backend may register. */
const MIRROR_PAD_GRAD_KERNEL = "CycleGANMirrorPadGrad";

/**
 * Folds the gradient of one padded axis back onto the unpadded axis.
 *
 * In "reflect" mode the border copies skip the edge pixel (a b c -> b a b c
 * b); in "symmetric" mode they include it (a b c -> a a b c c).
 */
function foldAxis(
  dy: tf.Tensor,
  axis: number,
  before: number,
  after: number,
  mode: MirrorMode,
): tf.Tensor {
  if (before === 0 && after === 0) return dy.clone();
  const size = dy.shape[axis] - before - after;
  const shift = mode === "reflect" ? 1 : 0;
  const slice = (start: number, length: number) => {
    const begin = dy.shape.map(() => 0);
    const sizes = dy.shape.slice();
    begin[axis] = start;
    sizes[axis] = length;
    return tf.slice(dy, begin, sizes);
  };
  const padAlong = (t: tf.Tensor, lo: number, hi: number) =>
    tf.pad(t, dy.shape.map((_, i) => (i === axis ? [lo, hi] : [0, 0])));

  let dx = slice(before, size);
  if (before > 0) {
    // dy[before - 1 - j] is a copy of x[j + shift].
    const border = tf.reverse(slice(0, before), axis);
    dx = tf.add(dx, padAlong(border, shift, size - before - shift));
  }
  if (after > 0) {
    // dy[before + size + j] is a copy of x[size - 1 - shift - j].
    const border = tf.reverse(slice(before + size, after), axis);
    dx = tf.add(dx, padAlong(border, size - after - shift, shift));
  }
  return dx;
}

/** The gradient of `tf.mirrorPad`, border contributions included. */
export function mirrorPadGradient(
  dy: tf.Tensor,
  paddings: Array<[number, number]>,
  mode: MirrorMode,
): tf.Tensor {
  // A backend may fold all borders in one pass (the native one does).
  if (
    dy.rank <= 4 && dy.dtype === "float32" &&
    tf.getKernel(MIRROR_PAD_GRAD_KERNEL, tf.getBackend())
  ) {
    return tf.engine().runKernel(
      MIRROR_PAD_GRAD_KERNEL,
      { dy },
      { paddings, mode } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
  }
  return tf.tidy(() => {
    let dx = dy;
    paddings.forEach(([before, after], axis) => {
      dx = foldAxis(dx, axis, before, after, mode);
    });
    return dx;
  });
}

tf.registerGradient({
  kernelName: tf.MirrorPad,
  inputsToSave: ["x"],
  gradFunc: (dy, _saved, attrs) => {
    const { paddings, mode } = attrs as unknown as {
      paddings: Array<[number, number]>;
      mode: MirrorMode;
    };
    return { x: () => mirrorPadGradient(dy as tf.Tensor, paddings, mode) };
  },
});

/**
 * Pads the height and width of `x` ([batch, height, width, channels]) by
 * `amount` reflected pixels on every side.
 */
export function reflectionPad2d(x: tf.Tensor4D, amount: number): tf.Tensor4D {
  const [, height, width] = x.shape;
  if (amount >= height || amount >= width) {
    throw new RangeError(
      `Reflection padding of ${amount} needs an image larger than ` +
        `${amount} pixels on each side, got ${height}x${width}`,
    );
  }
  return tf.mirrorPad(
    x,
    [[0, 0], [amount, amount], [amount, amount], [0, 0]],
    "reflect",
  );
}

/** Serialisable settings of {@link ReflectionPad2D}. */
export interface ReflectionPad2DArgs {
  padding: number;
  name?: string;
}

/** {@link reflectionPad2d} as a tfjs layer. */
export class ReflectionPad2D extends tf.layers.Layer {
  static className = "ReflectionPad2D";
  readonly padding: number;

  constructor(args: ReflectionPad2DArgs) {
    super(args);
    this.padding = args.padding;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, height, width, channels] =
      (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const grow = (
      n: number | null,
    ) => (n == null ? null : n + 2 * this.padding);
    return [batch, grow(height), grow(width), channels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return reflectionPad2d(x, this.padding);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding };
  }
}
tf.serialization.registerClass(ReflectionPad2D);
