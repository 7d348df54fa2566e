/**
 * The training loop, as a stream of events: epochs of batches from a data
 * source, one `trainStep` each, the learning-rate schedule applied per
 * epoch. Whoever consumes the stream decides what to show and when to save
 * (the CLI draws a progress bar and writes a run folder; a notebook draws
 * live plots).
 *
 * Also here: `sampleTranslations` (real, translated and reconstructed test
 * images, for sample grids) and `evaluateTranslation` (PSNR, SSIM and MAE
 * against aligned ground truth, next to the untranslated baseline).
 *
 * @module
 */
import { tf } from "./tf.ts";
import type { CycleGAN, StepLosses } from "./train_step.ts";
import { compareImages, type QualityScores } from "./metrics.ts";
import type { Images, UnpairedDataset } from "../datasets/types.ts";

/** Where to start and when to stop. */
export interface TrainingPlan {
  /** 0-based epoch to start in (from a checkpoint). Default 0. */
  startEpoch?: number;
  /** Batches of `startEpoch` already done (from a checkpoint). Default 0. */
  startBatch?: number;
  /** Stop after this many steps in all (counting `model.step`). */
  maxSteps?: number;
  /** Seed of the data order. Default the model's config seed. */
  seed?: number;
  /** Stops the loop after the step in progress. */
  signal?: AbortSignal;
}

/** One step done. */
export interface StepEvent {
  kind: "step";
  /** Steps taken in all, this one included. */
  step: number;
  /** 0-based epoch. */
  epoch: number;
  /** Batches of this epoch done, this one included. */
  batch: number;
  /** Batches in an epoch. */
  batchesPerEpoch: number;
  /** Learning rate used. */
  learningRate: number;
  losses: StepLosses;
  /** Wall-clock seconds of this step, loading its batch included. */
  seconds: number;
}

/** An epoch finished. */
export interface EpochEvent {
  kind: "epoch";
  epoch: number;
  step: number;
  /** Mean of each loss over the steps of this epoch run in this session. */
  meanLosses: StepLosses;
  seconds: number;
}

/** The loop ended: all epochs done, `maxSteps` reached, or stopped. */
export interface EndEvent {
  kind: "end";
  reason: "finished" | "maxSteps" | "stopped";
  step: number;
  /** Epoch and batch to resume from. */
  epoch: number;
  batch: number;
}

export type TrainingEvent = StepEvent | EpochEvent | EndEvent;

/** Batches per epoch for a data source and batch size. */
export function batchesPerEpoch(
  dataset: UnpairedDataset,
  batchSize: number,
): number {
  return Math.ceil(
    Math.max(dataset.trainCount.a, dataset.trainCount.b) / batchSize,
  );
}

function toTensor(images: Images): tf.Tensor4D {
  return tf.tensor4d(images.data, images.shape);
}

/**
 * Trains `model` on `dataset` for the config's epochs + decay epochs,
 * yielding an event per step, per epoch and at the end. Checks that the
 * data matches the model before the first step.
 */
export async function* train(
  model: CycleGAN,
  dataset: UnpairedDataset,
  plan: TrainingPlan = {},
): AsyncGenerator<TrainingEvent> {
  const { config } = model;
  checkDatasetFits(model, dataset);
  const totalEpochs = config.epochs + config.decayEpochs;
  const perEpoch = batchesPerEpoch(dataset, config.batchSize);
  const seed = plan.seed ?? config.seed;
  let epoch = plan.startEpoch ?? 0;
  let skip = plan.startBatch ?? 0;
  if (skip >= perEpoch) {
    epoch += 1;
    skip = 0;
  }

  for (; epoch < totalEpochs; epoch++) {
    const learningRate = model.scheduleEpoch(epoch);
    const epochStart = performance.now();
    const sums = new Map<string, number>();
    let stepsThisEpoch = 0;
    let batch = skip;
    let stepStart = performance.now();
    const pairs = dataset.batches({
      epoch,
      batchSize: config.batchSize,
      seed,
      startBatch: skip,
    });
    for await (const pair of pairs) {
      if (plan.signal?.aborted) {
        yield {
          kind: "end",
          reason: "stopped",
          step: model.step,
          epoch,
          batch,
        };
        return;
      }
      if (plan.maxSteps !== undefined && model.step >= plan.maxSteps) {
        yield {
          kind: "end",
          reason: "maxSteps",
          step: model.step,
          epoch,
          batch,
        };
        return;
      }
      const realA = toTensor(pair.a);
      const realB = toTensor(pair.b);
      let losses: StepLosses;
      try {
        losses = await model.trainStep(realA, realB);
      } finally {
        tf.dispose([realA, realB]);
      }
      batch += 1;
      stepsThisEpoch += 1;
      for (const [name, value] of Object.entries(losses)) {
        sums.set(name, (sums.get(name) ?? 0) + value);
      }
      const now = performance.now();
      yield {
        kind: "step",
        step: model.step,
        epoch,
        batch,
        batchesPerEpoch: perEpoch,
        learningRate,
        losses,
        seconds: (now - stepStart) / 1000,
      };
      stepStart = performance.now();
    }
    skip = 0;
    const meanLosses = Object.fromEntries(
      [...sums].map(([name, sum]) => [name, sum / Math.max(1, stepsThisEpoch)]),
    ) as unknown as StepLosses;
    yield {
      kind: "epoch",
      epoch,
      step: model.step,
      meanLosses,
      seconds: (performance.now() - epochStart) / 1000,
    };
  }
  yield {
    kind: "end",
    reason: "finished",
    step: model.step,
    epoch: totalEpochs,
    batch: 0,
  };
}

/** Throws unless the data source's channels and size suit the model. */
export function checkDatasetFits(
  model: CycleGAN,
  dataset: UnpairedDataset,
): void {
  const { config } = model;
  if (
    dataset.channelsA !== config.channelsA ||
    dataset.channelsB !== config.channelsB
  ) {
    throw new RangeError(
      `Data "${dataset.name}" has ${dataset.channelsA} (A) and ${dataset.channelsB} (B) channel(s), ` +
        `the model expects ${config.channelsA} and ${config.channelsB}`,
    );
  }
  if (dataset.size !== config.imageSize) {
    throw new RangeError(
      `Data "${dataset.name}" yields ${dataset.size} px images, the model was configured for ${config.imageSize} px`,
    );
  }
}

/** Test images in both directions, translated and translated back. */
export interface SampleSet {
  realA: Images;
  fakeB: Images;
  cycledA: Images;
  realB: Images;
  fakeA: Images;
  cycledB: Images;
}

async function toImages(tensor: tf.Tensor4D): Promise<Images> {
  const data = (await tensor.data()) as Float32Array;
  const shape = tensor.shape as [number, number, number, number];
  tensor.dispose();
  return { data, shape };
}

/** Translates `realA` and `realB` one way and back. */
export async function translateBothWays(
  model: CycleGAN,
  realA: Images,
  realB: Images,
): Promise<SampleSet> {
  const a = toTensor(realA);
  const b = toTensor(realB);
  const fakeB = model.translate(a, "AtoB");
  const fakeA = model.translate(b, "BtoA");
  const cycledA = model.translate(fakeB, "BtoA");
  const cycledB = model.translate(fakeA, "AtoB");
  tf.dispose([a, b]);
  return {
    realA,
    realB,
    fakeB: await toImages(fakeB),
    fakeA: await toImages(fakeA),
    cycledA: await toImages(cycledA),
    cycledB: await toImages(cycledB),
  };
}

/** Translations of the first `count` test images of each domain. */
export async function sampleTranslations(
  model: CycleGAN,
  dataset: UnpairedDataset,
  count: number,
): Promise<SampleSet> {
  const n = Math.min(count, dataset.testCount.a, dataset.testCount.b);
  if (n < 1) {
    throw new RangeError(`Data "${dataset.name}" has no test images to sample`);
  }
  return await translateBothWays(
    model,
    await dataset.testImages("A", n),
    await dataset.testImages("B", n),
  );
}

/** A -> B quality against ground truth, and of doing nothing at all. */
export interface Evaluation {
  /** Translated A against the true B. */
  translated: QualityScores;
  /** Untranslated A against the true B: what the model must beat. */
  baseline: QualityScores;
  count: number;
}

/**
 * Scores A -> B on aligned test pairs; undefined when the data source has
 * no ground truth.
 */
export async function evaluateTranslation(
  model: CycleGAN,
  dataset: UnpairedDataset,
  count: number,
): Promise<Evaluation | undefined> {
  if (!dataset.testPairs) return undefined;
  const n = Math.min(count, dataset.testCount.a, dataset.testCount.b);
  if (n < 1) return undefined;
  const pairs = await dataset.testPairs(n);
  const a = toTensor(pairs.a);
  const translated = await toImages(model.translate(a, "AtoB"));
  a.dispose();
  return {
    translated: compareImages(translated, pairs.b),
    baseline: compareImages(pairs.a, pairs.b),
    count: n,
  };
}
