/**
 * Compiles the native kernels ahead of time (CI, or before a first run
 * without --allow-run):
 *
 *   deno task native
 *
 * Exits 0 with the library's path, or 1 with the reason it could not.
 *
 * @module
 */
import { buildNativeKernels } from "../native.ts";

if (import.meta.main) {
  const build = await buildNativeKernels();
  if (build.ok) {
    console.log(
      `${build.compiled ? "compiled" : "up to date"}: ${build.library}`,
    );
  } else {
    console.error(`native kernels not built: ${build.why}`);
    Deno.exit(1);
  }
}
