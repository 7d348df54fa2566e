import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { CycleGAN } from "../lib/train_step.ts";
import { patternBatch, TINY } from "./helpers.ts";

await tf.setBackend("cpu");

Deno.test("20 steps on a tiny problem: cycle loss falls, no tensor leaks", async () => {
  const model = CycleGAN.create(TINY);
  const realA = patternBatch(1, 16, 1, 0);
  const realB = tf.tidy(() => tf.neg(patternBatch(1, 16, 1, 3)));
  const cycles: number[] = [];
  const counts: number[] = [];
  for (let step = 0; step < 20; step++) {
    const losses = await model.trainStep(realA, realB);
    for (const [name, value] of Object.entries(losses)) {
      assert.ok(Number.isFinite(value), `${name} is ${value} at step ${step}`);
    }
    cycles.push(losses.cycleA + losses.cycleB);
    // The pools legitimately hold up to poolSize images each.
    counts.push(tf.memory().numTensors - model.poolA.size - model.poolB.size);
  }
  const first = (cycles[0] + cycles[1] + cycles[2]) / 3;
  const last = (cycles[17] + cycles[18] + cycles[19]) / 3;
  assert.ok(last < 0.8 * first, `cycle loss should fall: ${first} -> ${last}`);
  assert.ok(
    counts.every((c) => c === counts[0]),
    `tensor count drifted: ${counts}`,
  );
  assert.equal(model.step, 20);
  assert.equal(model.poolA.size, 2);
  model.dispose();
  tf.dispose([realA, realB]);
});

Deno.test("tensor count is exactly flat once the pools are full", async () => {
  const model = CycleGAN.create({ ...TINY, poolSize: 1 });
  const a = patternBatch(1, 16, 1);
  const b = patternBatch(1, 16, 1, 5);
  await model.trainStep(a, b);
  const afterFirst = tf.memory().numTensors;
  for (let i = 0; i < 4; i++) await model.trainStep(a, b);
  assert.equal(tf.memory().numTensors, afterFirst);
  model.dispose();
  tf.dispose([a, b]);
});

Deno.test("the step updates all four networks", async () => {
  const model = CycleGAN.create(TINY);
  const snapshot = () =>
    [
      model.generatorAB,
      model.generatorBA,
      model.discriminatorA,
      model.discriminatorB,
    ]
      .map((m) => Array.from(m.getWeights()[0].dataSync()));
  const before = snapshot();
  const a = patternBatch(1, 16, 1);
  const b = patternBatch(1, 16, 1, 5);
  await model.trainStep(a, b);
  const after = snapshot();
  before.forEach((w, i) =>
    assert.notDeepEqual(w, after[i], `network ${i} unchanged`)
  );
  model.dispose();
  tf.dispose([a, b]);
});

Deno.test("same seed, same losses; learning rate follows the schedule", async () => {
  const run = async () => {
    const model = CycleGAN.create(TINY);
    const a = patternBatch(2, 16, 1);
    const b = patternBatch(2, 16, 1, 5);
    const losses = [await model.trainStep(a, b), await model.trainStep(a, b)];
    model.dispose();
    tf.dispose([a, b]);
    return losses;
  };
  assert.deepEqual(await run(), await run());
  const model = CycleGAN.create({ ...TINY, epochs: 2, decayEpochs: 2 });
  assert.equal(model.scheduleEpoch(1), 2e-4);
  assert.ok(Math.abs(model.scheduleEpoch(3) - 2e-4 / 3) < 1e-12);
  assert.ok(Math.abs(model.learningRate - 2e-4 / 3) < 1e-12);
  model.dispose();
});

Deno.test("grey to RGB trains with the identity loss switched off and a notice", async () => {
  const model = CycleGAN.create({ ...TINY, channelsA: 1, channelsB: 3 });
  assert.match(
    model.identityNotice ?? "",
    /Identity loss is off: domain A has 1 channel\(s\) and domain B has 3/,
  );
  const losses = await model.trainStep(
    patternBatch(1, 16, 1),
    patternBatch(1, 16, 3),
  );
  assert.equal(losses.identityA, 0);
  assert.equal(losses.identityB, 0);
  assert.ok(losses.cycleB > 0);
  model.dispose();
  assert.equal(
    CycleGAN.create({ ...TINY, identityWeight: 0, channelsB: 3 })
      .identityNotice,
    undefined,
  );
});

Deno.test("bad batches get errors that name the problem", async () => {
  const model = CycleGAN.create(TINY);
  const good = patternBatch(1, 16, 1);
  await assert.rejects(
    model.trainStep(patternBatch(1, 18, 1), good),
    /batch A height must be a positive multiple of 4, got 18; nearest valid: 16 or 20/,
  );
  await assert.rejects(
    model.trainStep(good, patternBatch(1, 16, 3)),
    /batch B must have 1 channel\(s\), got 3/,
  );
  const withNaN = tf.tensor4d(new Float32Array(256).fill(NaN), [1, 16, 16, 1]);
  await assert.rejects(
    model.trainStep(withNaN, good),
    /batch A contains NaN or infinite values/,
  );
  assert.throws(
    () =>
      model.translate(tf.zeros([16, 16, 1]) as unknown as tf.Tensor4D, "AtoB"),
    /must be \[batch, height, width, channels\], got shape \[16,16,1\]/,
  );
  assert.throws(
    () => CycleGAN.create({ imageSize: 16 }),
    /3-layer PatchGAN needs a larger input than 16 px/,
  );
  model.dispose();
});
