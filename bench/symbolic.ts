/**
 * Expression swell, side by side: the derivative of the k-th logistic-map iterate
 * l₀ = x, l_{k+1} = 4·l_k·(1 − l_k), in wengert (a DAG built by the AD rules) and in mathjs
 * (`derivative`, a tree). Sizes are node counts; times are medians of repeated runs.
 *
 *   npm run bench:symbolic
 */
import { writeFileSync } from "node:fs";
import * as math from "mathjs";
import { diff, dagSize, treeSize } from "./lib.js";
import { wengertLogistic, mathjsLogistic, mathjsSize } from "./swell.js";
import { median } from "./timing.js";

const MATHJS_BUDGET_MS = 3000; // stop mathjs once one size takes longer than this

function time<T>(f: () => T, minRuns = 3, minMs = 50): { ms: number; out: T } {
  let out = f();
  const ts: number[] = [];
  const start = performance.now();
  while (ts.length < minRuns || performance.now() - start < minMs) {
    const t0 = performance.now();
    out = f();
    ts.push(performance.now() - t0);
    if (ts[ts.length - 1] > MATHJS_BUDGET_MS) break;
  }
  return { ms: median(ts), out };
}

const rows: string[] = [];
const head = "|  k | wengert DAG nodes | wengert ms | expanded tree nodes | mathjs nodes | mathjs ms | value check |";
rows.push(head, "|---:|---:|---:|---:|---:|---:|---|");
let mathjsOn = true;
for (const k of [1, 2, 4, 6, 8, 10, 12, 14, 16, 20, 25, 30, 40, 50]) {
  const w = time(() => diff(wengertLogistic(k), "x"));
  const x0 = 0.3;
  const wv = w.out.evaluate({ x: x0 });
  let mNodes = "—", mMs = "—", check = "";
  if (mathjsOn) {
    const m = time(() => math.derivative(mathjsLogistic(k), "x", { simplify: false }), 1, 0);
    mNodes = String(mathjsSize(m.out));
    mMs = m.ms.toFixed(2);
    const mv = m.out.evaluate({ x: x0 }) as number;
    check = Math.abs(mv - wv) <= 1e-9 * Math.abs(wv) ? "agree" : `DIFFER (${mv} vs ${wv})`;
    if (m.ms > MATHJS_BUDGET_MS / 10) mathjsOn = false;
  } else check = "mathjs stopped (too slow)";
  rows.push(`| ${String(k).padStart(2)} | ${dagSize(w.out)} | ${w.ms.toFixed(3)} | ${treeSize(w.out).toExponential(2)} | ${mNodes} | ${mMs} | ${check} |`);
}
const report = [
  `# Symbolic swell: d/dx of the k-th logistic-map iterate (mathjs ${math.version}, Node ${process.version})`,
  "",
  ...rows,
  "",
  "wengert's derivative DAG grows linearly in k; the expanded tree (and mathjs's result) grows exponentially.",
  "mathjs runs with `simplify: false` (its simplifier is slower still); values are compared at x = 0.3.",
  "",
].join("\n");
console.log(report);
writeFileSync(new URL("./RESULTS-symbolic.md", import.meta.url), report);
