/**
 * @file `vmap` (JAX's name and semantics): a function written for one example, run on a batch.
 * `inAxes` says which axis of each argument is the batch (null: shared by every example),
 * `outAxes` where the batch axis goes in the results.
 */
import { Tensor } from "../core/tensor.js";
import { type Leaf, flatten, unflatten } from "../core/pytree.js";
import { ShapeError, TransformError, checkOptions, fmtShape, fmtValue } from "../core/errors.js";
import { callUser, checkFunction } from "../core/user-fn.js";
import { leafTensor } from "../tensor/array.js";
import { transpose } from "../ops/shape-ops.js";
import { vmapFlat } from "../transforms/vmap.js";

type Fn = (...args: any[]) => any;
/** An axis for every leaf below: a number (null: not mapped), or a structure like the value's with axes at its leaves (JAX's prefix trees). */
export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [key: string]: AxisSpec };
export interface VmapOptions {
  /** The mapped axis of each positional argument (one for all, or one per argument, each a number, null = shared, or a structure of them matching the argument's). Default 0. */
  inAxes?: number | null | readonly AxisSpec[];
  /** Where the batch axis goes in the outputs: one number for all, or a structure matching the output's. Default 0. */
  outAxes?: AxisSpec;
}

const isPlain = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === "object" && !Array.isArray(x) && (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null);

/** The axis of each leaf of `value` (in flatten's order) from a spec that is a prefix of its structure. */
function leafAxes(what: string, spec: AxisSpec, value: unknown): (number | null)[] {
  if (spec === null || typeof spec === "number") {
    if (spec !== null && !Number.isInteger(spec)) throw new TransformError(`vmap: ${what} must hold integers or null; got ${fmtValue(spec)}`);
    return new Array<number | null>(flatten(value)[0].length).fill(spec);
  }
  if (Array.isArray(spec)) {
    if (!Array.isArray(value) || value.length !== spec.length) throw new TransformError(`vmap: ${what} is an array of ${spec.length} where the value is ${fmtValue(value)}; give one axis for it, or a structure like it`);
    return spec.flatMap((s, i) => leafAxes(what, s, value[i]));
  }
  if (isPlain(spec)) {
    if (!isPlain(value)) throw new TransformError(`vmap: ${what} is an object where the value is ${fmtValue(value)}; give one axis for it, or a structure like it`);
    const keys = Object.keys(value);
    const extra = Object.keys(spec).filter((k) => !keys.includes(k)), missing = keys.filter((k) => !Object.hasOwn(spec, k));
    if (extra.length || missing.length) throw new TransformError(`vmap: ${what} has the keys ${fmtValue(Object.keys(spec))} where the value has ${fmtValue(keys)}`);
    return keys.flatMap((k) => leafAxes(what, (spec as Record<string, AxisSpec>)[k], value[k]));
  }
  throw new TransformError(`vmap: ${what} must be an integer, null, or a structure of them; got ${fmtValue(spec)}`);
}

/** Move axis `from` of x to position `to`. */
function moveAxis(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const perm = x.shape.map((_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return transpose(x, perm);
}

/**
 * Vectorize f over a batch axis: `vmap(f)(xs)` is f applied to every xs[i], stacked, computed as one
 * batched program (not a loop). Composes with every transformation: vmap(grad(f)) gives
 * per-example gradients, jit(vmap(f)) compiles the batched program.
 * @example vmap((x: Tensor) => sum(square(x)))(tensor([[1, 2], [3, 4]])) // → [5, 25]
 */
export function vmap<F extends Fn>(f: F, opts?: VmapOptions): F;
export function vmap(f: Fn, options?: VmapOptions): (...args: any[]) => any {
  checkFunction("vmap", f);
  const opts = checkOptions("vmap", options, ["inAxes", "outAxes"]);
  return (...args) => {
    const spec = opts.inAxes === undefined ? 0 : opts.inAxes;
    const axes = Array.isArray(spec) ? (spec as readonly AxisSpec[]) : args.map(() => spec as AxisSpec);
    if (!Array.isArray(spec) && spec !== null && !(typeof spec === "number" && Number.isInteger(spec))) {
      throw new TransformError(`vmap: inAxes must be an integer, null, or an array with one entry per argument (each an integer, null or a structure of them); got ${fmtValue(spec)}`);
    }
    if (axes.length !== args.length) throw new TransformError(`vmap: inAxes has ${axes.length} entries for a call with ${args.length} argument(s)`);
    const flat = args.map((a) => flatten(a));
    const perLeaf = args.map((a, ai) => leafAxes(`inAxes for argument ${ai}`, axes[ai], a));
    const xs: Tensor[] = [], batched: boolean[] = [];
    let size: number | null = null, first = "";
    flat.forEach(([leaves], ai) => {
      leaves.forEach((l, li) => {
        const ax = perLeaf[ai][li];
        if (ax === null) {
          xs.push(leafTensor(l));
          batched.push(false);
          return;
        }
        if (typeof l === "number") {
          throw new TransformError(`vmap: argument ${ai} holds a number, which has no axis ${ax} to map over; give that argument inAxes null (shared by every example)`);
        }
        const a = ax < 0 ? ax + l.ndim : ax;
        if (!(Number.isInteger(a) && a >= 0 && a < l.ndim)) throw new ShapeError(`vmap: inAxes ${ax} is out of range for argument ${ai} of shape ${fmtShape(l.shape)}`);
        const here = `argument ${ai} (shape ${fmtShape(l.shape)}) has ${l.shape[a]} along axis ${a}`;
        if (size === null) [size, first] = [l.shape[a], here];
        else if (l.shape[a] !== size) throw new ShapeError(`vmap: batch sizes differ: ${first}, but ${here}`);
        xs.push(moveAxis(l, a, 0));
        batched.push(true);
      });
    });
    if (size === null) throw new TransformError("vmap: no argument is mapped (every inAxes entry is null), so there is no batch size");
    let outDef = flatten(null)[1];
    const outs = vmapFlat(
      (ins) => {
        let k = 0;
        const call = flat.map(([leaves, def]) => unflatten(def, leaves.map((l: Leaf) => (typeof l === "number" && !batched[k] ? (k++, l) : ins[k++]))));
        const [leaves, def] = flatten(callUser("vmap", f, call));
        outDef = def;
        return leaves.map((l) => leafTensor(l));
      },
      xs,
      batched,
      size,
    );
    const outAxes = leafAxes("outAxes", opts.outAxes ?? 0, unflatten(outDef, outs));
    return unflatten(outDef, outs.map((o, i) => {
      const out = outAxes[i];
      if (out === null) throw new TransformError(`vmap: outAxes null is not supported (every output carries the batch); give an axis`);
      const to = out < 0 ? out + o.ndim : out;
      if (!(Number.isInteger(to) && to >= 0 && to < o.ndim)) throw new ShapeError(`vmap: outAxes ${out} is out of range for an output of shape ${fmtShape(o.shape)} (batch first)`);
      return moveAxis(o, 0, to);
    }));
  };
}
