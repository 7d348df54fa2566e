/**
 * The grading harness behind `deno task check`: an exercise is a list of
 * checks run against a student's module, and each check either passes or
 * fails with a hint that says what was expected and what came back.
 *
 * A check fails by throwing a {@link Hint}. Any other error thrown while it
 * runs (a student's "Not implemented yet", a shape mismatch inside tfjs) is
 * caught and reported as a failed check too, so one broken function never
 * stops the others from being graded.
 *
 * Hints describe behaviour (shapes, values, gradients, leaks), never the
 * code that would produce it.
 *
 * @module
 */
import { tf } from "../../lib/tf.ts";

/** A failed check: the message is the hint shown to the student. */
export class Hint extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Hint";
  }
}

/** What a student's file exports. */
export type StudentModule = Record<string, unknown>;

/** One graded property of an exercise. */
export interface Check {
  /** Short description, shown after the tick or cross. */
  name: string;
  /** Throws a {@link Hint} (or anything else) when the property fails. */
  run(module: StudentModule): void | Promise<void>;
}

/** One student file and the checks it is graded by. */
export interface Exercise {
  /** Id used on the command line, e.g. "instance-norm". */
  id: string;
  /** Human title. */
  title: string;
  /** File name inside the lesson's exercises and solutions folders. */
  file: string;
  checks: Check[];
}

/** A lesson and its exercises. */
export interface Lesson {
  /** Two-digit number, e.g. "02". */
  id: string;
  /** Folder and file stem, e.g. "02-building-blocks". */
  slug: string;
  title: string;
  exercises: Exercise[];
}

/** The outcome of one check. */
export interface CheckResult {
  name: string;
  passed: boolean;
  /** Why it failed; absent when it passed. */
  hint?: string;
}

/** Runs every check of an exercise against a loaded module. */
export async function gradeModule(
  exercise: Exercise,
  module: StudentModule,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of exercise.checks) {
    try {
      await check.run(module);
      results.push({ name: check.name, passed: true });
    } catch (error) {
      results.push({ name: check.name, passed: false, hint: hintFor(error) });
    }
  }
  return results;
}

/** Loads a student's file and grades it; a file that fails to load fails. */
export async function gradeFile(
  exercise: Exercise,
  path: string,
): Promise<CheckResult[]> {
  let module: StudentModule;
  try {
    const url = new URL(`file://${absolute(path)}`);
    module = await import(url.href);
  } catch (error) {
    return [{
      name: "the file loads",
      passed: false,
      hint: `${path} could not be loaded: ${messageOf(error)}`,
    }];
  }
  return await gradeModule(exercise, module);
}

function absolute(path: string): string {
  if (path.startsWith("/")) return path;
  return `${Deno.cwd()}/${path}`.replace(/\/\.\//g, "/");
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function hintFor(error: unknown): string {
  if (error instanceof Hint) return error.message;
  const message = messageOf(error);
  if (/not implemented yet/i.test(message)) {
    return `${message}: fill in the TODO(student) gap`;
  }
  return `your code threw an error: ${message}`;
}

// ---------------------------------------------------------------------------
// Helpers the lesson checks share.

/** The export `name` of a student's module, which must be a function. */
export function exportedFunction<T extends (...args: never[]) => unknown>(
  module: StudentModule,
  name: string,
): T {
  const value = module[name];
  if (typeof value !== "function") {
    throw new Hint(
      `the file must export a function named ${name}, found ${describe(value)}`,
    );
  }
  return value as T;
}

/** The export `name` of a student's module, whatever its type. */
export function exportedValue(module: StudentModule, name: string): unknown {
  if (!(name in module)) {
    throw new Hint(`the file must export a value named ${name}`);
  }
  return module[name];
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  return `a ${typeof value}`;
}

/** Formats a number for a hint: 4 significant digits, exact for integers. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  if (!Number.isFinite(value)) return String(value);
  return value.toPrecision(4);
}

/** Formats a shape as [a, b, c]. */
export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((n) => (n === null ? "null" : n)).join(", ")}]`;
}

function indexOf(flat: number, shape: readonly number[]): number[] {
  const index: number[] = [];
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    index.unshift(flat % shape[axis]);
    flat = Math.floor(flat / shape[axis]);
  }
  return index;
}

/**
 * Throws a hint unless `got` is a tensor with `expected`'s shape and values
 * within `tolerance` (absolute plus relative). The hint names `what`, the
 * first element that differs, and the largest difference.
 */
export async function expectClose(
  got: unknown,
  expected: tf.Tensor,
  what: string,
  tolerance = 1e-4,
): Promise<void> {
  if (!(got instanceof tf.Tensor)) {
    throw new Hint(`${what}: expected a tensor, got ${describe(got)}`);
  }
  const sameShape = got.shape.length === expected.shape.length &&
    got.shape.every((n: number, i: number) => n === expected.shape[i]);
  if (!sameShape) {
    throw new Hint(
      `${what}: expected shape ${formatShape(expected.shape)}, got ${
        formatShape(got.shape)
      }`,
    );
  }
  const [a, b] = [await got.data(), await expected.data()];
  let worst = -1;
  let largest = 0;
  for (let i = 0; i < a.length; i++) {
    const difference = Math.abs(a[i] - b[i]);
    const allowed = tolerance * (1 + Math.abs(b[i]));
    if (!(difference <= allowed)) {
      if (worst < 0) worst = i;
      largest = Math.max(
        largest,
        Number.isNaN(difference) ? Infinity : difference,
      );
    }
  }
  if (worst < 0) return;
  const at = expected.rank === 0
    ? ""
    : ` at [${indexOf(worst, expected.shape).join(", ")}]`;
  const more = expected.size > 1
    ? ` (largest difference ${formatNumber(largest)})`
    : "";
  throw new Hint(
    `${what}${at}: expected ${formatNumber(b[worst])}, got ${
      formatNumber(a[worst])
    }${more}`,
  );
}

/** Throws a hint unless two numbers agree within `tolerance` (relative). */
export function expectNumber(
  got: unknown,
  expected: number,
  what: string,
  tolerance = 1e-4,
): void {
  if (typeof got !== "number") {
    throw new Hint(`${what}: expected a number, got ${describe(got)}`);
  }
  if (!(Math.abs(got - expected) <= tolerance * (1 + Math.abs(expected)))) {
    throw new Hint(
      `${what}: expected ${formatNumber(expected)}, got ${formatNumber(got)}`,
    );
  }
}

/** Throws a hint unless `got` is the array of numbers `expected`. */
export function expectShape(
  got: unknown,
  expected: readonly (number | null)[],
  what: string,
): void {
  const isShape = Array.isArray(got) &&
    got.every((n) => n === null || typeof n === "number");
  if (!isShape) {
    throw new Hint(`${what}: expected an array of numbers, got ${String(got)}`);
  }
  if (got.length === 0) {
    throw new Hint(`${what}: still empty; fill in your prediction`);
  }
  if (got.length !== expected.length) {
    throw new Hint(
      `${what}: expected ${expected.length} dimensions ` +
        `[batch, height, width, channels], got ${formatShape(got)}`,
    );
  }
  const wrong = expected
    .map((n, i) => (n === got[i] ? -1 : i))
    .filter((i) => i >= 0);
  if (wrong.length > 0) {
    const names = ["batch", "height", "width", "channels"];
    const axes = wrong.map((i) => names[i] ?? `axis ${i}`).join(" and ");
    throw new Hint(
      `${what}: ${formatShape(got)} has the wrong ${axes}; ` +
        `work out each dimension again from the layer's kernel, stride, ` +
        `padding and filters`,
    );
  }
}

/**
 * Runs `body` and returns its result together with the number of tensors it
 * left behind once `release` has disposed of what the caller owns.
 */
export async function countLeaks<T>(
  body: () => T | Promise<T>,
  release: (value: T) => void,
): Promise<number> {
  const before = tf.memory().numTensors;
  const value = await body();
  release(value);
  return tf.memory().numTensors - before;
}

/** Throws a leak hint naming `what` when `leaked` is not zero. */
export function expectNoLeak(leaked: number, what: string): void {
  if (leaked === 0) return;
  throw new Hint(
    `${what} left ${leaked} tensor(s) behind after its result was ` +
      `disposed: expected 0. Wrap the intermediate work in tf.tidy`,
  );
}

/** A deterministic tensor of normal values (the same on every run). */
export function fixedNormal(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, "float32", seed);
}

/** A deterministic tensor of uniform values in [low, high). */
export function fixedUniform(
  shape: number[],
  seed: number,
  low = -1,
  high = 1,
): tf.Tensor {
  return tf.randomUniform(shape, low, high, "float32", seed);
}
