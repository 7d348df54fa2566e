import assert from "node:assert/strict";
import { parseNifti } from "../datasets/nifti.ts";
import { decodeImage } from "../lib/image_io.ts";
import {
  inRepo,
  runTask,
  samplePhoto,
  scratchRun,
  TINY_FLAGS,
} from "./cli_helpers.ts";

const MRICRON_T1 = "/usr/share/mricron/templates/ch2bet.nii.gz";
const SHARED_T1 = inRepo("../shared/data/mri/avg152T1.nii");

// One tiny model trained on the embedded default serves every test here.
const run = scratchRun("translate-model");
const trained = await runTask("train", [
  ...TINY_FLAGS,
  "--train-count",
  "2",
  "--epochs",
  "1",
  "--decay-epochs",
  "0",
  "--out",
  run,
]);
if (trained.code !== 0) {
  throw new Error(`training the test model failed:\n${trained.stderr}`);
}

Deno.test("translate a real T1-weighted volume (mricron ch2bet) into a NIfTI with its geometry", async () => {
  const out = scratchRun("translated");
  const result = await runTask("translate", [
    "--backend",
    "wasm",
    "--checkpoint",
    run,
    "--input",
    MRICRON_T1,
    "--output",
    out,
  ]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /Translated \d+ of \d+ axial slices/);
  const input = parseNifti(await Deno.readFile(MRICRON_T1), MRICRON_T1);
  const outputPath = inRepo(`${out}/ch2bet_AtoB.nii.gz`);
  const output = parseNifti(await Deno.readFile(outputPath), outputPath);
  assert.deepEqual(output.dims, input.dims);
  assert.deepEqual(output.spacing, input.spacing);
  assert.deepEqual(output.affine, input.affine);
  let nonZero = 0;
  for (const v of output.data) {
    assert.ok(v >= 0 && v <= 1, `value ${v} outside [0, 1]`);
    if (v > 0) nonZero++;
  }
  assert.ok(
    nonZero > output.data.length * 0.1,
    "the brain slices were filled in",
  );
  await Deno.remove(inRepo(out), { recursive: true });
});

Deno.test("translate the real ICBM152 T1w average (shared data) as .nii", async () => {
  const out = scratchRun("translated");
  const result = await runTask("translate", [
    "--backend",
    "wasm",
    "--checkpoint",
    run,
    "--input",
    SHARED_T1,
    "--output",
    out,
  ]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const input = parseNifti(await Deno.readFile(SHARED_T1), SHARED_T1);
  const output = parseNifti(
    await Deno.readFile(inRepo(`${out}/avg152T1_AtoB.nii`)),
    "out",
  );
  assert.deepEqual(output.dims, [91, 109, 91]);
  assert.deepEqual(output.affine, input.affine);
  await Deno.remove(inRepo(out), { recursive: true });
});

Deno.test("translate images and folders; a colour photo for a grey model needs --convert-channels", async () => {
  const out = scratchRun("translated");
  const photo = samplePhoto("camera.png");
  const single = await runTask("translate", [
    "--backend",
    "wasm",
    "--checkpoint",
    run,
    "--input",
    photo,
    "--output",
    out,
  ]);
  assert.equal(single.code, 0, single.stderr);
  const image = decodeImage(
    await Deno.readFile(inRepo(`${out}/camera_AtoB.png`)),
    "out",
  );
  assert.equal(
    Math.max(image.width, image.height),
    32,
    "scaled to the training size",
  );
  assert.equal(image.channels, 1);

  const colour = samplePhoto("chelsea.png");
  const refused = await runTask("translate", [
    "--backend",
    "wasm",
    "--checkpoint",
    run,
    "--input",
    colour,
    "--output",
    out,
  ]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /chelsea\.png has 3 channel\(s\) \(colour\), the AtoB generator expects grey input; pass --convert-channels/,
  );
  const converted = await runTask("translate", [
    "--backend",
    "wasm",
    "--checkpoint",
    run,
    "--input",
    colour,
    "--output",
    out,
    "--convert-channels",
    "--direction",
    "BtoA",
    "--fit",
    "native",
  ]);
  assert.equal(converted.code, 0, converted.stderr);
  const native = decodeImage(
    await Deno.readFile(inRepo(`${out}/chelsea_BtoA.png`)),
    "out",
  );
  assert.deepEqual(
    [native.width, native.height],
    [451, 300],
    "native size kept",
  );
  await Deno.remove(inRepo(out), { recursive: true });
});

Deno.test("translate rejects a missing checkpoint, a missing input and an unknown file type", async () => {
  const missingCheckpoint = await runTask("translate", [
    "--backend",
    "cpu",
    "--checkpoint",
    "runs/none",
    "--input",
    SHARED_T1,
  ]);
  assert.equal(missingCheckpoint.code, 2);
  assert.match(missingCheckpoint.stderr, /No checkpoint found at runs\/none/);
  const missingInput = await runTask("translate", [
    "--backend",
    "cpu",
    "--checkpoint",
    run,
    "--input",
    "nothing.nii",
  ]);
  assert.equal(missingInput.code, 2);
  assert.match(missingInput.stderr, /Input nothing.nii does not exist/);
  const text = await runTask("translate", [
    "--backend",
    "cpu",
    "--checkpoint",
    run,
    "--input",
    "deno.json",
    "--output",
    scratchRun("x"),
  ]);
  assert.equal(text.code, 1, text.stderr);
  assert.match(
    text.stderr,
    /deno.json is neither an image \(.png, .jpg, .jpeg\) nor a NIfTI volume/,
  );
  await Deno.remove(inRepo(run), { recursive: true });
});
