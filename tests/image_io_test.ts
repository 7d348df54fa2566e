/**
 * Tests for lib/image_io.ts: every PNG colour type and depth the folder
 * reader meets, JPEG, channel conversion, corrupt and unknown files, grids.
 */
import assert from "node:assert/strict";
import * as fastPng from "fast-png";
import jpeg from "jpeg-js";
import {
  decodeImage,
  encodePng,
  floatToBytes,
  ImageDecodeError,
  imageGrid,
  toFloatPixels,
} from "../lib/image_io.ts";

/** An 8x8 one-component (grey) JPEG made with Pillow 9.4; bottom half 200. */
const GREY_JPEG =
  "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAIBAQEBAQIBAQECAgICAgQDAgICAgUEBAMEBgUGBgYFBgYGBwkIBgcJBwYGCAsICQoKCgoKBggLDAsKDAkKCgr/wAALCAAIAAgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/APYv+Cd3/BKf/hgf7D/xfn/hLPsW3/mV/sG/H/b1Lj9a/9k=";

function base64Bytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

const WIDTH = 5;
const HEIGHT = 3;

function ramp(length: number, scale: number): number[] {
  return Array.from({ length }, (_, i) => (i * scale) % 256);
}

Deno.test("8-bit grey PNG decodes exactly and maps 0..255 to -1..1", () => {
  const samples = Uint8Array.from(ramp(WIDTH * HEIGHT, 17));
  samples[0] = 0;
  samples[1] = 255;
  const png = fastPng.encode({
    width: WIDTH,
    height: HEIGHT,
    data: samples,
    channels: 1,
    depth: 8,
  });
  const image = decodeImage(png, "grey.png");
  assert.equal(image.width, WIDTH);
  assert.equal(image.height, HEIGHT);
  assert.equal(image.channels, 1);
  assert.deepEqual([...image.data], [...samples]);
  const grey = toFloatPixels(image, 1);
  assert.equal(grey[0], -1);
  assert.equal(grey[1], 1);
  const rgb = toFloatPixels(image, 3);
  assert.equal(rgb.length, WIDTH * HEIGHT * 3);
  assert.equal(rgb[3], 1);
  assert.equal(rgb[4], 1);
  assert.equal(rgb[5], 1);
});

Deno.test("16-bit PNG keeps its precision", () => {
  const samples = Uint16Array.from(
    { length: WIDTH * HEIGHT },
    (_, i) => i * 4000 + 1,
  );
  const png = fastPng.encode({
    width: WIDTH,
    height: HEIGHT,
    data: samples,
    channels: 1,
    depth: 16,
  });
  const image = decodeImage(png, "deep.png");
  assert.equal(image.bitDepth, 16);
  assert.equal(image.maxValue, 65535);
  const grey = toFloatPixels(image, 1);
  for (let i = 0; i < samples.length; i++) {
    assert.ok(Math.abs(grey[i] - (samples[i] / 65535 * 2 - 1)) < 1e-6);
  }
  // 1 and 4001 differ by less than one 8-bit step but must stay apart.
  assert.notEqual(grey[0], grey[1]);
});

Deno.test("grey+alpha and RGBA drop alpha; RGB to grey uses BT.601 luma", () => {
  const greyAlpha = fastPng.encode({
    width: 2,
    height: 1,
    channels: 2,
    depth: 8,
    data: Uint8Array.of(200, 0, 100, 255),
  });
  const ga = decodeImage(greyAlpha, "ga.png");
  assert.equal(ga.channels, 2);
  assert.deepEqual([...floatToBytes(toFloatPixels(ga, 1))], [200, 100]);

  const rgba = fastPng.encode({
    width: 1,
    height: 1,
    channels: 4,
    depth: 8,
    data: Uint8Array.of(255, 0, 0, 10),
  });
  const image = decodeImage(rgba, "rgba.png");
  assert.deepEqual([...floatToBytes(toFloatPixels(image, 3))], [255, 0, 0]);
  assert.deepEqual([...floatToBytes(toFloatPixels(image, 1))], [76]);
});

Deno.test("palette PNG is expanded to RGB", () => {
  const palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
  const png = fastPng.encode({
    width: 3,
    height: 1,
    channels: 1,
    depth: 8,
    data: Uint8Array.of(2, 0, 1),
    palette,
  });
  const image = decodeImage(png, "palette.png");
  assert.equal(image.palette, true);
  assert.equal(image.channels, 3);
  assert.deepEqual([...image.data], [0, 0, 255, 255, 0, 0, 0, 255, 0]);
});

Deno.test("interlaced (Adam7) PNG decodes like a plain one", () => {
  const data = Uint8Array.from({ length: 9 * 7 * 3 }, (_, i) => i % 251);
  const png = fastPng.encode(
    { width: 9, height: 7, channels: 3, depth: 8, data },
    { interlace: "Adam7" },
  );
  assert.deepEqual([...decodeImage(png, "adam7.png").data], [...data]);
});

Deno.test("1-bit grey PNG is spread to 0..255", () => {
  const png = fastPng.encode({
    width: 8,
    height: 1,
    channels: 1,
    depth: 1,
    data: Uint8Array.of(0b10100000),
  });
  const image = decodeImage(png, "bits.png");
  assert.deepEqual([...image.data], [255, 0, 255, 0, 0, 0, 0, 0]);
});

Deno.test("JPEG decodes colour and reports grey JPEGs as 1 channel", () => {
  const width = 16;
  const height = 8;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set([200, 40, 40, 255], i * 4);
  }
  const file = new Uint8Array(
    jpeg.encode({ width, height, data: rgba }, 95).data,
  );
  const image = decodeImage(file, "red.jpg");
  assert.equal(image.format, "jpeg");
  assert.equal(image.channels, 3);
  assert.equal(image.width, width);
  assert.ok(Math.abs(image.data[0] - 200) < 6 && image.data[1] < 60);

  const grey = decodeImage(base64Bytes(GREY_JPEG), "grey.jpg");
  assert.equal(grey.channels, 1);
  assert.equal(grey.width, 8);
  assert.equal(grey.data.length, 64);
  assert.ok(Math.abs(grey.data[7 * 8 + 3] - 200) <= 3);
});

Deno.test("truncated and corrupt files raise errors naming the file", () => {
  const png = encodePng({
    width: 8,
    height: 8,
    channels: 1,
    data: new Float32Array(64).fill(0.5),
  });
  for (const cut of [20, 50, png.length - 6]) {
    assert.throws(
      () => decodeImage(png.slice(0, cut), "cut.png"),
      (error: Error) =>
        error instanceof ImageDecodeError && /cut\.png/.test(error.message) &&
        /corrupt or truncated PNG/.test(error.message),
    );
  }
  const flipped = png.slice();
  flipped[png.length - 20] ^= 0xff;
  assert.throws(() => decodeImage(flipped, "flipped.png"), /flipped\.png/);

  const rgba = new Uint8Array(16 * 16 * 4).fill(128);
  const jpg = new Uint8Array(
    jpeg.encode({ width: 16, height: 16, data: rgba }, 90).data,
  );
  assert.throws(
    () => decodeImage(jpg.slice(0, jpg.length >> 1), "half.jpg"),
    /half\.jpg: corrupt or truncated JPEG/,
  );
});

Deno.test("unknown formats are named in the error", () => {
  const cases: [Uint8Array, RegExp][] = [
    [new TextEncoder().encode("GIF89a......"), /it is a GIF/],
    [new TextEncoder().encode("BM6......"), /BMP/],
    [new Uint8Array(0), /empty/],
    [new TextEncoder().encode("hello world"), /first bytes are 68 65/],
  ];
  for (const [bytes, reason] of cases) {
    assert.throws(
      () => decodeImage(bytes, "odd.png"),
      (error: Error) =>
        /Cannot read image odd\.png: expected a PNG or JPEG file/.test(
          error.message,
        ) &&
        reason.test(error.message),
    );
  }
});

Deno.test("encodePng round-trips float grey and RGB, and 16-bit", () => {
  const grey = Float32Array.of(-1, -0.5, 0, 0.5, 1, 2);
  const back = decodeImage(
    encodePng({ width: 3, height: 2, channels: 1, data: grey }),
    "g.png",
  );
  assert.deepEqual([...back.data], [0, 64, 128, 191, 255, 255]);

  const rgb = Float32Array.of(1, -1, -1, -1, 1, -1);
  const colour = decodeImage(
    encodePng({ width: 2, height: 1, channels: 3, data: rgb }),
    "c.png",
  );
  assert.deepEqual([...colour.data], [255, 0, 0, 0, 255, 0]);

  const deep = Uint16Array.of(0, 1000, 65535);
  const decoded = decodeImage(
    encodePng({ width: 3, height: 1, channels: 1, data: deep }),
    "d.png",
  );
  assert.equal(decoded.bitDepth, 16);
  assert.deepEqual([...decoded.data], [0, 1000, 65535]);

  assert.throws(
    () =>
      encodePng({
        width: 2,
        height: 2,
        channels: 1,
        data: new Float32Array(3),
      }),
    /3 samples, expected 2x2x1 = 4/,
  );
});

Deno.test("imageGrid tiles rows of mixed channels into one picture", () => {
  const grey = {
    data: new Float32Array(2 * 4 * 4).fill(-1),
    shape: [2, 4, 4, 1] as [number, number, number, number],
  };
  const colour = {
    data: new Float32Array(1 * 4 * 4 * 3).fill(1),
    shape: [1, 4, 4, 3] as [number, number, number, number],
  };
  const grid = imageGrid([grey, colour], { padding: 1, background: 0 });
  assert.equal(grid.channels, 3);
  assert.equal(grid.width, 1 + 2 * (4 + 1));
  assert.equal(grid.height, 1 + 2 * (4 + 1));
  const at = (x: number, y: number) => grid.data[(y * grid.width + x) * 3];
  assert.equal(at(0, 0), 0);
  assert.equal(at(1, 1), -1);
  assert.equal(at(1, 6), 1);
  assert.equal(at(6, 6), 0);
  const png = decodeImage(encodePng(grid), "grid.png");
  assert.equal(png.width, grid.width);
});
