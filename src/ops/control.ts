/**
 * @file Structured control flow for staged code: cond (also switch), scan (also fori) and while.
 * Each holds sub-programs in its params, and its rules are written with the same interpreters:
 * the forward rule runs the sub-programs' forward derivatives inside the same construct; the
 * transpose runs their transposes (a cond of transposed branches; a scan backwards over the
 * residuals the primal scan stacked). Eagerly (concrete values) the API in api/control.ts runs plain JS instead.
 */
import type { Primitive, Cotangent, Tangent } from "../core/primitive.js";
import { LinearIn } from "../core/primitive.js";
import { type Aval, type Tensor, avalEq } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { type Atom, type Eqn, Program, Var, evalProgram, printProgram, subprograms } from "../core/ir.js";
import { ShapeError, TransformError, fmtShape } from "../core/errors.js";
import { isFloat } from "../core/dtype.js";
import { sizeOf } from "../core/shape.js";
import { type TypedArray, allocate, allocateToOverwrite } from "../core/dtype.js";
import { ArrayTensor } from "../tensor/array.js";
import { zerosLike } from "./define.js";
import { add, cast, compare, where } from "./elementwise.js";
import { reduceMax } from "./reduce.js";
import { broadcastTo, reshape, transpose } from "./shape-ops.js";
import { stageClosed, jvpProgram, transposedProgram, batchedProgram, inAvals, outAvals } from "../transforms/subprogram.js";
import { scalarTensor } from "../tensor/array.js";
import { transposePartial, vjpFlat } from "../transforms/linearize.js";
import { jvpFlat } from "../transforms/jvp.js";

/** The batch size of a batching rule's arguments (the leading axis of any batched one). */
const batchSize = (args: Tensor[], batched: boolean[]) => args[batched.indexOf(true)].shape[0];
/** A shared value given the batch axis (broadcast). */
const withBatch = (x: Tensor, size: number) => broadcastTo(reshape(x, [1, ...x.shape]), [size, ...x.shape]);
/** Swap the first two axes ([B, T, …] ↔ [T, B, …]). */
const swap01 = (x: Tensor) => transpose(x, x.shape.map((_, i) => (i === 0 ? 1 : i === 1 ? 0 : i)));

/**
 * How sub-programs run on concrete arrays; jit installs a compiling runner. `prepare(p)` gives the
 * function that runs p (looked up once by a loop, not once per step); `into` offers, per output,
 * storage of the output's size and dtype that the program may write that output into (a compiled
 * program does where a loop computes it); the caller checks which outputs it got there.
 */
export type ProgramRun = (args: ArrayTensor[], into?: (TypedArray | undefined)[]) => ArrayTensor[];
export const programRunner = {
  /** `runs`: how many times the caller will run it (a scan's length; unknown: Infinity). */
  prepare: (p: Program, _runs = Infinity): ProgramRun => (args) => evalProgram(p, args) as ArrayTensor[],
  run(p: Program, args: ArrayTensor[], runs = Infinity): ArrayTensor[] {
    return programRunner.prepare(p, runs)(args);
  },
};

/**
 * Sub-programs of a jitted function (scan bodies, branches, checkpoints, at any depth): they run
 * call after call, so jit's runner compiles them whatever their run count. An eager call traces
 * new sub-programs every time; jit's runner compiles those only when they run often enough in
 * that call to repay it (a scan's many steps). An eager √T-checkpointed scan's gradient compiled
 * its 20-step segment programs, 60 of them a call, and took ~8× longer than interpreted.
 */
const persistent = new WeakSet<Program>();
export const isPersistent = (p: Program): boolean => persistent.has(p);
/** Mark p's sub-programs, at any depth. */
export function markPersistent(p: Program): void {
  for (const e of p.eqns) {
    for (const q of subprograms(e)) {
      persistent.add(q);
      markPersistent(q);
    }
  }
}

const zerosFor = (tangents: (Tensor | null)[], like: Aval[]) => tangents.map((t, i) => t ?? zerosLike(like[i]));
const isLin = (a: unknown): a is LinearIn => a instanceof LinearIn;
const avalOfArg = (a: Tensor | LinearIn): Aval => (isLin(a) ? a.aval : a);

// ---- cond ------------------------------------------------------------------------------------

export interface CondParams {
  /** One program per branch, all with the same input and output avals. */
  branches: Program[];
}

export const condP: Primitive<CondParams> = {
  name: "cond",
  impl([index, ...ops], { branches }) {
    const k = Math.min(Math.max(Math.trunc(index.item()), 0), branches.length - 1);
    return programRunner.run(branches[k], ops, 1);
  },
  shape([index, ...ops], { branches }) {
    if (index.shape.length !== 0 || index.dtype !== "int32") throw new ShapeError(`cond: the branch index must be an int32 scalar; got ${index.dtype}${fmtShape(index.shape)}`);
    inAvals(branches[0]).forEach((a, i) => {
      if (!avalEq(a, ops[i])) throw new ShapeError(`cond: operand ${i} is ${ops[i].dtype}${fmtShape(ops[i].shape)}, the branches expect ${a.dtype}${fmtShape(a.shape)}`);
    });
    return outAvals(branches[0]);
  },
  jvp([index, ...ops], [, ...tans], _outs, { branches }) {
    // The tangent cond recomputes the branch's primal: it must not output primal values, so that
    // reverse mode finds it linear in the tangents.
    const floatIdx = ops.flatMap((o, i) => (isFloat(o.dtype) ? [i] : []));
    const t = floatIdx.map((i) => tans[i] ?? zerosLike(ops[i]));
    return bind(condP, [index, ...ops, ...t], { branches: branches.map((b) => jvpProgram(b)) });
  },
  transpose(cts, [index, ...args], { branches }) {
    const linear = args.map(isLin);
    const fixed = args.filter((a): a is Tensor => !isLin(a));
    const c = zerosFor(cts, outAvals(branches[0]));
    const res = bind(condP, [index as Tensor, ...fixed, ...c], { branches: branches.map((b) => transposedProgram(b, linear)) });
    let k = 0;
    return [null, ...args.map((a) => (isLin(a) ? res[k++] : null))];
  },
  /**
   * A shared index: one cond over batched branches. A batched index (each example its own branch):
   * every branch runs on the batch and `where` selects per example, as JAX does (so, as there, a
   * branch not taken still runs, and reverse mode through an infinite one gives NaN).
   */
  batch([index, ...ops], [bi, ...bops], { branches }) {
    const size = batchSize([index, ...ops], [bi, ...bops]);
    const batchedBranches = branches.map((b) => batchedProgram(b, bops, size));
    if (!bi) return bind(condP, [index, ...ops], { branches: batchedBranches });
    const outs = batchedBranches.map((b) => evalProgram(b, ops) as Tensor[]);
    const k = reshape(index, [size]);
    let res = outs[branches.length - 1];
    for (let j = branches.length - 2; j >= 0; j--) {
      const take = compare(k, scalarTensor(j, "int32"), j === 0 ? "le" : "eq"); // the index is clamped: ≤ 0 is branch 0
      res = res.map((r, m) => where(reshape(take, [size, ...new Array<number>(r.ndim - 1).fill(1)]), outs[j][m], r));
    }
    return res;
  },
  showParams: (p) => p.branches.map((b, i) => `\n    branch ${i}:\n      ${printProgram(b).replace(/\n/g, "\n      ")}`).join(""),
};

// ---- scan ------------------------------------------------------------------------------------

export interface ScanParams {
  /** (consts, carry, x slices) → (carry, y slices). */
  body: Program;
  length: number;
  reverse: boolean;
  numConsts: number;
  numCarry: number;
}

export const scanP: Primitive<ScanParams> = {
  name: "scan",
  // the stacked ys are allocated by impl; a carry may be an input passed through
  freshOutput: ({ body, numCarry }) => body.outputs.map((_, k) => k >= numCarry),
  impl(args, { body, length, reverse, numConsts, numCarry }) {
    const run = programRunner.prepare(body, length); // once per scan, not once per step
    const nIn = args.length, firstX = numConsts + numCarry;
    const cAvals = outAvals(body).slice(0, numCarry), yAvals = outAvals(body).slice(numCarry);
    const ySizes = yAvals.map((a) => sizeOf(a.shape)), ny = ySizes.length;
    const ys = yAvals.map((a, j) => allocateToOverwrite(a.dtype, length * ySizes[j])); // every step writes its slices
    const xs = args.slice(firstX), xShapes = xs.map((x) => x.shape.slice(1)), xSizes = xShapes.map(sizeOf);
    // One array of the body's inputs, updated in place: consts, then the carries, then this step's x slices.
    const ins = args.slice();
    // The body may write each step's ys straight into their slices, and each carry into a buffer
    // of the scan's own that holds none of the carries it reads (a carry may come back as another
    // one unchanged): usually two per carry, used in turn, allocated once per scan.
    const buffers: TypedArray[][] = cAvals.map(() => []);
    const reads = (b: TypedArray) => {
      for (let c = numConsts; c < firstX; c++) if (ins[c].data === b) return true;
      return false;
    };
    const into: TypedArray[] = new Array<TypedArray>(numCarry + ny);
    for (let s = 0; s < length; s++) {
      const k = reverse ? length - 1 - s : s;
      for (let j = 0; j < numCarry; j++) {
        let b = buffers[j].find((u) => !reads(u));
        if (b === undefined) buffers[j].push((b = allocate(cAvals[j].dtype, sizeOf(cAvals[j].shape))));
        into[j] = b;
      }
      for (let j = 0; j < ny; j++) into[numCarry + j] = ys[j].subarray(k * ySizes[j], (k + 1) * ySizes[j]);
      for (let j = firstX; j < nIn; j++) {
        const x = xs[j - firstX], m = xSizes[j - firstX];
        ins[j] = new ArrayTensor(x.data.subarray(k * m, (k + 1) * m), xShapes[j - firstX], x.dtype);
      }
      const outs = run(ins, into);
      for (let j = 0; j < numCarry; j++) ins[numConsts + j] = outs[j];
      for (let j = 0; j < ny; j++) {
        const y = outs[numCarry + j];
        if (y.data !== into[numCarry + j]) ys[j].set(y.data, k * ySizes[j]);
      }
    }
    return [...ins.slice(numConsts, firstX), ...ys.map((d, j) => new ArrayTensor(d, [length, ...yAvals[j].shape], yAvals[j].dtype))];
  },
  shape(avals, { body, length, numConsts, numCarry }) {
    const ins = inAvals(body);
    avals.forEach((a, i) => {
      const want = i < numConsts + numCarry ? ins[i] : { shape: [length, ...ins[i].shape], dtype: ins[i].dtype };
      if (!avalEq(a, want)) throw new ShapeError(`scan: input ${i} is ${a.dtype}${fmtShape(a.shape)}, expected ${want.dtype}${fmtShape(want.shape)}`);
    });
    const outs = outAvals(body);
    return [...outs.slice(0, numCarry), ...outs.slice(numCarry).map((a) => ({ shape: [length, ...a.shape], dtype: a.dtype }))];
  },
  /**
   * One scan over batched values: the carries all carry the batch (a shared initial carry is
   * broadcast, since the body may make it per-example), batched xs are scanned along their second
   * axis, and the body is the batched body program.
   */
  batch(args, batched, p) {
    const { body, numConsts: nc, numCarry: ncar } = p;
    const size = batchSize(args, batched);
    const consts = args.slice(0, nc), carry = args.slice(nc, nc + ncar), xs = args.slice(nc + ncar);
    const bx = batched.slice(nc + ncar);
    const carryB = carry.map((c, i) => (batched[nc + i] ? c : withBatch(c, size)));
    const xsT = xs.map((x, i) => (bx[i] ? swap01(x) : x));
    const bodyB = batchedProgram(body, [...batched.slice(0, nc), ...carry.map(() => true), ...bx], size);
    const outs = bind(scanP, [...consts, ...carryB, ...xsT], { ...p, body: bodyB });
    return [...outs.slice(0, ncar), ...outs.slice(ncar).map(swap01)];
  },
  // Forward mode (JVPTrace) calls jvpWithOuts, whose primal scan also stacks the residuals; this
  // form, which binds that primal scan again, is only the interface's required rule.
  jvp(primals, tangents, _outs, p) {
    return scanJvp(primals, tangents, p).touts;
  },
  jvpWithOuts: (primals, tangents, p) => scanJvp(primals, tangents, p),
  transpose(cts, args, p) {
    const { body, numConsts: nc, numCarry: ncar, length } = p;
    // The carry is linear even where its initial value is a constant (an instantiated zero tangent).
    const linear = args.map((a, i) => isLin(a) || (i >= nc && i < nc + ncar));
    const consts = args.slice(0, nc), xs = args.slice(nc + ncar);
    const fixedC = consts.filter((a): a is Tensor => !isLin(a)), fixedX = xs.filter((a): a is Tensor => !isLin(a));
    const linC = consts.flatMap((a, i) => (isLin(a) ? [i] : [])), linX = xs.flatMap((a, i) => (isLin(a) ? [i] : []));
    const bt = transposedProgram(body, linear); // [fixed consts, fixed x, ct carry', ct y] → [ct lin consts, ct carry, ct lin x]
    const bAvals = inAvals(body), oAvals = outAvals(body);
    const layout = [
      ...fixedC.map(avalOfArg), // consts
      ...bAvals.slice(nc, nc + ncar), ...linC.map((i) => bAvals[i]), // carry: ct carry, accumulated ct consts
      ...fixedX.map((a) => ({ shape: avalOfArg(a).shape.slice(1), dtype: avalOfArg(a).dtype })), ...oAvals.slice(ncar), // xs: fixed x, ct y
    ];
    const tb = stageClosed("scan transpose body", layout, (v) => {
      let at = 0;
      const take = (n: number) => v.slice(at, (at += n));
      const fc = take(fixedC.length), ctc = take(ncar), acc = take(linC.length), fx = take(fixedX.length), cty = take(oAvals.length - ncar);
      const out = evalProgram(bt, [...fc, ...fx, ...ctc, ...cty]) as Tensor[];
      const ctConsts = out.slice(0, linC.length), ctCarry = out.slice(linC.length, linC.length + ncar), ctX = out.slice(linC.length + ncar);
      return [...ctCarry, ...acc.map((a, j) => add(a, ctConsts[j])), ...ctX];
    });
    const ctCarry0 = zerosFor(cts.slice(0, ncar), oAvals.slice(0, ncar));
    const ctYs = zerosFor(cts.slice(ncar), oAvals.slice(ncar).map((a) => ({ shape: [length, ...a.shape], dtype: a.dtype })));
    const acc0 = linC.map((i) => zerosLike(bAvals[i]));
    const res = bind(scanP, [...tb.consts, ...fixedC, ...ctCarry0, ...acc0, ...fixedX, ...ctYs], {
      body: tb.program, length, reverse: !p.reverse, numConsts: tb.consts.length + fixedC.length, numCarry: ncar + linC.length,
    });
    const ctInit = res.slice(0, ncar), ctConsts = res.slice(ncar, ncar + linC.length), ctXs = res.slice(ncar + linC.length);
    const out: Cotangent[] = args.map(() => null);
    linC.forEach((i, j) => (out[i] = ctConsts[j]));
    ctInit.forEach((c, j) => (out[nc + j] = isLin(args[nc + j]) ? c : null));
    linX.forEach((i, j) => (out[nc + ncar + i] = ctXs[j]));
    return out;
  },
  showParams: (p) => `length=${p.length}${p.reverse ? " reverse" : ""} consts=${p.numConsts} carry=${p.numCarry}\n    body:\n      ${printProgram(p.body).replace(/\n/g, "\n      ")}`,
};

/**
 * Forward mode through a scan, by partial evaluation of the body's forward derivative (JAX's way):
 * the derivative body [consts, carry, x, tangents…] → [carry′, y, tangents′…] splits into the
 * equations that read no tangent (the primal part) and the rest (the tangent part, linear in the
 * tangents). One primal scan runs the primal part and also stacks, as extra ys, each step's values
 * the tangent part reads (the residuals: stage values, products' other factors); the tangent scan
 * reads them step by step, so reverse mode (the transpose of the tangent scan) never recomputes the
 * primal. Values that depend on the consts alone are recomputed in the tangent body instead of
 * stacked, and residuals that are slices of xs are xs themselves. Memory: the residuals of every
 * step, as in JAX; `checkpoint` in the body (or scan's `checkpoint: "sqrt"`) trades it for
 * recomputation.
 */
function scanJvp(primals: Tensor[], tangents: Tangent[], p: ScanParams): { outs: Tensor[]; touts: Tangent[] } {
  const { body, numConsts: nc, numCarry: ncar } = p;
  const nIn = primals.length;
  const init = primals.slice(nc, nc + ncar);
  for (const c of init) {
    if (!isFloat(c.dtype)) throw new TransformError(`scan: differentiating a scan whose carry holds a ${c.dtype} value is not supported; pass counters and indices through xs`);
  }
  const jp = jvpProgram(body, true); // [consts, carry, x, t(float consts), t(carry), t(float x)] → [carry′, y, t carry′, t y]
  const nOut = body.outputs.length;
  // classify: tangent-dependent (unknown), per-step known, or known from the consts alone
  const unknown = new Set<Var>(jp.inputs.slice(nIn));
  const perStep = new Set<Var>(jp.inputs.slice(nc, nIn));
  const known: Eqn[] = [], tangentEqns: Eqn[] = [];
  const reads = (e: Eqn, set: Set<Var>) => e.inputs.some((a) => a instanceof Var && set.has(a));
  for (const e of jp.eqns) {
    if (reads(e, unknown)) {
      tangentEqns.push(e);
      e.outs.forEach((v) => unknown.add(v));
    } else {
      known.push(e);
      if (reads(e, perStep)) e.outs.forEach((v) => perStep.add(v));
    }
  }
  // what the tangent part reads from the primal part
  const needed = new Set<Var>();
  const need = (a: Atom | null) => {
    if (a instanceof Var && !unknown.has(a)) needed.add(a);
  };
  for (const e of tangentEqns) e.inputs.forEach(need);
  jp.outputs.slice(nOut).forEach(need);
  const residuals = [...needed].filter((v) => perStep.has(v));
  // equations of the consts alone that the tangent part needs, recomputed there (in order)
  const constNeeded = new Set([...needed].filter((v) => !perStep.has(v)));
  const definedBy = new Map<Var, Eqn>();
  for (const e of known) for (const v of e.outs) definedBy.set(v, e);
  const constEqns = new Set<Eqn>();
  const pending = [...constNeeded];
  while (pending.length) {
    const e = definedBy.get(pending.pop()!);
    if (!e || constEqns.has(e)) continue; // a const input
    constEqns.add(e);
    for (const a of e.inputs) if (a instanceof Var) pending.push(a);
  }
  // residuals that are xs inputs are passed as the xs themselves; the rest are stacked by the primal scan
  const xInputs = jp.inputs.slice(nc + ncar, nIn);
  const stacked = residuals.filter((v) => !xInputs.includes(v));
  const primalBody = new Program(jp.inputs.slice(0, nIn), known, [...jp.outputs.slice(0, nOut), ...stacked]);
  const res = bind(scanP, primals, { ...p, body: primalBody });
  const outs = res.slice(0, nOut);
  const stackOf = new Map<Var, Tensor>(stacked.map((v, k) => [v, res[nOut + k]]));
  xInputs.forEach((v, k) => stackOf.set(v, primals[nc + ncar + k]));
  // the tangent scan: consts (primal, then float tangents), tangent carry, xs (residuals, then float x tangents)
  const fl = (ts: Tensor[], from: number) => ts.flatMap((t, i) => (isFloat(t.dtype) ? [i + from] : []));
  const cf = fl(primals.slice(0, nc), 0), xf = fl(primals.slice(nc + ncar), nc + ncar);
  const tIn0 = nIn, tInCar = nIn + cf.length, tInX = tInCar + ncar;
  const tangentBody = new Program(
    [...jp.inputs.slice(0, nc), ...jp.inputs.slice(tIn0, tInCar), ...jp.inputs.slice(tInCar, tInX), ...residuals, ...jp.inputs.slice(tInX)],
    [...known.filter((e) => constEqns.has(e)), ...tangentEqns],
    jp.outputs.slice(nOut),
  );
  const tan = (i: number) => tangents[i] ?? zerosLike(primals[i]);
  const tIn = [...primals.slice(0, nc), ...cf.map(tan), ...init.map((_, j) => tan(nc + j)), ...residuals.map((v) => stackOf.get(v)!), ...xf.map(tan)];
  const touts = bind(scanP, tIn, { ...p, body: tangentBody, numConsts: nc + cf.length, numCarry: ncar });
  return { outs, touts };
}

// ---- while -----------------------------------------------------------------------------------

export interface WhileParams {
  /** (cond consts, carry) → bool scalar. */
  cond: Program;
  /** (body consts, carry) → carry. */
  body: Program;
  numCondConsts: number;
  numBodyConsts: number;
}

export const whileP: Primitive<WhileParams> = {
  name: "while",
  impl(args, { cond, body, numCondConsts: a, numBodyConsts: b }) {
    const cc = args.slice(0, a), bc = args.slice(a, a + b);
    let carry = args.slice(a + b);
    while (programRunner.run(cond, [...cc, ...carry])[0].item()) carry = programRunner.run(body, [...bc, ...carry]);
    return carry;
  },
  /**
   * Under vmap each example may stop at another step: the batched loop runs while any example's
   * condition holds, and an example whose condition is false keeps its carry (`where`), as JAX
   * does. The body still runs for finished examples (its values are discarded).
   */
  batch(args, batched, { cond, body, numCondConsts: a, numBodyConsts: b }) {
    const size = batchSize(args, batched);
    const cc = args.slice(0, a), bc = args.slice(a, a + b), carry = args.slice(a + b);
    const carryB = carry.map((c, i) => (batched[a + b + i] ? c : withBatch(c, size)));
    const condB = batchedProgram(cond, [...batched.slice(0, a), ...carry.map(() => true)], size);
    const bodyB = batchedProgram(body, [...batched.slice(a, a + b), ...carry.map(() => true)], size);
    const av = (x: Tensor): Aval => ({ shape: x.shape, dtype: x.dtype });
    const anyCond = stageClosed("batched while cond", [...cc.map(av), ...carryB.map(av)], (v) => {
      const [pred] = evalProgram(condB, v) as Tensor[];
      return [compare(reduceMax(cast(pred, "int32"), [0]), scalarTensor(0, "int32"), "gt")];
    });
    const maskedBody = stageClosed("batched while body", [...cc.map(av), ...bc.map(av), ...carryB.map(av)], (v) => {
      const c = v.slice(0, a), consts = v.slice(a, a + b), car = v.slice(a + b);
      const [pred] = evalProgram(condB, [...c, ...car]) as Tensor[];
      const next = evalProgram(bodyB, [...consts, ...car]) as Tensor[];
      return next.map((nx, i) => where(reshape(pred, [size, ...new Array<number>(nx.ndim - 1).fill(1)]), nx, car[i]));
    });
    return bind(whileP, [...cc, ...cc, ...bc, ...carryB], { cond: anyCond.program, body: maskedBody.program, numCondConsts: a, numBodyConsts: a + b });
  },
  shape(avals, { body, numCondConsts: a, numBodyConsts: b }) {
    const carry = avals.slice(a + b), outs = outAvals(body);
    carry.forEach((c, i) => {
      if (!avalEq(c, outs[i])) throw new ShapeError(`whileLoop: the body turns carry ${i} from ${c.dtype}${fmtShape(c.shape)} into ${outs[i].dtype}${fmtShape(outs[i].shape)}; it must keep shapes and dtypes`);
    });
    return outs;
  },
  jvp(primals, tangents, _outs, p) {
    const { cond, body, numCondConsts: a, numBodyConsts: b } = p;
    const carry = primals.slice(a + b);
    for (const c of carry) if (!isFloat(c.dtype)) throw new TransformError(`whileLoop: differentiating a loop whose carry holds a ${c.dtype} value is not supported`);
    const bc = primals.slice(a, a + b);
    const bcf = bc.flatMap((c, i) => (isFloat(c.dtype) ? [i] : []));
    const tan = (i: number) => tangents[i] ?? zerosLike(primals[i]);
    const n = carry.length;
    const jp = jvpProgram(body, true); // [bc, carry, t(float bc), t carry] → [carry', t carry']
    const bAvals = inAvals(body);
    const condAvals = inAvals(cond);
    const cond2 = stageClosed("while cond", [...condAvals, ...bAvals.slice(b)], (v) => evalProgram(cond, v.slice(0, condAvals.length)) as Tensor[]);
    const body2 = stageClosed("while jvp body", [...bAvals.slice(0, b), ...bcf.map((i) => bAvals[i]), ...bAvals.slice(b), ...bAvals.slice(b)], (v) => {
      const c = v.slice(0, b), tc = v.slice(b, b + bcf.length), car = v.slice(b + bcf.length, b + bcf.length + n), tcar = v.slice(b + bcf.length + n);
      return evalProgram(jp, [...c, ...car, ...tc, ...tcar]) as Tensor[];
    });
    const res = bind(whileP, [...primals.slice(0, a), ...bc, ...bcf.map((i) => tan(a + i)), ...carry, ...carry.map((_, j) => tan(a + b + j))], {
      cond: cond2.program, body: body2.program, numCondConsts: a, numBodyConsts: b + bcf.length,
    });
    return res.slice(n);
  },
  transpose() {
    throw new TransformError(
      "whileLoop: reverse-mode differentiation (grad, vjp, jacrev) through a loop whose stopping condition is traced is not supported: " +
        "the number of steps is not known when the loop is staged. Use fori or scan with a fixed number of steps, or forward mode (jvp, jacfwd)",
    );
  },
  showParams: (p) => `\n    cond:\n      ${printProgram(p.cond).replace(/\n/g, "\n      ")}\n    body:\n      ${printProgram(p.body).replace(/\n/g, "\n      ")}`,
};

// ---- checkpoint ------------------------------------------------------------------------------

export interface CheckpointParams {
  /** The checkpointed function, staged and closed (captured tracers are leading inputs). */
  body: Program;
  name: string;
  /**
   * Set on the equation a checkpoint's forward rule makes: it computes the tangent part of `body`
   * (inputs [primals…, tangents of the float primals…], outputs the output tangents), whose program
   * (`jvpProgram(body)`) is only built when something needs it as a program.
   */
  tangentOf?: boolean;
}

/** The program an equation computes (a tangent equation's program is derived once, on demand). */
const tangentPrograms = new WeakMap<Program, Program>();
function programOf({ body, tangentOf }: CheckpointParams): Program {
  if (!tangentOf) return body;
  let p = tangentPrograms.get(body);
  if (!p) tangentPrograms.set(body, (p = jvpProgram(body)));
  return p;
}

/**
 * `checkpoint(f)` as a call primitive (JAX's remat): one equation holding f's program. Its forward
 * rule is another checkpoint, of the program's tangent part, which recomputes f's primal inside;
 * so when reverse mode linearizes it, the linear program stores only the checkpoint's inputs, and
 * the transpose recomputes the intermediates during the backward pass: at once when every value is
 * concrete (reverse mode of f's own vjp, with no program built), else as a checkpoint of the
 * transposed program. The inputs are explicit, whatever their level, so every mix of modes composes.
 */
export const checkpointP: Primitive<CheckpointParams> = {
  name: "checkpoint",
  impl(args, p) {
    if (!p.tangentOf) return programRunner.run(p.body, args, 1); // compiled in a jitted function (see markPersistent)
    const n = p.body.inputs.length, floatIdx = inAvals(p.body).flatMap((a, i) => (isFloat(a.dtype) ? [i] : []));
    const tangents: (Tensor | null)[] = p.body.inputs.map(() => null);
    floatIdx.forEach((i, k) => (tangents[i] = args[n + k]));
    const { touts } = jvpFlat((xs) => evalProgram(p.body, xs) as Tensor[], args.slice(0, n), tangents);
    return touts.map((t, i) => t ?? zerosLike(outAvals(p.body)[i])) as ArrayTensor[];
  },
  shape(avals, p) {
    const ins = p.tangentOf ? [...inAvals(p.body), ...inAvals(p.body).filter((a) => isFloat(a.dtype))] : inAvals(p.body);
    ins.forEach((a, i) => {
      if (!avalEq(a, avals[i])) throw new ShapeError(`checkpoint(${p.name}): input ${i} is ${avals[i].dtype}${fmtShape(avals[i].shape)}, the program expects ${a.dtype}${fmtShape(a.shape)}`);
    });
    return outAvals(p.body);
  },
  jvp(primals, tangents, _outs, p) {
    const floatIdx = primals.flatMap((x, i) => (isFloat(x.dtype) ? [i] : []));
    const t = floatIdx.map((i) => tangents[i] ?? zerosLike(primals[i]));
    if (!p.tangentOf) return bind(checkpointP, [...primals, ...t], { body: p.body, name: p.name, tangentOf: true });
    return bind(checkpointP, [...primals, ...t], { body: jvpProgram(programOf(p)), name: p.name });
  },
  transpose(cts, args, p) {
    const linear = args.map(isLin);
    const fixed = args.filter((a): a is Tensor => !isLin(a));
    const cs = zerosFor(cts, outAvals(p.body));
    let res: (Tensor | null)[];
    const concrete = [...fixed, ...cs].every((t) => t.isConcrete());
    const n = p.body.inputs.length;
    if (concrete && p.tangentOf && linear.every((l, i) => l === i >= n)) {
      // the transpose of f's tangent map at concrete primals is f's vjp there: recompute f under
      // reverse mode now (no program needed), as an eager checkpoint always has
      const pull = vjpFlat((xs) => evalProgram(p.body, xs) as Tensor[], fixed).pullback(cs);
      res = inAvals(p.body).flatMap((a, i) => (isFloat(a.dtype) ? [pull[i] ?? zerosLike(a)] : []));
    } else {
      const body = programOf(p);
      res = concrete
        ? transposePartial(body, linear, fixed, cs).map((c, k) => c ?? zerosLike(inAvals(body).filter((_, i) => linear[i])[k]))
        : bind(checkpointP, [...fixed, ...cs], { body: transposedProgram(body, linear), name: p.name });
    }
    let k = 0;
    return args.map((a) => (isLin(a) ? res[k++] : null));
  },
  batch: (args, batched, p) => bind(checkpointP, args, { body: batchedProgram(programOf(p), batched, batchSize(args, batched)), name: p.name }),
  showParams: (p) => `${p.name}\n    body:\n      ${printProgram(programOf(p)).replace(/\n/g, "\n      ")}`,
};
