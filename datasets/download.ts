/**
 * The public CycleGAN data sets by name: download, check and unpack into
 * the trainA/ trainB/ testA/ testB/ layout.
 *
 * A download goes to `<name>.zip.part` in the cache folder; if it is
 * interrupted, the next attempt asks the server for the rest only (an HTTP
 * Range request) and appends. The finished file is checked against the
 * size the server announced (and a SHA-256, when one is given), then every
 * entry of the zip is inflated and checked against its CRC-32 as it is
 * written out. A corrupt archive is deleted, so the next run starts clean.
 *
 * Progress is reported through `onProgress`, never printed; the CLI turns
 * it into a progress bar.
 *
 * ```ts ignore
 * import { downloadDataset } from "./download.ts";
 * const root = await downloadDataset("horse2zebra", {
 *   cacheDir: ".cache/datasets",
 *   onProgress: (p) => {},
 * });
 * // root = ".cache/datasets/horse2zebra", holding trainA/ trainB/ testA/ testB/
 * ```
 *
 * @module
 */
import { inflateSync } from "fflate";
import { isFolder, joinPath } from "./folder.ts";

/** Where the reference CycleGAN repository's download script fetches from. */
export const DATASET_BASE_URL =
  "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets";

/** The public unpaired data sets: name, then what domains A and B hold. */
export const PUBLIC_DATASETS: Readonly<
  Record<string, { a: string; b: string }>
> = Object.freeze({
  horse2zebra: { a: "horses (ImageNet)", b: "zebras (ImageNet)" },
  apple2orange: { a: "apples (ImageNet)", b: "oranges (ImageNet)" },
  summer2winter_yosemite: {
    a: "Yosemite in summer (Flickr)",
    b: "Yosemite in winter (Flickr)",
  },
  monet2photo: { a: "Monet paintings", b: "landscape photos (Flickr)" },
  cezanne2photo: { a: "Cezanne paintings", b: "landscape photos (Flickr)" },
  ukiyoe2photo: { a: "ukiyo-e prints", b: "landscape photos (Flickr)" },
  vangogh2photo: { a: "Van Gogh paintings", b: "landscape photos (Flickr)" },
  maps: { a: "aerial photos (Google Maps)", b: "maps (Google Maps)" },
  facades: { a: "building facades (CMP)", b: "facade label maps" },
  iphone2dslr_flower: {
    a: "flowers shot on iPhone (Flickr)",
    b: "flowers shot on DSLR, shallow depth of field (Flickr)",
  },
});

/** Whether `name` is one of `PUBLIC_DATASETS`. */
export function isPublicDataset(name: string): boolean {
  return Object.hasOwn(PUBLIC_DATASETS, name);
}

/** What a download is doing, for a progress bar. */
export interface DownloadProgress {
  phase: "download" | "verify" | "unzip";
  /** The data set's name. */
  name: string;
  /** Bytes downloaded so far (download) or entries unpacked (unzip). */
  done: number;
  /** The total to reach, when known. */
  total?: number;
  /** Bytes that were already on disk when this attempt resumed. */
  resumedFrom?: number;
}

/** Choices for `downloadDataset`. */
export interface DownloadOptions {
  /** Folder for archives and unpacked sets. Default ".cache/datasets". */
  cacheDir?: string;
  /** Server to fetch `<name>.zip` from. Default `DATASET_BASE_URL`. */
  baseUrl?: string;
  /** Expected SHA-256 of the zip, hex; checked when given. */
  sha256?: string;
  /** Extra attempts after an interrupted transfer, each resuming. Default 2. */
  retries?: number;
  /** Download and unpack again even if the set is already there. */
  force?: boolean;
  /** Keep the zip after unpacking it. Default false (it is deleted). */
  keepZip?: boolean;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
}

/** Thrown when a download's size, hash or zip CRC does not match. */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IntegrityError";
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * Downloads `url` to `destination`, resuming from `destination.part` if an
 * earlier attempt left one. Returns the number of bytes. Throws (keeping
 * the partial file for the next attempt) if the transfer is cut short.
 */
export async function downloadFile(
  url: string,
  destination: string,
  options: {
    onProgress?: (done: number, total?: number, resumedFrom?: number) => void;
    signal?: AbortSignal;
  } = {},
): Promise<number> {
  const partPath = `${destination}.part`;
  const have = await fileSize(partPath);
  const headers: HeadersInit = have > 0 ? { Range: `bytes=${have}-` } : {};
  const response = await fetch(url, { headers, signal: options.signal });
  let start = 0;
  let total: number | undefined;
  if (response.status === 206) {
    const match = /bytes (\d+)-\d+\/(\d+|\*)/.exec(
      response.headers.get("content-range") ?? "",
    );
    start = match ? Number(match[1]) : 0;
    total = match && match[2] !== "*" ? Number(match[2]) : undefined;
    if (start !== have) {
      await response.body?.cancel();
      await removeIfPresent(partPath);
      throw new Error(
        `Download of ${url} resumed at byte ${start}, expected ${have}; the partial file was removed, run again`,
      );
    }
  } else if (response.status === 416 && have > 0) {
    // Range not satisfiable: the partial file may already be complete.
    await response.body?.cancel();
    const match = /bytes \*\/(\d+)/.exec(
      response.headers.get("content-range") ?? "",
    );
    if (match && Number(match[1]) === have) {
      await Deno.rename(partPath, destination);
      return have;
    }
    await removeIfPresent(partPath);
    throw new Error(
      `Download of ${url}: the server refused to resume at byte ${have}; the partial file was removed, run again`,
    );
  } else if (response.ok) {
    const length = response.headers.get("content-length");
    total = length === null ? undefined : Number(length);
  } else {
    await response.body?.cancel();
    throw new Error(
      `Download of ${url} failed: HTTP ${response.status} ${response.statusText}`,
    );
  }
  if (!response.body) throw new Error(`Download of ${url} returned no body`);

  const file = await Deno.open(partPath, {
    create: true,
    write: true,
    append: start > 0,
    truncate: start === 0,
  });
  let done = start;
  try {
    options.onProgress?.(done, total, start);
    for await (const chunk of response.body) {
      let written = 0;
      while (written < chunk.length) {
        written += await file.write(chunk.subarray(written));
      }
      done += chunk.length;
      options.onProgress?.(done, total, start);
    }
  } catch (error) {
    throw new Error(
      `Download of ${url} was interrupted at ${done}${
        total ? ` of ${total}` : ""
      } bytes (${
        error instanceof Error ? error.message : error
      }); run again to resume`,
    );
  } finally {
    file.close();
  }
  if (total !== undefined && done !== total) {
    throw new Error(
      `Download of ${url} is incomplete: ${done} of ${total} bytes; run again to resume`,
    );
  }
  await Deno.rename(partPath, destination);
  return done;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (the zip and PNG checksum) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

async function readAt(
  file: Deno.FsFile,
  position: number,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  await file.seek(position, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < length) {
    const n = await file.read(out.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled === length ? out : out.subarray(0, filled);
}

/**
 * Unpacks a zip into `destination`, one entry at a time, checking each
 * entry's CRC-32 and size. Rejects entries that would land outside
 * `destination`. Returns the number of files written.
 */
export async function extractZip(
  zipPath: string,
  destination: string,
  onEntry?: (done: number, total: number) => void,
): Promise<number> {
  const file = await Deno.open(zipPath, { read: true });
  try {
    const size = (await file.stat()).size;
    const tailLength = Math.min(size, 65_557);
    const tail = await readAt(file, size - tailLength, tailLength);
    const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    let end = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (view.getUint32(i, true) === 0x06054b50) {
        end = i;
        break;
      }
    }
    if (end < 0) {
      throw new IntegrityError(
        `${zipPath} is not a zip archive (no end-of-central-directory record)`,
      );
    }
    const entries = view.getUint16(end + 10, true);
    const directorySize = view.getUint32(end + 12, true);
    const directoryOffset = view.getUint32(end + 16, true);
    if (entries === 0xffff || directoryOffset === 0xffffffff) {
      // Limitation: ZIP64 archives (over 4 GiB or 65535 entries) are not read.
      throw new Error(`${zipPath} is a ZIP64 archive, which is not supported`);
    }
    if (directoryOffset + directorySize > size) {
      throw new IntegrityError(
        `${zipPath} is truncated: its directory ends at byte ${
          directoryOffset + directorySize
        }, the file has ${size}`,
      );
    }
    const directory = await readAt(file, directoryOffset, directorySize);
    const dir = new DataView(directory.buffer);
    const names = new TextDecoder();
    let at = 0;
    let written = 0;
    for (let e = 0; e < entries; e++) {
      if (
        at + 46 > directory.length || dir.getUint32(at, true) !== 0x02014b50
      ) {
        throw new IntegrityError(
          `${zipPath}: central directory entry ${e} is damaged`,
        );
      }
      const flags = dir.getUint16(at + 8, true);
      const method = dir.getUint16(at + 10, true);
      const crc = dir.getUint32(at + 16, true);
      const compressedSize = dir.getUint32(at + 20, true);
      const originalSize = dir.getUint32(at + 24, true);
      const nameLength = dir.getUint16(at + 28, true);
      const extraLength = dir.getUint16(at + 30, true);
      const commentLength = dir.getUint16(at + 32, true);
      const localOffset = dir.getUint32(at + 42, true);
      const name = names.decode(
        directory.subarray(at + 46, at + 46 + nameLength),
      );
      at += 46 + nameLength + extraLength + commentLength;

      const parts = name.split("/").filter((part) => part !== "");
      if (
        name.startsWith("/") || parts.some((part) => part === "..") ||
        /^[a-zA-Z]:/.test(name)
      ) {
        throw new IntegrityError(
          `${zipPath}: entry ${
            JSON.stringify(name)
          } would be written outside ${destination}`,
        );
      }
      const target = joinPath(destination, ...parts);
      if (name.endsWith("/")) {
        await Deno.mkdir(target, { recursive: true });
        onEntry?.(e + 1, entries);
        continue;
      }
      if (flags & 1) {
        throw new Error(`${zipPath}: entry ${name} is encrypted`);
      }
      const local = await readAt(file, localOffset, 30);
      const localView = new DataView(local.buffer);
      if (local.length < 30 || localView.getUint32(0, true) !== 0x04034b50) {
        throw new IntegrityError(
          `${zipPath}: local header of ${name} is damaged`,
        );
      }
      const dataStart = localOffset + 30 + localView.getUint16(26, true) +
        localView.getUint16(28, true);
      const compressed = await readAt(file, dataStart, compressedSize);
      if (compressed.length < compressedSize) {
        throw new IntegrityError(`${zipPath}: entry ${name} is truncated`);
      }
      let content: Uint8Array;
      if (method === 0) {
        content = compressed;
      } else if (method === 8) {
        try {
          content = inflateSync(compressed, {
            out: new Uint8Array(originalSize),
          });
        } catch (error) {
          throw new IntegrityError(
            `${zipPath}: entry ${name} does not inflate (${
              error instanceof Error ? error.message : error
            })`,
          );
        }
      } else {
        throw new Error(
          `${zipPath}: entry ${name} uses compression method ${method}; only stored (0) and deflate (8) are supported`,
        );
      }
      if (content.length !== originalSize || crc32(content) !== crc) {
        throw new IntegrityError(
          `${zipPath}: entry ${name} fails its integrity check (CRC-32 or size does not match the archive's directory)`,
        );
      }
      await Deno.mkdir(joinPath(destination, ...parts.slice(0, -1)), {
        recursive: true,
      });
      await Deno.writeFile(target, content);
      written++;
      onEntry?.(e + 1, entries);
    }
    return written;
  } finally {
    file.close();
  }
}

async function sha256Hex(path: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await Deno.readFile(path),
  );
  return [...new Uint8Array(digest)]
    .map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Finds the folder holding trainA/ under `root` (itself or one level down). */
async function findLayoutRoot(root: string): Promise<string | undefined> {
  if (await isFolder(joinPath(root, "trainA"))) return root;
  for await (const entry of Deno.readDir(root)) {
    const inner = joinPath(root, entry.name);
    if (entry.isDirectory && await isFolder(joinPath(inner, "trainA"))) {
      return inner;
    }
  }
  return undefined;
}

/**
 * Makes a public data set available locally and returns its folder
 * (`<cacheDir>/<name>`, with trainA/ trainB/ testA/ testB/). Does nothing if
 * it is already unpacked, unless `force`.
 */
export async function downloadDataset(
  name: string,
  options: DownloadOptions = {},
): Promise<string> {
  if (!isPublicDataset(name)) {
    throw new RangeError(
      `Unknown data set ${JSON.stringify(name)}; known: ${
        Object.keys(PUBLIC_DATASETS).join(", ")
      }`,
    );
  }
  const cacheDir = options.cacheDir ?? ".cache/datasets";
  const root = joinPath(cacheDir, name);
  if (!options.force && await isFolder(joinPath(root, "trainA"))) return root;
  await Deno.mkdir(cacheDir, { recursive: true });

  const url = `${
    (options.baseUrl ?? DATASET_BASE_URL).replace(/\/$/, "")
  }/${name}.zip`;
  const zipPath = joinPath(cacheDir, `${name}.zip`);
  const retries = options.retries ?? 2;
  if (options.force) await removeIfPresent(zipPath);
  if (!(await fileSize(zipPath))) {
    for (let attempt = 0;; attempt++) {
      try {
        await downloadFile(url, zipPath, {
          signal: options.signal,
          onProgress: (done, total, resumedFrom) =>
            options.onProgress?.({
              phase: "download",
              name,
              done,
              total,
              resumedFrom,
            }),
        });
        break;
      } catch (error) {
        const interrupted = error instanceof Error &&
          /run again to resume/.test(error.message);
        if (!interrupted || attempt >= retries || options.signal?.aborted) {
          throw error;
        }
      }
    }
  }

  options.onProgress?.({ phase: "verify", name, done: 0, total: 1 });
  if (options.sha256) {
    const actual = await sha256Hex(zipPath);
    if (actual !== options.sha256.toLowerCase()) {
      await removeIfPresent(zipPath);
      throw new IntegrityError(
        `${zipPath} has SHA-256 ${actual}, expected ${options.sha256}; the file was removed, run again`,
      );
    }
  }
  options.onProgress?.({ phase: "verify", name, done: 1, total: 1 });

  const staging = joinPath(cacheDir, `.${name}.unpacking`);
  await removeIfPresent(staging);
  try {
    await extractZip(
      zipPath,
      staging,
      (done, total) =>
        options.onProgress?.({ phase: "unzip", name, done, total }),
    );
  } catch (error) {
    await removeIfPresent(staging);
    if (error instanceof IntegrityError) {
      await removeIfPresent(zipPath);
      throw new IntegrityError(
        `${error.message}; the download was removed, run again to fetch it afresh`,
      );
    }
    throw error;
  }
  const layout = await findLayoutRoot(staging);
  if (!layout) {
    await removeIfPresent(staging);
    throw new Error(
      `${zipPath} holds no trainA/ folder (at its top or one level down); expected the trainA/ trainB/ testA/ testB/ layout`,
    );
  }
  await removeIfPresent(root);
  await Deno.rename(layout, root);
  await removeIfPresent(staging);
  if (!options.keepZip) await removeIfPresent(zipPath);
  return root;
}
