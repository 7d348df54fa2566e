/**
 * Kernels tfjs's wasm backend lacks for training. Filled in by the kernels
 * work; until then the wasm backend can run inference only.
 *
 * @module
 */

/** Registers the wasm training kernels (idempotent). */
export function registerWasmTrainingKernels(): void {
  throw new Error(
    "Limitation: the wasm training kernels are not registered yet; use --backend cpu",
  );
}
