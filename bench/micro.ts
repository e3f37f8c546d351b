/**
 * Micro-benchmark of eager mode: per-op overhead, and the cost of a gradient relative to the
 * function (the cheap-gradient principle). Run: npm run bench. Ratios come from one run, side by side.
 */
import { tensor, add, mul, sin, sum, square, sub, valueAndGrad, type Tensor } from "../src/index.js";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median seconds per call of fn, after warm-up, over at least `minTime` seconds. */
function time(fn: () => unknown, minTime = 0.5, minRuns = 10): number {
  for (let i = 0; i < 5; i++) fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minRuns || performance.now() - start < minTime * 1000) {
    const t0 = performance.now();
    fn();
    samples.push((performance.now() - t0) / 1000);
  }
  return median(samples);
}

const fmt = (s: number) => (s < 1e-3 ? `${(s * 1e6).toFixed(1)} µs` : `${(s * 1e3).toFixed(2)} ms`);

// ---- per-op overhead --------------------------------------------------------------------------
const a = tensor(1.5), b = tensor(0.5);
const scalarBatch = 1000;
const tScalar = time(() => {
  let x = a;
  for (let i = 0; i < scalarBatch; i++) x = add(mul(x, b), b);
});
const big1 = tensor(Float64Array.from({ length: 1e5 }, (_, i) => i / 1e5)), big2 = tensor(Float64Array.from({ length: 1e5 }, (_, i) => 1 - i / 1e5));
const tBig = time(() => mul(big1, big2));
const tBigSin = time(() => sin(big1));

// ---- Rosenbrock: gradient cost vs a plain JS loop -----------------------------------------------
const n = 1e4;
const xData = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.3 * Math.sin(i));
const x = tensor(xData);
// Extended Rosenbrock (Moré, Garbow, Hillstrom): Σ over pairs 100(x₂ᵢ − x₂ᵢ₋₁²)² + (1 − x₂ᵢ₋₁)².
const rosen = (x: Tensor) => {
  const odd = x.slice([0, undefined, 2]), even = x.slice([1, undefined, 2]);
  return sum(add(mul(100, square(sub(even, square(odd)))), square(sub(1, odd))));
};
function rosenLoop(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i += 2) {
    const t = x[i + 1] - x[i] * x[i], u = 1 - x[i];
    s += 100 * t * t + u * u;
  }
  return s;
}
const vg = valueAndGrad(rosen);
let sink = 0;
const tLoop = time(() => (sink += rosenLoop(xData)));
const tEager = time(() => rosen(x));
const tVG = time(() => vg(x));

console.log("wengert eager micro-benchmark (median of repeated runs, after warm-up)\n");
console.log(`scalar ops:              ${((2 * scalarBatch) / tScalar / 1e6).toFixed(2)} M ops/s  (${fmt(tScalar / (2 * scalarBatch))} per op)`);
console.log(`1e5-element mul:         ${(1 / tBig).toFixed(0)} ops/s  (${fmt(tBig)} per op, ${(1e5 / tBig / 1e6).toFixed(0)} M elements/s)`);
console.log(`1e5-element sin:         ${(1 / tBigSin).toFixed(0)} ops/s  (${fmt(tBigSin)} per op)`);
console.log(`\nextended Rosenbrock, n = ${n}, float64:`);
console.log(`  plain JS loop (f only):       ${fmt(tLoop)}`);
console.log(`  wengert eager f:              ${fmt(tEager)}   (${(tEager / tLoop).toFixed(1)}× the loop)`);
console.log(`  wengert eager valueAndGrad:   ${fmt(tVG)}   (${(tVG / tLoop).toFixed(1)}× the loop; target ≤ 40×)`);
if (sink === 42) console.log("");
