/**
 * @file Forward mode: an interpreter whose values carry a tangent (dual numbers, seed 003).
 * A null tangent is a symbolic zero; a tracer with a zero tangent lowers to its primal, so code
 * that does not depend on the differentiated inputs runs at full speed.
 */
import { Trace, Tracer, withMain, traceOf, fullRaise, bind, bindCustom, type CustomRule } from "../core/trace.js";
import type { Tensor } from "../core/tensor.js";
import type { Primitive, Tangent } from "../core/primitive.js";
import { isFloat } from "../core/dtype.js";
import type { ArrayTensor } from "../tensor/array.js";

export class JVPTracer extends Tracer {
  constructor(
    readonly trace: JVPTrace,
    readonly primal: Tensor,
    readonly tangent: Tangent,
  ) {
    super();
  }
  get shape() {
    return this.primal.shape;
  }
  get dtype() {
    return this.primal.dtype;
  }
  concrete(): ArrayTensor {
    return this.primal.concrete();
  }
  override lower(): Tensor {
    return this.tangent === null ? this.primal : this;
  }
}

export class JVPTrace extends Trace {
  pure(x: Tensor): JVPTracer {
    return new JVPTracer(this, x, null);
  }
  processPrimitive(prim: Primitive, tracers: JVPTracer[], params: unknown): Tensor[] {
    const primals = tracers.map((t) => t.primal);
    const tangents = tracers.map((t) => t.tangent);
    if (tangents.every((t) => t === null)) return bind(prim, primals, params);
    let outs: Tensor[], touts: Tangent[];
    if (prim.jvpWithOuts) ({ outs, touts } = prim.jvpWithOuts(primals, tangents, params));
    else touts = prim.jvp(primals, tangents, (outs = bind(prim, primals, params)), params);
    return outs.map((o, i) => (touts[i] === null || !isFloat(o.dtype) ? o : new JVPTracer(this, o, touts[i])));
  }
  override processCustom(rule: CustomRule, tracers: JVPTracer[]): Tensor[] {
    const primals = tracers.map((t) => t.primal);
    const tangents = tracers.map((t) => t.tangent);
    if (tangents.every((t) => t === null)) return bindCustom(rule, primals);
    const { outs, touts } = rule.jvp(primals, tangents);
    return outs.map((o, i) => (touts[i] === null || !isFloat(o.dtype) ? o : new JVPTracer(this, o, touts[i])));
  }
}

/**
 * Push tangents through `f` (flat tensors in, flat tensors out). Non-float inputs must have null
 * tangents. Returns the outputs and their tangents (null = zero).
 */
export function jvpFlat(f: (xs: Tensor[]) => Tensor[], primals: Tensor[], tangents: Tangent[]): { outs: Tensor[]; touts: Tangent[] } {
  return withMain("jvp", (m) => new JVPTrace(m), null, (main) => {
    const trace = traceOf(main) as JVPTrace;
    const ins = primals.map((p, i) => (tangents[i] === null ? p : new JVPTracer(trace, p, tangents[i])));
    const results = f(ins);
    const outs: Tensor[] = [], touts: Tangent[] = [];
    for (const r of results) {
      const t = fullRaise(trace, r) as JVPTracer;
      outs.push(t.primal);
      touts.push(t.tangent);
    }
    return { outs, touts };
  });
}
