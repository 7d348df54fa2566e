/**
 * The one interface every data source implements: unpaired batches of
 * images for training, and fixed test images (with aligned ground truth
 * where the source has it) for samples and metrics.
 *
 * Images are plain arrays, not tensors, so that data code never owns GPU
 * memory; the trainer turns them into tensors and disposes of them.
 *
 * @module
 */

/** A stack of images, [count, height, width, channels], values in [-1, 1]. */
export interface Images {
  data: Float32Array;
  shape: [number, number, number, number];
}

/** One training step's worth of unpaired images. */
export interface UnpairedBatch {
  a: Images;
  b: Images;
}

/** A data source for CycleGAN training. */
export interface UnpairedDataset {
  /** A short name for logs, e.g. "mri-phantom" or a folder path. */
  readonly name: string;
  /** Side of the square images it yields, in pixels. */
  readonly size: number;
  /** Channels of domain A images. */
  readonly channelsA: 1 | 3;
  /** Channels of domain B images. */
  readonly channelsB: 1 | 3;
  /** Training images per domain (what one epoch draws from). */
  readonly trainCount: { a: number; b: number };
  /** Test images per domain. */
  readonly testCount: { a: number; b: number };
  /**
   * The batches of one epoch, in an order fixed by `seed` and `epoch`:
   * ceil(max(trainCount.a, trainCount.b) / batchSize) of them.
   * `startBatch` skips that many without loading them (resuming mid-epoch);
   * the batches after it are the same as in a full pass.
   */
  batches(options: {
    epoch: number;
    batchSize: number;
    seed: number;
    startBatch?: number;
  }): AsyncIterable<UnpairedBatch>;
  /** The first `count` test images of a domain, always the same ones. */
  testImages(domain: "A" | "B", count: number): Promise<Images>;
  /**
   * Test images of the same subject in both domains, aligned pixel for
   * pixel: a translated A image can be scored against its true B image.
   * Only sources with ground truth have it.
   */
  testPairs?(count: number): Promise<UnpairedBatch>;
}
