/**
 * Reference solution of lesson 07, exercise "translate-slices".
 *
 * @module
 */
import { tf } from "../../../lib/tf.ts";

export function translateSlices(
  generator: tf.LayersModel,
  slices: tf.Tensor4D,
  batchSize: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const count = slices.shape[0];
    const outputs: tf.Tensor4D[] = [];
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      const batch = tf.slice(slices, [start, 0, 0, 0], [size, -1, -1, -1]);
      outputs.push(generator.predict(batch) as tf.Tensor4D);
    }
    return tf.concat(outputs, 0);
  });
}
