/**
 * Lesson 05, exercise "image-pool": the history of generated images that
 * the discriminators are trained on.
 *
 * `query(images)` takes a batch of new fakes ([batch, height, width,
 * channels]) and returns a batch of the same shape for the discriminator:
 *
 * - capacity 0: a copy of the batch (no pool at all);
 * - while the pool holds fewer than `capacity` images: each new image is
 *   stored and also returned;
 * - once full, for each image, a coin flip (`this.random.next() < 0.5`):
 *   heads, return a randomly chosen stored image (`this.random.int(n)`) and
 *   store the new one in its place; tails, return the new image and store
 *   nothing.
 *
 * Ownership: the caller owns the returned tensor and keeps owning `images`
 * (do not dispose it). The pool owns what it stores: store copies
 * (`image.clone()`), keep them alive past any `tf.tidy` (`tf.keep`), and
 * dispose of a stored image once it has been handed out and replaced.
 *
 * Check it: deno task check image-pool
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
    // TODO(student): the three cases above. tf.unstack splits a batch into
    // images, tf.stack puts them back together.
    void [tf, images];
    throw new Error("Not implemented yet: ImagePool.query");
  }

  /** Disposes of every stored image. */
  clear(): void {
    for (const image of this.images) image.dispose();
    this.images = [];
  }
}
