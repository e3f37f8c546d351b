/** @file Shared test helpers: seeded random tensors and closeness assertions. */
import { expect } from "vitest";
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

/** Elementwise |a − b| ≤ atol + rtol·|b|. */
export function expectClose(a: unknown, b: unknown, rtol = 1e-10, atol = 1e-12): void {
  const x = toNums(a), y = toNums(b);
  expect(x.length).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    const ok = Object.is(x[i], y[i]) || Math.abs(x[i] - y[i]) <= atol + rtol * Math.abs(y[i]);
    if (!ok) expect.fail(`element ${i}: got ${x[i]}, expected ${y[i]} (all: ${x.slice(0, 8)} vs ${y.slice(0, 8)})`);
  }
}
