/**
 * Tests for NIfTI volumes as slices: real T1w volumes from Debian's
 * mricron-data, the ICBM152 T1w/T2w pair under ../shared/data/mri/, and
 * small volumes written here to probe each rule and each bad input.
 */
import assert from "node:assert/strict";
import { gzipSync } from "fflate";
import {
  intensityRange,
  keptSliceIndices,
  NiftiError,
  openNiftiFolderDataset,
  openNiftiVolumeFolders,
  parseNifti,
  readNiftiVolume,
  volumeSlices,
  voxelAxis,
} from "../datasets/nifti.ts";
import { openDataset } from "../datasets/mod.ts";
import type { DatasetWarning } from "../datasets/folder.ts";

const CH2 = "/usr/share/mricron/templates/ch2.nii.gz";
const CH2_BET = "/usr/share/mricron/templates/ch2bet.nii.gz";
const AVG152_T1 =
  new URL("../../shared/data/mri/avg152T1.nii", import.meta.url).pathname;
const AVG152_T2 =
  new URL("../../shared/data/mri/avg152T2.nii", import.meta.url).pathname;

interface VolumeSpec {
  dims: [number, number, number];
  /** Voxel values, x fastest. */
  values: (x: number, y: number, z: number) => number;
  datatype?: 2 | 4 | 16;
  spacing?: [number, number, number];
  slope?: number;
  intercept?: number;
  /** Rows of the voxel-to-world matrix (sform); identity by default. */
  sform?: number[][];
}

/** Writes a single-file NIfTI-1 volume (.nii) in memory. */
function niftiBytes(spec: VolumeSpec): Uint8Array {
  const [nx, ny, nz] = spec.dims;
  const datatype = spec.datatype ?? 16;
  const bytesPer = { 2: 1, 4: 2, 16: 4 }[datatype];
  const buffer = new ArrayBuffer(352 + nx * ny * nz * bytesPer);
  const view = new DataView(buffer);
  view.setInt32(0, 348, true);
  [3, nx, ny, nz, 1, 1, 1, 1].forEach((d, i) =>
    view.setInt16(40 + 2 * i, d, true)
  );
  view.setInt16(70, datatype, true);
  view.setInt16(72, bytesPer * 8, true);
  [1, ...(spec.spacing ?? [1, 1, 1]), 1, 1, 1, 1].forEach((d, i) =>
    view.setFloat32(76 + 4 * i, d, true)
  );
  view.setFloat32(108, 352, true);
  view.setFloat32(112, spec.slope ?? 1, true);
  view.setFloat32(116, spec.intercept ?? 0, true);
  view.setInt16(254, 1, true);
  const sform = spec.sform ?? [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]];
  sform.forEach((row, r) =>
    row.forEach((v, c) => view.setFloat32(280 + 16 * r + 4 * c, v, true))
  );
  new Uint8Array(buffer).set([0x6e, 0x2b, 0x31, 0], 344);
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const value = spec.values(x, y, z);
        const at = 352 + i++ * bytesPer;
        if (datatype === 2) view.setUint8(at, value);
        else if (datatype === 4) view.setInt16(at, value, true);
        else view.setFloat32(at, value, true);
      }
    }
  }
  return new Uint8Array(buffer);
}

/** A head-like blob: a disc per slice, radius varying with z, zero outside. */
function blob(size: number, slices: number, emptyBelow = 0): VolumeSpec {
  return {
    dims: [size, size, slices],
    values: (x, y, z) => {
      if (z < emptyBelow) return 0;
      const r = Math.hypot(x - size / 2, y - size / 2);
      return r < size * 0.35 ? 100 + 50 * Math.sin(x / 2) + z : 0;
    },
  };
}

async function tempLayout(files: Record<string, Uint8Array>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "cyclegan_nifti_" });
  for (const [path, bytes] of Object.entries(files)) {
    const full = `${root}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(full, bytes);
  }
  return root;
}

Deno.test("real T1w volumes from mricron-data load and slice", async () => {
  for (const path of [CH2, CH2_BET]) {
    const volume = await readNiftiVolume(path);
    assert.deepEqual(volume.dims, [181, 217, 181]);
    assert.equal(voxelAxis(volume, "axial"), 2);
    const slices = volumeSlices(volume, { size: 64, range: [0.3, 0.7] });
    assert.ok(slices.length > 40, `${path}: ${slices.length} slices kept`);
    for (const { image } of slices) {
      assert.equal(image.height, 64);
      assert.equal(image.width, 64);
      assert.ok(image.data.every((v) => v >= -1 && v <= 1));
    }
  }
  // ch2bet has its skull stripped: more empty slices at the ends are dropped.
  const full = keptSliceIndices(await readNiftiVolume(CH2), { size: 32 });
  const brain = keptSliceIndices(await readNiftiVolume(CH2_BET), { size: 32 });
  assert.ok(brain.length < full.length);
});

Deno.test("the ICBM152 T1w/T2w pair trains unpaired and tests as aligned pairs", async () => {
  const t1 = await Deno.readFile(AVG152_T1);
  const t2 = await Deno.readFile(AVG152_T2);
  const root = await tempLayout({
    "trainA/avg152T1.nii": t1,
    "trainB/avg152T2.nii.gz": gzipSync(t2),
    "testA/avg152T1.nii": t1,
    "testB/avg152T2.nii": t2,
  });
  try {
    const dataset = await openDataset(root, {
      size: 32,
      volumes: { range: [0.2, 0.8] },
    });
    assert.equal(dataset.channelsA, 1);
    assert.ok(dataset.trainCount.a > 40 && dataset.trainCount.b > 40);
    const pairs = await dataset.testPairs!(6);
    assert.deepEqual(pairs.a.shape, [6, 32, 32, 1]);
    // Aligned: both contrasts outline the same head in every pair.
    const pixels = 32 * 32;
    for (let i = 0; i < 6; i++) {
      let both = 0;
      let either = 0;
      for (let p = 0; p < pixels; p++) {
        const inA = pairs.a.data[i * pixels + p] > -0.7;
        const inB = pairs.b.data[i * pixels + p] > -0.7;
        both += inA && inB ? 1 : 0;
        either += inA || inB ? 1 : 0;
      }
      assert.ok(
        both / either > 0.7,
        `pair ${i}: head overlap ${both / either}`,
      );
    }
    let count = 0;
    for await (
      const { a, b } of dataset.batches({ epoch: 0, batchSize: 4, seed: 1 })
    ) {
      assert.deepEqual(a.shape, [4, 32, 32, 1]);
      assert.deepEqual(b.shape, [4, 32, 32, 1]);
      if (++count === 3) break;
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("empty and constant slices are dropped; scaling and percentiles are robust", () => {
  const spec = blob(24, 12, 3);
  const withConstant = {
    ...spec,
    values: (x: number, y: number, z: number) =>
      z === 3 ? 7 : spec.values(x, y, z),
  };
  const volume = parseNifti(
    niftiBytes({ ...withConstant, slope: 2, intercept: 10 }),
    "blob.nii",
  );
  assert.equal(volume.data[0], 10, "scl_slope and scl_inter are applied");
  assert.deepEqual(keptSliceIndices(volume, { size: 16 }), [
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
  ]);
  assert.deepEqual(keptSliceIndices(volume, { size: 16, range: [0.5, 1] }), [
    6,
    7,
    8,
    9,
    10,
    11,
  ]);
  for (const { image } of volumeSlices(volume, { size: 16 })) {
    assert.ok(image.data.every(Number.isFinite));
  }

  // One hot voxel must not squash everything else into the dark end.
  const hot = parseNifti(
    niftiBytes({
      ...spec,
      values: (x, y, z) =>
        x === 1 && y === 1 && z === 5 ? 1e6 : spec.values(x, y, z),
    }),
    "hot.nii",
  );
  const [low, high] = intensityRange(hot);
  assert.equal(low, 0);
  assert.ok(high < 300, `top of range ${high}`);
});

Deno.test("slices keep their physical aspect ratio and follow the affine", () => {
  // 20 x 10 voxels of 1 x 2 mm: a 20 x 20 mm field of view, one voxel of
  // background around a bright block. Fitted into a square, the block must
  // be as tall as it is wide.
  const square = parseNifti(
    niftiBytes({
      dims: [20, 10, 3],
      spacing: [1, 2, 1],
      values: (x, y) => x > 0 && x < 19 && y > 0 && y < 9 ? 100 + x : 0,
    }),
    "aniso.nii",
  );
  const [slice] = volumeSlices(square, { size: 40 });
  const inside = (x: number, y: number) => slice.image.data[y * 40 + x] > -0.5;
  let wide = 0;
  let tall = 0;
  for (let k = 0; k < 40; k++) {
    wide += inside(k, 20) ? 1 : 0;
    tall += inside(20, k) ? 1 : 0;
  }
  assert.ok(Math.abs(wide - tall) <= 2, `block is ${wide} wide, ${tall} tall`);
  assert.ok(wide > 30);

  // Voxel axis 0 points to world z (superior): axial slices cut along it.
  const rotated = parseNifti(
    niftiBytes({
      dims: [6, 8, 10],
      values: () => 1,
      sform: [[0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0]],
    }),
    "rotated.nii",
  );
  assert.equal(voxelAxis(rotated, "axial"), 0);
  assert.equal(voxelAxis(rotated, "sagittal"), 2);
  assert.equal(voxelAxis(rotated, 1), 1);
  assert.throws(
    () => voxelAxis(rotated, "oblique" as "axial"),
    /Slice axis must be "axial"/,
  );
});

Deno.test("bad NIfTI files raise errors naming the file and what was expected", async () => {
  const good = niftiBytes(blob(8, 4));
  const wrongMagic = good.slice();
  wrongMagic.set([0x78, 0x78, 0x78, 0], 344);
  const wrongSize = good.slice();
  new DataView(wrongSize.buffer).setInt32(0, 1234, true);
  const rgb = good.slice();
  new DataView(rgb.buffer).setInt16(70, 128, true);
  const noDims = good.slice();
  new DataView(noDims.buffer).setInt16(40, 0, true);
  const cases: [Uint8Array, RegExp][] = [
    [
      wrongMagic,
      /expected a NIfTI-1 or NIfTI-2 header .* got sizeof_hdr 348 and magic "xxx"/,
    ],
    [wrongSize, /expected a NIfTI-1 or NIfTI-2 header .*sizeof_hdr 1234/],
    [good.slice(0, 100), /only 100 bytes/],
    [
      good.slice(0, good.length - 10),
      /truncated: 8x8x4 float32 voxels need 1376 bytes, the file has 1366/,
    ],
    [gzipSync(good).slice(0, 60), /corrupt or truncated gzip data/],
    [rgb, /data type 128 is not supported/],
    [noDims, /header dims must describe a volume/],
  ];
  for (const [bytes, expected] of cases) {
    assert.throws(
      () => parseNifti(bytes, "bad.nii"),
      (error: Error) =>
        error instanceof NiftiError &&
        error.message.startsWith("Cannot read NIfTI volume bad.nii: ") &&
        expected.test(error.message),
    );
  }
  await assert.rejects(
    () => readNiftiVolume("/no/such.nii.gz"),
    /\/no\/such\.nii\.gz: file not found/,
  );
});

Deno.test("a bad volume among good ones is skipped with a warning", async () => {
  const good = niftiBytes(blob(16, 6));
  const root = await tempLayout({
    "trainA/one.nii": good,
    "trainA/two.nii.gz": gzipSync(good),
    "trainA/broken.nii": good.slice(0, 400),
    "trainB/b.nii": good,
  });
  try {
    const warnings: DatasetWarning[] = [];
    const dataset = await openNiftiFolderDataset(root, {
      size: 16,
      onWarning: (w) => warnings.push(w),
    });
    assert.equal(dataset.skippedCount, 1);
    const skipped = warnings.filter((w) => w.message.startsWith("skipped"));
    assert.equal(skipped.length, 1);
    assert.match(skipped[0].path, /broken\.nii$/);
    assert.match(skipped[0].message, /truncated/);
    assert.equal(dataset.trainCount.a, 2 * dataset.trainCount.b);
    assert.equal(
      dataset.testPairs,
      undefined,
      "test falls back to training, unpaired",
    );

    const allBroken = await tempLayout({
      "trainA/x.nii": good.slice(0, 10),
      "trainB/b.nii": good,
    });
    try {
      await assert.rejects(
        () =>
          openNiftiFolderDataset(allBroken, { size: 16, onWarning: () => {} }),
        /No usable NIfTI slices for trainA: all 1 volume\(s\) were unreadable or empty/,
      );
    } finally {
      await Deno.remove(allBroken, { recursive: true });
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("two folders of volumes (IXI style) split into train and test", async () => {
  const root = await tempLayout({
    "T1/s1.nii": niftiBytes(blob(16, 5)),
    "T1/s2.nii": niftiBytes(blob(16, 7)),
    "T2/s1.nii": niftiBytes(blob(16, 6)),
    "T2/s2.nii": niftiBytes(blob(16, 5)),
    "empty/readme.txt": new Uint8Array(1),
  });
  try {
    const dataset = await openNiftiVolumeFolders(`${root}/T1`, `${root}/T2`, {
      size: 16,
      testFraction: 0.5,
      onWarning: () => {},
    });
    assert.deepEqual(dataset.trainCount, { a: 5, b: 6 });
    assert.deepEqual(dataset.testCount, { a: 7, b: 5 });
    assert.equal(dataset.testPairs, undefined, "different grids do not pair");
    await assert.rejects(
      () => openNiftiVolumeFolders(`${root}/T1`, `${root}/empty`),
      /Folder .*empty holds no NIfTI volumes \(\.nii, \.nii\.gz\)/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
