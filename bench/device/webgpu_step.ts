/**
 * Times the project's CycleGAN training step on tfjs's WebGPU backend, for
 * a machine with a real GPU. `run_webgpu_bench.sh` bundles this file into
 * one JavaScript file (the device machine cannot reach npm) and runs it
 * there; it also runs here, on any adapter:
 *
 *   deno run -A bench/device/webgpu_step.ts --size 32 --blocks 1 --steps 2
 *
 * Prints one JSON line per configuration: the adapter, the sizes, the first
 * step (shader compilation included) and the median of the timed steps.
 * Each step ends with a read of its losses, so the GPU has finished it.
 *
 * Options: --size N (default 128), --blocks N (6), --filters N (64),
 * --steps N timed steps (5), --warmup N untimed steps after the first (1),
 * --budget S seconds after which no further step starts (240),
 * --flag NAME=VALUE to set a tfjs flag (repeatable), --backend NAME
 * (webgpu; cpu or wasm to compare), --gemm-filter-grad 1 to use the
 * matrix-multiply filter gradient of `lib/kernels/webgpu_conv.ts`,
 * --profile 1 to run one more step under
 * `tf.profile` and report where its GPU time went (per-kernel times come
 * from timestamp queries where the device has them).
 *
 * @module
 */
import { tf } from "../../lib/tf.ts";
import { type BackendChoice, selectBackend } from "../../lib/backend.ts";
import { CycleGAN } from "../../lib/train_step.ts";
import { useGemmFilterGradient } from "../../lib/kernels/webgpu_conv.ts";

interface Options {
  size: number;
  blocks: number;
  filters: number;
  steps: number;
  warmup: number;
  budget: number;
  profile: number;
  gemmFilterGrad: number;
  flags: Record<string, string>;
  backend: BackendChoice;
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    size: 128,
    blocks: 6,
    filters: 64,
    steps: 5,
    warmup: 1,
    budget: 240,
    profile: 0,
    gemmFilterGrad: 0,
    flags: {},
    backend: "webgpu",
  };
  for (let i = 0; i < args.length; i += 2) {
    const [name, value] = [args[i], args[i + 1]];
    if (value === undefined) throw new Error(`Option ${name} needs a value`);
    if (name === "--flag") {
      const [flag, setting] = value.split("=");
      if (!flag || setting === undefined) {
        throw new Error(`--flag expects NAME=VALUE, got ${value}`);
      }
      options.flags[flag] = setting;
    } else if (name === "--backend") {
      options.backend = value as BackendChoice;
    } else {
      const key = name.replace(/^--/, "")
        .replace(
          /-(\w)/g,
          (_, letter: string) => letter.toUpperCase(),
        ) as keyof Options;
      const number = Number(value);
      if (
        ![
          "size",
          "blocks",
          "filters",
          "steps",
          "warmup",
          "budget",
          "profile",
          "gemmFilterGrad",
        ].includes(
          key,
        ) || !Number.isFinite(number)
      ) {
        throw new Error(`Unknown option or bad number: ${name} ${value}`);
      }
      (options[key] as number) = number;
    }
  }
  return options;
}

function flagValue(setting: string): number | boolean {
  if (setting === "true" || setting === "false") return setting === "true";
  return Number(setting);
}

/** Kernel name -> calls and summed GPU milliseconds. */
type KernelTimes = Record<string, { calls: number; ms: number }>;

/**
 * One more step under tf.profile: its wall time, the GPU time summed over
 * kernels, and the kernels that took longest. Wall time well above the
 * summed kernel time means the step is bound by per-op overhead, not by the
 * GPU's arithmetic.
 */
async function profileStep() {
  const before = performance.now();
  const info = await tf.profile(async () => {
    await model.trainStep(realA, realB);
  });
  const wallMs = performance.now() - before;
  const kernels: KernelTimes = {};
  let kernelMs = 0;
  for (const kernel of info.kernels) {
    const ms = typeof kernel.kernelTimeMs === "number"
      ? kernel.kernelTimeMs
      : 0;
    kernelMs += ms;
    const entry = kernels[kernel.name] ??= { calls: 0, ms: 0 };
    entry.calls += 1;
    entry.ms += ms;
  }
  const top = Object.entries(kernels)
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 12)
    .map(([name, { calls, ms }]) => ({
      name,
      calls,
      ms: Math.round(ms * 10) / 10,
    }));
  return { wallMs, kernelMs, kernelCalls: info.kernels.length, top };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

const options = parseOptions(Deno.args);
const report = await selectBackend(options.backend);
if (report.name !== options.backend) {
  console.log(JSON.stringify({ error: report.reason, backend: report.name }));
  Deno.exit(1);
}
for (const [flag, setting] of Object.entries(options.flags)) {
  tf.env().set(flag, flagValue(setting));
}
if (options.gemmFilterGrad) {
  useGemmFilterGradient(true);
  options.flags.gemmFilterGrad = "1";
}

const started = performance.now();
const model = CycleGAN.create({
  imageSize: options.size,
  generatorFilters: options.filters,
  discriminatorFilters: options.filters,
  residualBlocks: options.blocks,
  seed: 1,
});
const shape: [number, number, number, number] = [
  1,
  options.size,
  options.size,
  1,
];
const realA = tf.randomUniform(shape, -1, 1, "float32", 1) as tf.Tensor4D;
const realB = tf.randomUniform(shape, -1, 1, "float32", 2) as tf.Tensor4D;

const times: number[] = [];
let lossG = NaN;
const total = 1 + options.warmup + options.steps;
for (let step = 0; step < total; step++) {
  if ((performance.now() - started) / 1000 > options.budget) break;
  const before = performance.now();
  lossG = (await model.trainStep(realA, realB)).lossG;
  times.push((performance.now() - before) / 1000);
  // Progress on stderr, so that a run stopped by its time limit still
  // leaves its step times in the log.
  console.error(JSON.stringify({ step, seconds: times.at(-1) }));
}
const timed = times.slice(1 + options.warmup);
const withinBudget = (performance.now() - started) / 1000 < options.budget;
const profile = options.profile && withinBudget
  ? await profileStep()
  : undefined;
console.log(JSON.stringify({
  backend: report.name,
  adapter: report.adapter ?? null,
  size: options.size,
  blocks: options.blocks,
  filters: options.filters,
  flags: options.flags,
  firstStepS: times[0],
  stepS: timed.length ? median(timed) : null,
  timedSteps: timed.length,
  allStepsS: times,
  lossG,
  tensors: tf.memory().numTensors,
  profile,
}));
tf.dispose([realA, realB]);
model.dispose();
