/**
 * The three building blocks of the CycleGAN generator, and the downsampling
 * block the PatchGAN discriminator reuses.
 *
 * Each block is a function from a symbolic tensor to a symbolic tensor, so
 * that networks are composed with tfjs's functional API and save as standard
 * `model.json` files. {@link blockModel} wraps one block as a model of its
 * own, to run it on a real image.
 *
 * Shapes are [batch, height, width, channels].
 *
 * @module
 */
import { tf } from "./tf.ts";
import { InstanceNorm } from "./instance_norm.ts";
import { ReflectionPad2D } from "./reflection_pad.ts";

type Symbolic = tf.SymbolicTensor;

/** Activations used after a block's normalisation. */
export type Activation = "relu" | "leakyRelu" | "none";

/**
 * Weight initialisation as in the reference: N(0, 0.02). Every layer gets its
 * own seed derived from one base seed, so a network repeats for a seed.
 */
export class WeightInit {
  #count = 0;

  constructor(readonly seed: number, readonly stddev = 0.02) {}

  /** The initializer for the next layer's kernel. */
  next(): ReturnType<typeof tf.initializers.randomNormal> {
    this.#count += 1;
    return tf.initializers.randomNormal({
      mean: 0,
      stddev: this.stddev,
      seed: this.seed * 7919 + this.#count,
    });
  }
}

/** Options shared by the blocks. */
export interface BlockOptions {
  /** Output channels. */
  filters: number;
  /** Initializer source; a fresh one seeded with 0 when left out. */
  init?: WeightInit;
  /** Prefix for layer names, so saved weights are readable. */
  name?: string;
  /** Instance norm after the convolution (default true). */
  norm?: boolean;
  /** Activation at the end (default "relu"). */
  activation?: Activation;
}

function activate(
  x: Symbolic,
  activation: Activation,
  name?: string,
): Symbolic {
  if (activation === "relu") {
    return tf.layers.reLU({ name: name && `${name}_relu` }).apply(
      x,
    ) as Symbolic;
  }
  if (activation === "leakyRelu") {
    return tf.layers.leakyReLU({ alpha: 0.2, name: name && `${name}_lrelu` })
      .apply(x) as Symbolic;
  }
  return x;
}

function normalize(x: Symbolic, norm: boolean, name?: string): Symbolic {
  if (!norm) return x;
  return new InstanceNorm({ name: name && `${name}_norm` }).apply(
    x,
  ) as Symbolic;
}

/**
 * Downsampling block: 4x4 convolution with stride 2, instance norm and an
 * activation. [b, h, w, c] -> [b, h/2, w/2, filters].
 *
 * `zeroPad: true` pads by one pixel and convolves without padding, as the
 * PatchGAN reference does; with `stride: 1` that shrinks the map by one
 * pixel. Otherwise "same" padding keeps sizes exact multiples.
 */
export function downsampleBlock(
  x: Symbolic,
  options: BlockOptions & { stride?: 1 | 2; zeroPad?: boolean },
): Symbolic {
  const { filters, name, stride = 2, zeroPad = false } = options;
  const init = options.init ?? new WeightInit(0);
  const norm = options.norm ?? true;
  let y = x;
  if (zeroPad) {
    y = tf.layers.zeroPadding2d({ padding: 1, name: name && `${name}_pad` })
      .apply(y) as Symbolic;
  }
  y = tf.layers.conv2d({
    filters,
    kernelSize: 4,
    strides: stride,
    padding: zeroPad ? "valid" : "same",
    useBias: !norm,
    kernelInitializer: init.next(),
    name: name && `${name}_conv`,
  }).apply(y) as Symbolic;
  y = normalize(y, norm, name);
  return activate(y, options.activation ?? "relu", name);
}

/**
 * Residual block: reflection pad, 3x3 conv, norm, ReLU, reflection pad, 3x3
 * conv, norm, and the input added back (He et al. 2016). The skip connection
 * lets the block learn only a change to its input, so deep stacks of them
 * keep the image's content. Shape is unchanged: [b, h, w, c] -> [b, h, w, c].
 */
export function residualBlock(
  x: Symbolic,
  options: Omit<BlockOptions, "filters" | "activation" | "norm">,
): Symbolic {
  const { name } = options;
  const init = options.init ?? new WeightInit(0);
  const channels = x.shape[3];
  if (channels == null) {
    throw new Error("residualBlock needs a known channel count");
  }
  let y: Symbolic = x;
  for (const part of ["a", "b"]) {
    const partName = name && `${name}_${part}`;
    y = new ReflectionPad2D({ padding: 1, name: partName && `${partName}_pad` })
      .apply(y) as Symbolic;
    y = tf.layers.conv2d({
      filters: channels,
      kernelSize: 3,
      padding: "valid",
      useBias: false,
      kernelInitializer: init.next(),
      name: partName && `${partName}_conv`,
    }).apply(y) as Symbolic;
    y = normalize(y, true, partName);
    if (part === "a") y = activate(y, "relu", partName);
  }
  return tf.layers.add({ name: name && `${name}_skip` }).apply([
    x,
    y,
  ]) as Symbolic;
}

/**
 * Upsampling block: 4x4 transposed convolution with stride 2, instance norm
 * and ReLU. [b, h, w, c] -> [b, 2h, 2w, filters].
 */
export function upsampleBlock(x: Symbolic, options: BlockOptions): Symbolic {
  const { filters, name } = options;
  const init = options.init ?? new WeightInit(0);
  const norm = options.norm ?? true;
  let y = tf.layers.conv2dTranspose({
    filters,
    kernelSize: 4,
    strides: 2,
    padding: "same",
    useBias: !norm,
    kernelInitializer: init.next(),
    name: name && `${name}_deconv`,
  }).apply(x) as Symbolic;
  y = normalize(y, norm, name);
  return activate(y, options.activation ?? "relu", name);
}

/**
 * Wraps one block as a model of its own, to run it on real images:
 *
 * ```ts
 * import { blockModel, downsampleBlock } from "./blocks.ts";
 * const down = blockModel(1, (x) => downsampleBlock(x, { filters: 8 }));
 * down.outputs[0].shape; // [null, null, null, 8]
 * ```
 */
export function blockModel(
  inputChannels: number,
  block: (x: Symbolic) => Symbolic,
  name?: string,
): tf.LayersModel {
  const input = tf.input({ shape: [null, null, inputChannels] });
  return tf.model({ inputs: input, outputs: block(input), name });
}
