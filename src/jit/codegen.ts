/**
 * @file From an optimized Program to one JavaScript function. Two steps:
 *
 * 1. `plan` groups equations into steps. Elementwise equations of the same size go into one *loop*
 *    (fusion): values used only inside the loop stay local `const`s and never become arrays. Views
 *    that are plain index arithmetic on an array (reshape, broadcast of a scalar, slices whose
 *    elements sit at off + i·stride such as x[1:], x[::2] or a column, contiguous pads) are fused
 *    as loads, as are broadcasts; a full sum becomes an accumulator in its producer's loop, a sum,
 *    max or argmax over trailing axes a running value per row, a sum over leading axes one per column.
 *    Everything else is an *op* step that calls the primitive's `impl` (matmul, gathers, …).
 * 2. `emit` writes the source: one `for` loop per loop step, each in a function of its own (long
 *    programs: in chunks), one `impl` call per op step.
 *
 * Arrays produced by a loop that cannot reach the caller are allocated once per compiled function
 * and reused across calls; arrays returned to the caller are fresh on every call, or written into
 * storage the caller offers (`into`: a scan's slices of its ys); an op's fresh result (matmul,
 * gather, scatterAdd, concat, scan's stacked ys) that reaches no output is recycled for the next
 * allocation of its size.
 */
import { type Atom, type Eqn, Lit, Program, Var, useCounts } from "../core/ir.js";
import type { Primitive } from "../core/primitive.js";
import { RECYCLE_MIN, allocate, recycle } from "../core/dtype.js";
import { type Affine, broadcastStrides, shapeEq, sizeOf } from "../core/shape.js";
import type { LoadIndex } from "../core/primitive.js";
import { addP } from "../ops/elementwise.js";
import { scatterSumP } from "../ops/shape-ops.js";
import { matmulP, type MatmulParams } from "../ops/linalg.js";
import { LoopWriter, jsNumber, helper } from "../core/codegen.js";
import { dotRows, addRows } from "../tensor/kernels.js";
import { ArrayTensor } from "../tensor/array.js";
import type { Tensor } from "../core/tensor.js";

/**
 * A loop step; `rows`: the loop runs inside one pass over the rows of a matrix S, between a
 * product y = S·x whose elements it reads and a product g = Sᵀ·v of elements it computes (see
 * fuseRowPasses).
 */
type Loop = { kind: "loop"; size: number; eqns: Eqn[]; rows?: RowPass };
type Op = { kind: "op"; eqn: Eqn };
type Step = Loop | Op;
type RowPass = { dots: Eqn; dotViews: Eqn[]; y: Var; sweep: Eqn; sweepViews: Eqn[]; v: Var; S: Atom; x: Atom; rows: number; cols: number };
/** Every equation a step computes (a row pass's products and views included). */
const stepEqns = (s: Step): Eqn[] => (s.kind === "op" ? [s.eqn] : s.rows ? [s.rows.dots, ...s.rows.dotViews, ...s.eqns, ...s.rows.sweepViews, s.rows.sweep] : s.eqns);

const sizeOfAtom = (a: Atom) => sizeOf(a.aval.shape);
/** matvec's block kernels, called by row passes so that they sum as the products they fuse. */
const hDotRows = helper("h_dot_rows", dotRows), hAddRows = helper("h_add_rows", addRows);

/** Replace sums of affine pads (each used once) by scatterSum equations. */
export function fuseScatters(program: Program): Program {
  const uses = useCounts(program);
  const def = new Map<Var, Eqn>();
  program.eqns.forEach((e) => e.outs.forEach((v) => def.set(v, e)));
  const absorbed = new Set<Eqn>();
  const replaced = new Map<Eqn, Eqn>();
  for (let k = program.eqns.length - 1; k >= 0; k--) {
    const e = program.eqns[k];
    if (e.prim !== addP || absorbed.has(e)) continue;
    const out = e.outs[0].aval;
    const terms: [Atom, Affine][] = [];
    const inner: Eqn[] = [];
    const collect = (a: Atom): boolean => {
      const d = a instanceof Var && uses.get(a) === 1 ? def.get(a) : undefined;
      if (!d || !shapeEq(d.outs[0].aval.shape, out.shape) || d.outs[0].aval.dtype !== out.dtype) return false;
      if (d.prim === addP) {
        inner.push(d);
        return d.inputs.every(collect);
      }
      const off = d.prim.place?.(d.inputs[0].aval.shape, out.shape, d.params) ?? null;
      if (off === null) return false;
      inner.push(d);
      terms.push([d.inputs[0], off]);
      return true;
    };
    if (!e.inputs.every(collect) || terms.length < 1) continue;
    const m = sizeOfAtom(terms[0][0]);
    if (terms.some(([u]) => sizeOfAtom(u) !== m || u.aval.dtype !== out.dtype)) continue;
    inner.forEach((d) => absorbed.add(d));
    replaced.set(e, { prim: scatterSumP, inputs: terms.map(([u]) => u), params: { places: terms.map(([, o]) => o), shape: [...out.shape] }, outs: e.outs });
  }
  if (replaced.size === 0) return program;
  const eqns = program.eqns.filter((e) => !absorbed.has(e)).map((e) => replaced.get(e) ?? e);
  return new Program(program.inputs, eqns, program.outputs);
}

type Kind = "elementwise" | "load" | "sum" | "rows" | "columns" | "scatter" | null;

/** How a view equation is read in a fused loop (its primitive's `load` rule), or null. */
function loadOf(e: Eqn): LoadIndex | null {
  return e.prim.load && e.outs.length === 1 ? e.prim.load(e.inputs.map((a) => a.aval.shape), e.outs[0].aval.shape, e.params) : null;
}

/** A view that reads its input's elements in order (reshape): free, or passed on inside a loop. */
function isView(e: Eqn): boolean {
  const load = e.inputs.length === 1 && e.outs.length === 1 ? loadOf(e) : null;
  return load?.kind === "same" && load.view === true;
}

/** How an equation can take part in a fused loop (null: it cannot), from its primitive's rules. */
function fusionKind(e: Eqn): Kind {
  if (e.outs.length !== 1) return null;
  if (e.prim.code !== undefined) return "elementwise"; // operands broadcast to the output (see broadcastIndex)
  if (e.prim === scatterSumP) return "scatter";
  if (loadOf(e) !== null) return "load";
  if (e.inputs.length === 1 && e.prim.accumulates?.(e.inputs[0].aval, e.outs[0].aval.shape, e.params)) return "sum";
  if (e.inputs.length === 1 && rowsOf(e) !== null) return "rows";
  if (e.inputs.length === 1 && e.prim.sumsColumns?.(e.inputs[0].aval, e.params)) return "columns";
  return null;
}
const rowsOf = (e: Eqn) => e.prim.reducesRows?.(e.inputs[0].aval, e.params) ?? null;

/** Whether output k of an op step is always newly allocated storage (its primitive's `freshOutput` rule). */
function isFresh(e: Eqn, k: number): boolean {
  const f = e.prim.freshOutput;
  return f === true || (typeof f === "function" && f(e.params)[k] === true);
}

/** The loop size an equation runs over. */
const reduces = (kind: Kind) => kind === "sum" || kind === "rows" || kind === "columns" || kind === "scatter";
const loopSize = (e: Eqn, kind: Kind) => (reduces(kind) ? sizeOfAtom(e.inputs[0]) : sizeOf(e.outs[0].aval.shape));

/**
 * Bounds on generated code. Engines refuse (with a stack overflow) functions of ~1e5 statements, so
 * a loop takes at most MAX_LOOP_EQNS equations (the next ones start another loop over the same
 * elements) and a program of more than CHUNK_LINES lines is emitted as a chain of functions.
 */
const MAX_LOOP_EQNS = 500;
const CHUNK_LINES = 4000;

export function plan(program: Program): Step[] {
  const steps: Step[] = [];
  const open = new Map<number, Loop>();
  const definedIn = new Map<Var, Loop>();
  const sums = new Set<Var>();
  // An open loop that reads what another open loop completes (a sum, a shifted read, another size)
  // runs after it: the loop it needs stays open for later equations of its size (a mean's division
  // reads a sum; the gradient's elementwise work after it still joins the sum's loop).
  const after = new Map<Loop, Set<Loop>>();
  const close = (loop: Loop) => {
    if (open.get(loop.size) !== loop) return;
    for (const d of after.get(loop) ?? []) close(d);
    open.delete(loop.size);
    steps.push(loop);
  };
  const needs = (loop: Loop, d: Loop): boolean => [...(after.get(loop) ?? [])].some((x) => x === d || needs(x, d));
  for (const e of program.eqns) {
    let kind = fusionKind(e);
    const load = kind === "load" ? loadOf(e) : null;
    if (isView(e)) {
      // a view (reshape) joins a loop only to pass on an in-loop value; otherwise it costs nothing
      const a = e.inputs[0], from = a instanceof Var ? definedIn.get(a) : undefined;
      if (!from || open.get(from.size) !== from || from.size !== sizeOf(e.outs[0].aval.shape) || sums.has(a as Var)) kind = null;
    }
    if (kind === null) {
      for (const a of e.inputs) if (a instanceof Var && definedIn.has(a)) close(definedIn.get(a)!);
      steps.push({ kind: "op", eqn: e });
      continue;
    }
    const n = loopSize(e, kind);
    const shifted = load !== null && (load.kind === "affine" || load.kind === "window" || load.kind === "broadcast" || load.kind === "blocks" || (load.kind === "scalar" && n > 1));
    const first = new Set<Loop>();
    for (const a of e.inputs) {
      const from = a instanceof Var ? definedIn.get(a) : undefined;
      if (!from || open.get(from.size) !== from) continue;
      // a value from another loop, a finished sum, a shifted or a broadcast read needs that loop to have run
      const broadcast = kind === "elementwise" && sizeOfAtom(a) !== n && sizeOfAtom(a) !== 1;
      if (from.size !== n || sums.has(a as Var) || shifted || broadcast) first.add(from);
    }
    let loop = open.get(n);
    // the loop this equation would join cannot run after itself, nor after a loop that runs after it
    for (const d of first) if (loop && (d === loop || needs(d, loop))) close(d);
    if (loop && open.get(n) !== loop) loop = undefined;
    if (loop && loop.eqns.length >= MAX_LOOP_EQNS) close(loop), (loop = undefined); // keep loop bodies a size engines compile
    if (!loop) open.set(n, (loop = { kind: "loop", size: n, eqns: [] }));
    for (const d of first) if (open.get(d.size) === d) after.set(loop, (after.get(loop) ?? new Set()).add(d));
    loop.eqns.push(e);
    definedIn.set(e.outs[0], loop);
    if (reduces(kind)) sums.add(e.outs[0]); // complete only after the loop
  }
  for (const loop of [...open.values()]) close(loop);
  return fuseRowPasses(program, steps);
}

/**
 * A product of a stored 2-D float matrix S (rows × cols) and a vector as matvec computes it: `dots`,
 * y = S·x, each element the dot product of a row, in order; or g = Sᵀ·v, each row scaled by its
 * element of v and added into g, row after row.
 */
function rowProduct(e: Eqn): { S: Atom; vec: Atom; dots: boolean; rows: number; cols: number } | null {
  if (e.prim !== matmulP) return null;
  const [a, b] = e.inputs, { ta = false, tb = false } = e.params as MatmulParams;
  if (a.aval.shape.length !== 2 || (a.aval.dtype !== "float64" && a.aval.dtype !== "float32")) return null;
  const m = a.aval.shape[ta ? 1 : 0], n = b.aval.shape[tb ? 0 : 1];
  const [S, vec, dots] = n === 1 && m >= 2 ? [a, b, !ta] : m === 1 && n >= 2 ? [b, a, tb] : [null, null, false];
  if (S === null || vec === null) return null;
  const [rows, cols] = S.aval.shape;
  return rows >= 2 && cols >= 2 ? { S, vec, dots, rows, cols } : null;
}

/** The same value: one variable, or constants holding one tensor. */
const sameAtom = (a: Atom, b: Atom) => a === b || (a instanceof Lit && b instanceof Lit && a.value === b.value);

/**
 * Row passes: a loop over n elements that reads y = S·x elementwise and computes v for a later
 * g = Sᵀ·v, S the same n-row matrix, runs inside one pass over S's rows: each block of rows gives
 * its dot products, the loop body runs for them, and the same rows, still in cache, are scaled and
 * added into g. A least-squares or logistic-regression gradient, Sᵀ·f(S·x), so reads S once instead
 * of twice and makes no arrays for y and v. Sums are in the products' own order (bit for bit the
 * unfused program's).
 */
function fuseRowPasses(program: Program, steps: Step[]): Step[] {
  const uses = useCounts(program); // (an output counts as a use: outputs are never absorbed)
  const opAt = new Map<Var, number>(); // a value an op step defines: that step's index
  steps.forEach((s, k) => s.kind === "op" && s.eqn.outs.forEach((v) => opAt.set(v, k)));
  const opEqn = (v: Var) => (steps[opAt.get(v)!] as Op).eqn;
  const removed = new Set<number>();
  const fused = new Map<number, Loop>();
  steps.forEach((L, k) => {
    if (L.kind !== "loop") return;
    const inLoop = new Set(L.eqns.flatMap((e) => e.outs));
    // y: a product's result read by this loop only (every read takes element i), through views nothing else reads
    for (const yv of new Set(L.eqns.flatMap((e) => e.inputs))) {
      if (!(yv instanceof Var) || inLoop.has(yv) || !opAt.has(yv)) continue;
      let src = yv;
      const dotViews: Eqn[] = [];
      while (isView(opEqn(src))) {
        const e = opEqn(src), a = e.inputs[0];
        if (!(a instanceof Var) || uses.get(a) !== 1 || !opAt.has(a)) break;
        dotViews.unshift(e);
        src = a;
      }
      const dots = opEqn(src), rp = rowProduct(dots);
      if (!rp?.dots || rp.rows !== L.size) continue;
      const readers = L.eqns.filter((r) => r.inputs.includes(yv));
      if (readers.reduce((c, r) => c + r.inputs.filter((a) => a === yv).length, 0) !== uses.get(yv)) continue;
      const elementwise = (r: Eqn) => {
        const kind = fusionKind(r);
        return kind === "elementwise" || kind === "sum" || kind === "rows" || kind === "columns" || (kind === "load" && loadOf(r)!.kind === "same");
      };
      if (!readers.every(elementwise)) continue;
      // g = Sᵀ·v later, v computed in the loop (possibly through views read by nothing else)
      for (let j = k + 1; j < steps.length; j++) {
        const sw = steps[j], sp = sw.kind === "op" ? rowProduct(sw.eqn) : null;
        if (sw.kind !== "op" || !sp || sp.dots || !sameAtom(sp.S, rp.S) || sp.rows !== rp.rows || !(sp.vec instanceof Var)) continue;
        let v: Var = sp.vec;
        const sweepViews: Eqn[] = [];
        while (!inLoop.has(v) && opAt.has(v) && opAt.get(v)! > k && uses.get(v) === 1 && isView(opEqn(v)) && opEqn(v).inputs[0] instanceof Var) {
          sweepViews.unshift(opEqn(v));
          v = opEqn(v).inputs[0] as Var;
        }
        const def = L.eqns.find((r) => r.outs[0] === v);
        if (!def || reduces(fusionKind(def)) || sizeOf(v.aval.shape) !== L.size) continue;
        fused.set(k, { ...L, rows: { dots, dotViews, y: yv, sweep: sw.eqn, sweepViews, v, S: rp.S, x: rp.vec, rows: rp.rows, cols: rp.cols } });
        for (const e of [dots, ...dotViews, ...sweepViews, sw.eqn]) removed.add(opAt.get(e.outs[0])!);
        return;
      }
    }
  });
  if (fused.size === 0) return steps;
  return steps.flatMap((s, k) => (removed.has(k) ? [] : [fused.get(k) ?? s]));
}

/**
 * The index into an operand of shape `from` broadcast to `to`, for flat output index i: each
 * non-broadcast axis contributes ((i / inner) mod extent)·stride, with runs of contiguous axes
 * merged (a row vector against a matrix reads i % n, a column (i / n) | 0).
 */
function broadcastIndex(from: readonly number[], to: readonly number[]): string {
  const bst = broadcastStrides(from, to);
  const axes: { extent: number; inner: number; stride: number }[] = [];
  let inner = 1;
  for (let d = to.length - 1; d >= 0; d--) {
    const extent = to[d], stride = bst[d];
    const last = axes[axes.length - 1];
    if (stride !== 0 && last && last.inner * last.extent === inner && stride === last.stride * last.extent) last.extent *= extent;
    else if (stride !== 0) axes.push({ extent, inner, stride });
    inner *= extent;
  }
  const total = inner;
  const terms = axes.map(({ extent, inner, stride }) => {
    const q = inner === 1 ? "i" : `((i / ${inner}) | 0)`;
    const m = inner * extent === total ? q : `${q} % ${extent}`;
    return stride === 1 ? m : `${m} * ${stride}`;
  });
  return terms.length ? terms.join(" + ") : "0";
}

/** The index expression off + i·stride, written plainly. */
const place = ({ off, stride }: Affine) => [off ? `${off}` : "", stride === 1 ? "i" : `i * ${stride}`].filter(Boolean).join(" + ");

/** Write the JS source of a program. */
export function emit(program: Program, steps: Step[]): { source: string; names: string[]; values: unknown[] } {
  const names: string[] = ["AT", "allocate", "recycle"];
  const values: unknown[] = [ArrayTensor, allocate, recycle];
  const bind = (prefix: string, v: unknown): string => {
    const name = `${prefix}${names.length}`;
    names.push(name);
    values.push(v);
    return name;
  };
  const litNames = new Map<Tensor, string>();
  const lit = (l: Lit): string => {
    let name = litNames.get(l.value);
    if (!name) litNames.set(l.value, (name = bind("L", l.value)));
    return name;
  };
  const arr = (a: Atom): string => (a instanceof Lit ? lit(a) : `v${a.id}`);

  // Which step defines each var, and which values leave their loop.
  const stepOf = new Map<Var, Step>();
  for (const s of steps) for (const e of stepEqns(s)) for (const v of e.outs) stepOf.set(v, s);
  const usedOutside = new Set<Var>();
  for (const s of steps) {
    for (const e of stepEqns(s)) {
      for (const a of e.inputs) {
        if (a instanceof Var && stepOf.get(a) !== s && stepOf.has(a)) usedOutside.add(a);
      }
    }
  }
  const outputs = new Set(program.outputs.filter((a): a is Var => a instanceof Var));
  // A value a loop writes may go in storage kept from call to call unless it can reach the caller:
  // it is an output, or an input of an op step whose output can (an op may return a view of its
  // input, as reshape does; a `freshOutput` op never does), and so on backwards.
  const escapes = new Set<Var>(outputs);
  for (let k = steps.length - 1; k >= 0; k--) {
    const s = steps[k];
    if (s.kind === "op" && s.eqn.outs.some((o, k) => escapes.has(o) && !isFresh(s.eqn, k))) for (const a of s.eqn.inputs) if (a instanceof Var) escapes.add(a);
  }

  let lines: string[] = [];
  const pre: string[] = []; // allocated once per compiled function
  // The output whose storage a value may be computed in: an output, or a value an output is a
  // view of (reshape), so a loop or an op that writes into given storage (matmul, gather, …) fills
  // the caller's array.
  const outputSlot = new Map<Var, number>();
  program.outputs.forEach((a, j) => a instanceof Var && !outputSlot.has(a) && outputSlot.set(a, j));
  for (let k = program.eqns.length - 1; k >= 0; k--) {
    const e = program.eqns[k], [o] = e.outs, a = e.inputs[0];
    if (isView(e) && outputSlot.has(o) && a instanceof Var && !outputSlot.has(a) && a.aval.dtype === o.aval.dtype) outputSlot.set(a, outputSlot.get(o)!);
  }
  /**
   * The storage an op that `writesInto` is offered, as impl's third argument: the caller's for a
   * result that is (a view of) an output, kept from call to call for a small result that cannot
   * reach the caller (a fresh allocation of more than 8 doubles costs ~1 µs in V8, as much as
   * the arithmetic of a small product), none otherwise (large dead results are recycled instead).
   */
  const opStorage = (e: Eqn): string => {
    const parts = e.outs.map((v, k) => {
      const j = outputSlot.get(v);
      if (j !== undefined) return `INTO === undefined ? undefined : INTO[${j}]`;
      if (!isFresh(e, k) || escapes.has(v) || sizeOf(v.aval.shape) >= RECYCLE_MIN) return "undefined";
      pre.push(`const K${v.id} = allocate(${JSON.stringify(v.aval.dtype)}, ${sizeOf(v.aval.shape)});`);
      return `K${v.id}`;
    });
    return parts.every((p) => p === "undefined") ? "" : `, [${parts.join(", ")}]`;
  };
  // Values a loop wrote into kept storage: later loops read that array by its name, not through
  // the value's `.data` getter: V8 then knows which typed array each loop reads (the backward body
  // of GradBench's ode, 11 loops over 10⁴ elements: 185 → 112 µs a step, one measurement).
  const keptIn = new Map<Var, string>();
  const keptName = (a: Atom) => (a instanceof Var ? keptIn.get(a) : undefined);
  /** Per step: its lines, the top-level values it defines and those it reads from other steps. */
  const blocks: { lines: string[]; defines: Var[]; uses: Set<Var>; loop: boolean }[] = [];
  for (const s of steps) {
    lines = [];
    const uses = new Set<Var>();
    for (const e of stepEqns(s)) for (const a of e.inputs) if (a instanceof Var && stepOf.get(a) !== s) uses.add(a);
    const block = { lines, defines: [] as Var[], uses, loop: s.kind === "loop" };
    blocks.push(block);
    if (s.kind === "op") {
      const e = s.eqn;
      const p = bind("P", e.prim as Primitive), q = bind("Q", e.params);
      const into = e.prim.writesInto ? opStorage(e) : "";
      lines.push(`  const [${e.outs.map((v) => `v${v.id}`).join(", ")}] = ${p}.impl([${e.inputs.map(arr).join(", ")}], ${q}${into}); // ${e.prim.name}`);
      block.defines.push(...e.outs);
      continue;
    }
    // ---- a fused loop, written by the LoopWriter every generated loop is written by ----
    const n = s.size;
    const w = new LoopWriter();
    const results: [string, string][] = []; // values the loop hands on, assigned after it
    const resultVar = new Map<string, Var>(stepEqns(s).flatMap((e) => e.outs.map((v) => [`v${v.id}`, v] as [string, Var])));
    const elem = new Map<Var, string>(); // in-loop values: their element's name
    /** A scalar operand: an in-loop value, a literal number, or one element hoisted out of the loop. */
    const read = (a: Atom, to?: readonly number[]): string => {
      if (a instanceof Var && elem.has(a)) return elem.get(a)!;
      if (a instanceof Lit && a.value instanceof ArrayTensor && (a.value.uniform !== undefined || sizeOfAtom(a) === 1)) {
        return jsNumber(a.value.uniform ?? a.value.data[0]); // a constant with all elements equal is a number
      }
      if (sizeOfAtom(a) === 1) return w.hoist(`s:${arr(a)}`, `${keptName(a) ?? `${arr(a)}.data`}[0]`);
      const d = data(a);
      return to !== undefined && sizeOfAtom(a) !== n ? `${d}[${broadcastIndex(a.aval.shape, to)}]` : `${d}[i]`;
    };
    // A kept array is read through a local name: a loop that calls a function (Math.exp) while
    // storing into an array of the enclosing scope reloaded it around every call (lse's gradient:
    // its exp loop 20 % slower than the primal's, the only difference the store)
    const data = (a: Atom) => {
      const k = keptName(a);
      return k !== undefined ? w.hoist(`k:${k}`, k) : w.hoist(`d:${arr(a)}`, `${arr(a)}.data`);
    };
    /**
     * A loop result's storage: kept between calls when it cannot reach the caller (zeroed before
     * the loop when the loop adds into it), else fresh.
     */
    const storage = (out: Var, size: number, zeroed: boolean): string => {
      const dtype = JSON.stringify(out.aval.dtype);
      const j = outputSlot.get(out);
      if (j !== undefined) {
        // (a value viewed by) an output: the caller's storage for it when given (a scan's next slice of ys), else fresh
        w.before(`const o${out.id} = INTO !== undefined && INTO[${j}] !== undefined ? INTO[${j}]${zeroed ? ".fill(0)" : ""} : allocate(${dtype}, ${size});`);
        return `o${out.id}`;
      }
      if (escapes.has(out)) {
        w.before(`const o${out.id} = allocate(${dtype}, ${size});`);
        return `o${out.id}`;
      }
      pre.push(`const B${out.id} = allocate(${dtype}, ${size});`);
      if (zeroed) w.before(`B${out.id}.fill(0);`);
      keptIn.set(out, `B${out.id}`);
      return w.hoist(`k:B${out.id}`, `B${out.id}`);
    };
    /**
     * Σₖ uₖ scattered to off_k + i·stride_k. When every stride is 1 and the offsets are close
     * (x[1:] and x[:-1] terms), element i + min(off) is complete after iteration i: the later
     * offsets' terms wait in registers for the iterations that finish them, so every element is
     * written once instead of read-modified-written once per term.
     */
    const scatter = (buf: string, id: number, terms: string[], places: Affine[], m: number) => {
      const lo = Math.min(...places.map((p) => p.off)), span = Math.max(...places.map((p) => p.off)) - lo;
      if (places.some((p) => p.stride !== 1) || span > 4) {
        terms.forEach((u, k) => w.statement(`${buf}[${place(places[k])}] += ${u};`));
        return;
      }
      const q = (d: number) => `q${id}_${d}`;
      if (span > 0) w.before(`let ${Array.from({ length: span }, (_, d) => `${q(d)} = 0`).join(", ")};`);
      const at = (d: number) => terms.filter((_, k) => places[k].off - lo === d);
      const sumAt = (d: number) => [...(d < span ? [q(d)] : []), ...at(d)].join(" + ") || "0";
      const t = (d: number) => `u${id}_${d}`;
      for (let d = 0; d <= span; d++) w.statement(`const ${t(d)} = ${sumAt(d)};`);
      w.statement(`${buf}[${place({ off: lo, stride: 1 })}] = ${t(0)};`);
      for (let d = 0; d < span; d++) w.statement(`${q(d)} = ${t(d + 1)};`);
      for (let d = 0; d < span; d++) w.after(`${buf}[${m + lo + d}] = ${q(d)};`);
    };
    const rp = s.rows, blockId = rp ? `${rp.y.id}` : "";
    // (the block's dot products and loop results through local aliases too, as kept arrays)
    const [Yh, Wh] = rp ? [w.hoist(`k:Y${blockId}`, `Y${blockId}`), w.hoist(`k:W${blockId}`, `W${blockId}`)] : ["", ""];
    if (rp) elem.set(rp.y, w.let(`${Yh}[i - $b]`));
    for (const e of s.eqns) {
      const out = e.outs[0];
      const x = e.inputs[0];
      const kind = fusionKind(e), load = kind === "load" ? loadOf(e)! : null;
      if (e.prim.code !== undefined) {
        elem.set(out, w.apply(e.prim.code.bind(e.prim), e.inputs.map((a) => read(a, out.aval.shape)), e.params, out.aval.dtype));
      } else if (kind === "sum") {
        const acc = `a${out.id}`, buf = `r${out.id}`, dtype = JSON.stringify(out.aval.dtype);
        // The sum's one-element storage is made before the loop and the sum stored right after it:
        // an accumulator still live at a later call (an allocation) is spilled by V8's register
        // allocator, which can put the spill inside the loop, a store and a load on the sum's
        // dependency chain each iteration (measured: the loop ran at half speed).
        w.before(`const ${buf} = allocate(${dtype}, 1);`);
        w.before(`let ${acc} = 0;`);
        w.statement(`${acc} += ${read(x)};`);
        w.after(`${buf}[0] = ${acc};`);
        results.push([`v${out.id}`, `new AT(${buf}, ${JSON.stringify(out.aval.shape)}, ${dtype})`]);
      } else if (kind === "rows") {
        // Each row (the input's last axes, in order) reduced into one element as the op's kernel
        // does: a running value, stored and restarted when the row's count comes round.
        const { op, length } = rowsOf(e)!;
        const acc = `a${out.id}`, cnt = `c${out.id}`, row = `r${out.id}`, arg = `k${out.id}`, dtype = JSON.stringify(out.aval.dtype), size = sizeOf(out.aval.shape);
        const init = op === "sum" ? "0" : "-Infinity";
        const buf = storage(out, size, false);
        w.before(`let ${acc} = ${init}, ${cnt} = 0, ${row} = 0${op === "argmax" ? `, ${arg} = 0` : ""};`);
        if (op === "sum") w.statement(`${acc} += ${read(x)};`);
        else {
          const v = w.let(read(x));
          // NaN wins (as Math.max), the first of equals is kept, as in reduceArray
          w.statement(`if (${v} > ${acc} || (${v} !== ${v} && ${acc} === ${acc})) ${op === "argmax" ? `{ ${acc} = ${v}; ${arg} = ${cnt}; }` : `${acc} = ${v};`}`);
        }
        const result = op === "argmax" ? arg : acc;
        w.statement(`if (++${cnt} === ${length}) { ${buf}[${row}++] = ${result}; ${acc} = ${init}; ${cnt} = 0;${op === "argmax" ? ` ${arg} = 0;` : ""} }`);
        results.push([`v${out.id}`, `new AT(${buf}, ${JSON.stringify(out.aval.shape)}, ${dtype})`]);
      } else if (kind === "columns") {
        // element i added into output element i mod length, row after row as sumLeading adds them
        const { length } = e.prim.sumsColumns!(x.aval, e.params)!;
        const col = `c${out.id}`, dtype = JSON.stringify(out.aval.dtype);
        const buf = storage(out, length, true);
        w.before(`let ${col} = 0;`);
        w.statement(`${buf}[${col}] += ${read(x)};`);
        w.statement(`if (++${col} === ${length}) ${col} = 0;`);
        results.push([`v${out.id}`, `new AT(${buf}, ${JSON.stringify(out.aval.shape)}, ${dtype})`]);
      } else if (load?.kind === "same" || load?.kind === "scalar") {
        elem.set(out, w.let(read(x))); // same element order, or one element read once
      } else if (load?.kind === "broadcast") {
        elem.set(out, w.let(`${data(x)}[${broadcastIndex(x.aval.shape, out.aval.shape)}]`));
      } else if (load?.kind === "affine") {
        elem.set(out, w.let(`${data(x)}[${place(load)}]`));
      } else if (load?.kind === "window") {
        const { off, len } = load;
        elem.set(out, w.let(`${off ? `i >= ${off} && ` : ""}i < ${off + len} ? ${data(x)}[${off ? `i - ${off}` : "i"}] : 0`));
      } else if (load?.kind === "blocks") {
        // the block that holds element i: i < O₁ ? x₀[i] : i < O₂ ? x₁[i − O₁] : …
        let off = 0;
        const parts = e.inputs.flatMap((a, k) => {
          const from = off;
          off += load.sizes[k];
          return load.sizes[k] === 0 ? [] : [{ from, to: off, at: `${data(a)}[${from ? `i - ${from}` : "i"}]` }];
        });
        // (no part at all: the output is empty, and the loop never runs)
        elem.set(out, w.let(parts.length === 0 ? "0" : parts.reduceRight((rest, p, k) => (k === parts.length - 1 ? p.at : `i < ${p.to} ? ${p.at} : ${rest}`), "")));
      } else if (kind === "scatter") {
        const { places } = e.params as { places: Affine[] };
        const dtype = JSON.stringify(out.aval.dtype);
        const buf = storage(out, sizeOf(out.aval.shape), true);
        scatter(buf, out.id, e.inputs.map((a) => read(a)), places, n);
        results.push([`v${out.id}`, `new AT(${buf}, ${JSON.stringify(out.aval.shape)}, ${dtype})`]);
      }
      if (!reduces(kind) && (usedOutside.has(out) || outputs.has(out))) {
        const dtype = JSON.stringify(out.aval.dtype);
        const buf = storage(out, n, false);
        w.statement(`${buf}[i] = ${elem.get(out)};`);
        results.push([`v${out.id}`, `new AT(${buf}, ${JSON.stringify(out.aval.shape)}, ${dtype})`]);
      }
    }
    let loopLines: string[];
    if (rp) {
      w.statement(`${Wh}[i - $b] = ${elem.get(rp.v)};`);
      const g = rp.sweep.outs[0], dtype = g.aval.dtype, f64 = dtype === "float64";
      pre.push(`const Y${blockId} = allocate(${JSON.stringify(dtype)}, 8), W${blockId} = new Float64Array(8);`);
      if (!f64) pre.push(`const G${blockId} = new Float64Array(${rp.cols});`); // float32: sums in float64 as matvec's
      const buf = storage(g, rp.cols, f64);
      if (!f64) w.before(`G${blockId}.fill(0);`), w.after(`${buf}.set(G${blockId});`);
      results.push([`v${g.id}`, `new AT(${buf}, ${JSON.stringify(g.aval.shape)}, ${JSON.stringify(dtype)})`]);
      loopLines = w.rowLoop(n, rp.cols, data(rp.S), data(rp.x), Yh, Wh, f64 ? buf : w.hoist(`k:G${blockId}`, `G${blockId}`), hDotRows, hAddRows);
    } else loopLines = w.loop(n);
    const names = stepEqns(s).map((e) => e.prim.name).join(", ");
    lines.push(rp ? `  // one pass over the rows of a ${n}×${rp.cols} matrix: ${names}` : `  // fused loop over ${n} element${n === 1 ? "" : "s"}: ${names}`);
    if (results.length) lines.push(`  let ${results.map(([v]) => v).join(", ")};`);
    lines.push(`  {`, ...loopLines.map((l) => `    ${l}`), ...results.map(([v, e]) => `    ${v} = ${e};`), `  }`);
    block.defines.push(...results.map(([v]) => resultVar.get(v)!));
  }
  // Fresh outputs of op steps that reach no output: their storage goes back for the next call's
  // allocation of that size once nothing reads them (at the end, or at the end of their chunk).
  const recyclable = new Set<Var>();
  for (const s of steps) if (s.kind === "op") s.eqn.outs.forEach((v, k) => { if (isFresh(s.eqn, k) && !escapes.has(v) && sizeOf(v.aval.shape) >= RECYCLE_MIN) recyclable.add(v); });
  const recycleLines = (vs: Iterable<Var>) => [...vs].filter((v) => recyclable.has(v)).map((v) => `  recycle(v${v.id}.data);`);
  const outs = program.outputs.map((a) => (a === null ? "null" : arr(a)));
  const total = blocks.reduce((k, b) => k + b.lines.length, 0);
  // INTO: per output, storage the caller gives for it (or undefined), read where a loop allocates an output
  const out: string[] = [...pre, `let INTO;`];
  if (total <= CHUNK_LINES) {
    // Each loop is a function of its own, called with the values it reads: V8 compiles a loop that
    // runs long while it runs (on-stack replacement), before the code after it has ever run, so in
    // one function holding every loop that compiled code met code without feedback and was
    // deoptimized, loop after loop, call after call (ode's gradient took ~8 calls to reach speed).
    const calls: string[] = [];
    blocks.forEach((b, k) => {
      if (!b.loop) return void calls.push(...b.lines);
      // (values in kept storage are read by the array's name: not parameters)
      const params = [...b.uses].filter((v) => !keptIn.has(v)).map((v) => `v${v.id}`).join(", "), results = b.defines.map((v) => `v${v.id}`).join(", ");
      out.push(`function loop${k}(${params}) {`, ...b.lines, `  return [${results}];`, `}`);
      calls.push(results ? `  const [${results}] = loop${k}(${params});` : `  loop${k}(${params});`);
    });
    out.push(`return function compiled(inputs, into) {`, `  INTO = into;`);
    program.inputs.forEach((v, i) => out.push(`  const v${v.id} = inputs[${i}];`));
    out.push(...calls);
    out.push(...recycleLines(recyclable));
    out.push(`  return [${outs.join(", ")}];`, `};`);
    return { source: out.join("\n"), names, values };
  }
  // A long program: consecutive steps go into functions of about CHUNK_LINES lines each, which
  // hand values on through one array V indexed by variable id.
  const chunks: (typeof blocks)[] = [[]];
  let count = 0;
  for (const b of blocks) {
    if (count > 0 && count + b.lines.length > CHUNK_LINES) chunks.push([]), (count = 0);
    chunks[chunks.length - 1].push(b);
    count += b.lines.length;
  }
  const later = new Set<Var>(program.outputs.filter((a): a is Var => a instanceof Var)); // read after the chunk being written
  const chunkOut: Var[][] = [];
  for (let c = chunks.length - 1; c >= 0; c--) {
    const defined = new Set(chunks[c].flatMap((b) => b.defines));
    chunkOut[c] = [...defined].filter((v) => later.has(v));
    for (const b of chunks[c]) for (const v of b.uses) if (!defined.has(v)) later.add(v);
  }
  chunks.forEach((ch, c) => {
    const defined = new Set(ch.flatMap((b) => b.defines));
    const reads = new Set<Var>();
    for (const b of ch) for (const v of b.uses) if (!defined.has(v)) reads.add(v);
    out.push(`function chunk${c}(V) {`);
    for (const v of reads) out.push(`  const v${v.id} = V[${v.id}];`);
    for (const b of ch) for (const l of b.lines) out.push(l);
    out.push(...recycleLines([...defined].filter((v) => !chunkOut[c].includes(v))));
    for (const v of chunkOut[c]) out.push(`  V[${v.id}] = v${v.id};`);
    out.push(`}`);
  });
  out.push(`return function compiled(inputs, into) {`, `  INTO = into;`, `  const V = [];`);
  program.inputs.forEach((v, i) => out.push(`  V[${v.id}] = inputs[${i}];`));
  chunks.forEach((_, c) => out.push(`  chunk${c}(V);`));
  out.push(`  return [${program.outputs.map((a) => (a === null ? "null" : a instanceof Var ? `V[${a.id}]` : arr(a))).join(", ")}];`, `};`);
  return { source: out.join("\n"), names, values };
}
