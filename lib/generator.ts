/**
 * The CycleGAN generator (Johnson et al. 2016, as used by Zhu et al. 2017):
 *
 *   7x7 stem -> 2 downsampling blocks -> N residual blocks
 *            -> 2 upsampling blocks -> 7x7 head -> tanh
 *
 * It is fully convolutional: one set of weights translates images of any
 * size that is a multiple of 4 (two halvings, two doublings). Outputs lie in
 * [-1, 1], the range the data is scaled to.
 *
 * @module
 */
import { tf } from "./tf.ts";
import {
  downsampleBlock,
  residualBlock,
  upsampleBlock,
  WeightInit,
} from "./blocks.ts";
import { InstanceNorm } from "./instance_norm.ts";
import { ReflectionPad2D } from "./reflection_pad.ts";
import { checkImageSize } from "./config.ts";

type Symbolic = tf.SymbolicTensor;

/** What the generator needs to know. */
export interface GeneratorOptions {
  /** Channels of the images it reads (1 or 3). */
  inputChannels: number;
  /** Channels of the images it writes (1 or 3). */
  outputChannels: number;
  /** Filters of the stem; 2x and 4x that after each downsampling. */
  filters: number;
  /** Residual blocks in the middle (9 at 256 px, 6 at 128 px usually). */
  residualBlocks: number;
  /** Seed for the N(0, 0.02) weight initialisation. */
  seed?: number;
  /** Model name, also the prefix of its layer names. */
  name?: string;
  /**
   * Fixed input size, for architecture tables; leave out for a model that
   * takes any multiple-of-4 size.
   */
  inputSize?: number;
}

/** Builds a generator. */
export function createGenerator(options: GeneratorOptions): tf.LayersModel {
  const { inputChannels, outputChannels, filters, residualBlocks } = options;
  const name = options.name ?? "generator";
  const init = new WeightInit(options.seed ?? 0);
  if (options.inputSize !== undefined) checkImageSize(options.inputSize);
  const size = options.inputSize ?? null;
  const input = tf.input({
    shape: [size, size, inputChannels],
    name: `${name}_input`,
  });

  let x: Symbolic = new ReflectionPad2D({
    padding: 3,
    name: `${name}_stem_pad`,
  })
    .apply(input) as Symbolic;
  x = tf.layers.conv2d({
    filters,
    kernelSize: 7,
    padding: "valid",
    useBias: false,
    kernelInitializer: init.next(),
    name: `${name}_stem_conv`,
  }).apply(x) as Symbolic;
  x = new InstanceNorm({ name: `${name}_stem_norm` }).apply(x) as Symbolic;
  x = tf.layers.reLU({ name: `${name}_stem_relu` }).apply(x) as Symbolic;

  x = downsampleBlock(x, { filters: filters * 2, init, name: `${name}_down1` });
  x = downsampleBlock(x, { filters: filters * 4, init, name: `${name}_down2` });
  for (let i = 1; i <= residualBlocks; i++) {
    x = residualBlock(x, { init, name: `${name}_res${i}` });
  }
  x = upsampleBlock(x, { filters: filters * 2, init, name: `${name}_up1` });
  x = upsampleBlock(x, { filters, init, name: `${name}_up2` });

  x = new ReflectionPad2D({ padding: 3, name: `${name}_head_pad` })
    .apply(x) as Symbolic;
  x = tf.layers.conv2d({
    filters: outputChannels,
    kernelSize: 7,
    padding: "valid",
    activation: "tanh",
    kernelInitializer: init.next(),
    name: `${name}_head_conv`,
  }).apply(x) as Symbolic;

  return tf.model({ inputs: input, outputs: x, name });
}
