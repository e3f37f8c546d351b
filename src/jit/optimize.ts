/**
 * @file IR passes for jit, each small and separate: algebraic identities (shared with the symbolic
 * builder), constant folding, common-subexpression elimination and dead-code elimination.
 * Every pass maps a Program to an equivalent Program; `optimize` runs them to a fixpoint.
 */
import { type Atom, type Eqn, Lit, Program, Var, deadCodeElimination } from "../core/ir.js";
import { identityOperand } from "../core/identities.js";
import { ArrayTensor } from "../tensor/array.js";

/** Rewrites atoms through a substitution (Var → Atom), following chains. */
class Subst {
  private map = new Map<Var, Atom>();
  set(v: Var, a: Atom): void {
    this.map.set(v, a);
  }
  get(a: Atom): Atom {
    while (a instanceof Var && this.map.has(a)) a = this.map.get(a)!;
    return a;
  }
  eqn(e: Eqn): Eqn {
    return { ...e, inputs: e.inputs.map((a) => this.get(a)) };
  }
  outputs(p: Program): (Atom | null)[] {
    return p.outputs.map((a) => (a === null ? null : this.get(a)));
  }
}

/** The uniform value of a literal, if it has one (scalars, lazily filled tensors). */
export function constantOf(a: Atom): number | undefined {
  if (!(a instanceof Lit) || !(a.value instanceof ArrayTensor)) return undefined;
  const t = a.value;
  if (t.uniform !== undefined) return t.uniform;
  return t.size === 1 ? t.data[0] : undefined;
}

/** x·1 → x, x + 0 → x, reshape to the same shape → x, … and stopGradient → x (derivatives are done). */
export function simplifyIdentities(p: Program): Program {
  const sub = new Subst();
  const eqns: Eqn[] = [];
  for (const e0 of p.eqns) {
    const e = sub.eqn(e0);
    if (e.outs.length === 1) {
      const out = e.outs[0];
      const k = e.prim.name === "stopGradient" ? 0 : identityOperand(e.prim.name, e.params, e.inputs.map((a) => ({ aval: a.aval, constant: constantOf(a) })), out.aval);
      if (k !== null && sameAval(e.inputs[k], out)) {
        sub.set(out, e.inputs[k]);
        continue;
      }
    }
    eqns.push(e);
  }
  return new Program(p.inputs, eqns, sub.outputs(p));
}

const sameAval = (a: Atom, v: Var) => a.aval.dtype === v.aval.dtype && a.aval.shape.length === v.aval.shape.length && a.aval.shape.every((d, i) => d === v.aval.shape[i]);

const FOLD_LIMIT = 1 << 16; // do not fold into constants bigger than this (they would live in the compiled code)

/** An equation whose inputs are all concrete literals is evaluated now. */
export function foldConstants(p: Program): Program {
  const sub = new Subst();
  const eqns: Eqn[] = [];
  for (const e0 of p.eqns) {
    const e = sub.eqn(e0);
    const concrete = e.inputs.every((a) => a instanceof Lit && a.value instanceof ArrayTensor);
    const small = e.outs.every((v) => v.aval.shape.reduce((s, d) => s * d, 1) <= FOLD_LIMIT);
    // a broadcast of a constant stays an equation: it costs nothing in a fused loop, while folding
    // it would make a large constant
    if (concrete && small && e.prim.name !== "broadcastTo") {
      const outs = e.prim.impl(e.inputs.map((a) => (a as Lit).value as ArrayTensor), e.params);
      e.outs.forEach((v, i) => sub.set(v, new Lit(outs[i])));
      continue;
    }
    eqns.push(e);
  }
  return new Program(p.inputs, eqns, sub.outputs(p));
}

const NOT_DATA = new Error("params are not plain data");
/** Params as JSON when they are plain data (numbers, strings, arrays, plain objects), else null. */
function paramsKey(params: unknown): string | null {
  try {
    return JSON.stringify(params, (_k, v) => {
      if (typeof v === "function" || (v !== null && typeof v === "object" && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype)) throw NOT_DATA;
      return v;
    }) ?? "";
  } catch (e) {
    if (e === NOT_DATA) return null;
    throw e;
  }
}

/**
 * Key of an equation's computation, or null when its params cannot be compared by value
 * (sub-programs, closures): such equations are never merged.
 */
function eqnKey(e: Eqn, ids: Map<unknown, number>): string | null {
  const params = paramsKey(e.params);
  if (params === null) return null;
  const idOf = (a: Atom): string => {
    if (a instanceof Var) return `v${a.id}`;
    const c = constantOf(a);
    if (c !== undefined && a.value.size === 1) return `c${a.value.dtype}:${Object.is(c, -0) ? "-0" : c}`;
    let id = ids.get(a.value);
    if (id === undefined) ids.set(a.value, (id = ids.size));
    return `l${id}`;
  };
  return `${e.prim.name}|${params}|${e.inputs.map(idOf).join(",")}`;
}

/** Two equations computing the same primitive on the same inputs become one. */
export function commonSubexpressions(p: Program): Program {
  const sub = new Subst();
  const seen = new Map<string, Var[]>();
  const ids = new Map<unknown, number>();
  const eqns: Eqn[] = [];
  for (const e0 of p.eqns) {
    const e = sub.eqn(e0);
    const key = eqnKey(e, ids);
    const prev = key === null ? undefined : seen.get(key);
    if (prev) {
      e.outs.forEach((v, i) => sub.set(v, prev[i]));
      continue;
    }
    if (key !== null) seen.set(key, e.outs);
    eqns.push(e);
  }
  return new Program(p.inputs, eqns, sub.outputs(p));
}

export const PASSES: [string, (p: Program) => Program][] = [
  ["identities", simplifyIdentities],
  ["constant folding", foldConstants],
  ["common subexpressions", commonSubexpressions],
  ["dead code", deadCodeElimination],
];

/** All passes until the program stops shrinking. */
export function optimize(p: Program): Program {
  for (let round = 0; round < 8; round++) {
    const before = p.eqns.length;
    for (const [, pass] of PASSES) p = pass(p);
    if (p.eqns.length === before && round > 0) break;
  }
  return p;
}
