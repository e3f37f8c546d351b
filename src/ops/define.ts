/**
 * @file `defineOp`: the compact form in which the catalogue writes a single-output primitive.
 * A forward rule lists, per input, the linear map from that input's tangent to the output's
 * (micrograd's "forward and backward side by side"); this turns it into the general Primitive form.
 */
import { type Cotangent, type LinearIn, type Primitive, type Tangent, coreOps } from "../core/primitive.js";
import type { Aval, Tensor } from "../core/tensor.js";
import { bind, bind1 } from "../core/trace.js";
import { type Shape, shapeEq } from "../core/shape.js";
import { type TypedArray, isFloat } from "../core/dtype.js";
import { ArrayTensor, zerosLike } from "../tensor/array.js";

export { zerosLike };

/** The transpose of broadcasting to x's shape: sum x over the axes that broadcasting added or stretched. */
export function unbroadcast(x: Tensor, shape: Shape): Tensor {
  if (shapeEq(x.shape, shape)) return x;
  const lead = x.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < x.shape.length; i++) if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) axes.push(i);
  const summed = coreOps.reduceSum(x, axes);
  return shapeEq(summed.shape, shape) ? summed : coreOps.reshape(summed, shape);
}

export type Term = ((d: Tensor) => Tensor | null) | null;

/** The rules an entry states as they are on `Primitive` (see there); defineOp copies them. */
type SharedRules = "code" | "showParams" | "identity" | "print" | "load" | "accumulates" | "reducesRows" | "sumsColumns" | "place" | "freshOutput" | "writesInto" | "valueIdentity" | "expands";
const SHARED: SharedRules[] = ["code", "showParams", "identity", "print", "load", "accumulates", "reducesRows", "sumsColumns", "place", "freshOutput", "writesInto", "valueIdentity", "expands"];

export interface OpSpec<P> extends Pick<Primitive<P>, SharedRules> {
  name: string;
  /** `into`: see Primitive.impl (single output). */
  impl(args: ArrayTensor[], params: P, into?: TypedArray): ArrayTensor;
  shape(avals: Aval[], params: P): Aval;
  /**
   * Per input, dx ↦ its contribution to d(out); or "linear" when the op is linear in all its float
   * inputs (its tangent is the op applied to the tangents); or null when the output has no derivative.
   */
  jvp: ((primals: Tensor[], out: Tensor, params: P) => Term[]) | "linear" | null;
  /**
   * For ops linear in all inputs whose per-input terms would each cost an op (add, sub): when every
   * input has a tangent, apply the op itself to the tangents instead of summing terms.
   */
  linear?: boolean;
  transpose: ((ct: Tensor, args: (Tensor | LinearIn)[], params: P) => Cotangent[]) | null;
  /**
   * See Primitive.batch (single output). Ops with `code` (elementwise) get the broadcasting rule
   * by default: line the batched operands' axes up and apply the op once.
   */
  batch?: (args: Tensor[], batched: boolean[], params: P) => Tensor | null;
}

/**
 * A batched operand (batch axis first) with size-1 axes inserted after the batch axis so that its
 * per-element rank is `rank`: NumPy broadcasting then lines it up with the unbatched operands.
 */
export function alignBatched(x: Tensor, rank: number): Tensor {
  const [b, ...rest] = x.shape;
  return rest.length >= rank ? x : coreOps.reshape(x, [b, ...new Array<number>(rank - rest.length).fill(1), ...rest]);
}

export function defineOp<P = {}>(spec: OpSpec<P>): Primitive<P> {
  const prim: Primitive<P> = {
    name: spec.name,
    impl: (args, params, into) => [spec.impl(args, params, into?.[0])],
    shape: (avals, params) => [spec.shape(avals, params)],
    jvp(primals, tangents, outs, params): Tangent[] {
      const rule = spec.jvp;
      const out = outs[0];
      if (rule === null || !isFloat(out.dtype)) return [null];
      if (rule === "linear") {
        const args = tangents.map((t, i) => t ?? (isFloat(primals[i].dtype) ? zerosLike(primals[i]) : primals[i]));
        return [bind1(prim, args, params)];
      }
      if (spec.linear && tangents.every((t) => t !== null)) {
        const dout = bind1(prim, tangents as Tensor[], params);
        return [shapeEq(dout.shape, out.shape) ? dout : coreOps.broadcastTo(dout, out.shape)];
      }
      const terms = rule(primals, out, params);
      let dout: Tensor | null = null;
      for (let i = 0; i < terms.length; i++) {
        const t = tangents[i], term = terms[i];
        if (t === null || term === null) continue;
        const d = term(t);
        if (d !== null) dout = dout === null ? d : coreOps.add(dout, d);
      }
      if (dout !== null && !shapeEq(dout.shape, out.shape)) dout = coreOps.broadcastTo(dout, out.shape);
      return [dout];
    },
    transpose: spec.transpose === null ? null : (cts, args, params) => (cts[0] === null ? args.map(() => null) : spec.transpose!(cts[0], args, params)),
  };
  for (const k of SHARED) if (spec[k] !== undefined) (prim as unknown as Record<string, unknown>)[k] = spec[k];
  if (spec.batch !== undefined) {
    const rule = spec.batch;
    prim.batch = (args, batched, params) => {
      const out = rule(args, batched, params);
      return out === null ? null : [out];
    };
  } else if (spec.code !== undefined) {
    prim.batch = (args, batched, params) => {
      const rank = Math.max(...args.map((a, i) => a.shape.length - (batched[i] ? 1 : 0)));
      return [bind1(prim, args.map((a, i) => (batched[i] ? alignBatched(a, rank) : a)), params)];
    };
  }
  return prim;
}

export { bind, bind1 };
