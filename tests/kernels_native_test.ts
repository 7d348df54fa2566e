/**
 * The native backend (C kernels through FFI) against tfjs's cpu backend:
 * every convolution shape the CycleGAN uses, forward and backward, the
 * memory-bound ops it replaces, and a whole small generator +
 * discriminator gradient. Where gcc or FFI is missing, the test checks that
 * the backend says so instead.
 */
import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import "../lib/reflection_pad.ts";
import { registerNativeBackend } from "../lib/kernels/native.ts";
import {
  cycleGanConvCases,
  relativeError,
  runConvCase,
  smallModelGradients,
} from "../lib/kernels/check.ts";
import { fusedInstanceNorm } from "../lib/kernels/instance_norm.ts";
import { reflectionPad2d } from "../lib/reflection_pad.ts";

const TOLERANCE = 1e-4;
const status = await registerNativeBackend();
// A machine without gcc must say so (CYCLEGAN_NO_NATIVE=1); otherwise a
// native backend that fails to start fails these tests instead of
// skipping them.
const noNative = Deno.env.get("CYCLEGAN_NO_NATIVE") === "1";
const hasCompiler = await new Deno.Command("gcc", { args: ["--version"] })
  .output().then((o) => o.success, () => false);

Deno.test("the native backend starts wherever gcc is available", () => {
  if (!noNative) {
    assert.ok(
      status.ok,
      status.ok
        ? ""
        : `${status.why} (set CYCLEGAN_NO_NATIVE=1 on a machine without gcc)`,
    );
  } else if (!hasCompiler) {
    assert.ok(!status.ok && /gcc/.test(status.why));
  }
});

async function onBoth<T>(f: () => Promise<T>): Promise<[T, T]> {
  await tf.setBackend("cpu");
  const expected = await f();
  await tf.setBackend("native");
  const actual = await f();
  return [actual, expected];
}

Deno.test({
  name: "native convolutions match the cpu backend on every model shape",
  ignore: noNative,
  fn: async () => {
    for (const c of cycleGanConvCases()) {
      const [actual, expected] = await onBoth(() => runConvCase(c));
      for (const part of ["y", "dx", "dFilter"] as const) {
        const error = relativeError(actual[part], expected[part]);
        assert.ok(
          error <= TOLERANCE,
          `${c.name}: ${part} differs from cpu by ${error.toExponential(2)}`,
        );
      }
    }
  },
});

Deno.test({
  name: "native memory-bound ops match the cpu backend",
  ignore: noNative,
  fn: async () => {
    const x = () => tf.linspace(-3, 5, 2 * 5 * 6 * 3).reshape([2, 5, 6, 3]);
    const cases: Array<[string, () => tf.Tensor]> = [
      ["add per image and channel", () => tf.add(x(), tf.ones([2, 1, 1, 3]))],
      ["sub per channel", () => tf.sub(tf.range(1, 4), x())],
      ["mul by scalar", () => tf.mul(x(), tf.scalar(-1.5))],
      ["mul same shape", () => tf.mul(x(), x())],
      [
        "div per pixel",
        () => tf.div(x(), tf.range(1, 31).reshape([1, 5, 6, 1])),
      ],
      ["mean over height and width", () => tf.mean(x(), [1, 2], true)],
      ["sum over everything", () => tf.sum(x())],
      ["sum over batch", () => tf.sum(x(), 0)],
      ["slice", () => tf.slice(x(), [1, 1, 2, 0], [1, 3, -1, 2])],
      ["reverse", () => tf.reverse(x(), [1, 2])],
      [
        "reflect pad",
        () => tf.mirrorPad(x(), [[0, 0], [2, 2], [3, 1], [0, 0]], "reflect"),
      ],
      [
        "symmetric pad",
        () => tf.mirrorPad(x(), [[0, 0], [1, 2], [2, 0], [0, 0]], "symmetric"),
      ],
      ["zero pad", () => tf.pad(x(), [[0, 0], [1, 2], [0, 3], [1, 0]], 0.5)],
      ["transpose", () => tf.transpose(x(), [3, 1, 2, 0])],
      ["2-D add", () => tf.add(tf.ones([4, 3]), tf.range(0, 3))],
      ["relu", () => tf.relu(x())],
      ["step (relu gradient)", () => tf.step(x(), 0.25)],
      ["sqrt", () => tf.sqrt(tf.abs(x()))],
      ["rsqrt", () => tf.rsqrt(tf.add(tf.abs(x()), 1))],
      ["square", () => tf.square(x())],
      ["neg", () => tf.neg(x())],
    ];
    for (const [name, op] of cases) {
      const [actual, expected] = await onBoth(() =>
        tf.tidy(op).data() as Promise<Float32Array>
      );
      const [actualShape, expectedShape] = await onBoth(() =>
        Promise.resolve(tf.tidy(() => op().shape))
      );
      assert.deepEqual(actualShape, expectedShape, name);
      assert.ok(relativeError(actual, expected) <= 1e-6, name);
    }
  },
});

Deno.test({
  name: "a generator + discriminator gradient on native matches cpu",
  ignore: noNative,
  fn: async () => {
    const [actual, expected] = await onBoth(smallModelGradients);
    assert.equal(actual.size, expected.size);
    for (const [name, values] of expected) {
      const error = relativeError(actual.get(name)!, values);
      assert.ok(error <= 1e-3, `${name}: differs from cpu by ${error}`);
    }
  },
});

Deno.test({
  name: "the native instance norm kernels match the cpu backend",
  ignore: noNative,
  fn: async () => {
    assert.ok(tf.getKernel("CycleGANInstanceNorm", "native"));
    const [actual, expected] = await onBoth(async () => {
      const x = tf.randomNormal([2, 5, 6, 3], 1, 3, "float32", 1);
      const gamma = tf.tensor1d([1.5, -0.5, 2]);
      const beta = tf.tensor1d([0.1, 0.2, -0.3]);
      const weights = tf.randomNormal([2, 5, 6, 3], 0, 1, "float32", 2);
      const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(
          fusedInstanceNorm(
            a as tf.Tensor4D,
            g as tf.Tensor1D,
            b as tf.Tensor1D,
            1e-5,
          ),
          weights,
        ))
      )([x, gamma, beta]);
      const y = fusedInstanceNorm(x as tf.Tensor4D, gamma, beta, 1e-5);
      const out = await Promise.all(
        [y, ...grads].map((t) => t.data() as Promise<Float32Array>),
      );
      tf.dispose([x, gamma, beta, weights, y, ...grads]);
      return out;
    });
    for (let i = 0; i < 4; i++) {
      const error = relativeError(actual[i], expected[i]);
      assert.ok(error <= 1e-4, `output ${i} differs from cpu by ${error}`);
    }
  },
});

Deno.test({
  name: "the native reflection-pad gradient matches the cpu backend",
  ignore: noNative,
  fn: async () => {
    assert.ok(tf.getKernel("CycleGANMirrorPadGrad", "native"));
    for (const mode of ["reflect", "symmetric"] as const) {
      const [actual, expected] = await onBoth(async () => {
        const x = tf.randomNormal([2, 5, 6, 3], 0, 1, "float32", 4);
        const weights = tf.randomNormal([2, 9, 10, 3], 0, 1, "float32", 5);
        const dx = tf.grad((t: tf.Tensor) =>
          tf.sum(tf.mul(
            mode === "reflect"
              ? reflectionPad2d(t as tf.Tensor4D, 2)
              : tf.mirrorPad(t, [[0, 0], [2, 2], [1, 2], [0, 0]], mode),
            mode === "reflect" ? weights : tf.slice(weights, 0, [2, 9, 9, 3]),
          ))
        )(x);
        const out = await dx.data() as Float32Array;
        tf.dispose([x, weights, dx]);
        return out;
      });
      const error = relativeError(actual, expected);
      assert.ok(error <= 1e-5, `${mode}: differs from cpu by ${error}`);
    }
  },
});

Deno.test({
  name:
    "recycled arrays never change a tensor still alive or data already read",
  ignore: noNative,
  fn: async () => {
    await tf.setBackend("native");
    const source = tf.relu(tf.linspace(1, 64, 64).reshape([1, 4, 4, 4]));
    // The cpu backend's split and slice return views where they can.
    const [top] = tf.split(source, 2, 1);
    const read = await source.data();
    source.dispose();
    // Allocations of the same size would reuse the disposed array.
    const others = Array.from({ length: 4 }, () => tf.relu(tf.fill([64], -7)));
    const expected = Array.from({ length: 32 }, (_, i) => i + 1);
    assert.deepEqual(Array.from(await top.data()), expected);
    assert.deepEqual(Array.from(read).slice(0, 32), expected);
    tf.dispose([top, ...others]);
  },
});

Deno.test({
  name: "native kernels leave no tensors behind",
  ignore: noNative,
  fn: async () => {
    await tf.setBackend("native");
    const [c] = cycleGanConvCases().filter((c) => c.kind === "transpose");
    await runConvCase(c);
    const before = tf.memory().numTensors;
    await runConvCase(c);
    assert.equal(tf.memory().numTensors, before);
  },
});
