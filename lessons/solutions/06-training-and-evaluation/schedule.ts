/**
 * Reference solution of lesson 06, exercise "schedule".
 *
 * @module
 */

export interface Schedule {
  learningRate: number;
  epochs: number;
  decayEpochs: number;
}

export function learningRateAt(epoch: number, schedule: Schedule): number {
  const { learningRate, epochs, decayEpochs } = schedule;
  if (epoch < epochs) return learningRate;
  const intoDecay = epoch - epochs + 1;
  return learningRate * Math.max(0, 1 - intoDecay / (decayEpochs + 1));
}
