/**
 * Executes every notebook headless in quick mode (as CI does), checks that
 * each marked cell shows its figure, then renders the full-training notebook
 * to HTML and loads it in headless Chromium to check that the loss chart and
 * an image grid are in the page.
 *
 * Needs Debian's jupyter-client, python3-nbformat, jupyter-nbconvert and
 * chromium. Takes a few minutes on 2 cores.
 */
import assert from "node:assert/strict";
import {
  cellSource,
  checkOutputs,
  listNotebooks,
  type Notebook,
  NOTEBOOK_DIR,
  readNotebook,
  ROOT,
} from "../notebooks/run.ts";

const decoder = new TextDecoder();

function text(value: unknown): string {
  return [value].flat().join("");
}

Deno.test("every notebook runs headless with all its figures", async (t) => {
  const out = await Deno.makeTempDir({ prefix: "cyclegan_notebooks_" });
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${NOTEBOOK_DIR}/run.ts`, "--quick", "--out", out],
      cwd: ROOT,
      // Keep notebook 8's checkpoint out of the user's runs/ folder.
      env: { CYCLEGAN_NOTEBOOK_RUNS: `${out}/runs` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = decoder.decode(run.stdout) + decoder.decode(run.stderr);
    assert.equal(run.code, 0, `deno task notebooks --quick failed:\n${log}`);

    const executed = new Map<string, Notebook>();
    for (const name of await listNotebooks()) {
      const notebook = await readNotebook(`${out}/${name}`);
      executed.set(name, notebook);
      await t.step(
        `${name}: no errors, every marked cell has its figure`,
        () => {
          assert.deepEqual(checkOutputs(notebook), []);
          const marked = notebook.cells.filter((cell) =>
            (cell.metadata.expect ?? []).length > 0
          );
          assert.ok(marked.length > 0);
          for (const cell of marked) {
            assert.ok(
              (cell.outputs ?? []).some((o) => o.data),
              `a marked cell has rich output: ${cellSource(cell).slice(0, 60)}`,
            );
          }
        },
      );
    }

    await t.step("the full-training notebook ran in quick mode", () => {
      const training = executed.get("08_full_training.ipynb")!;
      const printed = training.cells.flatMap((cell) =>
        (cell.outputs ?? []).map((o) => text(o.text))
      ).join("");
      assert.match(printed, /Mode: quick: 32 px/);
      assert.match(printed, /8 steps in/);
    });

    await t.step(
      "its HTML rendering shows the loss chart and a sample grid in Chromium",
      async () => {
        const convert = await new Deno.Command("jupyter", {
          args: [
            "nbconvert",
            "--to",
            "html",
            "--output-dir",
            out,
            `${out}/08_full_training.ipynb`,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(
          convert.code,
          0,
          `nbconvert failed: ${decoder.decode(convert.stderr)}`,
        );
        const page = `${out}/08_full_training.html`;
        const chromium = await new Deno.Command("chromium", {
          args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            `--user-data-dir=${out}/chromium-profile`,
            "--dump-dom",
            `file://${page}`,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(
          chromium.code,
          0,
          `chromium failed: ${decoder.decode(chromium.stderr)}`,
        );
        const dom = decoder.decode(chromium.stdout);
        // The loss chart: Plot's figure with its title and one line per loss.
        const chart = dom.match(
          /<figure[^>]*>\s*<h2>Training losses<\/h2>\s*<svg[\s\S]*?<\/svg>/,
        );
        assert.ok(chart, "the page holds the loss chart's figure");
        const lines = chart[0].match(
          /<g [^>]*aria-label="line"[^>]*>([\s\S]*?)<\/g>/,
        );
        assert.ok(lines, "the chart has a line mark");
        assert.equal(lines[1].match(/<path /g)?.length, 6, "one line per loss");
        // The sample grid: an <img> with a PNG data URL that Chromium decoded.
        assert.match(
          dom,
          /<img [^>]*src="data:image\/png;base64,[A-Za-z0-9+/]{100}/,
        );
      },
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
