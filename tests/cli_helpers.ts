/**
 * Runs the project's tasks as a user would (`deno task train ...`), with
 * the permissions deno.json gives them, and reads what they leave behind.
 *
 * @module
 */

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** What a finished command printed and how it exited. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command line for `deno task NAME ARGS` in the repository root. */
export function taskCommand(task: string, args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", task, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

/** Runs `deno task NAME ARGS` to the end. */
export async function runTask(
  task: string,
  args: string[],
): Promise<CommandResult> {
  const output = await taskCommand(task, args).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A fresh, not yet existing folder under runs/ (where the tasks may write). */
export function scratchRun(name: string): string {
  return `runs/test-${name}-${crypto.randomUUID().slice(0, 8)}`;
}

/** The absolute path of a repository-relative one. */
export function inRepo(path: string): string {
  return `${ROOT}/${path}`;
}

/** The scikit-image sample photos fetched by tests/data/fetch.sh. */
export function samplePhoto(name: string): string {
  const path = `${ROOT}/.cache/test-data/skimage/${name}`;
  try {
    Deno.statSync(path);
  } catch {
    throw new Error(
      `Missing test photo ${path}: run bash tests/data/fetch.sh first`,
    );
  }
  return path;
}

/** The tiny model flags used by the CLI tests. */
export const TINY_FLAGS = [
  "--backend",
  "wasm",
  "--size",
  "32",
  "--filters",
  "4",
  "--res-blocks",
  "1",
  "--samples",
  "2",
];
