/**
 * Convolution gradients for tfjs's wasm backend, composed from the fast
 * XNNPACK convolution it already has.
 *
 * - `Conv2DBackpropFilter` is missing from the wasm backend. The filter
 *   gradient is itself a convolution: with the images' channels taken as a
 *   batch and the batch as channels, the input correlated with the output
 *   gradient (dilated by the stride) gives one filter tap per output pixel.
 * - `Conv2DBackpropInput` (also the forward pass of a transposed
 *   convolution) ships as a naive loop. For stride s it is s*s stride-1
 *   convolutions of the output gradient with sub-kernels of the flipped
 *   filter, one per output phase, interleaved afterwards: no work is spent
 *   on the zeros a dilated input would hold.
 *
 * Intermediates are tfjs `TensorInfo`s made by calling the wasm backend's
 * own kernels directly, and freed before the kernel returns.
 *
 * @module
 */
import { tf } from "../tf.ts";

type TensorInfo = tf.TensorInfo;
type Attrs = Record<string, unknown>;

/** The parts of tfjs's `BackendWasm` these kernels use. */
interface WasmBackend {
  disposeData(dataId: object): boolean;
  readSync(dataId: object): Float32Array;
  makeOutput(
    shape: number[],
    dtype: "float32",
    memoryOffset?: number,
    values?: Float32Array,
  ): TensorInfo;
}

/** Runs one of the backend's registered kernels on TensorInfos. */
function run(
  backend: WasmBackend,
  kernelName: string,
  inputs: Record<string, TensorInfo> | TensorInfo[],
  attrs: Attrs = {},
): TensorInfo {
  const kernel = tf.getKernel(kernelName, "wasm");
  if (!kernel) {
    throw new Error(`The wasm backend has no '${kernelName}' kernel`);
  }
  return kernel.kernelFunc({
    inputs: inputs as tf.NamedTensorInfoMap,
    attrs: attrs as tf.NamedAttrMap,
    backend: backend as unknown as tf.KernelBackend,
  }) as TensorInfo;
}

function free(backend: WasmBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Runs `step` on `info`, then frees `info`. */
function then(
  backend: WasmBackend,
  info: TensorInfo,
  step: (info: TensorInfo) => TensorInfo,
): TensorInfo {
  const out = step(info);
  free(backend, info);
  return out;
}

function slice4(
  backend: WasmBackend,
  x: TensorInfo,
  begin: number[],
  size: number[],
): TensorInfo {
  return run(backend, tf.Slice, { x }, { begin, size });
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: Attrs,
): ReturnType<typeof tf.backend_util.computeConv2DInfo> {
  const dataFormat = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (dataFormat !== "NHWC" && dataFormat !== "channelsLast") {
    throw new Error(
      `wasm training kernels need dataFormat "NHWC", got "${dataFormat}"`,
    );
  }
  const dilations = (attrs.dilations as number | [number, number]) ?? 1;
  if (
    !tf.backend_util.eitherStridesOrDilationsAreOne(
      attrs.strides as [number, number],
      dilations,
    )
  ) {
    throw new Error("wasm training kernels support dilation 1 only");
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    dilations,
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
}

/**
 * dW[kh, kw, ci, co] = sum over n, oh, ow of
 * x[n, oh*s + kh - top, ow*s + kw - left, ci] * dy[n, oh, ow, co].
 *
 * Read as a convolution: input x as [ci, h, w, n], filter dy as
 * [oh, ow, n, co], dilation s, giving [ci, kh, kw, co].
 */
function conv2DBackpropFilter(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs ?? {};
  const filterShape = attrs.filterShape as number[];
  const info = convInfo(x.shape, filterShape, attrs);
  const { strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const { outHeight, outWidth, inHeight, inWidth } = info;
  const { top, left } = info.padInfo;
  const bottom = Math.max(0, kh + (outHeight - 1) * sh - inHeight - top);
  const right = Math.max(0, kw + (outWidth - 1) * sw - inWidth - left);

  const xT = run(backend, tf.Transpose, { x }, { perm: [3, 1, 2, 0] });
  const dyT = run(backend, tf.Transpose, { x: dy }, { perm: [1, 2, 0, 3] });
  let taps = run(backend, tf.Conv2D, { x: xT, filter: dyT }, {
    strides: [1, 1],
    dilations: [sh, sw],
    pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    dataFormat: "NHWC",
  });
  free(backend, xT, dyT);
  // The forward conv may have dropped trailing rows; their taps are unused.
  if (taps.shape[1] !== kh || taps.shape[2] !== kw) {
    const [ci, , , co] = taps.shape;
    taps = then(
      backend,
      taps,
      (t) => slice4(backend, t, [0, 0, 0, 0], [ci, kh, kw, co]),
    );
  }
  return then(
    backend,
    taps,
    (t) => run(backend, tf.Transpose, { x: t }, { perm: [1, 2, 0, 3] }),
  );
}

/** One output phase of a strided transposed convolution along one axis. */
interface Phase {
  /** Output rows (or columns) of this phase: r, r + s, r + 2s, ... */
  count: number;
  /** First filter tap of the phase. */
  firstTap: number;
  /** Taps in the phase's sub-kernel. */
  taps: number;
  /** Row of dy that the first output row's window starts at (may be < 0). */
  start: number;
}

function phaseOf(
  r: number,
  stride: number,
  kernel: number,
  padBefore: number,
  size: number,
): Phase {
  const firstTap = (((r + padBefore) % stride) + stride) % stride;
  const shift = (r + padBefore - firstTap) / stride;
  const taps = Math.max(0, Math.ceil((kernel - firstTap) / stride));
  const count = Math.max(0, Math.ceil((size - r) / stride));
  return { count, firstTap, taps, start: shift - taps + 1 };
}

/**
 * dx[n, s*i + r, s*j + c, ci] = stride-1 correlation of dy with the flipped
 * taps kh = firstTap + s*t of the filter (channels swapped), one phase (r, c)
 * at a time.
 */
function conv2DBackpropInput(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs ?? {};
  const inputShape = attrs.inputShape as number[];
  const info = convInfo(inputShape, filter.shape, attrs);
  const { strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const [batch, height, width, inChannels] = inputShape;
  const outChannels = filter.shape[3];
  const weights = backend.readSync(filter.dataId);

  const rows: TensorInfo[] = [];
  for (let r = 0; r < sh; r++) {
    const rowPhase = phaseOf(r, sh, kh, info.padInfo.top, height);
    const columns: TensorInfo[] = [];
    for (let c = 0; c < sw; c++) {
      const colPhase = phaseOf(c, sw, kw, info.padInfo.left, width);
      columns.push(
        phaseConv(backend, dy, weights, rowPhase, colPhase, {
          sh,
          sw,
          kw,
          inChannels,
          outChannels,
          rows: Math.ceil(height / sh),
          columns: Math.ceil(width / sw),
        }),
      );
    }
    rows.push(interleave(backend, columns, 2));
  }
  let dx = interleave(backend, rows, 1);
  if (dx.shape[1] !== height || dx.shape[2] !== width) {
    dx = then(
      backend,
      dx,
      (t) =>
        slice4(backend, t, [0, 0, 0, 0], [batch, height, width, inChannels]),
    );
  }
  return dx;
}

/**
 * Interleaves same-shaped [n, h, w, c] phases along `axis` (1 or 2): the
 * result's index i*k + p along that axis comes from phase p's index i.
 */
function interleave(
  backend: WasmBackend,
  phases: TensorInfo[],
  axis: 1 | 2,
): TensorInfo {
  if (phases.length === 1) return phases[0];
  const [n, h, w, c] = phases[0].shape;
  const k = phases.length;
  // Stacking on the next axis in, then merging it: rows of phase p follow
  // one another within each output row group.
  const joined = run(backend, tf.Concat, phases, { axis: axis + 1 });
  free(backend, ...phases);
  const shape = axis === 1 ? [n, h * k, w, c] : [n, h, w * k, c];
  return then(
    backend,
    joined,
    (t) => run(backend, tf.Reshape, { x: t }, { shape }),
  );
}

function phaseConv(
  backend: WasmBackend,
  dy: TensorInfo,
  weights: Float32Array,
  rowPhase: Phase,
  colPhase: Phase,
  dims: {
    sh: number;
    sw: number;
    kw: number;
    inChannels: number;
    outChannels: number;
    rows: number;
    columns: number;
  },
): TensorInfo {
  const { inChannels, outChannels, kw } = dims;
  const [batch, outHeight, outWidth] = dy.shape;
  const shape = [batch, dims.rows, dims.columns, inChannels];
  if (rowPhase.count === 0 || colPhase.count === 0) {
    return backend.makeOutput(
      shape,
      "float32",
      undefined,
      new Float32Array(shape.reduce((a, b) => a * b, 1)),
    );
  }
  if (rowPhase.taps === 0 || colPhase.taps === 0) {
    return run(backend, tf.Fill, {}, { shape, value: 0, dtype: "float32" });
  }

  // Sub-kernel [taps_h, taps_w, outChannels, inChannels], flipped in space.
  const th = rowPhase.taps, tw = colPhase.taps;
  const sub = new Float32Array(th * tw * outChannels * inChannels);
  for (let u = 0; u < th; u++) {
    const fh = rowPhase.firstTap + dims.sh * (th - 1 - u);
    for (let v = 0; v < tw; v++) {
      const fw = colPhase.firstTap + dims.sw * (tw - 1 - v);
      const from = (fh * kw + fw) * inChannels * outChannels;
      const to = (u * tw + v) * outChannels * inChannels;
      for (let ci = 0; ci < inChannels; ci++) {
        for (let co = 0; co < outChannels; co++) {
          sub[to + co * inChannels + ci] =
            weights[from + ci * outChannels + co];
        }
      }
    }
  }
  const filter = backend.makeOutput(
    [th, tw, outChannels, inChannels],
    "float32",
    undefined,
    sub,
  );

  // Window of dy rows [start, start + count + taps - 1): crop what lies
  // before row 0 is zero padding, what lies past the end likewise.
  let source = dy;
  const cropTop = Math.max(0, rowPhase.start);
  const cropLeft = Math.max(0, colPhase.start);
  if (cropTop > 0 || cropLeft > 0) {
    source = slice4(backend, dy, [0, cropTop, cropLeft, 0], [
      batch,
      outHeight - cropTop,
      outWidth - cropLeft,
      outChannels,
    ]);
  }
  const top = Math.max(0, -rowPhase.start);
  const left = Math.max(0, -colPhase.start);
  const bottom = Math.max(
    0,
    rowPhase.start + rowPhase.count + th - 1 - outHeight,
  );
  const right = Math.max(
    0,
    colPhase.start + colPhase.count + tw - 1 - outWidth,
  );
  let out = run(backend, tf.Conv2D, { x: source, filter }, {
    strides: [1, 1],
    dilations: [1, 1],
    pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    dataFormat: "NHWC",
  });
  free(backend, filter);
  if (source !== dy) free(backend, source);

  if (out.shape[1] !== rowPhase.count || out.shape[2] !== colPhase.count) {
    out = then(backend, out, (t) =>
      slice4(backend, t, [0, 0, 0, 0], [
        batch,
        rowPhase.count,
        colPhase.count,
        inChannels,
      ]));
  }
  // Shorter phases are padded so that all phases interleave evenly.
  if (out.shape[1] !== dims.rows || out.shape[2] !== dims.columns) {
    out = then(backend, out, (t) =>
      run(backend, tf.PadV2, { x: t }, {
        paddings: [
          [0, 0],
          [0, dims.rows - rowPhase.count],
          [0, dims.columns - colPhase.count],
          [0, 0],
        ],
        constantValue: 0,
      }));
  }
  return out;
}

const KERNELS: tf.KernelConfig[] = [
  {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: "wasm",
    kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
  },
  {
    kernelName: tf.Conv2DBackpropInput,
    backendName: "wasm",
    kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
  },
];

let registered = false;

/**
 * Registers the wasm training kernels, replacing the shipped ones of the
 * same name. Safe to call more than once.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  // Limitation: the multi-threaded wasm build cannot start under Deno (its
  // worker gets a blob: URL that Deno's worker_threads rejects), and tfjs
  // tries it whenever IS_NODE is off, as lib/tf.ts sets it.
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  for (const config of KERNELS) {
    if (tf.getKernel(config.kernelName, "wasm")) {
      tf.unregisterKernel(config.kernelName, "wasm");
    }
    tf.registerKernel(config);
  }
  registered = true;
}
