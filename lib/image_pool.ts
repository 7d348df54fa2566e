/**
 * The image history buffer of Shrivastava et al. (2017), as CycleGAN uses
 * it: the discriminators are shown a mix of the newest fakes and fakes from
 * earlier steps, which keeps them from chasing the generator's latest trick
 * and damps oscillation.
 *
 * The pool owns the images it holds: it keeps them out of `tf.tidy` and
 * disposes of them when they are replaced or the pool is cleared.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { SeededRandom } from "./random.ts";

/** A pool of up to `capacity` past generated images. */
export class ImagePool {
  readonly capacity: number;
  readonly random: SeededRandom;
  #images: tf.Tensor3D[] = [];

  constructor(capacity = 50, seed = 0) {
    this.capacity = capacity;
    this.random = new SeededRandom(seed);
  }

  /** Images held now. */
  get size(): number {
    return this.#images.length;
  }

  /**
   * Takes a batch of new fakes ([batch, height, width, channels]) and
   * returns a batch of the same shape for the discriminator: while the pool
   * fills, the new images themselves; after that, for each image, a coin
   * flip between it and a stored one (which it then replaces). The caller
   * owns the returned tensor; `images` is left untouched.
   */
  query(images: tf.Tensor4D): tf.Tensor4D {
    if (this.capacity === 0) return images.clone();
    const replaced: tf.Tensor[] = [];
    const result = tf.tidy(() => {
      const chosen = tf.unstack(images).map((image) => {
        if (this.#images.length < this.capacity) {
          this.#images.push(tf.keep(image.clone() as tf.Tensor3D));
          return image;
        }
        if (this.random.next() < 0.5) {
          const index = this.random.int(this.capacity);
          const old = this.#images[index];
          this.#images[index] = tf.keep(image.clone() as tf.Tensor3D);
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

  /** The stored images as plain arrays, for a checkpoint. */
  async snapshot(): Promise<{ shape: number[]; data: Float32Array }[]> {
    return await Promise.all(
      this.#images.map(async (image) => ({
        shape: image.shape,
        data: (await image.data()) as Float32Array,
      })),
    );
  }

  /** Replaces the contents with images from {@link snapshot}. */
  restore(images: { shape: number[]; data: Float32Array }[]): void {
    this.clear();
    this.#images = images.map((image) =>
      tf.tensor3d(image.data, image.shape as [number, number, number])
    );
  }

  /** Disposes of every stored image. */
  clear(): void {
    for (const image of this.#images) image.dispose();
    this.#images = [];
  }
}
