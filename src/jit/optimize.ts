/**
 * @file IR passes for jit, each small and separate: algebraic identities (shared with the symbolic
 * builder), exact rewrites (negations and power-of-two scalings), constant folding,
 * common-subexpression elimination and dead-code elimination.
 * Every pass maps a Program to an equivalent Program; `optimize` runs them to a fixpoint.
 */
import { type Atom, type Eqn, Lit, Program, Var, deadCodeElimination, freshVarId, useCounts } from "../core/ir.js";
import { identityOperand } from "../core/identities.js";
import { EXACT_RULES, type RewriteView } from "../ops/rewrites.js";
import { ArrayTensor } from "../tensor/array.js";
import { avalEq } from "../core/tensor.js";
import { broadcastShapes, shapeEq } from "../core/shape.js";
import { addP, mulP, negP, subP } from "../ops/elementwise.js";
import type { Primitive } from "../core/primitive.js";
import { transposeP } from "../ops/shape-ops.js";
import { matmulP, type MatmulParams } from "../ops/linalg.js";

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
      const k = e.prim.valueIdentity ? 0 : identityOperand(e.prim, e.params, e.inputs.map((a) => ({ aval: a.aval, constant: constantOf(a) })), out.aval);
      if (k !== null && sameAval(e.inputs[k], out)) {
        sub.set(out, e.inputs[k]);
        continue;
      }
    }
    eqns.push(e);
  }
  return new Program(p.inputs, eqns, sub.outputs(p));
}

const sameAval = (a: Atom, v: Var) => avalEq(a.aval, v.aval);

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
    if (concrete && small && !e.prim.expands) {
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

/** ±2^k for an integer k ≥ 0: multiplying by it only moves the exponent (exact up to overflow). */
const isPowerOfTwoScale = (c: number) => {
  const a = Math.abs(c);
  return a >= 1 && Number.isFinite(a) && 2 ** Math.round(Math.log2(a)) === a;
};

/**
 * Rewrites that hold bit for bit in IEEE arithmetic (rounding to nearest is symmetric in sign, and
 * a product by 2^k is exact), mostly tidying what transposition leaves behind (the negations of
 * `sub`'s cotangent, constants applied one after another):
 *   −(−x) → x          −(x·c) → x·(−c)          (−a)·b → −(a·b)   (when x·c or −a has no other use)
 *   a + (−b) → a − b   (−a) + b → b − a         a − (−b) → a + b
 *   (x·2^k)·c → x·(2^k·c)   for k ≥ 0 and |c| ≥ 1 (so an overflow of x·2^k is one of the result too)
 * None of them can add an operation; most remove one once dead code is dropped.
 */
export function exactRewrites(p: Program): Program {
  const uses = useCounts(p);
  const sub = new Subst();
  const def = new Map<Var, Eqn>();
  const eqns: Eqn[] = [];
  let nextId = freshVarId(p);
  const floatVar = (a: Atom): a is Var => a instanceof Var && (a.aval.dtype === "float64" || a.aval.dtype === "float32");
  const defOf = (a: Atom, prim: Primitive): Eqn | undefined => {
    const e = a instanceof Var ? def.get(a) : undefined;
    return e && e.prim === prim ? e : undefined;
  };
  const constLit = (c: number, like: Atom): Lit => new Lit(ArrayTensor.filled(c, [...like.aval.shape], like.aval.dtype));
  // the constant operand of a product with one variable: [variable, constant, its literal]
  const scaled = (e: Eqn | undefined): [Var, number, Lit] | null => {
    if (!e) return null;
    for (const [i, j] of [[0, 1], [1, 0]]) {
      const c = constantOf(e.inputs[j]);
      if (c !== undefined && e.inputs[i] instanceof Var) return [e.inputs[i] as Var, c, e.inputs[j] as Lit];
    }
    return null;
  };
  // emit an equation computing `out` (rewritten when a rule applies)
  const emit = (prim: Primitive, inputs: Atom[], out: Var): void => {
    const outAval = out.aval;
    const fits = (ins: Atom[]) => shapeEq(broadcastShapes(prim.name, ...ins.map((a) => a.aval.shape)), outAval.shape);
    if (floatVar(out) && inputs.every((a) => a.aval.dtype === outAval.dtype)) {
      const [x, y] = inputs;
      // the exact rewrites shared with the symbolic simplifier (ops/rewrites.ts)
      const view: RewriteView<Atom> = {
        def: (a) => {
          const d = a instanceof Var ? def.get(a) : undefined;
          return d ? { prim: d.prim, args: d.inputs } : null;
        },
        single: (a) => a instanceof Var && uses.get(a) === 1,
        fits: (_p, args) => fits(args),
      };
      for (const rule of EXACT_RULES) {
        const t = rule.apply(prim, inputs, view);
        if (t === null) continue;
        if (t instanceof Var || t instanceof Lit) {
          if (!sameAval(t, out)) continue;
          return sub.set(out, t);
        }
        const args = t.args.map((a): Atom => {
          if (a instanceof Var || a instanceof Lit) return a;
          const v = new Var(nextId++, outAval);
          uses.set(v, 1);
          emit(a.prim, a.args as Atom[], v);
          return v;
        });
        return emit(t.prim, args, out);
      }
      // rules about constants (jit only: the symbolic simplifier keeps constants first, for reading)
      if (prim === negP) {
        // (only when the product has no other use: otherwise it stays, and the negation may yet
        // be absorbed by its consumer)
        const s = uses.get(x as Var) === 1 ? scaled(defOf(x, mulP)) : null;
        if (s && fits([s[0], s[2]])) return emit(mulP, [s[0], constLit(-s[1], s[2])], out);
      }
      if (prim === mulP) {
        for (const [a, b] of [[x, y], [y, x]]) {
          const c1 = constantOf(b);
          const s = scaled(defOf(a, mulP));
          if (c1 !== undefined && s && isPowerOfTwoScale(s[1]) && Math.abs(c1) >= 1) {
            const c = c1 * s[1];
            const lit = constLit(c, s[2].aval.shape.length >= b.aval.shape.length ? s[2] : b);
            if (Number.isFinite(c) && constantOf(lit) === c && fits([s[0], lit])) return emit(mulP, [s[0], lit], out);
          }
        }
      }
    }
    const e: Eqn = { prim, inputs, params: {}, outs: [out] };
    def.set(out, e);
    eqns.push(e);
  };
  for (const e0 of p.eqns) {
    const e = sub.eqn(e0);
    const simple = (e.prim === negP || e.prim === mulP || e.prim === addP || e.prim === subP) && e.outs.length === 1;
    if (simple) emit(e.prim, e.inputs, e.outs[0]);
    else eqns.push(e);
  }
  return new Program(p.inputs, eqns, sub.outputs(p));
}

/**
 * A matrix product of a transposed operand (its last two axes swapped, as `w.transpose(A)` of a
 * matrix or `transpose(Q, [0, 2, 1])` of a batch) reads the operand in place, with the product's
 * own transpose flag (BLAS's op(A)), so the transposed copy is never made (it is dropped as dead
 * code when nothing else reads it). Every matmul path sums each output element over the
 * contracted index in the same order either way (the SIMD kernel packs op(A) into the same
 * panels; the vector products sum in index order): the same bits. A product Sᵀ·v then reads S's
 * rows as a row pass can.
 */
export function transposesIntoProducts(p: Program): Program {
  const def = new Map<Var, Eqn>();
  for (const e of p.eqns) for (const v of e.outs) def.set(v, e);
  const swapped = (a: Atom): Atom | null => {
    const d = a instanceof Var ? def.get(a) : undefined;
    if (!d || d.prim !== transposeP) return null;
    const { perm } = d.params as { perm: number[] }, r = perm.length;
    return r >= 2 && perm[r - 1] === r - 2 && perm[r - 2] === r - 1 && perm.slice(0, r - 2).every((q, i) => q === i) ? d.inputs[0] : null;
  };
  let changed = false;
  const eqns = p.eqns.map((e) => {
    if (e.prim !== matmulP) return e;
    const { ta = false, tb = false } = e.params as MatmulParams;
    const [a, b] = e.inputs, a2 = swapped(a), b2 = swapped(b);
    if (a2 === null && b2 === null) return e;
    changed = true;
    const fa = a2 !== null ? !ta : ta, fb = b2 !== null ? !tb : tb;
    return { ...e, inputs: [a2 ?? a, b2 ?? b], params: { ...(fa && { ta: true }), ...(fb && { tb: true }) } };
  });
  return changed ? new Program(p.inputs, eqns, p.outputs) : p;
}

const PASSES: [string, (p: Program) => Program][] = [
  ["identities", simplifyIdentities],
  ["transposes into products", transposesIntoProducts],
  ["exact rewrites", exactRewrites],
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
