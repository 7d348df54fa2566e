/**
 * Lesson 01, exercise "spin-echo": the spin-echo signal equation, and the
 * scaling that turns a slice into model input.
 *
 * 1. `spinEchoSignal` returns the signal of a tissue with proton density
 *    `pd`, relaxation times `t1` and `t2` (ms), scanned with repetition time
 *    `tr` and echo time `te` (ms):
 *
 *      S = PD * (1 - exp(-TR / T1)) * exp(-TE / T2)
 *
 *    A tissue with no mobile protons (pd = 0, or t1 or t2 = 0: bone, air)
 *    gives 0.
 *
 * 2. `scaleToModelRange` maps a slice's pixels linearly so that its
 *    smallest value becomes -1 and its largest +1, the range the generator's
 *    tanh produces. A blank slice (all pixels equal) has no range to
 *    stretch: return all -1 (background), never NaN.
 *
 * Check it: deno task check spin-echo
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
  // TODO(student): the spin-echo equation, with 0 for tissues without signal.
  void [pd, t1, t2, tr, te];
  throw new Error("Not implemented yet: spinEchoSignal");
}

export function scaleToModelRange(pixels: Float32Array): Float32Array {
  // TODO(student): min -> -1, max -> +1, linear in between; blank -> all -1.
  void pixels;
  throw new Error("Not implemented yet: scaleToModelRange");
}
