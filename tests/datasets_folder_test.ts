/**
 * Tests for the trainA/ trainB/ testA/ testB/ image folder reader and its
 * preprocessing. Fixture images are made here, in a temporary folder.
 */
import assert from "node:assert/strict";
import * as fastPng from "fast-png";
import jpeg from "jpeg-js";
import {
  type DatasetWarning,
  openImageFolderDataset,
} from "../datasets/folder.ts";
import {
  cropOrPad,
  flipHorizontal,
  preprocess,
  resize,
} from "../datasets/preprocess.ts";
import { openDataset } from "../datasets/mod.ts";
import { SeededRandom } from "../lib/random.ts";
import type { Images, UnpairedBatch } from "../datasets/types.ts";

type Pixel = (x: number, y: number) => number[];

function png(
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  pixel: Pixel,
  depth: 8 | 16 = 8,
): Uint8Array {
  const data = depth === 16
    ? new Uint16Array(width * height * channels)
    : new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data.set(pixel(x, y), (y * width + x) * channels);
    }
  }
  return fastPng.encode({ width, height, channels, depth, data });
}

function jpg(width: number, height: number, pixel: Pixel): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data.set([...pixel(x, y), 255], (y * width + x) * 4);
    }
  }
  return new Uint8Array(jpeg.encode({ width, height, data }, 90).data);
}

const gradient: Pixel = (x, y) => [(x * 7) % 256, (y * 5) % 256, 128];

/** Writes files (path -> bytes) under a new temporary folder. */
async function makeFolder(
  files: Record<string, Uint8Array | string>,
): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "cyclegan_folder_" });
  for (const [path, content] of Object.entries(files)) {
    const full = `${root}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(full, content);
    else await Deno.writeFile(full, content);
  }
  return root;
}

async function allBatches(
  dataset: {
    batches: (
      o: { epoch: number; batchSize: number; seed: number },
    ) => AsyncIterable<UnpairedBatch>;
  },
  options: { epoch: number; batchSize: number; seed: number },
): Promise<UnpairedBatch[]> {
  const out: UnpairedBatch[] = [];
  for await (const batch of dataset.batches(options)) out.push(batch);
  return out;
}

function assertImages(images: Images, shape: number[]): void {
  assert.deepEqual(images.shape, shape);
  assert.equal(images.data.length, shape.reduce((a, b) => a * b, 1));
  for (const value of images.data) assert.ok(value >= -1 && value <= 1);
}

/** A mixed colour layout: RGB, a few grey, RGBA, palette, 16-bit, JPEG, bad files. */
async function mixedLayout(): Promise<string> {
  const palette = fastPng.encode({
    width: 20,
    height: 20,
    channels: 1,
    depth: 8,
    data: new Uint8Array(400).map((_, i) => i % 3),
    palette: [[255, 0, 0], [0, 255, 0], [0, 0, 255]],
  });
  const good = png(40, 30, 3, gradient);
  return await makeFolder({
    "trainA/a0.png": good,
    "trainA/a1.png": png(50, 50, 3, gradient),
    "trainA/a2_grey.png": png(36, 44, 1, (x) => [x * 5]),
    "trainA/a3.jpg": jpg(48, 32, gradient),
    "trainA/a4_rgba.png": png(32, 32, 4, (x, y) => [x * 8, y * 8, 0, 100]),
    "trainA/a5_truncated.png": good.slice(0, good.length - 30),
    "trainA/a6_actually_gif.png": "GIF89a not really an image",
    "trainA/notes.txt": "not an image",
    "trainB/b0.jpeg": jpg(64, 40, gradient),
    "trainB/b1_palette.png": palette,
    "trainB/b2_deep.png": png(
      24,
      24,
      3,
      (x, y) => [x * 2000, y * 2000, 30000],
      16,
    ),
    "trainB/b3_grey_alpha.png": png(30, 30, 2, (x) => [x * 8, 255]),
    "testA/t0.png": png(32, 32, 3, gradient),
    "testA/t1.png": png(32, 32, 1, (x) => [x * 8]),
    "testB/t0.jpg": jpg(32, 32, gradient),
  });
}

Deno.test("a mixed folder streams batches; bad files are skipped, warned and counted", async () => {
  const root = await mixedLayout();
  try {
    const seen: DatasetWarning[] = [];
    const dataset = await openImageFolderDataset(root, {
      size: 32,
      onWarning: (warning) => seen.push(warning),
    });
    assert.equal(dataset.channelsA, 3);
    assert.equal(dataset.channelsB, 3);
    assert.deepEqual(dataset.trainCount, { a: 7, b: 4 });
    assert.deepEqual(dataset.testCount, { a: 2, b: 1 });
    assert.equal(seen.length, 1, "notes.txt is reported as ignored");
    assert.match(seen[0].message, /ignored 1 file/);

    const batches = await allBatches(dataset, {
      epoch: 0,
      batchSize: 2,
      seed: 3,
    });
    assert.equal(batches.length, 4);
    for (const { a, b } of batches) {
      assertImages(a, [2, 32, 32, 3]);
      assertImages(b, [2, 32, 32, 3]);
    }
    assert.equal(dataset.skippedCount, 2);
    const skipped = seen.filter((w) => w.message.startsWith("skipped"));
    assert.deepEqual(
      skipped.map((w) => w.path.split("/").pop()).sort(),
      ["a5_truncated.png", "a6_actually_gif.png"],
    );
    assert.ok(
      skipped.some((w) =>
        /expected a PNG or JPEG file, but it is a GIF/.test(w.message)
      ),
    );
    assert.ok(skipped.some((w) => /corrupt or truncated PNG/.test(w.message)));
    assert.deepEqual(dataset.warnings, seen);

    // A second epoch does not warn again about the same files.
    await allBatches(dataset, { epoch: 1, batchSize: 2, seed: 3 });
    assert.equal(seen.filter((w) => w.message.startsWith("skipped")).length, 2);

    // The same seed and epoch give the same batches; test images are fixed.
    const again = await allBatches(dataset, {
      epoch: 0,
      batchSize: 2,
      seed: 3,
    });
    assert.deepEqual(again[1].a.data, batches[1].a.data);
    const testA = await dataset.testImages("A", 2);
    assertImages(testA, [2, 32, 32, 3]);
    // The grey test image became three equal channels.
    const second = testA.data.subarray(32 * 32 * 3);
    assert.equal(second[30], second[31]);
    assert.equal(second[31], second[32]);
    await assert.rejects(
      () => dataset.testImages("B", 2),
      /Asked for 2 test images, .*testB has 1/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a grey folder is 1 channel; channels can be forced", async () => {
  const root = await makeFolder({
    "trainA/x.png": png(32, 32, 1, (x) => [x * 8]),
    "trainA/y.png": png(32, 32, 1, (_x, y) => [y * 8]),
    "trainB/z.png": png(32, 32, 3, (x) => [x * 8, 0, 0]),
  });
  try {
    const warnings: DatasetWarning[] = [];
    const auto = await openImageFolderDataset(root, {
      size: 32,
      onWarning: (w) => warnings.push(w),
    });
    assert.equal(auto.channelsA, 1);
    assert.equal(auto.channelsB, 3);
    assert.equal(warnings.length, 2, "both missing test folders are reported");
    assert.match(
      warnings[0].message,
      /no test images; test images are taken from trainA/,
    );
    assert.equal(auto.testCount.a, 2);

    const forced = await openImageFolderDataset(root, {
      size: 32,
      channels: { a: 3, b: 1 },
      preprocess: "crop",
      flip: false,
    });
    const a = await forced.testImages("A", 1);
    assertImages(a, [1, 32, 32, 3]);
    const b = await forced.testImages("B", 1);
    assertImages(b, [1, 32, 32, 1]);
    // Pure red (x * 8, 0, 0) to grey: 0.299 * red.
    const expected = (0.299 * 31 * 8) / 127.5 - 1;
    assert.ok(Math.abs(b.data[31] - expected) < 1e-5);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("16-bit PNGs keep more than 8 bits through the pipeline", async () => {
  const root = await makeFolder({
    "trainA/deep.png": png(8, 8, 1, (x) => [30000 + x * 40], 16),
    "trainB/deep.png": png(8, 8, 1, (x) => [30000 + x * 40], 16),
  });
  try {
    const dataset = await openImageFolderDataset(root, {
      size: 8,
      preprocess: "crop",
    });
    const image = await dataset.testImages("A", 1);
    // 40 / 65535 is a tenth of an 8-bit step; neighbours must still differ.
    const row = [...image.data.subarray(0, 8)];
    assert.equal(new Set(row).size, 8);
    assert.ok(Math.abs(row[1] - row[0] - (2 * 40) / 65535) < 1e-6);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("preprocess none pads or crops non-square images to multiples of 4", async () => {
  const root = await makeFolder({
    "trainA/wide.png": png(41, 30, 3, gradient),
    "trainA/tall.png": png(22, 37, 3, gradient),
    "trainB/b.png": png(16, 16, 3, gradient),
  });
  try {
    const dataset = await openImageFolderDataset(root, {
      size: 32,
      preprocess: "none",
    });
    const sizes = new Set<string>();
    for await (
      const { a } of dataset.batches({ epoch: 0, batchSize: 1, seed: 1 })
    ) {
      sizes.add(a.shape.join("x"));
    }
    assert.deepEqual([...sizes].sort(), ["1x36x24x3", "1x32x40x3"].sort());
    await assert.rejects(
      () => allBatches(dataset, { epoch: 0, batchSize: 2, seed: 1 }),
      /With preprocess "none" a batch needs images of one size: .*(wide|tall)\.png/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("missing, empty and unreadable folders fail with the path and what was expected", async () => {
  await assert.rejects(
    () => openImageFolderDataset("/no/such/folder"),
    /Dataset folder \/no\/such\/folder does not exist: expected a folder holding trainA\/ and trainB\//,
  );
  const noB = await makeFolder({ "trainA/a.png": png(8, 8, 1, () => [0]) });
  const empty = await makeFolder({
    "trainA/readme.txt": "x",
    "trainB/b.png": png(8, 8, 1, () => [0]),
  });
  const allBad = await makeFolder({
    "trainA/a.png": "not a png",
    "trainA/b.jpg": "nor a jpeg",
    "trainB/b.png": png(8, 8, 1, () => [0]),
  });
  try {
    await assert.rejects(() => openImageFolderDataset(noB), /has no trainB\//);
    await assert.rejects(
      () => openImageFolderDataset(empty),
      /trainA holds no PNG or JPEG images/,
    );
    const dataset = await openImageFolderDataset(allBad, { size: 8 });
    await assert.rejects(
      () => allBatches(dataset, { epoch: 0, batchSize: 1, seed: 0 }),
      /No readable images in .*trainA: all 2 file\(s\) failed to decode/,
    );
    await assert.rejects(
      () => openDataset("no-such-dataset-name"),
      /Unknown data set "no-such-dataset-name": expected "mri-phantom", an existing folder/,
    );
    await assert.rejects(
      () => openImageFolderDataset(noB.replace(/$/, ""), { size: 30 }),
      /multiple of 4, got 30/,
    );
  } finally {
    for (const root of [noB, empty, allBad]) {
      await Deno.remove(root, { recursive: true });
    }
  }
});

Deno.test("resize averages when shrinking; crop, pad and flip move pixels exactly", () => {
  const checker = {
    data: Float32Array.from(
      { length: 64 },
      (_, i) => ((i + (i >> 3)) % 2 ? 1 : -1),
    ),
    height: 8,
    width: 8,
    channels: 1,
  };
  const small = resize(checker, 2, 2);
  for (const value of small.data) {
    assert.ok(Math.abs(value) < 0.2, `got ${value}`);
  }
  const big = resize(
    { ...checker, data: new Float32Array(64).fill(0.25) },
    13,
    11,
  );
  assert.equal(big.data.length, 13 * 11);
  for (const value of big.data) assert.ok(Math.abs(value - 0.25) < 1e-6);

  const ramp = {
    data: Float32Array.of(0, 0.1, 0.2, 0.3, 0.4, 0.5),
    height: 2,
    width: 3,
    channels: 1,
  };
  assert.deepEqual([...flipHorizontal(ramp).data].map((v) => +v.toFixed(2)), [
    0.2,
    0.1,
    0,
    0.5,
    0.4,
    0.3,
  ]);
  const padded = cropOrPad(ramp, -1, 0, 4, 3);
  assert.deepEqual([...padded.data.subarray(0, 3)], [-1, -1, -1]);
  assert.ok(
    Math.abs(padded.data[3] - 0) < 1e-7 &&
      Math.abs(padded.data[5] - 0.2) < 1e-6,
  );

  const options = {
    mode: "resize_and_crop" as const,
    size: 4,
    loadSize: 6,
    flip: true,
  };
  const image = {
    data: Float32Array.from({ length: 100 }, (_, i) => i / 100),
    height: 10,
    width: 10,
    channels: 1,
  };
  const one = preprocess(image, options, new SeededRandom(5));
  const two = preprocess(image, options, new SeededRandom(5));
  assert.deepEqual(one.data, two.data);
  assert.equal(one.height, 4);
  const centred = preprocess(image, { ...options, flip: false });
  assert.equal(centred.width, 4);
  const crops = new Set<number>();
  for (let seed = 0; seed < 20; seed++) {
    crops.add(preprocess(image, options, new SeededRandom(seed)).data[0]);
  }
  assert.ok(crops.size > 3, "random crops and flips vary with the seed");
});
