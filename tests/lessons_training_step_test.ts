/**
 * Lesson 05's training-step exercise: the reference solution passes, the
 * untouched student file fails with hints, and typical wrong answers
 * (a missing identity term, an unweighted cycle loss, a leaked pool batch)
 * get the hint that names them. Wrong answers are written as student files
 * next to the fixtures, so they are graded exactly as a student's would be.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { type CheckResult, gradeFile } from "../lessons/checks/harness.ts";
import {
  exercisePath,
  REPOSITORY_ROOT,
  selectExercises,
  solutionPath,
} from "../lessons/checks/mod.ts";

await tf.setBackend("cpu");

const [selected] = selectExercises("training-step");
const { exercise } = selected;
const solution = await Deno.readTextFile(
  REPOSITORY_ROOT + solutionPath(selected),
);

/** Grades the solution with every `from` replaced by `to`, as a student file. */
async function gradeVariant(
  from: string,
  to: string,
): Promise<CheckResult[]> {
  assert.ok(solution.includes(from), `the solution no longer has: ${from}`);
  const path = await Deno.makeTempFile({
    dir: `${REPOSITORY_ROOT}tests/fixtures/lessons`,
    prefix: "_variant_",
    suffix: ".ts",
  });
  try {
    await Deno.writeTextFile(path, solution.split(from).join(to));
    return await gradeFile(exercise, path);
  } finally {
    await Deno.remove(path);
  }
}

const failedNames = (results: CheckResult[]) =>
  results.filter((r) => !r.passed).map((r) => r.name);

const hint = (results: CheckResult[], name: string) =>
  results.find((r) => r.name.startsWith(name))?.hint ?? "";

Deno.test("training step: the reference solution passes every check", async () => {
  const results = await gradeFile(
    exercise,
    REPOSITORY_ROOT + solutionPath(selected),
  );
  assert.deepEqual(failedNames(results), []);
  assert.equal(results.length, exercise.checks.length);
});

Deno.test("training step: the untouched student file fails with hints", async () => {
  const results = await gradeFile(
    exercise,
    REPOSITORY_ROOT + exercisePath(selected),
  );
  assert.equal(failedNames(results).length, exercise.checks.length);
  for (const result of results) {
    assert.match(
      result.hint!,
      /Not implemented yet: the generators' objective/,
    );
  }
});

Deno.test("training step: a missing identity term is named", async () => {
  const results = await gradeVariant(
    "return tf.addN([adversarial, cycle, identity]) as tf.Scalar;",
    "identity.dispose();\n    return tf.add(adversarial, cycle) as tf.Scalar;",
  );
  assert.match(
    hint(results, "first step: the generators' loss"),
    /identity terms are missing/,
  );
  assert.match(
    hint(results, "after one step"),
    /generator.*weights differ .*generators' objective/,
  );
  // The discriminators' side is still right at step 1.
  assert.ok(!failedNames(results).includes("updates all four networks"));
});

Deno.test("training step: an unweighted cycle loss, and a leaked batch", async () => {
  const unweighted = await gradeVariant(
    "        cycleWeight,\n      ),",
    "        1,\n      ),",
  );
  assert.match(
    hint(unweighted, "first step: the generators' loss"),
    /cycle terms lack their weight lambda/,
  );

  const leaky = await gradeVariant(
    "  tf.dispose([pooledA, pooledB]);\n",
    "",
  );
  assert.deepEqual(failedNames(leaky), [
    "no tensors left behind from one step to the next",
  ]);
  assert.match(
    hint(leaky, "no tensors left behind"),
    /steps 2 to 3 left 4 tensor\(s\) behind/,
  );
});
