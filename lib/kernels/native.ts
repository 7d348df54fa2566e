/**
 * The native CPU path: tfjs's cpu backend with its convolutions replaced by
 * C kernels (lib/kernels/native/conv.c: implicit im2col, a blocked AVX2/FMA
 * matrix product, OpenMP threads), compiled on this machine with gcc and
 * called through Deno's FFI.
 *
 * It registers as its own backend, `native`, so that tfjs's `cpu` backend
 * stays untouched as the reference the tests compare against. Every other
 * kernel is the cpu backend's.
 *
 * Needs: gcc on PATH (once, to compile), `--allow-ffi`, `--allow-read`, and
 * `--allow-run` + `--allow-write` for the first compile. When any is
 * missing, {@link registerNativeBackend} says which and nothing is
 * registered.
 *
 * @module
 */
import { tf } from "../tf.ts";

/** Name of the backend this module registers. */
export const NATIVE_BACKEND = "native";

const SOURCES = [
  new URL("./native/conv.c", import.meta.url),
  new URL("./native/elementwise.c", import.meta.url),
];
const CACHE = new URL("../../.cache/native/", import.meta.url);
const FLAGS = [
  "-O3",
  "-march=x86-64-v3",
  "-fno-math-errno",
  "-fopenmp",
  "-shared",
  "-fPIC",
  // Deno unloads the library at exit while OpenMP's idle threads still
  // sleep in libgomp; keeping it mapped avoids a crash on the way out.
  "-Wl,-z,nodelete",
];

const SYMBOLS = {
  cg_set_threads: { parameters: ["i32"], result: "void" },
  cg_set_elementwise_threads: { parameters: ["i32"], result: "void" },
  cg_max_threads: { parameters: [], result: "i32" },
  cg_unary: {
    parameters: ["i32", "i32", "buffer", "buffer", "f32"],
    result: "void",
  },
  cg_instance_norm: {
    parameters: [
      "buffer", // x
      "i32", // n
      "i32", // height * width
      "i32", // channels
      "buffer", // gamma
      "buffer", // beta
      "f32", // epsilon
      "buffer", // y
      "buffer", // normalised x
      "buffer", // 1 / std
    ],
    result: "void",
  },
  cg_instance_norm_grad: {
    parameters: [
      "buffer", // dy
      "buffer", // normalised x
      "buffer", // 1 / std
      "buffer", // gamma
      "i32", // n
      "i32", // height * width
      "i32", // channels
      "buffer", // dx
      "buffer", // dgamma
      "buffer", // dbeta
    ],
    result: "void",
  },
  cg_scatter_add4: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "i32"],
    result: "void",
  },
  cg_binary4: {
    parameters: [
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "void",
  },
  cg_gather4: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "f32"],
    result: "void",
  },
  cg_sum4: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "i32", "f32"],
    result: "void",
  },
  cg_conv2d: {
    parameters: [
      "buffer", // x
      ...Array(4).fill("i32"), // n, h, w, c
      "buffer", // filter
      ...Array(9).fill("i32"), // kh, kw, co, sh, sw, top, left, oh, ow
      "buffer", // out
    ],
    result: "void",
  },
  cg_conv2d_filter_grad: {
    parameters: [
      "buffer", // x
      ...Array(4).fill("i32"), // n, h, w, c
      "buffer", // dy
      ...Array(9).fill("i32"), // oh, ow, co, kh, kw, sh, sw, top, left
      "buffer", // dw
    ],
    result: "void",
  },
  cg_conv2d_input_grad: {
    parameters: [
      "buffer", // dy
      ...Array(4).fill("i32"), // n, oh, ow, co
      "buffer", // filter
      ...Array(9).fill("i32"), // kh, kw, c, sh, sw, top, left, h, w
      "buffer", // dx
    ],
    result: "void",
  },
} as const;

type Library = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** The outcome of building or loading the native kernels. */
export type NativeStatus =
  | { ok: true; library: string; compiled: boolean; threads: number }
  | { ok: false; why: string };

async function granted(
  descriptor: Deno.PermissionDescriptor,
): Promise<boolean> {
  return (await Deno.permissions.query(descriptor)).state === "granted";
}

async function libraryPath(): Promise<string> {
  const parts = [
    ...(await Promise.all(SOURCES.map((url) => Deno.readFile(url)))),
    new TextEncoder().encode(FLAGS.join(" ")),
  ];
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  const hex = Array.from(
    digest.slice(0, 6),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
  return new URL(`conv-${hex}.so`, CACHE).pathname;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Compiles the C kernels unless a build of the current source exists.
 * `deno task native` runs this; activating the backend does too.
 */
export async function buildNativeKernels(): Promise<
  { ok: true; library: string; compiled: boolean } | { ok: false; why: string }
> {
  if (!(await granted({ name: "read", path: SOURCES[0] }))) {
    return { ok: false, why: "reading the C source needs --allow-read" };
  }
  const library = await libraryPath();
  if (await exists(library)) return { ok: true, library, compiled: false };
  if (!(await granted({ name: "run", command: "gcc" }))) {
    return {
      ok: false,
      why: "compiling the C kernels needs --allow-run (for gcc)",
    };
  }
  if (!(await granted({ name: "write", path: CACHE }))) {
    return {
      ok: false,
      why: "writing the compiled kernels needs --allow-write",
    };
  }
  await Deno.mkdir(CACHE, { recursive: true });
  const partial = `${library}.${Deno.pid}.tmp`;
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("gcc", {
      args: [...FLAGS, ...SOURCES.map((url) => url.pathname), "-o", partial],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "no C compiler: gcc is not on PATH"
      : `running gcc failed: ${error instanceof Error ? error.message : error}`;
    return { ok: false, why };
  }
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    return {
      ok: false,
      why: `gcc could not compile the kernels in ${
        new URL(".", SOURCES[0]).pathname
      }: ${stderr.slice(0, 400)}`,
    };
  }
  await Deno.rename(partial, library);
  return { ok: true, library, compiled: true };
}

let native: Library | undefined;

/** CYCLEGAN_THREADS, when set and readable: threads for the convolutions. */
function threadsFromEnvironment(): number | undefined {
  try {
    const value = Number(Deno.env.get("CYCLEGAN_THREADS"));
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds (if needed) and loads the C kernels, and registers the `native`
 * backend. Safe to call more than once. `threads` defaults to every core.
 */
export async function registerNativeBackend(
  options: { threads?: number } = {},
): Promise<NativeStatus> {
  if (Deno.build.arch !== "x86_64") {
    return {
      ok: false,
      why: `the native kernels need an x86-64 CPU, this is ${Deno.build.arch}`,
    };
  }
  const build = await buildNativeKernels();
  if (!build.ok) return build;
  if (!(await granted({ name: "ffi", path: build.library }))) {
    return {
      ok: false,
      why:
        `loading the native kernels needs --allow-ffi (for ${build.library})`,
    };
  }
  if (!native) {
    try {
      native = Deno.dlopen(build.library, SYMBOLS).symbols;
    } catch (error) {
      return {
        ok: false,
        why: `loading ${build.library} failed: ${
          error instanceof Error ? error.message : error
        }`,
      };
    }
    registerKernels();
  }
  const threads = options.threads ?? threadsFromEnvironment() ??
    navigator.hardwareConcurrency ?? 1;
  native.cg_set_threads(threads);
  return { ...build, threads: native.cg_max_threads() };
}

/**
 * Output arrays of the native kernels, recycled when their tensor is
 * disposed. A fresh array costs a page fault per 4 KiB on first touch
 * (several microseconds each in a virtual machine), which for these
 * memory-bound kernels cost more than the arithmetic; a training step
 * allocates the same sizes over and over, so the free lists stay short.
 */
class ArrayPool {
  readonly #free = new Map<number, Float32Array[]>();
  readonly #ours = new WeakSet<ArrayBuffer>();
  #bytes = 0;

  constructor(readonly limitBytes: number) {}

  take(length: number): Float32Array {
    const reused = this.#free.get(length)?.pop();
    if (reused) {
      this.#bytes -= reused.byteLength;
      return reused;
    }
    const array = new Float32Array(length);
    this.#ours.add(array.buffer as ArrayBuffer);
    return array;
  }

  /** Whether `values` shares memory with an array of this pool. */
  owns(values: unknown): values is Float32Array {
    return ArrayBuffer.isView(values) &&
      this.#ours.has(values.buffer as ArrayBuffer);
  }

  give(array: Float32Array): void {
    if (this.#bytes + array.byteLength > this.limitBytes) return;
    let list = this.#free.get(array.length);
    if (!list) this.#free.set(array.length, list = []);
    list.push(array);
    this.#bytes += array.byteLength;
  }
}

const pool = new ArrayPool(1024 ** 3);

/** The parts of tfjs's cpu backend the kernels use. */
interface CpuBackend {
  data: {
    get(dataId: object): { values: unknown };
    has(dataId: object): boolean;
  };
  makeTensorInfo(
    shape: number[],
    dtype: "float32",
    values: Float32Array,
  ): tf.TensorInfo;
  disposeIntermediateTensorInfo(info: tf.TensorInfo): void;
}

type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
};

function values(backend: CpuBackend, info: tf.TensorInfo): Float32Array {
  const v = backend.data.get(info.dataId).values;
  if (!(v instanceof Float32Array)) {
    throw new Error(
      `native convolution needs float32 tensors, got ${info.dtype}`,
    );
  }
  return v;
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
) {
  const format = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (format !== "NHWC" && format !== "channelsLast") {
    return undefined;
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    (attrs.dilations as [number, number] | number | undefined) ?? 1,
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
  return info.dilationHeight === 1 && info.dilationWidth === 1
    ? info
    : undefined;
}

/** The cpu backend's own kernel, for cases the C code does not cover. */
function cpuKernel(name: string, args: KernelArgs): tf.TensorInfo {
  return tf.getKernel(name, "cpu")!.kernelFunc(
    args as Parameters<tf.KernelFunc>[0],
  ) as tf.TensorInfo;
}

function conv2d(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as CpuBackend;
  const { x, filter } = args.inputs as {
    x: tf.TensorInfo;
    filter: tf.TensorInfo;
  };
  const info = convInfo(x.shape, filter.shape, args.attrs ?? {});
  if (!info) return cpuKernel(tf.Conv2D, args);
  const out = pool.take(tf.util.sizeFromShape(info.outShape));
  native!.cg_conv2d(
    values(backend, x),
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    values(backend, filter),
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.outHeight,
    info.outWidth,
    out,
  );
  return backend.makeTensorInfo(info.outShape, "float32", out);
}

const ACTIVATIONS: Record<string, string | undefined> = {
  relu: tf.Relu,
  relu6: tf.Relu6,
  elu: tf.Elu,
  sigmoid: tf.Sigmoid,
  leakyrelu: tf.LeakyRelu,
  prelu: tf.Prelu,
};

function fusedConv2d(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as CpuBackend;
  const attrs = args.attrs ?? {};
  const { x, filter, bias, preluActivationWeights } = args.inputs;
  const activation = (attrs.activation as string | undefined) ?? "linear";
  let out = conv2d({ inputs: { x, filter }, backend, attrs });
  const step = (name: string, inputs: tf.NamedTensorInfoMap, a = {}) => {
    const next = tf.getKernel(name, "cpu")!.kernelFunc({
      inputs,
      backend: backend as unknown as tf.KernelBackend,
      attrs: a,
    }) as tf.TensorInfo;
    backend.disposeIntermediateTensorInfo(out);
    out = next;
  };
  if (bias) step(tf.Add, { a: out, b: bias });
  if (activation !== "linear") {
    const kernel = ACTIVATIONS[activation];
    if (!kernel) {
      throw new Error(`native FusedConv2D: unknown activation "${activation}"`);
    }
    if (activation === "prelu") {
      step(kernel, { x: out, alpha: preluActivationWeights });
    } else if (activation === "leakyrelu") {
      step(kernel, { x: out }, { alpha: attrs.leakyreluAlpha });
    } else {
      step(kernel, { x: out });
    }
  }
  return out;
}

function conv2dBackpropInput(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as CpuBackend;
  const { dy, filter } = args.inputs as {
    dy: tf.TensorInfo;
    filter: tf.TensorInfo;
  };
  const attrs = args.attrs ?? {};
  const inputShape = attrs.inputShape as number[];
  const info = convInfo(inputShape, filter.shape, attrs);
  if (!info) return cpuKernel(tf.Conv2DBackpropInput, args);
  const dx = pool.take(tf.util.sizeFromShape(inputShape));
  native!.cg_conv2d_input_grad(
    values(backend, dy),
    info.batchSize,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    values(backend, filter),
    info.filterHeight,
    info.filterWidth,
    info.inChannels,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.inHeight,
    info.inWidth,
    dx,
  );
  return backend.makeTensorInfo(inputShape, "float32", dx);
}

function conv2dBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as CpuBackend;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs ?? {};
  const filterShape = attrs.filterShape as number[];
  const info = convInfo(x.shape, filterShape, attrs);
  if (!info) return cpuKernel(tf.Conv2DBackpropFilter, args);
  const dw = pool.take(tf.util.sizeFromShape(filterShape));
  native!.cg_conv2d_filter_grad(
    values(backend, x),
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    values(backend, dy),
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    dw,
  );
  return backend.makeTensorInfo(filterShape, "float32", dw);
}

// ---- memory-bound ops -----------------------------------------------------

/** `shape` with ones in front to rank 4, or undefined past rank 4. */
function as4d(shape: number[]): number[] | undefined {
  if (shape.length > 4) return undefined;
  return [...Array(4 - shape.length).fill(1), ...shape];
}

function contiguousStrides(shape: number[]): number[] {
  const strides = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) {
    strides[i] = strides[i + 1] * shape[i + 1];
  }
  return strides;
}

function isFloat(...infos: tf.TensorInfo[]): boolean {
  return infos.every((info) => info.dtype === "float32");
}

const BINARY_OPS: Record<string, number> = {
  [tf.Add]: 1,
  [tf.Sub]: 2,
  [tf.Multiply]: 3,
  [tf.RealDiv]: 4,
};

function binary(name: string): (args: KernelArgs) => tf.TensorInfo {
  return (args) => {
    const backend = args.backend as CpuBackend;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const outShape = tf.backend_util.assertAndGetBroadcastShape(
      a.shape,
      b.shape,
    );
    const out4 = as4d(outShape);
    if (!out4 || !isFloat(a, b)) return cpuKernel(name, args);
    const strides = (shape: number[]) => {
      const s4 = as4d(shape)!;
      const full = contiguousStrides(s4);
      // Right-aligned broadcasting: a size-1 axis repeats (stride 0).
      return Int32Array.from(
        s4,
        (d, i) => (d === 1 && out4[i] !== 1 ? 0 : full[i]),
      );
    };
    const out = pool.take(tf.util.sizeFromShape(outShape));
    native!.cg_binary4(
      BINARY_OPS[name],
      Int32Array.from(out4),
      values(backend, a),
      strides(a.shape),
      values(backend, b),
      strides(b.shape),
      out,
    );
    return backend.makeTensorInfo(outShape, "float32", out);
  };
}

/**
 * out[i] = x[sum over axes of maps[axis][i_axis]]: one map per axis of
 * input offsets (negative: the fill value), for rank <= 4.
 */
function gather(
  backend: CpuBackend,
  x: tf.TensorInfo,
  outShape: number[],
  maps: Int32Array[],
  fill = 0,
): tf.TensorInfo {
  const out4 = as4d(outShape)!;
  const lead = 4 - maps.length;
  const all = new Int32Array(out4.reduce((n, d) => n + d, 0));
  let offset = lead; // the leading size-1 axes map to offset 0
  maps.forEach((map) => {
    all.set(map, offset);
    offset += map.length;
  });
  const out = pool.take(tf.util.sizeFromShape(outShape));
  native!.cg_gather4(Int32Array.from(out4), values(backend, x), all, out, fill);
  return backend.makeTensorInfo(outShape, "float32", out);
}

function slice(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as CpuBackend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.shape.length > 4 || !isFloat(x)) return cpuKernel(tf.Slice, args);
  const attrs = args.attrs ?? {};
  const [begin, size] = tf.slice_util.parseSliceParams(
    x as tf.Tensor,
    attrs.begin as number[],
    attrs.size as number[],
  );
  const strides = contiguousStrides(x.shape);
  const maps = size.map((n, axis) =>
    Int32Array.from({ length: n }, (_, i) => (begin[axis] + i) * strides[axis])
  );
  return gather(backend, x, size, maps);
}

function reverse(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as CpuBackend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.shape.length > 4 || !isFloat(x)) return cpuKernel(tf.Reverse, args);
  const axes = tf.util.parseAxisParam(
    (args.attrs ?? {}).dims as number | number[],
    x.shape,
  );
  const strides = contiguousStrides(x.shape);
  const maps = x.shape.map((n, axis) =>
    Int32Array.from(
      { length: n },
      (_, i) => (axes.includes(axis) ? n - 1 - i : i) * strides[axis],
    )
  );
  return gather(backend, x, x.shape, maps);
}

function pad(kind: "mirror" | "constant"): (args: KernelArgs) => tf.TensorInfo {
  const name = kind === "mirror" ? tf.MirrorPad : tf.PadV2;
  return (args) => {
    const backend = args.backend as CpuBackend;
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.shape.length > 4 || !isFloat(x)) return cpuKernel(name, args);
    const attrs = args.attrs ?? {};
    const paddings = attrs.paddings as Array<[number, number]>;
    const reflect = attrs.mode === "reflect" ? 1 : 0;
    const strides = contiguousStrides(x.shape);
    const outShape = x.shape.map((n, i) => n + paddings[i][0] + paddings[i][1]);
    const maps = kind === "constant"
      ? outShape.map((length, axis) =>
        Int32Array.from({ length }, (_, i) => {
          const j = i - paddings[axis][0];
          return j < 0 || j >= x.shape[axis] ? -1 : j * strides[axis];
        })
      )
      : mirrorMaps(x.shape, paddings, reflect === 1);
    return gather(
      backend,
      x,
      outShape,
      maps,
      kind === "constant" ? (attrs.constantValue as number) : 0,
    );
  };
}

/** For each padded axis, the input offset each output index copies. */
function mirrorMaps(
  shape: number[],
  paddings: Array<[number, number]>,
  reflect: boolean,
): Int32Array[] {
  const strides = contiguousStrides(shape);
  const shift = reflect ? 1 : 0;
  return shape.map((n, axis) =>
    Int32Array.from(
      { length: n + paddings[axis][0] + paddings[axis][1] },
      (_, i) => {
        let j = i - paddings[axis][0];
        if (j < 0) j = -j - 1 + shift;
        if (j >= n) j = 2 * n - 1 - j - shift;
        return j * strides[axis];
      },
    )
  );
}

/** Kernel name of the reflection-pad gradient (see lib/reflection_pad.ts). */
export const MIRROR_PAD_GRAD_KERNEL = "CycleGANMirrorPadGrad";

/** dx: each dy value added onto the input pixel it was copied from. */
function mirrorPadGradKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as CpuBackend;
  const { dy } = args.inputs as { dy: tf.TensorInfo };
  const attrs = args.attrs ?? {};
  const paddings = attrs.paddings as Array<[number, number]>;
  const shape = dy.shape.map((n, i) => n - paddings[i][0] - paddings[i][1]);
  const dy4 = as4d(dy.shape)!;
  const maps = mirrorMaps(shape, paddings, attrs.mode === "reflect");
  const all = new Int32Array(dy4.reduce((n, d) => n + d, 0));
  let offset = 4 - maps.length;
  for (const map of maps) {
    all.set(map, offset);
    offset += map.length;
  }
  const dx = pool.take(tf.util.sizeFromShape(shape));
  native!.cg_scatter_add4(
    Int32Array.from(dy4),
    values(backend, dy),
    all,
    dx,
    dx.length,
  );
  return backend.makeTensorInfo(shape, "float32", dx);
}

function transpose(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as CpuBackend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.shape.length > 4 || !isFloat(x)) return cpuKernel(tf.Transpose, args);
  const perm = (args.attrs ?? {}).perm as number[];
  const strides = contiguousStrides(x.shape);
  const outShape = perm.map((p) => x.shape[p]);
  const maps = perm.map((p) =>
    Int32Array.from({ length: x.shape[p] }, (_, i) => i * strides[p])
  );
  return gather(backend, x, outShape, maps);
}

function reduce(kind: "sum" | "mean"): (args: KernelArgs) => tf.TensorInfo {
  const name = kind === "sum" ? tf.Sum : tf.Mean;
  return (args) => {
    const backend = args.backend as CpuBackend;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const x4 = as4d(x.shape);
    if (!x4 || !isFloat(x)) return cpuKernel(name, args);
    const attrs = args.attrs ?? {};
    const axes = tf.util.parseAxisParam(
      attrs.axis as number | number[],
      x.shape,
    );
    const kept = x.shape.map((n, i) => (axes.includes(i) ? 1 : n));
    const kept4 = as4d(kept)!;
    const keptStrides = contiguousStrides(kept4);
    const so = Int32Array.from(kept4, (n, i) => (n === 1 ? 0 : keptStrides[i]));
    const outSize = tf.util.sizeFromShape(kept);
    const count = tf.util.sizeFromShape(x.shape) / outSize;
    const out = pool.take(outSize);
    native!.cg_sum4(
      Int32Array.from(x4),
      values(backend, x),
      so,
      out,
      outSize,
      kind === "mean" ? 1 / count : 1,
    );
    const outShape = attrs.keepDims
      ? kept
      : x.shape.filter((_, i) => !axes.includes(i));
    return backend.makeTensorInfo(outShape, "float32", out);
  };
}

const UNARY_OPS: Record<string, number> = {
  [tf.Relu]: 1,
  [tf.Step]: 2,
  [tf.Sqrt]: 3,
  [tf.Square]: 4,
  [tf.Neg]: 5,
  [tf.Rsqrt]: 6,
};

function unary(name: string): (args: KernelArgs) => tf.TensorInfo {
  return (args) => {
    const backend = args.backend as CpuBackend;
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!isFloat(x)) return cpuKernel(name, args);
    const out = pool.take(tf.util.sizeFromShape(x.shape));
    const alpha = ((args.attrs ?? {}).alpha as number | undefined) ?? 0;
    native!.cg_unary(
      UNARY_OPS[name],
      out.length,
      values(backend, x),
      out,
      alpha,
    );
    return backend.makeTensorInfo(x.shape, "float32", out);
  };
}

/**
 * Wraps one of the cpu backend's kernels so that an output that is a view
 * into a pooled array (the cpu backend's slice returns views when it can)
 * gets memory of its own before the pool could hand the array out again.
 */
function unaliased(kernelFunc: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const result = kernelFunc(args);
    const backend = args.backend as unknown as CpuBackend;
    const inputs = new Set(
      Object.values(args.inputs).map((info) => info?.dataId),
    );
    for (const info of Array.isArray(result) ? result : [result]) {
      if (inputs.has(info.dataId)) continue;
      const entry = backend.data.get(info.dataId);
      if (pool.owns(entry.values)) entry.values = entry.values.slice();
    }
    return result;
  };
}

/** Kernel names of the fused instance norm (see ./instance_norm.ts). */
export const INSTANCE_NORM_KERNEL = "CycleGANInstanceNorm";
export const INSTANCE_NORM_GRAD_KERNEL = "CycleGANInstanceNormGrad";

function instanceNormKernel(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as CpuBackend;
  const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
  const [n, h, w, c] = x.shape;
  const size = n * h * w * c;
  const y = pool.take(size), xHat = pool.take(size);
  const invStd = pool.take(n * c);
  native!.cg_instance_norm(
    values(backend, x),
    n,
    h * w,
    c,
    values(backend, gamma),
    values(backend, beta),
    (args.attrs ?? {}).epsilon as number,
    y,
    xHat,
    invStd,
  );
  return [
    backend.makeTensorInfo(x.shape, "float32", y),
    backend.makeTensorInfo(x.shape, "float32", xHat),
    backend.makeTensorInfo([n, 1, 1, c], "float32", invStd),
  ];
}

function instanceNormGradKernel(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as CpuBackend;
  const { dy, xHat, invStd, gamma } = args.inputs as Record<
    string,
    tf.TensorInfo
  >;
  const [n, h, w, c] = dy.shape;
  const dx = pool.take(n * h * w * c);
  const dGamma = pool.take(c), dBeta = pool.take(c);
  native!.cg_instance_norm_grad(
    values(backend, dy),
    values(backend, xHat),
    values(backend, invStd),
    values(backend, gamma),
    n,
    h * w,
    c,
    dx,
    dGamma,
    dBeta,
  );
  return [
    backend.makeTensorInfo(dy.shape, "float32", dx),
    backend.makeTensorInfo([c], "float32", dGamma),
    backend.makeTensorInfo([c], "float32", dBeta),
  ];
}

const OWN_KERNELS: Record<string, (args: KernelArgs) => tf.TensorInfo> = {
  [tf.Relu]: unary(tf.Relu),
  [tf.Step]: unary(tf.Step),
  [tf.Sqrt]: unary(tf.Sqrt),
  [tf.Square]: unary(tf.Square),
  [tf.Neg]: unary(tf.Neg),
  [tf.Rsqrt]: unary(tf.Rsqrt),
  [tf.Add]: binary(tf.Add),
  [tf.Sub]: binary(tf.Sub),
  [tf.Multiply]: binary(tf.Multiply),
  [tf.RealDiv]: binary(tf.RealDiv),
  [tf.Slice]: slice,
  [tf.Reverse]: reverse,
  [tf.MirrorPad]: pad("mirror"),
  [tf.PadV2]: pad("constant"),
  [tf.Transpose]: transpose,
  [tf.Sum]: reduce("sum"),
  [tf.Mean]: reduce("mean"),
  [tf.Conv2D]: conv2d,
  [tf.FusedConv2D]: fusedConv2d,
  [tf.Conv2DBackpropInput]: conv2dBackpropInput,
  [tf.Conv2DBackpropFilter]: conv2dBackpropFilter,
};

function registerKernels(): void {
  const cpu = tf.findBackend("cpu");
  if (!cpu) throw new Error("tfjs's cpu backend is not registered");
  const Cpu = cpu.constructor as new () => tf.KernelBackend & CpuBackend;
  // Pooled arrays go back to the pool when their tensor goes, and leave the
  // backend only as copies, so that no caller keeps one the pool reuses.
  class NativeBackend extends Cpu {
    override disposeData(dataId: object, force = false): boolean {
      const values = this.data.has(dataId)
        ? this.data.get(dataId).values
        : undefined;
      const released = super.disposeData(dataId, force);
      if (released && pool.owns(values) && values.byteOffset === 0) {
        pool.give(values);
      }
      return released;
    }

    override readSync(dataId: object): tf.BackendValues {
      const values = super.readSync(dataId);
      return pool.owns(values) ? values.slice() : values;
    }

    override read(dataId: object): Promise<tf.BackendValues> {
      return Promise.resolve(this.readSync(dataId));
    }
  }
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 0);
  for (
    const [kernelName, kernelFunc] of [
      [INSTANCE_NORM_KERNEL, instanceNormKernel],
      [INSTANCE_NORM_GRAD_KERNEL, instanceNormGradKernel],
      [MIRROR_PAD_GRAD_KERNEL, mirrorPadGradKernel],
    ] as const
  ) {
    tf.registerKernel({
      kernelName,
      backendName: NATIVE_BACKEND,
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
  }
  for (const config of tf.getKernelsForBackend("cpu")) {
    const own = OWN_KERNELS[config.kernelName] as unknown as tf.KernelFunc;
    tf.registerKernel({
      ...config,
      backendName: NATIVE_BACKEND,
      kernelFunc: own ?? unaliased(config.kernelFunc),
    });
  }
}
