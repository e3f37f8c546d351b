/**
 * @file `wengert diff "<expr>" --wrt x [--order n] [--at x=2,y=3] [--latex] [--simplify]`: the
 * symbolic derivative and, at a point, its value beside the AD value and a central difference.
 */
import { InputError, fmtValue } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { scalarTensor } from "../tensor/array.js";
import { grad } from "../api/autodiff.js";
import { derivative } from "../numeric/finite-diff.js";
import { parse } from "../symbolic/parse.js";
import { type Expr, symbol, replay, variables, dagSize, treeSize } from "../symbolic/expr.js";
import { diff } from "../symbolic/calculus.js";
import { simplify } from "../symbolic/simplify.js";
import { format } from "../symbolic/print.js";
import { compile } from "../symbolic/compile.js";

export const diffUsage = `wengert diff "<expr>" --wrt x [--order n] [--at x=2,y=3] [--latex] [--simplify]`;

/**
 * The highest --order: nested derivatives grow with the order (the symbolic DAG and the AD
 * evaluation both roughly double per order), and order 12 already takes about a minute.
 */
export const MAX_ORDER = 10;

export const diffHelp = `usage: ${diffUsage}

  "<expr>"      the expression, e.g. "ln(x1) + x1*x2 - sin(x2)"; an expression starting with "-"
                may follow "--" (wengert diff --wrt x -- "-x^2")
  --wrt x       the variable to differentiate by (optional when the expression has one variable)
  --order n     the derivative's order, 1 to ${MAX_ORDER} (default 1)
  --at x=2,y=3  also evaluate it at this point, beside the AD value and a central difference
  --latex       print LaTeX instead of the let-bound form
  --simplify    simplify the derivative first
  --help, -h    this text`;

interface DiffArgs {
  expr: string | null;
  wrt?: string;
  order: string;
  at?: string;
  latex: boolean;
  simplify: boolean;
  help: boolean;
}

const STRING_OPTIONS = ["wrt", "order", "at"] as const;
const FLAGS = ["latex", "simplify", "help"] as const;

/** The diff command's arguments, parsed by hand so every message is ours and "-x^2" can be an expression. */
function parseDiffArgs(argv: string[]): DiffArgs {
  const res: DiffArgs = { expr: null, order: "1", latex: false, simplify: false, help: false };
  const positionals: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (onlyPositionals || !a.startsWith("-") || a === "-") {
      positionals.push(a);
      continue;
    }
    if (a === "--") {
      onlyPositionals = true;
      continue;
    }
    if (a === "-h") {
      res.help = true;
      continue;
    }
    if (!a.startsWith("--")) {
      positionals.push(a); // "-x^2": an expression, not an option
      continue;
    }
    const eq = a.indexOf("=");
    const name = a.slice(2, eq === -1 ? undefined : eq);
    if ((FLAGS as readonly string[]).includes(name)) {
      if (eq !== -1) throw new InputError(`diff: --${name} is a switch and takes no value (got ${JSON.stringify(a)})`);
      res[name as (typeof FLAGS)[number]] = true;
      continue;
    }
    if (!(STRING_OPTIONS as readonly string[]).includes(name)) {
      throw new InputError(`diff: unknown option ${JSON.stringify(a.slice(0, 40))}; the options are ${[...STRING_OPTIONS, ...FLAGS].map((o) => `--${o}`).join(", ")} (an expression starting with "-" goes after "--")`);
    }
    let value: string | undefined;
    if (eq !== -1) value = a.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    if (value === undefined) throw new InputError(`diff: --${name} needs a value (e.g. ${name === "wrt" ? "--wrt x" : name === "order" ? "--order 2" : "--at x=2,y=3"})`);
    res[name as (typeof STRING_OPTIONS)[number]] = value;
  }
  if (!res.help && positionals.length !== 1) {
    throw new InputError(`diff: give exactly one expression (quoted); got ${positionals.length}. Usage: ${diffUsage}`);
  }
  res.expr = positionals[0] ?? null;
  return res;
}

function parsePoint(text: string): Map<string, number> {
  const point = new Map<string, number>();
  for (const part of text.split(",")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\S+)\s*$/.exec(part);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(v)) throw new InputError(`--at: expected name=number pairs separated by commas (x=2,y=3); got ${fmtValue(part, 40)}`);
    point.set(m[1], v);
  }
  return point;
}

export function diffCommand(argv: string[], out: (s: string) => void, note: (s: string) => void = () => {}): void {
  const args = parseDiffArgs(argv);
  if (args.help) {
    out(diffHelp);
    return;
  }
  const expr = parse(args.expr!);
  const vars = variables(expr);
  const wrt = args.wrt ?? (vars.length === 1 ? vars[0] : undefined);
  if (wrt === undefined) throw new InputError(`diff: say which variable with --wrt (the expression has ${vars.join(", ") || "no variables"})`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(wrt)) throw new InputError(`diff: --wrt needs a variable name (letters, digits, _); got ${fmtValue(wrt, 40)}`);
  const order = /^\d+$/.test(args.order.trim()) ? Number(args.order) : NaN;
  if (!Number.isInteger(order) || order < 1 || order > MAX_ORDER) {
    throw new InputError(`diff: --order must be an integer from 1 to ${MAX_ORDER}; got ${fmtValue(args.order, 20)} (higher orders grow too large to compute here)`);
  }
  if (!vars.includes(wrt)) note(`note: ${wrt} does not occur in ${fmtValue(args.expr!, 60)} (its variables: ${vars.join(", ") || "none"}), so the derivative is 0`);
  // everything --at needs is checked before anything is printed
  const point = args.at === undefined ? null : parsePoint(args.at);
  const all = variables(expr, symbol(wrt));
  if (point) {
    const missing = all.filter((v) => !point.has(v));
    if (missing.length) throw new InputError(`--at: no value for ${missing.join(", ")}`);
  }
  const values = { latex: args.latex, simplify: args.simplify };
  let d = diff(expr, wrt, order);
  if (values.simplify) d = simplify(d);
  const label = order === 1 ? `d/d${wrt}` : `d^${order}/d${wrt}^${order}`;
  out(`${label} ${expr.toInfix()} =`);
  out(format(d, values.latex ? "latex" : "let"));
  out(`(DAG: ${dagSize(d)} nodes; as a tree: ${treeSize(d)} nodes)`);
  if (point === null) return;
  const symbolicValue = compile(d, all)(...all.map((v) => point.get(v)!));
  // AD: the expression replayed on numbers, differentiated `order` times by the engine.
  const x = symbol(wrt);
  const f = (xt: Tensor): Tensor => {
    const env = new Map<Expr, Tensor>(all.map((v) => [symbol(v), scalarTensor(point.get(v)!)]));
    env.set(x, xt);
    return replay([expr], env)[0];
  };
  let g: (x: Tensor) => Tensor = f;
  for (let k = 0; k < order; k++) g = grad(g);
  const x0 = point.get(wrt)!;
  const adValue = g(scalarTensor(x0)).item();
  // Central difference of the (order−1)-th AD derivative.
  let h: (x: Tensor) => Tensor = f;
  for (let k = 1; k < order; k++) h = grad(h);
  const fdValue = derivative((v) => h(scalarTensor(v)).item(), x0);
  const at = [...point].map(([k, v]) => `${k}=${v}`).join(", ");
  out(`at ${at}:`);
  out(`  symbolic            ${symbolicValue}`);
  out(`  AD (engine)         ${adValue}`);
  out(`  central difference  ${fdValue}`);
}
