/**
 * The files of a training run, in one folder:
 *
 *   run.json         how the run was started (data, sizes, schedule)
 *   config.json      the model config (also inside every checkpoint)
 *   checkpoints/     step-NNNNNN/ folders and `latest` (lib/checkpoint.ts)
 *   losses.csv       one row per step
 *   losses.svg       the loss curves (Observable Plot)
 *   metrics.csv      per epoch, A -> B against ground truth, when there is any
 *   samples/         epoch-NNN.png grids, latest.png, and latest.svg with
 *                    each row labelled
 *
 * Epochs are counted from 1 in every file, as in the log.
 *
 * @module
 */
import { writeFileAtomic } from "../lib/checkpoint.ts";
import { LOSS_NAMES, type StepLosses } from "../lib/train_step.ts";
import type { Evaluation, SampleSet } from "../lib/trainer.ts";
import { encodePng, imageGrid } from "../lib/image_io.ts";
import {
  labelledRows,
  lossChart,
  type LossRecord,
  toSvgString,
} from "../lib/plot.ts";

/** The rows of a sample grid, top to bottom. */
export const SAMPLE_ROWS = [
  "real A",
  "fake B",
  "cycled A",
  "real B",
  "fake A",
  "cycled B",
];

/** Loss columns of losses.csv, in order. */
export const LOSS_COLUMNS: readonly (keyof StepLosses)[] = LOSS_NAMES;

const LOSS_HEADER = [
  "step",
  "epoch",
  "seconds",
  "learningRate",
  ...LOSS_COLUMNS,
].join(",");
const METRICS_HEADER = [
  "epoch",
  "step",
  "psnr",
  "ssim",
  "mae",
  "baseline_psnr",
  "baseline_ssim",
  "baseline_mae",
].join(",");

/** One row of losses.csv. */
export type LossRow = LossRecord & {
  epoch: number;
  seconds: number;
  learningRate: number;
};

/** Reads losses.csv, keeping rows up to `lastStep` (a checkpoint's step). */
export async function readLossRows(
  folder: string,
  lastStep = Infinity,
): Promise<LossRow[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${folder}/losses.csv`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const [header, ...lines] = text.trim().split("\n");
  const names = header.split(",");
  return lines
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const values = line.split(",").map(Number);
      return Object.fromEntries(
        names.map((name, i) => [name, values[i]]),
      ) as LossRow;
    })
    .filter((row) => row.step <= lastStep);
}

/** Writes and appends the run folder's files. */
export class RunFolder {
  #losses?: Deno.FsFile;
  readonly history: LossRow[] = [];

  constructor(readonly path: string) {}

  /**
   * Opens losses.csv for appending. On resume, rows after the checkpoint's
   * step (written before a crash) are dropped, so the file matches the
   * weights again.
   */
  async open(resumeStep?: number): Promise<void> {
    await Deno.mkdir(`${this.path}/samples`, { recursive: true });
    const rows = resumeStep === undefined
      ? []
      : await readLossRows(this.path, resumeStep);
    this.history.push(...rows);
    const lines = [LOSS_HEADER, ...rows.map((row) => this.#lossLine(row))];
    await writeFileAtomic(`${this.path}/losses.csv`, lines.join("\n") + "\n");
    if (resumeStep === undefined) {
      await writeFileAtomic(`${this.path}/metrics.csv`, METRICS_HEADER + "\n");
    }
    this.#losses = await Deno.open(`${this.path}/losses.csv`, { append: true });
  }

  #lossLine(row: LossRow): string {
    const head = [
      row.step,
      row.epoch,
      row.seconds.toFixed(3),
      row.learningRate,
    ];
    return [...head, ...LOSS_COLUMNS.map((name) => row[name])].join(",");
  }

  /** Appends a step's losses. */
  async addStep(
    step: number,
    epoch: number,
    seconds: number,
    learningRate: number,
    losses: StepLosses,
  ): Promise<void> {
    const row = { step, epoch, seconds, learningRate, ...losses } as LossRow;
    this.history.push(row);
    await this.#losses!.write(
      new TextEncoder().encode(this.#lossLine(row) + "\n"),
    );
  }

  /** Redraws losses.svg from the history (averaged into at most 400 points). */
  async writeLossPlot(): Promise<void> {
    if (this.history.length === 0) return;
    const buckets = Math.min(400, this.history.length);
    const per = this.history.length / buckets;
    const points: LossRecord[] = [];
    for (let b = 0; b < buckets; b++) {
      const rows = this.history.slice(
        Math.floor(b * per),
        Math.floor((b + 1) * per),
      );
      if (rows.length === 0) continue;
      const point: LossRecord = { step: rows.at(-1)!.step };
      for (const name of ["lossG", "lossDA", "lossDB", "cycleA", "cycleB"]) {
        point[name] = rows.reduce((sum, row) => sum + row[name], 0) /
          rows.length;
      }
      points.push(point);
    }
    const svg = toSvgString(
      lossChart(points, { title: "Training losses", logY: true }),
    );
    await writeFileAtomic(`${this.path}/losses.svg`, svg);
  }

  /**
   * Writes a sample grid: rows real A, fake B, cycled A, real B, fake A,
   * cycled B. Returns the file's path.
   */
  async writeSamples(samples: SampleSet, name: string): Promise<string> {
    // In the order of SAMPLE_ROWS.
    const grid = imageGrid([
      samples.realA,
      samples.fakeB,
      samples.cycledA,
      samples.realB,
      samples.fakeA,
      samples.cycledB,
    ]);
    const png = encodePng(grid);
    const path = `${this.path}/samples/${name}.png`;
    await writeFileAtomic(path, png);
    await writeFileAtomic(`${this.path}/samples/latest.png`, png);
    const labelled = labelledRows(grid, SAMPLE_ROWS);
    await writeFileAtomic(
      `${this.path}/samples/latest.svg`,
      toSvgString(labelled),
    );
    return path;
  }

  /** Appends an epoch's evaluation to metrics.csv. */
  async addMetrics(
    epoch: number,
    step: number,
    evaluation: Evaluation,
  ): Promise<void> {
    const { translated: t, baseline: b } = evaluation;
    const line = [epoch, step, t.psnr, t.ssim, t.mae, b.psnr, b.ssim, b.mae]
      .map((
        v,
      ) => (typeof v === "number" && !Number.isInteger(v) ? v.toFixed(5) : v))
      .join(",");
    const file = await Deno.open(`${this.path}/metrics.csv`, {
      append: true,
      create: true,
    });
    await file.write(new TextEncoder().encode(line + "\n"));
    file.close();
  }

  close(): void {
    this.#losses?.close();
    this.#losses = undefined;
  }
}
