/**
 * Reference solution of lesson 01, exercise "contrast-order".
 *
 * T1w (TR 500, TE 15): short T1 recovers most by TR, so fat (T1 350) and
 * white matter (500) lead; CSF (T1 2569) has barely recovered.
 * T2w (TR 4000, TE 100): everything has recovered; long T2 survives the
 * echo, so CSF (T2 329) leads, and grey matter's proton density and
 * slightly longer T2 put it above white matter.
 *
 * @module
 */

export const t1wBrightestFirst: string[] = [
  "fat",
  "whiteMatter",
  "greyMatter",
  "csf",
];

export const t2wBrightestFirst: string[] = [
  "csf",
  "greyMatter",
  "fat",
  "whiteMatter",
];
