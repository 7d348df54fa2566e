/**
 * Lesson 03, exercise "network-shapes": follow an image through the two
 * networks, on paper first.
 *
 * The generator here has 8 stem filters and 2 residual blocks; the
 * discriminator 8 first-layer filters and 3 strided layers (the 70x70
 * PatchGAN). Both read grey images: 1 channel.
 *
 * Check it: deno task check network-shapes
 *
 * @module
 */

/** The generator's output for a [1, 64, 64, 1] batch. */
export const generatorOutput: number[] = []; // TODO(student)

/**
 * The shape between the two halves of that generator (after the second
 * downsampling block, where the residual blocks work), same input.
 */
export const bottleneck: number[] = []; // TODO(student)

/** The discriminator's score map for a [1, 64, 64, 1] batch. */
export const discriminatorOutput: number[] = []; // TODO(student)

/** The discriminator's score map for a [4, 128, 128, 1] batch. */
export const discriminatorOutput128: number[] = []; // TODO(student)
