/**
 * Checkpoints: everything needed to continue training exactly where it
 * stopped, written so that a crash can never leave a half-written one.
 *
 * A run folder holds `checkpoints/step-000120/` folders and a `latest` file
 * naming the newest. Each checkpoint is first written under a temporary
 * name and then renamed into place, and `latest` is replaced the same way,
 * so a reader sees either the old checkpoint or the new one, never a mix.
 *
 * Inside a checkpoint, each network is a standard tfjs `model.json` +
 * `weights.bin` pair (tfjs's `loadLayersModel` reads it once this library
 * is imported, which registers the custom layers), next to the optimizers'
 * moments, the image pools, `config.json` and `state.json`.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { type CycleGANConfig, makeConfig } from "./config.ts";
import { CycleGAN } from "./train_step.ts";

/** Where training stood when the checkpoint was written. */
export interface TrainingState {
  /** Steps taken in all. */
  step: number;
  /** 0-based epoch in progress. */
  epoch: number;
  /** Batches of that epoch already trained on. */
  batchInEpoch: number;
  /** Anything else the caller wants back (e.g. the data order's seed). */
  extra?: Record<string, unknown>;
}

const NETWORKS = [
  "generatorAB",
  "generatorBA",
  "discriminatorA",
  "discriminatorB",
] as const;
type NetworkName = typeof NETWORKS[number];

const FOLDERS: Record<NetworkName, string> = {
  generatorAB: "generator_ab",
  generatorBA: "generator_ba",
  discriminatorA: "discriminator_a",
  discriminatorB: "discriminator_b",
};

/** Writes a file atomically: a temporary file first, then a rename. */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
): Promise<void> {
  const temporary = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  if (typeof data === "string") await Deno.writeTextFile(temporary, data);
  else await Deno.writeFile(temporary, data);
  await Deno.rename(temporary, path);
}

function concatWeights(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const buffers = Array.isArray(data) ? data : [data];
  const total = buffers.reduce((sum, b) => sum + b.byteLength, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const buffer of buffers) {
    bytes.set(new Uint8Array(buffer), offset);
    offset += buffer.byteLength;
  }
  return bytes;
}

/**
 * Saves a layers model as tfjs's standard `model.json` + `weights.bin` in
 * `folder` (created if missing). tfjs has no `file://` handler under Deno;
 * this is one.
 */
export async function saveLayersModel(
  model: tf.LayersModel,
  folder: string,
): Promise<void> {
  await Deno.mkdir(folder, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weights = concatWeights(artifacts.weightData ?? new ArrayBuffer(0));
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: "layers-model",
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
      weightsManifest: [{
        paths: ["weights.bin"],
        weights: artifacts.weightSpecs ?? [],
      }],
    };
    await writeFileAtomic(`${folder}/weights.bin`, weights);
    await writeFileAtomic(`${folder}/model.json`, JSON.stringify(modelJson));
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: "JSON",
        weightDataBytes: weights.byteLength,
      },
    };
  }));
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: Array<
    { paths: string[]; weights: tf.io.WeightsManifestEntry[] }
  >;
}

async function readModelJson(folder: string): Promise<ModelJson> {
  const path = `${folder}/model.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
  }
  const json = JSON.parse(text) as ModelJson;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new Error(
      `${path} is not a tfjs layers model.json (expected modelTopology and weightsManifest)`,
    );
  }
  return json;
}

async function readWeights(folder: string, json: ModelJson) {
  const specs = json.weightsManifest.flatMap((group) => group.weights);
  const parts = await Promise.all(
    json.weightsManifest.flatMap((group) =>
      group.paths.map((path) => Deno.readFile(`${folder}/${path}`))
    ),
  );
  const bytes = concatWeights(parts.map((part) => part.slice().buffer));
  const expected = specs.reduce(
    (sum, spec) => sum + 4 * spec.shape.reduce((a, b) => a * b, 1),
    0,
  );
  if (bytes.byteLength !== expected) {
    throw new Error(
      `${folder}/weights.bin holds ${bytes.byteLength} bytes, model.json expects ${expected}`,
    );
  }
  return { specs, data: bytes.buffer as ArrayBuffer };
}

/**
 * Loads a `model.json` + `weights.bin` folder written by
 * {@link saveLayersModel} (or by tfjs elsewhere) as a layers model.
 */
export async function loadLayersModel(folder: string): Promise<tf.LayersModel> {
  const json = await readModelJson(folder);
  const { specs, data } = await readWeights(folder, json);
  return await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: data,
  }));
}

async function loadWeightsInto(model: tf.LayersModel, folder: string) {
  const json = await readModelJson(folder);
  const { specs, data } = await readWeights(folder, json);
  const tensors = tf.io.decodeWeights(data, specs);
  try {
    model.loadWeights(tensors, true);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

type Optimizer = CycleGAN["optimizerG"];

/** Writes float arrays back to back as one little-endian float32 file. */
async function writeFloats(
  path: string,
  arrays: ArrayLike<number>[],
): Promise<void> {
  const data = new Float32Array(arrays.reduce((sum, a) => sum + a.length, 0));
  let offset = 0;
  for (const array of arrays) {
    data.set(array, offset);
    offset += array.length;
  }
  await Deno.writeFile(path, new Uint8Array(data.buffer));
}

/**
 * Reads a file written by {@link writeFloats} and cuts it into one array
 * per shape; throws when the sizes do not add up to the file's length.
 */
async function readFloats(
  path: string,
  shapes: number[][],
  describedBy: string,
): Promise<Float32Array[]> {
  const data = new Float32Array((await Deno.readFile(path)).slice().buffer);
  let offset = 0;
  const arrays = shapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const array = data.slice(offset, offset + size);
    offset += size;
    return array;
  });
  if (offset !== data.length) {
    throw new Error(
      `${path} holds ${data.length} values, ${describedBy} describes ${offset}`,
    );
  }
  return arrays;
}

async function saveOptimizer(optimizer: Optimizer, path: string) {
  const weights = await optimizer.getWeights();
  const entries = await Promise.all(weights.map(async ({ name, tensor }) => ({
    name,
    shape: tensor.shape,
    dtype: tensor.dtype,
    values: await tensor.data(),
  })));
  // The iteration counter is a fresh tensor made for us; the rest belong to
  // the optimizer.
  weights[0].tensor.dispose();
  const manifest = entries.map(({ name, shape, dtype }) => ({
    name,
    shape,
    dtype,
  }));
  await writeFloats(`${path}.bin`, entries.map((entry) => entry.values));
  await Deno.writeTextFile(`${path}.json`, JSON.stringify(manifest));
}

async function loadOptimizer(optimizer: Optimizer, path: string) {
  const manifest = JSON.parse(await Deno.readTextFile(`${path}.json`)) as Array<
    { name: string; shape: number[]; dtype: "float32" | "int32" }
  >;
  const values = await readFloats(
    `${path}.bin`,
    manifest.map((entry) => entry.shape),
    `${path}.json`,
  );
  const weights = manifest.map(({ name, shape, dtype }, i) => ({
    name,
    tensor: tf.tensor(values[i], shape, dtype),
  }));
  await optimizer.setWeights(weights);
  tf.dispose(weights.map((w) => w.tensor));
  restoreBiasCorrection(optimizer);
}

/**
 * tfjs's Adam keeps beta1^t and beta2^t as running float32 products, but
 * `setWeights` recomputes them with one `pow`, which rounds differently:
 * a resumed run would drift from an uninterrupted one in the 7th digit
 * after a few steps. Rebuilding the products step by step (a float32
 * product of two float32 values is exactly `Math.fround` of the double
 * product) makes resuming bit-exact.
 */
function restoreBiasCorrection(optimizer: Optimizer): void {
  const adam = optimizer as unknown as {
    beta1: number;
    beta2: number;
    iterations: number;
    accBeta1: tf.Variable;
    accBeta2: tf.Variable;
  };
  const running = (beta: number) => {
    let product = Math.fround(beta);
    for (let step = 0; step < adam.iterations; step++) {
      product = Math.fround(product * Math.fround(beta));
    }
    return product;
  };
  tf.tidy(() => {
    adam.accBeta1.assign(tf.scalar(running(adam.beta1)));
    adam.accBeta2.assign(tf.scalar(running(adam.beta2)));
  });
}

async function savePool(pool: CycleGAN["poolA"], path: string) {
  const images = await pool.snapshot();
  const shapes = images.map((image) => image.shape);
  await writeFloats(`${path}.bin`, images.map((image) => image.data));
  await Deno.writeTextFile(
    `${path}.json`,
    JSON.stringify({ shapes, randomState: pool.random.state }),
  );
}

async function loadPool(pool: CycleGAN["poolA"], path: string) {
  const { shapes, randomState } = JSON.parse(
    await Deno.readTextFile(`${path}.json`),
  ) as { shapes: number[][]; randomState: number };
  const images = await readFloats(`${path}.bin`, shapes, `${path}.json`);
  pool.restore(shapes.map((shape, i) => ({ shape, data: images[i] })));
  pool.random.state = randomState;
}

/** The folder name of the checkpoint at `step`. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, "0")}`;
}

/**
 * Saves the whole training state under `runFolder/checkpoints/`, then points
 * `latest` at it and deletes all but the newest `keep` checkpoints.
 * Returns the checkpoint's folder.
 */
export async function saveCheckpoint(
  model: CycleGAN,
  runFolder: string,
  state: Omit<TrainingState, "step">,
  options: { keep?: number } = {},
): Promise<string> {
  const root = `${runFolder}/checkpoints`;
  await Deno.mkdir(root, { recursive: true });
  const name = checkpointName(model.step);
  const temporary = `${root}/.partial-${name}-${
    crypto.randomUUID().slice(0, 8)
  }`;
  await Deno.mkdir(temporary);

  for (const network of NETWORKS) {
    await saveLayersModel(model[network], `${temporary}/${FOLDERS[network]}`);
  }
  await saveOptimizer(model.optimizerG, `${temporary}/optimizer_g`);
  await saveOptimizer(model.optimizerD, `${temporary}/optimizer_d`);
  await savePool(model.poolA, `${temporary}/pool_a`);
  await savePool(model.poolB, `${temporary}/pool_b`);
  const fullState: TrainingState = { ...state, step: model.step };
  await Deno.writeTextFile(
    `${temporary}/config.json`,
    JSON.stringify(model.config, null, 2),
  );
  await Deno.writeTextFile(
    `${temporary}/state.json`,
    JSON.stringify({ ...fullState, learningRate: model.learningRate }, null, 2),
  );

  const final = `${root}/${name}`;
  await Deno.remove(final, { recursive: true }).catch(() => {});
  await Deno.rename(temporary, final);
  await writeFileAtomic(`${root}/latest`, `${name}\n`);
  await pruneCheckpoints(root, options.keep ?? 2);
  return final;
}

async function pruneCheckpoints(root: string, keep: number) {
  const names: string[] = [];
  for await (const entry of Deno.readDir(root)) {
    if (entry.isDirectory && /^step-\d+$/.test(entry.name)) {
      names.push(entry.name);
    }
    // A partial folder is what a crash mid-save leaves behind.
    if (entry.isDirectory && entry.name.startsWith(".partial-")) {
      await Deno.remove(`${root}/${entry.name}`, { recursive: true }).catch(
        () => {},
      );
    }
  }
  names.sort();
  for (const name of names.slice(0, Math.max(0, names.length - keep))) {
    await Deno.remove(`${root}/${name}`, { recursive: true });
  }
}

/**
 * Finds the checkpoint folder for a path: a checkpoint folder itself, or a
 * run folder (its `checkpoints/latest`). Throws naming the path when there
 * is none.
 */
export async function resolveCheckpoint(path: string): Promise<string> {
  const isCheckpoint = async (folder: string) => {
    try {
      return (await Deno.stat(`${folder}/state.json`)).isFile;
    } catch {
      return false;
    }
  };
  if (await isCheckpoint(path)) return path;
  const root = `${path}/checkpoints`;
  let name: string;
  try {
    name = (await Deno.readTextFile(`${root}/latest`)).trim();
  } catch {
    throw new Error(
      `No checkpoint found at ${path}: expected a run folder with checkpoints/latest, or a checkpoint folder with state.json`,
    );
  }
  if (!(await isCheckpoint(`${root}/${name}`))) {
    throw new Error(
      `${root}/latest names ${name}, which is not a complete checkpoint`,
    );
  }
  return `${root}/${name}`;
}

/** Reads only the config of a checkpoint (or run folder). */
export async function readCheckpointConfig(
  path: string,
): Promise<CycleGANConfig> {
  const folder = await resolveCheckpoint(path);
  return makeConfig(
    JSON.parse(await Deno.readTextFile(`${folder}/config.json`)),
  );
}

/**
 * Rebuilds a CycleGAN from a checkpoint (or a run folder's latest): the
 * networks, optimizers, pools and step, and returns where training stood.
 */
export async function loadCheckpoint(
  path: string,
): Promise<{ model: CycleGAN; state: TrainingState; folder: string }> {
  const folder = await resolveCheckpoint(path);
  const config = await readCheckpointConfig(folder);
  const saved = JSON.parse(await Deno.readTextFile(`${folder}/state.json`)) as
    & TrainingState
    & { learningRate: number };
  const model = CycleGAN.create(config);
  try {
    for (const network of NETWORKS) {
      await loadWeightsInto(model[network], `${folder}/${FOLDERS[network]}`);
    }
    await loadOptimizer(model.optimizerG, `${folder}/optimizer_g`);
    await loadOptimizer(model.optimizerD, `${folder}/optimizer_d`);
    await loadPool(model.poolA, `${folder}/pool_a`);
    await loadPool(model.poolB, `${folder}/pool_b`);
  } catch (error) {
    model.dispose();
    throw new Error(
      `Checkpoint ${folder} could not be loaded: ${(error as Error).message}`,
    );
  }
  model.step = saved.step;
  model.learningRate = saved.learningRate;
  const { learningRate: _, ...state } = saved;
  return { model, state, folder };
}

/**
 * Loads only one generator from a checkpoint (or run folder), for
 * translation. The caller owns the model.
 */
export async function loadGenerator(
  path: string,
  direction: "AtoB" | "BtoA",
): Promise<{ generator: tf.LayersModel; config: CycleGANConfig }> {
  const folder = await resolveCheckpoint(path);
  const config = await readCheckpointConfig(folder);
  const name = direction === "AtoB" ? "generator_ab" : "generator_ba";
  return { generator: await loadLayersModel(`${folder}/${name}`), config };
}
