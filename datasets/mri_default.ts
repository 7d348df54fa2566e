/**
 * The embedded default data set: T1-weighted (domain A) and T2-weighted
 * (domain B) brain slices rendered from phantom anatomies, generated on the
 * fly with no files and no network.
 *
 * Training images of the two domains come from different anatomies, so the
 * data is unpaired, as CycleGAN assumes. Test images render the same
 * anatomies in both contrasts: `testPairs` gives aligned T1w/T2w pairs, so a
 * translated T1w image can be scored against its true T2w image.
 *
 * ```ts
 * import { createMriPhantomDataset } from "./mri_default.ts";
 * const dataset = createMriPhantomDataset({ size: 64, trainCount: 20 });
 * for await (const { a, b } of dataset.batches({ epoch: 0, batchSize: 2, seed: 1 })) {
 *   a.shape; // [2, 64, 64, 1]
 *   break;
 * }
 * ```
 *
 * @module
 */
import { checkImageSize } from "../lib/config.ts";
import {
  checkProtocol,
  type SpinEchoProtocol,
  T1_WEIGHTED,
  T2_WEIGHTED,
  type TissueProperties,
  TISSUES_1_5T,
} from "./mr_physics.ts";
import {
  type AnatomyOptions,
  mixSeed,
  randomAnatomy,
  renderSlice,
  tissueMap,
  tissueMapImage,
} from "./phantom.ts";
import { epochBatches } from "./batching.ts";
import type { Images, UnpairedBatch, UnpairedDataset } from "./types.ts";

/** Choices for the phantom data set; every field has a default. */
export interface MriPhantomOptions {
  /** Image side in pixels, a multiple of 4 from 16 to 1024. Default 128. */
  size?: number;
  /** Training images per domain. Default 200. */
  trainCount?: number;
  /** Test images (aligned pairs). Default 16. */
  testCount?: number;
  /** Seed of every anatomy and noise draw. Default 0. */
  seed?: number;
  /** Domain A's sequence. Default T1-weighted spin echo (TR 500, TE 15). */
  protocolA?: SpinEchoProtocol;
  /** Domain B's sequence. Default T2-weighted spin echo (TR 4000, TE 100). */
  protocolB?: SpinEchoProtocol;
  /** Noise standard deviation, fraction of the brightest tissue. Default 0.03. */
  noise?: number;
  /** Bias field amplitude (0.1: gains 0.9..1.1). Default 0.1. */
  bias?: number;
  /** Lesions per slice, or a [min, max] range. Default 0. */
  lesions?: AnatomyOptions["lesions"];
  /** Tissue properties by label. Default: 1.5 T literature values. */
  tissues?: readonly TissueProperties[];
}

const TRAIN_A = 1;
const TRAIN_B = 2;
const TEST = 3;

/** One anatomy shown three ways: its tissue map and both contrasts. */
export interface PhantomViews {
  /** Tissue labels, row by row (see `Tissue`). */
  labels: Uint8Array;
  /** [3, size, size, 1]: tissue map as grey levels, domain A, domain B. */
  images: Images;
}

function requireCount(name: string, value: number, least: number): number {
  if (!Number.isInteger(value) || value < least) {
    throw new RangeError(
      `Phantom ${name} must be an integer >= ${least}, got ${value}`,
    );
  }
  return value;
}

/**
 * The embedded MRI data set. Domain A = T1-weighted, domain B =
 * T2-weighted (or whatever `protocolA`/`protocolB` say), 1 channel.
 */
export function createMriPhantomDataset(
  options: MriPhantomOptions = {},
): UnpairedDataset & {
  /** Tissue map and both contrasts of test anatomy `index`. */
  views(index: number): PhantomViews;
} {
  const size = options.size ?? 128;
  checkImageSize(size, "Phantom size");
  if (size < 16 || size > 1024) {
    throw new RangeError(`Phantom size must be from 16 to 1024, got ${size}`);
  }
  const trainCount = requireCount("trainCount", options.trainCount ?? 200, 1);
  const testCount = requireCount("testCount", options.testCount ?? 16, 0);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) {
    throw new RangeError(`Phantom seed must be an integer, got ${seed}`);
  }
  const protocolA = options.protocolA ?? T1_WEIGHTED;
  const protocolB = options.protocolB ?? T2_WEIGHTED;
  checkProtocol(protocolA);
  checkProtocol(protocolB);
  const anatomyOptions = { lesions: options.lesions };
  const renderOptions = {
    noise: options.noise,
    bias: options.bias,
    tissues: options.tissues ?? TISSUES_1_5T,
  };
  const pixels = size * size;

  const labelsOf = (group: number, index: number) =>
    tissueMap(randomAnatomy(mixSeed(seed, group, index), anatomyOptions), size);
  const render = (
    labels: Uint8Array,
    protocol: SpinEchoProtocol,
    group: number,
    index: number,
    domain: number,
  ) =>
    renderSlice(labels, size, {
      ...renderOptions,
      protocol,
      seed: mixSeed(seed, group, index, domain),
    });

  const load =
    (group: number, domain: "A" | "B") =>
    async (indices: number[]): Promise<Images> => {
      await Promise.resolve();
      const data = new Float32Array(indices.length * pixels);
      indices.forEach((index, k) => {
        const labels = labelsOf(group, index);
        const protocol = domain === "A" ? protocolA : protocolB;
        data.set(
          render(labels, protocol, group, index, domain === "A" ? 1 : 2),
          k * pixels,
        );
      });
      return { data, shape: [indices.length, size, size, 1] };
    };

  const testIndices = (count: number) => {
    if (!Number.isInteger(count) || count < 0 || count > testCount) {
      throw new RangeError(
        `Asked for ${count} test images, the phantom has ${testCount} (testCount)`,
      );
    }
    return Array.from({ length: count }, (_, i) => i);
  };

  return {
    name: "mri-phantom",
    size,
    channelsA: 1,
    channelsB: 1,
    trainCount: { a: trainCount, b: trainCount },
    testCount: { a: testCount, b: testCount },
    batches: (batchOptions) =>
      epochBatches({
        countA: trainCount,
        countB: trainCount,
        loadA: load(TRAIN_A, "A"),
        loadB: load(TRAIN_B, "B"),
      }, batchOptions),
    testImages: async (domain, count) =>
      await load(TEST, domain)(testIndices(count)),
    testPairs: async (count): Promise<UnpairedBatch> => {
      const indices = testIndices(count);
      return {
        a: await load(TEST, "A")(indices),
        b: await load(TEST, "B")(indices),
      };
    },
    views(index: number): PhantomViews {
      requireCount("view index", index, 0);
      const labels = labelsOf(TEST, index);
      const data = new Float32Array(3 * pixels);
      data.set(tissueMapImage(labels), 0);
      data.set(render(labels, protocolA, TEST, index, 1), pixels);
      data.set(render(labels, protocolB, TEST, index, 2), 2 * pixels);
      return { labels, images: { data, shape: [3, size, size, 1] } };
    },
  };
}
