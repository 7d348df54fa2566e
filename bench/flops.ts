/**
 * Floating-point work of one CycleGAN training step, counted from the
 * architecture: convolution and transposed-convolution multiply-adds only
 * (norms, activations and the optimizer are a few percent more and are left
 * out, as is usual).
 *
 * Model: a step runs 6 generator passes (two translations, two round trips,
 * two identity mappings) and 6 discriminator passes (2 in the generator
 * update, 4 in the discriminator update); each pass costs its forward
 * multiply-adds x 2 FLOP, and its backward pass twice the forward (input and
 * filter gradients), so x 3 in all.
 *
 * @module
 */

/** What the count depends on. */
export interface FlopConfig {
  imageSize: number;
  channels: number;
  generatorFilters: number;
  residualBlocks: number;
  discriminatorFilters: number;
  discriminatorLayers: number;
  batchSize: number;
}

/** Multiply-adds of one generator forward pass on one image. */
export function generatorMacs(c: FlopConfig): number {
  const s = c.imageSize, f = c.generatorFilters;
  const conv = (size: number, k: number, cin: number, cout: number) =>
    size * size * k * k * cin * cout;
  return conv(s, 7, c.channels, f) + // stem
    conv(s / 2, 4, f, 2 * f) + // down 1 (output positions)
    conv(s / 4, 4, 2 * f, 4 * f) + // down 2
    c.residualBlocks * 2 * conv(s / 4, 3, 4 * f, 4 * f) +
    conv(s / 4, 4, 4 * f, 2 * f) + // up 1 (input positions)
    conv(s / 2, 4, 2 * f, f) + // up 2
    conv(s, 7, f, c.channels); // head
}

/** Multiply-adds of one PatchGAN forward pass on one image. */
export function discriminatorMacs(c: FlopConfig): number {
  let size = c.imageSize, cin = c.channels, macs = 0;
  const layers = c.discriminatorLayers;
  for (let i = 0; i < layers + 2; i++) {
    const stride = i < layers ? 2 : 1;
    const cout = i === layers + 1
      ? 1
      : c.discriminatorFilters * Math.min(2 ** i, 8);
    size = Math.floor((size + 2 - 4) / stride) + 1;
    macs += size * size * 16 * cin * cout;
    cin = cout;
  }
  return macs;
}

/** FLOP of one training step (see the module's counting model). */
export function stepFlops(c: FlopConfig): number {
  return c.batchSize * 6 * 2 * 3 *
    (generatorMacs(c) + discriminatorMacs(c));
}
