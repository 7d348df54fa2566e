/**
 * Checks of lesson 06: the learning-rate schedule and PSNR, graded against
 * `lib/schedule.ts` and `lib/metrics.ts`.
 *
 * @module
 */
import { learningRateAt as referenceRate } from "../../lib/schedule.ts";
import { psnr as referencePsnr } from "../../lib/metrics.ts";
import { SeededRandom } from "../../lib/random.ts";
import {
  type Exercise,
  exportedFunction,
  formatNumber,
  Hint,
  type Lesson,
} from "./harness.ts";

interface Schedule {
  learningRate: number;
  epochs: number;
  decayEpochs: number;
}
type RateFn = (epoch: number, schedule: Schedule) => number;

interface Stack {
  data: Float32Array;
  shape: readonly [number, number, number, number];
}
type PsnrFn = (prediction: Stack, truth: Stack) => number;

function expectRates(fn: RateFn, schedule: Schedule, epochs: number[]) {
  for (const epoch of epochs) {
    const expected = referenceRate(epoch, schedule);
    const got = fn(epoch, schedule);
    if (
      typeof got !== "number" ||
      !(Math.abs(got - expected) <= 1e-9 + 1e-6 * expected)
    ) {
      throw new Hint(
        `epoch ${epoch} of ${schedule.epochs} + ${schedule.decayEpochs} ` +
          `(rate ${schedule.learningRate}): expected ${
            formatNumber(expected)
          }, got ${typeof got === "number" ? formatNumber(got) : got}`,
      );
    }
  }
}

const scheduleExercise: Exercise = {
  id: "schedule",
  title: "The learning-rate schedule",
  file: "schedule.ts",
  checks: [
    {
      name: "constant for the first epochs",
      run: (m) =>
        expectRates(
          exportedFunction<RateFn>(m, "learningRateAt"),
          { learningRate: 2e-4, epochs: 100, decayEpochs: 100 },
          [0, 1, 50, 99],
        ),
    },
    {
      name: "falls linearly over the decay epochs",
      run: (m) =>
        expectRates(
          exportedFunction<RateFn>(m, "learningRateAt"),
          { learningRate: 2e-4, epochs: 100, decayEpochs: 100 },
          [100, 101, 150, 199],
        ),
    },
    {
      name: "never negative, and right for short schedules",
      run: (m) => {
        const fn = exportedFunction<RateFn>(m, "learningRateAt");
        expectRates(fn, { learningRate: 1e-3, epochs: 2, decayEpochs: 3 }, [
          0,
          1,
          2,
          3,
          4,
          5,
          8,
        ]);
        expectRates(fn, { learningRate: 1e-3, epochs: 0, decayEpochs: 4 }, [
          0,
          3,
        ]);
      },
    },
  ],
};

function randomStack(count: number, seed: number, noise?: Stack): Stack {
  const random = new SeededRandom(seed);
  const shape = [count, 6, 5, 1] as const;
  const data = new Float32Array(count * 30);
  for (let i = 0; i < data.length; i++) {
    const base = noise ? noise.data[i] : random.next() * 2 - 1;
    const spread = noise ? 0.05 * (1 + Math.floor(i / 30)) : 0;
    data[i] = Math.max(-1, Math.min(1, base + spread * random.normal()));
  }
  return { data, shape };
}

const psnrExercise: Exercise = {
  id: "psnr",
  title: "Peak signal-to-noise ratio",
  file: "psnr.ts",
  checks: [
    {
      name: "one image: the PSNR in dB",
      run: (m) => {
        const fn = exportedFunction<PsnrFn>(m, "psnr");
        const truth = randomStack(1, 1);
        const prediction = randomStack(1, 2, truth);
        const expected = referencePsnr(prediction, truth);
        const got = fn(prediction, truth);
        if (typeof got === "number" && Math.abs(got - expected) < 1e-3) return;
        let slip = "";
        if (typeof got === "number") {
          if (Math.abs(got - (expected - 20 * Math.log10(2))) < 1e-3) {
            slip = "; 6.02 dB low: the images are in [-1, 1], map them to " +
              "[0, 1] first";
          } else if (Math.abs(got - expected / 2) < 1e-3) {
            slip = "; half the expected value: PSNR is 10 log10 of 1 / MSE " +
              "(or 20 log10 of 1 / RMSE)";
          }
        }
        throw new Hint(
          `expected ${formatNumber(expected)} dB, got ${
            typeof got === "number" ? formatNumber(got) : got
          }${slip}`,
        );
      },
    },
    {
      name: "a stack: the mean of the per-image PSNRs",
      run: (m) => {
        const fn = exportedFunction<PsnrFn>(m, "psnr");
        const truth = randomStack(3, 3);
        const prediction = randomStack(3, 4, truth);
        const expected = referencePsnr(prediction, truth);
        const got = fn(prediction, truth);
        if (typeof got === "number" && Math.abs(got - expected) < 1e-3) return;
        let squared = 0;
        for (let i = 0; i < truth.data.length; i++) {
          squared += ((prediction.data[i] - truth.data[i]) / 2) ** 2;
        }
        const pooled = 10 * Math.log10(truth.data.length / squared);
        const slip = typeof got === "number" && Math.abs(got - pooled) < 1e-3
          ? "; that is the PSNR of the stack's pooled MSE: compute one PSNR " +
            "per image, then average"
          : "";
        throw new Hint(
          `three images of different quality: expected ${
            formatNumber(expected)
          } dB, got ${
            typeof got === "number" ? formatNumber(got) : got
          }${slip}`,
        );
      },
    },
    {
      name: "identical images give Infinity",
      run: (m) => {
        const fn = exportedFunction<PsnrFn>(m, "psnr");
        const truth = randomStack(2, 5);
        const got = fn(truth, truth);
        if (got !== Infinity) {
          throw new Hint(
            `identical images: expected Infinity (MSE 0), got ${got}`,
          );
        }
      },
    },
  ],
};

export const lesson: Lesson = {
  id: "06",
  slug: "06-training-and-evaluation",
  title: "Full training and evaluation",
  exercises: [scheduleExercise, psnrExercise],
};
