/**
 * Checks of lesson 07: translating a volume in batches (values against the
 * generator run on the whole volume, and no leaks), and the pitfalls quiz.
 *
 * @module
 */
import { tf } from "../../lib/tf.ts";
import { createGenerator } from "../../lib/generator.ts";
import {
  countLeaks,
  type Exercise,
  expectClose,
  expectNoLeak,
  exportedFunction,
  exportedValue,
  fixedUniform,
  Hint,
  type Lesson,
  type StudentModule,
} from "./harness.ts";

type TranslateFn = (
  generator: tf.LayersModel,
  slices: tf.Tensor4D,
  batchSize: number,
) => tf.Tensor4D;

async function withVolume(
  m: StudentModule,
  body: (
    fn: TranslateFn,
    generator: tf.LayersModel,
    slices: tf.Tensor4D,
  ) => Promise<void>,
): Promise<void> {
  const fn = exportedFunction<TranslateFn>(m, "translateSlices");
  const generator = createGenerator({
    inputChannels: 1,
    outputChannels: 1,
    filters: 4,
    residualBlocks: 1,
    seed: 7,
  });
  const slices = fixedUniform([5, 8, 8, 1], 9) as tf.Tensor4D;
  try {
    await body(fn, generator, slices);
  } finally {
    generator.dispose();
    slices.dispose();
  }
}

const translateSlices: Exercise = {
  id: "translate-slices",
  title: "Translate a volume in batches",
  file: "translate_slices.ts",
  checks: [
    {
      name: "5 slices in batches of 2: every slice, in order",
      run: (m) =>
        withVolume(m, async (fn, generator, slices) => {
          const expected = generator.predict(slices) as tf.Tensor;
          const got = fn(generator, slices, 2);
          try {
            await expectClose(got, expected, "translated volume", 1e-4).catch(
              (error) => {
                const shape = got instanceof tf.Tensor ? got.shape : [];
                throw new Hint(
                  shape[0] === 4
                    ? `${error.message}: the last, smaller batch is missing`
                    : error.message,
                );
              },
            );
          } finally {
            tf.dispose([expected, got]);
          }
        }),
    },
    {
      name: "batch size larger than the volume",
      run: (m) =>
        withVolume(m, async (fn, generator, slices) => {
          const expected = generator.predict(slices) as tf.Tensor;
          const got = fn(generator, slices, 16);
          try {
            await expectClose(got, expected, "translated volume", 1e-4);
          } finally {
            tf.dispose([expected, got]);
          }
        }),
    },
    {
      name: "no tensors left behind",
      run: (m) =>
        withVolume(m, async (fn, generator, slices) => {
          // Warm up: the first call may create the generator's weights.
          tf.dispose(fn(generator, slices, 2));
          const leaked = await countLeaks(
            () => fn(generator, slices, 2),
            (result) => tf.dispose(result),
          );
          expectNoLeak(leaked, "translateSlices");
        }),
    },
  ],
};

/** Per question: the best answer, and why each other answer falls short. */
const QUIZ: Record<string, { best: string; why: Record<string, string> }> = {
  checkerboard: {
    best: "b",
    why: {
      a: "a weak discriminator slows learning; it does not draw a grid",
      c: "a strong cycle term blurs or copies the input; it has no period",
      d: "a small pool makes training oscillate, not a pixel-periodic grid",
    },
  },
  collapse: {
    best: "a",
    why: {
      b: "checkerboards are a texture on each output, not the same output " +
        "for every input",
      c: "identity keeps outputs close to inputs, which works against this",
      d: "with a zero learning rate outputs freeze, but they still differ " +
        "from input to input",
    },
  },
  inversion: {
    best: "c",
    why: {
      a: "compare fat with white matter in both (lesson 01): their order " +
        "does not flip",
      b: "noise is not why: look at the tissue order in both weightings",
      d: "tanh produces values in [-1, 1], negatives included",
    },
  },
  nan: {
    best: "c",
    why: {
      a: "a shallower generator is less capable, not numerically unstable",
      b: "a large rate can diverge after some steps, but not give NaN " +
        "on the very first batch",
      d: "depth changes the score map's size, not its finiteness",
    },
  },
};

const pitfalls: Exercise = {
  id: "pitfalls",
  title: "Diagnose the pitfalls",
  file: "pitfalls.ts",
  checks: Object.entries(QUIZ).map(([question, { best, why }]) => ({
    name: `${question}`,
    run: (m: StudentModule) => {
      const answers = exportedValue(m, "answers") as Record<string, unknown>;
      const answer = String(answers?.[question] ?? "").trim().toLowerCase();
      if (answer === best) return;
      if (answer === "") {
        throw new Hint(`${question}: no answer yet; pick a, b, c or d`);
      }
      if (!(answer in why)) {
        throw new Hint(`${question}: "${answer}" is not one of a, b, c, d`);
      }
      throw new Hint(`${question}: not "${answer}": ${why[answer]}`);
    },
  })),
};

export const lesson: Lesson = {
  id: "07",
  slug: "07-applications",
  title: "Applications",
  exercises: [translateSlices, pitfalls],
};
