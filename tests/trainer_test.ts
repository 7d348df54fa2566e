import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { CycleGAN } from "../lib/train_step.ts";
import {
  evaluateTranslation,
  sampleTranslations,
  train,
  type TrainingEvent,
} from "../lib/trainer.ts";
import { createMriPhantomDataset } from "../datasets/mri_default.ts";
import { TINY } from "./helpers.ts";

await tf.setBackend("cpu");

const dataset = createMriPhantomDataset({
  size: 16,
  trainCount: 3,
  testCount: 2,
});
const config = { ...TINY, epochs: 1, decayEpochs: 1 };

async function collect(
  stream: AsyncIterable<TrainingEvent>,
): Promise<TrainingEvent[]> {
  const events: TrainingEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

Deno.test("train yields a step per batch, an epoch summary per epoch, then the end", async () => {
  const model = CycleGAN.create(config);
  const events = await collect(train(model, dataset));
  const kinds = events.map((e) => e.kind).join(" ");
  assert.equal(kinds, "step step step epoch step step step epoch end");
  const steps = events.filter((e) => e.kind === "step");
  assert.deepEqual(steps.map((e) => e.step), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(steps.map((e) => e.learningRate), [
    2e-4,
    2e-4,
    2e-4,
    1e-4,
    1e-4,
    1e-4,
  ]);
  assert.deepEqual(events.at(-1), {
    kind: "end",
    reason: "finished",
    step: 6,
    epoch: 2,
    batch: 0,
  });
  model.dispose();
});

Deno.test("resuming mid-epoch takes the same steps as an uninterrupted run", async () => {
  const whole = CycleGAN.create(config);
  const full = (await collect(train(whole, dataset))).filter((e) =>
    e.kind === "step"
  );
  whole.dispose();

  const first = CycleGAN.create(config);
  const head = await collect(train(first, dataset, { maxSteps: 2 }));
  assert.deepEqual(head.at(-1), {
    kind: "end",
    reason: "maxSteps",
    step: 2,
    epoch: 0,
    batch: 2,
  });
  // Carry the weights and optimizer state over, as a checkpoint would.
  const second = CycleGAN.create(config);
  for (
    const name of [
      "generatorAB",
      "generatorBA",
      "discriminatorA",
      "discriminatorB",
    ] as const
  ) {
    second[name].setWeights(first[name].getWeights());
  }
  await second.optimizerG.setWeights(await first.optimizerG.getWeights());
  await second.optimizerD.setWeights(await first.optimizerD.getWeights());
  second.poolA.restore(await first.poolA.snapshot());
  second.poolB.restore(await first.poolB.snapshot());
  second.poolA.random.state = first.poolA.random.state;
  second.poolB.random.state = first.poolB.random.state;
  second.step = first.step;
  const tail =
    (await collect(train(second, dataset, { startEpoch: 0, startBatch: 2 })))
      .filter((e) => e.kind === "step");
  assert.deepEqual(tail.map((e) => e.step), [3, 4, 5, 6]);
  for (const [i, event] of tail.entries()) {
    const expected = full[i + 2];
    assert.equal(event.kind, "step");
    assert.equal(expected.kind, "step");
    if (event.kind === "step" && expected.kind === "step") {
      assert.equal(event.batch, expected.batch);
      assert.ok(
        Math.abs(event.losses.lossG - expected.losses.lossG) < 1e-4,
        `step ${event.step}`,
      );
    }
  }
  first.dispose();
  second.dispose();
});

Deno.test("an aborted signal stops before the next step", async () => {
  const model = CycleGAN.create(config);
  const stop = new AbortController();
  const events: TrainingEvent[] = [];
  for await (const event of train(model, dataset, { signal: stop.signal })) {
    events.push(event);
    if (event.kind === "step" && event.step === 1) stop.abort();
  }
  assert.deepEqual(events.at(-1), {
    kind: "end",
    reason: "stopped",
    step: 1,
    epoch: 0,
    batch: 1,
  });
  model.dispose();
});

Deno.test("samples and evaluation: shapes, ground truth, no tensors left", async () => {
  const model = CycleGAN.create(config);
  const before = tf.memory().numTensors;
  const samples = await sampleTranslations(model, dataset, 2);
  for (const images of Object.values(samples)) {
    assert.deepEqual(images.shape, [2, 16, 16, 1]);
  }
  const evaluation = await evaluateTranslation(model, dataset, 2);
  assert.ok(evaluation);
  assert.equal(evaluation.count, 2);
  assert.ok(
    evaluation.baseline.psnr > 0 && Number.isFinite(evaluation.translated.ssim),
  );
  assert.equal(tf.memory().numTensors, before);
  const mismatch = createMriPhantomDataset({ size: 32, trainCount: 1 });
  await assert.rejects(
    collect(train(model, mismatch)),
    /Data "mri-phantom" yields 32 px images, the model was configured for 16 px/,
  );
  model.dispose();
});
