/**
 * A CycleGAN: two generators, two discriminators, their optimizers and
 * image pools, and the training step that updates all four networks.
 *
 * Naming follows the domains: `generatorAB` translates A -> B,
 * `generatorBA` translates B -> A, `discriminatorA` judges whether an image
 * is a real A image, `discriminatorB` a real B image.
 *
 * @module
 */
import { tf } from "./tf.ts";
import {
  checkImageSize,
  type CycleGANConfig,
  identityApplies,
  makeConfig,
} from "./config.ts";
import { createGenerator } from "./generator.ts";
import { createDiscriminator, patchGeometry } from "./discriminator.ts";
import {
  cycleConsistencyLoss,
  discriminatorLoss,
  generatorAdversarialLoss,
  identityLoss,
} from "./losses.ts";
import { ImagePool } from "./image_pool.ts";
import { learningRateAt } from "./schedule.ts";

/** The losses of one training step, as plain numbers. */
export interface StepLosses {
  /** Everything the generators minimise: adversarial + cycle + identity. */
  lossG: number;
  /** Discriminator A's loss (real A vs generated A), halved. */
  lossDA: number;
  /** Discriminator B's loss (real B vs generated B), halved. */
  lossDB: number;
  /** A -> B generator's adversarial loss against discriminator B. */
  adversarialAB: number;
  /** B -> A generator's adversarial loss against discriminator A. */
  adversarialBA: number;
  /** Weighted L1 between real A and A -> B -> A. */
  cycleA: number;
  /** Weighted L1 between real B and B -> A -> B. */
  cycleB: number;
  /** Weighted L1 between real A and B -> A applied to it (0 when off). */
  identityA: number;
  /** Weighted L1 between real B and A -> B applied to it (0 when off). */
  identityB: number;
}

/** Which way to translate. */
export type Direction = "AtoB" | "BtoA";

/** The names of {@link StepLosses}, in the order they are reported. */
export const LOSS_NAMES = [
  "lossG",
  "lossDA",
  "lossDB",
  "adversarialAB",
  "adversarialBA",
  "cycleA",
  "cycleB",
  "identityA",
  "identityB",
] as const;

type Optimizer = ReturnType<typeof tf.train.adam>;
// tfjs types applyGradients' map as variables; gradients are plain tensors.
type GradientMap = Parameters<Optimizer["applyGradients"]>[0];

function trainableVariables(...models: tf.LayersModel[]): tf.Variable[] {
  return models.flatMap((model) =>
    model.trainableWeights.map((weight) => weight.read() as tf.Variable)
  );
}

/** Two generators and two discriminators, trained together. */
export class CycleGAN {
  readonly config: CycleGANConfig;
  readonly generatorAB: tf.LayersModel;
  readonly generatorBA: tf.LayersModel;
  readonly discriminatorA: tf.LayersModel;
  readonly discriminatorB: tf.LayersModel;
  readonly optimizerG: Optimizer;
  readonly optimizerD: Optimizer;
  /** Past generated A images, shown to discriminator A. */
  readonly poolA: ImagePool;
  /** Past generated B images, shown to discriminator B. */
  readonly poolB: ImagePool;
  /** Training steps taken so far. */
  step = 0;
  /**
   * Why the identity loss is off although its weight is not zero, or
   * undefined when it applies as configured.
   */
  readonly identityNotice?: string;

  private constructor(config: CycleGANConfig) {
    this.config = config;
    const { channelsA, channelsB, seed } = config;
    const generator = (
      name: string,
      from: number,
      to: number,
      offset: number,
    ) =>
      createGenerator({
        inputChannels: from,
        outputChannels: to,
        filters: config.generatorFilters,
        residualBlocks: config.residualBlocks,
        seed: seed * 4 + offset,
        name,
      });
    const discriminator = (name: string, channels: number, offset: number) =>
      createDiscriminator({
        inputChannels: channels,
        filters: config.discriminatorFilters,
        layers: config.discriminatorLayers,
        seed: seed * 4 + offset,
        name,
      });
    this.generatorAB = generator("generator_ab", channelsA, channelsB, 0);
    this.generatorBA = generator("generator_ba", channelsB, channelsA, 1);
    this.discriminatorA = discriminator("discriminator_a", channelsA, 2);
    this.discriminatorB = discriminator("discriminator_b", channelsB, 3);
    this.optimizerG = tf.train.adam(
      config.learningRate,
      config.beta1,
      config.beta2,
    );
    this.optimizerD = tf.train.adam(
      config.learningRate,
      config.beta1,
      config.beta2,
    );
    this.poolA = new ImagePool(config.poolSize, seed * 2 + 1);
    this.poolB = new ImagePool(config.poolSize, seed * 2 + 2);
    if (config.identityWeight > 0 && !identityApplies(config)) {
      this.identityNotice = `Identity loss is off: domain A has ${channelsA} ` +
        `channel(s) and domain B has ${channelsB}, so an image of one domain ` +
        `cannot be fed to the other domain's generator`;
    }
  }

  /**
   * Builds the four networks and optimizers for a config (missing fields
   * take the reference defaults):
   *
   * ```ts
   * import { CycleGAN } from "./train_step.ts";
   * const model = CycleGAN.create({ imageSize: 32, generatorFilters: 4 });
   * model.dispose();
   * ```
   */
  static create(config: Partial<CycleGANConfig> = {}): CycleGAN {
    const checked = makeConfig(config);
    // Throws when the PatchGAN would leave no patch to score.
    patchGeometry(checked.imageSize, checked.discriminatorLayers);
    return new CycleGAN(checked);
  }

  /** The learning rate both optimizers use now. */
  get learningRate(): number {
    return (this.optimizerG as unknown as { learningRate: number })
      .learningRate;
  }

  set learningRate(value: number) {
    for (const optimizer of [this.optimizerG, this.optimizerD]) {
      (optimizer as unknown as { learningRate: number }).learningRate = value;
    }
  }

  /** Sets the learning rate the schedule gives for a 0-based epoch. */
  scheduleEpoch(epoch: number): number {
    this.learningRate = learningRateAt(epoch, this.config);
    return this.learningRate;
  }

  /**
   * One training step on a batch of real A and real B images
   * ([batch, height, width, channels], values in [-1, 1]): the generators
   * are updated first, then the discriminators on real images and pooled
   * fakes. Returns the losses as plain numbers; every tensor it makes is
   * disposed of, and the inputs are left to the caller.
   */
  async trainStep(realA: tf.Tensor4D, realB: tf.Tensor4D): Promise<StepLosses> {
    await this.checkBatch(realA, this.config.channelsA, "batch A");
    await this.checkBatch(realB, this.config.channelsB, "batch B");
    const { lossKind, cycleWeight } = this.config;
    const identityWeight = identityApplies(this.config)
      ? this.config.identityWeight * cycleWeight
      : 0;

    // Generators: fool the discriminators, and survive the round trip.
    const parts: tf.Scalar[] = [];
    let fakeA: tf.Tensor4D | undefined;
    let fakeB: tf.Tensor4D | undefined;
    const generatorUpdate = tf.variableGrads(() => {
      const fB = this.generatorAB.apply(realA) as tf.Tensor4D;
      const fA = this.generatorBA.apply(realB) as tf.Tensor4D;
      const cycledA = this.generatorBA.apply(fB) as tf.Tensor4D;
      const cycledB = this.generatorAB.apply(fA) as tf.Tensor4D;
      const adversarialAB = generatorAdversarialLoss(
        this.discriminatorB.apply(fB) as tf.Tensor,
        lossKind,
      );
      const adversarialBA = generatorAdversarialLoss(
        this.discriminatorA.apply(fA) as tf.Tensor,
        lossKind,
      );
      const cycleA = cycleConsistencyLoss(realA, cycledA, cycleWeight);
      const cycleB = cycleConsistencyLoss(realB, cycledB, cycleWeight);
      let identityA = tf.scalar(0);
      let identityB = tf.scalar(0);
      if (identityWeight > 0) {
        identityA = identityLoss(
          realA,
          this.generatorBA.apply(realA) as tf.Tensor,
          identityWeight,
        );
        identityB = identityLoss(
          realB,
          this.generatorAB.apply(realB) as tf.Tensor,
          identityWeight,
        );
      }
      const total = tf.addN([
        adversarialAB,
        adversarialBA,
        cycleA,
        cycleB,
        identityA,
        identityB,
      ]) as tf.Scalar;
      fakeA = tf.keep(fA);
      fakeB = tf.keep(fB);
      parts.push(
        ...[
          total,
          adversarialAB,
          adversarialBA,
          cycleA,
          cycleB,
          identityA,
          identityB,
        ]
          .map((t) => tf.keep(t)),
      );
      return total;
    }, trainableVariables(this.generatorAB, this.generatorBA));
    this.optimizerG.applyGradients(generatorUpdate.grads as GradientMap);
    // The update's value is `total`, read below with the other parts.
    tf.dispose(generatorUpdate.grads);

    // Discriminators: real images score 1, pooled fakes score 0.
    const pooledA = this.poolA.query(fakeA!);
    const pooledB = this.poolB.query(fakeB!);
    tf.dispose([fakeA!, fakeB!]);
    const discriminatorLosses: tf.Scalar[] = [];
    const discriminatorUpdate = tf.variableGrads(() => {
      const lossDA = discriminatorLoss(
        this.discriminatorA.apply(realA) as tf.Tensor,
        this.discriminatorA.apply(pooledA) as tf.Tensor,
        lossKind,
      );
      const lossDB = discriminatorLoss(
        this.discriminatorB.apply(realB) as tf.Tensor,
        this.discriminatorB.apply(pooledB) as tf.Tensor,
        lossKind,
      );
      discriminatorLosses.push(tf.keep(lossDA), tf.keep(lossDB));
      return tf.add(lossDA, lossDB) as tf.Scalar;
    }, trainableVariables(this.discriminatorA, this.discriminatorB));
    this.optimizerD.applyGradients(
      discriminatorUpdate.grads as GradientMap,
    );
    tf.dispose([discriminatorUpdate, pooledA, pooledB]);

    const [total, advAB, advBA, cycA, cycB, idA, idB] = parts;
    const [dA, dB] = discriminatorLosses;
    const ordered = [total, dA, dB, advAB, advBA, cycA, cycB, idA, idB];
    const stacked = tf.stack(ordered);
    const values = await stacked.data();
    tf.dispose([stacked, ...ordered]);
    this.step += 1;
    const losses = {} as StepLosses;
    LOSS_NAMES.forEach((name, i) => (losses[name] = values[i]));
    return losses;
  }

  /**
   * Translates a batch ([batch, height, width, channels] in [-1, 1]) with
   * one of the generators. The caller owns the result.
   */
  translate(images: tf.Tensor4D, direction: Direction): tf.Tensor4D {
    const [generator, channels] = direction === "AtoB"
      ? [this.generatorAB, this.config.channelsA]
      : [this.generatorBA, this.config.channelsB];
    checkShape(images, channels, `input to ${direction}`);
    return tf.tidy(() => generator.predict(images) as tf.Tensor4D);
  }

  /** Parameters of each network. */
  parameterCounts(): Record<string, number> {
    return {
      generatorAB: this.generatorAB.countParams(),
      generatorBA: this.generatorBA.countParams(),
      discriminatorA: this.discriminatorA.countParams(),
      discriminatorB: this.discriminatorB.countParams(),
    };
  }

  /** Disposes of every network, optimizer state and pooled image. */
  dispose(): void {
    for (
      const model of [
        this.generatorAB,
        this.generatorBA,
        this.discriminatorA,
        this.discriminatorB,
      ]
    ) {
      model.dispose();
    }
    this.optimizerG.dispose();
    this.optimizerD.dispose();
    this.poolA.clear();
    this.poolB.clear();
  }

  private async checkBatch(
    images: tf.Tensor4D,
    channels: number,
    what: string,
  ): Promise<void> {
    checkShape(images, channels, what);
    const bad = tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(images))));
    const hasBad = (await bad.data())[0];
    bad.dispose();
    if (hasBad) {
      throw new RangeError(
        `${what} contains NaN or infinite values; expected finite values in [-1, 1]`,
      );
    }
  }
}

/** Throws unless `images` is [batch, h, w, channels] with h, w multiples of 4. */
export function checkShape(
  images: tf.Tensor,
  channels: number,
  what: string,
): void {
  if (images.rank !== 4) {
    throw new RangeError(
      `${what} must be [batch, height, width, channels], got shape [${images.shape}]`,
    );
  }
  const [, height, width, actual] = images.shape;
  if (actual !== channels) {
    throw new RangeError(
      `${what} must have ${channels} channel(s), got ${actual} (shape [${images.shape}])`,
    );
  }
  checkImageSize(height, `${what} height`);
  checkImageSize(width, `${what} width`);
}
