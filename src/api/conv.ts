/**
 * @file Convolutions and pooling, in the spirit of `lax.conv_general_dilated` and flax's pools:
 * N-dimensional, with strides, padding ("VALID", "SAME", "SAME_LOWER" or explicit pairs), input and
 * kernel dilation, feature groups and layouts given as dimension-number strings. All of them are
 * the `patches` primitive (ops/conv.ts: every window of the input laid out as a tensor) followed by
 * one matrix product (convolution), a max or a mean over the window axes (pooling), so their
 * derivatives of every order, jit and vmap come from those parts: the reverse of a convolution is
 * two matrix products and one scatter-add of windows (col2im).
 */
import type { Tensor } from "../core/tensor.js";
import { InputError, ShapeError, checkOptions, fmtShape, fmtValue } from "../core/errors.js";
import { sizeOf } from "../core/shape.js";
import * as V from "../ops/conv.js";
import * as S from "../ops/shape-ops.js";
import * as R from "../ops/reduce.js";
import * as L from "../ops/linalg.js";
import { type TensorLike, operands, floatOperand } from "./convert.js";
import { scalarTensor } from "../tensor/array.js";
import * as P from "../ops/elementwise.js";

export type Padding = "VALID" | "SAME" | "SAME_LOWER" | readonly (readonly [number, number])[];

export interface ConvOptions {
  /** Window strides per spatial axis (a number applies to every axis); default 1. */
  strides?: number | readonly number[];
  /** Default "VALID". "SAME" pads so that out = ⌈in / stride⌉, the extra element at the end ("SAME_LOWER": at the start). */
  padding?: Padding;
  /** Input dilation (a transposed convolution's stretching); default 1. */
  lhsDilation?: number | readonly number[];
  /** Kernel dilation (atrous convolution); default 1. */
  rhsDilation?: number | readonly number[];
  /** Feature groups: input channels split into this many groups, each convolved with its share of the kernels (depthwise: groups = channels). */
  featureGroupCount?: number;
  /** Layouts of input, kernel and output, as JAX's strings: default ["NCHW", "OIHW", "NCHW"] (any letters for spatial axes: "NCW", "NDHWC", …). */
  dimensionNumbers?: readonly [string, string, string];
}

function perAxis(op: string, name: string, v: number | readonly number[] | undefined, n: number, dflt: number, min: number): number[] {
  const arr = v === undefined ? new Array<number>(n).fill(dflt) : typeof v === "number" ? new Array<number>(n).fill(v) : Array.isArray(v) ? [...v] : [NaN];
  if (arr.length !== n || arr.some((d) => !Number.isInteger(d) || d < min)) {
    throw new InputError(`${op}: ${name} must be ${min === 0 ? "a non-negative" : "a positive"} integer or one per spatial axis (${n}); got ${fmtValue(v)}`);
  }
  return arr;
}

/** Explicit [lo, hi] padding per spatial axis from a padding spec (JAX's padtype_to_pads). */
function padsFor(op: string, padding: Padding | undefined, spatial: readonly number[], window: readonly number[], strides: readonly number[], rhsDil: readonly number[], lhsDil: readonly number[]): [number[], number[]] {
  const n = spatial.length;
  if (padding === undefined || padding === "VALID") return [new Array(n).fill(0), new Array(n).fill(0)];
  if (padding === "SAME" || padding === "SAME_LOWER") {
    const lo: number[] = [], hi: number[] = [];
    for (let i = 0; i < n; i++) {
      const inLen = (spatial[i] - 1) * lhsDil[i] + 1, span = (window[i] - 1) * rhsDil[i] + 1;
      const out = Math.ceil(inLen / strides[i]);
      const total = Math.max((out - 1) * strides[i] + span - inLen, 0);
      const small = Math.floor(total / 2);
      lo.push(padding === "SAME" ? small : total - small);
      hi.push(padding === "SAME" ? total - small : small);
    }
    return [lo, hi];
  }
  if (!Array.isArray(padding) || padding.length !== n || padding.some((p) => !Array.isArray(p) || p.length !== 2 || p.some((v: unknown) => !Number.isInteger(v)))) {
    throw new InputError(`${op}: padding must be "VALID", "SAME", "SAME_LOWER" or one [lo, hi] pair of integers per spatial axis (${n}); got ${fmtValue(padding)}`);
  }
  // JAX crops for negative padding; here it is refused, with the way to do it
  if (padding.some(([a, b]) => a < 0 || b < 0)) throw new InputError(`${op}: negative padding is not supported; slice the input instead`);
  return [padding.map((p) => p[0]), padding.map((p) => p[1])];
}

/** The permutation taking a layout string to canonical order [batch/out, feature/in, spatial in the first string's order]. */
function layoutPerm(op: string, spec: string, first: string, second: string, spatialOrder: string): number[] {
  const chars = [...spec];
  if (new Set(chars).size !== chars.length || !chars.includes(first) || !chars.includes(second)) {
    throw new InputError(`${op}: layout ${fmtValue(spec)} must name each axis once, with ${first} and ${second}`);
  }
  const spatial = [...spatialOrder];
  const rest = chars.filter((c) => c !== first && c !== second);
  if (rest.length !== spatial.length || rest.some((c) => !spatial.includes(c))) throw new InputError(`${op}: layouts must share their spatial letters; got ${fmtValue(spec)} against ${fmtValue(spatialOrder)}`);
  return [chars.indexOf(first), chars.indexOf(second), ...spatial.map((c) => chars.indexOf(c))];
}
const inverse = (perm: number[]) => perm.map((_, i) => perm.indexOf(i));

/**
 * The general N-dimensional convolution (JAX's lax.conv_general_dilated): lhs [N, C, ...spatial],
 * rhs [O, C / groups, ...window] in the default layouts. Output [N, O, ...out].
 * @example
 * const y = convGeneralDilated(ones([1, 1, 4, 4]), ones([1, 1, 2, 2]), { strides: 2 });
 * y // → [[[[4, 4], [4, 4]]]]
 */
export function convGeneralDilated(lhs: TensorLike, rhs: TensorLike, options?: ConvOptions): Tensor {
  const op = "convGeneralDilated";
  const opts = checkOptions(op, options, ["strides", "padding", "lhsDilation", "rhsDilation", "featureGroupCount", "dimensionNumbers"]);
  let [x, k] = operands(op, [lhs, rhs], { float: true });
  const [ls, rs, os] = opts.dimensionNumbers ?? [null, null, null];
  if (x.ndim < 3 || x.ndim !== k.ndim) throw new ShapeError(`${op}: lhs and rhs need the same rank, at least 3 ([N, C, ...spatial] and [O, I, ...window]); got ${fmtShape(x.shape)} and ${fmtShape(k.shape)}`);
  let outPerm: number[] | null = null;
  if (ls !== null) {
    if (typeof ls !== "string" || typeof rs !== "string" || typeof os !== "string" || ls.length !== x.ndim || rs.length !== x.ndim || os.length !== x.ndim) {
      throw new InputError(`${op}: dimensionNumbers must be three layout strings of rank ${x.ndim}, e.g. ["NHWC", "HWIO", "NHWC"]; got ${fmtValue(opts.dimensionNumbers)}`);
    }
    const spatial = [...ls].filter((c) => c !== "N" && c !== "C").join("");
    x = S.transpose(x, layoutPerm(op, ls, "N", "C", spatial));
    k = S.transpose(k, layoutPerm(op, rs, "O", "I", spatial));
    outPerm = inverse(layoutPerm(op, os, "N", "C", spatial));
  }
  const [N, C, ...spatial] = x.shape, [O, I, ...window] = k.shape;
  const nS = spatial.length;
  const G = opts.featureGroupCount ?? 1;
  if (!Number.isInteger(G) || G < 1 || C % G !== 0 || O % G !== 0 || I * G !== C) {
    throw new ShapeError(`${op}: with ${G} feature group${G === 1 ? "" : "s"}, the input's ${C} channels must equal the kernel's ${I} input channels × ${G}, and its ${O} output channels must divide by ${G}`);
  }
  const strides = perAxis(op, "strides", opts.strides, nS, 1, 1);
  const rhsDil = perAxis(op, "rhsDilation", opts.rhsDilation, nS, 1, 1);
  const lhsDil = perAxis(op, "lhsDilation", opts.lhsDilation, nS, 1, 1);
  const [lo, hi] = padsFor(op, opts.padding, spatial, window, strides, rhsDil, lhsDil);
  // patches [C, ...window, N, ...out] = [G, I·window, N·out]: one product per group with the kernel [G, O/G, I·window]
  const p = V.patches(x, { window, strides, dilation: rhsDil, lhsDilation: lhsDil, lo, hi, fill: 0, layout: "channels-major" });
  const out = p.shape.slice(2 + nS), K = I * sizeOf(window), Pn = N * sizeOf(out);
  let y = G === 1 ? L.matmul(S.reshape(k, [O, K]), S.reshape(p, [K, Pn])) : L.matmul(S.reshape(k, [G, O / G, K]), S.reshape(p, [G, K, Pn]));
  y = S.transpose(S.reshape(y, [O, N, sizeOf(out)]), [1, 0, 2]); // [N, O, out]
  y = S.reshape(y, [N, O, ...out]);
  return outPerm ? S.transpose(y, outPerm) : y;
}

/**
 * lax.conv: convGeneralDilated with strides and padding only (layouts NCHW / OIHW).
 * @example
 * conv(ones([1, 1, 3, 3]), ones([2, 1, 3, 3]), 1, "SAME").shape // → [1, 2, 3, 3]
 */
export function conv(lhs: TensorLike, rhs: TensorLike, strides?: number | readonly number[], padding: Padding = "VALID"): Tensor {
  return convGeneralDilated(lhs, rhs, { strides, padding });
}

export interface ConvNdOptions {
  strides?: number | readonly number[];
  padding?: Padding;
  dilation?: number | readonly number[];
  groups?: number;
  /** "NCHW" (kernel OIHW; the default) or "NHWC" (kernel HWIO), with the spatial letters of the rank. */
  channels?: "first" | "last";
}
function convNd(op: string, spatialLetters: string, x: TensorLike, w: TensorLike, options: ConvNdOptions | undefined): Tensor {
  const opts = checkOptions(op, options, ["strides", "padding", "dilation", "groups", "channels"]);
  const last = opts.channels === "last";
  if (opts.channels !== undefined && opts.channels !== "first" && !last) throw new InputError(`${op}: channels must be "first" or "last"; got ${fmtValue(opts.channels)}`);
  const dn: [string, string, string] = last ? [`N${spatialLetters}C`, `${spatialLetters}IO`, `N${spatialLetters}C`] : [`NC${spatialLetters}`, `OI${spatialLetters}`, `NC${spatialLetters}`];
  return convGeneralDilated(x, w, { strides: opts.strides, padding: opts.padding, rhsDilation: opts.dilation, featureGroupCount: opts.groups, dimensionNumbers: dn });
}
/**
 * 1-D convolution: x [N, C, W], w [O, C/groups, K] (or channels last: [N, W, C] and [K, I, O]).
 * @example
 * conv1d(tensor([[[1, 2, 3, 4]]]), tensor([[[1, -1]]])) // → [[[-1, -1, -1]]]
 */
export const conv1d = (x: TensorLike, w: TensorLike, opts?: ConvNdOptions): Tensor => convNd("conv1d", "W", x, w, opts);
/**
 * 2-D convolution: x [N, C, H, W], w [O, C/groups, KH, KW] (or channels last: [N, H, W, C] and [KH, KW, I, O]).
 * @example
 * conv2d(ones([2, 3, 8, 8]), ones([4, 3, 3, 3]), { padding: "SAME" }).shape // → [2, 4, 8, 8]
 */
export const conv2d = (x: TensorLike, w: TensorLike, opts?: ConvNdOptions): Tensor => convNd("conv2d", "HW", x, w, opts);
/**
 * 3-D convolution: x [N, C, D, H, W], w [O, C/groups, KD, KH, KW].
 * @example
 * conv3d(ones([1, 1, 4, 4, 4]), ones([1, 1, 2, 2, 2])).shape // → [1, 1, 3, 3, 3]
 */
export const conv3d = (x: TensorLike, w: TensorLike, opts?: ConvNdOptions): Tensor => convNd("conv3d", "DHW", x, w, opts);

export interface PoolOptions {
  /** Default: the window (non-overlapping windows). */
  strides?: number | readonly number[];
  /** Default "VALID". */
  padding?: Padding;
  /** Where the channels are: "first" ([N, C, ...spatial], the default) or "last" ([N, ...spatial, C], flax's layout). */
  channels?: "first" | "last";
}
function pool(op: string, x0: TensorLike, window: number | readonly number[], options: PoolOptions | undefined, reduce: (p: Tensor, axes: number[]) => Tensor, fill: number): Tensor {
  const opts = checkOptions(op, options, ["strides", "padding", "channels"]);
  let x = floatOperand(op, x0);
  if (x.ndim < 3) throw new ShapeError(`${op}: needs an input of shape [N, C, ...spatial] (or [N, ...spatial, C]); got ${fmtShape(x.shape)}`);
  const last = opts.channels === "last";
  const nS = x.ndim - 2;
  if (last) x = S.transpose(x, [0, x.ndim - 1, ...Array.from({ length: nS }, (_, i) => i + 1)]);
  const win = perAxis(op, "window", window, nS, 1, 1);
  const strides = perAxis(op, "strides", opts.strides ?? win, nS, 1, 1);
  const ones = new Array<number>(nS).fill(1);
  const [lo, hi] = padsFor(op, opts.padding, x.shape.slice(2), win, strides, ones, ones);
  const p = V.patches(x, { window: win, strides, dilation: ones, lhsDilation: ones, lo, hi, fill, layout: "window-last" }); // [N, C, ...out, ...window]
  let y = reduce(p, Array.from({ length: nS }, (_, i) => 2 + nS + i));
  if (last) y = S.transpose(y, [0, ...Array.from({ length: nS }, (_, i) => i + 2), 1]);
  return y;
}
/**
 * Max over each window (padding counts as −∞). The derivative goes to the window's maximum (shared equally between ties).
 * @example
 * maxPool(tensor([[[[1, 2], [3, 4]]]]), 2) // → [[[[4]]]]
 */
export const maxPool = (x: TensorLike, window: number | readonly number[], opts?: PoolOptions): Tensor => pool("maxPool", x, window, opts, (p, axes) => R.reduceMax(p, axes), -Infinity);
/**
 * Mean over each window; padded positions count as zeros (flax's avg_pool with count_include_pad).
 * @example
 * avgPool(tensor([[[[1, 2], [3, 4]]]]), 2) // → [[[[2.5]]]]
 */
export const avgPool = (x: TensorLike, window: number | readonly number[], opts?: PoolOptions): Tensor =>
  pool("avgPool", x, window, opts, (p, axes) => P.mul(R.reduceSum(p, axes), scalarTensor(1 / axes.reduce((s, a) => s * p.shape[a], 1), p.dtype)), 0);
