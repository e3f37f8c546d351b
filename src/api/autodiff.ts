/**
 * @file The transformations users call (JAX's names and semantics), on pytrees: grad, valueAndGrad,
 * jvp, vjp, linearize, jacfwd, jacrev, hessian, makeProgram. Each is a few lines over the flat
 * interpreters in `transforms/`.
 */
import { Tensor, type Aval } from "../core/tensor.js";
import { type Leaf, type TreeDef, flatten, unflatten, unflattenGrad, treeMismatch, isNumberLeaf, numberResult, markNumber, checkNoHiddenTensors } from "../core/pytree.js";
import { TransformError, checkOptions, fmtShape, fmtValue } from "../core/errors.js";
import { callUser, checkFunction } from "../core/user-fn.js";
import { isFloat } from "../core/dtype.js";
import { shapeEq } from "../core/shape.js";
import { type Program, printProgram, deadCodeElimination } from "../core/ir.js";
import { type FormatStyle, formatProgram } from "../core/format.js";
import { ArrayTensor, scalarTensor, leafTensor } from "../tensor/array.js";
import { jvpFlat } from "../transforms/jvp.js";
import { linearizeFlat, pushforward, vjpFlat } from "../transforms/linearize.js";
import { stage } from "../transforms/stage.js";
import { zerosLike, reshape, concat, transpose } from "../ops/shape-ops.js";
import { vmapFlat } from "../transforms/vmap.js";
import { sizeOf } from "../core/shape.js";
import { cast } from "../ops/elementwise.js";

import type { Fn, Argnums, GradOptions, GradFn, ValueAndGradFn, AcceptArgs, Accept, GradOf, JacFn, HessianFn } from "./types.js";

export type { GradOptions };


/** Validate `argnums` (an integer, or a non-empty array of integers, each < nargs) and return it as a list. */
export function checkArgnums(op: string, argnums: unknown, nargs: number): number[] {
  const isInt = (a: unknown): a is number => typeof a === "number" && Number.isInteger(a);
  if (!(isInt(argnums) || (Array.isArray(argnums) && argnums.every(isInt)))) {
    throw new TransformError(`${op}: argnums must be an integer or an array of integers; got ${fmtValue(argnums)} (${Array.isArray(argnums) ? "an array holding non-integers" : typeof argnums})`);
  }
  const list: number[] = typeof argnums === "number" ? [argnums] : argnums;
  if (Array.isArray(argnums) && argnums.length === 0) throw new TransformError(`${op}: argnums is an empty array; name at least one argument to differentiate`);
  for (const a of list) {
    if (a < 0 || a >= nargs) {
      throw new TransformError(`${op}: argnums ${JSON.stringify(argnums)} is out of range for a call with ${nargs} argument(s)`);
    }
  }
  return list;
}

/**
 * Flatten the differentiated arguments of a call into tensor leaves and give back a flat function of
 * those leaves; the other arguments are closed over. `outFn` sees f's raw result.
 */
function flatCall(op: string, f: Fn, args: unknown[], argnums: number[]) {
  const [leaves, def] = flatten(argnums.map((i) => args[i]));
  checkNoHiddenTensors(op, def);
  const primals = leaves.map(leafTensor);
  const rebuild = (xs: Tensor[]) => {
    const call = [...args];
    const parts = unflatten<unknown[]>(def, xs);
    argnums.forEach((a, k) => (call[a] = parts[k]));
    return call;
  };
  // the values f sees in place of JS numbers are marked, so "number in, number out" holds for them
  const call = (xs: Tensor[]) => {
    xs.forEach((x, i) => isNumberLeaf(leaves[i]) && markNumber(x));
    return callUser(op, f, rebuild(xs));
  };
  return { leaves, def, primals, call };
}

/** Gradients back in the argument's structure: numbers for number leaves, null for non-differentiable parts. */
function gradTree(def: TreeDef, leaves: Leaf[], cts: (Tensor | null)[]): unknown {
  const out = leaves.map((l, i) => {
    const p = leafTensor(l);
    if (!isFloat(p.dtype)) return null;
    const ct = cts[i] ?? zerosLike(p);
    return isNumberLeaf(l) ? numberResult(ct) : ct;
  });
  return unflattenGrad(def, out);
}

function scalarOutput(op: string, out: unknown): Tensor {
  if (typeof out === "number") return scalarTensor(out);
  if (!(out instanceof Tensor)) {
    throw new TransformError(`${op} needs f to return a scalar tensor; got ${describe(out)}; use vjp or jacrev for structured outputs`);
  }
  if (out.size !== 1 || out.ndim !== 0) {
    throw new TransformError(`${op} needs a scalar output; got shape ${fmtShape(out.shape)}; use jacrev or vjp, or reduce with sum()`);
  }
  if (!isFloat(out.dtype)) throw new TransformError(`${op} needs a float output; got ${out.dtype}; the output does not depend smoothly on the input`);
  return out;
}

function describe(x: unknown): string {
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (x === null || x === undefined) return String(x);
  return typeof x === "object" ? `an object` : `a ${typeof x}`;
}

/**
 * Value and gradient of a scalar function. The gradient has the structure of the differentiated
 * argument(s).
 * @example valueAndGrad((x: Tensor) => sum(square(x)))(tensor([1, 2])) // → [5, [2, 4]]
 */
export function valueAndGrad<F extends Fn, const A extends Argnums = 0, H extends boolean = false>(f: F, opts?: GradOptions<A, H>): ValueAndGradFn<F, A, H>;
export function valueAndGrad(f: Fn, opts?: GradOptions): (...args: any[]) => [any, any] {
  checkFunction("valueAndGrad", f);
  opts = checkOptions("valueAndGrad", opts, ["argnums", "hasAux"]);
  return (...args: any[]) => {
    const argnums = checkArgnums("grad", opts.argnums ?? 0, args.length);
    const { leaves, def, primals, call } = flatCall("grad", f, args, argnums);
    // aux's tensors are extra outputs of the linearized function, so what comes back are their
    // primal values: tracers of this transformation never escape it, and an enclosing
    // transformation still sees how aux depends on its inputs.
    let auxDef: TreeDef | null = null, auxLeaves: Leaf[] = [];
    const { outs, pullback } = vjpFlat((xs) => {
      let out = call(xs);
      if (opts.hasAux) {
        if (!Array.isArray(out) || out.length !== 2) throw new TransformError("grad with hasAux needs f to return [output, aux]");
        [auxLeaves, auxDef] = flatten(out[1]);
        out = out[0];
        return [scalarOutput("grad", out), ...auxLeaves.filter((l): l is Tensor => l instanceof Tensor)];
      }
      return [scalarOutput("grad", out)];
    }, primals);
    const out = outs[0];
    let k = 1;
    const aux = auxDef === null ? undefined : unflatten(auxDef, auxLeaves.map((l) => (l instanceof Tensor ? outs[k++] : l)));
    const cts = pullback([scalarTensor(1, out.dtype), ...outs.slice(1).map(() => null)]);
    const g = gradTree(def, leaves, cts) as unknown[];
    const grads = typeof (opts.argnums ?? 0) === "number" ? g[0] : g;
    return [opts.hasAux ? [out, aux] : out, grads];
  };
}

/**
 * Gradient of a scalar function.
 * @example
 * grad((x: Tensor) => x.mul(x))(3) // → 6
 * grad((x: Tensor, y: Tensor) => x.mul(y), { argnums: [0, 1] })(2, 5) // → [5, 2]
 */
export function grad<F extends Fn, const A extends Argnums = 0, H extends boolean = false>(f: F, opts?: GradOptions<A, H>): GradFn<F, A, H>;
export function grad(f: Fn, opts?: GradOptions): (...args: any[]) => any {
  checkFunction("grad", f);
  opts = checkOptions("grad", opts, ["argnums", "hasAux"]);
  const vg = valueAndGrad(f, opts) as (...args: any[]) => [any, any];
  return (...args: any[]) => {
    const [v, g] = vg(...args);
    return opts.hasAux ? [g, (v as unknown[])[1]] : g;
  };
}

/** Wraps a call so that it returns flat output tensors, remembering the output's structure. */
function recordOutputs(call: (xs: Tensor[]) => unknown) {
  const rec = {
    def: { kind: "static", value: undefined } as TreeDef,
    leaves: [] as Leaf[],
    fn: (xs: Tensor[]): Tensor[] => {
      [rec.leaves, rec.def] = flatten(call(xs));
      return rec.leaves.map(leafTensor);
    },
    /** Rebuild f's output structure from flat tensors (numbers where f returned numbers). */
    tree: (ts: Tensor[]) => unflatten(rec.def, ts.map((t, i) => numberOut(rec.leaves[i], t))),
  };
  return rec;
}

function checkTangents(op: string, primals: Tensor[], pdef: TreeDef, tangents: unknown): Tensor[] {
  const [tleaves, tdef] = flatten(tangents);
  const m = treeMismatch(pdef, tdef);
  if (m) throw new TransformError(`${op}: tangents do not have the structure of the primals (${m})`);
  return tleaves.map((l, i) => {
    const t = leafTensor(l), p = primals[i];
    if (!shapeEq(t.shape, p.shape)) throw new TransformError(`${op}: tangent ${i} has shape ${fmtShape(t.shape)} but its primal has shape ${fmtShape(p.shape)}`);
    return isFloat(p.dtype) ? cast(t, p.dtype) : t;
  });
}

function numberOut(l: Leaf, t: Tensor): Tensor | number {
  return isNumberLeaf(l) ? numberResult(t) : t;
}

/**
 * Forward mode: the output of f at `primals` and its directional derivative along `tangents`
 * (arrays of f's positional arguments).
 * @example jvp((x: Tensor) => sin(x), [0], [1]) // → [0, 1]
 */
export function jvp<F extends Fn>(f: F, primals: AcceptArgs<F>, tangents: AcceptArgs<F>): [ReturnType<F>, ReturnType<F>];
export function jvp(f: Fn, primals: unknown[], tangents: unknown[]): [any, any] {
  checkFunction("jvp", f);
  if (!Array.isArray(primals) || !Array.isArray(tangents)) throw new TransformError("jvp: primals and tangents must be arrays of f's arguments");
  const argnums = primals.map((_, i) => i);
  const { def, primals: ps, call } = flatCall("jvp", f, primals, argnums);
  const ts = checkTangents("jvp", ps, def, tangents);
  const rec = recordOutputs(call);
  const { outs, touts } = jvpFlat(rec.fn, ps, ps.map((p, i) => (isFloat(p.dtype) ? ts[i] : null)));
  return [rec.tree(outs), rec.tree(touts.map((t, i) => t ?? zerosLike(outs[i])))];
}

/**
 * Reverse mode: f's output and a pullback mapping an output cotangent (same structure as the
 * output) to the cotangents of every argument.
 * @example
 * const [y, back] = vjp((x: Tensor) => x.mul(x), 3);
 * y // → 9
 * back(1) // → [6]
 */
export function vjp<F extends Fn, Args extends AcceptArgs<F>>(f: F, ...primals: [...Args, { hasAux: true }]): [VjpOut<ReturnType<F>>, (ct: Accept<VjpOut<ReturnType<F>>>) => { -readonly [K in keyof Args]: GradOf<Args[K]> }, VjpAux<ReturnType<F>>];
export function vjp<F extends Fn, Args extends AcceptArgs<F>>(f: F, ...primals: Args): [ReturnType<F>, (ct: Accept<ReturnType<F>>) => { -readonly [K in keyof Args]: GradOf<Args[K]> }];
export function vjp(f: Fn, ...primals: unknown[]): any {
  checkFunction("vjp", f);
  // JAX's has_aux: a trailing { hasAux: true } (an object with that one key) is the option, not a primal
  const last = primals[primals.length - 1];
  const hasAux = isAuxOption(last) && last.hasAux === true;
  if (isAuxOption(last)) primals = primals.slice(0, -1);
  const argnums = primals.map((_, i) => i);
  const { leaves, def, primals: ps, call } = flatCall("vjp", f, primals, argnums);
  // aux's tensors are extra outputs whose cotangents are zero, so what comes back are primal values
  let auxDef: TreeDef | null = null, auxLeaves: Leaf[] = [];
  const rec = recordOutputs(
    hasAux
      ? (xs) => {
          const out = call(xs);
          if (!Array.isArray(out) || out.length !== 2) throw new TransformError("vjp with hasAux needs f to return [output, aux]");
          [auxLeaves, auxDef] = flatten(out[1]);
          return out[0];
        }
      : call,
  );
  const { outs: all, pullback } = vjpFlat((xs) => {
    const outs = rec.fn(xs);
    return [...outs, ...auxLeaves.filter((l): l is Tensor => l instanceof Tensor)];
  }, ps);
  const nOut = all.length - auxLeaves.filter((l) => l instanceof Tensor).length;
  const outs = all.slice(0, nOut);
  const out = rec.tree(outs);
  const back = (ct: unknown): any[] => {
    const cts = checkTangents("vjp pullback", outs, rec.def, ct);
    return gradTree(def, leaves, pullback([...cts, ...all.slice(nOut).map(() => null)])) as any[];
  };
  if (!hasAux) return [out, back];
  let k = nOut;
  return [out, back, unflatten(auxDef!, auxLeaves.map((l) => (l instanceof Tensor ? all[k++] : l)))];
}

function isAuxOption(x: unknown): x is { hasAux: boolean } {
  return x !== null && typeof x === "object" && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype && Object.keys(x).length === 1 && typeof (x as { hasAux?: unknown }).hasAux === "boolean";
}
type VjpOut<R> = R extends readonly [infer O, unknown] ? O : never;
type VjpAux<R> = R extends readonly [unknown, infer A] ? A : never;

/**
 * f's output and its linearization at `primals`: a function of tangents that evaluates the staged
 * linear program without re-running f.
 * @example
 * const [y, df] = linearize((x: Tensor) => x.mul(x), 3);
 * y // → 9
 * df(1) // → 6
 */
export function linearize<F extends Fn, Args extends AcceptArgs<F>>(f: F, ...primals: Args): [ReturnType<F>, (...tangents: Args) => ReturnType<F>];
export function linearize(f: Fn, ...primals: unknown[]): [any, (...tangents: unknown[]) => any] {
  checkFunction("linearize", f);
  const argnums = primals.map((_, i) => i);
  const { def, primals: ps, call } = flatCall("linearize", f, primals, argnums);
  const rec = recordOutputs(call);
  const lin = linearizeFlat(rec.fn, ps);
  const df = (...tangents: unknown[]) => {
    const ts = checkTangents("linearize", ps, def, tangents);
    return rec.tree(pushforward(lin, ts).map((t, i) => t ?? zerosLike(lin.outs[i])));
  };
  return [rec.tree(lin.outs), df];
}

/**
 * Rows start…start+count of the identity for a tensor like `p`, shaped [count, ...p.shape]: the basis
 * directions that jacfwd pushes (and jacrev pulls) through the linear program, all at once.
 */
function basis(p: Aval, start: number, count: number): ArrayTensor {
  const n = sizeOf(p.shape);
  const z = zerosLike({ shape: [count, ...p.shape], dtype: p.dtype });
  const d = z.data;
  for (let r = 0; r < count; r++) d[r * n + start + r] = 1;
  return z;
}

/** Assemble Jacobian blocks [outLeaf][inLeaf] (shape out.shape ++ in.shape) into f's output structure. */
function jacTree(odef: TreeDef, oleaves: Leaf[], idef: TreeDef, ileaves: Leaf[], blocks: (Tensor | null)[][], single: boolean): unknown {
  const perOut = blocks.map((row, o) => {
    const entries = row.map((b, i) => (b !== null && isNumberLeaf(ileaves[i]) && isNumberLeaf(oleaves[o]) ? numberOut(ileaves[i], b) : b));
    const tree = unflattenGrad<unknown[]>(idef, entries);
    return single ? tree[0] : tree;
  });
  return unflatten(odef, perOut);
}

/** Largest basis block (elements) built at once; bigger Jacobians are assembled from row blocks. */
const BASIS_BLOCK = 1 << 22;

/**
 * Map `g` (one basis direction in, one tensor per output out) over all `n` directions of `p` with
 * vmap, in blocks: the results carry the direction as their leading axis.
 */
function overBasis(p: Aval, g: (dir: Tensor) => Tensor[]): Tensor[] {
  const n = sizeOf(p.shape);
  const block = Math.max(1, Math.floor(BASIS_BLOCK / Math.max(1, n)));
  const parts: Tensor[][] = [];
  for (let start = 0; start < n; start += block) {
    const count = Math.min(block, n - start);
    parts.push(vmapFlat(([dir]) => g(dir), [basis(p, start, count)], [true], count));
  }
  return parts[0].map((_, k) => (parts.length === 1 ? parts[0][k] : concat(parts.map((q) => q[k]), 0)));
}

/** [n, ...out] (one row per input direction) → [...out, ...in]: move the direction axis last. */
function directionsLast(t: Tensor, out: Aval, inp: Aval): Tensor {
  const k = out.shape.length;
  const moved = k === 0 ? t : transpose(t, [...Array.from({ length: k }, (_, i) => i + 1), 0]);
  return reshape(moved, [...out.shape, ...inp.shape]);
}

/**
 * Jacobian by forward mode: the linearized f pushed along every input direction at once (vmap).
 * @example
 * jacfwd((x: Tensor) => mul(x, x))(tensor([1, 2])) // → [[2, 0], [0, 4]]
 */
export function jacfwd<F extends Fn, const A extends Argnums = 0>(f: F, opts?: { argnums?: A }): JacFn<F, A>;
export function jacfwd(f: Fn, opts?: { argnums?: Argnums }): (...args: any[]) => any {
  checkFunction("jacfwd", f);
  opts = checkOptions("jacfwd", opts, ["argnums"]);
  return (...args: any[]) => {
    const argnums = checkArgnums("jacfwd", opts.argnums ?? 0, args.length);
    const { leaves, def, primals, call } = flatCall("jacfwd", f, args, argnums);
    const rec = recordOutputs(call);
    const lin = linearizeFlat(rec.fn, primals);
    const zeros = primals.map((p) => zerosLike(p));
    const cols: (Tensor | null)[][] = lin.outs.map(() => primals.map(() => null));
    primals.forEach((p, i) => {
      if (!isFloat(p.dtype)) return;
      if (p.size === 0) {
        lin.outs.forEach((o, k) => (cols[k][i] = zerosLike({ shape: [...o.shape, ...p.shape], dtype: o.dtype })));
        return;
      }
      const per = overBasis(p, (dir) => {
        const ts: Tensor[] = zeros.slice();
        ts[i] = dir;
        return pushforward(lin, ts).map((t, o) => t ?? zerosLike(lin.outs[o]));
      });
      lin.outs.forEach((o, k) => (cols[k][i] = directionsLast(per[k], o, p)));
    });
    return jacTree(rec.def, rec.leaves, def, leaves, cols, typeof (opts.argnums ?? 0) === "number");
  };
}

/**
 * Jacobian by reverse mode: every output direction pulled back at once (vmap).
 * @example
 * jacrev((x: Tensor) => mul(x, x))(tensor([1, 2])) // → [[2, 0], [0, 4]]
 */
export function jacrev<F extends Fn, const A extends Argnums = 0>(f: F, opts?: { argnums?: A }): JacFn<F, A>;
export function jacrev(f: Fn, opts?: { argnums?: Argnums }): (...args: any[]) => any {
  checkFunction("jacrev", f);
  opts = checkOptions("jacrev", opts, ["argnums"]);
  return (...args: any[]) => {
    const argnums = checkArgnums("jacrev", opts.argnums ?? 0, args.length);
    const { leaves, def, primals, call } = flatCall("jacrev", f, args, argnums);
    const rec = recordOutputs(call);
    const { outs, pullback } = vjpFlat(rec.fn, primals);
    const blocks = outs.map((o, k) => {
      if (!isFloat(o.dtype)) return primals.map(() => null);
      if (o.size === 0) return primals.map((p) => (isFloat(p.dtype) ? zerosLike({ shape: [...o.shape, ...p.shape], dtype: o.dtype }) : null));
      const rows = overBasis(o, (dir) => {
        const cts: (Tensor | null)[] = outs.map(() => null);
        cts[k] = dir;
        return pullback(cts).map((c, i) => c ?? zerosLike(primals[i]));
      });
      return primals.map((p, i) => (isFloat(p.dtype) ? reshape(rows[i], [...o.shape, ...p.shape]) : null));
    });
    return jacTree(rec.def, rec.leaves, def, leaves, blocks, typeof (opts.argnums ?? 0) === "number");
  };
}

/**
 * Hessian: forward over reverse, jacfwd(jacrev(f)).
 * @example
 * hessian((x: Tensor) => sum(mul(x, mul(x, x))))(tensor([1, 2])) // → [[6, 0], [0, 12]]
 */
export function hessian<F extends Fn, const A extends Argnums = 0>(f: F, opts?: { argnums?: A }): HessianFn<F, A>;
export function hessian(f: Fn, opts?: { argnums?: Argnums }): (...args: any[]) => any {
  checkFunction("hessian", f);
  opts = checkOptions("hessian", opts, ["argnums"]);
  return jacfwd(jacrev(f, opts), opts) as never;
}

/** The program f records on arguments of these shapes and dtypes (the seeds' Wengert list). */
export interface StagedProgram {
  program: Program;
  inNames: string[];
  toString(): string;
  /**
   * The program in another style: "ir" (the Wengert list, as toString), or, for programs of
   * scalar elementwise operations, "infix", "let" (shared values bound once), "latex", or "js"
   * (a function body; inputs named a0, a1, …). One string per output (with the bindings first).
   */
  format(style: FormatStyle): string;
}

/**
 * Stage f into the IR and return it, printable as a Wengert list. Works on derivatives too:
 * `makeProgram(grad(f))(x)` shows the gradient as a program of primitives.
 * @example
 * String(makeProgram((x: Tensor) => sin(mul(x, 2)))(1)).includes("sin") // → true
 */
export function makeProgram(f: Fn): (...args: unknown[]) => StagedProgram {
  checkFunction("makeProgram", f);
  return (...args) => {
    const [leaves, def] = flatten(args);
    const primals = leaves.map(leafTensor);
    const names = paramNames(f, args.length);
    const inNames = leaves.length === args.length ? names : primals.map((_, i) => `x${i + 1}`);
    const { program: staged } = stage("makeProgram", primals, (ins) => {
      const call = unflatten<unknown[]>(def, ins);
      const [outs] = flatten(callUser("makeProgram", f, call));
      return outs.map(leafTensor);
    });
    const program = deadCodeElimination(staged);
    const format = (style: FormatStyle) => {
      const names = style === "js" ? inNames.map((_, i) => `a${i}`) : inNames;
      const { bindings, results } = formatProgram(program, style, names);
      return style === "js" ? [...bindings, `return [${results.join(", ")}];`].join("\n") : [...bindings, ...results].join("\n");
    };
    return { program, inNames, toString: () => printProgram(program, inNames), format };
  };
}

/** Parameter names of a plain function, for printing (falls back to x1, x2…). */
function paramNames(f: Fn, n: number): string[] {
  const m = /^(?:function\b[^(]*)?\(?([^)=]*)\)?\s*(?:=>|\{)/.exec(f.toString());
  const names = m ? m[1].split(",").map((s) => s.trim()).filter((s) => /^[A-Za-z_$][\w$]*$/.test(s)) : [];
  return Array.from({ length: n }, (_, i) => names[i] ?? `x${i + 1}`);
}

