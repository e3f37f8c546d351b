/**
 * @file Elementwise primitives: unary maths, binary arithmetic with broadcasting, comparison,
 * select, cast and stop-gradient. Each entry holds its value (a scalar function), shape rule,
 * forward rule and, where linear, transpose rule.
 */
import { defineOp, bind1, unbroadcast } from "./define.js";
import type { Aval, Tensor } from "../core/tensor.js";
import { LinearIn, coreOps, type Operand } from "../core/primitive.js";
import { isConst } from "../core/identities.js";
import { helper } from "../core/codegen.js";
import { erf as erfScalar, erfc as erfcScalar, erfinv as erfinvScalar } from "../tensor/special.js";
import { type Piece, type PrintContext, atom, call, infix, named, power, wrap } from "../core/print.js";
import { type DType, isFloat } from "../core/dtype.js";
import { broadcastShapes, shapeEq } from "../core/shape.js";
import { DTypeError, fmtShape } from "../core/errors.js";
import { scalarTensor, castArray } from "../tensor/array.js";
import { binaryMap, select, unaryMap, type Binary, type Unary } from "../tensor/kernels.js";
import { type FusableOp, addPlaced, fuseElementwise } from "../tensor/fuse.js";
import type { ArrayTensor } from "../tensor/array.js";

const lit = (v: number, like: Aval): Tensor => scalarTensor(v, like.dtype);

function floatOnly(op: string, a: Aval): void {
  if (!isFloat(a.dtype)) throw new DTypeError(`${op}: needs a float tensor; got ${a.dtype}${fmtShape(a.shape)}; cast it first (x.cast("float64"))`);
}

function sameDType(op: string, avals: Aval[]): DType {
  const d = avals[0].dtype;
  for (const a of avals) {
    if (a.dtype !== d) throw new DTypeError(`${op}: operands have dtypes ${avals.map((x) => x.dtype).join(" and ")}; cast one so they match`);
  }
  return d;
}

/**
 * The source and value of a unary op, from one scalar function and its source: the value is
 * deferred into a fused loop when large (tensor/fuse.ts), else computed at once.
 */
function unaryParts(name: string, f: Unary, code: (a: string) => string) {
  const op: FusableOp = { name, code: ([a]) => code(a), eager: ([x]) => unaryMap(x, f, x.dtype) };
  return { code: op.code, impl: ([x]: ArrayTensor[]) => fuseElementwise(op, [x], x.shape, x.dtype) ?? unaryMap(x, f, x.dtype) };
}

function unary(name: string, f: Unary, code: (a: string) => string, jvp: (x: Tensor, out: Tensor) => (d: Tensor) => Tensor, print?: (args: Piece[], params: {}, c: PrintContext) => Piece) {
  return defineOp({
    name,
    print,
    ...unaryParts(name, f, code),
    shape([x]) {
      floatOnly(name, x);
      return { shape: x.shape, dtype: x.dtype };
    },
    jvp: ([x], out) => [jvp(x, out)],
    transpose: null,
  });
}

function binaryShape(name: string, float: boolean, outDType?: DType) {
  return ([x, y]: Aval[]): Aval => {
    const dtype = sameDType(name, [x, y]);
    if (float) floatOnly(name, x);
    return { shape: broadcastShapes(name, x.shape, y.shape), dtype: outDType ?? dtype };
  };
}

function binary(name: string, f: Binary, code: (a: string, b: string) => string, float: boolean) {
  const op: FusableOp = { name, code: ([a, b]) => code(a, b), eager: ([x, y]) => binaryMap(x, y, f, broadcastShapes(name, x.shape, y.shape), x.dtype) };
  return (args: {
    jvp: (p: Tensor[], out: Tensor) => (((d: Tensor) => Tensor) | null)[];
    transpose: Parameters<typeof defineOp>[0]["transpose"];
    linear?: boolean;
    /** A value e with f(x, e) = f(e, x) = x exactly: a lazy uniform operand equal to it costs no kernel. */
    identity?: number;
    /** A cheaper way to compute some cases exactly (null: not this case). */
    special?: (x: ArrayTensor, y: ArrayTensor) => ArrayTensor | null;
    /** See Primitive.identity. */
    rewrite?: (args: Operand[]) => number | null;
    /** See Primitive.print. */
    print?: (args: Piece[], params: {}, c: PrintContext) => Piece;
  }) =>
    defineOp({
      name,
      code: op.code,
      impl: (xs) => {
        const [x, y] = xs;
        const shape = broadcastShapes(name, x.shape, y.shape);
        if (args.identity !== undefined) {
          if (y.uniform === args.identity && shapeEq(shape, x.shape)) return x;
          if (x.uniform === args.identity && shapeEq(shape, y.shape)) return y;
        }
        return args.special?.(x, y) ?? fuseElementwise(op, xs, shape, x.dtype) ?? binaryMap(x, y, f, shape, x.dtype);
      },
      shape: binaryShape(name, float),
      jvp: args.jvp,
      transpose: args.transpose,
      linear: args.linear,
      // a two-sided identity value (x·1 = 1·x = x) is also the entry's identity rule
      identity: args.rewrite ?? (args.identity === undefined ? undefined : (a: Operand[]) => (isConst(a, 1, args.identity!) ? 0 : isConst(a, 0, args.identity!) ? 1 : null)),
      print: args.print,
    });
}

const isLin = (a: Tensor | LinearIn): a is LinearIn => a instanceof LinearIn;
const shapeOf = (a: Tensor | LinearIn) => (isLin(a) ? a.aval.shape : a.shape);

function nonlinear(op: string): never {
  throw new DTypeError(`${op}: cannot transpose a product of two linear values; a forward rule is not linear in its tangents`);
}

// Scalar functions are module constants: kernels are generated and cached per function object.
const negate: Unary = (a) => -a;
const sq: Unary = (a) => a * a;

// ---- linear arithmetic ----------------------------------------------------------------------

export const negP = defineOp({
  name: "neg",
  print: ([a], _p, c) => ({ text: `-${wrap(a, a.prec <= 3, c)}`, prec: 3 }),
  ...unaryParts("neg", negate, (a) => `-${a}`),
  shape: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
  jvp: "linear",
  transpose: (ct) => [neg(ct)],
});

export const addP = binary("add", (a, b) => a + b, (a, b) => `${a} + ${b}`, false)({
  linear: true,
  rewrite: (a) => (isConst(a, 1, 0) ? 0 : isConst(a, 0, 0) ? 1 : null), // x + 0 = 0 + x = x
  print: ([a, b], _p, c) => infix(a, b, " + ", " + ", 1, c, true),
  special: addPlaced, // cotangents of x[::2] and x[1::2] meet: one array, no zeros added
  jvp: () => [(dx) => dx, (dy) => dy],
  transpose: (ct, [x, y]) => [isLin(x) ? unbroadcast(ct, shapeOf(x)) : null, isLin(y) ? unbroadcast(ct, shapeOf(y)) : null],
});

export const subP = binary("sub", (a, b) => a - b, (a, b) => `${a} - ${b}`, false)({
  linear: true,
  rewrite: (a) => (isConst(a, 1, 0) ? 0 : null), // x − 0 = x
  print: ([a, b], _p, c) => infix(a, b, " - ", " - ", 1, c, false),
  jvp: () => [(dx) => dx, (dy) => neg(dy)],
  transpose: (ct, [x, y]) => [isLin(x) ? unbroadcast(ct, shapeOf(x)) : null, isLin(y) ? unbroadcast(neg(ct), shapeOf(y)) : null],
});

// ---- products -------------------------------------------------------------------------------

export const mulP = binary("mul", (a, b) => a * b, (a, b) => `${a} * ${b}`, false)({
  print: ([a, b], _p, c) => infix(a, b, " * ", " \\cdot ", 2, c, true),
  identity: 1, // x·1 = x exactly, also for ±0, ±∞ and NaN (x + 0 is not: −0 + 0 = +0)
  // d(x·y) = dx·y + x·dy
  jvp: ([x, y]) => [(dx) => mul(dx, y), (dy) => mul(x, dy)],
  transpose: (ct, [x, y]) => {
    if (isLin(x) && isLin(y)) nonlinear("mul");
    return [isLin(x) ? unbroadcast(mul(ct, y as Tensor), shapeOf(x)) : null, isLin(y) ? unbroadcast(mul(x as Tensor, ct), shapeOf(y)) : null];
  },
});

/**
 * x² as its own primitive rather than mul(x, x): its reverse pass is one product with the residual
 * 2x instead of two products and a sum, which matters for eager speed (least squares, Rosenbrock).
 */
export const squareP = defineOp({
  name: "square",
  print: ([a], _p, c) => power(a, atom("2"), c),
  ...unaryParts("square", sq, (a) => `${a} * ${a}`),
  shape: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
  jvp: ([x]) => {
    const twoX = mul(x, lit(2, x)); // d(x²) = 2x dx
    return [(dx) => mul(dx, twoX)];
  },
  transpose: null,
});

export const divP = binary("div", (a, b) => a / b, (a, b) => `${a} / ${b}`, true)({
  rewrite: (a) => (isConst(a, 1, 1) ? 0 : null), // x / 1 = x
  print: ([a, b], _p, c) => (c.latex ? { text: `\\frac{${a.text}}{${b.text}}`, prec: 2 } : infix(a, b, " / ", "", 2, c, false)),
  // d(x/y) = dx/y − dy·(x/y)/y
  jvp: ([, y], out) => [(dx) => div(dx, y), (dy) => mul(dy, neg(div(out, y)))],
  transpose: (ct, [x, y]) => {
    if (isLin(y)) nonlinear("div");
    return [isLin(x) ? unbroadcast(div(ct, y), shapeOf(x)) : null, null];
  },
});


// ---- transcendental -------------------------------------------------------------------------

export const expP = unary("exp", Math.exp, (a) => `Math.exp(${a})`, (_, out) => (dx) => mul(dx, out), ([a], _p, c) => (c.latex ? { text: `e^{${a.text}}`, prec: 4 } : call("exp", [a], c))); // d(eˣ) = eˣ dx
export const logP = unary("log", Math.log, (a) => `Math.log(${a})`, (x) => (dx) => div(dx, x), named("log", "\\ln")); // d(log x) = dx / x
export const log1pP = unary("log1p", Math.log1p, (a) => `Math.log1p(${a})`, (x) => (dx) => div(dx, add(x, lit(1, x)))); // d log(1+x) = dx/(1+x)
export const expm1P = unary("expm1", Math.expm1, (a) => `Math.expm1(${a})`, (x, out) => (dx) => mul(dx, add(out, lit(1, x)))); // d(eˣ−1) = eˣ dx
export const sinP = unary("sin", Math.sin, (a) => `Math.sin(${a})`, (x) => (dx) => mul(dx, cos(x)), named("sin", "\\sin")); // d sin x = cos x dx
export const cosP = unary("cos", Math.cos, (a) => `Math.cos(${a})`, (x) => (dx) => mul(dx, neg(sin(x))), named("cos", "\\cos")); // d cos x = −sin x dx
// NOTE: d√x = dx / (2√x) is +∞ at x = 0 (the one-sided derivative), as in JAX and PyTorch.
export const sqrtP = unary("sqrt", Math.sqrt, (a) => `Math.sqrt(${a})`, (x, out) => (dx) => div(dx, mul(out, lit(2, x))), ([a], _p, c) => (c.latex ? atom(`\\sqrt{${a.text}}`) : call("sqrt", [a], c)));
// Primitives because exp-based compositions lose precision near 0 (sinh) or overflow before the
// result does (eˣ at 709.78, cosh and sinh at 710.48).
export const sinhP = unary("sinh", Math.sinh, (a) => `Math.sinh(${a})`, (x) => (dx) => mul(dx, cosh(x)), named("sinh", "\\sinh")); // d sinh x = cosh x dx
export const coshP = unary("cosh", Math.cosh, (a) => `Math.cosh(${a})`, (x) => (dx) => mul(dx, sinh(x)), named("cosh", "\\cosh")); // d cosh x = sinh x dx
// NumPy's other logarithms, the cube root and the inverse hyperbolics, as primitives on Math's
// functions (exact at powers of 2 and 10, no cancellation near 0 or ±1), derivatives from
// primitives so they compose to any order: the factored forms (1 − x)(1 + x) and (x − 1)(x + 1)
// keep precision near the ends of atanh's and acosh's domains, and hypot(x, 1) cannot overflow.
export const log2P = unary("log2", Math.log2, (a) => `Math.log2(${a})`, (x) => (dx) => div(dx, mul(x, lit(Math.LN2, x))), named("log2", "\\log_2")); // d log₂x = dx / (x ln 2)
export const log10P = unary("log10", Math.log10, (a) => `Math.log10(${a})`, (x) => (dx) => div(dx, mul(x, lit(Math.LN10, x))), named("log10", "\\log_{10}")); // d log₁₀x = dx / (x ln 10)
export const cbrtP = unary("cbrt", Math.cbrt, (a) => `Math.cbrt(${a})`, (x, out) => (dx) => div(dx, mul(lit(3, x), mul(out, out))), ([a], _p, c) => (c.latex ? atom(`\\sqrt[3]{${a.text}}`) : call("cbrt", [a], c))); // d ∛x = dx / (3 ∛x²), +∞ at 0 as √'s
export const asinhP = unary("asinh", Math.asinh, (a) => `Math.asinh(${a})`, (x) => (dx) => div(dx, hypot(x, lit(1, x))), named("asinh", "\\operatorname{arsinh}")); // d asinh x = dx / √(x² + 1)
export const acoshP = unary("acosh", Math.acosh, (a) => `Math.acosh(${a})`, (x) => (dx) => div(dx, sqrt(mul(sub(x, lit(1, x)), add(x, lit(1, x))))), named("acosh", "\\operatorname{arcosh}")); // d acosh x = dx / √((x − 1)(x + 1))
export const atanhP = unary("atanh", Math.atanh, (a) => `Math.atanh(${a})`, (x) => (dx) => div(dx, mul(sub(lit(1, x), x), add(lit(1, x), x))), named("atanh", "\\operatorname{artanh}")); // d atanh x = dx / ((1 − x)(1 + x))
// A primitive because exp-based compositions lose precision near 0 or overflow for large |x|.
export const tanhP = unary("tanh", Math.tanh, (a) => `Math.tanh(${a})`, (x, out) => (dx) => mul(dx, sub(lit(1, x), mul(out, out))), named("tanh", "\\tanh")); // d tanh = (1 − tanh²) dx
/** σ(x) = 1/(1+e^−x), computed without overflow for either sign; a primitive for the same reason as tanh. */
export const logisticP = unary(
  "logistic",
  (a) => (a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a))),
  (a) => `(${a} >= 0 ? 1 / (1 + Math.exp(-${a})) : Math.exp(${a}) / (1 + Math.exp(${a})))`,
  (x, out) => (dx) => mul(dx, mul(out, logistic(neg(x)))), // dσ = σ(x)·σ(−x) dx, stable where 1−σ would cancel
  named("sigmoid", "\\sigma"),
);

/**
 * The error function and its complement (tensor/special.ts; generated code calls one helper copy).
 * erfc is a primitive of its own so that it keeps full precision where it is tiny (x ≫ 1).
 * d erf = 2/√π e^(−x²) dx, d erfc = −2/√π e^(−x²) dx.
 */
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const hErf = helper("h_erf", erfScalar), hErfc = helper("h_erfc", erfcScalar);
export const erfP = unary("erf", erfScalar, (a) => `${hErf}(${a})`, (x) => (dx) => mul(dx, mul(lit(TWO_OVER_SQRT_PI, x), exp(neg(square(x))))), named("erf", "\\operatorname{erf}"));
export const erfcP = unary("erfc", erfcScalar, (a) => `${hErfc}(${a})`, (x) => (dx) => mul(dx, mul(lit(-TWO_OVER_SQRT_PI, x), exp(neg(square(x))))), named("erfc", "\\operatorname{erfc}"));
/** The inverse error function; d erfinv x = √π/2 · e^(erfinv(x)²) dx (from the output). */
const hErfinv = helper("h_erfinv", erfinvScalar);
export const erfinvP = unary("erfinv", erfinvScalar, (a) => `${hErfinv}(${a})`, (x, out) => (dx) => mul(dx, mul(lit(Math.sqrt(Math.PI) / 2, x), exp(square(out)))), named("erfinv", "\operatorname{erf}^{-1}"));

/** √(x² + y²) without overflow or underflow in the squares (Math.hypot). d = (x dx + y dy) / hypot; at (0, 0) the derivative is taken as 0 (a subgradient), as the 2-norm's. */
export const hypotP = binary("hypot", (a, b) => Math.hypot(a, b), (a, b) => `Math.hypot(${a}, ${b})`, true)({
  print: named("hypot", "\\operatorname{hypot}"),
  jvp: ([x, y], out) => {
    const zero = lit(0, out), isZero = compare(out, zero, "eq");
    const safe = where(isZero, lit(1, out), out);
    return [(dx) => mul(dx, where(isZero, zero, div(x, safe))), (dy) => mul(dy, where(isZero, zero, div(y, safe)))];
  },
  transpose: null,
});

export const atan2P = binary("atan2", Math.atan2, (y, x) => `Math.atan2(${y}, ${x})`, true)({
  // d atan2(y, x) = (x dy − y dx) / (x² + y²)
  jvp: ([y, x]) => {
    const r2 = add(mul(x, x), mul(y, y));
    return [(dy) => mul(dy, div(x, r2)), (dx) => mul(dx, neg(div(y, r2)))];
  },
  transpose: null,
});

// 1ʸ = 1 for every y, NaN included, as IEEE 754's pow and C's, NumPy's and JAX's (JS's Math.pow(1, NaN) is NaN)
const ieeePow = (a: number, b: number) => (a === 1 ? 1 : Math.pow(a, b));
export const powP = binary("pow", ieeePow, (a, b) => `(${a} === 1 ? 1 : Math.pow(${a}, ${b}))`, true)({
  rewrite: (a) => (isConst(a, 1, 1) ? 0 : null), // x¹ = x
  print: ([a, b], _p, c) => power(a, b, c),
  // d(xʸ) = y·x^(y−1) dx + log(x)·xʸ dy. NOTE: the dx term is 0 where y = 0 (x⁰ is constant; the
  // formula gives 0·0⁻¹ = NaN at x = 0), which also holds at every higher order (y−1 = 0 for x¹).
  // The dy term is taken as 0 at x = 0 (its limit for y > 0).
  jvp: ([x, y], out) => [
    (dx) => {
      // Both branches stay finite (y·x^(y'−1) with y' = 1 where y = 0), so a reverse sweep through
      // the where multiplies no infinity by its zero cotangent.
      const y0 = compare(y, lit(0, y), "eq");
      const ySafe = where(y0, lit(1, y), y);
      return mul(dx, where(y0, lit(0, x), mul(y, pow(x, sub(ySafe, lit(1, y))))));
    },
    (dy) => {
      const zero = compare(x, lit(0, x), "eq");
      const safeX = where(zero, lit(1, x), x);
      return mul(dy, where(zero, lit(0, x), mul(out, log(safeX))));
    },
  ],
  transpose: null,
});

// ---- piecewise ------------------------------------------------------------------------------

/** NOTE: at ties max(x, y) passes half the tangent to each side (JAX's convention), so d max(x, x) = dx. */
export const maxP = binary("max", Math.max, (a, b) => `Math.max(${a}, ${b})`, false)({
  print: named("max", "\\max"),
  jvp: ([x, y]) => {
    const half = lit(0.5, x);
    const wx = add(cast(compare(x, y, "gt"), x.dtype), mul(half, cast(compare(x, y, "eq"), x.dtype)));
    const wy = add(cast(compare(y, x, "gt"), y.dtype), mul(half, cast(compare(x, y, "eq"), y.dtype)));
    return [(dx) => mul(dx, wx), (dy) => mul(dy, wy)];
  },
  transpose: null,
});

/** sign(x) ∈ {−1, 0, 1} (NaN stays NaN); its derivative is 0 everywhere, by convention also at 0. */
export const signP = defineOp({
  name: "sign",
  ...unaryParts("sign", Math.sign, (a) => `Math.sign(${a})`),
  shape: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
  jvp: null,
  transpose: null,
});

/** Round half to even (NumPy's round and rint): 2.5 → 2, 3.5 → 4, −2.5 → −2. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x), d = x - f; // exact for |x| < 2⁵², and 0 beyond (already an integer)
  const r = d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  return r === 0 && x < 0 ? -0 : r; // −0.3 and −0.5 round to −0, as NumPy
}
export type RoundMode = "floor" | "ceil" | "trunc" | "even";
const ROUNDERS: Record<RoundMode, Unary> = { floor: Math.floor, ceil: Math.ceil, trunc: Math.trunc, even: roundHalfEven };
const hRound = helper("h_round_even", roundHalfEven);
const ROUND_CODE: Record<RoundMode, (a: string) => string> = { floor: (a) => `Math.floor(${a})`, ceil: (a) => `Math.ceil(${a})`, trunc: (a) => `Math.trunc(${a})`, even: (a) => `${hRound}(${a})` };
const roundParts = Object.fromEntries((Object.keys(ROUNDERS) as RoundMode[]).map((m) => [m, unaryParts(`round(${m})`, ROUNDERS[m], ROUND_CODE[m])])) as Record<RoundMode, ReturnType<typeof unaryParts>>;
/**
 * Rounding to an integer value (floats in, floats out): floor, ceil, trunc, or half to even. Its
 * derivative is zero wherever it exists (the steps' jumps are not differentiable).
 */
export const roundP = defineOp<{ mode: RoundMode }>({
  name: "round",
  impl: (args, { mode }) => roundParts[mode].impl(args as ArrayTensor[]),
  code: ([a], { mode }) => ROUND_CODE[mode](a),
  shape([x]) {
    floatOnly("round", x);
    return { shape: x.shape, dtype: x.dtype };
  },
  jvp: null,
  transpose: null,
  showParams: (p) => p.mode,
  print: ([a], { mode }, c) => call(mode === "even" ? "round" : mode, [a], c),
});

/**
 * x mod y with the sign of y (Python's and NumPy's mod): JS's exact remainder, moved into y's sign.
 * d mod = dx − ⌊x/y⌋·dy away from the jumps.
 */
function modScalar(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && b < 0 !== r < 0 ? r + b : r;
}
const hMod = helper("h_mod", modScalar);
export const modP = binary("mod", modScalar, (a, b) => `${hMod}(${a}, ${b})`, false)({
  jvp: ([x, y]) => [(dx) => dx, (dy) => neg(mul(dy, floorOf(div(x, y))))],
  transpose: null,
});
const floorOf = (x: Tensor) => bind1(roundP, [x], { mode: "floor" });

export type CompareOp = "lt" | "le" | "gt" | "ge" | "eq" | "ne";
const COMPARE_OP: Record<CompareOp, string> = { lt: "<", le: "<=", gt: ">", ge: ">=", eq: "===", ne: "!==" };
const COMPARE: Record<CompareOp, Binary> = {
  lt: (a, b) => +(a < b),
  le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b),
  ge: (a, b) => +(a >= b),
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
};

const COMPARE_TEXT: Record<CompareOp, [string, string]> = { lt: ["<", "<"], le: ["<=", "\\le"], gt: [">", ">"], ge: [">=", "\\ge"], eq: ["==", "="], ne: ["!=", "\\ne"] };

export const compareP = defineOp<{ op: CompareOp }>({
  name: "compare",
  code: ([a, b], { op }) => `+(${a} ${COMPARE_OP[op]} ${b})`,
  impl: ([x, y], { op }) => binaryMap(x, y, COMPARE[op], broadcastShapes("compare", x.shape, y.shape), "bool"),
  shape: ([x, y], { op }) => binaryShape(`compare(${op})`, false, "bool")([x, y]),
  jvp: null,
  transpose: null,
  showParams: (p) => p.op,
  print: ([a, b], { op }, c) => ({ text: `${wrap(a, a.prec < 1, c)} ${COMPARE_TEXT[op][c.latex ? 1 : 0]} ${wrap(b, b.prec < 1, c)}`, prec: 0 }),
});

export const whereP = defineOp({
  name: "where",
  code: ([c, a, b]) => `(${c} ? ${a} : ${b})`,
  impl: ([c, x, y]) => select(c, x, y, broadcastShapes("where", c.shape, x.shape, y.shape), x.dtype),
  shape([c, x, y]) {
    if (c.dtype !== "bool") throw new DTypeError(`where: the condition must be a bool tensor; got ${c.dtype}${fmtShape(c.shape)}; compare first (x.gt(0))`);
    const dtype = sameDType("where", [x, y]);
    return { shape: broadcastShapes("where", c.shape, x.shape, y.shape), dtype };
  },
  jvp: ([c, x]) => [null, (dx) => where(c, dx, lit(0, x)), (dy) => where(c, lit(0, x), dy)],
  identity: ([c]) => (c.constant === undefined ? null : c.constant ? 1 : 2), // a known condition selects one branch
  print: ([c, a, b], _p, ctx) => (ctx.latex ? atom(`\\begin{cases} ${a.text} & ${c.text} \\\\ ${b.text} & \\text{otherwise} \\end{cases}`) : call("where", [c, a, b], ctx)),
  transpose: (ct, [c, x, y]) => {
    const z = lit(0, ct);
    return [null, isLin(x) ? unbroadcast(where(c as Tensor, ct, z), shapeOf(x)) : null, isLin(y) ? unbroadcast(where(c as Tensor, z, ct), shapeOf(y)) : null];
  },
});

export const castP = defineOp<{ dtype: DType }>({
  name: "cast",
  code: ([a], { dtype }) => (dtype === "bool" ? `+(${a} !== 0)` : dtype === "int32" ? `Math.trunc(${a})` : a),
  impl: ([x], { dtype }) => castArray(x, dtype),
  shape: ([x], { dtype }) => ({ shape: x.shape, dtype }),
  jvp: ([x], _out, { dtype }) => [(dx) => (isFloat(x.dtype) && isFloat(dtype) ? cast(dx, dtype) : null)],
  transpose: (ct, [x]) => [cast(ct, (x as LinearIn).aval.dtype)],
  showParams: (p) => p.dtype,
  identity: () => 0, // kept only when the dtype is unchanged (the caller checks the aval)
  // a bool used as a number: the Iverson bracket [p] = 1 if p else 0 (in the grammar: where(p, 1, 0))
  print: ([a], _p, c) => (c.argDtypes[0] !== "bool" ? a : c.latex ? atom(`\\left[${a.text}\\right]`) : call("where", [a, atom("1"), atom("0")], c)),
});

/** Identity on values, zero derivative: the gradient does not flow through. */
export const stopGradientP = defineOp({
  name: "stopGradient",
  valueIdentity: true,
  print: named("stop_gradient"),
  code: ([a]) => a,
  impl: ([x]) => x,
  shape: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
  jvp: null,
  transpose: null,
});

// ---- binders used by rules (no promotion: operands already agree) ---------------------------

export const neg = (x: Tensor): Tensor => bind1(negP, [x], {});
export const add = (x: Tensor, y: Tensor): Tensor => bind1(addP, [x, y], {});
export const sub = (x: Tensor, y: Tensor): Tensor => bind1(subP, [x, y], {});
export const mul = (x: Tensor, y: Tensor): Tensor => bind1(mulP, [x, y], {});
export const square = (x: Tensor): Tensor => bind1(squareP, [x], {});
export const div = (x: Tensor, y: Tensor): Tensor => bind1(divP, [x, y], {});
export const exp = (x: Tensor): Tensor => bind1(expP, [x], {});
export const log = (x: Tensor): Tensor => bind1(logP, [x], {});
export const log1p = (x: Tensor): Tensor => bind1(log1pP, [x], {});
export const expm1 = (x: Tensor): Tensor => bind1(expm1P, [x], {});
export const sin = (x: Tensor): Tensor => bind1(sinP, [x], {});
export const cos = (x: Tensor): Tensor => bind1(cosP, [x], {});
export const sqrt = (x: Tensor): Tensor => bind1(sqrtP, [x], {});
export const tanh = (x: Tensor): Tensor => bind1(tanhP, [x], {});
export const sinh = (x: Tensor): Tensor => bind1(sinhP, [x], {});
export const log2 = (x: Tensor): Tensor => bind1(log2P, [x], {});
export const log10 = (x: Tensor): Tensor => bind1(log10P, [x], {});
export const cbrt = (x: Tensor): Tensor => bind1(cbrtP, [x], {});
export const asinh = (x: Tensor): Tensor => bind1(asinhP, [x], {});
export const acosh = (x: Tensor): Tensor => bind1(acoshP, [x], {});
export const atanh = (x: Tensor): Tensor => bind1(atanhP, [x], {});
export const hypot = (x: Tensor, y: Tensor): Tensor => bind1(hypotP, [x, y], {});
export const cosh = (x: Tensor): Tensor => bind1(coshP, [x], {});
export const logistic = (x: Tensor): Tensor => bind1(logisticP, [x], {});
export const erf = (x: Tensor): Tensor => bind1(erfP, [x], {});
export const erfc = (x: Tensor): Tensor => bind1(erfcP, [x], {});
export const erfinv = (x: Tensor): Tensor => bind1(erfinvP, [x], {});
export const atan2 = (y: Tensor, x: Tensor): Tensor => bind1(atan2P, [y, x], {});
export const pow = (x: Tensor, y: Tensor): Tensor => bind1(powP, [x, y], {});
export const max = (x: Tensor, y: Tensor): Tensor => bind1(maxP, [x, y], {});
export const sign = (x: Tensor): Tensor => bind1(signP, [x], {});
export const round = (x: Tensor, mode: RoundMode): Tensor => bind1(roundP, [x], { mode });
export const mod = (x: Tensor, y: Tensor): Tensor => bind1(modP, [x, y], {});
export const compare = (x: Tensor, y: Tensor, op: CompareOp): Tensor => bind1(compareP, [x, y], { op });
export const where = (c: Tensor, x: Tensor, y: Tensor): Tensor => bind1(whereP, [c, x, y], {});
export const cast = (x: Tensor, dtype: DType): Tensor => (x.dtype === dtype ? x : bind1(castP, [x], { dtype }));
export const stopGradient = (x: Tensor): Tensor => bind1(stopGradientP, [x], {});

coreOps.add = add;
