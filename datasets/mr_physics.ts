/**
 * The MR physics behind the embedded default data set: how bright each
 * tissue looks in a spin-echo image.
 *
 * A spin-echo sequence repeated every TR milliseconds and read at echo time
 * TE gives, per tissue (ignoring the 90-180 degree pulse imperfections),
 *
 *   S = PD * (1 - exp(-TR / T1)) * exp(-TE / T2)
 *
 * where PD is the proton density (relative to water = 1), T1 the
 * longitudinal and T2 the transverse relaxation time. Short TR and short TE
 * make T1 differences dominate (T1-weighted: fat and white matter bright,
 * fluid dark); long TR and long TE make T2 differences dominate
 * (T2-weighted: fluid bright, white matter darker than grey).
 *
 * Tissue values at 1.5 T are those of the BrainWeb MRI simulator, from
 * R.K.-S. Kwan, A.C. Evans, G.B. Pike, "MRI simulation-based evaluation of
 * image-processing and classification methods", IEEE Transactions on
 * Medical Imaging 18(11):1085-1097, 1999 (the model behind the BrainWeb
 * Simulated Brain Database, brainweb.bic.mni.mcgill.ca). For comparison,
 * G.J. Stanisz et al., "T1, T2 relaxation and magnetization transfer in
 * tissue at 3T", Magnetic Resonance in Medicine 54(3):507-512, 2005,
 * measured at 1.5 T: grey matter T1 1124 ms, T2 95 ms; white matter T1
 * 884 ms, T2 72 ms. Both give the same contrast order.
 *
 * Two imperfections of real scans are added: Rician noise (the magnitude of
 * a complex signal with Gaussian noise in both channels, so the background
 * is Rayleigh-distributed rather than zero) and a smooth multiplicative
 * bias field (coil sensitivity, "intensity non-uniformity").
 *
 * @module
 */
import type { SeededRandom } from "../lib/random.ts";

/** Tissue labels of a phantom's tissue map. */
export const Tissue = {
  background: 0,
  scalp: 1,
  skull: 2,
  csf: 3,
  greyMatter: 4,
  whiteMatter: 5,
  lesion: 6,
} as const;

/** A tissue label, 0..6. */
export type TissueLabel = typeof Tissue[keyof typeof Tissue];

/** Names of the tissues, indexed by label. */
export const TISSUE_NAMES: readonly string[] = [
  "background",
  "scalp (fat)",
  "skull",
  "cerebrospinal fluid",
  "grey matter",
  "white matter",
  "lesion",
];

/** Relaxation properties of one tissue. */
export interface TissueProperties {
  /** Proton density relative to pure water. */
  pd: number;
  /** Longitudinal relaxation time in ms (0 = no signal). */
  t1: number;
  /** Transverse relaxation time in ms (0 = no signal). */
  t2: number;
}

/** The field strength the tissue table below is for, in tesla. */
export const FIELD_STRENGTH_TESLA = 1.5;

/**
 * Tissue properties at 1.5 T, indexed by tissue label.
 *
 * Background, scalp fat, skull, CSF, grey and white matter: BrainWeb
 * (Kwan, Evans & Pike 1999). Cortical bone has almost no mobile protons,
 * so BrainWeb gives the skull no signal. The lesion row is illustrative, not
 * a literature value: a demyelinating lesion with longer T1 and T2 than white
 * matter, so it is dark in T1w and bright in T2w as MS lesions are.
 */
export const TISSUES_1_5T: readonly TissueProperties[] = [
  { pd: 0, t1: 0, t2: 0 },
  { pd: 1.0, t1: 350, t2: 70 },
  { pd: 0, t1: 0, t2: 0 },
  { pd: 1.0, t1: 2569, t2: 329 },
  { pd: 0.86, t1: 833, t2: 83 },
  { pd: 0.77, t1: 500, t2: 70 },
  { pd: 0.85, t1: 1200, t2: 180 },
];

/** A spin-echo protocol: repetition and echo time in milliseconds. */
export interface SpinEchoProtocol {
  tr: number;
  te: number;
}

/** Short TR, short TE: T1-weighted. */
export const T1_WEIGHTED: Readonly<SpinEchoProtocol> = Object.freeze({
  tr: 500,
  te: 15,
});

/** Long TR, long TE: T2-weighted. */
export const T2_WEIGHTED: Readonly<SpinEchoProtocol> = Object.freeze({
  tr: 4000,
  te: 100,
});

/** The spin-echo signal of one tissue, in units of water's full signal. */
export function spinEchoSignal(
  tissue: TissueProperties,
  protocol: SpinEchoProtocol,
): number {
  if (tissue.pd === 0 || tissue.t1 <= 0 || tissue.t2 <= 0) return 0;
  return tissue.pd * (1 - Math.exp(-protocol.tr / tissue.t1)) *
    Math.exp(-protocol.te / tissue.t2);
}

/** Checks a protocol, naming the bad value. */
export function checkProtocol(protocol: SpinEchoProtocol): void {
  const { tr, te } = protocol;
  if (!(Number.isFinite(tr) && tr > 0)) {
    throw new RangeError(
      `Spin-echo TR must be a positive number of ms, got ${tr}`,
    );
  }
  if (!(Number.isFinite(te) && te > 0 && te < tr)) {
    throw new RangeError(
      `Spin-echo TE must be a positive number of ms below TR (${tr}), got ${te}`,
    );
  }
}

/** The signal of every tissue under a protocol, indexed by label. */
export function tissueSignals(
  protocol: SpinEchoProtocol,
  tissues: readonly TissueProperties[] = TISSUES_1_5T,
): Float32Array {
  checkProtocol(protocol);
  return Float32Array.from(
    tissues,
    (tissue) => spinEchoSignal(tissue, protocol),
  );
}

/**
 * Adds Rician noise in place: each value becomes |S + n1 + i n2| with n1, n2
 * drawn from N(0, sigma). Where S is 0 the result is Rayleigh noise.
 */
export function addRicianNoise(
  signal: Float32Array,
  sigma: number,
  random: SeededRandom,
): void {
  if (sigma <= 0) return;
  for (let i = 0; i < signal.length; i++) {
    // One Box-Muller draw gives both independent normals (cos and sin).
    const radius = sigma * Math.sqrt(-2 * Math.log(1 - random.next()));
    const angle = 2 * Math.PI * random.next();
    const real = signal[i] + radius * Math.cos(angle);
    const imaginary = radius * Math.sin(angle);
    signal[i] = Math.sqrt(real * real + imaginary * imaginary);
  }
}

/**
 * A smooth multiplicative field over a `height` x `width` image: exp of a
 * random second-order polynomial in the normalised coordinates, scaled so
 * its values stay within about 1 +- `amplitude`. `amplitude` 0.1 matches
 * BrainWeb's "20% INU" (0.90..1.10).
 */
export function biasField(
  height: number,
  width: number,
  amplitude: number,
  random: SeededRandom,
): Float32Array {
  const field = new Float32Array(height * width).fill(1);
  if (amplitude <= 0) return field;
  const c = Array.from({ length: 5 }, () => random.normal());
  const norm = Math.abs(c[0]) + Math.abs(c[1]) + Math.abs(c[2]) +
    Math.abs(c[3]) + Math.abs(c[4]);
  const scale = Math.log(1 + amplitude) / (norm || 1);
  for (let y = 0; y < height; y++) {
    const v = (2 * y) / (height - 1 || 1) - 1;
    for (let x = 0; x < width; x++) {
      const u = (2 * x) / (width - 1 || 1) - 1;
      const polynomial = c[0] * u + c[1] * v + c[2] * u * v +
        c[3] * (u * u - 0.5) + c[4] * (v * v - 0.5);
      field[y * width + x] = Math.exp(scale * polynomial);
    }
  }
  return field;
}
