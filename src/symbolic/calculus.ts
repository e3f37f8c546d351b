/**
 * @file Derivatives as expressions. Nothing here knows a derivative rule: an expression is replayed
 * under the core's forward mode (diff) or reverse mode (gradient) with symbolic values, and the
 * catalogue's rules build the derivative's nodes. Shared nodes stay shared, so the derivative's DAG
 * is the derived program: no expression swell.
 */
import type { Tensor } from "../core/tensor.js";
import { InputError, TransformError } from "../core/errors.js";
import { jvpFlat } from "../transforms/jvp.js";
import { vjpFlat } from "../transforms/linearize.js";
import { Expr, asExpr, constant, replay, symbol, type ExprLike } from "./expr.js";

type Variable = string | Expr;

function asVariable(v: Variable, op: string): Expr {
  const e = typeof v === "string" ? symbol(v) : v;
  if (!(e instanceof Expr) || e.node.kind !== "var") {
    throw new InputError(`${op}: differentiate with respect to a variable (a name or symbol("x")); got ${e instanceof Expr ? e.toInfix() : typeof v}`);
  }
  return e;
}

const orZero = (t: Tensor | null): Expr => (t === null ? constant(0) : (t as Expr));

/** d(expr)/d(wrt), `order` times (forward mode over the expression's DAG). */
/** The highest order `diff` takes (expressions grow with every order; the CLI stops at 10). */
export const MAX_DIFF_ORDER = 200;

/**
 * @example
 * symbolic.format(diff(parse("x^3"), "x"), "infix") // → "3 * x^2"
 */
export function diff(expr: ExprLike, wrt: Variable, order = 1): Expr {
  if (typeof order !== "number" || !Number.isInteger(order) || order < 0 || order > MAX_DIFF_ORDER) {
    throw new InputError(`diff: order must be an integer from 0 to ${MAX_DIFF_ORDER}; got ${String(order).slice(0, 20)}`);
  }
  const x = asVariable(wrt, "diff");
  let e = asExpr(expr, "diff");
  for (let k = 0; k < order; k++) {
    if (e.node.kind === "const") return constant(0); // a constant's derivatives are 0
    const root = e;
    const { touts } = jvpFlat(([xt]) => replay([root], new Map([[x, xt]])), [x], [constant(1)]);
    e = orZero(touts[0]);
  }
  return e;
}

/**
 * ∇expr with respect to `vars`, as expressions (reverse mode: one backward sweep for all of them).
 * @example
 * gradient(parse("x*y"), ["x", "y"]).map((e) => symbolic.format(e, "infix")) // → ["y", "x"]
 */
export function gradient(expr: ExprLike, vars: Variable[]): Expr[] {
  const e = asExpr(expr, "gradient");
  if (!Array.isArray(vars)) throw new InputError(`gradient: needs the variables as an array (gradient(e, ["x", "y"])); for one variable use diff`);
  const xs = vars.map((v) => asVariable(v, "gradient"));
  if (new Set(xs).size !== xs.length) throw new InputError(`gradient: a variable is listed twice in [${vars.map(String).join(", ")}]`);
  const { pullback } = vjpFlat((ts) => replay([e], new Map(xs.map((x, i) => [x, ts[i]]))), xs);
  return pullback([constant(1)]).map(orZero);
}

/**
 * Jacobian of several expressions: rows are outputs, columns are variables.
 * @example
 * jacobian([parse("x*y"), parse("x+y")], ["x", "y"]).length // → 2
 */
export function jacobian(exprs: ExprLike[], vars: Variable[]): Expr[][] {
  if (!Array.isArray(exprs)) throw new TransformError(`jacobian: needs an array of expressions; for one expression use gradient`);
  return exprs.map((e) => gradient(e, vars));
}

/** Matrix of second derivatives (reverse over reverse; the entries share the gradient's nodes). */
export function hessian(expr: ExprLike, vars: Variable[]): Expr[][] {
  return jacobian(gradient(expr, vars), vars);
}

/**
 * The expression a wengert function computes: `toExpr((x, y) => x.mul(y).sin(), ["x", "y"])`.
 * The function runs once on symbols; any op it uses on scalars is recorded.
 * @example
 * symbolic.format(toExpr((x: Tensor) => mul(x, sin(x)), ["x"]), "infix") // → "x * sin(x)"
 */
export function toExpr(f: (...args: Expr[]) => unknown, names: string[]): Expr {
  if (typeof f !== "function") throw new InputError(`toExpr: needs a function of scalars; got ${typeof f}`);
  if (!Array.isArray(names)) throw new InputError(`toExpr: needs the parameter names as an array (toExpr(f, ["x", "y"]))`);
  const out = f(...names.map((n) => symbol(n)));
  return asExpr(out, "toExpr");
}
