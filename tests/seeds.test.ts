/** The seeds' worked examples and closed forms, as oracles. */
import { describe, it, expect } from "vitest";
import * as w from "../src/index.js";
import { Tensor, tensor, grad, valueAndGrad, jvp, vjp, hessian, jacfwd, jacrev } from "../src/index.js";
import { expectClose, randomTensor, toNums } from "./helpers.js";

const seedF = (x1: Tensor, x2: Tensor) => w.sub(w.add(w.log(x1), w.mul(x1, x2)), w.sin(x2));

describe("seeds 001/004: f(x1, x2) = ln(x1) + x1·x2 − sin(x2) at (2, 5)", () => {
  it("value 11.652071…", () => {
    expectClose(seedF(tensor(2), tensor(5)), Math.log(2) + 10 - Math.sin(5));
    expect(seedF(tensor(2), tensor(5)).item()).toBeCloseTo(11.652071, 6);
  });
  it("forward mode: tangent 5.5 with ẋ = (1, 0), 1.7163378 with ẋ = (0, 1)", () => {
    expectClose(jvp(seedF, [2, 5], [1, 0])[1], 5.5);
    expectClose(jvp(seedF, [2, 5], [0, 1])[1], 2 - Math.cos(5));
    expect(jvp(seedF, [2, 5], [0, 1])[1].item()).toBeCloseTo(1.7163378, 7);
  });
  it("reverse mode: both partials (5.5, 1.7163378) in one pass", () => {
    const [, back] = vjp(seedF, 2, 5);
    const [g1, g2] = back(1);
    expectClose(g1, 5.5);
    expectClose(g2, 2 - Math.cos(5));
    expect(grad(seedF, { argnums: [0, 1] })(2, 5)).toEqual([5.5, 2 - Math.cos(5)]);
  });
});

describe("seed 003: f(x) = exp(x) + x·x", () => {
  it("f'(2) = e² + 4 ≈ 11.389", () => {
    const f = (x: Tensor) => w.add(w.exp(x), w.mul(x, x));
    expectClose(grad(f)(2), Math.exp(2) + 4);
    expect(grad(f)(2)).toBeCloseTo(11.389, 3);
  });
});

describe("seed 000: d/dx sin(x² + 1) = 2x cos(x² + 1)", () => {
  it("in both modes, on a vector", () => {
    const x = randomTensor([5], -2, 2, 3);
    const f = (x: Tensor) => w.sin(w.add(w.square(x), 1));
    const want = toNums(x).map((v) => 2 * v * Math.cos(v * v + 1));
    expectClose(grad((x: Tensor) => w.sum(f(x)))(x), want);
    expectClose(jvp(f, [x], [w.onesLike(x)])[1], want);
  });
});

describe("seed 002: logistic regression f = 1 / (1 + e^−(w0 + w1 x1 + w2 x2))", () => {
  it("gradient w.r.t. the weights is σ(1−σ)·(1, x1, x2), forward and reverse", () => {
    const x = [1.5, -0.5];
    const f = (wt: Tensor) => w.reciprocal(w.add(1, w.exp(w.neg(w.add(wt.slice(0), w.dot(wt.slice([1]), x))))));
    const wt = tensor([0.1, 0.4, -0.3]);
    const z = 0.1 + 0.4 * 1.5 + 0.3 * 0.5;
    const s = 1 / (1 + Math.exp(-z));
    const want = [1, ...x].map((v) => s * (1 - s) * v);
    expectClose(grad(f)(wt), want, 1e-12);
    expectClose(jacfwd(f)(wt), want, 1e-12);
    expectClose(grad((wt: Tensor) => w.sigmoid(w.add(wt.slice(0), w.dot(wt.slice([1]), x))))(wt), want, 1e-12);
  });
});

describe("closed forms", () => {
  const rosen = (x: Tensor) => {
    const a = x.slice([0, -1]), b = x.slice([1]);
    return w.sum(w.add(w.mul(100, w.square(w.sub(b, w.square(a)))), w.square(w.sub(1, a))));
  };
  const rosenGrad = (x: number[]) =>
    x.map((_, i) => {
      let g = 0;
      if (i < x.length - 1) g += -400 * x[i] * (x[i + 1] - x[i] ** 2) - 2 * (1 - x[i]);
      if (i > 0) g += 200 * (x[i] - x[i - 1] ** 2);
      return g;
    });
  const rosenHess = (x: number[]) => {
    const n = x.length;
    const H = Array.from({ length: n }, () => new Array(n).fill(0));
    for (let i = 0; i < n; i++) {
      if (i < n - 1) H[i][i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2;
      if (i > 0) H[i][i] += 200;
      if (i < n - 1) H[i][i + 1] = H[i + 1][i] = -400 * x[i];
    }
    return H.flat();
  };
  it("Rosenbrock gradient and Hessian", () => {
    const x = randomTensor([6], -1.5, 1.5, 11);
    expectClose(grad(rosen)(x), rosenGrad(toNums(x)), 1e-12);
    const H = hessian(rosen)(x);
    expect(H.shape).toEqual([6, 6]);
    expectClose(H, rosenHess(toNums(x)), 1e-12);
    expectClose(jacrev(jacfwd(rosen))(x), rosenHess(toNums(x)), 1e-12);
    expectClose(jacrev(jacrev(rosen))(x), rosenHess(toNums(x)), 1e-12);
  });
  it("1st–4th derivatives of sin, exp and x·eˣ, by grad of grad and by forward of forward", () => {
    const x0 = 0.7;
    const cases: [(x: Tensor) => Tensor, number[]][] = [
      [w.sin, [Math.cos(x0), -Math.sin(x0), -Math.cos(x0), Math.sin(x0)]],
      [w.exp, [1, 1, 1, 1].map(() => Math.exp(x0))],
      [(x) => w.mul(x, w.exp(x)), [1, 2, 3, 4].map((k) => (x0 + k) * Math.exp(x0))], // (x eˣ)^(k) = (x + k) eˣ
    ];
    for (const [f, ds] of cases) {
      let g: (x: any) => any = f;
      let h: (x: any) => any = f;
      for (let k = 0; k < 4; k++) {
        const gk = g, hk = h;
        g = grad(gk);
        h = (x: any) => jvp(hk, [x], [1])[1];
        expectClose(g(x0), ds[k], 1e-12);
        expectClose(h(x0), ds[k], 1e-12);
      }
    }
  });
  it("matmul adjoints: X̄ = Z̄ Wᵀ and W̄ = Xᵀ Z̄", () => {
    const X = randomTensor([4, 3], -1, 1, 5), W = randomTensor([3, 2], -1, 1, 6), Zbar = randomTensor([4, 2], -1, 1, 7);
    const [, back] = vjp(w.matmul, X, W);
    const [Xbar, Wbar] = back(Zbar);
    expectClose(Xbar, w.matmul(Zbar, W.T), 1e-14);
    expectClose(Wbar, w.matmul(X.T, Zbar), 1e-14);
  });
  it("Jacobians of a non-square map R³ → R², forward and reverse", () => {
    const f = (x: Tensor) => w.stack([w.mul(x.slice(0), x.slice(1)), w.sin(x.slice(2)).add(x.slice(0))]);
    const x = tensor([0.5, -1.2, 2.0]);
    const want = [-1.2, 0.5, 0, 1, 0, Math.cos(2)];
    const Jf = jacfwd(f)(x), Jr = jacrev(f)(x);
    expect(Jf.shape).toEqual([2, 3]);
    expect(Jr.shape).toEqual([2, 3]);
    expectClose(Jf, want);
    expectClose(Jr, want);
  });
  it("∏θᵢ: gradient is the product of the others, also with a zero", () => {
    const th = tensor([1.5, -2, 0.5, 3]);
    expectClose(grad((t: Tensor) => w.prod(t))(th), [-3, 2.25, -9, -1.5]);
    expectClose(grad((t: Tensor) => w.prod(t))(tensor([2, 0, 3])), [0, 6, 0]);
  });
  it("valueAndGrad returns the value too", () => {
    const [v, g] = valueAndGrad((x: Tensor) => w.sum(w.square(x)))(tensor([1, 2]));
    expectClose(v, 5);
    expectClose(g, [2, 4]);
  });
});
