/**
 * Lesson 02, exercise "block-shapes": predict output shapes before running
 * anything. Work each one out on paper from the kernel, stride, padding and
 * filters, then write it as [batch, height, width, channels].
 *
 * Check it: deno task check block-shapes
 *
 * @module
 */

/**
 * A downsampling block (4x4 conv, stride 2, "same" padding, 16 filters,
 * instance norm, ReLU) applied to a [1, 64, 64, 8] batch.
 */
export const downsampled: number[] = []; // TODO(student)

/** A residual block applied to a [2, 16, 16, 32] batch. */
export const residual: number[] = []; // TODO(student)

/**
 * An upsampling block (4x4 transposed conv, stride 2, "same" padding,
 * 8 filters) applied to a [1, 16, 16, 32] batch.
 */
export const upsampled: number[] = []; // TODO(student)

/**
 * A plain 3x3 conv with "valid" padding (none), stride 1 and 4 filters,
 * applied to a [2, 10, 10, 1] batch.
 */
export const validConv: number[] = []; // TODO(student)

/**
 * The height (or width) a transposed convolution produces from an input of
 * `inputSize`, with a square kernel `kernel`, stride `stride`, and "same"
 * or "valid" padding. (A transposed conv runs a strided conv backwards: the
 * output is the size a strided conv would shrink back to the input.)
 */
export function transposedConvOutputSize(
  inputSize: number,
  kernel: number,
  stride: number,
  padding: "same" | "valid",
): number {
  // TODO(student): one line per padding mode.
  void [inputSize, kernel, stride, padding];
  throw new Error("Not implemented yet: transposedConvOutputSize");
}
