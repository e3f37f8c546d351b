/** @file Dtypes, their storage, and NumPy/JAX-style promotion with weakly typed JS numbers. */
import { DTypeError, fmtValue } from "./errors.js";

export type DType = "float64" | "float32" | "int32" | "bool";
export const DTYPES: readonly DType[] = ["float64", "float32", "int32", "bool"];

export type TypedArray = Float64Array | Float32Array | Int32Array | Uint8Array;

export function isFloat(dtype: DType): boolean {
  return dtype === "float64" || dtype === "float32";
}

/** Zero-filled storage; a large one may be an array a compiled program finished with (see recycle). */
export function allocate(dtype: DType, size: number): TypedArray {
  const a = size >= RECYCLE_MIN && spare.length > 0 ? takeSpare(dtype, size) : null;
  return a ? a.fill(0) : fresh(dtype, size);
}

/** `into` when it is storage of this size and dtype (what an impl that `writesInto` was offered), else undefined. */
export function offered(into: TypedArray | undefined, dtype: DType, size: number): TypedArray | undefined {
  return into !== undefined && into.length === size && dtypeOfArray(into) === dtype ? into : undefined;
}

/** Storage whose every element the caller writes before anything reads it: a recycled array is not zeroed first. */
export function allocateToOverwrite(dtype: DType, size: number): TypedArray {
  return (size >= RECYCLE_MIN && spare.length > 0 ? takeSpare(dtype, size) : null) ?? fresh(dtype, size);
}

function takeSpare(dtype: DType, size: number): TypedArray | null {
  const i = spare.findIndex((a) => a.length === size && dtypeOfArray(a) === dtype);
  if (i < 0) return null;
  const a = spare[i];
  spare.splice(i, 1);
  spareBytes -= a.byteLength;
  return a;
}

function fresh(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "float64": return new Float64Array(size);
    case "float32": return new Float32Array(size);
    case "int32": return new Int32Array(size);
    case "bool": return new Uint8Array(size);
  }
}

/**
 * Storage of at least RECYCLE_MIN elements that a jit-compiled program allocated and proved dead at
 * its end (an op step's fresh output that reaches no output, see jit/codegen.ts) is kept here for
 * the next allocation of its size: fresh memory is mapped in page by page on first touch, which
 * on some machines cost more than the product that filled it (a jitted 10000×8 by 8×1000 matmul
 * on the 2-core machine: ~270 ms a call into fresh storage, 46 ms into recycled storage, one
 * measurement). At most SPARE_MAX_BYTES are kept; `allocate` zeroes one again when it hands it
 * out, `allocateToOverwrite` does not.
 */
export function recycle(a: TypedArray): void {
  if (a.length < RECYCLE_MIN || spare.includes(a)) return;
  while (spare.length > 0 && spareBytes + a.byteLength > SPARE_MAX_BYTES) spareBytes -= spare.shift()!.byteLength;
  if (a.byteLength > SPARE_MAX_BYTES) return;
  spare.push(a);
  spareBytes += a.byteLength;
}
/** Elements below which storage is not worth keeping for reuse. */
export const RECYCLE_MIN = 1 << 15;
const SPARE_MAX_BYTES = 256 * 2 ** 20;
const spare: TypedArray[] = [];
let spareBytes = 0;
/** The dtype a typed array stores (Uint8Array: bool). */
export const dtypeOfArray = (a: TypedArray): DType => (a instanceof Float64Array ? "float64" : a instanceof Float32Array ? "float32" : a instanceof Int32Array ? "int32" : "bool");

export function checkDType(dtype: unknown, where: string): DType {
  if (typeof dtype === "string" && (DTYPES as readonly string[]).includes(dtype)) return dtype as DType;
  throw new DTypeError(`${where}: unknown dtype ${fmtValue(dtype)}; use one of ${DTYPES.join(", ")}`);
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Promotion of two tensor dtypes: bool < int32 < float32 < float64. */
export function promote(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}


/** The float dtype that float-only operations (exp, division…) compute an input of this dtype in. */
export function floatOf(dtype: DType): DType {
  return isFloat(dtype) ? dtype : "float64";
}

export const SHORT: Record<DType, string> = { float64: "f64", float32: "f32", int32: "i32", bool: "bool" };
