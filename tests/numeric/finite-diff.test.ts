/** Numerical differentiation and the gradient checker. */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import * as w from "../../src/index.js";
import { Tensor, tensor, derivative, numericalGrad, numericalJvp, numericalJacobian, checkGrads, grad, jacrev, customJvp } from "../../src/index.js";
import { GradCheckError } from "../../src/numeric/check-grads.js";
import { expectClose } from "../helpers.js";

describe("finite differences", () => {
  it("forward, backward and central differences with their error orders", () => {
    const x = 0.7, exact = Math.cos(x);
    const errs = (["forward", "backward", "central"] as const).map((m) => Math.abs(derivative(Math.sin, x, { method: m }) - exact));
    expect(errs[0]).toBeLessThan(1e-7);
    expect(errs[1]).toBeLessThan(1e-7);
    expect(errs[2]).toBeLessThan(1e-9);
    // truncation error: O(h) one-sided, O(h²) central
    const e1 = Math.abs(derivative(Math.sin, x, { method: "forward", h: 1e-2 }) - exact);
    const e2 = Math.abs(derivative(Math.sin, x, { method: "forward", h: 1e-3 }) - exact);
    expect(e1 / e2).toBeGreaterThan(8);
    const c1 = Math.abs(derivative(Math.sin, x, { h: 1e-2 }) - exact), c2 = Math.abs(derivative(Math.sin, x, { h: 1e-3 }) - exact);
    expect(c1 / c2).toBeGreaterThan(80);
    // round-off: a tiny step is worse than the default
    expect(Math.abs(derivative(Math.sin, x, { h: 1e-13 }) - exact)).toBeGreaterThan(errs[2]);
  });
  it("numerical gradients, JVPs and Jacobians agree with AD", () => {
    const f = (x: Tensor) => w.sum(w.mul(w.exp(x), w.sin(x)));
    const x = tensor([0.1, -0.4, 0.9]);
    expectClose(numericalGrad(f)(x), grad(f)(x), 1e-8, 1e-9);
    const g = (x: Tensor) => w.stack([w.mul(x.slice(0), x.slice(1)), w.exp(x.slice(2))]);
    expectClose(numericalJacobian(g)(x), jacrev(g)(x), 1e-8, 1e-9);
    expectClose(numericalJvp(g, [x], [tensor([1, 0, 0])]), [x.slice(1).item(), 0], 1e-8, 1e-9);
    expect(numericalGrad((p: { a: Tensor; b: number }) => w.mul(p.a.sum(), p.b))({ a: tensor([1, 2]), b: 3 }).b).toBeCloseTo(3, 8);
  });
});

describe("checkGrads", () => {
  it("passes on correct derivatives, at order 2", () => {
    expect(() => checkGrads((x: Tensor, y: Tensor) => w.mul(w.tanh(x), w.softplus(y)), [tensor([0.3, -0.2]), tensor([1.1, 0.4])], { order: 2 })).not.toThrow();
  });
  it("catches a wrong rule", () => {
    const wrong = customJvp((x: Tensor) => w.sin(x), ([x], [dx]) => [w.sin(x), w.mul(dx, w.mul(1.01, w.cos(x)))]);
    expect(() => checkGrads(wrong, [tensor([0.3])], { order: 1 })).toThrow(GradCheckError);
    // a wrong second derivative only: right first-order rule, wrong curvature
    const wrong2 = customJvp((x: Tensor) => w.mul(x, x), ([x], [dx]) => [w.mul(x, x), w.mul(dx, w.add(x, x.stopGradient()))]);
    expect(() => checkGrads(wrong2, [tensor([0.3])], { order: 1 })).not.toThrow();
    expect(() => checkGrads(wrong2, [tensor([0.3])], { order: 2 })).toThrow(/order 2/);
  });
});

describe("property: AD agrees with finite differences on random compositions", () => {
  type Op = (x: Tensor) => Tensor;
  // (op, domain-safe wrapper) — compositions stay in valid domains by construction
  const ops: Record<string, Op> = {
    sin: w.sin, cos: w.cos, tanh: w.tanh, sigmoid: w.sigmoid, softplus: w.softplus,
    square: w.square, exp: (x) => w.exp(w.tanh(x)), log: (x) => w.log(w.add(w.square(x), 1)),
    sqrt: (x) => w.sqrt(w.add(w.square(x), 0.5)), atan: w.atan, scale: (x) => w.mul(x, -1.3), shift: (x) => w.add(x, 0.7),
  };
  const names = Object.keys(ops);
  it("grad, jvp and second order", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 5 }), fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }), (chain, xs) => {
        const f = (x: Tensor) => w.sum(chain.reduce((acc, n) => ops[n](acc), x));
        checkGrads(f, [tensor(xs)], { order: 2, rtol: 1e-4, atol: 1e-5 });
      }),
      { numRuns: 40, seed: 7 },
    );
  });
  it("broadcasting: the gradient of a broadcast operand sums over broadcast axes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), (m, n, rowFirst) => {
        const a = w.reshape(w.linspace(-1, 1, m * n), [m, n]);
        const b = rowFirst ? w.linspace(0.5, 1, n) : w.reshape(w.linspace(0.5, 1, m), [m, 1]);
        const gb = grad((b: Tensor) => w.sum(w.mul(a, b)))(b);
        expect(gb.shape).toEqual(b.shape);
        expectClose(gb, w.sum(a, rowFirst ? 0 : 1, !rowFirst), 1e-12, 1e-14);
      }),
      { numRuns: 30, seed: 3 },
    );
  });
});
