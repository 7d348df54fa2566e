/**
 * Real photographs and real-world PNG variants (scikit-image's sample
 * images, fetched by tests/data/fetch.sh into .cache/test-data/skimage):
 * decoded values checked against Pillow's, then a folder of them streamed
 * through the reader, including a truly truncated JPEG.
 */
import assert from "node:assert/strict";
import { decodeImage, toFloatPixels } from "../lib/image_io.ts";
import {
  type DatasetWarning,
  openImageFolderDataset,
} from "../datasets/folder.ts";

const SAMPLES = new URL("../.cache/test-data/skimage/", import.meta.url)
  .pathname;

async function sample(name: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(`${SAMPLES}${name}`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `Test image ${SAMPLES}${name} is missing: run "bash tests/data/fetch.sh" (the CI script does)`,
      );
    }
    throw error;
  }
}

/** Mean of each channel of the decoded samples, on a 0..255 scale. */
function channelMeans(name: string, bytes: Uint8Array): number[] {
  const image = decodeImage(bytes, name);
  const sums = new Array(image.channels).fill(0);
  for (let i = 0; i < image.data.length; i++) {
    sums[i % image.channels] += image.data[i];
  }
  const count = image.width * image.height;
  return sums.map((sum) => (sum / count) * (255 / image.maxValue));
}

// Reference values from Pillow 9.4 (Debian bookworm) on the same files.
Deno.test("real PNG and JPEG files decode to the values Pillow reads", async () => {
  const astronaut = decodeImage(await sample("astronaut.png"), "astronaut.png");
  assert.deepEqual([astronaut.width, astronaut.height, astronaut.channels], [
    512,
    512,
    3,
  ]);
  const at = (5 * 512 + 7) * 3;
  assert.deepEqual([...astronaut.data.subarray(at, at + 3)], [181, 175, 165]);
  const astronautMeans = channelMeans(
    "astronaut.png",
    await sample("astronaut.png"),
  );
  [141.56, 105.76, 96.48].forEach((m, c) =>
    assert.ok(Math.abs(astronautMeans[c] - m) < 0.01)
  );

  // JPEG decoders may differ by a few levels (IDCT rounding), not more.
  const rocket = decodeImage(await sample("rocket.jpg"), "rocket.jpg");
  assert.deepEqual([rocket.width, rocket.height, rocket.channels], [
    640,
    427,
    3,
  ]);
  const r = (5 * 640 + 7) * 3;
  [18, 34, 59].forEach((v, c) =>
    assert.ok(Math.abs(rocket.data[r + c] - v) <= 4)
  );
  const rocketMeans = channelMeans("rocket.jpg", await sample("rocket.jpg"));
  [52.27, 61.29, 82.27].forEach((m, c) =>
    assert.ok(Math.abs(rocketMeans[c] - m) < 1)
  );

  const palette = decodeImage(
    await sample("palette_color.png"),
    "palette_color.png",
  );
  assert.equal(palette.palette, true);
  const p = (1 * 10 + 2) * 3;
  assert.deepEqual([...palette.data.subarray(p, p + 3)], [204, 153, 102]);

  // A palette with transparency expands to RGBA; alpha is then dropped.
  const indexed = decodeImage(
    await sample("foo3x5x4indexed.png"),
    "foo3x5x4indexed.png",
  );
  assert.equal(indexed.channels, 4);
  const q = (1 * 5 + 2) * 4;
  assert.deepEqual([...indexed.data.subarray(q, q + 4)], [0, 0, 255, 0]);

  // 16 bits per sample: the chessboard's squares are 0 and 65535.
  const deep = decodeImage(
    await sample("chessboard_RGB.png"),
    "chessboard_RGB.png",
  );
  assert.equal(deep.bitDepth, 16);
  const grey = toFloatPixels(deep, 1);
  assert.ok(Math.abs(grey.reduce((s, v) => s + v, 0) / grey.length) < 1e-3);

  // 1 bit per sample.
  const bilevel = decodeImage(
    await sample("checker_bilevel.png"),
    "checker_bilevel.png",
  );
  assert.equal(bilevel.bitDepth, 1);
  assert.ok(bilevel.data.every((v) => v === 0 || v === 255));
  assert.equal(bilevel.data.filter((v) => v === 255).length, 50);

  // A real truncated JPEG is refused by name.
  const truncated = await sample("truncated.jpg");
  assert.throws(
    () => decodeImage(truncated, "truncated.jpg"),
    /Cannot read image truncated\.jpg: corrupt or truncated JPEG/,
  );
});

Deno.test("a folder of real photos streams; the truncated one is skipped and counted", async () => {
  const root = await Deno.makeTempDir({ prefix: "cyclegan_real_" });
  const layout: Record<string, string[]> = {
    trainA: [
      "astronaut.png",
      "chelsea.png",
      "coffee.png",
      "rocket.jpg",
      "truncated.jpg",
      "horse.png",
      "palette_color.png",
      "chessboard_RGB.png",
      "camera.png",
    ],
    trainB: [
      "brick.png",
      "grass.png",
      "gravel.png",
      "moon.png",
      "text.png",
      "checker_bilevel.png",
    ],
    testA: ["motorcycle_left.png"],
    testB: ["coins.png"],
  };
  try {
    for (const [folder, names] of Object.entries(layout)) {
      await Deno.mkdir(`${root}/${folder}`);
      for (const name of names) {
        await Deno.writeFile(`${root}/${folder}/${name}`, await sample(name));
      }
    }
    const warnings: DatasetWarning[] = [];
    const dataset = await openImageFolderDataset(root, {
      size: 32,
      onWarning: (w) => warnings.push(w),
    });
    assert.equal(dataset.channelsA, 3);
    assert.equal(dataset.channelsB, 1);
    let batches = 0;
    for await (
      const { a, b } of dataset.batches({ epoch: 0, batchSize: 3, seed: 2 })
    ) {
      assert.deepEqual(a.shape, [3, 32, 32, 3]);
      assert.deepEqual(b.shape, [3, 32, 32, 1]);
      for (const value of a.data) assert.ok(value >= -1 && value <= 1);
      batches++;
    }
    assert.equal(batches, 3);
    assert.equal(dataset.skippedCount, 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].path, /truncated\.jpg$/);
    const test = await dataset.testImages("B", 1);
    assert.deepEqual(test.shape, [1, 32, 32, 1]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
