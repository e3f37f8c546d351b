/**
 * @file An expression seen as a program of the IR (a thin view): its variables are the program's
 * inputs, its constants literals, every other node one equation. Printing and code generation go
 * through the program (core/format.ts), as they do for any derivative program.
 */
import { Lit, Program, Var, type Atom, type Eqn } from "../core/ir.js";
import { scalarTensor } from "../tensor/array.js";
import type { Expr } from "./expr.js";
import { topoOrder } from "./dag.js";

/**
 * The program computing `roots`. Inputs are the variables, in the order of `vars` when given (which
 * must list every variable used; others become unused inputs), else in order of first appearance.
 */
export function toProgram(roots: readonly Expr[], vars?: readonly string[]): { program: Program; names: string[] } {
  const order = topoOrder(roots);
  const names = vars ? [...vars] : order.flatMap((e) => (e.node.kind === "var" ? [e.node.name] : []));
  const scalar = (e: Expr) => ({ shape: [] as number[], dtype: e.dtype });
  let id = 0;
  const inputs = names.map(() => new Var(id++, { shape: [], dtype: "float64" }));
  const atoms = new Map<Expr, Atom>();
  const eqns: Eqn[] = [];
  for (const e of order) {
    const node = e.node;
    if (node.kind === "var") atoms.set(e, inputs[names.indexOf(node.name)]);
    else if (node.kind === "const") atoms.set(e, new Lit(scalarTensor(node.value, e.dtype)));
    else {
      const out = new Var(id++, scalar(e));
      eqns.push({ prim: node.prim, inputs: e.args.map((a) => atoms.get(a)!), params: node.params, outs: [out] });
      atoms.set(e, out);
    }
  }
  return { program: new Program(inputs, eqns, roots.map((r) => atoms.get(r)!)), names };
}
