/**
 * Checks of lesson 03: shapes through the generator and the PatchGAN, and
 * the PatchGAN's receptive field, graded against the library's networks.
 *
 * @module
 */
import { tf } from "../../lib/tf.ts";
import { createGenerator } from "../../lib/generator.ts";
import { createDiscriminator, patchGeometry } from "../../lib/discriminator.ts";
import {
  type Exercise,
  expectShape,
  exportedFunction,
  exportedValue,
  Hint,
  type Lesson,
} from "./harness.ts";

/** Output shape of a model, and of one of its layers, for an input shape. */
function shapeOf(
  model: tf.LayersModel,
  input: number[],
  layerName?: string,
): number[] {
  const probe = layerName
    ? tf.model({
      inputs: model.inputs,
      outputs: model.getLayer(layerName).output as tf.SymbolicTensor,
    })
    : model;
  const shape = tf.tidy(() =>
    (probe.predict(tf.zeros(input)) as tf.Tensor).shape
  );
  model.dispose();
  return shape;
}

const generator = () =>
  createGenerator({
    inputChannels: 1,
    outputChannels: 1,
    filters: 8,
    residualBlocks: 2,
    name: "g",
  });
const discriminator = () =>
  createDiscriminator({ inputChannels: 1, filters: 8, layers: 3 });

const networkShapes: Exercise = {
  id: "network-shapes",
  title: "Shapes through the generator and the discriminator",
  file: "network_shapes.ts",
  checks: [
    {
      name: "generator output for [1, 64, 64, 1]",
      run: (m) =>
        expectShape(
          exportedValue(m, "generatorOutput"),
          shapeOf(generator(), [1, 64, 64, 1]),
          "generatorOutput",
        ),
    },
    {
      name: "generator bottleneck for [1, 64, 64, 1]",
      run: (m) =>
        expectShape(
          exportedValue(m, "bottleneck"),
          shapeOf(generator(), [1, 64, 64, 1], "g_down2_relu"),
          "bottleneck",
        ),
    },
    {
      name: "discriminator score map for [1, 64, 64, 1]",
      run: (m) =>
        expectShape(
          exportedValue(m, "discriminatorOutput"),
          shapeOf(discriminator(), [1, 64, 64, 1]),
          "discriminatorOutput",
        ),
    },
    {
      name: "discriminator score map for [4, 128, 128, 1]",
      run: (m) =>
        expectShape(
          exportedValue(m, "discriminatorOutput128"),
          shapeOf(discriminator(), [4, 128, 128, 1]),
          "discriminatorOutput128",
        ),
    },
  ],
};

const receptiveFieldExercise: Exercise = {
  id: "receptive-field",
  title: "The PatchGAN's receptive field",
  file: "receptive_field.ts",
  checks: [
    {
      name: "3 strided layers: the 70x70 PatchGAN",
      run: (m) => {
        const fn = exportedFunction<(layers: number) => number>(
          m,
          "receptiveField",
        );
        const got = fn(3);
        if (got !== 70) {
          throw new Hint(
            `receptiveField(3): expected 70, got ${got}; apply both ` +
              `updates for each of the 5 convolutions, the field first`,
          );
        }
      },
    },
    {
      name: "every depth from 0 to 5 strided layers",
      run: (m) => {
        const fn = exportedFunction<(layers: number) => number>(
          m,
          "receptiveField",
        );
        for (let layers = 0; layers <= 5; layers++) {
          const expected = patchGeometry(1024, layers).receptiveField;
          const got = fn(layers);
          if (got !== expected) {
            throw new Hint(
              `receptiveField(${layers}): expected ${expected}, got ${got}`,
            );
          }
        }
      },
    },
  ],
};

export const lesson: Lesson = {
  id: "03",
  slug: "03-generator-and-discriminator",
  title: "The generator and the discriminator",
  exercises: [networkShapes, receptiveFieldExercise],
};
