/** @file Shared test helpers: seeded random tensors and closeness assertions. */
import { expect } from "vitest";
import { toNums } from "./data.js";

export { randomTensor, toNums } from "./data.js";

/** Elementwise |a − b| ≤ atol + rtol·|b|. */
export function expectClose(a: unknown, b: unknown, rtol = 1e-10, atol = 1e-12): void {
  const x = toNums(a), y = toNums(b);
  expect(x.length).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    const ok = Object.is(x[i], y[i]) || Math.abs(x[i] - y[i]) <= atol + rtol * Math.abs(y[i]);
    if (!ok) expect.fail(`element ${i}: got ${x[i]}, expected ${y[i]} (all: ${x.slice(0, 8)} vs ${y.slice(0, 8)})`);
  }
}
