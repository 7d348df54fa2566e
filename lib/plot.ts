/**
 * Charts and pictures with Observable Plot, rendered without a browser:
 * linkedom supplies the DOM, so the same code draws in the Deno Jupyter
 * kernel, in the CLI (SVG files) and in tests.
 *
 * Images go in as PNG data URLs inside `Plot.image` marks, since
 * `Plot.raster` needs a canvas that the kernel lacks.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import { encodeBase64 } from "./base64.ts";
import { encodePng, type PixelImage } from "./image_io.ts";

/** A DOM document from linkedom (typed loosely: Deno has no DOM types). */
export interface PlotDocument {
  createElement(name: string): unknown;
  createElementNS(namespace: string, name: string): unknown;
  body: unknown;
}

/** What Plot returns: an SVG element, or a figure wrapping one. */
export type PlotElement = ReturnType<typeof Plot.plot>;

/** The part of a DOM element that {@link toSvgString} needs. */
export interface SvgLike {
  tagName: string;
  outerHTML: string;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  querySelector(selector: string): SvgLike | null;
}

/** A fresh DOM document for Plot to draw into. */
export function createDocument(): PlotDocument {
  const window = parseHTML(
    "<!doctype html><html><head></head><body></body></html>",
  ) as unknown as { document: PlotDocument };
  return window.document;
}

// Plot's types expect the browser's Document; linkedom's is compatible.
const plotDocument = () =>
  createDocument() as unknown as Plot.PlotOptions["document"];

/** One row of a loss history: the step and any named losses. */
export type LossRecord = { step: number } & Record<string, number>;

/** Options for {@link lossChart}. */
export interface LossChartOptions {
  /** Which losses to draw; all numeric fields but `step` by default. */
  keys?: string[];
  width?: number;
  height?: number;
  title?: string;
  /** Log-scaled y axis (losses spanning decades). Default false. */
  logY?: boolean;
}

function longForm(history: LossRecord[], keys?: string[]) {
  const names = keys ??
    [...new Set(history.flatMap((r) => Object.keys(r)))].filter((k) =>
      k !== "step" && k !== "epoch"
    );
  return history.flatMap((record) =>
    names.filter((name) => Number.isFinite(record[name])).map((name) => ({
      step: record.step,
      loss: record[name],
      name,
    }))
  );
}

/**
 * A line per loss against the training step, with a legend drawn in the
 * chart's right margin (so a saved SVG carries it).
 */
export function lossChart(
  history: LossRecord[],
  options: LossChartOptions = {},
): PlotElement {
  const rows = longForm(history, options.keys);
  const names = [...new Set(rows.map((row) => row.name))];
  // A legend column in the right margin, one line per loss: labels at the
  // lines' ends would overlap where losses run close together.
  const legend = names.map((name, i) =>
    Plot.text([name], {
      frameAnchor: "top-right",
      dx: 10,
      dy: 14 * i,
      text: (d: string) => d,
      fill: () => name,
      textAnchor: "start",
      fontWeight: "bold",
    })
  );
  return Plot.plot({
    document: plotDocument(),
    width: options.width ?? 640,
    height: options.height ?? 320,
    marginRight: 100,
    title: options.title,
    x: { label: "step" },
    y: { label: "loss", grid: true, type: options.logY ? "log" : "linear" },
    color: { type: "categorical", domain: names },
    marks: [
      Plot.lineY(rows, { x: "step", y: "loss", stroke: "name" }),
      ...legend,
    ],
  });
}

/**
 * An element as a standalone SVG document string (with the SVG namespace,
 * so browsers and image viewers open it as a file).
 */
export function toSvgString(element: SvgLike | PlotElement): string {
  const root = element as unknown as SvgLike;
  const svg = root.tagName.toLowerCase() === "svg"
    ? root
    : root.querySelector("svg");
  if (!svg) throw new Error("toSvgString: the element holds no <svg>");
  if (!svg.getAttribute("xmlns")) {
    svg.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svg.outerHTML}\n`;
}

/** A picture as a `data:image/png;base64,...` URL. */
export function pngDataUrl(image: PixelImage): string {
  return `data:image/png;base64,${encodeBase64(encodePng(image))}`;
}

/** An image mark filling a frame whose x and y domains are the image's pixels. */
function pictureMark(image: PixelImage, width: number, height: number) {
  return Plot.image([0], {
    x: image.width / 2,
    y: image.height / 2,
    width,
    height,
    src: pngDataUrl(image),
    preserveAspectRatio: "none",
    imageRendering: "pixelated",
  });
}

/**
 * A picture as a Plot figure (an `image` mark filling the frame), for
 * notebooks: one grid of samples, with an optional caption.
 */
export function imageFigure(
  image: PixelImage,
  options: { scale?: number; caption?: string } = {},
): PlotElement {
  const scale = options.scale ?? 2;
  const width = image.width * scale;
  const height = image.height * scale;
  return Plot.plot({
    document: plotDocument(),
    width,
    height,
    margin: 0,
    caption: options.caption,
    x: { domain: [0, image.width], axis: null },
    y: { domain: [image.height, 0], axis: null },
    marks: [
      pictureMark(image, width, height),
    ],
  });
}

/**
 * A picture of stacked rows (as `imageGrid` lays them out) with a label in
 * the left margin beside each row: which row is real, translated or
 * reconstructed, readable without a key.
 */
export function labelledRows(
  image: PixelImage,
  labels: string[],
  options: { scale?: number; padding?: number } = {},
): PlotElement {
  const scale = options.scale ?? 2;
  const padding = options.padding ?? 2;
  const rowHeight = (image.height - padding) / labels.length;
  const marginLeft = 8 * Math.max(...labels.map((l) => l.length)) + 12;
  return Plot.plot({
    document: plotDocument(),
    width: image.width * scale + marginLeft,
    height: image.height * scale,
    margin: 0,
    marginLeft,
    x: { domain: [0, image.width], axis: null },
    y: { domain: [image.height, 0], axis: null },
    marks: [
      pictureMark(image, image.width * scale, image.height * scale),
      Plot.text(labels, {
        x: 0,
        y: (_: string, i: number) => padding + (i + 0.5) * rowHeight,
        text: (d: string) => d,
        textAnchor: "end",
        dx: -6,
        fontSize: 12,
      }),
    ],
  });
}

// Display helpers for the notebooks: feature maps, architecture tables,
// patch-score maps and plain line charts, all as plain data in and Plot
// figures, pictures or HTML out.

/** A stack of maps as plain values: [height, width, channels], or with a leading batch of 1. */
export interface MapStack {
  data: Float32Array | number[];
  shape: readonly number[];
}

/** Options of {@link featureMapGrid}. */
export interface FeatureMapGridOptions {
  /** Maps per row; by default about square. */
  columns?: number;
  /** Pixels between maps. Default 1. */
  padding?: number;
  /** Show at most this many channels (the first ones). Default all. */
  limit?: number;
  /**
   * One value range for every channel, mapped to black..white, so that
   * channels (and grids) can be compared; by default each channel is
   * stretched to its own min..max.
   */
  range?: [number, number];
}

/**
 * Tiles the channels of one feature map stack ([h, w, c] or [1, h, w, c])
 * into one grey picture, each channel stretched to its own min..max so that
 * weak channels stay visible (or all to one `range`). Padding is white.
 */
export function featureMapGrid(
  maps: MapStack,
  options: FeatureMapGridOptions = {},
): PixelImage {
  const shape = maps.shape.length === 4 && maps.shape[0] === 1
    ? maps.shape.slice(1)
    : maps.shape;
  if (shape.length !== 3) {
    throw new RangeError(
      `featureMapGrid needs [height, width, channels] or [1, height, width, channels], got [${maps.shape}]`,
    );
  }
  const [height, width, channels] = shape;
  const count = Math.min(channels, options.limit ?? channels);
  const columns = options.columns ?? Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / columns);
  const padding = options.padding ?? 1;
  const gridWidth = padding + columns * (width + padding);
  const gridHeight = padding + rows * (height + padding);
  const data = new Float32Array(gridWidth * gridHeight).fill(1);
  for (let c = 0; c < count; c++) {
    let low = Infinity;
    let high = -Infinity;
    for (let p = 0; p < height * width; p++) {
      const v = maps.data[p * channels + c];
      if (v < low) low = v;
      if (v > high) high = v;
    }
    if (options.range) [low, high] = options.range;
    const span = high - low || 1;
    const top = padding + Math.floor(c / columns) * (height + padding);
    const left = padding + (c % columns) * (width + padding);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = maps.data[(y * width + x) * channels + c];
        const scaled = ((v - low) / span) * 2 - 1;
        data[(top + y) * gridWidth + left + x] = Math.max(
          -1,
          Math.min(1, scaled),
        );
      }
    }
  }
  return { width: gridWidth, height: gridHeight, channels: 1, data };
}

/** Enlarges a picture by a whole factor, each pixel a square (no blur). */
export function scaleImage(image: PixelImage, factor: number): PixelImage {
  if (!Number.isInteger(factor) || factor < 1) {
    throw new RangeError(
      `Scale factor must be a positive integer, got ${factor}`,
    );
  }
  const { width, height, channels } = image;
  const out = new (image.data.constructor as Float32ArrayConstructor)(
    width * height * channels * factor * factor,
  );
  const outWidth = width * factor;
  for (let y = 0; y < height * factor; y++) {
    for (let x = 0; x < outWidth; x++) {
      const from = ((Math.floor(y / factor) * width) + Math.floor(x / factor)) *
        channels;
      const to = (y * outWidth + x) * channels;
      for (let k = 0; k < channels; k++) out[to + k] = image.data[from + k];
    }
  }
  return { width: outWidth, height: height * factor, channels, data: out };
}

/**
 * A picture as a Jupyter media bundle (`image/png`, base64), for
 * `Deno.jupyter.display(bundle, { raw: true })`. Small images are enlarged
 * (nearest neighbour) to at least `minWidth` pixels across.
 */
export function pngBundle(
  image: PixelImage,
  options: { minWidth?: number; caption?: string } = {},
): Record<string, string> {
  const factor = Math.max(
    1,
    Math.ceil((options.minWidth ?? 256) / image.width),
  );
  const shown = factor > 1 ? scaleImage(image, factor) : image;
  return {
    "image/png": encodeBase64(encodePng(shown)),
    "text/plain": options.caption ?? `${image.width}x${image.height} image`,
  };
}

/** One row of an architecture table. */
export interface LayerRow {
  layer: string;
  type: string;
  outputShape: string;
  parameters: number;
}

/** The part of a tfjs LayersModel that {@link layerRows} reads. */
export interface LayeredModel {
  layers: Array<{
    name: string;
    getClassName(): string;
    outputShape: unknown;
    countParams(): number;
  }>;
}

/** A model's layers: name, type, output shape and parameter count. */
export function layerRows(model: LayeredModel): LayerRow[] {
  return model.layers.map((layer) => ({
    layer: layer.name,
    type: layer.getClassName(),
    outputShape: JSON.stringify(layer.outputShape).replaceAll("null", "?")
      .replaceAll(",", ", "),
    parameters: layer.countParams(),
  }));
}

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/**
 * Rows of plain values as an HTML table, columns in the first row's key
 * order; numbers right-aligned with thousands separators.
 */
export function htmlTable(
  rows: Array<Record<string, string | number>>,
  options: { caption?: string } = {},
): string {
  const columns = rows.length ? Object.keys(rows[0]) : [];
  const cell = (value: string | number | undefined, tag: string) =>
    typeof value === "number"
      ? `<${tag} style="text-align:right">${
        value.toLocaleString("en-US")
      }</${tag}>`
      : `<${tag} style="text-align:left">${
        escapeHtml(String(value ?? ""))
      }</${tag}>`;
  const head = `<tr>${columns.map((c) => cell(c, "th")).join("")}</tr>`;
  const body = rows.map((row) =>
    `<tr>${columns.map((c) => cell(row[c], "td")).join("")}</tr>`
  ).join("\n");
  const caption = options.caption
    ? `<caption>${escapeHtml(options.caption)}</caption>`
    : "";
  return `<table>${caption}\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/**
 * A model's layers as an HTML table (layer, type, output shape,
 * parameters) with the total in the caption.
 */
export function architectureTable(model: LayeredModel, title?: string): string {
  const rows = layerRows(model);
  const total = rows.reduce((sum, row) => sum + row.parameters, 0);
  return htmlTable(
    rows.map((row) => ({
      layer: row.layer,
      type: row.type,
      "output shape": row.outputShape,
      parameters: row.parameters,
    })),
    {
      caption: `${title ? `${title}: ` : ""}${rows.length} layers, ${
        total.toLocaleString("en-US")
      } parameters`,
    },
  );
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  /** Field for the x axis. */
  x: string;
  /** Field for the y axis. */
  y: string;
  /** Field naming the series, one line each (labelled at its end). */
  series?: string;
  xLabel?: string;
  yLabel?: string;
  title?: string;
  width?: number;
  height?: number;
  /** Draw dots at the data points too. */
  dots?: boolean;
}

/** A line chart of plain rows, one line per series. */
export function lineChart(
  rows: Array<Record<string, string | number>>,
  options: LineChartOptions,
): PlotElement {
  const { x, y, series } = options;
  const marks: Plot.Markish[] = [
    Plot.lineY(rows, { x, y, stroke: series }),
  ];
  if (options.dots) marks.push(Plot.dot(rows, { x, y, fill: series, r: 2 }));
  if (series) {
    marks.push(
      Plot.text(
        rows,
        Plot.selectLast({
          x,
          y,
          z: series,
          text: series,
          fill: series,
          dx: 4,
          textAnchor: "start",
        }),
      ),
    );
  }
  return Plot.plot({
    document: plotDocument(),
    width: options.width ?? 640,
    height: options.height ?? 280,
    marginRight: series ? 110 : 20,
    title: options.title,
    x: { label: options.xLabel ?? x },
    y: { label: options.yLabel ?? y, grid: true },
    color: { type: "categorical" },
    marks,
  });
}

/** Options of {@link patchScoreFigure}. */
export interface PatchScoreOptions {
  /** Displayed pixels per image pixel. Default 4. */
  scale?: number;
  caption?: string;
  /** Opacity of the score cells over the image. Default 0.55. */
  opacity?: number;
}

/**
 * A PatchGAN's score map drawn over the image it judged: one coloured cell
 * per score, spread evenly over the image (each score's receptive field is
 * larger than its cell and overlaps its neighbours'), with its value
 * written in the cell.
 */
export function patchScoreFigure(
  image: PixelImage,
  scores: { data: Float32Array | number[]; rows: number; columns: number },
  options: PatchScoreOptions = {},
): PlotElement {
  const scale = options.scale ?? 4;
  const cellWidth = image.width / scores.columns;
  const cellHeight = image.height / scores.rows;
  const cells = Array.from(scores.data, (score, i) => {
    const row = Math.floor(i / scores.columns);
    const column = i % scores.columns;
    return {
      x1: column * cellWidth,
      x2: (column + 1) * cellWidth,
      y1: row * cellHeight,
      y2: (row + 1) * cellHeight,
      score,
    };
  });
  return Plot.plot({
    document: plotDocument(),
    width: image.width * scale + 80,
    height: image.height * scale,
    margin: 0,
    marginRight: 80,
    caption: options.caption,
    x: { domain: [0, image.width], axis: null },
    y: { domain: [image.height, 0], axis: null },
    color: { scheme: "RdBu" },
    marks: [
      pictureMark(image, image.width * scale, image.height * scale),
      Plot.rect(cells, {
        x1: "x1",
        x2: "x2",
        y1: "y1",
        y2: "y2",
        fill: "score",
        fillOpacity: options.opacity ?? 0.55,
        stroke: "white",
        strokeOpacity: 0.3,
      }),
      // Plot's colour legend needs a canvas; the scores are written instead.
      Plot.text(cells, {
        x: (d) => (d.x1 + d.x2) / 2,
        y: (d) => (d.y1 + d.y2) / 2,
        text: (d) => d.score.toFixed(2),
        fontSize: 9,
      }),
    ],
  });
}
