/** vmap: axes, structures, composition with the other transformations, control flow, errors. */
import { describe, it, expect } from "vitest";
import * as w from "../src/index.js";
import { Tensor, tensor, vmap, grad, jvp, jit, jacfwd, jacrev, hessian, customJvp, ShapeError, ConcretizationError, traceDepth } from "../src/index.js";
import { randomTensor, expectClose } from "./helpers.js";

/** f applied to each slice along axis 0 of the mapped arguments, stacked: the meaning of vmap. */
const loop = (f: (...a: any[]) => any, mapped: boolean[], ...args: Tensor[]) => {
  const n = args[mapped.indexOf(true)].shape[0];
  return w.stack(Array.from({ length: n }, (_, b) => f(...args.map((a, i) => (mapped[i] ? a.slice(b) : a)))));
};

describe("vmap", () => {
  const X = randomTensor([5, 4], -1, 1, 1), Y = randomTensor([5, 4], -1, 1, 2), W = randomTensor([4, 3], -1, 1, 3);

  it("maps a per-example function over a batch, as a loop would", () => {
    const f = (x: Tensor, y: Tensor) => w.sum(w.mul(w.sin(x), w.exp(y)));
    expectClose(vmap(f)(X, Y), loop(f, [true, true], X, Y));
    const g = (x: Tensor) => w.matmul(w.tanh(x), W); // [4] @ [4, 3]
    expectClose(vmap(g)(X), loop(g, [true], X));
    expect(vmap(g)(X).shape).toEqual([5, 3]);
  });

  it("inAxes (per argument, null = shared, negative) and outAxes", () => {
    const f = (x: Tensor, v: Tensor) => w.mul(x, v);
    const v = randomTensor([4], 0, 1, 4);
    expectClose(vmap(f, { inAxes: [0, null] })(X, v), loop(f, [true, false], X, v));
    const XT = w.transpose(X);
    expectClose(vmap(f, { inAxes: [1, null] })(XT, v), loop(f, [true, false], X, v));
    expectClose(vmap(f, { inAxes: [-1, null] })(XT, v), loop(f, [true, false], X, v));
    expectClose(vmap(f, { inAxes: [0, null], outAxes: 1 })(X, v), w.transpose(loop(f, [true, false], X, v)));
    expectClose(vmap(f, { inAxes: [0, null], outAxes: -1 })(X, v), w.transpose(loop(f, [true, false], X, v)));
  });

  it("structures in and out; numbers shared; static leaves carried", () => {
    const f = (p: { a: Tensor; b: [Tensor] }, k: number, tag: string) => ({ s: w.add(w.sum(p.a), k), t: [w.mul(p.b[0], 2)], tag });
    const out = vmap(f, { inAxes: [0, null, null] })({ a: X, b: [Y] }, 3, "hello");
    expect(out.tag).toBe("hello");
    expectClose(out.s, loop((x) => w.add(w.sum(x), 3), [true], X));
    expectClose(out.t[0], w.mul(Y, 2));
    // a number in a mapped argument has no axis to map over: the error says what to do
    expect(() => vmap(f)({ a: X, b: [Y] }, 3, "x")).toThrow(/argument 1 holds a number.*inAxes null/);
  });

  it("a result that does not depend on the batch is broadcast over it", () => {
    const c = vmap((x: Tensor) => w.sum(W))(X);
    expect(c.shape).toEqual([5]);
    expectClose(c, w.full([5], w.sum(W).item()));
  });

  it("nests: vmap of vmap gives all pairs", () => {
    const d = (x: Tensor, y: Tensor) => w.sum(w.square(w.sub(x, y)));
    const pair = vmap(vmap(d, { inAxes: [null, 0] }), { inAxes: [0, null] })(X, Y);
    expect(pair.shape).toEqual([5, 5]);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(pair.slice(i, j).item()).toBeCloseTo(d(X.slice(i), Y.slice(j)).item(), 12);
  });

  it("composes with grad, jvp, jit and Jacobians in every order", () => {
    const f = (x: Tensor) => w.sum(w.mul(w.sin(x), w.matmul(x, w.matmul(W, w.transpose(W)))));
    const perEx = vmap(grad(f))(X);
    expectClose(perEx, loop(grad(f), [true], X), 1e-12);
    expectClose(grad((x: Tensor) => w.sum(vmap(f)(x)))(X), perEx, 1e-12);
    expectClose(jit(vmap(grad(f)))(X), perEx, 1e-12);
    expectClose(vmap(jit(grad(f)))(X), perEx, 1e-12);
    const [, t] = jvp(vmap(f), [X], [Y]);
    expectClose(t, loop((x: Tensor, y: Tensor) => jvp(f, [x], [y])[1], [true, true], X, Y), 1e-12);
    expectClose(vmap(hessian(f))(X), loop(hessian(f), [true], X), 1e-11);
    expectClose(jacfwd(vmap(f))(X), jacrev(vmap(f))(X), 1e-12);
  });

  it("uses custom derivative rules under vmap", () => {
    // a straight-through rule: value x², derivative declared as dx (deliberately not 2x)
    const st = customJvp((x: Tensor) => w.square(x), ([x], [dx]) => [w.square(x), dx]);
    const g = vmap(grad((x: Tensor) => w.sum(st(x))))(X);
    expectClose(g, w.onesLike(X));
    expectClose(grad((x: Tensor) => w.sum(vmap(st)(x)))(X), w.onesLike(X));
  });

  it("control flow inside vmap: where, cond with a batched predicate, scan, and batched indices", () => {
    const f = (x: Tensor) => w.cond(w.gt(w.sum(x), 0), (x: Tensor) => w.mul(x, 2), (x: Tensor) => w.neg(x), x);
    expectClose(vmap(f)(X), loop(f, [true], X));
    const s = (x: Tensor) => w.scan((c: Tensor, xi: Tensor) => [w.add(w.mul(c, 0.5), xi), w.sin(c)], tensor(0), x)[1];
    expectClose(vmap(s)(X), loop(s, [true], X));
    const idx = tensor([[0, 3], [1, 1], [2, 0], [3, 2], [0, 0]], { dtype: "int32" });
    const t = (x: Tensor, i: Tensor) => w.take(x, i, 0);
    expectClose(vmap(t)(X, idx), loop(t, [true, true], X, idx));
    expectClose(vmap(grad((x: Tensor, i: Tensor) => w.sum(w.square(w.take(x, i, 0)))))(X, idx), loop(grad((x: Tensor, i: Tensor) => w.sum(w.square(w.take(x, i, 0)))), [true, true], X, idx));
  });

  it("staged control flow batches as one construct over the batch (not one per example), in every mode", () => {
    const count = (prog: { eqns: { prim: { name: string } }[] }, name: string) => prog.eqns.filter((e) => e.prim.name === name).length;
    const s = (x: Tensor, c0: Tensor) => w.scan((c: Tensor, xi: Tensor) => [w.add(w.mul(w.sin(c), xi), xi), w.mul(c, c)], c0, x)[1];
    const xs = randomTensor([3, 6, 4], -1, 1, 11), c0 = randomTensor([4], -1, 1, 12);
    const staged = (x: Tensor) => jit((y: Tensor) => s(y, c0))(x); // the scan is staged inside jit
    expect(count(w.makeProgram(vmap(staged))(xs).program, "scan")).toBe(1);
    expectClose(vmap(staged)(xs), loop((x: Tensor) => s(x, c0), [true], xs), 1e-13);
    expectClose(jit(vmap((x: Tensor) => s(x, c0)))(xs), loop((x: Tensor) => s(x, c0), [true], xs), 1e-13);
    const lossB = (x: Tensor) => w.sum(w.square(staged(x)));
    expectClose(vmap(grad(lossB))(xs), loop(grad((x: Tensor) => w.sum(w.square(s(x, c0)))), [true], xs), 1e-12);
    expectClose(jit(vmap(grad(lossB)))(xs), loop(grad((x: Tensor) => w.sum(w.square(s(x, c0)))), [true], xs), 1e-12);
    // a batched index: every branch runs on the batch and where selects; a shared one: one cond
    const c = (x: Tensor, k: Tensor) => w.switchCase(k, [(u: Tensor) => w.sin(u), (u: Tensor) => w.mul(u, 3), (u: Tensor) => w.exp(u)], x);
    const ks = tensor([2, 0, 1], { dtype: "int32" }), X3 = randomTensor([3, 4], -1, 1, 13);
    const cj = (x: Tensor, k: Tensor) => jit(c)(x, k);
    expectClose(vmap(cj)(X3, ks), loop(c, [true, true], X3, ks), 1e-14);
    expectClose(vmap(cj, { inAxes: [0, null] })(X3, tensor(1, { dtype: "int32" })), w.mul(X3, 3), 1e-14);
    expect(count(w.makeProgram(vmap(cj, { inAxes: [0, null] }))(X3, tensor(1, { dtype: "int32" })).program, "cond")).toBe(1);
    expectClose(vmap(grad((x: Tensor, k: Tensor) => w.sum(cj(x, k))))(X3, ks), loop(grad((x: Tensor, k: Tensor) => w.sum(c(x, k))), [true, true], X3, ks), 1e-13);
    // while: each example stops at its own step; one loop over the batch
    const wl = (x: Tensor) => w.whileLoop((c: [Tensor, Tensor]) => w.lt(c[0], 10), (c: [Tensor, Tensor]) => [w.add(w.mul(c[0], 1.7), 0.3), w.add(c[1], 1)] as [Tensor, Tensor], [x, w.tensor(0)]);
    const starts = tensor([0.1, 3, 9.5, 12]);
    const wj = (x: Tensor) => jit(wl)(x);
    const [vals, steps] = vmap(wj)(starts) as Tensor[];
    const ref = loop((x: Tensor) => w.stack(wl(x)), [true], starts);
    expectClose(w.stack([vals, steps], 1), ref, 1e-14);
    expect(steps.toArray()).toEqual([6, 3, 1, 0]);
    expect(count(w.makeProgram(vmap(wj))(starts).program, "while")).toBe(1);
    expectClose(vmap((x: Tensor) => jvp((y: Tensor) => wj(y)[0], [x], [w.onesLike(x)])[1])(starts), [1.7 ** 6, 1.7 ** 3, 1.7, 1], 1e-12);
    // checkpoint under vmap: one checkpoint equation
    const ck = w.checkpoint((u: Tensor) => w.sin(w.mul(u, u)));
    expect(count(w.makeProgram(vmap((u: Tensor) => ck(u)))(X3).program, "checkpoint")).toBe(1);
    expectClose(vmap(grad((u: Tensor) => w.sum(ck(u))))(X3), w.mul(w.mul(X3, 2), w.cos(w.mul(X3, X3))), 1e-14);
  });

  it("bad input: clear errors, and the next call works", () => {
    expect(() => vmap((x: Tensor, y: Tensor) => w.add(x, y))(X, randomTensor([4, 4], 0, 1, 5))).toThrow(/batch sizes differ: argument 0 \(shape \[5, 4\]\) has 5 along axis 0, but argument 1 \(shape \[4, 4\]\) has 4/);
    expect(() => vmap((x: Tensor) => x, { inAxes: 2 })(X)).toThrow(ShapeError);
    expect(() => vmap((x: Tensor) => x, { inAxes: null })(X)).toThrow(/no argument is mapped/);
    expect(() => vmap((x: Tensor) => x, { inAxes: [0, 0] })(X)).toThrow(/2 entries for a call with 1/);
    expect(() => vmap((x: Tensor) => (w.sum(x).item() > 0 ? x : w.neg(x)))(X)).toThrow(ConcretizationError);
    expect(traceDepth()).toBe(0);
    expectClose(vmap((x: Tensor) => w.sum(x))(X), w.sum(X, 1));
  });

  it("Jacobians and Hessians through vmap agree with finite differences at size 50", () => {
    const x = randomTensor([50], -1, 1, 9);
    const f = (x: Tensor) => w.add(w.sum(w.exp(w.mul(w.sin(x), w.concat([x.slice([1]), x.slice([0, 1])])))), w.div(w.square(w.sum(x)), 50));
    const H = hessian(f)(x);
    expectClose(H, w.numericalJacobian(grad(f))(x), 1e-5, 1e-6);
    expectClose(jit(hessian(f))(x), H, 1e-12, 1e-13);
  });
});

describe("vmap: inAxes and outAxes as structures (prefixes of the values', as JAX)", () => {
  const f = (p: { a: Tensor; b: Tensor }, x: Tensor) => ({ y: w.add(w.mul(p.a, x), p.b), s: w.sum(x) });
  it("per-leaf axes for an argument; per-output axes", () => {
    const r = vmap(f, { inAxes: [{ a: 0, b: null }, 0] })({ a: tensor([1, 2]), b: tensor(3) }, tensor([10, 20])) as { y: Tensor; s: Tensor };
    expect(r.y.toArray()).toEqual([13, 43]);
    expect(r.s.toArray()).toEqual([10, 20]);
    const g = (x: Tensor) => ({ row: w.mul(x, 2), col: w.sum(x) });
    const out = vmap(g, { outAxes: { row: 1, col: 0 } })(w.ones([4, 3])) as { row: Tensor; col: Tensor };
    expect(out.row.shape).toEqual([3, 4]);
    expect(out.col.shape).toEqual([4]);
    // an array argument: one axis per element
    const h = (xs: Tensor[]) => w.add(xs[0], xs[1]);
    expect(vmap(h, { inAxes: [[0, null]] })([tensor([1, 2]), tensor(10)]).toArray()).toEqual([11, 12]);
  });
  it("a structure that does not match the value is a TransformError naming both", () => {
    expect(() => vmap(f, { inAxes: [{ a: 0 }, 0] })({ a: tensor([1, 2]), b: tensor(3) }, tensor([10, 20]))).toThrow(/inAxes for argument 0 has the keys \["a"\] where the value has \["a", "b"\]/);
    expect(() => vmap(f, { inAxes: [[0, 0], 0] })({ a: tensor([1, 2]), b: tensor(3) }, tensor([10, 20]))).toThrow(/inAxes for argument 0 is an array of 2/);
    expect(() => vmap((x: Tensor) => x, { outAxes: { a: 0 } })(tensor([1, 2]))).toThrow(/outAxes is an object/);
  });
});
