/**
 * `deno task train`: train a CycleGAN and write a run folder.
 *
 * With no arguments it trains on the embedded MRI phantom (T1w -> T2w) with
 * sizes that suit the backend found. `--help` lists every flag.
 *
 * @module
 */
import { Command, Option } from "commander";
import cliProgress from "cli-progress";
import { tf } from "../lib/tf.ts";
import {
  type BackendChoice,
  type BackendName,
  selectBackend,
} from "../lib/backend.ts";
import { type CycleGANConfig, makeConfig } from "../lib/config.ts";
import { CycleGAN, type StepLosses } from "../lib/train_step.ts";
import {
  loadCheckpoint,
  saveCheckpoint,
  writeFileAtomic,
} from "../lib/checkpoint.ts";
import {
  batchesPerEpoch,
  evaluateTranslation,
  sampleTranslations,
  train,
  type TrainingEvent,
} from "../lib/trainer.ts";
import {
  DEFAULT_DATASET,
  openDataset,
  PREPROCESS_MODES,
  type UnpairedDataset,
} from "../datasets/mod.ts";
import {
  backendOption,
  canWrite,
  giveMesaARuntimeDir,
  imageSize,
  integer,
  nonNegative,
  parseOrExitCode,
} from "./args.ts";
import { RunFolder } from "./run_folder.ts";

/** How a run was started; saved as run.json so `--resume` can reopen it. */
export interface RunOptions {
  data: string;
  size: number;
  filters: number;
  discriminatorFilters: number;
  residualBlocks: number;
  epochs: number;
  decayEpochs: number;
  batchSize: number;
  cycleWeight: number;
  identityWeight: number;
  loss: "lsgan" | "bce";
  learningRate: number;
  seed: number;
  /** Training images per domain per epoch (the phantom only). */
  trainCount: number;
  checkpointEvery: number;
  samples: number;
  channels: "auto" | 1 | 3;
  preprocess?: string;
  cacheDir: string;
}

/** Sizes that train in minutes where there is no GPU, and the reference where there is. */
export function defaultsFor(backend: BackendName, data: string) {
  const gpu = backend === "webgpu";
  const phantom = data === DEFAULT_DATASET;
  return {
    size: gpu ? 128 : phantom ? 64 : 128,
    filters: gpu ? 64 : 16,
    discriminatorFilters: gpu ? 64 : 16,
    residualBlocks: gpu ? 6 : 3,
    epochs: gpu ? 20 : phantom ? 3 : 10,
    decayEpochs: gpu ? 20 : phantom ? 2 : 10,
    trainCount: gpu ? 400 : 60,
  };
}

function buildCommand(): Command {
  return new Command()
    .name("deno task train")
    .description(
      "Train a CycleGAN. With no flags: the embedded MRI phantom, T1-weighted (A) to T2-weighted (B).",
    )
    .option(
      "--data <spec>",
      `"${DEFAULT_DATASET}", a folder with trainA/ trainB/ (images or NIfTI), or a public data set name`,
      DEFAULT_DATASET,
    )
    .option("--out <dir>", "run folder to create (default runs/<time>-<data>)")
    .option(
      "--resume <dir>",
      "continue the run in this folder from its last checkpoint",
    )
    .addOption(backendOption())
    .option(
      "--size <n>",
      "image size in pixels, a multiple of 4 (default: 64 on CPU for the phantom, else 128)",
      imageSize,
    )
    .option(
      "--filters <n>",
      "generator base filters (default 16 on CPU, 64 on GPU)",
      integer(1),
    )
    .option(
      "--d-filters <n>",
      "discriminator base filters (default: as --filters)",
      integer(1),
    )
    .option(
      "--res-blocks <n>",
      "residual blocks (default 3 on CPU, 6 on GPU)",
      integer(0),
    )
    .option(
      "--epochs <n>",
      "epochs at the initial learning rate (default: 3 on CPU for the phantom, 10 for other data, 20 on a GPU)",
      integer(0),
    )
    .option(
      "--decay-epochs <n>",
      "epochs of linear decay to zero (default: 2 on CPU for the phantom, 10 for other data, 20 on a GPU)",
      integer(0),
    )
    .option("--batch-size <n>", "images per step", integer(1), 1)
    .option(
      "--train-count <n>",
      "phantom: training images per domain and epoch (default 60 on CPU, 400 on a GPU)",
      integer(1),
    )
    .option(
      "--cycle-weight <x>",
      "lambda, weight of the cycle loss",
      nonNegative,
      10,
    )
    .option(
      "--identity-weight <x>",
      "identity loss weight, as a fraction of the cycle weight",
      nonNegative,
      0.5,
    )
    .addOption(
      new Option("--loss <kind>", "adversarial loss").choices(["lsgan", "bce"])
        .default("lsgan"),
    )
    .option("--lr <x>", "Adam learning rate", nonNegative, 2e-4)
    .option(
      "--seed <n>",
      "seed for weights, data order and the phantom",
      integer(0),
      0,
    )
    .addOption(
      new Option("--channels <n>", "image folders: channels per image").choices(
        ["auto", "1", "3"],
      ).default("auto"),
    )
    .addOption(
      new Option(
        "--preprocess <mode>",
        "image folders: how images are fitted to --size",
      ).choices([...PREPROCESS_MODES]).default("resize_and_crop"),
    )
    .option(
      "--max-steps <n>",
      "stop after this many steps in this invocation",
      integer(1),
    )
    .option(
      "--checkpoint-every <n>",
      "steps between checkpoints (and at every epoch end)",
      integer(1),
      100,
    )
    .option(
      "--samples <n>",
      "test images per sample grid and evaluation",
      integer(1),
      4,
    )
    .option(
      "--cache-dir <dir>",
      "where public data sets are downloaded",
      ".cache/datasets",
    )
    .option(
      "--log-every <n>",
      "steps between log lines when not on a terminal",
      integer(1),
      10,
    )
    .showHelpAfterError("(run with --help for every flag)")
    .exitOverride();
}

function formatLosses(l: StepLosses): string {
  const f = (x: number) => x.toFixed(3);
  return `G ${f(l.lossG)} | D_A ${f(l.lossDA)} D_B ${f(l.lossDB)} | cyc ${
    f(l.cycleA + l.cycleB)
  } | idt ${f(l.identityA + l.identityB)}`;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(
    0,
    15,
  );
}

async function openRunData(
  options: RunOptions,
  log: (line: string) => void,
): Promise<UnpairedDataset> {
  let warnings = 0;
  return await openDataset(options.data, {
    size: options.size,
    phantom: {
      trainCount: options.trainCount,
      seed: options.seed,
      testCount: Math.max(16, options.samples),
    },
    images: {
      channels: options.channels,
      ...(options.preprocess
        ? { preprocess: options.preprocess as typeof PREPROCESS_MODES[number] }
        : {}),
    },
    download: {
      cacheDir: options.cacheDir,
      onProgress: (p) => {
        if (p.phase === "download" && p.total) {
          const pct = ((100 * p.done) / p.total).toFixed(0);
          Deno.stderr.writeSync(
            new TextEncoder().encode(`\rDownloading ${p.name}: ${pct}% `),
          );
        } else if (p.phase !== "download") {
          log(
            `${p.phase === "verify" ? "Checking" : "Unpacking"} ${p.name}...`,
          );
        }
      },
    },
    onWarning: (w) => {
      warnings += 1;
      if (warnings <= 10) log(`warning: ${w.path}: ${w.message}`);
      if (warnings === 11) {
        log("warning: more files skipped; see the counts below");
      }
    },
  });
}

function configFrom(
  options: RunOptions,
  dataset: UnpairedDataset,
): CycleGANConfig {
  return makeConfig({
    imageSize: options.size,
    channelsA: dataset.channelsA,
    channelsB: dataset.channelsB,
    generatorFilters: options.filters,
    residualBlocks: options.residualBlocks,
    discriminatorFilters: options.discriminatorFilters,
    lossKind: options.loss,
    cycleWeight: options.cycleWeight,
    identityWeight: options.identityWeight,
    learningRate: options.learningRate,
    epochs: options.epochs,
    decayEpochs: options.decayEpochs,
    batchSize: options.batchSize,
    seed: options.seed,
  });
}

/** Runs the command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const command = buildCommand();
  const parseExit = parseOrExitCode(command, args);
  if (parseExit !== undefined) return parseExit;
  const flags = command.opts();
  const log = (line: string) => console.log(line);

  // Backend first: the default sizes depend on it.
  await giveMesaARuntimeDir();
  const backend = await selectBackend(flags.backend as BackendChoice);
  log(`Backend: ${backend.name} (${backend.reason})`);

  let options: RunOptions;
  let runPath: string;
  if (flags.resume) {
    runPath = flags.resume;
    try {
      options = JSON.parse(await Deno.readTextFile(`${runPath}/run.json`));
    } catch (error) {
      console.error(
        `Cannot resume from ${runPath}: ${
          (error as Error).message
        }; expected a run folder with run.json`,
      );
      return 2;
    }
    if (flags.checkpointEvery !== 100) {
      options.checkpointEvery = flags.checkpointEvery;
    }
  } else {
    const defaults = defaultsFor(backend.name, flags.data);
    options = {
      data: flags.data,
      size: flags.size ?? defaults.size,
      filters: flags.filters ?? defaults.filters,
      discriminatorFilters: flags.dFilters ?? flags.filters ??
        defaults.discriminatorFilters,
      residualBlocks: flags.resBlocks ?? defaults.residualBlocks,
      epochs: flags.epochs ?? defaults.epochs,
      decayEpochs: flags.decayEpochs ?? defaults.decayEpochs,
      batchSize: flags.batchSize,
      cycleWeight: flags.cycleWeight,
      identityWeight: flags.identityWeight,
      loss: flags.loss,
      learningRate: flags.lr,
      seed: flags.seed,
      trainCount: flags.trainCount ?? defaults.trainCount,
      checkpointEvery: flags.checkpointEvery,
      samples: flags.samples,
      channels: flags.channels === "auto"
        ? "auto"
        : Number(flags.channels) as 1 | 3,
      preprocess: flags.preprocess,
      cacheDir: flags.cacheDir,
    };
    const name = options.data.replace(/[^A-Za-z0-9_-]+/g, "_").replace(
      /^_+|_+$/g,
      "",
    ).slice(-40);
    runPath = flags.out ?? `runs/${timestamp()}-${name}`;
  }
  if (!(await canWrite(runPath))) {
    console.error(
      `Cannot write to ${runPath}: this command may only write under runs/ and .cache/. ` +
        `Choose --out runs/NAME, or run it with deno run --allow-write=${runPath} ...`,
    );
    return 2;
  }

  let dataset: UnpairedDataset;
  try {
    dataset = await openRunData(options, log);
  } catch (error) {
    console.error(`Data: ${(error as Error).message}`);
    return 2;
  }
  const skipped = (dataset as { skippedCount?: number }).skippedCount;
  log(
    `Data: ${dataset.name}: ${dataset.trainCount.a} train A, ${dataset.trainCount.b} train B, ` +
      `${dataset.testCount.a} test A, ${dataset.testCount.b} test B; ` +
      `${dataset.channelsA}->${dataset.channelsB} channel(s), ${dataset.size} px` +
      (skipped ? `; ${skipped} unreadable file(s) skipped` : ""),
  );

  let model: CycleGAN;
  let startEpoch = 0;
  let startBatch = 0;
  const run = new RunFolder(runPath);
  try {
    if (flags.resume) {
      const restored = await loadCheckpoint(runPath);
      model = restored.model;
      startEpoch = restored.state.epoch;
      startBatch = restored.state.batchInEpoch;
      await run.open(model.step);
      log(
        `Resuming ${runPath} at step ${model.step} (epoch ${
          startEpoch + 1
        }, batch ${startBatch})`,
      );
    } else {
      try {
        for await (const _ of Deno.readDir(runPath)) {
          console.error(
            `Run folder ${runPath} already exists and is not empty; use --resume ${runPath} or another --out`,
          );
          return 2;
        }
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      const config = configFrom(options, dataset);
      model = CycleGAN.create(config);
      await Deno.mkdir(runPath, { recursive: true });
      await writeFileAtomic(
        `${runPath}/run.json`,
        JSON.stringify(options, null, 2),
      );
      await writeFileAtomic(
        `${runPath}/config.json`,
        JSON.stringify(config, null, 2),
      );
      await run.open();
    }
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }

  const { config } = model;
  const params = model.parameterCounts();
  const millions = (n: number) => `${(n / 1e6).toFixed(2)}M`;
  log(
    `Model: generators ${millions(params.generatorAB)} parameters each ` +
      `(${config.generatorFilters} filters, ${config.residualBlocks} residual blocks), ` +
      `discriminators ${
        millions(params.discriminatorA)
      } each; ${config.imageSize} px, batch ${config.batchSize}`,
  );
  if (model.identityNotice) log(model.identityNotice);
  const perEpoch = batchesPerEpoch(dataset, config.batchSize);
  const totalEpochs = config.epochs + config.decayEpochs;
  const totalSteps = perEpoch * totalEpochs;
  const maxSteps = flags.maxSteps === undefined
    ? undefined
    : model.step + flags.maxSteps;
  const planned = Math.min(totalSteps, maxSteps ?? Infinity);
  log(
    `Plan: ${totalEpochs} epochs x ${perEpoch} steps = ${totalSteps} steps` +
      (maxSteps ? `, stopping at step ${maxSteps}` : "") +
      `; run folder ${runPath}`,
  );

  // Ctrl-C (or a polite kill) stops after the step in progress; a
  // checkpoint is then written below.
  const stop = new AbortController();
  const onSignal = () => {
    if (!stop.signal.aborted) {
      log("\nStopping after this step; writing a checkpoint...");
    }
    stop.abort();
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);

  const tty = Deno.stdout.isTerminal();
  const bar = tty
    ? new cliProgress.SingleBar({
      format:
        "epoch {epoch}/{epochs} |{bar}| {value}/{total} | {losses} | {sps} s/step | ETA {eta_formatted}",
      hideCursor: true,
      etaBuffer: 20,
    }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(planned, model.step, {
    epoch: startEpoch + 1,
    epochs: totalEpochs,
    losses: "",
    sps: "-",
  });
  const print = (
    line: string,
  ) => (bar ? bar.log?.(line + "\n") ?? console.log(line) : console.log(line));

  const writeSamples = async (name: string, epoch: number) => {
    const samples = await sampleTranslations(model, dataset, options.samples);
    await run.writeSamples(samples, name);
    const evaluation = await evaluateTranslation(model, dataset, 16);
    if (evaluation) {
      await run.addMetrics(epoch, model.step, evaluation);
      const t = evaluation.translated;
      const b = evaluation.baseline;
      return `A->B vs true B: PSNR ${t.psnr.toFixed(2)} dB (untranslated ${
        b.psnr.toFixed(2)
      }), ` +
        `SSIM ${t.ssim.toFixed(3)} (${b.ssim.toFixed(3)}), MAE ${
          t.mae.toFixed(4)
        } (${b.mae.toFixed(4)})`;
    }
    return "";
  };

  let lastCheckpointStep = model.step;
  let lastEvent: TrainingEvent | undefined;
  const recent: number[] = [];
  const started = performance.now();
  let exitCode = 0;
  try {
    for await (
      const event of train(model, dataset, {
        startEpoch,
        startBatch,
        maxSteps,
        signal: stop.signal,
      })
    ) {
      lastEvent = event;
      if (event.kind === "step") {
        await run.addStep(
          event.step,
          event.epoch + 1,
          event.seconds,
          event.learningRate,
          event.losses,
        );
        recent.push(event.seconds);
        if (recent.length > 20) recent.shift();
        const sps = (recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(
          2,
        );
        bar?.update(event.step, {
          epoch: event.epoch + 1,
          losses: formatLosses(
            event.losses,
          ),
          sps,
        });
        if (!bar && (event.step % flags.logEvery === 0 || event.step === 1)) {
          const eta = ((planned - event.step) * Number(sps)).toFixed(0);
          print(
            `epoch ${
              event.epoch + 1
            }/${totalEpochs} step ${event.step}/${planned} | ${
              formatLosses(event.losses)
            } | ${sps} s/step | ETA ${eta}s`,
          );
        }
        if (event.step - lastCheckpointStep >= options.checkpointEvery) {
          await saveCheckpoint(model, runPath, {
            epoch: event.epoch,
            batchInEpoch: event.batch,
          });
          lastCheckpointStep = event.step;
        }
      } else if (event.kind === "epoch") {
        await saveCheckpoint(model, runPath, {
          epoch: event.epoch,
          batchInEpoch: perEpoch,
        });
        lastCheckpointStep = event.step;
        const quality = await writeSamples(
          `epoch-${String(event.epoch + 1).padStart(3, "0")}`,
          event.epoch + 1,
        );
        await run.writeLossPlot();
        print(
          `Epoch ${
            event.epoch + 1
          }/${totalEpochs} done at step ${event.step} in ${
            event.seconds.toFixed(0)
          } s | ` +
            `${
              formatLosses(
                event.meanLosses,
              )
            }` + (quality ? ` | ${quality}` : ""),
        );
      } else {
        if (event.step !== lastCheckpointStep) {
          await saveCheckpoint(model, runPath, {
            epoch: event.epoch,
            batchInEpoch: event.batch,
          });
          lastCheckpointStep = event.step;
        }
        if (event.reason !== "finished") {
          const quality = await writeSamples(
            `step-${String(event.step).padStart(6, "0")}`,
            event.epoch + 1,
          );
          if (quality) print(quality);
        }
        await run.writeLossPlot();
      }
    }
  } catch (error) {
    bar?.stop();
    console.error(`Training failed: ${(error as Error).message}`);
    exitCode = 1;
  } finally {
    bar?.stop();
    run.close();
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
  if (exitCode !== 0) return exitCode;

  const minutes = ((performance.now() - started) / 60000).toFixed(1);
  const end = lastEvent?.kind === "end" ? lastEvent : undefined;
  if (end?.reason === "stopped") {
    log(
      `Interrupted at step ${end.step}; checkpoint saved. Continue with: deno task train --resume ${runPath}`,
    );
    model.dispose();
    return 130;
  }
  log(
    `${
      end?.reason === "maxSteps" ? "Stopped at --max-steps" : "Finished"
    }: step ${model.step} in ${minutes} min. ` +
      `Samples: ${runPath}/samples/latest.png, losses: ${runPath}/losses.svg` +
      (dataset.testPairs ? `, metrics: ${runPath}/metrics.csv` : ""),
  );
  if (end?.reason === "maxSteps") {
    log(`Continue with: deno task train --resume ${runPath}`);
  }
  model.dispose();
  tf.disposeVariables();
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
