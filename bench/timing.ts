import { blockUntilReady } from "./lib.js";
import { median } from "./stats.js";

export { median };

/** The last result of any timed call (see timeAll). */
export let sink: unknown;

/**
 * Timing for benchmarks on a noisy machine: candidates run interleaved, round after round, and each
 * reports its median, so ratios measured in one run compare like with like.
 *
 * Median seconds per call of each function, interleaved over `rounds` rounds of ~`batchMs` each,
 * after each has run for `warmMs` on its own.
 * Each call's result is made ready (wengert's pending values computed) inside the timed region.
 */
export function timeAll(calls: Record<string, () => unknown>, rounds = 15, batchMs = 40, warmMs = 250): Record<string, number> {
  // every result is stored where the optimiser cannot see it unused (an exported binding): a call
  // whose result is dropped may be inlined and partly removed, timing less than the work
  const fns = Object.fromEntries(Object.entries(calls).map(([k, f]) => [k, () => (sink = blockUntilReady(f()))]));
  const names = Object.keys(fns);
  const reps: Record<string, number> = {};
  for (const n of names) {
    // warm up by time: V8 optimises a large code base's functions only after thousands of calls
    const w0 = performance.now();
    for (let i = 0; i < 5 || performance.now() - w0 < warmMs; i++) fns[n]();
    let k = 1;
    for (;;) {
      const t0 = performance.now();
      for (let i = 0; i < k; i++) fns[n]();
      if (performance.now() - t0 > batchMs / 4) break;
      k *= 2;
    }
    reps[n] = Math.max(1, k * 4);
  }
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      const t0 = performance.now();
      for (let i = 0; i < reps[n]; i++) fns[n]();
      samples[n].push((performance.now() - t0) / 1000 / reps[n]);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n])]));
}

