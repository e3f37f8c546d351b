/**
 * @file Programs inside programs (branches of cond, bodies of scan and while): staging a function
 * into a closed program, and deriving the programs its derivative rules need, all with the same
 * interpreters as everything else.
 */
import type { Tensor, Aval } from "../core/tensor.js";
import { Tracer } from "../core/trace.js";
import { type Eqn, Lit, Program, Var, evalProgram, freshVarId } from "../core/ir.js";
import { isFloat } from "../core/dtype.js";
import { stage } from "./stage.js";
import { jvpFlat } from "./jvp.js";
import { transposePartial } from "./linearize.js";
import { vmapFlat } from "./vmap.js";
import { zerosLike } from "../tensor/array.js";

/** A program with its captured values: tracers of enclosing transformations become leading inputs. */
export interface Closed {
  program: Program;
  /** Values to pass for the leading inputs, in order. */
  consts: Tensor[];
}

/**
 * Stage `f` on inputs with these avals. Values `f` closes over that belong to an enclosing
 * transformation (tracers) cannot live inside the program: they become explicit leading inputs.
 */
export function stageClosed(kind: string, avals: Aval[], f: (xs: Tensor[]) => Tensor[]): Closed {
  const { program } = stage(kind, avals, (ins) => f(ins));
  return closeOver(program);
}

export function closeOver(program: Program): Closed {
  const consts: Tensor[] = [];
  const vars = new Map<Tensor, Var>();
  let nextId = freshVarId(program);
  const lift = (a: Var | Lit | null) => {
    if (!(a instanceof Lit) || !(a.value instanceof Tracer)) return a;
    let v = vars.get(a.value);
    if (!v) {
      v = new Var(nextId++, { shape: a.value.shape, dtype: a.value.dtype });
      vars.set(a.value, v);
      consts.push(a.value);
    }
    return v;
  };
  const eqns: Eqn[] = program.eqns.map((e) => ({ ...e, inputs: e.inputs.map((a) => lift(a)!) }));
  const outputs = program.outputs.map(lift);
  if (consts.length === 0) return { program, consts };
  return { program: new Program([...vars.values(), ...program.inputs], eqns, outputs), consts };
}

const run = (p: Program, xs: Tensor[]): Tensor[] => evalProgram(p, xs) as Tensor[]; // staged from functions: no null outputs

/** Output avals of a program (its outputs are never null when staged from a function). */
export const outAvals = (p: Program): Aval[] => p.outputs.map((o) => ({ shape: o!.aval.shape, dtype: o!.aval.dtype }));
export const inAvals = (p: Program): Aval[] => p.inputs.map((v) => v.aval);

/**
 * The tangent part of a program's forward derivative: inputs [primals…, tangents of the float
 * primals…], outputs the output tangents (zeros where symbolically zero), preceded by the outputs
 * themselves when `withPrimal`.
 */
export function jvpProgram(p: Program, withPrimal = false): Program {
  const avals = inAvals(p);
  const floatIdx = avals.flatMap((a, i) => (isFloat(a.dtype) ? [i] : []));
  return stageClosed("jvp of a sub-program", [...avals, ...floatIdx.map((i) => avals[i])], (ins) => {
    const primals = ins.slice(0, avals.length);
    const tangents: (Tensor | null)[] = avals.map(() => null);
    floatIdx.forEach((i, k) => (tangents[i] = ins[avals.length + k]));
    const { outs, touts } = jvpFlat((xs) => run(p, xs), primals, tangents);
    const tans = touts.map((t, i) => t ?? zerosLike(outAvals(p)[i]));
    return withPrimal ? [...outs, ...tans] : tans;
  }).program;
}

/**
 * The transpose of a program linear in the inputs marked `linear`: inputs [the other inputs…,
 * output cotangents…], outputs one cotangent per linear input. Equations that do not touch a
 * linear input (the recomputed primal, the coefficients) run forward; the rest are transposed.
 */
export function transposedProgram(p: Program, linear: boolean[]): Program {
  const avals = inAvals(p);
  const fixedIdx = avals.flatMap((_, i) => (linear[i] ? [] : [i]));
  const linIdx = avals.flatMap((_, i) => (linear[i] ? [i] : []));
  return stageClosed("transpose of a sub-program", [...fixedIdx.map((i) => avals[i]), ...outAvals(p)], (ins) => {
    const fixed = ins.slice(0, fixedIdx.length), cts = ins.slice(fixedIdx.length);
    return transposePartial(p, linear, fixed, cts).map((c, k) => c ?? zerosLike(avals[linIdx[k]]));
  }).program;
}

/**
 * The batched form of a program (vmap over it): inputs marked `batched` carry a leading axis of
 * `size`; every output carries it (shared outputs are broadcast). Control-flow primitives batch
 * their sub-programs with this, so vmap of a staged loop stays one loop over batched values.
 */
export function batchedProgram(p: Program, batched: boolean[], size: number): Program {
  const avals = inAvals(p).map((a, i) => (batched[i] ? { shape: [size, ...a.shape], dtype: a.dtype } : a));
  const closed = stageClosed("batched sub-program", avals, (ins) => vmapFlat((xs) => run(p, xs), ins, batched, size));
  if (closed.consts.length) throw new Error("wengert internal: a batched sub-program captured outer values");
  return closed.program;
}
