/**
 * cyclegan-deno: CycleGAN (Zhu et al. 2017), unpaired image-to-image
 * translation, on TensorFlow.js under Deno, written to be read.
 *
 * One concept per module: the blocks, the generator and discriminator, the
 * losses, the image pool, the learning-rate schedule, the training step,
 * checkpoints, metrics, backend selection, image codecs and plots.
 *
 * ```ts
 * import { CycleGAN, selectBackend, tf } from "./mod.ts";
 *
 * const backend = await selectBackend("cpu");
 * console.log(`Running on ${backend.name}: ${backend.reason}`);
 *
 * const model = CycleGAN.create({
 *   imageSize: 32, generatorFilters: 4, residualBlocks: 1,
 *   discriminatorFilters: 4,
 * });
 * const realA = tf.randomUniform([1, 32, 32, 1], -1, 1) as tf.Tensor4D;
 * const realB = tf.randomUniform([1, 32, 32, 1], -1, 1) as tf.Tensor4D;
 * const losses = await model.trainStep(realA, realB);
 * console.log(losses.lossG, losses.cycleA);
 * tf.dispose([realA, realB]);
 * model.dispose();
 * ```
 *
 * @module
 */
export { tf } from "./tf.ts";
export {
  type AdversarialLossKind,
  checkImageSize,
  type CycleGANConfig,
  DEFAULT_CONFIG,
  identityApplies,
  makeConfig,
} from "./config.ts";
export { SeededRandom } from "./random.ts";
export {
  mirrorPadGradient,
  ReflectionPad2D,
  reflectionPad2d,
} from "./reflection_pad.ts";
export { InstanceNorm, instanceNorm } from "./instance_norm.ts";
export {
  type Activation,
  blockModel,
  type BlockOptions,
  downsampleBlock,
  residualBlock,
  upsampleBlock,
  WeightInit,
} from "./blocks.ts";
export { createGenerator, type GeneratorOptions } from "./generator.ts";
export {
  createDiscriminator,
  type DiscriminatorOptions,
  type PatchGeometry,
  patchGeometry,
} from "./discriminator.ts";
export {
  cycleConsistencyLoss,
  discriminatorLoss,
  generatorAdversarialLoss,
  identityLoss,
} from "./losses.ts";
export { ImagePool } from "./image_pool.ts";
export { learningRateAt } from "./schedule.ts";
export {
  checkShape,
  CycleGAN,
  type Direction,
  type StepLosses,
} from "./train_step.ts";
export {
  loadCheckpoint,
  loadGenerator,
  loadLayersModel,
  readCheckpointConfig,
  resolveCheckpoint,
  saveCheckpoint,
  saveLayersModel,
  type TrainingState,
  writeFileAtomic,
} from "./checkpoint.ts";
export {
  compareImages,
  type ImageStack,
  meanAbsoluteError,
  psnr,
  type QualityScores,
  ssim,
} from "./metrics.ts";
export {
  type BackendChoice,
  type BackendName,
  type BackendReport,
  probeWebGpu,
  selectBackend,
} from "./backend.ts";
export {
  type DecodedImage,
  decodeImage,
  encodePng,
  imageAt,
  imageGrid,
  type PixelImage,
  toFloatPixels,
} from "./image_io.ts";
export {
  architectureTable,
  createDocument,
  featureMapGrid,
  htmlTable,
  imageFigure,
  layerRows,
  lineChart,
  lossChart,
  type LossRecord,
  patchScoreFigure,
  pngBundle,
  pngDataUrl,
  scaleImage,
  toSvgString,
} from "./plot.ts";
