/**
 * Lesson 07, exercise "translate-slices": translate a whole volume, slice
 * by slice, in batches.
 *
 * A volume of 150 slices does not go through a generator in one call on a
 * small machine: translate `batchSize` slices at a time (the last batch may
 * be smaller), and put the results back together in order. `slices` is
 * [count, height, width, channels] in [-1, 1]; return a tensor of the
 * generator's output for every slice, which the caller owns. Nothing else
 * may stay behind: a volume's worth of leaked batches fills memory fast.
 *
 * Check it: deno task check translate-slices
 *
 * @module
 */
import { tf } from "../../../lib/tf.ts";

export function translateSlices(
  generator: tf.LayersModel,
  slices: tf.Tensor4D,
  batchSize: number,
): tf.Tensor4D {
  // TODO(student): slice out each batch, run the generator, concatenate.
  void [tf, generator, slices, batchSize];
  throw new Error("Not implemented yet: translateSlices");
}
