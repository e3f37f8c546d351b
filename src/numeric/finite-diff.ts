/**
 * @file Numerical differentiation (seed 000): forward, backward and central differences.
 *
 * The step h trades truncation error against round-off. Forward/backward differences have
 * truncation error O(h) and round-off O(ε/h), minimised near h ≈ √ε ≈ 1.5e-8 (error ~1e-8);
 * central differences have truncation O(h²), minimised near h ≈ ∛ε ≈ 6e-6 (error ~1e-11).
 * The defaults scale these by max(1, |x|) so the step stays representable next to x.
 */
import { Tensor } from "../core/tensor.js";
import { flatten, unflatten, unflattenGrad, type Leaf } from "../core/pytree.js";
import { InputError, TransformError, checkOptions, fmtShape, fmtValue } from "../core/errors.js";
import { checkArgnums } from "../api/autodiff.js";
import { isFloat } from "../core/dtype.js";
import { ArrayTensor, arrayFrom } from "../tensor/array.js";

export type DiffMethod = "central" | "forward" | "backward";
export interface FiniteDiffOptions {
  method?: DiffMethod;
  /** Step; by default √ε·max(1,|x|) for one-sided and ∛ε·max(1,|x|) for central differences. */
  h?: number;
}

const EPS = 2 ** -52;

/** A user-given step: a positive finite number (0, a negative or NaN step gives no derivative). */
function checkStep(op: string, h: unknown): void {
  if (h !== undefined && !(typeof h === "number" && h > 0 && Number.isFinite(h))) throw new InputError(`${op}: the step h must be a positive finite number; got ${fmtValue(h)}`);
}

/**
 * @example
 * defaultStep("central", 1) // ≈ 0.000006055454452393343
 */
export function defaultStep(method: DiffMethod, x: number): number {
  if (typeof x !== "number") throw new InputError(`defaultStep: x must be a number; got ${fmtValue(x)}`);
  return (method === "central" ? Math.cbrt(EPS) : Math.sqrt(EPS)) * Math.max(1, Math.abs(x));
}

const asNumber = (v: unknown, what: string): number => {
  if (typeof v === "number") return v;
  if (v instanceof Tensor && v.size === 1) return v.item();
  throw new InputError(`${what}: f must return a number or a size-1 tensor here; got ${v instanceof Tensor ? `shape ${fmtShape(v.shape)}` : typeof v}`);
};

/** f'(x) of a scalar function by finite differences. @example derivative(Math.sin, 0) // ≈ 1 */
export function derivative(f: (x: number) => unknown, x: number, options?: FiniteDiffOptions): number {
  const opts = checkOptions("derivative", options, ["method", "h"]);
  if (typeof f !== "function") throw new TransformError(`derivative: needs a function; got ${fmtValue(f)}`);
  if (typeof x !== "number") throw new InputError(`derivative: x must be a JS number; got ${fmtValue(x)}`);
  checkMethod("derivative", opts.method);
  checkStep("derivative", opts.h);
  const method = opts.method ?? "central";
  const h = opts.h ?? defaultStep(method, x);
  const F = (v: number) => asNumber(f(v), "derivative");
  switch (method) {
    case "central": return (F(x + h) - F(x - h)) / (2 * h);
    case "forward": return (F(x + h) - F(x)) / h;
    case "backward": return (F(x) - F(x - h)) / h;
  }
}

/** A pytree of concrete float64 arrays with the structure of `tree`, for perturbing. */
function leavesOf(tree: unknown): { leaves: Leaf[]; data: Float64Array[]; rebuild: (data: Float64Array[]) => unknown; def: ReturnType<typeof flatten>[1] } {
  const [leaves, def] = flatten(tree);
  const data = leaves.map((l) => Float64Array.from(typeof l === "number" ? [l] : l.concrete().data));
  const rebuild = (ds: Float64Array[]) =>
    unflatten(def, leaves.map((l, i) => (typeof l === "number" ? ds[i][0] : isFloat(l.dtype) ? new ArrayTensor(ds[i].slice(), l.shape, "float64").cast(l.dtype) : l)));
  return { leaves, data, rebuild, def };
}

function outData(out: unknown): { values: Float64Array[]; leaves: Leaf[]; def: ReturnType<typeof flatten>[1] } {
  const [leaves, def] = flatten(out);
  return { values: leaves.map((l) => Float64Array.from(typeof l === "number" ? [l] : l.concrete().data)), leaves, def };
}

/**
 * Directional derivative of f at `primals` along `tangents` by finite differences: the numerical
 * counterpart of jvp, with f's output structure.
 * @example
 * numericalJvp((x: Tensor) => mul(x, x), [tensor(3)], [tensor(1)]) // ≈ 6
 */
export function numericalJvp(f: (...args: any[]) => unknown, primals: unknown[], tangents: unknown[], options?: FiniteDiffOptions): any {
  const opts = checkOptions("numericalJvp", options, ["method", "h"]);
  if (typeof f !== "function") throw new TransformError(`numericalJvp: needs a function; got ${fmtValue(f)}`);
  if (!Array.isArray(primals) || !Array.isArray(tangents)) throw new InputError("numericalJvp: primals and tangents must be arrays of f's arguments");
  checkMethod("numericalJvp", opts.method);
  checkStep("numericalJvp", opts.h);
  const method = opts.method ?? "central";
  const P = leavesOf(primals), T = leavesOf(tangents);
  if (P.data.length !== T.data.length) throw new TransformError(`numericalJvp: ${T.data.length} tangent leaves for ${P.data.length} primal leaves`);
  const scale = Math.max(1, ...P.data.map((d) => d.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  const h = opts.h ?? defaultStep(method, scale);
  const at = (s: number) => outData(f(...(P.rebuild(P.data.map((d, k) => d.map((v, j) => v + s * T.data[k][j]))) as unknown[])));
  const mid = method === "central" ? null : at(0);
  const plus = method === "backward" ? null : at(h);
  const minus = method === "forward" ? null : at(-h);
  const ref = (plus ?? minus)!;
  const vals = ref.values.map((r, k) =>
    r.map((_, j) =>
      method === "central" ? (plus!.values[k][j] - minus!.values[k][j]) / (2 * h)
      : method === "forward" ? (plus!.values[k][j] - mid!.values[k][j]) / h
      : (mid!.values[k][j] - minus!.values[k][j]) / h,
    ),
  );
  return unflatten(ref.def, ref.leaves.map((l, k) => (typeof l === "number" ? vals[k][0] : new ArrayTensor(vals[k], l.shape, "float64"))));
}

/**
 * Gradient of a scalar function by finite differences, one coordinate at a time, in the argument's
 * structure. `argnums` as in grad: an integer gives that argument's gradient, an array a list.
 * @example
 * numericalGrad((x: Tensor) => sum(mul(x, x)))(tensor([1, 2])) // ≈ [2, 4]
 */
export function numericalGrad(f: (...args: any[]) => unknown, options?: FiniteDiffOptions & { argnums?: number | number[] }) {
  const opts = checkOptions("numericalGrad", options, ["method", "h", "argnums"]);
  if (typeof f !== "function") throw new TransformError(`numericalGrad: needs a function; got ${fmtValue(f)}`);
  checkMethod("numericalGrad", opts.method);
  checkStep("numericalGrad", opts.h);
  return (...args: unknown[]): any => {
    const argnums = checkArgnums("numericalGrad", opts.argnums ?? 0, args.length);
    const method = opts.method ?? "central";
    const grads = argnums.map((argnum) => {
      const X = leavesOf(args[argnum]);
      const F = (data: Float64Array[]) => {
        const call = [...args];
        call[argnum] = X.rebuild(data);
        return asNumber(f(...call), "numericalGrad");
      };
      const f0 = method === "central" ? 0 : F(X.data);
      const g = X.data.map((d, k) =>
        d.map((v, j) => {
          const h = opts.h ?? defaultStep(method, v);
          const shifted = (s: number) => F(X.data.map((e, m) => (m === k ? e.map((w, i) => (i === j ? v + s : w)) : e)));
          return method === "central" ? (shifted(h) - shifted(-h)) / (2 * h) : method === "forward" ? (shifted(h) - f0) / h : (f0 - shifted(-h)) / h;
        }),
      );
      return unflattenGrad(X.def, X.leaves.map((l, k) => (typeof l === "number" ? g[k][0] : isFloat(l.dtype) ? new ArrayTensor(g[k], l.shape, "float64") : null)));
    });
    return typeof (opts.argnums ?? 0) === "number" ? grads[0] : grads;
  };
}

function checkMethod(op: string, method: unknown): void {
  if (method !== undefined && method !== "central" && method !== "forward" && method !== "backward") {
    throw new InputError(`${op}: method must be "central", "forward" or "backward"; got ${fmtValue(method)}`);
  }
}

/**
 * Jacobian of a tensor function of one tensor argument by central differences: shape out.shape ++ in.shape.
 * @example
 * numericalJacobian((x: Tensor) => mul(x, 2))(tensor([1, 2])) // ≈ [[2, 0], [0, 2]]
 */
export function numericalJacobian(f: (x: Tensor) => unknown, options?: FiniteDiffOptions) {
  const opts = checkOptions("numericalJacobian", options, ["method", "h"]);
  if (typeof f !== "function") throw new TransformError(`numericalJacobian: needs a function; got ${fmtValue(f)}`);
  checkMethod("numericalJacobian", opts.method);
  checkStep("numericalJacobian", opts.h);
  return (x: unknown): Tensor => {
    const xt = arrayFrom(x, "float64");
    const n = xt.size;
    const cols: Float64Array[] = [];
    let outShape: readonly number[] = [];
    for (let j = 0; j < n; j++) {
      const e = new Float64Array(n);
      e[j] = 1;
      const col = numericalJvp(f, [xt], [new ArrayTensor(e, xt.shape, "float64")], opts);
      const c = arrayFrom(col, "float64");
      outShape = c.shape;
      cols.push(c.data as Float64Array);
    }
    const m = cols.length ? cols[0].length : 0;
    const data = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) data[i * n + j] = cols[j][i];
    return new ArrayTensor(data, [...outShape, ...xt.shape], "float64");
  };
}
