/**
 * Every lesson's checks, in course order, and how a command-line name
 * picks lessons and exercises.
 *
 * @module
 */
import type { Exercise, Lesson } from "./harness.ts";
import { lesson as lesson01 } from "./01-data-and-mr-contrast.ts";
import { lesson as lesson02 } from "./02-building-blocks.ts";
import { lesson as lesson03 } from "./03-generator-and-discriminator.ts";
import { lesson as lesson04 } from "./04-losses.ts";
import { lesson as lesson05 } from "./05-training-step.ts";
import { lesson as lesson06 } from "./06-training-and-evaluation.ts";
import { lesson as lesson07 } from "./07-applications.ts";

/** The course, in order. */
export const LESSONS: readonly Lesson[] = [
  lesson01,
  lesson02,
  lesson03,
  lesson04,
  lesson05,
  lesson06,
  lesson07,
];

/** One exercise of one lesson. */
export interface Selected {
  lesson: Lesson;
  exercise: Exercise;
}

/**
 * The exercises a name selects: a lesson number ("02" or "2"), a lesson
 * slug ("02-building-blocks"), an exercise id ("instance-norm"), or
 * "lesson/exercise" ("02/instance-norm"), or "all". Throws with the valid names when
 * nothing matches.
 */
export function selectExercises(name: string): Selected[] {
  const wanted = name.trim().toLowerCase().replace(/_/g, "-").replace(
    /\.ts$/,
    "",
  );
  const [lessonPart, exercisePart] = wanted.includes("/")
    ? wanted.split("/", 2)
    : [wanted, undefined];
  const lessonMatches = (lesson: Lesson, part: string) =>
    part === lesson.id || part === String(Number(lesson.id)) ||
    part === lesson.slug || lesson.slug.endsWith(`-${part}`) &&
      part.length > 3;
  const all = LESSONS.flatMap((lesson) =>
    lesson.exercises.map((exercise) => ({ lesson, exercise }))
  );
  if (wanted === "all") return all;
  let selected: Selected[];
  if (exercisePart !== undefined) {
    selected = all.filter(({ lesson, exercise }) =>
      lessonMatches(lesson, lessonPart) && exercise.id === exercisePart
    );
  } else {
    // An exercise id wins over a lesson whose slug ends the same way
    // ("training-step" is an exercise and the end of "05-training-step").
    selected = all.filter(({ exercise }) =>
      exercise.id === wanted ||
      exercise.file.replace(/\.ts$/, "").replace(/_/g, "-") === wanted
    );
    if (selected.length === 0) {
      selected = all.filter(({ lesson }) => lessonMatches(lesson, wanted));
    }
  }
  if (selected.length === 0) {
    throw new RangeError(
      `No lesson or exercise named "${name}"; expected one of: ${
        LESSONS.map((lesson) =>
          `${lesson.id} (${lesson.exercises.map((e) => e.id).join(", ")})`
        ).join("; ")
      }`,
    );
  }
  return selected;
}

/** The student file of an exercise, relative to the repository root. */
export function exercisePath(selected: Selected): string {
  return `lessons/exercises/${selected.lesson.slug}/${selected.exercise.file}`;
}

/** The reference solution of an exercise, relative to the repository root. */
export function solutionPath(selected: Selected): string {
  return `lessons/solutions/${selected.lesson.slug}/${selected.exercise.file}`;
}

/** The repository root, as an absolute path ending in "/". */
export const REPOSITORY_ROOT: string = decodeURIComponent(
  new URL("../../", import.meta.url).pathname,
);
