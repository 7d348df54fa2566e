/**
 * WebGPU against the cpu backend: forward and backward of every op and
 * layer the model uses, then whole training steps.
 *
 * CI has no GPU; Mesa's software Vulkan driver (llvmpipe, Debian package
 * `mesa-vulkan-drivers`) gives WebGPU an adapter there. Without an adapter
 * these tests fail rather than skip, unless `CYCLEGAN_NO_WEBGPU=1` says the
 * machine has none on purpose.
 *
 * Tolerance: every output and gradient element must satisfy
 * |webgpu - cpu| <= RELATIVE_TOLERANCE x max|cpu| + ABSOLUTE_TOLERANCE, the
 * maximum taken over the whole tensor. Both backends compute in float32 but
 * sum in different orders, so they differ by rounding only: measured
 * differences are below 1e-6 of the tensor's scale, and a wrong kernel
 * (a dropped border, a swapped axis) is off by far more than 1e-4.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { selectBackend } from "../lib/backend.ts";
import { instanceNorm } from "../lib/instance_norm.ts";
import { reflectionPad2d } from "../lib/reflection_pad.ts";
import {
  cycleConsistencyLoss,
  discriminatorLoss,
  generatorAdversarialLoss,
  identityLoss,
} from "../lib/losses.ts";
import { CycleGAN, type StepLosses } from "../lib/train_step.ts";
import { loadCheckpoint, saveCheckpoint } from "../lib/checkpoint.ts";
import { useGemmFilterGradient } from "../lib/kernels/webgpu_conv.ts";
import { SeededRandom } from "../lib/random.ts";

const RELATIVE_TOLERANCE = 1e-4;
const ABSOLUTE_TOLERANCE = 1e-6;

const noWebGpu = Deno.env.get("CYCLEGAN_NO_WEBGPU") === "1";

// The WebGPU device lives as long as the process, by design: the backend is
// started once and reused. Deno's resource check would report it as a leak.
const testOptions = { ignore: noWebGpu, sanitizeResources: false };

/** Values and shape of one input, as plain data movable between backends. */
interface Input {
  shape: number[];
  values: Float32Array;
}

function randomInput(shape: number[], seed: number, scale = 1): Input {
  const random = new SeededRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = random.normal(0, scale);
  return { shape, values };
}

/** One op or layer under test: a function of its inputs. */
interface OpCase {
  name: string;
  inputs: Input[];
  fn: (...xs: tf.Tensor[]) => tf.Tensor;
}

/** The output and the gradient of sum(output x upstream) for each input. */
interface Outcome {
  output: Float32Array;
  gradients: Float32Array[];
}

/**
 * Runs a case on one backend: the forward pass, then the backward pass
 * from a fixed random upstream gradient, so every gradient element counts.
 */
async function runOn(backend: string, opCase: OpCase): Promise<Outcome> {
  assert.ok(await tf.setBackend(backend), `backend ${backend} must start`);
  const xs = opCase.inputs.map((input) => tf.tensor(input.values, input.shape));
  const output = tf.tidy(() => opCase.fn(...xs));
  const upstream = tf.tensor(
    randomInput(output.shape, 99).values,
    output.shape,
  );
  const gradients = tf.grads((...args: tf.Tensor[]) =>
    tf.sum(tf.mul(opCase.fn(...args), upstream))
  )(xs);
  const outcome = {
    output: await output.data() as Float32Array,
    gradients: await Promise.all(
      gradients.map(async (g) => await g.data() as Float32Array),
    ),
  };
  tf.dispose([...xs, output, upstream, ...gradients]);
  return outcome;
}

/** Largest |actual - expected| as a fraction of max|expected|. */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length, "same number of elements");
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  return worst / Math.max(scale, ABSOLUTE_TOLERANCE / RELATIVE_TOLERANCE);
}

function assertClose(
  actual: Float32Array,
  expected: Float32Array,
  what: string,
): void {
  assert.ok(
    expected.every(Number.isFinite) && actual.every(Number.isFinite),
    `${what}: values must be finite`,
  );
  const error = relativeError(actual, expected);
  assert.ok(
    error <= RELATIVE_TOLERANCE,
    `${what}: webgpu differs from cpu by ${
      error.toExponential(2)
    } of the tensor's scale, allowed ${RELATIVE_TOLERANCE}`,
  );
}

/** Starts WebGPU once; every test switches with tf.setBackend after that. */
let started: Promise<void> | undefined;
function startWebGpu(): Promise<void> {
  started ??= (async () => {
    const report = await selectBackend("webgpu");
    assert.equal(
      report.name,
      "webgpu",
      `WebGPU must start (install mesa-vulkan-drivers for a software ` +
        `adapter, or set CYCLEGAN_NO_WEBGPU=1 on a machine without one); ` +
        `got: ${report.reason}`,
    );
    // tfjs's WebGPU backend runs ops on small CPU-resident tensors on the
    // CPU. These tests are about the GPU kernels, so that is turned off.
    tf.env().set("WEBGPU_CPU_FORWARD", false);
  })();
  return started;
}

const x = (shape: number[], seed: number) => randomInput(shape, seed);
const weights = (shape: number[], seed: number) =>
  randomInput(shape, seed, 0.2);

const OP_CASES: OpCase[] = [
  {
    name: "conv2d 7x7 valid (generator stem and head)",
    inputs: [x([1, 10, 10, 2], 1), weights([7, 7, 2, 3], 2)],
    fn: (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, "valid"),
  },
  {
    name: "conv2d 3x3 valid (residual block)",
    inputs: [x([2, 6, 6, 4], 3), weights([3, 3, 4, 4], 4)],
    fn: (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, "valid"),
  },
  {
    name: "conv2d 4x4 stride 2 same (downsampling)",
    inputs: [x([1, 8, 8, 3], 5), weights([4, 4, 3, 5], 6)],
    fn: (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, "same"),
  },
  {
    name: "conv2d 4x4 stride 1 valid (PatchGAN tail)",
    inputs: [x([1, 6, 6, 4], 7), weights([4, 4, 4, 1], 8)],
    fn: (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, "valid"),
  },
  {
    // Larger than one 64 x 64 x 16 tile of the GEMM filter gradient in
    // every direction, with ragged edges, odd sizes and a stride of 2.
    name: "conv2d 3x3 stride 2 same, 20 -> 70 channels (several tiles)",
    inputs: [x([2, 9, 11, 20], 34), weights([3, 3, 20, 70], 35)],
    fn: (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, "same"),
  },
  {
    // A long sum over few filter elements: the GEMM filter gradient splits
    // it into 4 slices and adds them up.
    name: "conv2d 3x3 valid on 48x48 (a long sum, split in slices)",
    inputs: [x([1, 48, 48, 1], 36), weights([3, 3, 1, 2], 37)],
    fn: (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, "valid"),
  },
  {
    name: "fused conv2d with bias (layers with useBias)",
    inputs: [x([1, 8, 8, 2], 9), weights([4, 4, 2, 3], 10), x([3], 11)],
    fn: (a, w, b) =>
      tf.fused.conv2d({
        x: a as tf.Tensor4D,
        filter: w as tf.Tensor4D,
        strides: 2,
        pad: "valid",
        bias: b,
      }),
  },
  {
    name: "conv2dTranspose 4x4 stride 2 same (upsampling)",
    inputs: [x([1, 4, 4, 4], 12), weights([4, 4, 3, 4], 13)],
    fn: (a, w) =>
      tf.conv2dTranspose(
        a as tf.Tensor4D,
        w as tf.Tensor4D,
        [1, 8, 8, 3],
        2,
        "same",
      ),
  },
  {
    name: "instance norm with gamma and beta",
    inputs: [x([2, 5, 5, 3], 14), x([3], 15), x([3], 16)],
    fn: (a, gamma, beta) =>
      instanceNorm(a as tf.Tensor4D, gamma as tf.Tensor1D, beta as tf.Tensor1D),
  },
  {
    name: "reflection pad 3 (generator stem)",
    inputs: [x([1, 5, 6, 2], 17)],
    fn: (a) => reflectionPad2d(a as tf.Tensor4D, 3),
  },
  {
    name: "reflection pad 1 (residual block)",
    inputs: [x([2, 4, 4, 3], 18)],
    fn: (a) => reflectionPad2d(a as tf.Tensor4D, 1),
  },
  {
    name: "zero pad 1 (PatchGAN)",
    inputs: [x([1, 4, 4, 3], 19)],
    fn: (a) => tf.pad(a, [[0, 0], [1, 1], [1, 1], [0, 0]]),
  },
  {
    name: "relu",
    inputs: [x([2, 4, 4, 3], 20)],
    fn: (a) => tf.relu(a),
  },
  {
    name: "leaky relu 0.2",
    inputs: [x([2, 4, 4, 3], 21)],
    fn: (a) => tf.leakyRelu(a, 0.2),
  },
  {
    name: "tanh",
    inputs: [x([2, 4, 4, 3], 22)],
    fn: (a) => tf.tanh(a),
  },
  {
    name: "residual skip (add)",
    inputs: [x([1, 4, 4, 3], 23), x([1, 4, 4, 3], 24)],
    fn: (a, b) => tf.add(a, b),
  },
  {
    name: "least-squares adversarial losses",
    inputs: [x([2, 3, 3, 1], 25), x([2, 3, 3, 1], 26)],
    fn: (real, fake) =>
      tf.add(
        generatorAdversarialLoss(fake, "lsgan"),
        discriminatorLoss(real, fake, "lsgan"),
      ),
  },
  {
    name: "cross-entropy adversarial losses",
    inputs: [x([2, 3, 3, 1], 27), x([2, 3, 3, 1], 28)],
    fn: (real, fake) =>
      tf.add(
        generatorAdversarialLoss(fake, "bce"),
        discriminatorLoss(real, fake, "bce"),
      ),
  },
  {
    name: "cycle and identity L1 losses",
    inputs: [x([1, 4, 4, 2], 29), x([1, 4, 4, 2], 30)],
    fn: (real, other) =>
      tf.add(
        cycleConsistencyLoss(real, other, 10),
        identityLoss(real, other, 5),
      ),
  },
];

Deno.test(
  "WebGPU adapter is present and tfjs starts on it",
  testOptions,
  async () => {
    await startWebGpu();
    assert.equal(tf.getBackend(), "webgpu");
    const squares = tf.square(tf.tensor([1, 2, 3]));
    assert.deepEqual(Array.from(await squares.data()), [1, 4, 9]);
    squares.dispose();
  },
);

for (const opCase of OP_CASES) {
  Deno.test(`webgpu matches cpu: ${opCase.name}`, testOptions, async () => {
    await startWebGpu();
    const expected = await runOn("cpu", opCase);
    const actual = await runOn("webgpu", opCase);
    assertClose(actual.output, expected.output, `${opCase.name} output`);
    expected.gradients.forEach((gradient, i) =>
      assertClose(
        actual.gradients[i],
        gradient,
        `${opCase.name} gradient of input ${i}`,
      )
    );
  });
}

// tfjs's WebGPU backend has two kernels for the input gradient of a
// convolution (which is also the transposed convolution): a direct loop by
// default, and a matrix-multiply form that may be faster on a real GPU. The
// benchmark tries both, so both are checked.
const CONVOLUTIONS = OP_CASES.filter((c) => /conv2d/i.test(c.name));

for (const opCase of CONVOLUTIONS) {
  Deno.test(
    `webgpu matches cpu with matrix-multiply input gradients: ${opCase.name}`,
    testOptions,
    async () => {
      await startWebGpu();
      const flag = "WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE";
      const expected = await runOn("cpu", opCase);
      tf.env().set(flag, false);
      try {
        const actual = await runOn("webgpu", opCase);
        assertClose(actual.output, expected.output, `${opCase.name} output`);
        expected.gradients.forEach((gradient, i) =>
          assertClose(
            actual.gradients[i],
            gradient,
            `${opCase.name} gradient of input ${i}`,
          )
        );
      } finally {
        tf.env().set(flag, true);
      }
    },
  );
}

for (const opCase of CONVOLUTIONS) {
  Deno.test(
    `webgpu matches cpu with the GEMM filter gradient: ${opCase.name}`,
    testOptions,
    async () => {
      await startWebGpu();
      const expected = await runOn("cpu", opCase);
      useGemmFilterGradient(true);
      try {
        const actual = await runOn("webgpu", opCase);
        assertClose(actual.output, expected.output, `${opCase.name} output`);
        expected.gradients.forEach((gradient, i) =>
          assertClose(
            actual.gradients[i],
            gradient,
            `${opCase.name} gradient of input ${i}`,
          )
        );
      } finally {
        useGemmFilterGradient(false);
      }
    },
  );
}

Deno.test("webgpu matches cpu: Adam updates", testOptions, async () => {
  await startWebGpu();
  const input = x([4, 3], 31);
  const target = x([4, 2], 32);
  const initial = weights([3, 2], 33);
  const train = async (backend: string) => {
    await tf.setBackend(backend);
    const w = tf.variable(tf.tensor(initial.values, initial.shape));
    const a = tf.tensor(input.values, input.shape);
    const t = tf.tensor(target.values, target.shape);
    const adam = tf.train.adam(2e-2, 0.5, 0.999);
    for (let step = 0; step < 3; step++) {
      adam.minimize(() => tf.mean(tf.squaredDifference(tf.matMul(a, w), t)));
    }
    const values = await w.data() as Float32Array;
    tf.dispose([w, a, t]);
    adam.dispose();
    return values;
  };
  const expected = await train("cpu");
  assertClose(await train("webgpu"), expected, "weights after 3 Adam steps");
  assert.ok(
    relativeError(expected, initial.values) > 1e-3,
    "Adam must have moved the weights",
  );
});

const TINY = {
  imageSize: 16,
  channelsA: 1,
  channelsB: 1,
  generatorFilters: 4,
  residualBlocks: 1,
  discriminatorFilters: 4,
  discriminatorLayers: 2,
  poolSize: 1,
  seed: 3,
} as const;

/** Two training steps on one backend, with tensor counts after each. */
async function trainTwice(
  backend: string,
): Promise<{ losses: StepLosses[]; counts: number[] }> {
  await tf.setBackend(backend);
  const model = CycleGAN.create(TINY);
  const shape: [number, number, number, number] = [
    1,
    TINY.imageSize,
    TINY.imageSize,
    1,
  ];
  const losses: StepLosses[] = [];
  const counts: number[] = [];
  for (let step = 0; step < 2; step++) {
    const a = randomInput(shape, 40 + step, 0.5);
    const b = randomInput(shape, 50 + step, 0.5);
    const [realA, realB] = tf.tidy(() =>
      [a, b].map((input) => tf.tanh(tf.tensor(input.values, shape)))
    ) as tf.Tensor4D[];
    losses.push(await model.trainStep(realA, realB));
    tf.dispose([realA, realB]);
    counts.push(tf.memory().numTensors);
  }
  model.dispose();
  return { losses, counts };
}

Deno.test(
  "webgpu matches cpu: two full training steps",
  testOptions,
  async () => {
    await startWebGpu();
    const expected = await trainTwice("cpu");
    const actual = await trainTwice("webgpu");
    for (let step = 0; step < 2; step++) {
      for (const [name, value] of Object.entries(expected.losses[step])) {
        const got = actual.losses[step][name as keyof StepLosses];
        assert.ok(Number.isFinite(got), `step ${step} ${name} must be finite`);
        assert.ok(
          Math.abs(got - value) <=
            RELATIVE_TOLERANCE * Math.max(1, Math.abs(value)),
          `step ${step} ${name}: webgpu ${got}, cpu ${value}`,
        );
      }
    }
    assert.ok(expected.losses[0].lossG > 0, "the generator loss is positive");
    assert.equal(
      actual.counts[1],
      actual.counts[0],
      "tensor count after step 2 equals the count after step 1 on webgpu",
    );
  },
);

Deno.test(
  "WebGPU survives switching backends and selecting it again",
  testOptions,
  async () => {
    await startWebGpu();
    const first = await selectBackend("webgpu");
    await selectBackend("cpu");
    assert.equal(tf.getBackend(), "cpu");
    const again = await selectBackend("webgpu");
    assert.equal(again.name, "webgpu", again.reason);
    assert.equal(again.adapter, first.adapter);
    assert.ok(await tf.setBackend("cpu"));
    assert.ok(await tf.setBackend("webgpu"), "setBackend('webgpu') after cpu");
    const sum = tf.add(tf.tensor([1, 2]), tf.tensor([3, 4]));
    assert.deepEqual(Array.from(await sum.data()), [4, 6]);
    sum.dispose();

    // Someone removing tfjs's backend must not stop a later selection: a new
    // device comes from a fresh adapter.
    tf.removeBackend("webgpu");
    const restarted = await selectBackend("webgpu");
    assert.equal(restarted.name, "webgpu", restarted.reason);
    const product = tf.mul(tf.tensor([2, 3]), tf.tensor([5, 7]));
    assert.deepEqual(Array.from(await product.data()), [10, 21]);
    product.dispose();
  },
);

Deno.test(
  "dataSync fails on WebGPU under Deno; data() works",
  testOptions,
  async () => {
    // Why lib/ reads tensors with `await t.data()` only: tfjs's synchronous
    // read on WebGPU needs a canvas, which Deno does not have.
    await startWebGpu();
    await tf.setBackend("webgpu");
    const t = tf.square(tf.tensor([2, 3]));
    const warn = console.warn;
    console.warn = () => {};
    try {
      assert.throws(() => t.dataSync(), /clearRect/);
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(Array.from(await t.data()), [4, 9]);
    t.dispose();
  },
);

Deno.test("lib/ never reads tensors synchronously", async () => {
  const offenders: string[] = [];
  const walk = async (dir: URL) => {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await walk(url);
      else if (entry.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(url);
        text.split("\n").forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, "");
          if (/\.(dataSync|arraySync)\s*\(/.test(code)) {
            offenders.push(`${url.pathname}:${i + 1}`);
          }
        });
      }
    }
  };
  await walk(new URL("../lib/", import.meta.url));
  assert.deepEqual(offenders, [], "use await t.data() / t.array() instead");
});

Deno.test(
  "a checkpoint saved on WebGPU resumes to the same next step",
  testOptions,
  async () => {
    // Saving reads every weight and optimizer slot back from the GPU, so
    // this also checks that nothing on that path reads synchronously.
    await startWebGpu();
    await tf.setBackend("webgpu");
    const folder = await Deno.makeTempDir({ prefix: "webgpu_checkpoint_" });
    const shape: [number, number, number, number] = [
      1,
      TINY.imageSize,
      TINY.imageSize,
      1,
    ];
    const [realA, realB] = tf.tidy(() =>
      [61, 62].map((seed) =>
        tf.tanh(tf.tensor(randomInput(shape, seed).values, shape))
      )
    ) as tf.Tensor4D[];
    const model = CycleGAN.create(TINY);
    let restored: CycleGAN | undefined;
    try {
      await model.trainStep(realA, realB);
      await saveCheckpoint(model, folder, { epoch: 0, batchInEpoch: 1 });
      restored = (await loadCheckpoint(folder)).model;
      assert.equal(restored.step, 1);
      const next = await model.trainStep(realA, realB);
      const resumed = await restored.trainStep(realA, realB);
      for (const [name, value] of Object.entries(next)) {
        const got = resumed[name as keyof StepLosses];
        assert.ok(
          Math.abs(got - value) <=
            RELATIVE_TOLERANCE * Math.max(1, Math.abs(value)),
          `resumed ${name}: ${got}, uninterrupted ${value}`,
        );
      }
    } finally {
      model.dispose();
      restored?.dispose();
      tf.dispose([realA, realB]);
      await Deno.remove(folder, { recursive: true });
    }
  },
);

Deno.test(
  "a lost device is replaced at the next selection",
  testOptions,
  async () => {
    await startWebGpu();
    await selectBackend("webgpu");
    const lostOne = (tf.findBackend("webgpu") as unknown as {
      device: GPUDevice;
    }).device;
    lostOne.destroy();
    const info = await lostOne.lost;
    assert.equal(info.reason, "destroyed");

    const report = await selectBackend("webgpu");
    assert.equal(report.name, "webgpu", report.reason);
    const fresh = (tf.findBackend("webgpu") as unknown as {
      device: GPUDevice;
    }).device;
    assert.notEqual(fresh, lostOne, "a new device");
    const sum = tf.add(tf.tensor([1, 2]), tf.tensor([3, 4]));
    assert.deepEqual(Array.from(await sum.data()), [4, 6]);
    sum.dispose();
  },
);

Deno.test(
  "a used adapter is never asked for a second device",
  testOptions,
  async () => {
    // WebGPU lets an adapter create one device; some implementations refuse
    // a second ("the adapter cannot be reused"). This stand-in refuses too.
    await startWebGpu();
    let adapters = 0;
    const gpu = {
      async requestAdapter(options?: GPURequestAdapterOptions) {
        const real = await navigator.gpu.requestAdapter(options);
        if (!real) return null;
        adapters += 1;
        let used = false;
        return new Proxy(real, {
          get(target, property) {
            if (property !== "requestDevice") {
              const value = Reflect.get(target, property, target);
              return typeof value === "function" ? value.bind(target) : value;
            }
            return (descriptor: GPUDeviceDescriptor) => {
              if (used) {
                return Promise.reject(
                  new Error("the adapter cannot be reused"),
                );
              }
              used = true;
              return target.requestDevice(descriptor);
            };
          },
        });
      },
    };
    for (let i = 0; i < 3; i++) {
      const report = await selectBackend("webgpu", { gpu });
      assert.equal(report.name, "webgpu", report.reason);
      await selectBackend("cpu");
    }
    assert.equal(adapters, 1, "a running backend is reused, not restarted");

    tf.removeBackend("webgpu");
    const restarted = await selectBackend("webgpu", { gpu });
    assert.equal(restarted.name, "webgpu", restarted.reason);
    assert.equal(adapters, 2, "a restart asks for a fresh adapter");
    const sum = tf.add(tf.tensor([1]), tf.tensor([2]));
    assert.deepEqual(Array.from(await sum.data()), [3]);
    sum.dispose();
  },
);

/**
 * The real adapter, seen through a stand-in that lists no optional
 * features: what a GPU without `timestamp-query` looks like to tfjs.
 */
function adapterWithoutFeatures(adapter: GPUAdapter): GPUAdapter {
  return new Proxy(adapter, {
    get(target, property) {
      if (property === "features") return new Set<string>();
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

Deno.test(
  "WebGPU trains on an adapter without tfjs's optional features",
  testOptions,
  async () => {
    await startWebGpu();
    let asked: GPUDeviceDescriptor | undefined;
    const gpu = {
      async requestAdapter(options?: GPURequestAdapterOptions) {
        const real = await navigator.gpu.requestAdapter(options);
        if (!real) return null;
        const bare = adapterWithoutFeatures(real);
        return new Proxy(bare, {
          get(target, property) {
            if (property !== "requestDevice") {
              return Reflect.get(target, property);
            }
            return (descriptor: GPUDeviceDescriptor) => {
              asked = descriptor;
              return real.requestDevice(descriptor);
            };
          },
        });
      },
    };
    const report = await selectBackend("webgpu", { gpu });
    assert.equal(report.name, "webgpu", report.reason);
    assert.deepEqual(asked?.requiredFeatures, []);
    const opCase = OP_CASES[0];
    const expected = await runOn("cpu", opCase);
    const actual = await runOn("webgpu", opCase);
    assertClose(actual.output, expected.output, "conv2d on the bare device");
  },
);
