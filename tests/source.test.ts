/**
 * @file Source transformation: golden files of printed derivatives (tests/source/golden, rewritten
 * with UPDATE_GOLDEN=1), every example checked against central differences and between modes,
 * randomly generated programs inside the subset (reverse vs forward vs central differences, the
 * dot-product test, agreement with eager grad), rejection of every construct outside the subset
 * with its line and column, the interpreter used when new Function is refused, and hostile names.
 */
import { describe, it, expect } from "vitest";
import { readFileSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { parse as babelParse } from "@babel/parser";
import { generate } from "astring";
import { sourceGrad, sourceValueAndGrad, sourceJvp, sourceVjp, SourceError, grad, tensor, symbolic, Tensor } from "../src/index.js";
import * as w from "../src/index.js";
import { SOURCE_EXAMPLES } from "../src/source/examples.js";
import { interpret } from "../src/source/interpret.js";
import { normalize } from "../src/source/normalize.js";
import { forwardMode, reverseMode } from "../src/source/derive.js";
import { Tape, zerosOf } from "../src/source/runtime.js";
import { propertyRuns, toNums } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const goldenDir = join(here, "source", "golden");


/** The numbers of a structure, in order. */
function leaves(x: unknown): number[] {
  if (typeof x === "number") return [x];
  if (ArrayBuffer.isView(x)) return Array.from(x as Float64Array);
  if (Array.isArray(x)) return x.flatMap(leaves);
  if (x && typeof x === "object") return Object.values(x).flatMap(leaves);
  throw new Error(`not numeric: ${String(x)}`);
}

/** `x` with its numbers replaced, in order, by `vals`. */
function rebuild(x: unknown, vals: number[], at = { i: 0 }): unknown {
  if (typeof x === "number") return vals[at.i++];
  if (x instanceof Float64Array) return Float64Array.from(x, () => vals[at.i++]);
  if (Array.isArray(x)) return x.map((v) => rebuild(v, vals, at));
  return Object.fromEntries(Object.entries(x as object).map(([k, v]) => [k, rebuild(v, vals, at)]));
}

/** Central differences of a scalar function of args, for the args in argnums. */
function centralGrad(f: (...a: unknown[]) => number, args: unknown[], argnums: number[], h = 1e-6): number[][] {
  return argnums.map((i) => {
    const base = leaves(args[i]);
    return base.map((_, k) => {
      const at = (d: number) => {
        const v = base.slice();
        v[k] += d;
        const a = args.slice();
        a[i] = rebuild(args[i], v);
        return f(...a);
      };
      return (at(h) - at(-h)) / (2 * h);
    });
  });
}

/** One-sided differences (x + h − x) / h for each number of the two arguments [x, y]. */
function oneSided(f: (...a: unknown[]) => number, [x, y]: unknown[], h: number): number[] {
  const f0 = f(x, y);
  const xs = x as number[];
  return [...xs.map((_, k) => (f(xs.map((v, j) => (j === k ? v + h : v)), y) - f0) / h), (f(x, (y as number) + h) - f0) / h];
}

function close(a: number[], b: number[], tol: number): boolean {
  return a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= tol * (1 + Math.abs(b[i])));
}

/** The example's own function, run as plain JavaScript. */
function plain(source: string, name: string): (...a: unknown[]) => number {
  return new Function(`${source}\nreturn ${name};`)() as (...a: unknown[]) => number;
}

describe("source transformation: examples", () => {
  for (const ex of SOURCE_EXAMPLES) {
    it(`${ex.name}: reverse = forward = central differences, value = the function's`, () => {
      const f = plain(ex.source, ex.fn);
      const [v, g] = sourceValueAndGrad(ex.source, { name: ex.fn, argnums: ex.argnums })(...ex.args);
      const gf = sourceGrad(ex.source, { name: ex.fn, argnums: ex.argnums, mode: "forward" })(...ex.args);
      expect(v).toBe(f(...ex.args));
      const fd = centralGrad(f, ex.args, ex.argnums);
      const rev = (g as unknown[]).map(leaves), fwd = (gf as unknown[]).map(leaves);
      rev.forEach((r, k) => {
        expect(close(r, fwd[k], 1e-12)).toBe(true);
        expect(close(r, fd[k], 1e-6)).toBe(true);
      });
      // the gradient has each argument's structure
      ex.argnums.forEach((i, k) => expect(JSON.stringify(rebuild(ex.args[i], rev[k].map(() => 0)))).toBe(JSON.stringify(rebuild((g as unknown[])[k], rev[k].map(() => 0)))));
    });

    it(`${ex.name}: printed derivative matches the golden file and parses`, () => {
      const rev = sourceGrad(ex.source, { name: ex.fn, argnums: ex.argnums }).source;
      const fwd = sourceJvp(ex.source, { name: ex.fn, argnums: ex.argnums }).source;
      const text = `// ${ex.name}: reverse mode\n${rev}\n// ${ex.name}: forward mode\n${fwd}`;
      babelParse(rev, { sourceType: "script" });
      babelParse(fwd, { sourceType: "script" });
      const file = join(goldenDir, `${ex.name}.js`);
      if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(file, text);
      }
      expect(text).toBe(readFileSync(file, "utf8"));
    });
  }

  it("the seed example gives the seeds' numbers", () => {
    const f = (x1: number, x2: number) => Math.log(x1) + x1 * x2 - Math.sin(x2);
    const [v, [d1, d2]] = sourceValueAndGrad(f, { argnums: [0, 1] })(2, 5) as [number, number[]];
    expect(v).toBeCloseTo(11.652071, 6);
    expect(d1).toBeCloseTo(5.5, 12);
    expect(d2).toBeCloseTo(2 - Math.cos(5), 12);
    const [, t] = sourceJvp(f, { argnums: [0, 1] })([2, 5], [1, 0]);
    expect(t).toBeCloseTo(5.5, 12);
  });

  it("the logistic map's derivative code does not grow with k (the symbolic derivative's tree does)", () => {
    const ex = SOURCE_EXAMPLES.find((e) => e.name === "logistic-map")!;
    const g = sourceGrad(ex.source, { name: ex.fn });
    const lines = g.source.split("\n").length;
    expect(lines).toBeLessThan(40);
    for (const k of [1, 5, 10]) {
      const f = plain(ex.source, ex.fn);
      const fd = centralGrad(f, [0.3, k], [0], 1e-7)[0][0];
      expect(Math.abs((g(0.3, k) as number) - fd)).toBeLessThan(1e-4 * (1 + Math.abs(fd)));
    }
    let l: symbolic.Expr = symbolic.symbol("l");
    for (let i = 0; i < 10; i++) l = l.mul(4).mul(l.neg().add(1));
    expect(symbolic.treeSize(symbolic.diff(l, "l"))).toBeGreaterThan(100 * lines);
  });

  it("shared subexpressions of a derivative are computed once into temporaries (no expression swell)", () => {
    let e = "x";
    for (let k = 0; k < 10; k++) e = `Math.sqrt(1 + ${e} * ${e} / 4)`;
    const src = `function f(x) {\n  return ${e};\n}`;
    const g = sourceGrad(src, { name: "f" });
    expect(g.source.length).toBeLessThan(3 * src.length);
    expect(g.source).toMatch(/const _t\d* = /);
    const fd = centralGrad(plain(src, "f"), [0.7], [0])[0][0];
    expect(Math.abs((g(0.7) as number) - fd)).toBeLessThan(1e-7);
    const [, t] = sourceJvp(src, { name: "f" })([0.7], [1]);
    expect(Math.abs((t as number) - fd)).toBeLessThan(1e-7);
  });

  it("Float64Array and Float32Array in, the same type out; objects keep their keys", () => {
    const g = sourceGrad(SOURCE_EXAMPLES[1].source, { name: "sumOfSquares" });
    const a = g(new Float64Array([1, 2, 3]));
    expect(a).toBeInstanceOf(Float64Array);
    expect(Array.from(a as Float64Array)).toEqual([2, 4, 6]);
    const b = g(new Float32Array([1, 2, 3]));
    expect(b).toBeInstanceOf(Float32Array);
    const p = sourceGrad(`function f(p) { let s = p.b * p.b; for (let i = 0; i < p.w.length; i++) s += p.w[i] * p.b; return s; }`, { name: "f" })({ w: [1, 2], b: 3 });
    expect(p).toEqual({ w: [3, 3], b: 9 });
  });

  it("sourceVjp of an array-valued function: pullback = transposed forward mode (dot-product test)", () => {
    const src = `function f(x, y) {
      const out = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) out[i] = Math.sin(x[i]) * y + (i > 0 ? x[i - 1] * x[i] : 0);
      return out;
    }`;
    const x = [0.3, -1.2, 0.7], y = 1.5;
    const [value, back] = sourceVjp(src, { name: "f", argnums: [0, 1] })(x, y);
    expect(Array.from(value as Float64Array)).toEqual(Array.from(plain(src, "f")(x, y) as unknown as Float64Array));
    const u = [0.1, 0.2, -0.3], ct = [1, -2, 0.5], vy = 0.7;
    const [, jv] = sourceJvp(src, { name: "f", argnums: [0, 1] })([x, y], [u, vy]);
    const [gx, gy] = back(ct) as [number[], number];
    const lhs = leaves(jv).reduce((s, t, i) => s + t * ct[i], 0);
    const rhs = leaves(gx).reduce((s, t, i) => s + t * u[i], 0) + gy * vy;
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12);
    // literal array and object outputs
    const [v2, back2] = sourceVjp(`function g(a) { return [a * a, Math.exp(a)]; }`, { name: "g" })(2);
    expect(v2).toEqual([4, Math.exp(2)]);
    expect(back2([1, 1])[0]).toBeCloseTo(4 + Math.exp(2), 12);
    const [v3, back3] = sourceVjp(`function g(a) { return { sq: a * a, cube: a * a * a }; }`, { name: "g" })(2);
    expect(v3).toEqual({ sq: 4, cube: 8 });
    expect(back3({ sq: 1, cube: 0.5 })[0]).toBeCloseTo(4 + 6, 12);
  });

  it("break, continue and early return inside loops", () => {
    const src = `function f(x, n) {
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        if (x[i] < 0) continue;
        if (s > n) break;
        s += x[i] * x[i];
        let j = 0;
        while (true) { j++; if (j > 2) break; s += Math.sin(s) * 0.1; }
      }
      for (const v of x) { if (v > 10) return v * s; }
      return s * 2;
    }`;
    const f = plain(src, "f");
    for (const [x, n] of [[[0.5, -1, 2, 0.25, 3], 4], [[0.5, -1, 2, 0.25, 30], 100], [[1, 2, 3], 0.5]] as [number[], number][]) {
      const g = sourceGrad(src, { name: "f" })(x, n) as number[];
      const gf = sourceGrad(src, { name: "f", mode: "forward" })(x, n) as number[];
      expect(close(g, gf, 1e-12)).toBe(true);
      expect(close(g, centralGrad(f, [x, n], [0])[0], 1e-6)).toBe(true);
    }
  });

  it("arrow functions, TypeScript sources, method shorthand and constants", () => {
    expect(sourceGrad((x: number) => x * x * x)(2)).toBe(12);
    const ts = `const SCALE = 3;
      interface P { w: number[] }
      export function f(x: number[], k: number): number { let s: number = 0; for (const v of x) s += (v as number) ** 2 * SCALE; return s * k!; }`;
    expect(sourceGrad(ts, { name: "f" })([1, 2], 2)).toEqual([12, 24]);
    const obj = { m(x: number) { return Math.exp(x); } };
    expect(sourceGrad(obj.m)(0)).toBe(1);
  });

  it("without new Function the derivative runs through the interpreter, with the same results", () => {
    for (const ex of SOURCE_EXAMPLES) {
      const fn = normalize("test", ex.source, ex.fn);
      const tree = reverseMode(fn, { argnums: ex.argnums, op: "test" });
      const compiled = sourceValueAndGrad(ex.source, { name: ex.fn, argnums: ex.argnums })(...ex.args);
      const [v, g] = interpret(tree, [...ex.args, 1], { Tape, zerosOf }) as [number, unknown[]];
      expect(v).toBe(compiled[0]);
      expect(leaves(g)).toEqual(leaves(compiled[1]));
    }
    // batched forward mode's code too (typed tangent storage, direction loops)
    const src = `function f(x, y) { const a = new Float64Array(x.length); let s = y; for (let i = 0; i < x.length; i++) { a[i] = Math.sin(x[i]) * s; s += a[i]; } return [s, a[1]]; }`;
    const batched = forwardMode(normalize("test", src, "f"), { argnums: [0, 1], op: "test", batch: 2 });
    const args = [new Float64Array([0.3, 0.7]), 1.5, new Float64Array([1, 0, 0, 1]), new Float64Array([0, 1])];
    const viaInterpreter = interpret(batched, args, { Tape, zerosOf });
    expect(viaInterpreter).toEqual(sourceJvp(src, { name: "f", argnums: [0, 1], batch: 2 })(args.slice(0, 2), args.slice(2)));
  });
});

describe("source transformation: second order (derivative code is inside the subset)", () => {
  for (const ex of SOURCE_EXAMPLES) {
    it(`${ex.name}: sourceJvp(sourceGrad(f)) is the Hessian-vector product (central differences of the gradient)`, () => {
      const g = sourceGrad(ex.source, { name: ex.fn, argnums: ex.argnums });
      const v = ex.argnums.map((i) => rebuild(ex.args[i], leaves(ex.args[i]).map((_, k) => Math.sin(k + 1))));
      const [gv, hv] = sourceJvp(g, { argnums: ex.argnums })(ex.args, v);
      expect(leaves(gv)).toEqual(leaves(g(...ex.args)));
      const h = 1e-6;
      const at = (t: number) => {
        const a = ex.args.slice();
        ex.argnums.forEach((i, k) => (a[i] = rebuild(ex.args[i], leaves(ex.args[i]).map((x, j) => x + t * leaves(v[k])[j]))));
        return leaves(g(...a));
      };
      const up = at(h), down = at(-h);
      expect(close(leaves(hv), up.map((u, k) => (u - down[k]) / (2 * h)), 1e-6)).toBe(true);
    });
  }

  it("agrees with wengert's hessian on the Rosenbrock function", () => {
    const ex = SOURCE_EXAMPLES.find((e) => e.name === "rosenbrock")!;
    const x = ex.args[0] as number[], v = [0.5, -1, 2, 0.25];
    const [, hv] = sourceJvp(sourceGrad(ex.source, { name: ex.fn }))([x], [v]);
    const rosen = (t: Tensor) => {
      const a = w.slice(t, [1, null]), b = w.slice(t, [0, -1]);
      return w.sum(w.add(w.mul(100, w.square(w.sub(a, w.square(b)))), w.square(w.sub(1, b))));
    };
    const H = toNums(w.hessian(rosen)(tensor(x)));
    const expected = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].reduce((s, j) => s + H[i * 4 + j] * v[j], 0));
    expect(close(leaves(hv), expected, 1e-12)).toBe(true);
  });

  it("sourceGrad(sourceGrad(f)) for functions of one number, to third order, through tapes and data-dependent loops", () => {
    const newton = SOURCE_EXAMPLES.find((e) => e.name === "newton-sqrt")!;
    const d2 = sourceGrad(sourceGrad(newton.source, { name: newton.fn }));
    expect(d2(2)).toBeCloseTo(-0.25 * 2 ** -1.5, 10);
    const logistic = SOURCE_EXAMPLES.find((e) => e.name === "logistic-map")!;
    const g1 = sourceGrad(logistic.source, { name: logistic.fn }), g2 = sourceGrad(g1);
    const fd = ((g1(0.3 + 1e-6, 4) as number) - (g1(0.3 - 1e-6, 4) as number)) / 2e-6;
    expect(Math.abs((g2(0.3, 4) as number) - fd)).toBeLessThan(1e-5 * Math.abs(fd));
    const cubic = sourceGrad(sourceGrad(sourceGrad((x: number) => x * x * x * x + Math.sin(x))));
    expect(cubic(0.7)).toBeCloseTo(24 * 0.7 - Math.cos(0.7), 10);
    expect(() => sourceGrad(sourceGrad((x: number[]) => x[0] * x[1]))).toThrow(/use sourceJvp for Hessian-vector products/);
    // forward over forward, and a derivative's code pasted into another program
    const fwd = sourceGrad((x: number, y: number) => Math.sin(x * y), { mode: "forward" });
    expect(fwd.differentiable.source).toMatch(/by forward mode/);
    expect(sourceGrad(fwd, { mode: "forward" })(0.5, 2) as number).toBeCloseTo(-4 * Math.sin(1), 12);
    const d = sourceGrad((x: number) => x * x * x).differentiable;
    const outer = `${d.source}\nfunction g(x) {\n  return ${d.name}(x) * x;\n}`;
    expect(sourceGrad(outer, { name: "g" })(2) as number).toBeCloseTo(9 * 4, 12); // d/dx 3x³ = 9x²
  });
});

describe("source transformation: √T checkpointing of loops", () => {
  it("gives the same gradients, bit for bit, for every example and for loops with arrays, branches and inner loops", () => {
    const extra = {
      name: "arrays",
      fn: "f",
      source: `function f(x, n) {
        const a = new Float64Array(x.length);
        let s = 0;
        for (let t = 0; t < n; t++) {
          for (let i = 0; i < x.length; i++) a[i] = Math.sin(a[i] + x[i] * s);
          if (a[0] > 0) s += a[1] * a[2]; else s -= 0.5 * a[0];
          let k = 0;
          while (k < 2 && s < 10) { s = s * 0.9 + 0.1; k++; }
        }
        return s + a[0] * a[1];
      }`,
      argnums: [0],
      args: [[0.3, -0.7, 1.1], 13],
    };
    for (const ex of [...SOURCE_EXAMPLES, extra]) {
      const plainGrad = sourceValueAndGrad(ex.source, { name: ex.fn, argnums: ex.argnums })(...ex.args);
      const ck = sourceValueAndGrad(ex.source, { name: ex.fn, argnums: ex.argnums, checkpoint: true });
      expect(leaves(ck(...ex.args))).toEqual(leaves(plainGrad));
      if (["logistic-map", "arrays"].includes(ex.name)) expect(ck.source).toMatch(/checkpointed/);
    }
  });

  it("differentiates the logistic function written out as y·(1 − y), from the value y holds", () => {
    // a recurrence through sigmoid: y is overwritten every step, so its reverse runs before y's old value comes back
    const src = `function f(x, a) {
  let y = 0.5;
  for (let i = 0; i < x.length; i++) {
    const z = a * x[i] + y;
    y = 1 / (1 + Math.exp(-z));
  }
  return y;
}`;
    const g = sourceGrad(src, { name: "f", argnums: [0, 1] });
    const code = (src: string) => src.slice(src.indexOf("// reverse sweep")).split("\n").filter((l) => !l.trim().startsWith("//")).join("\n");
    const reverse = code(g.source);
    expect(reverse).toMatch(/y \* \(1 - y\)/);
    expect(reverse).not.toMatch(/Math\.exp/);
    const x = [0.3, -1.2, 2.5, 0.7], a = 0.8;
    const f = (x: number[], a: number) => {
      let y = 0.5;
      for (const xi of x) y = 1 / (1 + Math.exp(-(a * xi + y)));
      return y;
    };
    const [dx, da] = g(x, a) as [number[], number];
    const h = 1e-6;
    x.forEach((_, i) => {
      const xp = x.slice(), xm = x.slice();
      xp[i] += h;
      xm[i] -= h;
      expect(dx[i]).toBeCloseTo((f(xp, a) - f(xm, a)) / (2 * h), 8);
    });
    expect(da).toBeCloseTo((f(x, a + h) - f(x, a - h)) / (2 * h), 8);
    // 1 / (Math.exp(-z) + 1) too, and the same numbers as forward mode
    const swapped = src.replace("1 / (1 + Math.exp(-z))", "1 / (Math.exp(-z) + 1)");
    const gs = sourceGrad(swapped, { name: "f", argnums: [0, 1] });
    expect(code(gs.source)).not.toMatch(/Math\.exp/);
    expect(gs(x, a)).toEqual(g(x, a));
    const fwd = sourceGrad(src, { name: "f", argnums: [1], mode: "forward" })(x, a) as number;
    expect(fwd).toBeCloseTo(da, 12);
  });

  it("hands a tape's array on to the next tape once a derivative is done with it", () => {
    const ex = SOURCE_EXAMPLES.find((e) => e.name === "logistic-map")!;
    const arrays: Float64Array[] = [];
    const push = Tape.prototype.push;
    Tape.prototype.push = function (this: Tape, v: number) {
      push.call(this, v);
      const buf = (this as unknown as { buf: Float64Array }).buf;
      if (!arrays.includes(buf)) arrays.push(buf);
    };
    const g = sourceGrad(ex.source, { name: ex.fn });
    let first: unknown, second: unknown;
    try {
      first = g(0.3, 5000);
      const grown = arrays.length;
      expect(grown).toBeGreaterThan(1); // 256 doubled past 5000 entries
      second = g(0.3, 5000);
      // the second call starts from the first one's grown array: nothing new allocated
      expect(arrays.length).toBe(grown);
    } finally {
      Tape.prototype.push = push;
    }
    expect(second).toBe(first);
    // a released tape is empty and still works
    const t = new Tape();
    t.push(1);
    t.release();
    expect(t.length).toBe(0);
    t.push(2);
    expect(t.pop()).toBe(2);
    // derivative code that releases its tape can be differentiated again (release changes no value)
    const hv = sourceGrad(sourceGrad(ex.source, { name: ex.fn }))(0.3, 5) as number;
    const h = 1e-5, fd = ((g(0.3 + h, 5) as number) - (g(0.3 - h, 5) as number)) / (2 * h);
    expect(Math.abs(hv - fd) / Math.abs(fd)).toBeLessThan(1e-6);
  });

  it("overflow follows IEEE arithmetic (README): an overwritten infinite value makes reverse mode NaN, forward mode 0; the property skips such programs", () => {
    // found by the random-program property at seed 202: s grows to ∞ in the inner loop, then s = y
    // overwrites it, so f does not depend on x[1]; reverse mode multiplies the zero adjoint by
    // sqrt′(∞) = ∞/∞ (NaN), as JAX and PyTorch do; forward mode's tangent is overwritten with the value
    const src = `function f(x, y) {
  let s = x[1];
  for (let j = 0; j < 3; j++) {
    for (let k = 0; k < 9; k++) { s = Math.sqrt(1 + (s * s) * (s * s)); s *= s; }
    s = y;
  }
  return s;
}`;
    const args = [[0.1, 0.2, 0.3], 0.5];
    const [rx, ry] = sourceGrad(src, { name: "f", argnums: [0, 1] })(...args) as [number[], number];
    const [fx, fy] = sourceGrad(src, { name: "f", argnums: [0, 1], mode: "forward" })(...args) as [number[], number];
    expect(rx[0]).toBe(0);
    expect(rx[1]).toBeNaN();
    expect(ry).toBeNaN(); // the last s = y is fine, but the two earlier ones' adjoints pass through the ∞ too
    expect([fx, fy]).toEqual([[0, 0, 0], 1]);
    expect(computesNonFinite(src, args)).toBe(true);
    expect(computesNonFinite(src.replace("k < 9", "k < 1"), args)).toBe(false);
  });

  it("a partial reads an assignment's own value only when every later change of the variable is undone first", () => {
    // found by the random-program property at seed 5150: s0 = Math.exp(y) is followed by s0 += x[2],
    // an accumulation whose old value the reverse sweep does not restore, so exp′ = s0 read exp(y) + 2·x2
    const src = `function f(x, y) {
  let s0 = y;
  for (let i = 0; i < 2; i++) {
    s0 = Math.exp(y);
    for (let j = 0; j < 2; j++) s0 += x[2];
  }
  return s0;
}`;
    const [dx, dy] = sourceGrad(src, { name: "f", argnums: [0, 1] })([0.3, 0.7, -0.4], 0.9) as [number[], number];
    expect(dy).toBeCloseTo(Math.exp(0.9), 14);
    expect(dx).toEqual([0, 0, 2]);
    expect(sourceGrad(src, { name: "f", argnums: [0, 1], checkpoint: true })([0.3, 0.7, -0.4], 0.9)).toEqual([dx, dy]);
  });

  it("a checkpointed loop re-run reads values it never assigns as the forward sweep left them (a later loop overwrote one)", () => {
    // found by the random-program property at seed 77: the re-run of the first loop read s0 = 2,
    // set by the second loop, whose reverse had not restored it
    const src = `function f(x, y) {
  let s0 = y;
  const a = new Float64Array(3);
  for (let i = 0; i < x.length; i++) { a[i] += x[i] * (s0 > 0.3 ? s0 : s0); }
  for (let i = 0; i < x.length; i++) { s0 = 2; }
  return a[0] - a[1] * a[2];
}`;
    const args = [[0.3, 0.7, -0.4], 0.9];
    const taped = sourceGrad(src, { name: "f", argnums: [0, 1] })(...args) as [number[], number];
    expect(sourceGrad(src, { name: "f", argnums: [0, 1], checkpoint: true })(...args)).toEqual(taped);
    // by hand: a = x·y, f = a0 − a1·a2
    const [x, y] = args as [number[], number];
    expect(taped[0][0]).toBeCloseTo(y, 14);
    expect(taped[0][1]).toBeCloseTo(-y * y * x[2], 14);
    expect(taped[1]).toBeCloseTo(x[0] - 2 * y * x[1] * x[2], 14);
  });

  it("keeps about 2√T tape entries instead of T, and its code can be differentiated again", () => {
    const ex = SOURCE_EXAMPLES.find((e) => e.name === "logistic-map")!;
    const peakOf = (f: (...a: unknown[]) => unknown, ...args: unknown[]) => {
      const push = Tape.prototype.push;
      let peak = 0;
      Tape.prototype.push = function (this: Tape, v: number) {
        push.call(this, v);
        peak = Math.max(peak, this.length);
      };
      try {
        f(...args);
      } finally {
        Tape.prototype.push = push;
      }
      return peak;
    };
    const T = 10_000;
    expect(peakOf(sourceGrad(ex.source, { name: ex.fn }), 0.3, T)).toBe(T);
    const ckPeak = peakOf(sourceGrad(ex.source, { name: ex.fn, checkpoint: true }), 0.3, T);
    expect(ckPeak).toBeLessThanOrEqual(3 * 100 + 2);
    expect(ckPeak).toBeGreaterThanOrEqual(100);
    const g = sourceGrad(ex.source, { name: ex.fn, checkpoint: true });
    const [, hv] = sourceJvp(g)([0.3, 5], [1]);
    expect(hv).toBeCloseTo(sourceGrad(sourceGrad(ex.source, { name: ex.fn }))(0.3, 5) as number, 6);
    expect(() => sourceGrad(ex.source, { name: ex.fn, checkpoint: true, mode: "forward" })).toThrow(/checkpoint applies to reverse mode/);
  });
});

/**
 * Whether running `src`'s function `f` on `args` computes a non-finite number anywhere: every
 * arithmetic result, call and assignment is checked (an instrumented copy of the program, printed
 * by astring). A value that overflows and is then overwritten leaves the output finite, but its
 * zero adjoint times an infinite partial makes reverse mode NaN (IEEE arithmetic, README
 * "Overflow"), so such programs say nothing about the transformation.
 */
function computesNonFinite(src: string, args: unknown[]): boolean {
  let seen = false;
  const check = (v: unknown) => {
    if (typeof v === "number" && !Number.isFinite(v)) seen = true;
    return v;
  };
  type N = { type?: string; [k: string]: unknown };
  const wrap = (n: N): N => ({ type: "CallExpression", callee: { type: "Identifier", name: "__check" }, arguments: [n], optional: false });
  const visit = (n: unknown): unknown => {
    if (Array.isArray(n)) return n.map(visit);
    if (n === null || typeof n !== "object") return n;
    const node = n as N;
    for (const k of Object.keys(node)) if (k !== "loc" && k !== "range") node[k] = visit(node[k]);
    const callee = node.type === "CallExpression" ? (node.callee as N) : null;
    const isMath = callee?.type === "MemberExpression" && (callee.object as N).type === "Identifier" && (callee.object as N).name === "Math";
    return node.type === "BinaryExpression" || node.type === "AssignmentExpression" || isMath ? wrap(node) : node;
  };
  const tree = visit(babelParse(src, { sourceType: "script", plugins: ["estree"] }).program) as Parameters<typeof generate>[0];
  const g = new Function("__check", `${generate(tree)}\nreturn f;`)(check) as (...a: unknown[]) => unknown;
  g(...args);
  return seen;
}

describe("source transformation: random programs", () => {
  // A program: statements over scalars s0..s2, the scalar argument y, the array argument x (length 3)
  // and a local array a (length 3). Expressions are smooth (no kinks where differences are taken).
  const V = ["s0", "s1", "s2", "y"];
  const expr: fc.Arbitrary<string> = fc.letrec((tie) => ({
    e: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constantFrom(...V, "x[0]", "x[2]", "a[1]", "0.5", "2"),
      fc.tuple(tie("e"), fc.constantFrom("+", "-", "*"), tie("e")).map(([a, o, b]) => `(${a} ${o} ${b})`),
      fc.tuple(tie("e"), tie("e")).map(([a, b]) => `(${a} / (1 + ${b} * ${b}))`),
      fc.tuple(fc.constantFrom("Math.sin", "Math.cos", "Math.tanh", "Math.atan"), tie("e")).map(([f, a]) => `${f}(${a})`),
      tie("e").map((a) => `Math.sqrt(1 + ${a} * ${a})`),
      tie("e").map((a) => `Math.exp(0.1 * Math.tanh(${a}))`),
      fc.tuple(tie("e"), tie("e"), tie("e")).map(([c, a, b]) => `(${c} > 0.3 ? ${a} : ${b})`),
    ),
  })).e as fc.Arbitrary<string>;
  const target = fc.constantFrom("s0", "s1", "s2", "a[0]", "a[1]", "a[2]");
  const stmt: fc.Arbitrary<string> = fc.letrec((tie) => ({
    s: fc.oneof(
      { depthSize: "small" },
      fc.tuple(target, fc.constantFrom("=", "+=", "*="), expr).map(([t, o, e]) => `${t} ${o} ${e};`),
      fc.tuple(expr, fc.array(tie("s"), { maxLength: 3 }), fc.array(tie("s"), { maxLength: 2 })).map(([c, a, b]) => `if (${c} > 0) { ${a.join(" ")} } else { ${b.join(" ")} }`),
      fc.tuple(fc.array(tie("s"), { maxLength: 3 }), expr).map(([b, e]) => `for (let i = 0; i < x.length; i++) { a[i] += x[i] * ${e}; ${b.join(" ")} }`),
      // loop-local values: recomputed in the reverse sweep when nothing they read changes in the loop, taped otherwise
      fc.tuple(expr, fc.array(tie("s"), { maxLength: 2 })).map(([e, b]) => `for (let i = 0; i < x.length; i++) { const t = ${e}; const u = t * x[i] + y; ${b.join(" ")} s1 += u * Math.tanh(t); }`),
      fc.tuple(fc.array(tie("s"), { maxLength: 2 }), expr).map(([b, e]) => `{ let k = 0; while (k < 3 && ${e} < 5) { ${b.join(" ")} k++; } }`),
      fc.tuple(fc.array(tie("s"), { maxLength: 2 }), fc.integer({ min: 0, max: 2 })).map(([b, m]) => `for (const v of x) { if (v > ${m}) break; s1 += v * s0; ${b.join(" ")} }`),
    ),
  })).s as fc.Arbitrary<string>;
  const program = fc.array(stmt, { minLength: 1, maxLength: 6 }).map(
    (ss) => `function f(x, y) {
  let s0 = y, s1 = 0.5, s2 = x[1];
  const a = new Float64Array(3);
  ${ss.join("\n  ")}
  return s0 + s1 * s2 + a[0] - a[1] * a[2];
}`,
  );

  it("reverse = forward = central differences; the dot-product test holds", () => {
    fc.assert(
      fc.property(program, fc.array(fc.integer({ min: -100, max: 100 }).map((k) => k / 67 + 0.00731), { minLength: 4, maxLength: 4 }), (src, p) => {
        const f = plain(src, "f");
        const args = [p.slice(0, 3), p[3]];
        if (!Number.isFinite(f(...args)) || Math.abs(f(...args)) > 1e4 || computesNonFinite(src, args)) return;
        const [g0, g1] = sourceGrad(src, { name: "f", argnums: [0, 1] })(...args) as [number[], number];
        const [h0, h1] = sourceGrad(src, { name: "f", argnums: [0, 1], mode: "forward" })(...args) as [number[], number];
        expect(close([...g0, g1], [...h0, h1], 1e-9)).toBe(true);
        const [c0, c1] = sourceGrad(src, { name: "f", argnums: [0, 1], checkpoint: true })(...args) as [number[], number];
        expect([...c0, c1]).toEqual([...g0, g1]);
        // central differences at three steps (an ill-conditioned program needs a small one)
        const fds = [1e-6, 1e-7, 1e-8].map((h) => centralGrad(f, args, [0, 1], h).flat());
        const ahead = oneSided(f, args, 1e-6), behind = oneSided(f, args, -1e-6);
        // at a kink the derivative taken is one side's: accept either one-sided difference there
        const near = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * (1 + Math.abs(b));
        // (a program whose derivatives run into the thousands is too ill-conditioned for differences to judge)
        if (Math.max(...[...g0, g1].map(Math.abs)) < 1e3) [...g0, g1].forEach((g, k) => expect(fds.some((d) => near(g, d[k], 1e-4)) || near(g, ahead[k], 1e-2) || near(g, behind[k], 1e-2)).toBe(true));
        // second order: the Hessian from forward over reverse is symmetric, uᵀ(H v) = vᵀ(H u)
        const hvp = sourceJvp(sourceGrad(src, { name: "f", argnums: [0, 1] }), { argnums: [0, 1] });
        const hv = (d: [number[], number]) => leaves(hvp(args, d)[1]);
        const du: [number[], number] = [[0.2, 0.1, -0.3], 0.4], dv: [number[], number] = [[-0.1, 0.5, 0.2], -0.3];
        const lhs = hv(dv).reduce((acc, t, k) => acc + t * [...du[0], du[1]][k], 0), rhs = hv(du).reduce((acc, t, k) => acc + t * [...dv[0], dv[1]][k], 0);
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-8 * (1 + Math.abs(lhs)));
        // dot-product test: ⟨J·u, 1⟩ = ⟨u, Jᵀ·1⟩
        const u = [0.3, -0.2, 0.5], uy = -0.4;
        const [, t] = sourceJvp(src, { name: "f", argnums: [0, 1] })(args, [u, uy]);
        expect(Math.abs((t as number) - (g0[0] * u[0] + g0[1] * u[1] + g0[2] * u[2] + g1 * uy))).toBeLessThan(1e-9 * (1 + Math.abs(t as number)));
        // batched forward mode (its direction loops fused across statements) = one pass per direction
        const K = 3, rx = new Float64Array(3 * K).map((_, k) => Math.sin(3 * k + 1)), ry = new Float64Array(K).map((_, k) => Math.cos(2 * k));
        const [, tb] = sourceJvp(src, { name: "f", argnums: [0, 1], batch: K })(args, [rx, ry]) as [number, Float64Array];
        for (let qq = 0; qq < K; qq++) {
          const [, t1] = sourceJvp(src, { name: "f", argnums: [0, 1] })(args, [[0, 1, 2].map((i) => rx[i * K + qq]), ry[qq]]);
          expect(Math.abs(tb[qq] - (t1 as number))).toBeLessThan(1e-12 * (1 + Math.abs(t1 as number)));
        }
      }),
      propertyRuns(20261126, 60),
    );
  }, 240_000);

  it("a sum over a loop runs both sweeps in one loop when its reverse iterations commute, with the same derivatives", () => {
    // loop bodies of local values and accumulations (joined), or with a branch or a running value (two sweeps)
    const term = fc.letrec((tie) => ({
      e: fc.oneof(
        { depthSize: "small" },
        fc.constantFrom("x[i]", "x[i + 1]", "y", "t", "0.5"),
        fc.tuple(tie("e"), fc.constantFrom("+", "-", "*"), tie("e")).map(([a, o, b]) => `(${a} ${o} ${b})`),
        fc.tuple(fc.constantFrom("Math.sin", "Math.tanh", "Math.atan"), tie("e")).map(([f, a]) => `${f}(${a})`),
      ),
    })).e as fc.Arbitrary<string>;
    const kind = fc.constantFrom("joined", "joined", "branch", "running");
    const program = fc.tuple(kind, term, term, term, fc.constantFrom("s", "0.5 * s", "s + y * y", "s * y + y", "Math.sqrt(1 + s * s)")).map(([k, a, b, c, r]) => {
      const extra = k === "branch" ? `if (x[i] > 0.2) s += ${c} * x[i]; else s -= 0.5 * ${c};` : k === "running" ? `q = q * 0.9 + x[i]; s += q * ${c};` : `s += ${c};`;
      return { k, r, src: `function f(x, y) {\n  let s = 0, q = 0.1;\n  for (let i = 0; i + 1 < x.length; i++) {\n    const t = ${a.replace(/\bt\b/g, "y")} * x[i];\n    s += ${b} * x[i + 1];\n    ${extra}\n  }\n  return ${r};\n}` };
    });
    fc.assert(
      fc.property(program, fc.array(fc.integer({ min: -100, max: 100 }).map((v) => v / 71 + 0.0093), { minLength: 6, maxLength: 6 }), ({ k, r, src }, p) => {
        const args = [p.slice(0, 5), p[5]];
        if (!Number.isFinite(plain(src, "f")(...args))) return;
        const vg = sourceValueAndGrad(src, { name: "f", argnums: [0, 1] });
        const [v, [g0, g1]] = vg(...args) as [number, [number[], number]];
        expect(v).toBe(plain(src, "f")(...args));
        const [h0, h1] = sourceGrad(src, { name: "f", argnums: [0, 1], mode: "forward" })(...args) as [number[], number];
        expect(close([...g0, g1], [...h0, h1], 1e-10)).toBe(true);
        // joined when the loop's reverse commutes and the reverse of what follows reads no value the loop makes
        expect(/both sweeps in one loop/.test(vg.source)).toBe(k === "joined" && ["s", "0.5 * s", "s + y * y"].includes(r));
        // checkpointing yields to joining (the same code), and second order still agrees
        expect(leaves(sourceValueAndGrad(src, { name: "f", argnums: [0, 1], checkpoint: true })(...args))).toEqual(leaves([v, [g0, g1]]));
        const hv = sourceJvp(sourceGrad(src, { name: "f", argnums: [0] }))(args, [[0.1, -0.2, 0.3, 0.05, -0.4]])[1] as number[];
        const hf = sourceJvp(sourceGrad(src, { name: "f", argnums: [0], mode: "forward" }))(args, [[0.1, -0.2, 0.3, 0.05, -0.4]])[1] as number[];
        expect(close(hv, hf, 1e-9)).toBe(true);
      }),
      propertyRuns(20261126, 60),
    );
  }, 120_000);

  it("forward mode declares at the top a helper's local that its last return reads after the guards", () => {
    // jump elimination puts `return s * p0 - x * p1` after the guard block that declares x and s
    const src = `function row(r0, r1, i, p0, p1) {
  const n = Math.sqrt(r0 * r0 + r1 * r1);
  if (n < 0.0001) return i === 0 ? p0 : p1;
  const x = r0 / n, s = Math.sin(n);
  if (i === 0) return x * p0 + s * p1;
  return s * p0 - x * p1;
}
function f(a, b) {
  return row(a, b, 0, a, b) + row(a, b, 1, b, a) * row(a, b, 2, a, a);
}`;
    const args = [0.7, -0.4];
    const f = plain(src, "f");
    const fwd = sourceGrad(src, { name: "f", argnums: [0, 1], mode: "forward" })(...args) as number[];
    const rev = sourceGrad(src, { name: "f", argnums: [0, 1] })(...args) as number[];
    const fd = centralGrad(f, args, [0, 1], 1e-6).flat();
    expect(close(fwd, rev, 1e-12)).toBe(true);
    expect(close(fwd, fd, 1e-7)).toBe(true);
  });

  it("partial derivatives read values the forward sweep left in variables instead of computing them again", () => {
    const src = `function f(r, x) {
  const th = Math.sqrt(r * r + 1);
  let y = 0;
  if (x > 0) {
    const c = Math.cos(th), s = Math.sin(th);
    y = c * x + s * x * x;
  } else {
    y = Math.exp(th) * x;
  }
  return y;
}`;
    const g = sourceGrad(src, { name: "f", argnums: [0, 1] });
    // d cos(th) = −sin(th): s holds it; d √u = 1/(2√u): th holds √u; d sin(th) = cos(th): c holds it
    expect(g.source).toMatch(/dth \+= dc \* -s;/);
    expect(g.source).toMatch(/dth \+= ds \* c;/);
    expect(g.source).toMatch(/\/ \(2 \* th\)/);
    expect(g.source).not.toMatch(/dth [^\n]*Math\.(sin|cos)\(th\)/);
    for (const args of [[0.4, 0.7], [0.4, -0.7]]) {
      const fwd = sourceGrad(src, { name: "f", argnums: [0, 1], mode: "forward" })(...args) as number[];
      expect(close(g(...args) as number[], fwd, 1e-13)).toBe(true);
    }
  });

  it("a dead adjoint pruned from the joining attempt is decided again when the loop is checkpointed instead", () => {
    // (found by the random-program fuzzer) the s0 update's partials simplify to zero
    const src = `function f(x, y) {
  let s0 = y, s1 = 0.5;
  const a = new Float64Array(3);
  for (let i = 0; i < x.length; i++) { a[i] += x[i] * s0; for (const v of x) { if (v > 0) break; s1 += v * s0; s0 = (x[2] - x[2]) / (1 + (s0 > 0.3 ? s0 : s0) * s0); } }
  return s0 + s1 * a[1] + a[0];
}`;
    const args = [[-0.0076, 0.0073, 0.0073], 0.0073];
    const plainGrad = sourceGrad(src, { name: "f", argnums: [0, 1] })(...args);
    expect(sourceGrad(src, { name: "f", argnums: [0, 1], checkpoint: true })(...args)).toEqual(plainGrad);
    expect(close(leaves(plainGrad), leaves(sourceGrad(src, { name: "f", argnums: [0, 1], mode: "forward" })(...args)), 1e-12)).toBe(true);
  });

  it("a value a loop only accumulates into, set just before the loop, is not saved inside it", () => {
    // (GradBench's llsq as plain loops) r is set before the inner loop and only accumulated in it;
    // p is read by the reverse sweep (dx[j] needs it), so p stays on the tape
    const src = `function llsq(x, n) {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t = -1 + (i * 2) / (n - 1);
    let r = t > 0 ? 1 : -1;
    let p = 1;
    for (let j = 0; j < x.length; j++) {
      r -= x[j] * p;
      p *= t;
    }
    total += r * r;
  }
  return total / 2;
}`;
    const g = sourceGrad(src, { name: "llsq" });
    expect(g.source).toMatch(/_tape\.push\(p\);\s*p \*= t;/);
    expect(g.source).not.toMatch(/_tape\.push\(r\);\s*r -= /);
    const x = [0.3, -0.2, 0.5, 0.1], n = 7;
    const fwd = sourceGrad(src, { name: "llsq", mode: "forward" })(x, n) as number[];
    expect(close(g(x, n) as number[], fwd, 1e-12)).toBe(true);
    expect(close(fwd, centralGrad(plain(src, "llsq"), [x, n], [0], 1e-6).flat(), 1e-7)).toBe(true);
  });

  it("batched forward mode: K directions in one pass equal K single passes; tangents hold K numbers per number", () => {
    const src = `function f(x, idx, y) {
  const a = new Float64Array(x.length);
  let s = y;
  for (let i = 0; i < x.length; i++) {
    const t = Math.sin(x[idx[i]]) * s;
    a[i] = t > 0 ? t * t : Math.exp(t) - 1;
    s = s * 0.5 + a[i];
  }
  return [s, a[0] * y];
}`;
    const x = new Float64Array([0.3, -0.8, 1.2]), idx = new Int32Array([2, 0, 1]), y = 0.7;
    const K = 4;
    const j = sourceJvp(src, { name: "f", argnums: [0, 2], batch: K });
    expect(j.source).toMatch(/along 4 directions at once/);
    const r = new Float64Array(3 * K).map((_, k) => Math.sin(k + 1)), ry = new Float64Array(K).map((_, k) => Math.cos(k));
    const [v, t] = j([x, idx, y], [r, ry]) as [number[], Float64Array[]];
    const single = sourceJvp(src, { name: "f", argnums: [0, 2] });
    for (let q = 0; q < K; q++) {
      const [v1, t1] = single([x, idx, y], [[0, 1, 2].map((i) => r[i * K + q]), ry[q]]) as [number[], number[]];
      expect(v).toEqual(v1);
      expect(close([t[0][q], t[1][q]], t1, 1e-14)).toBe(true);
    }
    // the tangents' length is checked; a differentiated integer array is refused
    expect(() => j([x, idx, y], [new Float64Array(3), ry])).toThrow(/with batch 4, tangent 0 holds 4 numbers per number of its argument \(direction fastest\): 12 numbers/);
    expect(() => sourceGrad(src, { name: "f", argnums: 1 })).not.toThrow();
    expect(() => (sourceGrad(src, { name: "f", argnums: 1 }) as (...a: unknown[]) => unknown)(x, idx, y)).toThrow(/idx is differentiated, so pass numbers/);
  });

  it("random programs agree with eager grad of the same computation written with wengert ops", () => {
    // one random expression tree, printed twice: as plain JS and as wengert ops on tensors
    type E = { js: string; w: string };
    const leaf = (js: string, wv: string): E => ({ js, w: wv });
    const ex: fc.Arbitrary<E> = fc.letrec((tie) => ({
      e: fc.oneof(
        { depthSize: "small" },
        fc.constantFrom(leaf("s", "s"), leaf("t", "t"), leaf("y", "y"), leaf("x[i]", "w.take(x, i)"), leaf("0.5", "0.5")),
        fc.tuple(tie("e") as fc.Arbitrary<E>, fc.constantFrom(["+", "add"], ["-", "sub"], ["*", "mul"]), tie("e") as fc.Arbitrary<E>).map(([a, [o, f], b]) => ({ js: `(${a.js} ${o} ${b.js})`, w: `w.${f}(${a.w}, ${b.w})` })),
        fc.tuple(fc.constantFrom("sin", "cos", "tanh", "atan", "exp"), tie("e") as fc.Arbitrary<E>).map(([f, a]) =>
          f === "exp" ? { js: `Math.exp(0.2 * Math.tanh(${a.js}))`, w: `w.exp(w.mul(0.2, w.tanh(${a.w})))` } : { js: `Math.${f}(${a.js})`, w: `w.${f}(${a.w})` },
        ),
        (tie("e") as fc.Arbitrary<E>).map((a) => ({ js: `Math.sqrt(1 + ${a.js} * ${a.js})`, w: `w.sqrt(w.add(1, w.mul(${a.w}, ${a.w})))` })),
      ),
    })).e as fc.Arbitrary<E>;
    const prog = fc.tuple(ex, ex, ex).map(([a, b, c]) => ({
      js: `function f(x, y) {\n  let s = y, t = 0.3;\n  for (let i = 0; i < x.length; i++) {\n    t = ${a.js};\n    s = ${b.js};\n  }\n  return ${c.js.replace(/x\[i\]/g, "x[0]")};\n}`,
      w: `let s = y, t = 0.3;\nfor (let i = 0; i < 3; i++) {\n  t = ${a.w};\n  s = ${b.w};\n}\nconst i = 0;\nreturn ${c.w};`,
    }));
    fc.assert(
      fc.property(prog, fc.array(fc.integer({ min: -100, max: 100 }).map((v) => v / 83 + 0.0071), { minLength: 4, maxLength: 4 }), ({ js, w: wsrc }, p) => {
        const args: [number[], number] = [p.slice(0, 3), p[3]];
        const eagerF = new Function("w", "x", "y", wsrc) as (ww: typeof w, x: Tensor, y: Tensor) => Tensor;
        const [ex0, ey] = grad((x: Tensor, y: Tensor) => eagerF(w, x, y), { argnums: [0, 1] })(tensor(args[0]), tensor(args[1]));
        const [gx, gy] = sourceGrad(js, { name: "f", argnums: [0, 1] })(...args) as [number[], number];
        expect(close([...gx, gy], [...toNums(ex0), toNums(ey)[0]], 1e-10)).toBe(true);
      }),
      propertyRuns(20261126, 40),
    );
  });

  it("agrees with eager grad on the same computation written with wengert ops", () => {
    // straight-line code and counted loops: the same statements, once as JS numbers, once as tensors
    const body = (m: typeof Math | Record<string, (...a: Tensor[]) => Tensor>, x: (i: number) => unknown, y: unknown) => {
      const M = m as unknown as Record<string, (...a: unknown[]) => unknown>;
      const add = (a: unknown, b: unknown) => (typeof a === "number" && typeof b === "number" ? a + b : w.add(a as Tensor, b as Tensor));
      const mul = (a: unknown, b: unknown) => (typeof a === "number" && typeof b === "number" ? a * b : w.mul(a as Tensor, b as Tensor));
      let s: unknown = y;
      for (let i = 0; i < 3; i++) s = add(mul(M.sin(mul(s, x(i))), M.tanh(x(i))), mul(M.exp(mul(0.1, x(i))), s));
      return s;
    };
    const src = `function f(x, y) { let s = y; for (let i = 0; i < 3; i++) s = Math.sin(s * x[i]) * Math.tanh(x[i]) + Math.exp(0.1 * x[i]) * s; return s; }`;
    const args: [number[], number] = [[0.4, -0.8, 1.1], 0.9];
    const [gx, gy] = sourceGrad(src, { name: "f", argnums: [0, 1] })(...args) as [number[], number];
    const [ex, ey] = grad((x: Tensor, y: Tensor) => body(w as never, (i) => w.take(x, i), y) as Tensor, { argnums: [0, 1] })(tensor(args[0]), tensor(args[1]));
    expect(close(gx, toNums(ex), 1e-12)).toBe(true);
    expect(Math.abs(gy - toNums(ey)[0])).toBeLessThan(1e-12);
  });
});

describe("source transformation: rejections with line and column", () => {
  const cases: [string, string, RegExp, number, number][] = [
    ["this", `function f(x) {\n  return this.k * x;\n}`, /this is not supported/, 2, 10],
    ["class", `function f(x) {\n  class A {}\n  return x;\n}`, /classes are not supported/, 2, 3],
    ["try", `function f(x) {\n  try { x = 1; } catch (e) {}\n  return x;\n}`, /try is not supported/, 2, 3],
    ["generator", `function* f(x) {\n  yield x;\n}`, /generator/, 1, 1],
    ["async", `async function f(x) {\n  return x;\n}`, /async/, 1, 1],
    ["eval", `function f(x) {\n  return eval("x");\n}`, /unknown function eval/, 2, 10],
    ["push", `function f(x) {\n  const a = [];\n  a.push(x * x);\n  return a[0];\n}`, /arrays do not grow here \(\.push is not supported\): allocate the array at its final length/, 3, 3],
    ["map", `function f(x) {\n  const a = [x, x].map((v) => v * v);\n  return a[0];\n}`, /method calls are not supported .*fill them in a loop/, 2, 13],
    ["with", `function f(x) {\n  with (Math) { x = sin(x); }\n  return x;\n}`, /cannot parse|with is not supported/, 2, 3],
    ["getter", `function f(x) {\n  const o = { get v() { return x; } };\n  return o.v;\n}`, /only arrays of numbers|not supported/, 2, 13],
    ["closure", `function f(x) {\n  const g = (y) => y * x;\n  return g(x);\n}`, /closures\) are not supported/, 2, 13],
    ["outer variable", `function f(x) {\n  return x * scale;\n}`, /unknown name scale/, 2, 14],
    ["argument mutation", `function f(x) {\n  x[0] = 1;\n  return x[0];\n}`, /arguments are read-only/, 2, 3],
    ["unknown function", `function f(x) {\n  return foo(x);\n}`, /unknown function foo/, 2, 10],
    ["Math.random", `function f(x) {\n  return x * Math.random();\n}`, /Math.random is not differentiable/, 2, 14],
    ["recursion", `function f(x) {\n  return x < 1 ? x : f(x / 2);\n}`, /calls inside \?:|recursive/, 2, 22],
    ["switch", `function f(x) {\n  switch (x) { case 1: return 1; }\n  return x;\n}`, /switch is not supported/, 2, 3],
    ["var", `function f(x) {\n  var y = x;\n  return y;\n}`, /use let or const/, 2, 3],
    ["string", `function f(x) {\n  return x + "a";\n}`, /strings/, 2, 14],
    ["array in loop", `function f(x) {\n  let s = 0;\n  for (let i = 0; i < 3; i++) {\n    const t = new Float64Array(2);\n    s += t[0];\n  }\n  return s;\n}`, /allocated at the top level of the function/, 4, 11],
    ["array in a helper called in a loop", `function g(y) {\n  const t = [y, y];\n  return t[0] * t[1];\n}\nfunction f(x) {\n  let s = 0;\n  for (let i = 0; i < 2; i++) s += g(x);\n  return s;\n}`, /helper called there/, 2, 9],
    ["modulo of a differentiated value", `function f(x) {\n  return x % 2;\n}`, /operator % is not differentiable/, 2, 10],
    ["no return", `function f(x) {\n  let y = x;\n}`, /must end with a return/, 1, 1],
    ["labelled break", `function f(x) {\n  outer: for (let i = 0; i < 2; i++) { break outer; }\n  return x;\n}`, /labels are not supported/, 2, 3],
    ["parse error", `function f(x) {\n  return x + ;\n}`, /cannot parse/, 2, 14],
    ["destructuring", `function f({ a }) {\n  return a;\n}`, /destructuring parameters/, 1, 12],
    ["array returned early", `function f(x) {\n  if (x > 0) return [x, 1];\n  return [0, x];\n}`, /returned only by the function's last statement/, 2, 21],
    ["argument returned", `function f(x) {\n  let s = x[0];\n  return x;\n}`, /copy it into a local array/, 3, 10],
    ["fill with a variable", `function f(x) {\n  const a = new Array(3).fill(x);\n  return a[0];\n}`, /fill the new array with a number/, 2, 13],
    ["shadowing a name the derivative uses", `function f(x, Tape) {\n  return x * Tape;\n}`, /Tape cannot be a variable name here/, 1, 15],
    ["delete", `function f(x) {\n  return delete x;\n}`, /cannot parse the source: Deleting/, 2, 10],
  ];
  for (const [what, src, msg, line, column] of cases) {
    it(what, () => {
      let err: unknown;
      try {
        sourceGrad(src, { name: "f" })(1);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SourceError);
      const e = err as SourceError;
      expect(e.message).toMatch(msg);
      expect([e.line, e.column]).toEqual([line, column]);
      expect(e.message).toMatch(/\n {2}.*\n {2} *\^/);
    });
  }

  it("bad calls and options are typed errors", () => {
    expect(() => sourceGrad(Math.sin)).toThrow(/built in or bound/);
    expect(() => sourceGrad("function f(x) { return x; }")).toThrow(/give the name/);
    expect(() => sourceGrad("function f(x) { return x; }", { name: "g" })).toThrow(/no function named "g"; it has f/);
    expect(() => sourceGrad((x: number) => x, { argnums: 2 })).toThrow(/argnums 2/);
    expect(() => sourceGrad((x: number) => x, { mode: "sideways" } as never)).toThrow(/mode/);
    expect(() => sourceGrad((x: number) => x, { nope: 1 } as never)).toThrow(/unknown option/);
    // cotangents and tangents must have the structure of what they pair with
    const [, pb] = sourceVjp((x: number[]) => ({ a: x[0] * x[1], b: x[1] }))([1, 2]);
    expect(() => pb([1, 1])).toThrow(/sourceVjp: the cotangent must have the structure of its value \(object\); got \[1, 1\]/);
    expect(() => pb({ a: 1, b: "s" })).toThrow(/\(number\); got "s"/);
    expect(pb({ a: 1, b: 1 })).toEqual([[2, 2]]);
    expect(() => sourceJvp((x: number[]) => x[0] * x[1])([[1, 2]], [[1]])).toThrow(/sourceJvp: tangent 0 must have the structure of its value \(array of length 2\)/);
    // each error names the function called
    expect(() => sourceGrad("function f(x) { return this.k; }", { name: "f" })).toThrow(/^sourceGrad: /);
    expect(() => sourceValueAndGrad("function f(x) { return this.k; }", { name: "f" })).toThrow(/^sourceValueAndGrad: /);
    const g = sourceGrad((x: number[]) => x[0] * 2);
    expect(() => g(3)).toThrow(/indexes its parameter x/);
    expect(() => g(["a"])).toThrow(/holds "a"/);
    expect(() => sourceGrad((x: number) => [x, x])(1)).toThrow(/must return a number/);
  });
});

describe("source transformation: sources nested deeper than the stack", () => {
  it("give a SourceError at the deepest bracket, in every entry point (they threw RangeError); shallower ones still work", () => {
    const parens = `function f(x) {\n  return ${"(".repeat(3000)}x${")".repeat(3000)};\n}`;
    const sines = `function f(x) {\n  return ${"Math.sin(".repeat(2000)}x${")".repeat(2000)};\n}`;
    const chain = `function f(x) {\n  return ${Array.from({ length: 8000 }, (_, i) => `x * ${i}`).join(" + ")};\n}`;
    for (const src of [parens, sines, chain]) {
      for (const run of [() => sourceGrad(src, { name: "f" }), () => sourceGrad(src, { name: "f", mode: "forward" }), () => sourceValueAndGrad(src, { name: "f" }), () => sourceJvp(src, { name: "f" }), () => sourceVjp(src, { name: "f" })]) {
        let err: unknown;
        try {
          run();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(SourceError);
        expect(String((err as Error).message)).toMatch(/nests too deeply for this transformation.*split deep expressions into statements/);
      }
    }
    let err: SourceError | undefined;
    try {
      sourceGrad(parens, { name: "f" });
    } catch (e) {
      err = e as SourceError;
    }
    expect([err!.line, err!.column]).toEqual([2, 3009]); // the innermost parenthesis: "  return " then 3000 of them
    // the next transformation is unaffected, and moderate nesting works
    expect(sourceGrad(`function f(x) { return ${"(".repeat(100)}x * x${")".repeat(100)}; }`, { name: "f" })(3)).toBe(6);
    expect(sourceGrad(`function f(x) { return ${Array.from({ length: 1000 }, () => "x").join(" + ")}; }`, { name: "f" })(3)).toBe(1000);
  });
});

describe("source transformation: generated code is printed from trees", () => {
  it("user comments and strange names cannot break out of the generated comments", () => {
    const src = "function f(x) {\n  const y = x /* \u2028 alert(1) \n */ * 2; // */ alert(2)\n  return y * y;\n}";
    const g = sourceGrad(src, { name: "f" });
    expect(g(3)).toBe(24);
    expect(g.source).not.toMatch(/alert/);
    const names = "function f($x, _, ɵ, x\u200c) { const \u0275\u0275 = $x * _ + ɵ * x\u200c; return \u0275\u0275 * \u0275\u0275; }";
    const h = sourceGrad(names, { name: "f", argnums: [0, 1, 2, 3] });
    const out = h(1, 2, 3, 4) as number[];
    expect(out).toEqual(centralGrad(plain(names, "f"), [1, 2, 3, 4], [0, 1, 2, 3], 1e-6).map((r) => Number(r[0].toFixed(0))));
  });

  it("user names that collide with generated ones are kept apart", () => {
    const src = `function f(x, dx, _tape, out, dout) { const d = x * dx + _tape * out; return d * dout; }`;
    const g = sourceGrad(src, { name: "f", argnums: [0, 1, 2, 3, 4] })(1, 2, 3, 4, 5) as number[];
    expect(g).toEqual(centralGrad(plain(src, "f"), [1, 2, 3, 4, 5], [0, 1, 2, 3, 4]).map((r) => Math.round(r[0] * 1e6) / 1e6));
  });
});
