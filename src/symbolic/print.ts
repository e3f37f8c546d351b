/**
 * @file Printing expressions: infix with minimal parentheses, LaTeX, and a `let` form in which every
 * subexpression used more than once is bound to a name first, so the printed size grows like the
 * DAG and not like the expanded tree. An expression prints as the program it is (symbolic/
 * program.ts) through the IR's one printer (core/format.ts); JavaScript source is in compile.ts.
 */
import type { Expr } from "./expr.js";
import { formatProgram } from "../core/format.js";
import { InputError, fmtValue } from "../core/errors.js";
import { toProgram } from "./program.js";

export { formatNumber } from "../core/print.js";

export type Style = "infix" | "let" | "latex";

/**
 * Print several expressions together; with `let`, bindings shared between them are printed once.
 * @example
 * symbolic.formatAll([parse("sin(x)*sin(x)")], "let") // → { bindings: ["t1 = sin(x)"], results: ["t1 * t1"] }
 */
export function formatAll(roots: readonly Expr[], style: Style): { bindings: string[]; results: string[] } {
  if (style !== "infix" && style !== "let" && style !== "latex") throw new InputError(`format: style must be "infix", "let" or "latex"; got ${fmtValue(style)}`);
  const { program, names } = toProgram(roots);
  return formatProgram(program, style, names);
}

/**
 * @example
 * symbolic.format(parse("x^2 + sin(x)"), "latex") // → "{x}^{2} + \\sin\\left(x\\right)"
 */
export function format(e: Expr, style: Style): string {
  const { bindings, results } = formatAll([e], style);
  return [...bindings, results[0]].join(style === "latex" ? " \\\\\n" : "\n");
}
