/**
 * Where CycleGAN's data comes from, behind one entry point.
 *
 * `openDataset(spec)` takes
 * - `"mri-phantom"` (the default): T1w -> T2w brain slices generated on the
 *   fly from phantom anatomies and MR physics; no files, no network;
 * - a folder path with trainA/ trainB/ (testA/ testB/) of PNG/JPEG images
 *   or of NIfTI volumes;
 * - `{ volumesA, volumesB }`: a folder of volumes per contrast (IXI style);
 * - the name of a public CycleGAN data set (e.g. `"horse2zebra"`), which is
 *   downloaded into a cache folder the first time;
 *
 * and returns an `UnpairedDataset` yielding [batch, height, width,
 * channels] float images in [-1, 1].
 *
 * ```ts
 * import { openDataset } from "./mod.ts";
 * const dataset = await openDataset("mri-phantom", { size: 64 });
 * const pairs = await dataset.testPairs!(4); // aligned T1w and T2w
 * pairs.a.shape; // [4, 64, 64, 1]
 * ```
 *
 * @module
 */
import {
  type DatasetWarning,
  type FolderDatasetOptions,
  isFolder,
  isNiftiName,
  joinPath,
  listFiles,
  openImageFolderDataset,
} from "./folder.ts";
import {
  type NiftiDatasetOptions,
  openNiftiFolderDataset,
  openNiftiVolumeFolders,
} from "./nifti.ts";
import {
  createMriPhantomDataset,
  type MriPhantomOptions,
} from "./mri_default.ts";
import {
  downloadDataset,
  type DownloadOptions,
  isPublicDataset,
  PUBLIC_DATASETS,
} from "./download.ts";
import type { UnpairedDataset } from "./types.ts";

export type { Images, UnpairedBatch, UnpairedDataset } from "./types.ts";
export * from "./mr_physics.ts";
export * from "./phantom.ts";
export * from "./mri_default.ts";
export * from "./preprocess.ts";
export * from "./folder.ts";
export * from "./nifti.ts";
export * from "./download.ts";
export { epochPlan, stackImages } from "./batching.ts";

/** The name of the embedded default data set. */
export const DEFAULT_DATASET = "mri-phantom";

/** What `openDataset` accepts. */
export type DatasetSpec =
  | string
  | { volumesA: string; volumesB: string };

/** Options for every kind of source; each uses the ones that apply to it. */
export interface OpenDatasetOptions {
  /** Side of the square images, a multiple of 4. Default 128. */
  size?: number;
  /** Phantom: seed, counts, protocols, noise (see `MriPhantomOptions`). */
  phantom?: Omit<MriPhantomOptions, "size">;
  /** Image folders: channels, preprocess, loadSize, flip. */
  images?: Omit<FolderDatasetOptions, "size" | "onWarning">;
  /** NIfTI volumes: axis, range, percentiles, emptiness thresholds. */
  volumes?: Omit<NiftiDatasetOptions, "size" | "onWarning"> & {
    testFraction?: number;
  };
  /** Public data sets: cache folder, server, retries, progress. */
  download?: DownloadOptions;
  /** Called for every skipped file or fallback, in any source. */
  onWarning?: (warning: DatasetWarning) => void;
}

/** Whether the layout under `root` holds NIfTI volumes rather than images. */
async function holdsVolumes(root: string): Promise<boolean> {
  for (const folder of ["trainA", "trainB"]) {
    const path = joinPath(root, folder);
    if (!(await isFolder(path))) continue;
    if ((await listFiles(path, isNiftiName)).files.length > 0) return true;
  }
  return false;
}

/**
 * Opens a data source by spec (see the module description). Throws an
 * error naming the spec and what was expected when it is none of them.
 */
export async function openDataset(
  spec: DatasetSpec = DEFAULT_DATASET,
  options: OpenDatasetOptions = {},
): Promise<UnpairedDataset> {
  const size = options.size ?? 128;
  if (typeof spec === "object") {
    return await openNiftiVolumeFolders(spec.volumesA, spec.volumesB, {
      ...options.volumes,
      size,
      onWarning: options.onWarning,
    });
  }
  if (spec === DEFAULT_DATASET) {
    return createMriPhantomDataset({ ...options.phantom, size });
  }
  if (await isFolder(spec)) {
    if (await holdsVolumes(spec)) {
      return await openNiftiFolderDataset(spec, {
        ...options.volumes,
        size,
        onWarning: options.onWarning,
      });
    }
    return await openImageFolderDataset(spec, {
      ...options.images,
      size,
      onWarning: options.onWarning,
    });
  }
  if (isPublicDataset(spec)) {
    const root = await downloadDataset(spec, options.download);
    return await openImageFolderDataset(root, {
      ...options.images,
      size,
      onWarning: options.onWarning,
    });
  }
  throw new Error(
    `Unknown data set ${
      JSON.stringify(spec)
    }: expected "${DEFAULT_DATASET}", ` +
      `an existing folder with trainA/ and trainB/, or a public data set (${
        Object.keys(PUBLIC_DATASETS).join(", ")
      })`,
  );
}
