/**
 * Lesson 03, exercise "receptive-field": how many input pixels one PatchGAN
 * score sees.
 *
 * A PatchGAN with `layers` strided layers is a stack of 4x4 convolutions:
 * `layers` of them with stride 2, then two with stride 1. Walking from the
 * input to the output, keep two numbers: the receptive field r (start 1)
 * and the jump j between neighbouring positions, in input pixels (start 1).
 * Each convolution with kernel k and stride s does
 *
 *   r <- r + (k - 1) * j
 *   j <- j * s
 *
 * Check it: deno task check receptive-field
 *
 * @module
 */

/** Side, in input pixels, of the square one score depends on. */
export function receptiveField(layers: number): number {
  // TODO(student): walk the layers and apply the two updates.
  void layers;
  throw new Error("Not implemented yet: receptiveField");
}
