/**
 * Grades a lesson's exercises: `deno task check LESSON [--file PATH]
 * [--solutions]`.
 *
 * LESSON is a lesson number ("02"), a lesson folder name
 * ("02-building-blocks"), an exercise id ("instance-norm") or both
 * ("02/instance-norm"). Without options it grades the student files in
 * `lessons/exercises/`; `--file PATH` grades another copy of one exercise
 * (the exercise is the one named, or the one whose file name PATH ends
 * with); `--solutions` grades the reference solutions, for instructors.
 *
 * Prints one line per check, a tick or a cross with a hint, and exits with
 * status 1 when any check failed.
 *
 * @module
 */
import { tf } from "../lib/tf.ts";
import { gradeFile } from "./checks/harness.ts";
import {
  exercisePath,
  REPOSITORY_ROOT,
  type Selected,
  selectExercises,
  solutionPath,
} from "./checks/mod.ts";

const USAGE = `Usage: deno task check LESSON [--file PATH] [--solutions]

  LESSON       a lesson number (02), folder name (02-building-blocks),
               exercise id (instance-norm), both (02/instance-norm), or all
  --file PATH  grade PATH instead of the exercise file in lessons/exercises/
  --solutions  grade the reference solutions (instructors)`;

interface Options {
  name: string;
  file?: string;
  solutions: boolean;
}

function parseArguments(args: string[]): Options {
  let name: string | undefined;
  let file: string | undefined;
  let solutions = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--solutions") solutions = true;
    else if (arg === "--file") {
      file = args[++i];
      if (file === undefined) throw new RangeError("--file needs a path");
    } else if (arg.startsWith("--file=")) file = arg.slice("--file=".length);
    else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      Deno.exit(0);
    } else if (arg.startsWith("-")) {
      throw new RangeError(`Unknown option ${arg}`);
    } else if (name === undefined) name = arg;
    else {throw new RangeError(
        `Expected one LESSON, got "${name}" and "${arg}"`,
      );}
  }
  if (name === undefined) throw new RangeError("Missing LESSON");
  if (file !== undefined && solutions) {
    throw new RangeError("Use either --file or --solutions, not both");
  }
  return { name, file, solutions };
}

/** The one exercise `--file` grades. */
function pickForFile(selected: Selected[], file: string): Selected {
  if (selected.length === 1) return selected[0];
  const base = file.split("/").pop() ?? file;
  const match = selected.filter(({ exercise }) => exercise.file === base);
  if (match.length === 1) return match[0];
  throw new RangeError(
    `--file ${file}: lesson ${selected[0].lesson.id} has several exercises; ` +
      `name one (${selected.map(({ exercise }) => exercise.id).join(", ")}) ` +
      `or give a file named like the exercise's (${
        selected.map(({ exercise }) => exercise.file).join(", ")
      })`,
  );
}

function resolveFromCaller(path: string): string {
  if (path.startsWith("/")) return path;
  // `deno task` runs in the repository root; INIT_CWD is where it was typed.
  const base = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  return `${base}/${path}`;
}

async function main(): Promise<number> {
  let options: Options;
  let selected: Selected[];
  try {
    options = parseArguments(Deno.args);
    selected = selectExercises(options.name);
    if (options.file !== undefined) {
      selected = [pickForFile(selected, options.file)];
    }
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  await tf.setBackend("cpu");

  let passed = 0;
  let total = 0;
  let lessonShown = "";
  for (const item of selected) {
    if (item.lesson.id !== lessonShown) {
      console.log(`Lesson ${item.lesson.id}: ${item.lesson.title}`);
      lessonShown = item.lesson.id;
    }
    const shown = options.file ??
      (options.solutions ? solutionPath(item) : exercisePath(item));
    const path = options.file !== undefined
      ? resolveFromCaller(options.file)
      : REPOSITORY_ROOT + shown;
    console.log(`\n  ${item.exercise.id}: ${item.exercise.title} (${shown})`);
    const results = await gradeFile(item.exercise, path);
    for (const result of results) {
      total += 1;
      if (result.passed) {
        passed += 1;
        console.log(`    ✓ ${result.name}`);
      } else {
        console.log(`    ✗ ${result.name}\n      ${result.hint}`);
      }
    }
  }
  const verdict = passed === total ? "all passed" : "keep going";
  console.log(`\n${passed} of ${total} checks passed: ${verdict}.`);
  return passed === total ? 0 : 1;
}

Deno.exit(await main());
