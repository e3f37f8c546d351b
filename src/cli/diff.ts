/**
 * @file `wengert diff "<expr>" --wrt x [--order n] [--at x=2,y=3] [--latex] [--simplify]`: the
 * symbolic derivative and, at a point, its value beside the AD value and a central difference.
 */
import { parseArgs } from "node:util";
import { InputError } from "../core/errors.js";
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

function parsePoint(text: string): Map<string, number> {
  const point = new Map<string, number>();
  for (const part of text.split(",")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\S+)\s*$/.exec(part);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(v)) throw new InputError(`--at: expected name=number pairs separated by commas (x=2,y=3); got ${JSON.stringify(part)}`);
    point.set(m[1], v);
  }
  return point;
}

export function diffCommand(argv: string[], out: (s: string) => void): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      wrt: { type: "string" },
      order: { type: "string", default: "1" },
      at: { type: "string" },
      latex: { type: "boolean", default: false },
      simplify: { type: "boolean", default: false },
    },
  });
  if (positionals.length !== 1) throw new InputError(`diff: give exactly one expression (quoted); usage: ${diffUsage}`);
  const expr = parse(positionals[0]);
  const vars = variables(expr);
  const wrt = values.wrt ?? (vars.length === 1 ? vars[0] : undefined);
  if (wrt === undefined) throw new InputError(`diff: say which variable with --wrt (the expression has ${vars.join(", ") || "no variables"})`);
  const order = Number(values.order);
  if (!Number.isInteger(order) || order < 1) throw new InputError(`diff: --order must be a positive integer; got ${values.order}`);

  let d = diff(expr, wrt, order);
  if (values.simplify) d = simplify(d);
  const label = order === 1 ? `d/d${wrt}` : `d^${order}/d${wrt}^${order}`;
  out(`${label} ${expr.toInfix()} =`);
  out(format(d, values.latex ? "latex" : "let"));
  out(`(DAG: ${dagSize(d)} nodes; as a tree: ${treeSize(d)} nodes)`);
  if (values.at === undefined) return;

  const point = parsePoint(values.at);
  const all = variables(expr, symbol(wrt));
  const missing = all.filter((v) => !point.has(v));
  if (missing.length) throw new InputError(`--at: no value for ${missing.join(", ")}`);
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
