/**
 * Source transformation benchmarks, ratios measured side by side in one run (interleaved medians):
 * the extended Rosenbrock function written as a plain JavaScript loop, n = 1e5:
 *   - sourceValueAndGrad(f) ÷ the plain loop computing f   (target ≤ 2.5; a hand-written value-and-gradient loop ≈ 2.2)
 *   - eager valueAndGrad of the same loop written with wengert ops on scalars ÷ sourceValueAndGrad (target ≥ 20)
 * and the tape: bytes at its peak for loops that need one (a data-dependent while loop, the logistic map).
 *
 *   npm run bench:source          (writes bench/RESULTS-source.md)
 */
import { writeFileSync } from "node:fs";
import * as w from "./lib.js";
import { valueAndGrad, tensor, rng, type Tensor, sourceValueAndGrad, Tape } from "./lib.js";
import { timeRounds, medianRatio, median, opaque } from "./timing.js";
import { SOURCE_EXAMPLES } from "../src/source/examples.js";

const lines: string[] = [];
const out = (s = "") => {
  console.log(s);
  lines.push(s);
};
const ms = (s: number) => `${(s * 1e3).toFixed(3)} ms`;

out(`# Source transformation benchmarks (Node ${process.version})`);
out("");
out("Interleaved medians; a ratio is the median over rounds of the two times measured side by side in that round. Inputs are read through opaque() so no loop is specialised to one constant array.");
out("");

// the example the tests keep a golden derivative of (src/source/examples.ts)
const rosenbrock = SOURCE_EXAMPLES.find((e) => e.name === "rosenbrock")!.source;
const plain = new Function(`${rosenbrock}\nreturn rosenbrock;`)() as (x: Float64Array) => number;
const handVG = (x: Float64Array): [number, Float64Array] => {
  const g = new Float64Array(x.length);
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
    s += 100 * a * a + b * b;
    g[i] += -400 * a * x[i] - 2 * b;
    g[i + 1] += 200 * a;
  }
  return [s, g];
};
// the same loop with wengert ops on scalar tensors (what operator overloading costs per operation)
const eagerRosen = (x: Tensor[]) => {
  let s: Tensor = tensor(0);
  for (let i = 0; i + 1 < x.length; i++) {
    const a = w.sub(x[i + 1], w.mul(x[i], x[i]));
    const b = w.sub(1, x[i]);
    s = w.add(s, w.add(w.mul(w.mul(100, a), a), w.mul(b, b)));
  }
  return s;
};

const next = rng(1);
const n = 1e5;
const x = Float64Array.from({ length: n }, () => -1 + 2 * next());
const X = opaque(x);
const t0 = performance.now();
const vg = sourceValueAndGrad(rosenbrock, { name: "rosenbrock" });
const buildMs = performance.now() - t0;
const t1 = performance.now();
vg(x);
const firstMs = performance.now() - t1;
const [v, g] = vg(x) as [number, Float64Array];
const [hv, hg] = handVG(x);
if (Math.abs(v - hv) > 1e-9 * Math.abs(hv) || g.some((gi, i) => Math.abs(gi - hg[i]) > 1e-9 * (1 + Math.abs(hg[i])))) throw new Error("Rosenbrock: sourceValueAndGrad differs from the hand-written gradient");
const s = timeRounds({ plain: () => plain(X()), handVG: () => handVG(X()), sourceVG: () => vg(X()) }, 31, 40);
// eager on scalars is slow: a shorter vector, compared per element with the source-transformed gradient on the same vector
const m = 2000;
const xs = x.subarray(0, m);
const XS = opaque(xs);
const eager = valueAndGrad(eagerRosen);
const ts = Array.from(xs, (v) => tensor(v));
const TS = opaque(ts);
const se = timeRounds({ sourceVG: () => vg(XS()), eagerVG: () => eager(TS()) }, 7, 60);
const t = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, median(v)]));
out("## Extended Rosenbrock as a plain loop, n = 1e5, float64");
out("");
out("| | time | ÷ plain loop (f only) |");
out("|---|---:|---:|");
out(`| plain JS loop, f only | ${ms(t.plain)} | 1.00 |`);
out(`| hand-written value-and-gradient loop | ${ms(t.handVG)} | ${medianRatio(s, "handVG", "plain").toFixed(2)} |`);
out(`| **sourceValueAndGrad(f)** | ${ms(t.sourceVG)} | **${medianRatio(s, "sourceVG", "plain").toFixed(2)}** (target ≤ 2.5) |`);
out("");
out(`Transforming and compiling the source: ${buildMs.toFixed(1)} ms once; first call ${firstMs.toFixed(1)} ms. The loop's reverse iterations commute (each adjoint in them is the iteration's own or only summed, and what follows the loop is linear in s), so the derivative runs both sweeps in one loop: each reverse iteration right after its forward one, with no tape and no recomputation, and the elements of x it reads loaded once into constants (the engine would reload x[i] after every store into dx, which might alias x). Like the hand-written loop, it reads x once.`);
out("");
out(`Against eager valueAndGrad of the same loop written with wengert ops on scalar tensors, n = ${m} (eager allocates a tensor per operation): eager takes **${medianRatio(se, "eagerVG", "sourceVG").toFixed(0)}×** as long (target ≥ 20).`);
out("");

// ---- the tape ----------------------------------------------------------------------------------
out("## Tape memory");
out("");
out("| program | tape entries at the peak | bytes |");
out("|---|---:|---:|");
const logistic = `function logistic(l, k) { for (let i = 0; i < k; i++) l = 4 * l * (1 - l); return l; }`;
const peaks: [string, string, string, unknown[], boolean][] = [
  ["logistic map, k = 1e5 steps", logistic, "logistic", [0.3, 1e5], false],
  ["logistic map, k = 1e5 steps, `checkpoint: true`", logistic, "logistic", [0.3, 1e5], true],
  ["Newton's √a (data-dependent while)", `function newtonSqrt(a) { let x = a; while (Math.abs(x * x - a) > 1e-12 * a) x = 0.5 * (x + a / x); return x; }`, "newtonSqrt", [2], false],
];
const push = Tape.prototype.push;
for (const [label, src, name, args, checkpoint] of peaks) {
  let peak = 0;
  // count the entries the tape holds at its fullest (wrapping push for this measurement only)
  Tape.prototype.push = function (this: Tape, v: number) {
    push.call(this, v);
    peak = Math.max(peak, this.length);
  };
  sourceValueAndGrad(src, { name, checkpoint })(...args);
  Tape.prototype.push = push;
  out(`| ${label} | ${peak} | ${peak * 8} |`);
}
// what recomputing costs: √T checkpointing runs the loop about twice
const taped = sourceValueAndGrad(logistic, { name: "logistic" }), ck = sourceValueAndGrad(logistic, { name: "logistic", checkpoint: true });
const L = opaque(0.3);
const sc = timeRounds({ taped: () => taped(L(), 1e5), checkpointed: () => ck(L(), 1e5) }, 15, 40);
out("");
out(`Time of the checkpointed gradient ÷ the taped one (logistic map, k = 1e5): ${medianRatio(sc, "checkpointed", "taped").toFixed(2)}.`);
out("");
out("One float64 per overwritten value, per taped branch decision and per trip count of a loop that is not a counted for loop: a typed array, not an object per iteration.");
writeFileSync(new URL("./RESULTS-source.md", import.meta.url), lines.join("\n") + "\n");
