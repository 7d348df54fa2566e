/**
 * The course's checker: every reference solution passes its checks, every
 * untouched student file fails them with a hint, and typical wrong answers
 * fail with the hint that names the mistake. The training-step exercise,
 * which trains, has its own file (lessons_training_step_test.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { InstanceNorm } from "../lib/instance_norm.ts";
import { ReflectionPad2D } from "../lib/reflection_pad.ts";
import {
  type CheckResult,
  type Exercise,
  gradeFile,
  gradeModule,
  type StudentModule,
} from "../lessons/checks/harness.ts";
import {
  exercisePath,
  LESSONS,
  REPOSITORY_ROOT,
  selectExercises,
  solutionPath,
} from "../lessons/checks/mod.ts";
import * as instanceNormSolution from "../lessons/solutions/02-building-blocks/instance_norm.ts";
import * as cycleLossSolution from "../lessons/solutions/04-losses/cycle_loss.ts";
import * as adversarialSolution from "../lessons/solutions/04-losses/adversarial_loss.ts";
import * as spinEchoSolution from "../lessons/solutions/01-data-and-mr-contrast/spin_echo.ts";
import * as psnrSolution from "../lessons/solutions/06-training-and-evaluation/psnr.ts";

await tf.setBackend("cpu");

const SLOW = new Set(["training-step"]);

function exercise(id: string): Exercise {
  const [selected] = selectExercises(id);
  return selected.exercise;
}

function failed(results: CheckResult[]): CheckResult[] {
  return results.filter((result) => !result.passed);
}

/** Grades a module and returns the hint of the named check (undefined if it passed). */
async function hintOf(
  id: string,
  module: StudentModule,
  check: string,
): Promise<string | undefined> {
  const results = await gradeModule(exercise(id), module);
  const result = results.find((r) => r.name.includes(check));
  assert.ok(result, `${id} has no check named like "${check}"`);
  return result.hint;
}

Deno.test("every exercise has a student file and a reference solution", async () => {
  const ids = new Set<string>();
  for (const lesson of LESSONS) {
    assert.ok(lesson.exercises.length >= 1, `lesson ${lesson.id} is empty`);
    for (const item of lesson.exercises) {
      assert.ok(!ids.has(item.id), `exercise id ${item.id} is used twice`);
      ids.add(item.id);
      const selected = { lesson, exercise: item };
      for (const path of [exercisePath(selected), solutionPath(selected)]) {
        const stat = await Deno.stat(REPOSITORY_ROOT + path);
        assert.ok(stat.isFile, `${path} is missing`);
      }
      const student = await Deno.readTextFile(
        REPOSITORY_ROOT + exercisePath(selected),
      );
      assert.match(student, /TODO\(student\)/, `${item.id} marks no gap`);
      assert.match(
        student,
        new RegExp(`deno task check ${item.id}`),
        `${item.id} does not say how to check it`,
      );
    }
  }
  assert.equal(LESSONS.length, 7);
});

Deno.test("names on the command line select lessons and exercises", () => {
  assert.equal(selectExercises("02").length, 3);
  assert.equal(selectExercises("05").length, 2);
  assert.deepEqual(
    selectExercises("training-step").map((s) => s.exercise.id),
    ["training-step"],
  );
  assert.equal(selectExercises("losses").length, 2);
  assert.equal(selectExercises("all").length, 15);
  assert.equal(selectExercises("2").length, 3);
  assert.equal(selectExercises("02-building-blocks").length, 3);
  assert.deepEqual(
    selectExercises("instance-norm").map((s) => s.exercise.id),
    ["instance-norm"],
  );
  assert.deepEqual(
    selectExercises("02/residual-block").map((s) => s.exercise.id),
    ["residual-block"],
  );
  assert.deepEqual(
    selectExercises("cycle_loss.ts").map((s) => s.exercise.id),
    ["cycle-loss"],
  );
  assert.throws(
    () => selectExercises("99"),
    /No lesson or exercise named "99"/,
  );
});

Deno.test("every reference solution passes all its checks", async () => {
  for (const lesson of LESSONS) {
    for (const item of lesson.exercises) {
      if (SLOW.has(item.id)) continue;
      const before = tf.memory().numTensors;
      const path = REPOSITORY_ROOT + solutionPath({ lesson, exercise: item });
      const results = await gradeFile(item, path);
      assert.deepEqual(failed(results), [], `${item.id} solution failed`);
      assert.equal(results.length, item.checks.length);
      assert.equal(
        tf.memory().numTensors,
        before,
        `grading ${item.id} leaked tensors`,
      );
    }
  }
});

Deno.test("every untouched student file fails every check, with a hint", async () => {
  for (const lesson of LESSONS) {
    for (const item of lesson.exercises) {
      if (SLOW.has(item.id)) continue;
      const path = REPOSITORY_ROOT + exercisePath({ lesson, exercise: item });
      const results = await gradeFile(item, path);
      assert.equal(results.length, item.checks.length, item.id);
      for (const result of results) {
        assert.equal(result.passed, false, `${item.id}: ${result.name} passed`);
        assert.match(
          result.hint ?? "",
          /Not implemented yet|still empty|no answer yet/,
          `${item.id}: ${result.name} gave no useful hint: ${result.hint}`,
        );
      }
    }
  }
});

Deno.test("a file that does not load fails with its error", async () => {
  const results = await gradeFile(
    exercise("psnr"),
    `${REPOSITORY_ROOT}lessons/exercises/no_such_file.ts`,
  );
  assert.equal(results.length, 1);
  assert.equal(results[0].passed, false);
  assert.match(results[0].hint!, /no_such_file\.ts could not be loaded/);
});

// Typical wrong answers, and the hints they must get.

type Symbolic = tf.SymbolicTensor;

function residualBlockWith(
  options: {
    padding?: number;
    zeroPad?: boolean;
    skip?: boolean;
    reluAfterAdd?: boolean;
  },
) {
  return (x: Symbolic): Symbolic => {
    const channels = x.shape[3] as number;
    let y = x;
    for (const stage of [1, 2]) {
      const padding = options.padding ?? 1;
      if (padding > 0) {
        y = (options.zeroPad
          ? tf.layers.zeroPadding2d({ padding })
          : new ReflectionPad2D({ padding })).apply(y) as Symbolic;
      }
      y = tf.layers.conv2d({
        filters: channels,
        kernelSize: 3,
        padding: "valid",
        useBias: false,
      }).apply(y) as Symbolic;
      y = new InstanceNorm().apply(y) as Symbolic;
      if (stage === 1) y = tf.layers.reLU().apply(y) as Symbolic;
    }
    if (options.skip === false) return y;
    const sum = tf.layers.add().apply([x, y]) as Symbolic;
    return options.reluAfterAdd ? tf.layers.reLU().apply(sum) as Symbolic : sum;
  };
}

Deno.test("residual block: off-by-one padding fails the shape check", async () => {
  const none = await hintOf(
    "residual-block",
    { residualBlock: residualBlockWith({ padding: 0 }) },
    "keeps the shape",
  );
  assert.match(none!, /4 pixels lost.*1 pixel of padding/);
  const two = await hintOf(
    "residual-block",
    { residualBlock: residualBlockWith({ padding: 2 }) },
    "keeps the shape",
  );
  assert.match(two!, /4 pixels gained/);
});

Deno.test("residual block: a forgotten skip connection is named", async () => {
  const results = await gradeModule(exercise("residual-block"), {
    residualBlock: residualBlockWith({ skip: false }),
  });
  const skip = results.find((r) => r.name.startsWith("skip connection"))!;
  assert.equal(skip.passed, false);
  assert.match(skip.hint!, /Is the input added back/);
  // The shape is still right: only the skip check and the value check fail.
  assert.ok(results.find((r) => r.name.startsWith("keeps the shape"))!.passed);
});

Deno.test("residual block: ReLU after the addition, and zero padding", async () => {
  const relu = await hintOf(
    "residual-block",
    { residualBlock: residualBlockWith({ reluAfterAdd: true }) },
    "skip connection",
  );
  assert.match(relu!, /ReLU belongs inside the branch/);
  const zeros = await gradeModule(exercise("residual-block"), {
    residualBlock: residualBlockWith({ zeroPad: true }),
  });
  assert.deepEqual(
    failed(zeros).map((r) => r.name),
    ["with the library's weights, the same output as its block"],
  );
  assert.match(failed(zeros)[0].hint!, /reflected, not zeros/);
});

Deno.test("instance norm: batch statistics, no epsilon, and a leak", async () => {
  const batchNorm = (x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) =>
    tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [0, 1, 2], true);
      return tf.add(
        tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g),
        b,
      ) as tf.Tensor4D;
    });
  assert.match(
    (await hintOf("instance-norm", { instanceNorm: batchNorm }, "mean 0"))!,
    /needs its own statistics/,
  );

  const noEpsilon = (x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) =>
    tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [1, 2], true);
      return tf.add(
        tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(variance)), g),
        b,
      ) as tf.Tensor4D;
    });
  assert.match(
    (await hintOf("instance-norm", { instanceNorm: noEpsilon }, "blank"))!,
    /variance is 0.*epsilon/,
  );

  const leaky = (x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) => {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    return tf.add(
      tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g),
      b,
    ) as tf.Tensor4D;
  };
  const results = await gradeModule(exercise("instance-norm"), {
    instanceNorm: leaky,
  });
  assert.deepEqual(failed(results).map((r) => r.name), [
    "no tensors left behind",
  ]);
  assert.match(failed(results)[0].hint!, /left \d+ tensor\(s\) behind/);
});

Deno.test("cycle loss: L2 instead of L1, a missing weight, a sum", async () => {
  const variant = (
    loss: (a: tf.Tensor, b: tf.Tensor, weight: number) => tf.Tensor,
  ) => ({
    cycleLoss: (a: tf.Tensor, b: tf.Tensor, weight = 10) =>
      tf.tidy(() => loss(a, b, weight)),
    identityLoss: cycleLossSolution.identityLoss,
  });
  const l2 = variant((a, b, w) =>
    tf.mul(w, tf.mean(tf.squaredDifference(a, b)))
  );
  assert.match(
    (await hintOf("cycle-loss", l2, "cycleLoss: value"))!,
    /squared difference \(L2\).*absolute difference \(L1\)/,
  );
  const unweighted = variant((a, b) => tf.mean(tf.abs(tf.sub(a, b))));
  assert.match(
    (await hintOf("cycle-loss", unweighted, "cycleLoss: value"))!,
    /the weight is missing/,
  );
  const summed = variant((a, b, w) => tf.mul(w, tf.sum(tf.abs(tf.sub(a, b)))));
  assert.match(
    (await hintOf("cycle-loss", summed, "cycleLoss: value"))!,
    /sum over all elements; take the mean/,
  );
  const results = await gradeModule(exercise("cycle-loss"), l2);
  assert.ok(
    failed(results).every((r) => r.name.startsWith("cycleLoss")),
    "a wrong cycleLoss must not fail identityLoss's checks",
  );
});

Deno.test("discriminator loss: no 1/2, swapped targets; generator aims at 0", async () => {
  const squares = (t: tf.Tensor, target: number) =>
    tf.mean(tf.square(tf.sub(t, target)));
  const withLosses = (
    discriminator: (r: tf.Tensor, f: tf.Tensor) => tf.Tensor,
    generator = adversarialSolution.generatorAdversarialLoss,
  ) => ({
    discriminatorLoss: (r: tf.Tensor, f: tf.Tensor) =>
      tf.tidy(() => discriminator(r, f)),
    generatorAdversarialLoss: generator,
  });
  const noHalf = withLosses((r, f) => tf.add(squares(r, 1), squares(f, 0)));
  assert.match(
    (await hintOf("adversarial-loss", noHalf, "discriminatorLoss: value"))!,
    /twice the expected value: the discriminator's loss is halved/,
  );
  const swapped = withLosses((r, f) =>
    tf.mul(0.5, tf.add(squares(r, 0), squares(f, 1)))
  );
  assert.match(
    (await hintOf("adversarial-loss", swapped, "discriminatorLoss: value"))!,
    /targets are swapped/,
  );
  assert.match(
    (await hintOf("adversarial-loss", swapped, "perfect discriminator"))!,
    /targets are swapped/,
  );
  const towardsZero = withLosses(
    adversarialSolution.discriminatorLoss,
    (f: tf.Tensor) => tf.tidy(() => squares(f, 0)) as tf.Scalar,
  );
  assert.match(
    (await hintOf(
      "adversarial-loss",
      towardsZero,
      "generatorAdversarialLoss",
    ))!,
    /towards 0.*read as real, 1/,
  );
});

Deno.test("data, evaluation and application slips get their hints", async () => {
  const swappedTimes = {
    ...spinEchoSolution,
    spinEchoSignal: (
      pd: number,
      t1: number,
      t2: number,
      tr: number,
      te: number,
    ) => spinEchoSolution.spinEchoSignal(pd, t1, t2, te, tr),
  };
  assert.match(
    (await hintOf("spin-echo", swappedTimes, "physics model"))!,
    /TR and TE are swapped/,
  );
  const unguarded = {
    ...spinEchoSolution,
    scaleToModelRange: (pixels: Float32Array) => {
      const low = Math.min(...pixels);
      const high = Math.max(...pixels);
      return pixels.map((v) => (2 * (v - low)) / (high - low) - 1);
    },
  };
  assert.match(
    (await hintOf("spin-echo", unguarded, "blank slice"))!,
    /gave NaN.*range is 0/,
  );

  const rawRange = {
    psnr: (p: { data: Float32Array; shape: readonly number[] }, t: typeof p) =>
      psnrSolution.psnr(
        {
          data: p.data.map((v) => v * 2),
          shape: p.shape as [number, number, number, number],
        },
        {
          data: t.data.map((v) => v * 2),
          shape: t.shape as [number, number, number, number],
        },
      ),
  };
  assert.match(
    (await hintOf("psnr", rawRange, "one image"))!,
    /6\.02 dB low/,
  );

  const lastBatchDropped = {
    translateSlices: (g: tf.LayersModel, slices: tf.Tensor4D, size: number) =>
      tf.tidy(() => {
        const parts: tf.Tensor4D[] = [];
        for (let s = 0; s + size <= slices.shape[0]; s += size) {
          parts.push(g.predict(tf.slice(slices, s, size)) as tf.Tensor4D);
        }
        return tf.concat(parts, 0);
      }),
  };
  assert.match(
    (await hintOf("translate-slices", lastBatchDropped, "5 slices"))!,
    /last, smaller batch is missing/,
  );

  const quiz = {
    answers: { checkerboard: "a", collapse: "a", inversion: "a", nan: "x" },
  };
  assert.match((await hintOf("pitfalls", quiz, "checkerboard"))!, /not "a"/);
  assert.equal(await hintOf("pitfalls", quiz, "collapse"), undefined);
  assert.match(
    (await hintOf("pitfalls", quiz, "inversion"))!,
    /fat with white matter/,
  );
  assert.match(
    (await hintOf("pitfalls", quiz, "nan"))!,
    /not one of a, b, c, d/,
  );
});

Deno.test("hints say what was expected and what came back, not the answer", async () => {
  const results = await gradeModule(exercise("instance-norm"), {
    instanceNorm: (x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) =>
      tf.tidy(() => tf.mul(instanceNormSolution.instanceNorm(x, g, b), 2)),
  });
  const values = results.find((r) => r.name.startsWith("gamma scales"))!;
  assert.match(
    values.hint!,
    /^output at \[\d+, \d+, \d+, \d+\]: expected -?[\d.]+, got -?[\d.]+/,
  );
  // Shape predictions say which axis is wrong, never the right number.
  const shapes = await gradeModule(exercise("block-shapes"), {
    downsampled: [1, 64, 64, 16],
    residual: [],
    upsampled: [],
    validConv: [],
    transposedConvOutputSize: () => 0,
  });
  assert.match(shapes[0].hint!, /wrong height and width/);
  assert.doesNotMatch(shapes[0].hint!, /32/);
});

Deno.test("deno task check: exit status and one line per check", async () => {
  const run = async (...args: string[]) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        "--allow-sys",
        "lessons/check.ts",
        ...args,
      ],
      cwd: REPOSITORY_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: output.code,
      text: new TextDecoder().decode(output.stdout) +
        new TextDecoder().decode(output.stderr),
    };
  };
  const solutions = await run("03", "--solutions");
  assert.equal(solutions.code, 0, solutions.text);
  assert.equal(solutions.text.match(/✓/g)?.length, 6);
  assert.match(solutions.text, /6 of 6 checks passed/);

  const fixture = "tests/fixtures/lessons/cycle_loss_l2.ts";
  const graded = await run("cycle-loss", "--file", fixture);
  assert.equal(graded.code, 1, graded.text);
  assert.match(
    graded.text,
    /✗ cycleLoss: value on fixed images \(weight 10\)\n\s+.*\(L2\)/,
  );
  assert.match(graded.text, /✓ identityLoss: value on fixed images/);

  const unknown = await run("no-such-lesson");
  assert.equal(unknown.code, 2);
  assert.match(unknown.text, /No lesson or exercise named "no-such-lesson"/);
});

Deno.test("every lesson text names its exercises, and its links resolve", async () => {
  const texts = new Map<string, string>();
  for await (const entry of Deno.readDir(`${REPOSITORY_ROOT}lessons`)) {
    if (entry.isFile && entry.name.endsWith(".md")) {
      texts.set(
        entry.name,
        await Deno.readTextFile(`${REPOSITORY_ROOT}lessons/${entry.name}`),
      );
    }
  }
  for (const lesson of LESSONS) {
    const text = texts.get(`${lesson.slug}.md`);
    assert.ok(text, `lessons/${lesson.slug}.md is missing`);
    for (const heading of ["## Learning objectives", "## Common pitfalls"]) {
      assert.ok(text.includes(heading), `${lesson.slug}.md lacks ${heading}`);
    }
    for (const item of lesson.exercises) {
      assert.ok(
        text.includes(`\`${item.id}\``),
        `${lesson.slug}.md does not mention exercise ${item.id}`,
      );
    }
    assert.match(text, /\(\.\.\/notebooks\/\d\d_[a-z_]+\.ipynb\)/);
  }
  // Links must resolve. A notebook link is checked against the notebook of
  // its number, when that notebook exists: a renamed notebook fails here.
  const notebooks: string[] = [];
  for await (const entry of Deno.readDir(`${REPOSITORY_ROOT}notebooks`)) {
    if (/^\d\d_.*\.ipynb$/.test(entry.name)) notebooks.push(entry.name);
  }
  for (const [name, text] of texts) {
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const notebook = /^\.\.\/notebooks\/(\d\d)_/.exec(target);
      if (notebook) {
        const named = notebooks.filter((n) => n.startsWith(`${notebook[1]}_`));
        if (named.length === 0) continue;
        assert.ok(
          named.includes(target.slice("../notebooks/".length)),
          `${name} links to ${target}; notebook ${notebook[1]} is ${named}`,
        );
        continue;
      }
      const stat = await Deno.stat(`${REPOSITORY_ROOT}lessons/${target}`)
        .catch(() => undefined);
      assert.ok(stat, `${name} links to ${target}, which does not exist`);
    }
  }
});

Deno.test("image pool: a stored image disposed too early, and a leak", async () => {
  const solution = await import(
    "../lessons/solutions/05-training-step/image_pool.ts"
  );
  class EarlyDispose extends solution.ImagePool {
    override query(images: tf.Tensor4D): tf.Tensor4D {
      if (this.capacity === 0) return images.clone();
      return tf.tidy(() => {
        const chosen = tf.unstack(images).map((image) => {
          if (this.images.length < this.capacity) {
            this.images.push(tf.keep(image.clone() as tf.Tensor3D));
            return image;
          }
          if (this.random.next() < 0.5) {
            const index = this.random.int(this.capacity);
            const old = this.images[index];
            this.images[index] = tf.keep(image.clone() as tf.Tensor3D);
            old.dispose();
            return old;
          }
          return image;
        });
        return tf.stack(chosen) as tf.Tensor4D;
      });
    }
  }
  const early = await gradeModule(exercise("image-pool"), {
    ImagePool: EarlyDispose,
  });
  assert.match(
    failed(early).map((r) => r.hint).join("\n"),
    /already disposed|threw an error: Tensor is disposed/,
  );

  class NeverDisposes extends solution.ImagePool {
    override query(images: tf.Tensor4D): tf.Tensor4D {
      if (this.capacity === 0) return images.clone();
      return tf.tidy(() => {
        const chosen = tf.unstack(images).map((image) => {
          if (this.images.length < this.capacity) {
            this.images.push(tf.keep(image.clone() as tf.Tensor3D));
            return image;
          }
          if (this.random.next() < 0.5) {
            const index = this.random.int(this.capacity);
            const old = this.images[index];
            this.images[index] = tf.keep(image.clone() as tf.Tensor3D);
            return old;
          }
          return image;
        });
        return tf.stack(chosen) as tf.Tensor4D;
      });
    }
  }
  const leaky = await gradeModule(exercise("image-pool"), {
    ImagePool: NeverDisposes,
  });
  assert.deepEqual(failed(leaky).map((r) => r.name), [
    "no tensors left behind once full",
  ]);
  assert.match(failed(leaky)[0].hint!, /left \d+ tensor\(s\) behind/);
});
