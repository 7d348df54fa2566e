import assert from "node:assert/strict";
import { decodeImage } from "../lib/image_io.ts";
import { readLossRows } from "../cli/run_folder.ts";
import {
  inRepo,
  runTask,
  samplePhoto,
  scratchRun,
  taskCommand,
  TINY_FLAGS,
} from "./cli_helpers.ts";

const EPOCH_FLAGS = [
  "--train-count",
  "3",
  "--epochs",
  "1",
  "--decay-epochs",
  "1",
];

async function latestStep(run: string): Promise<number> {
  const name = (await Deno.readTextFile(inRepo(`${run}/checkpoints/latest`)))
    .trim();
  return Number(name.replace("step-", ""));
}

Deno.test("train writes the whole run folder on the embedded default", async () => {
  const run = scratchRun("train");
  const result = await runTask("train", [
    ...TINY_FLAGS,
    ...EPOCH_FLAGS,
    "--out",
    run,
  ]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /^Backend: wasm/m);
  assert.match(
    result.stdout,
    /Data: mri-phantom: 3 train A, 3 train B, 16 test A, 16 test B; 1->1 channel\(s\), 32 px/,
  );
  assert.match(result.stdout, /Model: generators 0\.\d\dM parameters each/);
  assert.match(
    result.stdout,
    /Epoch 2\/2 done at step 6 .*PSNR [\d.]+ dB \(untranslated [\d.]+\)/,
  );
  const rows = await readLossRows(inRepo(run));
  assert.deepEqual(rows.map((r) => r.step), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(
    rows.map((r) => r.epoch),
    [1, 1, 1, 2, 2, 2],
    "epochs count from 1, as in the log",
  );
  const labelled = await Deno.readTextFile(inRepo(`${run}/samples/latest.svg`));
  for (
    const label of [
      "real A",
      "fake B",
      "cycled A",
      "real B",
      "fake A",
      "cycled B",
    ]
  ) {
    assert.ok(labelled.includes(`>${label}<`), `sample sheet labels ${label}`);
  }
  const metrics = (await Deno.readTextFile(inRepo(`${run}/metrics.csv`))).trim()
    .split("\n");
  assert.equal(metrics.length, 3, "header + one row per epoch");
  assert.match(
    metrics[0],
    /^epoch,step,psnr,ssim,mae,baseline_psnr,baseline_ssim,baseline_mae$/,
  );
  const svg = await Deno.readTextFile(inRepo(`${run}/losses.svg`));
  assert.match(
    svg,
    /^<\?xml[\s\S]*<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*lossG/,
  );
  const grid = decodeImage(
    await Deno.readFile(inRepo(`${run}/samples/epoch-002.png`)),
    "grid",
  );
  // 6 rows (real A, fake B, cycled A, real B, fake A, cycled B) of 2 images.
  assert.equal(grid.height, 2 + 6 * (32 + 2));
  assert.equal(grid.width, 2 + 2 * (32 + 2));
  const config = JSON.parse(
    await Deno.readTextFile(inRepo(`${run}/config.json`)),
  );
  assert.equal(config.imageSize, 32);
  assert.equal(await latestStep(run), 6);
  await Deno.remove(inRepo(run), { recursive: true });
});

Deno.test("bad flags stop with a clear error and exit code 2", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--size", "30"],
      /image sizes must be multiples of 4, got 30; nearest valid: 28 or 32/,
    ],
    [["--epochs", "-1"], /--epochs.*expected a whole number >= 0, got "-1"/],
    [["--bogus"], /unknown option '--bogus'/],
    [["--loss", "wgan"], /Allowed choices are lsgan, bce/],
    [["--data", "no/such/folder"], /Unknown data set "no\/such\/folder"/],
    [
      ["--out", "/tmp/elsewhere"],
      /Cannot write to \/tmp\/elsewhere: this command may only write under runs\//,
    ],
    [
      ["--resume", "runs/does-not-exist"],
      /Cannot resume from runs\/does-not-exist/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const result = await runTask("train", ["--backend", "cpu", ...args]);
    assert.equal(result.code, 2, `${args.join(" ")}: exit ${result.code}`);
    assert.match(result.stderr, pattern, `${args.join(" ")}: ${result.stderr}`);
  }
  const help = await runTask("train", ["--help"]);
  assert.equal(help.code, 0);
  for (
    const flag of [
      "--data",
      "--out",
      "--size",
      "--epochs",
      "--max-steps",
      "--resume",
      "--seed",
      "--backend",
    ]
  ) {
    assert.ok(help.stdout.includes(flag), `--help lists ${flag}`);
  }
});

Deno.test("a hard kill loses at most one checkpoint interval, and --resume finishes the run", async () => {
  const run = scratchRun("kill");
  const child = taskCommand("train", [
    ...TINY_FLAGS,
    ...EPOCH_FLAGS,
    "--train-count",
    "6",
    "--checkpoint-every",
    "2",
    "--out",
    run,
  ]).spawn();
  // Wait for a mid-epoch checkpoint, then kill without warning.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      if ((await latestStep(run)) >= 2) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  await child.output();
  const saved = await latestStep(run);
  assert.ok(saved >= 2, "a checkpoint was written before the kill");
  const rowsBefore = await readLossRows(inRepo(run));
  assert.ok(
    rowsBefore.length - saved <= 2,
    `lost ${rowsBefore.length - saved} steps, more than one interval`,
  );

  const resumed = await runTask("train", [
    "--backend",
    "wasm",
    "--resume",
    run,
  ]);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stdout, new RegExp(`Resuming ${run} at step ${saved}`));
  const rows = await readLossRows(inRepo(run));
  assert.deepEqual(
    rows.map((r) => r.step),
    Array.from({ length: 12 }, (_, i) => i + 1),
    "each step once",
  );
  assert.equal(await latestStep(run), 12);
  await Deno.remove(inRepo(run), { recursive: true });
});

Deno.test("Ctrl-C writes a checkpoint and exits cleanly (130)", async () => {
  const run = scratchRun("sigint");
  const child = taskCommand("train", [
    ...TINY_FLAGS,
    "--train-count",
    "50",
    "--epochs",
    "1",
    "--decay-epochs",
    "0",
    "--out",
    run,
  ]).spawn();
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const rows = await readLossRows(inRepo(run)).catch(() => []);
    if (rows.length >= 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // deno task runs the program as a child: signal the whole process group
  // as a terminal's Ctrl-C would.
  new Deno.Command("pkill", { args: ["-INT", "-f", `cli/train.ts .*${run}`] })
    .outputSync();
  const output = await child.output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(
    output.code,
    130,
    stdout + new TextDecoder().decode(output.stderr),
  );
  assert.match(
    stdout,
    /Interrupted at step \d+; checkpoint saved\. Continue with: deno task train --resume/,
  );
  const rows = await readLossRows(inRepo(run));
  assert.equal(
    await latestStep(run),
    rows.at(-1)!.step,
    "checkpoint is at the last logged step",
  );
  assert.ok(rows.length < 50, "stopped early");
  await Deno.remove(inRepo(run), { recursive: true });
});

Deno.test("train runs a few steps on a folder of real JPEG and PNG photos", async () => {
  const data = scratchRun("photos");
  for (
    const [folder, files] of Object.entries({
      trainA: ["rocket.jpg", "hubble_deep_field.jpg", "retina.jpg"],
      trainB: ["astronaut.png", "chelsea.png", "coffee.png"],
      testA: ["rocket.jpg"],
      testB: ["chelsea.png"],
    })
  ) {
    await Deno.mkdir(inRepo(`${data}/${folder}`), { recursive: true });
    for (const file of files) {
      await Deno.copyFile(
        samplePhoto(file),
        inRepo(`${data}/${folder}/${file}`),
      );
    }
  }
  const run = `${data}-run`;
  const result = await runTask("train", [
    ...TINY_FLAGS,
    "--data",
    data,
    "--max-steps",
    "2",
    "--out",
    run,
  ]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(
    result.stdout,
    /3 train A, 3 train B, 1 test A, 1 test B; 3->3 channel\(s\), 32 px/,
  );
  assert.match(result.stdout, /Stopped at --max-steps: step 2/);
  assert.equal(await latestStep(run), 2);
  const grid = decodeImage(
    await Deno.readFile(inRepo(`${run}/samples/latest.png`)),
    "grid",
  );
  assert.equal(grid.channels, 3);
  await Deno.remove(inRepo(data), { recursive: true });
  await Deno.remove(inRepo(run), { recursive: true });
});
