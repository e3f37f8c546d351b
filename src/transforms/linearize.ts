/**
 * @file Reverse mode, derived (Autodidax): linearize = forward mode whose tangents are staged into a
 * linear program instead of computed; vjp = transpose that program, walking it backwards and summing
 * the cotangents of every path. Every transposed operation goes through `bind`, so the gradient is
 * itself a program of primitives and can be differentiated, traced and printed again (seed 001:
 * reverse AD by extending the graph).
 */
import type { Tensor } from "../core/tensor.js";
import { type Cotangent, LinearIn, coreOps } from "../core/primitive.js";
import { type Atom, type Eqn, type Program, Var, Lit, evalProgram } from "../core/ir.js";
import { isFloat } from "../core/dtype.js";
import { TransformError, fmtShape } from "../core/errors.js";
import { shapeEq } from "../core/shape.js";
import { stage } from "./stage.js";
import { bind } from "../core/trace.js";
import { jvpFlat } from "./jvp.js";

export interface Linearized {
  outs: Tensor[];
  /** Inputs: one tangent per float primal (non-float primals have none); outputs: one per out. */
  program: Program;
  /** Index into the primals of each linear input. */
  diffIdx: number[];
}

export function linearizeFlat(f: (xs: Tensor[]) => Tensor[], primals: Tensor[]): Linearized {
  const diffIdx = primals.flatMap((p, i) => (isFloat(p.dtype) ? [i] : []));
  const { program, extra } = stage("linearize", diffIdx.map((i) => primals[i]), (tanIn) => {
    const tangents = primals.map(() => null as Tensor | null);
    diffIdx.forEach((i, k) => (tangents[i] = tanIn[k]));
    const { outs, touts } = jvpFlat(f, primals, tangents);
    return { outs: touts, extra: outs };
  });
  return { outs: extra!, program, diffIdx };
}

/**
 * Pull output cotangents back through a linear program (null = zero), giving input cotangents.
 * Every input is linear and the residuals are literals (what linearize makes): the fast path that
 * grad takes on every call; `transposePartial` handles programs with non-linear inputs too.
 */
export function transposeProgram(program: Program, cts: Cotangent[]): Cotangent[] {
  const ctEnv = pullBack(program.eqns, program.outputs, cts, (a) => (a instanceof Lit ? a.value : new LinearIn(a.aval)));
  return program.inputs.map((v) => ctEnv.get(v) ?? null);
}

/**
 * Transpose a program that is linear in the inputs marked `linear`, given values for the others
 * (`fixed`, in order): equations that do not depend on a linear input are evaluated forward (they
 * are the residuals), the rest are transposed backwards. Returns one cotangent per linear input.
 * (Evaluating the whole program at zero instead would compute every linear equation's value for
 * nothing.)
 */
export function transposePartial(program: Program, linear: boolean[], fixed: Tensor[], cts: Cotangent[]): Cotangent[] {
  const env = new Map<Var, Tensor>();
  const isLinear = new Set<Var>();
  let k = 0;
  program.inputs.forEach((v, i) => (linear[i] ? isLinear.add(v) : env.set(v, fixed[k++])));
  const value = (a: Var | Lit): Tensor => (a instanceof Lit ? a.value : env.get(a)!);
  const linearEqns: Eqn[] = [];
  for (const eqn of program.eqns) {
    if (eqn.inputs.some((a) => a instanceof Var && isLinear.has(a))) {
      eqn.outs.forEach((v) => isLinear.add(v));
      linearEqns.push(eqn);
    } else {
      const outs = bind(eqn.prim, eqn.inputs.map(value), eqn.params);
      eqn.outs.forEach((v, i) => env.set(v, outs[i]));
    }
  }
  const ctEnv = pullBack(linearEqns, program.outputs, cts, (a) => (a instanceof Var && isLinear.has(a) ? new LinearIn(a.aval) : value(a)));
  return program.inputs.filter((_, i) => linear[i]).map((v) => ctEnv.get(v) ?? null);
}

/**
 * The backward walk (seed 001: adjoints summed over every path): output cotangents are pulled
 * back through `eqns` in reverse by each primitive's transpose rule; `argOf` gives a rule its
 * arguments (a value, or LinearIn for a linear one). Returns the cotangent of every variable reached.
 */
function pullBack(eqns: readonly Eqn[], outputs: readonly (Atom | null)[], cts: Cotangent[], argOf: (a: Atom) => Tensor | LinearIn): Map<Var, Tensor> {
  const ctEnv = new Map<Var, Tensor>();
  const accum = (v: Var, ct: Tensor): void => {
    const prev = ctEnv.get(v);
    ctEnv.set(v, prev === undefined ? ct : coreOps.add(prev, ct));
  };
  outputs.forEach((a, i) => {
    const ct = cts[i];
    if (a instanceof Var && ct !== null && ct !== undefined) accum(a, ct);
  });
  for (let j = eqns.length - 1; j >= 0; j--) {
    const eqn = eqns[j];
    const outCts = eqn.outs.map((v) => ctEnv.get(v) ?? null);
    if (outCts.every((c) => c === null)) continue;
    eqn.outs.forEach((v) => ctEnv.delete(v));
    if (eqn.prim.transpose === null) {
      throw new TransformError(`${eqn.prim.name} has no transpose rule but appeared in a linear program; its forward rule is not linear in the tangents`);
    }
    const inCts = eqn.prim.transpose(outCts, eqn.inputs.map(argOf), eqn.params);
    eqn.inputs.forEach((a, i) => {
      const ct = inCts[i];
      if (a instanceof Var && ct !== null) accum(a, ct);
    });
  }
  return ctEnv;
}

export function vjpFlat(f: (xs: Tensor[]) => Tensor[], primals: Tensor[]): { outs: Tensor[]; pullback: (cts: Cotangent[]) => Cotangent[] } {
  const lin = linearizeFlat(f, primals);
  const pullback = (cts: Cotangent[]): Cotangent[] => {
    lin.outs.forEach((o, i) => {
      const ct = cts[i];
      if (ct && !shapeEq(ct.shape, o.shape)) {
        throw new TransformError(`vjp: cotangent ${i} has shape ${fmtShape(ct.shape)} but the output has shape ${fmtShape(o.shape)}`);
      }
    });
    const inCts = transposeProgram(lin.program, cts);
    const res: Cotangent[] = primals.map(() => null);
    lin.diffIdx.forEach((i, k) => (res[i] = inCts[k]));
    return res;
  };
  return { outs: lin.outs, pullback };
}

/** Push tangents through a linearized function (forward mode, without re-running the primal). */
export function pushforward(lin: Linearized, tangents: Tensor[]): (Tensor | null)[] {
  return evalProgram(lin.program, lin.diffIdx.map((i) => tangents[i]));
}
