/**
 * @file `random`: JAX's explicit-key random numbers (jax.random names, camelCase). A key is an
 * int32 tensor of shape [2] holding two 32-bit words; `split` and `foldIn` make new keys, and every
 * sampler is a pure function of its key, so results are reproducible, and the same under `jit` and
 * `vmap` (a batch of keys gives a batch of draws). Reusing a key gives the same numbers again:
 * split it instead.
 *
 * Matching JAX: keys, split, foldIn, bits, uniform, randint, permutation and bernoulli reproduce
 * JAX's threefry values for the same seed bit for bit (JAX ≥ 0.5, whose default is the
 * "partitionable" threefry; float64 draws as JAX computes them with `jax_enable_x64`, float32 draws
 * as JAX's default). normal, truncatedNormal, gumbel and categorical apply the same transforms to
 * the same uniform numbers, but JAX's erf_inv and log come from XLA, so their last bits may differ.
 */
import type { Tensor } from "../core/tensor.js";
import { InputError, checkOptions, fmtValue } from "../core/errors.js";
import { checkShape } from "../core/shape.js";
import { isFloat } from "../core/dtype.js";
import * as Q from "../ops/random.js";
import { type TensorLike, asTensor, tensor } from "./convert.js";
import { add, argmax, clip, erf, erfinv, expandDims, log, lt, maximum, mul, neg, sub, take } from "./ops.js";
import { scalarTensor } from "../tensor/array.js";

type FloatDType = "float64" | "float32";
const TWO32 = 2n ** 32n;

/**
 * The key for an integer seed: its 64-bit two's-complement form as two 32-bit words [high, low]
 * (JAX's `random.key`/`PRNGKey`; seeds in [0, 2³²) give the same key with or without x64).
 * @example
 * random.key(0) // → [0, 0]
 * random.key(2 ** 32 + 5) // → [1, 5]
 */
export function key(seed: number | bigint): Tensor {
  if (typeof seed === "number" && !Number.isSafeInteger(seed)) throw new InputError(`random.key: the seed must be an integer (a safe integer, or a BigInt); got ${fmtValue(seed)}`);
  if (typeof seed !== "number" && typeof seed !== "bigint") throw new InputError(`random.key: the seed must be an integer; got ${fmtValue(seed)}`);
  const s = BigInt.asUintN(64, BigInt(seed));
  return tensor([Number(s / TWO32) | 0, Number(s % TWO32) | 0], { dtype: "int32" });
}
/** JAX's older name for `key`. */
export const PRNGKey = key;

function keyOf(k: TensorLike, op: string): Tensor {
  const t = asTensor(k, op);
  if (t.dtype !== "int32" || t.ndim < 1 || t.shape[t.ndim - 1] !== 2) {
    throw new InputError(`random.${op}: expects a key (an int32 tensor of shape [2], from random.key(seed) or random.split(key)); got ${t.dtype} [${t.shape.join(", ")}]`);
  }
  return t;
}
function shapeOf(shape: readonly number[] | number | undefined, op: string): number[] {
  return checkShape(typeof shape === "number" ? [shape] : shape ?? [], `random.${op}`);
}
function floatDType(dtype: string | undefined, op: string): FloatDType {
  const d = dtype ?? "float64";
  if (d !== "float64" && d !== "float32") throw new InputError(`random.${op}: dtype must be "float64" or "float32"; got ${fmtValue(d)}`);
  return d;
}

/**
 * `num` new keys (shape [num, 2]), or keys of any shape ([...shape, 2]), independent of each other and of `key`.
 * @example
 * random.split(random.key(0), 3).shape // → [3, 2]
 */
export function split(k: TensorLike, num: number | readonly number[] = 2): Tensor {
  return Q.draw(keyOf(k, "split"), { kind: "keys", shape: shapeOf(num, "split") });
}

/**
 * A new key for an integer `data` (a step or example index): foldIn(key, i) equals split(key, n)[i].
 * @example
 * random.foldIn(random.key(7), 1) // → take(random.split(random.key(7), 2), tensor(1, { dtype: "int32" }), 0)
 */
export function foldIn(k: TensorLike, data: TensorLike): Tensor {
  const key = keyOf(k, "foldIn");
  let d = asTensor(data, "random.foldIn");
  if (typeof data === "number" && (!Number.isInteger(data) || data < -(2 ** 31) || data >= 2 ** 32)) throw new InputError(`random.foldIn: data must be an integer in [−2³¹, 2³²); got ${fmtValue(data)}`);
  if (typeof data === "number") d = tensor(data | 0, { dtype: "int32" });
  if (d.dtype !== "int32") throw new InputError(`random.foldIn: data must be an integer (int32); got ${d.dtype}`);
  return Q.foldIn(key, d);
}

/**
 * Uniformly random unsigned 32-bit integers, as float64 values (exact) in [0, 2³²).
 * @example
 * random.bits(random.key(0), [2]).shape // → [2]
 */
export function bits(k: TensorLike, shape: readonly number[] | number = []): Tensor {
  return Q.draw(keyOf(k, "bits"), { kind: "bits", shape: shapeOf(shape, "bits") });
}

export interface UniformOptions {
  dtype?: FloatDType;
  minval?: TensorLike;
  maxval?: TensorLike;
}
/**
 * Uniform floats in [minval, maxval) (default [0, 1)), float64 unless `dtype` says float32.
 * @example
 * const u = random.uniform(random.key(0), [1000], { minval: -1, maxval: 1 });
 * min(u).item() >= -1 && max(u).item() < 1 // → true
 */
export function uniform(k: TensorLike, shape: readonly number[] | number = [], options?: UniformOptions): Tensor {
  const opts = checkOptions("random.uniform", options, ["dtype", "minval", "maxval"]);
  const dtype = floatDType(opts.dtype, "uniform");
  const u = Q.draw(keyOf(k, "uniform"), { kind: "uniform", dtype, shape: shapeOf(shape, "uniform") });
  if (opts.minval === undefined && opts.maxval === undefined) return u;
  const lo = typeof opts.minval === "number" || opts.minval === undefined ? scalarTensor(opts.minval ?? 0, dtype) : asTensor(opts.minval, "random.uniform"), hi = typeof opts.maxval === "number" || opts.maxval === undefined ? scalarTensor(opts.maxval ?? 1, dtype) : asTensor(opts.maxval, "random.uniform");
  // as JAX: u·(max − min) + min, then at least min (rounding could step below it)
  return maximum(lo, add(mul(u, sub(hi, lo)), lo));
}

/**
 * Standard normal floats: √2·erfinv(u) for u uniform in (−1, 1), as JAX draws them.
 * @example
 * std(random.normal(random.key(1), [20000])).item() > 0.98 // → true
 */
export function normal(k: TensorLike, shape: readonly number[] | number = [], options?: { dtype?: FloatDType }): Tensor {
  const opts = checkOptions("random.normal", options, ["dtype"]);
  const dtype = floatDType(opts.dtype, "normal");
  const lo = dtype === "float32" ? -(1 - 2 ** -24) : -(1 - 2 ** -53); // nextafter(−1, 0)
  const u = uniform(keyOf(k, "normal"), shape, { dtype, minval: lo, maxval: 1 });
  return mul(erfinv(u), scalarTensor(Math.SQRT2, dtype));
}

/**
 * Normal floats truncated to [lower, upper] (strictly inside, as JAX), by inverting the CDF.
 * @example
 * max(abs(random.truncatedNormal(random.key(2), -1, 1, [1000]))).item() < 1 // → true
 */
export function truncatedNormal(k: TensorLike, lower: TensorLike, upper: TensorLike, shape: readonly number[] | number = [], options?: { dtype?: FloatDType }): Tensor {
  const opts = checkOptions("random.truncatedNormal", options, ["dtype"]);
  const dtype = floatDType(opts.dtype, "truncatedNormal");
  const lo = typeof lower === "number" ? scalarTensor(lower, dtype) : asTensor(lower, "random.truncatedNormal");
  const hi = typeof upper === "number" ? scalarTensor(upper, dtype) : asTensor(upper, "random.truncatedNormal");
  const s = scalarTensor(Math.SQRT1_2, dtype);
  const a = erf(mul(lo, s)), b = erf(mul(hi, s));
  const out = mul(erfinv(uniform(keyOf(k, "truncatedNormal"), shape, { dtype, minval: a, maxval: b })), scalarTensor(Math.SQRT2, dtype));
  // strictly inside (lower, upper) as JAX; bounds that are traced values (under jit or vmap) clip to the closed interval
  if (!lo.isConcrete() || !hi.isConcrete()) return clip(out, lo, hi);
  return clip(out, nextUp(lo, dtype), nextDown(hi, dtype));
}
const nextUp = (x: Tensor, dtype: FloatDType) => nextToward(x, dtype, 1);
const nextDown = (x: Tensor, dtype: FloatDType) => nextToward(x, dtype, -1);
/** The float next to each element of a concrete x, toward ±∞ (the truncation bounds). */
function nextToward(x: Tensor, dtype: FloatDType, dir: 1 | -1): Tensor {
  const v = x.toArray() as number | number[];
  const step = (a: number) => {
    if (!Number.isFinite(a)) return a;
    if (dtype === "float32") {
      const f = new Float32Array([a]), i = new Int32Array(f.buffer);
      if (a === 0) return dir * 2 ** -149;
      i[0] += (a > 0) === (dir > 0) ? 1 : -1;
      return f[0];
    }
    const f = new Float64Array([a]), i = new BigInt64Array(f.buffer);
    if (a === 0) return dir * 5e-324;
    i[0] += (a > 0) === (dir > 0) ? 1n : -1n;
    return f[0];
  };
  return tensor(Array.isArray(v) ? v.map(step) : step(v), { dtype });
}

/**
 * Booleans that are true with probability p (JAX: uniform < p).
 * @example
 * random.bernoulli(random.key(3), 0.5, [4]).dtype // → "bool"
 */
export function bernoulli(k: TensorLike, p: TensorLike = 0.5, shape?: readonly number[] | number): Tensor {
  const pt = typeof p === "number" ? scalarTensor(p, "float64") : asTensor(p, "random.bernoulli");
  if (!isFloat(pt.dtype)) throw new InputError(`random.bernoulli: p must be a float; got ${pt.dtype}`);
  const s = shape === undefined ? [...pt.shape] : shapeOf(shape, "bernoulli");
  return lt(uniform(keyOf(k, "bernoulli"), s, { dtype: pt.dtype as FloatDType }), pt);
}

/**
 * Standard Gumbel floats: −log(−log u), u uniform in [tiny, 1).
 * @example
 * random.gumbel(random.key(4), [3]).shape // → [3]
 */
export function gumbel(k: TensorLike, shape: readonly number[] | number = [], options?: { dtype?: FloatDType }): Tensor {
  const opts = checkOptions("random.gumbel", options, ["dtype"]);
  const dtype = floatDType(opts.dtype, "gumbel");
  const tiny = dtype === "float32" ? 2 ** -126 : 2 ** -1022;
  return neg(log(neg(log(uniform(keyOf(k, "gumbel"), shape, { dtype, minval: tiny, maxval: 1 })))));
}

/**
 * Indices drawn from the categorical distributions with unnormalised log-probabilities `logits`
 * along `axis` (the Gumbel-max trick, as JAX). `shape` (default: the logits' shape without `axis`)
 * may add leading axes for several draws.
 * @example
 * random.categorical(random.key(5), log(tensor([0, 0, 1]))) // → 2
 */
export function categorical(k: TensorLike, logits: TensorLike, options?: { axis?: number; shape?: readonly number[] }): Tensor {
  const opts = checkOptions("random.categorical", options, ["axis", "shape"]);
  const l = asTensor(logits, "random.categorical");
  if (!isFloat(l.dtype)) throw new InputError(`random.categorical: logits must be floats; got ${l.dtype}`);
  const axis = opts.axis ?? -1;
  const ax = axis < 0 ? axis + l.ndim : axis;
  if (!(ax >= 0 && ax < l.ndim)) throw new InputError(`random.categorical: axis ${axis} is out of range for logits of shape [${l.shape.join(", ")}]`);
  const batch = l.shape.filter((_, i) => i !== ax);
  const shape = opts.shape === undefined ? batch : shapeOf(opts.shape, "categorical");
  const prefix = shape.slice(0, shape.length - batch.length);
  if (shape.slice(shape.length - batch.length).some((d, i) => d !== batch[i])) throw new InputError(`random.categorical: shape [${shape.join(", ")}] must end with the logits' batch shape [${batch.join(", ")}]`);
  const drawShape = [...prefix, ...l.shape];
  const g = gumbel(keyOf(k, "categorical"), drawShape, { dtype: l.dtype as FloatDType });
  const lifted = prefix.length ? expandDims(l, prefix.map((_, i) => i)) : l;
  return argmax(add(g, lifted), prefix.length + ax);
}

/**
 * Uniform int32 values in [minval, maxval) (JAX's randint: 64 random bits per value, reduced modulo the span).
 * @example
 * const r = random.randint(random.key(6), [100], 0, 3);
 * min(r).item() >= 0 && max(r).item() < 3 // → true
 */
export function randint(k: TensorLike, shape: readonly number[] | number, minval: number, maxval: number): Tensor {
  for (const [name, v] of [["minval", minval], ["maxval", maxval]] as const) {
    if (typeof v !== "number" || !Number.isInteger(v)) throw new InputError(`random.randint: ${name} must be an integer; got ${fmtValue(v)}`);
  }
  const clamp = (v: number) => Math.min(Math.max(v, -(2 ** 31)), 2 ** 31 - 1);
  // as JAX: bounds clipped to int32; a maxval beyond the int32 range lets the span grow by one
  const lo = clamp(minval), hi = clamp(maxval);
  const span = maxval > 2 ** 31 - 1 && maxval > minval ? hi - lo + 1 : hi - lo;
  return Q.draw(keyOf(k, "randint"), { kind: "randint", minval: lo, maxval: lo + span, shape: shapeOf(shape, "randint") });
}

/**
 * A random permutation of 0 … n−1 (n a number), or of x along `axis` (x a tensor), as JAX's permutation.
 * @example
 * sort(random.permutation(random.key(8), 5)) // → [0, 1, 2, 3, 4]
 */
export function permutation(k: TensorLike, x: number | TensorLike, options?: { axis?: number }): Tensor {
  const opts = checkOptions("random.permutation", options, ["axis"]);
  const key = keyOf(k, "permutation");
  if (typeof x === "number") {
    if (!Number.isInteger(x) || x < 0) throw new InputError(`random.permutation: n must be a non-negative integer; got ${fmtValue(x)}`);
    return Q.draw(key, { kind: "permutation", shape: shapeOf(x, "permutation") });
  }
  const t = asTensor(x, "random.permutation");
  if (t.ndim === 0) throw new InputError("random.permutation: x must have at least one axis (or pass a number n)");
  const axis = opts.axis ?? 0, ax = axis < 0 ? axis + t.ndim : axis;
  if (!(ax >= 0 && ax < t.ndim)) throw new InputError(`random.permutation: axis ${axis} is out of range for shape [${t.shape.join(", ")}]`);
  return take(t, Q.draw(key, { kind: "permutation", shape: [t.shape[ax]] }), ax);
}
