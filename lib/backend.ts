/**
 * Backend selection: which engine runs the tensors.
 *
 * - `webgpu`: tfjs's WebGPU backend, when `navigator.gpu` offers a hardware
 *   adapter. A software adapter (Mesa's llvmpipe) is only used when asked
 *   for by name: it is correct but far slower than the CPU paths.
 * - `wasm`: tfjs's WebAssembly backend (XNNPACK, SIMD), with the training
 *   kernels it lacks registered from `kernels/`.
 * - `native`: tfjs's cpu backend with its convolutions in C (compiled here
 *   with gcc, AVX2/FMA, all cores) called through FFI; needs `--allow-ffi`,
 *   and `--allow-run` for the first compile. See `kernels/native.ts`.
 * - `cpu`: tfjs's plain JavaScript backend, always available.
 *
 * The choice and the reason for it are returned, never printed: the CLI and
 * the notebooks show them. A backend that cannot start never throws here;
 * the next one in line starts instead and the reason says why, in one line.
 *
 * WebGPU is started by this module rather than by tfjs's own start-up code,
 * for three reasons. It asks the adapter only for the features and limits
 * the adapter has (tfjs asks for `timestamp-query` and `bgra8unorm-storage`
 * when listed, and must not fail where they are not). It turns "no adapter"
 * and "the adapter would not create a device" into a fallback with a
 * reason, where tfjs would print a warning and leave no backend. And it
 * starts a device once and reuses it: selecting WebGPU again, or after
 * switching to another backend, finds the running backend instead of asking
 * a used adapter for a second device.
 *
 * @module
 */
import { tf } from "./tf.ts";

/** Backends this project can run on. */
export type BackendName = "webgpu" | "native" | "wasm" | "cpu";

/** What was chosen and why. */
export interface BackendReport {
  /** The backend now active. */
  name: BackendName;
  /** One line a user can read: why this backend. */
  reason: string;
  /** The WebGPU adapter's description, when one was found. */
  adapter?: string;
}

/** How to choose: a backend by name, or "auto" for the fastest available. */
export type BackendChoice = BackendName | "auto";

/**
 * The part of `navigator.gpu` this module uses. Tests pass a stand-in to
 * play an adapter that is missing or that fails to create a device.
 */
export interface GpuEntry {
  requestAdapter(
    options?: GPURequestAdapterOptions,
  ): Promise<GPUAdapter | null>;
}

/** Options of {@link selectBackend} and {@link probeWebGpu}. */
export interface BackendOptions {
  /**
   * Where WebGPU adapters come from: `navigator.gpu` when left out, `null`
   * to act as if the runtime had no WebGPU.
   */
  gpu?: GpuEntry | null;
}

/** An adapter found by {@link probeWebGpu}, or why there is none. */
export type WebGpuProbe =
  | { ok: true; adapter: string; software: boolean }
  | { ok: false; why: string };

/**
 * Features tfjs's WebGPU backend uses when the device has them: GPU timers
 * for its profiler, and a storage format for drawing to canvases. Neither
 * is needed to train.
 */
const OPTIONAL_FEATURES: readonly GPUFeatureName[] = [
  "timestamp-query",
  "bgra8unorm-storage",
];

/**
 * Limits tfjs's WebGPU backend raises to the adapter's maximum: large
 * images need large buffers and many workgroups.
 */
const RAISED_LIMITS = [
  "maxComputeWorkgroupStorageSize",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupSizeX",
  "maxComputeInvocationsPerWorkgroup",
] as const;

function defaultGpu(): GpuEntry | null {
  return (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu ?? null;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A readable name: the driver's description, else vendor and device. */
function describeAdapter(adapter: GPUAdapter): string {
  const info = adapter.info as Partial<GPUAdapterInfo> | undefined;
  if (info?.description) return info.description;
  const parts = [info?.vendor, info?.architecture, info?.device]
    .filter((part) => part && part !== "0");
  return parts.join(" ") || "unnamed adapter";
}

/**
 * Whether the adapter renders in software. Deno reports it on the adapter's
 * info; older WebGPU versions on the adapter itself; the name is the last
 * resort.
 */
function isSoftwareAdapter(adapter: GPUAdapter, description: string): boolean {
  const info = adapter.info as { isFallbackAdapter?: boolean } | undefined;
  const legacy = adapter as unknown as { isFallbackAdapter?: boolean };
  return Boolean(
    info?.isFallbackAdapter || legacy.isFallbackAdapter ||
      /llvmpipe|lavapipe|swiftshader|software/i.test(description),
  );
}

async function requestAdapter(
  gpu: GpuEntry,
): Promise<{ adapter: GPUAdapter } | { why: string }> {
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (error) {
    return { why: `requesting a GPU adapter failed: ${message(error)}` };
  }
  if (!adapter) return { why: "no GPU adapter was found" };
  return { adapter };
}

/** Describes the WebGPU adapter, or says why there is none. */
export async function probeWebGpu(
  options: BackendOptions = {},
): Promise<WebGpuProbe> {
  const gpu = options.gpu === undefined ? defaultGpu() : options.gpu;
  if (!gpu) return { ok: false, why: "this runtime has no navigator.gpu" };
  const found = await requestAdapter(gpu);
  if (!("adapter" in found)) return { ok: false, why: found.why };
  const adapter = describeAdapter(found.adapter);
  return {
    ok: true,
    adapter,
    software: isSoftwareAdapter(found.adapter, adapter),
  };
}

/**
 * What to ask the adapter for: tfjs's optional features where the adapter
 * has them, and its raised limits at the adapter's values.
 */
export function deviceRequest(adapter: GPUAdapter): GPUDeviceDescriptor {
  const requiredFeatures = OPTIONAL_FEATURES
    .filter((feature) => adapter.features.has(feature));
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, unknown>)[name];
    if (typeof value === "number") requiredLimits[name] = value;
  }
  return { requiredFeatures, requiredLimits };
}

/** A device made for tfjs, with the adapter's description. */
interface OpenedDevice {
  device: GPUDevice;
  adapterInfo: GPUAdapterInfo;
  description: string;
  software: boolean;
}

async function openDevice(
  gpu: GpuEntry,
): Promise<{ opened: OpenedDevice } | { why: string }> {
  const found = await requestAdapter(gpu);
  if (!("adapter" in found)) return { why: found.why };
  const { adapter } = found;
  const description = describeAdapter(adapter);
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice(deviceRequest(adapter));
  } catch (error) {
    return {
      why: `adapter "${description}" failed to create a device: ${
        message(error)
      }`,
    };
  }
  return {
    opened: {
      device,
      adapterInfo: adapter.info,
      description,
      software: isSoftwareAdapter(adapter, description),
    },
  };
}

function softwareWhy(description: string): string {
  return `adapter "${description}" is a software renderer, slower than ` +
    "the CPU paths (choose webgpu by name to use it anyway)";
}

/** The device behind the running tfjs WebGPU backend, if one runs. */
let running:
  | {
    description: string;
    software: boolean;
    gpu: GpuEntry;
    device: GPUDevice;
    lost: boolean;
  }
  | undefined;

/**
 * Whether tfjs still holds a working WebGPU backend started from `gpu`: not
 * removed from tfjs, and its device not lost (a driver reset, or destroyed).
 */
function webGpuBackendIsLive(gpu: GpuEntry | null): boolean {
  const registry = (tf.engine() as unknown as {
    registry: Record<string, unknown>;
  }).registry;
  return running !== undefined && running.gpu === gpu && !running.lost &&
    registry["webgpu"] !== undefined;
}

/**
 * Starts tfjs's WebGPU backend on a device opened here, or reuses the one
 * already running. Returns the adapter's description, or why it failed.
 */
async function activateWebGpu(
  gpu: GpuEntry | null,
  allowSoftware: boolean,
): Promise<
  { description: string; software: boolean } | { why: string }
> {
  if (webGpuBackendIsLive(gpu)) {
    if (running!.software && !allowSoftware) {
      return { why: softwareWhy(running!.description) };
    }
    await tf.setBackend("webgpu");
    return running!;
  }
  if (!gpu) return { why: "this runtime has no navigator.gpu" };
  const opened = await openDevice(gpu);
  if (!("opened" in opened)) return opened;
  const { device, adapterInfo, description, software } = opened.opened;
  if (software && !allowSoftware) {
    device.destroy();
    return { why: softwareWhy(description) };
  }

  // Importing the package registers its kernels, and its own start-up code
  // when navigator.gpu exists. That start-up code is replaced by one that
  // hands over the device opened above.
  const { WebGPUBackend } = await import("@tensorflow/tfjs-backend-webgpu");
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
  running?.device.destroy();
  running = undefined;
  tf.registerBackend("webgpu", () => new WebGPUBackend(device, adapterInfo), 3);
  let started = false;
  try {
    started = await tf.setBackend("webgpu");
  } catch (error) {
    return { why: `tfjs's WebGPU backend failed to start: ${message(error)}` };
  }
  if (!started) {
    tf.removeBackend("webgpu");
    return { why: "tfjs's WebGPU backend failed to start" };
  }
  const current = { description, software, gpu, device, lost: false };
  running = current;
  device.lost.then(() => current.lost = true);
  return running;
}

async function activateWasm(): Promise<void> {
  await import("@tensorflow/tfjs-backend-wasm");
  const { registerWasmTrainingKernels } = await import("./kernels/mod.ts");
  registerWasmTrainingKernels();
  if (!(await tf.setBackend("wasm"))) {
    throw new Error("tfjs could not initialise its wasm backend");
  }
  await tf.ready();
}

async function activateNative(): Promise<
  { threads: number } | { why: string }
> {
  const { registerNativeBackend, NATIVE_BACKEND } = await import(
    "./kernels/native.ts"
  );
  const status = await registerNativeBackend();
  if (!status.ok) return { why: status.why };
  if (!(await tf.setBackend(NATIVE_BACKEND))) {
    return { why: "tfjs could not initialise the native backend" };
  }
  await tf.ready();
  return { threads: status.threads };
}

async function activateCpu(): Promise<void> {
  await tf.setBackend("cpu");
  await tf.ready();
}

/**
 * Activates a backend and reports which one runs and why.
 *
 * With "auto": WebGPU on a hardware adapter, else native, else wasm, else
 * cpu. A backend
 * asked for by name that cannot start falls back the same way, and the
 * reason says so in one line. Calling it again, with the same or another
 * choice, is safe: a WebGPU backend already running is reused.
 *
 * ```ts
 * import { selectBackend } from "./backend.ts";
 * const report = await selectBackend("cpu");
 * report.name; // "cpu"
 * ```
 */
export async function selectBackend(
  choice: BackendChoice = "auto",
  options: BackendOptions = {},
): Promise<BackendReport> {
  const notes: string[] = [];
  if (choice === "webgpu" || choice === "auto") {
    const gpu = options.gpu === undefined ? defaultGpu() : options.gpu;
    const result = await activateWebGpu(gpu, choice === "webgpu");
    if ("description" in result) {
      const kind = result.software ? "software" : "hardware";
      return {
        name: "webgpu",
        adapter: result.description,
        reason: `WebGPU on ${kind} adapter "${result.description}"`,
      };
    }
    notes.push(`WebGPU unavailable: ${result.why}`);
  }
  if (choice === "native" || choice === "auto") {
    const result = await activateNative();
    if ("threads" in result) {
      return {
        name: "native",
        reason: [
          ...notes,
          `using native C kernels (AVX2/FMA, ${result.threads} threads)`,
        ].join("; "),
      };
    }
    notes.push(`native kernels unavailable: ${result.why}`);
  }
  if (choice !== "cpu") {
    try {
      await activateWasm();
      return {
        name: "wasm",
        reason: [...notes, "using wasm (SIMD)"].join("; "),
      };
    } catch (error) {
      notes.push(`wasm failed to start (${message(error)})`);
    }
  }
  await activateCpu();
  const reason = choice === "cpu"
    ? "cpu backend requested"
    : [...notes, "using cpu"].join("; ");
  return { name: "cpu", reason };
}
