/**
 * The standard unpaired layout of the CycleGAN data sets:
 *
 *   root/trainA/  root/trainB/  root/testA/  root/testB/
 *
 * each a folder of PNG or JPEG images (any names, any sizes). Opening lists
 * the file names only; images are read and decoded a batch at a time, so a
 * folder of any size streams through a small, fixed amount of memory.
 *
 * A file that cannot be decoded is skipped with a warning and counted (the
 * next readable file takes its place), so one bad file in thousands does
 * not stop training. Grey images in a colour domain are repeated into three
 * channels, colour images in a grey domain become grey by luma, and alpha is
 * dropped, as the reference loader does.
 *
 * ```ts ignore
 * import { openImageFolderDataset } from "./folder.ts";
 * const dataset = await openImageFolderDataset("data/horse2zebra", { size: 128 });
 * dataset.channelsA; // 3
 * ```
 *
 * @module
 */
import { checkImageSize } from "../lib/config.ts";
import { decodeImage, toFloatPixels } from "../lib/image_io.ts";
import type { SeededRandom } from "../lib/random.ts";
import { epochBatches, stackImages } from "./batching.ts";
import {
  type FloatImage,
  nearestMultipleOf4,
  preprocess,
  PREPROCESS_MODES,
  type PreprocessMode,
} from "./preprocess.ts";
import type { Images, UnpairedDataset } from "./types.ts";

/** Something a data source skipped or guessed, for the user to see. */
export interface DatasetWarning {
  /** The file or folder concerned. */
  path: string;
  /** What happened, in one sentence. */
  message: string;
}

/** The four folders of the unpaired layout, by role. */
export const LAYOUT_FOLDERS = ["trainA", "trainB", "testA", "testB"] as const;
export type LayoutFolder = typeof LAYOUT_FOLDERS[number];

const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg"];
const NIFTI_EXTENSIONS = [".nii", ".nii.gz"];

/** Whether a file name looks like a PNG or JPEG image. */
export function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Whether a file name looks like a NIfTI volume. */
export function isNiftiName(name: string): boolean {
  const lower = name.toLowerCase();
  return NIFTI_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Joins path parts with "/" (Deno accepts it on every platform). */
export function joinPath(...parts: string[]): string {
  return parts.join("/").replace(/\/+/g, "/");
}

/** Whether `path` is an existing folder. */
export async function isFolder(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * The files of one folder that `accept` takes, sorted by name, with the
 * number of other (ignored) files. Throws if the folder is missing.
 */
export async function listFiles(
  folder: string,
  accept: (name: string) => boolean,
): Promise<{ files: string[]; ignored: string[] }> {
  if (!(await isFolder(folder))) {
    throw new Deno.errors.NotFound(`Folder ${folder} does not exist`);
  }
  const files: string[] = [];
  const ignored: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    if (!entry.isFile && !entry.isSymlink) continue;
    if (entry.name.startsWith(".")) continue;
    (accept(entry.name) ? files : ignored).push(entry.name);
  }
  files.sort();
  ignored.sort();
  return { files: files.map((name) => joinPath(folder, name)), ignored };
}

/** Choices for a folder of images. */
export interface FolderDatasetOptions {
  /** Side of the square images yielded, a multiple of 4. Default 128. */
  size?: number;
  /** Size to resize to before cropping. Default round(size * 286 / 256). */
  loadSize?: number;
  /** How images are fitted to `size` (see `PreprocessMode`). */
  preprocess?: PreprocessMode;
  /** Random left-right flips of training images. Default true. */
  flip?: boolean;
  /**
   * Channels per domain: 1, 3, or "auto" (3 if any of a sample of the
   * domain's images is in colour, else 1). Default "auto".
   */
  channels?: 1 | 3 | "auto" | { a: 1 | 3 | "auto"; b: 1 | 3 | "auto" };
  /** Called for every skipped file and every fallback. */
  onWarning?: (warning: DatasetWarning) => void;
}

/** A folder data set: an `UnpairedDataset` that also reports what it skipped. */
export interface FolderDataset extends UnpairedDataset {
  /** The image files per folder, in order. */
  readonly files: Readonly<Record<LayoutFolder, readonly string[]>>;
  /** Every warning so far (unreadable files, missing test folders). */
  readonly warnings: readonly DatasetWarning[];
  /** Files that failed to decode and are now skipped. */
  readonly skippedCount: number;
}

/** Opens `root` with the trainA/ trainB/ testA/ testB/ image layout. */
export async function openImageFolderDataset(
  root: string,
  options: FolderDatasetOptions = {},
): Promise<FolderDataset> {
  const size = options.size ?? 128;
  checkImageSize(size, "Image size");
  const loadSize = options.loadSize ?? Math.round((size * 286) / 256);
  const mode = options.preprocess ?? "resize_and_crop";
  if (!PREPROCESS_MODES.includes(mode)) {
    throw new RangeError(
      `Preprocess mode must be one of ${PREPROCESS_MODES.join(", ")}, got ${
        JSON.stringify(mode)
      }`,
    );
  }
  if (!Number.isInteger(loadSize) || loadSize < size) {
    throw new RangeError(
      `Load size must be an integer >= size (${size}), got ${loadSize}`,
    );
  }
  const warnings: DatasetWarning[] = [];
  const warn = (path: string, message: string) => {
    const warning = { path, message };
    warnings.push(warning);
    options.onWarning?.(warning);
  };

  if (!(await isFolder(root))) {
    throw new Deno.errors.NotFound(
      `Dataset folder ${root} does not exist: expected a folder holding trainA/ and trainB/ (and testA/, testB/) of PNG or JPEG images`,
    );
  }
  const files = {} as Record<LayoutFolder, string[]>;
  for (const folder of LAYOUT_FOLDERS) {
    const path = joinPath(root, folder);
    const training = folder.startsWith("train");
    if (!(await isFolder(path))) {
      if (training) {
        throw new Deno.errors.NotFound(
          `Dataset folder ${root} has no ${folder}/: expected trainA/ and trainB/ (and testA/, testB/) of PNG or JPEG images`,
        );
      }
      files[folder] = [];
      continue;
    }
    const listing = await listFiles(path, isImageName);
    if (listing.ignored.length > 0) {
      warn(
        path,
        `ignored ${listing.ignored.length} file(s) without a .png, .jpg or .jpeg name (e.g. ${
          listing.ignored[0]
        })`,
      );
    }
    if (listing.files.length === 0 && training) {
      throw new Error(
        `Dataset folder ${path} holds no PNG or JPEG images (.png, .jpg, .jpeg)`,
      );
    }
    files[folder] = listing.files;
  }
  for (
    const [test, train] of [["testA", "trainA"], ["testB", "trainB"]] as const
  ) {
    if (files[test].length === 0) {
      warn(
        joinPath(root, test),
        `no test images; test images are taken from ${train}/`,
      );
      files[test] = files[train];
    }
  }

  const bad = new Map<string, string>();
  const readFloat = async (
    path: string,
    channels: 1 | 3,
  ): Promise<FloatImage> => {
    const image = decodeImage(await Deno.readFile(path), path);
    return {
      data: toFloatPixels(image, channels),
      height: image.height,
      width: image.width,
      channels,
    };
  };
  const resolveChannels = async (
    choice: 1 | 3 | "auto",
    list: string[],
  ): Promise<1 | 3> => {
    if (choice !== "auto") return choice;
    const probes = Math.min(list.length, 16);
    for (let k = 0; k < probes; k++) {
      const path = list[Math.floor((k * list.length) / probes)];
      try {
        const image = decodeImage(await Deno.readFile(path), path);
        if (image.channels >= 3) return 3;
      } catch {
        // Unreadable files are reported when a batch reaches them.
      }
    }
    return 1;
  };
  const choice = options.channels ?? "auto";
  const [choiceA, choiceB] = typeof choice === "object"
    ? [choice.a, choice.b]
    : [choice, choice];
  const channelsA = await resolveChannels(choiceA, files.trainA);
  const channelsB = await resolveChannels(choiceB, files.trainB);

  /** Reads file `index` of `list`, or the next readable one after it. */
  const readNextGood = async (
    list: string[],
    index: number,
    channels: 1 | 3,
  ): Promise<{ path: string; image: FloatImage }> => {
    for (let step = 0; step < list.length; step++) {
      const path = list[(index + step) % list.length];
      if (bad.has(path)) continue;
      try {
        return { path, image: await readFloat(path, channels) };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (!bad.has(path)) {
          bad.set(path, reason);
          warn(path, `skipped: ${reason}`);
        }
      }
    }
    const folder = list[0].slice(0, list[0].lastIndexOf("/"));
    throw new Error(
      `No readable images in ${folder}: all ${list.length} file(s) failed to decode (first: ${
        [...bad.values()][0]
      })`,
    );
  };

  const loader =
    (list: string[], channels: 1 | 3, training: boolean) =>
    async (indices: number[], random?: SeededRandom): Promise<Images> => {
      const read = await Promise.all(
        indices.map((index) => readNextGood(list, index, channels)),
      );
      const prepared = read.map(({ image }) =>
        preprocess(
          image,
          { mode, size, loadSize, flip: training && (options.flip ?? true) },
          training ? random : undefined,
        )
      );
      const first = prepared[0];
      const odd = prepared.findIndex((image) =>
        image.height !== first.height || image.width !== first.width
      );
      if (odd > 0) {
        throw new RangeError(
          `With preprocess "none" a batch needs images of one size: ${
            read[0].path
          } gives ${first.height}x${first.width}, ${read[odd].path} gives ${
            prepared[odd].height
          }x${
            prepared[odd].width
          }; use batch size 1 or another preprocess mode`,
        );
      }
      return stackImages(prepared);
    };

  const testLoader = (folder: "testA" | "testB") => {
    const channels = folder === "testA" ? channelsA : channelsB;
    const load = loader(files[folder], channels, false);
    return (count: number) => {
      if (
        !Number.isInteger(count) || count < 0 || count > files[folder].length
      ) {
        throw new RangeError(
          `Asked for ${count} test images, ${joinPath(root, folder)} has ${
            files[folder].length
          }`,
        );
      }
      if (count === 0) {
        const side = mode === "none" ? nearestMultipleOf4(size) : size;
        return Promise.resolve<Images>({
          data: new Float32Array(0),
          shape: [0, side, side, channels],
        });
      }
      return load(Array.from({ length: count }, (_, i) => i));
    };
  };
  const testA = testLoader("testA");
  const testB = testLoader("testB");

  return {
    name: root,
    size,
    channelsA,
    channelsB,
    trainCount: { a: files.trainA.length, b: files.trainB.length },
    testCount: { a: files.testA.length, b: files.testB.length },
    files,
    warnings,
    get skippedCount() {
      return bad.size;
    },
    batches: (batchOptions) =>
      epochBatches({
        countA: files.trainA.length,
        countB: files.trainB.length,
        loadA: loader(files.trainA, channelsA, true),
        loadB: loader(files.trainB, channelsB, true),
      }, batchOptions),
    testImages: async (domain, count) =>
      await (domain === "A" ? testA(count) : testB(count)),
  };
}
