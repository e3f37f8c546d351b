/**
 * @file Regression tests for issue 13 ("no silent wrong answers, no injected code"): each item an
 * outside probe found, with the value or the typed error it must give now.
 */
import { describe, it, expect, vi } from "vitest";
import * as w from "../src/index.js";
import {
  Tensor, tensor, grad, valueAndGrad, jvp, jacrev, jacfwd, hessian, jit, vmap, linearize, checkpoint, scan, numericalGrad, compile, parse, symbol, diff,
  sum, mul, add, sin, pow, minimum, arange, full, zeros, eye, linspace, broadcastTo, onesLike, softmax, logSumExp, traceDepth,
  InputError, ShapeError, TransformError, TracerError, ParseError,
} from "../src/index.js";
import { expectClose } from "./helpers.js";
import { diffCommand } from "../src/cli/diff.js";

const sq = (x: unknown) => sum(mul(x as Tensor, x as Tensor));

describe("A. silent wrong results", () => {
  it("1. plain JS arrays (and arrays of tensors) as differentiated arguments get their real gradient", () => {
    expect(grad(sq)([1, 2, 3])).toEqual([2, 4, 6]);
    expect(grad((p: { w: number[] }) => sq(p.w))({ w: [1, 2] })).toEqual({ w: [2, 4] });
    const g = grad(sq)([tensor([1, 2]), tensor([3, 4])]) as Tensor[];
    expect(g.map((t) => t.toArray())).toEqual([[2, 4], [6, 8]]);
    const [v, gv] = valueAndGrad(sq)([1, 2, 3]);
    expectClose(v, 14);
    expect(gv).toEqual([2, 4, 6]);
    expectClose(jacrev((x: number[]) => mul(x as never, 2))([1, 2]), [2, 0, 0, 2]); // one column per number leaf
    expectClose(hessian(sq)([1, 2]), [2, 0, 0, 2]);
    expectClose(jvp(sq, [[1, 2, 3]], [[1, 0, 0]])[1], 2);
    expect(jit(grad(sq))([1, 2, 3])).toEqual([2, 4, 6]);
    // tensor() of traced values stacks them; its derivative flows to each
    expectClose(grad((a: Tensor, b: Tensor) => sum(mul(tensor([a, b, 3]), tensor([1, 2, 3]))), { argnums: [0, 1] })(5, 7), [1, 2]);
    expectClose(grad((x: Tensor) => sum(tensor([[x, x], [x, 1]])))(2), 3);
  });

  it("2. a pytree key __proto__ (or constructor, toString) round-trips through every transformation", () => {
    const p = JSON.parse('{"__proto__": 2, "b": 3, "constructor": 4, "toString": 5}');
    const f = (q: Record<string, number>) => mul(mul(q.__proto__, q.b), mul(q["constructor"] as unknown as number, q["toString"] as unknown as number));
    const g = grad(f)(p);
    expect(Object.keys(g)).toEqual(["__proto__", "b", "constructor", "toString"]);
    expect(Object.getPrototypeOf(g)).toBe(Object.prototype);
    expect([g.__proto__, g.b, g.constructor, g.toString]).toEqual([60, 40, 30, 24]);
    expectClose(jit(f)(p), 120);
    const [out, tan] = jvp((q: unknown) => q, [p], [p]);
    expect(Object.keys(out as object)).toEqual(["__proto__", "b", "constructor", "toString"]);
    expect(Object.getOwnPropertyDescriptor(tan, "__proto__")!.value).toBe(2);
    const o = JSON.parse('{"__proto__": 0}');
    Object.defineProperty(o, "__proto__", { value: tensor([1, 2]), enumerable: true });
    const v = vmap((r: Record<string, Tensor>) => r.__proto__.mul(2))(o);
    expect(v.toArray()).toEqual([2, 4]);
  });

  it("3. minimum of bools and ints is the minimum (and min/argmin of int32's smallest value)", () => {
    expect(minimum(tensor([true, false, true]), tensor([false, false, true])).toArray()).toEqual([false, false, true]);
    expect(minimum(tensor([-2147483648, 5], { dtype: "int32" }), tensor([0, 3], { dtype: "int32" })).toArray()).toEqual([-2147483648, 3]);
    expect(w.min(tensor([3, -2147483648, 7], { dtype: "int32" })).item()).toBe(-2147483648);
    expect(w.argmin(tensor([3, -2147483648, 7], { dtype: "int32" })).item()).toBe(1);
    expect(w.min(tensor([true, false])).toArray()).toBe(false);
    expect(w.min(tensor([true, true])).toArray()).toBe(true);
  });

  it("4. d/dx x⁰ = 0 at x = 0 at first and second order; x¹'' = 0; x²'' = 2", () => {
    expect(grad((x: Tensor) => pow(x, 0))(0)).toBe(0);
    expect(grad(grad((x: Tensor) => pow(x, 0)))(0)).toBe(0);
    expect(grad(grad((x: Tensor) => pow(x, 1)))(0)).toBe(0);
    expect(grad(grad((x: Tensor) => pow(x, 2)))(0)).toBe(2);
    expect(jvp((x: Tensor) => pow(x, 0), [0], [1])[1].item()).toBe(0);
    expect(jit(grad(grad((x: Tensor) => pow(x, 0))))(0)).toBe(0);
    expectClose(grad((x: Tensor) => pow(x, 3))(2), 12);
  });

  it("5. arange beyond int32 and full with a non-number are errors, not wrapped values or NaN", () => {
    expect(() => arange(2 ** 31 - 2, 2 ** 31 + 2)).toThrow(/int32/);
    expect(arange(2 ** 31 - 2, 2 ** 31 + 2, 1, { dtype: "float64" }).toArray()).toEqual([2147483646, 2147483647, 2147483648, 2147483649]);
    expect(() => full([2], "abc" as never)).toThrow(InputError);
    expect(() => full([2], 1.5, { dtype: "int32" })).toThrow(/32-bit integer/);
    expect(full([2], true).toArray()).toEqual([true, true]);
  });

  it("6. number in, number out, with and without jit", () => {
    const f = (x: Tensor) => mul(x, x);
    expect(grad(f)(3)).toBe(6);
    expect(jit(grad(f))(3)).toBe(6);
    expect(jit((x: number) => x)(3)).toBe(3);
    const [a, b] = jit(grad((x: Tensor, y: Tensor) => mul(x, y), { argnums: [0, 1] }))(2, tensor(5));
    expect(a).toBe(5);
    expect(b).toBeInstanceOf(Tensor);
  });

  it("7. numericalGrad takes argnums lists and rejects bad argnums", () => {
    const f = (a: number, b: number) => mul(a, mul(b, b));
    const [ga, gb] = numericalGrad(f, { argnums: [0, 1] })(2, 3);
    expectClose(ga, 9, 1e-8);
    expectClose(gb, 12, 1e-8);
    expect(() => numericalGrad(f, { argnums: "1" as never })(2, 3)).toThrow(/must be an integer or an array of integers/);
    expect(() => numericalGrad(f, { argnums: 5 })(2, 3)).toThrow(/out of range/);
  });

  it("8. compiled expressions check arity and argument types", () => {
    const df = compile(parse("x1*x2"), ["x1", "x2"]);
    expect(df(2, 5)).toBe(10);
    expect(() => df({ x1: 2, x2: 5 } as never)).toThrow(/takes 2 numbers/);
    expect(() => df("2" as never, "5" as never)).toThrow(/argument 0 .* must be a JS number/);
    expect(() => df(1, 2, 3)).toThrow(InputError);
    const names = Array.from({ length: 70_000 }, (_, i) => `x${i}`);
    expect(compile(parse("x0 + x69999"), names)(...names.map((_, i) => i))).toBe(69_999);
  });

  it("9. diff --wrt a variable that does not occur says so", () => {
    const out: string[] = [], notes: string[] = [];
    diffCommand(["x*y", "--wrt", "z"], (s) => out.push(s), (s) => notes.push(s));
    expect(notes.join("\n")).toMatch(/z does not occur/);
    expect(out[1]).toBe("0");
  });
});

describe("B. valid programs that work", () => {
  const ck = checkpoint((u: Tensor) => sin(u));
  const q = tensor([0.5, 0.7]);
  const want = [1.6904208841667667, 0.8422389764047735];

  it("10. reverse-over-forward through checkpoint and √T-checkpointed scans", () => {
    const f = (a: Tensor) => sum(ck(mul(a, a)));
    expectClose(grad((x: Tensor) => jvp(f, [x], [onesLike(x)])[1])(q), want, 1e-12);
    expectClose(jit(grad((x: Tensor) => jvp(f, [x], [onesLike(x)])[1]))(q), want, 1e-12);
    expectClose(jacrev(jacfwd(f))(q), [want[0], 0, 0, want[1]], 1e-12);
    const sf = (c: "none" | "sqrt") => (x: Tensor) => sum(scan((cc: Tensor, xi: Tensor) => [add(sin(cc), mul(xi, cc)), mul(cc, cc)], tensor([0.3, 0.4]), x, { checkpoint: c })[1]);
    const xs = w.linspace(0.1, 1.2, 12).reshape([6, 2]);
    const ref = grad((x: Tensor) => jvp(sf("none"), [x], [onesLike(x)])[1])(xs);
    expectClose(grad((x: Tensor) => jvp(sf("sqrt"), [x], [onesLike(x)])[1])(xs), ref, 1e-12);
    expectClose(jit(grad((x: Tensor) => jvp(sf("sqrt"), [x], [onesLike(x)])[1]))(xs), ref, 1e-12);
    expectClose(jacrev(jacfwd(sf("sqrt")))(xs), jacrev(jacfwd(sf("none")))(xs), 1e-12);
  });

  it("11. checkpoint of a closure over a traced value, of a function returning a number, and a scan step returning [carry, null]", () => {
    expectClose(grad((x: Tensor) => sum(checkpoint((u: Tensor) => mul(u, x))(x)))(tensor([1, 2])), [2, 4]);
    expect(grad((x: Tensor) => mul(x, checkpoint((_u: Tensor) => 3)(x)))(2)).toBe(3);
    expect(linearize((x: Tensor) => checkpoint((_u: Tensor) => 3)(x), 2)[1](1)).toBe(0);
    const body = (c: Tensor, xi: Tensor) => [add(sin(c), mul(xi, c)), null] as [Tensor, null];
    const xs = w.linspace(0.1, 1.2, 12).reshape([6, 2]);
    const ref = grad((x: Tensor) => sum(scan(body, tensor([0.3, 0.4]), x)[0]))(xs);
    expectClose(grad((x: Tensor) => sum(scan(body, tensor([0.3, 0.4]), x, { checkpoint: "sqrt" })[0]))(xs), ref, 1e-13);
    expectClose(jit(grad((x: Tensor) => sum(scan(body, tensor([0.3, 0.4]), x, { checkpoint: "sqrt" })[0])))(xs), ref, 1e-13);
    // checkpoint takes and returns pytrees
    const cf = checkpoint((p: { a: Tensor; b: number }) => ({ s: mul(p.a, p.b), n: 2 }));
    expectClose(grad((a: Tensor) => sum(cf({ a, b: 3 }).s))(tensor([1, 1])), [3, 3]);
  });

  it("12. an aux value of an inner grad does not leak a tracer into an outer grad or jvp", () => {
    const inner = (x: Tensor) => grad((y: Tensor) => [mul(y, y), mul(sin(y), x)], { hasAux: true })(x);
    expectClose(grad((x: Tensor) => { const [g, aux] = inner(x); return add(g, aux); })(3), 2 + Math.sin(3) + 3 * Math.cos(3), 1e-13);
    expectClose(jvp((x: Tensor) => inner(x)[1], [3], [1])[1], Math.sin(3) + 3 * Math.cos(3), 1e-13);
  });

  it("13. softmax and logSumExp of empty arrays follow NumPy", () => {
    expect(softmax(zeros([0])).shape).toEqual([0]);
    expect(logSumExp(zeros([0])).item()).toBe(-Infinity);
    expect(logSumExp(zeros([2, 0]), 1).toArray()).toEqual([-Infinity, -Infinity]);
    expect(grad((x: Tensor) => logSumExp(x))(zeros([0])).shape).toEqual([0]);
  });

  it("14. jit(grad(f)) of a program of 1e5 scalar operations compiles (split into chunks)", () => {
    const n = 100_000;
    const f = (x: Tensor) => { let y = x; for (let i = 0; i < n; i++) y = i % 2 ? sin(y) : mul(y, 1.0001); return y; };
    const low = jit(grad(f)).lower(0.5);
    expect(low.source).toMatch(/function chunk\d+\(V\)/);
    const h = (x: Tensor) => { let y = x; for (let i = 0; i < 3000; i++) y = i % 2 ? sin(y) : mul(y, 1.0001); return y; };
    expectClose(jit(grad(h))(0.5), grad(h)(0.5), 1e-12);
  }, 60_000);

  it("15. tensor() of self-referential or very deeply nested arrays is a typed error", () => {
    const a: unknown[] = [];
    a.push(a);
    expect(() => tensor(a as never)).toThrow(/deeper than 64/);
    const b: unknown[] = [1];
    b.push(b);
    expect(() => tensor(b as never)).toThrow(InputError);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => tensor(deep as never)).toThrow(InputError);
  });

  it("16. async functions and Promise results are refused with a clear error", async () => {
    const af = async (x: Tensor) => x;
    for (const t of [jit, vmap, grad, checkpoint] as ((f: unknown) => unknown)[]) expect(() => t(af)).toThrow(/must be synchronous/);
    const p = (x: Tensor) => Promise.resolve(x);
    expect(() => grad(p)(1)).toThrow(/returned a Promise/);
    expect(() => jit(p)(1 as never)).toThrow(/returned a Promise/);
    expect(() => vmap(p)(tensor([1]))).toThrow(/returned a Promise/);
    expect(traceDepth()).toBe(0);
  });

  it("17. code generation refused with any error: eager ops and jit interpret, said once", async () => {
    const { setCodegenAvailable } = await import("../src/core/codegen.js");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const Real = globalThis.Function;
    globalThis.Function = function () { throw new TypeError("Function constructor is disabled"); } as unknown as FunctionConstructor;
    try {
      const x = w.linspace(0, 1, 1000);
      expectClose(add(x, x).sum(), 1000, 1e-12);
      expectClose(jit((v: Tensor) => v.sin().sum())(x), x.sin().sum(), 1e-14);
      expect(warn).toHaveBeenCalledTimes(1); // said once, though eager ops and jit both asked
      expect(String(warn.mock.calls[0][0])).toMatch(/refused here.*TypeError: Function constructor is disabled/);
      expect(String(warn.mock.calls[0][0])).not.toMatch(/\n/); // one line (the old message ended in a stray `".\n);`)
    } finally {
      globalThis.Function = Real;
      setCodegenAvailable(true);
      warn.mockRestore();
    }
  });
});

describe("C. code injection", () => {
  it("18. hostile jit names never run: option, f.name and object keys", () => {
    const g = globalThis as Record<string, unknown>;
    g.__pwned = 0;
    for (const name of HOSTILE_NAMES) {
      const f = jit((x: Tensor) => x.mul(2).add(1), { name });
      expectClose(f(tensor([1, 2])), [3, 5]);
      const holder = { [name]: (x: Tensor) => x.sin().mul(x) };
      const h = jit(holder[name]);
      expectClose(h(tensor([0.5])), [Math.sin(0.5) * 0.5]);
      expect(h.lower(tensor([0.5])).source).not.toContain("__pwned");
      expectClose(grad(checkpoint(holder[name]))(0.5), Math.cos(0.5) * 0.5 + Math.sin(0.5), 1e-14);
    }
    expect(g.__pwned).toBe(0);
  });
});

describe("D. bad input gets a typed error at the call", () => {
  it("19. shapes: negative, fractional, NaN, BigInt and huge sizes", () => {
    expect(() => zeros([1e6, 1e6])).toThrow(ShapeError);
    expect(() => broadcastTo(1, [1e6, 1e6])).toThrow(ShapeError);
    expect(() => eye(-1)).toThrow(ShapeError);
    expect(() => eye(1.5)).toThrow(ShapeError);
    expect(() => eye(1e6)).toThrow(/at most/);
    expect(() => zeros([2n as never])).toThrow(/2n/);
    expect(() => zeros([NaN])).toThrow(ShapeError);
    expect(() => zeros([-1])).toThrow(ShapeError);
    expect(() => arange(0, 1e10)).toThrow(ShapeError);
    expect(() => arange(0, Infinity)).toThrow(InputError);
    expect(() => linspace(0, 1, 1e12)).toThrow(ShapeError);
    expect(() => w.reshape(zeros([4]), [2, 2.5])).toThrow(ShapeError);
  });

  it("20. the parser: a depth limit with a ParseError; long lines shown as a window; many names compile", () => {
    expect(() => parse("(".repeat(5000) + "x" + ")".repeat(5000))).toThrow(ParseError);
    expect(() => parse("-".repeat(5000) + "x")).toThrow(/nested more than/);
    expect(() => parse("2^".repeat(5000) + "x")).toThrow(ParseError);
    expect(parse("(".repeat(400) + "x" + ")".repeat(400)).toInfix()).toBe("x");
    try {
      parse("x+".repeat(500_000) + "$");
      expect.fail("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      const msg = (e as Error).message;
      expect(msg.length).toBeLessThan(500);
      expect((e as ParseError).column).toBe(1_000_001);
      const [, text, caret] = msg.split("\n");
      expect(text[caret.indexOf("^")]).toBe("$");
    }
  });

  it("21. the CLI: bounded order, help, version, nothing printed before a failing --at", async () => {
    const out: string[] = [];
    const run = (...a: string[]) => diffCommand(a, (s) => out.push(s));
    expect(() => run("x", "--order", "1e9")).toThrow(/from 1 to 10/);
    expect(() => run("x", "--order", "600", "--at", "x=1")).toThrow(/from 1 to 10/);
    expect(() => run("x*y", "--wrt", "x", "--at", "x=1")).toThrow(/no value for y/);
    expect(() => run("x", "--at", "x=abc")).toThrow(/name=number/);
    expect(out).toEqual([]);
    expect(() => run("x", "--wr", "x")).toThrow(/unknown option "--wr"/);
    expect(() => run("x", "--wrt")).toThrow(/--wrt needs a value/);
    run("--help");
    expect(out.join("\n")).toMatch(/--order n/);
    out.length = 0;
    run("-x^2");
    expect(out[1]).toBe("-(2 * x)");
  });

  it("22. misleading messages: argnums type, a non-function, methods on plain arrays, escaped jit tracers", () => {
    expect(() => grad((x: Tensor) => x, { argnums: "1" as never })(...([1, 2] as unknown as [number]))).toThrow(/must be an integer or an array of integers/);
    expect(() => grad(undefined as never)).toThrow(TransformError);
    expect(() => jit(42 as never)).toThrow(TransformError);
    expect(() => grad((v: Tensor) => v.mul(v).sum())([1, 2] as never)).toThrow(/tensor\(…\)/);
    let leaked: Tensor | null = null;
    jit((x: Tensor) => { leaked = x.mul(2); return x; })(tensor([1]));
    expect(() => leaked!.item()).toThrow(TracerError);
    expect(() => leaked!.item()).toThrow(/finished/);
  });

  it("23. printed expressions stay in the grammar and parse back to the same values", () => {
    const x = symbol("x"), y = symbol("y");
    for (const e of [w.relu(x), diff(w.minimum(x, y), "x"), diff(w.maximum(mul(x, x), y), "x"), mul(1e999, x), mul(-Infinity, x), mul(NaN, x), w.stopGradient(x), diff(w.abs(x), "x")]) {
      const back = parse((e as w.Expr).toInfix());
      for (const [a, b] of [[0.5, -1], [-2, 3], [0, 0], [1, 1]]) {
        const env = new Map([["x", a], ["y", b]]);
        expect(Object.is(w.symbolic.evaluate(back, env), w.symbolic.evaluate(e, env)) || w.symbolic.evaluate(back, env) === w.symbolic.evaluate(e, env)).toBe(true);
      }
    }
    expect(() => parse("x < y < 1")).toThrow(/do not chain/);
    expect(() => parse("where(x, 1, 0)")).toThrow(/comparison/);
  });
});

/** Names that would run code if pasted into generated source. */
export const HOSTILE_NAMES = [
  "f\nglobalThis.__pwned = 1//",
  "f\u2028globalThis.__pwned = 2//",
  "f\u2029globalThis.__pwned = 3//",
  "f */ globalThis.__pwned = 4; /*",
  "f\r\nglobalThis.__pwned = 5//",
  "`${globalThis.__pwned = 6}`",
  "'); globalThis.__pwned = 7; ('",
  "\"); globalThis.__pwned = 8; (\"",
  "__proto__",
  "constructor",
  "f\u0000g",
  "ｆ\u200b",
  "x".repeat(10_000),
];

describe("found while looking for the rest", () => {
  it("slice specs must be integers (a fractional start gave NaN values)", () => {
    const x = tensor([1, 2, 3]);
    expect(() => w.slice(x, [0.5, 2])).toThrow(/must be integers/);
    expect(() => w.slice(x, [NaN, 2])).toThrow(ShapeError);
    expect(() => w.slice(x, "1" as never)).toThrow(ShapeError);
    expect(w.slice(x, [1, null]).toArray()).toEqual([2, 3]);
  });

  it("axes, inAxes and staticArgnums of the wrong type are named as such (not 'out of range' nor ignored)", () => {
    expect(() => w.sum(tensor([1, 2]), "0" as never)).toThrow(/must be an integer/);
    expect(() => vmap((a: Tensor) => a, { inAxes: "0" as never })(tensor([1]))).toThrow(/inAxes must be an integer/);
    expect(() => jit((a: Tensor, n: number) => mul(a, n), { staticArgnums: ["1" as never] })).toThrow(/staticArgnums/);
  });

  it("cond/switchCase need branch functions and a finite index; derivative needs a function", () => {
    expect(() => w.cond(true, 1 as never, 2 as never)).toThrow(InputError);
    expect(() => w.switchCase(NaN, [() => 1, () => 2])).toThrow(/finite/);
    expect(() => w.derivative(3 as never, 1)).toThrow(TransformError);
    expect(() => w.derivative(Math.sin, 1, { method: "centre" as never })).toThrow(/method/);
  });
});

describe("17 (wasm). a refused WebAssembly module is said once and the JS loop takes over", () => {
  it("warns once with the engine's reason and multiplies correctly", async () => {
    const m = await import("../src/wasm/matmul.js");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const WA = (globalThis as unknown as { WebAssembly: { Module: unknown; CompileError: new (m: string) => Error } }).WebAssembly;
    const Real = WA.Module;
    (WA as { Module: unknown }).Module = function () { throw new WA.CompileError("Wasm code generation disallowed by embedder"); };
    try {
      m.reloadWasmMatmul();
      expect(m.wasmMatmulAvailable()).toBe(false);
      const a = w.linspace(0, 1, 64 * 64).reshape([64, 64]);
      const p = w.matmul(a, a);
      expectClose(w.sum(p), toNumsSum(a), 1e-12);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/WebAssembly SIMD matrix product is unavailable.*disallowed by embedder/);
    } finally {
      (WA as { Module: unknown }).Module = Real;
      m.reloadWasmMatmul();
      warn.mockRestore();
    }
    expect(m.wasmMatmulAvailable()).toBe(true);
  });
});

/** Σᵢⱼ (A·A)ᵢⱼ computed plainly, in JS. */
function toNumsSum(a: Tensor): number {
  const [n] = a.shape, d = a.toArray() as number[][];
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) s += d[i][k] * d[k][j];
  return s;
}

describe("structures that would lose derivatives or crash", () => {
  it("a Map or class instance holding tensors, where a derivative is asked, is an error naming what to pass", () => {
    const x = tensor([1, 2]);
    expect(() => grad((m: Map<string, Tensor>) => w.sum(m.get("a")!))(new Map([["a", x]]))).toThrow(/a Map holding tensors.*Object\.fromEntries/);
    class P { w = x; }
    expect(() => grad((p: P) => w.sum(p.w))(new P())).toThrow(/an instance of P holding tensors/);
    // without tensors inside they stay non-differentiable parts with a null gradient
    expect(grad((a: Tensor, _p: P | null) => w.sum(a), { argnums: [0, 1] })(x, null)[1]).toBeNull();
  });

  it("cyclic and very deep structures are typed errors, not stack overflows", () => {
    const o: Record<string, unknown> = { w: tensor([1]) };
    o.self = o;
    expect(() => grad((p: typeof o) => w.sum(p.w as Tensor))(o)).toThrow(/contains itself/);
    expect(() => jit((p: typeof o) => w.sum(p.w as Tensor))(o)).toThrow(TransformError);
    let deep: unknown = tensor([1]);
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(() => grad((_p: unknown) => w.tensor(0))(deep)).toThrow(/nested more than 1000/);
    // a structure that shares (not contains) a part is fine
    const shared = { a: tensor([1, 2]) };
    expect(Object.keys(grad((p: { u: typeof shared; v: typeof shared }) => w.sum(w.mul(p.u.a, p.v.a)))({ u: shared, v: shared }))).toEqual(["u", "v"]);
  });

  it("a pad whose result would be too large is a ShapeError", () => {
    expect(() => w.pad(tensor([1, 2]), [[1e10, 0]])).toThrow(ShapeError);
  });
});

describe("numeric and symbolic entry points: bounded work, typed errors", () => {
  it("checkGrads bounds its order (2^order checks: 1e9 ran out of memory) and checks its options", () => {
    const f = (a: Tensor) => w.sum(sin(a));
    expect(() => w.checkGrads(f, [tensor([1, 2])], { order: 1e9 })).toThrow(/order must be an integer from 1 to 6/);
    expect(() => w.checkGrads(f, [tensor([1, 2])], { order: 0 })).toThrow(InputError);
    expect(() => w.checkGrads(f, [tensor([1, 2])], { modes: ["sideways" as never] })).toThrow(/modes/);
    expect(() => w.checkGrads(f, tensor([1, 2]) as never)).toThrow(/array of f's arguments/);
    expect(() => w.checkGrads(f, [tensor([1, 2])], { rtol: -1 })).toThrow(/rtol/);
    w.checkGrads(f, [tensor([0.3, 0.7])], { order: 3 });
  });

  it("finite differences refuse non-positive steps and unknown methods; diff bounds its order", () => {
    expect(() => w.derivative(Math.sin, 0, { h: 0 })).toThrow(/step h/);
    expect(() => w.derivative(Math.sin, 0, { h: -1 })).toThrow(/step h/);
    expect(() => w.numericalJvp((a: Tensor) => a, [tensor([1])], [tensor([1])], { method: "x" as never })).toThrow(/method/);
    expect(() => w.numericalJacobian(3 as never)).toThrow(TransformError);
    expect(() => diff(parse("x"), "x", 1e9)).toThrow(/order must be an integer from 0 to 200/);
    expect(diff(parse("x"), "x", 200).toInfix()).toBe("0"); // a constant's derivatives stop at once
    expect(diff(parse("3"), "x").toInfix()).toBe("0");
    expect(() => w.gradient(parse("x*y"), "x" as never)).toThrow(/array/);
  });

  it("custom rules, residualBytes and formatTraceTable check their arguments when called", () => {
    expect(() => w.customJvp(3 as never, () => [1, 1] as never)).toThrow(TransformError);
    expect(() => w.customJvp((a: Tensor) => a, 5 as never)).toThrow(/its rule/);
    expect(() => w.customVjp((a: Tensor) => a, 3 as never, 4 as never)).toThrow(/its fwd/);
    expect(() => w.residualBytes(3 as never, tensor([1]))).toThrow(TransformError);
    expect(() => w.formatTraceTable(null as never)).toThrow(InputError);
  });
});

describe("control-flow options and results are checked", () => {
  it("scan's checkpoint option, vmap's outAxes, fori's carry structure and whileLoop's condition", () => {
    const x = tensor([1, 2, 3]);
    expect(() => w.scan((c: Tensor, xi: Tensor) => [w.add(c, xi), c], tensor(0), x, { checkpoint: "bogus" as never })).toThrow(/"none" or "sqrt"/);
    expect(() => vmap((a: Tensor) => a, { outAxes: "0" as never })(tensor([[1]]))).toThrow(/outAxes must be an integer/);
    expect(() => w.fori(0, 2, () => "x" as never, tensor(0))).toThrow(/changes the carry's structure at step 0/);
    expect(w.fori(0, 3, (_i: number, c: Tensor) => w.add(c, 1), tensor(0)).item()).toBe(3);
    expect(() => w.whileLoop(() => 5 as never, (c: Tensor) => c, tensor(0))).toThrow(/cond must return a boolean or a scalar tensor/);
    expect(() => w.whileLoop(() => tensor([true, false]), (c: Tensor) => c, tensor(0))).toThrow(/shape \[2\]/);
  });
});

describe("symbolic entry points check their arguments", () => {
  it("toExpr, treeSize, format and evaluate give typed errors", () => {
    expect(() => w.toExpr(3 as never, ["x"])).toThrow(InputError);
    expect(() => w.toExpr((a: w.Expr) => a, "x" as never)).toThrow(/array/);
    expect(() => w.treeSize({} as never)).toThrow(InputError);
    expect(() => w.symbolic.format(parse("x"), "html" as never)).toThrow(/style/);
    expect(() => w.symbolic.evaluate(parse("x"), null as never)).toThrow(/object or a Map/);
    expect(w.dagSize(parse("x*y + x"))).toBe(4);
  });
});
