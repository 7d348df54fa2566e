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
 * A line per loss against the training step, each line labelled at its
 * end, so the chart reads without a separate legend.
 */
export function lossChart(
  history: LossRecord[],
  options: LossChartOptions = {},
): PlotElement {
  const rows = longForm(history, options.keys);
  return Plot.plot({
    document: plotDocument(),
    width: options.width ?? 640,
    height: options.height ?? 320,
    marginRight: 90,
    title: options.title,
    x: { label: "step" },
    y: { label: "loss", grid: true, type: options.logY ? "log" : "linear" },
    color: { type: "categorical" },
    marks: [
      Plot.lineY(rows, { x: "step", y: "loss", stroke: "name" }),
      Plot.text(
        rows,
        Plot.selectLast({
          x: "step",
          y: "loss",
          z: "name",
          text: "name",
          fill: "name",
          dx: 4,
          textAnchor: "start",
        }),
      ),
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
      Plot.image([0], {
        x: image.width / 2,
        y: image.height / 2,
        width,
        height,
        src: pngDataUrl(image),
        preserveAspectRatio: "none",
        imageRendering: "pixelated",
      }),
    ],
  });
}
