/**
 * @file Structural primitives: reshape, broadcast, transpose, slice, pad, concatenate, gather and
 * scatter-add. All are linear; each transpose is another of them.
 */
import { defineOp, bind1, zerosLike, alignBatched, unbroadcast } from "./define.js";
import type { Aval, Tensor } from "../core/tensor.js";
import { LinearIn, coreOps, type Primitive } from "../core/primitive.js";
import { type Affine, type Shape, checkSize, affinePad, affineSlice, broadcastShapes, contiguousPad, flatStride, shapeEq, sizeOf, stridesOf } from "../core/shape.js";
import { InputError, ShapeError, fmtShape, DTypeError, fmtValue } from "../core/errors.js";
import { allocate, offered } from "../core/dtype.js";
import { ArrayTensor } from "../tensor/array.js";
import { broadcastArray, stridedCopy, stridedWrite, transposeArray } from "../tensor/kernels.js";
import { placedOf, viewOf } from "../tensor/fuse.js";

const avalOf = (a: Tensor | LinearIn): Aval => (a instanceof LinearIn ? a.aval : a);

export const reshapeP = defineOp<{ shape: number[] }>({
  name: "reshape",
  impl: ([x], { shape }) => x.withShape(shape),
  shape([x], { shape }) {
    if (sizeOf(shape) !== sizeOf(x.shape)) {
      throw new ShapeError(`reshape: cannot reshape ${fmtShape(x.shape)} (${sizeOf(x.shape)} elements) to ${fmtShape(shape)} (${sizeOf(shape)} elements)`);
    }
    return { shape, dtype: x.dtype };
  },
  jvp: "linear",
  transpose: (ct, [x]) => [reshape(ct, avalOf(x).shape)],
  batch: ([x], _, { shape }) => reshape(x, [x.shape[0], ...shape]),
  showParams: (p) => fmtShape(p.shape),
  identity: () => 0, // to the same shape (the caller checks the aval)
  load: () => ({ kind: "same", view: true }),
});

export const broadcastToP = defineOp<{ shape: number[] }>({
  name: "broadcastTo",
  expands: true,
  impl: ([x], { shape }) => broadcastArray(x, shape),
  shape([x], { shape }) {
    const res = broadcastShapes("broadcastTo", x.shape, shape);
    if (!shapeEq(res, shape)) throw new ShapeError(`broadcastTo: cannot broadcast ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
    return { shape, dtype: x.dtype };
  },
  jvp: "linear",
  transpose: (ct, [x]) => [unbroadcast(ct, avalOf(x).shape)],
  batch: ([x], _, { shape }) => broadcastTo(alignBatched(x, shape.length), [x.shape[0], ...shape]),
  showParams: (p) => fmtShape(p.shape),
  load: ([inShape], outShape) => (sizeOf(inShape) === 1 ? { kind: "scalar" } : sizeOf(inShape) === sizeOf(outShape) ? { kind: "same" } : { kind: "broadcast" }),
  identity: () => 0, // to the same shape (the caller checks the aval)
});

export const transposeP = defineOp<{ perm: number[] }>({
  name: "transpose",
  impl: ([x], { perm }) => transposeArray(x, perm),
  shape([x], { perm }) {
    const n = x.shape.length;
    if (perm.length !== n || new Set(perm).size !== n || perm.some((p) => !(Number.isInteger(p) && p >= 0 && p < n))) {
      throw new ShapeError(`transpose: ${fmtValue(perm)} is not a permutation of the ${n} axes of ${fmtShape(x.shape)}`);
    }
    return { shape: perm.map((p) => x.shape[p]), dtype: x.dtype };
  },
  identity: (_args, { perm }) => (perm.every((p, i) => p === i) ? 0 : null),
  jvp: "linear",
  transpose: (ct, _x, { perm }) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [transpose(ct, inv)];
  },
  batch: ([x], _, { perm }) => transpose(x, [0, ...perm.map((p) => p + 1)]),
  showParams: (p) => `[${p.perm}]`,
});

type SliceParams = { starts: number[]; limits: number[]; steps: number[] };
const sliceLen = (start: number, limit: number, step: number) => Math.max(0, Math.ceil((limit - start) / step));

export const sliceP = defineOp<SliceParams>({
  name: "slice",
  load: ([inShape], _out, p) => { const a = affineSlice(inShape, p); return a && { kind: "affine", ...a }; },
  impl: ([x], { starts, limits, steps }) => {
    const st = stridesOf(x.shape);
    const shape = starts.map((s, i) => sliceLen(s, limits[i], steps[i]));
    const offset = starts.reduce((acc, s, i) => acc + s * st[i], 0);
    const s = flatStride(shape, st.map((v, i) => v * steps[i]));
    const view = s === null ? null : viewOf(x, offset, s, shape); // one strided run: read in place
    if (view !== null) return view;
    return new ArrayTensor(stridedCopy(x.data, offset, st.map((s, i) => s * steps[i]), shape, x.dtype), shape, x.dtype);
  },
  shape([x], { starts, limits, steps }) {
    const n = x.shape.length;
    const ok = starts.length === n && limits.length === n && steps.length === n &&
      starts.every((s, i) => s >= 0 && s <= limits[i] && limits[i] <= x.shape[i] && steps[i] >= 1);
    if (!ok) throw new ShapeError(`slice: starts ${fmtShape(starts)}, limits ${fmtShape(limits)}, steps ${fmtShape(steps)} do not fit shape ${fmtShape(x.shape)}`);
    return { shape: starts.map((s, i) => sliceLen(s, limits[i], steps[i])), dtype: x.dtype };
  },
  jvp: "linear",
  // The transpose of taking a strided window is zero-padding back around it.
  transpose: (ct, [x], { starts, steps }) => {
    const shape = avalOf(x).shape;
    const lo = starts;
    const hi = shape.map((d, i) => d - (starts[i] + (ct.shape[i] === 0 ? 0 : (ct.shape[i] - 1) * steps[i] + 1)));
    return [pad(ct, lo, hi, steps.map((s) => s - 1))];
  },
  batch: ([x], _, { starts, limits, steps }) => slice(x, [0, ...starts], [x.shape[0], ...limits], [1, ...steps]),
  showParams: (p) => `starts=[${p.starts}] limits=[${p.limits}]` + (p.steps.some((s) => s !== 1) ? ` steps=[${p.steps}]` : ""),
});

type PadParams = { lo: number[]; hi: number[]; interior: number[] };
const paddedLen = (d: number, lo: number, hi: number, interior: number) => lo + hi + d + Math.max(0, d - 1) * interior;

/** Zero padding: lo/hi elements before/after each axis and `interior` zeros between elements. */
export const padP = defineOp<PadParams>({
  name: "pad",
  load: ([inShape], outShape, p) => { const a = contiguousPad(inShape, outShape, p); return a && { kind: "window", off: a.off, len: sizeOf(inShape) }; },
  place: (inShape, outShape, p) => affinePad(inShape, outShape, p),
  impl: ([x], { lo, hi, interior }) => {
    const shape = x.shape.map((d, i) => paddedLen(d, lo[i], hi[i], interior[i]));
    const st = stridesOf(shape);
    const offset = lo.reduce((acc, l, i) => acc + l * st[i], 0);
    const s = flatStride(x.shape, st.map((v, i) => v * (interior[i] + 1)));
    const placed = s === null ? null : placedOf(x, offset, s, shape); // one strided run: written when needed
    if (placed !== null) return placed;
    const out = allocate(x.dtype, sizeOf(shape));
    stridedWrite(out, lo.reduce((acc, l, i) => acc + l * st[i], 0), st.map((s, i) => s * (interior[i] + 1)), x.data, x.shape);
    return new ArrayTensor(out, shape, x.dtype);
  },
  shape([x], { lo, hi, interior }) {
    const n = x.shape.length;
    if (lo.length !== n || hi.length !== n || interior.length !== n || [...lo, ...hi, ...interior].some((v) => !(Number.isInteger(v) && v >= 0))) {
      throw new ShapeError(`pad: widths lo=${fmtShape(lo)} hi=${fmtShape(hi)} interior=${fmtShape(interior)} must be non-negative integers, one per axis of ${fmtShape(x.shape)}`);
    }
    const shape = x.shape.map((d, i) => paddedLen(d, lo[i], hi[i], interior[i]));
    checkSize(shape, "pad");
    return { shape, dtype: x.dtype };
  },
  jvp: "linear",
  transpose: (ct, [x], { lo, interior }) => {
    const shape = avalOf(x).shape;
    const steps = interior.map((v) => v + 1);
    return [slice(ct, lo, shape.map((d, i) => lo[i] + (d === 0 ? 0 : (d - 1) * steps[i] + 1)), steps)];
  },
  batch: ([x], _, { lo, hi, interior }) => pad(x, [0, ...lo], [0, ...hi], [0, ...interior]),
  showParams: (p) => `lo=[${p.lo}] hi=[${p.hi}]` + (p.interior.some((v) => v) ? ` interior=[${p.interior}]` : ""),
});

export const concatP = defineOp<{ axis: number }>({
  name: "concat",
  freshOutput: true, // impl allocates its result
  writesInto: true, // or writes every element of the storage offered
  // along the first axis longer than 1, the inputs' elements lie end to end in the output
  load: (inShapes, outShape, { axis }) => (sizeOf(outShape.slice(0, axis)) === 1 ? { kind: "blocks", sizes: inShapes.map(sizeOf) } : null),
  impl: (xs, { axis }, into) => {
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
    const out = offered(into, xs[0].dtype, sizeOf(shape)) ?? allocate(xs[0].dtype, sizeOf(shape));
    const st = stridesOf(shape);
    let at = 0;
    for (const x of xs) {
      stridedWrite(out, at * st[axis], st, x.data, x.shape);
      at += x.shape[axis];
    }
    return new ArrayTensor(out, shape, xs[0].dtype);
  },
  shape(xs, { axis }) {
    if (xs.length === 0) throw new ShapeError("concat: needs at least one tensor");
    const first = xs[0];
    for (const x of xs) {
      const ok = x.shape.length === first.shape.length && x.shape.every((d, i) => i === axis || d === first.shape[i]);
      if (!ok) throw new ShapeError(`concat: shapes ${xs.map((t) => fmtShape(t.shape)).join(", ")} differ outside axis ${axis}`);
      if (x.dtype !== first.dtype) throw new DTypeError(`concat: dtypes ${xs.map((t) => t.dtype).join(", ")} differ; cast them to one dtype`);
    }
    const shape = [...first.shape];
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
    return { shape, dtype: first.dtype };
  },
  jvp: "linear",
  transpose: (ct, xs, { axis }) => {
    let at = 0;
    return xs.map((x) => {
      const shape = avalOf(x).shape;
      const starts = shape.map((_, i) => (i === axis ? at : 0));
      const limits = shape.map((d, i) => (i === axis ? at + d : ct.shape[i]));
      at += shape[axis];
      return x instanceof LinearIn ? slice(ct, starts, limits) : null;
    });
  },
  batch: (xs, batched, { axis }) => {
    const b = xs[batched.indexOf(true)].shape[0];
    return concat(xs.map((x, i) => (batched[i] ? x : broadcastTo(reshape(x, [1, ...x.shape]), [b, ...x.shape]))), axis + 1);
  },
  showParams: (p) => `axis=${p.axis}`,
});

function checkIndex(op: string, idx: ArrayTensor, size: number): void {
  const d = idx.data;
  for (let i = 0; i < d.length; i++) {
    if (!(d[i] >= -size && d[i] < size)) throw new InputError(`${op}: index ${d[i]} is out of bounds for an axis of size ${size}`);
  }
}

function gatherShape(op: string, x: Aval, idx: Aval, axis: number): number[] {
  if (idx.dtype !== "int32") throw new DTypeError(`${op}: indices must be int32; got ${idx.dtype}${fmtShape(idx.shape)} (use tensor(i, { dtype: "int32" }))`);
  if (!(axis >= 0 && axis < x.shape.length)) throw new ShapeError(`${op}: axis ${axis} out of range for shape ${fmtShape(x.shape)}`);
  return [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
}

/** take(x, idx, axis): out[pre, j…, post] = x[pre, idx[j…], post]; negative indices count from the end. */
export const gatherP = defineOp<{ axis: number }>({
  name: "gather",
  freshOutput: true,
  writesInto: true, // every element of the storage offered
  impl: ([x, idx], { axis }, into) => {
    const size = x.shape[axis];
    checkIndex("take", idx, size);
    const shape = gatherShape("take", x, idx, axis);
    const pre = sizeOf(x.shape.slice(0, axis)), post = sizeOf(x.shape.slice(axis + 1)), k = idx.data.length;
    const out = offered(into, x.dtype, sizeOf(shape)) ?? allocate(x.dtype, sizeOf(shape));
    const src = x.data, id = idx.data;
    for (let p = 0, o = 0; p < pre; p++) {
      for (let j = 0; j < k; j++, o += post) {
        const i = id[j] < 0 ? id[j] + size : id[j];
        const s = (p * size + i) * post;
        for (let q = 0; q < post; q++) out[o + q] = src[s + q];
      }
    }
    return new ArrayTensor(out, shape, x.dtype);
  },
  shape: ([x, idx], { axis }) => ({ shape: gatherShape("take", x, idx, axis), dtype: x.dtype }),
  jvp: "linear",
  transpose: (ct, [x, idx], { axis }) => [scatterAdd(ct, idx as Tensor, axis, avalOf(x).shape), null],
  batch: ([x, idx], [bx, bi], { axis }) => (bx && !bi ? gather(x, idx, axis + 1) : null), // batched indices: per element
  showParams: (p) => `axis=${p.axis}`,
});

/** The transpose of gather: out = zeros(shape); out[pre, idx[j…], post] += u[pre, j…, post]. */
export const scatterAddP = defineOp<{ axis: number; shape: number[] }>({
  name: "scatterAdd",
  freshOutput: true,
  writesInto: true, // zeroed first: the offered storage holds the last call's values
  impl: ([u, idx], { axis, shape }, into) => {
    const size = shape[axis];
    checkIndex("scatterAdd", idx, size);
    const pre = sizeOf(shape.slice(0, axis)), post = sizeOf(shape.slice(axis + 1)), k = idx.data.length;
    const out = offered(into, u.dtype, sizeOf(shape))?.fill(0) ?? allocate(u.dtype, sizeOf(shape));
    const src = u.data, id = idx.data;
    for (let p = 0, o = 0; p < pre; p++) {
      for (let j = 0; j < k; j++, o += post) {
        const i = id[j] < 0 ? id[j] + size : id[j];
        const d = (p * size + i) * post;
        for (let q = 0; q < post; q++) out[d + q] += src[o + q];
      }
    }
    return new ArrayTensor(out, shape, u.dtype);
  },
  shape([u, idx], { axis, shape }) {
    const expected = gatherShape("scatterAdd", { shape, dtype: u.dtype }, idx, axis);
    if (!shapeEq(expected, u.shape)) throw new ShapeError(`scatterAdd: updates have shape ${fmtShape(u.shape)}, expected ${fmtShape(expected)}`);
    return { shape, dtype: u.dtype };
  },
  jvp: "linear",
  transpose: (ct, [, idx], { axis }) => [gather(ct, idx as Tensor, axis), null],
  batch: ([u, idx], [bu, bi], { axis, shape }) => (bu && !bi ? scatterAdd(u, idx, axis + 1, [u.shape[0], ...shape]) : null),
  showParams: (p) => `axis=${p.axis} shape=${fmtShape(p.shape)}`,
});

/**
 * Σₖ pad(uₖ) with affine placements, as one equation: output element offₖ + i·strideₖ receives
 * input k's element i. jit's `fuseScatters` makes it from sums of pads (the transpose of slices,
 * e.g. the gradient of x[1:] and x[:-1], or of x[::2] and x[1::2]), and its fused loop writes
 * `out[offₖ + i·strideₖ] += uₖ` without materialising the uₖ or the padded arrays. Linear in every
 * input; its transpose reads each input's elements back as a strided slice of the flat cotangent.
 */
export interface ScatterSumParams {
  places: Affine[];
  shape: number[];
}
export const scatterSumP: Primitive<ScatterSumParams> = defineOp<ScatterSumParams>({
  name: "scatterSum",
  impl(args, { places, shape }) {
    const out = allocate(args[0].dtype, sizeOf(shape));
    args.forEach((a, k) => {
      const d = a.data, { off, stride } = places[k];
      for (let i = 0; i < d.length; i++) out[off + i * stride] += d[i];
    });
    return new ArrayTensor(out, shape, args[0].dtype);
  },
  shape(avals, { places, shape }) {
    const n = sizeOf(shape);
    avals.forEach((a, k) => {
      const m = sizeOf(a.shape), { off, stride } = places[k] ?? { off: -1, stride: 0 };
      if (a.dtype !== avals[0].dtype || off < 0 || stride < 1 || (m > 0 && off + (m - 1) * stride >= n)) {
        throw new ShapeError(`scatterSum: input ${k} (${a.dtype}${fmtShape(a.shape)}) does not fit at ${off} + i·${stride} in ${fmtShape(shape)}`);
      }
    });
    return { shape, dtype: avals[0].dtype };
  },
  jvp: "linear",
  transpose: (ct, args, { places, shape }) => {
    const flat = reshape(ct, [sizeOf(shape)]);
    return args.map((a, k) => {
      if (!(a instanceof LinearIn)) return null;
      const m = sizeOf(a.aval.shape), { off, stride } = places[k];
      return reshape(slice(flat, [off], [off + (m - 1) * stride + 1], [stride]), a.aval.shape);
    });
  },
  showParams: (p) => `places=[${p.places.map((a) => `${a.off}+${a.stride}i`)}]`,
});

export const reshape = (x: Tensor, shape: Shape): Tensor => (shapeEq(x.shape, shape) ? x : bind1(reshapeP, [x], { shape: [...shape] }));
export const broadcastTo = (x: Tensor, shape: Shape): Tensor => (shapeEq(x.shape, shape) ? x : bind1(broadcastToP, [x], { shape: [...shape] }));
export const transpose = (x: Tensor, perm: number[]): Tensor => (perm.every((p: number, i: number) => p === i) ? x : bind1(transposeP, [x], { perm }));
export const slice = (x: Tensor, starts: number[], limits: number[], steps: number[] = starts.map(() => 1)): Tensor =>
  bind1(sliceP, [x], { starts, limits, steps });
export const pad = (x: Tensor, lo: number[], hi: number[], interior: number[] = lo.map(() => 0)): Tensor =>
  bind1(padP, [x], { lo, hi, interior });
export const concat = (xs: Tensor[], axis: number): Tensor => (xs.length === 1 ? xs[0] : bind1(concatP, xs, { axis }));
export const gather = (x: Tensor, idx: Tensor, axis: number): Tensor => bind1(gatherP, [x, idx], { axis });
export const scatterAdd = (u: Tensor, idx: Tensor, axis: number, shape: Shape): Tensor => bind1(scatterAddP, [u, idx], { axis, shape: [...shape] });

coreOps.broadcastTo = broadcastTo;
coreOps.reshape = reshape;
coreOps.index0 = (x, b) => reshape(slice(x, x.shape.map((_, i) => (i === 0 ? b : 0)), x.shape.map((d, i) => (i === 0 ? b + 1 : d))), x.shape.slice(1));
coreOps.stack0 = (xs) => concat(xs.map((x) => reshape(x, [1, ...x.shape])), 0);
export { zerosLike };

