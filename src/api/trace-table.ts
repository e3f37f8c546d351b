/**
 * @file The evaluation trace as the seeds print it: one row per intermediate variable with its
 * operation, value, forward tangent and reverse adjoint (seeds 001 and 004).
 */
import { Tensor } from "../core/tensor.js";
import { Var, Lit, type Program } from "../core/ir.js";
import { bind } from "../core/trace.js";
import { flatten } from "../core/pytree.js";
import { TransformError, InputError, fmtValue } from "../core/errors.js";
import { leafTensor } from "../tensor/array.js";
import { makeProgram, jvp, grad } from "./autodiff.js";
import { add, fullLike, zeros } from "./ops.js";

export interface TraceRow {
  name: string;
  /** The operation that defines it ("input" for inputs). */
  expr: string;
  value: Tensor;
  tangent: Tensor;
  adjoint: Tensor;
}

/** Evaluate every equation, adding eps[k] to the k-th equation's output (to read adjoints as gradients). */
function evalAll(program: Program, xs: Tensor[], eps?: Tensor[]): Tensor[] {
  const env = new Map<Var, Tensor>();
  program.inputs.forEach((v, i) => env.set(v, xs[i]));
  const all = [...xs];
  program.eqns.forEach((e, k) => {
    let out = bind(e.prim, e.inputs.map((a) => (a instanceof Lit ? a.value : env.get(a)!)), e.params)[0];
    if (eps) out = add(out, eps[k]);
    env.set(e.outs[0], out);
    all.push(out);
  });
  return all;
}

/**
 * The trace table of f at `args`, with tangents along `tangents` (default: ones for the first input, zeros for the others) and
 * adjoints of the (scalar) output. Variables are named as in the seeds: inputs v₋ₙ₊₁…v₀, then v1….
 * @example
 * const rows = traceTable((x1: Tensor, x2: Tensor) => sub(add(log(x1), mul(x1, x2)), sin(x2)), [2, 5], [1, 0]);
 * rows[rows.length - 1].tangent.item() // → 5.5
 * rows[0].adjoint.item() // → 5.5
 */
export function traceTable(f: (...args: any[]) => Tensor, args: unknown[], tangents?: unknown[]): TraceRow[] {
  if (!Array.isArray(args)) throw new InputError(`traceTable: args must be the array of f's arguments; got ${fmtValue(args)}`);
  if (tangents !== undefined && !Array.isArray(tangents)) throw new InputError(`traceTable: tangents must be an array with one tangent per argument; got ${fmtValue(tangents)}`);
  const staged = makeProgram(f)(...args);
  const { program } = staged;
  if (program.outputs.length !== 1 || !(program.outputs[0] instanceof Var)) throw new TransformError("traceTable: f must return one tensor computed from its inputs");
  const multi = program.eqns.find((e) => e.outs.length !== 1);
  if (multi) throw new TransformError(`traceTable: ${multi.prim.name} has ${multi.outs.length} outputs, and the table has one row per single-output operation; print the program with makeProgram(f)(...args) instead`);
  const [leaves] = flatten(args);
  const xs = leaves.map((l) => leafTensor(l));
  // by default the tangent moves the first input (every element of it, for a tensor) and nothing else
  const ts = tangents ? flatten(tangents)[0].map((l) => leafTensor(l)) : xs.map((x, i) => fullLike(x, i === 0 ? 1 : 0));
  const values = evalAll(program, xs);
  const [, tans] = jvp((...a: Tensor[]) => evalAll(program, a), xs, ts);
  const outIndex = xs.length + program.eqns.findIndex((e) => e.outs[0] === program.outputs[0]);
  // one perturbation per element of each intermediate, so its adjoint has the intermediate's shape
  const eps = program.eqns.map((e) => zeros(e.outs[0].aval.shape, { dtype: e.outs[0].aval.dtype }));
  const [gx, geps] = grad((a: Tensor[], e: Tensor[]) => evalAll(program, a, e)[outIndex], { argnums: [0, 1] })(xs, eps);
  const n = xs.length;
  const names = [...xs.map((_, i) => `v${i - n + 1}`), ...program.eqns.map((_, k) => `v${k + 1}`)];
  const nameOf = new Map<Var, string>();
  program.inputs.forEach((v, i) => nameOf.set(v, names[i]));
  program.eqns.forEach((e, k) => nameOf.set(e.outs[0], names[n + k]));
  const show = (a: Var | Lit) => (a instanceof Var ? nameOf.get(a)! : String(a.value.size === 1 ? a.value.item() : "const"));
  return names.map((name, i) => ({
    name,
    expr: i < n ? `input ${staged.inNames[i] ?? ""}`.trim() : `${program.eqns[i - n].prim.name} ${program.eqns[i - n].inputs.map(show).join(" ")}`,
    value: values[i],
    tangent: (tans as Tensor[])[i],
    adjoint: i < n ? (gx as Tensor[])[i] : (geps as Tensor[])[i - n],
  }));
}

const num = (t: Tensor, digits = 6): string => (t.size === 1 ? fmt(t.item(), digits) : `[${t.shape.join("×")}]`);
function fmt(v: number, digits: number): string {
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(digits);
}

/**
 * Render a trace table as aligned text columns.
 * @example
 * formatTraceTable(traceTable((x: Tensor) => mul(x, x), [3])).includes("v1") // → true
 */
export function formatTraceTable(rows: TraceRow[]): string {
  if (!Array.isArray(rows) || rows.some((r) => !(r?.value instanceof Tensor && r.tangent instanceof Tensor && r.adjoint instanceof Tensor))) {
    throw new InputError(`formatTraceTable: needs the rows traceTable returns; got ${fmtValue(rows)}`);
  }
  const head = ["var", "operation", "value", "tangent v̇", "adjoint v̄"];
  const body = rows.map((r) => [r.name, r.expr, num(r.value), num(r.tangent), num(r.adjoint)]);
  const widths = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => (j >= 2 ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join("  ");
  return [line(head), widths.map((wd) => "─".repeat(wd)).join("  "), ...body.map(line)].join("\n");
}
