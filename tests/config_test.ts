import assert from "node:assert/strict";
import {
  checkImageSize,
  DEFAULT_CONFIG,
  identityApplies,
  makeConfig,
} from "../lib/config.ts";
import { learningRateAt } from "../lib/schedule.ts";

Deno.test("makeConfig fills in the reference defaults", () => {
  const config = makeConfig({ imageSize: 64 });
  assert.equal(config.imageSize, 64);
  assert.equal(config.cycleWeight, 10);
  assert.equal(config.identityWeight, 0.5);
  assert.equal(config.learningRate, 2e-4);
  assert.equal(config.beta1, 0.5);
  assert.equal(config.poolSize, 50);
  assert.equal(config.lossKind, "lsgan");
  assert.equal(DEFAULT_CONFIG.residualBlocks, 6);
});

Deno.test("image sizes that are not multiples of 4 name the nearest valid sizes", () => {
  assert.throws(() => checkImageSize(30), /got 30; nearest valid: 28 or 32/);
  assert.throws(
    () => makeConfig({ imageSize: 130 }),
    /got 130; nearest valid: 128 or 132/,
  );
  assert.throws(() => checkImageSize(2), /nearest valid: 4/);
  checkImageSize(4);
  checkImageSize(256);
});

Deno.test("bad config values are named in the error", () => {
  assert.throws(
    () => makeConfig({ channelsA: 2 as 1 }),
    /channelsA must be 1 \(grey\) or 3 \(RGB\), got 2/,
  );
  assert.throws(
    () => makeConfig({ generatorFilters: 0 }),
    /generatorFilters must be a positive integer, got 0/,
  );
  assert.throws(
    () => makeConfig({ residualBlocks: -1 }),
    /residualBlocks must be a whole number >= 0, got -1/,
  );
  assert.throws(
    () => makeConfig({ lossKind: "wgan" as "bce" }),
    /lossKind must be "lsgan" or "bce", got "wgan"/,
  );
  assert.throws(
    () => makeConfig({ beta1: 1 }),
    /beta1 must be in \[0, 1\), got 1/,
  );
  assert.throws(
    () => makeConfig({ cycleWeight: NaN }),
    /cycleWeight must be a finite number >= 0, got NaN/,
  );
});

Deno.test("identity loss applies only when both domains have the same channels", () => {
  assert.equal(
    identityApplies(makeConfig({ channelsA: 1, channelsB: 1 })),
    true,
  );
  assert.equal(
    identityApplies(makeConfig({ channelsA: 1, channelsB: 3 })),
    false,
  );
  assert.equal(identityApplies(makeConfig({ identityWeight: 0 })), false);
});

Deno.test("learning rate is constant, then falls linearly towards zero", () => {
  const schedule = { learningRate: 2e-4, epochs: 100, decayEpochs: 100 };
  assert.equal(learningRateAt(0, schedule), 2e-4);
  assert.equal(learningRateAt(99, schedule), 2e-4);
  assert.ok(
    Math.abs(learningRateAt(100, schedule) - 2e-4 * (1 - 1 / 101)) < 1e-12,
  );
  assert.ok(
    Math.abs(learningRateAt(150, schedule) - 2e-4 * (1 - 51 / 101)) < 1e-12,
  );
  assert.ok(learningRateAt(199, schedule) > 0);
  assert.equal(learningRateAt(300, schedule), 0);
  const rates = Array.from(
    { length: 200 },
    (_, e) => learningRateAt(e, schedule),
  );
  assert.ok(rates.every((r, i) => i === 0 || r <= rates[i - 1]), "never rises");
});
