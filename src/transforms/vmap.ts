/**
 * @file Batching (vmap): an interpreter whose values carry an extra leading batch axis. A function
 * written for one example runs on a whole batch at once: each primitive's batching rule turns the
 * per-example op into one op on the batch (an elementwise op broadcasts, a reduction shifts its
 * axes, a matrix product folds the batch into its rows). Primitives without a rule run once per
 * batch element and are stacked, which is always right and only slower. Values that do not depend
 * on the mapped inputs stay unbatched and are shared, so vmap never copies what it does not need to.
 */
import { Trace, Tracer, withMain, traceOf, fullRaise, bind, bindCustom, type CustomRule } from "../core/trace.js";
import type { Tensor } from "../core/tensor.js";
import { type Primitive, coreOps } from "../core/primitive.js";
import { ConcretizationError, ShapeError, fmtShape } from "../core/errors.js";
import type { ArrayTensor } from "../tensor/array.js";

export class BatchTracer extends Tracer {
  constructor(
    readonly trace: BatchTrace,
    /** The value: with the batch axis first when `batched`, else shared by every example. */
    readonly val: Tensor,
    readonly batched: boolean,
  ) {
    super();
  }
  /** The per-example shape (what the mapped function sees). */
  get shape() {
    return this.batched ? this.val.shape.slice(1) : this.val.shape;
  }
  get dtype() {
    return this.val.dtype;
  }
  concrete(): ArrayTensor {
    if (!this.batched) return this.val.concrete();
    throw new ConcretizationError(
      `cannot read one value of a batched tensor (${this.dtype}${fmtShape(this.shape)} per example) inside vmap: each example has its own. ` +
        `Instead of if/else on values use where(c, a, b) or cond; or read the value outside vmap`,
    );
  }
  override lower(): Tensor {
    return this.batched ? this : this.val;
  }
}

export class BatchTrace extends Trace {
  /** The batch size. */
  get size(): number {
    return this.main.globalData as number;
  }
  pure(x: Tensor): BatchTracer {
    return new BatchTracer(this, x, false);
  }
  processPrimitive(prim: Primitive, tracers: BatchTracer[], params: unknown): Tensor[] {
    const vals = tracers.map((t) => t.val), batched = tracers.map((t) => t.batched);
    if (!batched.some((b) => b)) return bind(prim, vals, params);
    const outs = prim.batch?.(vals, batched, params) ?? perElement(this.size, (xs) => bind(prim, xs, params), vals, batched);
    return outs.map((o) => new BatchTracer(this, o, true));
  }
  /**
   * A function with user-defined derivative rules runs once per batch element, each call going
   * through the rule at the levels below, so its custom derivative is used in every composition
   * (grad of vmap, vmap of grad). Batching its fwd/bwd as programs would be faster; not done yet.
   */
  override processCustom(rule: CustomRule, tracers: BatchTracer[]): Tensor[] {
    const vals = tracers.map((t) => t.val), batched = tracers.map((t) => t.batched);
    if (!batched.some((b) => b)) return bindCustom(rule, vals);
    return perElement(this.size, (xs) => bindCustom(rule, xs), vals, batched).map((o) => new BatchTracer(this, o, true));
  }
}

/** Run a per-example op once per batch element (batched inputs indexed, shared ones reused) and stack. */
function perElement(size: number, op: (xs: Tensor[]) => Tensor[], vals: Tensor[], batched: boolean[]): Tensor[] {
  const results: Tensor[][] = [];
  for (let b = 0; b < size; b++) results.push(op(vals.map((v, i) => (batched[i] ? coreOps.index0(v, b) : v))));
  return results[0].map((_, k) => coreOps.stack0(results.map((r) => r[k])));
}

/**
 * vmap on flat tensors: `xs[i]` carries the batch as its leading axis when `batched[i]`. Every
 * output carries the batch as its leading axis (shared outputs are broadcast).
 */
export function vmapFlat(f: (xs: Tensor[]) => Tensor[], xs: Tensor[], batched: boolean[], size: number): Tensor[] {
  xs.forEach((x, i) => {
    if (batched[i] && x.shape[0] !== size) {
      throw new ShapeError(`vmap: input ${i} has ${x.shape.length ? x.shape[0] : "no axis"} along its mapped axis, but the batch size is ${size}`);
    }
  });
  return withMain("vmap", (m) => new BatchTrace(m), size, (main) => {
    const trace = traceOf(main) as BatchTrace;
    const ins = xs.map((x, i) => (batched[i] ? new BatchTracer(trace, x, true) : x));
    const outs = f(ins);
    return outs.map((o) => {
      const t = fullRaise(trace, o) as BatchTracer;
      return t.batched ? t.val : coreOps.broadcastTo(coreOps.reshape(t.val, [1, ...t.val.shape]), [size, ...t.val.shape]);
    });
  });
}
