/**
 * Tests for the embedded MRI phantom: MR physics contrast order, anatomy,
 * determinism, unpaired training data and aligned test pairs.
 */
import assert from "node:assert/strict";
import {
  spinEchoSignal,
  T1_WEIGHTED,
  T2_WEIGHTED,
  Tissue,
  TISSUES_1_5T,
} from "../datasets/mr_physics.ts";
import {
  randomAnatomy,
  renderSlice,
  TISSUE_COLOURS,
  tissueMap,
  tissueMapColours,
} from "../datasets/phantom.ts";
import { createMriPhantomDataset } from "../datasets/mri_default.ts";
import type {
  Images,
  UnpairedBatch,
  UnpairedDataset,
} from "../datasets/types.ts";

/** Mean image value per tissue label. */
function tissueMeans(labels: Uint8Array, image: Float32Array): number[] {
  const sums = new Array(7).fill(0);
  const counts = new Array(7).fill(0);
  labels.forEach((label, i) => {
    sums[label] += image[i];
    counts[label]++;
  });
  return sums.map((sum, label) => counts[label] ? sum / counts[label] : NaN);
}

/** The first batch of an epoch. */
async function firstBatch(
  dataset: UnpairedDataset,
  options: { epoch: number; batchSize: number; seed: number },
): Promise<UnpairedBatch> {
  for await (const batch of dataset.batches(options)) return batch;
  throw new Error("the epoch had no batches");
}

function assertInRange(images: Images): void {
  assert.ok(images.data instanceof Float32Array);
  assert.equal(
    images.data.length,
    images.shape.reduce((a, b) => a * b, 1),
  );
  for (const value of images.data) {
    assert.ok(value >= -1 && value <= 1, `value ${value} outside [-1, 1]`);
  }
}

Deno.test("spin-echo signal follows S = PD (1 - e^(-TR/T1)) e^(-TE/T2)", () => {
  const tissue = { pd: 0.8, t1: 1000, t2: 100 };
  const expected = 0.8 * (1 - Math.exp(-2)) * Math.exp(-0.5);
  assert.ok(
    Math.abs(spinEchoSignal(tissue, { tr: 2000, te: 50 }) - expected) < 1e-12,
  );
  assert.equal(spinEchoSignal(TISSUES_1_5T[Tissue.skull], T1_WEIGHTED), 0);
});

Deno.test("T1w and T2w order tissues as MR physics says", () => {
  for (const seed of [1, 2, 3]) {
    const labels = tissueMap(randomAnatomy(seed, { lesions: 3 }), 128);
    const clean = { seed, noise: 0, bias: 0, partialVolume: false };
    const t1 = tissueMeans(
      labels,
      renderSlice(labels, 128, { ...clean, protocol: T1_WEIGHTED }),
    );
    const t2 = tissueMeans(
      labels,
      renderSlice(labels, 128, { ...clean, protocol: T2_WEIGHTED }),
    );
    // T1-weighted: CSF dark, grey matter darker than white matter, fat bright.
    assert.ok(t1[Tissue.csf] < t1[Tissue.greyMatter]);
    assert.ok(t1[Tissue.greyMatter] < t1[Tissue.whiteMatter]);
    assert.ok(t1[Tissue.whiteMatter] < t1[Tissue.scalp]);
    // T2-weighted: CSF bright, white matter darker than grey matter.
    assert.ok(t2[Tissue.csf] > t2[Tissue.greyMatter]);
    assert.ok(t2[Tissue.greyMatter] > t2[Tissue.whiteMatter]);
    // Lesions: dark against white matter in T1w, bright in T2w.
    assert.ok(t1[Tissue.lesion] < t1[Tissue.whiteMatter]);
    assert.ok(t2[Tissue.lesion] > t2[Tissue.whiteMatter]);
    // Cortical bone and air give no signal in either.
    assert.equal(t1[Tissue.skull], -1);
    assert.equal(t2[Tissue.background], -1);
  }
});

Deno.test("TR and TE decide the contrast: a long-TR, long-TE 'A' is T2-like", () => {
  const dataset = createMriPhantomDataset({
    size: 64,
    testCount: 1,
    trainCount: 1,
    noise: 0,
    bias: 0,
    protocolA: { tr: 4000, te: 100 },
  });
  const { labels, images } = dataset.views(0);
  const pixels = 64 * 64;
  const a = tissueMeans(labels, images.data.subarray(pixels, 2 * pixels));
  assert.ok(a[Tissue.csf] > a[Tissue.whiteMatter]);
  assert.throws(
    () => createMriPhantomDataset({ protocolB: { tr: 500, te: 600 } }),
    /TE must be a positive number of ms below TR \(500\), got 600/,
  );
});

Deno.test("every anatomy has all six tissues and varies with its seed", () => {
  const csfFractions = new Set<number>();
  for (let seed = 0; seed < 6; seed++) {
    const labels = tissueMap(randomAnatomy(seed), 96);
    const counts = new Array(7).fill(0);
    for (const label of labels) counts[label]++;
    for (const tissue of [0, 1, 2, 3, 4, 5]) {
      assert.ok(
        counts[tissue] > 20,
        `seed ${seed}: tissue ${tissue} has ${counts[tissue]} pixels`,
      );
    }
    assert.equal(counts[Tissue.lesion], 0);
    // The head fills a good part of the image but stays inside it.
    const head = labels.length - counts[0];
    assert.ok(head > 0.3 * labels.length && head < 0.75 * labels.length);
    for (let i = 0; i < 96; i++) {
      assert.equal(labels[i], Tissue.background, "top row is background");
    }
    csfFractions.add(counts[Tissue.csf]);
    const colours = tissueMapColours(labels);
    const centre = (48 * 96 + 48) * 3;
    const [r, g, b] = TISSUE_COLOURS[labels[centre / 3]];
    assert.deepEqual(
      [...colours.subarray(centre, centre + 3)].map((v) =>
        Math.round((v + 1) * 127.5)
      ),
      [r, g, b],
    );
  }
  assert.equal(csfFractions.size, 6, "CSF volume differs between anatomies");
});

Deno.test("phantom data set: shapes, range, determinism, unpaired batches", async () => {
  const options = { size: 32, trainCount: 5, testCount: 3, seed: 9 };
  const dataset = createMriPhantomDataset(options);
  assert.equal(dataset.channelsA, 1);
  assert.deepEqual(dataset.trainCount, { a: 5, b: 5 });
  const batches = [];
  for await (
    const batch of dataset.batches({ epoch: 0, batchSize: 2, seed: 4 })
  ) {
    batches.push(batch);
  }
  assert.equal(batches.length, 3);
  for (const { a, b } of batches) {
    assert.deepEqual(a.shape, [2, 32, 32, 1]);
    assert.deepEqual(b.shape, [2, 32, 32, 1]);
    assertInRange(a);
    assertInRange(b);
  }

  const again = createMriPhantomDataset(options);
  const first = await firstBatch(again, { epoch: 0, batchSize: 2, seed: 4 });
  assert.deepEqual(first.a.data, batches[0].a.data);
  const otherEpoch = await firstBatch(again, {
    epoch: 1,
    batchSize: 5,
    seed: 4,
  });
  const thisEpoch = await firstBatch(again, {
    epoch: 0,
    batchSize: 5,
    seed: 4,
  });
  assert.notDeepEqual(
    otherEpoch.a.data,
    thisEpoch.a.data,
    "epochs reshuffle",
  );
  assert.equal(otherEpoch.a.data.length, thisEpoch.a.data.length);

  // An epoch visits every training image once per domain.
  const sums = (images: Images) => {
    const out: number[] = [];
    const size = 32 * 32;
    for (let i = 0; i < images.shape[0]; i++) {
      out.push(
        images.data.subarray(i * size, (i + 1) * size).reduce(
          (s, v) => s + v,
          0,
        ),
      );
    }
    return out.sort();
  };
  assert.deepEqual(sums(otherEpoch.a), sums(thisEpoch.a));

  const otherSeed = createMriPhantomDataset({ ...options, seed: 10 });
  const pairs9 = await dataset.testPairs!(1);
  const pairs10 = await otherSeed.testPairs!(1);
  assert.notDeepEqual(pairs9.a.data, pairs10.a.data);
});

Deno.test("training domains use different anatomies; test pairs share one", async () => {
  const dataset = createMriPhantomDataset({
    size: 64,
    trainCount: 4,
    testCount: 2,
    noise: 0,
    bias: 0,
  });
  const pairs = await dataset.testPairs!(2);
  assertInRange(pairs.a);
  assertInRange(pairs.b);
  assert.deepEqual(pairs.a.shape, [2, 64, 64, 1]);
  assert.deepEqual((await dataset.testImages("A", 2)).data, pairs.a.data);
  assert.deepEqual((await dataset.testImages("B", 2)).data, pairs.b.data);

  // Aligned: the same tissue map explains both images of a pair.
  const pixels = 64 * 64;
  for (let i = 0; i < 2; i++) {
    const { labels } = dataset.views(i);
    const t1 = tissueMeans(
      labels,
      pairs.a.data.subarray(i * pixels, (i + 1) * pixels),
    );
    const t2 = tissueMeans(
      labels,
      pairs.b.data.subarray(i * pixels, (i + 1) * pixels),
    );
    assert.ok(t1[Tissue.csf] < t1[Tissue.whiteMatter] - 0.2);
    assert.ok(t2[Tissue.csf] > t2[Tissue.whiteMatter] + 0.2);
  }

  // Unpaired: the head outlines (signal > background) of A and B training
  // images at the same position in a batch differ.
  const value = await firstBatch(dataset, { epoch: 0, batchSize: 4, seed: 0 });
  const headA = value.a.data.subarray(0, pixels).map((v) => v > -0.9 ? 1 : 0);
  const headB = value.b.data.subarray(0, pixels).map((v) => v > -0.9 ? 1 : 0);
  let differing = 0;
  for (let i = 0; i < pixels; i++) differing += headA[i] !== headB[i] ? 1 : 0;
  assert.ok(differing > 30, `only ${differing} pixels of head outline differ`);
});

Deno.test("Rician noise lifts the background; sizes 64 to 256 work; bad sizes fail", async () => {
  const noisy = createMriPhantomDataset({
    size: 64,
    trainCount: 1,
    testCount: 1,
  });
  const { a } = await noisy.testPairs!(1);
  const corner = a.data.subarray(0, 64 * 4);
  const mean = corner.reduce((s, v) => s + v, 0) / corner.length;
  assert.ok(mean > -1 && mean < -0.9, `background mean ${mean}`);
  assert.ok(corner.every((v) => v >= -1));

  for (const size of [64, 256]) {
    const dataset = createMriPhantomDataset({
      size,
      trainCount: 1,
      testCount: 1,
    });
    assert.deepEqual((await dataset.testImages("B", 1)).shape, [
      1,
      size,
      size,
      1,
    ]);
  }
  assert.throws(
    () => createMriPhantomDataset({ size: 30 }),
    /multiple of 4, got 30/,
  );
  assert.throws(
    () => createMriPhantomDataset({ trainCount: 0 }),
    /trainCount must be an integer >= 1, got 0/,
  );
  await assert.rejects(
    () => noisy.testImages("A", 2),
    /Asked for 2 test images, the phantom has 1/,
  );
});
