/** Writes wengert's values for the NumPy comparison (np.py): 87 calls over reductions, scans, sorting, rounding, shape ops, slicing, linalg. */
import * as w from "../../src/index.ts";
import { writeFileSync } from "node:fs";
const OUT = process.env.OUT ?? "/tmp/wengert-differential";
const { tensor } = w as any;
const A = [[1.5, -2, 0, 3], [4, -0.5, 2.5, -3.5], [0, 7, -1, 2]];
const V = [3, -1.5, 0, 2.5, -2.5, 0.5, 1, -0.5];
const I = [[1, -2, 3], [-4, 5, -6]];
const cases: [string, () => any][] = [
  ["sum0", () => w.sum(tensor(A), 0)], ["sum1k", () => w.sum(tensor(A), 1, true)], ["mean", () => w.mean(tensor(A), -1)],
  ["prod", () => w.prod(tensor(A), 1)], ["max0", () => w.max(tensor(A), 0)], ["min", () => w.min(tensor(A))], ["argmax1", () => w.argmax(tensor(A), 1)], ["argmin0", () => w.argmin(tensor(A), 0)],
  ["var", () => w.var(tensor(A), 1)], ["std_ddof", () => w.std(tensor(A), 0, false, { ddof: 1 })],
  ["cumsum1", () => w.cumsum(tensor(A), 1)], ["cumprod0", () => w.cumprod(tensor(A), 0)], ["cummax", () => w.cummax(tensor(V))],
  ["sort", () => w.sort(tensor(A), -1)], ["argsort", () => w.argsort(tensor(V))], ["sort0", () => w.sort(tensor(A), 0)],
  ["round", () => w.round(tensor(V))], ["round1", () => w.round(tensor([1.25, 1.35, -1.45, 2.675]), 1)], ["floor", () => w.floor(tensor(V))], ["ceil", () => w.ceil(tensor(V))], ["trunc", () => w.trunc(tensor(V))],
  ["mod", () => w.mod(tensor(V), 1.5)], ["modneg", () => w.mod(tensor(V), -1.5)], ["floordiv", () => w.floorDivide(tensor(V), 1.5)], ["imod", () => w.mod(tensor(I, { dtype: "int32" }), 4)], ["ifloordiv", () => w.floorDivide(tensor(I, { dtype: "int32" }), -4)],
  ["clip", () => w.clip(tensor(V), -1, 1)], ["sign", () => w.sign(tensor(V))], ["abs", () => w.abs(tensor(V))],
  ["transpose", () => w.transpose(tensor(A))], ["swap", () => w.swapaxes(w.reshape(w.arange(24), [2, 3, 4]), 0, 2)], ["moveaxis", () => w.moveaxis(w.reshape(w.arange(24), [2, 3, 4]), 0, -1)],
  ["flip", () => w.flip(tensor(A), 1)], ["roll", () => w.roll(tensor(A), 2, 1)], ["rollflat", () => w.roll(tensor(A), -5)],
  ["diag1", () => w.diagonal(tensor(A), 1)], ["trace", () => w.trace(tensor(A), -1)], ["triu", () => w.triu(tensor(A), 1)], ["tril", () => w.tril(tensor(A), -1)],
  ["outer", () => w.outer(tensor([1, 2, 3]), tensor([4, 5]))], ["dot", () => w.dot(tensor(A), tensor([1, 2, 3, 4]))], ["matmul", () => w.matmul(tensor(A), w.transpose(tensor(A)))],
  ["tensordot", () => w.tensordot(w.reshape(w.arange(24), [2, 3, 4]), w.reshape(w.arange(12), [4, 3]), [[1, 2], [1, 0]])],
  ["einsum", () => w.einsum("ij,kj->ik", tensor(A), tensor(A))],
  ["take", () => w.take(tensor(A), tensor([3, 0, -1], { dtype: "int32" }), 1)], ["takeflat", () => w.take(tensor(A), tensor([5, -1], { dtype: "int32" }))],
  ["pad", () => w.pad(tensor([[1, 2], [3, 4]]), [[1, 0], [0, 2]])], ["concat", () => w.concat([tensor(A), tensor(A)], 1)], ["stack1", () => w.stack([tensor(V), tensor(V)], 1)],
  ["linspace", () => w.linspace(0, 1, 7)], ["arange", () => w.arange(-1, 2, 0.3)], ["eye", () => w.eye(3, 4, { k: -1 })],
  ["logsumexp", () => w.logSumExp(tensor(A), 0)], ["softmax", () => w.softmax(tensor(A), 1)], ["norm", () => w.norm(tensor(V), 3)], ["norm0", () => w.norm(tensor(V), 0)], ["normninf", () => w.norm(tensor(V), -Infinity)],
  ["lnorm2", () => w.linalg.norm(tensor(A), 2)], ["lnormnuc", () => w.linalg.norm(tensor(A), "nuc")], ["lnorm1", () => w.linalg.norm(tensor(A), 1)], ["lnorm-inf", () => w.linalg.norm(tensor(A), -Infinity)],
  ["det", () => w.linalg.det(tensor([[2, 1, 0], [1, 3, 1], [0, 1, 4]]))], ["slogdet", () => w.linalg.slogdet(tensor([[0, 1], [1, 0]]))[1]], ["inv", () => w.linalg.inv(tensor([[2, 1], [1, 3]]))],
  ["pinv", () => w.linalg.pinv(tensor(A))], ["svdvals", () => w.linalg.svdvals(tensor(A))], ["eigvalsh", () => w.linalg.eigvalsh(tensor([[2, 1, 0], [1, 3, 1], [0, 1, 4]]))],
  ["lstsq", () => w.linalg.lstsq(tensor([[1, 0], [1, 1], [1, 2]]), tensor([1, 2, 2]))[0]],
  ["cholesky", () => w.linalg.cholesky(tensor([[4, 2], [2, 3]]))], ["solvetri", () => w.linalg.solveTriangular(tensor([[2, 0], [1, 3]]), tensor([2, 7]))],
  ["logaddexp", () => w.logaddexp(tensor(V), tensor(V.map((v) => -v)))], ["hypot", () => w.hypot(tensor(V), 2)], ["log2", () => w.log2(tensor([1, 3, 8]))], ["cbrt", () => w.cbrt(tensor([-27, 2]))],
  ["nonzero", () => w.nonzero(tensor(A))[1]], ["argwhere", () => w.argwhere(tensor(A))], ["flatnonzero", () => w.flatnonzero(tensor(A))],
  ["topk", () => w.topK(tensor(V), 3)[0]], ["where", () => w.where(w.gt(tensor(V), 0), tensor(V), -1)],
  ["maximum", () => w.maximum(tensor(V), tensor(V.map((v) => v / 2)))], ["atan2", () => w.atan2(tensor(V), -1)], ["pow", () => w.pow(tensor([-2, -2, 0, 2]), tensor([3, -2, 0, 0.5]))],
  ["broadcast", () => w.broadcastTo(tensor([[1], [2]]), [2, 3])], ["squeeze", () => w.squeeze(w.ones([1, 3, 1]))], ["expand", () => w.expandDims(tensor(V), 0)],
  ["sliceneg", () => w.slice(tensor(A), [null, null, -1], [1, null, 2])], ["slicestep", () => w.slice(tensor(A), [0, null, 2], [-1, 0, -1])],
];
const out: Record<string, any> = {};
for (const [n, f] of cases) { try { const r = f(); out[n] = { v: r.toArray(), shape: r.shape, dtype: r.dtype }; } catch (e: any) { out[n] = { err: e.message.slice(0, 100) }; } }
writeFileSync(`${OUT}/w.json`, JSON.stringify(out, (k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v)));
console.log(Object.keys(out).length, "cases");
