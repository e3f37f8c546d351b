/**
 * Eager fusion (src/tensor/fuse.ts): large elementwise results are pending until read, then computed
 * in one generated loop. Every result must be bit-identical to running the ops one by one, which is
 * what happens with code generation off (nothing is deferred then).
 */
import { describe, it, expect, afterEach } from "vitest";
import fc from "fast-check";
import * as w from "../src/index.js";
import { Tensor, tensor } from "../src/index.js";
import { ArrayTensor } from "../src/tensor/array.js";
import { FUSE_MIN } from "../src/tensor/fuse.js";
import { setCodegenAvailable } from "../src/core/codegen.js";
import { randomTensor, toNums } from "./helpers.js";

afterEach(() => setCodegenAvailable(true));

const isPending = (t: Tensor) => (t as ArrayTensor).pending !== null;

/** Run `f` with fusion on and off and compare the results element by element, exactly (NaN = NaN). */
function sameAsUnfused(f: () => unknown): void {
  const fused = toNums(f());
  setCodegenAvailable(false);
  let plain: number[];
  try {
    plain = toNums(f());
  } finally {
    setCodegenAvailable(true);
  }
  expect(fused.length).toBe(plain.length);
  for (let i = 0; i < fused.length; i++) {
    if (!Object.is(fused[i], plain[i])) expect.fail(`element ${i}: fused ${fused[i]}, one by one ${plain[i]}`);
  }
}

type Un = (x: Tensor) => Tensor;
type Bin = (x: Tensor, y: Tensor) => Tensor;
const unaries: [string, Un][] = [
  ["neg", w.neg], ["square", w.square], ["sqrt", w.sqrt], ["exp", w.exp], ["log", w.log], ["log1p", w.log1p],
  ["expm1", w.expm1], ["sin", w.sin], ["cos", w.cos], ["tan", w.tan], ["asin", w.asin], ["acos", w.acos],
  ["atan", w.atan], ["sinh", w.sinh], ["cosh", w.cosh], ["tanh", w.tanh], ["sigmoid", w.sigmoid],
  ["softplus", w.softplus], ["relu", w.relu], ["abs", w.abs], ["sign", w.sign], ["reciprocal", w.reciprocal],
];
const binaries: [string, Bin][] = [
  ["add", w.add], ["sub", w.sub], ["mul", w.mul], ["div", w.div], ["pow", w.pow], ["atan2", w.atan2],
  ["maximum", w.maximum], ["minimum", w.minimum],
];

describe("eager fusion", () => {
  const n = FUSE_MIN + 44;
  for (const dtype of ["float64", "float32"] as const) {
    // Values in (−1.2, 1.2) with some exact 0 and ±1, so domain edges (log, sqrt, asin) give NaN/±∞ too.
    const edges = toNums(randomTensor([n], -1.2, 1.2, 7)).map((v, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? 1 : i % 13 === 0 ? -1 : v));
    const x = () => tensor(Float64Array.from(edges), { dtype });
    const y = () => randomTensor([n], -1.2, 1.2, 8, dtype);
    for (const [name, f] of unaries) {
      it(`${name} (${dtype}) of a pending value equals the op run alone`, () => sameAsUnfused(() => f(w.mul(x(), y()))));
    }
    for (const [name, f] of binaries) {
      it(`${name} (${dtype}) of pending values, a scalar and a uniform tensor equals the ops run alone`, () =>
        sameAsUnfused(() => [f(w.add(x(), 0.5), w.mul(y(), 2)), f(w.sin(x()), tensor(0.7, { dtype })), f(w.ones([n], { dtype }).mul(0.25), w.cos(y()))]));
    }
  }

  it("defers large float results until read, computes small ones at once", () => {
    const a = randomTensor([FUSE_MIN], 0, 1, 1), b = randomTensor([FUSE_MIN - 1], 0, 1, 2);
    const fa = a.mul(2).add(1);
    expect(isPending(fa)).toBe(true);
    expect(isPending(b.mul(2))).toBe(false);
    expect(isPending(w.cast(a, "int32").add(1))).toBe(false); // ints are never deferred
    const first = toNums(fa)[0];
    expect(isPending(fa)).toBe(false);
    expect(first).toBe(toNums(a)[0] * 2 + 1);
  });

  it("blockUntilReady computes pending values in a pytree (and as a method); symbolic and staged values pass through", () => {
    const a = randomTensor([500], -1, 1, 4);
    const t = { u: a.exp(), v: [a.sin().mul(2)] };
    expect(isPending(t.u) && isPending(t.v[0])).toBe(true);
    expect(w.blockUntilReady(t)).toBe(t);
    expect(isPending(t.u) || isPending(t.v[0])).toBe(false);
    const m = a.cos();
    expect(m.blockUntilReady()).toBe(m);
    expect(isPending(m)).toBe(false);
    const e = w.symbol("x").mul(2);
    expect(w.blockUntilReady([e])[0]).toBe(e);
    expect(w.jit((x: Tensor) => w.blockUntilReady(x.mul(2)))(a).shape).toEqual([500]);
  });

  it("a pending value read after a consumer that inlined it is still right", () => {
    sameAsUnfused(() => {
      const a = randomTensor([500], -1, 1, 3);
      const inner = a.exp().sub(1); // pending
      const outer = inner.mul(inner).sum(); // inlines inner
      return [outer, inner, inner.add(a)];
    });
  });

  it("shared pending values, long chains cut by the size bound, and broadcasting other than scalars", () => {
    sameAsUnfused(() => {
      let v = randomTensor([400], -1, 1, 4);
      const outs: Tensor[] = [];
      for (let k = 0; k < 60; k++) {
        v = v.mul(0.9).add(v.sin().mul(0.1)); // v used twice per step
        if (k % 17 === 0) outs.push(v);
      }
      const m = randomTensor([20, 30], -1, 1, 5).tanh();
      outs.push(v, w.add(m, randomTensor([30], 0, 1, 6)), w.mul(m.exp(), randomTensor([20, 1], 0, 1, 9)));
      return outs;
    });
  });

  it("random elementwise programs over a pool of values equal the ops run one by one", () => {
    const ops = [...unaries.map(([, f]) => (xs: Tensor[], i: number) => f(xs[i % xs.length])), ...binaries.map(([, f]) => (xs: Tensor[], i: number, j: number) => f(xs[i % xs.length], xs[j % xs.length]))];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(ops.length - 1), fc.nat(20), fc.nat(20)), { minLength: 1, maxLength: 40 }), fc.boolean(), (prog, f32) => {
        sameAsUnfused(() => {
          const dtype = f32 ? "float32" : "float64";
          const pool: Tensor[] = [randomTensor([300], -2, 2, 11, dtype), randomTensor([300], 0.1, 2, 12, dtype), tensor(0.5, { dtype })];
          for (const [op, i, j] of prog) pool.push(ops[op](pool, i, j));
          return pool;
        });
      }),
      { numRuns: 60 },
    );
  });

  it("gradients of large arrays equal the unfused ones, in both modes and at second order", () => {
    const rosen = (x: Tensor) => {
      const odd = x.slice([0, undefined, 2]), even = x.slice([1, undefined, 2]);
      return w.sum(w.add(w.mul(100, w.square(w.sub(even, w.square(odd)))), w.square(w.sub(1, odd))));
    };
    const x = randomTensor([1000], -1, 1, 13), v = randomTensor([1000], -1, 1, 14);
    sameAsUnfused(() => w.valueAndGrad(rosen)(x));
    sameAsUnfused(() => w.jvp(rosen, [x], [v]));
    sameAsUnfused(() => w.jvp(w.grad(rosen), [x], [v])); // Hessian-vector product
  });

  it("strided slices are read in place and pads written on demand, with the values of copying", () => {
    const x = randomTensor([600], -1, 1, 15), m = randomTensor([300, 4], -1, 1, 16);
    const even = x.slice([0, undefined, 2]);
    expect(isPending(even)).toBe(true); // a view, not a copy
    expect(isPending(m.slice(null, 1))).toBe(true); // a column: one strided run
    expect(isPending(m.slice([1, 3], [0, 2]))).toBe(false); // a 2×2 block is not one run (and small)
    sameAsUnfused(() => [
      even, even.slice([1, undefined, 3]), // a view of a view
      x.exp().slice([2, -2, 2]), // a view of a pending value
      m.slice(null, 1), m.slice([10, 290]), m.slice([10, 290], [1, 3]), m.slice(null, [0, undefined, 2]).tanh(),
      w.sum(even.mul(x.slice([1, undefined, 2]))),
      w.pad(x.sin(), [[3, 5]]), w.pad(m.exp(), [[2, 1], [0, 0]]), w.pad(m, [[0, 0], [1, 1]]),
      w.add(w.pad(x, [[0, 4]]), w.pad(x.cos(), [[4, 0]])), // overlapping placements
    ]);
  });

  it("gradients through strided and shifted slices (disjoint and overlapping placements) equal the unfused ones", () => {
    const x = randomTensor([800], -1, 1, 17), m = randomTensor([300, 3], -1, 1, 18);
    const diffs = (x: Tensor) => w.sum(w.square(w.sub(x.slice([1]), x.slice([0, -1])))); // x[1:] − x[:-1]
    const parity = (x: Tensor) => w.sum(w.mul(x.slice([0, undefined, 2]).exp(), x.slice([1, undefined, 2])));
    const cols = (m: Tensor) => w.sum(w.mul(m.slice(null, 0), m.slice(null, 2)).sin());
    for (const f of [diffs, parity]) {
      sameAsUnfused(() => w.valueAndGrad(f)(x));
      sameAsUnfused(() => w.jvp(w.grad(f), [x], [x.cos()]));
    }
    sameAsUnfused(() => w.valueAndGrad(cols)(m));
    sameAsUnfused(() => w.hessian((v: Tensor) => parity(w.concat([v, x.slice([0, 700])])))(x.slice([0, 300])));
  });
});

