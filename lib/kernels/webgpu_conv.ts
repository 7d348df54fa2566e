/**
 * An optional filter gradient for tfjs's WebGPU backend, built on its
 * matrix-multiply convolution.
 *
 * tfjs's WebGPU `Conv2DBackpropFilter` gives each filter element one GPU
 * thread, which loops over every output pixel of the batch in turn: no
 * tiling, no shared memory. In a residual block at 256 px (3x3, 256 in and
 * 256 out channels, 64x64 pixels) that is 590k threads of 4,096
 * multiply-adds each. The same gradient is a convolution (the images'
 * channels taken as the batch, the batch as channels, the output gradient
 * as the filter, dilated by the stride), which tfjs runs as a tiled
 * implicit matrix multiply.
 *
 * Limitation: which one is faster depends on the GPU, and no GPU has run
 * this yet; `bench/device/run_webgpu_bench.sh` measures both. Until then it
 * is off by default: {@link useGemmFilterGradient} switches it on.
 *
 * @module
 */
import { tf } from "../tf.ts";

type TensorInfo = tf.TensorInfo;
type Attrs = Record<string, unknown>;

/** The part of tfjs's `WebGPUBackend` this kernel uses. */
interface WebGpuBackend {
  disposeData(dataId: object): boolean;
}

const BACKEND = "webgpu";

/** Runs one of the WebGPU backend's registered kernels on TensorInfos. */
function run(
  backend: WebGpuBackend,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: Attrs,
): TensorInfo {
  const kernel = tf.getKernel(kernelName, BACKEND);
  if (!kernel) {
    throw new Error(`The webgpu backend has no '${kernelName}' kernel`);
  }
  return kernel.kernelFunc({
    inputs: inputs as tf.NamedTensorInfoMap,
    attrs: attrs as tf.NamedAttrMap,
    backend: backend as unknown as tf.KernelBackend,
  }) as TensorInfo;
}

/**
 * dW[kh, kw, ci, co] = sum over n, oh, ow of
 * x[n, oh*s + kh - top, ow*s + kw - left, ci] * dy[n, oh, ow, co],
 * computed as a convolution of x read as [ci, h, w, n] with dy read as
 * [oh, ow, n, co] at dilation s, which gives [ci, kh, kw, co].
 */
function conv2DBackpropFilter(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs },
): TensorInfo {
  const backend = args.backend as WebGpuBackend;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs ?? {};
  const dataFormat = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (dataFormat !== "NHWC") {
    throw new Error(
      `The GEMM filter gradient needs dataFormat "NHWC", got "${dataFormat}"`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    (attrs.dilations as [number, number] | undefined) ?? 1,
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error(
      `The GEMM filter gradient supports dilation 1 only, got ${info.dilationHeight}x${info.dilationWidth}`,
    );
  }
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  // Enough padding below and right for every tap the forward pass read;
  // rows the forward pass never reached are cut off afterwards.
  const bottom = Math.max(
    0,
    filterHeight + (info.outHeight - 1) * strideHeight - info.inHeight - top,
  );
  const right = Math.max(
    0,
    filterWidth + (info.outWidth - 1) * strideWidth - info.inWidth - left,
  );

  const xT = run(backend, tf.Transpose, { x }, { perm: [3, 1, 2, 0] });
  const dyT = run(backend, tf.Transpose, { x: dy }, { perm: [1, 2, 0, 3] });
  let taps = run(backend, tf.Conv2D, { x: xT, filter: dyT }, {
    strides: [1, 1],
    dilations: [strideHeight, strideWidth],
    pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    dataFormat: "NHWC",
  });
  backend.disposeData(xT.dataId);
  backend.disposeData(dyT.dataId);
  if (taps.shape[1] !== filterHeight || taps.shape[2] !== filterWidth) {
    const [inChannels, , , outChannels] = taps.shape;
    const cut = run(backend, tf.Slice, { x: taps }, {
      begin: [0, 0, 0, 0],
      size: [inChannels, filterHeight, filterWidth, outChannels],
    });
    backend.disposeData(taps.dataId);
    taps = cut;
  }
  const dw = run(backend, tf.Transpose, { x: taps }, { perm: [1, 2, 0, 3] });
  backend.disposeData(taps.dataId);
  return dw;
}

/** tfjs's own kernel, kept to switch back to. */
let original: tf.KernelConfig | undefined;

/**
 * Switches the WebGPU backend's convolution filter gradient to the
 * matrix-multiply form (`true`) or back to tfjs's own (`false`). Needs the
 * WebGPU backend's kernels registered (`selectBackend("webgpu")` does that).
 * Returns whether the GEMM form is now in use.
 */
export function useGemmFilterGradient(enabled: boolean): boolean {
  const current = tf.getKernel(tf.Conv2DBackpropFilter, BACKEND);
  if (!current) {
    throw new Error(
      'The webgpu backend\'s kernels are not registered: start it with selectBackend("webgpu") first',
    );
  }
  const active = current.kernelFunc === conv2DBackpropFilter;
  if (enabled === active) return enabled;
  tf.unregisterKernel(tf.Conv2DBackpropFilter, BACKEND);
  if (enabled) {
    original = current;
    tf.registerKernel({
      kernelName: tf.Conv2DBackpropFilter,
      backendName: BACKEND,
      kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
    });
  } else {
    tf.registerKernel(original!);
  }
  return enabled;
}
