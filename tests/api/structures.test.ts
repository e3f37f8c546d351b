/**
 * Structures where JAX takes pytrees: vjp with hasAux, customJvp and customVjp on structures of
 * tensors (arguments, results, tangents and cotangents), under grad, jvp, jit and vmap.
 */
import { describe, it, expect } from "vitest";
import * as w from "../../src/index.js";
import { type Tensor } from "../../src/index.js";
import { expectClose, toNums } from "../helpers.js";

describe("vjp with hasAux", () => {
  it("returns [out, pullback, aux], aux as primal values, the pullback ignoring aux", () => {
    const f = (x: Tensor) => [w.mul(w.sin(x), 2), { sq: w.square(x), label: "x" }] as [Tensor, { sq: Tensor; label: string }];
    const x = w.tensor([0.5, 1.5]);
    const [out, back, aux] = w.vjp(f, x, { hasAux: true });
    expectClose(out, toNums(x).map((v) => 2 * Math.sin(v)));
    expectClose(aux.sq, [0.25, 2.25]);
    expect(aux.label).toBe("x");
    const [g] = back(w.tensor([1, 10]));
    expectClose(g, [2 * Math.cos(0.5), 20 * Math.cos(1.5)]);
    // under an outer grad, aux still depends on the input as the primal does
    const outer = w.grad((t: Tensor) => w.sum(w.vjp(f, t, { hasAux: true })[2].sq))(x);
    expectClose(outer, [1, 3]);
  });
  it("a primal that is a plain object is still a primal (only { hasAux: boolean } alone is the option)", () => {
    const [out, back] = w.vjp((p: { a: Tensor; hasAux: Tensor }) => w.mul(p.a, p.hasAux), { a: w.tensor(2), hasAux: w.tensor(3) });
    expectClose(out, 6);
    const [g] = back(w.tensor(1));
    expectClose(g.a, 3);
    expect(() => w.vjp((x: Tensor) => x, w.tensor(1), { hasAux: true })).toThrow(/hasAux needs f to return \[output, aux\]/);
  });
});

describe("customJvp and customVjp on structures", () => {
  // f({ x, y }) = { prod: x·y, sum: x + y }, with the rule written on the structure
  type In = { x: Tensor; y: Tensor };
  type Out = { prod: Tensor; sum: Tensor };
  const plain = (p: In): Out => ({ prod: w.mul(p.x, p.y), sum: w.add(p.x, p.y) });
  let ruleCalls = 0;
  const cj = w.customJvp(plain, ([p], [t]) => {
    ruleCalls++;
    return [plain(p), { prod: w.add(w.mul(t.x, p.y), w.mul(p.x, t.y)), sum: w.add(t.x, t.y) }];
  });
  const cv = w.customVjp(
    plain,
    (p: In) => [plain(p), p] as [Out, In],
    (p: In, ct: Out) => [{ x: w.add(w.mul(ct.prod, p.y), ct.sum), y: w.add(w.mul(ct.prod, p.x), ct.sum) }],
  );
  const p = { x: w.tensor([1, 2]), y: w.tensor([3, -1]) };
  const loss = (f: (p: In) => Out) => (q: In) => w.sum(w.add(w.square(f(q).prod), w.sin(f(q).sum)));

  it("give f's values and structure", () => {
    for (const f of [cj, cv]) {
      const o = f(p);
      expectClose(o.prod, [3, -2]);
      expectClose(o.sum, [4, 1]);
    }
  });
  it("gradients through them equal the plain function's (and the jvp rule is used)", () => {
    const want = w.grad(loss(plain))(p);
    ruleCalls = 0;
    for (const f of [cj, cv]) {
      const g = w.grad(loss(f))(p);
      expectClose(g.x, want.x, 1e-12);
      expectClose(g.y, want.y, 1e-12);
    }
    expect(ruleCalls).toBeGreaterThan(0);
    const [, t] = w.jvp(cj, [p], [{ x: w.tensor([1, 0]), y: w.tensor([0, 1]) }]);
    expectClose(t.prod, [3, 2]);
    expectClose(t.sum, [1, 1]);
  });
  it("under jit and vmap", () => {
    const want = w.grad(loss(plain))(p);
    for (const f of [cj, cv]) {
      const g = w.jit(w.grad(loss(f)))(p);
      expectClose(g.x, want.x, 1e-12);
      const batched = w.vmap(f)({ x: w.tensor([[1, 2], [3, 4]]), y: w.tensor([[1, 1], [2, 2]]) });
      expectClose(batched.prod, [[1, 2], [6, 8]]);
    }
  });
  it("a rule or bwd returning the wrong structure is an error naming the function", () => {
    const bad = w.customJvp(plain, ([q], [t]) => [plain(q), { prod: t.x }] as unknown as [Out, Out], "pairOps");
    expect(() => w.jvp(bad, [p], [p])).toThrow(/pairOps: the rule's tangent output must have the structure of the output/);
    const badV = w.customVjp(plain, (q: In) => [plain(q), q] as [Out, In], (q: In) => [{ x: q.x }], "pairVjp");
    expect(() => w.grad(loss(badV))(p)).toThrow(/pairVjp: bwd's cotangent 0 must have the structure of argument 0/);
  });
});
