/**
 * Checks of lesson 01: the spin-echo equation and the contrast it gives,
 * graded against `datasets/mr_physics.ts`, and the scaling to [-1, 1].
 *
 * @module
 */
import {
  type SpinEchoProtocol,
  spinEchoSignal as referenceSignal,
  T1_WEIGHTED,
  T2_WEIGHTED,
  Tissue,
  TISSUES_1_5T,
} from "../../datasets/mr_physics.ts";
import {
  type Exercise,
  expectNumber,
  exportedFunction,
  exportedValue,
  formatNumber,
  Hint,
  type Lesson,
} from "./harness.ts";

type SignalFn = (
  pd: number,
  t1: number,
  t2: number,
  tr: number,
  te: number,
) => number;
type ScaleFn = (pixels: Float32Array) => Float32Array;

const TISSUE_KEYS = {
  fat: Tissue.scalp,
  csf: Tissue.csf,
  greyMatter: Tissue.greyMatter,
  whiteMatter: Tissue.whiteMatter,
} as const;

const PROTOCOLS: [string, SpinEchoProtocol][] = [
  ["T1-weighted", T1_WEIGHTED],
  ["T2-weighted", T2_WEIGHTED],
  ["proton-density weighted", { tr: 3000, te: 15 }],
];

const spinEcho: Exercise = {
  id: "spin-echo",
  title: "The spin-echo signal and scaling to [-1, 1]",
  file: "spin_echo.ts",
  checks: [
    {
      name: "spinEchoSignal matches the physics model for every tissue",
      run: (m) => {
        const signal = exportedFunction<SignalFn>(m, "spinEchoSignal");
        for (const [protocolName, protocol] of PROTOCOLS) {
          for (const [name, label] of Object.entries(TISSUE_KEYS)) {
            const tissue = TISSUES_1_5T[label];
            const expected = referenceSignal(tissue, protocol);
            const got = signal(
              tissue.pd,
              tissue.t1,
              tissue.t2,
              protocol.tr,
              protocol.te,
            );
            const args = `PD ${tissue.pd}, T1 ${tissue.t1}, T2 ${tissue.t2}` +
              `, TR ${protocol.tr}, TE ${protocol.te}`;
            let slip = "";
            if (typeof got === "number") {
              const noRecovery = tissue.pd * Math.exp(-protocol.te / tissue.t2);
              const noDecay = tissue.pd *
                (1 - Math.exp(-protocol.tr / tissue.t1));
              if (Math.abs(got - noRecovery) < 1e-6) {
                slip = "; the T1 recovery factor (1 - exp(-TR/T1)) is missing";
              } else if (Math.abs(got - noDecay) < 1e-6) {
                slip = "; the T2 decay factor exp(-TE/T2) is missing";
              } else if (
                Math.abs(
                  got -
                    tissue.pd * (1 - Math.exp(-protocol.te / tissue.t1)) *
                      Math.exp(-protocol.tr / tissue.t2),
                ) < 1e-6
              ) {
                slip = "; TR and TE are swapped";
              }
            }
            try {
              expectNumber(got, expected, `${name}, ${protocolName} (${args})`);
            } catch (error) {
              throw new Hint(`${(error as Error).message}${slip}`);
            }
          }
        }
      },
    },
    {
      name: "spinEchoSignal gives 0 for tissue without signal (bone, air)",
      run: (m) => {
        const signal = exportedFunction<SignalFn>(m, "spinEchoSignal");
        const got = signal(0, 0, 0, 500, 15);
        if (got !== 0) {
          throw new Hint(
            `PD 0, T1 0, T2 0 (skull) gave ${got}, expected 0: with T1 = 0 ` +
              `the equation divides by zero`,
          );
        }
      },
    },
    {
      name: "scaleToModelRange maps the minimum to -1 and the maximum to 1",
      run: (m) => {
        const scale = exportedFunction<ScaleFn>(m, "scaleToModelRange");
        const pixels = Float32Array.from([0.2, 0.5, 0.35, 0.8, 0.2]);
        const original = pixels.slice();
        const got = scale(pixels);
        if (!(got instanceof Float32Array) || got.length !== pixels.length) {
          throw new Hint(
            `expected a Float32Array of ${pixels.length} values, got ${got}`,
          );
        }
        const expected = [-1, 0, -0.5, 1, -1];
        expected.forEach((value, i) => {
          if (Math.abs(got[i] - value) > 1e-5) {
            throw new Hint(
              `pixels [0.2, 0.5, 0.35, 0.8, 0.2]: value ${i} ` +
                `(${formatNumber(original[i])}) expected ${value}, got ${
                  formatNumber(got[i])
                }`,
            );
          }
        });
        if (pixels.some((value, i) => value !== original[i])) {
          throw new Hint("the input array was changed: return a new array");
        }
      },
    },
    {
      name: "scaleToModelRange: a blank slice gives -1, not NaN",
      run: (m) => {
        const scale = exportedFunction<ScaleFn>(m, "scaleToModelRange");
        const got = scale(new Float32Array(6).fill(0.3));
        const bad = Array.from(got).find((v) => v !== -1);
        if (bad !== undefined) {
          throw new Hint(
            `a blank slice (all pixels 0.3) gave ${
              formatNumber(bad)
            }, expected every ` +
              `value -1: its range is 0, so the division must be avoided`,
          );
        }
      },
    },
  ],
};

function orderCheck(
  name: "t1wBrightestFirst" | "t2wBrightestFirst",
  protocol: SpinEchoProtocol,
  label: string,
) {
  return {
    name: `${label} order, brightest first`,
    run: (m: Record<string, unknown>) => {
      const got = exportedValue(m, name);
      const keys = Object.keys(TISSUE_KEYS) as (keyof typeof TISSUE_KEYS)[];
      if (!Array.isArray(got) || got.length === 0) {
        throw new Hint(`${name}: still empty; fill in your prediction`);
      }
      const unknown = got.filter((k) => !keys.includes(k));
      if (got.length !== keys.length || unknown.length > 0) {
        throw new Hint(
          `${name} should list each of ${
            keys.map((k) => `"${k}"`).join(", ")
          } once, got ${JSON.stringify(got)}`,
        );
      }
      const signal = (key: keyof typeof TISSUE_KEYS) =>
        referenceSignal(TISSUES_1_5T[TISSUE_KEYS[key]], protocol);
      for (let i = 0; i + 1 < got.length; i++) {
        const [brighter, darker] = [got[i], got[i + 1]];
        if (signal(brighter) < signal(darker)) {
          throw new Hint(
            `${name}: you put ${brighter} above ${darker}, but in a ` +
              `${label} image (TR ${protocol.tr}, TE ${protocol.te}) ` +
              `${darker} is the brighter one; compute both signals`,
          );
        }
      }
    },
  };
}

const contrastOrder: Exercise = {
  id: "contrast-order",
  title: "Predict the tissue contrast",
  file: "contrast_order.ts",
  checks: [
    orderCheck("t1wBrightestFirst", T1_WEIGHTED, "T1-weighted"),
    orderCheck("t2wBrightestFirst", T2_WEIGHTED, "T2-weighted"),
  ],
};

export const lesson: Lesson = {
  id: "01",
  slug: "01-data-and-mr-contrast",
  title: "Data and MR contrast",
  exercises: [spinEcho, contrastOrder],
};
