/**
 * Training-step benchmark: seconds per CycleGAN step on each CPU backend,
 * and optionally PyTorch on the same machine in the same run.
 *
 *   deno task bench                       # 64 px/2 blocks, 128 px/6 blocks
 *   deno task bench --configs 64x2,128x6,256x9 --backends native,wasm \
 *     --steps 3 --vs-torch
 *
 * Each (backend, configuration) runs in its own process, so that peak
 * resident memory (VmHWM) belongs to that run alone. Results are written to
 * bench/results/<timestamp>.json; `--markdown` prints the table as Markdown.
 * `--leak 1000` instead counts tensors over 1000 steps of a tiny model.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type FlopConfig, stepFlops } from "./flops.ts";
import type { Tensor4D } from "../lib/tf.ts";

interface Run {
  backend: string;
  imageSize: number;
  residualBlocks: number;
  channels: number;
  filters: number;
  batchSize: number;
}

interface Result extends Run {
  ok: boolean;
  error?: string;
  reason?: string;
  secondsPerStep?: number;
  stepSeconds?: number[];
  tensorsBefore?: number;
  tensorsAfter?: number;
  peakRssMiB?: number;
  threads?: number;
}

const BENCH_DIR = new URL("./", import.meta.url);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function peakRssMiB(): Promise<number> {
  const status = await Deno.readTextFile("/proc/self/status");
  const match = status.match(/VmHWM:\s+(\d+) kB/);
  return match ? Number(match[1]) / 1024 : NaN;
}

/** The measured child: one backend, one configuration. */
async function child(run: Run, warmup: number, steps: number): Promise<Result> {
  const { tf } = await import("../lib/tf.ts");
  const { selectBackend } = await import("../lib/backend.ts");
  const { CycleGAN } = await import("../lib/train_step.ts");
  const report = await selectBackend(run.backend as "native");
  if (report.name !== run.backend) {
    return { ...run, ok: false, error: report.reason };
  }
  const model = CycleGAN.create({
    imageSize: run.imageSize,
    residualBlocks: run.residualBlocks,
    generatorFilters: run.filters,
    discriminatorFilters: run.filters,
    channelsA: run.channels as 1 | 3,
    channelsB: run.channels as 1 | 3,
    batchSize: run.batchSize,
  });
  const shape: [number, number, number, number] = [
    run.batchSize,
    run.imageSize,
    run.imageSize,
    run.channels,
  ];
  const realA = tf.randomUniform(shape, -1, 1, "float32", 1) as Tensor4D;
  const realB = tf.randomUniform(shape, -1, 1, "float32", 2) as Tensor4D;
  for (let i = 0; i < warmup; i++) await model.trainStep(realA, realB);
  const tensorsBefore = tf.memory().numTensors;
  const stepSeconds: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    await model.trainStep(realA, realB);
    stepSeconds.push((performance.now() - start) / 1000);
  }
  const tensorsAfter = tf.memory().numTensors;
  model.dispose();
  tf.dispose([realA, realB]);
  return {
    ...run,
    ok: true,
    reason: report.reason,
    secondsPerStep: median(stepSeconds),
    stepSeconds,
    tensorsBefore,
    tensorsAfter,
    peakRssMiB: await peakRssMiB(),
  };
}

/**
 * Tensor count over many steps of a tiny model: after the image pools are
 * full (poolSize steps), the count must not move.
 */
async function leakCheck(backend: string, steps: number): Promise<string> {
  const { tf } = await import("../lib/tf.ts");
  const { selectBackend } = await import("../lib/backend.ts");
  const { CycleGAN } = await import("../lib/train_step.ts");
  const report = await selectBackend(backend as "native");
  if (report.name !== backend) return `${backend}: ${report.reason}`;
  const poolSize = 10;
  const model = CycleGAN.create({
    imageSize: 32,
    generatorFilters: 2,
    discriminatorFilters: 2,
    residualBlocks: 1,
    poolSize,
  });
  const a = tf.randomUniform([1, 32, 32, 1], -1, 1) as Tensor4D;
  const b = tf.randomUniform([1, 32, 32, 1], -1, 1) as Tensor4D;
  let afterPool = 0;
  for (let step = 1; step <= steps; step++) {
    await model.trainStep(a, b);
    if (step === poolSize + 1) afterPool = tf.memory().numTensors;
  }
  const end = tf.memory().numTensors;
  model.dispose();
  tf.dispose([a, b]);
  return `${backend}: ${afterPool} tensors after step ${poolSize + 1}, ` +
    `${end} after step ${steps}${afterPool === end ? " (flat)" : " (GROWS)"}`;
}

async function runChild(
  run: Run,
  warmup: number,
  steps: number,
  threads: number,
): Promise<Result> {
  const args = [
    "run",
    "-A",
    new URL("./bench.ts", BENCH_DIR).pathname,
    "--child",
    JSON.stringify(run),
    "--warmup",
    String(warmup),
    "--steps",
    String(steps),
  ];
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    env: { CYCLEGAN_THREADS: String(threads) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout).trim().split("\n").pop();
  try {
    return JSON.parse(text ?? "");
  } catch {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    return { ...run, ok: false, error: stderr.split("\n").slice(-3).join(" ") };
  }
}

async function runTorch(
  run: Run,
  warmup: number,
  steps: number,
  threads: number,
): Promise<Result> {
  const torchRun = { ...run, backend: "pytorch" };
  try {
    const output = await new Deno.Command("/usr/bin/python3", {
      args: [
        new URL("./torch_step.py", BENCH_DIR).pathname,
        "--size",
        String(run.imageSize),
        "--blocks",
        String(run.residualBlocks),
        "--channels",
        String(run.channels),
        "--filters",
        String(run.filters),
        "--batch",
        String(run.batchSize),
        "--warmup",
        String(warmup),
        "--steps",
        String(steps),
        "--threads",
        String(threads),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout).trim();
    if (!output.success) {
      const stderr = new TextDecoder().decode(output.stderr).trim();
      return { ...torchRun, ok: false, error: stderr.split("\n").pop() };
    }
    return { ...torchRun, ...JSON.parse(text.split("\n").pop()!), ok: true };
  } catch (error) {
    return { ...torchRun, ok: false, error: String(error) };
  }
}

/** The CPU's peak fp32 rate, and how it was derived. */
async function cpuPeak(): Promise<
  { gflops: number; how: string; model: string }
> {
  const info = await Deno.readTextFile("/proc/cpuinfo");
  const model = info.match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
  const flags = new Set(info.match(/flags\s*:\s*(.*)/)?.[1].split(" ") ?? []);
  const mhz = Number(info.match(/cpu MHz\s*:\s*([\d.]+)/)?.[1] ?? NaN);
  const cores = navigator.hardwareConcurrency;
  // Two FMA pipes per core; lanes of fp32 per vector; 2 FLOP per FMA.
  const lanes = flags.has("avx512f") ? 16 : flags.has("avx2") ? 8 : 4;
  const perCycle = (flags.has("fma") ? 2 * 2 : 2) * lanes;
  const gflops = cores * (mhz / 1000) * perCycle;
  const how = `${cores} cores x ${(mhz / 1000).toFixed(2)} GHz x ` +
    `${perCycle} FLOP/cycle (${
      flags.has("avx512f") ? "AVX-512" : flags.has("avx2") ? "AVX2" : "SSE"
    }${flags.has("fma") ? ", 2 FMA pipes x 2 FLOP" : ""}, ${lanes} fp32 lanes)`;
  return { gflops, how, model };
}

function parseRuns(
  configs: string,
  backends: string[],
  base: Omit<Run, "backend" | "imageSize" | "residualBlocks">,
): Run[] {
  const runs: Run[] = [];
  for (const config of configs.split(",")) {
    const match = config.trim().match(/^(\d+)x(\d+)$/);
    if (!match) {
      throw new Error(
        `--configs expects SIZExBLOCKS items like 128x6, got "${config}"`,
      );
    }
    for (const backend of backends) {
      runs.push({
        ...base,
        backend,
        imageSize: Number(match[1]),
        residualBlocks: Number(match[2]),
      });
    }
  }
  return runs;
}

function flopConfig(run: Run): FlopConfig {
  return {
    imageSize: run.imageSize,
    channels: run.channels,
    generatorFilters: run.filters,
    residualBlocks: run.residualBlocks,
    discriminatorFilters: run.filters,
    discriminatorLayers: 3,
    batchSize: run.batchSize,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      child: { type: "string" },
      configs: { type: "string", default: "64x2,128x6" },
      backends: { type: "string", default: "native,wasm" },
      steps: { type: "string", default: "3" },
      warmup: { type: "string", default: "1" },
      channels: { type: "string", default: "1" },
      filters: { type: "string", default: "64" },
      batch: { type: "string", default: "1" },
      threads: { type: "string" },
      "vs-torch": { type: "boolean", default: false },
      markdown: { type: "boolean", default: false },
      out: { type: "string" },
      leak: { type: "string" },
    },
  });
  const steps = Number(values.steps), warmup = Number(values.warmup);
  if (values.leak) {
    for (const backend of values.backends!.split(",")) {
      console.log(await leakCheck(backend, Number(values.leak)));
    }
    return;
  }
  if (values.child) {
    const run = JSON.parse(values.child) as Run;
    let result: Result;
    try {
      result = await child(run, warmup, steps);
    } catch (error) {
      result = { ...run, ok: false, error: String(error).split("\n")[0] };
    }
    console.log(JSON.stringify(result));
    return;
  }

  const peak = await cpuPeak();
  const threads = Number(values.threads ?? navigator.hardwareConcurrency);
  const runs = parseRuns(values.configs!, values.backends!.split(","), {
    channels: Number(values.channels),
    filters: Number(values.filters),
    batchSize: Number(values.batch),
  });
  console.log(
    `CPU: ${peak.model}; peak fp32 ${
      peak.gflops.toFixed(0)
    } GFLOP/s = ${peak.how}`,
  );
  console.log(
    `Step: batch ${values.batch}, ${values.channels} channel(s), ${values.filters} filters, ${threads} thread(s) for native and PyTorch; median of ${steps} steps after ${warmup} warm-up`,
  );
  const results: Array<Result & { gflop: number }> = [];
  const seen = new Set<string>();
  for (const run of runs) {
    const key = `${run.imageSize}x${run.residualBlocks}`;
    if (values["vs-torch"] && !seen.has(key)) {
      seen.add(key);
      const result = await runTorch(run, warmup, steps, threads);
      results.push({ ...result, gflop: stepFlops(flopConfig(run)) / 1e9 });
      report(results.at(-1)!);
    }
    const result = await runChild(run, warmup, steps, threads);
    results.push({ ...result, gflop: stepFlops(flopConfig(run)) / 1e9 });
    report(results.at(-1)!);
  }

  function row(r: Result & { gflop: number }): string[] {
    const config = `${r.imageSize} px, ${r.residualBlocks} blocks`;
    if (!r.ok) {
      return [config, r.backend, `failed: ${r.error}`, "", "", "", "", "", ""];
    }
    const s = r.secondsPerStep!;
    const rate = r.gflop / s;
    const torch = results.find((t) =>
      t.backend === "pytorch" && t.ok && t.imageSize === r.imageSize &&
      t.residualBlocks === r.residualBlocks
    );
    const ratio = torch && r.backend !== "pytorch"
      ? (torch.secondsPerStep! / s).toFixed(2)
      : "";
    return [
      config,
      r.backend,
      s.toFixed(2),
      (r.batchSize / s).toFixed(2),
      r.gflop.toFixed(1),
      rate.toFixed(1),
      `${(100 * rate / peak.gflops).toFixed(0)}%`,
      r.peakRssMiB ? `${r.peakRssMiB.toFixed(0)}` : "",
      ratio,
    ];
  }
  function report(r: Result & { gflop: number }): void {
    const cells = row(r);
    console.log(
      `${cells[0].padEnd(18)} ${cells[1].padEnd(8)} ${cells[2]} s/step  ${
        cells[3]
      } img/s  ${cells[4]} GFLOP  ${cells[5]} GFLOP/s  ${
        cells[6]
      } of peak  peak RSS ${cells[7]} MiB${
        cells[8] ? `  torch/this ${cells[8]}` : ""
      }${
        r.ok && r.tensorsAfter !== r.tensorsBefore && r.backend !== "pytorch"
          ? `  TENSORS ${r.tensorsBefore}->${r.tensorsAfter}`
          : ""
      }`,
    );
  }

  const stamp = new Date().toISOString();
  const out = values.out ??
    new URL(`./results/${stamp.replace(/[:.]/g, "-")}.json`, BENCH_DIR)
      .pathname;
  await Deno.mkdir(new URL("./results/", BENCH_DIR), { recursive: true });
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ")
    .slice(0, 3).join(" ");
  await Deno.writeTextFile(
    out,
    JSON.stringify({ date: stamp, cpu: peak, threads, load, results }, null, 2),
  );
  console.log(`load average at the end: ${load}`);
  console.log(`results: ${out}`);
  if (values.markdown) {
    console.log(
      `\n| config | backend | s/step | img/s | GFLOP/step | GFLOP/s | of peak | peak RSS MiB | PyTorch time / this |`,
    );
    console.log(`|---|---|---|---|---|---|---|---|---|`);
    for (const r of results) console.log(`| ${row(r).join(" | ")} |`);
  }
}

if (import.meta.main) await main();
