import assert from "node:assert/strict";
import {
  architectureTable,
  featureMapGrid,
  htmlTable,
  imageFigure,
  layerRows,
  lineChart,
  lossChart,
  patchScoreFigure,
  pngBundle,
  scaleImage,
  toSvgString,
} from "../lib/plot.ts";
import { decodeImage } from "../lib/image_io.ts";
import { blockModel, downsampleBlock } from "../lib/blocks.ts";
import { decodeBase64 } from "./plot_helpers.ts";

type El = { outerHTML: string };
const html = (element: unknown) => (element as El).outerHTML;

Deno.test("lossChart draws a line and a legend entry per loss", () => {
  const history = [
    { step: 0, lossG: 3, lossDA: 0.5 },
    { step: 1, lossG: 2, lossDA: 0.4 },
  ];
  const svg = toSvgString(lossChart(history));
  const lines = svg.match(/<g [^>]*aria-label="line"[^>]*>(.*?)<\/g>/s)?.[1] ??
    "";
  assert.equal(lines.match(/<path /g)?.length, 2);
  assert.match(svg, />lossG</);
  assert.match(svg, />lossDA</);
  // Legend entries sit one line apart, not on top of each other.
  const legendRows = [
    ...svg.matchAll(
      /<g transform="translate\(([\d.]+),([\d.]+)\)"[^>]*aria-label="text"/g,
    ),
  ].map((m) => Number(m[2]));
  assert.deepEqual(legendRows, [0, 14], "one legend row per loss");
});

Deno.test("featureMapGrid tiles channels, each stretched to -1..1", () => {
  // 2x2 map, 3 channels: channel c holds c * (0, 1, 2, 3).
  const data = new Float32Array(12);
  for (let p = 0; p < 4; p++) {
    for (let c = 0; c < 3; c++) data[p * 3 + c] = c * p;
  }
  const grid = featureMapGrid({ data, shape: [1, 2, 2, 3] }, { padding: 1 });
  // ceil(sqrt(3)) = 2 columns, 2 rows: 1 + 2 * (2 + 1) = 7 pixels square.
  assert.equal(grid.width, 7);
  assert.equal(grid.height, 7);
  assert.equal(grid.channels, 1);
  const at = (x: number, y: number) => grid.data[y * 7 + x];
  // Channel 1, top-left cell at (1, 1): values 0, 1, 2, 3 -> -1 .. 1.
  assert.equal(at(4, 1), -1);
  assert.equal(at(5, 2), 1);
  // Channel 0 is constant (all 0): stretched by a span of 1, so -1.
  assert.equal(at(1, 1), -1);
  // Padding and the unused fourth cell stay white.
  assert.equal(at(0, 0), 1);
  assert.equal(at(5, 5), 1);
  // A shared range: channel 2 holds 0, 2, 4, 6; range [0, 4] clips 6.
  const shared = featureMapGrid({ data, shape: [2, 2, 3] }, { range: [0, 4] });
  assert.deepEqual(
    [0, 1, 2, 3].map((p) => shared.data[(1 + (p >> 1)) * 7 + 1 + (p & 1)]),
    [-1, -1, -1, -1],
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((p) => shared.data[(4 + (p >> 1)) * 7 + 1 + (p & 1)]),
    [-1, 0, 1, 1],
  );
  assert.throws(
    () => featureMapGrid({ data, shape: [12] }),
    /featureMapGrid needs \[height, width, channels\]/,
  );
});

Deno.test("scaleImage repeats pixels and pngBundle holds a decodable PNG", () => {
  const image = {
    width: 2,
    height: 1,
    channels: 1 as const,
    data: new Float32Array([-1, 1]),
  };
  const big = scaleImage(image, 3);
  assert.equal(big.width, 6);
  assert.equal(big.height, 3);
  assert.deepEqual([...big.data.subarray(0, 6)], [-1, -1, -1, 1, 1, 1]);
  assert.throws(() => scaleImage(image, 0), /positive integer, got 0/);

  const bundle = pngBundle(image, { minWidth: 8, caption: "two pixels" });
  assert.equal(bundle["text/plain"], "two pixels");
  const png = decodeImage(decodeBase64(bundle["image/png"]), "bundle");
  assert.equal(png.width, 8);
  assert.equal(png.data[0], 0);
  assert.equal(png.data[7], 255);
});

Deno.test("architectureTable lists every layer with shape and parameters", () => {
  const model = blockModel(1, (x) => downsampleBlock(x, { filters: 4 }));
  const rows = layerRows(model);
  assert.deepEqual(rows.map((r) => r.type), [
    "InputLayer",
    "Conv2D",
    "InstanceNorm",
    "ReLU",
  ]);
  // 4x4 kernel, 1 input channel, 4 filters, no bias under a norm.
  assert.equal(rows[1].parameters, 4 * 4 * 1 * 4);
  assert.equal(rows[1].outputShape, "[?, ?, ?, 4]");
  const table = architectureTable(model, "down");
  assert.match(table, /<caption>down: 4 layers, 72 parameters<\/caption>/);
  assert.equal(table.match(/<tr>/g)?.length, 5);
  model.dispose();
});

Deno.test("htmlTable escapes text and right-aligns numbers", () => {
  const table = htmlTable([{ name: "<b>", value: 12345 }]);
  assert.match(table, /&lt;b&gt;/);
  assert.match(table, /text-align:right">12,345</);
});

Deno.test("lineChart labels each series at its end", () => {
  const rows = [
    { epoch: 0, lr: 2, run: "a" },
    { epoch: 1, lr: 1, run: "a" },
    { epoch: 0, lr: 3, run: "b" },
    { epoch: 1, lr: 3, run: "b" },
  ];
  const svg = html(lineChart(rows, { x: "epoch", y: "lr", series: "run" }));
  assert.match(svg, /<text[^>]*>a<\/text>/);
  assert.match(svg, /<text[^>]*>b<\/text>/);
});

Deno.test("patchScoreFigure draws one cell per score over the image", () => {
  const image = {
    width: 8,
    height: 8,
    channels: 1 as const,
    data: new Float32Array(64),
  };
  const figure = patchScoreFigure(image, {
    data: [0, 1, 2, 3, 4, 5],
    rows: 2,
    columns: 3,
  });
  const text = html(figure);
  assert.match(text, /href="data:image\/png;base64,/);
  assert.equal(text.match(/<rect /g)?.length, 6);
  assert.match(text, />5\.00<\/text>/);
});

Deno.test("imageFigure embeds the picture as a PNG data URL", () => {
  const image = {
    width: 4,
    height: 4,
    channels: 1 as const,
    data: new Float32Array(16),
  };
  assert.match(html(imageFigure(image)), /data:image\/png;base64,/);
});
