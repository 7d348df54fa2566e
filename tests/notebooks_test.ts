/**
 * The committed notebooks and the runner's checks, without running the
 * notebooks themselves (tests/notebooks_run_test.ts does that): notebooks
 * are committed clean, import only the library, state their runtime and
 * mark the cells that must show a figure; the executor keeps output the
 * kernel sends after a cell finished, applies display updates, and reports
 * errors by notebook and cell.
 */
import assert from "node:assert/strict";
import {
  cellSource,
  checkOutputs,
  committedProblems,
  executeNotebook,
  findPython,
  installKernel,
  listNotebooks,
  type Notebook,
  NOTEBOOK_DIR,
  readNotebook,
  ROOT,
  stripOutputs,
} from "../notebooks/run.ts";

const notebooks = await listNotebooks();

Deno.test("there are ten numbered notebooks, 00 to 09", () => {
  assert.deepEqual(
    notebooks.map((name) => name.slice(0, 2)),
    ["00", "01", "02", "03", "04", "05", "06", "07", "08", "09"],
  );
});

for (const name of notebooks) {
  Deno.test(`${name}: committed clean, prose first, library imports only`, async () => {
    const notebook = await readNotebook(`${NOTEBOOK_DIR}/${name}`);
    assert.equal(notebook.nbformat, 4);
    assert.deepEqual(committedProblems(notebook), []);
    const kernel = notebook.metadata.kernelspec as { name: string };
    assert.equal(kernel.name, "cyclegan-deno");

    const [first] = notebook.cells;
    assert.equal(first.cell_type, "markdown", "the first cell is prose");
    assert.match(
      cellSource(first),
      new RegExp(`^# ${Number(name.slice(0, 2))}\\. `),
    );
    assert.match(cellSource(first), /\*\*Runtime:\*\*/, "states its runtime");

    const code = notebook.cells.filter((cell) => cell.cell_type === "code");
    const figures = code.filter((cell) => (cell.metadata.expect ?? []).length);
    assert.ok(
      figures.length >= 1,
      "marks at least one cell that must show a figure",
    );
    for (const cell of code) {
      const source = cellSource(cell);
      for (const [, path] of source.matchAll(/from\s+"([^"]+)"/g)) {
        assert.match(
          path,
          /^\.\.\/(lib|datasets)\//,
          `imports only from ../lib/ and ../datasets/, found ${path}`,
        );
      }
      assert.doesNotMatch(
        source,
        /\b(dataSync|arraySync)\(/,
        "reads tensors with await .data() (synchronous reads fail on WebGPU)",
      );
    }
  });
}

Deno.test("the README lists every notebook with its measured runtime", async () => {
  const readme = await Deno.readTextFile(`${NOTEBOOK_DIR}/README.md`);
  for (const name of notebooks) {
    assert.match(
      readme,
      new RegExp(`\\| \\[?${name.replace(".", "\\.")}.*\\| [0-9.]+ s`),
    );
  }
});

function notebookOf(cells: Notebook["cells"]): Notebook {
  return {
    cells: cells.map((cell, i) => ({
      id: `c${i}`,
      ...cell,
      ...(cell.cell_type === "code"
        ? { outputs: cell.outputs ?? [], execution_count: null }
        : {}),
    })),
    metadata: {
      kernelspec: {
        name: "cyclegan-deno",
        display_name: "Deno (cyclegan-deno)",
        language: "typescript",
      },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

Deno.test("checkOutputs reports errors and missing figures by cell", () => {
  const notebook = notebookOf([
    { cell_type: "markdown", source: "# prose", metadata: {} },
    {
      cell_type: "code",
      source: "chart()",
      metadata: { expect: ["figure"] },
      outputs: [{
        output_type: "display_data",
        data: { "text/html": "<svg>" },
      }],
    },
    {
      cell_type: "code",
      source: "picture()",
      metadata: { expect: ["image/png"] },
      outputs: [{ output_type: "stream", name: "stdout", text: "no picture" }],
    },
    {
      cell_type: "code",
      source: "\nboom()",
      metadata: {},
      outputs: [{ output_type: "error", ename: "TypeError", evalue: "bad" }],
    },
  ]);
  assert.deepEqual(checkOutputs(notebook), [
    "cell 2 (picture()) should show image/png, found no rich output",
    "cell 3 (boom()) failed: TypeError: bad",
  ]);
  const stripped = stripOutputs({
    ...notebook,
    cells: notebook.cells.map((cell) =>
      cell.cell_type === "code" ? { ...cell, execution_count: 3 } : cell
    ),
  });
  assert.deepEqual(committedProblems(stripped), []);
  assert.equal(committedProblems(notebook).length, 3);
});

// The executor, on a small notebook that the stock tools get wrong: output
// sent after the cell reported it was done, and a display updated in place.
Deno.test("the executor keeps late output, applies display updates and names the failing cell", async () => {
  const python = await findPython();
  await installKernel();
  const dir = await Deno.makeTempDir({
    dir: `${ROOT}/notebooks`,
    prefix: ".test_",
  });
  try {
    const notebook = notebookOf([
      {
        cell_type: "code",
        source:
          'setTimeout(() => Deno.jupyter.display({ "text/html": "<b>late</b>" }, { raw: true }), 150);\n"returned"',
        metadata: { expect: ["text/html"] },
      },
      {
        cell_type: "code",
        source: [
          'await Deno.jupyter.display({ "text/html": "v1" }, { raw: true, display_id: "d" });',
          'await Deno.jupyter.display({ "text/html": "v2" }, { raw: true, display_id: "d", update: true });',
        ].join("\n"),
        metadata: { expect: ["text/html"] },
      },
      {
        cell_type: "code",
        source:
          'import { tf } from "../../lib/tf.ts";\nconsole.log(tf.version.tfjs);',
        metadata: {},
      },
      { cell_type: "code", source: "\nnull.boom;", metadata: {} },
      { cell_type: "code", source: 'console.log("never runs")', metadata: {} },
    ]);
    await Deno.writeTextFile(`${dir}/late.ipynb`, JSON.stringify(notebook));
    const result = await executeNotebook(`${dir}/late.ipynb`, {
      python,
      outDir: `${dir}/out`,
      quick: true,
      timeout: 120,
    });
    assert.equal(result.name, "late.ipynb");
    assert.equal(result.problems.length, 1, result.problems.join("\n"));
    assert.match(
      result.problems[0],
      /^cell 3 \(null\.boom;\) failed: TypeError/,
    );

    const executed = await readNotebook(`${dir}/out/late.ipynb`);
    const html = (index: number) =>
      (executed.cells[index].outputs ?? []).flatMap((o) =>
        o.data?.["text/html"] ? [[o.data["text/html"]].flat().join("")] : []
      );
    assert.deepEqual(html(0), ["<b>late</b>"]);
    assert.deepEqual(html(1), ["v2"]);
    const printed = executed.cells[2].outputs?.map((o) =>
      [o.text].flat().join("")
    )
      .join("");
    assert.equal(printed, "4.22.0\n");
    assert.deepEqual(executed.cells[4].outputs, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
