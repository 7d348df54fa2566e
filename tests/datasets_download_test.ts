/**
 * Tests for the public-dataset downloader against a local HTTP server on
 * 127.0.0.1 that serves a small zip built here: a clean download, an
 * interrupted one that resumes with a Range request, a corrupt archive, a
 * wrong checksum and a missing file. Nothing leaves the machine.
 */
import assert from "node:assert/strict";
import { zipSync } from "fflate";
import {
  crc32,
  downloadDataset,
  type DownloadProgress,
  IntegrityError,
} from "../datasets/download.ts";
import { openDataset } from "../datasets/mod.ts";
import { encodePng } from "../lib/image_io.ts";

function tinyPng(level: number): Uint8Array {
  return encodePng({
    width: 8,
    height: 8,
    channels: 3,
    data: new Float32Array(8 * 8 * 3).map((_, i) =>
      ((i * level) % 200) / 100 - 1
    ),
  });
}

const FILES: Record<string, Uint8Array> = {
  "horse2zebra/trainA/n0001.png": tinyPng(3),
  "horse2zebra/trainA/n0002.png": tinyPng(5),
  "horse2zebra/trainB/n0003.png": tinyPng(7),
  "horse2zebra/testA/n0004.png": tinyPng(11),
  "horse2zebra/testB/n0005.png": tinyPng(13),
};
const ZIP = zipSync(FILES);

/** The same archive with one byte of the first entry's data flipped. */
const CORRUPT_ZIP = (() => {
  const bytes = ZIP.slice();
  const nameLength = new DataView(bytes.buffer).getUint16(26, true);
  bytes[30 + nameLength + 20] ^= 0x5a;
  return bytes;
})();

interface Server {
  url: string;
  ranges: (string | null)[];
  close: () => Promise<void>;
}

/**
 * Serves /good/, /flaky/ (the first full request stops half way) and
 * /corrupt/ copies of horse2zebra.zip, with Range support; anything else 404.
 */
function startServer(): Promise<Server> {
  const ranges: (string | null)[] = [];
  let flakyCut = false;
  return new Promise((resolve) => {
    const server = Deno.serve(
      {
        hostname: "127.0.0.1",
        port: 0,
        onListen: ({ port }) =>
          resolve({
            url: `http://127.0.0.1:${port}`,
            ranges,
            close: () => server.shutdown(),
          }),
      },
      (request) => {
        const path = new URL(request.url).pathname;
        const range = request.headers.get("range");
        ranges.push(range);
        const body =
          path === "/good/horse2zebra.zip" || path === "/flaky/horse2zebra.zip"
            ? ZIP
            : path === "/corrupt/horse2zebra.zip"
            ? CORRUPT_ZIP
            : undefined;
        if (!body) return new Response("not found", { status: 404 });
        if (range) {
          const start = Number(/bytes=(\d+)-/.exec(range)![1]);
          return new Response(body.slice(start), {
            status: 206,
            headers: {
              "content-range": `bytes ${start}-${
                body.length - 1
              }/${body.length}`,
            },
          });
        }
        if (path === "/flaky/horse2zebra.zip" && !flakyCut) {
          flakyCut = true;
          const half = body.slice(0, body.length >> 1);
          const stream = new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(half);
              controller.close();
            },
          });
          return new Response(stream, {
            headers: { "content-length": String(body.length) },
          });
        }
        return new Response(body);
      },
    );
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("crc32 matches the standard check value", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

Deno.test("a public data set downloads, unpacks into the layout and opens", async () => {
  const server = await startServer();
  const cacheDir = await Deno.makeTempDir({ prefix: "cyclegan_download_" });
  try {
    const progress: DownloadProgress[] = [];
    const root = await downloadDataset("horse2zebra", {
      cacheDir,
      baseUrl: `${server.url}/good`,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(root, `${cacheDir}/horse2zebra`);
    for (const [name, bytes] of Object.entries(FILES)) {
      assert.deepEqual(await Deno.readFile(`${cacheDir}/${name}`), bytes);
    }
    assert.equal(
      await exists(`${cacheDir}/horse2zebra.zip`),
      false,
      "zip removed",
    );
    const download = progress.filter((p) => p.phase === "download");
    assert.equal(download.at(-1)!.done, ZIP.length);
    assert.equal(download.at(-1)!.total, ZIP.length);
    const unzip = progress.filter((p) => p.phase === "unzip");
    assert.equal(unzip.at(-1)!.done, unzip.at(-1)!.total);

    // Already there: no second request.
    const requests = server.ranges.length;
    const dataset = await openDataset("horse2zebra", {
      size: 8,
      images: { preprocess: "crop" },
      download: { cacheDir, baseUrl: `${server.url}/good` },
    });
    assert.equal(server.ranges.length, requests);
    assert.deepEqual(dataset.trainCount, { a: 2, b: 1 });
    assert.equal(dataset.channelsA, 3);
  } finally {
    await server.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("an interrupted download resumes with a Range request", async () => {
  const server = await startServer();
  const cacheDir = await Deno.makeTempDir({ prefix: "cyclegan_download_" });
  try {
    const options = { cacheDir, baseUrl: `${server.url}/flaky`, retries: 0 };
    await assert.rejects(
      () => downloadDataset("horse2zebra", options),
      /horse2zebra\.zip .*(interrupted|incomplete).*run again to resume/,
    );
    const part = `${cacheDir}/horse2zebra.zip.part`;
    const kept = (await Deno.stat(part)).size;
    assert.ok(kept > 0 && kept < ZIP.length, `partial file has ${kept} bytes`);

    const resumed: DownloadProgress[] = [];
    const root = await downloadDataset("horse2zebra", {
      ...options,
      onProgress: (p) => resumed.push(p),
    });
    assert.equal(server.ranges.at(-1), `bytes=${kept}-`);
    assert.equal(resumed[0].resumedFrom, kept);
    assert.deepEqual(
      await Deno.readFile(`${root}/trainB/n0003.png`),
      FILES["horse2zebra/trainB/n0003.png"],
    );
    assert.equal(await exists(part), false);
  } finally {
    await server.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("retries resume on their own within one call", async () => {
  const server = await startServer();
  const cacheDir = await Deno.makeTempDir({ prefix: "cyclegan_download_" });
  try {
    const root = await downloadDataset("horse2zebra", {
      cacheDir,
      baseUrl: `${server.url}/flaky`,
    });
    assert.equal(server.ranges.length, 2);
    assert.match(server.ranges[1] ?? "", /^bytes=\d+-$/);
    assert.ok(await exists(`${root}/testA/n0004.png`));
  } finally {
    await server.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("a corrupt archive or wrong checksum fails the integrity check and is removed", async () => {
  const server = await startServer();
  const cacheDir = await Deno.makeTempDir({ prefix: "cyclegan_download_" });
  try {
    await assert.rejects(
      () =>
        downloadDataset("horse2zebra", {
          cacheDir,
          baseUrl: `${server.url}/corrupt`,
        }),
      (error: Error) =>
        error instanceof IntegrityError &&
        /entry horse2zebra\/trainA\/n0001\.png (fails its integrity check|does not inflate)/
          .test(error.message) &&
        /the download was removed/.test(error.message),
    );
    assert.equal(await exists(`${cacheDir}/horse2zebra.zip`), false);
    assert.equal(await exists(`${cacheDir}/horse2zebra`), false);

    await assert.rejects(
      () =>
        downloadDataset("horse2zebra", {
          cacheDir,
          baseUrl: `${server.url}/good`,
          sha256: "00".repeat(32),
        }),
      /horse2zebra\.zip has SHA-256 [0-9a-f]{64}, expected 0{64}/,
    );
    assert.equal(await exists(`${cacheDir}/horse2zebra.zip`), false);

    const digest = await crypto.subtle.digest("SHA-256", ZIP);
    const sha256 = [...new Uint8Array(digest)].map((b) =>
      b.toString(16).padStart(2, "0")
    ).join("");
    const root = await downloadDataset("horse2zebra", {
      cacheDir,
      baseUrl: `${server.url}/good`,
      sha256,
    });
    assert.ok(await exists(`${root}/trainA/n0001.png`));
  } finally {
    await server.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("missing files and unknown names are reported clearly", async () => {
  const server = await startServer();
  const cacheDir = await Deno.makeTempDir({ prefix: "cyclegan_download_" });
  try {
    await assert.rejects(
      () =>
        downloadDataset("facades", { cacheDir, baseUrl: `${server.url}/good` }),
      /Download of http:\/\/127\.0\.0\.1:\d+\/good\/facades\.zip failed: HTTP 404/,
    );
    await assert.rejects(
      () => downloadDataset("horse2unicorn", { cacheDir }),
      /Unknown data set "horse2unicorn"; known: horse2zebra, apple2orange/,
    );
  } finally {
    await server.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});
