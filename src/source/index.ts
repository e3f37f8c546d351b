/**
 * @file Source transformation, the user's side: `sourceGrad`, `sourceValueAndGrad`, `sourceJvp` and
 * `sourceVjp` take an ordinary JavaScript function (or a source text and a function's name) and
 * return ordinary functions on numbers and arrays whose `.source` is the derivative's code.
 * Pipeline: parse → check → normalise (normalize.ts) → derive (derive.ts) → simplify → print.
 */
import { InputError, TransformError, checkOptions, fmtValue } from "../core/errors.js";
import { compileJS } from "../core/codegen.js";
import { checkArgnums } from "../api/autodiff.js";
import { type Node, print } from "./ast.js";
import { type Fn, DIFFERENTIABLE_SOURCE, SourceError, normalize } from "./normalize.js";
import { forwardMode, reverseMode } from "./derive.js";
import { Tape, zerosOf } from "./runtime.js";
import { interpret } from "./interpret.js";

export { SourceError } from "./normalize.js";
export { Tape, zerosOf } from "./runtime.js";

export interface SourceOptions {
  /** Which arguments to differentiate (default 0). */
  argnums?: number | number[];
  /** With a source text: the name of the function in it to differentiate. */
  name?: string;
}

export interface SourceGradOptions extends SourceOptions {
  /**
   * Reverse mode: checkpoint top-level counted loops (`for (let i = A; i < B; i++)` with a bound
   * the loop does not change) — a snapshot every ⌈√steps⌉ steps instead of a tape entry per step,
   * each segment re-run once in the reverse sweep: √T memory for about one more forward run.
   */
  checkpoint?: boolean;
  /** Reverse mode (one sweep for the whole gradient; the default) or forward mode (one pass per input number). */
  mode?: "reverse" | "forward";
}

/** A derivative function, with the code it runs. */
export type SourceFn<F> = F & { readonly source: string };

/**
 * A gradient function. `differentiable` is the same gradient as code inside the subset (a function
 * `name` in `source`): paste it into another source to call it from transformed code, or transform
 * it again (sourceGrad(sourceGrad(f)) does).
 */
export type SourceGradFn = SourceFn<(...args: unknown[]) => unknown> & { readonly differentiable: { readonly source: string; readonly name: string } };

interface Compiled {
  fn: Fn;
  argnums: number[];
  source: string;
  call: (args: unknown[]) => unknown;
}

/** The shared argnums check, and no parameter twice (its derivative variable would be declared twice). */
function sourceArgnums(op: string, argnums: unknown, n: number): number[] {
  const list = checkArgnums(op, argnums ?? 0, n);
  if (new Set(list).size !== list.length) throw new InputError(`${op}: argnums lists a parameter twice (${list.join(", ")})`);
  return list;
}

/** Compile a derivative tree: with `new Function` where allowed, otherwise through the interpreter. */
function build(tree: Node, fn: Fn, argnums: number[]): Compiled {
  const source = print(tree);
  const name = tree.id.name as string;
  const f = compileJS<(...a: unknown[]) => unknown>(["Tape", "zerosOf"], `"use strict";\n${source}\nreturn ${name};`, [Tape, zerosOf], `source transformation of ${fn.name}`);
  const call = f ? (args: unknown[]) => f.apply(null, args) : (args: unknown[]) => interpret(tree, args, { Tape, zerosOf });
  return { fn, argnums, source, call };
}

/** Check the arguments against how the function uses its parameters. */
/** Integer typed arrays: data such as indices, accepted where nothing is differentiated. */
const isIntArray = (a: unknown): boolean => ArrayBuffer.isView(a) && !(a instanceof DataView) && !(a instanceof Float64Array) && !(a instanceof Float32Array) && !(a instanceof BigInt64Array) && !(a instanceof BigUint64Array);

function checkArgs(op: string, fn: Fn, args: unknown[], argnums: number[]): void {
  if (args.length !== fn.params.length) throw new InputError(`${op}: ${fn.name} takes ${fn.params.length} argument${fn.params.length === 1 ? "" : "s"}; got ${args.length}`);
  fn.params.forEach((p, i) => {
    const a = args[i];
    if (p.kind === "scalar" && typeof a !== "number") throw new InputError(`${op}: ${fn.name} uses its parameter ${p.name} as a number; got ${fmtValue(a)}`);
    if (isIntArray(a)) {
      if (p.kind !== "array") throw new InputError(`${op}: ${fn.name}'s parameter ${p.name} is not indexed; got ${fmtValue(a)}`);
      if (argnums.includes(i)) throw new InputError(`${op}: ${p.name} is differentiated, so pass numbers in an array or a Float64Array/Float32Array; an integer array (${fmtValue(a)}) holds no derivative`);
      return;
    }
    if (p.kind === "array" && !(Array.isArray(a) || a instanceof Float64Array || a instanceof Float32Array)) throw new InputError(`${op}: ${fn.name} indexes its parameter ${p.name}, so pass an array, a Float64Array/Float32Array (or an integer typed array, for data that is not differentiated); got ${fmtValue(a)}`);
    if (p.kind === "object" && (a === null || typeof a !== "object")) throw new InputError(`${op}: ${fn.name} reads fields of its parameter ${p.name}, so pass an object; got ${fmtValue(a)}`);
    checkNumeric(op, p.name, a, 0);
  });
}

function checkNumeric(op: string, name: string, a: unknown, depth: number): void {
  if (depth > 64) throw new InputError(`${op}: the argument ${name} nests more than 64 deep`);
  if (typeof a === "number" || a instanceof Float64Array || a instanceof Float32Array) return;
  if (Array.isArray(a)) {
    for (const v of a) checkNumeric(op, name, v, depth + 1);
    return;
  }
  if (a !== null && typeof a === "object" && (Object.getPrototypeOf(a) === Object.prototype || Object.getPrototypeOf(a) === null)) {
    for (const v of Object.values(a)) checkNumeric(op, name, v, depth + 1);
    return;
  }
  throw new InputError(`${op}: the argument ${name} holds ${fmtValue(a)}; arguments are numbers, arrays, Float64Array/Float32Array and plain objects of these`);
}

/**
 * Run a transformation of f's source; the parser and the passes recurse over the syntax tree, so
 * a source nested deeper than the JavaScript stack allows (hundreds of brackets, thousands of
 * chained operators) ends in a located SourceError instead of a RangeError.
 */
function guarded<T>(op: string, f: unknown, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw tooDeep(op, f);
    throw e;
  }
}

/** A SourceError at the deepest bracket of f's text (outside strings and comments). */
function tooDeep(op: string, f: unknown): SourceError {
  const text = typeof f === "string" ? f : typeof f === "function" ? Function.prototype.toString.call(f) : "";
  let depth = 0, max = 0, at = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "/" && text[i + 1] === "/") i = text.indexOf("\n", i) < 0 ? text.length : text.indexOf("\n", i);
    else if (c === "/" && text[i + 1] === "*") i = text.indexOf("*/", i + 2) < 0 ? text.length : text.indexOf("*/", i + 2) + 1;
    else if (c === '"' || c === "'" || c === "`") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === "\\") i++;
    } else if (c === "(" || c === "[" || c === "{") {
      if (++depth > max) (max = depth), (at = i);
    } else if (c === ")" || c === "]" || c === "}") depth--;
  }
  return new SourceError(op, `the source nests too deeply for this transformation (the JavaScript stack ran out; ${max} levels of brackets at the deepest point, and long chains of operators count too); split deep expressions into statements (const t = …)`, text, at);
}

function reverse(op: string, f: unknown, opts: SourceGradOptions): Compiled {
  return guarded(op, f, () => {
    const fn = normalize(op, f, opts.name);
    const argnums = sourceArgnums(op, opts.argnums, fn.params.length);
    return build(reverseMode(fn, { argnums, op, checkpoint: checkpointOption(op, opts) }), fn, argnums);
  });
}

function checkpointOption(op: string, opts: SourceGradOptions): boolean {
  if (opts.checkpoint !== undefined && typeof opts.checkpoint !== "boolean") throw new InputError(`${op}: checkpoint is true or false; got ${fmtValue(opts.checkpoint)}`);
  if (opts.checkpoint && opts.mode === "forward") throw new InputError(`${op}: checkpoint applies to reverse mode; forward mode keeps no tape`);
  return opts.checkpoint === true;
}

function forward(op: string, f: unknown, opts: SourceOptions, batch?: number): Compiled {
  return guarded(op, f, () => {
    const fn = normalize(op, f, opts.name);
    const argnums = sourceArgnums(op, opts.argnums, fn.params.length);
    return build(forwardMode(fn, { argnums, op, batch }), fn, argnums);
  });
}

function scalarOut(op: string, fn: Fn, v: unknown): number {
  if (typeof v !== "number") throw new TransformError(`${op}: ${fn.name} must return a number to have a gradient; it returned ${fmtValue(v)} (use sourceVjp for arrays)`);
  return v;
}

const attach = <F>(f: F, source: string): SourceFn<F> => Object.defineProperty(f, "source", { value: source, enumerable: true }) as SourceFn<F>;

/**
 * Value and gradient of a function of numbers and arrays, by source transformation:
 * `sourceValueAndGrad(f)(x)` is `[f(x), ∇f(x)]`; the gradient has the argument's structure.
 * @example
 * const vg = sourceValueAndGrad("function f(x, y) { return x * y + Math.sin(x); }", { name: "f", argnums: [0, 1] });
 * vg(0, 3) // → [0, [4, 0]]
 */
export function sourceValueAndGrad(f: unknown, options?: SourceGradOptions): SourceFn<(...args: unknown[]) => [number, unknown]> {
  return valueAndGradAs("sourceValueAndGrad", f, options);
}

/** sourceValueAndGrad, its errors naming the function the user called. */
function valueAndGradAs(op: string, f: unknown, options?: SourceGradOptions): SourceFn<(...args: unknown[]) => [number, unknown]> {
  const opts = checkOptions(op, options as SourceGradOptions | undefined, ["argnums", "name", "mode", "checkpoint"]);
  checkpointOption(op, opts);
  if (opts.mode !== undefined && opts.mode !== "reverse" && opts.mode !== "forward") throw new InputError(`${op}: mode is "reverse" or "forward"; got ${fmtValue(opts.mode)}`);
  const single = opts.argnums === undefined || typeof opts.argnums === "number";
  if (opts.mode === "forward") {
    const c = forward(op, f, opts);
    const primal = lazyPrimal(op, f, opts);
    return attach((...args: unknown[]) => {
      checkArgs(op, c.fn, args, c.argnums);
      let value: number | null = null;
      // one forward pass per number of the differentiated arguments
      const grads = c.argnums.map((i) => {
        let g = zerosOf(args[i]);
        for (const slot of numberSlots(g)) {
          const tangents = c.argnums.map((j) => (j === i ? setSlot(zerosOf(args[i]), slot, 1) : zerosOf(args[j])));
          const [v, t] = c.call([...args, ...tangents]) as [unknown, unknown];
          value = scalarOut(op, c.fn, v);
          g = setSlot(g, slot, scalarOut(op, c.fn, t));
        }
        return g;
      });
      return [value ?? scalarOut(op, c.fn, primal().call(args)), single ? grads[0] : grads];
    }, c.source);
  }
  const c = reverse(op, f, opts);
  return attach((...args: unknown[]) => {
    checkArgs(op, c.fn, args, c.argnums);
    const [v, grads] = c.call([...args, 1]) as [unknown, unknown[]];
    return [scalarOut(op, c.fn, v), single ? grads[0] : grads];
  }, c.source);
}

/**
 * The gradient of a function of numbers and arrays, by source transformation. `.source` is its
 * code. The result can be transformed again: `sourceGrad(sourceGrad(f))` for a function of one
 * number, `sourceJvp(sourceGrad(f))` for Hessian-vector products.
 * @example
 * const g = sourceGrad("function f(x) { let s = 0; for (let i = 0; i < x.length; i++) s += x[i] * x[i]; return s; }", { name: "f" });
 * g([1, 2, 3]) // → [2, 4, 6]
 * g.source.includes("function f_vjp") // → true
 */
export function sourceGrad(f: unknown, options?: SourceGradOptions): SourceGradFn {
  const vg = valueAndGradAs("sourceGrad", f, options);
  const g = attach((...args: unknown[]) => vg(...args)[1], vg.source);
  // the same gradient as code inside the subset (reverse mode, seed 1, the gradient returned)
  const opts = (options ?? {}) as SourceGradOptions;
  const differentiable = guarded("sourceGrad", f, () => {
    const fn = normalize("sourceGrad", f, opts.name);
    const argnums = sourceArgnums("sourceGrad", opts.argnums, fn.params.length);
    // in forward mode, a derivative along one number is kept as forward-mode code
    const tangent = opts.mode === "forward" && argnums.length === 1 && fn.params[argnums[0]].kind === "scalar";
    const tree = tangent ? forwardMode(fn, { argnums, op: "sourceGrad", tangentOnly: true }) : reverseMode(fn, { argnums, op: "sourceGrad", gradientOnly: true, checkpoint: checkpointOption("sourceGrad", opts) });
    return { source: print(tree), name: tree.id.name as string };
  });
  Object.defineProperty(g, DIFFERENTIABLE_SOURCE, { value: differentiable });
  Object.defineProperty(g, "differentiable", { value: differentiable, enumerable: true });
  return g as SourceGradFn;
}

/**
 * Forward mode: `sourceJvp(f)(primals, tangents)` is `[f(primals), J·tangents]`, tangents given for
 * the `argnums` arguments.
 * @example
 * const fj = sourceJvp("function f(x) { return x * x * x; }", { name: "f" });
 * fj([2], [1]) // → [8, 12]
 */
export function sourceJvp(f: unknown, options?: SourceOptions & { batch?: number }): SourceFn<(primals: unknown[], tangents: unknown[]) => [unknown, unknown]> {
  const op = "sourceJvp";
  const opts = checkOptions(op, options, ["argnums", "name", "batch"]);
  const K = opts.batch;
  if (K !== undefined && !(Number.isInteger(K) && K >= 1 && K <= 65536)) throw new InputError(`${op}: batch is the number of directions, an integer from 1 to 65536; got ${fmtValue(K)}`);
  const c = forward(op, f, opts, K);
  return attach((primals: unknown[], tangents: unknown[]) => {
    if (!Array.isArray(primals) || !Array.isArray(tangents)) throw new InputError(`${op}: call it as jvp(primals, tangents) with two arrays of arguments`);
    checkArgs(op, c.fn, primals, c.argnums);
    if (tangents.length !== c.argnums.length) throw new InputError(`${op}: needs ${c.argnums.length} tangent${c.argnums.length === 1 ? "" : "s"} (one per argnum); got ${tangents.length}`);
    if (K === undefined) tangents.forEach((t, k) => sameStructure(op, primals[c.argnums[k]], t, `tangent ${k}`));
    else {
      tangents.forEach((t, k) => {
        const p = primals[c.argnums[k]], want = typeof p === "number" ? K : (p as ArrayLike<number>).length * K;
        const ok = (Array.isArray(t) || t instanceof Float64Array || t instanceof Float32Array) && t.length === want && (t instanceof Float64Array || t instanceof Float32Array || (t as unknown[]).every((v) => typeof v === "number"));
        if (!ok) throw new InputError(`${op}: with batch ${K}, tangent ${k} holds ${K} numbers per number of its argument (direction fastest): ${want} numbers; got ${fmtValue(t)}`);
      });
    }
    return c.call([...primals, ...tangents]) as [unknown, unknown];
  }, c.source);
}

/**
 * Reverse mode: `sourceVjp(f)(...args)` is `[f(args), pullback]`, and `pullback(ct)` gives the
 * cotangents of the `argnums` arguments (a list). The pullback runs the derivative code, forward
 * sweep included: the tape is not kept between calls.
 * @example
 * const fv = sourceVjp("function f(x, y) { return x * y; }", { name: "f", argnums: [0, 1] });
 * const [y, back] = fv(3, 4);
 * y // → 12
 * back(1) // → [4, 3]
 */
export function sourceVjp(f: unknown, options?: SourceOptions & { checkpoint?: boolean }): SourceFn<(...args: unknown[]) => [unknown, (ct: unknown) => unknown[]]> {
  const op = "sourceVjp";
  const opts = checkOptions(op, options as SourceGradOptions | undefined, ["argnums", "name", "checkpoint"]);
  const c = reverse(op, f, opts);
  const primal = lazyPrimal(op, f, opts);
  return attach((...args: unknown[]) => {
    checkArgs(op, c.fn, args, c.argnums);
    // args is this call's own array: the cotangent goes after the arguments
    const value = primal().call(args);
    const n = args.length;
    const pullback = (ct: unknown) => {
      sameStructure(op, value, ct, "the cotangent");
      args[n] = ct;
      return (c.call(args) as [unknown, unknown[]])[1];
    };
    return [value, pullback];
  }, c.source);
}

/** The function itself, compiled from its normalised form (for a source text there is no other). */
function lazyPrimal(op: string, f: unknown, opts: SourceOptions): () => Compiled {
  let c: Compiled | null = null;
  return () => (c ??= guarded(op, f, () => ((fn) => build(forwardMode(fn, { argnums: [], op }), fn, []))(normalize(op, f, opts.name))));
}

function sameStructure(op: string, like: unknown, t: unknown, what: string): void {
  if (!sameShape(like, t, 0)) explainMismatch(op, like, t, what);
}

/** Whether t has like's structure (numbers where it has numbers, arrays of the same lengths, the same keys), without allocating. */
function sameShape(like: unknown, t: unknown, depth: number): boolean {
  if (typeof like === "number") return typeof t === "number";
  if (depth > 64) return false;
  const isArr = (v: unknown): v is ArrayLike<unknown> => Array.isArray(v) || v instanceof Float64Array || v instanceof Float32Array;
  if (isArr(like)) {
    if (!isArr(t) || t.length !== like.length) return false;
    if (Array.isArray(like)) for (let i = 0; i < like.length; i++) if (!sameShape(like[i], t[i], depth + 1)) return false;
    return true;
  }
  if (like === null || typeof like !== "object" || t === null || typeof t !== "object" || isArr(t)) return false;
  for (const k in like) if (!sameShape((like as Record<string, unknown>)[k], (t as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}

/** Throw the error for the first place where t's structure differs from like's (sameShape said it does). */
function explainMismatch(op: string, like: unknown, t: unknown, what: string): never {
  const kind = (v: unknown) => (typeof v === "number" ? "number" : Array.isArray(v) || v instanceof Float64Array || v instanceof Float32Array ? `array of length ${(v as ArrayLike<unknown>).length}` : v !== null && typeof v === "object" ? "object" : typeof v);
  const find = (l: unknown, u: unknown): [unknown, unknown] | null => {
    if (kind(l) !== kind(u)) return [l, u];
    if (typeof l === "object" && l !== null && !ArrayBuffer.isView(l)) {
      for (const [k, v] of Object.entries(l)) {
        const m = find(v, (u as Record<string, unknown>)[k]);
        if (m) return m;
      }
    }
    return null;
  };
  const [l, u] = find(like, t) ?? [like, t];
  throw new InputError(`${op}: ${what} must have the structure of its value (${kind(l)}); got ${fmtValue(u)}`);
}

/** Paths to the numbers of a structure (for forward mode's one pass per input number). */
function numberSlots(x: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof x === "number") out.push(path);
  else if (x instanceof Float64Array || x instanceof Float32Array) for (let i = 0; i < x.length; i++) out.push([...path, i]);
  else if (Array.isArray(x)) x.forEach((v, i) => numberSlots(v, [...path, i], out));
  else if (x !== null && typeof x === "object") for (const [k, v] of Object.entries(x)) numberSlots(v, [...path, k], out);
  return out;
}

function setSlot(x: unknown, path: (string | number)[], v: number): unknown {
  if (path.length === 0) return v;
  let o = x as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) o = o[p] as Record<string | number, unknown>;
  o[path[path.length - 1]] = v;
  return x;
}
