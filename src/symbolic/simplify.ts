/**
 * @file The simplifier: a table of rewrite rules, each an identity that holds wherever its left side
 * is defined (a finite real value), applied bottom-up over the DAG with memoization (each shared
 * node is simplified once and stays shared), repeated until nothing changes.
 *
 * Rules build their results with the same ops as everything else, so constant folding and the exact
 * shortcuts of `apply` (x·1, x+0) happen on every rebuilt node.
 */
import * as E from "../ops/elementwise.js";
import { Expr, type ExprLike, apply, asExpr, constant, constValue, isConst, mapDag, rebuild } from "./expr.js";
import { EXACT_RULES, type RewriteView, type Term } from "../ops/rewrites.js";
import { InputError, fmtValue } from "../core/errors.js";

const c = (v: number) => constant(v);
const op = (e: Expr, name: string) => e.node.kind === "op" && e.node.prim.name === name;
const arg = (e: Expr, i: number) => e.args[i];
const isNum = (e: Expr) => isConst(e) && Number.isFinite(constValue(e));
const isInt = (e: Expr) => isNum(e) && Number.isInteger(constValue(e));

// Constructors through the catalogue (apply folds constants and drops exact identities).
const add = (a: Expr, b: Expr) => apply(E.addP, [a, b], {});
const sub = (a: Expr, b: Expr) => apply(E.subP, [a, b], {});
const mul = (a: Expr, b: Expr) => apply(E.mulP, [a, b], {});
const div = (a: Expr, b: Expr) => apply(E.divP, [a, b], {});
const neg = (a: Expr) => apply(E.negP, [a], {});
const pow = (a: Expr, b: Expr) => apply(E.powP, [a, b], {});
const square = (a: Expr) => apply(E.squareP, [a], {});
const exp = (a: Expr) => apply(E.expP, [a], {});

/** x as (coefficient, rest): 3·y → (3, y), −y → (−1, y), y → (1, y). */
function term(x: Expr): [number, Expr] {
  if (op(x, "mul") && isNum(arg(x, 0))) return [constValue(arg(x, 0)), arg(x, 1)];
  if (op(x, "neg")) return [-1, arg(x, 0)];
  return [1, x];
}
/** x as (base, exponent): x^3 → (x, 3), x² → (x, 2), x → (x, 1). */
function power(x: Expr): [Expr, Expr] {
  if (op(x, "pow")) return [arg(x, 0), arg(x, 1)];
  if (op(x, "square")) return [arg(x, 0), c(2)];
  return [x, c(1)];
}
const MAX_FLAT = 16;

/** The terms of a sum (through +, −, unary −, c·x), coefficients of equal terms added. */
function collectSum(e: Expr): { terms: Map<Expr, number>; constant: number; raw: number; constants: number } {
  const terms = new Map<Expr, number>();
  let constant = 0, raw = 0, constants = 0;
  const walk = (x: Expr, sign: number): void => {
    if (raw + constants < MAX_FLAT && (op(x, "add") || op(x, "sub"))) {
      walk(arg(x, 0), sign);
      walk(arg(x, 1), op(x, "sub") ? -sign : sign);
    } else if (raw + constants < MAX_FLAT && op(x, "neg")) walk(arg(x, 0), -sign);
    else if (isNum(x)) {
      constant += sign * constValue(x);
      constants++;
    } else {
      const [k, t] = term(x);
      terms.set(t, (terms.get(t) ?? 0) + sign * k);
      raw++;
    }
  };
  walk(e, 1);
  return { terms, constant, raw, constants };
}

/** The factors of a product (through ·, unary −), constant exponents of equal bases added. */
function collectProduct(e: Expr): { factors: [Expr, Expr][]; coef: number; raw: number; constants: number; constFirst: boolean } {
  const factors: [Expr, Expr][] = [];
  let coef = 1, raw = 0, constants = 0, constFirst = true;
  const walk = (x: Expr): void => {
    if (raw + constants < MAX_FLAT && op(x, "mul")) {
      walk(arg(x, 0));
      walk(arg(x, 1));
    } else if (raw + constants < MAX_FLAT && op(x, "neg")) {
      coef = -coef;
      walk(arg(x, 0));
    } else if (isNum(x)) {
      if (raw > 0) constFirst = false;
      coef *= constValue(x);
      constants++;
    } else {
      raw++;
      const [b, p] = power(x);
      const same = isNum(p) ? factors.find(([fb, fp]) => fb === b && isNum(fp)) : undefined;
      if (same) same[1] = c(constValue(same[1]) + constValue(p));
      else factors.push([b, p]);
    }
  };
  walk(e);
  return { factors, coef, raw, constants, constFirst };
}

const scaled = (k: number, x: Expr) => (k === 0 ? c(0) : k === 1 ? x : k === -1 ? neg(x) : mul(c(k), x));

export interface Rule {
  /** The identity, as a reader would write it. */
  name: string;
  /** The rewritten node, or null when the rule does not apply. */
  apply(e: Expr): Expr | null;
}

/** The exact (bit for bit) rewrites shared with jit's optimizer (ops/rewrites.ts), on expressions. */
const exprView: RewriteView<Expr> = {
  def: (e) => (e.node.kind === "op" ? { prim: e.node.prim, args: [...e.args] } : null),
  single: () => true, // shared subexpressions stay shared by hash-consing
  fits: () => true, // scalars
};
const build = (t: Term<Expr>): Expr => (t instanceof Expr ? t : apply(t.prim, t.args.map(build), {}));
function exact(name: string): Rule {
  const rule = EXACT_RULES.find((r) => r.name === name);
  if (!rule) throw new Error(`wengert internal: no exact rewrite ${name}`);
  return { name, apply: (e) => (e.node.kind === "op" ? ((t) => (t === null ? null : build(t)))(rule.apply(e.node.prim, [...e.args], exprView)) : null) };
}

export const RULES: Rule[] = [
  // Constant folding happens in `apply`: an op whose arguments are all constants is evaluated.
  // ---- additive identities ------------------------------------------------------------------
  { name: "0 − x → −x", apply: (e) => (op(e, "sub") && isConst(arg(e, 0), 0) ? neg(arg(e, 1)) : null) },
  exact("−(−x) → x"),
  { name: "−(a − b) → b − a", apply: (e) => (op(e, "neg") && op(arg(e, 0), "sub") ? sub(arg(arg(e, 0), 1), arg(arg(e, 0), 0)) : null) },
  exact("x + (−y) → x − y, (−x) + y → y − x"),
  exact("x − (−y) → x + y"),
  { name: "x + c → x − |c| for c < 0", apply: (e) => (op(e, "add") && isNum(arg(e, 1)) && constValue(arg(e, 1)) < 0 ? sub(arg(e, 0), c(-constValue(arg(e, 1)))) : null) },
  { name: "x − c → x + |c| for c < 0", apply: (e) => (op(e, "sub") && isNum(arg(e, 1)) && constValue(arg(e, 1)) < 0 ? add(arg(e, 0), c(-constValue(arg(e, 1)))) : null) },
  {
    // a sum's terms collected through nested sums: x − x → 0, 2·x + 3·x → 5·x, x + 2·y − (x − y) + 1 + 2 → 3·y + 3
    name: "Σ kᵢ·xᵢ + Σ cⱼ → terms with equal xᵢ collected, constants summed last",
    apply(e) {
      if (!op(e, "add") && !op(e, "sub")) return null;
      const { terms, constant, raw, constants } = collectSum(e);
      if (terms.size === raw && constants < 2) return null;
      let acc: Expr | null = null;
      for (const [x, k] of terms) {
        if (k === 0) continue;
        acc = acc === null ? scaled(k, x) : k > 0 ? add(acc, scaled(k, x)) : sub(acc, scaled(-k, x));
      }
      if (acc === null) return c(constant);
      return constant === 0 ? acc : constant > 0 ? add(acc, c(constant)) : sub(acc, c(-constant));
    },
  },
  {
    // a product's factors collected: x · 2 · x³ · (−3) → −6 · x⁴ (constants first)
    name: "Π xᵢ^aᵢ · Π cⱼ → equal bases collected, constants multiplied first",
    apply(e) {
      if (!op(e, "mul")) return null;
      const { factors, coef, raw, constants, constFirst } = collectProduct(e);
      if (factors.length === raw && constants < 2 && constFirst) return null;
      if (coef === 0) return c(0);
      let acc: Expr | null = null;
      for (const [b, p] of factors) {
        const f = isConst(p, 1) ? b : pow(b, p);
        acc = acc === null ? f : mul(acc, f);
      }
      if (acc === null) return c(coef);
      return coef === 1 ? acc : coef === -1 ? neg(acc) : mul(c(coef), acc);
    },
  },
  { name: "c + x → x + c (constants last in sums)", apply: (e) => (op(e, "add") && isConst(arg(e, 0)) && !isConst(arg(e, 1)) ? add(arg(e, 1), arg(e, 0)) : null) },
  // ---- multiplicative identities ------------------------------------------------------------
  { name: "0·x → 0, x·0 → 0", apply: (e) => (op(e, "mul") && (isConst(arg(e, 0), 0) || isConst(arg(e, 1), 0)) ? c(0) : null) },
  { name: "(−1)·x → −x", apply: (e) => (op(e, "mul") && isConst(arg(e, 0), -1) ? neg(arg(e, 1)) : null) },
  exact("(−x)·y → −(x·y), x·(−y) → −(x·y)"),
  { name: "x/1 → x", apply: (e) => (op(e, "div") && isConst(arg(e, 1), 1) ? arg(e, 0) : null) },
  { name: "0/x → 0", apply: (e) => (op(e, "div") && isConst(arg(e, 0), 0) ? c(0) : null) },
  { name: "x/x → 1", apply: (e) => (op(e, "div") && arg(e, 0) === arg(e, 1) ? c(1) : null) },
  { name: "(−x)/y → −(x/y)", apply: (e) => (op(e, "div") && op(arg(e, 0), "neg") ? neg(div(arg(arg(e, 0), 0), arg(e, 1))) : null) },
  { name: "x/(−y) → −(x/y)", apply: (e) => (op(e, "div") && op(arg(e, 1), "neg") ? neg(div(arg(e, 0), arg(arg(e, 1), 0))) : null) },
  { name: "(x·y)/x → y", apply: (e) => (op(e, "div") && op(arg(e, 0), "mul") && arg(arg(e, 0), 0) === arg(e, 1) ? arg(arg(e, 0), 1) : null) },
  { name: "(y·x)/x → y", apply: (e) => (op(e, "div") && op(arg(e, 0), "mul") && arg(arg(e, 0), 1) === arg(e, 1) ? arg(arg(e, 0), 0) : null) },
  // ---- powers -------------------------------------------------------------------------------
  { name: "x^0 → 1", apply: (e) => (op(e, "pow") && isConst(arg(e, 1), 0) ? c(1) : null) },
  { name: "x^1 → x", apply: (e) => (op(e, "pow") && isConst(arg(e, 1), 1) ? arg(e, 0) : null) },
  { name: "1^x → 1", apply: (e) => (op(e, "pow") && isConst(arg(e, 0), 1) ? c(1) : null) },
  { name: "x^2 → square(x)", apply: (e) => (op(e, "pow") && isConst(arg(e, 1), 2) ? square(arg(e, 0)) : null) },
  { name: "x^−1 → 1/x", apply: (e) => (op(e, "pow") && isConst(arg(e, 1), -1) ? div(c(1), arg(e, 0)) : null) },
  {
    // valid for integer n: (x^a)^n = x^(a·n) whenever x^a is real; (x²)^½ ≠ x for x < 0
    name: "(x^a)^n → x^(a·n) for integer n",
    apply: (e) => {
      const n = op(e, "square") ? c(2) : op(e, "pow") && isInt(arg(e, 1)) ? arg(e, 1) : null;
      if (n === null) return null;
      const inner = arg(e, 0);
      if (!op(inner, "pow") && !op(inner, "square")) return null;
      const [x, a] = power(inner);
      return pow(x, mul(a, n));
    },
  },
  {
    // x·x → x², x·x^a → x^(1+a), x^a·x^b → x^(a+b), with constant exponents
    name: "x^a · x^b → x^(a+b)",
    apply: (e) => {
      if (!op(e, "mul")) return null;
      const [x, a] = power(arg(e, 0)), [y, b] = power(arg(e, 1));
      if (x !== y || !isNum(a) || !isNum(b)) return null;
      return pow(x, add(a, b));
    },
  },
  { name: "√x · √x → x", apply: (e) => (op(e, "mul") && arg(e, 0) === arg(e, 1) && op(arg(e, 0), "sqrt") ? arg(arg(e, 0), 0) : null) },
  { name: "(√x)² → x", apply: (e) => (op(e, "square") && op(arg(e, 0), "sqrt") ? arg(arg(e, 0), 0) : null) },
  // ---- exponential and logarithm ------------------------------------------------------------
  // exp(log x) = x where log x is defined (x > 0; also x = 0: exp(−∞) = 0)
  { name: "exp(log x) → x", apply: (e) => (op(e, "exp") && op(arg(e, 0), "log") ? arg(arg(e, 0), 0) : null) },
  { name: "log(exp x) → x", apply: (e) => (op(e, "log") && op(arg(e, 0), "exp") ? arg(arg(e, 0), 0) : null) },
  { name: "exp(a)·exp(b) → exp(a+b)", apply: (e) => (op(e, "mul") && op(arg(e, 0), "exp") && op(arg(e, 1), "exp") ? exp(add(arg(arg(e, 0), 0), arg(arg(e, 1), 0))) : null) },
  // ---- selection ----------------------------------------------------------------------------
  { name: "where(c, x, x) → x", apply: (e) => (op(e, "where") && arg(e, 1) === arg(e, 2) ? arg(e, 1) : null) },
];

const MAX_REWRITES_PER_NODE = 20;
const MAX_PASSES = 20;

/** One node whose arguments are already simple: apply rules until none fires. */
function simplifyNode(e: Expr): Expr {
  for (let k = 0; k < MAX_REWRITES_PER_NODE; k++) {
    let next: Expr | null = null;
    for (const rule of RULES) {
      next = rule.apply(e);
      if (next !== null && next !== e) break;
      next = null;
    }
    if (next === null) return e;
    e = next; // its new arguments are simplified in the next pass
  }
  return e;
}

/**
 * Simplify expressions (together: shared nodes stay shared). Never changes a value where the input is defined.
 * @example
 * symbolic.simplifyAll([parse("x + 0"), parse("1 * y")]).map((e) => symbolic.format(e, "infix")) // → ["x", "y"]
 */
export function simplifyAll(roots: readonly Expr[]): Expr[] {
  if (!Array.isArray(roots)) throw new InputError(`simplifyAll: needs an array of expressions; got ${fmtValue(roots)}`);
  let current = roots.map((r) => asExpr(r, "simplifyAll"));
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const memo = mapDag<Expr>(current, (e, args) => (e.node.kind === "op" ? simplifyNode(rebuild(e, args)) : e));
    const next = current.map((r) => memo.get(r)!);
    if (next.every((n, i) => n === current[i])) return next;
    current = next;
  }
  return current;
}

/**
 * @example
 * symbolic.format(simplify(parse("x*1 + 0")), "infix") // → "x"
 */
export function simplify(e: ExprLike): Expr {
  return simplifyAll([asExpr(e, "simplify")])[0];
}
