/**
 * Lesson 02, exercise "residual-block": build the generator's residual
 * block with tfjs layers.
 *
 *   x -> reflection pad 1 -> 3x3 conv (channels filters, no bias)
 *     -> instance norm -> ReLU
 *     -> reflection pad 1 -> 3x3 conv (channels filters, no bias)
 *     -> instance norm
 *     -> add x back
 *
 * `x` is a symbolic tensor [batch, height, width, channels]; return the
 * block's output, which must have the same shape. The layers you need are
 * imported below: `new ReflectionPad2D({ padding })`, `tf.layers.conv2d`,
 * `new InstanceNorm()`, `tf.layers.reLU()`, `tf.layers.add()`. Apply a layer
 * with `layer.apply(x) as tf.SymbolicTensor`.
 *
 * Check it: deno task check residual-block
 *
 * @module
 */
import { tf } from "../../../lib/tf.ts";
import { InstanceNorm } from "../../../lib/instance_norm.ts";
import { ReflectionPad2D } from "../../../lib/reflection_pad.ts";

export function residualBlock(x: tf.SymbolicTensor): tf.SymbolicTensor {
  const channels = x.shape[3] as number;
  // TODO(student): the two pad-conv-norm stages and the skip connection.
  void [channels, InstanceNorm, ReflectionPad2D, tf];
  throw new Error("Not implemented yet: residualBlock");
}
