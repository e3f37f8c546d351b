/** @file jit: caching, optimization passes, fusion, composition, control flow, checkpointing, errors. */
import { describe, it, expect, vi } from "vitest";
import * as w from "../src/index.js";
import { Tensor, tensor, jit, grad, valueAndGrad, jvp, hessian, jacfwd, jacrev, cond, switchCase, scan, fori, whileLoop, checkpoint, residualBytes, traceDepth, ConcretizationError, TracerError, TransformError, DTypeError, InputError, vmap } from "../src/index.js";
import { setCodegenAvailable } from "../src/core/codegen.js";
import { subprogramsCompiled } from "../src/jit/jit.js";
import { commonSubexpressions, exactRewrites } from "../src/jit/optimize.js";
import { Program, Var, evalProgram, deadCodeElimination } from "../src/core/ir.js";
import fc from "fast-check";
import { expectClose, randomTensor, toNums } from "./helpers.js";

const rosen = (x: Tensor) => {
  const a = x.slice([1, null]), b = x.slice([0, -1]);
  return w.sum(w.square(a.sub(w.square(b))).mul(100).add(w.square(w.sub(1, b))));
};
const loops = (src: string) => (src.match(/for \(let i = 0;/g) ?? []).length;
const allocations = (src: string) => (src.match(/allocate\(/g) ?? []).length;

describe("jit: compile once per signature", () => {
  it("caches by shapes, dtypes and structure; a new signature recompiles and says so at debug level", () => {
    const debug = vi.spyOn(console, "debug").mockImplementation(() => {});
    const f = jit((p: { a: Tensor; b: Tensor }) => p.a.mul(p.b).sum(), { debug: true });
    const p1 = { a: tensor([1, 2, 3]), b: tensor([4, 5, 6]) };
    expect(f(p1).item()).toBe(32);
    expect(f({ a: tensor([2, 2, 2]), b: tensor([1, 1, 1]) }).item()).toBe(6);
    expect(f.compiles).toBe(1);
    expect(f({ a: tensor([1, 2]), b: tensor([3, 4]) }).item()).toBe(11);
    expect(f.compiles).toBe(2);
    expect(f({ a: tensor([1, 2], { dtype: "float32" }), b: tensor([3, 4], { dtype: "float32" }) }).dtype).toBe("float32");
    expect(f.compiles).toBe(3);
    // plain tensor arguments: the last signature is checked before the cache key is built
    const h = jit((a: Tensor, b: Tensor) => a.mul(b).add(1));
    const args: [Tensor, Tensor][] = [[tensor([1, 2]), tensor([3, 4])], [tensor([[1, 2]]), tensor([[3, 4]])], [tensor([1, 2], { dtype: "float32" }), tensor([3, 4], { dtype: "float32" })], [tensor([2, 2]), tensor([5, 5])], [tensor([1, 2, 3]), tensor([1, 1, 1])]];
    for (const [a, b] of [...args, ...args]) {
      const r = h(a, b), want = a.mul(b).add(1);
      expect([r.dtype, r.shape, toNums(r)]).toEqual([want.dtype, want.shape, toNums(want)]);
    }
    expect(h.compiles).toBe(4);
    expect(h(tensor([1, 2]), tensor([[3, 4]])).shape).toEqual([1, 2]); // a broadcast: another signature
    expect(h.compiles).toBe(5);
    expect(debug).toHaveBeenCalledTimes(3);
    expect(String(debug.mock.calls[1][0])).toMatch(/compiled for float64\[2\];float64\[2\].*2 signatures cached/);
    debug.mockRestore();
  });

  it("numbers are traced scalars (no recompile per value) unless static; outputs keep their structure", () => {
    const f = jit((x: Tensor, s: number, mode: string) => ({ y: mode === "double" ? x.mul(s).mul(2) : x.mul(s), n: 3 }));
    expect(f(tensor([1, 2]), 3, "double").y.toArray()).toEqual([6, 12]);
    expect(f(tensor([1, 2]), 5, "double").y.toArray()).toEqual([10, 20]);
    expect(f.compiles).toBe(1); // strings are static; numbers are traced
    expect(f(tensor([1, 2]), 5, "single")).toEqual({ y: expect.any(Tensor), n: 3 });
    expect(f.compiles).toBe(2);
    const g = jit((x: Tensor, n: number) => { let y = x; for (let i = 0; i < n; i++) y = y.mul(2); return y; }, { staticArgnums: [1] });
    expect(g(tensor(1), 3).item()).toBe(8);
    expect(g(tensor(1), 4).item()).toBe(16);
    expect(g.compiles).toBe(2);
  });
});

describe("jit: optimization passes and generated code", () => {
  it("CSE, constant folding, identities and dead code", () => {
    const f = jit((x: Tensor) => {
      const unused = x.exp().exp();
      void unused;
      return w.sin(x).add(w.sin(x)).mul(w.add(2, 3)).mul(1).add(0);
    });
    const { traced, optimized } = f.lower(tensor([1, 2]));
    expect(traced.eqns.length).toBeGreaterThan(optimized.eqns.length);
    expect(optimized.eqns.map((e) => e.prim.name)).toEqual(["sin", "add", "mul"]);
    expect(optimized.toString()).toContain("mul v2 5");
    expectClose(f(tensor([1, 2])), [10 * Math.sin(1), 10 * Math.sin(2)]);
  });

  it("CSE never merges equations whose params hold closures or sub-programs", () => {
    const x = new Var(0, { shape: [2], dtype: "float64" });
    const a = new Var(1, x.aval), b = new Var(2, x.aval);
    const prim = { ...w.catalogue.neg, name: "opaque" } as typeof w.catalogue.neg;
    const p = new Program([x], [
      { prim, inputs: [x], params: { f: () => 1 }, outs: [a] },
      { prim, inputs: [x], params: { f: () => 2 }, outs: [b] },
    ], [a, b]);
    expect(commonSubexpressions(p).eqns.length).toBe(2);
    const same = new Program([x], [{ prim, inputs: [x], params: { k: 1 }, outs: [a] }, { prim, inputs: [x], params: { k: 1 }, outs: [b] }], [a, b]);
    expect(commonSubexpressions(same).eqns.length).toBe(1);
  });

  // every pair of these, as two vectors: zeros of both signs, infinities, NaN, subnormals, values
  // whose doubling overflows
  const specials = [0, -0, 1, -1.5, 0.1, 3, 1e308, -1.7e308, 5e-324, -5e-324, 2.2e-308, Infinity, -Infinity, NaN];
  const xs = tensor(specials.flatMap((a) => specials.map(() => a)));
  const ys = tensor(specials.flatMap(() => specials));
  const bits = (t: Tensor | null) => Array.from(t!.concrete().data, (v) => (Number.isNaN(v) ? "NaN" : Object.is(v, -0) ? "-0" : String(v)));
  /** The traced program before and after the exact rewrites (and dead-code elimination). */
  const rewritten = (f: (x: Tensor, y: Tensor) => Tensor) => {
    const traced = jit(f).lower(xs, ys).traced;
    return { traced, after: deadCodeElimination(exactRewrites(traced)) };
  };
  const expectBitwiseSame = (f: (x: Tensor, y: Tensor) => Tensor) => {
    const { traced, after } = rewritten(f);
    expect(bits(evalProgram(after, [xs, ys])[0])).toEqual(bits(evalProgram(traced, [xs, ys])[0]));
    return after.eqns.map((e) => e.prim.name);
  };

  it("exact rewrites of negations and power-of-two scalings remove operations and keep every bit", () => {
    expect(expectBitwiseSame((x) => w.neg(w.neg(x)))).toEqual([]);
    expect(expectBitwiseSame((x) => w.neg(w.mul(x, 3)))).toEqual(["mul"]);
    expect(expectBitwiseSame((x, y) => w.add(x, w.neg(y)))).toEqual(["sub"]);
    expect(expectBitwiseSame((x, y) => w.add(w.neg(x), y))).toEqual(["sub"]);
    expect(expectBitwiseSame((x, y) => w.sub(x, w.neg(y)))).toEqual(["add"]);
    expect(expectBitwiseSame((x, y) => w.add(x, w.mul(w.neg(y), x)))).toEqual(["mul", "sub"]);
    expect(expectBitwiseSame((x) => w.mul(w.mul(x, 2), 100))).toEqual(["mul"]);
    expect(expectBitwiseSame((x) => w.mul(-3, w.mul(4, x)))).toEqual(["mul"]);
    // not exact, so not rewritten: (x·2)·0.5 overflows for x = 1e308 where x·1 does not; (x·3)·100
    // rounds twice
    expect(expectBitwiseSame((x) => w.mul(w.mul(x, 2), 0.5))).toEqual(["mul", "mul"]);
    expect(expectBitwiseSame((x) => w.mul(w.mul(x, 3), 100))).toEqual(["mul", "mul"]);
    // −(a − b) is not b − a when a = b (−0 against +0), and −a + −b is not −(a + b) for a = 0, b = −0
    expect(expectBitwiseSame((x, y) => w.neg(w.sub(x, y)))).toEqual(["sub", "neg"]);
    // a product read twice keeps its negation (rewriting it would add a multiplication)
    expect(expectBitwiseSame((x, y) => { const p = w.mul(x, 3); return w.add(w.mul(w.neg(p), y), p); })).toEqual(["mul", "mul", "sub"]);
  });

  it("exact rewrites keep every bit on random programs of negations, sums and products", () => {
    const consts = [2, 4, -2, 100, -3, 0.5, 3, 1];
    type Step = [number, number, number, number];
    const run = (prog: Step[]) => (x: Tensor, y: Tensor) => {
      const pool: Tensor[] = [x, y];
      for (const [op, i, j, c] of prog) {
        // operands counted back from the newest value, so chains form
        const a = pool[pool.length - 1 - (i % pool.length)], b = pool[pool.length - 1 - (j % pool.length)], k = consts[c];
        pool.push([w.neg(a), w.add(a, b), w.sub(a, b), w.mul(a, b), w.mul(a, k), w.mul(k, a)][op]);
      }
      return w.concat(pool.slice(2), 0); // every value compared, none masked by a NaN elsewhere
    };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(5), fc.nat(3), fc.nat(6), fc.nat(7)), { minLength: 1, maxLength: 14 }), (prog) => {
        expectBitwiseSame(run(prog));
      }),
      { numRuns: 300 },
    );
  });

  it("the gradient of the extended Rosenbrock function compiles to no negation and one fewer product per term", () => {
    const { optimized, source } = jit(valueAndGrad(rosen)).lower(randomTensor([50], -1, 1, 3));
    const names = optimized.eqns.map((e) => e.prim.name);
    expect(names).not.toContain("neg");
    expect(names.filter((n) => n === "mul").length).toBe(5); // x·2, t·100, u·(−2), t·200, (t·200)·(x·2)
    expect(source).toContain("* 200");
    const x = randomTensor([50], -1, 1, 3);
    const [v, g] = jit(valueAndGrad(rosen))(x), [v0, g0] = valueAndGrad(rosen)(x);
    expectClose(v, v0, 1e-15);
    expectClose(g, g0, 1e-15);
  });

  it("fuses an elementwise chain into one loop with no intermediate arrays", () => {
    const chain = (x: Tensor, y: Tensor) => w.exp(w.sin(x).mul(y).add(1));
    const x = randomTensor([1000], -1, 1, 1), y = randomTensor([1000], -1, 1, 2);
    const src = jit(chain).lower(x, y).source!;
    expect(loops(src)).toBe(1);
    expect(allocations(src)).toBe(1); // the output only
    expectClose(jit(chain)(x, y), chain(x, y), 1e-15);
  });

  it("fuses broadcast operands (rows, columns, middle axes, bool conditions) as index arithmetic, exactly", () => {
    for (const dtype of ["float64", "float32"] as const) {
      const m = randomTensor([6, 5], -1, 1, 4, dtype), r = randomTensor([5], -1, 1, 5, dtype), c = randomTensor([6, 1], -1, 1, 6, dtype);
      const t = randomTensor([3, 1, 4], -1, 1, 7, dtype), u = randomTensor([2, 1], -1, 1, 8, dtype);
      const f = (m: Tensor, r: Tensor, c: Tensor) => w.where(w.gt(r, 0), w.mul(m, r).add(c).exp(), w.sub(c, m));
      const g = (t: Tensor, u: Tensor) => w.tanh(w.mul(t, u)).add(t); // [3,1,4] with [2,1] → [3,2,4]
      const src = jit(f).lower(m, r, c).source!;
      expect(src).toMatch(/fused loop over 30 elements: mul, add, exp, sub, where/); // the [5] condition is its own loop
      expect(src).toMatch(/\[i % 5\]/); // a row read
      expect(src).toMatch(/\[\(\(i \/ 5\) \| 0\)\]/); // a column read
      expect(src).not.toContain(".impl("); // no op step, no materialised broadcast
      expect(toNums(jit(f)(m, r, c))).toEqual(toNums(f(m, r, c)));
      expect(jit(g)(t, u).shape).toEqual([3, 2, 4]);
      expect(toNums(jit(g)(t, u))).toEqual(toNums(g(t, u)));
    }
  });

  it("the gradient of the extended Rosenbrock function is one loop: sum accumulator and scattered slice adjoints", () => {
    const x = randomTensor([50], -1, 1, 3);
    const vg = jit(valueAndGrad(rosen));
    const src = vg.lower(x).source!;
    expect(loops(src)).toBe(1);
    expect(src).toContain("+= "); // the sum accumulator
    // the x[1:] and x[:-1] adjoints: each gradient element written once, the offset-1 term forwarded
    expect(src).toMatch(/\[i\] = u\d+_0;/);
    expect(src).not.toMatch(/\[1 \+ i\] \+=/);
    const [v, g] = vg(x);
    const [v0, g0] = valueAndGrad(rosen)(x);
    expectClose(v, v0, 1e-14);
    expectClose(g, g0, 1e-13);
  });

  it("strided slices and columns are fused as loads, their adjoints as strided scatters, reshapes are views", () => {
    const n = 40;
    const pairs = (x: Tensor) => {
      const odd = x.slice([0, null, 2]), even = x.slice([1, null, 2]);
      return w.sum(w.square(even.sub(w.square(odd))).mul(100).add(w.square(w.sub(1, odd))));
    };
    const columns = (x: Tensor) => {
      const p = x.reshape([n / 2, 2]);
      const odd = p.slice(null, 0), even = p.slice(null, 1);
      return w.sum(w.square(even.sub(w.square(odd))).mul(100).add(w.square(w.sub(1, odd))));
    };
    // a 2-D block that is not one stride (rows 1..2, columns 1..2 of a 4×10) must not be fused wrongly
    const block = (x: Tensor) => w.sum(w.sin(x.reshape([4, 10]).slice([1, 3], [1, 3])).mul(x.slice([0, 4]).reshape([2, 2])));
    const x = randomTensor([n], -1, 1, 11);
    for (const f of [pairs, columns, block]) {
      const vg = jit(valueAndGrad(f));
      const [v, g] = vg(x);
      const [v0, g0] = valueAndGrad(f)(x);
      expectClose(v, v0, 1e-14);
      expectClose(g, g0, 1e-14);
    }
    for (const f of [pairs, columns]) {
      const src = jit(valueAndGrad(f)).lower(x).source!;
      expect(src).toMatch(/\[1 \+ i \* 2\] \+= /); // the even adjoint lands at 1 + 2i
      expect(loops(src)).toBeLessThanOrEqual(2);
    }
  });

  it("the generated code and programs are readable", () => {
    const f = jit(function scaled(x: Tensor) { return x.mul(2).add(1); });
    const low = f.lower(tensor([1, 2, 3]));
    expect(low.source).toContain("function compiled(inputs, into)");
    expect(low.source).toMatch(/fused loop over 3 elements: mul, add/);
    // each loop is a function of its own, called from compiled (V8 compiles it apart from the others)
    const two = jit((x: Tensor) => w.sum(x.mul(2)).add(x.slice([1, null]).sum())).lower(tensor([1, 2, 3])).source!;
    expect(two.match(/^function loop\d+\(/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(two).toMatch(/const \[v\d+\] = loop\d+\(v\d+\);/);
    expect(low.compileMs).toBeGreaterThanOrEqual(0);
    expect(f.name).toBe("jit(scaled)");
  });

  it("without new Function (strict CSP) it interprets the IR and says so once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const Real = globalThis.Function;
    // a CSP refusal is an EvalError from the Function constructor
    globalThis.Function = function () { throw new EvalError("Code generation from strings disallowed"); } as unknown as FunctionConstructor;
    try {
      const f = jit((x: Tensor) => x.sin().mul(x).sum());
      const x = randomTensor([5], -1, 1, 4);
      expect(f.lower(x).source).toBeNull();
      expectClose(f(x), x.sin().mul(x).sum(), 1e-15);
      expectClose(jit((x: Tensor) => x.exp())(x), x.exp(), 1e-15);
      // into: the interpreter writes fresh arrays, which are copied into the caller's storage
      const g = jit(grad((y: Tensor) => w.sum(w.matmul(w.reshape(y, [5, 1]), w.reshape(y, [1, 5])).mul(y.take(tensor([4, 0, 2], { dtype: "int32" }), 0).sum()))));
      const buf = new Float64Array(5).fill(Number.NaN);
      const r = g.into(buf)(x);
      expect(r.concrete().data).toBe(buf);
      expectClose(r, grad((y: Tensor) => w.sum(w.matmul(w.reshape(y, [5, 1]), w.reshape(y, [1, 5])).mul(y.take(tensor([4, 0, 2], { dtype: "int32" }), 0).sum())))(x), 1e-14);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/code generation \(new Function\) is refused here, so .* interpreted instead/);
    } finally {
      globalThis.Function = Real;
      setCodegenAvailable(true);
      warn.mockRestore();
    }
  });
});

describe("jit: reductions and broadcasts in loops, storage kept between calls", () => {
  // every number's bits (NaN included): toNums as doubles, compared as their byte patterns
  const bits = (t: Tensor) => Array.from(new BigUint64Array(Float64Array.from(toNums(t)).buffer));

  it("a concat along its first long axis is read in the loop (each element from its block), bit for bit as the kernel", () => {
    const a = w.random.normal(w.random.key(5), [4]), b = w.random.normal(w.random.key(6), [7]);
    const negZero = tensor([-0, 1, -0]);
    const cases: [string, (p: Tensor, q: Tensor) => Tensor][] = [
      ["two blocks, then arithmetic", (p, q) => w.concat([p, q.mul(2)], 0).mul(3)],
      ["three blocks, -0 kept, an empty one", (p) => w.concat([negZero, p.slice([0, 0]), p.add(1)], 0).mul(1)],
      ["rows of one", (p, q) => w.concat([p.reshape([1, 4]), q.slice([0, 4]).reshape([1, 4])], 1).exp()],
      ["along axis 0 of matrices", (p, q) => w.concat([p.reshape([2, 2]), q.slice([0, 6]).reshape([3, 2])], 0).square()],
      ["int32", (p) => w.concat([w.cast(p.mul(10), "int32"), w.arange(3)], 0).add(1)],
      ["along a later axis", (p, q) => w.concat([p.reshape([2, 2]), q.slice([0, 6]).reshape([2, 3])], 1).square()],
    ];
    for (const [name, f] of cases) {
      expect(bits(jit(f)(a, b)), name).toEqual(bits(f(a, b)));
      // an op step only where the blocks are not contiguous
      expect(jit(f).lower(a, b).source!, name).toMatch(name === "along a later axis" ? /\/\/ concat$/m : /fused loop over \d+ elements: concat/);
    }
    expect(Object.is(toNums(jit(cases[1][1])(a, b))[0], -0)).toBe(true);
    // a loop reads an earlier loop's kept array by its name (through a local alias), not through the value's .data getter
    const twoLoops = jit((x: Tensor) => { const y = x.mul(2).add(1); return y.slice([1, null]).mul(3).add(y.slice([0, -1])); });
    const src2 = twoLoops.lower(a).source!;
    expect(src2).toMatch(/const (h\d+) = B\d+;\n(.*\n)*.*= \1\[1 \+ i\]/);
    expect(src2.match(/\.data;/g)).toHaveLength(1); // the input's only
    expect(bits(twoLoops(a))).toEqual(bits(a.mul(2).add(1).slice([1, null]).mul(3).add(a.mul(2).add(1).slice([0, -1]))));
    // empty outputs: a loop that never runs
    expect(jit((p: Tensor, q: Tensor) => w.concat([p, q], 0).mul(2))(w.zeros([0]), w.zeros([0])).shape).toEqual([0]);
    expect(jit((p: Tensor, q: Tensor) => w.concat([p, q], 0).mul(2))(w.zeros([0, 3]), w.zeros([0, 3])).shape).toEqual([0, 3]);
  });

  it("a loop of another size that reads a loop's sum runs after it, and keeps it open; reading that later loop back closes both", () => {
    const x = w.random.normal(w.random.key(8), [50]), y = w.random.normal(w.random.key(9), [50]);
    const loops = (src: string) => (src.match(/\/\/ fused loop over .*/g) ?? []).map((l) => l.replace("// fused loop over ", ""));
    // the mean (a one-element loop reading the sum) does not split the 50-element work after it
    const after = (a: Tensor, b: Tensor) => [w.mean(a.mul(b)), a.sin().mul(b.exp())];
    const j1 = jit(after);
    expect(loops(j1.lower(x, y).source!)).toEqual(["50 elements: mul, reduceSum, sin, exp, mul", "1 element: div"]);
    const [m1, v1] = j1(x, y), [m0, v0] = after(x, y);
    expect(bits(m1)).toEqual(bits(m0));
    expect(bits(v1)).toEqual(bits(v0));
    // centring reads the mean back: the sum's loop, then the mean, then a new 50-element loop
    const centred = (a: Tensor, b: Tensor) => { const m = w.mean(a.mul(b)); return [a.sub(m).square(), m.mul(3)]; };
    const j2 = jit(centred);
    expect(loops(j2.lower(x, y).source!)).toEqual(["50 elements: mul, reduceSum", "1 element: div", "50 elements: sub, square", "1 element: mul"]);
    const [c1, d1] = j2(x, y), [c0, d0] = centred(x, y);
    expect(bits(c1)).toEqual(bits(c0));
    expect(bits(d1)).toEqual(bits(d0));
  });

  it("reduces over trailing (and sums over leading) axes inside the loop that makes the operand, bit for bit as the kernels", () => {
    const x = w.random.normal(w.random.key(3), [7, 5, 6]);
    const withNaN = w.where(w.equal(w.arange(210).reshape([7, 5, 6]), 37), NaN, x);
    const cases: [string, (x: Tensor) => Tensor][] = [
      ["sum, last axis", (x) => w.sum(x.mul(x).add(1), -1)],
      ["sum, last two axes", (x) => w.sum(w.exp(x.mul(0.3)), [1, 2])],
      ["max, last axis", (x) => w.max(x.mul(2).sub(1), -1)],
      ["max of everything", (x) => w.max(x.mul(x))],
      ["max, then the rows minus it", (x) => x.sub(w.max(x.mul(3), -1, true))],
    ];
    for (const [name, f] of cases) {
      for (const input of [x, withNaN, w.cast(x, "float32")]) {
        const src = jit(f).lower(input).source;
        expect(src, name).not.toMatch(/\/\/ reduce(Max|Sum)$/m); // no op step for the reduction
        expect(bits(jit(f)(input)), name).toEqual(bits(f(input)));
      }
    }
    // sums over leading axes add each element into its column's sum in the loop, as sumLeading does
    for (const input of [x, w.cast(x, "float32")]) {
      for (const axes of [[0], [0, 1]]) {
        const f = (x: Tensor) => w.sum(w.tanh(x).mul(3), axes);
        expect(jit(f).lower(input).source).not.toMatch(/\/\/ reduceSum$/m);
        expect(bits(jit(f)(input))).toEqual(bits(f(input)));
      }
    }
    // a middle axis is still the op's kernel
    expect(jit((x: Tensor) => w.sum(x.mul(2), 1)).lower(x).source).toMatch(/\/\/ reduceSum$/m);
    // NaN wins a row's max, as Math.max
    const rows = toNums(jit((x: Tensor) => w.max(x.mul(1), -1))(tensor([[1, NaN, 3], [4, 5, 6]])));
    expect(Number.isNaN(rows[0])).toBe(true);
    expect(rows[1]).toBe(6);
    // argmax and argmin of rows too: the first of equals, NaN's index where there is one
    const ties = tensor([[1, 3, 3, 0], [2, NaN, 5, NaN], [-1, -1, -1, -1]]);
    for (const f of [(x: Tensor) => w.argmax(x.mul(2), -1), (x: Tensor) => w.argmin(x.add(1), 1)]) {
      expect(jit(f).lower(ties).source).not.toMatch(/\/\/ argmax$/m);
      expect(toNums(jit(f)(ties))).toEqual(toNums(f(ties)));
      expect(toNums(jit(f)(x))).toEqual(toNums(f(x)));
    }
    expect(toNums(jit((x: Tensor) => w.argmax(x.mul(2), -1))(ties))).toEqual([1, 1, 0]);
  });

  it("reads a broadcast operand in the loop instead of materialising the broadcast", () => {
    const col = w.random.normal(w.random.key(4), [50, 1]), m = w.random.normal(w.random.key(5), [50, 40]);
    const f = (c: Tensor, m: Tensor) => w.broadcastTo(c.mul(2), [50, 40]).mul(m).add(w.broadcastTo(w.sum(m, 0), [50, 40]));
    const src = jit(f).lower(col, m).source;
    expect(src).not.toMatch(/\/\/ broadcastTo$/m);
    expect(bits(jit(f)(col, m))).toEqual(bits(f(col, m)));
  });

  it("keeps a dead matmul result's storage for the next call, and never a result the caller holds", () => {
    const a = w.random.normal(w.random.key(6), [200, 30]), b = w.random.normal(w.random.key(7), [30, 200]);
    const a2 = a.mul(-0.5), b2 = b.add(1);
    const inner = jit((a: Tensor, b: Tensor) => w.sum(w.matmul(a, b).mul(2), -1)); // the 200×200 product is dead at the end
    const outer = jit((a: Tensor, b: Tensor) => w.matmul(a, b)); // its product is the result
    expect(inner.lower(a, b).source).toMatch(/recycle\(/);
    expect(outer.lower(a, b).source).not.toMatch(/recycle\(/);
    const want1 = w.sum(w.matmul(a, b).mul(2), -1), want2 = w.sum(w.matmul(a2, b2).mul(2), -1);
    const held = outer(a, b);
    const heldBits = bits(held);
    for (let k = 0; k < 3; k++) {
      expect(bits(inner(a, b))).toEqual(bits(want1));
      const other = outer(a2, b2); // may be handed the recycled storage, zeroed
      expect(bits(other)).toEqual(bits(w.matmul(a2, b2)));
      expect(bits(inner(a2, b2))).toEqual(bits(want2));
      expect(bits(other)).toEqual(bits(w.matmul(a2, b2))); // not overwritten by inner's next product
    }
    expect(bits(held)).toEqual(heldBits);
  });

  it("keeps loop storage between calls only for values that cannot reach the caller (a reshape of one can)", () => {
    const f = jit((x: Tensor) => w.reshape(w.exp(x).add(1), [2, 3]));
    const ones = w.ones([3, 2]);
    const gf = (x: Tensor) => w.sum(w.matmul(w.reshape(w.exp(x).add(1), [2, 3]), ones), -1);
    const g = jit(gf);
    const x1 = tensor([0, 1, 2, 3, 4, 5]), x2 = tensor([5, 4, 3, 2, 1, 0]);
    const r1 = f(x1), first = bits(r1);
    f(x2);
    expect(bits(r1)).toEqual(first); // the second call wrote new storage
    // here the loop's value goes through a reshape into a matmul only: its storage is kept
    expect(g.lower(x1).source).toMatch(/^const B\d+ = allocate\("float64", 6\)/m);
    expect(toNums(g(x1))).toEqual(toNums(gf(x1)));
    expect(toNums(g(x2))).toEqual(toNums(gf(x2)));
  });
});

describe("jit: results into the caller's storage (into)", () => {
  const bits = (t: Tensor) => Array.from(t.concrete().data, (v) => (Number.isNaN(v) ? "NaN" : Object.is(v, -0) ? "-0" : String(v)));
  const lse = (x: Tensor) => {
    const m = w.stopGradient(w.max(x));
    return w.log(w.sum(w.exp(x.sub(m)))).add(m);
  };
  it("a loop writes its result into the storage; the next call overwrites it; values are jit's, bit for bit", () => {
    const g = jit(grad(lse));
    const x1 = randomTensor([50], -3, 3, 1), x2 = randomTensor([50], -3, 3, 2);
    const src = g.lower(x1).source!;
    expect(src).toMatch(/INTO\[0\]/);
    // the exp loop stores into its kept array through a local name (stores to the enclosing scope's array were reloaded around each Math.exp call)
    expect(src).toMatch(/Math\.exp\(t0\);\n\s+h\d+\[i\] = t1;/);
    expect(src).not.toMatch(/\bB\d+\[i\] = /);
    const buf = new Float64Array(50);
    const into = g.into(buf);
    const r1 = into(x1);
    expect(r1.concrete().data).toBe(buf);
    expect(bits(r1)).toEqual(bits(g(x1)));
    const r2 = into(x2);
    expect(r2.concrete().data).toBe(buf);
    expect(bits(r1)).toEqual(bits(g(x2))); // a view of the storage: overwritten
    expect(bits(r2)).toEqual(bits(g(x2)));
  });
  it("storage holding old values: outputs the loop adds into are zeroed first (column sums), scattered ones rewritten (slice adjoints of Rosenbrock)", () => {
    const g = jit(grad(rosen));
    const x = randomTensor([9], -1, 1, 3);
    const buf = new Float64Array(9).fill(7);
    for (let k = 0; k < 2; k++) expect(bits(g.into(buf)(x))).toEqual(bits(grad(rosen)(x)));
    const colSums = (m: Tensor) => w.sum(m.mul(2), 0);
    const f = jit(colSums), m = randomTensor([5, 3], -1, 1, 4);
    expect(f.lower(m).source).toMatch(/INTO\[0\]\.fill\(0\)/);
    const cols = new Float64Array(3).fill(7);
    for (let k = 0; k < 2; k++) expect(bits(f.into(cols)(m))).toEqual(bits(colSums(m)));
    // the sums reshaped: the loop writes the value the output views straight into the storage
    const colCol = (m: Tensor) => w.reshape(colSums(m), [3, 1]);
    const h = jit(colCol);
    expect(h.lower(m).source).toMatch(/INTO\[0\]\.fill\(0\)/); // not copied in afterwards
    cols.fill(7);
    const r = h.into(cols)(m);
    expect(r.concrete().data).toBe(cols);
    expect(r.shape).toEqual([3, 1]);
    expect(bits(r)).toEqual(bits(colCol(m)));
  });
  it("pytree results, null for fresh storage, results from ops and arguments copied in, int32 and bool results", () => {
    const f = jit((a: Tensor, b: Tensor) => ({ p: w.matmul(a, b), q: [a, w.argmax(b, 0), w.greater(a, 0)], s: w.sum(a).mul(2) }));
    const a = randomTensor([3, 3], -1, 1, 4), b = randomTensor([3, 3], -1, 1, 5);
    const want = f(a, b);
    const p = new Float64Array(9), q0 = new Float64Array(9), q1 = new Int32Array(3), q2 = new Uint8Array(9);
    const got = f.into({ p, q: [q0, q1, q2], s: null })(a, b);
    expect(got.p.concrete().data).toBe(p);
    expect(got.q[0].concrete().data).toBe(q0);
    expect(got.q[1].concrete().data).toBe(q1);
    expect(got.q[2].concrete().data).toBe(q2);
    for (const [u, v] of [[got.p, want.p], [got.q[0], want.q[0]], [got.q[1], want.q[1]], [got.q[2], want.q[2]], [got.s, want.s]] as const) {
      expect(u.dtype).toBe(v.dtype);
      expect(u.shape).toEqual(v.shape);
      expect(bits(u)).toEqual(bits(v));
    }
    expect(Array.from(q0)).toEqual(Array.from(a.concrete().data)); // the argument, copied
    expect(a.concrete().data).not.toBe(q0);
    // a result without storage that the program computes as a view of one with storage gets its own copy
    const views = jit((v: Tensor) => { const y = v.mul(2).add(1); return [y, y.reshape([2, 2])]; });
    const s0 = new Float64Array(4), y = w.tensor([1, 2, 3, 4]);
    const [r0, r1] = views.into([s0, null])(y);
    expect(r0.concrete().data).toBe(s0);
    expect(r1.concrete().data).not.toBe(s0);
    expect(toNums(r1)).toEqual([3, 5, 7, 9]);
    s0.fill(0);
    expect(toNums(r1)).toEqual([3, 5, 7, 9]);
  });
  it("a matmul writes its result into the caller's storage (through a reshape), a small dead product into storage kept between calls", () => {
    const llsq = (x: Tensor, T: Tensor, s: Tensor) => w.sum(w.square(s.sub(w.matmul(T, x)))).mul(0.5);
    const product = (x: Tensor, T: Tensor) => w.matmul(T, x.reshape([8, 1])).reshape([16]).mul(1);
    const f = jit(llsq), p = jit((x: Tensor, T: Tensor) => w.matmul(T, x.reshape([8, 1])).reshape([16]));
    const T = randomTensor([16, 8], -1, 1, 7), s = randomTensor([16], -1, 1, 8);
    const x1 = randomTensor([8], -1, 1, 9), x2 = randomTensor([8], -1, 1, 10);
    expect(f.lower(x1, T, s).source!).toMatch(/^const K\d+ = allocate\("float64", 16\);$/m); // T·x: read by the loop only
    expect(p.lower(x1, T).source!).toMatch(/impl\(\[v\d+, v\d+\], Q\d+, \[INTO === undefined \? undefined : INTO\[0\]\]\); \/\/ matmul/);
    const buf = new Float64Array(16);
    for (const x of [x1, x2, x1]) {
      expect(bits(f(x, T, s))).toEqual(bits(llsq(x, T, s)));
      const r = p.into(buf)(x, T);
      expect(r.concrete().data).toBe(buf); // written by the matmul itself: nothing copied
      expect(bits(r)).toEqual(bits(product(x, T)));
    }
  });
  describe("row passes: Sᵀ·f(S·x) in one pass over S's rows", () => {
    const llsq = (x: Tensor, T: Tensor, s: Tensor) => w.sum(w.square(s.sub(w.matmul(T, x)))).mul(0.5);
    const logistic = (wt: Tensor, X: Tensor, y: Tensor) => {
      const z = w.matmul(X, wt);
      return w.mean(w.softplus(z).sub(y.mul(z)));
    };
    const rowPass = /one pass over the rows of a (\d+)×(\d+) matrix/;
    it("a least-squares gradient: bit for bit the unfused products', any row count, written into the caller's storage", () => {
      for (const [n, m] of [[16, 8], [13, 5], [9, 2], [2, 3], [37, 130]]) {
        const T = randomTensor([n, m], -1, 1, n), s = randomTensor([n], -1, 1, n + 1), x = randomTensor([m], -1, 1, m);
        const g = jit(grad(llsq));
        expect(g.lower(x, T, s).source!.match(rowPass)?.slice(1)).toEqual([`${n}`, `${m}`]);
        const want = grad(llsq)(x, T, s);
        expect(bits(g(x, T, s))).toEqual(bits(want));
        const buf = new Float64Array(m).fill(Number.NaN);
        const r = g.into(buf)(x, T, s);
        expect(r.concrete().data).toBe(buf);
        expect(bits(r)).toEqual(bits(want));
        // against the closed form −Tᵀ(s − Tx)
        const closed = toNums(w.matmul(T.transpose(), s.sub(w.matmul(T, x))).mul(-1));
        toNums(r).forEach((v, j) => expect(v).toBeCloseTo(closed[j], 12));
        expect(bits(g.into(buf)(x.mul(-1), T, s))).toEqual(bits(grad(llsq)(x.mul(-1), T, s))); // zeroed again
      }
    });
    it("a logistic regression's value and gradient, in float64 and float32; a Hessian-vector product", () => {
      const X = randomTensor([21, 6], -1, 1, 3), y = w.greater(randomTensor([21], -1, 1, 4), 0).cast("float64"), wt = randomTensor([6], -1, 1, 5);
      const vg = jit(w.valueAndGrad(logistic));
      expect(vg.lower(wt, X, y).source!).toMatch(rowPass);
      const [v, g] = vg(wt, X, y), [v0, g0] = w.valueAndGrad(logistic)(wt, X, y);
      expect(bits(v)).toEqual(bits(v0));
      expect(bits(g)).toEqual(bits(g0));
      const X32 = X.cast("float32"), y32 = y.cast("float32"), w32 = wt.cast("float32");
      const g32 = jit(grad(logistic));
      expect(g32.lower(w32, X32, y32).source!).toMatch(rowPass);
      expect(g32(w32, X32, y32).dtype).toBe("float32");
      expect(bits(g32(w32, X32, y32))).toEqual(bits(grad(logistic)(w32, X32, y32)));
      // a Hessian-vector product (forward over reverse): Tᵀ(T·v) in one pass
      const T = randomTensor([10, 4], -1, 1, 6), s = randomTensor([10], -1, 1, 7), x = randomTensor([4], -1, 1, 8), dx = randomTensor([4], -1, 1, 9);
      const hvp = (x: Tensor, dx: Tensor) => jvp((u: Tensor) => grad(llsq)(u, T, s), [x], [dx])[1];
      const h = jit(hvp);
      expect(h.lower(x, dx).source!).toMatch(rowPass);
      expect(bits(h(x, dx))).toEqual(bits(hvp(x, dx)));
      const closed = toNums(w.matmul(T.transpose(), w.matmul(T, dx)));
      toNums(h(x, dx)).forEach((v, j) => expect(v).toBeCloseTo(closed[j], 12));
    });
    it("a product of a transposed operand reads it in place (no transposed copy), bit for bit; Sᵀ·r written out is a row pass", () => {
      const A = randomTensor([40, 50], -1, 1, 11), B = randomTensor([40, 30], -1, 1, 12), Q = randomTensor([3, 6, 6], -1, 1, 13), Z = randomTensor([3, 20, 6], -1, 1, 14);
      const cases: [string, (...a: Tensor[]) => Tensor, Tensor[]][] = [
        ["Aᵀ·B (the SIMD kernel)", (a, b) => w.matmul(w.transpose(a), b), [A, B]],
        ["A·Aᵀ", (a) => w.matmul(a, w.transpose(a)), [A]],
        ["batched Z·Qᵀ", (z, q) => w.matmul(z, w.transpose(q, [0, 2, 1])), [Z, Q]],
        ["Aᵀ·x", (a, x) => w.matmul(w.transpose(a), x), [A, randomTensor([40], -1, 1, 15)]],
      ];
      for (const [name, f, args] of cases) {
        const j = jit(f);
        expect(j.lower(...args).source!, name).not.toMatch(/\/\/ transpose$/m);
        expect(bits(j(...args)), name).toEqual(bits(f(...args)));
      }
      // a transposed copy that something else reads stays
      const both = jit((a: Tensor, b: Tensor) => [w.matmul(w.transpose(a), b), w.transpose(a).mul(2)]);
      const [p0, p1] = both(A, B);
      expect(bits(p0)).toEqual(bits(w.matmul(w.transpose(A), B)));
      expect(bits(p1)).toEqual(bits(w.transpose(A).mul(2)));
      // the residual and Tᵀ·r, as a user writes the normal equations' gradient
      const T = randomTensor([11, 5], -1, 1, 16), s = randomTensor([11], -1, 1, 17), x = randomTensor([5], -1, 1, 18);
      const normal = (x: Tensor, T: Tensor, s: Tensor) => { const r = s.sub(w.matmul(T, x)); return [r, w.matmul(w.transpose(T), r)]; };
      const jn = jit(normal);
      expect(jn.lower(x, T, s).source!).toMatch(rowPass);
      const [r0, g0] = jn(x, T, s), [r1, g1] = normal(x, T, s);
      expect(bits(r0)).toEqual(bits(r1));
      expect(bits(g0)).toEqual(bits(g1));
    });
    it("not fused where S·x is read elsewhere or element by element out of order", () => {
      const T = randomTensor([12, 4], -1, 1, 6), s = randomTensor([12], -1, 1, 7), x = randomTensor([4], -1, 1, 8);
      const cases: ((x: Tensor, T: Tensor, s: Tensor) => Tensor)[] = [
        (x, T, s) => { const y = w.matmul(T, x); return w.sum(w.square(s.sub(y))).add(w.sum(y.slice([1, 11]).mul(y.slice([0, 10])))); }, // shifted reads of y
        (x, T, s) => { const y = w.matmul(T, x); return w.sum(w.square(s.sub(y)).mul(w.flip(y, 0))); }, // a reversed read
      ];
      for (const f of cases) {
        const g = jit(grad(f));
        expect(g.lower(x, T, s).source!).not.toMatch(rowPass);
        expect(toNums(g(x, T, s))).toEqual(toNums(grad(f)(x, T, s)));
      }
      const both = jit((x: Tensor, T: Tensor, s: Tensor) => { const y = w.matmul(T, x); return [y, grad(llsq)(x, T, s)]; });
      const [y, g] = both(x, T, s);
      expect(bits(y)).toEqual(bits(w.matmul(T, x)));
      expect(bits(g)).toEqual(bits(grad(llsq)(x, T, s)));
    });
  });
  it("gather, scatterAdd and concat write into offered storage too: kept storage is rewritten (scatterAdd zeroed) call after call", () => {
    const idx = tensor([2, 0, 2, 1, 2], { dtype: "int32" });
    const loss = (C: Tensor) => w.sum(w.square(w.take(C, idx, 0)).mul(w.concat([C, C.mul(2)], 1).sum()));
    const twice = (C: Tensor) => grad(loss)(C).mul(2).add(w.concat([C, C], 1).slice([0, 3], [1, 3])); // scatterAdd and concat results read by a loop
    const gathered = (C: Tensor) => w.sum(w.square(w.take(C, idx, 0)));
    const g = jit(grad(gathered)), h = jit(twice);
    const src = h.lower(randomTensor([3, 2], -1, 1, 20)).source!;
    expect(src).toMatch(/Q\d+, \[K\d+\]\); \/\/ scatterAdd/);
    expect(src).toMatch(/Q\d+, \[K\d+\]\); \/\/ concat/);
    expect(g.lower(randomTensor([3, 2], -1, 1, 20)).source!).toMatch(/\[INTO === undefined \? undefined : INTO\[0\]\]\); \/\/ scatterAdd/);
    const buf = new Float64Array(6);
    for (const seed of [20, 21, 20]) {
      const C = randomTensor([3, 2], -1, 1, seed);
      expect(bits(h(C))).toEqual(bits(twice(C)));
      buf.fill(Number.NaN);
      const r = g.into(buf)(C);
      expect(r.concrete().data).toBe(buf);
      expect(bits(r)).toEqual(bits(grad(gathered)(C)));
    }
  });
  it("bad storage is a typed error naming the result, and nothing is written", () => {
    const g = jit(grad(lse), { name: "lseGrad" });
    const x = randomTensor([4], -1, 1, 6);
    expect(() => g.into(new Float32Array(4))(x)).toThrow(w.DTypeError);
    expect(() => g.into(new Float32Array(4))(x)).toThrow(/jit\(lseGrad\)\.into: the result at result is float64\[4\]; its storage must be a Float64Array, got a Float32Array/);
    expect(() => g.into(new Float64Array(5))(x)).toThrow(w.ShapeError);
    expect(() => g.into(new Float64Array(5))(x)).toThrow(/4 elements\); its storage has 5/);
    expect(() => g.into([new Float64Array(4)] as never)(x)).toThrow(/must be a typed array/);
    expect(() => g.into(x as never)(x)).toThrow(/must be a typed array/);
    // shares memory with an argument: the program would read x after writing the result
    const xs = x.concrete().data as Float64Array, before = Array.from(xs);
    expect(() => g.into(xs)(x)).toThrow(/shares memory with the argument; the program reads its arguments/);
    const big = new Float64Array(8), y = w.tensor([1, 2, 3, 4]);
    const view = g.into(big.subarray(0, 4))(y); // the result wraps the first half of `big`
    const h = jit((v: Tensor) => v.mul(2));
    expect(() => h.into(big.subarray(2, 6))(view)).toThrow(/shares memory with the argument/);
    expect(() => jit((u: Tensor, v: Tensor) => u.add(v)).into(big.subarray(2, 6))(y, view)).toThrow(/shares memory with argument tensor 1 \(counting/);
    expect(Array.from(h.into(big.subarray(4, 8))(view).concrete().data)).toEqual(Array.from(view.concrete().data).map((v) => (v as number) * 2));
    // a constant of the function (a closure over a view of the storage)
    const k = jit((v: Tensor) => v.add(view));
    expect(() => k.into(big.subarray(1, 5))(y)).toThrow(/shares memory with a constant of/);
    // two results in one array
    const two = jit((v: Tensor) => [v.mul(2), v.mul(3)]);
    expect(() => two.into([big.subarray(0, 4), big.subarray(3, 7)])(y)).toThrow(/storage at result\[1\] shares memory with the storage at result\[0\]/);
    expect(() => jit((v: Tensor) => ({ a: v })).into({ b: new Float64Array(4) } as never)(y)).toThrow(/has key b, which the result does not have/);
    expect(() => jit((s: number) => s).into(new Float64Array(1) as never)(3)).toThrow(/is a JS number; it takes no storage/);
    expect(Array.from(xs)).toEqual(before);
    expect(() => grad((v: Tensor) => g.into(new Float64Array(4))(v).sum())(x)).toThrow(/cannot run under another transformation/);
    expect(traceDepth()).toBe(0);
    expect(bits(g.into(new Float64Array(4))(x))).toEqual(bits(g(x)));
  });
});

describe("jit composes with every transformation", () => {
  const f = (x: Tensor) => w.sum(w.mul(w.sin(x), w.exp(w.mul(x, 0.3))));
  const x = randomTensor([4], -1, 1, 5);
  it("jit(grad), grad(jit), jit(hessian), jvp(jit), jacfwd(jit(jacrev)), nested jit", () => {
    expectClose(jit(grad(f))(x), grad(f)(x), 1e-14);
    expectClose(grad(jit(f))(x), grad(f)(x), 1e-14);
    expectClose(jit(hessian(f))(x), hessian(f)(x), 1e-13);
    expectClose(jvp(jit(f), [x], [x])[1], jvp(f, [x], [x])[1], 1e-14);
    expectClose(jacfwd(jit(jacrev(f)))(x), hessian(f)(x), 1e-13);
    expectClose(jit((y: Tensor) => jit(f)(y).mul(2))(x), f(x).mul(2), 1e-14);
    expectClose(jit((y: Tensor) => grad(jit(f))(y).sum())(x), grad(f)(x).sum(), 1e-14);
  });
});

describe("jit of a function closing over an enclosing transformation's value", () => {
  // JAX lifts such closed-over tracers into the inner jit's inputs; wengert runs f itself under the
  // enclosing transformation, as for traced arguments. These crashed with a TypeError from the
  // generated code, which read the tracer as a constant.
  it("grad, jvp, vmap and an outer jit see through it; nothing is cached; later plain calls compile", () => {
    let inner: ReturnType<typeof jit> | null = null;
    const h = (x: Tensor) => {
      inner = jit((y: Tensor) => w.sin(y.mul(x)).add(x.square()));
      return inner(tensor(2)) as Tensor;
    };
    // h(x) = sin(2x) + x², h'(x) = 2cos(2x) + 2x
    const x0 = 0.7;
    expectClose(grad(h)(tensor(x0)), 2 * Math.cos(2 * x0) + 2 * x0, 1e-14);
    expect(inner!.compiles).toBe(0);
    expectClose(jvp(h, [tensor(x0)], [tensor(1)])[1], 2 * Math.cos(2 * x0) + 2 * x0, 1e-14);
    expectClose(vmap(h)(tensor([0.1, 0.7])), [0.1, 0.7].map((v) => Math.sin(2 * v) + v * v), 1e-14);
    expectClose(jit(h)(tensor(x0)), Math.sin(2 * x0) + x0 * x0, 1e-14);
    expectClose(jit(grad(h))(tensor(x0)), 2 * Math.cos(2 * x0) + 2 * x0, 1e-14);
    expectClose(hessian(h)(tensor(x0)), -4 * Math.sin(2 * x0) + 2, 1e-13);
    // the same jitted function, later called without a transformation around it: compiled
    const g = jit((y: Tensor) => y.mul(3));
    expectClose(grad((x: Tensor) => g(tensor(2)).mul(x).add(jit((y: Tensor) => y.mul(x))(tensor(5))))(tensor(1)), 11, 1e-15);
    expect(g(tensor(2)).item()).toBe(6);
    expect(g.compiles).toBe(1);
  });
  it("also through control flow inside the inner function (captured by a scan body or a cond branch)", () => {
    const h = (x: Tensor) => jit((y: Tensor) => scan((c: Tensor, t: Tensor) => [c.mul(x).add(t), c], y, tensor([1, 2]))[0])(tensor(1));
    // c1 = x + 1, c2 = x² + x + 2: d/dx = 2x + 1
    expectClose(grad(h)(tensor(3)), 7, 1e-14);
    const k = (x: Tensor) => jit((y: Tensor) => cond(y.gt(0), (a: Tensor) => a.mul(x), (a: Tensor) => a, y))(tensor(2));
    expectClose(grad(k)(tensor(3)), 2, 1e-15);
    expect(() => jit((y: Tensor) => y).lower(tensor(1))).not.toThrow();
    expect(() => grad((x: Tensor) => { jit((y: Tensor) => y.mul(x)).lower(tensor(1)); return x; })(tensor(1))).toThrow(/closes over a value of an enclosing transformation/);
  });
});

describe("jit: bad input", () => {
  it("branching on a traced value points to where/cond/whileLoop; state survives", () => {
    const f = jit((x: Tensor) => (x.sum().item() > 0 ? x : x.neg()));
    expect(() => f(tensor([1, 2]))).toThrow(ConcretizationError);
    expect(() => f(tensor([1, 2]))).toThrow(/cond\/switchCase.*fori, scan or whileLoop.*staticArgnums/);
    expect(traceDepth()).toBe(0);
    expect(jit((x: Tensor) => x.mul(2))(tensor(2)).item()).toBe(4);
  });
  it("data-dependent shapes are a clear error", () => {
    const f = jit((x: Tensor) => w.zeros([Math.max(1, x.sum().item())]));
    expect(() => f(tensor([1, 2]))).toThrow(/cannot read the value of a staged tensor/);
  });
  it("storing a traced value into an argument is detected; a leaked tracer fails at its next use", () => {
    const f = jit((x: Tensor, log: Tensor[]) => { log.push(x.mul(2)); return x; });
    expect(() => f(tensor(1), [])).toThrow(/stored a traced value into one of its arguments/);
    let leaked: Tensor | null = null;
    const g = jit((x: Tensor) => { leaked = x.mul(2); return x; });
    g(tensor(1));
    expect(() => leaked!.add(1)).toThrow(TracerError);
  });
});

describe("control flow", () => {
  const piecewise = (x: Tensor) => cond(x.sum().gt(0), (a: Tensor) => a.sin().mul(a), (a: Tensor) => a.cos(), x);
  const loss = (x: Tensor) => piecewise(x).sum();

  it("cond: eager and staged agree, in values, grad (both branches) and jvp", () => {
    for (const x of [tensor([0.3, -0.1, 0.5]), tensor([-0.3, -0.1, 0.5])]) {
      expectClose(jit(piecewise)(x), piecewise(x), 1e-15);
      expectClose(jit(grad(loss))(x), grad(loss)(x), 1e-14);
      expectClose(jvp(jit(piecewise), [x], [x])[1], jvp(piecewise, [x], [x])[1], 1e-14);
      w.checkGrads(loss, [x], { order: 2 });
    }
    expect(jit(piecewise).lower(tensor([1, 2])).optimized.eqns.some((e) => e.prim.name === "cond")).toBe(true);
  });

  it("fori from a concrete start whose body reads jit's inputs: one staged loop, not a copy of the body per step", () => {
    // (GradBench's ode: the carry starts as zeros, so only the first step sees a concrete carry)
    const solve = (x: Tensor, steps: number) => w.fori(0, steps, (_i: unknown, y: Tensor) => y.add(x.mul(y.sin().add(1)).mul(0.1)), w.zerosLike(x));
    const f = jit(solve, { staticArgnums: [1] });
    const x = tensor([0.3, -0.7, 1.1]);
    const size = (s: number) => f.lower(x, s).optimized.eqns.length;
    expect(size(40)).toBe(size(4));
    expect(f.lower(x, 4).optimized.eqns.some((e) => e.prim.name === "scan")).toBe(true);
    for (const s of [1, 2, 7]) {
      expectClose(f(x, s), solve(x, s), 1e-15);
      expectClose(jit(grad((v: Tensor) => solve(v, s).sum()))(x), grad((v: Tensor) => solve(v, s).sum())(x), 1e-14);
    }
  });

  it("scan from a concrete start whose body reads jit's inputs: one staged scan after the first step, forwards and in reverse", () => {
    const run = (x: Tensor, n: number, reverse: boolean) => {
      const [c, ys] = w.scan((cc: Tensor, t: Tensor) => [cc.mul(x.sin()).add(t), cc.sum()] as [Tensor, Tensor], w.onesLike(x), w.linspace(0, 1, n), { reverse });
      return c.sum().add(ys.mul(w.linspace(1, 2, n)).sum());
    };
    const x = tensor([0.3, -0.7, 1.1]);
    for (const reverse of [false, true]) {
      const f = jit(run, { staticArgnums: [1, 2] });
      expect(f.lower(x, 40, reverse).optimized.eqns.length).toBe(f.lower(x, 4, reverse).optimized.eqns.length);
      for (const n of [1, 2, 6]) {
        expectClose(f(x, n, reverse), run(x, n, reverse), 1e-14);
        expectClose(jit(grad((v: Tensor) => run(v, n, reverse)))(x), grad((v: Tensor) => run(v, n, reverse))(x), 1e-13);
      }
    }
  });

  it("switchCase clamps the index; branches must agree", () => {
    const f = (i: Tensor, x: Tensor) => switchCase(i, [(a: Tensor) => a.add(1), (a: Tensor) => a.mul(2), (a: Tensor) => a.neg()], x);
    for (const i of [-1, 0, 1, 2, 7]) {
      const it_ = tensor(i, { dtype: "int32" });
      expect(jit(f)(it_, tensor(3)).item()).toBe(f(it_, tensor(3)).item());
    }
    expect(() => jit((x: Tensor) => cond(x.gt(0), (a: Tensor) => a, (a: Tensor) => a.reshape([1]), x))(tensor(1))).toThrow(/same shapes/);
  });

  it("cond's predicate: a boolean or an integer, non-zero true (−3 too), eager and staged; a float predicate is refused (tensor(0.5) took the false branch)", () => {
    const f = (p: Tensor | number | boolean, x: Tensor) => cond(p, (a: Tensor) => a.mul(10), (a: Tensor) => a.neg(), x);
    const x = tensor(3);
    for (const [p, want] of [[true, 30], [false, -3], [1, 30], [0, -3], [-3, 30], [7, 30]] as const) {
      expect(f(p, x).item()).toBe(want);
      const t = typeof p === "boolean" ? tensor(p) : tensor(p, { dtype: "int32" });
      expect(f(t, x).item()).toBe(want);
      expect(jit(f)(t, x).item()).toBe(want);
      expect(vmap((q: Tensor) => f(q, x))(t.reshape([1])).toArray()).toEqual([want]);
    }
    for (const p of [tensor(0.5), tensor(NaN), tensor(1, { dtype: "float32" })]) {
      expect(() => f(p, x)).toThrow(DTypeError);
      expect(() => f(p, x)).toThrow(/cond: the predicate must be a bool or int32 tensor; got float(32|64)\[\]; compare instead/);
      expect(() => jit(f)(p, x)).toThrow(DTypeError);
    }
    for (const p of [0.5, NaN, Infinity]) expect(() => f(p, x)).toThrow(/cond: the predicate must be a boolean or an integer/);
    expect(() => f("yes" as unknown as boolean, x)).toThrow(InputError);
  });

  const rec = (x: Tensor) => {
    const [c, ys] = scan((c: Tensor, xi: Tensor) => { const n = c.mul(xi).add(xi.sin()); return [n, n.square()]; }, tensor(1), x);
    return c.add(ys.sum());
  };

  it("scan: eager and staged agree; reverse mode through stored carries; forward mode; order 2", () => {
    const xs = tensor([0.5, 0.7, -0.2, 0.9]);
    expectClose(jit(rec)(xs), rec(xs), 1e-15);
    expectClose(jit(grad(rec))(xs), grad(rec)(xs), 1e-14);
    expectClose(jvp(jit(rec), [xs], [xs])[1], jvp(rec, [xs], [xs])[1], 1e-14);
    expectClose(jit(hessian(rec))(xs), hessian(rec)(xs), 1e-12);
    w.checkGrads(rec, [xs], { order: 2 });
    const rev = (x: Tensor) => scan((c: Tensor, xi: Tensor) => [c.mul(0.5).add(xi), c], tensor(0), x, { reverse: true })[1].mul(x).sum();
    expectClose(jit(rev)(xs), rev(xs), 1e-15);
    expectClose(jit(grad(rev))(xs), grad(rev)(xs), 1e-14);
  });

  it("scan with pytree carries and closures over traced values", () => {
    const f = (x: Tensor, w0: Tensor) => {
      const [c] = scan((c: { h: Tensor; n: Tensor }, xi: Tensor) => [{ h: c.h.mul(w0).add(xi).tanh(), n: c.n.add(c.h) }, null], { h: w.zeros([2]), n: w.zeros([2]) }, x);
      return c.n.sum();
    };
    const x = randomTensor([5, 2], -1, 1, 6), w0 = randomTensor([2], -1, 1, 7);
    expectClose(jit(f)(x, w0), f(x, w0), 1e-15);
    expectClose(jit(grad(f, { argnums: [0, 1] }))(x, w0), grad(f, { argnums: [0, 1] })(x, w0), 1e-13);
  });

  it("fori: eager (number index) and staged (scan); gradients agree", () => {
    const f = (x: Tensor) => fori(0, 5, (_i: unknown, c: Tensor) => c.mul(x).add(1), w.zerosLike(x)).sum();
    const x = tensor([0.5, 0.7, -0.2]);
    expectClose(jit(f)(x), f(x), 1e-15);
    expectClose(jit(grad(f))(x), grad(f)(x), 1e-14);
    expect(() => fori(0, 2.5, (_i: unknown, c: number) => c, 0)).toThrow(/integers/);
  });

  it("reverse mode through a staged scan reads stored residuals: the backward scan recomputes no primal, and the primal scan runs once", () => {
    const f = (x: Tensor) => scan((c: Tensor, xi: Tensor) => [c.sin().mul(xi).add(c.exp().mul(0.1)), c.square().sum()], w.linspace(0, 1, 8), x)[1].sum();
    const xs = randomTensor([12], 0.5, 1, 11);
    const scans = (g: ReturnType<typeof jit>) => g.lower(xs).optimized.eqns.filter((e) => e.prim.name === "scan");
    const prims = (e: { params: unknown }) => (e.params as { body: Program }).body.eqns.map((q) => q.prim.name);
    const [primal, backward] = scans(jit(grad(f)));
    expect(prims(primal)).toEqual(expect.arrayContaining(["sin", "exp"]));
    // cos c and exp c are residuals: the transposed body multiplies by them and calls no sin, cos or exp
    expect(prims(backward).filter((n) => ["sin", "cos", "exp"].includes(n))).toEqual([]);
    expect(scans(jit(grad(f)))).toHaveLength(2);
    expect(scans(jit(valueAndGrad(f)))).toHaveLength(2); // not a third scan for the value
    // the same derivatives as eager reverse mode (a JS loop) and as forward mode
    const ref = grad((x: Tensor) => { let c = w.linspace(0, 1, 8), s = tensor(0); for (let i = 0; i < 12; i++) { s = s.add(c.square().sum()); c = c.sin().mul(x.slice([i, i + 1])).add(c.exp().mul(0.1)); } return s; })(xs);
    expectClose(jit(grad(f))(xs), ref, 1e-12);
    expectClose(jit(valueAndGrad(f))(xs)[1], ref, 1e-12);
    expectClose(w.jacfwd(f)(xs), ref, 1e-12);
    // large stacked residuals go back to the spare pool once the backward scan has read them (the
    // next call's primal scan takes them, instead of fresh memory mapped in page by page)
    const big = (x: Tensor) => scan((c: Tensor, xi: Tensor) => [c.sin().mul(xi), c.sum()], w.linspace(0, 1, 1024), x)[1].sum();
    const xb = randomTensor([64], 0.5, 1, 13);
    expect(jit(grad(big)).lower(xb).source).toMatch(/recycle\(v\d+\.data\)/);
    expectClose(jit(grad(big))(xb), grad(big)(xb), 1e-12);
    expectClose(jit(grad(big))(xb), grad(big)(xb), 1e-12); // a second call, on recycled storage
  });

  it("a compiled scan body writes its carries and ys into the scan's storage: rotated, passed-through and repeated outputs stay right", () => {
    // carries that come back as one another unchanged (c2′ = c1, c3′ = c2), a carry that is also a
    // y, a y that is an x, and a reduction: the body must never write a carry it still reads
    const body = (c: Tensor[], x: Tensor): [Tensor[], Tensor[]] => {
      const next = c[0].mul(0.9).add(c[2].sin()).add(x.sum());
      return [[next, c[0], c[1]], [next, x, c[1].square().sum(), c[2]]];
    };
    const init = [w.linspace(0, 1, 5), w.linspace(1, 2, 5), w.linspace(-1, 0, 5)];
    const xs = randomTensor([7, 5], -1, 1, 12);
    for (const reverse of [false, true]) {
      const run = (x: Tensor) => scan(body, init, x, { reverse });
      const [ce, ye] = run(xs), [cj, yj] = jit(run)(xs);
      cj.forEach((c, i) => expectClose(c, ce[i], 1e-15));
      yj.forEach((y, i) => expectClose(y, ye[i], 1e-15));
      const loss = (x: Tensor) => { const [c, y] = run(x); return c[2].sum().add(y[0].mul(y[3]).sum()).add(y[2].sum()); };
      expectClose(jit(grad(loss))(xs), grad(loss)(xs), 1e-12);
    }
    // carries made by matmuls, which write into the storage offered (a swap: each reads the other)
    const M = randomTensor([5, 5], -1, 1, 13);
    const swap = (x: Tensor) => scan((c: Tensor[], xi: Tensor): [Tensor[], Tensor] => [[w.matmul(M, c[1]).add(xi), w.matmul(M, c[0])], w.matmul(M, c[0])], [init[0], init[1]], x);
    const [ce, ye] = swap(xs), [cj, yj] = jit(swap)(xs);
    expect(toNums(cj[0])).toEqual(toNums(ce[0]));
    expect(toNums(cj[1])).toEqual(toNums(ce[1]));
    expect(toNums(yj)).toEqual(toNums(ye));
  });

  it("whileLoop: eager and staged; forward mode inside jit; reverse mode inside jit is a clear error", () => {
    const f = (x: Tensor) => whileLoop((c: Tensor[]) => c[1].lt(10), (c: Tensor[]) => [c[0].mul(x), c[1].add(1)], [x, tensor(0)])[0];
    expect(jit(f)(tensor(1.1)).item()).toBeCloseTo(1.1 ** 11, 12);
    expectClose(jvp(jit(f), [tensor(1.1)], [tensor(1)])[1], 11 * 1.1 ** 10, 1e-13);
    expectClose(grad(f)(1.1), 11 * 1.1 ** 10, 1e-13); // eager: a JS loop, any mode
    expect(() => jit(grad(f))(tensor(1.1))).toThrow(TransformError);
    expect(() => jit(grad(f))(tensor(1.1))).toThrow(/Use fori or scan with a fixed number of steps/);
    expect(traceDepth()).toBe(0);
  });
});

describe("checkpointing", () => {
  const deep = (x: Tensor) => { let y = x; for (let i = 0; i < 20; i++) y = y.sin().mul(1.1); return y.sum(); };
  const x = randomTensor([1000], -1, 1, 8);

  it("checkpoint(f) keeps no intermediates and gives the same derivatives in every mode", () => {
    expect(residualBytes(deep, x)).toBeGreaterThan(100_000);
    expect(residualBytes(checkpoint(deep), x)).toBe(0); // only f's input, which exists anyway
    expectClose(grad(checkpoint(deep))(x), grad(deep)(x), 1e-14);
    expectClose(jit(grad(checkpoint(deep)))(x), grad(deep)(x), 1e-14);
    expectClose(jvp(checkpoint(deep), [x], [x])[1], jvp(deep, [x], [x])[1], 1e-14);
    expectClose(hessian(checkpoint((v: Tensor) => deep(v)))(x.slice([0, 3])), hessian(deep)(x.slice([0, 3])), 1e-12);
  });

  it("sub-programs of a jitted function run compiled (checkpoints, scan bodies, at any depth); an eager call's run interpreted", () => {
    const compiled = () => subprogramsCompiled.count;
    const step = checkpoint((y: Tensor, x: Tensor) => y.mul(x).sin().add(y.square().mul(0.5)));
    const solve = (n: number) => (x: Tensor) => fori(0, n, (_i: unknown, y: Tensor) => step(y, x), x).sum();
    const x = randomTensor([6], -1, 1, 30);
    // eager: each call traces new programs; checkpoints and short scans run interpreted (compiling takes milliseconds)
    let before = compiled();
    for (let k = 0; k < 3; k++) grad((v: Tensor) => step(v, v).sum())(x);
    const eager5 = grad(solve(5))(x);
    expect(compiled()).toBe(before);
    // an eager √T-checkpointed scan stages its segments (scans under checkpoints): interpreted too
    const sq = (v: Tensor) => scan((c: Tensor, xi: Tensor) => [c.mul(xi).sin().add(c), c.sum()], v, w.linspace(0.5, 1, 100), { checkpoint: "sqrt" })[1].sum();
    const eager = grad(sq)(x);
    expect(compiled()).toBe(before);
    expectClose(eager, jit(grad(sq))(x), 1e-13);
    // jit: the checkpoint's body, compiled with the function, and every sub-program of a scan's gradient
    before = compiled();
    const j = jit((v: Tensor) => step(v, v).mul(2));
    expectClose(j(x), step(x, x).mul(2), 1e-15);
    expect(compiled()).toBe(before + 1);
    before = compiled();
    const g = jit(grad(solve(5)));
    expectClose(g(x), eager5, 1e-13);
    expect(compiled()).toBeGreaterThanOrEqual(before + 4); // both scans' bodies and the checkpoints inside them
  });

  it("scan with √T checkpointing: O(√T) stored carries instead of O(T) intermediates, same gradient", () => {
    const T = 100;
    const f = (ck: "none" | "sqrt") => (x: Tensor) => scan((c: Tensor, xi: Tensor) => [c.sin().mul(xi).add(c), c.square().sum()], w.linspace(0, 1, 50), x, { checkpoint: ck })[1].sum();
    const xs = randomTensor([T], 0.5, 1, 9);
    const full = residualBytes(f("none"), xs), sqrt = residualBytes(f("sqrt"), xs);
    expect(sqrt).toBeLessThan(full / 5);
    expect(sqrt).toBeGreaterThan(0);
    expectClose(grad(f("sqrt"))(xs), grad(f("none"))(xs), 1e-13);
  });

  it("staged scan with √T checkpointing: the stored carries are per segment, values and derivatives unchanged", () => {
    const T = 50; // not a square: ⌈√50⌉ = 8, so 6 segments of 8 steps and 2 steps left
    const body = (c: Tensor, xi: Tensor): [Tensor, Tensor] => [c.sin().mul(xi).add(c), c.square().sum()];
    const f = (ck: "none" | "sqrt", reverse: boolean) => (x: Tensor) => {
      const [c, ys] = scan(body, w.linspace(0, 1, 20), x, { checkpoint: ck, reverse });
      return c.sum().add(ys.mul(w.linspace(1, 2, T)).sum());
    };
    const xs = randomTensor([T], 0.5, 1, 10);
    for (const reverse of [false, true]) {
      const plain = f("none", reverse), sq = f("sqrt", reverse);
      expectClose(jit(sq)(xs), plain(xs), 1e-12);
      expectClose(jit(grad(sq))(xs), grad(plain)(xs), 1e-12);
      expectClose(jvp(jit(sq), [xs], [w.onesLike(xs)])[1], jvp(plain, [xs], [w.onesLike(xs)])[1], 1e-12);
      // the largest value the top level of the gradient program holds: every step's residuals (T
      // steps of carry-sized values) without checkpointing, one carry per segment with it
      const largest = (g: ReturnType<typeof jit>) => Math.max(...g.lower(xs).optimized.eqns.flatMap((e) => e.outs.map((v) => v.aval.shape.reduce((a, b) => a * b, 1))));
      expect(largest(jit(grad(plain)))).toBeGreaterThanOrEqual(T * 20);
      expect(largest(jit(grad(sq)))).toBeLessThanOrEqual(8 * 20);
    }
  });
});
