/**
 * Downloads a public CycleGAN data set with a progress bar:
 *
 *   deno run --allow-net --allow-read --allow-write datasets/download_cli.ts horse2zebra [cacheDir] [--from=URL]
 *
 * Run it again after an interruption: it resumes where it stopped. With no
 * name it lists the data sets it knows. `--from` names a mirror serving
 * `<name>.zip` instead of the reference server.
 *
 * @module
 */
import cliProgress from "cli-progress";
import {
  downloadDataset,
  type DownloadProgress,
  PUBLIC_DATASETS,
} from "./download.ts";

/** Megabytes, one decimal. */
function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

async function main(args: string[]): Promise<number> {
  const from = args.find((arg) => arg.startsWith("--from="))?.slice(7);
  const [name, cacheDir = ".cache/datasets"] = args.filter((arg) =>
    !arg.startsWith("--from=")
  );
  if (!name || name === "--help" || name === "-h") {
    console.log(
      "Usage: download_cli.ts <name> [cacheDir] [--from=URL]\n\nData sets:",
    );
    for (const [key, { a, b }] of Object.entries(PUBLIC_DATASETS)) {
      console.log(`  ${key.padEnd(24)} A: ${a}; B: ${b}`);
    }
    return name ? 0 : 1;
  }
  const bar = new cliProgress.SingleBar(
    {
      format: "{phase} [{bar}] {percentage}% | {detail}",
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase = "";
  const show = (p: DownloadProgress) => {
    const total = p.total ?? Math.max(p.done, 1);
    const detail = p.phase === "download"
      ? `${megabytes(p.done)} / ${p.total ? megabytes(p.total) : "?"} MB${
        p.resumedFrom ? ` (resumed at ${megabytes(p.resumedFrom)} MB)` : ""
      }`
      : p.phase === "unzip"
      ? `${p.done} / ${total} files`
      : "checking";
    if (p.phase !== phase) {
      if (phase) bar.stop();
      phase = p.phase;
      bar.start(total, p.done, { phase: p.phase.padEnd(8), detail });
    }
    bar.setTotal(total);
    bar.update(p.done, { phase: p.phase.padEnd(8), detail });
  };
  try {
    const root = await downloadDataset(name, {
      cacheDir,
      baseUrl: from,
      onProgress: show,
    });
    if (phase) bar.stop();
    console.log(`${name} is ready in ${root}`);
    return 0;
  } catch (error) {
    if (phase) bar.stop();
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
