/**
 * @file Printing one operation as infix text or LaTeX, from its arguments' printed pieces. Each
 * primitive says how it prints in its entry (`Primitive.print`); these are the shared helpers.
 * Primitives without a rule print as a call, `name(a, b)`.
 */
import type { DType } from "./dtype.js";

/** A printed subexpression and its binding strength: 0 comparison, 1 + −, 2 * /, 3 unary minus, 4 ^, 5 atoms and calls. */
export interface Piece {
  text: string;
  prec: number;
}

export interface PrintContext {
  latex: boolean;
  /** The dtypes of the operation's arguments (a cast of a bool prints as an Iverson bracket). */
  argDtypes: DType[];
}

export const atom = (text: string): Piece => ({ text, prec: 5 });

/** The piece's text, parenthesized when `need`. */
export const wrap = (p: Piece, need: boolean, c: PrintContext): string => (need ? (c.latex ? `\\left(${p.text}\\right)` : `(${p.text})`) : p.text);

/** A function call: `name(a, b)`, or `\name\left(a, b\right)` in LaTeX. */
export const call = (name: string, args: Piece[], c: PrintContext, latexName = `\\operatorname{${name}}`): Piece =>
  atom(c.latex ? `${latexName}\\left(${args.map((p) => p.text).join(", ")}\\right)` : `${name}(${args.map((p) => p.text).join(", ")})`);

/**
 * A left-associative infix operator of strength `prec`. The right operand is parenthesized at equal
 * strength (a + (b − c) is not (a + b) − c in floating point, and printed text must parse back to
 * the same computation); LaTeX, which is for reading, drops those parentheses for associative ones.
 */
export function infix(a: Piece, b: Piece, op: string, texOp: string, prec: number, c: PrintContext, associative: boolean): Piece {
  const right = b.prec < prec || (b.prec === prec && !(associative && c.latex));
  return { text: `${wrap(a, a.prec < prec, c)}${c.latex ? texOp : op}${wrap(b, right, c)}`, prec };
}

/** A power: `a^b` (right-associative), `{a}^{b}` in LaTeX. */
export function power(a: Piece, b: Piece, c: PrintContext): Piece {
  const base = wrap(a, a.prec <= 4, c);
  return { text: c.latex ? `{${base}}^{${b.text}}` : `${base}^${wrap(b, b.prec < 4, c)}`, prec: 4 };
}

/** A named function with its own name in the grammar and in LaTeX. */
export const named = (name: string, latexName?: string) => (args: Piece[], _params: unknown, c: PrintContext): Piece => call(name, args, c, latexName);

const GREEK = new Set([
  "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
  "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
]);

/** A number as the grammar writes it (nan, inf, -inf), or in LaTeX (10^{k} exponents, \\infty). */
export function formatNumber(v: number, latex = false): string {
  if (Number.isNaN(v)) return latex ? "\\mathrm{NaN}" : "nan";
  if (!Number.isFinite(v)) return (v < 0 ? "-" : "") + (latex ? "\\infty" : "inf");
  const s = String(v);
  if (!latex || !s.includes("e")) return s;
  const [m, e] = s.split("e");
  return `${m} \\cdot 10^{${Number(e)}}`;
}

/** A variable name in LaTeX: x1 → x_{1}, alpha → \\alpha, others upright with special characters escaped. */
export function latexName(name: string): string {
  const m = /^([A-Za-z]+)_?(\d+)$/.exec(name);
  const base = (b: string) => (GREEK.has(b) ? `\\${b}` : b.length === 1 ? b : `\\mathrm{${b}}`);
  if (m) return `${base(m[1])}_{${m[2]}}`;
  if (/^[A-Za-z]+$/.test(name)) return base(name);
  return `\\mathrm{${name.replace(/[\\{}_^$&%#~]/g, (c) => `\\${c}`)}}`;
}
