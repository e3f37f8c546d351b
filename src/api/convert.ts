/** @file Turning user inputs (numbers, nested arrays, typed arrays, tensors) into tensors of agreeing dtypes. */
import { Tensor } from "../core/tensor.js";
import { type DType, type TypedArray, floatOf, isFloat, promote, checkDType } from "../core/dtype.js";
import { InputError, checkOptions, fmtValue } from "../core/errors.js";
import { ArrayTensor, arrayFrom, arrayFromNested, nestedData, scalarTensor, type Nested, type NestedData } from "../tensor/array.js";
import { concat, reshape } from "../ops/shape-ops.js";
import { cast } from "../ops/elementwise.js";

/** Anything an op accepts as a tensor. */
export type TensorLike = Tensor | number | boolean | Nested | TypedArray | readonly TensorLike[];

/**
 * Create a tensor. `tensor([[1, 2], [3, 4]])`, `tensor(x, { dtype: "float32" })`. An array of tensors
 * stacks them (NumPy's `array([t1, t2])`); inside a transformation those may be traced values, and
 * the result is traced too (its derivative flows to each of them).
 * @example
 * tensor([[1, 2], [3, 4]]).shape // → [2, 2]
 * tensor([1, 2], { dtype: "int32" }).dtype // → "int32"
 */
export function tensor(data: TensorLike | readonly (Tensor | TensorLike)[], options?: { dtype?: DType }): Tensor {
  const opts = checkOptions("tensor", options, ["dtype"]);
  if (opts.dtype !== undefined) checkDType(opts.dtype, "tensor");
  return Array.isArray(data) ? fromNested(data, "tensor", opts.dtype) : arrayFrom(data, opts.dtype);
}

export function asTensor(x: TensorLike, op: string): Tensor {
  if (x instanceof Tensor) return x;
  if (Array.isArray(x)) return fromNested(x, op);
  if (x === null || x === undefined || (typeof x === "object" && !ArrayBuffer.isView(x))) throw notTensorLike(x, op);
  return arrayFrom(x, undefined, op);
}

function notTensorLike(x: unknown, op: string): InputError {
  return new InputError(`${op}: expected a tensor, a number, a boolean, a nested array or a typed array; got ${x === null || typeof x !== "object" ? fmtValue(x) : `an object (${(x as object).constructor?.name ?? "null prototype"})`}`);
}

/**
 * Nested JS data as a tensor. Data holding traced values (the elements of an array argument under
 * grad, say) is stacked with ops, so derivatives flow through it; reading their values instead
 * would silently drop the derivative.
 */
function fromNested(data: readonly unknown[], op: string, dtype?: DType): Tensor {
  const nd = nestedData(data, op);
  if (isConcrete(nd)) return arrayFromNested(nd, dtype, op); // checks values against the dtype (1.5 is no int32)
  const t = stackTraced(nd, op);
  return dtype === undefined || t.dtype === dtype ? t : cast(t, dtype);
}

const isConcrete = (nd: NestedData) => nd.leafShape === null || nd.leaves.every((l) => l instanceof ArrayTensor || !(l instanceof Tensor));

function stackTraced(nd: NestedData, op: string): Tensor {
  const leafShape = nd.leafShape!;
  const parts = operands(op, nd.leaves as TensorLike[]).map((t) => reshape(t, [1, ...leafShape]));
  return reshape(concat(parts, 0), [...nd.shape, ...leafShape]);
}

/**
 * Convert operands to one dtype. Tensors and arrays are strongly typed; JS numbers are weak and
 * adopt the tensors' dtype (a non-integral number next to ints gives float64).
 */
export function operands(op: string, args: TensorLike[], opts: { float?: boolean } = {}): Tensor[] {
  let dtype: DType | null = null;
  let weakFloat = false, weakAny = false, weakBool = true;
  // Strong operands are converted once, here; weak ones (JS numbers, booleans) stay as they are.
  const strong = args.map((a) => (typeof a === "number" || typeof a === "boolean" ? null : asTensor(a, op)));
  for (let i = 0; i < args.length; i++) {
    const a = args[i], t = strong[i];
    if (t !== null) dtype = dtype === null ? t.dtype : promote(dtype, t.dtype);
    else if (typeof a === "number") {
      weakAny = true;
      weakBool = false;
      if (!Number.isInteger(a)) weakFloat = true;
    } else weakAny = true;
  }
  if (dtype === null) dtype = weakAny && weakBool ? "bool" : "float64";
  if (weakFloat && !isFloat(dtype)) dtype = "float64";
  else if (weakAny && !weakBool && dtype === "bool") dtype = "int32";
  if (opts.float) dtype = floatOf(dtype);
  const target = dtype;
  if (target === "int32") {
    // an integral number beyond int32 would wrap silently (JAX raises OverflowError)
    const big = args.find((a) => typeof a === "number" && (a > 2147483647 || a < -2147483648));
    if (big !== undefined) {
      throw new InputError(`${op}: the number ${fmtValue(big)} does not fit int32, the dtype it takes from the other operand; cast that operand to float64 first (cast(x, "float64"))`);
    }
  }
  return args.map((a, i) => (strong[i] === null ? scalarTensor(+(a as number), target) : cast(strong[i]!, target)));
}

/** One operand as a float tensor (float-only maths on ints computes in float64). */
export function floatOperand(op: string, x: TensorLike): Tensor {
  return operands(op, [x], { float: true })[0];
}

/**
 * Compute every pending value in `tree` now (tensors in nested arrays and objects) and return the
 * tree. Large elementwise results are computed lazily, when first read, so that chains of them fuse
 * into one loop (see docs/internals.md); a benchmark that times a function should call this on the
 * result inside the timed region, like JAX's `block_until_ready`. Reading a value (`item`, `toArray`,
 * any non-elementwise op) does it implicitly; correctness never depends on it.
 * @example
 * blockUntilReady({ y: exp(zeros([1000])) }).y.shape // → [1000]
 */
export function blockUntilReady<T>(tree: T): T {
  const walk = (x: unknown): void => {
    if (x instanceof Tensor) x.blockUntilReady();
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x !== null && typeof x === "object" && !ArrayBuffer.isView(x)) Object.values(x).forEach(walk);
  };
  walk(tree);
  return tree;
}
