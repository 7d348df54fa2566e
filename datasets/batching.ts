/**
 * Epoch order and batching shared by every data source: which images of
 * each domain go into which batch, fixed by a seed and the epoch number.
 *
 * Domains are shuffled independently (the data is unpaired). An epoch has
 * ceil(max(countA, countB) / batchSize) batches, every one full: the smaller
 * domain, and the last batch, wrap around to the start of the order.
 *
 * @module
 */
import { SeededRandom } from "../lib/random.ts";
import { mixSeed } from "./phantom.ts";
import type { Images, UnpairedBatch } from "./types.ts";

/**
 * Loads the images at `indices` (positions in the domain's list). `random`
 * is given for training batches, to draw augmentations; test images are
 * loaded without it.
 */
export type LoadImages = (
  indices: number[],
  random?: SeededRandom,
) => Promise<Images>;

/** A domain's epoch order: a permutation of 0..count-1. */
export type EpochOrder = (count: number, random: SeededRandom) => number[];

/** Shuffles all indices: the default order. */
export const shuffledOrder: EpochOrder = (count, random) =>
  random.shuffle(Array.from({ length: count }, (_, i) => i));

/** What `epochBatches` needs from a data source. */
export interface BatchSource {
  countA: number;
  countB: number;
  loadA: LoadImages;
  loadB: LoadImages;
  orderA?: EpochOrder;
  orderB?: EpochOrder;
}

/** Checks batch options, naming the bad value. */
export function checkBatchOptions(
  options: { epoch: number; batchSize: number; seed: number },
): void {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
    throw new RangeError(
      `Batch size must be a positive integer, got ${options.batchSize}`,
    );
  }
  if (!Number.isInteger(options.epoch) || options.epoch < 0) {
    throw new RangeError(
      `Epoch must be a whole number >= 0, got ${options.epoch}`,
    );
  }
  if (!Number.isInteger(options.seed)) {
    throw new RangeError(`Seed must be an integer, got ${options.seed}`);
  }
}

/**
 * The image indices of every batch of an epoch, per domain.
 * Deterministic for (seed, epoch).
 */
export function epochPlan(
  countA: number,
  countB: number,
  options: { epoch: number; batchSize: number; seed: number },
  orders: { a?: EpochOrder; b?: EpochOrder } = {},
): { a: number[]; b: number[] }[] {
  checkBatchOptions(options);
  if (countA < 1 || countB < 1) {
    throw new RangeError(
      `Both domains need training images, got ${countA} (A) and ${countB} (B)`,
    );
  }
  const orderA = (orders.a ?? shuffledOrder)(
    countA,
    new SeededRandom(mixSeed(options.seed, options.epoch, 0xa)),
  );
  const orderB = (orders.b ?? shuffledOrder)(
    countB,
    new SeededRandom(mixSeed(options.seed, options.epoch, 0xb)),
  );
  const batchCount = Math.ceil(Math.max(countA, countB) / options.batchSize);
  const plan: { a: number[]; b: number[] }[] = [];
  for (let batch = 0; batch < batchCount; batch++) {
    const a: number[] = [];
    const b: number[] = [];
    for (let k = 0; k < options.batchSize; k++) {
      const position = batch * options.batchSize + k;
      a.push(orderA[position % countA]);
      b.push(orderB[position % countB]);
    }
    plan.push({ a, b });
  }
  return plan;
}

/** Streams an epoch's batches, loading each only when it is asked for. */
export async function* epochBatches(
  source: BatchSource,
  options: {
    epoch: number;
    batchSize: number;
    seed: number;
    startBatch?: number;
  },
): AsyncIterable<UnpairedBatch> {
  const plan = epochPlan(source.countA, source.countB, options, {
    a: source.orderA,
    b: source.orderB,
  });
  const start = options.startBatch ?? 0;
  if (!Number.isInteger(start) || start < 0) {
    throw new RangeError(
      `startBatch must be a whole number >= 0, got ${start}`,
    );
  }
  for (const [batch, step] of plan.entries()) {
    if (batch < start) continue;
    const at = (domain: number) =>
      new SeededRandom(mixSeed(options.seed, options.epoch, batch, domain));
    const [a, b] = await Promise.all([
      source.loadA(step.a, at(0xa)),
      source.loadB(step.b, at(0xb)),
    ]);
    yield { a, b };
  }
}

/** Stacks equally shaped images into one `Images`. */
export function stackImages(
  images: {
    data: Float32Array;
    height: number;
    width: number;
    channels: number;
  }[],
): Images {
  if (images.length === 0) throw new RangeError("Cannot stack zero images");
  const { height, width, channels } = images[0];
  const size = height * width * channels;
  const data = new Float32Array(size * images.length);
  images.forEach((image, i) => {
    if (
      image.height !== height || image.width !== width ||
      image.channels !== channels
    ) {
      throw new RangeError(
        `Images in one batch must share a shape: image ${i} is ${image.height}x${image.width}x${image.channels}, the first is ${height}x${width}x${channels}`,
      );
    }
    data.set(image.data, i * size);
  });
  return { data, shape: [images.length, height, width, channels] };
}
