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

describe("every exported function, given garbage", () => {
  // Each exported function (and those of linalg, random, optim, symbolic) called with every pair of
  // hostile arguments, and what it returns called again: only wengert's typed errors may come out.
  // The first sweep found 30 functions throwing TypeError or RangeError (concat(undefined),
  // transpose(x, "perm"), whileLoop(undefined), customJvp(undefined), random.permutation(k, 1e300),
  // traceTable(f, 1), printProgram(undefined), zerosLike(3), …).
  it("throws only WengertErrors", () => {
    const garbage: unknown[] = [undefined, null, NaN, "abc", { a: 1 }, (x: unknown) => x, Symbol("s"), 1e300, -3, 1.5, [1, 2], [[1], [1, 2]], tensor(1), tensor([[1, 2], [3, 4]]), tensor([1, 2], { dtype: "int32" }), tensor([true]), tensor([]), 10n, new Map(), new Date(0)];
    const untyped: string[] = [];
    const sweep = (ns: Record<string, unknown>, prefix: string) => {
      for (const [name, f] of Object.entries(ns)) {
        if (typeof f !== "function" || /^[A-Z]/.test(name) || name === "blockUntilReady") continue;
        for (const a of garbage) {
          for (const b of [undefined, ...garbage.slice(0, 14)]) {
            const note = (e: unknown) => {
              if (!(e instanceof WengertError)) untyped.push(`${prefix}${name}(${String(a).slice(0, 12)}, ${String(b).slice(0, 12)}): ${(e as Error)?.constructor?.name} ${String((e as Error)?.message).slice(0, 80)}`);
            };
            try {
              const r = (f as (...x: unknown[]) => unknown)(a, b);
              if (typeof r === "function") {
                try {
                  (r as (...x: unknown[]) => unknown)(a, b);
                } catch (e) {
                  note(e);
                }
              }
            } catch (e) {
              note(e);
            }
          }
        }
      }
    };
    sweep(w as unknown as Record<string, unknown>, "");
    for (const ns of ["linalg", "random", "optim", "symbolic"] as const) sweep(w[ns] as unknown as Record<string, unknown>, `${ns}.`);
    expect(untyped.slice(0, 10)).toEqual([]);
  }, 60_000);
  it("and so does every Tensor method, on tensors of each dtype and an empty one", () => {
    const garbage: unknown[] = [undefined, null, NaN, "abc", { a: 1 }, (x: unknown) => x, Symbol("s"), 1e300, -3, 1.5, [1, 2], [[1], [1, 2]], tensor(1), tensor([[1, 2], [3, 4]]), tensor([1, 2], { dtype: "int32" }), tensor([true]), tensor([]), 10n];
    const targets = [tensor(1.5), tensor([[1, 2], [3, 4]]), tensor([1, 2], { dtype: "int32" }), tensor([true, false]), tensor([])];
    const names = new Set<string>();
    for (let p = Object.getPrototypeOf(targets[0]); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) for (const k of Object.getOwnPropertyNames(p)) names.add(k);
    const untyped: string[] = [];
    for (const k of names) {
      if (k === "constructor") continue;
      for (const t of targets) {
        const f = (t as unknown as Record<string, unknown>)[k];
        if (typeof f !== "function") continue;
        for (const a of garbage) {
          for (const b of [undefined, ...garbage.slice(0, 12)]) {
            try {
              (f as (...x: unknown[]) => unknown).call(t, a, b);
            } catch (e) {
              if (!(e instanceof WengertError)) untyped.push(`${k}(${String(a).slice(0, 12)}, ${String(b).slice(0, 12)}) on ${t.dtype}[${t.shape}]: ${(e as Error)?.constructor?.name}`);
            }
          }
        }
      }
    }
    expect(names.size).toBeGreaterThan(80);
    expect(untyped.slice(0, 10)).toEqual([]);
  }, 60_000);
});

describe("options objects are checked as keyword arguments", () => {
  // A mistyped option was ignored and its default used: grad(f, { argnum: 1 }) differentiated with
  // respect to argument 0, conv2d(x, k, { stride: 2 }) used stride 1. Now every options object
  // rejects unknown keys (naming the nearest known one) and anything that is not a plain object.
  const x = tensor([[1, 2], [3, 4]]);
  const key = w.random.key(0);
  const f = (a: Tensor, b: Tensor) => w.mul(a, w.square(b));
  const cases: [string, (opts: never) => unknown, string, string][] = [
    ["grad", (o) => grad(f, o)(2, 3), "argnum", "argnums"],
    ["valueAndGrad", (o) => w.valueAndGrad(f, o)(2, 3), "has_aux", "hasAux"],
    ["jacfwd", (o) => w.jacfwd(f, o)(2, 3), "argnum", "argnums"],
    ["jacrev", (o) => w.jacrev(f, o)(2, 3), "argnum", "argnums"],
    ["hessian", (o) => w.hessian(f, o)(2, 3), "argnum", "argnums"],
    ["jit", (o) => jit(f, o)(tensor(2), tensor(3)), "staticArgnum", "staticArgnums"],
    ["vmap", (o) => vmap((a: Tensor) => a, o)(x), "in_axes", "inAxes"],
    ["scan", (o) => w.scan((c: Tensor, t: Tensor) => [c.add(t), c], tensor(0), tensor([1, 2]), o), "revers", "reverse"],
    ["tensor", (o) => tensor([1], o), "dtyp", "dtype"],
    ["full", (o) => w.zeros([2], o), "type", "dtype"],
    ["zerosLike", (o) => w.zerosLike(x, o), "Dtype", "dtype"],
    ["eye", (o) => w.eye(2, 2, o), "dtpye", "dtype"],
    ["eye", (o) => w.eye(2, 2, o), "K", "k"],
    ["arange", (o) => w.arange(0, 3, 1, o), "dtypes", "dtype"],
    ["linspace", (o) => w.linspace(0, 1, 3, o), "d_type", "dtype"],
    ["var", (o) => w.var(x, null as never, false, o), "dof", "ddof"],
    ["var", (o) => w.std(x, null as never, false, o), "ddoff", "ddof"],
    ["sort", (o) => w.sort(x, -1, o), "descend", "descending"],
    ["argsort", (o) => w.argsort(x, -1, o), "decending", "descending"],
    ["nonzero", (o) => w.nonzero(tensor([1, 0]), o), "sze", "size"],
    ["conv2d", (o) => w.conv2d(w.ones([1, 1, 4, 4]), w.ones([1, 1, 2, 2]), o), "stride", "strides"],
    ["convGeneralDilated", (o) => w.convGeneralDilated(w.ones([1, 1, 4]), w.ones([1, 1, 2]), o), "feature_group_count", "featureGroupCount"],
    ["maxPool", (o) => w.maxPool(w.ones([1, 1, 4]), 2, o), "stride", "strides"],
    ["avgPool", (o) => w.avgPool(w.ones([1, 1, 4]), 2, o), "pading", "padding"],
    ["solveTriangular", (o) => w.linalg.solveTriangular(x, tensor([1, 2]), o), "Lower", "lower"],
    ["svd", (o) => w.linalg.svd(x, o), "compute_uv", "computeUV"],
    ["pinv", (o) => w.linalg.pinv(x, o), "rcnd", "rcond"],
    ["random.uniform", (o) => w.random.uniform(key, [2], o), "minvalue", "minval"],
    ["random.normal", (o) => w.random.normal(key, [2], o), "dtyp", "dtype"],
    ["random.categorical", (o) => w.random.categorical(key, tensor([0, 0]), o), "axes", "axis"],
    ["sgd", (o) => w.optim.sgd(0.1, o), "momentom", "momentum"],
    ["adam", (o) => w.optim.adam(0.1, o), "beta1", ""],
    ["adamw", (o) => w.optim.adamw(0.1, o), "weight_decay", "weightDecay"],
    ["minimize", (o) => w.optim.minimize((p: Tensor) => p.square(), tensor(1), o), "maxiter", "maxIter"],
    ["checkGrads", (o) => w.checkGrads((a: Tensor) => a.sin(), [tensor(1)], o), "ordr", "order"],
    ["derivative", (o) => w.derivative((a: number) => a * a, 1, o), "step", ""],
    ["numericalGrad", (o) => w.numericalGrad((a: Tensor) => a.square(), o)(tensor(1)), "argnum", "argnums"],
    ["sourceGrad", (o) => w.sourceGrad((a: number) => a * a, o), "argnum", "argnums"],
  ];
  it("an unknown key is an InputError naming the function, the key, the nearest option and all of them", () => {
    for (const [op, call, typo, near] of cases) {
      let err: unknown;
      try {
        call({ [typo]: 1 } as never);
      } catch (e) {
        err = e;
      }
      expect(err, `${op} { ${typo} }`).toBeInstanceOf(w.InputError);
      const m = (err as Error).message;
      expect(m.startsWith(`${op}: unknown option "${typo}"`), `${op}: ${m}`).toBe(true);
      if (near) expect(m, op).toContain(`(did you mean ${near}?)`);
      else expect(m, op).not.toContain("did you mean");
    }
  });
  it("keepdims must be a boolean: the string \"false\" kept the axes (it is truthy)", () => {
    const x = tensor([[1, 2], [3, 4]]);
    for (const f of [w.sum, w.mean, w.max, w.min, w.prod, w.logSumExp, w.var, w.std] as ((t: Tensor, a: number, k: unknown) => Tensor)[]) {
      expect(() => f(x, 0, "false")).toThrow(/keepdims must be true or false; got "false"/);
      expect(f(x, 0, false).shape).toEqual([2]);
      expect(f(x, 0, true).shape).toEqual([1, 2]);
    }
    expect(() => w.sum(x, 0, 1 as never)).toThrow(/^sum: keepdims/);
  });
  it("options that are not a plain object are an InputError; undefined and {} are the defaults", () => {
    for (const [op, call] of cases) {
      for (const bad of [[1], 5, "dtype", new Map(), tensor(1)]) {
        expect(() => call(bad as never), `${op} ${String(bad)}`).toThrow(/options must be a plain object/);
      }
    }
    expect(() => w.optim.adam(0.1, { beta1: 0.5 } as never)).toThrow(/adam: unknown option "beta1"; the options are b1, b2, eps$/);
    expect(() => w.where(tensor([true, false]), { sze: 3 } as never)).toThrow(/nonzero: unknown option "sze" \(did you mean size\?\)/);
    expect(grad(f, undefined)(2, 3)).toBe(9);
    expect(grad(f, {})(2, 3)).toBe(9);
    expect(grad(f, { argnums: 1 })(2, 3)).toBe(12);
    expect(grad(f, Object.assign(Object.create(null), { argnums: 1 }))(2, 3)).toBe(12);
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
