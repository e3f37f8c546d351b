/** @file erf, erfc and gelu: known values, every code path that generates code (jit, eager fusion, compiled expressions), derivatives. */
import { describe, it, expect } from "vitest";
import * as w from "../src/index.js";
import { Tensor, tensor, grad, jit, jvp, parse, compile, diff } from "../src/index.js";
import { expectClose } from "./helpers.js";

// Reference values of erf and erfc (to 19 digits, from tables).
const ERF: [number, number][] = [[0.1, 0.1124629160182848922], [0.5, 0.5204998778130465377], [1, 0.8427007929497148693], [1.5, 0.9661051464753107271], [2, 0.9953222650189527342], [3, 0.9999779095030014146]];
const ERFC: [number, number][] = [[1, 0.1572992070502851307], [2, 4.677734981047265838e-3], [3, 2.209049699858544137e-5], [5, 1.537459794428034850e-12], [10, 2.088487583762544757e-45]];

describe("erf, erfc, gelu", () => {
  it("match tabulated values to a few ulps, odd/even symmetry included", () => {
    for (const [x, v] of ERF) {
      expectClose(w.erf(x), v, 4e-16, 0);
      expectClose(w.erf(-x), -v, 4e-16, 0);
    }
    for (const [x, v] of ERFC) expectClose(w.erfc(x), v, 1e-15, 0);
    expectClose(w.erfc(-1), 2 - 0.1572992070502851307, 1e-15, 0);
    expect(w.erf(0).item()).toBe(0);
    expect(w.erf(Infinity).item()).toBe(1);
    expect(w.erfc(Infinity).item()).toBe(0);
    expect(Number.isNaN(w.erf(NaN).item())).toBe(true);
  });

  it("generated code calls the helper: eager fusion (large arrays), jit and compiled expressions agree with the scalar path", () => {
    const xs = w.linspace(-4, 4, 1001);
    const eager = w.erf(xs).add(w.erfc(xs)); // ≥ 256 elements: a fused loop
    expectClose(eager, Array.from({ length: 1001 }, () => 1), 1e-15, 2e-16);
    const jf = jit((x: Tensor) => w.erf(x).mul(w.erfc(x)));
    expect(jf.lower(xs).source).toContain("h_erf(");
    expectClose(jf(xs), w.erf(xs).mul(w.erfc(xs)), 0, 0);
    const f = compile(parse("erf(x) * erfc(y)"), ["x", "y"]);
    expectClose(f(0.5, 2), 0.5204998778130465377 * 4.677734981047265838e-3, 1e-15);
    expect(diff(parse("erf(x)"), "x").toInfix()).toBe("1.1283791670955126 * exp(-x^2)");
  });

  it("derivatives: 2/√π e^(−x²) and its negative, to second order; float32 keeps its dtype", () => {
    const d = (x: number) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x);
    expectClose(grad((x: Tensor) => w.erf(x))(0.7), d(0.7), 1e-15);
    expectClose(grad((x: Tensor) => w.erfc(x))(0.7), -d(0.7), 1e-15);
    expectClose(grad(grad((x: Tensor) => w.erf(x)))(0.7), -2 * 0.7 * d(0.7), 1e-14);
    expect(w.erf(tensor([0.5], { dtype: "float32" })).dtype).toBe("float32");
  });

  it("gelu: exact x·Φ(x) and JAX's tanh approximation, with gradients", () => {
    const phi = (x: number) => 0.5 * (1 + w.erf(x / Math.SQRT2).item());
    for (const x of [-3, -0.5, 0, 0.8, 2.5]) {
      expectClose(w.gelu(x, false), x * phi(x), 1e-13, 1e-17); // the reference's 1 + erf cancels for x < 0
      expectClose(w.gelu(x), 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))), 1e-15, 1e-17);
      const h = 1e-6;
      expectClose(grad((t: Tensor) => w.gelu(t, false))(x), (x + h) * phi(x + h) / (2 * h) - (x - h) * phi(x - h) / (2 * h), 1e-8, 1e-9);
    }
    const c = Math.sqrt(2 / Math.PI);
    const dApprox = (x: number) => {
      const th = Math.tanh(c * (x + 0.044715 * x ** 3));
      return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * c * (1 + 3 * 0.044715 * x * x);
    };
    expectClose(jvp((t: Tensor) => w.gelu(t), [tensor([1, 2])], [tensor([1, 1])])[1], [dApprox(1), dApprox(2)], 1e-14);
    expect(w.gelu(-40, false).item()).toBe(-0); // no overflow, the exact form keeps its sign of zero
  });
});
