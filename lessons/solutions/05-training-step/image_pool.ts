/**
 * Reference solution of lesson 05, exercise "image-pool".
 *
 * @module
 */
import { tf } from "../../../lib/tf.ts";
import { SeededRandom } from "../../../lib/random.ts";

export class ImagePool {
  readonly capacity: number;
  readonly random: SeededRandom;
  images: tf.Tensor3D[] = [];

  constructor(capacity = 50, seed = 0) {
    this.capacity = capacity;
    this.random = new SeededRandom(seed);
  }

  /** Images stored now. */
  get size(): number {
    return this.images.length;
  }

  query(images: tf.Tensor4D): tf.Tensor4D {
    if (this.capacity === 0) return images.clone();
    // Handed-out stored images can only be disposed of after the stack.
    const replaced: tf.Tensor[] = [];
    const result = tf.tidy(() => {
      const chosen = tf.unstack(images).map((image) => {
        if (this.images.length < this.capacity) {
          this.images.push(tf.keep(image.clone() as tf.Tensor3D));
          return image;
        }
        if (this.random.next() < 0.5) {
          const index = this.random.int(this.capacity);
          const old = this.images[index];
          this.images[index] = tf.keep(image.clone() as tf.Tensor3D);
          replaced.push(old);
          return old;
        }
        return image;
      });
      return tf.stack(chosen) as tf.Tensor4D;
    });
    tf.dispose(replaced);
    return result;
  }

  /** Disposes of every stored image. */
  clear(): void {
    for (const image of this.images) image.dispose();
    this.images = [];
  }
}
