/**
 * Writing a volume back as NIfTI-1, with the geometry of the file it came
 * from: the source header is copied (orientation, voxel size, qform and
 * sform, description) and only the data type and scaling are changed to
 * plain float32. nifti-reader-js reads NIfTI but does not write it, and the
 * format's writing side is small enough to keep here.
 *
 * @module
 */
import { gunzipSync, gzipSync } from "fflate";

const NIFTI1_HEADER = 348;
const DATA_OFFSET = 352;
const FLOAT32 = 16;

/** The raw 348-byte NIfTI-1 header of a .nii or .nii.gz file. */
export function niftiHeaderBytes(bytes: Uint8Array, path: string): Uint8Array {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b
    ? gunzipSync(bytes)
    : bytes;
  if (raw.length < NIFTI1_HEADER) {
    throw new Error(
      `${path}: too short for a NIfTI-1 header (${raw.length} bytes, need 348)`,
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, NIFTI1_HEADER);
  const little = view.getInt32(0, true) === NIFTI1_HEADER;
  // Limitation: only NIfTI-1 headers are written back; a NIfTI-2 input
  // (540-byte header, 64-bit dims) is read but not written.
  if (!little && view.getInt32(0, false) !== NIFTI1_HEADER) {
    throw new Error(
      `${path}: not a NIfTI-1 file (sizeof_hdr is not 348); only NIfTI-1 can be written back`,
    );
  }
  return raw.slice(0, NIFTI1_HEADER);
}

/**
 * A NIfTI-1 file holding `data` (float32, x fastest, `dims` voxels) with
 * the geometry of `sourceHeader`. Gzipped when `gzip` is true (.nii.gz).
 */
export function encodeNifti(
  sourceHeader: Uint8Array,
  dims: [number, number, number],
  data: Float32Array,
  gzip = false,
): Uint8Array {
  if (data.length !== dims[0] * dims[1] * dims[2]) {
    throw new RangeError(
      `Volume data has ${data.length} values, dims ${dims.join("x")} need ${
        dims[0] * dims[1] * dims[2]
      }`,
    );
  }
  const out = new Uint8Array(DATA_OFFSET + data.length * 4);
  out.set(sourceHeader.subarray(0, NIFTI1_HEADER));
  const view = new DataView(out.buffer);
  const little = view.getInt32(0, true) === NIFTI1_HEADER;
  view.setInt16(40, 3, little); // dim[0]: three dimensions
  dims.forEach((n, i) => view.setInt16(42 + 2 * i, n, little));
  for (let i = 3; i < 7; i++) view.setInt16(42 + 2 * i, 1, little);
  view.setInt16(70, FLOAT32, little); // datatype
  view.setInt16(72, 32, little); // bitpix
  view.setFloat32(108, DATA_OFFSET, little); // vox_offset
  view.setFloat32(112, 1, little); // scl_slope
  view.setFloat32(116, 0, little); // scl_inter
  view.setFloat32(124, 0, little); // cal_max
  view.setFloat32(128, 0, little); // cal_min
  out.set([0x6e, 0x2b, 0x31, 0x00], 344); // magic "n+1"
  const body = new DataView(out.buffer, DATA_OFFSET);
  for (let i = 0; i < data.length; i++) body.setFloat32(i * 4, data[i], little);
  return gzip ? gzipSync(out) : out;
}
