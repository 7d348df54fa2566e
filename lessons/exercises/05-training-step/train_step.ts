/**
 * Lesson 05, exercise "training-step": one CycleGAN training step, written
 * by hand with `tf.variableGrads` and the two Adam optimizers of a
 * `CycleGAN` model.
 *
 * The plumbing is done: which variables each optimizer updates, the image
 * pools, reading the losses back as numbers and disposing of the gradients.
 * Two gaps are yours:
 *
 * 1. The generators' objective (lesson 04):
 *      adversarial(A->B) + adversarial(B->A)
 *      + cycle(A) + cycle(B)             with weight lambda = cycleWeight
 *      + identity(A) + identity(B)       with weight identityWeight x lambda
 *    where A->B is `generatorAB`, judged by `discriminatorB`, and the
 *    identity terms feed real A to `generatorBA` and real B to `generatorAB`.
 * 2. The discriminators' objective: discriminatorLoss of each
 *    discriminator on its real images and on the pooled fakes.
 *
 * Use the library's losses (imported below) with the LSGAN default. Every
 * tensor must have an owner: inside `tf.variableGrads` intermediate tensors
 * are cleaned up for you, except those you `tf.keep`.
 *
 * Check it: deno task check training-step
 *
 * @module
 */
import { tf } from "../../../lib/tf.ts";
import type { CycleGAN } from "../../../lib/train_step.ts";
import {
  cycleConsistencyLoss,
  discriminatorLoss,
  generatorAdversarialLoss,
  identityLoss,
} from "../../../lib/losses.ts";

/** The losses of one step, as plain numbers. */
export interface StepResult {
  lossG: number;
  lossDA: number;
  lossDB: number;
}

// tfjs types applyGradients' map as variables; gradients are plain tensors.
type GradientMap = Parameters<
  ReturnType<typeof tf.train.adam>["applyGradients"]
>[0];

/** The trainable variables of some networks, for `tf.variableGrads`. */
function variablesOf(...models: tf.LayersModel[]): tf.Variable[] {
  return models.flatMap((model) =>
    model.trainableWeights.map((weight) => weight.read() as tf.Variable)
  );
}

export async function trainStep(
  model: CycleGAN,
  realA: tf.Tensor4D,
  realB: tf.Tensor4D,
): Promise<StepResult> {
  const { generatorAB, generatorBA, discriminatorA, discriminatorB } = model;
  const { cycleWeight, identityWeight } = model.config;

  // 1. Generators: fool both discriminators and survive both round trips.
  let fakeA: tf.Tensor4D | undefined;
  let fakeB: tf.Tensor4D | undefined;
  const generatorStep = tf.variableGrads(() => {
    // TODO(student): translate realA and realB, compute the six terms of
    // the generators' objective, keep the two fakes for step 2
    // (fakeA = tf.keep(...), fakeB = tf.keep(...)) and return the sum.
    void [realA, realB, cycleWeight, identityWeight, fakeA, fakeB];
    void [cycleConsistencyLoss, generatorAdversarialLoss, identityLoss];
    throw new Error("Not implemented yet: the generators' objective");
  }, variablesOf(generatorAB, generatorBA));
  model.optimizerG.applyGradients(generatorStep.grads as GradientMap);
  tf.dispose(generatorStep.grads);

  // 2. Discriminators: real images towards 1, (pooled) fakes towards 0.
  const pooledA = model.poolA.query(fakeA!);
  const pooledB = model.poolB.query(fakeB!);
  tf.dispose([fakeA!, fakeB!]);
  const lossesD: tf.Scalar[] = [];
  const discriminatorStep = tf.variableGrads(() => {
    // TODO(student): each discriminator's loss on its real images and its
    // pooled fakes; push both, kept, onto lossesD (tf.keep) and return
    // their sum.
    void [discriminatorLoss, pooledA, pooledB, lossesD];
    throw new Error("Not implemented yet: the discriminators' objective");
  }, variablesOf(discriminatorA, discriminatorB));
  model.optimizerD.applyGradients(discriminatorStep.grads as GradientMap);
  tf.dispose([discriminatorStep.grads, discriminatorStep.value]);
  tf.dispose([pooledA, pooledB]);

  // 3. Read the numbers, then let go of the last tensors.
  const lossG = (await generatorStep.value.data())[0];
  const [lossDA, lossDB] = await Promise.all(
    lossesD.map(async (loss) => (await loss.data())[0]),
  );
  tf.dispose([generatorStep.value, ...lossesD]);
  model.step += 1;
  return { lossG, lossDA, lossDB };
}
