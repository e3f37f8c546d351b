/** @file Dtypes, their storage, and NumPy/JAX-style promotion with weakly typed JS numbers. */
import { DTypeError, fmtValue } from "./errors.js";

export type DType = "float64" | "float32" | "int32" | "bool";
export const DTYPES: readonly DType[] = ["float64", "float32", "int32", "bool"];

export type TypedArray = Float64Array | Float32Array | Int32Array | Uint8Array;

export function isFloat(dtype: DType): boolean {
  return dtype === "float64" || dtype === "float32";
}

export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "float64": return new Float64Array(size);
    case "float32": return new Float32Array(size);
    case "int32": return new Int32Array(size);
    case "bool": return new Uint8Array(size);
  }
}

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
