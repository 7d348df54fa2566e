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
} from "../lib/kernels/check.ts";
import { createGenerator } from "../lib/generator.ts";
import { createDiscriminator } from "../lib/discriminator.ts";

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
  const generator = createGenerator({
    inputChannels: 1,
    outputChannels: 3,
    filters: 4,
    residualBlocks: 1,
    seed: 3,
  });
  const discriminator = createDiscriminator({ inputChannels: 3, filters: 4 });
  const image = new Float32Array(2 * 32 * 32).map((_, i) => Math.sin(i * 0.37));
  const gradients = async () => {
    const x = tf.tensor4d(image, [2, 32, 32, 1]);
    const { value, grads } = tf.variableGrads(() =>
      tf.mean(
        tf.square(discriminator.apply(generator.apply(x)) as tf.Tensor),
      ) as tf.Scalar
    );
    const out = new Map<string, Float32Array>();
    out.set("loss", await value.data() as Float32Array);
    for (const [name, g] of Object.entries(grads)) {
      out.set(name, await g.data() as Float32Array);
    }
    tf.dispose([x, value, ...Object.values(grads)]);
    return out;
  };
  const expected = await gradients();
  await tf.setBackend("wasm");
  const actual = await gradients();
  assert.equal(actual.size, expected.size);
  for (const [name, values] of expected) {
    const error = relativeError(actual.get(name)!, values);
    assert.ok(error <= 1e-3, `${name}: differs from cpu by ${error}`);
  }
  generator.dispose();
  discriminator.dispose();
});
