/**
 * `deno task jupyter`: installs the project's Deno kernel and starts Jupyter
 * on 127.0.0.1 with a fresh token, in the notebooks folder.
 *
 *   deno task jupyter                  # JupyterLab if installed, else classic Notebook
 *   deno task jupyter --classic        # classic Notebook (Debian: jupyter-notebook)
 *   deno task jupyter --lab            # JupyterLab (pip install jupyterlab)
 *   deno task jupyter --port 8899      # another port (default 8888)
 *   deno task jupyter --install-kernel # only install the kernel for your own Jupyter
 *
 * The kernel is installed as "cyclegan-deno" ("Deno (cyclegan-deno)" in the
 * menus) into `.cache/xdg-data/jupyter/` and Jupyter is pointed at it with
 * JUPYTER_PATH, so nothing is written to your home folder; `--install-kernel`
 * installs it into your user's Jupyter folder instead, for an editor or a
 * Jupyter you start yourself.
 *
 * @module
 */
import { giveMesaARuntimeDir } from "../cli/args.ts";
import {
  installKernel,
  JUPYTER_PATH,
  KERNEL_DISPLAY,
  KERNEL_NAME,
  NOTEBOOK_DIR,
} from "./run.ts";

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, {
      args,
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** The Jupyter front end to start: JupyterLab if present, else classic. */
async function chooseFrontEnd(
  wanted: "lab" | "classic" | undefined,
): Promise<{ name: string; command: string; args: string[] } | undefined> {
  const lab = { name: "JupyterLab", command: "jupyter", args: ["lab"] };
  const classic = {
    name: "Jupyter Notebook",
    command: "jupyter",
    args: ["notebook"],
  };
  const candidates = wanted === "lab"
    ? [lab]
    : wanted === "classic"
    ? [classic]
    : [lab, classic];
  for (const candidate of candidates) {
    if (await succeeds(candidate.command, [...candidate.args, "--version"])) {
      return candidate;
    }
  }
  return undefined;
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--install-kernel")) {
    const { success } = await new Deno.Command(Deno.execPath(), {
      args: [
        "jupyter",
        "--install",
        "--name",
        KERNEL_NAME,
        "--display",
        KERNEL_DISPLAY,
        "--force",
      ],
    }).output();
    console.log(
      success
        ? `Installed the kernel "${KERNEL_DISPLAY}" into your Jupyter folder`
        : "Installing the kernel failed (see above)",
    );
    return success ? 0 : 1;
  }

  const portAt = args.indexOf("--port");
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 8888;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`--port must be a port number, got ${args[portAt + 1]}`);
    return 2;
  }
  const wanted = args.includes("--lab")
    ? "lab"
    : args.includes("--classic")
    ? "classic"
    : undefined;
  const frontEnd = await chooseFrontEnd(wanted);
  if (!frontEnd) {
    console.error(
      [
        `No ${
          wanted === "lab" ? "JupyterLab" : "Jupyter front end"
        } found. Install one of:`,
        "  classic Notebook (Debian/Ubuntu): sudo apt-get install jupyter-notebook",
        "  JupyterLab (any system): python3 -m venv ~/.venvs/jupyter && ~/.venvs/jupyter/bin/pip install jupyterlab",
        "    then put ~/.venvs/jupyter/bin on your PATH and run deno task jupyter again",
      ].join("\n"),
    );
    return 1;
  }

  await installKernel();
  const token = randomToken();
  const jupyterPath = [JUPYTER_PATH, Deno.env.get("JUPYTER_PATH")]
    .filter(Boolean).join(":");
  console.log(
    [
      `Starting ${frontEnd.name} with the kernel "${KERNEL_DISPLAY}".`,
      `Open this address in your browser (it holds the access token):`,
      ``,
      `  http://127.0.0.1:${port}/?token=${token}`,
      ``,
      `Pick the notebooks in order, starting with 00_setup.ipynb. Stop with Ctrl+C (twice).`,
    ].join("\n"),
  );
  const child = new Deno.Command(frontEnd.command, {
    args: [
      ...frontEnd.args,
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      "--no-browser",
      `--notebook-dir=${NOTEBOOK_DIR}`,
      // Jupyter refuses to run as root (containers) unless told.
      ...(Deno.uid() === 0 ? ["--allow-root"] : []),
    ],
    env: { JUPYTER_PATH: jupyterPath, JUPYTER_TOKEN: token },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const { code } = await child.status;
  return code;
}

if (import.meta.main) {
  // The kernels inherit it: no Mesa warning when a notebook probes WebGPU.
  await giveMesaARuntimeDir();
  Deno.exit(await main(Deno.args));
}
