/**
 * Lesson 06, exercise "schedule": the reference learning-rate schedule.
 *
 * Training runs `epochs + decayEpochs` epochs (numbered from 0). For the
 * first `epochs` the rate is `learningRate`. Then it falls linearly, by
 * learningRate / (decayEpochs + 1) per epoch, so that it would reach 0 one
 * epoch after the last: epoch `epochs` already runs at
 * learningRate * decayEpochs / (decayEpochs + 1). It never goes below 0.
 *
 * Check it: deno task check schedule
 *
 * @module
 */

export interface Schedule {
  learningRate: number;
  epochs: number;
  decayEpochs: number;
}

export function learningRateAt(epoch: number, schedule: Schedule): number {
  // TODO(student): constant, then a straight line down.
  void [epoch, schedule];
  throw new Error("Not implemented yet: learningRateAt");
}
