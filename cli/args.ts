/**
 * Argument parsers shared by the commands: each turns a flag's text into a
 * value or throws commander's InvalidArgumentError with what was expected.
 *
 * @module
 */
import { type Command, InvalidArgumentError, Option } from "commander";

/** A whole number >= `least`. */
export function integer(least: number) {
  return (text: string): number => {
    const value = Number(text);
    if (
      !/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) ||
      value < least
    ) {
      throw new InvalidArgumentError(
        `expected a whole number >= ${least}, got "${text}"`,
      );
    }
    return value;
  };
}

/** A finite number >= 0. */
export function nonNegative(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`expected a number >= 0, got "${text}"`);
  }
  return value;
}

/** A positive multiple of 4 (an image size). */
export function imageSize(text: string): number {
  const value = integer(4)(text);
  if (value % 4 !== 0) {
    const below = Math.floor(value / 4) * 4;
    throw new InvalidArgumentError(
      `image sizes must be multiples of 4, got ${value}; nearest valid: ${below} or ${
        below + 4
      }`,
    );
  }
  return value;
}

/** Whether this process may write to `path` (without asking). */
export async function canWrite(path: string): Promise<boolean> {
  const status = await Deno.permissions.query({ name: "write", path });
  return status.state === "granted";
}

/** The `--backend` flag both commands take. */
export function backendOption(): Option {
  return new Option("--backend <name>", "where tensors run")
    .choices(["auto", "webgpu", "native", "wasm", "cpu"])
    .default("auto");
}

/**
 * Mesa's Vulkan driver, asked for a WebGPU adapter, prints "XDG_RUNTIME_DIR
 * is invalid or not set" when the variable is missing (SSH sessions,
 * containers, CI). It is harmless, but reads like a failure: point the
 * variable at a private folder under .cache/ first.
 */
export async function giveMesaARuntimeDir(): Promise<void> {
  if (Deno.build.os !== "linux" || Deno.env.get("XDG_RUNTIME_DIR")) return;
  const folder = `${Deno.cwd()}/.cache/xdg-runtime`;
  try {
    await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
    await Deno.chmod(folder, 0o700);
    Deno.env.set("XDG_RUNTIME_DIR", folder);
  } catch {
    // Without write access the warning stays; nothing else depends on it.
  }
}

/**
 * Parses `args` with a command built with `exitOverride()`. Returns
 * undefined to go on, or the exit code: 0 after --help, 2 after a bad flag
 * (commander has already printed what was wrong).
 */
export function parseOrExitCode(
  command: Command,
  args: string[],
): number | undefined {
  try {
    command.parse(args, { from: "user" });
    return undefined;
  } catch (error) {
    return (error as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
}
