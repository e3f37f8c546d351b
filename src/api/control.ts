/**
 * @file Control flow that works both eagerly and staged (inside jit): cond, switchCase, fori, scan,
 * whileLoop, and checkpoint. On concrete values they are plain JS (so every transformation sees the
 * operations as usual, and reverse mode stores what it needs); on staged values (inside jit) they
 * emit one equation holding sub-programs (ops/control.ts).
 */
import { Tensor, type Aval } from "../core/tensor.js";
import { bind, traceDepth } from "../core/trace.js";
import { callUser, checkFunction } from "../core/user-fn.js";
import { type TreeDef, flatten, unflatten, treeMismatch, numberResult } from "../core/pytree.js";
import { ConcretizationError, DTypeError, InputError, ShapeError, TransformError, checkOptions, fmtShape, fmtValue } from "../core/errors.js";
import { Lit, Program, Var, freshVarId } from "../core/ir.js";
import { ArrayTensor, scalarTensor, leafTensor } from "../tensor/array.js";
import { condP, scanP, whileP, checkpointP } from "../ops/control.js";
import { stageClosed, outAvals } from "../transforms/subprogram.js";
import { linearizeFlat } from "../transforms/linearize.js";
import { cast, compare } from "../ops/elementwise.js";
import { stack, slice, arange, concat, expandDims } from "./ops.js";
import { asTensor } from "./convert.js";


/** Whether a value is only known symbolically (inside jit), so control flow must be staged. */
function staged(x: unknown): boolean {
  if (!(x instanceof Tensor)) return false;
  try {
    x.concrete();
    return false;
  } catch (e) {
    if (e instanceof ConcretizationError) return true;
    throw e;
  }
}

const fmtAval = (a: Aval) => `${a.dtype}${fmtShape(a.shape)}`;

/** Stage `f` over a pytree of operands; returns the closed program and the output tree. */
function stageTree(kind: string, f: (...args: any[]) => unknown, def: TreeDef, avals: Aval[]) {
  let outDef: TreeDef | null = null;
  const closed = stageClosed(kind, avals, (ins) => {
    const [leaves, d] = flatten(f(...unflatten<unknown[]>(def, ins)));
    outDef = d;
    return leaves.map(leafTensor);
  });
  return { ...closed, outDef: outDef! };
}

// ---- cond / switch ---------------------------------------------------------------------------

/**
 * `cond(pred, ifTrue, ifFalse, ...operands)`: ifTrue(...operands) when pred is true, else
 * ifFalse(...operands). pred is a boolean, an integer or a scalar bool/int32 tensor (non-zero is
 * true); a float is refused, as in JAX (compare instead: gt(x, 0)). With a concrete pred only the
 * taken branch runs; inside jit both branches are staged and must return the same structure,
 * shapes and dtypes.
 * @example
 * cond(tensor(true), (x: Tensor) => mul(x, 2), (x: Tensor) => neg(x), tensor(3)) // → 6
 */
export function cond<T>(pred: Tensor | boolean | number, ifTrue: (...ops: any[]) => T, ifFalse: (...ops: any[]) => T, ...operands: unknown[]): T {
  // as JAX's cond: a boolean or an integer (non-zero is true); a float predicate is refused (0.5 would
  // truncate to 0, NaN has no truth value), so compare instead
  if (typeof pred === "number" && !Number.isInteger(pred)) {
    throw new InputError(`cond: the predicate must be a boolean or an integer; got ${fmtValue(pred)}; compare instead (gt(x, 0), ne(x, 0))`);
  }
  if (pred instanceof Tensor && pred.dtype !== "bool" && pred.dtype !== "int32") {
    throw new DTypeError(`cond: the predicate must be a bool or int32 tensor; got ${pred.dtype}${fmtShape(pred.shape)}; compare instead (gt(x, 0), ne(x, 0))`);
  }
  if (typeof pred === "boolean" || typeof pred === "number") return switchCase(pred ? 1 : 0, [ifFalse, ifTrue], ...operands);
  if (!(pred instanceof Tensor)) throw new InputError(`cond: the predicate must be a boolean, an integer or a scalar bool/int32 tensor; got ${fmtValue(pred)}`);
  // an int32 predicate is true where non-zero (−3 too: switchCase would clamp it to branch 0)
  const index = pred.dtype === "bool" ? cast(pred, "int32") : cast(compare(pred, scalarTensor(0, "int32"), "ne"), "int32");
  return switchCase(index, [ifFalse, ifTrue], ...operands);
}

/**
 * `switchCase(index, branches, ...operands)`: branches[index](...operands), index clamped to the range.
 * @example
 * switchCase(tensor(1, { dtype: "int32" }), [(x: Tensor) => x, (x: Tensor) => mul(x, 10)], tensor(2)) // → 20
 */
export function switchCase<T>(index: Tensor | number, branches: ((...ops: any[]) => T)[], ...operands: unknown[]): T {
  if (!Array.isArray(branches) || branches.length === 0 || !branches.every((b) => typeof b === "function")) {
    throw new InputError("switchCase/cond: needs branch functions (cond(pred, ifTrue, ifFalse, ...operands); switchCase(index, [f0, f1, …], ...operands))");
  }
  if (typeof index === "number" && !Number.isFinite(index)) throw new InputError(`switchCase: the branch index must be a finite number; got ${index}`);
  if (index instanceof Tensor && index.size !== 1) throw new ShapeError(`switchCase: the index must be a scalar; got shape ${fmtShape(index.shape)}`);
  if (!staged(index)) {
    const i = typeof index === "number" ? index : index.item();
    return branches[Math.min(Math.max(Math.trunc(i), 0), branches.length - 1)](...operands);
  }
  const [leaves, def] = flatten(operands);
  const ops = leaves.map(leafTensor);
  const avals = ops.map((o) => ({ shape: o.shape, dtype: o.dtype }));
  const staged_ = branches.map((b, k) => ({ k, ...stageTree(`switch branch ${k}`, b, def, avals) }));
  const first = staged_[0];
  for (const s of staged_.slice(1)) {
    const m = treeMismatch(first.outDef, s.outDef);
    if (m) throw new TransformError(`cond/switch: branches 0 and ${s.k} return different structures (${m})`);
    const a = outAvals(first.program), b = outAvals(s.program);
    a.forEach((x, i) => {
      if (fmtAval(x) !== fmtAval(b[i])) throw new TransformError(`cond/switch: branches 0 and ${s.k} return ${fmtAval(x)} and ${fmtAval(b[i])} for output ${i}; both branches must give the same shapes and dtypes`);
    });
  }
  // every branch takes all captured values (each ignores the others')
  const consts = staged_.flatMap((s) => s.consts);
  const branchPrograms = staged_.map((s, k) => {
    const before = staged_.slice(0, k).reduce((n, t) => n + t.consts.length, 0);
    return padInputs(s.program, consts.map((c) => ({ shape: c.shape, dtype: c.dtype })), before, s.consts.length);
  });
  const idx = cast(index as Tensor, "int32");
  const outs = bind(condP, [idx.ndim ? idx.reshape([]) : idx, ...consts, ...ops], { branches: branchPrograms });
  return unflatten<T>(first.outDef, outs);
}

/** The same program taking extra (ignored) leading inputs so that all branches share one signature. */
function padInputs(p: Program, constAvals: Aval[], from: number, count: number): Program {
  let id = freshVarId(p);
  const own = p.inputs.slice(0, count);
  const rest = p.inputs.slice(count);
  const inputs = constAvals.map((a, i) => (i >= from && i < from + count ? own[i - from] : new Var(id++, a)));
  return new Program([...inputs, ...rest], p.eqns, p.outputs);
}

// ---- loops -----------------------------------------------------------------------------------

export interface ScanOptions {
  /** Number of steps when there are no xs. */
  length?: number;
  /** Run from the last element of xs to the first (ys keep xs's order). */
  reverse?: boolean;
  /**
   * Reverse-mode memory: "none" keeps every step's intermediates (eager) or the values the
   * derivative reads (staged: the residuals, stacked by the primal scan); "sqrt" keeps only the
   * carries at ~√T segment boundaries and recomputes each segment during the backward pass (a
   * scan over checkpointed segments, each an inner scan).
   */
  checkpoint?: "none" | "sqrt";
}

/**
 * `scan(f, init, xs)`: carry = init; for each x along xs's leading axis, [carry, y] = f(carry, x);
 * returns [final carry, ys stacked along a new leading axis]. Carry, x and y may be pytrees.
 * @example
 * const [total, partials] = scan((c: Tensor, x: Tensor) => [add(c, x), add(c, x)], tensor(0), tensor([1, 2, 3]));
 * total // → 6
 * partials // → [1, 3, 6]
 */
export function scan<C, X, Y>(f: (carry: C, x: X) => [C, Y], init: C, xs?: X | null, options?: ScanOptions): [C, Y] {
  if (typeof f !== "function") throw new InputError(`scan: f must be a function (carry, x) => [carry, y]; got ${fmtValue(f)}`);
  const opts = checkOptions("scan", options, ["length", "reverse", "checkpoint"]);
  if (opts.checkpoint !== undefined && opts.checkpoint !== "none" && opts.checkpoint !== "sqrt") {
    throw new InputError(`scan: checkpoint must be "none" or "sqrt"; got ${fmtValue(opts.checkpoint)}`);
  }
  const [xLeaves, xDef] = flatten(xs ?? null);
  const xT = xLeaves.map(leafTensor);
  const length = opts.length ?? xT[0]?.shape[0];
  if (length === undefined || !Number.isInteger(length) || length < 0) throw new InputError("scan: give xs with a leading axis, or opts.length for a scan without xs");
  for (const x of xT) {
    if (x.ndim === 0 || x.shape[0] !== length) throw new ShapeError(`scan: every xs leaf needs a leading axis of length ${length}; got shape ${fmtShape(x.shape)}`);
  }
  const [cLeaves] = flatten(init);
  const isStaged = [...cLeaves, ...xT].some(staged);
  if (opts.checkpoint === "sqrt" && length > 3) return sqrtScan(f, init, xs ?? null, length, opts.reverse ?? false);
  if (!isStaged) return eagerScan(f, init, xT, xDef, length, opts.reverse ?? false);

  const [initLeaves, cDef] = flatten(init);
  const carry = initLeaves.map(leafTensor);
  const cAvals = carry.map((c) => ({ shape: c.shape, dtype: c.dtype }));
  const xAvals = xT.map((x) => ({ shape: x.shape.slice(1), dtype: x.dtype }));
  let yDef: TreeDef | null = null;
  const body = stageClosed("scan body", [...cAvals, ...xAvals], (ins) => {
    const c = unflatten<C>(cDef, ins.slice(0, carry.length));
    const x = unflatten<X>(xDef, ins.slice(carry.length));
    const res = f(c, x);
    if (!Array.isArray(res) || res.length !== 2) throw new TransformError("scan: f must return [newCarry, y]");
    const [c2, d2] = flatten(res[0]);
    const m = treeMismatch(cDef, d2);
    if (m) throw new TransformError(`scan: f changes the carry's structure (${m})`);
    const [yLeaves, yd] = flatten(res[1]);
    yDef = yd;
    const outs = c2.map(leafTensor);
    outs.forEach((o, i) => {
      if (fmtAval(o) !== fmtAval(cAvals[i])) throw new TransformError(`scan: f turns carry leaf ${i} from ${fmtAval(cAvals[i])} into ${fmtAval(o)}; it must keep shapes and dtypes`);
    });
    return [...outs, ...yLeaves.map(leafTensor)];
  });
  const outs = bind(scanP, [...body.consts, ...carry, ...xT], {
    body: body.program, length, reverse: opts.reverse ?? false, numConsts: body.consts.length, numCarry: carry.length,
  });
  return [unflatten<C>(cDef, outs.slice(0, carry.length)), unflatten<Y>(yDef!, outs.slice(carry.length))];
}

/**
 * A scan with √T memory in reverse mode, eager or staged: an outer scan over ⌊T/s⌋ segments
 * (s = ⌈√T⌉) whose step is an inner scan of s steps, plus a scan over the remaining steps. Each
 * segment (and the remainder) runs under `checkpoint`: reverse mode keeps only the segment's input
 * carry and xs (reverse mode through a plain scan, eager or staged, keeps every step's
 * intermediates), so the outer scan stores one carry per segment and each segment's residuals
 * exist only while that segment is pulled back.
 */
function sqrtScan<C, X, Y>(f: (carry: C, x: X) => [C, Y], init: C, xs: X | null, length: number, reverse: boolean): [C, Y] {
  const seg = Math.ceil(Math.sqrt(length)), nseg = Math.floor(length / seg), main = nseg * seg;
  const [xLeaves, xDef] = flatten(xs);
  const xT = xLeaves.map(leafTensor);
  const part = (lo: number, hi: number) => xT.map((x) => slice(x, [lo, hi]));
  const xsMain = unflatten<X>(xDef, part(0, main).map((x) => x.reshape([nseg, seg, ...x.shape.slice(1)])));
  const xsRest = unflatten<X>(xDef, part(main, length));
  const hasXs = xT.length > 0;
  const segment = checkpoint((cc: C, xseg: X) => scan(f, cc, hasXs ? xseg : null, { length: seg, reverse }), "scan segment");
  const rest = checkpoint((cc: C, xr: X) => scan(f, cc, hasXs ? xr : null, { length: length - main, reverse }), "scan segment");
  const runMain = (c: C): [C, Y] => scan(segment, c, hasXs ? xsMain : null, { length: nseg, reverse });
  const runRest = (c: C): [C, Y] | null => (main < length ? rest(c, xsRest) : null);
  // in reverse the remainder (the last steps) runs first
  let carry: C, mainYs: Y, restYs: Y | null = null;
  if (reverse) {
    const r = runRest(init);
    [carry, mainYs] = runMain(r ? r[0] : init);
    restYs = r ? r[1] : null;
  } else {
    [carry, mainYs] = runMain(init);
    const r = runRest(carry);
    if (r) [carry, restYs] = r;
  }
  // ys keep xs's order: the main part [nseg, seg, …] flattened to [main, …], then the remainder
  const [mLeaves, yDef] = flatten(mainYs);
  const rLeaves = restYs === null ? null : flatten(restYs)[0];
  const ys = mLeaves.map(leafTensor).map((y, j) => {
    const flat = y.reshape([main, ...y.shape.slice(2)]);
    return rLeaves ? concat([flat, leafTensor(rLeaves[j])], 0) : flat;
  });
  return [carry, unflatten<Y>(yDef, ys)];
}

function eagerScan<C, X, Y>(f: (carry: C, x: X) => [C, Y], init: C, xT: Tensor[], xDef: TreeDef, length: number, reverse: boolean): [C, Y] {
  if (length === 0) throw new InputError("scan: a scan of length 0 has no ys to stack; call f once yourself to get their shapes");
  const ys: Y[] = new Array(length);
  let carry = init;
  for (let s = 0; s < length; s++) {
    const k = reverse ? length - 1 - s : s;
    [carry, ys[k]] = f(carry, unflatten<X>(xDef, xT.map((x) => slice(x, k))));
    if (s + 1 < length && flatten(carry)[0].some(staged)) {
      // a concrete start whose step reads staged values (inside jit): the other steps are one staged
      // scan, not length − 1 copies of the step in the program
      const [lo, hi] = reverse ? [0, k] : [k + 1, length];
      const [c, restYs] = scan(f, carry, unflatten<X>(xDef, xT.map((x) => slice(x, [lo, hi]))), { length: hi - lo, reverse });
      const first = flatten(ys[k])[0].map((y) => expandDims(leafTensor(y), 0));
      const [rest, yDef] = flatten(restYs);
      const joined = rest.map((r, j) => concat(reverse ? [leafTensor(r), first[j]] : [first[j], leafTensor(r)], 0));
      return [c, unflatten<Y>(yDef, joined)];
    }
  }
  const [, yDef] = flatten(ys[0]);
  const cols = ys.map((y) => flatten(y)[0].map(leafTensor));
  const stacked = cols[0].map((_, j) => stack(cols.map((c) => c[j]), 0));
  return [carry, unflatten<Y>(yDef, stacked)];
}

/**
 * `fori(lo, hi, body, init)`: carry = body(i, carry) for i = lo … hi−1. Eagerly, i is a number;
 * inside jit, an int32 scalar tensor. Reverse mode works in both (a staged fori is a scan).
 * @example
 * fori(0, 3, (i: Tensor, x: Tensor) => mul(x, 2), tensor(1)) // → 8
 */
export function fori<C>(lo: number, hi: number, body: (i: any, carry: C) => C, init: C): C {
  if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new InputError(`fori: lo and hi must be integers (the number of steps is fixed); got ${fmtValue(lo)} and ${fmtValue(hi)}; use whileLoop for a traced bound`);
  if (typeof body !== "function") throw new InputError(`fori: body must be a function (i, carry) => carry; got ${fmtValue(body)}`);
  const [initLeaves, initDef] = flatten(init);
  if (!initLeaves.some(staged)) {
    let c = init;
    for (let i = lo; i < hi; i++) {
      c = body(i, c);
      const [leaves, d] = flatten(c);
      const m = treeMismatch(initDef, d);
      if (m) throw new TransformError(`fori: body changes the carry's structure at step ${i} (${m}); it must return a carry like init`);
      // a concrete start whose body reads staged values (inside jit): the rest is one staged loop,
      // not hi − lo copies of the body in the program
      if (i + 1 < hi && leaves.some(staged)) return fori(i + 1, hi, body, c);
    }
    return c;
  }
  if (hi <= lo) return init;
  const [c] = scan((carry: C, i: Tensor) => [body(i, carry), null], init, arange(lo, hi));
  return c;
}

/**
 * `whileLoop(cond, body, init)`: while cond(carry) is true, carry = body(carry).
 * @example
 * whileLoop((x: Tensor) => lt(x, 10), (x: Tensor) => mul(x, 2), tensor(1)) // → 16
 */
export function whileLoop<C>(condFn: (carry: C) => Tensor | boolean, body: (carry: C) => C, init: C): C {
  if (typeof condFn !== "function" || typeof body !== "function") throw new InputError(`whileLoop: needs two functions, cond(carry) => boolean and body(carry) => carry, then the initial carry; got ${fmtValue(condFn)} and ${fmtValue(body)}`);
  const [leaves, def] = flatten(init);
  const truth = (v: Tensor | boolean) => {
    if (typeof v === "boolean") return v;
    if (!(v instanceof Tensor) || v.size !== 1) throw new InputError(`whileLoop: cond must return a boolean or a scalar tensor; got ${v instanceof Tensor ? `shape ${fmtShape(v.shape)}` : fmtValue(v)}`);
    return v.item() !== 0;
  };
  if (!leaves.some(staged)) {
    let c = init;
    // a condition that becomes staged (it closes over a traced value) needs the staged loop
    const first = condFn(c);
    if (!staged(first)) {
      let go = truth(first as Tensor | boolean);
      while (go) {
        c = body(c);
        go = truth(condFn(c));
      }
      return c;
    }
  }
  const carry = leaves.map(leafTensor);
  const avals = carry.map((c) => ({ shape: c.shape, dtype: c.dtype }));
  const condProg = stageClosed("while cond", avals, (ins) => {
    const v = condFn(unflatten<C>(def, ins));
    const t = typeof v === "boolean" ? scalarTensor(v ? 1 : 0, "bool") : v;
    if (t.size !== 1) throw new ShapeError(`whileLoop: cond must return a scalar; got shape ${fmtShape(t.shape)}`);
    return [t.ndim ? t.reshape([]) : t];
  });
  const bodyProg = stageClosed("while body", avals, (ins) => {
    const [out, d] = flatten(body(unflatten<C>(def, ins)));
    const m = treeMismatch(def, d);
    if (m) throw new TransformError(`whileLoop: body changes the carry's structure (${m})`);
    return out.map(leafTensor);
  });
  const outs = bind(whileP, [...condProg.consts, ...bodyProg.consts, ...carry], {
    cond: condProg.program, body: bodyProg.program, numCondConsts: condProg.consts.length, numBodyConsts: bodyProg.consts.length,
  });
  return unflatten<C>(def, outs);
}

// ---- checkpointing ---------------------------------------------------------------------------

/**
 * `checkpoint(f)`: the same function, but reverse mode keeps only f's inputs and recomputes f's
 * intermediates during the backward pass (seed 004: recompute instead of store). f takes and
 * returns pytrees (tensors, numbers, arrays and objects of them), and may close over traced
 * values; under a transformation, f is staged into one `checkpoint` equation (ops/control.ts) whose
 * rules compose in every mix of modes. Outside any transformation it simply runs f.
 * @example
 * grad(checkpoint((x: Tensor) => sin(mul(x, x))))(0) // → 0
 */
export function checkpoint<F extends (...xs: any[]) => any>(f: F, name?: string): F {
  checkFunction("checkpoint", f);
  if (name !== undefined && typeof name !== "string") throw new InputError(`checkpoint: the name must be a string; got ${fmtValue(name)}`);
  const label = name ?? (f.name || "checkpoint");
  const wrapped = (...args: unknown[]) => {
    if (traceDepth() === 0) return callUser(`checkpoint(${label})`, f, args); // nothing is differentiated or staged
    const [leaves, def] = flatten(args);
    const xs = leaves.map(leafTensor);
    const avals = xs.map((x) => ({ shape: x.shape, dtype: x.dtype }));
    let outDef: TreeDef | null = null;
    let numberOuts: boolean[] = [];
    const body = stageClosed(`checkpoint(${label})`, avals, (ins) => {
      const [outLeaves, d] = flatten(callUser(`checkpoint(${label})`, f, unflatten<unknown[]>(def, ins)));
      outDef = d;
      numberOuts = outLeaves.map((l) => typeof l === "number");
      return outLeaves.map(leafTensor);
    });
    const outs = bind(checkpointP, [...body.consts, ...xs], { body: body.program, name: label });
    return unflatten(outDef!, outs.map((o, i) => (numberOuts[i] ? numberResult(o) : o)));
  };
  Object.defineProperty(wrapped, "name", { value: `checkpoint(${label})` });
  return wrapped as F;
}

/**
 * Bytes of the values reverse mode keeps between the forward and the backward pass of f at these
 * arguments: the constants of its linearized program (stored intermediates) and checkpoints' inputs.
 * @example
 * residualBytes((x: Tensor) => sum(sin(x)), tensor([1, 2, 3])) > 0 // → true
 */
export function residualBytes(f: (...xs: Tensor[]) => Tensor | Tensor[], ...args: (Tensor | number)[]): number {
  checkFunction("residualBytes", f);
  if (args.length === 0) throw new InputError("residualBytes: pass f's arguments after f (residualBytes(f, x, …)): the residuals depend on them");
  const xs = args.map((a) => asTensor(a, "residualBytes"));
  const lin = linearizeFlat((a) => { const o = f(...a); return Array.isArray(o) ? o : [o]; }, xs);
  const seen = new Set<Tensor>(xs); // the inputs themselves are not extra memory
  let bytes = 0;
  const count = (t: Tensor) => {
    if (seen.has(t) || !(t instanceof ArrayTensor)) return;
    seen.add(t);
    bytes += t.uniform !== undefined ? 8 : t.data.byteLength;
  };
  for (const e of lin.program.eqns) {
    for (const a of e.inputs) if (a instanceof Lit) count(a.value);
  }
  return bytes;
}
