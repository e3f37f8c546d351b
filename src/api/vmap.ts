/**
 * @file `vmap` (JAX's name and semantics): a function written for one example, run on a batch.
 * `inAxes` says which axis of each argument is the batch (null: shared by every example),
 * `outAxes` where the batch axis goes in the results.
 */
import { Tensor } from "../core/tensor.js";
import { type Leaf, flatten, unflatten } from "../core/pytree.js";
import { ShapeError, TransformError, fmtShape, fmtValue } from "../core/errors.js";
import { callUser, checkFunction } from "../core/user-fn.js";
import { leafTensor } from "../tensor/array.js";
import { transpose } from "../ops/shape-ops.js";
import { vmapFlat } from "../transforms/vmap.js";

type Fn = (...args: any[]) => any;
export interface VmapOptions {
  /** The mapped axis of each positional argument (one for all, or one per argument); null = shared. Default 0. */
  inAxes?: number | null | (number | null)[];
  /** Where the batch axis goes in every output (negative counts from the end). Default 0. */
  outAxes?: number;
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
 * @example vmap((x) => sum(square(x)))(tensor([[1, 2], [3, 4]])) // [5, 25]
 */
export function vmap<F extends Fn>(f: F, opts?: VmapOptions): F;
export function vmap(f: Fn, opts: VmapOptions = {}): (...args: any[]) => any {
  checkFunction("vmap", f);
  return (...args) => {
    const spec = opts.inAxes === undefined ? 0 : opts.inAxes;
    const axes = Array.isArray(spec) ? spec : args.map(() => spec);
    for (const a of axes) {
      if (a !== null && !(typeof a === "number" && Number.isInteger(a))) {
        throw new TransformError(`vmap: inAxes must be an integer, null, or an array of them (one per argument); got ${fmtValue(spec)}`);
      }
    }
    if (axes.length !== args.length) throw new TransformError(`vmap: inAxes has ${axes.length} entries for a call with ${args.length} argument(s)`);
    const flat = args.map((a) => flatten(a));
    const xs: Tensor[] = [], batched: boolean[] = [];
    let size: number | null = null, first = "";
    flat.forEach(([leaves], ai) => {
      const ax = axes[ai];
      for (const l of leaves) {
        if (ax === null) {
          xs.push(leafTensor(l));
          batched.push(false);
          continue;
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
      }
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
    const out = opts.outAxes ?? 0;
    if (typeof out !== "number" || !Number.isInteger(out)) throw new TransformError(`vmap: outAxes must be an integer; got ${fmtValue(out)}`);
    return unflatten(outDef, outs.map((o) => {
      const to = out < 0 ? out + o.ndim : out;
      if (!(Number.isInteger(to) && to >= 0 && to < o.ndim)) throw new ShapeError(`vmap: outAxes ${out} is out of range for an output of shape ${fmtShape(o.shape)} (batch first)`);
      return moveAxis(o, 0, to);
    }));
  };
}
