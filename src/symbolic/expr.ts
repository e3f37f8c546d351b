/**
 * @file Symbolic expressions as one more interpreter. An `Expr` is a scalar tensor whose value is a
 * node of an expression DAG: applying any wengert op to it binds the primitive like any other
 * value, and the symbolic trace (the lowest level, below every transformation) records a node
 * instead of computing. So `sin(symbol("x"))`, `grad(f)(symbol("x"))` and `parse("…")` all build
 * expressions with the catalogue's own rules: there is no second set of derivative rules.
 *
 * Nodes are hash-consed (one object per distinct node, held weakly), so equal subexpressions are
 * shared and a derivative is a DAG that grows like the derived program, not like the tree.
 */
import { Tensor } from "../core/tensor.js";
import { MainTrace, Trace, Tracer, bind } from "../core/trace.js";
import type { Primitive } from "../core/primitive.js";
import { type DType, checkDType } from "../core/dtype.js";
import { ConcretizationError, InputError, fmtShape, fmtValue } from "../core/errors.js";
import { ArrayTensor, scalarTensor } from "../tensor/array.js";
import { format } from "./print.js";
import { topoOrder, mapDag } from "./dag.js";

export { topoOrder, mapDag };
import { identityOperand } from "../core/identities.js";

const SCALAR: readonly number[] = Object.freeze([]);

export type ExprNode =
  | { readonly kind: "var"; readonly name: string }
  | { readonly kind: "const"; readonly value: number }
  | { readonly kind: "op"; readonly prim: Primitive; readonly args: readonly Expr[]; readonly params: unknown };

type Scalar = Expr | number;
/**
 * Method forms on expressions are typed to return expressions (at run time they are the same ops
 * as on every tensor): `symbol("x").mul(2).sin()` is an Expr. Operands are expressions or numbers
 * (a tracer of another transformation would give that transformation's value instead). Property
 * signatures of method type, like Tensor's (api/methods.ts), so that they may narrow them.
 */
export interface Expr {
  sin: { m(): Expr }["m"];
  cos: { m(): Expr }["m"];
  tan: { m(): Expr }["m"];
  asin: { m(): Expr }["m"];
  acos: { m(): Expr }["m"];
  atan: { m(): Expr }["m"];
  sinh: { m(): Expr }["m"];
  cosh: { m(): Expr }["m"];
  tanh: { m(): Expr }["m"];
  exp: { m(): Expr }["m"];
  expm1: { m(): Expr }["m"];
  log: { m(): Expr }["m"];
  log1p: { m(): Expr }["m"];
  sqrt: { m(): Expr }["m"];
  abs: { m(): Expr }["m"];
  sign: { m(): Expr }["m"];
  sigmoid: { m(): Expr }["m"];
  softplus: { m(): Expr }["m"];
  relu: { m(): Expr }["m"];
  erf: { m(): Expr }["m"];
  erfc: { m(): Expr }["m"];
  neg: { m(): Expr }["m"];
  square: { m(): Expr }["m"];
  reciprocal: { m(): Expr }["m"];
  stopGradient: { m(): Expr }["m"];
  add: { m(y: Scalar): Expr }["m"];
  sub: { m(y: Scalar): Expr }["m"];
  mul: { m(y: Scalar): Expr }["m"];
  div: { m(y: Scalar): Expr }["m"];
  pow: { m(y: Scalar): Expr }["m"];
  atan2: { m(y: Scalar): Expr }["m"];
  maximum: { m(y: Scalar): Expr }["m"];
  minimum: { m(y: Scalar): Expr }["m"];
  lt: { m(y: Scalar): Expr }["m"];
  le: { m(y: Scalar): Expr }["m"];
  gt: { m(y: Scalar): Expr }["m"];
  ge: { m(y: Scalar): Expr }["m"];
  eq: { m(y: Scalar): Expr }["m"];
  ne: { m(y: Scalar): Expr }["m"];
  gelu: { m(approximate?: boolean): Expr }["m"];
  clip: { m(lo: Scalar, hi: Scalar): Expr }["m"];
}

export class Expr extends Tracer {
  readonly shape = SCALAR;
  constructor(
    readonly node: ExprNode,
    readonly dtype: DType,
    /** Creation order: arguments always have smaller ids than the nodes that use them. */
    readonly id: number,
  ) {
    super();
  }
  get trace(): Trace {
    return symbolicTrace;
  }
  get args(): readonly Expr[] {
    return this.node.kind === "op" ? this.node.args : [];
  }
  /** The primitive's name for operation nodes; "var" or "const" for leaves. */
  get op(): string {
    return this.node.kind === "op" ? this.node.prim.name : this.node.kind;
  }
  /** Nothing is deferred in an expression. */
  override blockUntilReady(): this {
    return this;
  }
  concrete(): ArrayTensor {
    throw new ConcretizationError(
      `a symbolic expression has no numeric value (${this.toString().slice(0, 60)}); ` +
        `evaluate it with expr.evaluate({ x: 2 }) or compile(expr, ["x"]), or pass numbers instead of symbols`,
    );
  }
  /** Value at a point: `evaluate({ x: 2, y: 3 })`. Every variable of the expression needs a value. */
  evaluate(values: Record<string, number> | Map<string, number>): number {
    return evaluate(this, values);
  }
  /** Readable form; shared subexpressions are bound once (`t1 = …`) so the text grows like the DAG. */
  override toString(): string {
    return format(this, "let");
  }
  toInfix(): string {
    return format(this, "infix");
  }
  toLatex(): string {
    return format(this, "latex");
  }
}

class SymbolicTrace extends Trace {
  pure(x: Tensor): Expr {
    const a = x as ArrayTensor;
    if (a.ndim !== 0) {
      throw new InputError(`symbolic expressions are scalars; an operation mixed one with a tensor of shape ${fmtShape(a.shape)}`);
    }
    return constant(a.item(), a.dtype);
  }
  processPrimitive(prim: Primitive, args: Expr[], params: unknown): Tensor[] {
    return [apply(prim, args, params)];
  }
}

/** The lowest interpreter level (0): never on the stack, always active, below every transformation. */
const symbolicTrace: SymbolicTrace = new SymbolicTrace(new MainTrace(0, (): Trace => symbolicTrace, null, "symbolic"));

// ---- hash-consing ---------------------------------------------------------------------------

let nextId = 0;
const table = new Map<string, WeakRef<Expr>>();
const registry = new FinalizationRegistry<string>((key) => {
  if (table.get(key)?.deref() === undefined) table.delete(key);
});

function intern(key: string, make: (id: number) => Expr): Expr {
  const hit = table.get(key)?.deref();
  if (hit) return hit;
  const e = make(nextId++);
  table.set(key, new WeakRef(e));
  registry.register(e, key);
  return e;
}

/**
 * A variable. Names are data, never code: any string is allowed.
 * @example
 * symbolic.format(symbol("x").mul(2), "infix") // → "x * 2"
 */
export function symbol(name: string): Expr {
  if (typeof name !== "string" || name === "") throw new InputError(`symbol: needs a non-empty string name; got ${fmtValue(name)}`);
  return intern(`v:${JSON.stringify(name)}`, (id) => new Expr({ kind: "var", name }, "float64", id));
}

/**
 * @example
 * symbolic.format(symbolic.constant(2).mul(symbol("x")), "infix") // → "2 * x"
 */
export function constant(value: number, dtype: DType = "float64"): Expr {
  if (typeof value !== "number") throw new InputError(`symbolic.constant: needs a number; got ${fmtValue(value)}`);
  checkDType(dtype, "symbolic.constant");
  const v = scalarTensor(value, dtype).item(); // stored as the dtype stores it (float32 rounding, int truncation)
  return intern(`c:${dtype}:${Object.is(v, -0) ? "-0" : String(v)}`, (id) => new Expr({ kind: "const", value: v }, dtype, id));
}

export const isConst = (e: Expr, v?: number): boolean => e.node.kind === "const" && (v === undefined || e.node.value === v);
export const constValue = (e: Expr): number => (e.node as { value: number }).value;

/**
 * The node for `prim(args)`. Exact shortcuts only: constant arguments are folded (evaluated with
 * the primitive's own impl) and the exact identities of core/identities.ts (x·1, x+0, …).
 */
export function apply(prim: Primitive, args: Expr[], params: unknown): Expr {
  const [aval, ...more] = prim.shape(args, params);
  if (more.length > 0 || aval.shape.length !== 0) {
    throw new InputError(`symbolic: ${prim.name} does not give a single scalar here (got ${fmtShape(aval.shape)}); symbolic expressions are scalars`);
  }
  // identities first: scalar shape ops that rules emit freely (reshape, broadcastTo, …) vanish here
  const k = identityOperand(prim, params, args.map((a) => ({ aval: a, constant: a.node.kind === "const" ? a.node.value : undefined })), aval);
  if (k !== null) return args[k];
  if (prim.code === undefined) {
    throw new InputError(`symbolic: ${prim.name} is not an elementwise operation and cannot appear in a scalar expression`);
  }
  if (args.every((a) => a.node.kind === "const")) {
    const out = prim.impl(args.map((a) => scalarTensor(constValue(a), a.dtype)), params)[0];
    return constant(out.item(), out.dtype);
  }
  const key = `o:${prim.name}:${params === undefined ? "" : JSON.stringify(params)}:${args.map((a) => a.id).join(",")}`;
  return intern(key, (id) => new Expr({ kind: "op", prim, args, params }, aval.dtype, id));
}

/** The same operation with new arguments. */
export const rebuild = (e: Expr, args: Expr[]): Expr => (e.node.kind === "op" ? apply(e.node.prim, args, e.node.params) : e);

// ---- walking the DAG ------------------------------------------------------------------------

/** Number of distinct nodes (the size of the DAG, shared nodes counted once). */
/** Roots given to the DAG walks must be expressions (numbers become constants). */
const rootsOf = (op: string, roots: unknown[]): Expr[] => roots.map((r) => asExpr(r, op));

/**
 * @example
 * dagSize(parse("sin(x)*sin(x)")) // → 3
 */
export function dagSize(...roots: Expr[]): number {
  return topoOrder(rootsOf("dagSize", roots)).length;
}

/**
 * Number of nodes of the fully expanded tree (shared nodes counted at every use); may be astronomically large.
 * @example
 * treeSize(parse("sin(x)*sin(x)")) // → 5
 */
export function treeSize(...roots: Expr[]): number {
  roots = rootsOf("treeSize", roots);
  const m = mapDag<number>(roots, (_, args) => 1 + args.reduce((s, a) => s + a, 0));
  return roots.reduce((s, r) => s + m.get(r)!, 0);
}

/**
 * Free variables, sorted by name.
 * @example
 * symbolic.variables(parse("a*x + b")) // → ["a", "b", "x"]
 */
export function variables(...roots: Expr[]): string[] {
  const names = topoOrder(rootsOf("variables", roots)).flatMap((e) => (e.node.kind === "var" ? [e.node.name] : []));
  return [...new Set(names)].sort();
}

function lookup(values: Record<string, number> | Map<string, number>, name: string): number {
  const v = values instanceof Map ? values.get(name) : Object.hasOwn(values, name) ? values[name] : undefined;
  if (v === undefined) throw new InputError(`evaluate: no value given for the variable ${fmtValue(name, 40)}; pass { ${fmtValue(name, 40)}: <number> }`);
  if (typeof v !== "number") throw new InputError(`evaluate: the value of ${fmtValue(name, 40)} must be a number; got ${fmtValue(v)}`);
  return v;
}

/**
 * Interpret the DAG with the primitives' own impls (compile() is the fast path).
 * @example
 * symbolic.evaluate(parse("x*y"), { x: 2, y: 3 }) // → 6
 */
export function evaluate(expr: ExprLike, values: Record<string, number> | Map<string, number>): number {
  if (values === null || typeof values !== "object") throw new InputError(`evaluate: needs the variables' values as an object or a Map ({ x: 2 }); got ${fmtValue(values)}`);
  const e = asExpr(expr, "evaluate");
  const m = mapDag<number>([e], (n, args) => {
    const node = n.node;
    if (node.kind === "var") return lookup(values, node.name);
    if (node.kind === "const") return node.value;
    const ins = n.args.map((a, i) => scalarTensor(args[i], a.dtype));
    return node.prim.impl(ins, node.params)[0].item();
  });
  return m.get(e)!;
}

/**
 * Re-run the expression's operations on other values (tensors, tracers of a transformation, other
 * expressions): `replay(e, new Map([[x, t]]))` is e with x replaced by t. Each shared node runs once.
 */
export function replay(roots: readonly Expr[], env: Map<Expr, Tensor>): Tensor[] {
  const m = mapDag<Tensor>(roots, (e, args) => {
    const node = e.node;
    if (node.kind === "var") return env.get(e) ?? e;
    if (node.kind === "const") return scalarTensor(node.value, e.dtype); // concrete: numbers stay numbers
    return bind(node.prim, args, node.params)[0];
  });
  return roots.map((r) => m.get(r)!);
}

/** Check at the API boundary that a value is an expression (numbers become constants). */
/**
 * What the symbolic functions accept: an expression, a number, or any tensor an op returned when
 * given expressions (ops are typed as returning Tensor; the value is checked to be an expression).
 */
export type ExprLike = Expr | Tensor | number;

export function asExpr(x: unknown, op: string): Expr {
  if (x instanceof Expr) return x;
  if (typeof x === "number") return constant(x);
  if (x instanceof ArrayTensor && x.ndim === 0) return constant(x.item(), x.dtype);
  if (typeof x === "string") {
    throw new InputError(`${op}: got the string ${JSON.stringify(x.slice(0, 40))}; parse it first (parse("…")) or use symbol("name") for a variable`);
  }
  throw new InputError(`${op}: expected a symbolic expression; got ${x instanceof Tensor ? `a tensor of shape ${fmtShape(x.shape)}` : typeof x}`);
}
