/**
 * Kernels tfjs lacks for training, or ships too slowly to train with.
 *
 * - {@link registerWasmTrainingKernels}: the convolution gradients of the
 *   wasm backend, composed from its XNNPACK convolution.
 * - {@link registerNativeBackend}: the `native` backend, tfjs's cpu backend
 *   with convolutions, instance norm and the memory-bound ops in C
 *   (compiled here with gcc, called through FFI).
 * - {@link fusedInstanceNorm}: instance norm as one op with a closed-form
 *   gradient, on every backend.
 * - {@link cycleGanConvCases} and {@link runConvCase}: check a backend's
 *   convolutions against another's.
 *
 * @module
 */
export { registerWasmTrainingKernels } from "./wasm.ts";
export {
  buildNativeKernels,
  NATIVE_BACKEND,
  type NativeStatus,
  registerNativeBackend,
} from "./native.ts";
export { fusedInstanceNorm } from "./instance_norm.ts";
export {
  type ConvCase,
  cycleGanConvCases,
  relativeError,
  runConvCase,
} from "./check.ts";
