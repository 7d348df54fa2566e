/**
 * Backend selection with stand-in WebGPU entries: no WebGPU at all, no
 * adapter, an adapter request that throws, an adapter that fails to create
 * a device, a software adapter, and adapters without tfjs's optional
 * features. None of these needs a GPU; `webgpu_test.ts` covers the real
 * adapter.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import {
  type BackendReport,
  deviceRequest,
  type GpuEntry,
  probeWebGpu,
  selectBackend,
} from "../lib/backend.ts";

interface FakeAdapterOptions {
  description?: string;
  isFallbackAdapter?: boolean;
  features?: string[];
  limits?: Record<string, number>;
  /** What requestDevice does; rejects with "out of memory" by default. */
  requestDevice?: (descriptor: GPUDeviceDescriptor) => Promise<unknown>;
}

/** An adapter with just the members backend.ts reads. */
function fakeAdapter(options: FakeAdapterOptions = {}): GPUAdapter {
  return {
    info: {
      vendor: "fake",
      architecture: "",
      device: "",
      description: options.description ?? "Fake GPU 9000",
      isFallbackAdapter: options.isFallbackAdapter ?? false,
    },
    features: new Set(options.features ?? []),
    limits: options.limits ?? { maxBufferSize: 1024 },
    requestDevice: options.requestDevice ??
      (() => Promise.reject(new Error("out of memory"))),
  } as unknown as GPUAdapter;
}

function fakeGpu(adapter: () => Promise<GPUAdapter | null>): GpuEntry {
  return { requestAdapter: adapter };
}

/** A fallback report: not WebGPU, one line, naming the cause. */
function assertFallback(report: BackendReport, cause: RegExp): void {
  assert.notEqual(report.name, "webgpu");
  assert.equal(tf.getBackend(), report.name, "the reported backend is active");
  assert.match(report.reason, cause);
  assert.match(report.reason, new RegExp(`using ${report.name}`));
  assert.ok(!report.reason.includes("\n"), "the reason is one line");
}

Deno.test("cpu by name is cpu", async () => {
  const report = await selectBackend("cpu");
  assert.deepEqual(report, { name: "cpu", reason: "cpu backend requested" });
  assert.equal(tf.getBackend(), "cpu");
});

Deno.test("no navigator.gpu falls back with the reason", async () => {
  const report = await selectBackend("webgpu", { gpu: null });
  assertFallback(
    report,
    /WebGPU unavailable: this runtime has no navigator\.gpu/,
  );
});

Deno.test("no adapter falls back with the reason", async () => {
  const report = await selectBackend(
    "webgpu",
    { gpu: fakeGpu(() => Promise.resolve(null)) },
  );
  assertFallback(report, /WebGPU unavailable: no GPU adapter was found/);
});

Deno.test("an adapter request that throws falls back", async () => {
  const report = await selectBackend("auto", {
    gpu: fakeGpu(() => Promise.reject(new Error("driver crashed"))),
  });
  assertFallback(report, /requesting a GPU adapter failed: driver crashed/);
});

Deno.test("an adapter that cannot create a device falls back", async () => {
  const report = await selectBackend("webgpu", {
    gpu: fakeGpu(() => Promise.resolve(fakeAdapter())),
  });
  assertFallback(
    report,
    /adapter "Fake GPU 9000" failed to create a device: out of memory/,
  );
});

Deno.test("auto passes over a software adapter and releases its device", async () => {
  let destroyed = false;
  const adapter = fakeAdapter({
    description: "llvmpipe (LLVM 15.0.6, 256 bits)",
    isFallbackAdapter: true,
    requestDevice: () => Promise.resolve({ destroy: () => destroyed = true }),
  });
  const report = await selectBackend("auto", {
    gpu: fakeGpu(() => Promise.resolve(adapter)),
  });
  assertFallback(
    report,
    /"llvmpipe \(LLVM 15\.0\.6, 256 bits\)" is a software renderer/,
  );
  assert.ok(destroyed, "the unused device is destroyed");
});

Deno.test("probe describes an adapter and tells software from hardware", async () => {
  const hardware = await probeWebGpu({
    gpu: fakeGpu(() =>
      Promise.resolve(fakeAdapter({ description: "NVIDIA H200" }))
    ),
  });
  assert.deepEqual(hardware, {
    ok: true,
    adapter: "NVIDIA H200",
    software: false,
  });

  const flagged = await probeWebGpu({
    gpu: fakeGpu(() =>
      Promise.resolve(
        fakeAdapter({ description: "Some Renderer", isFallbackAdapter: true }),
      )
    ),
  });
  assert.deepEqual(flagged, {
    ok: true,
    adapter: "Some Renderer",
    software: true,
  });

  const named = await probeWebGpu({
    gpu: fakeGpu(() =>
      Promise.resolve(fakeAdapter({ description: "SwiftShader Device" }))
    ),
  });
  assert.equal(named.ok && named.software, true);

  assert.deepEqual(await probeWebGpu({ gpu: null }), {
    ok: false,
    why: "this runtime has no navigator.gpu",
  });
});

Deno.test("the device asks only for features the adapter has", () => {
  const bare = deviceRequest(fakeAdapter({ features: ["shader-f16"] }));
  assert.deepEqual(bare.requiredFeatures, []);

  const full = deviceRequest(
    fakeAdapter({
      features: ["timestamp-query", "bgra8unorm-storage", "shader-f16"],
    }),
  );
  assert.deepEqual(full.requiredFeatures, [
    "timestamp-query",
    "bgra8unorm-storage",
  ]);
});

Deno.test("the device raises limits to the adapter's, and only those it has", () => {
  const request = deviceRequest(
    fakeAdapter({
      limits: {
        maxBufferSize: 2 ** 31,
        maxStorageBufferBindingSize: 2 ** 30,
        maxTextureDimension2D: 8192,
      },
    }),
  );
  assert.deepEqual(request.requiredLimits, {
    maxBufferSize: 2 ** 31,
    maxStorageBufferBindingSize: 2 ** 30,
  });
});

Deno.test("the device request reaches the adapter", async () => {
  let seen: GPUDeviceDescriptor | undefined;
  const adapter = fakeAdapter({
    features: ["timestamp-query"],
    limits: { maxBufferSize: 4096 },
    requestDevice: (descriptor) => {
      seen = descriptor;
      return Promise.reject(new Error("no"));
    },
  });
  await selectBackend("webgpu", {
    gpu: fakeGpu(() => Promise.resolve(adapter)),
  });
  assert.deepEqual(seen, {
    requiredFeatures: ["timestamp-query"],
    requiredLimits: { maxBufferSize: 4096 },
  });
});
