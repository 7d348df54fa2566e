/**
 * An optional filter gradient for tfjs's WebGPU backend: one tiled matrix
 * product on the GPU.
 *
 * tfjs's WebGPU `Conv2DBackpropFilter` gives each filter element one GPU
 * thread, which loops over every output pixel of the batch in turn: no
 * tiling, no shared memory. In a residual block at 256 px (3x3, 256 in and
 * 256 out channels, 64x64 pixels) that is 590k threads of 4,096
 * multiply-adds each, every one reading both operands from memory. The same
 * gradient is a matrix product, (filter elements x pixels) times (pixels x
 * output channels), and the shader here computes it the way fast GPU
 * matrix products do: workgroups share tiles of both operands in workgroup
 * memory and each thread accumulates a 4 x 4 block.
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

/** The part of tfjs's `WebGPUBackend` this kernel uses. */
interface WebGpuProgramRunner extends WebGpuBackend {
  runWebGPUProgram(
    program: unknown,
    inputs: TensorInfo[],
    outputDtype: "float32",
    uniforms: Array<{ type: "int32"; data: number[] }>,
  ): TensorInfo;
}

/** Output rows and columns per workgroup, and the reduction tile. */
const TILE = 64;
const TILE_K = 16;

/**
 * Split-K: a gradient with few output tiles and a long sum (the 7x7 stem at
 * 256 px: one 64 x 64 tile, 65,536 pixels to sum over) would keep one
 * workgroup busy while the rest of the GPU idles. Its sum is then cut into
 * slices of at least this many pixels, one workgroup each, until about
 * SPLIT_TARGET workgroups run; a reduction adds the slices up.
 */
const SPLIT_MIN_DEPTH = 512;
const SPLIT_TARGET = 256;

/**
 * The filter gradient as one tiled matrix product, in tfjs's WebGPU program
 * format:
 *
 *   dW[m, n] = sum over k of A[m, k] * dy[k, n]
 *
 * with m = (kh, kw, ci) the filter element, n = co, k = (batch, oh, ow) the
 * output pixel, and A[m, k] the input pixel that tap m saw at output pixel
 * k (0 in the padding). A is never stored: each workgroup gathers its
 * 64 x 16 slice of it into workgroup memory, next to a 16 x 64 slice of dy,
 * and each of its 256 threads accumulates a 4 x 4 block of dW.
 */
class FilterGradientProgram {
  readonly variableNames = ["x", "dy"];
  readonly outputShape: number[];
  readonly shaderKey = "cycleganFilterGradientGemm";
  readonly dispatchLayout = { x: [2], y: [1], z: [0] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [16, 16, 1];
  readonly uniforms =
    "rows : i32, cols : i32, depth : i32, sliceTiles : i32, inChannels : i32, filterWidth : i32, outHeight : i32, outWidth : i32, inHeight : i32, inWidth : i32, strides : vec2<i32>, pads : vec2<i32>,";

  constructor(rows: number, cols: number, slices: number) {
    this.outputShape = [slices, rows, cols];
    this.dispatch = [Math.ceil(cols / TILE), Math.ceil(rows / TILE), slices];
  }

  getUserCode(): string {
    return `
      var<workgroup> tileA : array<array<f32, ${TILE}>, ${TILE_K}>;
      var<workgroup> tileB : array<array<f32, ${TILE}>, ${TILE_K}>;

      fn inputTap(m : i32, k : i32, kEnd : i32) -> f32 {
        if (m >= uniforms.rows || k >= kEnd) {
          return 0.0;
        }
        let ci = m % uniforms.inChannels;
        let tap = m / uniforms.inChannels;
        let kc = tap % uniforms.filterWidth;
        let kr = tap / uniforms.filterWidth;
        let oc = k % uniforms.outWidth;
        let rest = k / uniforms.outWidth;
        let orow = rest % uniforms.outHeight;
        let b = rest / uniforms.outHeight;
        let ir = orow * uniforms.strides.x + kr - uniforms.pads.x;
        let ic = oc * uniforms.strides.y + kc - uniforms.pads.y;
        if (ir < 0 || ir >= uniforms.inHeight || ic < 0 ||
            ic >= uniforms.inWidth) {
          return 0.0;
        }
        return x[((b * uniforms.inHeight + ir) * uniforms.inWidth + ic) *
            uniforms.inChannels + ci];
      }

      fn outputGradient(k : i32, n : i32, kEnd : i32) -> f32 {
        if (k >= kEnd || n >= uniforms.cols) {
          return 0.0;
        }
        return dy[k * uniforms.cols + n];
      }

      fn main() {
        let lane = i32(localIndex) % ${TILE};
        let firstRow = i32(localIndex) / ${TILE};
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let m0 = i32(workgroupId.y) * ${TILE};
        let n0 = i32(workgroupId.x) * ${TILE};
        let slice = i32(workgroupId.z);
        let kStart = slice * uniforms.sliceTiles * ${TILE_K};
        let kEnd = min(uniforms.depth, kStart + uniforms.sliceTiles * ${TILE_K});
        var sums : array<array<f32, 4>, 4>;
        // The loop count comes from uniforms alone, so that every thread of
        // the workgroup reaches the same barriers.
        for (var t = 0; t < uniforms.sliceTiles; t = t + 1) {
          let k0 = kStart + t * ${TILE_K};
          for (var i = 0; i < 4; i = i + 1) {
            let kk = firstRow + 4 * i;
            tileA[kk][lane] = inputTap(m0 + lane, k0 + kk, kEnd);
            tileB[kk][lane] = outputGradient(k0 + kk, n0 + lane, kEnd);
          }
          workgroupBarrier();
          for (var kk = 0; kk < ${TILE_K}; kk = kk + 1) {
            var a : array<f32, 4>;
            var g : array<f32, 4>;
            for (var i = 0; i < 4; i = i + 1) {
              a[i] = tileA[kk][ty + 16 * i];
              g[i] = tileB[kk][tx + 16 * i];
            }
            for (var i = 0; i < 4; i = i + 1) {
              for (var j = 0; j < 4; j = j + 1) {
                sums[i][j] = fma(a[i], g[j], sums[i][j]);
              }
            }
          }
          workgroupBarrier();
        }
        for (var i = 0; i < 4; i = i + 1) {
          for (var j = 0; j < 4; j = j + 1) {
            let m = m0 + ty + 16 * i;
            let n = n0 + tx + 16 * j;
            if (m < uniforms.rows && n < uniforms.cols) {
              setOutputAtIndex(
                  (slice * uniforms.rows + m) * uniforms.cols + n, sums[i][j]);
            }
          }
        }
      }
    `;
  }
}

/**
 * dW[kh, kw, ci, co] = sum over n, oh, ow of
 * x[n, oh*s + kh - top, ow*s + kw - left, ci] * dy[n, oh, ow, co].
 */
function conv2DBackpropFilter(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs },
): TensorInfo {
  const backend = args.backend as WebGpuProgramRunner;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs ?? {};
  const dataFormat = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (dataFormat !== "NHWC") {
    throw new Error(
      `The GEMM filter gradient needs dataFormat "NHWC", got "${dataFormat}"`,
    );
  }
  const filterShape = attrs.filterShape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    attrs.strides as [number, number],
    1,
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
  );
  const [filterHeight, filterWidth, inChannels, outChannels] = filterShape;
  const rows = filterHeight * filterWidth * inChannels;
  const depth = info.batchSize * info.outHeight * info.outWidth;
  const tiles = Math.ceil(rows / TILE) * Math.ceil(outChannels / TILE);
  const wanted = Math.max(
    1,
    Math.min(
      Math.ceil(SPLIT_TARGET / tiles),
      Math.floor(depth / SPLIT_MIN_DEPTH),
    ),
  );
  const sliceTiles = Math.ceil(depth / wanted / TILE_K);
  const slices = Math.ceil(depth / (sliceTiles * TILE_K));
  const program = new FilterGradientProgram(rows, outChannels, slices);
  const int = (...data: number[]) => ({ type: "int32" as const, data });
  const product = backend.runWebGPUProgram(program, [x, dy], "float32", [
    int(rows),
    int(outChannels),
    int(depth),
    int(sliceTiles),
    int(inChannels),
    int(filterWidth),
    int(info.outHeight),
    int(info.outWidth),
    int(info.inHeight),
    int(info.inWidth),
    int(info.strideHeight, info.strideWidth),
    int(info.padInfo.top, info.padInfo.left),
  ]);
  let summed = product;
  if (slices > 1) {
    summed = run(backend, tf.Sum, { x: product }, {
      axis: [0],
      keepDims: false,
    });
    backend.disposeData(product.dataId);
  }
  const dw = run(backend, tf.Reshape, { x: summed }, { shape: filterShape });
  backend.disposeData(summed.dataId);
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
