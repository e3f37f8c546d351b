/**
 * @file Expressions to JavaScript. The source is made only of the catalogue's code templates
 * (operators and `Math` functions), numeric literals and generated names (a0…, t0…): variable names
 * from the input are never part of it, whatever they contain.
 */
import { InputError, fmtValue } from "../core/errors.js";
import { compileJS } from "../core/codegen.js";
import { formatProgram } from "../core/format.js";
import { type Expr, type ExprLike, asExpr, variables, evaluate } from "./expr.js";
import { toProgram } from "./program.js";

/**
 * The body of `function (a0, a1, …) { … }` computing `roots` from the listed variables.
 * @example
 * symbolic.toJS(parse("x*x"), ["x"]).includes("return") // → true
 */
export function toJS(roots: ExprLike | ExprLike[], vars: string[]): string {
  const list = (Array.isArray(roots) ? roots : [roots]).map((r) => asExpr(r, "toJS"));
  checkVariables(list, vars, "toJS");
  const { program } = toProgram(list, vars);
  const { bindings, results } = formatProgram(program, "js", vars.map((_, i) => `a${i}`));
  return [...bindings.map((l) => `  ${l}`), `  return ${Array.isArray(roots) ? `[${results.join(", ")}]` : results[0]};`].join("\n");
}

function checkVariables(roots: Expr[], vars: string[], op: string): void {
  if (!Array.isArray(vars) || vars.some((v) => typeof v !== "string")) throw new InputError(`${op}: needs the variable names as an array of strings`);
  const missing = variables(...roots).filter((v) => !vars.includes(v));
  if (missing.length > 0) {
    throw new InputError(`${op}: the expression uses ${fmtNames(missing)}, which ${missing.length > 1 ? "are" : "is"} not in the variable list [${fmtNames(vars)}]`);
  }
}

/** Above this many variables the compiled function takes them as a rest array (engines allow ~65k parameters). */
const MAX_PARAMS = 1000;

/**
 * A fast JS function of the listed variables, in that order: `compile(expr, ["x1", "x2"])(2, 5)`.
 * An array of expressions gives a function returning an array (shared nodes computed once). The
 * function checks its call: exactly one JS number per variable, else an InputError.
 * @example
 * compile(parse("x*y + 1"), ["x", "y"])(2, 3) // → 7
 */
export function compile(expr: ExprLike, vars: string[]): (...values: number[]) => number;
export function compile(exprs: ExprLike[], vars: string[]): (...values: number[]) => number[];
export function compile(exprs: ExprLike | ExprLike[], vars: string[]): (...values: number[]) => number | number[] {
  const many = Array.isArray(exprs);
  const list = (many ? exprs : [exprs]).map((e) => asExpr(e, "compile"));
  const body = toJS(many ? list : list[0], vars);
  const n = vars.length;
  const bad = (args: ArrayLike<unknown>): never => {
    if (args.length !== n) throw new InputError(`compile: the compiled function takes ${n} number${n === 1 ? "" : "s"} (${fmtNames(vars)}); got ${args.length} argument${args.length === 1 ? "" : "s"}`);
    for (let i = 0; i < n; i++) {
      if (typeof args[i] !== "number") throw new InputError(`compile: argument ${i} (${fmtValue(vars[i], 30)}) must be a JS number; got ${fmtValue(args[i])}`);
    }
    throw new InputError("compile: bad arguments");
  };
  let source: string;
  if (n <= MAX_PARAMS) {
    const params = vars.map((_, i) => `a${i}`);
    const check = [`arguments.length !== ${n}`, ...params.map((p) => `typeof ${p} !== "number"`)].join(" || ");
    source = `return function compiled(${params.join(", ")}) {\n  if (${check}) bad(arguments);\n${body}\n};`;
  } else {
    // only the variables the expressions use get a local name
    const used = variables(...list).map((v) => vars.indexOf(v));
    source = `return function compiled(...A) {\n  if (A.length !== ${n}) bad(A);\n  for (let i = 0; i < ${n}; i++) if (typeof A[i] !== "number") bad(A);\n${used.map((i) => `  const a${i} = A[${i}];`).join("\n")}\n${body}\n};`;
  }
  const fn = compileJS<(...v: number[]) => number | number[]>(["bad"], source, [bad], "expression");
  if (fn) return fn;
  return (...values: number[]) => {
    if (values.length !== n || values.some((v) => typeof v !== "number")) bad(values);
    const env = new Map(vars.map((v, i) => [v, values[i]]));
    const res = list.map((e) => evaluate(e, env));
    return many ? res : res[0];
  };
}

const fmtNames = (vars: string[]) => (vars.length > 6 ? `${vars.slice(0, 6).map((v) => fmtValue(v, 20)).join(", ")}, …` : vars.map((v) => fmtValue(v, 20)).join(", "));
