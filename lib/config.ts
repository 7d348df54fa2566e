/**
 * One typed object describes a CycleGAN: the networks' sizes and the
 * training recipe. It is saved with every checkpoint, so a checkpoint alone
 * can rebuild its models.
 *
 * @module
 */

/** Least squares (LSGAN, the reference default) or binary cross-entropy. */
export type AdversarialLossKind = "lsgan" | "bce";

/** Everything needed to build the four networks and train them. */
export interface CycleGANConfig {
  /** Side of the square training images, in pixels; a multiple of 4. */
  imageSize: number;
  /** Channels of domain A images (1 = grey, 3 = RGB). */
  channelsA: 1 | 3;
  /** Channels of domain B images (1 = grey, 3 = RGB). */
  channelsB: 1 | 3;
  /** Filters of the generator's first convolution; doubled per downsampling. */
  generatorFilters: number;
  /** Residual blocks between the downsampling and upsampling halves. */
  residualBlocks: number;
  /** Filters of the discriminator's first convolution. */
  discriminatorFilters: number;
  /** Strided 4x4 layers of the PatchGAN; 3 gives the 70x70 receptive field. */
  discriminatorLayers: number;
  /** Adversarial loss. */
  lossKind: AdversarialLossKind;
  /** Weight of the cycle-consistency loss (lambda in the paper). */
  cycleWeight: number;
  /**
   * Weight of the identity loss as a fraction of `cycleWeight`. Set to 0 to
   * switch it off; it is also off when the two domains' channels differ.
   */
  identityWeight: number;
  /** Adam's learning rate at the start. */
  learningRate: number;
  /** Adam's beta1. */
  beta1: number;
  /** Adam's beta2. */
  beta2: number;
  /** Epochs at the initial learning rate. */
  epochs: number;
  /** Epochs over which the learning rate then falls linearly to zero. */
  decayEpochs: number;
  /** Past generated images kept to train the discriminators (0 = none). */
  poolSize: number;
  /** Images per training step. */
  batchSize: number;
  /** Seed for weight initialisation, the image pool and data order. */
  seed: number;
}

/** The reference recipe (Zhu et al. 2017), at 128 px with 6 residual blocks. */
export const DEFAULT_CONFIG: Readonly<CycleGANConfig> = Object.freeze({
  imageSize: 128,
  channelsA: 1,
  channelsB: 1,
  generatorFilters: 64,
  residualBlocks: 6,
  discriminatorFilters: 64,
  discriminatorLayers: 3,
  lossKind: "lsgan",
  cycleWeight: 10,
  identityWeight: 0.5,
  learningRate: 2e-4,
  beta1: 0.5,
  beta2: 0.999,
  epochs: 100,
  decayEpochs: 100,
  poolSize: 50,
  batchSize: 1,
  seed: 0,
});

/**
 * Fills in defaults and checks every field, throwing an error that names the
 * field, its value and what was expected.
 */
export function makeConfig(
  overrides: Partial<CycleGANConfig> = {},
): CycleGANConfig {
  const config: CycleGANConfig = { ...DEFAULT_CONFIG, ...overrides };
  checkImageSize(config.imageSize);
  for (const key of ["channelsA", "channelsB"] as const) {
    if (config[key] !== 1 && config[key] !== 3) {
      throw new RangeError(
        `Config ${key} must be 1 (grey) or 3 (RGB), got ${config[key]}`,
      );
    }
  }
  const positiveIntegers = [
    "generatorFilters",
    "discriminatorFilters",
    "discriminatorLayers",
    "batchSize",
  ] as const;
  for (const key of positiveIntegers) {
    if (!Number.isInteger(config[key]) || config[key] < 1) {
      throw new RangeError(
        `Config ${key} must be a positive integer, got ${config[key]}`,
      );
    }
  }
  const counts = [
    "residualBlocks",
    "epochs",
    "decayEpochs",
    "poolSize",
  ] as const;
  for (const key of counts) {
    if (!Number.isInteger(config[key]) || config[key] < 0) {
      throw new RangeError(
        `Config ${key} must be a whole number >= 0, got ${config[key]}`,
      );
    }
  }
  if (config.epochs + config.decayEpochs < 1) {
    throw new RangeError(
      `Config epochs + decayEpochs must be at least 1, got ${config.epochs} + ${config.decayEpochs}`,
    );
  }
  const nonNegative = [
    "cycleWeight",
    "identityWeight",
    "learningRate",
  ] as const;
  for (const key of nonNegative) {
    if (!Number.isFinite(config[key]) || config[key] < 0) {
      throw new RangeError(
        `Config ${key} must be a finite number >= 0, got ${config[key]}`,
      );
    }
  }
  for (const key of ["beta1", "beta2"] as const) {
    if (!(config[key] >= 0 && config[key] < 1)) {
      throw new RangeError(
        `Config ${key} must be in [0, 1), got ${config[key]}`,
      );
    }
  }
  if (config.lossKind !== "lsgan" && config.lossKind !== "bce") {
    throw new RangeError(
      `Config lossKind must be "lsgan" or "bce", got ${
        JSON.stringify(config.lossKind)
      }`,
    );
  }
  if (!Number.isInteger(config.seed)) {
    throw new RangeError(`Config seed must be an integer, got ${config.seed}`);
  }
  return config;
}

/**
 * Throws unless `size` is a positive multiple of 4: the generator halves the
 * image twice and doubles it twice, so any other size would not come back to
 * where it started. The message names the nearest valid sizes.
 */
export function checkImageSize(size: number, what = "Image size"): void {
  if (Number.isInteger(size) && size >= 4 && size % 4 === 0) return;
  const below = Math.max(4, Math.floor(size / 4) * 4);
  const above = Math.max(4, Math.ceil(size / 4) * 4);
  const nearest = below === above ? `${below}` : `${below} or ${above}`;
  throw new RangeError(
    `${what} must be a positive multiple of 4, got ${size}; nearest valid: ${nearest}`,
  );
}

/**
 * Whether the identity loss applies: it feeds domain B images to the A->B
 * generator, which only works when both domains have the same channels.
 */
export function identityApplies(config: CycleGANConfig): boolean {
  return config.identityWeight > 0 && config.channelsA === config.channelsB;
}
