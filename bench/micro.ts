/**
 * Micro-benchmark of eager mode: per-op overhead, and the cost of a gradient relative to the
 * function (the cheap-gradient principle). Run: npm run bench.
 * Candidates are timed interleaved, round after round, and each reports its median: on a noisy
 * machine the ratios stay meaningful because every candidate sees the same conditions.
 */
import { tensor, add, mul, sin, sum, square, sub, valueAndGrad, type Tensor } from "./lib.js";
import { timeAll, opaque } from "./timing.js";

const fmt = (s: number) => (s < 1e-3 ? `${(s * 1e6).toFixed(2)} µs` : `${(s * 1e3).toFixed(2)} ms`);

// ---- per-op overhead --------------------------------------------------------------------------
const a = tensor(1.5), b = tensor(0.5);
const scalarBatch = 1000;
const big1 = tensor(Float64Array.from({ length: 1e5 }, (_, i) => i / 1e5));
const big2 = tensor(Float64Array.from({ length: 1e5 }, (_, i) => 1 - i / 1e5));
const ops = timeAll({
  scalar: () => {
    let x = a;
    for (let i = 0; i < scalarBatch; i++) x = add(mul(x, b), b);
  },
  mul1e5: () => mul(big1, big2),
  sin1e5: () => sin(big1),
});

// ---- extended Rosenbrock: gradient cost vs a plain JS loop ---------------------------------------
// Extended Rosenbrock (Moré, Garbow, Hillstrom): Σ over pairs 100(x₂ᵢ − x₂ᵢ₋₁²)² + (1 − x₂ᵢ₋₁)².
const n = 1e4;
const xData = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.3 * Math.sin(i));
const x = tensor(xData);
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
// inputs read through opaque(): the loop is not specialised to one constant array
const X = opaque(x), XD = opaque(xData);
const r = timeAll({ loop: () => rosenLoop(XD()), eager: () => rosen(X()), valueAndGrad: () => vg(X()) });

console.log("wengert eager micro-benchmark (medians of interleaved rounds)\n");
console.log(`scalar ops:        ${((2 * scalarBatch) / ops.scalar / 1e6).toFixed(2)} M ops/s  (${fmt(ops.scalar / (2 * scalarBatch))} per op)`);
console.log(`1e5-element mul:   ${(1 / ops.mul1e5).toFixed(0)} ops/s  (${fmt(ops.mul1e5)} per op, ${(1e5 / ops.mul1e5 / 1e6).toFixed(0)} M elements/s)`);
console.log(`1e5-element sin:   ${(1 / ops.sin1e5).toFixed(0)} ops/s  (${fmt(ops.sin1e5)} per op)`);
console.log(`\nextended Rosenbrock, n = ${n}, float64:`);
console.log(`  plain JS loop (f only):       ${fmt(r.loop)}`);
console.log(`  wengert eager f:              ${fmt(r.eager)}   (${(r.eager / r.loop).toFixed(1)}× the loop)`);
console.log(`  wengert eager valueAndGrad:   ${fmt(r.valueAndGrad)}   (${(r.valueAndGrad / r.loop).toFixed(1)}× the loop; target ≤ 40×)`);
