/** Edge values (NaN, ±∞, ±0, empty tensors, int32 limits, halves) through reductions, scans, sorting, rounding and elementwise maths, for the NumPy comparison (edge.py). */
import * as w from "../../src/index.ts";
import { writeFileSync } from "node:fs";
const OUT = process.env.OUT ?? "/tmp/wengert-differential";
const { tensor } = w as any;
const N = [3, NaN, -1, Infinity, -Infinity, 0, -0, 2];
const cases: [string, () => any][] = [
  ["sumN", () => w.sum(tensor(N))], ["maxN", () => w.max(tensor(N))], ["minN", () => w.min(tensor(N))], ["argmaxN", () => w.argmax(tensor(N))], ["argminN", () => w.argmin(tensor(N))],
  ["sortN", () => w.sort(tensor(N))], ["argsortN", () => w.argsort(tensor(N))], ["cumsumN", () => w.cumsum(tensor(N))], ["cummaxN", () => w.cummax(tensor(N))],
  ["roundN", () => w.round(tensor(N))], ["signN", () => w.sign(tensor(N))], ["clipN", () => w.clip(tensor(N), -1, 1)], ["maximumN", () => w.maximum(tensor(N), 0)], ["minimumN", () => w.minimum(tensor(N), 0)],
  ["modN", () => w.mod(tensor(N), 2)], ["modN0", () => w.mod(tensor([1, -1, 0]), 0)], ["fdiv0", () => w.floorDivide(tensor([1, -1, 0]), 0)],
  ["modInf", () => w.mod(tensor([3, -3, Infinity]), Infinity)], ["modnegInf", () => w.mod(tensor([3, -3]), -Infinity)],
  ["pow0", () => w.pow(tensor([0, 0, -0, Infinity, -Infinity, NaN, 1]), tensor([-1, 0, -1, -1, 3, 0, NaN]))],
  ["atan2z", () => w.atan2(tensor([0, -0, 0, -0]), tensor([0, 0, -0, -0]))],
  ["logaddexpN", () => w.logaddexp(tensor([Infinity, -Infinity, NaN, Infinity]), tensor([-Infinity, -Infinity, 1, Infinity]))],
  ["sqrtNeg0", () => w.sqrt(tensor([-0, -1]))], ["expm1N", () => w.expm1(tensor([-Infinity, -0]))], ["log1pN", () => w.log1p(tensor([-1, -0, -2]))],
  ["meanE", () => w.mean(w.zeros([0]))], ["sumE", () => w.sum(w.zeros([0, 3]), 0)], ["prodE", () => w.prod(w.zeros([0]))], ["cumsumE", () => w.cumsum(w.zeros([0]))], ["sortE", () => w.sort(w.zeros([0]))],
  ["varOne", () => w.var(tensor([5]))], ["stdOneDdof", () => w.std(tensor([5]), null as any, false, { ddof: 1 })],
  ["lseInf", () => w.logSumExp(tensor([-Infinity, -Infinity]))], ["softmaxBig", () => w.softmax(tensor([1000, 1000]))],
  ["iabsMin", () => w.abs(tensor([-2147483648], { dtype: "int32" }))], ["isumOver", () => w.sum(tensor([2147483647, 1], { dtype: "int32" }))],
  ["imodNeg", () => w.mod(tensor([-7, 7, -7], { dtype: "int32" }), tensor([3, -3, -3], { dtype: "int32" }))], ["ifdivNeg", () => w.floorDivide(tensor([-7, 7, -7], { dtype: "int32" }), tensor([3, -3, -3], { dtype: "int32" }))],
  ["roundHalf", () => w.round(tensor([0.5, 1.5, 2.5, -0.5, -1.5, 4.5e15 + 0.5]))], ["round2", () => w.round(tensor([0.125, 0.375, 1e300]), 2)],
  ["linspace1", () => w.linspace(2, 3, 1)], ["arangeNeg", () => w.arange(5, 1, -1.5)],
];
const out: Record<string, any> = {};
for (const [n, f] of cases) { try { const r = f(); out[n] = { v: r.toArray(), shape: r.shape, dtype: r.dtype }; } catch (e: any) { out[n] = { err: e.message.slice(0, 100) }; } }
writeFileSync(`${OUT}/edge.json`, JSON.stringify(out, (k, v) => (typeof v === "number" ? (Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : Object.is(v, -0) ? "-0" : v) : v)));
