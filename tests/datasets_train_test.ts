/**
 * Every data source feeds the training step: the embedded MRI phantom, a
 * folder of images (grey A, colour B) and NIfTI volumes (the ICBM152
 * T1w/T2w pair). A tiny CycleGAN on the cpu backend takes a few steps on
 * each; the phantom's aligned test pairs are then scored.
 */
import assert from "node:assert/strict";
import * as fastPng from "fast-png";
import { selectBackend } from "../lib/backend.ts";
import { compareImages } from "../lib/metrics.ts";
import { tf } from "../lib/tf.ts";
import { CycleGAN } from "../lib/train_step.ts";
import { createMriPhantomDataset } from "../datasets/mri_default.ts";
import { openDataset } from "../datasets/mod.ts";
import type { Images, UnpairedDataset } from "../datasets/types.ts";
import { TINY } from "./helpers.ts";

await selectBackend("cpu");

const toTensor = (images: Images) => tf.tensor4d(images.data, images.shape);

/** Trains `steps` steps from the dataset's first epoch; returns the losses. */
async function trainOn(dataset: UnpairedDataset, steps: number) {
  const model = CycleGAN.create({
    ...TINY,
    imageSize: dataset.size,
    channelsA: dataset.channelsA,
    channelsB: dataset.channelsB,
  });
  const losses = [];
  const tensorCounts: number[] = [];
  for await (
    const batch of dataset.batches({ epoch: 0, batchSize: 2, seed: 1 })
  ) {
    const realA = toTensor(batch.a);
    const realB = toTensor(batch.b);
    losses.push(await model.trainStep(realA, realB));
    tf.dispose([realA, realB]);
    tensorCounts.push(
      tf.memory().numTensors - model.poolA.size - model.poolB.size,
    );
    if (losses.length === steps) break;
  }
  return { model, losses, tensorCounts };
}

function assertTrained(
  result: Awaited<ReturnType<typeof trainOn>>,
  steps: number,
) {
  assert.equal(result.losses.length, steps);
  for (const losses of result.losses) {
    for (const [name, value] of Object.entries(losses)) {
      assert.ok(Number.isFinite(value), `${name} is ${value}`);
    }
  }
  assert.ok(
    result.tensorCounts.every((count) => count === result.tensorCounts[0]),
    `data feeding leaks tensors: ${result.tensorCounts}`,
  );
}

Deno.test("the MRI phantom feeds training, and its test pairs score translations", async () => {
  const dataset = createMriPhantomDataset({
    size: 16,
    trainCount: 6,
    testCount: 2,
  });
  const result = await trainOn(dataset, 3);
  assertTrained(result, 3);

  const pairs = await dataset.testPairs!(2);
  const realA = toTensor(pairs.a);
  const fakeB = result.model.translate(realA, "AtoB");
  const fake = {
    data: await fakeB.data() as Float32Array,
    shape: pairs.b.shape,
  };
  const scores = compareImages(fake, pairs.b);
  const identity = compareImages(pairs.b, pairs.b);
  assert.ok(Number.isFinite(scores.psnr) && scores.mae > 0);
  assert.ok(identity.mae === 0 && identity.ssim > 0.999);
  tf.dispose([realA, fakeB]);
  result.model.dispose();
});

Deno.test("a folder of grey A and colour B images feeds training", async () => {
  const root = await Deno.makeTempDir({ prefix: "cyclegan_train_folder_" });
  try {
    for (const [folder, channels] of [["trainA", 1], ["trainB", 3]] as const) {
      await Deno.mkdir(`${root}/${folder}`);
      for (let i = 0; i < 3; i++) {
        const width = 20 + i * 4;
        const data = new Uint8Array(width * 18 * channels).map((_, k) =>
          (k * (i + 3)) % 256
        );
        await Deno.writeFile(
          `${root}/${folder}/${i}.png`,
          fastPng.encode({ width, height: 18, channels, depth: 8, data }),
        );
      }
    }
    const dataset = await openDataset(root, { size: 16, onWarning: () => {} });
    assert.equal(dataset.channelsA, 1);
    assert.equal(dataset.channelsB, 3);
    const result = await trainOn(dataset, 2);
    assertTrained(result, 2);
    result.model.dispose();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("NIfTI volumes (ICBM152 T1w and T2w) feed training", async () => {
  const root = await Deno.makeTempDir({ prefix: "cyclegan_train_nifti_" });
  try {
    const shared = new URL("../../shared/data/mri/", import.meta.url).pathname;
    await Deno.mkdir(`${root}/trainA`);
    await Deno.mkdir(`${root}/trainB`);
    await Deno.copyFile(`${shared}avg152T1.nii`, `${root}/trainA/avg152T1.nii`);
    await Deno.copyFile(`${shared}avg152T2.nii`, `${root}/trainB/avg152T2.nii`);
    const dataset = await openDataset(root, {
      size: 16,
      volumes: { range: [0.3, 0.7] },
      onWarning: () => {},
    });
    const result = await trainOn(dataset, 2);
    assertTrained(result, 2);
    result.model.dispose();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
