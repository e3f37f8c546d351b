/**
 * @file The hostile-input suite: every entry point that takes user strings or data (parse, compile,
 * toJS, symbol names, jit names, pytree keys, tensor(), the CLI, the GradBench tool) fed line breaks,
 * U+2028/U+2029, quotes, backticks, comment ends, __proto__/constructor, look-alike characters and
 * huge or deeply nested inputs. Nothing runs (a canary global stays 0), nothing hangs (each case
 * has a time bound), and every error is one of wengert's typed errors.
 */
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as w from "../src/index.js";
import { Tensor, tensor, grad, jit, vmap, jvp, parse, symbol, compile, diff, WengertError } from "../src/index.js";
import { diffCommand } from "../src/cli/diff.js";
import { expectClose } from "./helpers.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const canary = globalThis as { __pwned?: number };

/** Strings that would run code, or confuse a printer, if pasted anywhere unescaped. */
const HOSTILE = [
  "x\nglobalThis.__pwned = 1//",
  "x\u2028globalThis.__pwned = 2//",
  "x\u2029globalThis.__pwned = 3//",
  "x */ globalThis.__pwned = 4; /*",
  "x\r\nglobalThis.__pwned = 5//",
  "`${globalThis.__pwned = 6}`",
  "'); globalThis.__pwned = 7; ('",
  "\"); globalThis.__pwned = 8; (\"",
  "x); globalThis.__pwned = 9; (x",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "x\u0000y",
  "ｘ", // fullwidth x
  "х", // Cyrillic x
  "x\u200by", // zero-width space
  "\\",
  "$",
  "a".repeat(100_000),
];

/** Run `f`: it may return or throw a WengertError, nothing else, within `ms`. */
function typedOrOk(what: string, f: () => unknown, ms = 2000): void {
  const t0 = performance.now();
  try {
    f();
  } catch (e) {
    if (!(e instanceof WengertError)) throw new Error(`${what}: untyped ${(e as Error)?.constructor?.name}: ${(e as Error)?.message?.slice(0, 200)}`);
    expect((e as Error).message.length, `${what}: message length`).toBeLessThan(2000);
  }
  expect(performance.now() - t0, `${what}: time`).toBeLessThan(ms);
}

beforeEach(() => {
  canary.__pwned = 0;
});
afterEach(() => {
  expect(canary.__pwned).toBe(0);
});

describe("hostile strings", () => {
  it("parse: every hostile text is a typed error or an expression; nothing runs", () => {
    for (const s of HOSTILE) {
      typedOrOk(`parse ${JSON.stringify(s.slice(0, 30))}`, () => parse(s));
      typedOrOk(`parse in a call ${JSON.stringify(s.slice(0, 30))}`, () => parse(`sin(${s}) + 1`));
    }
    typedOrOk("parse non-string", () => parse(42 as never));
    typedOrOk("parse object", () => parse({ toString: () => "x" } as never));
  });

  it("symbol names, compile, toJS, diff and printing: names never reach generated code", () => {
    for (const s of HOSTILE) {
      const v = symbol(s), y = symbol("y");
      const e = w.add(w.mul(w.sin(v), y), w.square(v));
      const f = compile(e, [s, "y"]);
      expectClose(f(0.5, 2), Math.sin(0.5) * 2 + 0.25, 1e-15);
      const df = compile(diff(e as w.Expr, s), [s, "y"]);
      expectClose(df(0.5, 2), Math.cos(0.5) * 2 + 1, 1e-15);
      const body = w.symbolic.toJS(e as w.Expr, [s, "y"]);
      expect(body).not.toContain("__pwned");
      expect(/[\n\u2028\u2029]/.test(body.replace(/\n/g, ""))).toBe(false);
      for (const style of ["infix", "let", "latex"] as const) typedOrOk(`format ${style}`, () => w.symbolic.format(e as w.Expr, style));
      expectClose(w.symbolic.evaluate(e as w.Expr, new Map([[s, 0.5], ["y", 2]])), Math.sin(0.5) * 2 + 0.25, 1e-15);
      typedOrOk("evaluate with a missing key", () => w.symbolic.evaluate(e as w.Expr, { y: 2 }));
    }
    // a variable named like an Object.prototype member is not looked up there
    expect(() => w.symbolic.evaluate(symbol("constructor"), {})).toThrow(/no value given/);
    typedOrOk("compile with non-string names", () => compile(symbol("x"), [1 as never]));
    typedOrOk("compile with a name list missing a variable", () => compile(symbol("x"), ["y"]));
  });

  it("jit names (option, f.name, object keys) and checkpoint names never run", () => {
    for (const s of HOSTILE) {
      const f = (x: Tensor) => x.mul(3).sin();
      Object.defineProperty(f, "name", { value: s });
      expectClose(jit(f)(tensor([0.2])), [Math.sin(0.6)], 1e-15);
      expectClose(jit(f, { name: s })(tensor([0.2, 0.4])), [Math.sin(0.6), Math.sin(1.2)], 1e-15);
      expectClose(grad(w.checkpoint(f, s))(0.2), 3 * Math.cos(0.6), 1e-15);
      expectClose(jit(grad(w.checkpoint(f, s)))(0.2), 3 * Math.cos(0.6), 1e-15);
    }
    typedOrOk("jit name not a string", () => jit((x: Tensor) => x, { name: 42 as never }));
  });

  it("pytree keys round-trip through grad, jit, vmap and jvp", () => {
    const keys = HOSTILE.slice(0, 19);
    const obj: Record<string, unknown> = {};
    keys.forEach((k, i) => Object.defineProperty(obj, k, { value: i + 1, enumerable: true, writable: true, configurable: true }));
    const f = (p: Record<string, number>) => keys.reduce((s, k) => w.add(s, w.mul(p[k], p[k])), w.tensor(0) as Tensor);
    const g = grad(f)(obj as Record<string, number>);
    expect(Object.keys(g)).toEqual(keys);
    keys.forEach((k, i) => expect(Object.getOwnPropertyDescriptor(g, k)!.value).toBe(2 * (i + 1)));
    expectClose(jit(f)(obj as Record<string, number>), keys.reduce((s, _k, i) => s + (i + 1) ** 2, 0));
    const [out] = jvp((p: unknown) => p, [obj], [obj]);
    expect(Object.keys(out as object)).toEqual(keys);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    const batched: Record<string, unknown> = {};
    keys.forEach((k, i) => Object.defineProperty(batched, k, { value: tensor([i, i + 1]), enumerable: true }));
    const v = vmap((p: Record<string, Tensor>) => p.__proto__.add(p["constructor"] as unknown as Tensor))(batched as Record<string, Tensor>);
    expect(v.toArray()).toEqual([9 + 10, 10 + 11]); // __proto__ holds [9, 10], constructor [10, 11]
  });
});

describe("hostile data", () => {
  it("tensor(): wrong types, holes, cycles, depth, size, getters: typed errors only", () => {
    const cyclic: unknown[] = [1, 2];
    cyclic.push(cyclic);
    const self: unknown[] = [];
    self.push(self);
    const wide: unknown[] = [];
    wide.push(wide, wide);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
    const throwing = [1, 2];
    Object.defineProperty(throwing, 1, { get: () => { throw new WengertError("getter ran and threw"); } });
    const cases: [string, unknown][] = [
      ["string", "abc"], ["strings", ["1", "2"]], ["symbol", [Symbol("x")]], ["bigint", [1n, 2n]], ["null", null], ["undefined", undefined],
      ["object", { a: 1 }], ["function", () => 1], ["nested object", [[{}]]], ["cyclic", cyclic], ["self", self], ["wide cycle", wide], ["deep", deep],
      ["sparse", sparse], ["ragged", [[1, 2], [3]]], ["mixed", [1, [2]]], ["Map", new Map()], ["DataView", new DataView(new ArrayBuffer(8))],
      ["BigInt64Array", new BigInt64Array(2)], ["getter", throwing], ["NaN shape-ish", { length: 3 }], ["array of tensors of two shapes", [tensor([1]), tensor([1, 2])]],
    ];
    for (const [name, data] of cases) {
      typedOrOk(`tensor(${name})`, () => tensor(data as never));
      typedOrOk(`add(${name})`, () => w.add(data as never, 1));
    }
    expect(() => tensor(sparse as never)).toThrow(/expected a number at \[1\]/);
  });

  it("shapes and sizes: huge, negative, fractional, NaN, BigInt, too many axes", () => {
    const shapes: unknown[] = [[1e6, 1e6], [-1], [1.5], [NaN], [Infinity], [2n], "3", [[2]], new Array(100).fill(1), [2 ** 53], null];
    for (const s of shapes) {
      typedOrOk(`zeros(${String(s).slice(0, 20)})`, () => w.zeros(s as never));
      typedOrOk(`broadcastTo(${String(s).slice(0, 20)})`, () => w.broadcastTo(1, s as never));
      typedOrOk(`reshape(${String(s).slice(0, 20)})`, () => w.reshape(w.zeros([4]), s as never));
      typedOrOk(`full(${String(s).slice(0, 20)})`, () => w.full(s as never, 1));
    }
    for (const n of [-1, 1.5, NaN, Infinity, 1e10, 2n, "3"]) {
      typedOrOk(`eye(${String(n)})`, () => w.eye(n as never));
      typedOrOk(`linspace(0, 1, ${String(n)})`, () => w.linspace(0, 1, n as never));
      typedOrOk(`arange(${String(n)})`, () => w.arange(n as never));
    }
  });

  it("transformations given non-functions, bad options and bad arguments", () => {
    for (const bad of [undefined, null, 42, "f", {}, Symbol("f")]) {
      for (const t of [grad, w.valueAndGrad, jit, vmap, w.jacfwd, w.jacrev, w.hessian, w.checkpoint] as ((f: unknown) => unknown)[]) typedOrOk(`transform(${String(bad)})`, () => t(bad));
    }
    for (const argnums of ["1", [0, "1"], 1.5, -1, 9, [], null, { 0: 0 }]) typedOrOk(`argnums ${JSON.stringify(argnums)}`, () => grad((x: Tensor) => x, { argnums: argnums as never })(...([1, 2] as unknown as [number])));
    typedOrOk("vmap inAxes too long", () => vmap((x: Tensor) => x, { inAxes: [0, 0] })(tensor([1])));
    typedOrOk("jvp tangents of another structure", () => jvp((x: Tensor) => x, [tensor([1, 2])], [tensor([1])]));
  });
});

describe("the CLI", () => {
  it("diff: hostile expressions and options give typed errors, never a stack trace", () => {
    const args: string[][] = [
      ...HOSTILE.map((s) => [s]),
      ["x", "--wrt", "x\ny"], ["x", "--at", "x=1\n"], ["x", "--at", "__proto__=1"], ["x", "--at", "constructor=2,x=1"], ["x", "--order", "-1"],
      ["x", "--order", "1.5"], ["x", "--order", "0x10"], ["x", "--", "--latex"], ["x", "--at=x=1,x=2"], [], ["(".repeat(10_000)], ["x+".repeat(50_000) + "x", "--at", "x=1"],
    ];
    for (const a of args) typedOrOk(`diff ${JSON.stringify(a).slice(0, 60)}`, () => diffCommand(a, () => {}, () => {}), 10_000);
  });

  it("the binary exits 2 with one line on bad input and prints no ANSI escapes to a pipe", () => {
    const run = (...a: string[]) => spawnSync(process.execPath, ["dist/cli/main.js", ...a], { cwd: root, encoding: "utf8" });
    for (const a of [["diff", "sin(x"], ["diff", "x", "--order", "600", "--at", "x=1"], ["diff", "x\u2028y"], ["nope"]]) {
      const r = run(...a);
      expect(r.status).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stdout).toBe("");
    }
    const tour = spawnSync(process.execPath, ["dist/cli/main.js"], { cwd: root, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "1" } });
    expect(tour.status).toBe(0);
    expect(tour.stdout).not.toContain("\x1b[");
    expect(run("--version").stdout).toMatch(/^wengert \d+\.\d+\.\d+/);
  }, 30_000);
});
