/**
 * MRI volumes in NIfTI format (.nii, .nii.gz) as 2D slices for CycleGAN.
 *
 * A volume is read with `nifti-reader-js` (gzip by `fflate`), scaled by its
 * header's slope and intercept, and cut into slices along an axis (axial,
 * coronal or sagittal, found from the header's affine). Intensities are
 * normalised per volume by robust percentiles, slices that are empty or
 * nearly constant are dropped (instance norm divides by a slice's standard
 * deviation, which is zero there), and each slice is resampled to a square
 * of the target size keeping its physical aspect ratio.
 *
 * A folder of T1 volumes and a folder of T2 volumes (as in the IXI data
 * set) become domains A and B; so does the trainA/ trainB/ testA/ testB/
 * layout holding volumes instead of images.
 *
 * ```ts
 * import { readNiftiVolume, volumeSlices } from "./nifti.ts";
 * const volume = await readNiftiVolume("/usr/share/mricron/templates/ch2.nii.gz");
 * const slices = volumeSlices(volume, { size: 64, axis: "axial" });
 * slices[0].image.height; // 64
 * ```
 *
 * @module
 */
import * as nifti from "nifti-reader-js";
import { gunzipSync } from "fflate";
import { checkImageSize } from "../lib/config.ts";
import type { SeededRandom } from "../lib/random.ts";
import { epochBatches, type EpochOrder, stackImages } from "./batching.ts";
import {
  type DatasetWarning,
  isFolder,
  isNiftiName,
  joinPath,
  LAYOUT_FOLDERS,
  type LayoutFolder,
  listFiles,
} from "./folder.ts";
import {
  cropOrPad,
  flipHorizontal,
  type FloatImage,
  resize,
} from "./preprocess.ts";
import type { Images, UnpairedBatch, UnpairedDataset } from "./types.ts";

/** A scalar volume, x fastest, in the file's (scaled) units. */
export interface NiftiVolume {
  /** The file it came from. */
  path: string;
  /** Voxels along x, y, z. */
  dims: [number, number, number];
  /** Voxel size along x, y, z in the file's units (usually mm). */
  spacing: [number, number, number];
  /** Voxel values times scl_slope plus scl_inter. */
  data: Float32Array;
  /** Voxel to world (RAS) transform, 4x4 rows. */
  affine: number[][];
  /** Volumes in the file (4th dimension); only the first is read. */
  frames: number;
}

/** Thrown for a file that is not a readable NIfTI volume. */
export class NiftiError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`Cannot read NIfTI volume ${path}: ${reason}`);
    this.name = "NiftiError";
  }
}

const DATATYPES: Record<number, { name: string; bytes: number }> = {
  2: { name: "uint8", bytes: 1 },
  4: { name: "int16", bytes: 2 },
  8: { name: "int32", bytes: 4 },
  16: { name: "float32", bytes: 4 },
  64: { name: "float64", bytes: 8 },
  256: { name: "int8", bytes: 1 },
  512: { name: "uint16", bytes: 2 },
  768: { name: "uint32", bytes: 4 },
};

function readVoxels(
  view: DataView,
  offset: number,
  count: number,
  datatype: number,
  littleEndian: boolean,
): Float32Array {
  const out = new Float32Array(count);
  const { bytes } = DATATYPES[datatype];
  for (let i = 0; i < count; i++) {
    const at = offset + i * bytes;
    switch (datatype) {
      case 2:
        out[i] = view.getUint8(at);
        break;
      case 4:
        out[i] = view.getInt16(at, littleEndian);
        break;
      case 8:
        out[i] = view.getInt32(at, littleEndian);
        break;
      case 16:
        out[i] = view.getFloat32(at, littleEndian);
        break;
      case 64:
        out[i] = view.getFloat64(at, littleEndian);
        break;
      case 256:
        out[i] = view.getInt8(at);
        break;
      case 512:
        out[i] = view.getUint16(at, littleEndian);
        break;
      case 768:
        out[i] = view.getUint32(at, littleEndian);
        break;
    }
  }
  return out;
}

/**
 * Parses a NIfTI-1 or NIfTI-2 file's bytes (gzipped or not). `path` names
 * the file in errors. Throws `NiftiError` for a wrong header, a truncated
 * file, or a data type that is not a scalar number.
 */
export function parseNifti(bytes: Uint8Array, path: string): NiftiVolume {
  let raw = bytes;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = gunzipSync(raw);
    } catch (error) {
      throw new NiftiError(
        path,
        `corrupt or truncated gzip data (${
          error instanceof Error ? error.message : error
        })`,
      );
    }
  }
  const buffer = raw.buffer.slice(
    raw.byteOffset,
    raw.byteOffset + raw.byteLength,
  ) as ArrayBuffer;
  const wrongHeader = () => {
    const found = raw.length < 348
      ? `only ${raw.length} bytes`
      : `sizeof_hdr ${new DataView(buffer).getInt32(0, true)} and magic ${
        JSON.stringify(
          new TextDecoder().decode(raw.subarray(344, 348)).replace(/\0/g, ""),
        )
      }`;
    return new NiftiError(
      path,
      `expected a NIfTI-1 or NIfTI-2 header (sizeof_hdr 348 or 540, magic "n+1" or "n+2"), got ${found}`,
    );
  };
  if (raw.length < 348 || !nifti.isNIFTI(buffer)) throw wrongHeader();
  let header: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    header = nifti.readHeader(buffer);
  } catch {
    throw wrongHeader();
  }
  const rank = header.dims[0];
  const [nx, ny, nz] = [1, 2, 3].map((k) => (k <= rank ? header.dims[k] : 1));
  if (!(rank >= 2 && rank <= 7) || !(nx >= 1 && ny >= 1 && nz >= 1)) {
    throw new NiftiError(
      path,
      `header dims must describe a volume (dim[0] 2..7, sizes >= 1), got dim = [${
        header.dims.slice(0, 8).join(", ")
      }]`,
    );
  }
  const datatype = DATATYPES[header.datatypeCode];
  if (!datatype) {
    throw new NiftiError(
      path,
      `data type ${header.datatypeCode} is not supported; expected a scalar type (${
        Object.values(DATATYPES).map((d) => d.name).join(", ")
      })`,
    );
  }
  const voxels = nx * ny * nz;
  const offset = Math.max(header.vox_offset, 0);
  const needed = offset + voxels * datatype.bytes;
  if (raw.length < needed) {
    throw new NiftiError(
      path,
      `truncated: ${nx}x${ny}x${nz} ${datatype.name} voxels need ${needed} bytes, the file has ${raw.length}`,
    );
  }
  const view = new DataView(buffer);
  const data = readVoxels(
    view,
    offset,
    voxels,
    header.datatypeCode,
    header.littleEndian,
  );
  const slope = header.scl_slope;
  const intercept = Number.isFinite(header.scl_inter) ? header.scl_inter : 0;
  if (
    Number.isFinite(slope) && slope !== 0 && (slope !== 1 || intercept !== 0)
  ) {
    for (let i = 0; i < voxels; i++) data[i] = data[i] * slope + intercept;
  }
  const spacing = [1, 2, 3].map((k) => {
    const d = Math.abs(header.pixDims[k]);
    return Number.isFinite(d) && d > 0 ? d : 1;
  }) as [number, number, number];
  const frames = rank >= 4 ? Math.max(1, header.dims[4]) : 1;
  return {
    path,
    dims: [nx, ny, nz],
    spacing,
    data,
    affine: header.affine,
    frames,
  };
}

/** Reads and parses a .nii or .nii.gz file. */
export async function readNiftiVolume(path: string): Promise<NiftiVolume> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new NiftiError(path, "file not found");
    }
    throw error;
  }
  return parseNifti(bytes, path);
}

/** A slicing direction: anatomical name, or voxel axis 0, 1, 2. */
export type SliceAxis = "axial" | "coronal" | "sagittal" | 0 | 1 | 2;

/**
 * The voxel axis closest to an anatomical direction, from the affine's
 * columns: axial slices are stacked along superior (world z), coronal along
 * anterior (y), sagittal along right (x).
 */
export function voxelAxis(volume: NiftiVolume, axis: SliceAxis): 0 | 1 | 2 {
  if (axis === 0 || axis === 1 || axis === 2) return axis;
  const world = { sagittal: 0, coronal: 1, axial: 2 }[axis];
  if (world === undefined) {
    throw new RangeError(
      `Slice axis must be "axial", "coronal", "sagittal", 0, 1 or 2, got ${
        JSON.stringify(axis)
      }`,
    );
  }
  const affine = volume.affine;
  let best: 0 | 1 | 2 = world as 0 | 1 | 2;
  let largest = -1;
  for (const column of [0, 1, 2] as const) {
    const weight = Math.abs(affine?.[world]?.[column] ?? 0) /
      (Math.hypot(
        affine?.[0]?.[column] ?? 0,
        affine?.[1]?.[column] ?? 0,
        affine?.[2]?.[column] ?? 0,
      ) || 1);
    if (weight > largest + 1e-6) {
      largest = weight;
      best = column;
    }
  }
  return largest > 0 ? best : world as 0 | 1 | 2;
}

/** The values at fractions `levels` (0..1) of the sorted values. */
function quantiles(values: Float32Array, levels: number[]): number[] {
  const sorted = values.slice().sort();
  return levels.map((level) => {
    const at = Math.min(
      sorted.length - 1,
      Math.max(0, Math.round(level * (sorted.length - 1))),
    );
    return sorted[at];
  });
}

/**
 * Robust intensity range of a volume: the low percentile over all voxels,
 * the high percentile over the voxels above it (so a large empty background
 * does not pull the top down). Percentiles in 0..100.
 */
export function intensityRange(
  volume: NiftiVolume,
  percentiles: [number, number] = [0.5, 99.5],
): [number, number] {
  const [low, high] = percentiles;
  if (!(low >= 0 && low < high && high <= 100)) {
    throw new RangeError(
      `Percentiles must satisfy 0 <= low < high <= 100, got [${low}, ${high}]`,
    );
  }
  const stride = Math.max(1, Math.floor(volume.data.length / 200_000));
  const sample = new Float32Array(Math.ceil(volume.data.length / stride));
  let n = 0;
  for (let i = 0; i < volume.data.length; i += stride) {
    if (Number.isFinite(volume.data[i])) sample[n++] = volume.data[i];
  }
  if (n === 0) return [0, 0];
  const [floor] = quantiles(sample.subarray(0, n), [low / 100]);
  const above = sample.subarray(0, n).filter((value) => value > floor);
  if (above.length === 0) return [floor, floor];
  const [top] = quantiles(above, [high / 100]);
  return [floor, top];
}

/** How volumes become slices. */
export interface SliceOptions {
  /** Side of the square slices, in pixels. */
  size: number;
  /** Slicing direction. Default "axial". */
  axis?: SliceAxis;
  /** Part of the axis to use, as fractions from 0 to 1. Default [0, 1]. */
  range?: [number, number];
  /** Normalisation percentiles (0..100). Default [0.5, 99.5]. */
  percentiles?: [number, number];
  /**
   * Least fraction of a slice's pixels that must be foreground (above 10%
   * of the normalised range) for it to be kept. Default 0.05.
   */
  minForeground?: number;
  /** Least standard deviation, in [-1, 1] units, of a kept slice. Default 0.02. */
  minStd?: number;
}

/** One kept slice. */
export interface VolumeSlice {
  /** Index along the slicing axis. */
  index: number;
  /** The slice, [size, size, 1], in [-1, 1]. */
  image: FloatImage;
}

/** Slices `volume` along `axis` (a voxel axis), normalised but not resized. */
function rawSlice(
  volume: NiftiVolume,
  axis: 0 | 1 | 2,
  index: number,
  range: [number, number],
): { image: FloatImage; spacing: [number, number] } {
  const [nx, ny] = volume.dims;
  const [columnsAxis, rowsAxis] = ([0, 1, 2] as const).filter((k) =>
    k !== axis
  );
  const width = volume.dims[columnsAxis];
  const height = volume.dims[rowsAxis];
  const data = new Float32Array(width * height);
  const [low, high] = range;
  const scale = high > low ? 2 / (high - low) : 0;
  const voxel = [0, 0, 0];
  voxel[axis] = index;
  for (let row = 0; row < height; row++) {
    // Rows run from the top of the head (or the front) down, as images do.
    voxel[rowsAxis] = height - 1 - row;
    for (let column = 0; column < width; column++) {
      voxel[columnsAxis] = column;
      const value = volume.data[voxel[0] + nx * (voxel[1] + ny * voxel[2])];
      const normalised = Number.isFinite(value)
        ? (value - low) * scale - 1
        : -1;
      data[row * width + column] = normalised < -1
        ? -1
        : normalised > 1
        ? 1
        : normalised;
    }
  }
  return {
    image: { data, height, width, channels: 1 },
    spacing: [volume.spacing[rowsAxis], volume.spacing[columnsAxis]],
  };
}

/** Fits a slice into a `size` square, keeping its physical aspect ratio. */
function fitSquare(
  image: FloatImage,
  spacing: [number, number],
  size: number,
): FloatImage {
  const physicalHeight = image.height * spacing[0];
  const physicalWidth = image.width * spacing[1];
  const scale = size / Math.max(physicalHeight, physicalWidth);
  const height = Math.max(
    1,
    Math.min(size, Math.round(physicalHeight * scale)),
  );
  const width = Math.max(1, Math.min(size, Math.round(physicalWidth * scale)));
  const resized = resize(image, height, width);
  return cropOrPad(
    resized,
    -Math.floor((size - height) / 2),
    -Math.floor((size - width) / 2),
    size,
    size,
  );
}

function sliceStats(image: FloatImage): { foreground: number; std: number } {
  let sum = 0;
  let squares = 0;
  let foreground = 0;
  for (const value of image.data) {
    sum += value;
    squares += value * value;
    if (value > -0.8) foreground++;
  }
  const n = image.data.length;
  const mean = sum / n;
  return {
    foreground: foreground / n,
    std: Math.sqrt(Math.max(0, squares / n - mean * mean)),
  };
}

/** Which slice indices of a volume pass the range, emptiness and constancy checks. */
export function keptSliceIndices(
  volume: NiftiVolume,
  options: SliceOptions,
  range: [number, number] = intensityRange(volume, options.percentiles),
): number[] {
  const axis = voxelAxis(volume, options.axis ?? "axial");
  const count = volume.dims[axis];
  const [from, to] = options.range ?? [0, 1];
  if (!(from >= 0 && from < to && to <= 1)) {
    throw new RangeError(
      `Slice range must be fractions with 0 <= from < to <= 1, got [${from}, ${to}]`,
    );
  }
  const first = Math.floor(from * count);
  const last = Math.min(count, Math.ceil(to * count));
  const kept: number[] = [];
  for (let index = first; index < last; index++) {
    const { image } = rawSlice(volume, axis, index, range);
    const stats = sliceStats(image);
    if (
      stats.foreground >= (options.minForeground ?? 0.05) &&
      stats.std >= (options.minStd ?? 0.02)
    ) kept.push(index);
  }
  return kept;
}

/**
 * The kept slices of a volume, normalised to [-1, 1] and fitted into
 * `size` x `size` squares (padded with -1).
 */
export function volumeSlices(
  volume: NiftiVolume,
  options: SliceOptions,
  range: [number, number] = intensityRange(volume, options.percentiles),
): VolumeSlice[] {
  const axis = voxelAxis(volume, options.axis ?? "axial");
  return keptSliceIndices(volume, options, range).map((index) => ({
    index,
    image: sliceImage(volume, axis, index, range, options.size),
  }));
}

/** One slice of a volume, normalised and fitted into a square. */
export function sliceImage(
  volume: NiftiVolume,
  axis: 0 | 1 | 2,
  index: number,
  range: [number, number],
  size: number,
): FloatImage {
  const slice = rawSlice(volume, axis, index, range);
  return fitSquare(slice.image, slice.spacing, size);
}

/** Choices for a data set of NIfTI volumes. */
export interface NiftiDatasetOptions extends Partial<SliceOptions> {
  /** Random left-right flips of training slices. Default true. */
  flip?: boolean;
  /** Volumes kept decoded in memory at once. Default 2. */
  cacheVolumes?: number;
  /** Called for every skipped file and fallback. */
  onWarning?: (warning: DatasetWarning) => void;
  /** Name for logs. Default: the folder(s). */
  name?: string;
}

/** Volume files per role. Test lists may be empty. */
export type VolumeFiles = Record<LayoutFolder, string[]>;

interface SliceEntry {
  volume: number;
  index: number;
}

interface DomainIndex {
  paths: string[];
  ranges: [number, number][];
  axes: (0 | 1 | 2)[];
  slices: SliceEntry[];
  kept: number[][];
  dims: [number, number, number][];
}

/** A NIfTI data set: an `UnpairedDataset` that also reports what it skipped. */
export interface NiftiDataset extends UnpairedDataset {
  readonly files: Readonly<VolumeFiles>;
  readonly warnings: readonly DatasetWarning[];
  /** Volumes that could not be read or had no usable slice. */
  readonly skippedCount: number;
}

/**
 * A data set from lists of volumes per role. Every volume is read once at
 * opening, to find its usable slices and intensity range; slices are then
 * read on demand through a small cache of decoded volumes.
 */
export async function openNiftiDataset(
  files: VolumeFiles,
  options: NiftiDatasetOptions = {},
): Promise<NiftiDataset> {
  const size = options.size ?? 128;
  checkImageSize(size, "Image size");
  const sliceOptions: SliceOptions = { ...options, size };
  const warnings: DatasetWarning[] = [];
  const warn = (path: string, message: string) => {
    const warning = { path, message };
    warnings.push(warning);
    options.onWarning?.(warning);
  };
  let skipped = 0;
  const cacheLimit = Math.max(1, options.cacheVolumes ?? 2);
  const cache = new Map<string, NiftiVolume>();
  const load = async (path: string): Promise<NiftiVolume> => {
    const hit = cache.get(path);
    if (hit) {
      cache.delete(path);
      cache.set(path, hit);
      return hit;
    }
    const volume = await readNiftiVolume(path);
    cache.set(path, volume);
    while (cache.size > cacheLimit) cache.delete(cache.keys().next().value!);
    return volume;
  };

  const index = async (paths: string[]): Promise<DomainIndex> => {
    const domain: DomainIndex = {
      paths: [],
      ranges: [],
      axes: [],
      slices: [],
      kept: [],
      dims: [],
    };
    for (const path of paths) {
      let volume: NiftiVolume;
      try {
        volume = await load(path);
      } catch (error) {
        skipped++;
        warn(
          path,
          `skipped: ${error instanceof Error ? error.message : error}`,
        );
        continue;
      }
      if (volume.frames > 1) {
        warn(path, `has ${volume.frames} volumes; only the first is used`);
      }
      const range = intensityRange(volume, sliceOptions.percentiles);
      const kept = keptSliceIndices(volume, sliceOptions, range);
      if (kept.length === 0) {
        skipped++;
        warn(path, "skipped: no slice has enough non-constant foreground");
        continue;
      }
      const v = domain.paths.length;
      domain.paths.push(path);
      domain.ranges.push(range);
      domain.axes.push(voxelAxis(volume, sliceOptions.axis ?? "axial"));
      domain.kept.push(kept);
      domain.dims.push(volume.dims);
      for (const slice of kept) domain.slices.push({ volume: v, index: slice });
    }
    return domain;
  };

  const domains = {} as Record<LayoutFolder, DomainIndex>;
  for (const folder of LAYOUT_FOLDERS) {
    domains[folder] = await index(files[folder]);
  }
  for (const folder of ["trainA", "trainB"] as const) {
    if (domains[folder].slices.length === 0) {
      throw new Error(
        `No usable NIfTI slices for ${folder}: ${
          files[folder].length === 0
            ? "no volumes were given"
            : `all ${
              files[folder].length
            } volume(s) were unreadable or empty (first: ${files[folder][0]})`
        }`,
      );
    }
  }
  for (
    const [test, train] of [["testA", "trainA"], ["testB", "trainB"]] as const
  ) {
    if (domains[test].slices.length === 0) {
      warn(test, `no test volumes; test slices are taken from ${train}`);
      domains[test] = domains[train];
    }
  }

  // Test volumes pair up when both lists hold volumes of the same grid in
  // the same order: slice i of testA then shows what slice i of testB does.
  const testA = domains.testA;
  const testB = domains.testB;
  const paired = testA !== domains.trainA && testB !== domains.trainB &&
    testA.paths.length === testB.paths.length &&
    testA.dims.every((dims, v) => dims.join() === testB.dims[v].join());
  if (paired) {
    const shared: SliceEntry[] = [];
    testA.kept.forEach((kept, v) => {
      const other = new Set(testB.kept[v]);
      for (const slice of kept) {
        if (other.has(slice)) shared.push({ volume: v, index: slice });
      }
    });
    testA.slices = shared;
    testB.slices = shared;
  }

  const readSlice = async (
    domain: DomainIndex,
    entry: SliceEntry,
  ): Promise<FloatImage> => {
    const volume = await load(domain.paths[entry.volume]);
    return sliceImage(
      volume,
      domain.axes[entry.volume],
      entry.index,
      domain.ranges[entry.volume],
      size,
    );
  };
  const loader =
    (domain: DomainIndex, training: boolean) =>
    async (indices: number[], random?: SeededRandom): Promise<Images> => {
      const images: FloatImage[] = [];
      for (const i of indices) {
        let image = await readSlice(domain, domain.slices[i]);
        if (
          training && random && (options.flip ?? true) && random.next() < 0.5
        ) {
          image = flipHorizontal(image);
        }
        images.push(image);
      }
      return stackImages(images);
    };
  // Shuffle volumes, then slices within groups of cached volumes: well
  // mixed, yet each volume is decoded about once per epoch.
  const blockOrder = (domain: DomainIndex): EpochOrder => (_count, random) => {
    const volumes = random.shuffle(domain.paths.map((_, v) => v));
    const order: number[] = [];
    for (let start = 0; start < volumes.length; start += cacheLimit) {
      const group = new Set(volumes.slice(start, start + cacheLimit));
      const block = domain.slices.flatMap((entry, i) =>
        group.has(entry.volume) ? [i] : []
      );
      order.push(...random.shuffle(block));
    }
    return order;
  };
  const spread = (domain: DomainIndex, count: number, folder: string) => {
    if (!Number.isInteger(count) || count < 0 || count > domain.slices.length) {
      throw new RangeError(
        `Asked for ${count} test slices, ${folder} has ${domain.slices.length}`,
      );
    }
    return Array.from(
      { length: count },
      (_, k) => Math.floor((k * domain.slices.length) / count),
    );
  };
  const testImages = async (
    domain: "A" | "B",
    count: number,
  ): Promise<Images> => {
    const source = domain === "A" ? testA : testB;
    const picks = spread(source, count, `test${domain}`);
    if (picks.length === 0) {
      return { data: new Float32Array(0), shape: [0, size, size, 1] };
    }
    return await loader(source, false)(picks);
  };

  const dataset: NiftiDataset = {
    name: options.name ?? "nifti",
    size,
    channelsA: 1,
    channelsB: 1,
    trainCount: {
      a: domains.trainA.slices.length,
      b: domains.trainB.slices.length,
    },
    testCount: { a: testA.slices.length, b: testB.slices.length },
    files,
    warnings,
    get skippedCount() {
      return skipped;
    },
    batches: (batchOptions) =>
      epochBatches({
        countA: domains.trainA.slices.length,
        countB: domains.trainB.slices.length,
        loadA: loader(domains.trainA, true),
        loadB: loader(domains.trainB, true),
        orderA: blockOrder(domains.trainA),
        orderB: blockOrder(domains.trainB),
      }, batchOptions),
    testImages,
  };
  if (paired) {
    dataset.testPairs = async (count: number): Promise<UnpairedBatch> => ({
      a: await testImages("A", count),
      b: await testImages("B", count),
    });
  }
  return dataset;
}

/** Lists the .nii and .nii.gz files of a folder, erroring if there are none. */
export async function listVolumes(folder: string): Promise<string[]> {
  const { files } = await listFiles(folder, isNiftiName);
  if (files.length === 0) {
    throw new Error(`Folder ${folder} holds no NIfTI volumes (.nii, .nii.gz)`);
  }
  return files;
}

/**
 * Opens the trainA/ trainB/ testA/ testB/ layout holding NIfTI volumes.
 * Missing test folders fall back to the training volumes, with a warning.
 */
export async function openNiftiFolderDataset(
  root: string,
  options: NiftiDatasetOptions = {},
): Promise<NiftiDataset> {
  if (!(await isFolder(root))) {
    throw new Deno.errors.NotFound(
      `Dataset folder ${root} does not exist: expected trainA/ and trainB/ (and testA/, testB/) of NIfTI volumes`,
    );
  }
  const files = {} as VolumeFiles;
  for (const folder of LAYOUT_FOLDERS) {
    const path = joinPath(root, folder);
    if (!(await isFolder(path))) {
      if (folder.startsWith("train")) {
        throw new Deno.errors.NotFound(
          `Dataset folder ${root} has no ${folder}/: expected trainA/ and trainB/ (and testA/, testB/) of NIfTI volumes`,
        );
      }
      files[folder] = [];
      continue;
    }
    files[folder] = folder.startsWith("train")
      ? await listVolumes(path)
      : (await listFiles(path, isNiftiName)).files;
  }
  return openNiftiDataset(files, { ...options, name: options.name ?? root });
}

/**
 * Two folders of volumes, one per contrast (as IXI ships T1 and T2), as
 * domains A and B. The last `testFraction` of each folder's volumes (sorted
 * by name, at least one when there are two or more) are held out for
 * testing.
 */
export async function openNiftiVolumeFolders(
  folderA: string,
  folderB: string,
  options: NiftiDatasetOptions & { testFraction?: number } = {},
): Promise<NiftiDataset> {
  const fraction = options.testFraction ?? 0.1;
  if (!(fraction >= 0 && fraction < 1)) {
    throw new RangeError(`Test fraction must be in [0, 1), got ${fraction}`);
  }
  const split = (paths: string[]) => {
    const test = paths.length < 2 || fraction === 0
      ? 0
      : Math.max(1, Math.round(paths.length * fraction));
    return [
      paths.slice(0, paths.length - test),
      paths.slice(paths.length - test),
    ];
  };
  const [trainA, testA] = split(await listVolumes(folderA));
  const [trainB, testB] = split(await listVolumes(folderB));
  return openNiftiDataset(
    { trainA, trainB, testA, testB },
    { ...options, name: options.name ?? `${folderA} + ${folderB}` },
  );
}
