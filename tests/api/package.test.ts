/** Uses only the package name, as a user would. */
import { describe, it, expect } from "vitest";
import { tensor, grad, jvp, hessian, sum, sin, mul, Tensor, checkGrads, makeProgram, catalogue } from "wengert";

describe("the package as a user sees it", () => {
  it("exports tensors, ops and transformations that work together", () => {
    const f = (x: Tensor) => sum(mul(sin(x), x));
    const x = tensor([0.1, 0.2]);
    const g = grad(f)(x);
    expect(g.shape).toEqual([2]);
    expect(g.toArray()).toEqual([0.1, 0.2].map((v) => Math.sin(v) + v * Math.cos(v)));
    expect(hessian(f)(x).shape).toEqual([2, 2]);
    expect(jvp(f, [x], [tensor([1, 0])])[1].item()).toBeCloseTo(Math.sin(0.1) + 0.1 * Math.cos(0.1), 14);
    expect(() => checkGrads(f, [x])).not.toThrow();
    expect(String(makeProgram(f)(x))).toContain("sin");
    expect(Object.keys(catalogue).length).toBeGreaterThan(20);
  });
  it("methods chain", () => {
    expect(tensor([1, 2, 3]).mul(2).add(1).sum().item()).toBe(15);
  });
});
