/**
 * Checks of lesson 04: the cycle, identity and adversarial losses, graded
 * against `lib/losses.ts` on fixed inputs, with hints for the usual slips
 * (L2 for L1, a forgotten weight or 1/2, swapped labels).
 *
 * @module
 */
import { tf } from "../../lib/tf.ts";
import {
  cycleConsistencyLoss,
  discriminatorLoss as referenceDiscriminatorLoss,
  generatorAdversarialLoss as referenceGeneratorLoss,
  identityLoss as referenceIdentityLoss,
} from "../../lib/losses.ts";
import {
  countLeaks,
  type Exercise,
  expectClose,
  expectNoLeak,
  exportedFunction,
  fixedNormal,
  fixedUniform,
  formatNumber,
  formatShape,
  Hint,
  type Lesson,
  type StudentModule,
} from "./harness.ts";

/** A wrong answer the checker recognises by its value, and what to say. */
interface Slip {
  value: number;
  hint: string;
}

/**
 * Reads a student's loss: it must be a scalar tensor equal to `expected`.
 * When it is not, the first slip whose value it equals names the likely
 * mistake.
 */
async function expectLoss(
  got: unknown,
  expected: number,
  what: string,
  slips: Slip[] = [],
): Promise<void> {
  if (!(got instanceof tf.Tensor)) {
    throw new Hint(`${what}: expected a scalar tensor, got ${typeof got}`);
  }
  const value = (await got.data())[0];
  const shape = got.shape;
  tf.dispose(got);
  if (shape.length !== 0) {
    throw new Hint(
      `${what}: expected a scalar (shape []), got shape ${
        formatShape(shape)
      }; ` +
        `average over every element`,
    );
  }
  const close = (a: number, b: number) =>
    Math.abs(a - b) <= 1e-4 * (1 + Math.abs(b));
  if (close(value, expected)) return;
  const slip = slips.find((s) => close(value, s.value));
  const base = `${what}: expected ${formatNumber(expected)}, got ${
    formatNumber(value)
  }`;
  throw new Hint(slip ? `${base}; ${slip.hint}` : base);
}

async function numberOf(t: tf.Tensor): Promise<number> {
  const value = (await t.data())[0];
  t.dispose();
  return value;
}

type PairLoss = (a: tf.Tensor, b: tf.Tensor, weight?: number) => tf.Scalar;

/** A fixed pair of image batches in [-1, 1]. */
function imagePair() {
  return {
    real: fixedUniform([2, 6, 6, 1], 21),
    other: fixedUniform([2, 6, 6, 1], 22),
  };
}

/** The slips of an L1 loss `weight x mean|a - b|`. */
async function l1Slips(
  a: tf.Tensor,
  b: tf.Tensor,
  weight: number,
): Promise<Slip[]> {
  const l1 = await numberOf(tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b)))));
  const l2 = await numberOf(tf.tidy(() => tf.mean(tf.squaredDifference(a, b))));
  const size = a.size;
  return [
    {
      value: weight * l2,
      hint: "that is the squared difference (L2); this loss uses the " +
        "absolute difference (L1)",
    },
    { value: l2, hint: "that is the squared difference (L2), unweighted" },
    { value: l1, hint: "the weight is missing" },
    {
      value: weight * l1 * size,
      hint: "that is a sum over all elements; take the mean",
    },
    {
      value: weight * Math.sqrt(l2),
      hint: "that is a root-mean-square error; use the mean absolute error",
    },
  ];
}

function pairLossChecks(
  name: string,
  reference: PairLoss,
  weight: number,
): Exercise["checks"] {
  const student = (m: StudentModule) => exportedFunction<PairLoss>(m, name);
  return [
    {
      name: `${name}: value on fixed images (weight ${weight})`,
      run: async (m) => {
        const fn = student(m);
        const { real, other } = imagePair();
        try {
          const expected = await numberOf(reference(real, other, weight));
          await expectLoss(
            fn(real, other, weight),
            expected,
            `${name}(real, other, ${weight})`,
            await l1Slips(real, other, weight),
          );
        } finally {
          tf.dispose([real, other]);
        }
      },
    },
    {
      name: `${name}: zero when the images agree`,
      run: async (m) => {
        const fn = student(m);
        const { real, other } = imagePair();
        try {
          await expectLoss(fn(real, real, weight), 0, `${name}(x, x)`);
        } finally {
          tf.dispose([real, other]);
        }
      },
    },
    {
      name: `${name}: gradient matches the library's`,
      run: async (m) => {
        const fn = student(m);
        const { real, other } = imagePair();
        const expected = tf.grad((b: tf.Tensor) => reference(real, b, weight))(
          other,
        );
        try {
          const got = tf.grad((b: tf.Tensor) => fn(real, b, weight))(other);
          await expectClose(got, expected, "gradient", 1e-4).finally(() =>
            got.dispose()
          );
        } finally {
          tf.dispose([real, other, expected]);
        }
      },
    },
    {
      name: `${name}: no tensors left behind`,
      run: async (m) => {
        const fn = student(m);
        const { real, other } = imagePair();
        try {
          const leaked = await countLeaks(
            () => fn(real, other, weight),
            (loss) => tf.dispose(loss),
          );
          expectNoLeak(leaked, name);
        } finally {
          tf.dispose([real, other]);
        }
      },
    },
  ];
}

const cycleLossExercise: Exercise = {
  id: "cycle-loss",
  title: "The cycle-consistency and identity losses",
  file: "cycle_loss.ts",
  checks: [
    ...pairLossChecks("cycleLoss", cycleConsistencyLoss, 10),
    {
      name: "cycleLoss: the weight scales the loss",
      run: async (m) => {
        const fn = exportedFunction<PairLoss>(m, "cycleLoss");
        const { real, other } = imagePair();
        try {
          const expected = await numberOf(cycleConsistencyLoss(real, other, 3));
          await expectLoss(
            fn(real, other, 3),
            expected,
            "cycleLoss(real, other, 3)",
            await l1Slips(real, other, 3),
          );
        } finally {
          tf.dispose([real, other]);
        }
      },
    },
    ...pairLossChecks("identityLoss", referenceIdentityLoss, 5),
  ],
};

type DiscriminatorLossFn = (real: tf.Tensor, fake: tf.Tensor) => tf.Scalar;
type GeneratorLossFn = (fake: tf.Tensor) => tf.Scalar;

/** Fixed patch score maps, real ones mostly high and fake ones mostly low. */
function scoreMaps() {
  return tf.tidy(() => ({
    real: tf.add(0.6, tf.mul(0.5, fixedNormal([2, 3, 3, 1], 31))),
    fake: tf.add(0.3, tf.mul(0.5, fixedNormal([2, 3, 3, 1], 32))),
  }));
}

async function discriminatorSlips(
  real: tf.Tensor,
  fake: tf.Tensor,
): Promise<Slip[]> {
  const meanSq = (t: tf.Tensor, target: number) =>
    numberOf(tf.tidy(() => tf.mean(tf.square(tf.sub(t, target)))));
  const meanAbs = (t: tf.Tensor, target: number) =>
    numberOf(tf.tidy(() => tf.mean(tf.abs(tf.sub(t, target)))));
  const realTo1 = await meanSq(real, 1);
  const fakeTo0 = await meanSq(fake, 0);
  const realTo0 = await meanSq(real, 0);
  const fakeTo1 = await meanSq(fake, 1);
  const bce = await numberOf(
    tf.tidy(() =>
      tf.mul(
        0.5,
        tf.add(
          tf.losses.sigmoidCrossEntropy(tf.onesLike(real), real),
          tf.losses.sigmoidCrossEntropy(tf.zerosLike(fake), fake),
        ),
      )
    ),
  );
  return [
    {
      value: realTo1 + fakeTo0,
      hint: "twice the expected value: the discriminator's loss is halved",
    },
    {
      value: 0.5 * (realTo0 + fakeTo1),
      hint: "the targets are swapped: real patches should aim for 1, " +
        "fake patches for 0",
    },
    {
      value: realTo0 + fakeTo1,
      hint: "the targets are swapped (real aims for 1, fake for 0), and " +
        "the 1/2 is missing",
    },
    {
      value: 0.5 * realTo1,
      hint: "only the real term is there: add the fake patches' term",
    },
    {
      value: 0.5 * fakeTo0,
      hint: "only the fake term is there: add the real patches' term",
    },
    {
      value: 0.5 * ((await meanAbs(real, 1)) + (await meanAbs(fake, 0))),
      hint: "that uses absolute differences; LSGAN squares them",
    },
    {
      value: bce,
      hint: "that is the cross-entropy (original GAN) loss; this exercise " +
        "uses least squares",
    },
  ];
}

const adversarialLossExercise: Exercise = {
  id: "adversarial-loss",
  title: "The LSGAN adversarial losses",
  file: "adversarial_loss.ts",
  checks: [
    {
      name: "discriminatorLoss: value on fixed score maps",
      run: async (m) => {
        const fn = exportedFunction<DiscriminatorLossFn>(
          m,
          "discriminatorLoss",
        );
        const { real, fake } = scoreMaps();
        try {
          const expected = await numberOf(
            referenceDiscriminatorLoss(real, fake, "lsgan"),
          );
          await expectLoss(
            fn(real, fake),
            expected,
            "discriminatorLoss(real, fake)",
            await discriminatorSlips(real, fake),
          );
        } finally {
          tf.dispose([real, fake]);
        }
      },
    },
    {
      name: "discriminatorLoss: zero for a perfect discriminator",
      run: async (m) => {
        const fn = exportedFunction<DiscriminatorLossFn>(
          m,
          "discriminatorLoss",
        );
        const real = tf.ones([1, 3, 3, 1]);
        const fake = tf.zeros([1, 3, 3, 1]);
        try {
          await expectLoss(
            fn(real, fake),
            0,
            "discriminatorLoss(all ones, all zeros)",
            [{
              value: 1,
              hint: "the targets are swapped: real patches should aim for " +
                "1, fake patches for 0",
            }],
          );
        } finally {
          tf.dispose([real, fake]);
        }
      },
    },
    {
      name: "discriminatorLoss: gradients match the library's",
      run: async (m) => {
        const fn = exportedFunction<DiscriminatorLossFn>(
          m,
          "discriminatorLoss",
        );
        const { real, fake } = scoreMaps();
        const expected = tf.grads((r: tf.Tensor, f: tf.Tensor) =>
          referenceDiscriminatorLoss(r, f, "lsgan")
        )([real, fake]);
        try {
          const got = tf.grads((r: tf.Tensor, f: tf.Tensor) => fn(r, f))([
            real,
            fake,
          ]);
          try {
            await expectClose(got[0], expected[0], "gradient for real scores");
            await expectClose(got[1], expected[1], "gradient for fake scores");
          } finally {
            tf.dispose(got);
          }
        } finally {
          tf.dispose([real, fake, ...expected]);
        }
      },
    },
    {
      name: "generatorAdversarialLoss: value on a fixed score map",
      run: async (m) => {
        const fn = exportedFunction<GeneratorLossFn>(
          m,
          "generatorAdversarialLoss",
        );
        const { real, fake } = scoreMaps();
        try {
          const expected = await numberOf(
            referenceGeneratorLoss(fake, "lsgan"),
          );
          const towardsZero = await numberOf(
            tf.tidy(() => tf.mean(tf.square(fake))),
          );
          await expectLoss(
            fn(fake),
            expected,
            "generatorAdversarialLoss(fake)",
            [
              {
                value: towardsZero,
                hint: "that pushes the fakes' scores towards 0 (the " +
                  "discriminator's goal); the generator wants them read as " +
                  "real, 1",
              },
              {
                value: 0.5 * expected,
                hint: "half the expected value: only the discriminator's " +
                  "loss is halved",
              },
            ],
          );
        } finally {
          tf.dispose([real, fake]);
        }
      },
    },
    {
      name: "no tensors left behind",
      run: async (m) => {
        const discriminator = exportedFunction<DiscriminatorLossFn>(
          m,
          "discriminatorLoss",
        );
        const generator = exportedFunction<GeneratorLossFn>(
          m,
          "generatorAdversarialLoss",
        );
        const { real, fake } = scoreMaps();
        try {
          expectNoLeak(
            await countLeaks(() => discriminator(real, fake), tf.dispose),
            "discriminatorLoss",
          );
          expectNoLeak(
            await countLeaks(() => generator(fake), tf.dispose),
            "generatorAdversarialLoss",
          );
        } finally {
          tf.dispose([real, fake]);
        }
      },
    },
  ],
};

export const lesson: Lesson = {
  id: "04",
  slug: "04-losses",
  title: "Losses and cycle consistency",
  exercises: [cycleLossExercise, adversarialLossExercise],
};
