/**
 * Reference solution of lesson 02, exercise "residual-block".
 *
 * @module
 */
import { tf } from "../../../lib/tf.ts";
import { InstanceNorm } from "../../../lib/instance_norm.ts";
import { ReflectionPad2D } from "../../../lib/reflection_pad.ts";

type Symbolic = tf.SymbolicTensor;

export function residualBlock(x: Symbolic): Symbolic {
  const channels = x.shape[3] as number;
  let y: Symbolic = x;
  for (const stage of ["first", "second"]) {
    // A 3x3 "valid" conv loses one pixel per side; reflecting one back first
    // keeps the size without the dark border zero padding would add.
    y = new ReflectionPad2D({ padding: 1 }).apply(y) as Symbolic;
    y = tf.layers.conv2d({
      filters: channels,
      kernelSize: 3,
      padding: "valid",
      useBias: false,
    }).apply(y) as Symbolic;
    y = new InstanceNorm().apply(y) as Symbolic;
    if (stage === "first") y = tf.layers.reLU().apply(y) as Symbolic;
  }
  // The skip connection: the branch only learns a change to its input.
  return tf.layers.add().apply([x, y]) as Symbolic;
}
