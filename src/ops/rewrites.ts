/**
 * @file Rewrites that hold bit for bit in IEEE arithmetic, as one table for both IRs: jit's
 * optimizer applies them to program equations (jit/optimize.ts) and the symbolic simplifier to
 * expressions (symbolic/simplify.ts). Rounding to nearest is symmetric in sign, so moving a
 * negation never changes a bit; none of them adds an operation. (−(a − b) → b − a is not here: it
 * turns −0 into +0 where a = b.)
 */
import type { Primitive } from "../core/primitive.js";
import { addP, mulP, negP, subP } from "./elementwise.js";

/** A rewritten term: an existing value, or an operation on terms. */
export type Term<A> = A | { prim: Primitive; args: Term<A>[] };

/** What a rule may ask of the IR it rewrites. */
export interface RewriteView<A> {
  /** The operation that defines `a` (its primitive and arguments), or null for inputs and constants. */
  def(a: A): { prim: Primitive; args: A[] } | null;
  /** `a` has no other use (so absorbing its operation removes it, and adds none). */
  single(a: A): boolean;
  /** The operation applied to these arguments gives the rewritten value's shape (jit broadcasts). */
  fits(prim: Primitive, args: A[]): boolean;
}

export interface ExactRule {
  /** The identity, as a reader would write it. */
  name: string;
  apply<A>(prim: Primitive, args: A[], v: RewriteView<A>): Term<A> | null;
}

const negated = <A>(a: A, v: RewriteView<A>): A | null => {
  const d = v.def(a);
  return d && d.prim === negP ? d.args[0] : null;
};

export const EXACT_RULES: ExactRule[] = [
  { name: "−(−x) → x", apply: (prim, [x], v) => (prim === negP ? negated(x, v) : null) },
  {
    name: "x + (−y) → x − y, (−x) + y → y − x",
    apply(prim, [x, y], v) {
      if (prim !== addP) return null;
      const ny = negated(y, v);
      if (ny !== null && v.fits(subP, [x, ny])) return { prim: subP, args: [x, ny] };
      const nx = negated(x, v);
      return nx !== null && v.fits(subP, [y, nx]) ? { prim: subP, args: [y, nx] } : null;
    },
  },
  {
    name: "x − (−y) → x + y",
    apply(prim, [x, y], v) {
      const ny = prim === subP ? negated(y, v) : null;
      return ny !== null && v.fits(addP, [x, ny]) ? { prim: addP, args: [x, ny] } : null;
    },
  },
  {
    // only when the negation has no other use: otherwise it stays, and this product would add one
    name: "(−x)·y → −(x·y), x·(−y) → −(x·y)",
    apply(prim, [x, y], v) {
      if (prim !== mulP) return null;
      for (const [a, b] of [[x, y], [y, x]]) {
        const na = v.single(a) ? negated(a, v) : null;
        if (na !== null && v.fits(mulP, [na, b])) return { prim: negP, args: [{ prim: mulP, args: a === x ? [na, b] : [b, na] }] };
      }
      return null;
    },
  },
];
