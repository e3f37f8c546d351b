/**
 * @file The user-facing ops: NumPy-style functions that accept tensors, numbers and arrays, promote
 * dtypes, and are built from the primitives. Everything here without a primitive of its own is a
 * composition with no derivative rule of its own.
 */
import { Tensor } from "../core/tensor.js";
import { type DType, allocate, checkDType, isFloat as isFloatDType } from "../core/dtype.js";
import { broadcastShapes, normalizeAxes, normalizeAxis, sizeOf, checkShape, checkCount, checkSize, shapeEq, MAX_ELEMENTS } from "../core/shape.js";
import { ShapeError, InputError, DTypeError, ConcretizationError, checkOptions, fmtShape, fmtValue } from "../core/errors.js";
import { ArrayTensor, scalarTensor } from "../tensor/array.js";
import * as P from "../ops/elementwise.js";
import * as R from "../ops/reduce.js";
import * as S from "../ops/shape-ops.js";
import * as L from "../ops/linalg.js";
import { type TensorLike, asTensor, operands, floatOperand, tensor, blockUntilReady } from "./convert.js";

export { tensor, blockUntilReady, type TensorLike };

type Axis = number | readonly number[] | null | undefined;

const one = (x: Tensor) => scalarTensor(1, x.dtype);
const unaryFloat = (name: string, f: (x: Tensor) => Tensor) => (x: TensorLike): Tensor => f(floatOperand(name, x));
const binary = (name: string, f: (x: Tensor, y: Tensor) => Tensor, float = false) => (x: TensorLike, y: TensorLike): Tensor => {
  const [a, b] = operands(name, [x, y], { float });
  return f(a, b);
};

// ---- arithmetic -----------------------------------------------------------------------------

/**
 * x + y, elementwise, with NumPy broadcasting and dtype promotion.
 * @example
 * add(tensor([1, 2]), 3) // → [4, 5]
 */
export const add = binary("add", P.add);
/**
 * x − y, elementwise (broadcasting).
 * @example
 * sub(5, tensor([1, 2])) // → [4, 3]
 */
export const sub = binary("sub", P.sub);
/**
 * x · y, elementwise (broadcasting).
 * @example
 * mul(tensor([1, 2]), tensor([[1], [10]])) // → [[1, 2], [10, 20]]
 */
export const mul = binary("mul", P.mul);
/**
 * True division: integer operands give float64.
 * @example
 * div(tensor([1, 3]), 2) // → [0.5, 1.5]
 */
export const div = binary("div", P.div, true);
/**
 * xʸ, elementwise; d/dx x⁰ = 0 everywhere, and the y-derivative is 0 at x = 0.
 * @example
 * pow(tensor([2, 3]), 2) // → [4, 9]
 */
export const pow = binary("pow", P.pow, true);
/**
 * The angle of the point (x, y) from the x axis, elementwise: atan2(y, x).
 * @example
 * atan2(1, 1) // ≈ 0.7853981633974483
 */
export const atan2 = binary("atan2", P.atan2, true);
/**
 * The larger of x and y, elementwise; at ties the derivative is shared equally.
 * @example
 * maximum(tensor([1, 5]), 3) // → [3, 5]
 */
export const maximum = binary("maximum", P.max);
/**
 * Floats: −max(−x, −y), exact and with max's derivative convention at ties. Ints and bools select
 * (negation is not a bijection there: −(−2³¹) wraps, and bools do not negate).
 * @example
 * minimum(tensor([1, 5]), 3) // → [1, 3]
 */
export const minimum = binary("minimum", (x, y) => (isFloatDType(x.dtype) ? P.neg(P.max(P.neg(x), P.neg(y))) : P.where(P.compare(y, x, "lt"), y, x)));
/**
 * −x.
 * @example
 * neg(tensor([1, -2])) // → [-1, 2]
 */
export function neg(x: TensorLike): Tensor {
  return P.neg(operands("neg", [x])[0]);
}
/**
 * x², elementwise (one product in the backward pass).
 * @example
 * square(tensor([3, -2])) // → [9, 4]
 */
export function square(x: TensorLike): Tensor {
  return P.square(operands("square", [x])[0]);
}
/**
 * 1/x, elementwise.
 * @example
 * reciprocal(tensor([2, 4])) // → [0.5, 0.25]
 */
export const reciprocal = unaryFloat("reciprocal", (x) => P.div(one(x), x));
/**
 * √x, elementwise; its derivative at 0 is +∞.
 * @example
 * sqrt(tensor([4, 9])) // → [2, 3]
 */
export const sqrt = unaryFloat("sqrt", P.sqrt);
/**
 * eˣ, elementwise.
 * @example
 * exp(0) // → 1
 */
export const exp = unaryFloat("exp", P.exp);
/**
 * The natural logarithm, elementwise.
 * @example
 * log(tensor([1, Math.E])) // → [0, 1]
 */
export const log = unaryFloat("log", P.log);
/**
 * log(1 + x), accurate for tiny x.
 * @example
 * log1p(1e-20) // → 1e-20
 */
export const log1p = unaryFloat("log1p", P.log1p);
/**
 * eˣ − 1, accurate for tiny x.
 * @example
 * expm1(1e-20) // → 1e-20
 */
export const expm1 = unaryFloat("expm1", P.expm1);
/**
 * log₂ x, elementwise (exact at powers of 2).
 * @example
 * log2(tensor([1, 8, 0.5])) // → [0, 3, -1]
 */
export const log2 = unaryFloat("log2", P.log2);
/**
 * log₁₀ x, elementwise (exact at powers of 10).
 * @example
 * log10(tensor([1, 1000])) // → [0, 3]
 */
export const log10 = unaryFloat("log10", P.log10);
/**
 * 2ˣ, elementwise: pow(2, x), whose rules give d 2ˣ = 2ˣ ln 2 dx.
 * @example
 * exp2(tensor([3, -1])) // → [8, 0.5]
 */
export const exp2 = unaryFloat("exp2", (x) => P.pow(scalarTensor(2, x.dtype), x));
/**
 * The real cube root, elementwise (negative for negative x, unlike pow(x, 1/3)); its derivative at 0 is +∞, as √'s.
 * @example
 * cbrt(tensor([27, -8])) // → [3, -2]
 */
export const cbrt = unaryFloat("cbrt", P.cbrt);
/**
 * √(x² + y²), elementwise, without overflow or underflow in the squares; its gradient at (0, 0) is taken as 0.
 * @example
 * hypot(3, 4) // → 5
 */
export const hypot = binary("hypot", P.hypot, true);
/**
 * Sine, elementwise (radians).
 * @example
 * sin(tensor([0, Math.PI / 2])) // → [0, 1]
 */
export const sin = unaryFloat("sin", P.sin);
/**
 * Cosine, elementwise (radians).
 * @example
 * cos(0) // → 1
 */
export const cos = unaryFloat("cos", P.cos);
/**
 * Tangent, elementwise (radians).
 * @example
 * tan(0) // → 0
 */
export const tan = unaryFloat("tan", (x) => P.div(P.sin(x), P.cos(x)));
/**
 * asin x = atan2(x, √((1−x)(1+x))): the factored form keeps precision near ±1.
 * @example
 * asin(1) // ≈ 1.5707963267948966
 */
export const asin = unaryFloat("asin", (x) => P.atan2(x, P.sqrt(P.mul(P.sub(one(x), x), P.add(one(x), x)))));
/**
 * Arc cosine, elementwise (radians), as atan2(√(1 − x²), x).
 * @example
 * acos(1) // → 0
 */
export const acos = unaryFloat("acos", (x) => P.atan2(P.sqrt(P.mul(P.sub(one(x), x), P.add(one(x), x))), x));
/**
 * Arc tangent, elementwise (radians).
 * @example
 * atan(1) // ≈ 0.7853981633974483
 */
export const atan = unaryFloat("atan", (x) => P.atan2(x, one(x)));
/**
 * Hyperbolic sine, elementwise (a primitive: Math.sinh, accurate near 0 and finite while the result is).
 * @example
 * sinh(0) // → 0
 */
export const sinh = unaryFloat("sinh", P.sinh);
/**
 * Hyperbolic cosine, elementwise.
 * @example
 * cosh(0) // → 1
 */
export const cosh = unaryFloat("cosh", P.cosh);
/**
 * Inverse hyperbolic sine, elementwise.
 * @example
 * asinh(0) // → 0
 */
export const asinh = unaryFloat("asinh", P.asinh);
/**
 * Inverse hyperbolic cosine, elementwise (x ≥ 1; NaN below); its derivative at 1 is +∞.
 * @example
 * acosh(1) // → 0
 */
export const acosh = unaryFloat("acosh", P.acosh);
/**
 * Inverse hyperbolic tangent, elementwise (|x| < 1; ±∞ at ±1).
 * @example
 * atanh(0) // → 0
 */
export const atanh = unaryFloat("atanh", P.atanh);
/**
 * Hyperbolic tangent, elementwise (a primitive: stable for large |x|).
 * @example
 * tanh(0) // → 0
 */
export const tanh = unaryFloat("tanh", P.tanh);
/**
 * The logistic function 1/(1 + e⁻ˣ), without overflow for either sign.
 * @example
 * sigmoid(0) // → 0.5
 */
export const sigmoid = unaryFloat("sigmoid", P.logistic);
/**
 * The error function 2/√π ∫₀ˣ e^(−t²) dt, and erfc = 1 − erf (accurate where it is tiny).
 * @example
 * erf(0) // → 0
 */
export const erf = unaryFloat("erf", P.erf);
/**
 * The complementary error function 1 − erf x, accurate where it is tiny.
 * @example
 * erfc(0) // → 1
 */
export const erfc = unaryFloat("erfc", P.erfc);
/**
 * The inverse error function on (−1, 1) (±∞ at ±1); its derivative is √π/2 · e^(erfinv(x)²).
 * @example
 * erfinv(0.5) // ≈ 0.4769362762044699
 */
export const erfinv = unaryFloat("erfinv", P.erfinv);
/**
 * GELU, x·Φ(x) (Φ the standard normal CDF). As JAX's default, `approximate` (true) uses
 * ½x(1 + tanh(√(2/π)(x + 0.044715x³))); false gives the exact ½x·erfc(−x/√2).
 * @example
 * gelu(tensor([0, 10])) // ≈ [0, 10]
 */
export function gelu(x: TensorLike, approximate = true): Tensor {
  const t = floatOperand("gelu", x);
  const half = scalarTensor(0.5, t.dtype);
  if (!approximate) return P.mul(P.mul(half, t), P.erfc(P.mul(t, scalarTensor(-Math.SQRT1_2, t.dtype))));
  const inner = P.mul(scalarTensor(Math.sqrt(2 / Math.PI), t.dtype), P.add(t, P.mul(scalarTensor(0.044715, t.dtype), P.mul(t, P.square(t)))));
  return P.mul(P.mul(half, t), P.add(scalarTensor(1, t.dtype), P.tanh(inner)));
}
/**
 * softplus x = log(1 + eˣ), as x + log1p(e⁻ˣ) for x > 0 and log1p(eˣ) otherwise. Each branch gets an
 * input clamped to its own side ("double where") so the unused branch can neither overflow nor turn
 * the gradient into NaN.
 * @example
 * softplus(0) // ≈ 0.6931471805599453
 */
export const softplus = unaryFloat("softplus", (x) => {
  const zero = scalarTensor(0, x.dtype);
  const pos = P.compare(x, zero, "gt");
  const xp = P.where(pos, x, zero), xn = P.where(pos, zero, x);
  return P.where(pos, P.add(xp, P.log1p(P.exp(P.neg(xp)))), P.log1p(P.exp(xn)));
});
/**
 * NOTE: relu'(0) = 0 (the zero branch is taken at 0), as in JAX and PyTorch; relu(NaN) is NaN.
 * @example
 * relu(tensor([-1, 2])) // → [0, 2]
 */
export function relu(x: TensorLike): Tensor {
  const t = operands("relu", [x])[0];
  const zero = scalarTensor(0, t.dtype);
  // x ≤ 0 selects zero; NaN fails the comparison and passes through (maximum(x, 0) in JAX and PyTorch)
  return P.where(P.compare(t, zero, "le"), zero, t);
}
/**
 * NOTE: d|x| = sign(x) dx, so |x|'(0) = 0.
 * @example
 * abs(tensor([-1, 2])) // → [1, 2]
 */
export function abs(x: TensorLike): Tensor {
  const t = operands("abs", [x])[0];
  return P.mul(t, P.sign(t));
}
/**
 * −1, 0 or 1 by the sign of x; its derivative is 0.
 * @example
 * sign(tensor([-3, 0, 2])) // → [-1, 0, 1]
 */
export function sign(x: TensorLike): Tensor {
  return P.sign(operands("sign", [x])[0]);
}
const rounding = (name: string, mode: P.RoundMode) => (x: TensorLike): Tensor => {
  const t = operands(name, [x])[0];
  return isFloatDType(t.dtype) ? P.round(t, mode) : t; // integers are already whole
};
/**
 * The largest integer ≤ x (floats stay floats; integer tensors are returned as they are). Its derivative is zero.
 * @example
 * floor(tensor([-1.5, 1.5])) // → [-2, 1]
 */
export const floor = rounding("floor", "floor");
/**
 * The smallest integer ≥ x.
 * @example
 * ceil(tensor([-1.5, 1.5])) // → [-1, 2]
 */
export const ceil = rounding("ceil", "ceil");
/**
 * x rounded toward zero (NumPy's trunc and fix).
 * @example
 * trunc(tensor([-1.5, 1.5])) // → [-1, 1]
 */
export const trunc = rounding("trunc", "trunc");
export const fix = trunc;
/**
 * x rounded to the nearest integer, halves to even (NumPy's rint).
 * @example
 * rint(tensor([0.5, 1.5, 2.5])) // → [0, 2, 2]
 */
export const rint = rounding("rint", "even");
/**
 * x rounded to `decimals` decimal places, halves to even, as NumPy's round (which scales by 10^decimals first).
 * @example
 * round(tensor([1.234, 5.678]), 1) // → [1.2, 5.7]
 */
export function round(x: TensorLike, decimals = 0): Tensor {
  if (!Number.isInteger(decimals)) throw new InputError(`round: decimals must be an integer; got ${fmtValue(decimals)}`);
  if (decimals === 0) return rint(x);
  const t = operands("round", [x])[0];
  if (t.dtype === "bool" || (t.dtype === "int32" && decimals > 0)) return t;
  if (t.dtype === "int32") {
    // to tens, hundreds…, halves to even, as NumPy (round(1250, -2) = 1200): in float64, where
    // x / 10^k is correctly rounded, so a tie stays an exact half
    const f = scalarTensor(10 ** -decimals, "float64");
    return P.cast(P.mul(P.round(P.div(P.cast(t, "float64"), f), "even"), f), "int32");
  }
  const f = scalarTensor(10 ** Math.abs(decimals), t.dtype);
  return decimals > 0 ? P.div(P.round(P.mul(t, f), "even"), f) : P.mul(P.round(P.div(t, f), "even"), f);
}
/**
 * x mod y with the sign of y (Python's % and NumPy's mod/remainder), exact; d/dx = 1, d/dy = −⌊x/y⌋.
 * @example
 * mod(tensor([5, -5]), 3) // → [2, 1]
 */
export const mod = binary("mod", P.mod);
export const remainder = mod;
/**
 * ⌊x / y⌋: integers stay integers (NumPy's floor_divide).
 * @example
 * floorDivide(tensor([5, -5]), 3) // → [1, -2]
 */
export function floorDivide(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = operands("floorDivide", [x, y]);
  if (isFloatDType(a.dtype)) return P.round(P.div(a, b), "floor");
  return P.cast(P.round(P.div(P.cast(a, "float64"), P.cast(b, "float64")), "floor"), a.dtype);
}
/**
 * [floorDivide(x, y), mod(x, y)].
 * @example
 * divmod(7, 2) // → [3, 1]
 */
export const divmod = (x: TensorLike, y: TensorLike): [Tensor, Tensor] => [floorDivide(x, y), mod(x, y)];
/**
 * x limited to [lo, hi]; either bound may be null or left out (NumPy's and JAX's clip).
 * @example
 * clip(tensor([-2, 0, 2]), -1, 1) // → [-1, 0, 1]
 */
export function clip(x: TensorLike, lo?: TensorLike | null, hi?: TensorLike | null): Tensor {
  let t = lo === undefined || lo === null ? asTensor(x, "clip") : maximum(x, lo);
  if (hi !== undefined && hi !== null) t = minimum(t, hi);
  return t;
}
/**
 * where(cond, x, y): elements of x where cond is true, of y elsewhere (broadcast together).
 * where(cond) alone: the indices where cond is true, one int32 tensor per axis (NumPy's nonzero).
 * @example
 * where(tensor([true, false]), 1, 2) // → [1, 2]
 * where(tensor([0, 3, 0, 4]).gt(0)) // → [[1, 3]]
 */
export function where(cond: TensorLike, x: TensorLike, y: TensorLike): Tensor;
export function where(cond: TensorLike, opts?: NonzeroOptions): Tensor[];
export function where(cond: TensorLike, x?: TensorLike | NonzeroOptions, y?: TensorLike): Tensor | Tensor[] {
  if (y === undefined && (x === undefined || (typeof x === "object" && x !== null && !(x instanceof Tensor) && !Array.isArray(x) && !ArrayBuffer.isView(x)))) return nonzero(cond, x as NonzeroOptions | undefined);
  if (x === undefined || y === undefined) throw new InputError("where: pass both x and y, or neither (then it returns the indices where cond is true)");
  const c = asTensor(cond, "where");
  if (c.dtype !== "bool") throw new DTypeError(`where: the condition must be a bool tensor; got ${c.dtype}${fmtShape(c.shape)}; compare first (x.gt(0))`);
  const [a, b] = operands("where", [x as TensorLike, y]);
  return P.where(c, a, b);
}

export interface NonzeroOptions {
  /** The number of indices to return (jittable): the first `size` non-zeros, padded with fillValue. Without it x must be concrete. */
  size?: number;
  fillValue?: number;
}
/**
 * Flat indices of x's non-zero (true) elements, int32, in order.
 * @example
 * flatnonzero(tensor([0, 3, 0, 4])) // → [1, 3]
 */
export function flatnonzero(x: TensorLike, options?: NonzeroOptions): Tensor {
  const opts = checkOptions("nonzero", options, ["size", "fillValue"]);
  const t = asTensor(x, "flatnonzero");
  const flat = S.reshape(t, [t.size]);
  const mask = P.compare(flat, scalarTensor(0, t.dtype), "ne");
  let size = opts.size;
  if (size === undefined) {
    if (!t.isConcrete()) throw new ConcretizationError("nonzero: under a transformation the number of non-zeros is not known; pass { size } (results beyond the count are fillValue)");
    size = (mask.toArray() as boolean[]).filter(Boolean).length;
  }
  if (!Number.isInteger(size) || size < 0) throw new InputError(`nonzero: size must be a non-negative integer; got ${fmtValue(size)}`);
  // position of each non-zero among the non-zeros (a cumulative count); the others go to a spare slot
  const maskInt = P.cast(mask, "int32");
  const pos = P.sub(cumsum(maskInt), scalarTensor(1, "int32"));
  const spare = scalarTensor(size, "int32");
  const target = P.where(mask, P.where(P.compare(pos, spare, "lt"), pos, spare), spare);
  const idx = arange(0, t.size, 1, { dtype: "int32" });
  const slots = indexAdd(zeros([size + 1], { dtype: "int32" }), target, idx);
  const found = S.slice(slots, [0], [size]);
  const count = sum(maskInt);
  const fill = scalarTensor(opts.fillValue ?? 0, "int32");
  return P.where(P.compare(arange(0, size, 1, { dtype: "int32" }), count, "lt"), found, fill);
}
/**
 * The indices of x's non-zero (true) elements, one int32 tensor per axis (NumPy's nonzero; see NonzeroOptions for use under jit).
 * @example
 * nonzero(tensor([[1, 0], [0, 1]])) // → [[0, 1], [0, 1]]
 */
export function nonzero(x: TensorLike, opts?: NonzeroOptions): Tensor[] {
  const t = asTensor(x, "nonzero");
  const flat = flatnonzero(t, opts);
  if (t.ndim <= 1) return [flat];
  const out: Tensor[] = [];
  let stride = t.size;
  for (const d of t.shape) {
    stride /= d;
    out.push(mod(floorDivide(flat, stride), d));
  }
  return out;
}
/**
 * The indices of x's non-zero (true) elements as rows, [count, ndim] int32.
 * @example
 * argwhere(tensor([0, 3, 0, 4])) // → [[1], [3]]
 */
export function argwhere(x: TensorLike, opts?: NonzeroOptions): Tensor {
  const t = asTensor(x, "argwhere");
  return stack(nonzero(t, opts), 1);
}
/**
 * x converted to another dtype (float to int truncates toward zero).
 * @example
 * cast(tensor([1.7, -1.7]), "int32") // → [1, -1]
 */
export function cast(x: TensorLike, dtype: DType): Tensor {
  return P.cast(asTensor(x, "cast"), checkDType(dtype, "cast"));
}
/**
 * The identity on values whose derivative is zero: gradients do not flow through it.
 * @example
 * grad((x: Tensor) => mul(x, stopGradient(x)))(3) // → 3
 */
export function stopGradient(x: TensorLike): Tensor {
  return P.stopGradient(asTensor(x, "stopGradient"));
}

// ---- comparison and logic ------------------------------------------------------------------

const cmp = (op: P.CompareOp) => (x: TensorLike, y: TensorLike): Tensor => {
  const [a, b] = operands(op, [x, y]);
  return P.compare(a, b, op);
};
/**
 * x < y, elementwise, as bools (also le, gt, ge, eq, ne; less, greater …).
 * @example
 * lt(tensor([1, 3]), 2) // → [true, false]
 * le(tensor([1, 3]), 1) // → [true, false]
 * gt(tensor([1, 3]), 2) // → [false, true]
 * ge(tensor([1, 3]), 3) // → [false, true]
 * eq(tensor([1, 3]), 3) // → [false, true]
 * ne(tensor([1, 3]), 3) // → [true, false]
 */
export const lt = cmp("lt"), le = cmp("le"), gt = cmp("gt"), ge = cmp("ge"), eq = cmp("eq"), ne = cmp("ne");
export const less = lt, lessEqual = le, greater = gt, greaterEqual = ge, equal = eq, notEqual = ne;

const bool = (x: TensorLike, op: string) => {
  const t = asTensor(x, op);
  if (t.dtype !== "bool") throw new DTypeError(`${op}: needs bool tensors; got ${t.dtype}${fmtShape(t.shape)}`);
  return t;
};
/**
 * x and y, elementwise, on bool tensors.
 * @example
 * logicalAnd(tensor([true, true]), tensor([true, false])) // → [true, false]
 */
export const logicalAnd = (x: TensorLike, y: TensorLike) => P.where(bool(x, "logicalAnd"), bool(y, "logicalAnd"), scalarTensor(0, "bool"));
/**
 * x or y, elementwise, on bool tensors.
 * @example
 * logicalOr(tensor([true, false]), tensor([false, false])) // → [true, false]
 */
export const logicalOr = (x: TensorLike, y: TensorLike) => P.where(bool(x, "logicalOr"), scalarTensor(1, "bool"), bool(y, "logicalOr"));
/**
 * not x, elementwise, on bool tensors.
 * @example
 * logicalNot(tensor([true, false])) // → [false, true]
 */
export const logicalNot = (x: TensorLike) => P.compare(bool(x, "logicalNot"), scalarTensor(0, "bool"), "eq");
/**
 * Whether each element is NaN.
 * @example
 * isNaN(tensor([NaN, 1])) // → [true, false]
 */
export const isNaN = (x: TensorLike) => { const t = asTensor(x, "isNaN"); return P.compare(t, t, "ne"); };
/**
 * Whether each element is finite (not ±∞, not NaN).
 * @example
 * isFinite(tensor([Infinity, 1])) // → [false, true]
 */
export const isFinite = (x: TensorLike) => { const t = floatOperand("isFinite", x); return P.compare(abs(t), scalarTensor(Infinity, t.dtype), "lt"); };
/**
 * Whether each element is +∞ or −∞ (NaN is not).
 * @example
 * isInf(tensor([Infinity, -Infinity, NaN, 1])) // → [true, true, false, false]
 */
export const isInf = (x: TensorLike) => { const t = floatOperand("isInf", x); return P.compare(abs(t), scalarTensor(Infinity, t.dtype), "eq"); };

// ---- reductions -----------------------------------------------------------------------------

function keep(op: string, x: Tensor, r: Tensor, axes: number[], keepdims: boolean): Tensor {
  // "false" (a string) is truthy: a mistaken keepdims would keep the axes silently
  if (typeof keepdims !== "boolean") throw new InputError(`${op}: keepdims must be true or false; got ${fmtValue(keepdims)}`);
  return keepdims ? keptAxes(x, r, axes) : r;
}
/** r, reduced from t over `axes`, with those axes put back as size 1 (to broadcast against t). */
const keptAxes = (t: Tensor, r: Tensor, axes: number[]): Tensor => S.reshape(r, R.keptShape(t.shape, axes));

/**
 * Sum over `axis` (all axes by default).
 * @example
 * sum(tensor([[1, 2], [3, 4]])) // → 10
 * sum(tensor([[1, 2], [3, 4]]), 0) // → [4, 6]
 */
export function sum(x: TensorLike, axis?: Axis, keepdims = false): Tensor {
  const t = asTensor(x, "sum");
  const axes = normalizeAxes("sum", axis, t.ndim);
  return keep("sum", t, R.reduceSum(t, axes), axes, keepdims);
}
/**
 * The mean over `axis` (all elements by default), with `keepdims`.
 * @example
 * mean(tensor([1, 2, 3, 4])) // → 2.5
 */
export function mean(x: TensorLike, axis?: Axis, keepdims = false): Tensor {
  const t = floatOperand("mean", x);
  const axes = normalizeAxes("mean", axis, t.ndim);
  const n = axes.reduce((s, a) => s * t.shape[a], 1);
  return P.div(sum(t, axes, keepdims), scalarTensor(n, t.dtype));
}
/**
 * The maximum over `axis` (all elements by default); ties share the derivative.
 * @example
 * max(tensor([[1, 5], [3, 2]]), 1) // → [5, 3]
 */
export function max(x: TensorLike, axis?: Axis, keepdims = false): Tensor {
  const t = asTensor(x, "max");
  const axes = normalizeAxes("max", axis, t.ndim);
  return keep("max", t, R.reduceMax(t, axes), axes, keepdims);
}
/**
 * Minimum over `axis`: −max(−x) (ints and bools through float64, where negation is exact).
 * @example
 * min(tensor([[1, 5], [3, 2]]), 1) // → [1, 2]
 */
export function min(x: TensorLike, axis?: Axis, keepdims = false): Tensor {
  const t = asTensor(x, "min");
  if (isFloatDType(t.dtype)) return P.neg(max(P.neg(t), axis, keepdims));
  return P.cast(P.neg(max(P.neg(P.cast(t, "float64")), axis, keepdims)), t.dtype);
}
/**
 * Index of the maximum along `axis` (of the flattened tensor when omitted); the first index wins ties.
 * @example
 * argmax(tensor([1, 5, 3])) // → 1
 */
export function argmax(x: TensorLike, axis?: number): Tensor {
  const t = asTensor(x, "argmax");
  if (axis === undefined || axis === null) return R.argmax(S.reshape(t, [t.size]), 0);
  return R.argmax(t, normalizeAxis("argmax", axis, t.ndim));
}
/**
 * The index of the minimum (of the flattened tensor, or along `axis`).
 * @example
 * argmin(tensor([4, 1, 3])) // → 1
 */
export function argmin(x: TensorLike, axis?: number): Tensor {
  const t = asTensor(x, "argmin");
  return argmax(P.neg(isFloatDType(t.dtype) ? t : P.cast(t, "float64")), axis);
}
/**
 * Product over `axis`, as a balanced tree of pairwise multiplications: O(n) work, O(log n) depth,
 * exact derivatives even where elements are zero (unlike exp(Σ log x)).
 * @example
 * prod(tensor([1, 2, 3, 4])) // → 24
 */
export function prod(x: TensorLike, axis?: Axis, keepdims = false): Tensor {
  const t = intIfBool(asTensor(x, "prod"));
  const axes = normalizeAxes("prod", axis, t.ndim);
  const kept = t.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outShape = kept.map((i) => t.shape[i]);
  const k = axes.reduce((s, a) => s * t.shape[a], 1);
  let y = S.reshape(S.transpose(t, [...kept, ...axes]), [...outShape, k]);
  const last = outShape.length;
  let n = k;
  if (n === 0) y = S.broadcastTo(scalarTensor(1, t.dtype), [...outShape, 1]), (n = 1);
  while (n > 1) {
    if (n % 2 === 1) y = S.concat([y, S.broadcastTo(scalarTensor(1, t.dtype), [...outShape, 1])], last), n++;
    const h = n / 2;
    const lo = y.shape.map(() => 0), mid = [...outShape, h], hiStart = [...outShape.map(() => 0), h];
    y = P.mul(S.slice(y, lo, mid), S.slice(y, hiStart, [...outShape, n]));
    n = h;
  }
  return keep("prod", t, S.reshape(y, outShape), axes, keepdims);
}
/**
 * log Σ exp(x), computed stably by subtracting the (gradient-stopped) maximum.
 * @example
 * logSumExp(tensor([0, 0])) // ≈ 0.6931471805599453
 */
export function logSumExp(x: TensorLike, axis?: Axis, keepdims = false): Tensor {
  const t = floatOperand("logSumExp", x);
  const axes = normalizeAxes("logSumExp", axis, t.ndim);
  if (axes.some((a) => t.shape[a] === 0)) return keep("logSumExp", t, P.log(R.reduceSum(P.exp(t), axes)), axes, keepdims); // log of an empty sum: −∞
  const m = stableShift(t, axes);
  const r = P.add(P.log(R.reduceSum(P.exp(P.sub(t, keptAxes(t, m, axes))), axes)), m);
  return keep("logSumExp", t, r, axes, keepdims);
}
/** The max over `axes`, held constant for derivatives and 0 where it is ±∞: the shift that keeps e^(x − m) finite. */
function stableShift(t: Tensor, axes: number[]): Tensor {
  const m0 = P.stopGradient(R.reduceMax(t, axes));
  return P.where(P.compare(abs(m0), scalarTensor(Infinity, t.dtype), "lt"), m0, scalarTensor(0, t.dtype));
}
/**
 * log(softmax(x)) along `axis` (default: the last), computed stably.
 * @example
 * logSoftmax(tensor([0, 0])) // ≈ [-0.6931471805599453, -0.6931471805599453]
 */
export function logSoftmax(x: TensorLike, axis = -1): Tensor {
  const t = floatOperand("logSoftmax", x);
  const [shifted, a] = shiftedByMax("logSoftmax", t, axis);
  if (shifted === null) return t; // an empty axis: nothing to normalise
  // (x − m) − log Σ e^(x − m): as JAX's; x − (m + log Σ) would round m + log Σ first (~1e-13 off at |x| ~ 1000)
  return P.sub(shifted, keptAxes(t, P.log(R.reduceSum(P.exp(shifted), [a])), [a]));
}
/** x − stableShift(x) along one axis, or null for an empty axis. */
function shiftedByMax(op: string, t: Tensor, axis: number): [Tensor | null, number] {
  const a = normalizeAxis(op, axis, t.ndim);
  if (t.shape[a] === 0) return [null, a];
  return [P.sub(t, keptAxes(t, stableShift(t, [a]), [a])), a];
}
/**
 * eˣ normalised to sum to 1 along `axis` (default: the last), computed stably.
 * @example
 * softmax(tensor([0, 0])) // → [0.5, 0.5]
 */
export function softmax(x: TensorLike, axis = -1): Tensor {
  const t = floatOperand("softmax", x);
  const [shifted, a] = shiftedByMax("softmax", t, axis);
  if (shifted === null) return t;
  // e^(x − m) / Σ e^(x − m), as JAX's: exact ½ for two equal entries, where e^(log-softmax) was 0.5000000000000275 at 1000
  const e = P.exp(shifted);
  return P.div(e, keptAxes(t, R.reduceSum(e, [a]), [a]));
}
/**
 * Vector norm over `axis` (all by default), as NumPy's: ord 2 (Euclidean, the default), 1,
 * Infinity (max |x|), −Infinity (min |x|), 0 (the number of non-zeros), or any other p:
 * (Σ|x|ᵖ)^(1/p) (negative p too: a zero element makes it 0).
 * NOTE: at the zero vector the gradient of the p-norms with p > 1 is taken as 0 (a subgradient)
 * instead of 0/0; ord 0's derivative is 0.
 * @example
 * norm(tensor([3, 4])) // → 5
 * norm(tensor([3, -4]), -Infinity) // → 3
 */
export function norm(x: TensorLike, ord = 2, axis?: Axis, keepdims = false): Tensor {
  const t = floatOperand("norm", x);
  if (typeof ord !== "number" || Number.isNaN(ord)) throw new InputError(`norm: ord must be a number (2, 1, Infinity, −Infinity, 0 or any p); got ${fmtValue(ord)}`);
  if (ord === 1) return sum(abs(t), axis, keepdims);
  if (ord === Infinity) return max(abs(t), axis, keepdims);
  if (ord === -Infinity) return min(abs(t), axis, keepdims);
  const zero = scalarTensor(0, t.dtype), one = scalarTensor(1, t.dtype);
  if (ord === 0) return sum(P.cast(P.compare(t, zero, "ne"), t.dtype), axis, keepdims);
  const s = ord === 2 ? sum(P.mul(t, t), axis, keepdims) : sum(P.pow(abs(t), scalarTensor(ord, t.dtype)), axis, keepdims);
  if (ord < 1) return P.pow(s, scalarTensor(1 / ord, t.dtype));
  // s^(1/p) at s = 0 would give 0 · ∞ in the derivative: the "double where"
  const isZero = P.compare(s, zero, "eq");
  const safe = P.where(isZero, one, s);
  return P.where(isZero, zero, ord === 2 ? P.sqrt(safe) : P.pow(safe, scalarTensor(1 / ord, t.dtype)));
}

// ---- shapes -----------------------------------------------------------------------------------

/**
 * Reshape; one axis may be -1 and is inferred.
 * @example
 * reshape(arange(6), [2, 3]) // → [[0, 1, 2], [3, 4, 5]]
 */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = asTensor(x, "reshape");
  if (!Array.isArray(shape) || shape.length > 64) throw new ShapeError(`reshape: the target shape must be an array of at most 64 integers; got ${fmtValue(shape)}`);
  const infer = shape.filter((d) => d === -1).length;
  if (infer > 1 || shape.some((d) => !(typeof d === "number" && Number.isInteger(d) && d >= -1))) {
    throw new ShapeError(`reshape: invalid target shape ${fmtValue(shape)} (non-negative integers, at most one -1)`);
  }
  let target = [...shape];
  if (infer) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || t.size % known !== 0) throw new ShapeError(`reshape: cannot reshape ${fmtShape(t.shape)} (${t.size} elements) to ${fmtShape(shape)}`);
    target = shape.map((d) => (d === -1 ? t.size / known : d));
  }
  return S.reshape(t, target);
}
/**
 * x as a vector.
 * @example
 * flatten(tensor([[1, 2], [3, 4]])) // → [1, 2, 3, 4]
 */
export function flatten(x: TensorLike): Tensor {
  return reshape(x, [-1]);
}
/**
 * Permute axes (reverse them by default).
 * @example
 * transpose(tensor([[1, 2], [3, 4]])) // → [[1, 3], [2, 4]]
 */
export function transpose(x: TensorLike, perm?: readonly number[]): Tensor {
  const t = asTensor(x, "transpose");
  if (perm !== undefined && perm !== null && !Array.isArray(perm)) throw new ShapeError(`transpose: perm must be an array of axes (a permutation of 0…${t.ndim - 1}); got ${fmtValue(perm)}`);
  const p = perm ? perm.map((a) => normalizeAxis("transpose", a, t.ndim)) : t.shape.map((_, i) => t.ndim - 1 - i);
  return S.transpose(t, p);
}
/**
 * x with axes a and b exchanged (negative axes count from the end).
 * @example
 * swapaxes(zeros([2, 3, 4]), 0, 2).shape // → [4, 3, 2]
 */
export function swapaxes(x: TensorLike, a: number, b: number): Tensor {
  const t = asTensor(x, "swapaxes");
  const i = normalizeAxis("swapaxes", a, t.ndim), j = normalizeAxis("swapaxes", b, t.ndim);
  return S.transpose(t, t.shape.map((_, k) => (k === i ? j : k === j ? i : k)));
}
/**
 * x with the axes `source` moved to positions `destination` (the others keep their order), as NumPy's moveaxis.
 * @example
 * moveaxis(zeros([2, 3, 4]), 0, -1).shape // → [3, 4, 2]
 */
export function moveaxis(x: TensorLike, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  const t = asTensor(x, "moveaxis");
  const axesOf = (v: unknown): number[] => {
    if (typeof v === "number") return [v];
    if (!Array.isArray(v)) throw new ShapeError(`moveaxis: source and destination are an axis or an array of axes; got ${fmtValue(v)}`);
    return [...v];
  };
  const src = axesOf(source).map((a) => normalizeAxis("moveaxis", a, t.ndim));
  const dst = axesOf(destination).map((a) => normalizeAxis("moveaxis", a, t.ndim));
  if (src.length !== dst.length || new Set(src).size !== src.length || new Set(dst).size !== dst.length) throw new InputError(`moveaxis: source and destination must be as many distinct axes; got ${fmtValue(source)} and ${fmtValue(destination)}`);
  const rest = t.shape.map((_, k) => k).filter((k) => !src.includes(k));
  const perm = new Array<number>(t.ndim);
  src.forEach((s, k) => (perm[dst[k]] = s));
  for (let k = 0, r = 0; k < t.ndim; k++) if (perm[k] === undefined) perm[k] = rest[r++];
  return S.transpose(t, perm);
}
/**
 * Each matrix in the last two axes transposed (JAX's matrix_transpose, x.mT).
 * @example
 * matrixTranspose(zeros([5, 2, 3])).shape // → [5, 3, 2]
 */
export const matrixTranspose = (x: TensorLike): Tensor => swapaxes(x, -1, -2);
/**
 * x repeated to `shape` by NumPy broadcasting (no copy until needed); its transpose sums.
 * @example
 * broadcastTo(tensor([1, 2]), [2, 2]) // → [[1, 2], [1, 2]]
 */
export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  return S.broadcastTo(asTensor(x, "broadcastTo"), checkShape(shape, "broadcastTo"));
}
/**
 * Insert axes of size 1 at `axis` (one position, or several: positions in the result, as NumPy).
 * @example
 * expandDims(tensor([1, 2]), 0).shape // → [1, 2]
 */
export function expandDims(x: TensorLike, axis: number | readonly number[]): Tensor {
  const t = asTensor(x, "expandDims");
  const list = typeof axis === "number" ? [axis] : Array.isArray(axis) ? axis : null;
  if (list === null) throw new InputError(`expandDims: axis must be an integer or an array of integers; got ${fmtValue(axis)}`);
  const nd = t.ndim + list.length;
  const axes = list.map((a) => normalizeAxis("expandDims", a, nd));
  if (new Set(axes).size !== axes.length) throw new ShapeError(`expandDims: repeated axis in ${fmtValue(list)}`);
  const shape: number[] = [];
  for (let i = 0, k = 0; i < nd; i++) shape.push(axes.includes(i) ? 1 : t.shape[k++]);
  return S.reshape(t, shape);
}
/**
 * Remove axes of size 1 (all of them, or those in `axis`).
 * @example
 * squeeze(zeros([1, 3, 1])).shape // → [3]
 */
export function squeeze(x: TensorLike, axis?: Axis): Tensor {
  const t = asTensor(x, "squeeze");
  const axes = axis === undefined || axis === null ? t.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes("squeeze", axis, t.ndim);
  for (const a of axes) if (t.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of shape ${fmtShape(t.shape)} has size ${t.shape[a]}, not 1`);
  return S.reshape(t, t.shape.filter((_, i) => !axes.includes(i)));
}
/**
 * Tensors joined along an existing axis (default 0).
 * @example
 * concat([tensor([1]), tensor([2, 3])]) // → [1, 2, 3]
 */
export function concat(xs: readonly TensorLike[], axis = 0): Tensor {
  if (!Array.isArray(xs)) throw new InputError(`concat: needs an array of tensors; got ${fmtValue(xs)}`);
  if (xs.length === 0) throw new ShapeError("concat: needs at least one tensor");
  const ts = operands("concat", [...xs]);
  const nd = ts[0].ndim;
  if (nd === 0) throw new ShapeError("concat: cannot concatenate rank-0 tensors; use stack");
  for (const t of ts) if (t.ndim !== nd) throw new ShapeError(`concat: ranks differ: ${ts.map((u) => fmtShape(u.shape)).join(", ")}`);
  return S.concat(ts, normalizeAxis("concat", axis, nd));
}
/**
 * Tensors of one shape stacked along a new axis (default 0).
 * @example
 * stack([tensor([1, 2]), tensor([3, 4])]) // → [[1, 2], [3, 4]]
 */
export function stack(xs: readonly TensorLike[], axis = 0): Tensor {
  if (!Array.isArray(xs)) throw new InputError(`stack: needs an array of tensors; got ${fmtValue(xs)}`);
  if (xs.length === 0) throw new ShapeError("stack: needs at least one tensor");
  const ts = operands("stack", [...xs]);
  for (const t of ts) if (!shapeEq(t.shape, ts[0].shape)) throw new ShapeError(`stack: shapes differ: ${ts.map((u) => fmtShape(u.shape)).join(", ")}`);
  const a = normalizeAxis("stack", axis, ts[0].ndim, 1);
  return S.concat(ts.map((t) => expandDims(t, a)), a);
}

/** One axis of a `slice` spec: an index (drops the axis), [start, stop?, step?] or null (everything). */
export type SliceSpec = number | null | readonly [(number | null)?, (number | null)?, (number | null)?];

/**
 * Basic indexing: `slice(x, 0)` is x[0]; `slice(x, null, [1, -1])` is x[:, 1:-1]; `[0, null, 2]`
 * is ::2; `[null, null, -1]` is ::-1 (NumPy's rules for negative steps). Negative indices count
 * from the end; missing trailing specs take whole axes.
 * @example
 * slice(arange(6), [1, null, 2]) // → [1, 3, 5]
 * slice(tensor([[1, 2], [3, 4]]), null, 0) // → [1, 3]
 */
export function slice(x: TensorLike, ...specs: SliceSpec[]): Tensor {
  const t = asTensor(x, "slice");
  if (specs.length > t.ndim) throw new ShapeError(`slice: ${specs.length} indices for a tensor of shape ${fmtShape(t.shape)}`);
  const starts: number[] = [], limits: number[] = [], steps: number[] = [], dropped: number[] = [];
  const reversed: [number, number[]][] = [];
  t.shape.forEach((d, i) => {
    const s = specs[i];
    if (typeof s === "number") {
      if (!Number.isInteger(s) || s < -d || s >= d) throw new ShapeError(`slice: index ${s} is out of bounds for axis ${i} of size ${d} (shape ${fmtShape(t.shape)})`);
      const k = s < 0 ? s + d : s;
      starts.push(k), limits.push(k + 1), steps.push(1), dropped.push(i);
      return;
    }
    if (s !== null && s !== undefined && !Array.isArray(s)) throw new ShapeError(`slice: spec ${fmtValue(s)} for axis ${i} must be an index, [start, stop, step] or null`);
    const [a, b, c] = s ?? [];
    for (const v of [a, b, c]) {
      if (v !== undefined && v !== null && !(typeof v === "number" && Number.isInteger(v))) {
        throw new ShapeError(`slice: start, stop and step must be integers (or null); got ${fmtValue(s)} for axis ${i} of shape ${fmtShape(t.shape)}`);
      }
    }
    const step = c ?? 1;
    if (!Number.isInteger(step) || step === 0) throw new ShapeError(`slice: step ${step} on axis ${i} must be a nonzero integer`);
    if (step < 0) {
      // NumPy's reversed slice: from start (default the last) down to just above stop (default: past the first)
      const clampNeg = (v: number | null | undefined, dflt: number) => (v === undefined || v === null ? dflt : Math.min(d - 1, Math.max(-1, v < 0 ? v + d : v)));
      const hi = clampNeg(a, d - 1), lo = clampNeg(b, -1);
      const picks: number[] = [];
      for (let k = hi; k > lo; k += step) picks.push(k);
      reversed.push([i, picks]);
      starts.push(0), limits.push(d), steps.push(1);
      return;
    }
    const clampIdx = (v: number | null | undefined, dflt: number) => (v === undefined || v === null ? dflt : Math.min(d, Math.max(0, v < 0 ? v + d : v)));
    const start = clampIdx(a, 0), stop = Math.max(start, clampIdx(b, d));
    starts.push(start), limits.push(stop), steps.push(step);
  });
  let r = S.slice(t, starts, limits, steps);
  // reversed axes: a gather of the picked indices (so derivatives scatter back to them)
  for (const [axis, picks] of reversed) r = S.gather(r, tensor(picks, { dtype: "int32" }), axis);
  return dropped.length ? S.reshape(r, r.shape.filter((_: number, i: number) => !dropped.includes(i))) : r;
}
/**
 * Gather along `axis` with int32 indices (of the flattened tensor when `axis` is omitted, as NumPy).
 * @example
 * take(tensor([10, 20, 30]), tensor([2, 0], { dtype: "int32" })) // → [30, 10]
 */
export function take(x: TensorLike, indices: TensorLike, axis?: number): Tensor {
  let t = asTensor(x, "take");
  const idx = asTensor(typeof indices === "number" ? indices : indices, "take");
  const i32 = idx.dtype === "int32" ? idx : idx.dtype === "float64" && isIntegral(idx) ? P.cast(idx, "int32") : idx;
  if (axis === undefined || axis === null) {
    t = S.reshape(t, [t.size]);
    axis = 0;
  }
  return S.gather(t, i32, normalizeAxis("take", axis, t.ndim));
}
/**
 * Zero padding: `widths[i] = [before, after]` for each axis.
 * @example
 * pad(tensor([1, 2]), [[1, 2]]) // → [0, 1, 2, 0, 0]
 */
export function pad(x: TensorLike, widths: readonly (readonly [number, number])[]): Tensor {
  const t = asTensor(x, "pad");
  if (!Array.isArray(widths) || widths.some((w) => !Array.isArray(w) || w.length !== 2)) throw new ShapeError(`pad: widths must be one [before, after] pair per axis of shape ${fmtShape(t.shape)}; got ${fmtValue(widths)}`);
  if (widths.length !== t.ndim) throw new ShapeError(`pad: ${widths.length} [before, after] pairs for a tensor of rank ${t.ndim} (shape ${fmtShape(t.shape)})`);
  return S.pad(t, widths.map((w) => w[0]), widths.map((w) => w[1]));
}
/**
 * x with `values` added at `indices` along `axis` (repeated indices accumulate, as NumPy's add.at).
 * @example
 * indexAdd(zeros([3]), tensor([0, 0, 2], { dtype: "int32" }), tensor([1, 2, 5])) // → [3, 0, 5]
 */
export function indexAdd(x: TensorLike, indices: TensorLike, values: TensorLike, axis = 0): Tensor {
  const [t, v] = operands("indexAdd", [x, values]);
  const idx = asTensor(indices, "indexAdd");
  const i32 = idx.dtype === "int32" ? idx : idx.dtype === "float64" && isIntegral(idx) ? P.cast(idx, "int32") : idx;
  const a = normalizeAxis("indexAdd", axis, t.ndim);
  const want = [...t.shape.slice(0, a), ...i32.shape, ...t.shape.slice(a + 1)];
  return P.add(t, S.scatterAdd(S.broadcastTo(v, want), i32, a, t.shape));
}
function isIntegral(t: Tensor): boolean {
  if (!(t instanceof ArrayTensor)) return false;
  return t.data.every((v) => Number.isInteger(v));
}

// ---- linear algebra -------------------------------------------------------------------------

/**
 * Matrix product with NumPy semantics: 1-D operands are promoted and the added axis removed; batch axes broadcast.
 * @example
 * matmul(tensor([[1, 2], [3, 4]]), tensor([1, 1])) // → [3, 7]
 */
export function matmul(a: TensorLike, b: TensorLike): Tensor {
  let [x, y] = operands("matmul", [a, b]);
  if (x.ndim === 0 || y.ndim === 0) throw new ShapeError(`matmul: operands must have rank ≥ 1; got ${fmtShape(x.shape)} and ${fmtShape(y.shape)} (use mul for scalars)`);
  const xv = x.ndim === 1, yv = y.ndim === 1;
  if (xv) x = S.reshape(x, [1, x.shape[0]]);
  if (yv) y = S.reshape(y, [y.shape[0], 1]);
  if (x.shape[x.ndim - 1] !== y.shape[y.ndim - 2]) {
    throw new ShapeError(`matmul: shapes ${fmtShape(xv ? [x.shape[1]] : x.shape)} and ${fmtShape(yv ? [y.shape[0]] : y.shape)} do not match: contracted sizes ${x.shape[x.ndim - 1]} and ${y.shape[y.ndim - 2]} differ`);
  }
  const batch = broadcastShapes("matmul", x.shape.slice(0, -2), y.shape.slice(0, -2));
  x = S.broadcastTo(x, [...batch, ...x.shape.slice(-2)]);
  y = S.broadcastTo(y, [...batch, ...y.shape.slice(-2)]);
  let z = L.matmul(x, y);
  if (xv || yv) z = S.reshape(z, [...batch, ...(xv ? [] : [z.shape[z.ndim - 2]]), ...(yv ? [] : [z.shape[z.ndim - 1]])]);
  return z;
}
/**
 * NumPy's dot: a product for scalars, matmul up to 2-D; for N-D, the sum over a's last axis and b's
 * second-to-last (its only one for a vector), every other axis of a then of b kept (no broadcasting).
 * @example
 * dot(tensor([1, 2]), tensor([3, 4])) // → 11
 */
export function dot(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("dot", [a, b]);
  if (x.ndim === 0 || y.ndim === 0) return P.mul(x, y);
  if (x.ndim <= 2 && y.ndim <= 2) return matmul(x, y);
  const ka = x.shape[x.ndim - 1], yb = y.ndim === 1 ? 0 : y.ndim - 2;
  if (ka !== y.shape[yb]) throw new ShapeError(`dot: shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)} do not match: the last axis of the first (${ka}) must equal the ${y.ndim === 1 ? "only" : "second-to-last"} axis of the second (${y.shape[yb]})`);
  return tensordot(x, y, [[x.ndim - 1], [yb]]);
}
/**
 * The outer product of two vectors: a[i]·b[j].
 * @example
 * outer(tensor([1, 2]), tensor([3, 4])) // → [[3, 4], [6, 8]]
 */
export function outer(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("outer", [a, b]);
  return P.mul(S.reshape(x, [x.size, 1]), S.reshape(y, [1, y.size]));
}

// ---- constructors ---------------------------------------------------------------------------

type DTypeOpt = { dtype?: DType };
/**
 * A tensor of `shape` filled with a value.
 * @example
 * full([2], 7) // → [7, 7]
 */
export function full(shape: readonly number[], value: number | boolean, options?: DTypeOpt): Tensor {
  const opts = checkOptions("full", options, ["dtype"]);
  const s = checkShape(shape, "full");
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new InputError(`full: the fill value must be a number or a boolean; got ${fmtValue(value)}`);
  }
  const dtype = checkDType(opts.dtype ?? (typeof value === "boolean" ? "bool" : "float64"), "full");
  if (dtype === "int32" && !isInt32(+value)) throw new InputError(`full: ${value} is not a 32-bit integer, so it cannot fill an int32 tensor; round it first or use float64`);
  return ArrayTensor.filled(+value, s, dtype);
}
const isInt32 = (v: number) => Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
/**
 * A tensor of zeros (float64 unless `dtype` says otherwise).
 * @example
 * zeros([2]) // → [0, 0]
 */
export const zeros = (shape: readonly number[], opts?: DTypeOpt) => full(shape, 0, opts);
/**
 * A tensor of ones.
 * @example
 * ones([2], { dtype: "int32" }) // → [1, 1]
 */
export const ones = (shape: readonly number[], opts?: DTypeOpt) => full(shape, 1, opts);
/**
 * Zeros with x's shape and dtype.
 * @example
 * zerosLike(tensor([1, 2])) // → [0, 0]
 */
export const zerosLike = (x: TensorLike, opts?: DTypeOpt) => { const t = asTensor(x, "zerosLike"); return full(t.shape, 0, { dtype: checkOptions("zerosLike", opts, ["dtype"]).dtype ?? t.dtype }); };
/**
 * Ones with x's shape and dtype.
 * @example
 * onesLike(tensor([1, 2])) // → [1, 1]
 */
export const onesLike = (x: TensorLike, opts?: DTypeOpt) => { const t = asTensor(x, "onesLike"); return full(t.shape, 1, { dtype: checkOptions("onesLike", opts, ["dtype"]).dtype ?? t.dtype }); };
/**
 * A value in x's shape and dtype.
 * @example
 * fullLike(tensor([1, 2]), 5) // → [5, 5]
 */
export const fullLike = (x: TensorLike, value: number, opts?: DTypeOpt) => { const t = asTensor(x, "fullLike"); return full(t.shape, value, { dtype: checkOptions("fullLike", opts, ["dtype"]).dtype ?? t.dtype }); };
/**
 * n×m identity (m = n by default); `k` shifts the diagonal of ones (k > 0 above, k < 0 below, as NumPy's eye).
 * @example
 * eye(2) // → [[1, 0], [0, 1]]
 * eye(2, 3, { k: 1 }) // → [[0, 1, 0], [0, 0, 1]]
 */
export function eye(n: number, m: number = n, options?: DTypeOpt & { k?: number }): Tensor {
  const opts = checkOptions("eye", options, ["dtype", "k"]);
  const dtype = checkDType(opts.dtype ?? "float64", "eye");
  const k = opts.k ?? 0;
  if (!Number.isInteger(k)) throw new InputError(`eye: k (the diagonal's offset) must be an integer; got ${fmtValue(k)}`);
  checkCount(n, "eye", "the number of rows");
  checkCount(m, "eye", "the number of columns");
  checkSize([n, m], "eye");
  const data = allocate(dtype, n * m);
  for (let i = Math.max(0, -k); i < n && i + k < m; i++) data[i * m + i + k] = 1;
  return new ArrayTensor(data, [n, m], dtype);
}
/**
 * Evenly spaced values in [start, stop). int32 when all arguments are integers, else float64 (as NumPy).
 * @example
 * arange(1, 7, 2) // → [1, 3, 5]
 */
export function arange(start: number, stop?: number, step = 1, options?: DTypeOpt): Tensor {
  const opts = checkOptions("arange", options, ["dtype"]);
  if (stop === undefined) [start, stop] = [0, start];
  for (const [v, what] of [[start, "start"], [stop, "stop"], [step, "step"]] as const) {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new InputError(`arange: ${what} must be a finite number; got ${fmtValue(v)}`);
  }
  if (step === 0) throw new InputError(`arange: step must be a non-zero finite number; got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  if (n > MAX_ELEMENTS) throw new ShapeError(`arange(${start}, ${stop}, ${step}) would have ${n} elements; a tensor can hold at most ${MAX_ELEMENTS}`);
  const dtype = checkDType(opts.dtype ?? ([start, stop, step].every(Number.isInteger) ? "int32" : "float64"), "arange");
  if (dtype === "int32" && n > 0 && !(isInt32(start) && isInt32(start + (n - 1) * step) && Number.isInteger(step))) {
    throw new InputError(
      `arange(${start}, ${stop}, ${step}): the values do not all fit in int32 (${start} … ${start + (n - 1) * step}); ` +
        `pass { dtype: "float64" }, or keep the values within ±2^31`,
    );
  }
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new ArrayTensor(data, [n], dtype);
}
/**
 * `num` evenly spaced values from start to stop (both included). With tensor start or stop (a
 * value being differentiated) it is start + (stop − start)·i/(num − 1), differentiable in both;
 * tensor ends of shape s give shape [num, ...s], as NumPy's.
 * @example
 * linspace(0, 1, 5) // → [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number | Tensor, stop: number | Tensor, num = 50, options?: DTypeOpt): Tensor {
  const opts = checkOptions("linspace", options, ["dtype"]);
  checkCount(num, "linspace", "num");
  if (start instanceof Tensor || stop instanceof Tensor) {
    const [a, b] = operands("linspace", [start, stop], { float: true });
    const shape = broadcastShapes("linspace", a.shape, b.shape);
    const steps = S.reshape(linspace(0, 1, num, { dtype: a.dtype }), [num, ...shape.map(() => 1)]);
    const r = P.add(a, P.mul(P.sub(b, a), steps));
    // the last value is stop itself, as for numbers
    const last = S.reshape(tensor(Array.from({ length: num }, (_, i) => (i === num - 1 ? 1 : 0)), { dtype: a.dtype }), [num, ...shape.map(() => 1)]);
    return num > 1 ? P.where(P.compare(last, scalarTensor(0, a.dtype), "ne"), S.broadcastTo(b, [num, ...shape]), r) : S.broadcastTo(r, [num, ...shape]);
  }
  for (const [v, what] of [[start, "start"], [stop, "stop"]] as const) {
    if (typeof v !== "number") throw new InputError(`linspace: ${what} must be a number or a tensor; got ${fmtValue(v)}`);
  }
  const dtype = checkDType(opts.dtype ?? "float64", "linspace");
  const data = allocate(dtype, num);
  for (let i = 0; i < num; i++) data[i] = num === 1 ? start : start + ((stop - start) * i) / (num - 1);
  if (num > 1) data[num - 1] = stop;
  return new ArrayTensor(data, [num], dtype);
}

// ---- more of NumPy (compositions: their derivatives come from the primitives') ---------------

/**
 * Variance over `axis` (all by default): the mean squared deviation from the mean, divided by
 * n − ddof (NumPy's and JAX's `var`; `ddof: 1` for the unbiased estimate). Exported as `var`.
 * @example
 * tensor([1, 2, 3, 4]).var() // → 1.25
 */
function variance(x: TensorLike, axis?: Axis, keepdims = false, options?: { ddof?: number }): Tensor {
  const opts = checkOptions("var", options, ["ddof"]);
  const t = floatOperand("var", x);
  const axes = normalizeAxes("var", axis, t.ndim);
  const ddof = opts.ddof ?? 0;
  const n = axes.reduce((s, a) => s * t.shape[a], 1);
  if (!Number.isInteger(ddof) || ddof < 0) throw new InputError(`var: ddof must be a non-negative integer; got ${fmtValue(ddof)}`);
  const dev = P.sub(t, mean(t, axes, true));
  return P.div(sum(P.mul(dev, dev), axes, keepdims), scalarTensor(n - ddof, t.dtype));
}
export { variance as var };
/**
 * Standard deviation: √var (the same `axis`, `keepdims`, `ddof`). Its derivative at zero spread is infinite, as √'s at 0.
 * @example
 * std(tensor([1, 3])) // → 1
 */
export function std(x: TensorLike, axis?: Axis, keepdims = false, opts?: { ddof?: number }): Tensor {
  return P.sqrt(variance(x, axis, keepdims, opts));
}
/**
 * log(eᵃ + eᵇ), without overflow: max(a, b) + log1p(e^−|a−b|); ties share the derivative equally.
 * @example
 * logaddexp(0, 0) // ≈ 0.6931471805599453
 */
export function logaddexp(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("logaddexp", [a, b], { float: true });
  const m = P.max(x, y);
  const r = P.add(m, P.log1p(P.exp(P.neg(abs(P.sub(x, y))))));
  // both infinite with one sign (or one +∞): the max itself, where the formula would give NaN
  return P.where(P.compare(abs(m), scalarTensor(Infinity, m.dtype), "eq"), m, r);
}
/** x[lo:hi] along one axis (whole along the others). */
const sliceAxis = (t: Tensor, axis: number, lo: number | null, hi: number | null, step = 1): Tensor => slice(t, ...t.shape.map((_, i): SliceSpec => (i === axis ? [lo, hi, step] : null)));
/**
 * The elements along `axis` (every axis by default) in reverse order: x[::-1].
 * @example
 * flip(tensor([1, 2, 3])) // → [3, 2, 1]
 */
export function flip(x: TensorLike, axis?: Axis): Tensor {
  const t = asTensor(x, "flip");
  return normalizeAxes("flip", axis, t.ndim).reduce((r, a) => sliceAxis(r, a, null, null, -1), t);
}
/**
 * Elements shifted by `shift` along `axis`, wrapping around (of the flattened tensor when `axis` is omitted, as NumPy).
 * @example
 * roll(tensor([1, 2, 3]), 1) // → [3, 1, 2]
 */
export function roll(x: TensorLike, shift: number, axis?: number): Tensor {
  const t = asTensor(x, "roll");
  if (!Number.isInteger(shift)) throw new InputError(`roll: shift must be an integer; got ${fmtValue(shift)}`);
  if (axis === undefined || axis === null) return S.reshape(roll(S.reshape(t, [t.size]), shift, 0), t.shape);
  const a = normalizeAxis("roll", axis, t.ndim);
  const n = t.shape[a];
  const k = n === 0 ? 0 : ((shift % n) + n) % n;
  if (k === 0) return t;
  return S.concat([sliceAxis(t, a, n - k, n), sliceAxis(t, a, 0, n - k)], a);
}
/**
 * The diagonal of the matrices in axes `axis1`, `axis2` (offset > 0: above it), as the last axis
 * (NumPy's and JAX's `diagonal`).
 * @example
 * diagonal(tensor([[1, 2], [3, 4]])) // → [1, 4]
 */
export function diagonal(x: TensorLike, offset = 0, axis1 = 0, axis2 = 1): Tensor {
  const t = asTensor(x, "diagonal");
  if (t.ndim < 2) throw new ShapeError(`diagonal: needs at least 2 axes; got shape ${fmtShape(t.shape)}`);
  if (!Number.isInteger(offset)) throw new InputError(`diagonal: offset must be an integer; got ${fmtValue(offset)}`);
  const a1 = normalizeAxis("diagonal", axis1, t.ndim), a2 = normalizeAxis("diagonal", axis2, t.ndim);
  if (a1 === a2) throw new ShapeError(`diagonal: axis1 and axis2 must differ; both are ${a1}`);
  const rest = t.shape.map((_, i) => i).filter((i) => i !== a1 && i !== a2);
  const moved = S.transpose(t, [...rest, a1, a2]);
  const n = t.shape[a1], m = t.shape[a2];
  const len = Math.max(0, Math.min(n - Math.max(0, -offset), m - Math.max(0, offset)));
  const flat = S.reshape(moved, [...rest.map((i) => t.shape[i]), n * m]);
  const idx = Array.from({ length: len }, (_, i) => (i + Math.max(0, -offset)) * m + i + Math.max(0, offset));
  return S.gather(flat, tensor(idx, { dtype: "int32" }), flat.ndim - 1);
}
/**
 * The sum of the diagonal (see `diagonal`).
 * @example
 * trace(tensor([[1, 2], [3, 4]])) // → 5
 */
export function trace(x: TensorLike, offset = 0, axis1 = 0, axis2 = 1): Tensor {
  return sum(diagonal(x, offset, axis1, axis2), -1);
}
const triangle = (name: string, upper: boolean) => (x: TensorLike, k = 0): Tensor => {
  const t = asTensor(x, name);
  if (t.ndim < 2) throw new ShapeError(`${name}: needs at least 2 axes; got shape ${fmtShape(t.shape)}`);
  if (!Number.isInteger(k)) throw new InputError(`${name}: k must be an integer; got ${fmtValue(k)}`);
  const [n, m] = t.shape.slice(-2);
  const keepIt = Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => (upper ? j - i >= k : j - i <= k)));
  return P.where(tensor(keepIt), t, scalarTensor(0, t.dtype));
};
/**
 * The upper triangle of the last two axes (j − i ≥ k), zeros below.
 * @example
 * triu(tensor([[1, 2], [3, 4]])) // → [[1, 2], [0, 4]]
 */
export const triu = triangle("triu", true);
/**
 * The lower triangle of the last two axes (j − i ≤ k), zeros above.
 * @example
 * tril(tensor([[1, 2], [3, 4]])) // → [[1, 0], [3, 4]]
 */
export const tril = triangle("tril", false);
/**
 * Inclusive prefix combination along `axis` by log₂(n) rounds of "combine with the value 2ᵏ
 * places back" (Hillis–Steele): O(n log n) work, made of slices, a pad of the identity and the
 * op, so every transformation goes through it.
 */
/** Sums and products of booleans count in int32, as NumPy's and JAX's (sum's reduction does this itself). */
const intIfBool = (t: Tensor): Tensor => (t.dtype === "bool" ? P.cast(t, "int32") : t);
function prefixScan(name: string, x: TensorLike, axis: number | undefined, op: (a: Tensor, b: Tensor) => Tensor, identity: number): Tensor {
  let t = asTensor(x, name);
  if (axis === undefined || axis === null) return prefixScan(name, S.reshape(t, [t.size]), 0, op, identity);
  const a = normalizeAxis(name, axis, t.ndim);
  const n = t.shape[a];
  for (let k = 1; k < n; k *= 2) {
    const fill = full(t.shape.map((d, i) => (i === a ? k : d)), identity, { dtype: t.dtype });
    t = op(t, S.concat([fill, sliceAxis(t, a, 0, n - k)], a));
  }
  return t;
}
/**
 * Running sums along `axis` (of the flattened tensor when omitted, as NumPy); integers stay integers, booleans count in int32.
 * @example
 * cumsum(tensor([1, 2, 3])) // → [1, 3, 6]
 */
export function cumsum(x: TensorLike, axis?: number): Tensor {
  return prefixScan("cumsum", intIfBool(asTensor(x, "cumsum")), axis, add, 0);
}
/**
 * Running products along `axis` (flattened when omitted).
 * @example
 * cumprod(tensor([1, 2, 3])) // → [1, 2, 6]
 */
export function cumprod(x: TensorLike, axis?: number): Tensor {
  return prefixScan("cumprod", intIfBool(asTensor(x, "cumprod")), axis, mul, 1);
}
/**
 * Running maxima along `axis` (flattened when omitted); ties share the derivative, as maximum's.
 * @example
 * cummax(tensor([1, 3, 2])) // → [1, 3, 3]
 */
export function cummax(x: TensorLike, axis?: number): Tensor {
  const t = asTensor(x, "cummax");
  // the fill shifted in must never win: −∞, the least int32, or false
  return prefixScan("cummax", t, axis, maximum, isFloatDType(t.dtype) ? -Infinity : t.dtype === "bool" ? 0 : -2147483648);
}
/**
 * Along `axis` (last by default): the indices that sort x, stably (`descending` for largest first; NaN last).
 * @example
 * argsort(tensor([3, 1, 2])) // → [1, 2, 0]
 */
export function argsort(x: TensorLike, axis = -1, options?: { descending?: boolean }): Tensor {
  const opts = checkOptions("argsort", options, ["descending"]);
  const t = asTensor(x, "argsort");
  if (t.ndim === 0) throw new ShapeError(`argsort: needs at least one axis; got a scalar`);
  return R.argsort(t, normalizeAxis("argsort", axis, t.ndim), opts.descending === true);
}
/** x[..., idx[..., j], ...] along `axis`, idx having x's shape except maybe along axis (NumPy's take_along_axis). */
function takeAlongAxis(t: Tensor, idx: Tensor, axis: number): Tensor {
  const nd = t.ndim;
  const perm = [...Array(nd).keys()].filter((i) => i !== axis).concat([axis]);
  const inv = perm.map((_, i) => perm.indexOf(i));
  const xt = S.transpose(t, perm), it = S.transpose(idx, perm);
  const n = t.shape[axis], k = idx.shape[axis], rows = sizeOf(xt.shape.slice(0, -1)); // (not size / n: n may be 0)
  const offsets = S.reshape(tensor(Array.from({ length: rows }, (_, r) => r * n), { dtype: "int32" }), [...xt.shape.slice(0, -1), 1]);
  const flatIdx = P.add(S.reshape(it, [...xt.shape.slice(0, -1), k]), offsets);
  return S.transpose(S.gather(S.reshape(xt, [xt.size]), flatIdx, 0), inv);
}
/**
 * x sorted along `axis` (last by default); the derivative moves with the values (a gather).
 * @example
 * sort(tensor([3, 1, 2])) // → [1, 2, 3]
 */
export function sort(x: TensorLike, axis = -1, options?: { descending?: boolean }): Tensor {
  const opts = checkOptions("sort", options, ["descending"]);
  const t = asTensor(x, "sort");
  if (t.ndim === 0) return t;
  const a = normalizeAxis("sort", axis, t.ndim);
  return takeAlongAxis(t, R.argsort(t, a, opts.descending === true), a);
}
/**
 * The k largest values along the last axis, largest first, and their indices (JAX's lax.top_k): [values, indices].
 * @example
 * topK(tensor([3, 1, 2]), 2) // → [[3, 2], [0, 2]]
 */
export function topK(x: TensorLike, k: number): [Tensor, Tensor] {
  const t = asTensor(x, "topK");
  if (t.ndim === 0) throw new ShapeError(`topK: needs at least one axis; got a scalar`);
  const n = t.shape[t.ndim - 1];
  if (!Number.isInteger(k) || k < 0 || k > n) throw new InputError(`topK: k must be an integer from 0 to ${n} (the last axis of shape ${fmtShape(t.shape)}); got ${fmtValue(k)}`);
  const order = R.argsort(t, t.ndim - 1, true);
  const idx = slice(order, ...t.shape.slice(0, -1).map((): SliceSpec => null), [0, k]);
  return [takeAlongAxis(t, idx, t.ndim - 1), idx];
}

/**
 * Einstein summation over labelled axes (a subset of NumPy's `einsum`): `einsum("ij,jk->ik", a, b)`.
 * Labels are letters; without `->` the output is the labels used once, in alphabetical order. A
 * label may not repeat within one operand (use `diagonal`/`trace`) and `...` is not supported.
 * Operands contract left to right, each pair as one batched matmul, and labels no later operand or
 * the output needs are summed out as soon as possible.
 * @example
 * einsum("ij,j->i", tensor([[1, 2], [3, 4]]), tensor([1, 1])) // → [3, 7]
 */
export function einsum(spec: string, ...operandsIn: TensorLike[]): Tensor {
  if (typeof spec !== "string") throw new InputError(`einsum: the first argument is the subscripts string ("ij,jk->ik"); got ${fmtValue(spec)}`);
  const clean = spec.replace(/\s+/g, "");
  if (!/^[A-Za-z]*(,[A-Za-z]*)*(->[A-Za-z]*)?$/.test(clean)) throw new InputError(`einsum: subscripts must be letters, operands separated by ",", and an optional "->" output (no "..."); got ${fmtValue(spec)}`);
  const [lhs, rhs] = clean.split("->");
  const ins = lhs.split(",");
  if (ins.length !== operandsIn.length) throw new InputError(`einsum: "${clean}" names ${ins.length} operand${ins.length === 1 ? "" : "s"}; got ${operandsIn.length}`);
  const ts = operands("einsum", operandsIn);
  const count = new Map<string, number>();
  ins.forEach((labels, k) => {
    if (labels.length !== ts[k].ndim) throw new ShapeError(`einsum: operand ${k} has shape ${fmtShape(ts[k].shape)} (${ts[k].ndim} axes) but "${labels}" names ${labels.length}`);
    if (new Set(labels).size !== labels.length) throw new InputError(`einsum: a label repeats within operand ${k} ("${labels}"); take its diagonal first (diagonal, trace)`);
    for (const c of labels) count.set(c, (count.get(c) ?? 0) + 1);
  });
  const out = rhs ?? [...count].filter(([, n]) => n === 1).map(([c]) => c).sort().join("");
  for (const c of out) if (!count.has(c)) throw new InputError(`einsum: the output label ${c} is not in any operand`);
  if (new Set(out).size !== out.length) throw new InputError(`einsum: a label repeats in the output "${out}"`);
  const size = new Map<string, number>();
  ins.forEach((labels, k) => [...labels].forEach((c, i) => {
    const d = ts[k].shape[i];
    if (size.has(c) && size.get(c) !== d) throw new ShapeError(`einsum: label ${c} has size ${size.get(c)} in one operand and ${d} in operand ${k}`);
    size.set(c, d);
  }));
  /** Sum out the labels of t that `keep` does not contain. */
  const reduceTo = (t: Tensor, labels: string, keep: Set<string>): [Tensor, string] => {
    const axes = [...labels].flatMap((c, i) => (keep.has(c) ? [] : [i]));
    return axes.length ? [R.reduceSum(t, axes), [...labels].filter((c) => keep.has(c)).join("")] : [t, labels];
  };
  const needed = (from: number) => new Set([...out, ...ins.slice(from).join("")]);
  let [acc, accL] = reduceTo(ts[0], ins[0], needed(1));
  for (let k = 1; k < ts.length; k++) {
    const keep = needed(k + 1);
    const [b, bL] = reduceTo(ts[k], ins[k], new Set([...keep, ...accL]));
    const [a, aL] = reduceTo(acc, accL, new Set([...keep, ...bL]));
    const batch = [...aL].filter((c) => bL.includes(c) && keep.has(c));
    const contract = [...aL].filter((c) => bL.includes(c) && !keep.has(c));
    const aOnly = [...aL].filter((c) => !bL.includes(c)), bOnly = [...bL].filter((c) => !aL.includes(c));
    const prod = (ls: string[]) => ls.reduce((p, c) => p * size.get(c)!, 1);
    const A = S.reshape(S.transpose(a, [...batch, ...aOnly, ...contract].map((c) => aL.indexOf(c))), [prod(batch), prod(aOnly), prod(contract)]);
    const Bm = S.reshape(S.transpose(b, [...batch, ...contract, ...bOnly].map((c) => bL.indexOf(c))), [prod(batch), prod(contract), prod(bOnly)]);
    acc = S.reshape(L.matmul(A, Bm), [...batch, ...aOnly, ...bOnly].map((c) => size.get(c)!));
    accL = [...batch, ...aOnly, ...bOnly].join("");
  }
  [acc, accL] = reduceTo(acc, accL, new Set(out));
  return S.transpose(acc, [...out].map((c) => accL.indexOf(c)));
}
/**
 * Sum of products over `axes`: a number n pairs a's last n axes with b's first n; or two lists of
 * axes, paired in order (NumPy's `tensordot`).
 * @example
 * tensordot(tensor([1, 2]), tensor([3, 4]), 1) // → 11
 */
export function tensordot(a: TensorLike, b: TensorLike, axes: number | readonly [readonly number[], readonly number[]] = 2): Tensor {
  const [x, y] = operands("tensordot", [a, b]);
  const [ax, bx] = typeof axes === "number" ? [[...Array(axes).keys()].map((i) => x.ndim - axes + i), [...Array(axes).keys()]] : [[...axes[0]], [...axes[1]]];
  if (typeof axes === "number" && (!Number.isInteger(axes) || axes < 0 || axes > Math.min(x.ndim, y.ndim))) throw new InputError(`tensordot: axes must be an integer from 0 to ${Math.min(x.ndim, y.ndim)}; got ${fmtValue(axes)}`);
  if (ax.length !== bx.length) throw new InputError(`tensordot: ${ax.length} axes of a paired with ${bx.length} of b`);
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  if (x.ndim + y.ndim > letters.length) throw new ShapeError(`tensordot: at most ${letters.length} axes in all`);
  const la = [...letters.slice(0, x.ndim)], lb = [...letters.slice(x.ndim, x.ndim + y.ndim)];
  ax.forEach((i, k) => (lb[normalizeAxis("tensordot", bx[k], y.ndim)] = la[normalizeAxis("tensordot", i, x.ndim)]));
  const outL = [...la.filter((_, i) => !ax.map((v) => normalizeAxis("tensordot", v, x.ndim)).includes(i)), ...lb.filter((_, i) => !bx.map((v) => normalizeAxis("tensordot", v, y.ndim)).includes(i))];
  return einsum(`${la.join("")},${lb.join("")}->${outL.join("")}`, x, y);
}

// ---- method names ---------------------------------------------------------------------------

/**
 * One-argument elementwise maths: tensor methods (api/methods.ts), and functions of the expression
 * grammar (symbolic/parse.ts). A new elementwise op is its entry in ops/ plus its function and its
 * name here.
 */
export const UNARY_FUNCTIONS = [
  "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "sqrt", "cbrt", "abs", "sign",
  "sigmoid", "softplus", "relu", "erf", "erfc", "erfinv", "gelu", "floor", "ceil", "trunc", "rint",
] as const;
/** Two-operand elementwise ops. */
export const BINARY_METHODS = ["add", "sub", "mul", "div", "pow", "atan2", "hypot", "maximum", "minimum", "lt", "le", "gt", "ge", "eq", "ne", "mod", "floorDivide"] as const;
const OTHER_METHODS = [
  "neg", "square", "reciprocal", "clip", "sum", "mean", "prod", "max", "min", "argmax", "argmin", "logSumExp", "softmax", "logSoftmax",
  "norm", "reshape", "flatten", "transpose", "broadcastTo", "expandDims", "squeeze", "slice", "take", "matmul", "dot", "outer", "cast",
  "stopGradient", "var", "std", "flip", "roll", "diagonal", "cumsum", "cumprod", "cummax", "sort", "argsort", "swapaxes", "moveaxis", "round", "nonzero",
] as const;
export const METHOD_NAMES = [...UNARY_FUNCTIONS, ...BINARY_METHODS, ...OTHER_METHODS] as const;
export type UnaryFunctionName = (typeof UNARY_FUNCTIONS)[number];
export type BinaryMethodName = (typeof BINARY_METHODS)[number];
export type MethodName = (typeof METHOD_NAMES)[number];
