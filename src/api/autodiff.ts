/**
 * @file The transformations users call (JAX's names and semantics), on pytrees: grad, valueAndGrad,
 * jvp, vjp, linearize, jacfwd, jacrev, hessian, makeProgram. Each is a few lines over the flat
 * interpreters in `transforms/`.
 */
import { Tensor, type Aval } from "../core/tensor.js";
import { type Leaf, type TreeDef, flatten, unflatten, unflattenGrad, treeMismatch } from "../core/pytree.js";
import { TransformError, fmtShape } from "../core/errors.js";
import { isFloat } from "../core/dtype.js";
import { shapeEq } from "../core/shape.js";
import { type Program, printProgram, deadCodeElimination } from "../core/ir.js";
import { ArrayTensor, scalarTensor } from "../tensor/array.js";
import { jvpFlat } from "../transforms/jvp.js";
import { linearizeFlat, pushforward, vjpFlat } from "../transforms/linearize.js";
import { stage } from "../transforms/stage.js";
import { zerosLike, reshape, concat } from "../ops/shape-ops.js";
import { cast } from "../ops/elementwise.js";

type Fn = (...args: any[]) => any;
export interface GradOptions {
  /** Which positional arguments to differentiate (default 0). An array gives an array of gradients. */
  argnums?: number | number[];
  /** f returns [output, aux]; aux is passed through undifferentiated. */
  hasAux?: boolean;
}

const leafTensor = (l: Leaf): Tensor => (typeof l === "number" ? scalarTensor(l) : l);

function checkArgnums(op: string, argnums: number | number[], nargs: number): number[] {
  const list = typeof argnums === "number" ? [argnums] : argnums;
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= nargs) {
      throw new TransformError(`${op}: argnums ${JSON.stringify(argnums)} is out of range for a call with ${nargs} argument(s)`);
    }
  }
  return list;
}

/**
 * Flatten the differentiated arguments of a call into tensor leaves and give back a flat function of
 * those leaves; the other arguments are closed over. `outFn` sees f's raw result.
 */
function flatCall(f: Fn, args: unknown[], argnums: number[]) {
  const [leaves, def] = flatten(argnums.map((i) => args[i]));
  const primals = leaves.map(leafTensor);
  const rebuild = (xs: Tensor[]) => {
    const call = [...args];
    const parts = unflatten<unknown[]>(def, xs);
    argnums.forEach((a, k) => (call[a] = parts[k]));
    return call;
  };
  return { leaves, def, primals, call: (xs: Tensor[]) => f(...rebuild(xs)) };
}

/** Gradients back in the argument's structure: numbers for number leaves, null for non-differentiable parts. */
function gradTree(def: TreeDef, leaves: Leaf[], cts: (Tensor | null)[]): unknown {
  const out = leaves.map((l, i) => {
    const p = leafTensor(l);
    if (!isFloat(p.dtype)) return null;
    const ct = cts[i] ?? zerosLike(p);
    return typeof l === "number" && ct instanceof ArrayTensor ? ct.item() : ct;
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
 * argument(s). @example valueAndGrad((x) => sum(square(x)))(tensor([1, 2])) // [5, [2, 4]]
 */
export function valueAndGrad<F extends Fn>(f: F, opts: GradOptions = {}): (...args: any[]) => [any, any] {
  return (...args) => {
    const argnums = checkArgnums("grad", opts.argnums ?? 0, args.length);
    const { leaves, def, primals, call } = flatCall(f, args, argnums);
    let aux: unknown;
    const { outs, pullback } = vjpFlat((xs) => {
      let out = call(xs);
      if (opts.hasAux) {
        if (!Array.isArray(out) || out.length !== 2) throw new TransformError("grad with hasAux needs f to return [output, aux]");
        [out, aux] = out;
      }
      return [scalarOutput("grad", out)];
    }, primals);
    const out = outs[0];
    const cts = pullback([scalarTensor(1, out.dtype)]);
    const g = gradTree(def, leaves, cts) as unknown[];
    const grads = typeof (opts.argnums ?? 0) === "number" ? g[0] : g;
    return [opts.hasAux ? [out, aux] : out, grads];
  };
}

/** Gradient of a scalar function. @example grad((x) => x.mul(x))(3) // 6 */
export function grad<F extends Fn>(f: F, opts: GradOptions = {}): (...args: any[]) => any {
  const vg = valueAndGrad(f, opts);
  return (...args) => {
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
  return typeof l === "number" && t instanceof ArrayTensor ? t.item() : t;
}

/**
 * Forward mode: the output of f at `primals` and its directional derivative along `tangents`
 * (arrays of f's positional arguments). @example jvp(sin, [0], [1]) // [0, 1]
 */
export function jvp(f: Fn, primals: unknown[], tangents: unknown[]): [any, any] {
  if (!Array.isArray(primals) || !Array.isArray(tangents)) throw new TransformError("jvp: primals and tangents must be arrays of f's arguments");
  const argnums = primals.map((_, i) => i);
  const { def, primals: ps, call } = flatCall(f, primals, argnums);
  const ts = checkTangents("jvp", ps, def, tangents);
  const rec = recordOutputs(call);
  const { outs, touts } = jvpFlat(rec.fn, ps, ps.map((p, i) => (isFloat(p.dtype) ? ts[i] : null)));
  return [rec.tree(outs), rec.tree(touts.map((t, i) => t ?? zerosLike(outs[i])))];
}

/**
 * Reverse mode: f's output and a pullback mapping an output cotangent (same structure as the
 * output) to the cotangents of every argument. @example const [y, back] = vjp(f, x); back(1)
 */
export function vjp(f: Fn, ...primals: unknown[]): [any, (ct: unknown) => any[]] {
  const argnums = primals.map((_, i) => i);
  const { leaves, def, primals: ps, call } = flatCall(f, primals, argnums);
  const rec = recordOutputs(call);
  const { outs, pullback } = vjpFlat(rec.fn, ps);
  const out = rec.tree(outs);
  const back = (ct: unknown): any[] => {
    const cts = checkTangents("vjp pullback", outs, rec.def, ct);
    return gradTree(def, leaves, pullback(cts)) as any[];
  };
  return [out, back];
}

/**
 * f's output and its linearization at `primals`: a function of tangents that evaluates the staged
 * linear program without re-running f. @example const [y, df] = linearize(f, x); df(v)
 */
export function linearize(f: Fn, ...primals: unknown[]): [any, (...tangents: unknown[]) => any] {
  const argnums = primals.map((_, i) => i);
  const { def, primals: ps, call } = flatCall(f, primals, argnums);
  const rec = recordOutputs(call);
  const lin = linearizeFlat(rec.fn, ps);
  const df = (...tangents: unknown[]) => {
    const ts = checkTangents("linearize", ps, def, tangents);
    return rec.tree(pushforward(lin, ts).map((t, i) => t ?? zerosLike(lin.outs[i])));
  };
  return [rec.tree(lin.outs), df];
}

function oneHot(p: Tensor, j: number): ArrayTensor {
  const z = zerosLike(p);
  z.data[j] = 1;
  return z;
}

/** Assemble Jacobian blocks [outLeaf][inLeaf] (shape out.shape ++ in.shape) into f's output structure. */
function jacTree(odef: TreeDef, oleaves: Leaf[], idef: TreeDef, ileaves: Leaf[], blocks: (Tensor | null)[][], single: boolean): unknown {
  const perOut = blocks.map((row, o) => {
    const entries = row.map((b, i) => (b !== null && typeof ileaves[i] === "number" && typeof oleaves[o] === "number" ? numberOut(ileaves[i], b) : b));
    const tree = unflattenGrad<unknown[]>(idef, entries);
    return single ? tree[0] : tree;
  });
  return unflatten(odef, perOut);
}

/**
 * One Jacobian block of shape out.shape ++ in.shape from its rows (one per output element, axis 0)
 * or columns (one per input element, axis 1), each a flat-able tensor.
 */
function assemble(parts: Tensor[], out: Aval, inp: Aval, axis: 0 | 1): Tensor {
  const shape = [...out.shape, ...inp.shape];
  if (parts.length === 0) return zerosLike({ shape, dtype: out.dtype });
  return reshape(concat(parts.map((t) => reshape(t, axis === 0 ? [1, t.size] : [t.size, 1])), axis), shape);
}

/** Jacobian by forward mode: one column per input element (best for few inputs, many outputs). */
export function jacfwd<F extends Fn>(f: F, opts: { argnums?: number | number[] } = {}): (...args: any[]) => any {
  return (...args) => {
    const argnums = checkArgnums("jacfwd", opts.argnums ?? 0, args.length);
    const { leaves, def, primals, call } = flatCall(f, args, argnums);
    const rec = recordOutputs(call);
    const lin = linearizeFlat(rec.fn, primals);
    const zeros = primals.map((p) => zerosLike(p));
    const cols: (Tensor | null)[][] = lin.outs.map(() => primals.map(() => null));
    primals.forEach((p, i) => {
      const perOut: Tensor[][] = lin.outs.map(() => []);
      if (isFloat(p.dtype)) {
        for (let j = 0; j < p.size; j++) {
          const ts = zeros.slice();
          ts[i] = oneHot(p, j);
          pushforward(lin, ts).forEach((t, o) => perOut[o].push(t ?? zerosLike(lin.outs[o])));
        }
      }
      lin.outs.forEach((o, k) => (cols[k][i] = isFloat(p.dtype) ? assemble(perOut[k], o, p, 1) : null));
    });
    return jacTree(rec.def, rec.leaves, def, leaves, cols, typeof (opts.argnums ?? 0) === "number");
  };
}

/** Jacobian by reverse mode: one row per output element (best for few outputs, many inputs). */
export function jacrev<F extends Fn>(f: F, opts: { argnums?: number | number[] } = {}): (...args: any[]) => any {
  return (...args) => {
    const argnums = checkArgnums("jacrev", opts.argnums ?? 0, args.length);
    const { leaves, def, primals, call } = flatCall(f, args, argnums);
    const rec = recordOutputs(call);
    const { outs, pullback } = vjpFlat(rec.fn, primals);
    const blocks = outs.map((o, k) => {
      const rows: Tensor[][] = primals.map(() => []);
      if (isFloat(o.dtype)) {
        for (let j = 0; j < o.size; j++) {
          const cts = outs.map(() => null as Tensor | null);
          cts[k] = oneHot(o, j);
          pullback(cts).forEach((c, i) => rows[i].push(c ?? zerosLike(primals[i])));
        }
      }
      return primals.map((p, i) => (isFloat(p.dtype) && isFloat(o.dtype) ? assemble(rows[i], o, p, 0) : null));
    });
    return jacTree(rec.def, rec.leaves, def, leaves, blocks, typeof (opts.argnums ?? 0) === "number");
  };
}

/** Hessian: forward over reverse, jacfwd(jacrev(f)). */
export function hessian<F extends Fn>(f: F, opts: { argnums?: number | number[] } = {}): (...args: any[]) => any {
  return jacfwd(jacrev(f, opts), opts) as never;
}

/** The program f records on arguments of these shapes and dtypes (the seeds' Wengert list). */
export interface StagedProgram {
  program: Program;
  inNames: string[];
  toString(): string;
}

/**
 * Stage f into the IR and return it, printable as a Wengert list. Works on derivatives too:
 * `makeProgram(grad(f))(x)` shows the gradient as a program of primitives.
 */
export function makeProgram(f: Fn): (...args: unknown[]) => StagedProgram {
  return (...args) => {
    const [leaves, def] = flatten(args);
    const primals = leaves.map(leafTensor);
    const names = paramNames(f, args.length);
    const inNames = leaves.length === args.length ? names : primals.map((_, i) => `x${i + 1}`);
    const { program: staged } = stage("makeProgram", primals, (ins) => {
      const call = unflatten<unknown[]>(def, ins);
      const [outs] = flatten(f(...call));
      return outs.map(leafTensor);
    });
    const program = deadCodeElimination(staged);
    return { program, inNames, toString: () => printProgram(program, inNames) };
  };
}

/** Parameter names of a plain function, for printing (falls back to x1, x2…). */
function paramNames(f: Fn, n: number): string[] {
  const m = /^(?:function\b[^(]*)?\(?([^)=]*)\)?\s*(?:=>|\{)/.exec(f.toString());
  const names = m ? m[1].split(",").map((s) => s.trim()).filter((s) => /^[A-Za-z_$][\w$]*$/.test(s)) : [];
  return Array.from({ length: n }, (_, i) => names[i] ?? `x${i + 1}`);
}

