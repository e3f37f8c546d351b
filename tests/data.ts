/** @file Test data helpers without the test runner (the browser self-test uses them too): seeded random tensors, numbers of a result. */
import { Tensor, tensor } from "../src/index.js";
import { rng } from "../src/numeric/check-grads.js";

export function randomTensor(shape: number[], lo: number, hi: number, seed: number, dtype: "float64" | "float32" = "float64"): Tensor {
  const next = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float64Array.from({ length: n }, () => lo + (hi - lo) * next());
  return tensor(data, { dtype }).reshape(shape);
}

export function toNums(x: unknown): number[] {
  if (typeof x === "number") return [x];
  if (x instanceof Tensor) return Array.from(x.concrete().data);
  if (Array.isArray(x)) return x.flatMap(toNums);
  if (typeof x === "boolean") return [+x];
  throw new Error(`not numeric: ${String(x)}`);
}
