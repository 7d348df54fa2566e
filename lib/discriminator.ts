/**
 * The PatchGAN discriminator (Isola et al. 2017): a stack of 4x4
 * downsampling blocks that ends in a map of scores, one per overlapping
 * patch of the input, instead of one score per image. Each score only sees
 * its receptive field (70x70 pixels with the default 3 layers), so the
 * discriminator judges local texture and leaves global layout to the cycle
 * loss.
 *
 * Layers, as in the reference: C64 (no norm) -> C128 -> C256 (stride 2)
 * -> C512 (stride 1) -> 1-channel 4x4 conv (stride 1), LeakyReLU 0.2.
 * The scores are logits: no sigmoid, the loss decides how to read them.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { downsampleBlock, WeightInit } from "./blocks.ts";

type Symbolic = tf.SymbolicTensor;

/** What the discriminator needs to know. */
export interface DiscriminatorOptions {
  /** Channels of the images it judges. */
  inputChannels: number;
  /** Filters of the first layer; doubled per layer up to 8x. */
  filters: number;
  /** Strided layers (default 3, the 70x70 PatchGAN). */
  layers?: number;
  /** Seed for the N(0, 0.02) weight initialisation. */
  seed?: number;
  /** Model name, also the prefix of its layer names. */
  name?: string;
  /** Fixed input size, for architecture tables. */
  inputSize?: number;
}

/** Builds a PatchGAN discriminator. */
export function createDiscriminator(
  options: DiscriminatorOptions,
): tf.LayersModel {
  const { inputChannels, filters } = options;
  const layers = options.layers ?? 3;
  const name = options.name ?? "discriminator";
  const init = new WeightInit(options.seed ?? 0);
  const size = options.inputSize ?? null;
  const input = tf.input({
    shape: [size, size, inputChannels],
    name: `${name}_input`,
  });

  let x: Symbolic = input;
  for (const [i, layer] of patchLayers(layers).entries()) {
    const last = i === layers + 1;
    const width = last ? 1 : filters * Math.min(2 ** i, 8);
    x = downsampleBlock(x, {
      filters: width,
      stride: layer.stride,
      zeroPad: true,
      norm: i > 0 && !last,
      activation: last ? "none" : "leakyRelu",
      init,
      name: `${name}_c${i + 1}`,
    });
  }
  return tf.model({ inputs: input, outputs: x, name });
}

/** Kernel size and stride of each convolution of a PatchGAN. */
function patchLayers(layers: number): Array<{ kernel: 4; stride: 1 | 2 }> {
  return [
    ...Array.from(
      { length: layers },
      () => ({ kernel: 4 as const, stride: 2 as const }),
    ),
    { kernel: 4, stride: 1 },
    { kernel: 4, stride: 1 },
  ];
}

/** What one score of the patch map sees, and how many scores there are. */
export interface PatchGeometry {
  /** Side of the square of input pixels each score depends on. */
  receptiveField: number;
  /** Pixels between neighbouring scores' fields. */
  stride: number;
  /** Height and width of the score map for the given input size. */
  outputSize: number;
}

/**
 * Receptive field and output grid of a PatchGAN with `layers` strided layers
 * on an input of `inputSize` pixels:
 *
 * ```ts
 * import { patchGeometry } from "./discriminator.ts";
 * patchGeometry(256); // { receptiveField: 70, stride: 8, outputSize: 30 }
 * ```
 */
export function patchGeometry(inputSize: number, layers = 3): PatchGeometry {
  let receptiveField = 1;
  let stride = 1;
  let outputSize = inputSize;
  for (const layer of patchLayers(layers)) {
    receptiveField += (layer.kernel - 1) * stride;
    stride *= layer.stride;
    outputSize = Math.floor((outputSize + 2 - layer.kernel) / layer.stride) + 1;
  }
  if (outputSize < 1) {
    throw new RangeError(
      `A ${layers}-layer PatchGAN needs a larger input than ${inputSize} px`,
    );
  }
  return { receptiveField, stride, outputSize };
}
