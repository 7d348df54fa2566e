/**
 * Lesson 07, exercise "pitfalls": diagnose four things that go wrong in
 * practice. Answer each with the letter of the best explanation.
 *
 * checkerboard: the translated slices are covered in a faint grid of
 * alternating brighter and darker pixels, strongest in flat regions.
 *   a) The learning rate is too low for the discriminator.
 *   b) The upsampling layers' kernels overlap unevenly (a transposed conv
 *      whose kernel size is not a multiple of its stride), and training has
 *      not yet learnt to cancel the pattern.
 *   c) The cycle weight is too high.
 *   d) The image pool is too small.
 *
 * collapse: after some epochs, the T1 -> T2 generator returns nearly the
 * same T2-looking slice whatever T1 slice it is given, and the cycle loss
 * has stopped falling.
 *   a) Mode collapse: the generator found a few outputs the discriminator
 *      accepts, and the cycle term is too weak to force them apart.
 *   b) Checkerboard artefacts.
 *   c) The identity loss is switched on.
 *   d) The learning rate schedule reached zero.
 *
 * inversion: a colleague proposes skipping CycleGAN and making T2-weighted
 * images from T1-weighted ones by inverting the intensities (v -> -v).
 *   a) That works: T2 weighting is T1 weighting upside down.
 *   b) It fails only because of noise.
 *   c) It fails because the mapping is not monotonic: fat is brighter
 *      than white matter in both, so no per-pixel inversion gets every
 *      tissue right.
 *   d) It fails because tanh cannot produce negative values.
 *
 * nan: on a folder of NIfTI slices, lossG is NaN from the first batch.
 *   a) Too few residual blocks.
 *   b) The learning rate is too high.
 *   c) A blank slice: scaling by (max - min) or normalising by a standard
 *      deviation of 0 divides by zero.
 *   d) The discriminator has too many layers.
 *
 * Check it: deno task check pitfalls
 *
 * @module
 */

export const answers: Record<string, string> = {
  checkerboard: "", // TODO(student): "a", "b", "c" or "d"
  collapse: "", // TODO(student)
  inversion: "", // TODO(student)
  nan: "", // TODO(student)
};
