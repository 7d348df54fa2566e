/**
 * Checks of lesson 05: a student's training step, run on a tiny CycleGAN
 * side by side with the library's `CycleGAN.trainStep` on an identical twin
 * (same config, same seed, same batches). The two must report the same
 * first-step losses, move the weights the same way, and leak nothing.
 *
 * @module
 */
import { tf } from "../../lib/tf.ts";
import { CycleGAN, type StepLosses } from "../../lib/train_step.ts";
import type { CycleGANConfig } from "../../lib/config.ts";
import {
  countLeaks,
  type Exercise,
  exportedFunction,
  formatNumber,
  Hint,
  type Lesson,
  type StudentModule,
} from "./harness.ts";

/** Small enough for a fraction of a second a step on the cpu backend. */
const SIZE = 8;
const TWIN_CONFIG: Partial<CycleGANConfig> = {
  imageSize: SIZE,
  generatorFilters: 4,
  residualBlocks: 1,
  discriminatorFilters: 4,
  discriminatorLayers: 1,
  // An empty pool hands the newest fakes straight to the discriminators,
  // and keeps the tensor count flat from the first step.
  poolSize: 0,
  seed: 3,
};

interface StudentLosses {
  lossG: number;
  lossDA: number;
  lossDB: number;
}

type TrainStepFn = (
  model: CycleGAN,
  realA: tf.Tensor4D,
  realB: tf.Tensor4D,
) => Promise<StudentLosses>;

/** Smooth deterministic images in [-1, 1]: stripes and a disc. */
function pattern(size: number, phase: number): tf.Tensor4D {
  const data = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - size / 2, y - size / 2) / size;
      data[y * size + x] = Math.tanh(
        Math.sin((x + phase) * 0.7 + y * 0.2) + (r < 0.3 ? 0.8 : -0.4),
      );
    }
  }
  return tf.tensor4d(data, [1, size, size, 1]);
}

/** Everything one side-by-side run of both steps recorded. */
interface Session {
  /** The student's step results, one per step. */
  got: StudentLosses[];
  /** The library's step results, one per step. */
  expected: StepLosses[];
  /** Each network's weights before any step, and after step 1 on each side. */
  before: Float32Array[][];
  studentAfterFirst: Float32Array[][];
  referenceAfterFirst: Float32Array[][];
  /** Tensors left behind by the student's steps after the first. */
  leaked: number;
}

const STEPS = 3;

/**
 * Runs the student's step and the library's step side by side, three
 * times, on identical twins, once per student module: every check reads
 * the same record, so the (slow) training runs only once.
 */
const sessions = new WeakMap<StudentModule, Promise<Session>>();

function session(m: StudentModule): Promise<Session> {
  let run = sessions.get(m);
  if (!run) {
    run = record(exportedFunction<TrainStepFn>(m, "trainStep"));
    sessions.set(m, run);
  }
  return run;
}

async function record(step: TrainStepFn): Promise<Session> {
  const student = CycleGAN.create(TWIN_CONFIG);
  const reference = CycleGAN.create(TWIN_CONFIG);
  const realA = pattern(SIZE, 0);
  const realB = tf.tidy(() => tf.neg(pattern(SIZE, 3)));
  const snapshot = (model: CycleGAN) =>
    Promise.all(NETWORKS.map((name) => weightsOf(model[name])));
  try {
    const before = await snapshot(student);
    const got: StudentLosses[] = [];
    const expected: StepLosses[] = [];
    let studentAfterFirst: Float32Array[][] = [];
    let referenceAfterFirst: Float32Array[][] = [];
    let afterFirst = 0;
    for (let i = 1; i <= STEPS; i++) {
      got.push(checkNumbers(await step(student, realA, realB)));
      expected.push(await reference.trainStep(realA, realB));
      if (i === 1) {
        // Both first steps create Adam's moment estimates; from then on
        // the count must stay exactly flat.
        afterFirst = tf.memory().numTensors;
        studentAfterFirst = await snapshot(student);
        referenceAfterFirst = await snapshot(reference);
      }
    }
    // The library's steps after the first leave the count flat as well.
    const leaked = tf.memory().numTensors - afterFirst;
    return {
      got,
      expected,
      before,
      studentAfterFirst,
      referenceAfterFirst,
      leaked,
    };
  } finally {
    student.dispose();
    reference.dispose();
    tf.dispose([realA, realB]);
  }
}

function checkNumbers(got: unknown): StudentLosses {
  if (got === null || typeof got !== "object") {
    throw new Hint(
      `trainStep should resolve to { lossG, lossDA, lossDB }, got ${got}`,
    );
  }
  const record = got as Record<string, unknown>;
  for (const name of ["lossG", "lossDA", "lossDB"]) {
    const value = record[name];
    if (typeof value !== "number") {
      throw new Hint(
        `${name} should be a plain number (read it with await t.data()), ` +
          `got ${value instanceof tf.Tensor ? "a tensor" : typeof value}`,
      );
    }
    if (!Number.isFinite(value)) {
      throw new Hint(`${name} came back ${value}, expected a finite number`);
    }
  }
  return got as StudentLosses;
}

/** Names the missing or extra part of the generators' loss, when it fits. */
function generatorSlip(got: number, reference: StepLosses): string {
  const {
    lossG,
    adversarialAB,
    adversarialBA,
    cycleA,
    cycleB,
    identityA,
    identityB,
  } = reference;
  const close = (value: number) =>
    Math.abs(got - value) <= 1e-4 * (1 + Math.abs(value));
  const cycle = cycleA + cycleB;
  const identity = identityA + identityB;
  const candidates: [number, string][] = [
    [lossG - identity, "the identity terms are missing"],
    [lossG - cycle, "the cycle terms are missing"],
    [lossG - cycle - identity, "only the adversarial terms are there"],
    [
      lossG - adversarialAB - adversarialBA,
      "the adversarial terms are missing",
    ],
    [lossG - adversarialAB, "the A->B adversarial term is missing"],
    [lossG - adversarialBA, "the B->A adversarial term is missing"],
    [lossG - cycleA, "cycle(A) is missing"],
    [lossG - cycleB, "cycle(B) is missing"],
    [lossG - 0.9 * cycle, "the cycle terms lack their weight lambda"],
    [
      lossG - identity + identity / 10,
      "the identity terms lack the factor lambda (identityWeight x cycleWeight)",
    ],
    [
      lossG - identity + identity / 5,
      "the identity weight should be identityWeight x cycleWeight",
    ],
  ];
  const match = candidates.find(([value]) => close(value));
  return match ? `; ${match[1]}` : "";
}

async function weightsOf(model: tf.LayersModel): Promise<Float32Array[]> {
  return await Promise.all(
    model.getWeights().map(async (w) => (await w.data()) as Float32Array),
  );
}

/** Largest difference between two weight lists. */
function largestDifference(a: Float32Array[], b: Float32Array[]): number {
  let largest = 0;
  a.forEach((values, i) => {
    for (let j = 0; j < values.length; j++) {
      largest = Math.max(largest, Math.abs(values[j] - b[i][j]));
    }
  });
  return largest;
}

const NETWORKS = [
  "generatorAB",
  "generatorBA",
  "discriminatorA",
  "discriminatorB",
] as const;

const relativelyClose = (a: number, b: number, tolerance: number) =>
  Math.abs(a - b) <= tolerance * (1 + Math.abs(b));

const trainingStepExercise: Exercise = {
  id: "training-step",
  title: "One training step by hand",
  file: "train_step.ts",
  checks: [
    {
      name: "returns lossG, lossDA and lossDB as finite numbers",
      run: async (m) => {
        await session(m);
      },
    },
    {
      name: "first step: the generators' loss equals the library's",
      run: async (m) => {
        const { got: [got], expected: [expected] } = await session(m);
        if (!relativelyClose(got.lossG, expected.lossG, 1e-4)) {
          throw new Hint(
            `lossG: expected ${formatNumber(expected.lossG)}, got ${
              formatNumber(got.lossG)
            }${generatorSlip(got.lossG, expected)}`,
          );
        }
      },
    },
    {
      name: "first step: the discriminators' losses equal the library's",
      run: async (m) => {
        const { got: [got], expected: [expected] } = await session(m);
        for (const name of ["lossDA", "lossDB"] as const) {
          if (relativelyClose(got[name], expected[name], 1e-3)) continue;
          const other = name === "lossDA" ? "lossDB" : "lossDA";
          const swapped = relativelyClose(got[name], expected[other], 1e-3)
            ? `; that is ${other}'s value: discriminatorA judges domain A ` +
              `(real A and the fakes generatorBA made)`
            : relativelyClose(got[name], 2 * expected[name], 1e-3)
            ? "; twice the expected value: the discriminator's loss is halved"
            : "";
          throw new Hint(
            `${name}: expected ${formatNumber(expected[name])}, got ${
              formatNumber(got[name])
            }${swapped}`,
          );
        }
      },
    },
    {
      name: "updates all four networks",
      run: async (m) => {
        const { before, studentAfterFirst } = await session(m);
        for (const [i, name] of NETWORKS.entries()) {
          if (largestDifference(before[i], studentAfterFirst[i]) === 0) {
            throw new Hint(
              `${name}'s weights did not change in one step: expected ` +
                `every network to be updated`,
            );
          }
        }
      },
    },
    {
      name: "after one step, every weight matches the library's step",
      run: async (m) => {
        const { studentAfterFirst, referenceAfterFirst } = await session(m);
        for (const [i, name] of NETWORKS.entries()) {
          const difference = largestDifference(
            studentAfterFirst[i],
            referenceAfterFirst[i],
          );
          // Adam's first step moves each weight by about the learning rate,
          // so a different gradient shows as differences of ~2e-4.
          if (difference <= 2e-5) continue;
          const who = name.startsWith("generator")
            ? "the generators' objective differs from the library's " +
              "(check every term and its weight)"
            : "the discriminators' objective differs from the library's " +
              "(real images towards 1, the pooled fakes towards 0)";
          throw new Hint(
            `${name}'s weights differ from the library's by up to ` +
              `${formatNumber(difference)} after one step: ${who}`,
          );
        }
      },
    },
    {
      name: `${STEPS} steps follow the library's loss curve`,
      run: async (m) => {
        const { got, expected } = await session(m);
        for (let i = 0; i < STEPS; i++) {
          for (const name of ["lossG", "lossDA", "lossDB"] as const) {
            if (relativelyClose(got[i][name], expected[i][name], 1e-2)) {
              continue;
            }
            throw new Hint(
              `step ${i + 1}: ${name} expected ${
                formatNumber(expected[i][name])
              }, got ${formatNumber(got[i][name])}`,
            );
          }
        }
      },
    },
    {
      name: "no tensors left behind from one step to the next",
      run: async (m) => {
        const { leaked } = await session(m);
        if (leaked === 0) return;
        throw new Hint(
          `steps 2 to ${STEPS} left ${leaked} tensor(s) behind (expected ` +
            `0): dispose of what you tf.keep once you are done with it`,
        );
      },
    },
  ],
};

interface StudentPool {
  readonly size: number;
  query(images: tf.Tensor4D): tf.Tensor4D;
  clear(): void;
}
type PoolClass = new (capacity?: number, seed?: number) => StudentPool;

/** A batch of `count` 2x2 grey images, image i filled with values[i]. */
function constantBatch(values: number[]): tf.Tensor4D {
  return tf.tidy(() =>
    tf.mul(
      tf.ones([values.length, 2, 2, 1]),
      tf.tensor4d(values, [values.length, 1, 1, 1]),
    ) as tf.Tensor4D
  );
}

/** The value each image of a batch of constant images holds. */
async function imageValues(batch: unknown, what: string): Promise<number[]> {
  if (!(batch instanceof tf.Tensor)) {
    throw new Hint(`${what}: expected a tensor, got ${typeof batch}`);
  }
  let data: Float32Array;
  try {
    data = (await batch.data()) as Float32Array;
  } catch (error) {
    if (/disposed/i.test((error as Error).message)) {
      throw new Hint(
        `${what}: the pool returned an image that was already disposed: ` +
          `store copies (clone), tf.keep them, and dispose of a stored ` +
          `image only after the batch that hands it out has been built`,
      );
    }
    throw error;
  }
  const perImage = data.length / batch.shape[0];
  return Array.from(
    { length: batch.shape[0] },
    (_, i) => data[i * perImage],
  );
}

function newPool(m: StudentModule, capacity: number, seed = 1): StudentPool {
  const Pool = m["ImagePool"];
  if (typeof Pool !== "function") {
    throw new Hint("the file must export a class named ImagePool");
  }
  return new (Pool as PoolClass)(capacity, seed);
}

async function withPool(
  m: StudentModule,
  capacity: number,
  body: (pool: StudentPool) => Promise<void>,
): Promise<void> {
  const pool = newPool(m, capacity);
  try {
    await body(pool);
  } finally {
    try {
      pool.clear();
    } catch {
      // A broken pool must not hide the hint of the check that broke it.
    }
  }
}

/** `pool.query`, with a hint when it trips over a disposed stored image. */
function query(pool: StudentPool, images: tf.Tensor4D): tf.Tensor4D {
  try {
    return pool.query(images);
  } catch (error) {
    const message = (error as Error).message;
    if (/disposed|reading 'backend'/i.test(message)) {
      throw new Hint(
        `query failed on a tensor that was already disposed (${message}): ` +
          `dispose of a stored image only after the batch that hands it ` +
          `out has been built`,
      );
    }
    throw error;
  }
}

const imagePoolExercise: Exercise = {
  id: "image-pool",
  title: "The pool of past fakes",
  file: "image_pool.ts",
  checks: [
    {
      name: "capacity 0: a copy of the batch, the input left alone",
      run: (m) =>
        withPool(m, 0, async (pool) => {
          const input = constantBatch([1, 2, 3]);
          try {
            const got = query(pool, input);
            if (got === input) {
              throw new Hint(
                "query returned its input tensor itself: the caller " +
                  "disposes of both, so return a copy",
              );
            }
            const values = await imageValues(got, "capacity 0");
            tf.dispose(got);
            if (values.join() !== "1,2,3" || pool.size !== 0) {
              throw new Hint(
                `capacity 0: expected the batch [1, 2, 3] back and nothing ` +
                  `stored, got [${values}] with ${pool.size} stored`,
              );
            }
            if (input.isDisposed) {
              throw new Hint("query disposed of its input: the caller owns it");
            }
          } finally {
            input.dispose();
          }
        }),
    },
    {
      name: "while filling: the new images come back and are stored",
      run: (m) =>
        withPool(m, 4, async (pool) => {
          for (const batch of [[1, 2], [3, 4]]) {
            const input = constantBatch(batch);
            const got = query(pool, input);
            input.dispose();
            const values = await imageValues(got, "while filling");
            tf.dispose(got);
            if (values.join() !== batch.join()) {
              throw new Hint(
                `while the pool is not full, the batch [${batch}] should ` +
                  `come back unchanged, got [${values}]`,
              );
            }
          }
          if (pool.size !== 4) {
            throw new Hint(
              `after 4 images into a pool of capacity 4, size should be 4, ` +
                `got ${pool.size}`,
            );
          }
        }),
    },
    {
      name: "once full: new or stored, about half each, stored replaced",
      run: (m) =>
        withPool(m, 4, async (pool) => {
          const stored = new Set([1, 2, 3, 4]);
          const first = constantBatch([1, 2, 3, 4]);
          tf.dispose([query(pool, first), first]);
          let old = 0;
          const queries = 200;
          for (let i = 0; i < queries; i++) {
            const value = 100 + i;
            const input = constantBatch([value]);
            const got = query(pool, input);
            input.dispose();
            const [returned] = await imageValues(got, `query ${i + 1}`);
            tf.dispose(got);
            if (returned === value) continue;
            if (!stored.has(returned)) {
              throw new Hint(
                `query ${i + 1} returned an image holding ${returned}, ` +
                  `which is neither the new image (${value}) nor one the ` +
                  `pool holds (${[...stored].join(", ")})`,
              );
            }
            stored.delete(returned);
            stored.add(value);
            old += 1;
          }
          const share = old / queries;
          if (share < 0.35 || share > 0.65) {
            throw new Hint(
              `once full, ${Math.round(share * 100)}% of the returned ` +
                `images were stored ones; expected about 50% (a coin flip ` +
                `per image)`,
            );
          }
          if (pool.size !== 4) {
            throw new Hint(
              `the pool should stay at 4 images, has ${pool.size}`,
            );
          }
        }),
    },
    {
      name: "no tensors left behind once full",
      run: (m) =>
        withPool(m, 2, async (pool) => {
          const first = constantBatch([1, 2]);
          tf.dispose([query(pool, first), first]);
          const input = constantBatch([5, 6, 7]);
          try {
            for (let i = 0; i < 5; i++) {
              const leaked = await countLeaks(
                () => query(pool, input),
                (batch) => tf.dispose(batch),
              );
              if (leaked > 0) {
                throw new Hint(
                  `a query on a full pool left ${leaked} tensor(s) behind ` +
                    `(expected 0): dispose of stored images once they are ` +
                    `handed out and replaced, and work inside tf.tidy`,
                );
              }
              if (leaked < 0) {
                throw new Hint(
                  `a query disposed of ${-leaked} tensor(s) it did not own`,
                );
              }
            }
          } finally {
            input.dispose();
          }
        }),
    },
  ],
};

export const lesson: Lesson = {
  id: "05",
  slug: "05-training-step",
  title: "The training step",
  exercises: [imagePoolExercise, trainingStepExercise],
};
