/** @file Turning user inputs (numbers, nested arrays, typed arrays, tensors) into tensors of agreeing dtypes. */
import { Tensor } from "../core/tensor.js";
import { type DType, type TypedArray, floatOf, isFloat, promote } from "../core/dtype.js";
import { arrayFrom, scalarTensor, type Nested } from "../tensor/array.js";
import { cast } from "../ops/elementwise.js";

/** Anything an op accepts as a tensor. */
export type TensorLike = Tensor | number | boolean | Nested | TypedArray;

/** Create a concrete tensor. `tensor([[1, 2], [3, 4]])`, `tensor(x, { dtype: "float32" })`. */
export function tensor(data: TensorLike, opts: { dtype?: DType } = {}): Tensor {
  return arrayFrom(data, opts.dtype);
}

export function asTensor(x: TensorLike, op: string): Tensor {
  return x instanceof Tensor ? x : arrayFrom(x, undefined, op);
}

/**
 * Convert operands to one dtype. Tensors and arrays are strongly typed; JS numbers are weak and
 * adopt the tensors' dtype (a non-integral number next to ints gives float64).
 */
export function operands(op: string, args: TensorLike[], opts: { float?: boolean } = {}): Tensor[] {
  let dtype: DType | null = null;
  let weakFloat = false, weakAny = false, weakBool = true;
  for (const a of args) {
    if (typeof a === "number") {
      weakAny = true;
      weakBool = false;
      if (!Number.isInteger(a)) weakFloat = true;
    } else if (typeof a === "boolean") weakAny = true;
    else {
      const t = a instanceof Tensor ? a : null;
      const d = t ? t.dtype : arrayFrom(a, undefined, op).dtype;
      dtype = dtype === null ? d : promote(dtype, d);
    }
  }
  if (dtype === null) dtype = weakAny && weakBool ? "bool" : "float64";
  if (weakFloat && !isFloat(dtype)) dtype = "float64";
  else if (weakAny && !weakBool && dtype === "bool") dtype = "int32";
  if (opts.float) dtype = floatOf(dtype);
  const target = dtype;
  return args.map((a) => {
    if (typeof a === "number" || typeof a === "boolean") return scalarTensor(+a, target);
    return cast(asTensor(a, op), target);
  });
}

/** One operand as a float tensor (float-only maths on ints computes in float64). */
export function floatOperand(op: string, x: TensorLike): Tensor {
  return operands(op, [x], { float: true })[0];
}
