/**
 * Reference solution of lesson 03, exercise "network-shapes".
 *
 * @module
 */

// Reflection padding keeps the 7x7 convs size-neutral; two halvings and
// two doublings come back to 64; the head writes 1 channel.
export const generatorOutput: number[] = [1, 64, 64, 1];

// 64 -> 32 -> 16 pixels, 8 -> 16 -> 32 channels.
export const bottleneck: number[] = [1, 16, 16, 32];

// Each 4x4 conv on a 1-pixel zero pad: n -> floor((n + 2 - 4) / s) + 1.
// 64 -> 32 -> 16 -> 8 (stride 2), then 8 -> 7 -> 6 (stride 1).
export const discriminatorOutput: number[] = [1, 6, 6, 1];

// 128 -> 64 -> 32 -> 16 -> 15 -> 14.
export const discriminatorOutput128: number[] = [4, 14, 14, 1];
