/**
 * Backend selection: which engine runs the tensors.
 *
 * - `webgpu`: tfjs's WebGPU backend, when `navigator.gpu` offers a hardware
 *   adapter. A software adapter (Mesa's llvmpipe) is only used when asked
 *   for by name: it is correct but far slower than the CPU paths.
 * - `wasm`: tfjs's WebAssembly backend (XNNPACK, SIMD), with the training
 *   kernels it lacks registered from `kernels/`.
 * - `cpu`: tfjs's plain JavaScript backend, always available.
 *
 * The choice and the reason for it are returned, never printed: the CLI and
 * the notebooks show them.
 *
 * @module
 */
import { tf } from "./tf.ts";

/** Backends this project can run on. */
export type BackendName = "webgpu" | "wasm" | "cpu";

/** What was chosen and why. */
export interface BackendReport {
  /** The backend now active. */
  name: BackendName;
  /** One sentence a user can read: why this backend. */
  reason: string;
  /** The WebGPU adapter's description, when one was found. */
  adapter?: string;
}

/** How to choose: a backend by name, or "auto" for the fastest available. */
export type BackendChoice = BackendName | "auto";

/** Describes the WebGPU adapter, or says why there is none. */
export async function probeWebGpu(): Promise<
  { ok: true; adapter: string; software: boolean } | { ok: false; why: string }
> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) return { ok: false, why: "this runtime has no navigator.gpu" };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (error) {
    return { ok: false, why: `requesting a GPU adapter failed: ${message(error)}` };
  }
  if (!adapter) return { ok: false, why: "no GPU adapter was found" };
  const info = adapter.info;
  const description = [info?.vendor, info?.device || info?.description]
    .filter(Boolean).join(" ") || "unnamed adapter";
  const software = Boolean(
    (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter ||
      /llvmpipe|swiftshader|software/i.test(description),
  );
  return { ok: true, adapter: description, software };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function activateWebGpu(): Promise<void> {
  await import("@tensorflow/tfjs-backend-webgpu");
  if (!(await tf.setBackend("webgpu"))) {
    throw new Error("tfjs could not initialise its webgpu backend");
  }
  await tf.ready();
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

async function activateCpu(): Promise<void> {
  await tf.setBackend("cpu");
  await tf.ready();
}

/**
 * Activates a backend and reports which one runs and why.
 *
 * With "auto": WebGPU on a hardware adapter, else wasm, else cpu. A backend
 * asked for by name that cannot start falls back the same way, and the
 * reason says so.
 *
 * ```ts
 * import { selectBackend } from "./backend.ts";
 * const report = await selectBackend("cpu");
 * report.name; // "cpu"
 * ```
 */
export async function selectBackend(
  choice: BackendChoice = "auto",
): Promise<BackendReport> {
  const notes: string[] = [];
  if (choice === "webgpu" || choice === "auto") {
    const probe = await probeWebGpu();
    if (probe.ok && (choice === "webgpu" || !probe.software)) {
      try {
        await activateWebGpu();
        const kind = probe.software ? "software" : "hardware";
        return {
          name: "webgpu",
          adapter: probe.adapter,
          reason: `WebGPU on ${kind} adapter "${probe.adapter}"`,
        };
      } catch (error) {
        notes.push(`WebGPU failed to start (${message(error)})`);
      }
    } else if (probe.ok) {
      notes.push(
        `WebGPU adapter "${probe.adapter}" is a software renderer, slower than the CPU paths`,
      );
    } else {
      notes.push(`WebGPU unavailable: ${probe.why}`);
    }
  }
  if (choice !== "cpu") {
    try {
      await activateWasm();
      return { name: "wasm", reason: [...notes, "using wasm (SIMD)"].join("; ") };
    } catch (error) {
      notes.push(`wasm failed to start (${message(error)})`);
    }
  }
  await activateCpu();
  const reason = choice === "cpu" ? "cpu backend requested" : [...notes, "using cpu"].join("; ");
  return { name: "cpu", reason };
}
