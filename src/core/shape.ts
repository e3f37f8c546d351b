/** @file Shape arithmetic: sizes, strides, NumPy broadcasting, axis normalisation. */
import { ShapeError, fmtShape, fmtValue } from "./errors.js";

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function shapeEq(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of several shapes; throws a ShapeError naming `op` and all shapes. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  if (shapes.length === 2 && shapeEq(shapes[0], shapes[1])) return shapes[0].slice(); // the common case
  const ndim = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = ndim - s.length + i;
      const d = s[i];
      if (out[j] === 1) out[j] = d;
      else if (d !== 1 && d !== out[j]) {
        throw new ShapeError(
          `${op}: shapes ${shapes.map(fmtShape).join(" and ")} cannot be broadcast together ` +
            `(axis ${j - ndim} has sizes ${out[j]} and ${d}); reshape or expandDims one operand`,
        );
      }
    }
  }
  return out;
}

/** Strides of `shape` viewed inside the broadcast `outShape` (0 on broadcast axes). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(shape);
  const res = new Array<number>(outShape.length).fill(0);
  const off = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) res[off + i] = shape[i] === 1 ? 0 : strides[i];
  return res;
}

/**
 * If walking `extents` in row-major order, each axis moving `strides[d]` in another array, visits
 * 0, s, 2s, … (every non-unit axis strides by s times the extent of the non-unit axes after it),
 * that s; else null. Such slices and pads (x[1:], x[::2], a column) are one strided run, which
 * fused loops read or write as off + i·s.
 */
export function flatStride(extents: readonly number[], strides: readonly number[]): number | null {
  let s: number | null = null, inner = 1;
  for (let d = extents.length - 1; d >= 0; d--) {
    if (extents[d] === 1) continue;
    if (s === null) s = strides[d];
    else if (strides[d] !== s * inner) return null;
    inner *= extents[d];
  }
  return s ?? 1;
}

/** Normalise `axis` (number, array or undefined = all) to sorted, unique, non-negative axes. */
export function normalizeAxes(op: string, axis: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: ndim }, (_, i) => i);
  if (typeof axis !== "number" && !Array.isArray(axis)) throw new ShapeError(`${op}: axis must be an integer or an array of integers; got ${fmtValue(axis)}`);
  const list = typeof axis === "number" ? [axis] : [...axis];
  const res = list.map((a) => normalizeAxis(op, a, ndim));
  if (new Set(res).size !== res.length) throw new ShapeError(`${op}: repeated axis in ${JSON.stringify(list)}`);
  return res.sort((a, b) => a - b);
}

export function normalizeAxis(op: string, axis: number, ndim: number, extra = 0): number {
  const n = ndim + extra;
  if (typeof axis !== "number" || !Number.isInteger(axis)) throw new ShapeError(`${op}: an axis must be an integer; got ${fmtValue(axis)}`);
  if (!Number.isInteger(axis) || axis < -n || axis >= n) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of rank ${ndim} (valid: ${-n}..${n - 1})`);
  }
  return axis < 0 ? axis + n : axis;
}

/**
 * The most elements one tensor may have: JS engines refuse typed arrays beyond about 2³² elements
 * (and far less memory is usually there), so larger shapes are refused when they are made, not
 * when their storage is first touched.
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** Check a user-given shape: an array of non-negative integer sizes with at most MAX_ELEMENTS elements. */
export function checkShape(shape: unknown, op: string): number[] {
  if (!Array.isArray(shape) || shape.length > 64 || !shape.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`${op}: a shape must be an array of at most 64 non-negative integers (JS numbers); got ${fmtValue(shape)}`);
  }
  checkSize(shape, op);
  return [...shape];
}

/** Refuse shapes with more than MAX_ELEMENTS elements, naming the operation. */
export function checkSize(shape: Shape, op: string): void {
  if (shape.includes(0)) return;
  let n = 1;
  for (const d of shape) n *= d;
  if (n > MAX_ELEMENTS) {
    throw new ShapeError(`${op}: shape ${fmtShape(shape)} has ${n} elements; a tensor can hold at most ${MAX_ELEMENTS} (2^31 - 1)`);
  }
}

/** Check a count argument (a size, a number of points): a non-negative integer within MAX_ELEMENTS. */
export function checkCount(n: unknown, op: string, what: string): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new ShapeError(`${op}: ${what} must be a non-negative integer; got ${fmtValue(n)}`);
  if (n > MAX_ELEMENTS) throw new ShapeError(`${op}: ${what} ${n} is larger than the most elements a tensor can hold (${MAX_ELEMENTS})`);
  return n;
}

// ---- affine index maps (fused loops read views and write placements through them) ------------

/** Where element i of a flat loop lands in another array: index off + i·stride. */
export interface Affine {
  off: number;
  stride: number;
}
/** The run off + i·stride that walking `extents` with these strides visits, if it is one (see flatStride). */
export function affineMap(extents: readonly number[], strides: readonly number[], off: number): Affine | null {
  const stride = flatStride(extents, strides);
  return stride === null ? null : { off, stride };
}
/** A slice (strided or not) whose output element i is input element off + i·stride, e.g. x[1:], x[::2], a column. */
export function affineSlice(inShape: readonly number[], p: { starts: number[]; limits: number[]; steps: number[] }): Affine | null {
  const st = stridesOf(inShape);
  const extents = inShape.map((_, j) => Math.max(0, Math.ceil((p.limits[j] - p.starts[j]) / p.steps[j])));
  return affineMap(extents, st.map((v, j) => v * p.steps[j]), p.starts.reduce((acc, s0, j) => acc + s0 * st[j], 0));
}
/** Zero padding (with interior padding or not) that puts input element i at output element off + i·stride. */
export function affinePad(inShape: readonly number[], outShape: readonly number[], p: { lo: number[]; hi: number[]; interior: number[] }): Affine | null {
  if (p.lo.some((v) => v < 0) || p.hi.some((v) => v < 0)) return null;
  const st = stridesOf(outShape);
  return affineMap(inShape, st.map((v, j) => v * (p.interior[j] + 1)), p.lo.reduce((acc, l, j) => acc + l * st[j], 0));
}
/** As a load in a loop over the output, a pad must place its input as one contiguous block. */
export function contiguousPad(inShape: readonly number[], outShape: readonly number[], p: { lo: number[]; hi: number[]; interior: number[] }): Affine | null {
  const a = affinePad(inShape, outShape, p);
  return a && (a.stride === 1 || sizeOf(inShape) <= 1) ? a : null;
}
