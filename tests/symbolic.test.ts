/** @file Symbolic differentiation: parsing, derivatives as expressions, simplification, printing, compiling, safety. */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import * as w from "../src/index.js";
import { Tensor, symbol, parse, diff, gradient, jacobian, simplify, compile, toExpr, dagSize, treeSize, ParseError, symbolic, grad, tensor } from "../src/index.js";
import { replay, variables } from "../src/symbolic/expr.js";
import { diffCommand } from "../src/cli/diff.js";
import { derivative } from "../src/numeric/finite-diff.js";
import { expectClose, propertyRuns } from "./helpers.js";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(a) + Math.abs(b));
const at = (e: w.Expr, values: Record<string, number>) => e.evaluate(values);

/** The engine's value of d/dx of a parsed expression at a point (AD on numbers, not symbols). */
function adDerivative(e: w.Expr, wrt: string, point: Record<string, number>): number {
  const f = (xt: Tensor) => {
    const env = new Map<w.Expr, Tensor>(Object.entries(point).map(([k, v]) => [symbol(k), tensor(v)]));
    env.set(symbol(wrt), xt);
    return replay([e], env)[0];
  };
  return grad(f)(tensor(point[wrt])).item();
}

describe("parse", () => {
  it.each([
    ["2*3+4", 10],
    ["2+3*4", 14],
    ["2^3^2", 512], // right-associative
    ["-2^2", -4], // unary minus binds looser than ^
    ["(-2)^2", 4],
    ["2^-1", 0.5],
    ["8/4/2", 1], // left-associative
    ["7-2-1", 4],
    ["1e-3*1000", 1],
    [".5 + 2.", 2.5],
    ["2**3", 8],
    ["-(1+2)*-3", 9],
    ["pi", Math.PI],
    ["e", Math.E],
    ["ln(e^2)", 2],
    ["max(1, 2) + min(3, -4)", -2],
    ["atan2(1, 1)", Math.PI / 4],
    ["pow(2, 10)", 1024],
  ])("%s = %d", (src, value) => {
    expect(parse(src).evaluate({})).toBeCloseTo(value, 12);
  });

  it("the seed example: ln(x1) + x1·x2 − sin(x2) at (2, 5)", () => {
    const f = parse("ln(x1) + x1*x2 - sin(x2)");
    expect(variables(f)).toEqual(["x1", "x2"]);
    expect(at(f, { x1: 2, x2: 5 })).toBeCloseTo(11.652071455223084, 13);
    const g = gradient(f, ["x1", "x2"]);
    expectClose(g.map((d) => at(d, { x1: 2, x2: 5 })), [5.5, 2 - Math.cos(5)], 1e-15);
    expect(g.map((d) => simplify(d).toInfix())).toEqual(["x2 + 1 / x1", "x1 - cos(x2)"]);
  });

  it("every function of the grammar evaluates like Math at a point in its domain", () => {
    const cases: [string, number][] = [
      ["sin(x)", Math.sin(0.3)], ["cos(x)", Math.cos(0.3)], ["tan(x)", Math.tan(0.3)],
      ["asin(x)", Math.asin(0.3)], ["acos(x)", Math.acos(0.3)], ["atan(x)", Math.atan(0.3)],
      ["sinh(x)", Math.sinh(0.3)], ["cosh(x)", Math.cosh(0.3)], ["tanh(x)", Math.tanh(0.3)],
      ["exp(x)", Math.exp(0.3)], ["expm1(x)", Math.expm1(0.3)], ["log(x)", Math.log(0.3)], ["log1p(x)", Math.log1p(0.3)],
      ["sqrt(x)", Math.sqrt(0.3)], ["abs(-x)", 0.3], ["sign(-x)", -1], ["sigmoid(x)", 1 / (1 + Math.exp(-0.3))],
      ["softplus(x)", Math.log1p(Math.exp(0.3))], ["relu(-x)", 0],
      ["asinh(x)", Math.asinh(0.3)], ["acosh(1 + x)", Math.acosh(1.3)], ["atanh(x)", Math.atanh(0.3)], ["exp2(x)", 2 ** 0.3],
      ["log2(x)", Math.log2(0.3)], ["log10(x)", Math.log10(0.3)], ["cbrt(-x)", Math.cbrt(-0.3)], ["hypot(x, 0.4)", 0.5],
    ];
    for (const [src, v] of cases) expect(rel(parse(src).evaluate({ x: 0.3 }), v), src).toBeLessThan(1e-15);
  });
  it("typographic signs read as operators: − (U+2212) as -, × and · as *", () => {
    expect(parse("x − 1").evaluate({ x: 3 })).toBe(2);
    expect(parse("−x^2 + 2 × x · y").evaluate({ x: 3, y: 2 })).toBe(3);
    expect(parse("x − 1").toInfix()).toBe("x - 1");
  });

  it("parse errors give line, column, a caret and what was expected", () => {
    const err = (src: string) => {
      try {
        parse(src);
      } catch (e) {
        expect(e).toBeInstanceOf(ParseError);
        return e as ParseError;
      }
      throw new Error(`no error for ${src}`);
    };
    const e1 = err("x + * 2");
    expect([e1.line, e1.column]).toEqual([1, 5]);
    expect(e1.message).toContain("expected a number, a name");
    expect(e1.message).toContain("x + * 2\n      ^");
    const e2 = err("x +\n  sin(x) $ 2");
    expect([e2.line, e2.column]).toEqual([2, 10]);
    expect(e2.message).toMatch(/unexpected character "\$"/);
    expect(e2.message).toContain("  sin(x) $ 2\n           ^");
    expect(err("(x + 1").message).toContain(`")" to close the "("`);
    expect(err("foo(x)").message).toMatch(/unknown function "foo"; known functions: sin, cos, tan/);
    expect(err("sin(x, y)").message).toContain("sin takes 1 argument; got 2");
    expect(err("sin + 1").message).toContain("sin is a function; call it as sin(…)");
    expect(err("x y").message).toContain("expected an operator");
    expect(err("").message).toContain("found the end of the input");
  });
});

describe("derivatives as expressions", () => {
  it("closed forms", () => {
    const x = 0.7;
    const cases: [string, (x: number) => number][] = [
      ["sin(x)", Math.cos],
      ["x^3 + 2*x", (x) => 3 * x * x + 2],
      ["tan(x)", (x) => 1 / Math.cos(x) ** 2],
      ["sin(x^2 + 1)", (x) => 2 * x * Math.cos(x * x + 1)],
      ["exp(x) + x*x", (x) => Math.exp(x) + 2 * x],
      ["sqrt(x)", (x) => 0.5 / Math.sqrt(x)],
      ["x^x", (x) => x ** x * (Math.log(x) + 1)],
      ["atan(x)", (x) => 1 / (1 + x * x)],
      ["sigmoid(x)", (x) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2],
    ];
    for (const [src, d] of cases) {
      const e = parse(src);
      expect(rel(diff(e, "x").evaluate({ x }), d(x)), src).toBeLessThan(1e-14);
      expect(rel(simplify(diff(e, "x")).evaluate({ x }), d(x)), src).toBeLessThan(1e-14);
    }
  });

  it("nth derivatives: (x·eˣ)⁽ⁿ⁾ = (x + n)·eˣ and sin⁽ⁿ⁾ cycles", () => {
    for (let n = 1; n <= 6; n++) {
      expect(rel(diff(parse("x*exp(x)"), "x", n).evaluate({ x: 0.4 }), (0.4 + n) * Math.exp(0.4))).toBeLessThan(1e-14);
      const expected = [Math.sin, Math.cos, (t: number) => -Math.sin(t), (t: number) => -Math.cos(t)][n % 4](1.1);
      expect(rel(diff(parse("sin(x)"), "x", n).evaluate({ x: 1.1 }), expected)).toBeLessThan(1e-14);
    }
    expect(simplify(diff(parse("x*exp(x)"), "x", 3)).toString()).toBe("t1 = exp(x)\n3 * t1 + x * t1");
    expect(diff(parse("x^2"), "x", 0).toInfix()).toBe("x^2");
  });

  it("gradient, jacobian and hessian as expressions", () => {
    const f = parse("x^2*y + sin(x*y)");
    const p = { x: 0.5, y: -1.5 };
    const H = symbolic.hessian(f, ["x", "y"]).map((r) => r.map((e) => e.evaluate(p)));
    const s = Math.sin(p.x * p.y), c = Math.cos(p.x * p.y);
    expectClose(H, [
      [2 * p.y - p.y * p.y * s, 2 * p.x + c - p.x * p.y * s],
      [2 * p.x + c - p.x * p.y * s, -p.x * p.x * s],
    ], 1e-13);
    const J = jacobian([parse("x*y"), parse("x + y"), 3], ["x", "y"]).map((r) => r.map((e) => e.evaluate(p)));
    expectClose(J, [[p.y, p.x], [1, 1], [0, 0]]);
    expect(() => gradient(f, ["x", "x"])).toThrow(/listed twice/);
    expect(() => diff(f, parse("x + 1"))).toThrow(/with respect to a variable/);
  });

  it("expressions come from code too: symbols with the core's ops, traced wengert functions, grad on symbols", () => {
    const x = symbol("x"), y = symbol("y");
    const e = w.add(w.log(x), x.mul(y)).sub(w.sin(y)) as w.Expr;
    expect(e.toInfix()).toBe("log(x) + x * y - sin(y)");
    const traced = toExpr((a, b) => a.mul(b).sin().add(w.square(a) as w.Expr), ["a", "b"]);
    expect(traced.toInfix()).toBe("sin(a * b) + a^2");
    // the core's grad runs on symbols and returns the derivative expression
    const d = grad((t: Tensor) => w.sin(t).mul(t))(x) as w.Expr;
    expect(d.toInfix()).toBe("sin(x) + x * cos(x)");
    expect(() => x.item()).toThrow(/symbolic expression has no numeric value/);
    expect(() => x.add(tensor([1, 2]) as never)).toThrow(/symbolic expressions are scalars/);
  });
});

describe("no expression swell", () => {
  const logistic = (k: number) => {
    let l = symbol("x");
    for (let i = 0; i < k; i++) l = l.mul(4).mul(l.neg().add(1));
    return l;
  };

  it("d l_k/dx of the logistic map has a DAG linear in k (k ≤ 50, under a second) and matches AD to 1e-12", () => {
    const t0 = performance.now();
    const sizes: number[] = [];
    for (const k of [10, 20, 30, 40, 50]) {
      const d = diff(logistic(k), "x");
      sizes.push(dagSize(d));
      const x0 = 0.3;
      // AD on numbers: forward mode through the same iteration
      const ad = w.jvp((x: Tensor) => {
        let l = x;
        for (let i = 0; i < k; i++) l = l.mul(4).mul(l.neg().add(1));
        return l;
      }, [x0], [1])[1].item();
      expect(rel(d.evaluate({ x: x0 }), ad)).toBeLessThan(1e-12);
      expect(rel(compile(d, ["x"])(x0), ad)).toBeLessThan(1e-12);
      if (k === 50) expect(treeSize(d)).toBeGreaterThan(1e15); // what a tree would have cost
    }
    expect(performance.now() - t0).toBeLessThan(1000);
    const steps = sizes.slice(1).map((s, i) => s - sizes[i]);
    expect(new Set(steps).size).toBe(1); // constant growth per 10 iterations: linear
    expect(sizes[4]).toBeLessThan(10 * 50);
    // the printed let-form grows like the DAG
    const len = (k: number) => diff(logistic(k), "x").toString().length;
    expect(len(50) / len(25)).toBeLessThan(2.2);
  });

  it("the gradient of ∏θᵢ for n = 100 has O(n) nodes, and each entry is ∏_{j≠i} θⱼ", () => {
    const n = 100;
    const names = Array.from({ length: n }, (_, i) => `t${i}`);
    const g = gradient(parse(names.join(" * ")), names);
    expect(dagSize(...g)).toBeLessThan(5 * n);
    const point = Object.fromEntries(names.map((v, i) => [v, 1 + ((i * 37) % 11) / 20]));
    const f = compile(g, names);
    const vals = f(...names.map((v) => point[v]));
    for (let i = 0; i < n; i += 17) {
      const expected = names.reduce((p, v, j) => (j === i ? p : p * point[v]), 1);
      expect(rel(vals[i], expected)).toBeLessThan(1e-13);
    }
  });
});

describe("simplify", () => {
  it.each([
    ["x*1", "x"], ["1*x", "x"], ["x+0", "x"], ["0+x", "x"], ["x-0", "x"], ["0-x", "-x"], ["x*0", "0"],
    ["x/1", "x"], ["0/x", "0"], ["x/x", "1"], ["x-x", "0"], ["x+x", "2 * x"], ["2*x + 3*x", "5 * x"],
    ["2*x - x", "x"], ["x + 2*y - (x - y) + 1 + 2", "3 * y + 3"], ["--x", "x"], ["-(a-b)", "b - a"],
    ["x + -y", "x - y"], ["x - -y", "x + y"], ["2*3*x", "6 * x"], ["x*2*x^3*(-3)", "-6 * x^4"],
    ["x*x", "x^2"], ["x^1", "x"], ["x^0", "1"], ["1^x", "1"], ["(x^3)^2", "x^6"], ["(x^0.5)^0.5", "(x^0.5)^0.5"],
    ["exp(log(x))", "x"], ["log(exp(x))", "x"], ["exp(x)*exp(y)", "exp(x + y)"], ["sqrt(x)^2", "x"],
    ["(x*y)/x", "y"], ["(-x)/y", "-(x / y)"], ["x^-1", "1 / x"], ["2 + 3", "5"],
  ])("%s → %s", (src, expected) => {
    expect(simplify(parse(src)).toInfix()).toBe(expected);
  });

  it("never changes the value where the input is defined (random expressions)", () => {
    fc.assert(
      fc.property(exprArb, fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), (src, x, y) => {
        const e = parse(src);
        const v = e.evaluate({ x, y });
        fc.pre(Number.isFinite(v));
        const s = simplify(e).evaluate({ x, y });
        return Math.abs(s - v) <= 1e-9 * (1 + Math.abs(v));
      }),
      propertyRuns(7, 200),
    );
  });

  it("every rule has a readable identity and simplification keeps shared nodes shared", () => {
    for (const r of symbolic.RULES) expect(r.name).toMatch(/→/);
    const t = parse("sin(x)*cos(x)");
    const e = symbolic.simplifyAll([t.add(1).mul(2), t.mul(3)]);
    expect(dagSize(...e)).toBeLessThan(dagSize(e[0]) + dagSize(e[1]));
  });
});

// Random expressions over x and y, defined for every real x, y (domains guarded).
const exprArb: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("x", "y", "2", "0.5", "3"),
    tie("e").map((a) => `sin(${a})`),
    tie("e").map((a) => `cos(${a})`),
    tie("e").map((a) => `tanh(${a})`),
    tie("e").map((a) => `atan(${a})`),
    tie("e").map((a) => `sqrt(1 + (${a})^2)`),
    tie("e").map((a) => `log(2 + sin(${a}))`),
    tie("e").map((a) => `exp(sin(${a}))`),
    tie("e").map((a) => `-(${a})`),
    fc.tuple(tie("e"), tie("e")).map(([a, b]) => `(${a}) + (${b})`),
    fc.tuple(tie("e"), tie("e")).map(([a, b]) => `(${a}) - (${b})`),
    fc.tuple(tie("e"), tie("e")).map(([a, b]) => `(${a}) * (${b})`),
    fc.tuple(tie("e"), tie("e")).map(([a, b]) => `(${a}) / (2 + cos(${b}))`),
    fc.tuple(tie("e"), fc.constantFrom(2, 3)).map(([a, n]) => `(${a})^${n}`),
  ),
})).e;

describe("symbolic derivatives agree with the AD engine and with finite differences", () => {
  it("on random expressions", () => {
    fc.assert(
      fc.property(exprArb, fc.double({ min: -1.5, max: 1.5, noNaN: true }), fc.double({ min: -1.5, max: 1.5, noNaN: true }), (src, x, y) => {
        const e = parse(src);
        const d = diff(e, "x");
        const sym = d.evaluate({ x, y });
        const simp = simplify(d).evaluate({ x, y });
        const ad = adDerivative(e, "x", { x, y });
        const fd = derivative((t) => e.evaluate({ x: t, y }), x);
        expect(Math.abs(sym - ad)).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(ad)));
        expect(Math.abs(simp - ad)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(ad)));
        expect(Math.abs(fd - ad)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(ad)));
      }),
      propertyRuns(11, 150),
    );
  });
});

describe("printing", () => {
  it("infix with minimal parentheses parses back to the same value", () => {
    const srcs = ["a - (b - c)", "a / (b * c)", "(a + b) * c", "-(a * b)", "(-a)^b", "a^(b^c)", "(a^b)^c", "a^-b", "-a^b", "a - -b", "(a - b) / (a + b) ^ 2"];
    const p = { a: 1.3, b: 0.7, c: 2.1 };
    for (const src of srcs) {
      const e = parse(src);
      const [back, value] = [parse(e.toInfix()).evaluate(p), e.evaluate(p)];
      expect(Object.is(back, value) || rel(back, value) < 1e-15, `${src} printed ${e.toInfix()}`).toBe(true);
    }
    expect(parse("a - (b - c)").toInfix()).toBe("a - (b - c)");
    expect(parse("(a + b) * c").toInfix()).toBe("(a + b) * c");
    expect(parse("a + (b + c)").toInfix()).toBe("a + (b + c)"); // not a + b + c: floating point is not associative
    expect(parse("a + b + c").toInfix()).toBe("a + b + c");
    expect(parse("(-a)^b").toInfix()).toBe("(-a)^b");
    expect(parse("a^(b^c)").toInfix()).toBe("a^b^c");
  });

  it("LaTeX", () => {
    expect(parse("ln(x1) + x1*x2 - sin(x2)").toLatex()).toBe("\\ln\\left(x_{1}\\right) + x_{1} \\cdot x_{2} - \\sin\\left(x_{2}\\right)");
    expect(parse("sqrt(theta)/(1+exp(-x))^2").toLatex()).toBe("\\frac{\\sqrt{\\theta}}{{\\left(1 + e^{-x}\\right)}^{2}}");
  });

  it("the let form binds shared subexpressions once", () => {
    const s = symbol("x").sin();
    const e = s.mul(s.add(1));
    expect(e.toString()).toBe("t1 = sin(x)\nt1 * (t1 + 1)");
    expect(symbolic.formatAll([s.add(1), s.mul(2)], "let")).toEqual({ bindings: ["t1 = sin(x)"], results: ["t1 + 1", "t1 * 2"] });
  });
});

describe("compile and hostile input", () => {
  it("compile gives a fast JS function over the listed variables, in order", () => {
    const f = compile(parse("ln(x1) + x1*x2 - sin(x2)"), ["x2", "x1"]);
    expect(f(5, 2)).toBeCloseTo(11.652071455223084, 13);
    expect(compile([parse("x*y"), 2], ["x", "y"])(3, 4)).toEqual([12, 2]);
    expect(() => compile(parse("x*y"), ["x"])).toThrow(/uses "y", which is not in the variable list/);
  });

  it("identifiers are data, never code", () => {
    const hostile = ["constructor", "__proto__", "process", "toString", "hasOwnProperty", "eval", "globalThis", "Function"];
    const e = parse(hostile.join(" + "));
    expect(variables(e)).toEqual([...hostile].sort());
    const src = symbolic.toJS(e, hostile);
    for (const h of hostile) expect(src).not.toContain(h);
    const f = compile(e, hostile);
    expect(f(1, 2, 3, 4, 5, 6, 7, 8)).toBe(36);
    const values = JSON.parse(`{${hostile.map((h, i) => `"${h}": ${i + 1}`).join(", ")}}`);
    expect(e.evaluate(values)).toBe(36);
    // an inherited property is not a value: Object.prototype.constructor must not be picked up
    expect(() => parse("constructor + 1").evaluate({})).toThrow(/no value given for the variable "constructor"/);
    expect(() => parse("__proto__").evaluate({})).toThrow(/"__proto__"/);
    // quotes, semicolons and calls of unknown names do not get through the parser
    expect(() => parse(`x"); process.exit(1); ("`)).toThrow(ParseError);
    expect(() => parse("x; process.exit(1)")).toThrow(/unexpected character ";"/);
    expect(() => parse("constructor(1)")).toThrow(/unknown function "constructor"/);
    expect(() => parse("process.exit(1)")).toThrow(/unexpected character "\."/);
    // symbols built from code may have any name; still never part of the source
    const odd = symbol(`"); globalThis.pwned = 1; ("`);
    const g = compile(odd.mul(2), [odd.node.kind === "var" ? odd.node.name : ""]);
    expect(g(4)).toBe(8);
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
  });
});

describe("wengert diff (CLI)", () => {
  const run = (...argv: string[]) => {
    const lines: string[] = [];
    diffCommand(argv, (s) => lines.push(s));
    return lines.join("\n");
  };
  it("prints the derivative, and at a point its value beside AD and a central difference", () => {
    const out = run("ln(x1) + x1*x2 - sin(x2)", "--wrt", "x2", "--at", "x1=2,x2=5");
    expect(out).toContain("d/dx2 log(x1) + x1 * x2 - sin(x2) =\nx1 - cos(x2)");
    const value = (label: string) => Number(new RegExp(`${label}\\s+(\\S+)`).exec(out)![1]);
    expect(value("symbolic")).toBeCloseTo(1.7163378145367738, 14);
    expect(value("AD \\(engine\\)")).toBeCloseTo(1.7163378145367738, 14);
    expect(value("central difference")).toBeCloseTo(1.7163378145367738, 8);
  });
  it("--order, --simplify and --latex", () => {
    expect(run("x*exp(x)", "--order", "3", "--simplify")).toContain("t1 = exp(x)\n3 * t1 + x * t1");
    expect(run("sin(x)^2", "--simplify", "--latex")).toContain("2 \\cdot \\cos\\left(x\\right) \\cdot \\sin\\left(x\\right)");
    const third = run("x*exp(x)", "--order", "3", "--at", "x=1");
    expect(Number(/AD \(engine\)\s+(\S+)/.exec(third)![1])).toBeCloseTo(4 * Math.E, 12);
  });
  it("bad input", () => {
    expect(() => run("x + y")).toThrow(/--wrt/);
    expect(() => run("x", "--order", "0")).toThrow(/integer from 1 to 10/);
    expect(() => run("x*y", "--wrt", "x", "--at", "x=2")).toThrow(/no value for y/);
    expect(() => run("x", "--at", "x=abc")).toThrow(/name=number/);
  });
});
