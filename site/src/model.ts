/**
 * What the explorer shows, computed with wengert and nothing else: the evaluation trace of an
 * expression at a point (nodes, edges, values), the forward tangents and reverse adjoints of every
 * node, the partial derivative on every edge, the sweep orders, the symbolic derivatives and the
 * derivative programs. The page (main.ts) only draws this.
 */
import { type Tensor, parse, symbol, diff, dagSize, treeSize, makeProgram, grad, jvp, vjp, sourceGrad, sourceJvp, symbolic } from "../../src/index.js";
import { replay, variables, type Expr } from "../../src/symbolic/expr.js";
import { traceTable } from "../../src/api/trace-table.js";
import { Var, Lit } from "../../src/core/ir.js";
import { bind } from "../../src/core/trace.js";
import { scalarTensor } from "../../src/tensor/array.js";

export interface GraphNode {
  id: string; // v₋₁, v0, v1 … as in the seeds
  label: string; // the operation ("x1", "log", "mul", …)
  input: boolean;
  value: number;
  tangent: number;
  adjoint: number;
}
export interface GraphEdge {
  from: string;
  to: string;
  /** ∂to/∂from at the point: the local partial derivative on this edge. */
  partial: number;
}
export interface Analysis {
  vars: string[];
  point: number[];
  expr: Expr;
  nodes: GraphNode[];
  edges: GraphEdge[];
  value: number;
  gradient: number[];
  /** The Wengert list and the gradient's program, as wengert prints them. */
  trace: string;
  gradProgram: string;
  /** Symbolic partial derivatives: LaTeX, DAG size (shared nodes once) and tree size (written out). */
  symbolic: { wrt: string; latex: string; infix: string; dag: number; tree: number }[];
  exprLatex: string;
  /** The derivative as JavaScript, by source transformation of the expression written as a function. */
  reverseSource: string;
  forwardSource: string;
}

/** f as a function of tensors: the expression replayed with the variables bound to arguments. */
export function asFunction(expr: Expr, vars: string[]): (...xs: Tensor[]) => Tensor {
  return (...xs: Tensor[]) => replay([expr], new Map(vars.map((v, i) => [symbol(v), xs[i]])))[0];
}

/** Parse and analyse `text` at `point` (values for the variables in order of first appearance, or as named). */
export function analyse(text: string, values: Record<string, number>, seed?: Record<string, number>): Analysis {
  const expr = parse(text);
  const vars = variables(expr);
  if (vars.length === 0) throw new Error("the expression has no variables: write one, e.g. x1");
  const point = vars.map((v) => {
    if (!(v in values)) throw new Error(`no value for ${v}: give one in the point field (e.g. ${v} = 1)`);
    return values[v];
  });
  const f = asFunction(expr, vars);
  const direction = vars.map((v, i) => (seed ? (seed[v] ?? 0) : i === 0 ? 1 : 0));
  const rows = traceTable(f, point, direction);
  const { program } = makeProgram(f)(...point);
  const nIn = vars.length;
  const names = rows.map((r) => r.name);
  const nameOf = new Map<Var, string>();
  program.inputs.forEach((v, i) => nameOf.set(v, names[i]));
  program.eqns.forEach((e, k) => nameOf.set(e.outs[0], names[nIn + k]));
  const valueOf = new Map(rows.map((r) => [r.name, r.value.item()]));
  const nodes: GraphNode[] = rows.map((r, i) => ({
    id: r.name,
    label: i < nIn ? vars[i] : program.eqns[i - nIn].prim.name,
    input: i < nIn,
    value: r.value.item(),
    tangent: r.tangent.item(),
    adjoint: r.adjoint.item(),
  }));
  // constants fold into their node's label (mul by 2 shows as "mul 2")
  program.eqns.forEach((e, k) => {
    const lits = e.inputs.filter((a): a is Lit => a instanceof Lit).map((l) => fmt(l.value.item()));
    if (lits.length) nodes[nIn + k].label += ` ${lits.join(" ")}`;
  });
  const edges: GraphEdge[] = [];
  program.eqns.forEach((e, k) => {
    const args = e.inputs.map((a) => (a instanceof Lit ? a.value : scalarTensor(valueOf.get(nameOf.get(a)!)!, "float64")));
    e.inputs.forEach((a, i) => {
      if (!(a instanceof Var)) return;
      // ∂v_k/∂input_i: the equation's own forward rule along the i-th input
      const [, t] = jvp((x: Tensor) => bind(e.prim, args.map((b, j) => (j === i ? x : b)), e.params)[0], [args[i]], [scalarTensor(1, "float64")]);
      edges.push({ from: nameOf.get(a)!, to: names[nIn + k], partial: (t as Tensor).item() });
    });
  });
  const g = grad(f, { argnums: vars.map((_, i) => i) })(...point) as unknown as number[];
  const sym = vars.map((v) => {
    const d = diff(expr, v);
    return { wrt: v, latex: symbolic.format(d, "latex"), infix: symbolic.format(d, "infix"), dag: dagSize(d), tree: treeSize(d) };
  });
  // the expression as a plain JS function, for source transformation
  const js = symbolic.toJS(expr, vars);
  const params = vars.map((_, i) => `a${i}`).join(", ");
  const fnSource = `function f(${params}) {\n${js}\n}`;
  let reverseSource = "", forwardSource = "";
  try {
    reverseSource = sourceGrad(fnSource, { name: "f", argnums: vars.map((_, i) => i) }).source;
    forwardSource = sourceJvp(fnSource, { name: "f" }).source;
  } catch (err) {
    reverseSource = forwardSource = `// source transformation could not take this expression: ${(err as Error).message}`;
  }
  const renamed = (src: string) => vars.reduce((s, v, i) => s.replace(new RegExp(`\\bd?a${i}\\b`, "g"), (m) => (m.startsWith("d") ? `d${v}` : v)), src);
  return {
    vars,
    point,
    expr,
    nodes,
    edges,
    value: nodes[nodes.length - 1].value,
    gradient: g.map((x) => (typeof x === "number" ? x : (x as unknown as Tensor).item())),
    trace: String(makeProgram(f)(...point)),
    gradProgram: String(makeProgram(grad(f, { argnums: vars.map((_, i) => i) }))(...point)),
    symbolic: sym,
    exprLatex: symbolic.format(expr, "latex"),
    reverseSource: isIdentifierList(vars) ? renamed(reverseSource) : reverseSource,
    forwardSource: isIdentifierList(vars) ? renamed(forwardSource) : forwardSource,
  };
}
const isIdentifierList = (vars: string[]) => vars.every((v) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(v));

/** A number as the tables show it: up to 7 significant digits. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(4);
  return String(Number(v.toPrecision(7)));
}

/**
 * The Jacobian of an R² → R² map filled column by column (forward mode: one sweep per input
 * direction) and row by row (reverse mode: one sweep per output).
 */
export function jacobianSweeps(texts: [string, string], point: [number, number]): { forward: number[][]; reverse: number[][]; vars: string[] } {
  const exprs = texts.map((t) => parse(t));
  const vars = [...new Set(exprs.flatMap((e) => variables(e)))].sort();
  if (vars.length !== 2) throw new Error(`the two outputs must use exactly two variables together; found ${vars.length} (${vars.join(", ")})`);
  const fs = exprs.map((e) => asFunction(e, vars));
  const F = (a: Tensor, b: Tensor) => fs.map((f) => f(a, b));
  const forward = [0, 1].map((j) => {
    const [, t] = jvp(F, [point[0], point[1]], j === 0 ? [1, 0] : [0, 1]);
    return (t as Tensor[]).map((x) => x.item());
  }); // forward[j] is column j
  const [, pull] = vjp(F, point[0], point[1]);
  const reverse = [0, 1].map((i) => (pull((i === 0 ? [1, 0] : [0, 1]) as unknown as Tensor[]) as unknown as (Tensor | number)[]).map((x) => (typeof x === "number" ? x : x.item())));
  return { forward, reverse, vars };
}
