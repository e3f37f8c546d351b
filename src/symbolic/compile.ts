/**
 * @file Expressions to JavaScript. The source is made only of the catalogue's code templates
 * (operators and `Math` functions), numeric literals and generated names (a0…, t0…): variable names
 * from the input are never part of it, whatever they contain.
 */
import { InputError } from "../core/errors.js";
import { compileJS, jsNumber } from "../core/codegen.js";
import { type Expr, asExpr, topoOrder, variables, evaluate } from "./expr.js";

/** The body of `function (a0, a1, …) { … }` computing `roots` from the listed variables. */
export function toJS(roots: Expr | Expr[], vars: string[]): string {
  const list = Array.isArray(roots) ? roots : [roots];
  checkVariables(list, vars, "toJS");
  const names = new Map<Expr, string>();
  const lines: string[] = [];
  for (const e of topoOrder(list)) {
    const node = e.node;
    if (node.kind === "var") names.set(e, `a${vars.indexOf(node.name)}`);
    else if (node.kind === "const") names.set(e, jsNumber(node.value));
    else {
      const name = `t${lines.length}`;
      lines.push(`  const ${name} = ${node.prim.code!(e.args.map((a) => names.get(a)!), node.params)};`);
      names.set(e, name);
    }
  }
  const out = list.map((r) => names.get(r)!);
  lines.push(`  return ${Array.isArray(roots) ? `[${out.join(", ")}]` : out[0]};`);
  return lines.join("\n");
}

function checkVariables(roots: Expr[], vars: string[], op: string): void {
  if (!Array.isArray(vars) || vars.some((v) => typeof v !== "string")) throw new InputError(`${op}: needs the variable names as an array of strings`);
  const missing = variables(...roots).filter((v) => !vars.includes(v));
  if (missing.length > 0) {
    throw new InputError(`${op}: the expression uses ${missing.map((m) => JSON.stringify(m)).join(", ")}, which ${missing.length > 1 ? "are" : "is"} not in the variable list [${vars.map((v) => JSON.stringify(v)).join(", ")}]`);
  }
}

/**
 * A fast JS function of the listed variables, in that order: `compile(expr, ["x1", "x2"])(2, 5)`.
 * An array of expressions gives a function returning an array (shared nodes computed once).
 */
export function compile(expr: Expr | number, vars: string[]): (...values: number[]) => number;
export function compile(exprs: (Expr | number)[], vars: string[]): (...values: number[]) => number[];
export function compile(exprs: Expr | number | (Expr | number)[], vars: string[]): (...values: number[]) => number | number[] {
  const many = Array.isArray(exprs);
  const list = (many ? exprs : [exprs]).map((e) => asExpr(e, "compile"));
  const body = toJS(many ? list : list[0], vars);
  const params = vars.map((_, i) => `a${i}`);
  const fn = compileJS<(...v: number[]) => number | number[]>([], `return function compiled(${params.join(", ")}) {\n${body}\n};`, [], "expression");
  if (fn) return fn;
  return (...values: number[]) => {
    const env = new Map(vars.map((v, i) => [v, values[i]]));
    const res = list.map((e) => evaluate(e, env));
    return many ? res : res[0];
  };
}
