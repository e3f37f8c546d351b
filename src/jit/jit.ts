/**
 * @file `jit(f)`: trace f once per input signature into the IR (with abstract shapes and dtypes),
 * optimize it, generate one JavaScript function for it, and rerun that afterwards.
 *
 * Under another transformation (grad(jit(f)), jvp(jit(f)), vmap-like tracing), the arguments are
 * tracers and jit(f) simply runs f, so every transformation composes with it; compile the outer
 * function (jit(grad(f))) to compile the derivative.
 */
import { Tensor } from "../core/tensor.js";
import { Tracer } from "../core/trace.js";
import { type TreeDef, flatten, unflatten, markNumber } from "../core/pytree.js";
import { type Program, evalProgram, Lit, subprograms } from "../core/ir.js";
import { InputError, ShapeError, DTypeError, TracerError, checkOptions, fmtValue, fmtShape } from "../core/errors.js";
import { callUser, checkFunction } from "../core/user-fn.js";
import { compileJS } from "../core/codegen.js";
import { type TypedArray, type DType, dtypeOfArray } from "../core/dtype.js";
import { ArrayTensor, scalarTensor, leafTensor } from "../tensor/array.js";
import { stage, StagingTracer } from "../transforms/stage.js";
import { optimize } from "./optimize.js";
import { type ProgramRun, isPersistent, markPersistent, programRunner } from "../ops/control.js";
import { plan, emit, fuseScatters } from "./codegen.js";

type Fn = (...args: any[]) => any;

export interface JitOptions {
  /** Positional arguments that are compile-time constants (e.g. sizes, flags): a new value recompiles. */
  staticArgnums?: number[];
  /** Log compilations with console.debug (also: environment variable WENGERT_DEBUG=jit). */
  debug?: boolean;
  /** A name for messages and the generated source (default: f.name). */
  name?: string;
}

/** Storage for `jitted.into`: f's result structure with a typed array (or null) per tensor. */
export type OutStorage = TypedArray | null | undefined | readonly OutStorage[] | { readonly [key: string]: OutStorage };

/** What one compilation produced, for inspection. */
export interface Lowered {
  /** The traced program, before optimization. */
  traced: Program;
  /** After identities, constant folding, CSE and dead-code elimination. */
  optimized: Program;
  /** The generated JavaScript (null when code generation is unavailable: the IR is interpreted). */
  source: string | null;
  /** Milliseconds spent tracing, optimizing and generating code. */
  compileMs: number;
}

interface Compiled extends Lowered {
  run: (inputs: ArrayTensor[], into?: (TypedArray | undefined)[]) => (ArrayTensor | null)[];
  outDef: TreeDef;
  /** Per output leaf: f returned a JS number there (so jit returns a number). */
  numberOuts: boolean[];
}

/**
 * A jitted function: f's own call signature (generic ones too, so `jit(valueAndGrad(f))` keeps its
 * typed results), plus `lower` and `compiles`.
 */
export type Jitted<F extends Fn> = F & {
  /** Compile (or fetch) for these arguments and return the programs and source without running. */
  lower(...args: Parameters<F>): Lowered;
  /**
   * f with its results written into storage the caller owns (NumPy's `out=`): `storage` has the
   * shape of f's result, a typed array of each output's dtype and size where a tensor is returned
   * (null or a missing entry: fresh storage for that one). The returned tensors are views of that
   * storage, so the next call overwrites them. Saves allocating (and zeroing) fresh arrays on
   * every call of a function called in a loop. Storage may not share memory with an argument,
   * a constant of f or other storage (a typed error says which).
   */
  into(storage: OutStorage): F;
  /** Number of compilations so far (one per distinct input signature). */
  readonly compiles: number;
};

const envDebug = typeof process !== "undefined" && /\bjit\b/.test(process.env?.WENGERT_DEBUG ?? "");

// Static values are keyed by identity when they are objects or functions.
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;
function staticKey(v: unknown): string {
  if (v === null || v === undefined || typeof v === "boolean" || typeof v === "string" || typeof v === "number" || typeof v === "bigint") {
    return `${typeof v}:${String(v)}`;
  }
  let id = objectIds.get(v as object);
  if (id === undefined) objectIds.set(v as object, (id = nextObjectId++));
  return `obj:${id}`;
}

function defKey(d: TreeDef): string {
  switch (d.kind) {
    case "leaf":
      return d.num ? "n" : "t";
    case "array":
      return `[${d.children.map(defKey).join(",")}]`;
    case "object":
      return `{${d.keys.map((k, i) => `${JSON.stringify(k)}:${defKey(d.children[i])}`).join(",")}}`;
    case "static":
      return `s(${staticKey(d.value)})`;
  }
}

/**
 * Thrown while compiling when f closes over a value of an enclosing transformation (grad's or
 * vmap's tracer, an outer jit's staged value): staging would bake that tracer into the program as
 * a constant. jit then runs f itself under that transformation, as it does for traced arguments.
 */
class ClosesOverTracer extends Error {}
/** Whether the program (or a sub-program) holds a tracer as a literal. */
function holdsTracer(p: Program): boolean {
  const isTracerLit = (a: unknown) => a instanceof Lit && a.value instanceof Tracer;
  return p.outputs.some(isTracerLit) || p.eqns.some((e) => e.inputs.some(isTracerLit) || subprograms(e).some(holdsTracer));
}

const avalOf = (l: Tensor | number) => (typeof l === "number" ? { shape: [] as number[], dtype: "float64" as const } : { shape: [...l.shape], dtype: l.dtype });

/**
 * @example
 * const f = jit((x: Tensor) => sum(mul(x, x)));
 * f(tensor([1, 2, 3])) // → 14
 * grad(f)(tensor([1, 2, 3])) // → [2, 4, 6]
 */
export function jit<F extends Fn>(f: F, options?: JitOptions): Jitted<F> {
  checkFunction("jit", f);
  const opts = checkOptions("jit", options, ["staticArgnums", "debug", "name"]);
  if (opts.name !== undefined && typeof opts.name !== "string") throw new InputError(`jit: the name option must be a string; got ${fmtValue(opts.name)}`);
  // The name appears in messages (and, sanitised, in a comment of the generated source), never as code.
  const name = opts.name ?? (typeof f.name === "string" && f.name ? f.name : "f");
  const sa: unknown = opts.staticArgnums ?? [];
  if (!Array.isArray(sa) || !sa.every((i) => typeof i === "number" && Number.isInteger(i) && i >= 0)) {
    throw new InputError(`jit: staticArgnums must be an array of non-negative integers (argument positions); got ${fmtValue(sa)}`);
  }
  const staticArgs = new Set<number>(sa);
  const debug = opts.debug ?? envDebug;
  const cache = new Map<string, Compiled>();
  let compiles = 0;

  const split = (args: unknown[]) => {
    const dynamic = args.map((a, i) => (staticArgs.has(i) ? null : a));
    const [leaves, def] = flatten(dynamic);
    const key = defKey(def) + "|" + [...staticArgs].map((i) => staticKey(args[i])).join(",") + "|" + leaves.map((l) => { const a = avalOf(l); return `${a.dtype}[${a.shape}]`; }).join(";");
    return { leaves, def, key };
  };

  const compile = (args: unknown[], leaves: (Tensor | number)[], def: TreeDef, key: string): Compiled => {
    const t0 = performance.now();
    const { program, extra } = stage(`jit(${name})`, leaves.map(avalOf), (ins) => {
      ins.forEach((t, i) => typeof leaves[i] === "number" && markNumber(t)); // number in, number out
      const dynamic = unflatten<unknown[]>(def, ins);
      const call = args.map((a, i) => (staticArgs.has(i) ? a : dynamic[i]));
      const result = callUser(`jit(${name})`, f, call);
      checkNoLeak(call, ins, name);
      const [outLeaves, outDef] = flatten(result);
      return { outs: outLeaves.map((l) => leafTensor(l)), extra: outDef };
    });
    if (holdsTracer(program)) throw new ClosesOverTracer();
    markPersistent(program); // its sub-programs run call after call: compiled
    const { optimized, source, run } = lowerProgram(program, name);
    const compileMs = performance.now() - t0;
    compiles++;
    if (debug) {
      console.debug(`wengert jit(${name}): compiled for ${key.split("|").pop() || "no tensor inputs"} in ${compileMs.toFixed(1)} ms (${cache.size + 1} signature${cache.size ? "s" : ""} cached; ${program.eqns.length} → ${optimized.eqns.length} equations)`);
    }
    const numberOuts = numberLeaves(extra!);
    return { traced: program, optimized, source, compileMs, run, outDef: extra!, numberOuts };
  };

  const lookup = (args: unknown[], leaves: (Tensor | number)[], def: TreeDef, key: string) => {
    let c = cache.get(key);
    if (!c) cache.set(key, (c = compile(args, leaves, def, key)));
    if (staticArgs.size === 0 && leaves.length === args.length && args.every((a) => a instanceof Tensor && !(a instanceof Tracer))) {
      last = { shapes: (args as Tensor[]).map((a) => [...a.shape]), dtypes: (args as Tensor[]).map((a) => a.dtype), c };
    }
    return c;
  };
  // The last signature whose arguments were all tensors (no structure, no static arguments): a
  // call with tensors of the same shapes and dtypes reuses its program after comparing them,
  // without flattening the arguments and building the cache key (~1.4 µs a call, as much as a
  // small program's arithmetic).
  let last: { shapes: number[][]; dtypes: DType[]; c: Compiled } | null = null;
  const same = (args: unknown[]): Compiled | null => {
    if (last === null || args.length !== last.shapes.length) return null;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (!(a instanceof Tensor) || a instanceof Tracer || a.dtype !== last.dtypes[i]) return null;
      const s = a.shape, t = last.shapes[i];
      if (s.length !== t.length) return null;
      for (let d = 0; d < s.length; d++) if (s[d] !== t[d]) return null;
    }
    return last.c;
  };
  /** The compiled program for these arguments and its inputs, or null under a transformation. */
  const resolve = (args: unknown[]): { c: Compiled; inputs: ArrayTensor[] } | null => {
    const hit = same(args);
    if (hit) return { c: hit, inputs: (args as Tensor[]).map((a) => a.concrete()) };
    const { leaves, def, key } = split(args);
    if (leaves.some((l) => l instanceof Tracer)) return null;
    let c: Compiled;
    try {
      c = lookup(args, leaves, def, key);
    } catch (e) {
      if (e instanceof ClosesOverTracer) return null; // nothing cached: the next call checks again
      throw e;
    }
    return { c, inputs: leaves.map((l) => (typeof l === "number" ? scalarTensor(l) : l.concrete())) };
  };

  const jitted = ((...args: unknown[]) => {
    const r = resolve(args);
    // Under a transformation the inputs are tracers: run f itself so that transformation sees it.
    if (r === null) return f(...args);
    const { c, inputs } = r;
    const outs = c.run(inputs);
    return unflatten(c.outDef, outs.map((o, i) => (c.numberOuts[i] && o ? o.item() : o)));
  }) as unknown as Jitted<F>;
  Object.defineProperty(jitted, "compiles", { get: () => compiles });
  jitted.into = (storage: OutStorage) => ((...args: unknown[]) => {
    const r = resolve(args);
    if (r === null) {
      throw new TracerError(`jit(${name}).into writes concrete results into arrays, so it cannot run under another transformation (grad, vmap, jit, …); call jit(${name}) there instead`);
    }
    const { c, inputs } = r;
    const into = storageFor(name, c, storage, inputs);
    const outs = c.run(inputs, into);
    const given = new Set(into);
    const results = outs.map((o, j) => {
      const s = into[j];
      if (o === null) return o;
      // a result without storage of its own that is (a view of) one with storage: its own copy
      if (s === undefined) return given.has(o.data) ? new ArrayTensor(o.data.slice(), o.shape, o.dtype) : o;
      if (o.data !== s) s.set(o.data); // the output came from an op or an input: copied into the storage
      return new ArrayTensor(s, o.shape, o.dtype);
    });
    return unflatten(c.outDef, results.map((o, i) => (c.numberOuts[i] && o ? o.item() : o)));
  }) as unknown as F;
  jitted.lower = (...args: unknown[]) => {
    const { leaves, def, key } = split(args);
    try {
      return lookup(args, leaves, def, key);
    } catch (e) {
      if (!(e instanceof ClosesOverTracer)) throw e;
      throw new TracerError(`jit(${name}).lower: f closes over a value of an enclosing transformation (grad, vmap, jit, …), so it has no program of its own; pass that value as an argument`);
    }
  };
  Object.defineProperty(jitted, "name", { value: `jit(${name})` });
  return jitted;
}

const STORAGE: Record<DType, string> = { float64: "Float64Array", float32: "Float32Array", int32: "Int32Array", bool: "Uint8Array" };
const isTypedArray = (x: unknown): x is TypedArray => x instanceof Float64Array || x instanceof Float32Array || x instanceof Int32Array || x instanceof Uint8Array;
const bytes = (a: TypedArray) => ({ buffer: a.buffer, from: a.byteOffset, to: a.byteOffset + a.byteLength });

/**
 * Per output of c, the caller's storage for it (undefined: none), checked against the outputs'
 * dtypes and sizes and for shared memory: the compiled program writes an output while it may
 * still read its arguments and constants, so storage overlapping one of them would give wrong
 * numbers, not an error.
 */
function storageFor(name: string, c: Compiled, storage: OutStorage, inputs: ArrayTensor[]): (TypedArray | undefined)[] {
  const op = `jit(${name}).into`;
  const found: { path: string; a: TypedArray | null | undefined }[] = [];
  const walk = (d: TreeDef, s: unknown, path: string): void => {
    if (d.kind === "leaf") {
      if (s !== null && s !== undefined && !isTypedArray(s)) throw new InputError(`${op}: the storage at ${path} must be a typed array (or null for fresh storage); got ${fmtValue(s)}`);
      found.push({ path, a: s as TypedArray | null | undefined });
    } else if (d.kind === "array") {
      if (s !== null && s !== undefined && (!Array.isArray(s) || s.length !== d.children.length)) {
        throw new InputError(`${op}: the result at ${path} is an array of ${d.children.length}; give an array of as many storage entries (or null); got ${fmtValue(s)}`);
      }
      d.children.forEach((k, i) => walk(k, (s as unknown[] | null | undefined)?.[i], `${path}[${i}]`));
    } else if (d.kind === "object") {
      if (s !== null && s !== undefined && (typeof s !== "object" || Array.isArray(s) || isTypedArray(s))) {
        throw new InputError(`${op}: the result at ${path} is an object with keys ${d.keys.join(", ")}; give an object of storage under those keys (or null); got ${fmtValue(s)}`);
      }
      const extra = s ? Object.keys(s).filter((k) => !d.keys.includes(k)) : [];
      if (extra.length) throw new InputError(`${op}: the storage at ${path} has key ${extra[0]}, which the result does not have (its keys: ${d.keys.join(", ")})`);
      d.children.forEach((k, i) => walk(k, (s as Record<string, unknown> | null | undefined)?.[d.keys[i]], `${path}.${d.keys[i]}`));
    } else if (s !== null && s !== undefined) {
      throw new InputError(`${op}: the result at ${path} is not a tensor; it takes no storage`);
    }
  };
  walk(c.outDef, storage, "result");
  const taken: { path: string; r: ReturnType<typeof bytes> }[] = [];
  const overlaps = (p: ReturnType<typeof bytes>, q: ReturnType<typeof bytes>) => p.buffer === q.buffer && p.from < q.to && q.from < p.to;
  let constants = constantsOf.get(c);
  if (!constants) constantsOf.set(c, (constants = constantArrays(c.optimized)));
  return found.map(({ path, a }, j) => {
    if (a === null || a === undefined) return undefined;
    const out = c.traced.outputs[j];
    if (out === null || c.numberOuts[j]) throw new InputError(`${op}: the result at ${path} is ${out === null ? "empty" : "a JS number"}; it takes no storage (give null there)`);
    const { shape, dtype } = out.aval, size = shape.reduce((p, q) => p * q, 1);
    if (dtypeOfArray(a) !== dtype) {
      throw new DTypeError(`${op}: the result at ${path} is ${dtype}${fmtShape(shape)}; its storage must be a ${STORAGE[dtype]}, got a ${a.constructor.name}`);
    }
    if (a.length !== size) throw new ShapeError(`${op}: the result at ${path} is ${dtype}${fmtShape(shape)} (${size} elements); its storage has ${a.length} elements`);
    const r = bytes(a);
    inputs.forEach((t, i) => {
      if (overlaps(r, bytes(t.data))) throw new InputError(`${op}: the storage at ${path} shares memory with ${inputs.length === 1 ? "the argument" : `argument tensor ${i} (counting the arguments' tensors in order)`}; the program reads its arguments while it writes results, so give storage of its own`);
    });
    for (const k of constants) if (overlaps(r, bytes(k))) throw new InputError(`${op}: the storage at ${path} shares memory with a constant of ${name}; give storage of its own`);
    const other = taken.find((t) => overlaps(t.r, r));
    if (other) throw new InputError(`${op}: the storage at ${path} shares memory with the storage at ${other.path}; give each result storage of its own`);
    taken.push({ path, r });
    return a;
  });
}

const constantsOf = new WeakMap<Compiled, TypedArray[]>();
/** The stored arrays of a program's constants, its sub-programs' (scan bodies, branches) included. */
function constantArrays(p: Program, out: TypedArray[] = []): TypedArray[] {
  for (const e of p.eqns) {
    for (const a of e.inputs) if (a instanceof Lit && a.value instanceof ArrayTensor && a.value.uniform === undefined) out.push(a.value.data);
    for (const q of subprograms(e)) constantArrays(q, out);
  }
  return out;
}

/** Optimize a program and generate its code (or, without code generation, an interpreter of it). */
export function lowerProgram(program: Program, name: string) {
  const optimized = optimize(program);
  const fused = fuseScatters(optimized);
  const { source, names, values } = emit(fused, plan(fused));
  const generated = compileJS<(inputs: ArrayTensor[], into?: (TypedArray | undefined)[]) => (ArrayTensor | null)[]>(names, source, values, `jit ${name}`);
  const run = generated ?? ((inputs: ArrayTensor[]) => evalProgram(fused, inputs) as (ArrayTensor | null)[]);
  return { optimized, source: generated ? source : null, run };
}

// Bodies and branches of control flow run compiled too (compiled once per sub-program).
const compiledBodies = new WeakMap<Program, (inputs: ArrayTensor[], into?: (TypedArray | undefined)[]) => (ArrayTensor | null)[]>();
/**
 * Runs below which a sub-program an eager call traced is interpreted rather than compiled:
 * compiling takes milliseconds, an interpreted step microseconds per equation, and an eager call
 * traces new programs every time (a √T-checkpointed scan: two per segment).
 */
const COMPILE_MIN_RUNS = 256;
programRunner.prepare = (p, runs = Infinity) => {
  if (runs < COMPILE_MIN_RUNS && !isPersistent(p) && !compiledBodies.has(p)) return (args) => evalProgram(p, args) as ArrayTensor[];
  let run = compiledBodies.get(p);
  if (!run) {
    compiledBodies.set(p, (run = lowerProgram(p, "body").run));
    subprogramsCompiled.count++;
  }
  return run as ProgramRun;
};
/** How many sub-programs jit's runner has compiled (tests read it). */
export const subprogramsCompiled = { count: 0 };

function numberLeaves(def: TreeDef): boolean[] {
  const out: boolean[] = [];
  const rec = (d: TreeDef): void => {
    if (d.kind === "leaf") out.push(d.num);
    else if (d.kind === "array" || d.kind === "object") d.children.forEach(rec);
  };
  rec(def);
  return out;
}

/**
 * A function that stores a traced value into one of its arguments (pushing onto an outer array) would
 * leave a tracer behind; detect the common case, where the argument itself was mutated.
 */
function checkNoLeak(args: unknown[], inputs: Tensor[], name: string): void {
  const ins = new Set<Tensor>(inputs);
  const [leaves] = flatten(args);
  for (const l of leaves) {
    if (l instanceof StagingTracer && !ins.has(l)) {
      throw new TracerError(
        `jit(${name}): the function stored a traced value into one of its arguments; traced values exist only while jit traces. ` +
          `Return the value instead of storing it (side effects on traced values run once, at trace time)`,
      );
    }
  }
}
