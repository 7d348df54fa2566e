/**
 * Reference solution of lesson 07, exercise "pitfalls".
 *
 * @module
 */

export const answers: Record<string, string> = {
  checkerboard: "b",
  collapse: "a",
  inversion: "c",
  nan: "c",
};
