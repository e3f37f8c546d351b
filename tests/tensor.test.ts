/** Tensors and the ops' values: creation, dtypes, broadcasting, reductions, shapes, printing. */
import { describe, it, expect } from "vitest";
import * as w from "../src/index.js";
import { tensor, Tensor, ShapeError, InputError, DTypeError, checkGrads } from "../src/index.js";
import { expectClose, toNums } from "./helpers.js";
import { matmul as matmulFlags } from "../src/ops/linalg.js";
import { reduceArray, transposeArray } from "../src/tensor/kernels.js";

describe("creation", () => {
  it("booleans mixed with numbers are numbers ([true, 2] was bool [true, true]); rows may be typed arrays (they were refused), keeping their dtype when all agree", () => {
    expect(tensor([true, 2, false]).toArray()).toEqual([1, 2, 0]);
    expect(tensor([true, 2, false]).dtype).toBe("float64");
    expect(tensor([[true], [false]]).dtype).toBe("bool");
    const ints = tensor([new Int32Array([1, 2]), new Int32Array([3, 4])]);
    expect([ints.dtype, ints.shape, ints.toArray()]).toEqual(["int32", [2, 2], [[1, 2], [3, 4]]]);
    expect(tensor([new Float32Array([1.5, 2]), new Float32Array([3, 4])]).dtype).toBe("float32");
    expect(tensor([new Float32Array([1.5, 2]), [3, 4]]).dtype).toBe("float64");
    expect(tensor([new Int32Array([1, 2]), new Float32Array([3, 4])]).dtype).toBe("float64");
    expect(tensor([[new Float64Array([1, 2])], [new Float64Array([3, 4])]]).shape).toEqual([2, 1, 2]);
    expect(tensor([new Int32Array([1, 2])], { dtype: "float64" }).dtype).toBe("float64");
    expect(() => tensor([new Float64Array([1, 2]), new Float64Array([3])])).toThrow(/ragged nested array: \[1\] has length 1/);
    expect(() => tensor([new BigInt64Array([1n])] as never)).toThrow(InputError);
  });
  it("from numbers, nested arrays, typed arrays, booleans", () => {
    expect(tensor(3).shape).toEqual([]);
    expect(tensor([[1, 2, 3], [4, 5, 6]]).shape).toEqual([2, 3]);
    expect(tensor([[1, 2, 3], [4, 5, 6]]).dtype).toBe("float64");
    expect(tensor(new Float32Array([1, 2])).dtype).toBe("float32");
    expect(tensor(new Int32Array([1, 2])).dtype).toBe("int32");
    expect(tensor([true, false]).dtype).toBe("bool");
    expect(tensor([true, false]).toArray()).toEqual([true, false]);
    expect(tensor([1, 2], { dtype: "float32" }).dtype).toBe("float32");
    expect(tensor([[1, 2], [3, 4]]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensor(2.5).item()).toBe(2.5);
    expect(tensor([]).shape).toEqual([0]);
  });
  it("from a typed array: a copy, converted to the dtype asked for, checked where the dtype needs it", () => {
    const src = new Float64Array([1.1, -2, 1e40, 0.1]);
    const t = tensor(src);
    expect(t.concrete().data).not.toBe(src);
    src[0] = 7;
    expect(toNums(t)).toEqual([1.1, -2, 1e40, 0.1]); // the tensor keeps its own copy
    expect(Array.from(tensor(new Float64Array([0.1, 1e40, -0.1]), { dtype: "float32" }).concrete().data)).toEqual([Math.fround(0.1), Infinity, Math.fround(-0.1)]);
    expect(toNums(tensor(new Int32Array([3, -4]), { dtype: "float64" }))).toEqual([3, -4]);
    expect(toNums(tensor(new Int32Array([3, -4]), { dtype: "int32" }))).toEqual([3, -4]);
    expect(toNums(tensor(new Float64Array([3, -4]), { dtype: "int32" }))).toEqual([3, -4]);
    expect(() => tensor(new Float64Array([3, 0.5]), { dtype: "int32" })).toThrow(/0.5 at flat index 1 is not a 32-bit integer/);
    expect(tensor(new Uint8Array([0, 2, 1])).toArray()).toEqual([0, 2, 1]); // int32
    expect(tensor(new Uint8Array([0, 2, 1]), { dtype: "bool" }).toArray()).toEqual([false, true, true]);
  });
  it("rejects bad data", () => {
    expect(() => tensor([1.5], { dtype: "int32" })).toThrow(/not a 32-bit integer/);
    expect(() => tensor([1], { dtype: "complex" as never })).toThrow(DTypeError);
    expect(() => tensor([null as never])).toThrow(InputError);
    expect(() => tensor([1, 2]).item()).toThrow(/exactly one element/);
  });
  it("constructors", () => {
    expect(w.zeros([2, 3]).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(w.ones([2], { dtype: "int32" }).dtype).toBe("int32");
    expect(w.full([2], 7).toArray()).toEqual([7, 7]);
    expect(w.full([2], 5, { dtype: "bool" }).toArray()).toEqual([true, true]);
    expect(w.full([1], 0.1, { dtype: "float32" }).item()).toBe(Math.fround(0.1));
    expect(w.eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    // k shifts the diagonal, as NumPy's eye(N, M, k)
    expect(w.eye(3, 4, { k: 1 }).toArray()).toEqual([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]);
    expect(w.eye(3, 2, { k: -1 }).toArray()).toEqual([[0, 0], [1, 0], [0, 1]]);
    expect(w.eye(2, 2, { k: 5 }).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(w.eye(2, 2, { k: -1, dtype: "int32" }).dtype).toBe("int32");
    expect(() => w.eye(2, 2, { k: 0.5 })).toThrow(/eye: k .* must be an integer/);
    expect(w.arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(w.arange(5).dtype).toBe("int32");
    expect(w.arange(0, 1, 0.25).toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(w.linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });
  it("prints readably", () => {
    expect(String(tensor([[1, 2], [3, 4.5]]))).toBe("Tensor(float64[2, 2]) [[1, 2],\n [3, 4.5]]");
    expect(String(w.arange(1000))).toContain("…");
  });
});

describe("dtype promotion", () => {
  it("numbers are weak; tensors promote bool < int32 < float32 < float64", () => {
    const f32 = tensor([1, 2], { dtype: "float32" });
    expect(w.add(f32, 1.5).dtype).toBe("float32");
    expect(w.add(f32, tensor([1, 2])).dtype).toBe("float64");
    const i = tensor([1, 2], { dtype: "int32" });
    expect(w.add(i, 1).dtype).toBe("int32");
    expect(w.add(i, 1.5).dtype).toBe("float64");
    expect(w.div(i, 2).dtype).toBe("float64");
    expect(w.exp(i).dtype).toBe("float64");
    expect(w.sum(tensor([true, true, false])).item()).toBe(2);
    expect(w.mul(f32, f32).dtype).toBe("float32");
  });
  it("float32 rounds to float32", () => {
    const x = tensor([0.1], { dtype: "float32" });
    expect(w.mul(x, 3).item()).toBe(Math.fround(Math.fround(0.1) * 3));
  });
});

describe("broadcasting and reductions", () => {
  it("NumPy broadcasting", () => {
    const a = tensor([[1], [2]]), b = tensor([10, 20, 30]);
    expect(w.add(a, b).toArray()).toEqual([[11, 21, 31], [12, 22, 32]]);
    expect(() => w.add(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(ShapeError);
  });
  it("a sum over axes that are not trailing: every dtype, bit for bit the sum of the transposed rows", () => {
    const bits = (u: Tensor) => Array.from(new Uint32Array(Float64Array.from(u.concrete().data).buffer));
    const x = w.random.normal(w.random.key(3), [3, 5, 4, 2]).mul(1e3);
    const cases: number[][] = [[1], [0], [0, 2], [1, 2], [0, 1, 3], [0, 3], [2]];
    for (const dtype of ["float64", "float32", "int32"] as const) {
      const t = dtype === "int32" ? w.round(x).cast("int32") : x.cast(dtype);
      for (const axes of cases) {
        const keep = [0, 1, 2, 3].filter((a) => !axes.includes(a));
        // the kernel's former way: the reduced axes moved last by a transposed copy, then its rows summed
        const rows = transposeArray(t.concrete(), [...keep, ...axes]);
        const got = reduceArray(t.concrete(), axes, "sum", t.dtype), want = reduceArray(rows, axes.map((_, j) => keep.length + j), "sum", t.dtype);
        if (dtype === "float64") expect(bits(w.sum(t, axes))).toEqual(bits(got));
        expect(got.dtype).toBe(want.dtype);
        expect(got.shape).toEqual(want.shape);
        expect(Array.from(got.concrete().data)).toEqual(Array.from(want.concrete().data));
        // and against plain nested sums in float64 (float32 rounded once)
        const flat = toNums(t), st = [40, 8, 2, 1];
        const ref = new Float64Array(got.size);
        flat.forEach((v, i) => {
          const idx = [0, 1, 2, 3].map((a) => Math.floor(i / st[a]) % t.shape[a]);
          let o = 0;
          for (const a of keep) o = o * t.shape[a] + idx[a];
          ref[o] += v;
        });
        const r = dtype === "float32" ? Array.from(ref, Math.fround) : Array.from(ref);
        expect(toNums(got)).toEqual(r);
      }
    }
  });
  it("reductions with axis and keepdims", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(w.sum(x).item()).toBe(21);
    expect(w.sum(x, 0).toArray()).toEqual([5, 7, 9]);
    expect(w.sum(x, 1, true).shape).toEqual([2, 1]);
    expect(w.sum(x, [0, 1]).item()).toBe(21);
    expect(w.sum(x, -1).toArray()).toEqual([6, 15]);
    expect(w.mean(x, 0).toArray()).toEqual([2.5, 3.5, 4.5]);
    expect(w.prod(x, 1).toArray()).toEqual([6, 120]);
    expect(w.prod(tensor([2, 3, 4, 5, 6])).item()).toBe(720);
    expect(w.max(x, 1).toArray()).toEqual([3, 6]);
    expect(w.min(x, 0).toArray()).toEqual([1, 2, 3]);
    expect(w.argmax(x, 1).toArray()).toEqual([2, 2]);
    expect(w.argmin(tensor([3, 1, 2])).item()).toBe(1);
    expect(() => w.sum(x, 2)).toThrow(/axis 2 is out of range/);
  });
  it("logSumExp, softmax, norm", () => {
    const x = tensor([1, 2, 3]);
    expectClose(w.logSumExp(x), Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)));
    expectClose(w.logSumExp(tensor([1000, 1000])), 1000 + Math.log(2));
    expectClose(w.sum(w.softmax(x)), 1);
    expectClose(w.logSoftmax(tensor([[1000, 0]])), [0, -1000]);
    expectClose(w.norm(tensor([3, 4])), 5);
    expectClose(w.norm(tensor([3, -4]), 1), 7);
    expectClose(w.norm(tensor([3, -4]), Infinity), 4);
  });
});

describe("more of NumPy: var, std, logaddexp, flip, roll, diagonal, trace, triu, tril, cumsum", () => {
  // NumPy's results for the same calls, written out
  const x = tensor([[1, 2, 3], [4, 5, 7]]);
  it("var and std: population by default, ddof for the unbiased estimate, per axis", () => {
    const all = [1, 2, 3, 4, 5, 7], m = all.reduce((a, b) => a + b) / 6;
    expectClose(w.var(x), all.reduce((s, v) => s + (v - m) ** 2, 0) / 6);
    expectClose(w.var(x, 0, false, { ddof: 1 }), [4.5, 4.5, 8]);
    expectClose(w.std(x, 1), [Math.sqrt(2 / 3), Math.sqrt(14 / 9)]);
    expect(w.std(x, 1, true).shape).toEqual([2, 1]);
    expectClose(x.var(-1), [2 / 3, 14 / 9]);
    expect(() => w.var(x, 0, false, { ddof: -1 })).toThrow(/ddof must be a non-negative integer/);
  });
  it("logaddexp is stable and exact at infinities; its derivative splits a tie", () => {
    expectClose(w.logaddexp(2, 3), Math.log(Math.exp(2) + Math.exp(3)));
    expectClose(w.logaddexp(1000, 1000), 1000 + Math.log(2));
    expect(w.logaddexp(-Infinity, -Infinity).item()).toBe(-Infinity);
    expect(w.logaddexp(Infinity, 5).item()).toBe(Infinity);
    expectClose(w.logaddexp(-1e5, 0), 0);
    expectClose(w.grad((t: Tensor) => w.logaddexp(t, 1))(tensor(1)), 0.5);
    expectClose(w.grad((t: Tensor) => w.logaddexp(t, 0))(tensor(2)), 1 / (1 + Math.exp(-2)));
  });
  it("flip and roll, per axis and flattened", () => {
    expect(w.flip(x).toArray()).toEqual([[7, 5, 4], [3, 2, 1]]);
    expect(w.flip(x, 1).toArray()).toEqual([[3, 2, 1], [7, 5, 4]]);
    expect(x.flip(0).toArray()).toEqual([[4, 5, 7], [1, 2, 3]]);
    expect(w.roll(x, 1).toArray()).toEqual([[7, 1, 2], [3, 4, 5]]);
    expect(w.roll(x, -1, 1).toArray()).toEqual([[2, 3, 1], [5, 7, 4]]);
    expect(w.roll(x, 5, 0).toArray()).toEqual([[4, 5, 7], [1, 2, 3]]);
    expect(() => w.roll(x, 0.5)).toThrow(/shift must be an integer/);
  });
  it("diagonal (with offsets and other axes), trace, triu and tril", () => {
    expect(w.diagonal(x).toArray()).toEqual([1, 5]);
    expect(w.diagonal(x, 1).toArray()).toEqual([2, 7]);
    expect(w.diagonal(x, -1).toArray()).toEqual([4]);
    expect(w.diagonal(x, 5).toArray()).toEqual([]);
    const b = w.reshape(w.arange(12), [2, 2, 3]);
    expect(w.diagonal(b, 0, 1, 2).toArray()).toEqual([[0, 4], [6, 10]]);
    expect(w.trace(x).item()).toBe(6);
    expect(w.trace(x, 1).item()).toBe(9);
    expect(w.triu(x).toArray()).toEqual([[1, 2, 3], [0, 5, 7]]);
    expect(w.tril(x, -1).toArray()).toEqual([[0, 0, 0], [4, 0, 0]]);
    expect(w.triu(x, 1).toArray()).toEqual([[0, 2, 3], [0, 0, 7]]);
    expect(() => w.diagonal(tensor([1, 2]))).toThrow(/at least 2 axes/);
    expect(() => w.diagonal(x, 0, 1, 1)).toThrow(/must differ/);
  });
  it("sort, argsort and topK: stable, NaN last, descending; the derivative follows the values", () => {
    const y = tensor([[3, 1, 2, NaN, 1], [5, -1, 0, 2, 2]]);
    expect(w.argsort(y).toArray()).toEqual([[1, 4, 2, 0, 3], [1, 2, 3, 4, 0]]);
    expect(w.argsort(y, -1, { descending: true }).toArray()).toEqual([[0, 2, 1, 4, 3], [0, 3, 4, 2, 1]]);
    expect(w.sort(y).toArray()).toEqual([[1, 1, 2, 3, NaN], [-1, 0, 2, 2, 5]]);
    expect(y.sort(0).toArray()).toEqual([[3, -1, 0, 2, 1], [5, 1, 2, NaN, 2]]);
    const [v, i] = w.topK(tensor([[3, 1, 2, 7], [5, -1, 0, 2]]), 2);
    expect(v.toArray()).toEqual([[7, 3], [5, 2]]);
    expect(i.toArray()).toEqual([[3, 0], [0, 3]]);
    expect(() => w.topK(tensor([1, 2]), 3)).toThrow(/k must be an integer from 0 to 2/);
    expectClose(w.grad((t: Tensor) => w.sum(w.mul(w.sort(t), tensor([1, 2, 3]))))(tensor([0.3, -1, 2])), [2, 1, 3]);
    expectClose(w.jit((t: Tensor) => w.sort(t, -1, { descending: true }))(tensor([0.3, -1, 2])), [2, 0.3, -1]);
  });
  it("einsum and tensordot agree with loops; errors name the subscripts", () => {
    const a = w.reshape(w.arange(6), [2, 3]), b = w.reshape(w.arange(12), [3, 4]), c = w.reshape(w.arange(24), [2, 3, 4]);
    expect(w.einsum("ij,jk->ik", a, b).toArray()).toEqual(w.matmul(a, b).toArray());
    expect(w.einsum("ij->ji", a).toArray()).toEqual(w.transpose(a).toArray());
    expect(w.einsum("ij->", a).item()).toBe(15);
    expect(w.einsum("ij,ij->i", a, a).toArray()).toEqual([5, 50]);
    expect(w.einsum("ij,jk", a, b).toArray()).toEqual(w.matmul(a, b).toArray()); // implicit output: ik
    // batched: bij,bjk->bik; and three operands
    const bm = w.einsum("bij,bjk->bik", c, w.reshape(w.arange(32), [2, 4, 4]));
    expect(bm.toArray()).toEqual(w.matmul(c, w.reshape(w.arange(32), [2, 4, 4])).toArray());
    const three = w.einsum("ij,jk,k->i", a, b, w.arange(4));
    expect(three.toArray()).toEqual(w.matmul(w.matmul(a, b), w.arange(4)).toArray());
    // outer product and a sum over a label of one operand only
    expect(w.einsum("i,j->ij", w.arange(2), w.arange(3)).toArray()).toEqual(w.outer(w.arange(2), w.arange(3)).toArray());
    expect(w.einsum("ijk,j->k", c, w.ones([3])).toArray()).toEqual(w.sum(c, [0, 1]).toArray());
    expect(w.tensordot(c, b, 2).toArray()).toEqual(w.einsum("ijk,jk->i", c, b).toArray());
    expect(w.tensordot(a, b, [[1], [0]]).toArray()).toEqual(w.matmul(a, b).toArray());
    expect(w.tensordot(w.arange(3), w.arange(2), 0).shape).toEqual([3, 2]);
    expect(() => w.einsum("ii->i", w.eye(2))).toThrow(/repeats within operand 0/);
    expect(() => w.einsum("ij,jk->ik", a, a)).toThrow(/label j has size 3 in one operand and 2 in operand 1/);
    expect(() => w.einsum("ij->ix", a)).toThrow(/output label x is not in any operand/);
    expect(() => w.einsum("...ij", a)).toThrow(/no "\.\.\."/);
    const x = tensor([[0.3, -0.2, 0.5], [0.1, 0.7, -0.4]]), y = tensor([[0.2, 0.1], [-0.3, 0.4], [0.5, -0.6]]);
    w.checkGrads((p: Tensor, q: Tensor) => w.sin(w.einsum("ij,jk,ik->i", p, q, w.tanh(w.matmul(p, q)))), [x, y], { order: 2 });
  });
  it("negative-step slices follow NumPy (x[::-1], x[4:1:-1], x[-2::-2]); derivatives scatter back", () => {
    const x = w.arange(6);
    const s = (...spec: w.SliceSpec[]) => w.slice(x, ...spec).toArray();
    expect(s([null, null, -1])).toEqual([5, 4, 3, 2, 1, 0]);
    expect(s([4, 1, -1])).toEqual([4, 3, 2]);
    expect(s([null, null, -2])).toEqual([5, 3, 1]);
    expect(s([-2, null, -2])).toEqual([4, 2, 0]);
    expect(s([1, null, -1])).toEqual([1, 0]);
    expect(s([null, -7, -1])).toEqual([5, 4, 3, 2, 1, 0]);
    expect(s([10, null, -1])).toEqual([5, 4, 3, 2, 1, 0]);
    expect(s([1, 4, -1])).toEqual([]);
    const m = w.reshape(w.arange(6), [2, 3]);
    expect(w.slice(m, [null, null, -1], [null, null, -2]).toArray()).toEqual([[5, 3], [2, 0]]);
    expect(w.slice(m, 1, [null, null, -1]).toArray()).toEqual([5, 4, 3]);
    const g = w.grad((v: Tensor) => w.sum(w.mul(w.slice(v, [null, null, -2]), tensor([1, 10, 100]))))(tensor([0, 0, 0, 0, 0, 0]));
    expect(g.toArray()).toEqual([0, 100, 0, 10, 0, 1]);
    expect(() => w.slice(x, [null, null, 0])).toThrow(/nonzero integer/);
  });
  it("dot with NumPy's meaning for N-D operands (no broadcasting: every other axis kept)", () => {
    const a = w.reshape(w.arange(24), [2, 3, 4]), b = w.reshape(w.arange(40), [2, 4, 5]);
    const d = w.dot(a, b);
    expect(d.shape).toEqual([2, 3, 2, 5]);
    // dot(a, b)[i, j, k, m] = Σₗ a[i, j, l] b[k, l, m]
    expect(w.slice(d, 1, 2, 0, 3).item()).toBe([0, 1, 2, 3].reduce((s, l) => s + (12 + 8 + l) * (l * 5 + 3), 0));
    expect(w.dot(a, w.arange(4)).shape).toEqual([2, 3]);
    expect(w.dot(w.arange(3), w.ones([3, 2])).toArray()).toEqual([3, 3]);
    expect(() => w.dot(a, w.ones([3, 5, 2]))).toThrow(/last axis of the first \(4\) must equal the second-to-last axis of the second \(5\)/);
  });
  it("expandDims with several axes; linspace with tensor ends is differentiable", () => {
    expect(w.expandDims(tensor([1, 2, 3]), [0, 2]).shape).toEqual([1, 3, 1]);
    expect(w.expandDims(tensor([[1, 2, 3]]), [-1, 0]).shape).toEqual([1, 1, 3, 1]);
    expect(() => w.expandDims(tensor([1]), [0, 0])).toThrow(/repeated axis/);
    expect(w.linspace(tensor(1), tensor(3), 5).toArray()).toEqual(w.linspace(1, 3, 5).toArray());
    expect(w.linspace(tensor([0, 10]), 1, 3).toArray()).toEqual([[0, 10], [0.5, 5.5], [1, 1]]);
    // d/da Σ linspace(a, b, n) = Σ (1 − i/(n−1)) = n/2, and the same for b
    const [da, db] = w.grad((a: Tensor, b: Tensor) => w.sum(w.linspace(a, b, 7)), { argnums: [0, 1] })(tensor(0.3), tensor(2)) as Tensor[];
    expectClose(da, 3.5);
    expectClose(db, 3.5);
  });
  it("cumprod and cummax (ints stay ints); their derivatives", () => {
    expect(w.cumprod(x, 1).toArray()).toEqual([[1, 2, 6], [4, 20, 140]]);
    expect(w.cummax(tensor([3, 1, 4, 1, 5, 9, 2, 6])).toArray()).toEqual([3, 3, 4, 4, 5, 9, 9, 9]);
    expect(w.cumsum(w.arange(5)).dtype).toBe("int32");
    expect(w.cummax(w.arange(5).mul(-1)).toArray()).toEqual([0, 0, 0, 0, 0]);
    expect(w.cumprod(tensor([2, 0, 3])).toArray()).toEqual([2, 0, 0]);
    // d/dxᵢ Πⱼ≤ₖ xⱼ summed over k, at a point without zeros
    const v = tensor([0.5, -1.5, 2, 0.7]);
    w.checkGrads((t: Tensor) => w.sum(w.sin(w.cumprod(t))), [v], { order: 2 });
    expectClose(w.grad((t: Tensor) => w.sum(w.cummax(t)))(tensor([1, 3, 2, 5])), [1, 2, 0, 1]);
  });
  it("cumsum along an axis and flattened; derivatives through all of them match differences", () => {
    expect(w.cumsum(x, 1).toArray()).toEqual([[1, 3, 6], [4, 9, 16]]);
    expect(w.cumsum(x, 0).toArray()).toEqual([[1, 2, 3], [5, 7, 10]]);
    expect(w.cumsum(x).toArray()).toEqual([1, 3, 6, 10, 15, 22]);
    const y = tensor([[0.3, -0.2, 0.5], [0.1, 0.7, -0.4]]);
    const f = (t: Tensor) => w.sum(w.mul(w.sin(w.cumsum(w.flip(w.roll(t, 1, 1), 0), 1)), w.add(w.std(t, 1, true), w.triu(w.exp(t))))).add(w.trace(t)).add(w.sum(w.logaddexp(t, w.diagonal(w.exp(t)).sum())));
    w.checkGrads(f, [y], { order: 2 });
  });
});

describe("linalg: solve, inv, det, slogdet", () => {
  const A = tensor([[4, 1, 2], [1, 3, 0], [2, 0, 5]]);
  it("values: a·x = b for vectors and matrices, batches broadcast; inv; det by cofactors", () => {
    const x = w.linalg.solve(A, tensor([1, 2, 3]));
    expectClose(w.matmul(A, x), [1, 2, 3], 1e-14);
    const B = tensor([[1, 0], [0, 1], [2, -1]]);
    expectClose(w.matmul(A, w.linalg.solve(A, B)), [1, 0, 0, 1, 2, -1], 1e-14);
    const batch = w.stack([A, w.mul(A, 2)]);
    expect(w.linalg.solve(batch, tensor([1, 2, 3])).shape).toEqual([2, 3]);
    expectClose(w.matmul(w.linalg.inv(A), A), w.eye(3), 1e-14);
    // det = 4(15) − 1(5) + 2(−6) = 43
    expectClose(w.linalg.det(A), 43, 1e-14);
    expectClose(w.linalg.det(batch), [43, 344], 1e-13);
    const [s, l] = w.linalg.slogdet(tensor([[0, 1], [1, 0]]));
    expect([s.item(), l.item()]).toEqual([-1, 0]);
    const [s0, l0] = w.linalg.slogdet(tensor([[1, 2], [2, 4]]));
    expect([s0.item(), l0.item()]).toEqual([0, -Infinity]);
    expect(w.linalg.det(tensor([[1, 2], [2, 4]])).item()).toBe(0);
    expect(() => w.linalg.solve(tensor([[1, 2], [2, 4]]), tensor([1, 1]))).toThrow(/singular \(no nonzero pivot in column 1\)/);
    expect(() => w.linalg.solve(tensor([[1, 2, 3]]), tensor([1]))).toThrow(/square matrices/);
  });
  it("derivatives: d det = det·A⁻ᵀ (the cofactors), d log|det| = A⁻ᵀ, d(A⁻¹b) by differences, at order 2", () => {
    expectClose(w.grad((a: Tensor) => w.linalg.det(a))(A), w.mul(43, w.transpose(w.linalg.inv(A))), 1e-13);
    expectClose(w.grad((a: Tensor) => w.linalg.slogdet(a)[1])(A), w.transpose(w.linalg.inv(A)), 1e-14);
    w.checkGrads((a: Tensor, b: Tensor) => w.sum(w.sin(w.linalg.solve(a, b))), [A, tensor([[1, 0.5], [2, -1], [3, 0.2]])], { order: 2 });
    w.checkGrads((a: Tensor) => w.sum(w.linalg.inv(a)), [A], { order: 2 });
    expectClose(w.jit(w.grad((a: Tensor) => w.linalg.det(a)))(A), w.grad((a: Tensor) => w.linalg.det(a))(A), 1e-13);
    expectClose(w.vmap(w.grad((a: Tensor) => w.linalg.det(a)))(w.stack([A, A])), w.stack([w.grad((a: Tensor) => w.linalg.det(a))(A), w.grad((a: Tensor) => w.linalg.det(a))(A)]), 1e-13);
  });
  it("det's gradient is the cofactor matrix at every rank (it was a singular-matrix InputError): by minors, at corank 1 and 2, batched, jit, vmap, float32", () => {
    // cofactors by Laplace expansion: independent of the LU code
    const laplace = (m: number[][]): number => (m.length === 0 ? 1 : m[0].reduce((s, v, j) => s + (j % 2 ? -1 : 1) * v * laplace(m.slice(1).map((r) => r.filter((_, c) => c !== j))), 0));
    const cofactors = (m: number[][]) => m.map((row, i) => row.map((_, j) => ((i + j) % 2 ? -1 : 1) * laplace(m.filter((_, r) => r !== i).map((r) => r.filter((_, c) => c !== j)))));
    const gdet = w.grad((a: Tensor) => w.linalg.det(a));
    const cases: number[][][] = [
      [[1, 2], [2, 4]], // corank 1
      [[0, 0], [0, 0]], // corank 2
      [[0, 1], [0, 0]], // a zero first column: partial pivoting would stop at column 0
      [[1, 2, 3], [2, 4, 6], [1, 1, 1]], // corank 1
      [[1, 2, 3], [2, 4, 6], [3, 6, 9]], // corank 2: gradient 0
      [[0, 0, 1], [0, 0, 2], [5, 1, 0]], // corank 1
      [[2, 1, 0, 1], [1, 3, 1, 0], [3, 4, 1, 1], [0, 1, 2, 5]], // row 3 = row 1 + row 2
      [[4, 1, 2], [1, 3, 0], [2, 0, 5]],
      [[7]],
    ];
    for (const m of cases) {
      expectClose(gdet(tensor(m)), cofactors(m).flat(), 1e-13, 1e-13);
      expectClose(w.linalg.det(tensor(m)), laplace(m), 1e-13, 1e-13);
      expectClose(w.jit(gdet)(tensor(m)), cofactors(m).flat(), 1e-13, 1e-13);
      const [, t] = w.jvp((a: Tensor) => w.linalg.det(a), [tensor(m)], [tensor(m.map((r) => r.map((_, j) => j + 1)))]);
      expectClose(t, cofactors(m).flat().reduce((s, c, k) => s + c * ((k % m.length) + 1), 0), 1e-13, 1e-13);
    }
    // random matrices of ranks n, n − 1, n − 2 (products of n×r and r×n factors: pivots tiny, not zero)
    for (const n of [3, 5]) {
      for (const r of [n, n - 1, n - 2]) {
        const a = w.matmul(w.random.normal(w.random.key(n * 10 + r), [n, r]), w.random.normal(w.random.key(n * 10 + r + 5), [r, n]));
        const m = a.toArray() as number[][];
        expectClose(gdet(a), cofactors(m).flat(), 1e-11, 1e-11);
      }
    }
    const batch = w.stack(cases.slice(3, 6).map((m) => tensor(m)));
    expectClose(w.grad((a: Tensor) => w.sum(w.linalg.det(a)))(batch), cases.slice(3, 6).flatMap((m) => cofactors(m).flat()), 1e-13, 1e-13);
    expectClose(w.vmap(gdet)(batch), cases.slice(3, 6).flatMap((m) => cofactors(m).flat()), 1e-13, 1e-13);
    const g32 = gdet(tensor(cases[3], { dtype: "float32" }));
    expect(g32.dtype).toBe("float32");
    expectClose(g32, cofactors(cases[3]).flat(), 1e-6, 1e-6);
    expect(w.linalg.det(w.zeros([0, 0])).item()).toBe(1);
  });
  it("det's second derivatives: a 2×2 cofactor is linear, so its Hessian exists at singular matrices; larger singular matrices are an InputError, not a number", () => {
    // d²det/dA² for 2×2: ∂²/∂a∂d = 1, ∂²/∂b∂c = −1, all else 0, at every matrix
    const H = w.hessian((a: Tensor) => w.linalg.det(a))(tensor([[1, 2], [2, 4]]));
    const want = Array.from({ length: 16 }, (_, k) => { const [i, j] = [Math.floor(k / 4), k % 4]; return (i === 0 && j === 3) || (i === 3 && j === 0) ? 1 : (i === 1 && j === 2) || (i === 2 && j === 1) ? -1 : 0; });
    expectClose(H, want, 0);
    checkGrads((a: Tensor) => w.linalg.det(a), [tensor([[1, 2], [2, 4]])], { order: 2 });
    checkGrads((a: Tensor) => w.linalg.det(a), [A], { order: 2 });
    checkGrads((a: Tensor) => w.linalg.det(a), [w.random.normal(w.random.key(3), [2, 4, 4])], { order: 2 });
    expect(() => w.hessian((a: Tensor) => w.linalg.det(a))(tensor([[1, 2, 3], [2, 4, 6], [1, 1, 1]]))).toThrow(/solve: matrix is singular/);
  });
  it("solveTriangular reads one triangle, and only that triangle gets a derivative", () => {
    const T = tensor([[2, 9, 9], [1, 3, 9], [0.5, -1, 4]]);
    const x = w.linalg.solveTriangular(T, tensor([2, 4, 1]));
    expectClose(w.matmul(w.tril(T), x), [2, 4, 1], 1e-14);
    expectClose(w.linalg.solveTriangular(T, tensor([2, 4, 1]), { lower: false }), w.linalg.solve(w.triu(T), tensor([2, 4, 1])), 1e-14);
    const g = w.grad((t: Tensor) => w.sum(w.linalg.solveTriangular(t, tensor([2, 4, 1]))))(T);
    const gs = toNums(g);
    expect([gs[1], gs[2], gs[5]]).toEqual([0, 0, 0]);
    expect(gs[0]).not.toBe(0);
  });
  it("cholesky: L·Lᵀ = A, lower triangular, reads only A's lower triangle; its derivative at order 2; not positive definite is an error", () => {
    const L = w.linalg.cholesky(A);
    expectClose(w.matmul(L, w.transpose(L)), A, 1e-14);
    expect(toNums(w.triu(L, 1)).every((v) => v === 0)).toBe(true);
    expectClose(w.linalg.cholesky(w.tril(A)), L, 0);
    // d/dA Σ log Lᵢᵢ = ½ d log det A = ½ A⁻ᵀ on the symmetric part: compare through a symmetric input
    const sym = (m: Tensor) => w.add(w.matmul(m, w.transpose(m)), w.eye(3));
    const M = tensor([[1, 0.2, -0.3], [0.4, 1.2, 0.1], [-0.5, 0.3, 0.9]]);
    const viaChol = w.grad((m: Tensor) => w.mul(2, w.sum(w.log(w.diagonal(w.linalg.cholesky(sym(m)))))))(M);
    const viaDet = w.grad((m: Tensor) => w.linalg.slogdet(sym(m))[1])(M);
    expectClose(viaChol, viaDet, 1e-13);
    w.checkGrads((m: Tensor) => w.sum(w.sin(w.linalg.cholesky(sym(m)))), [M], { order: 2 });
    expect(() => w.linalg.cholesky(tensor([[1, 2], [2, 1]]))).toThrow(/not positive definite \(pivot 1 is -3\)/);
  });
});

describe("elementwise values", () => {
  it("composites agree with Math", () => {
    const xs = [-0.9, -0.3, 0, 1e-9, 0.4, 0.95];
    const x = tensor(xs);
    expectClose(w.tan(x), xs.map(Math.tan), 1e-14);
    expectClose(w.asin(x), xs.map(Math.asin), 1e-14);
    expectClose(w.acos(x), xs.map(Math.acos), 1e-14);
    expectClose(w.atan(x), xs.map(Math.atan), 1e-14);
    expectClose(w.sinh(x), xs.map(Math.sinh), 1e-14);
    expectClose(w.cosh(x), xs.map(Math.cosh), 1e-14);
    expectClose(w.softplus(x), xs.map((v) => Math.log1p(Math.exp(v))), 1e-14);
    expectClose(w.abs(x), xs.map(Math.abs));
    expectClose(w.relu(x), xs.map((v) => Math.max(v, 0)));
    expectClose(w.clip(x, -0.5, 0.5), xs.map((v) => Math.min(Math.max(v, -0.5), 0.5)));
    expectClose(w.minimum(x, 0), xs.map((v) => Math.min(v, 0)));
    expectClose(w.sigmoid(tensor([-800, 800])), [0, 1]);
  });
  it("booleans: sum, prod, cumsum and cumprod count in int32 (cumsum stayed bool: [false, true, true]); cummax of bools is a running or (the shifted-in fill was true)", () => {
    const b = tensor([false, true, false, true]);
    for (const [f, want] of [[w.sum, 2], [w.prod, 0]] as const) {
      expect(f(b).dtype).toBe("int32");
      expect(f(b).item()).toBe(want);
    }
    expect(w.prod(tensor([true, true])).item()).toBe(1);
    expect(w.cumsum(b).dtype).toBe("int32");
    expect(w.cumsum(b).toArray()).toEqual([0, 1, 1, 2]);
    expect(w.cumprod(tensor([true, true, false, true])).toArray()).toEqual([1, 1, 0, 0]);
    expect(w.cumsum(tensor([[true, false], [true, true]]), 0).toArray()).toEqual([[1, 0], [2, 1]]);
    expect(w.cummax(b).dtype).toBe("bool");
    expect(w.cummax(b).toArray()).toEqual([false, true, true, true]);
    expect(w.cummax(tensor([false, false])).toArray()).toEqual([false, false]);
    expect(w.jit((v: Tensor) => w.cumsum(v))(b).toArray()).toEqual([0, 1, 1, 2]);
  });
  it("a JS number adopts an int32 operand's dtype only when it fits (1e10 wrapped to 1410065408); beyond int32 it is an InputError, as JAX's OverflowError", () => {
    const i = tensor([1, 2], { dtype: "int32" });
    expect(() => w.mul(i, 1e10)).toThrow(InputError);
    expect(() => w.mul(i, 1e10)).toThrow(/mul: the number 10000000000 does not fit int32.*cast that operand to float64/);
    expect(() => w.add(i, -2147483649)).toThrow(/does not fit int32/);
    expect(() => w.add(tensor([true]), 2 ** 31)).toThrow(/does not fit int32/);
    expect(w.add(i, 2147483645).toArray()).toEqual([2147483646, 2147483647]);
    expect(w.add(i, -2147483648).dtype).toBe("int32");
    expect(w.mul(w.cast(i, "float64"), 1e10).toArray()).toEqual([1e10, 2e10]);
    expect(w.add(i, 0.5).toArray()).toEqual([1.5, 2.5]); // a non-integral number gives float64, as before
    expect(() => w.jit((v: Tensor) => w.mul(v, 1e10))(i)).toThrow(/does not fit int32/);
  });
  it("sinh and cosh stay finite while the result is (they overflowed from |x| = 709.78, not 710.47), derivatives too", () => {
    const xs = [-710.4, -709.9, -0.3, 1e-9, 5, 700, 709, 709.5, 710, 710.45];
    expectClose(w.cosh(tensor(xs)), xs.map(Math.cosh), 1e-13);
    expectClose(w.sinh(tensor(xs)), xs.map(Math.sinh), 1e-13);
    expect(w.cosh(tensor([711])).item()).toBe(Infinity);
    for (const x of [-710.2, 709.9, 710.3]) {
      expectClose(w.grad(w.sinh)(x), Math.cosh(x), 1e-13);
      expectClose(w.grad(w.cosh)(x), Math.sinh(x), 1e-13);
      expectClose(w.grad(w.grad(w.cosh))(x), Math.cosh(x), 1e-13);
      expectClose(w.jit(w.grad(w.sinh))(tensor(x)), Math.cosh(x), 1e-13);
    }
    const f32 = w.cosh(tensor([88.5, -89], { dtype: "float32" }));
    expect(f32.dtype).toBe("float32");
    expectClose(f32, [Math.cosh(88.5), Math.cosh(89)], 1e-5);
  });
  it("norm takes every ord NumPy's vector norm takes (it refused all but 1, 2, ∞): −∞, 0, any p, negative p; derivatives to order 2", () => {
    const v = [3, -4, 1, 0.5];
    const x = tensor(v);
    const pnorm = (p: number) => Math.pow(v.reduce((s, a) => s + Math.abs(a) ** p, 0), 1 / p);
    for (const p of [3, 0.5, 4.5, -1, -2.5]) expectClose(w.norm(x, p), pnorm(p), 1e-14);
    expect(w.norm(x, -Infinity).item()).toBe(0.5);
    expect(w.norm(tensor([3, 0, -1, 0]), 0).item()).toBe(2);
    expect(w.norm(tensor([3, 0, -1]), -1).item()).toBe(0); // a zero element makes a negative-p norm 0, as NumPy
    expectClose(w.norm(tensor([[3, 4], [1, 1]]), 3, 1), [Math.cbrt(27 + 64), Math.cbrt(2)], 1e-14);
    for (const p of [3, 0.5, -1.5]) checkGrads((t: Tensor) => w.norm(t, p), [x], { order: 2 });
    expect(w.grad((t: Tensor) => w.norm(t, 3))(w.zeros([3])).toArray()).toEqual([0, 0, 0]);
    expect(w.grad((t: Tensor) => w.norm(t, 0))(x).toArray()).toEqual([0, 0, 0, 0]);
    expectClose(w.grad((t: Tensor) => w.norm(t, -Infinity))(x), [0, 0, 0, 1], 0);
    expect(() => w.norm(x, NaN)).toThrow(/norm: ord must be a number/);
    expectClose(w.jit((t: Tensor) => w.norm(t, 3))(x), pnorm(3), 1e-14);
  });
  it("NumPy's log2, log10, exp2, cbrt, hypot, asinh, acosh, atanh: exact where Math is, no overflow in hypot, derivatives at the edges", () => {
    expect(w.log2(tensor([1, 8, 0.5, 1024])).toArray()).toEqual([0, 3, -1, 10]);
    expect(w.log10(tensor([1, 1000, 1e-5])).toArray()).toEqual([0, 3, -5]);
    expect(w.exp2(tensor([3, -1, 0.5])).toArray()).toEqual([8, 0.5, Math.SQRT2]);
    expect(w.cbrt(tensor([27, -8, 0])).toArray()).toEqual([3, -2, 0]);
    expect(w.hypot(tensor([3, 1e200, 5e-324]), tensor([4, 1e200, 0])).toArray()).toEqual([5, Math.hypot(1e200, 1e200), 5e-324]);
    expect(w.grad((x: Tensor, y: Tensor) => w.hypot(x, y), { argnums: [0, 1] })(3, 4)).toEqual([0.6, 0.8]);
    expect(w.grad((x: Tensor, y: Tensor) => w.hypot(x, y), { argnums: [0, 1] })(0, 0)).toEqual([0, 0]); // a subgradient, as the 2-norm's
    expectClose(w.grad(w.asinh)(1e200), 1e-200, 1e-15); // hypot(x, 1): x² would overflow to a 0 derivative
    expectClose(w.grad(w.atanh)(1 - 2 ** -30), 1 / ((2 ** -30) * (2 - 2 ** -30)), 1e-15);
    expect(w.grad(w.acosh)(1)).toBe(Infinity);
    expect(Number.isNaN(w.acosh(tensor([0.5])).item())).toBe(true);
    expect(w.atanh(tensor([1, -1])).toArray()).toEqual([Infinity, -Infinity]);
    expectClose(w.grad(w.grad(w.cbrt))(-8), (-2 / 9) * (-2) ** -5, 1e-14); // d²∛x = −(2/9) ∛x⁻⁵
    // methods, the expression grammar and symbolic derivatives
    expect(tensor(8).log2().item()).toBe(3);
    expect(tensor(3).hypot(4).item()).toBe(5);
    expectClose(w.compile(w.simplify(w.diff(w.parse("log10(x) + atanh(x)"), "x")), ["x"])(0.5) as number, 1 / (0.5 * Math.LN10) + 1 / 0.75, 1e-15);
    expectClose(w.compile(w.diff(w.parse("hypot(x, 2) + cbrt(x)"), "x"), ["x"])(1) as number, 1 / Math.sqrt(5) + 1 / 3, 1e-15);
  });
  it("softmax as e^(x − m)/Σ (it was e^(log-softmax): 0.5000000000000275 for [1000, 1000]); log-softmax as (x − m) − log Σ; empty axes; pow(1, NaN) = 1 (IEEE, NumPy, JAX); sort/topK of empty axes (a reshape error)", () => {
    expect(w.softmax(tensor([1000, 1000])).toArray()).toEqual([0.5, 0.5]);
    expect(w.logSoftmax(tensor([1000, 1000])).toArray()).toEqual([-Math.LN2, -Math.LN2]);
    expect(w.softmax(tensor([[-Infinity, 0, -Infinity]]), 1).toArray()).toEqual([[0, 1, 0]]);
    expect(w.softmax(w.zeros([2, 0])).shape).toEqual([2, 0]);
    expect(w.logSoftmax(w.zeros([0])).shape).toEqual([0]);
    const x = tensor([0.1, 0.2, 0.3]), c = tensor([1, 2, 3]);
    const s = w.softmax(x).toArray() as number[], f = s.reduce((t, v, i) => t + v * (i + 1), 0);
    expectClose(w.grad((v: Tensor) => w.sum(w.mul(w.softmax(v), c)))(x), s.map((v, i) => v * (i + 1 - f)), 1e-15);
    expectClose(w.grad((v: Tensor) => w.sum(w.mul(w.logSoftmax(v), c)))(x), s.map((v, i) => i + 1 - 6 * v), 1e-15);
    expect(w.pow(tensor([1, 1, 2]), tensor([NaN, Infinity, NaN])).toArray()).toEqual([1, 1, NaN]);
    expect(w.jit(w.pow)(tensor([1, 2]), tensor([NaN, NaN])).toArray()).toEqual([1, NaN]);
    expect(w.sort(w.zeros([2, 0])).shape).toEqual([2, 0]);
    expect(w.sort(w.zeros([0])).shape).toEqual([0]);
    expect(w.sort(w.zeros([0, 3]), 0).shape).toEqual([0, 3]);
    expect(w.topK(w.zeros([0]), 0)[0].shape).toEqual([0]);
  });
  it("NaN propagates through every float function of one argument, eager and under jit (relu(NaN) was 0)", () => {
    const fs: [string, (v: Tensor) => Tensor][] = [
      ["relu", w.relu], ["abs", w.abs], ["sign", w.sign], ["gelu", w.gelu], ["softplus", w.softplus], ["sigmoid", w.sigmoid],
      ["clip", (v) => w.clip(v, -1, 1)], ["maximum", (v) => w.maximum(v, 0)], ["minimum", (v) => w.minimum(v, 0)],
      ["square", w.square], ["tanh", w.tanh], ["erf", w.erf], ["floor", w.floor], ["round", (v) => w.round(v, 2)],
    ];
    for (const [name, f] of fs) {
      for (const dtype of ["float64", "float32"] as const) {
        const x = tensor([NaN, -2, 0.5], { dtype });
        const eager = f(x).toArray() as number[], jitted = w.jit(f)(x).toArray() as number[];
        expect(Number.isNaN(eager[0]), `${name} ${dtype}`).toBe(true);
        expect(Number.isNaN(jitted[0]), `${name} ${dtype} jit`).toBe(true);
        expect(jitted.slice(1)).toEqual(eager.slice(1));
      }
    }
    expect(w.relu(tensor([-0, 0, -3, 2])).toArray()).toEqual([0, 0, 0, 2]);
    expect(Object.is((w.relu(tensor([-0])).toArray() as number[])[0], 0)).toBe(true); // relu(-0) is +0
  });
  it("comparisons and logic give bool tensors", () => {
    const x = tensor([1, 2, 3]);
    expect(w.gt(x, 2).toArray()).toEqual([false, false, true]);
    expect(x.le(2).toArray()).toEqual([true, true, false]);
    expect(w.logicalAnd(x.gt(1), x.lt(3)).toArray()).toEqual([false, true, false]);
    expect(w.logicalNot(x.eq(2)).toArray()).toEqual([true, false, true]);
    expect(w.isNaN(tensor([NaN, 1])).toArray()).toEqual([true, false]);
    expect(w.isFinite(tensor([Infinity, 1])).toArray()).toEqual([false, true]);
    expect(w.isInf(tensor([Infinity, -Infinity, NaN, 1, -0])).toArray()).toEqual([true, true, false, false, false]);
    expect(w.isInf(tensor([3.5e38, Infinity], { dtype: "float32" })).toArray()).toEqual([true, true]); // 3.5e38 overflows float32
    expect(w.isInf(tensor([2, 3], { dtype: "int32" })).toArray()).toEqual([false, false]);
    expect(w.jit((v: Tensor) => w.isInf(v.mul(1e308)))(tensor([10, 0.5])).toArray()).toEqual([true, false]);
    expect(w.where(x.gt(1), x, 0).toArray()).toEqual([0, 2, 3]);
  });
});

describe("shapes and indexing", () => {
  const x = w.reshape(w.arange(6), [2, 3]);
  it("reshape, transpose, expandDims, squeeze, flatten", () => {
    expect(w.reshape(x, [3, -1]).shape).toEqual([3, 2]);
    expect(w.transpose(x).toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(x.T.shape).toEqual([3, 2]);
    expect(w.expandDims(x, 1).shape).toEqual([2, 1, 3]);
    expect(w.squeeze(w.expandDims(x, 0)).shape).toEqual([2, 3]);
    expect(() => w.squeeze(x, 0)).toThrow(/size 2, not 1/);
    expect(x.flatten().shape).toEqual([6]);
  });
  it("concat, stack, slice, take, pad, indexAdd", () => {
    expect(w.concat([x, x], 1).shape).toEqual([2, 6]);
    expect(w.stack([x, x], 1).shape).toEqual([2, 2, 3]);
    expect(w.slice(x, 1).toArray()).toEqual([3, 4, 5]);
    expect(w.slice(x, null, [1]).toArray()).toEqual([[1, 2], [4, 5]]);
    expect(w.slice(x, null, [0, undefined, 2]).toArray()).toEqual([[0, 2], [3, 5]]);
    expect(w.slice(x, -1, -1).item()).toBe(5);
    expect(w.take(x, tensor([2, 0], { dtype: "int32" }), 1).toArray()).toEqual([[2, 0], [5, 3]]);
    expect(w.take(x, [5, 0]).toArray()).toEqual([5, 0]);
    expect(() => w.take(x, tensor([3], { dtype: "int32" }), 1)).toThrow(/out of bounds/);
    expect(w.pad(tensor([1, 2]), [[1, 2]]).toArray()).toEqual([0, 1, 2, 0, 0]);
    expect(w.indexAdd(w.zeros([3]), tensor([0, 0, 2], { dtype: "int32" }), tensor([1, 2, 3])).toArray()).toEqual([3, 0, 3]);
  });
  it("matmul, dot, outer with NumPy semantics", () => {
    const a = tensor([[1, 2], [3, 4]]), v = tensor([1, 1]);
    expect(w.matmul(a, v).toArray()).toEqual([3, 7]);
    expect(w.matmul(v, a).toArray()).toEqual([4, 6]);
    expect(w.dot(v, v).item()).toBe(2);
    expect(w.matmul(w.stack([a, a]), a).shape).toEqual([2, 2, 2]);
    expect(w.outer(tensor([1, 2]), tensor([3, 4, 5])).toArray()).toEqual([[3, 4, 5], [6, 8, 10]]);
    expect(() => w.matmul(tensor([[1, 2, 3]]), a)).toThrow(/contracted sizes 3 and 2 differ/);
  });
});

describe("methods", () => {
  it("every op is a method, so code chains", () => {
    const x = tensor([0.5, 1.5]);
    expectClose(x.mul(x).sin().sum(), Math.sin(0.25) + Math.sin(2.25));
    expect(x instanceof Tensor).toBe(true);
  });
});

describe("matmul kernel", () => {
  it("vector-side products (A·x, Aᵀ·x, xᵀ·B, xᵀ·Bᵀ), batched and float32, equal the float64 sum in order", async () => {
    const { randomTensor } = await import("./helpers.js");
    // (more outputs than the shared accumulators hold: 300 grows them, 70000 takes an array of its own)
    for (const [b, m, k, n] of [[1, 9, 300, 1], [3, 1, 17, 40], [2, 64, 5, 1], [1, 1, 6, 1], [2, 1, 1, 3], [1, 13, 19, 1], [2, 1, 21, 13], [1, 11, 23, 1], [2, 1, 5, 300], [1, 70000, 3, 1]]) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          for (const dtype of ["float64", "float32"] as const) {
            const A = randomTensor(ta ? [b, k, m] : [b, m, k], -1, 1, m * 7 + k, dtype), B = randomTensor(tb ? [b, n, k] : [b, k, n], -1, 1, n * 5 + k, dtype);
            const got = matmulFlags(A, B, { ta, tb }).concrete().data;
            const a = A.concrete().data, bb = B.concrete().data;
            const want: number[] = [];
            for (let t = 0; t < b; t++)
              for (let i = 0; i < m; i++)
                for (let j = 0; j < n; j++) {
                  let s = 0;
                  for (let p = 0; p < k; p++) s += a[t * m * k + (ta ? p * m + i : i * k + p)] * bb[t * k * n + (tb ? j * k + p : p * n + j)];
                  want.push(dtype === "float32" ? Math.fround(s) : s);
                }
            expect(Array.from(got)).toEqual(want);
          }
        }
      }
    }
  });

  it("agrees with the textbook triple loop for odd sizes, batches and float32 (register-blocked kernel edges)", async () => {
    const { randomTensor } = await import("./helpers.js");
    for (const [b, m, k, n] of [[1, 1, 1, 1], [1, 3, 5, 7], [2, 5, 9, 3], [3, 4, 8, 6], [1, 7, 13, 1]]) {
      for (const dtype of ["float64", "float32"] as const) {
        const A = randomTensor([b, m, k], -1, 1, m * 31 + k, dtype), B = randomTensor([b, k, n], -1, 1, n * 17 + k, dtype);
        const got = w.matmul(A, B).concrete().data;
        const a = A.concrete().data, bb = B.concrete().data;
        for (let t = 0; t < b; t++)
          for (let i = 0; i < m; i++)
            for (let j = 0; j < n; j++) {
              let s = 0;
              for (let p = 0; p < k; p++) s += a[t * m * k + i * k + p] * bb[t * k * n + p * n + j];
              const want = dtype === "float32" ? Math.fround(s) : s;
              expect(Math.abs(got[t * m * n + i * n + j] - want)).toBeLessThanOrEqual(dtype === "float32" ? 1e-6 : 1e-14);
            }
      }
    }
  });
});

describe("swapaxes, moveaxis, matrixTranspose", () => {
  it("move axes as NumPy does, as functions and methods", () => {
    const x = w.reshape(w.arange(24), [2, 3, 4]);
    expect(w.swapaxes(x, 0, -1).shape).toEqual([4, 3, 2]);
    expect(x.swapaxes(0, 2).toArray()).toEqual(w.transpose(x, [2, 1, 0]).toArray());
    expect(w.moveaxis(x, 0, -1).shape).toEqual([3, 4, 2]);
    expect(w.moveaxis(x, [0, 1], [-1, -2]).shape).toEqual([4, 3, 2]);
    expect(w.moveaxis(x, -1, 0).toArray()).toEqual(w.transpose(x, [2, 0, 1]).toArray());
    expect(x.moveaxis(2, 1).shape).toEqual([2, 4, 3]);
    expect(w.matrixTranspose(x).shape).toEqual([2, 4, 3]);
    expect(() => w.moveaxis(x, [0, 0], [1, 2])).toThrow(/moveaxis: source and destination/);
    expect(() => w.swapaxes(x, 0, 3)).toThrow(/swapaxes/);
  });
});

describe("rounding, mod, nonzero, clip and where forms", () => {
  it("floor, ceil, trunc, rint/round (halves to even, −0 kept), round with decimals; integers unchanged by floor and by round to decimals ≥ 0, rounded to tens by negative decimals", () => {
    const x = w.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.7, -2.7, -0.3]);
    expect(w.floor(x).toArray()).toEqual([-3, -2, -1, 0, 1, 2, 2, -3, -1]);
    expect(w.ceil(x).toArray()).toEqual([-2, -1, -0, 1, 2, 3, 3, -2, -0]);
    expect(w.trunc(x).toArray()).toEqual([-2, -1, -0, 0, 1, 2, 2, -2, -0]);
    expect(w.round(x).toArray()).toEqual([-2, -2, -0, 0, 2, 2, 3, -3, -0]);
    expect(Object.is((w.round(w.tensor([-0.5])).toArray() as number[])[0], -0)).toBe(true);
    expect(w.round(w.tensor([1.2345, 1250]), 2).toArray()).toEqual([1.23, 1250]);
    expect(w.round(w.tensor([1250, 1350]), -2).toArray()).toEqual([1200, 1400]);
    const i = w.tensor([1, -2], { dtype: "int32" });
    expect(w.floor(i).dtype).toBe("int32");
    // integers to tens and hundreds, halves to even, as NumPy (they were returned unchanged)
    const big = w.tensor([1234, 1250, 1350, -1250, -1251, 49, 7], { dtype: "int32" });
    expect(w.round(big, -2).toArray()).toEqual([1200, 1200, 1400, -1200, -1300, 0, 0]);
    expect(w.round(big, -1).toArray()).toEqual([1230, 1250, 1350, -1250, -1250, 50, 10]);
    expect(w.round(big, -2).dtype).toBe("int32");
    expect(w.round(big, 2).toArray()).toEqual(big.toArray());
    expect(w.jit((v: Tensor) => w.round(v, -2))(big).toArray()).toEqual([1200, 1200, 1400, -1200, -1300, 0, 0]);
    expect(x.floor().toArray()).toEqual(w.floor(x).toArray());
    expect(w.grad((t: Tensor) => w.sum(w.floor(t)))(x).toArray()).toEqual(new Array(9).fill(0));
  });
  it("mod has the sign of the divisor and is exact; floorDivide keeps integers; derivatives dx and −⌊x/y⌋dy", () => {
    expect(w.mod(w.tensor([5, -5, 5, -5, 5.5, 0.3]), w.tensor([3, 3, -3, -3, 2, 0.1])).toArray()).toEqual([2, 1, -1, -2, 1.5, 0.3 % 0.1]);
    expect(w.floorDivide(w.tensor([5, -5], { dtype: "int32" }), 3).toArray()).toEqual([1, -2]);
    expect(w.floorDivide(w.tensor([5, -5], { dtype: "int32" }), 3).dtype).toBe("int32");
    expect(w.divmod(7.5, 2).map((t) => t.item())).toEqual([3, 1.5]);
    expect(w.grad((b: Tensor) => w.sum(w.mod(w.tensor([7, 7]), b)))(w.tensor([2, 3])).toArray()).toEqual([-3, -2]);
  });
  it("nonzero / where(cond) / argwhere / flatnonzero; with size under jit, padded with fillValue", () => {
    const m = w.tensor([[true, false, true], [false, true, false]]);
    expect(w.where(m).map((t) => t.toArray())).toEqual([[0, 0, 1], [0, 2, 1]]);
    expect(w.nonzero(w.tensor([0, 2, 0, 3])).map((t) => t.toArray())).toEqual([[1, 3]]);
    expect(w.argwhere(m).toArray()).toEqual([[0, 0], [0, 2], [1, 1]]);
    expect(w.flatnonzero(m).toArray()).toEqual([0, 2, 4]);
    const f = w.jit((t: Tensor) => w.flatnonzero(t, { size: 4, fillValue: -1 }));
    expect(f(w.tensor([0, 1, 1, 0, 1])).toArray()).toEqual([1, 2, 4, -1]);
    expect(f(w.tensor([1, 1, 1, 1, 1])).toArray()).toEqual([0, 1, 2, 3]); // more non-zeros than size: the first ones
    expect(() => w.jit((t: Tensor) => w.flatnonzero(t))(w.tensor([0, 1]))).toThrow(/pass \{ size \}/);
    expect(() => w.where(m, 1 as unknown as Tensor)).toThrow(/pass both x and y, or neither/);
  });
  it("clip with one bound", () => {
    expect(w.clip(w.tensor([-2, 0, 2]), null, 1).toArray()).toEqual([-2, 0, 1]);
    expect(w.clip(w.tensor([-2, 0, 2]), -1).toArray()).toEqual([-1, 0, 2]);
  });
});
