/**
 * Lesson 01, exercise "contrast-order": predict how bright each tissue is.
 *
 * Using the lesson's table of tissue properties at 1.5 T and the spin-echo
 * equation, order these four tissues from brightest to darkest:
 *
 *   "fat", "csf", "greyMatter", "whiteMatter"
 *
 * - in a T1-weighted image (TR 500 ms, TE 15 ms), and
 * - in a T2-weighted image (TR 4000 ms, TE 100 ms).
 *
 * Work it out first (a calculator is fine), then check.
 *
 * Check it: deno task check contrast-order
 *
 * @module
 */

/** Brightest first, T1-weighted. */
export const t1wBrightestFirst: string[] = []; // TODO(student)

/** Brightest first, T2-weighted. */
export const t2wBrightestFirst: string[] = []; // TODO(student)
