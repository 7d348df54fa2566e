/**
 * A brain phantom: axial slices drawn as tissue maps, then rendered as MR
 * images by the spin-echo model of `mr_physics.ts`.
 *
 * A tissue map labels every pixel background, scalp, skull, cerebrospinal
 * fluid (CSF), grey matter, white matter or lesion. The anatomy is drawn in
 * polar coordinates around the head's centre: an ellipse-ish head outline
 * with scalp, skull and a rim of CSF; a brain surface cut by sulci and by the
 * fissure between the hemispheres; a cortical ribbon of grey matter that
 * follows the surface into the sulci; white matter inside; deep grey nuclei;
 * two lateral ventricles; optional lesions. Every size, shape and position
 * is drawn from a seeded random generator, so a seed is an anatomy.
 *
 * ```ts
 * import { randomAnatomy, renderSlice, tissueMap } from "./phantom.ts";
 * import { T1_WEIGHTED } from "./mr_physics.ts";
 * const labels = tissueMap(randomAnatomy(7), 128);
 * const t1w = renderSlice(labels, 128, { protocol: T1_WEIGHTED, seed: 7 });
 * ```
 *
 * @module
 */
import { SeededRandom } from "../lib/random.ts";
import {
  addRicianNoise,
  biasField,
  type SpinEchoProtocol,
  Tissue,
  type TissueProperties,
  TISSUES_1_5T,
  tissueSignals,
} from "./mr_physics.ts";

/** An ellipse in head coordinates (fractions of the head's radii). */
export interface Ellipse {
  x: number;
  y: number;
  radiusX: number;
  radiusY: number;
  /** Rotation in radians. */
  angle: number;
}

/** A sulcus: a narrow cut into the brain surface. */
export interface Sulcus {
  /** Direction from the head's centre, radians (0 = right, pi/2 = down). */
  angle: number;
  /** Depth as a fraction of the head radius. */
  depth: number;
  /** How much it bends as it goes deeper, radians per unit depth. */
  bend: number;
}

/** Everything that makes one phantom slice's anatomy. */
export interface Anatomy {
  /** Head centre offset from the image centre, fractions of the image side. */
  centerX: number;
  centerY: number;
  /** Rotation of the head in radians. */
  rotation: number;
  /** Head semi-axes, fractions of the image side (left-right, front-back). */
  radiusX: number;
  radiusY: number;
  /** Low-order wobble of the head outline: [amplitude, phase] per order 2..4. */
  outline: [number, number][];
  /** Layer thicknesses, fractions of the head radius. */
  scalp: number;
  skull: number;
  csf: number;
  /** Cortical grey matter thickness, fraction of the image side. */
  cortex: number;
  sulci: Sulcus[];
  /** Depth of the fissure between the hemispheres, front and back. */
  fissure: [number, number];
  /** Scale of the lateral ventricles (1 = typical adult). */
  ventricleScale: number;
  /** Lateral ventricles, deep grey nuclei and lesions, in head coordinates. */
  ventricles: Ellipse[];
  deepGrey: Ellipse[];
  lesions: Ellipse[];
}

/** Choices for `randomAnatomy`. */
export interface AnatomyOptions {
  /** Lesions per slice; a [min, max] range draws a count. Default 0. */
  lesions?: number | [number, number];
}

/** Mixes integers into one 32-bit seed (for per-image seeds). */
export function mixSeed(...values: number[]): number {
  let hash = 0x811c9dc5;
  for (const value of values) {
    hash = Math.imul(hash ^ (value | 0), 0x01000193);
    hash ^= hash >>> 15;
    hash = Math.imul(hash, 0x2c1b3c6d);
    hash ^= hash >>> 12;
  }
  return hash >>> 0;
}

function uniform(random: SeededRandom, low: number, high: number): number {
  return low + (high - low) * random.next();
}

/** Draws an anatomy from a seed; the same seed gives the same anatomy. */
export function randomAnatomy(
  seed: number,
  options: AnatomyOptions = {},
): Anatomy {
  const random = new SeededRandom(mixSeed(seed, 0x5eed));
  const ventricleScale = uniform(random, 0.6, 1.6);
  const sulcusCount = 14 + random.int(13);
  const sulci: Sulcus[] = [];
  for (let i = 0; i < sulcusCount; i++) {
    const angle = ((i + uniform(random, -0.3, 0.3)) / sulcusCount) * 2 *
      Math.PI;
    sulci.push({
      angle,
      depth: uniform(random, 0.08, 0.22),
      bend: uniform(random, -1.5, 1.5),
    });
  }
  const ventricles: Ellipse[] = [];
  const deepGrey: Ellipse[] = [];
  const spread = uniform(random, 0.1, 0.18);
  for (const side of [-1, 1]) {
    const tilt = side * uniform(random, 0.15, 0.35);
    ventricles.push({
      x: side * (0.07 + 0.03 * ventricleScale),
      y: uniform(random, -0.08, 0.02),
      radiusX: 0.035 + 0.03 * ventricleScale,
      radiusY: 0.22 + 0.08 * ventricleScale,
      angle: -tilt,
    });
    deepGrey.push({
      x: side * (0.14 + 0.02 * ventricleScale),
      y: -0.22,
      radiusX: 0.06,
      radiusY: 0.09,
      angle: -tilt,
    });
    deepGrey.push({
      x: side * (0.12 + spread * 0.3),
      y: 0.16,
      radiusX: 0.09,
      radiusY: 0.11,
      angle: side * 0.2,
    });
  }
  const lesionRange = options.lesions ?? 0;
  const [fewest, most] = typeof lesionRange === "number"
    ? [lesionRange, lesionRange]
    : lesionRange;
  const lesionCount = fewest + random.int(Math.max(0, most - fewest) + 1);
  const lesions: Ellipse[] = [];
  for (let i = 0; i < lesionCount; i++) {
    const side = random.next() < 0.5 ? -1 : 1;
    lesions.push({
      x: side * uniform(random, 0.15, 0.45),
      y: uniform(random, -0.45, 0.45),
      radiusX: uniform(random, 0.025, 0.06),
      radiusY: uniform(random, 0.025, 0.08),
      angle: uniform(random, 0, Math.PI),
    });
  }
  return {
    centerX: random.normal(0, 0.015),
    centerY: random.normal(0, 0.015),
    rotation: random.normal(0, 0.1),
    radiusX: uniform(random, 0.32, 0.37),
    radiusY: uniform(random, 0.4, 0.45),
    outline: [2, 3, 4].map(() => [
      uniform(random, 0, 0.02),
      uniform(random, 0, 2 * Math.PI),
    ]),
    scalp: uniform(random, 0.05, 0.08),
    skull: uniform(random, 0.05, 0.08),
    csf: uniform(random, 0.02, 0.035),
    cortex: uniform(random, 0.028, 0.038),
    sulci,
    fissure: [uniform(random, 0.3, 0.5), uniform(random, 0.25, 0.45)],
    ventricleScale,
    ventricles,
    deepGrey,
    lesions,
  };
}

/** An ellipse with its rotation precomputed, for per-pixel tests. */
interface PlacedEllipse extends Ellipse {
  cos: number;
  sin: number;
}

function placeEllipses(ellipses: Ellipse[]): PlacedEllipse[] {
  return ellipses.map((e) => ({
    ...e,
    cos: Math.cos(e.angle),
    sin: Math.sin(e.angle),
  }));
}

function insideAny(u: number, v: number, ellipses: PlacedEllipse[]): boolean {
  for (const e of ellipses) {
    const du = u - e.x;
    const dv = v - e.y;
    const along = (du * e.cos + dv * e.sin) / e.radiusX;
    const across = (-du * e.sin + dv * e.cos) / e.radiusY;
    if (along * along + across * across <= 1) return true;
  }
  return false;
}

/** Smallest signed difference between two angles, in (-pi, pi]. */
function angleBetween(a: number, b: number): number {
  let d = (a - b) % (2 * Math.PI);
  if (d > Math.PI) d -= 2 * Math.PI;
  if (d <= -Math.PI) d += 2 * Math.PI;
  return d;
}

/**
 * Distance in pixels from each `inside` pixel to the nearest outside pixel
 * (3-4 chamfer metric, two passes); 0 outside.
 */
function distanceToOutside(
  inside: Uint8Array,
  size: number,
): Float32Array {
  const far = 1e9;
  const distance = new Float32Array(size * size);
  for (let i = 0; i < distance.length; i++) distance[i] = inside[i] ? far : 0;
  const relax = (i: number, j: number, step: number) => {
    const d = distance[j] + step;
    if (d < distance[i]) distance[i] = d;
  };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      if (!distance[i]) continue;
      if (x > 0) relax(i, i - 1, 3);
      if (y > 0) {
        relax(i, i - size, 3);
        if (x > 0) relax(i, i - size - 1, 4);
        if (x < size - 1) relax(i, i - size + 1, 4);
      }
    }
  }
  for (let y = size - 1; y >= 0; y--) {
    for (let x = size - 1; x >= 0; x--) {
      const i = y * size + x;
      if (!distance[i]) continue;
      if (x < size - 1) relax(i, i + 1, 3);
      if (y < size - 1) {
        relax(i, i + size, 3);
        if (x < size - 1) relax(i, i + size + 1, 4);
        if (x > 0) relax(i, i + size - 1, 4);
      }
    }
  }
  for (let i = 0; i < distance.length; i++) distance[i] /= 3;
  return distance;
}

/**
 * Draws an anatomy as a `size` x `size` tissue map, row by row, labels as in
 * `Tissue`. Sizes from 16 to 1024 pixels are supported.
 */
export function tissueMap(anatomy: Anatomy, size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 16 || size > 1024) {
    throw new RangeError(
      `Phantom size must be an integer from 16 to 1024 pixels, got ${size}`,
    );
  }
  const labels = new Uint8Array(size * size);
  const brain = new Uint8Array(size * size);
  const cos = Math.cos(anatomy.rotation);
  const sin = Math.sin(anatomy.rotation);
  const brainEdge = 1 - anatomy.scalp - anatomy.skull - anatomy.csf;
  const sulcusWidth = 0.7 / size + 0.003;
  const meanRadius = (anatomy.radiusX + anatomy.radiusY) / 2;
  const halfPi = Math.PI / 2;
  const fissures = [
    { angle: -halfPi, depth: anatomy.fissure[0], bend: 0 },
    { angle: halfPi, depth: anatomy.fissure[1], bend: 0 },
  ];
  const cuts = [...anatomy.sulci, ...fissures];
  const outline = anatomy.outline.map(([amplitude, phase]) => ({
    amplitude,
    cosPhase: Math.cos(phase),
    sinPhase: Math.sin(phase),
  }));
  const deepGrey = placeEllipses(anatomy.deepGrey);
  const ventricles = placeEllipses(anatomy.ventricles);
  const lesions = placeEllipses(anatomy.lesions);

  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const dx = (px + 0.5) / size - 0.5 - anatomy.centerX;
      const dy = (py + 0.5) / size - 0.5 - anatomy.centerY;
      const x = dx * cos + dy * sin;
      const y = -dx * sin + dy * cos;
      const r = Math.sqrt(x * x + y * y) || 1e-9;
      const cosPhi = x / r;
      const sinPhi = y / r;
      const ex = cosPhi / anatomy.radiusX;
      const ey = sinPhi / anatomy.radiusY;
      let headRadius = 1 / Math.sqrt(ex * ex + ey * ey);
      // cos(k phi + phase) for k = 2, 3, 4 by the angle-addition recurrence.
      let cosK = cosPhi;
      let sinK = sinPhi;
      for (let k = 0; k < outline.length; k++) {
        const nextCos = cosK * cosPhi - sinK * sinPhi;
        sinK = sinK * cosPhi + cosK * sinPhi;
        cosK = nextCos;
        headRadius *= 1 +
          outline[k].amplitude *
            (cosK * outline[k].cosPhase - sinK * outline[k].sinPhase);
      }
      const rho = r / headRadius;
      const i = py * size + px;
      if (rho > 1) continue;
      if (rho > 1 - anatomy.scalp) {
        labels[i] = Tissue.scalp;
        continue;
      }
      if (rho > 1 - anatomy.scalp - anatomy.skull) {
        labels[i] = Tissue.skull;
        continue;
      }
      let surface = brainEdge;
      const phi = Math.atan2(y, x);
      for (const cut of cuts) {
        const depthBelow = brainEdge - rho;
        if (depthBelow > cut.depth) continue;
        const offset = angleBetween(phi, cut.angle + cut.bend * depthBelow);
        const across = Math.abs(offset) * r;
        const taper = 1 - depthBelow / cut.depth;
        if (across < sulcusWidth * (0.6 + taper)) {
          surface = -1;
          break;
        }
      }
      if (rho > surface) {
        labels[i] = Tissue.csf;
        continue;
      }
      brain[i] = 1;
      labels[i] = Tissue.whiteMatter;
    }
  }

  const depth = distanceToOutside(brain, size);
  const cortexPixels = Math.max(1, anatomy.cortex * size);
  for (let i = 0; i < labels.length; i++) {
    if (brain[i] && depth[i] <= cortexPixels) labels[i] = Tissue.greyMatter;
  }

  const scale = meanRadius * size;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const i = py * size + px;
      if (!brain[i]) continue;
      const dx = ((px + 0.5) - size * (0.5 + anatomy.centerX)) / scale;
      const dy = ((py + 0.5) - size * (0.5 + anatomy.centerY)) / scale;
      const u = dx * cos + dy * sin;
      const v = -dx * sin + dy * cos;
      if (insideAny(u, v, deepGrey)) labels[i] = Tissue.greyMatter;
      if (insideAny(u, v, ventricles)) {
        labels[i] = Tissue.csf;
      } else if (
        labels[i] === Tissue.whiteMatter && insideAny(u, v, lesions)
      ) {
        labels[i] = Tissue.lesion;
      }
    }
  }
  return labels;
}

/** How to turn a tissue map into an MR image. */
export interface RenderOptions {
  /** TR and TE of the spin-echo sequence, ms. */
  protocol: SpinEchoProtocol;
  /** Seed of the noise and bias field. */
  seed: number;
  /** Noise standard deviation, fraction of the brightest tissue. Default 0.03. */
  noise?: number;
  /** Bias field amplitude: 0.1 gives gains of about 0.9..1.1. Default 0.1. */
  bias?: number;
  /** Tissue properties by label. Default: 1.5 T literature values. */
  tissues?: readonly TissueProperties[];
  /**
   * Blur the noiseless image by one pixel to mimic partial volume at tissue
   * borders. Default true.
   */
  partialVolume?: boolean;
}

/**
 * Renders a tissue map as a spin-echo MR image with Rician noise and a bias
 * field, values in [-1, 1]: -1 is no signal and +1 is 1.25 times the
 * brightest tissue's noiseless signal, the same scale for every image of a
 * protocol, so brightness can be compared across images.
 */
export function renderSlice(
  labels: Uint8Array,
  size: number,
  options: RenderOptions,
): Float32Array {
  if (labels.length !== size * size) {
    throw new RangeError(
      `Tissue map has ${labels.length} pixels, expected ${size}x${size}`,
    );
  }
  const signals = tissueSignals(
    options.protocol,
    options.tissues ?? TISSUES_1_5T,
  );
  const brightest = Math.max(...signals) || 1;
  const image = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) image[i] = signals[labels[i]] ?? 0;
  if (options.partialVolume ?? true) blurOnce(image, size);

  const random = new SeededRandom(mixSeed(options.seed, 0xb1a5));
  const field = biasField(size, size, options.bias ?? 0.1, random);
  for (let i = 0; i < image.length; i++) image[i] *= field[i];
  addRicianNoise(image, (options.noise ?? 0.03) * brightest, random);

  const fullScale = 1.25 * brightest;
  for (let i = 0; i < image.length; i++) {
    const value = (2 * image[i]) / fullScale - 1;
    image[i] = value > 1 ? 1 : value;
  }
  return image;
}

/** A separable [1, 2, 1] / 4 blur, edges repeated. */
function blurOnce(image: Float32Array, size: number): void {
  const row = new Float32Array(size);
  for (let y = 0; y < size; y++) {
    const at = y * size;
    for (let x = 0; x < size; x++) row[x] = image[at + x];
    for (let x = 0; x < size; x++) {
      const left = row[x > 0 ? x - 1 : x];
      const right = row[x < size - 1 ? x + 1 : x];
      image[at + x] = 0.25 * left + 0.5 * row[x] + 0.25 * right;
    }
  }
  for (let x = 0; x < size; x++) {
    for (let y = 0; y < size; y++) row[y] = image[y * size + x];
    for (let y = 0; y < size; y++) {
      const up = row[y > 0 ? y - 1 : y];
      const down = row[y < size - 1 ? y + 1 : y];
      image[y * size + x] = 0.25 * up + 0.5 * row[y] + 0.25 * down;
    }
  }
}

/** A tissue map as grey levels in [-1, 1], for showing beside its images. */
export function tissueMapImage(labels: Uint8Array): Float32Array {
  const levels = [-1, 0.2, -0.6, -0.2, 0.45, 0.9, 0.65];
  return Float32Array.from(labels, (label) => levels[label] ?? -1);
}

/** An RGB colour per tissue label, 0..255, for a legend beside the map. */
export const TISSUE_COLOURS: readonly [number, number, number][] = [
  [0, 0, 0],
  [230, 190, 80],
  [150, 110, 70],
  [60, 120, 230],
  [150, 150, 150],
  [250, 250, 250],
  [220, 40, 40],
];

/** A tissue map in colour, [size, size, 3] in [-1, 1], for showing beside its images. */
export function tissueMapColours(labels: Uint8Array): Float32Array {
  const out = new Float32Array(labels.length * 3);
  labels.forEach((label, i) => {
    const colour = TISSUE_COLOURS[label] ?? TISSUE_COLOURS[0];
    for (let c = 0; c < 3; c++) out[i * 3 + c] = colour[c] / 127.5 - 1;
  });
  return out;
}
