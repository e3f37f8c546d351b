/** Transformations: composition, structures, control flow, custom rules, and their errors. */
import { describe, it, expect } from "vitest";
import * as w from "../src/index.js";
import {
  Tensor, tensor, grad, jvp, vjp, linearize, jacfwd, jacrev, hessian, makeProgram, customJvp, customVjp,
  traceDepth, TransformError, ShapeError, TracerError, InputError, ConcretizationError, DTypeError,
} from "../src/index.js";
import { expectClose, randomTensor, toNums } from "./helpers.js";

describe("composition", () => {
  it("no perturbation confusion: d/dx [x · d/dy (x + y)] = 1", () => {
    expectClose(grad((x: Tensor) => w.mul(x, grad((y: Tensor) => w.add(x, y))(3)))(2), 1);
    const fwd = (x: Tensor) => w.mul(x, jvp((y: Tensor) => w.add(x, y), [3], [1])[1]);
    expectClose(jvp(fwd, [2], [1])[1], 1);
  });
  it("Hessian-vector product: jvp of grad equals H v", () => {
    const f = (x: Tensor) => w.sum(w.mul(w.sin(x), w.square(x)));
    const x = randomTensor([4], -1, 1, 1), v = randomTensor([4], -1, 1, 2);
    const hvp = jvp(grad(f), [x], [v])[1];
    expectClose(hvp, w.matmul(hessian(f)(x), v), 1e-12);
  });
  it("derivative of a function that takes a derivative inside (closure over an outer tracer)", () => {
    // g(a) = d/dx (a·x²) at x = 3 = 6a ⇒ g'(a) = 6
    expectClose(grad((a: Tensor) => grad((x: Tensor) => w.mul(a, w.square(x)))(3))(1.5), 6);
  });
  it("a number leaf under an outer transformation keeps its derivative", () => {
    // inner grad w.r.t. the number 3 is y; the outer derivative must see it
    expectClose(grad((y: Tensor) => grad((x: Tensor) => w.mul(x, y))(3))(2), 1);
  });
  it("linearize evaluates the staged linear program without re-running f", () => {
    let calls = 0;
    const f = (x: Tensor) => (calls++, w.sin(w.mul(x, x)));
    const x = tensor([0.3, 0.8]);
    const [y, df] = linearize(f, x);
    expect(calls).toBe(1);
    expectClose(y, toNums(x).map((v) => Math.sin(v * v)));
    expectClose(df(tensor([1, 2])), toNums(x).map((v, i) => 2 * v * Math.cos(v * v) * [1, 2][i]));
    expect(calls).toBe(1);
  });
  it("argnums selects arguments; an array gives an array of gradients", () => {
    const f = (a: Tensor, b: Tensor, c: Tensor) => w.mul(w.mul(a, b), c);
    expect(grad(f, { argnums: 1 })(2, 3, 4)).toBe(8);
    expect(grad(f, { argnums: [0, 2] })(2, 3, 4)).toEqual([12, 6]);
    expect(() => grad(f, { argnums: 5 })(1, 2, 3)).toThrow(TransformError);
  });
  it("hasAux passes auxiliary data through", () => {
    const [g, aux] = grad((x: Tensor) => [w.square(x), { note: "hi", x }], { hasAux: true })(3);
    expect(g).toBe(6);
    expect(aux.note).toBe("hi");
  });
  it("jacobians with several outputs and argnums", () => {
    const f = (x: Tensor, y: Tensor) => ({ s: w.sum(w.mul(x, y)), p: w.mul(x, 2) });
    const x = tensor([1, 2]), y = tensor([3, 4]);
    for (const jac of [jacfwd, jacrev]) {
      const J = jac(f, { argnums: [0, 1] })(x, y);
      expectClose(J.s[0], [3, 4]);
      expectClose(J.s[1], [1, 2]);
      expectClose(J.p[0], [2, 0, 0, 2]);
      expectClose(J.p[1], [0, 0, 0, 0]);
      expect(J.p[0].shape).toEqual([2, 2]);
    }
  });
});

describe("structures (the adjoint of a dict is a dict)", () => {
  it("gradient has the argument's structure; numbers get numbers; non-differentiable leaves get null", () => {
    const params = { w: tensor([1, 2]), b: 0.5, layers: [tensor([[1, 0]]), 3], name: "net", steps: tensor([1, 2], { dtype: "int32" }), flag: true };
    const loss = (p: typeof params) => w.add(w.sum(w.mul(p.w, p.w)), w.mul(p.b, p.layers[1] as number)).add(w.sum(p.layers[0] as Tensor));
    const g = grad(loss)(params);
    expectClose(g.w, [2, 4]);
    expect(g.b).toBe(3);
    expectClose(g.layers[0], [1, 1]);
    expect(g.layers[1]).toBe(0.5);
    expect(g.name).toBeNull();
    expect(g.steps).toBeNull();
    expect(g.flag).toBeNull();
  });
  it("float typed arrays are differentiable leaves", () => {
    const g = grad((x: Tensor) => w.sum(w.square(x)))(new Float64Array([1, 2]));
    expectClose(g, [2, 4]);
  });
  it("jvp and vjp on nested structures", () => {
    const f = (p: { a: Tensor; b: Tensor[] }) => ({ out: w.mul(p.a, p.b[0]), sum: w.sum(p.b[1]) });
    const p = { a: tensor([1, 2]), b: [tensor([3, 4]), tensor([5])] };
    const [out, t] = jvp(f, [p], [{ a: tensor([1, 0]), b: [tensor([0, 1]), tensor([2])] }]);
    expectClose(out.out, [3, 8]);
    expectClose(t.out, [3, 2]);
    expectClose(t.sum, 2);
    const [, back] = vjp(f, p);
    const [gp] = back({ out: tensor([1, 1]), sum: tensor(1) });
    expectClose(gp.a, [3, 4]);
    expectClose(gp.b[0], [1, 2]);
    expectClose(gp.b[1], [1]);
  });
  it("structure mismatch between primals and tangents is a clear error", () => {
    const f = (p: { a: Tensor }) => p.a;
    expect(() => jvp(f, [{ a: tensor(1) }], [{ b: tensor(1) } as never])).toThrow(/structure of the primals.*keys \{a\} vs \{b\}/);
    expect(() => jvp(w.sin, [tensor([1, 2])], [tensor([1, 2, 3])])).toThrow(/tangent 0 has shape \[3\] but its primal has shape \[2\]/);
  });
});

describe("control flow on values (eager)", () => {
  it("if/while/for on concrete values inside grad", () => {
    const f = (x: Tensor) => {
      let y = x;
      let n = 0;
      while (y.item() < 10) (y = w.mul(y, 2)), n++; // data-dependent trip count
      for (let i = 0; i < 2; i++) y = w.sin(y);
      return x.item() > 0 ? y : w.neg(y);
    };
    const x0 = 1.3;
    const d = grad(f)(x0);
    const g = (x: number) => {
      let y = x;
      while (y < 10) y *= 2;
      return Math.sin(Math.sin(y));
    };
    expectClose(d, (g(x0 + 1e-6) - g(x0 - 1e-6)) / 2e-6, 1e-6);
  });
  it("piecewise functions with comparisons and where differentiate without throwing", () => {
    const f = (x: Tensor) => w.where(w.lt(x, 0), w.square(x), w.sin(x));
    expectClose(grad((x: Tensor) => w.sum(f(x)))(tensor([-2, 0.5])), [-4, Math.cos(0.5)]);
    expectClose(jacfwd(f)(tensor([-2, 0.5])), [-4, 0, 0, Math.cos(0.5)]);
  });
  it("kink conventions: |x|'(0) = 0, relu'(0) = 0, max ties split, sqrt'(0) = ∞", () => {
    expect(grad(w.abs)(0)).toBe(0);
    expect(grad(w.relu)(0)).toBe(0);
    expect(grad(w.relu)(2)).toBe(1);
    expect(grad((x: Tensor) => w.maximum(x, x))(1)).toBe(1);
    expect(grad((x: Tensor) => w.maximum(x, 1))(1)).toBe(0.5);
    expectClose(grad((x: Tensor) => w.max(x))(tensor([1, 3, 3])), [0, 0.5, 0.5]);
    expect(grad(w.sqrt)(0)).toBe(Infinity);
    expectClose(grad(w.norm)(tensor([0, 0])), [0, 0]);
  });
  it("stable compositions have finite gradients at extremes", () => {
    expectClose(grad(w.softplus)(-800), 0);
    expectClose(grad(w.softplus)(800), 1);
    expectClose(grad(w.sigmoid)(-800), 0);
    expectClose(w.softplus(800), 800);
    expectClose(grad((x: Tensor) => w.logSumExp(x))(tensor([1000, 1000])), [0.5, 0.5]);
    expectClose(w.logSumExp(tensor([-Infinity, -Infinity])), -Infinity);
  });
});

describe("custom rules", () => {
  it("customJvp rule is used in forward and (transposed) reverse mode, at higher order too", () => {
    // a deliberately different rule shows the rule is the one used
    const f = customJvp((x: Tensor) => w.sin(x), ([x], [dx]) => [w.sin(x), w.mul(dx, w.mul(2, w.cos(x)))]);
    expectClose(jvp(f, [0.5], [1])[1], 2 * Math.cos(0.5));
    expectClose(grad(f)(0.5), 2 * Math.cos(0.5));
    expectClose(grad(grad(f))(0.5), -2 * Math.sin(0.5));
    expectClose(f(0.5), Math.sin(0.5));
  });
  it("customVjp: a clipped gradient; forward mode gives a clear error", () => {
    const clipGrad = customVjp((x: Tensor) => x, (x: Tensor) => [x, null], (_r: null, ct) => [w.clip(ct as Tensor, -1, 1)]);
    expectClose(grad((x: Tensor) => w.mul(clipGrad(x), 5))(2), 1);
    expectClose(grad((x: Tensor) => w.mul(clipGrad(x), 0.5))(2), 0.5);
    expect(() => jvp(clipGrad, [2], [1])).toThrow(/no forward-mode rule/);
  });
  it("a rule or fwd that does not return a pair is a TransformError naming what it must return (it was a TypeError)", () => {
    const bad = customJvp((x: Tensor) => w.sin(x), (() => 5) as never);
    expect(() => jvp(bad, [tensor(0.5)], [tensor(1)])).toThrow(/the rule must return \[out, tangentOut\]; got 5/);
    expect(() => grad(bad)(tensor(0.5))).toThrow(TransformError);
    const badFwd = customVjp((x: Tensor) => w.sin(x), ((x: Tensor) => w.sin(x)) as never, (_r: unknown, g: Tensor) => [g]);
    expect(() => grad(badFwd)(tensor(0.5))).toThrow(/fwd must return \[out, residuals\]/);
  });
});

describe("the evaluation trace", () => {
  it("makeProgram prints the Wengert list of f and of its gradient", () => {
    const f = (x1: Tensor, x2: Tensor) => w.sub(w.add(w.log(x1), w.mul(x1, x2)), w.sin(x2));
    const p = String(makeProgram(f)(2, 5));
    expect(p).toBe(
      ["in  x1:f64[], x2:f64[]", "  v1:f64[] = log x1", "  v2:f64[] = mul x1 x2", "  v3:f64[] = add v1 v2", "  v4:f64[] = sin x2", "  v5:f64[] = sub v3 v4", "out v5"].join("\n"),
    );
    const gp = makeProgram(grad(f, { argnums: [0, 1] }))(2, 5);
    const text = String(gp);
    expect(text).toContain("cos x2");
    expect(text).toContain("div 1 x1");
    expect(gp.program.outputs).toHaveLength(2);
  });
  it("reading a staged value gives a clear error", () => {
    expect(() => makeProgram((x: Tensor) => (x.item() > 0 ? x : w.neg(x)))(1)).toThrow(ConcretizationError);
  });
});

describe("bad input", () => {
  it("grad of a non-scalar output suggests jacrev/vjp", () => {
    expect(() => grad((x: Tensor) => w.mul(x, 2))(tensor([1, 2, 3]))).toThrow(/grad needs a scalar output; got shape \[3\]; use jacrev or vjp/);
  });
  it("shape mismatches name the op and both shapes", () => {
    expect(() => w.add(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => w.add(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(/add: shapes \[2\] and \[3\] cannot be broadcast/);
    expect(() => w.matmul(w.ones([2, 3]), w.ones([2, 3]))).toThrow(/matmul: shapes \[2, 3\] and \[2, 3\]/);
    expect(() => w.reshape(w.ones([2, 3]), [4])).toThrow(/reshape: cannot reshape \[2, 3\] \(6 elements\) to \[4\]/);
  });
  it("non-numeric data is rejected with its position", () => {
    expect(() => tensor([1, "a" as unknown as number])).toThrow(InputError);
    expect(() => tensor([1, "a" as unknown as number])).toThrow(/\[1\].*string "a"/);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => w.add(tensor(1), { x: 1 } as never)).toThrow(InputError);
  });
  it("dtype errors", () => {
    expect(() => w.where(tensor([1, 0]), 1, 2)).toThrow(DTypeError);
    expect(() => grad((x: Tensor) => w.sum(x))(tensor([1, 2], { dtype: "int32" }))).toThrow(/float output/);
  });
  it("JS operators on tensors throw instead of silently dropping derivatives", () => {
    const x = tensor(2);
    expect(() => (x as unknown as number) * 2).toThrow(/JS operators/);
    expect(`${x}`).toContain("2");
  });
  it("escaped tracers are detected", () => {
    let leaked: Tensor | null = null;
    grad((x: Tensor) => ((leaked = w.mul(x, x)), w.sum(leaked)))(tensor(1));
    expect(() => w.sin(leaked!)).toThrow(TracerError);
  });
  it("an exception inside a transformed function leaves no broken state", () => {
    expect(traceDepth()).toBe(0);
    expect(() => grad((x: Tensor) => { w.sin(x); throw new Error("boom"); })(1)).toThrow("boom");
    expect(() => hessian((x: Tensor) => { if (jvp(w.sin, [x], [1])) throw new Error("deep"); return x; })(1)).toThrow("deep");
    expect(traceDepth()).toBe(0);
    expectClose(grad(w.sin)(0), 1);
  });
});

describe("one printer for programs", () => {
  it("a derivative program prints as IR, infix, let-bound, LaTeX and JS, and the JS computes it", () => {
    const f = (x1: Tensor, x2: Tensor) => w.sub(w.add(w.log(x1), w.mul(x1, x2)), w.sin(x2));
    const p = makeProgram(grad(f, { argnums: [0, 1] }))(2, 5);
    expect(p.format("ir")).toBe(String(p));
    const [g1, g2] = p.format("infix").split("\n");
    expect(w.symbolic.evaluate(w.parse(g1), { x1: 2, x2: 5 })).toBeCloseTo(5.5, 14);
    expect(w.symbolic.evaluate(w.parse(g2), { x1: 2, x2: 5 })).toBeCloseTo(2 - Math.cos(5), 14);
    expect(p.format("latex")).toContain("\\frac{1}{x_{1}}");
    const js = new Function("a0", "a1", p.format("js")) as (a: number, b: number) => number[];
    expect(js(2, 5)).toEqual([5.5, 2 - Math.cos(5)]);
    const shared = makeProgram((x: Tensor) => { const s = w.sin(x); return w.mul(s, w.add(s, 1)); })(0.5);
    expect(shared.format("let")).toBe("t1 = sin(x)\nt1 * (t1 + 1)");
    expect(() => makeProgram((x: Tensor) => w.sum(x))(tensor([1, 2])).format("js")).toThrow(/not elementwise/);
  });
  it("traceTable: the seeds' table (values, tangents, adjoints); tensor intermediates get adjoints of their own shape (they were summed to a scalar); multi-output operations are a TransformError (a TypeError before)", () => {
    const rows = w.traceTable((x1: Tensor, x2: Tensor) => w.sub(w.add(w.log(x1), w.mul(x1, x2)), w.sin(x2)), [2, 5], [1, 0]);
    expect(rows.map((r) => r.name)).toEqual(["v-1", "v0", "v1", "v2", "v3", "v4", "v5"]);
    expect(rows.map((r) => r.expr)).toEqual(["input x1", "input x2", "log v-1", "mul v-1 v0", "add v1 v2", "sin v0", "sub v3 v4"]);
    expectClose(rows[6].value, Math.log(2) + 10 - Math.sin(5), 1e-15);
    expectClose(rows[6].tangent, 0.5 + 5, 1e-15); // ∂f/∂x1 = 1/x1 + x2
    expectClose(rows[0].adjoint, 5.5, 1e-15);
    expectClose(rows[1].adjoint, 2 - Math.cos(5), 1e-15); // ∂f/∂x2 = x1 − cos x2
    expectClose(rows[2].adjoint, 1, 0); // v̄1 = ∂f/∂v1
    const x = tensor([1, 2]);
    const t = w.traceTable((a: Tensor) => w.sum(w.mul(a, w.sin(a))), [x]);
    expect(t.map((r) => r.adjoint.shape)).toEqual([[2], [2], [2], []]);
    expectClose(t[1].adjoint, [1, 2], 0); // v̄ of sin(a) is a
    expectClose(t[0].adjoint, grad((a: Tensor) => w.sum(w.mul(a, w.sin(a))))(x), 1e-15);
    expectClose(t[3].tangent, [1, 2].reduce((s, v) => s + Math.sin(v) + v * Math.cos(v), 0), 1e-14); // along ones
    expect(() => w.traceTable((a: Tensor) => w.sum(w.linalg.svdvals(a)), [tensor([[1, 2], [3, 4]])])).toThrow(/traceTable: svd has 3 outputs/);
  });
  it("tensor constants print as arrays in formulas (item() on them was an internal ShapeError); too large ones and \"js\" say to use \"ir\"", () => {
    const q = makeProgram((x: Tensor) => w.sum(w.mul(x, tensor([1, 2, 3]))))(tensor([1, 1, 1]));
    expect(q.format("infix")).toBe("reduceSum(x * [1, 2, 3])");
    const g = makeProgram(grad((a: Tensor) => w.linalg.det(a)))(tensor([[1, 2], [3, 4]]));
    expect(g.format("latex")).toContain("\\begin{bmatrix}1 & 1 \\\\ 1 & 1\\end{bmatrix}");
    expect(() => makeProgram((x: Tensor) => w.sum(w.mul(x, w.arange(0, 20))))(w.ones([20])).format("infix")).toThrow(/too large to write into a formula; print the program in the "ir" style/);
    expect(() => q.format("js")).toThrow(/"js" writes scalar code, and this program has a constant of shape \[3\]|not elementwise/);
  });
});
