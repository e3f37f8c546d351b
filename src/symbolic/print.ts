/**
 * @file Printing expressions: infix with minimal parentheses, LaTeX, and a `let` form in which every
 * subexpression used more than once is bound to a name first, so the printed size grows like the
 * DAG and not like the expanded tree. (JavaScript source is in compile.ts.)
 */
import type { Expr } from "./expr.js";
import { topoOrder } from "./dag.js";

export type Style = "infix" | "let" | "latex";

/** Binding strength: 0 comparison, 1 + −, 2 * /, 3 unary minus, 4 ^, 5 atoms and calls. */
interface Piece {
  text: string;
  prec: number;
}
const atom = (text: string): Piece => ({ text, prec: 5 });

const COMPARE_TEXT: Record<string, [string, string]> = {
  lt: ["<", "<"],
  le: ["<=", "\\le"],
  gt: [">", ">"],
  ge: [">=", "\\ge"],
  eq: ["==", "="],
  ne: ["!=", "\\ne"],
};
const FUNCTION_NAME: Record<string, string> = { logistic: "sigmoid", stopGradient: "stop_gradient" };
const LATEX_FUNCTION: Record<string, string> = {
  sin: "\\sin", cos: "\\cos", tanh: "\\tanh", log: "\\ln", logistic: "\\sigma", max: "\\max",
};
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

/** Infix (or LaTeX) text of one node from its arguments' pieces. */
function render(e: Expr, args: Piece[], latex: boolean): Piece {
  const node = e.node;
  if (node.kind === "var") return atom(latex ? latexName(node.name) : node.name);
  if (node.kind === "const") return { text: formatNumber(node.value, latex), prec: node.value < 0 ? 3 : 5 };
  const name = node.prim.name;
  const [a, b, c] = args;
  const wrap = (p: Piece, need: boolean) => (need ? (latex ? `\\left(${p.text}\\right)` : `(${p.text})`) : p.text);
  const call = (fn: string, ps: Piece[]) =>
    atom(latex ? `${fn}\\left(${ps.map((p) => p.text).join(", ")}\\right)` : `${fn}(${ps.map((p) => p.text).join(", ")})`);
  switch (name) {
    // Right operands of the same strength are parenthesized: a + (b − c) is not (a + b) − c in
    // floating point, and printed text must parse back to the same computation (LaTeX is for
    // reading, and keeps the lighter form).
    case "add":
      return { text: `${wrap(a, a.prec < 1)} + ${wrap(b, latex ? b.prec < 1 : b.prec <= 1)}`, prec: 1 };
    case "sub":
      return { text: `${wrap(a, a.prec < 1)} - ${wrap(b, b.prec <= 1)}`, prec: 1 };
    case "mul":
      return { text: `${wrap(a, a.prec < 2)}${latex ? " \\cdot " : " * "}${wrap(b, latex ? b.prec < 2 : b.prec <= 2)}`, prec: 2 };
    case "div":
      if (latex) return { text: `\\frac{${a.text}}{${b.text}}`, prec: 2 };
      return { text: `${wrap(a, a.prec < 2)} / ${wrap(b, latex ? b.prec < 2 : b.prec <= 2)}`, prec: 2 };
    case "neg":
      return { text: `-${wrap(a, a.prec <= 3)}`, prec: 3 };
    case "square":
    case "pow": {
      const base = wrap(a, a.prec <= 4);
      const exp = name === "square" ? "2" : latex ? b.text : wrap(b, b.prec < 4);
      return { text: latex ? `{${base}}^{${exp}}` : `${base}^${exp}`, prec: 4 };
    }
    case "exp":
      return latex ? { text: `e^{${a.text}}`, prec: 4 } : call("exp", [a]);
    case "sqrt":
      return latex ? atom(`\\sqrt{${a.text}}`) : call("sqrt", [a]);
    case "compare": {
      const [plain, tex] = COMPARE_TEXT[(node.params as { op: string }).op];
      return { text: `${wrap(a, a.prec < 1)} ${latex ? tex : plain} ${wrap(b, b.prec < 1)}`, prec: 0 };
    }
    case "cast": // a bool used as a number: the Iverson bracket [p] = 1 if p else 0 (in the grammar: where(p, 1, 0))
      if (e.args[0].dtype !== "bool") return a;
      return latex ? atom(`\\left[${a.text}\\right]`) : call("where", [a, atom("1"), atom("0")]);
    case "where":
      if (latex) return atom(`\\begin{cases} ${b.text} & ${a.text} \\\\ ${c.text} & \\text{otherwise} \\end{cases}`);
      return call("where", [a, b, c]);
    default: {
      const fn = latex ? (LATEX_FUNCTION[name] ?? `\\operatorname{${FUNCTION_NAME[name] ?? name}}`) : (FUNCTION_NAME[name] ?? name);
      return call(fn, args);
    }
  }
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
