/**
 * The one place the project imports tfjs.
 *
 * Deno looks like Node.js to tfjs, which then prints a banner suggesting the
 * Node.js backend (a native addon that cannot be installed here). Turning the
 * flag off before any backend starts keeps the output clean; nothing else in
 * tfjs that we use depends on it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

tf.env().set("IS_NODE", false);

export { tf };
export type { Tensor, Tensor4D } from "@tensorflow/tfjs";
