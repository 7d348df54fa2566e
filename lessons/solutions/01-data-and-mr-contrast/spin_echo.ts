/**
 * Reference solution of lesson 01, exercise "spin-echo".
 *
 * @module
 */

export function spinEchoSignal(
  pd: number,
  t1: number,
  t2: number,
  tr: number,
  te: number,
): number {
  if (pd === 0 || t1 <= 0 || t2 <= 0) return 0;
  // Recovery of longitudinal magnetisation by TR, decay of the echo by TE.
  return pd * (1 - Math.exp(-tr / t1)) * Math.exp(-te / t2);
}

export function scaleToModelRange(pixels: Float32Array): Float32Array {
  let low = Infinity;
  let high = -Infinity;
  for (const value of pixels) {
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  const range = high - low;
  // A blank slice would divide by zero: call it background.
  if (!(range > 0)) return new Float32Array(pixels.length).fill(-1);
  return pixels.map((value) => (2 * (value - low)) / range - 1);
}
