/**
 * @file Method forms of the ops, so code chains: `x.mul(y).sin().sum()` (the seeds' operator style).
 * Every name in api/ops.ts's METHOD_NAMES becomes a method whose type is the op's own, without the
 * first argument.
 */
import { Tensor } from "../core/tensor.js";
import * as ops from "./ops.js";

export { UNARY_FUNCTIONS, BINARY_METHODS, METHOD_NAMES, type MethodName, type UnaryFunctionName, type BinaryMethodName } from "./ops.js";
import { METHOD_NAMES, type MethodName } from "./ops.js";

type Ops = typeof ops;
type Rest<F> = F extends (x: any, ...rest: infer R) => any ? R : never;
/**
 * `x.f(...rest)` is `f(x, ...rest)`. Written as methods (`{ m(...): R }["m"]`) so that subclasses may
 * narrow them, as methods may: a symbolic expression's `add` takes expressions and returns one.
 */
export type TensorMethods = { [K in MethodName]: { m(...args: Rest<Ops[K]>): ReturnType<Ops[K]> }["m"] };

declare module "../core/tensor.js" {
  interface Tensor extends TensorMethods {
    /** Matrix transpose (the last two axes swapped; the reverse of all axes for rank < 2). */
    readonly T: Tensor;
  }
}

const proto = Tensor.prototype as unknown as Record<string, unknown>;
for (const name of METHOD_NAMES) {
  const fn = ops[name] as (x: Tensor, ...rest: unknown[]) => Tensor;
  proto[name] = function (this: Tensor, ...rest: unknown[]) {
    return fn(this, ...rest);
  };
}
Object.defineProperty(Tensor.prototype, "T", {
  get(this: Tensor) {
    const n = this.ndim;
    return n < 2 ? ops.transpose(this) : ops.transpose(this, [...this.shape.keys()].map((i: number) => (i === n - 2 ? n - 1 : i === n - 1 ? n - 2 : i)));
  },
});
