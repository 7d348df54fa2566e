/**
 * Reference solution of lesson 05, exercise "training-step".
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
    const fB = generatorAB.apply(realA) as tf.Tensor4D;
    const fA = generatorBA.apply(realB) as tf.Tensor4D;
    const adversarial = tf.add(
      generatorAdversarialLoss(discriminatorB.apply(fB) as tf.Tensor),
      generatorAdversarialLoss(discriminatorA.apply(fA) as tf.Tensor),
    );
    const cycle = tf.add(
      cycleConsistencyLoss(
        realA,
        generatorBA.apply(fB) as tf.Tensor,
        cycleWeight,
      ),
      cycleConsistencyLoss(
        realB,
        generatorAB.apply(fA) as tf.Tensor,
        cycleWeight,
      ),
    );
    const weight = identityWeight * cycleWeight;
    const identity = tf.add(
      identityLoss(realA, generatorBA.apply(realA) as tf.Tensor, weight),
      identityLoss(realB, generatorAB.apply(realB) as tf.Tensor, weight),
    );
    // Keep the fakes for the discriminators: variableGrads disposes the rest.
    fakeA = tf.keep(fA);
    fakeB = tf.keep(fB);
    return tf.addN([adversarial, cycle, identity]) as tf.Scalar;
  }, variablesOf(generatorAB, generatorBA));
  model.optimizerG.applyGradients(generatorStep.grads as GradientMap);
  tf.dispose(generatorStep.grads);

  // 2. Discriminators: real images towards 1, (pooled) fakes towards 0.
  const pooledA = model.poolA.query(fakeA!);
  const pooledB = model.poolB.query(fakeB!);
  tf.dispose([fakeA!, fakeB!]);
  const lossesD: tf.Scalar[] = [];
  const discriminatorStep = tf.variableGrads(() => {
    const lossDA = discriminatorLoss(
      discriminatorA.apply(realA) as tf.Tensor,
      discriminatorA.apply(pooledA) as tf.Tensor,
    );
    const lossDB = discriminatorLoss(
      discriminatorB.apply(realB) as tf.Tensor,
      discriminatorB.apply(pooledB) as tf.Tensor,
    );
    lossesD.push(tf.keep(lossDA), tf.keep(lossDB));
    return tf.add(lossDA, lossDB) as tf.Scalar;
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
