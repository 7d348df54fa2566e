/**
 * `deno task notebooks`: executes every notebook headless on the project's
 * Deno kernel, saves the executed copies to `notebooks/executed/`, and fails
 * on any error output or missing figure.
 *
 *   deno task notebooks                 # all notebooks, normal mode
 *   deno task notebooks --quick         # full training in its short mode
 *   deno task notebooks 02_downsampling # some notebooks, by name or prefix
 *   deno task notebooks --strip         # clear outputs of the committed ones
 *
 * A code cell that must show a figure says so in its metadata:
 * `{"expect": ["image/svg+xml"]}` lists media types of which the cell's
 * outputs must hold at least one each ("figure" means any of image/png,
 * image/svg+xml or text/html). The kernel is installed under its own name
 * into `.cache/jupyter/` (not the user's Jupyter folders), and executed by
 * `execute.py` with Debian's Python, which waits for output the kernel sends
 * after it reports a cell finished.
 *
 * @module
 */
import { giveMesaARuntimeDir } from "../cli/args.ts";

/** The kernel's name and how Jupyter lists it. */
export const KERNEL_NAME = "cyclegan-deno";
export const KERNEL_DISPLAY = "Deno (cyclegan-deno)";

/** Media types that count as a figure. */
export const FIGURE_TYPES = ["image/png", "image/svg+xml", "text/html"];

const here = new URL(".", import.meta.url);
export const NOTEBOOK_DIR = decodeURIComponent(here.pathname).replace(
  /\/$/,
  "",
);
export const ROOT = NOTEBOOK_DIR.replace(/\/notebooks$/, "");
/** Where the kernelspec goes: `$XDG_DATA_HOME/jupyter/kernels/NAME`. */
export const XDG_DATA_HOME = `${ROOT}/.cache/xdg-data`;
/** What to put on JUPYTER_PATH so Jupyter finds the kernel. */
export const JUPYTER_PATH = `${XDG_DATA_HOME}/jupyter`;

/** A notebook as stored (nbformat 4), only the parts used here. */
export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** One cell of a notebook. */
export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: { expect?: string[]; [key: string]: unknown };
  outputs?: Output[];
  execution_count?: number | null;
}

/** One output of a code cell. */
export interface Output {
  output_type: "stream" | "display_data" | "execute_result" | "error";
  data?: Record<string, unknown>;
  text?: string | string[];
  name?: string;
  ename?: string;
  evalue?: string;
}

/** What `execute.py` reports for one notebook. */
export interface Execution {
  seconds: number;
  cells: { index: number; seconds: number }[];
  error: null | { cell: number | null; ename: string; evalue: string };
}

/** The outcome for one notebook. */
export interface NotebookResult {
  name: string;
  seconds: number;
  problems: string[];
}

/** A cell's source as one string. */
export function cellSource(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** The numbered notebooks, sorted: `NN_name.ipynb`. */
export async function listNotebooks(dir = NOTEBOOK_DIR): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /^\d\d_.+\.ipynb$/.test(entry.name)) {
      names.push(entry.name);
    }
  }
  return names.sort();
}

export async function readNotebook(path: string): Promise<Notebook> {
  return JSON.parse(await Deno.readTextFile(path)) as Notebook;
}

function describeCell(cell: Cell, index: number): string {
  const first = cellSource(cell).split("\n").find((line) => line.trim()) ?? "";
  return `cell ${index} (${first.trim().slice(0, 60)})`;
}

/**
 * What is wrong with an executed notebook: error outputs, and cells that
 * lack a media type their `expect` metadata lists. Empty when all is well.
 */
export function checkOutputs(notebook: Notebook): string[] {
  const problems: string[] = [];
  notebook.cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const outputs = cell.outputs ?? [];
    for (const output of outputs) {
      if (output.output_type === "error") {
        problems.push(
          `${
            describeCell(cell, index)
          } failed: ${output.ename}: ${output.evalue}`,
        );
      }
    }
    const types = new Set(outputs.flatMap((o) => Object.keys(o.data ?? {})));
    for (const expected of cell.metadata.expect ?? []) {
      const wanted = expected === "figure" ? FIGURE_TYPES : [expected];
      if (!wanted.some((type) => types.has(type))) {
        const found = types.size ? [...types].join(", ") : "no rich output";
        problems.push(
          `${
            describeCell(cell, index)
          } should show ${expected}, found ${found}`,
        );
      }
    }
  });
  return problems;
}

/**
 * Cells of a committed notebook that hold outputs or execution counts:
 * notebooks are committed clean.
 */
export function committedProblems(notebook: Notebook): string[] {
  return notebook.cells.flatMap((cell, index) =>
    cell.cell_type === "code" &&
      ((cell.outputs?.length ?? 0) > 0 || cell.execution_count != null)
      ? [`${describeCell(cell, index)} is committed with outputs`]
      : []
  );
}

/** Removes outputs and execution counts, as notebooks are committed. */
export function stripOutputs(notebook: Notebook): Notebook {
  return {
    ...notebook,
    cells: notebook.cells.map((cell) => {
      if (cell.cell_type !== "code") return cell;
      const metadata = { ...cell.metadata };
      delete metadata.seconds;
      return { ...cell, metadata, outputs: [], execution_count: null };
    }),
  };
}

/** A Python that has jupyter_client: Debian's, unless $CYCLEGAN_PYTHON says. */
export async function findPython(): Promise<string> {
  const candidates = [
    Deno.env.get("CYCLEGAN_PYTHON"),
    "/usr/bin/python3",
    "python3",
  ].filter((c): c is string => Boolean(c));
  for (const python of candidates) {
    try {
      const { success } = await new Deno.Command(python, {
        args: ["-c", "import jupyter_client, nbformat"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (success) return python;
    } catch {
      // not installed: try the next one
    }
  }
  throw new Error(
    `No Python with jupyter_client and nbformat found (tried ${
      candidates.join(", ")
    }); on Debian: apt-get install jupyter-client python3-nbformat`,
  );
}

/** Installs the Deno kernel under the project's name, into `.cache/`. */
export async function installKernel(): Promise<void> {
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "jupyter",
      "--install",
      "--name",
      KERNEL_NAME,
      "--display",
      KERNEL_DISPLAY,
      "--force",
    ],
    env: { XDG_DATA_HOME },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(
      `Installing the Deno kernel failed: ${new TextDecoder().decode(stderr)}`,
    );
  }
}

/** Options of {@link executeNotebook}. */
export interface ExecuteOptions {
  python: string;
  outDir: string;
  quick: boolean;
  /** Seconds one cell may run (default 1800). */
  timeout?: number;
}

/** Executes one notebook, saves the executed copy and checks it. */
export async function executeNotebook(
  path: string,
  options: ExecuteOptions,
): Promise<NotebookResult> {
  const name = path.split("/").pop()!;
  const out = `${options.outDir}/${name}`;
  const env: Record<string, string> = { JUPYTER_PATH };
  if (options.quick) env.CYCLEGAN_NOTEBOOK_QUICK = "1";
  const { stdout, stderr } = await new Deno.Command(options.python, {
    args: [
      `${NOTEBOOK_DIR}/execute.py`,
      "--kernel",
      KERNEL_NAME,
      "--out",
      out,
      "--timeout",
      String(options.timeout ?? 1800),
      path,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout).trim();
  let execution: Execution;
  try {
    execution = JSON.parse(text.split("\n").pop() ?? "");
  } catch {
    const log = new TextDecoder().decode(stderr).trim().slice(-2000);
    return {
      name,
      seconds: 0,
      problems: [`the executor failed: ${log || text || "no output"}`],
    };
  }
  const problems: string[] = [];
  if (execution.error && execution.error.cell === null) {
    problems.push(
      `the kernel did not start: ${execution.error.ename}: ${execution.error.evalue}`,
    );
  } else if (execution.error?.ename === "Timeout") {
    problems.push(`cell ${execution.error.cell} ${execution.error.evalue}`);
  }
  try {
    problems.push(...checkOutputs(await readNotebook(out)));
  } catch (error) {
    problems.push(`cannot read the executed copy ${out}: ${error}`);
  }
  if (execution.error && problems.length === 0) {
    problems.push(
      `cell ${execution.error.cell} failed: ${execution.error.ename}: ${execution.error.evalue}`,
    );
  }
  return { name, seconds: execution.seconds, problems };
}

function parseArgs(args: string[]) {
  const quick = args.includes("--quick") ||
    Deno.env.get("CYCLEGAN_NOTEBOOK_QUICK") === "1";
  const outAt = args.indexOf("--out");
  const outDir = outAt >= 0 ? args[outAt + 1] : `${NOTEBOOK_DIR}/executed`;
  const names = args.filter((arg, i) =>
    !arg.startsWith("--") && (outAt < 0 || i !== outAt + 1)
  );
  return { quick, outDir, names };
}

/** Strips outputs from the committed notebooks in place (before a commit). */
async function stripCommitted(names: string[]): Promise<number> {
  for (const name of names) {
    const path = `${NOTEBOOK_DIR}/${name}`;
    const notebook = await readNotebook(path);
    if (committedProblems(notebook).length === 0) continue;
    await Deno.writeTextFile(
      path,
      JSON.stringify(stripOutputs(notebook), null, 1) + "\n",
    );
    console.log(`stripped ${name}`);
  }
  return 0;
}

async function main(args: string[]): Promise<number> {
  const { quick, outDir, names } = parseArgs(args);
  const all = await listNotebooks();
  if (args.includes("--strip")) return await stripCommitted(all);
  const chosen = names.length === 0
    ? all
    : all.filter((notebook) =>
      names.some((name) => notebook.startsWith(name.replace(/\.ipynb$/, "")))
    );
  if (chosen.length === 0) {
    console.error(
      `No notebook matches ${names.join(", ")}; there are: ${all.join(", ")}`,
    );
    return 2;
  }
  const python = await findPython();
  await installKernel();
  await Deno.mkdir(outDir, { recursive: true });
  console.log(
    `Executing ${chosen.length} notebook(s)${
      quick ? " in quick mode" : ""
    } into ${outDir}`,
  );
  const results: NotebookResult[] = [];
  for (const name of chosen) {
    const result = await executeNotebook(`${NOTEBOOK_DIR}/${name}`, {
      python,
      outDir,
      quick,
    });
    results.push(result);
    const status = result.problems.length ? "FAILED" : "ok";
    console.log(
      `${status.padEnd(6)} ${result.seconds.toFixed(1).padStart(6)} s  ${name}`,
    );
    for (const problem of result.problems) console.log(`         ${problem}`);
  }
  await Deno.writeTextFile(
    `${outDir}/summary.json`,
    JSON.stringify({ quick, results }, null, 2) + "\n",
  );
  const failed = results.filter((r) => r.problems.length > 0);
  if (failed.length) {
    console.error(
      `${failed.length} notebook(s) failed: ${
        failed.map((r) => r.name).join(", ")
      }`,
    );
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  // The kernels inherit it: no Mesa warning when a notebook probes WebGPU.
  await giveMesaARuntimeDir();
  Deno.exit(await main(Deno.args));
}
