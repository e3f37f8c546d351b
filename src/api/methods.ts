/** @file Method forms of the ops, so code chains: `x.mul(y).sin().sum()` (the seeds' operator style). */
import { Tensor } from "../core/tensor.js";
import type { DType } from "../core/dtype.js";
import * as ops from "./ops.js";
import type { TensorLike, SliceSpec } from "./ops.js";

type Axis = number | readonly number[] | null | undefined;

declare module "../core/tensor.js" {
  interface Tensor {
    add(y: TensorLike): Tensor;
    sub(y: TensorLike): Tensor;
    mul(y: TensorLike): Tensor;
    div(y: TensorLike): Tensor;
    pow(y: TensorLike): Tensor;
    atan2(x: TensorLike): Tensor;
    maximum(y: TensorLike): Tensor;
    minimum(y: TensorLike): Tensor;
    neg(): Tensor;
    square(): Tensor;
    sqrt(): Tensor;
    reciprocal(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tan(): Tensor;
    asin(): Tensor;
    acos(): Tensor;
    atan(): Tensor;
    sinh(): Tensor;
    cosh(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    softplus(): Tensor;
    relu(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    clip(lo: TensorLike, hi: TensorLike): Tensor;
    lt(y: TensorLike): Tensor;
    le(y: TensorLike): Tensor;
    gt(y: TensorLike): Tensor;
    ge(y: TensorLike): Tensor;
    eq(y: TensorLike): Tensor;
    ne(y: TensorLike): Tensor;
    sum(axis?: Axis, keepdims?: boolean): Tensor;
    mean(axis?: Axis, keepdims?: boolean): Tensor;
    prod(axis?: Axis, keepdims?: boolean): Tensor;
    max(axis?: Axis, keepdims?: boolean): Tensor;
    min(axis?: Axis, keepdims?: boolean): Tensor;
    argmax(axis?: number): Tensor;
    argmin(axis?: number): Tensor;
    logSumExp(axis?: Axis, keepdims?: boolean): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    norm(ord?: 1 | 2 | number, axis?: Axis, keepdims?: boolean): Tensor;
    reshape(shape: readonly number[]): Tensor;
    flatten(): Tensor;
    transpose(perm?: readonly number[]): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    expandDims(axis: number): Tensor;
    squeeze(axis?: Axis): Tensor;
    slice(...specs: SliceSpec[]): Tensor;
    take(indices: TensorLike, axis?: number): Tensor;
    matmul(y: TensorLike): Tensor;
    dot(y: TensorLike): Tensor;
    outer(y: TensorLike): Tensor;
    cast(dtype: DType): Tensor;
    stopGradient(): Tensor;
    /** Matrix transpose (the last two axes swapped; the reverse of all axes for rank < 2). */
    readonly T: Tensor;
  }
}

const names = [
  "add", "sub", "mul", "div", "pow", "atan2", "maximum", "minimum", "neg", "square", "sqrt", "reciprocal", "exp", "log",
  "log1p", "expm1", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "softplus", "relu",
  "abs", "sign", "clip", "lt", "le", "gt", "ge", "eq", "ne", "sum", "mean", "prod", "max", "min", "argmax", "argmin",
  "logSumExp", "softmax", "logSoftmax", "norm", "reshape", "flatten", "transpose", "broadcastTo", "expandDims", "squeeze",
  "slice", "take", "matmul", "dot", "outer", "cast", "stopGradient",
] as const;

const proto = Tensor.prototype as unknown as Record<string, unknown>;
for (const name of names) {
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
