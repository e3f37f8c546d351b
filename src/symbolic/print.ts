/**
 * @file Printing expressions: infix with minimal parentheses, LaTeX, and a `let` form in which every
 * subexpression used more than once is bound to a name first, so the printed size grows like the
 * DAG and not like the expanded tree. (JavaScript source is in compile.ts.)
 */
import type { Expr } from "./expr.js";
import { type Piece, type PrintContext, call } from "../core/print.js";
import { topoOrder } from "./dag.js";

export type Style = "infix" | "let" | "latex";

const atom = (text: string): Piece => ({ text, prec: 5 });

const GREEK = new Set([
  "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
  "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
]);

export function formatNumber(v: number, latex = false): string {
  if (Number.isNaN(v)) return latex ? "\\mathrm{NaN}" : "nan";
  if (!Number.isFinite(v)) return (v < 0 ? "-" : "") + (latex ? "\\infty" : "inf");
  const s = String(v);
  if (!latex || !s.includes("e")) return s;
  const [m, e] = s.split("e");
  return `${m} \\cdot 10^{${Number(e)}}`;
}

function latexName(name: string): string {
  const m = /^([A-Za-z]+)_?(\d+)$/.exec(name);
  const base = (b: string) => (GREEK.has(b) ? `\\${b}` : b.length === 1 ? b : `\\mathrm{${b}}`);
  if (m) return `${base(m[1])}_{${m[2]}}`;
  if (/^[A-Za-z]+$/.test(name)) return base(name);
  return `\\mathrm{${name.replace(/[\\{}_^$&%#~]/g, (c) => `\\${c}`)}}`;
}

/** Infix (or LaTeX) text of one node from its arguments' pieces: each primitive prints itself (`Primitive.print`), else as a call. */
function render(e: Expr, args: Piece[], latex: boolean): Piece {
  const node = e.node;
  if (node.kind === "var") return atom(latex ? latexName(node.name) : node.name);
  if (node.kind === "const") return { text: formatNumber(node.value, latex), prec: node.value < 0 ? 3 : 5 };
  const c: PrintContext = { latex, argDtypes: e.args.map((a) => a.dtype) };
  return node.prim.print?.(args, node.params, c) ?? call(node.prim.name, args, c);
}

/** How many times each node is used as an argument (within the DAG of `roots`). */
function useCounts(order: Expr[]): Map<Expr, number> {
  const uses = new Map<Expr, number>();
  for (const e of order) for (const a of e.args) uses.set(a, (uses.get(a) ?? 0) + 1);
  return uses;
}

/** Print several expressions together; with `let`, bindings shared between them are printed once. */
export function formatAll(roots: readonly Expr[], style: Style): { bindings: string[]; results: string[] } {
  const latex = style === "latex";
  const order = topoOrder(roots);
  const uses = style === "let" ? useCounts(order) : new Map<Expr, number>();
  const pieces = new Map<Expr, Piece>();
  const bindings: string[] = [];
  for (const e of order) {
    const p = render(e, e.args.map((a) => pieces.get(a)!), latex);
    if ((uses.get(e) ?? 0) >= 2 && e.node.kind === "op") {
      const name = `t${bindings.length + 1}`;
      bindings.push(`${name} = ${p.text}`);
      pieces.set(e, atom(name));
    } else pieces.set(e, p);
  }
  return { bindings, results: roots.map((r) => pieces.get(r)!.text) };
}

export function format(e: Expr, style: Style): string {
  const { bindings, results } = formatAll([e], style);
  return [...bindings, results[0]].join(style === "latex" ? " \\\\\n" : "\n");
}
