/** @file Reductions: sum, max, argmax over axes. */
import { defineOp, bind1 } from "./define.js";
import type { Aval, Tensor } from "../core/tensor.js";
import { LinearIn, type Primitive, coreOps } from "../core/primitive.js";
import { type Shape, sizeOf } from "../core/shape.js";
import { ShapeError, fmtShape } from "../core/errors.js";
import { reduceArray, sumLeading } from "../tensor/kernels.js";
import { sumPending } from "../tensor/fuse.js";
import { ArrayTensor } from "../tensor/array.js";
import { allocate } from "../core/dtype.js";
import { broadcastTo, reshape } from "./shape-ops.js";
import { cast, compare, div, mul } from "./elementwise.js";

type AxesParams = { axes: number[] };

function reducedShape(op: string, x: Aval, axes: number[]): number[] {
  for (const a of axes) if (!(a >= 0 && a < x.shape.length)) throw new ShapeError(`${op}: axis ${a} out of range for shape ${fmtShape(x.shape)}`);
  return x.shape.filter((_, i) => !axes.includes(i));
}

/** The shape with reduced axes kept as size 1, to broadcast a reduction back against its input. */
export function keptShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/**
 * A float reduction over the last axes (rows of `length` elements, summed or maxed in order from 0
 * or −∞ as reduceArray does) that a fused loop can do per row; a sum of everything is `accumulates`.
 */
function trailingRows(x: Aval, axes: readonly number[], op: "sum" | "max" | "argmax"): { op: "sum" | "max" | "argmax"; length: number } | null {
  const r = x.shape.length, m = axes.length;
  if (m === 0 || (x.dtype !== "float64" && x.dtype !== "float32") || !axes.every((a) => a >= r - m) || new Set(axes).size !== m) return null;
  const length = sizeOf(x.shape.slice(r - m));
  if (length === 0 || (op === "sum" && m === r)) return null;
  return { op, length };
}

export const reduceSumP = defineOp<AxesParams>({
  name: "reduceSum",
  impl: ([x], { axes }) => {
    if (x.pending !== null && x.shape.every((d, i) => d === 1 || axes.includes(i))) {
      const s = sumPending(x); // a full sum of a pending expression: one loop, nothing stored
      if (s !== null) {
        const out = allocate(x.dtype, 1);
        out[0] = s;
        return new ArrayTensor(out, x.shape.filter((_, i) => !axes.includes(i)), x.dtype);
      }
    }
    const lead = axes.length > 0 && axes.every((a, i) => a === i) && axes.length < x.shape.length;
    return lead && x.dtype !== "bool" ? sumLeading(x, axes.length) : reduceArray(x, axes, "sum", x.dtype === "bool" ? "int32" : x.dtype);
  },
  shape: ([x], { axes }) => ({ shape: reducedShape("sum", x, axes), dtype: x.dtype === "bool" ? "int32" : x.dtype }),
  identity: (_args, { axes }) => (axes.length === 0 ? 0 : null),
  accumulates: (x, outShape) => outShape.every((d) => d === 1) && x.dtype !== "bool", // a full sum: one accumulator
  reducesRows: (x, { axes }) => trailingRows(x, axes, "sum"),
  // leading axes go to sumLeading, which adds each row into the output in order
  sumsColumns: (x, { axes }) =>
    axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i) && (x.dtype === "float64" || x.dtype === "float32") ? { length: sizeOf(x.shape.slice(axes.length)) } : null,
  jvp: "linear",
  // The cotangent of a sum is broadcast back over the summed axes.
  transpose: (ct, [x], { axes }) => [broadcastTo(reshape(ct, keptShape((x as LinearIn).aval.shape, axes)), (x as LinearIn).aval.shape)],
  batch: ([x], _, { axes }) => reduceSum(x, axes.map((a) => a + 1)),
  showParams: (p) => `axes=[${p.axes}]`,
});

/** NOTE: at ties the derivative of max is shared equally among the maximal elements. */
export const reduceMaxP: Primitive<AxesParams> = defineOp<AxesParams>({
  name: "reduceMax",
  impl: ([x], { axes }) => reduceArray(x, axes, "max", x.dtype),
  reducesRows: (x, { axes }) => trailingRows(x, axes, "max"),
  shape([x], { axes }) {
    for (const a of axes) {
      if (x.shape[a] === 0) throw new ShapeError(`max: cannot reduce over axis ${a} of size 0 (shape ${fmtShape(x.shape)})`);
    }
    return { shape: reducedShape("max", x, axes), dtype: x.dtype };
  },
  jvp: ([x], out, { axes }) => {
    const mask = cast(compare(x, broadcastTo(reshape(out, keptShape(x.shape, axes)), x.shape), "eq"), x.dtype);
    const count = reduceSum(mask, axes);
    return [(dx) => div(reduceSum(mul(dx, mask), axes), count)];
  },
  transpose: null,
  batch: ([x], _, { axes }): Tensor => bind1(reduceMaxP, [x], { axes: axes.map((a) => a + 1) }),
  showParams: (p) => `axes=[${p.axes}]`,
});

export const argmaxP: Primitive<{ axis: number }> = defineOp<{ axis: number }>({
  name: "argmax",
  impl: ([x], { axis }) => reduceArray(x, [axis], "argmax", "int32"),
  reducesRows: (x, { axis }) => trailingRows(x, [axis], "argmax"),
  shape([x], { axis }) {
    if (x.shape[axis] === 0) throw new ShapeError(`argmax: axis ${axis} has size 0 (shape ${fmtShape(x.shape)})`);
    return { shape: reducedShape("argmax", x, [axis]), dtype: "int32" };
  },
  jvp: null,
  transpose: null,
  batch: ([x], _, { axis }): Tensor => bind1(argmaxP, [x], { axis: axis + 1 }),
  showParams: (p) => `axis=${p.axis}`,
});

/**
 * The indices that sort each run along `axis` (ascending, or descending), stably: equal values keep
 * their order, NaN sorts last either way (as NumPy). Integer output, no derivative; `sort` and
 * `topK` gather with it, so their derivatives are the gather's.
 */
export const argsortP: Primitive<{ axis: number; descending: boolean }> = defineOp<{ axis: number; descending: boolean }>({
  name: "argsort",
  impl([x], { axis, descending }) {
    const shape = x.shape, n = shape[axis];
    const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1), outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const src = x.data, out = allocate("int32", src.length);
    const idx = Array.from({ length: n }, (_, i) => i), vals = new Float64Array(n);
    const rank = (v: number) => (v !== v ? 1 : 0);
    for (let o = 0; o < outer; o++) {
      for (let q = 0; q < inner; q++) {
        const base = o * n * inner + q;
        for (let i = 0; i < n; i++) (vals[i] = src[base + i * inner]), (idx[i] = i);
        idx.sort((a, b) => rank(vals[a]) - rank(vals[b]) || (descending ? vals[b] - vals[a] : vals[a] - vals[b]) || a - b);
        for (let i = 0; i < n; i++) out[base + i * inner] = idx[i];
      }
    }
    return new ArrayTensor(out, shape, "int32");
  },
  shape([x], { axis }) {
    if (!(axis >= 0 && axis < x.shape.length)) throw new ShapeError(`argsort: axis ${axis} out of range for shape ${fmtShape(x.shape)}`);
    return { shape: [...x.shape], dtype: "int32" };
  },
  jvp: null,
  transpose: null,
  batch: ([x], _, p): Tensor => bind1(argsortP, [x], { ...p, axis: p.axis + 1 }),
  showParams: (p) => `axis=${p.axis}${p.descending ? " descending" : ""}`,
});
export const argsort = (x: Tensor, axis: number, descending = false): Tensor => bind1(argsortP, [x], { axis, descending });

export const reduceSum = (x: Tensor, axes: number[]): Tensor => (axes.length === 0 ? x : bind1(reduceSumP, [x], { axes }));
coreOps.reduceSum = reduceSum;
export const reduceMax = (x: Tensor, axes: number[]): Tensor => (axes.length === 0 ? x : bind1(reduceMaxP, [x], { axes }));
export const argmax = (x: Tensor, axis: number): Tensor => bind1(argmaxP, [x], { axis });

/** Sum `x` down to `shape` (the inverse of NumPy broadcasting `shape` up to x.shape). */

