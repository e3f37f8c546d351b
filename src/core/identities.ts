/**
 * @file Exact algebraic identities that remove an operation (x·1 = x, x + 0 = x, x^1 = x, a
 * reshape to the same shape…). Each primitive states its own in its entry (`Primitive.identity`);
 * this applies them, for the symbolic expression builder and jit's IR simplifier alike, so both
 * simplify the same way. Each holds bit for bit (x + 0 differs from x only for x = −0, which
 * compares equal).
 */
import type { Aval } from "./tensor.js";
import type { Operand, Primitive } from "./primitive.js";
import { shapeEq } from "./shape.js";

export type { Operand };

/** Index of the operand the result equals, or null. The result must have that operand's aval. */
export function identityOperand<P>(prim: Primitive<P>, params: P, args: Operand[], out: Aval): number | null {
  const k = prim.identity?.(args, params) ?? null;
  return k !== null && shapeEq(args[k].aval.shape, out.shape) && args[k].aval.dtype === out.dtype ? k : null;
}

/** The operand `i` is the known constant `v` (helper for identity rules). */
export const isConst = (args: Operand[], i: number, v: number): boolean => args[i]?.constant === v;
