/**
 * @file Exact algebraic identities that remove an operation: x·1 = x, x + 0 = x, x^1 = x, a
 * reshape to the same shape… One table, used by the symbolic expression builder and by jit's IR
 * simplifier, so both simplify the same way. Each holds bit for bit (x + 0 differs from x only for
 * x = −0, which compares equal).
 */
import type { Aval } from "./tensor.js";
import { shapeEq } from "./shape.js";

export interface Operand {
  aval: Aval;
  /** The value when the operand is a known constant with all elements equal. */
  constant?: number;
}

/** Index of the operand the result equals, or null. The result must have that operand's aval. */
export function identityOperand(name: string, params: any, args: Operand[], out: Aval): number | null {
  const same = (i: number) => shapeEq(args[i].aval.shape, out.shape) && args[i].aval.dtype === out.dtype;
  const is = (i: number, v: number) => args[i]?.constant === v;
  let k: number | null = null;
  switch (name) {
    case "mul":
      k = is(1, 1) ? 0 : is(0, 1) ? 1 : null;
      break;
    case "add":
      k = is(1, 0) ? 0 : is(0, 0) ? 1 : null;
      break;
    case "sub":
      k = is(1, 0) ? 0 : null;
      break;
    case "div":
      k = is(1, 1) ? 0 : null;
      break;
    case "pow":
      k = is(1, 1) ? 0 : null;
      break;
    case "reshape":
    case "broadcastTo":
      k = 0;
      break;
    case "cast":
      k = 0; // kept only when the dtype is unchanged (checked below)
      break;
    case "transpose":
      k = (params.perm as number[]).every((p, i) => p === i) ? 0 : null;
      break;
    case "where": // a known condition selects one branch
      k = args[0].constant === undefined ? null : args[0].constant ? 1 : 2;
      break;
    case "reduceSum":
      k = (params.axes as number[]).length === 0 ? 0 : null;
      break;
  }
  return k !== null && same(k) ? k : null;
}
