import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { CycleGAN } from "../lib/train_step.ts";
import {
  loadCheckpoint,
  loadGenerator,
  resolveCheckpoint,
  saveCheckpoint,
  saveLayersModel,
} from "../lib/checkpoint.ts";
import { maxAbsDiff, patternBatch, TINY } from "./helpers.ts";

await tf.setBackend("cpu");

Deno.test("checkpoint round trip: same outputs, same optimizer state, same next step", async () => {
  const run = await Deno.makeTempDir({ prefix: "cyclegan-ckpt-" });
  const model = CycleGAN.create(TINY);
  const a = patternBatch(1, 16, 1);
  const b = patternBatch(1, 16, 1, 5);
  // Five steps: where tfjs's pow(beta2, 6) and the running product of six
  // beta2s differ in float32.
  for (let i = 0; i < 5; i++) await model.trainStep(a, b);
  model.learningRate = 1.5e-4;
  const before = tf.memory().numTensors;
  const folder = await saveCheckpoint(model, run, {
    epoch: 2,
    batchInEpoch: 1,
    extra: { note: "x" },
  });
  assert.equal(tf.memory().numTensors, before, "saving leaks no tensors");
  assert.match(folder, /checkpoints\/step-000005$/);

  const { model: restored, state } = await loadCheckpoint(run);
  assert.deepEqual(state, {
    step: 5,
    epoch: 2,
    batchInEpoch: 1,
    extra: { note: "x" },
  });
  assert.equal(restored.step, 5);
  assert.equal(restored.learningRate, 1.5e-4);
  assert.deepEqual(restored.config, model.config);
  const original = await model.translate(a, "AtoB").data();
  const reloaded = await restored.translate(a, "AtoB").data();
  assert.equal(maxAbsDiff(original, reloaded), 0);
  // Adam's moments, step count and bias correction, and the pools, came
  // back: the next steps give the same losses to the last bit.
  for (let step = 0; step < 4; step++) {
    assert.deepEqual(
      await restored.trainStep(a, b),
      await model.trainStep(a, b),
      `step ${step + 1} after resuming`,
    );
  }
  model.dispose();
  restored.dispose();
  await Deno.remove(run, { recursive: true });
});

Deno.test("generators load alone, and tfjs's own loader reads the model.json", async () => {
  const run = await Deno.makeTempDir({ prefix: "cyclegan-ckpt-" });
  const model = CycleGAN.create(TINY);
  const folder = await saveCheckpoint(model, run, {
    epoch: 0,
    batchInEpoch: 0,
  });
  const x = patternBatch(1, 16, 1);
  const expected = await model.translate(x, "BtoA").data();
  const { generator, config } = await loadGenerator(run, "BtoA");
  assert.equal(config.generatorFilters, 4);
  assert.equal(
    maxAbsDiff(await (generator.predict(x) as tf.Tensor).data(), expected),
    0,
  );
  const viaTfjs = await tf.loadLayersModel(
    `file://${folder}/generator_ba/model.json`,
  );
  assert.equal(
    maxAbsDiff(await (viaTfjs.predict(x) as tf.Tensor).data(), expected),
    0,
  );
  const json = JSON.parse(
    await Deno.readTextFile(`${folder}/generator_ba/model.json`),
  );
  assert.equal(json.format, "layers-model");
  assert.deepEqual(json.weightsManifest[0].paths, ["weights.bin"]);
  model.dispose();
  await Deno.remove(run, { recursive: true });
});

Deno.test("only the newest checkpoints are kept, and a partial one is never read", async () => {
  const run = await Deno.makeTempDir({ prefix: "cyclegan-ckpt-" });
  const model = CycleGAN.create(TINY);
  const a = patternBatch(1, 16, 1);
  for (let i = 0; i < 3; i++) {
    await model.trainStep(a, a);
    await saveCheckpoint(model, run, { epoch: 0, batchInEpoch: i + 1 }, {
      keep: 2,
    });
  }
  const names = [...Deno.readDirSync(`${run}/checkpoints`)].map((e) => e.name)
    .sort();
  assert.deepEqual(names, ["latest", "step-000002", "step-000003"]);
  // What a crash in the middle of a save leaves: a partial folder. The
  // latest pointer still names the last complete checkpoint.
  await Deno.mkdir(`${run}/checkpoints/.partial-step-000004-dead`);
  await Deno.writeTextFile(
    `${run}/checkpoints/.partial-step-000004-dead/config.json`,
    "{",
  );
  assert.match(await resolveCheckpoint(run), /step-000003$/);
  model.dispose();
  await Deno.remove(run, { recursive: true });
});

Deno.test("missing or damaged checkpoints give errors that name the path", async () => {
  const run = await Deno.makeTempDir({ prefix: "cyclegan-ckpt-" });
  await assert.rejects(
    loadCheckpoint(run),
    new RegExp(`No checkpoint found at ${run}`),
  );
  const model = CycleGAN.create(TINY);
  const folder = await saveCheckpoint(model, run, {
    epoch: 0,
    batchInEpoch: 0,
  });
  await Deno.writeFile(
    `${folder}/generator_ab/weights.bin`,
    new Uint8Array(10),
  );
  await assert.rejects(
    loadCheckpoint(run),
    /generator_ab\/weights.bin holds 10 bytes, model.json expects \d+/,
  );
  const lone = `${run}/lone`;
  await saveLayersModel(model.discriminatorA, lone);
  assert.ok((await Deno.stat(`${lone}/model.json`)).isFile);
  model.dispose();
  await Deno.remove(run, { recursive: true });
});
