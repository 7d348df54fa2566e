/**
 * Reference solution of lesson 02, exercise "block-shapes".
 *
 * @module
 */

// "same" padding with stride 2 halves height and width: 64 -> 32.
export const downsampled: number[] = [1, 32, 32, 16];

// A residual block changes nothing about the shape.
export const residual: number[] = [2, 16, 16, 32];

// A stride-2 transposed conv with "same" padding doubles: 16 -> 32.
export const upsampled: number[] = [1, 32, 32, 8];

// A 3x3 "valid" conv loses one pixel per side: 10 -> 8.
export const validConv: number[] = [2, 8, 8, 4];

export function transposedConvOutputSize(
  inputSize: number,
  kernel: number,
  stride: number,
  padding: "same" | "valid",
): number {
  if (padding === "same") return inputSize * stride;
  return (inputSize - 1) * stride + Math.max(kernel, stride);
}
