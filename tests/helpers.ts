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

/**
 * fast-check settings for a property: its own fixed seed and run count, so CI is reproducible;
 * WENGERT_SEED and WENGERT_RUNS replace them to search further (e.g. `WENGERT_SEED=77
 * WENGERT_RUNS=300 npx vitest run tests/source.test.ts`), which is how the two source-transformation
 * bugs of session 11 were found. A failure prints the seed to reproduce it with.
 */
export function propertyRuns(seed: number, numRuns: number): { seed: number; numRuns: number } {
  const s = process.env.WENGERT_SEED, r = process.env.WENGERT_RUNS;
  return { seed: s !== undefined && s !== "" ? Number(s) : seed, numRuns: r !== undefined && r !== "" ? Number(r) : numRuns };
}
