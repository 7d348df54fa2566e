/**
 * The reference learning-rate schedule: constant for `epochs`, then falling
 * linearly so that it would reach zero one epoch after the last,
 * `decayEpochs` later.
 *
 * @module
 */

/**
 * Learning rate for a (0-based) epoch:
 *
 * ```ts
 * import { learningRateAt } from "./schedule.ts";
 * learningRateAt(0, { learningRate: 2e-4, epochs: 100, decayEpochs: 100 }); // 2e-4
 * learningRateAt(150, { learningRate: 2e-4, epochs: 100, decayEpochs: 100 }); // ~1e-4
 * ```
 */
export function learningRateAt(
  epoch: number,
  schedule: { learningRate: number; epochs: number; decayEpochs: number },
): number {
  const { learningRate, epochs, decayEpochs } = schedule;
  if (epoch < epochs) return learningRate;
  const intoDecay = epoch - epochs + 1;
  const factor = Math.max(0, 1 - intoDecay / (decayEpochs + 1));
  return learningRate * factor;
}
