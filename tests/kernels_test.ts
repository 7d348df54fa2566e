/**
 * The wasm training kernels against tfjs's cpu backend: every convolution
 * shape the CycleGAN uses, forward and backward, and a whole small
 * generator + discriminator gradient.
 */
import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import "../lib/reflection_pad.ts";
import { selectBackend } from "../lib/backend.ts";
import {
  cycleGanConvCases,
  relativeError,
  runConvCase,
  smallModelGradients,
} from "../lib/kernels/check.ts";

const TOLERANCE = 1e-4;

Deno.test("wasm convolution kernels match the cpu backend on every model shape", async () => {
  const report = await selectBackend("wasm");
  assert.equal(report.name, "wasm", report.reason);
  for (const c of cycleGanConvCases()) {
    await tf.setBackend("cpu");
    const expected = await runConvCase(c);
    await tf.setBackend("wasm");
    const actual = await runConvCase(c);
    for (const part of ["y", "dx", "dFilter"] as const) {
      const error = relativeError(actual[part], expected[part]);
      assert.ok(
        error <= TOLERANCE,
        `${c.name}: ${part} differs from cpu by ${error.toExponential(2)}`,
      );
    }
  }
});

Deno.test("wasm kernels leave no tensors or wasm memory behind", async () => {
  await selectBackend("wasm");
  const [c] = cycleGanConvCases().filter((c) => c.kind === "transpose");
  await runConvCase(c);
  const before = tf.memory().numTensors;
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const idsBefore = backend.numDataIds();
  await runConvCase(c);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(backend.numDataIds(), idsBefore);
});

Deno.test("a generator + discriminator gradient on wasm matches cpu", async () => {
  await selectBackend("wasm");
  await tf.setBackend("cpu");
  const expected = await smallModelGradients();
  await tf.setBackend("wasm");
  const actual = await smallModelGradients();
  assert.equal(actual.size, expected.size);
  for (const [name, values] of expected) {
    const error = relativeError(actual.get(name)!, values);
    assert.ok(error <= 1e-3, `${name}: differs from cpu by ${error}`);
  }
});
