import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import {
  cycleConsistencyLoss,
  discriminatorLoss,
  generatorAdversarialLoss,
  identityLoss,
} from "../lib/losses.ts";
import {
  compareImages,
  meanAbsoluteError,
  psnr,
  ssim,
} from "../lib/metrics.ts";

await tf.setBackend("cpu");

const value = async (t: tf.Tensor) => (await t.data())[0];
const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) < tol, `expected ${b}, got ${a}`);

Deno.test("least-squares adversarial losses on hand-computed scores", async () => {
  const fake = tf.tensor([0.5, -1, 2, 0]);
  const real = tf.tensor([1, 0.5, 1.5, 0]);
  // Generator: mean((s - 1)^2) = (0.25 + 4 + 1 + 1) / 4.
  close(await value(generatorAdversarialLoss(fake)), 6.25 / 4);
  // Discriminator: 0.5 * (mean((r - 1)^2) + mean(f^2)).
  const realPart = (0 + 0.25 + 0.25 + 1) / 4;
  const fakePart = (0.25 + 1 + 4 + 0) / 4;
  close(
    await value(discriminatorLoss(real, fake)),
    0.5 * (realPart + fakePart),
  );
});

Deno.test("cross-entropy adversarial losses on hand-computed logits", async () => {
  const logits = tf.tensor([0, 2]);
  const softplus = (x: number) => Math.log(1 + Math.exp(x));
  close(
    await value(generatorAdversarialLoss(logits, "bce")),
    (softplus(0) + softplus(-2)) / 2,
    1e-5,
  );
  const expected = 0.5 *
    ((softplus(0) + softplus(-2)) / 2 + (softplus(0) + softplus(2)) / 2);
  close(await value(discriminatorLoss(logits, logits, "bce")), expected, 1e-5);
});

Deno.test("cycle and identity losses are weighted L1", async () => {
  const real = tf.tensor([0, 1, -1, 0.5]);
  const other = tf.tensor([0.5, 1, 0, -0.5]);
  // mean |diff| = (0.5 + 0 + 1 + 1) / 4 = 0.625
  close(await value(cycleConsistencyLoss(real, other)), 6.25);
  close(await value(cycleConsistencyLoss(real, other, 2)), 1.25);
  close(await value(identityLoss(real, other)), 0.625 * 5);
  close(await value(cycleConsistencyLoss(real, real)), 0);
});

Deno.test("PSNR, SSIM and MAE on known images", () => {
  const shape = [1, 16, 16, 1] as const;
  const truth = {
    data: new Float32Array(256).map((_, i) => Math.sin(i * 0.3)),
    shape,
  };
  assert.equal(psnr(truth, truth), Infinity);
  close(ssim(truth, truth), 1, 1e-9);
  assert.equal(meanAbsoluteError(truth, truth), 0);
  // A constant offset of 0.2 in [-1, 1] is 0.1 in [0, 1]: MSE 0.01, 20 dB.
  const shifted = { data: truth.data.map((v) => v + 0.2), shape };
  close(psnr(shifted, truth), 20, 1e-4);
  close(meanAbsoluteError(shifted, truth), 0.1, 1e-6);
  const noisy = {
    data: truth.data.map((v, i) => v + (i % 2 ? 0.5 : -0.5)),
    shape,
  };
  const scores = compareImages(noisy, truth);
  assert.ok(scores.ssim < 0.9 && scores.ssim > -1, `ssim ${scores.ssim}`);
  assert.ok(scores.psnr < psnr(shifted, truth));
  assert.throws(
    () => psnr({ data: new Float32Array(4), shape: [1, 2, 2, 1] }, truth),
    /prediction shape \[1,2,2,1\] differs/,
  );
});
