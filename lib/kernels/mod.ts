/**
 * Kernels tfjs lacks for training, or ships too slowly to train with.
 *
 * - {@link registerWasmTrainingKernels}: the convolution gradients of the
 *   wasm backend, composed from its XNNPACK convolution.
 *
 * @module
 */
export { registerWasmTrainingKernels } from "./wasm.ts";
