/**
 * @file Raw array kernels. The only code (with the catalogue's `impl`s) that touches typed arrays.
 * Elementwise loops are generated once per scalar function with `new Function`, so each loop has
 * its own call site and V8 inlines the scalar function (a shared loop calling many different
 * functions would be megamorphic and several times slower). Without `new Function` (strict CSP)
 * the shared loops are used.
 */
import { wasmMatmul } from "../wasm/matmul.js";
import { type DType, type TypedArray, allocate, allocateToOverwrite, offered } from "../core/dtype.js";
import { type Shape, broadcastStrides, shapeEq, sizeOf, stridesOf } from "../core/shape.js";
import { ArrayTensor } from "./array.js";
import { compileJS } from "../core/codegen.js";

export type Unary = (a: number) => number;
export type Binary = (a: number, b: number) => number;

type UnaryLoop = (a: TypedArray, o: TypedArray, n: number) => void;
type BinaryLoop = (a: TypedArray, b: TypedArray, o: TypedArray, n: number, ai: number, bi: number) => void;

function generate<T>(args: string[], body: string, fallback: () => T, ...bound: unknown[]): T {
  return compileJS<T>(args, body, bound, "kernel") ?? fallback();
}

const unaryLoops = new WeakMap<Unary, UnaryLoop>();
function unaryLoop(f: Unary): UnaryLoop {
  let k = unaryLoops.get(f);
  if (!k) {
    k = generate<UnaryLoop>(
      ["f"],
      "return function unary(a, o, n) { for (let i = 0; i < n; i++) o[i] = f(a[i]); };",
      () => (a, o, n) => {
        for (let i = 0; i < n; i++) o[i] = f(a[i]);
      },
      f,
    );
    unaryLoops.set(f, k);
  }
  return k;
}

/** Contiguous loops for a binary function: ai/bi are 1 when that operand advances, 0 when it is a scalar. */
const binaryLoops = new WeakMap<Binary, BinaryLoop>();
function binaryLoop(f: Binary): BinaryLoop {
  let k = binaryLoops.get(f);
  if (!k) {
    k = generate<BinaryLoop>(
      ["f"],
      `return function binary(a, b, o, n, ai, bi) {
        if (ai === 1 && bi === 1) { for (let i = 0; i < n; i++) o[i] = f(a[i], b[i]); }
        else if (ai === 1) { const y = b[0]; for (let i = 0; i < n; i++) o[i] = f(a[i], y); }
        else if (bi === 1) { const x = a[0]; for (let i = 0; i < n; i++) o[i] = f(x, b[i]); }
        else { o[0] = f(a[0], b[0]); }
      };`,
      () => (a, b, o, n, ai, bi) => {
        for (let i = 0; i < n; i++) o[i] = f(a[i * ai], b[i * bi]);
      },
      f,
    );
    binaryLoops.set(f, k);
  }
  return k;
}

export function unaryMap(x: ArrayTensor, f: Unary, dtype: DType): ArrayTensor {
  if (x.uniform !== undefined) return ArrayTensor.filled(f(x.uniform), x.shape, dtype);
  const out = allocate(dtype, x.data.length);
  unaryLoop(f)(x.data, out, out.length);
  return new ArrayTensor(out, x.shape, dtype);
}

const unit = (t: ArrayTensor): TypedArray => {
  const d = allocate(t.dtype, 1);
  d[0] = t.uniform!;
  return d;
};

export function binaryMap(x: ArrayTensor, y: ArrayTensor, f: Binary, outShape: Shape, dtype: DType): ArrayTensor {
  const n = sizeOf(outShape);
  const xu = x.uniform !== undefined || x.size === 1, yu = y.uniform !== undefined || y.size === 1;
  if (xu && yu) return ArrayTensor.filled(f(x.uniform ?? x.data[0], y.uniform ?? y.data[0]), outShape, dtype);
  const out = allocate(dtype, n);
  const loop = binaryLoop(f);
  const xs = x.size, ys = y.size;
  if (xs === n && ys === n && shapeEq(x.shape, y.shape)) loop(x.data, y.data, out, n, 1, 1);
  else if (xs === n && yu) loop(x.data, y.uniform === undefined ? y.data : unit(y), out, n, 1, 0);
  else if (xu && ys === n) loop(x.uniform === undefined ? x.data : unit(x), y.data, out, n, 0, 1);
  else {
    // General broadcasting: materialise each operand in the output shape along the last axis.
    const xb = broadcastArray(x, outShape);
    const yb = broadcastArray(y, outShape);
    loop(xb.data, yb.data, out, n, 1, 1);
  }
  return new ArrayTensor(out, outShape, dtype);
}

/** c ? x : y, with broadcasting. */
export function select(c: ArrayTensor, x: ArrayTensor, y: ArrayTensor, outShape: Shape, dtype: DType): ArrayTensor {
  const n = sizeOf(outShape);
  const cb = c.data.length === n ? c : broadcastArray(c, outShape);
  const xb = x.data.length === n ? x : broadcastArray(x, outShape);
  const yb = y.data.length === n ? y : broadcastArray(y, outShape);
  const out = allocate(dtype, n);
  const cd = cb.data, xd = xb.data, yd = yb.data;
  for (let i = 0; i < n; i++) out[i] = cd[i] ? xd[i] : yd[i];
  return new ArrayTensor(out, outShape, dtype);
}

/**
 * The odometer of the strided loops below, which go through an array in runs along its last axis:
 * the start of the next run after the one at `base` (idx counts the leading axes' positions).
 */
function nextRun(idx: number[], shape: Shape, strides: readonly number[], base: number): number {
  for (let d = shape.length - 2; d >= 0; d--) {
    idx[d]++;
    base += strides[d];
    if (idx[d] < shape[d]) return base;
    base -= strides[d] * shape[d];
    idx[d] = 0;
  }
  return base;
}

/**
 * Copy a strided view of `src` into a new contiguous array of shape `shape`:
 * element idx comes from src[offset + Σ idx_d · strides_d]. Broadcast, transpose and slice are all this.
 */
export function stridedCopy(src: TypedArray, offset: number, strides: readonly number[], shape: Shape, dtype: DType): TypedArray {
  const n = sizeOf(shape);
  const out = allocate(dtype, n);
  const nd = shape.length;
  if (n === 0) return out;
  if (nd === 0) {
    out[0] = src[offset];
    return out;
  }
  const last = shape[nd - 1], ls = strides[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  let base = offset;
  for (let o = 0; o < n; o += last) {
    if (ls === 1) for (let j = 0; j < last; j++) out[o + j] = src[base + j];
    else if (ls === 0) out.fill(src[base], o, o + last);
    else for (let j = 0, s = base; j < last; j++, s += ls) out[o + j] = src[s];
    base = nextRun(idx, shape, strides, base);
  }
  return out;
}

/** Write contiguous `src` (of shape `shape`) into dst at dst[offset + Σ idx_d · strides_d], adding if `accumulate`. */
export function stridedWrite(dst: TypedArray, offset: number, strides: readonly number[], src: TypedArray, shape: Shape, accumulate = false): void {
  const n = sizeOf(shape);
  const nd = shape.length;
  if (n === 0) return;
  if (nd === 0) {
    dst[offset] = accumulate ? dst[offset] + src[0] : src[0];
    return;
  }
  const last = shape[nd - 1], ls = strides[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  let base = offset;
  for (let o = 0; o < n; o += last) {
    if (accumulate) for (let j = 0, s = base; j < last; j++, s += ls) dst[s] += src[o + j];
    else for (let j = 0, s = base; j < last; j++, s += ls) dst[s] = src[o + j];
    base = nextRun(idx, shape, strides, base);
  }
}

export function broadcastArray(x: ArrayTensor, shape: Shape): ArrayTensor {
  if (shapeEq(x.shape, shape)) return x;
  if (x.uniform !== undefined || x.size === 1) return ArrayTensor.filled(x.uniform ?? x.data[0], shape, x.dtype);
  return new ArrayTensor(stridedCopy(x.data, 0, broadcastStrides(x.shape, shape), shape, x.dtype), shape, x.dtype);
}

export function transposeArray(x: ArrayTensor, perm: readonly number[]): ArrayTensor {
  const st = stridesOf(x.shape);
  const shape = perm.map((p) => x.shape[p]);
  return new ArrayTensor(stridedCopy(x.data, 0, perm.map((p) => st[p]), shape, x.dtype), shape, x.dtype);
}

export type Reducer = "sum" | "max" | "argmax";

/**
 * acc[Σ idx_d · strides_d] += src[idx] for every element of src (shape `shape`) in storage order;
 * a stride of 0 sums that axis away. One float64 destination type, so the loop stays monomorphic
 * (stridedWrite, called with every array type, ran this at ~2.6 ns an element).
 */
function sumInto(acc: Float64Array, strides: readonly number[], src: TypedArray, shape: Shape): void {
  const nd = shape.length, n = sizeOf(shape), last = shape[nd - 1], ls = strides[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  let base = 0;
  for (let o = 0; o < n; o += last) {
    if (ls === 1) for (let j = 0; j < last; j++) acc[base + j] += src[o + j];
    else {
      let a = acc[base];
      for (let j = 0; j < last; j++) a += src[o + j]; // (ls is 0 here: the last axis is summed)
      acc[base] = a;
    }
    base = nextRun(idx, shape, strides, base);
  }
}

/** Reduce over `axes` (sorted), producing the shape without them. argmax needs exactly one axis. */
export function reduceArray(x: ArrayTensor, axes: readonly number[], kind: Reducer, dtype: DType): ArrayTensor {
  const shape = x.shape;
  const outShape = shape.filter((_, i) => !axes.includes(i));
  const m = sizeOf(outShape);
  const out = allocate(dtype, m);
  // Move reduced axes last, then reduce contiguous rows of length k.
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const isIdentity = perm.every((p, i) => p === i);
  if (kind === "sum" && !isIdentity && m > 0) {
    // Reduced axes not all trailing (a sum over the middle axis of [k, n, d]): each element added
    // into its output element in storage order, which adds every output's terms in the order the
    // transposed rows below would (from 0, reduced indices lexicographic): the same bits without
    // the transposed copy (GradBench gmm's gradient at d = 64: a 640 000-element copy, ~3 ms)
    // (sums in float64, rounded once, as the rows below: float32 and int32 results through a float64 array)
    const outStrides = stridesOf(outShape), strides = shape.map(() => 0);
    kept.forEach((axis, j) => (strides[axis] = outStrides[j]));
    const acc = out instanceof Float64Array ? out : new Float64Array(m);
    sumInto(acc, strides, x.data, shape);
    if (acc !== out) out.set(acc);
    return new ArrayTensor(out, outShape, dtype);
  }
  const src = isIdentity ? x.data : transposeArray(x, perm).data;
  const k = m === 0 ? 0 : src.length / m;
  if (kind === "sum") {
    if (m === 1) {
      let s = 0;
      for (let i = 0; i < k; i++) s += src[i];
      out[0] = s;
    } else {
      for (let r = 0, o = 0; r < m; r++) {
        let s = 0;
        for (let i = 0; i < k; i++, o++) s += src[o];
        out[r] = s;
      }
    }
  } else {
    for (let r = 0, o = 0; r < m; r++) {
      let best = -Infinity, arg = 0;
      for (let i = 0; i < k; i++, o++) {
        const v = src[o];
        // NaN propagates as the maximum (like Math.max); the first index wins ties.
        if (v > best || (v !== v && best === best)) {
          best = v;
          arg = i;
        }
      }
      out[r] = kind === "max" ? best : arg;
    }
  }
  return new ArrayTensor(out, outShape, dtype);
}

/** Sum over leading broadcast axes is common (unbroadcast of a bias gradient): a contiguous fast path. */
export function sumLeading(x: ArrayTensor, lead: number): ArrayTensor {
  const outShape = x.shape.slice(lead);
  const m = sizeOf(outShape);
  const out = allocate(x.dtype, m);
  const src = x.data;
  for (let o = 0; o < src.length; o += m) for (let j = 0; j < m; j++) out[j] += src[o + j];
  return new ArrayTensor(out, outShape, x.dtype);
}

/**
 * Float64 accumulators of the small products (matvec's column sweep, matmulArray's row pairs),
 * reused from call to call: an array of more than 8 elements lives outside V8's heap, and
 * allocating one cost ~1 µs, as much as the whole product of a 16×128 matrix and a vector
 * (GradBench llsq's smallest workload).
 */
let matvecScratch = new Float64Array(256);
/** The shared accumulators, or a new array where more are needed than are worth keeping (> 2¹⁶). */
function scratch(size: number): Float64Array {
  if (size > 1 << 16) return new Float64Array(size);
  if (matvecScratch.length < size) matvecScratch = new Float64Array(size);
  return matvecScratch;
}

/**
 * A product with a vector side (n = 1: A·x; m = 1: xᵀ·B) reads its matrix once, in storage order
 * and without copying it: each output element a dot product of a contiguous row, or each row
 * scaled and added into all outputs (for Aᵀ·x and xᵀ·B). Packing for the blocked kernels would copy
 * the whole matrix for one pass over it. Sums are in float64, in p order.
 */
function matvec(A: FloatArray, B: FloatArray, out: FloatArray, batch: number, m: number, k: number, n: number, ta: boolean, tb: boolean): void {
  // as y = M·v: M is A with m rows (n = 1) or Bᵀ with n rows (m = 1); `rowMajor`: M's rows are contiguous
  const rows = n === 1 ? m : n;
  const rowMajor = n === 1 ? !ta : tb;
  for (let t = 0; t < batch; t++) {
    const M = n === 1 ? A : B, v = n === 1 ? B : A;
    const mo = t * rows * k, vo = t * k, oo = t * rows;
    if (rowMajor) dotRows(M, mo, k, v, vo, out, oo, rows);
    else {
      const acc = scratch(rows); // (its first `rows` elements)
      acc.fill(0, 0, rows);
      addRows(M, mo, rows, k, v, vo, acc, rows);
      for (let i = 0; i < rows; i++) out[oo + i] = acc[i];
    }
  }
}

/**
 * Dot products of `count` consecutive rows of M (k elements each, the first at offset r) with
 * v[vo … vo + k), into out[oo … oo + count). Four rows at a time, each summed in order: four
 * independent chains of additions (one chain waits on every addition), each element of v loaded
 * once for the four; two columns a step (s + a·c + b·d adds left to right, the same order) halve
 * the loop's overhead (16392 × 128 as A·x: 1.7–2.0 → 1.1 ms, one measurement). matvec and jit's
 * row passes (core/codegen.ts, LoopWriter.rowLoop) both sum through this function, so a fused pass
 * gives the product's bits.
 */
export function dotRows(M: FloatArray, r: number, k: number, v: FloatArray, vo: number, out: FloatArray, oo: number, count: number): void {
  let i = 0;
  for (; i + 3 < count; i += 4) {
    const r0 = r + i * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let p = 0;
    for (; p + 1 < k; p += 2) {
      const c = v[vo + p], d = v[vo + p + 1];
      s0 = s0 + M[r0 + p] * c + M[r0 + p + 1] * d;
      s1 = s1 + M[r1 + p] * c + M[r1 + p + 1] * d;
      s2 = s2 + M[r2 + p] * c + M[r2 + p + 1] * d;
      s3 = s3 + M[r3 + p] * c + M[r3 + p + 1] * d;
    }
    if (p < k) {
      const c = v[vo + p];
      s0 += M[r0 + p] * c;
      s1 += M[r1 + p] * c;
      s2 += M[r2 + p] * c;
      s3 += M[r3 + p] * c;
    }
    out[oo + i] = s0;
    out[oo + i + 1] = s1;
    out[oo + i + 2] = s2;
    out[oo + i + 3] = s3;
  }
  for (; i < count; i++) {
    const r0 = r + i * k;
    let s = 0;
    for (let p = 0; p < k; p++) s += M[r0 + p] * v[vo + p];
    out[oo + i] = s;
  }
}

/**
 * Adds `count` rows of M (len elements each, the first at offset r, rows `stride` apart), scaled by
 * c[co …], into acc[0 … len), in row order: eight rows per pass over acc (one load and store of
 * acc[i] per eight products, two elements a step; 16392 × 128 as Aᵀ·x: 1.4–1.7 → 1.0 ms, one
 * measurement), the remainder a row at a time. acc should be float64 (sums in float64). matvec's
 * column sweep and jit's row passes both add through this function, so their bits agree.
 */
export function addRows(M: FloatArray, r: number, stride: number, count: number, c: FloatArray, co: number, acc: FloatArray, len: number): void {
  let p = 0;
  for (; p + 7 < count; p += 8) {
    const c0 = c[co + p], c1 = c[co + p + 1], c2 = c[co + p + 2], c3 = c[co + p + 3];
    const c4 = c[co + p + 4], c5 = c[co + p + 5], c6 = c[co + p + 6], c7 = c[co + p + 7];
    const r0 = r + p * stride, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride, r4 = r3 + stride, r5 = r4 + stride, r6 = r5 + stride, r7 = r6 + stride;
    let i = 0;
    for (; i + 1 < len; i += 2) {
      acc[i] = acc[i] + c0 * M[r0 + i] + c1 * M[r1 + i] + c2 * M[r2 + i] + c3 * M[r3 + i] + c4 * M[r4 + i] + c5 * M[r5 + i] + c6 * M[r6 + i] + c7 * M[r7 + i];
      const j = i + 1;
      acc[j] = acc[j] + c0 * M[r0 + j] + c1 * M[r1 + j] + c2 * M[r2 + j] + c3 * M[r3 + j] + c4 * M[r4 + j] + c5 * M[r5 + j] + c6 * M[r6 + j] + c7 * M[r7 + j];
    }
    if (i < len) acc[i] = acc[i] + c0 * M[r0 + i] + c1 * M[r1 + i] + c2 * M[r2 + i] + c3 * M[r3 + i] + c4 * M[r4 + i] + c5 * M[r5 + i] + c6 * M[r6 + i] + c7 * M[r7 + i];
  }
  for (; p < count; p++) {
    const cp = c[co + p], r0 = r + p * stride;
    for (let i = 0; i < len; i++) acc[i] += cp * M[r0 + i];
  }
}

/** Multiply-adds below which the plain JS loop beats packing for the SIMD kernel. */
const WASM_MIN_WORK = 4096;
type FloatArray = Float32Array | Float64Array;

/**
 * Batched matrix product [..., m, k] × [..., k, n] with equal batch shapes. Large products run on
 * the WebAssembly SIMD kernel (float32 accumulating in float32, like BLAS). Small ones, and every
 * product where WebAssembly SIMD is unavailable, use this loop: rows accumulate in float64, two
 * rows of A and four of B at a time, so each B element loaded feeds eight multiply-adds.
 */
export function matmulArray(a: ArrayTensor, b: ArrayTensor, outShape: Shape, dtype: DType, ta = false, tb = false, into?: TypedArray): ArrayTensor {
  const nd = a.shape.length;
  const m = a.shape[nd - (ta ? 1 : 2)], k = a.shape[nd - (ta ? 2 : 1)], n = b.shape[nd - (tb ? 2 : 1)];
  const batch = sizeOf(a.shape.slice(0, nd - 2));
  const given = offered(into, dtype, batch * m * n);
  if (k === 0 || m === 0 || n === 0) return new ArrayTensor(given?.fill(0) ?? allocate(dtype, batch * m * n), outShape, dtype);
  const out = given ?? allocateToOverwrite(dtype, batch * m * n); // each path below writes every element
  if ((n === 1 || m === 1) && (dtype === "float32" || dtype === "float64")) {
    matvec(a.data as FloatArray, b.data as FloatArray, out as FloatArray, batch, m, k, n, ta, tb);
    return new ArrayTensor(out, outShape, dtype);
  }
  // Products big enough to repay packing go to the WebAssembly SIMD kernel (src/wasm/matmul.ts).
  if (m >= 2 && m * k * n >= WASM_MIN_WORK && (dtype === "float32" || dtype === "float64")) {
    let done = true;
    for (let t = 0; t < batch && done; t++) {
      done = wasmMatmul(dtype, a.data as FloatArray, t * m * k, ta, b.data as FloatArray, t * k * n, tb, out as FloatArray, t * m * n, m, k, n);
    }
    if (done) return new ArrayTensor(out, outShape, dtype);
  }
  const swap = (x: ArrayTensor) => transposeArray(x, [...x.shape.keys()].map((i) => (i < nd - 2 ? i : 2 * nd - 3 - i)));
  // float32 operands are widened once: the inner loop then reads doubles only
  const widen = (x: ArrayTensor, t: boolean) => {
    const d = (t ? swap(x) : x).data;
    return d instanceof Float64Array ? d : Float64Array.from(d);
  };
  const A = widen(a, ta), B = widen(b, tb);
  const r = scratch(2 * n), r0 = r.subarray(0, n), r1 = r.subarray(n, 2 * n);
  for (let t = 0; t < batch; t++) {
    const ao = t * m * k, bo = t * k * n, oo = t * m * n;
    let i = 0;
    for (; i + 1 < m; i += 2) {
      r0.fill(0), r1.fill(0);
      const a0 = ao + i * k, a1 = a0 + k;
      let p = 0;
      for (; p + 3 < k; p += 4) {
        const x0 = A[a0 + p], x1 = A[a0 + p + 1], x2 = A[a0 + p + 2], x3 = A[a0 + p + 3];
        const y0 = A[a1 + p], y1 = A[a1 + p + 1], y2 = A[a1 + p + 2], y3 = A[a1 + p + 3];
        const b0 = bo + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
        for (let j = 0; j < n; j++) {
          const c0 = B[b0 + j], c1 = B[b1 + j], c2 = B[b2 + j], c3 = B[b3 + j];
          r0[j] += x0 * c0 + x1 * c1 + x2 * c2 + x3 * c3;
          r1[j] += y0 * c0 + y1 * c1 + y2 * c2 + y3 * c3;
        }
      }
      for (; p < k; p++) {
        const x0 = A[a0 + p], y0 = A[a1 + p], b0 = bo + p * n;
        for (let j = 0; j < n; j++) {
          const c = B[b0 + j];
          r0[j] += x0 * c;
          r1[j] += y0 * c;
        }
      }
      const o0 = oo + i * n, o1 = o0 + n;
      for (let j = 0; j < n; j++) (out[o0 + j] = r0[j]), (out[o1 + j] = r1[j]);
    }
    for (; i < m; i++) {
      r0.fill(0);
      const a0 = ao + i * k;
      for (let p = 0; p < k; p++) {
        const x = A[a0 + p], b0 = bo + p * n;
        for (let j = 0; j < n; j++) r0[j] += x * B[b0 + j];
      }
      const o0 = oo + i * n;
      for (let j = 0; j < n; j++) out[o0 + j] = r0[j];
    }
  }
  return new ArrayTensor(out, outShape, dtype);
}
