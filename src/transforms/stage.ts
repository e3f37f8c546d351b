/**
 * @file Staging: an interpreter that records each operation as an equation instead of computing it.
 * Values that do not depend on the staged inputs are computed right away (they belong to lower
 * levels) and enter the program as literals: this is partial evaluation by levels.
 */
import { Trace, Tracer, type MainTrace, withMain, traceOf, fullRaise } from "../core/trace.js";
import type { Tensor } from "../core/tensor.js";
import type { Primitive } from "../core/primitive.js";
import type { DType } from "../core/dtype.js";
import type { Shape } from "../core/shape.js";
import { type Atom, Lit, Program, ProgramBuilder } from "../core/ir.js";
import { ConcretizationError, TracerError, fmtShape } from "../core/errors.js";
import type { ArrayTensor } from "../tensor/array.js";

export class StagingTracer extends Tracer {
  constructor(
    readonly trace: StagingTrace,
    readonly shape: Shape,
    readonly dtype: DType,
    readonly atom: Atom,
  ) {
    super();
  }
  concrete(): ArrayTensor {
    if (!this.trace.main.active) {
      throw new TracerError(
        `a staged tensor (${this.dtype}${fmtShape(this.shape)}) from a finished ${this.trace.main.kind} was read: it escaped the function ` +
          `being traced (stored in an outer variable or closure) and has no value; return it from the function instead`,
      );
    }
    throw new ConcretizationError(
      `cannot read the value of a staged tensor (${this.dtype}${fmtShape(this.shape)}) while ${this.trace.main.kind} records a program: ` +
        `its value is not known yet. Instead of if/else on values use where(c, a, b) or cond/switchCase; ` +
        `instead of loops on values use fori, scan or whileLoop; or pass the value as a static argument (jit's staticArgnums)`,
    );
  }
}

export class StagingTrace extends Trace {
  get builder(): ProgramBuilder {
    return this.main.globalData as ProgramBuilder;
  }
  pure(x: Tensor): StagingTracer {
    return new StagingTracer(this, x.shape, x.dtype, new Lit(x));
  }
  newInput(aval: { shape: Shape; dtype: DType }): StagingTracer {
    return new StagingTracer(this, aval.shape, aval.dtype, this.builder.addInput(aval));
  }
  processPrimitive(prim: Primitive, tracers: StagingTracer[], params: unknown): Tensor[] {
    const avals = prim.shape(tracers, params);
    const outs = avals.map((a) => this.builder.newVar(a));
    this.builder.eqns.push({ prim, inputs: tracers.map((t) => t.atom), params, outs });
    return outs.map((v) => new StagingTracer(this, v.aval.shape, v.aval.dtype, v));
  }
}

/**
 * Stage `f` on abstract inputs with the given avals: returns the program and whatever else `f`
 * returned through `finish`, which maps f's output tensors to atoms of the program.
 */
export function stage<R>(
  kind: string,
  avals: { shape: Shape; dtype: DType }[],
  f: (inputs: StagingTracer[], main: MainTrace) => (Tensor | null)[] | { outs: (Tensor | null)[]; extra: R },
): { program: Program; extra?: R } {
  const builder = new ProgramBuilder();
  return withMain(kind, (m) => new StagingTrace(m), builder, (main) => {
    const trace = traceOf(main) as StagingTrace;
    const inputs = avals.map((a) => trace.newInput(a));
    const res = f(inputs, main);
    const { outs, extra } = Array.isArray(res) ? { outs: res, extra: undefined } : res;
    const atoms = outs.map((o) => (o === null ? null : (fullRaise(trace, o) as StagingTracer).atom));
    return { program: builder.build(atoms), extra };
  });
}
