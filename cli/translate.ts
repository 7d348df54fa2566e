/**
 * `deno task translate`: translate images or MRI volumes with a trained
 * generator.
 *
 *   deno task translate --checkpoint runs/NAME --input PATH --output DIR
 *
 * PATH may be one PNG/JPEG image, a folder of them, or a NIfTI volume
 * (.nii, .nii.gz), which is translated slice by slice and written back as
 * NIfTI with the original header's geometry.
 *
 * @module
 */
import { Command, Option } from "commander";
import { tf } from "../lib/tf.ts";
import { type BackendChoice, selectBackend } from "../lib/backend.ts";
import { loadGenerator } from "../lib/checkpoint.ts";
import type { CycleGANConfig } from "../lib/config.ts";
import { decodeImage, encodePng, toFloatPixels } from "../lib/image_io.ts";
import { cropOrPad, type FloatImage, resize } from "../datasets/preprocess.ts";
import {
  intensityRange,
  keptSliceIndices,
  type NiftiVolume,
  parseNifti,
  voxelAxis,
} from "../datasets/nifti.ts";
import { isImageName, isNiftiName } from "../datasets/folder.ts";
import { encodeNifti, niftiHeaderBytes } from "../datasets/nifti_write.ts";
import {
  backendOption,
  canWrite,
  giveMesaARuntimeDir,
  parseOrExitCode,
} from "./args.ts";

type Direction = "AtoB" | "BtoA";

function buildCommand(): Command {
  return new Command()
    .name("deno task translate")
    .description(
      "Translate images or NIfTI volumes with a trained CycleGAN generator.",
    )
    .requiredOption(
      "--checkpoint <dir>",
      "run folder (its latest checkpoint) or a checkpoint folder",
    )
    .requiredOption(
      "--input <path>",
      "a PNG/JPEG image, a folder of them, or a NIfTI volume (.nii, .nii.gz)",
    )
    .option("--output <dir>", "folder for the results", "runs/translated")
    .addOption(
      new Option("--direction <dir>", "which generator").choices([
        "AtoB",
        "BtoA",
      ]).default("AtoB"),
    )
    .addOption(
      new Option(
        "--fit <mode>",
        "images: 'model' scales the longer side to the training size, 'native' keeps the size",
      ).choices(["model", "native"]).default("model"),
    )
    .option(
      "--convert-channels",
      "images: convert grey<->RGB to what the model expects instead of stopping",
    )
    .addOption(
      new Option("--axis <axis>", "volumes: slicing direction").choices([
        "axial",
        "coronal",
        "sagittal",
      ]).default("axial"),
    )
    .addOption(backendOption())
    .showHelpAfterError("(run with --help for every flag)")
    .exitOverride();
}

/** Pads an image to multiples of 4 with its edge pixels; returns the crop back. */
function padToMultipleOf4(image: FloatImage): FloatImage {
  const height = Math.ceil(image.height / 4) * 4;
  const width = Math.ceil(image.width / 4) * 4;
  if (height === image.height && width === image.width) return image;
  const { channels } = image;
  const data = new Float32Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(y, image.height - 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(x, image.width - 1);
      for (let c = 0; c < channels; c++) {
        data[(y * width + x) * channels + c] =
          image.data[(sy * image.width + sx) * channels + c];
      }
    }
  }
  return { data, height, width, channels };
}

function runGenerator(
  generator: tf.LayersModel,
  image: FloatImage,
): Promise<FloatImage> {
  const padded = padToMultipleOf4(image);
  const output = tf.tidy(() =>
    generator.predict(
      tf.tensor4d(padded.data, [
        1,
        padded.height,
        padded.width,
        padded.channels,
      ]),
    ) as tf.Tensor4D
  );
  return output.data().then((data) => {
    const channels = output.shape[3];
    output.dispose();
    const result = {
      data: data as Float32Array,
      height: padded.height,
      width: padded.width,
      channels,
    };
    return cropOrPad(result, 0, 0, image.height, image.width);
  });
}

async function translateImageFile(
  path: string,
  outputFolder: string,
  generator: tf.LayersModel,
  config: CycleGANConfig,
  direction: Direction,
  options: { fit: string; convertChannels: boolean },
): Promise<string> {
  const decoded = decodeImage(await Deno.readFile(path), path);
  const expected = direction === "AtoB" ? config.channelsA : config.channelsB;
  const colour = decoded.channels >= 3;
  if ((expected === 3) !== colour && !options.convertChannels) {
    throw new Error(
      `${path} has ${decoded.channels} channel(s) (${
        colour ? "colour" : "grey"
      }), ` +
        `the ${direction} generator expects ${
          expected === 3 ? "RGB" : "grey"
        } input; ` +
        `pass --convert-channels to convert it`,
    );
  }
  let image: FloatImage = {
    data: toFloatPixels(decoded, expected),
    height: decoded.height,
    width: decoded.width,
    channels: expected,
  };
  if (options.fit === "model") {
    const scale = config.imageSize / Math.max(image.height, image.width);
    image = resize(
      image,
      Math.max(4, Math.round(image.height * scale)),
      Math.max(4, Math.round(image.width * scale)),
    );
  }
  const translated = await runGenerator(generator, image);
  const name = path.split("/").pop()!.replace(/\.(png|jpe?g)$/i, "");
  const out = `${outputFolder}/${name}_${direction}.png`;
  await Deno.writeFile(
    out,
    encodePng({ ...translated, channels: translated.channels as 1 | 3 }),
  );
  return out;
}

/**
 * Translates every kept slice of a volume at the model's size and puts it
 * back where it came from; slices dropped as empty stay 0. Output values
 * are the generator's, mapped from [-1, 1] to [0, 1].
 */
async function translateVolume(
  volume: NiftiVolume,
  generator: tf.LayersModel,
  size: number,
  axisName: "axial" | "coronal" | "sagittal",
): Promise<{ data: Float32Array; slices: number }> {
  const axis = voxelAxis(volume, axisName);
  const range = intensityRange(volume);
  const [nx, ny] = volume.dims;
  const [columnsAxis, rowsAxis] = ([0, 1, 2] as const).filter((k) =>
    k !== axis
  );
  const width = volume.dims[columnsAxis];
  const height = volume.dims[rowsAxis];
  const out = new Float32Array(volume.data.length);
  const kept = keptSliceIndices(volume, { size, axis }, range);
  // The square fit of datasets/nifti.ts, kept so it can be undone.
  const physicalHeight = height * volume.spacing[rowsAxis];
  const physicalWidth = width * volume.spacing[columnsAxis];
  const scale = size / Math.max(physicalHeight, physicalWidth);
  const fittedHeight = Math.max(
    1,
    Math.min(size, Math.round(physicalHeight * scale)),
  );
  const fittedWidth = Math.max(
    1,
    Math.min(size, Math.round(physicalWidth * scale)),
  );
  const top = Math.floor((size - fittedHeight) / 2);
  const left = Math.floor((size - fittedWidth) / 2);
  const [low, high] = range;
  const span = high > low ? high - low : 1;
  const voxel = [0, 0, 0];
  for (const index of kept) {
    voxel[axis] = index;
    const slice = new Float32Array(width * height);
    for (let row = 0; row < height; row++) {
      voxel[rowsAxis] = height - 1 - row;
      for (let column = 0; column < width; column++) {
        voxel[columnsAxis] = column;
        const value = volume.data[voxel[0] + nx * (voxel[1] + ny * voxel[2])];
        const v = Number.isFinite(value) ? ((value - low) / span) * 2 - 1 : -1;
        slice[row * width + column] = Math.max(-1, Math.min(1, v));
      }
    }
    const fitted = cropOrPad(
      resize(
        { data: slice, height, width, channels: 1 },
        fittedHeight,
        fittedWidth,
      ),
      -top,
      -left,
      size,
      size,
    );
    const translated = await runGenerator(generator, fitted);
    const back = resize(
      cropOrPad(translated, top, left, fittedHeight, fittedWidth),
      height,
      width,
    );
    for (let row = 0; row < height; row++) {
      voxel[rowsAxis] = height - 1 - row;
      for (let column = 0; column < width; column++) {
        voxel[columnsAxis] = column;
        out[voxel[0] + nx * (voxel[1] + ny * voxel[2])] =
          (back.data[row * width + column] + 1) / 2;
      }
    }
  }
  return { data: out, slices: kept.length };
}

/** Runs the command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const command = buildCommand();
  const parseExit = parseOrExitCode(command, args);
  if (parseExit !== undefined) return parseExit;
  const flags = command.opts();
  const direction = flags.direction as Direction;
  if (!(await canWrite(flags.output))) {
    console.error(
      `Cannot write to ${flags.output}: this command may only write under runs/. ` +
        `Choose --output runs/NAME, or run it with deno run --allow-write=${flags.output} ...`,
    );
    return 2;
  }

  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(flags.input);
  } catch {
    console.error(
      `Input ${flags.input} does not exist; expected an image, a folder of images or a NIfTI volume`,
    );
    return 2;
  }
  await giveMesaARuntimeDir();
  const backend = await selectBackend(flags.backend as BackendChoice);
  console.log(`Backend: ${backend.name} (${backend.reason})`);
  let generator: tf.LayersModel;
  let config: CycleGANConfig;
  try {
    ({ generator, config } = await loadGenerator(flags.checkpoint, direction));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  console.log(
    `Generator ${direction} from ${flags.checkpoint}: ${config.imageSize} px training size, ` +
      `${direction === "AtoB" ? config.channelsA : config.channelsB} -> ` +
      `${
        direction === "AtoB" ? config.channelsB : config.channelsA
      } channel(s)`,
  );
  await Deno.mkdir(flags.output, { recursive: true });

  try {
    if (stat.isFile && isNiftiName(flags.input)) {
      const inputChannels = direction === "AtoB"
        ? config.channelsA
        : config.channelsB;
      const outputChannels = direction === "AtoB"
        ? config.channelsB
        : config.channelsA;
      if (inputChannels !== 1 || outputChannels !== 1) {
        throw new Error(
          `${flags.input} is a single-channel volume, but the ${direction} generator maps ` +
            `${inputChannels} to ${outputChannels} channel(s); volumes need a grey-to-grey model`,
        );
      }
      const bytes = await Deno.readFile(flags.input);
      const volume = parseNifti(bytes, flags.input);
      const header = niftiHeaderBytes(bytes, flags.input);
      const started = performance.now();
      const { data, slices } = await translateVolume(
        volume,
        generator,
        config.imageSize,
        flags.axis,
      );
      const name = flags.input.split("/").pop()!.replace(/\.nii(\.gz)?$/i, "");
      const gzip = /\.gz$/i.test(flags.input);
      const out = `${flags.output}/${name}_${direction}.nii${
        gzip ? ".gz" : ""
      }`;
      await Deno.writeFile(out, encodeNifti(header, volume.dims, data, gzip));
      console.log(
        `Translated ${slices} of ${
          volume.dims[voxelAxis(volume, flags.axis)]
        } ${flags.axis} slices ` +
          `(empty ones left at 0) in ${
            ((performance.now() - started) / 1000).toFixed(1)
          } s -> ${out}`,
      );
    } else {
      const files = stat.isDirectory
        ? [...Deno.readDirSync(flags.input)]
          .filter((e) => e.isFile && isImageName(e.name))
          .map((e) => `${flags.input}/${e.name}`)
          .sort()
        : [flags.input];
      if (files.length === 0) {
        throw new Error(`${flags.input} holds no PNG or JPEG images`);
      }
      if (stat.isFile && !isImageName(flags.input)) {
        throw new Error(
          `${flags.input} is neither an image (.png, .jpg, .jpeg) nor a NIfTI volume (.nii, .nii.gz)`,
        );
      }
      for (const file of files) {
        const out = await translateImageFile(
          file,
          flags.output,
          generator,
          config,
          direction,
          {
            fit: flags.fit,
            convertChannels: Boolean(flags.convertChannels),
          },
        );
        console.log(`${file} -> ${out}`);
      }
    }
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  } finally {
    generator.dispose();
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
