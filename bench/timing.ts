import { blockUntilReady } from "./lib.js";
import { median } from "./stats.js";

export { median };

/** The last result of any timed call (see timeAll). */
export let sink: unknown;

/**
 * Timing for benchmarks on a noisy machine: candidates run interleaved, round after round, so ratios
 * measured in one run compare like with like.
 *
 * Seconds per call of each function in each of `rounds` rounds of ~`batchMs` each (candidates
 * interleaved within a round), after each has run for `warmMs` on its own.
 * Each call's result is made ready (wengert's pending values computed) inside the timed region.
 */
export function timeRounds(calls: Record<string, () => unknown>, rounds = 15, batchMs = 40, warmMs = 250): Record<string, number[]> {
  const loops = Object.fromEntries(Object.entries(calls).map(([k, f]) => [k, timedLoop(f, k)]));
  const names = Object.keys(loops);
  const reps: Record<string, number> = {};
  for (const n of names) {
    // warm up by time: V8 optimises a large code base's functions only after thousands of calls
    const w0 = performance.now();
    loops[n](5);
    while (performance.now() - w0 < warmMs) loops[n](1);
    let k = 1;
    for (;;) {
      const t0 = performance.now();
      loops[n](k);
      if (performance.now() - t0 > batchMs / 4) break;
      k *= 2;
    }
    reps[n] = Math.max(1, k * 4);
  }
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      const t0 = performance.now();
      loops[n](reps[n]);
      samples[n].push((performance.now() - t0) / 1000 / reps[n]);
    }
  }
  return samples;
}

/**
 * A getter of `value` that the optimiser cannot treat as a constant. A timed closure over a const
 * array lets V8 embed the array in the code it inlines: its length and address folded in and its
 * bounds checks dropped, which no function taking its array as an argument gets. Candidates that
 * read their arguments through this are compared like for like.
 */
export function opaque<T>(value: T): () => T {
  let v: T | undefined;
  v = value; // a variable assigned after its declaration is not a constant to the optimiser
  return () => v as T;
}

let loopCount = 0;
const keep = (r: unknown) => {
  sink = r;
};
/**
 * `(reps) => { call f reps times }`, as a function of its own for each candidate. Closures made
 * from one function literal share V8's type feedback and optimised code, so one shared timing loop
 * would see every candidate as a call target: which of them it inlines changes as it is
 * reoptimised, and with it their timings (a 2× swing, round to round). Every result is stored where
 * the optimiser cannot see it unused (an exported binding): a call whose result is dropped may be
 * inlined and partly removed, timing less than the work.
 */
function timedLoop(f: () => unknown, name: string): (reps: number) => void {
  const src = `// timing loop of ${JSON.stringify(name)} #${loopCount++}\nreturn function timed(reps) { for (let i = 0; i < reps; i++) keep(ready(f())); };`;
  return new Function("f", "ready", "keep", src)(f, blockUntilReady, keep);
}

/** Median seconds per call of each function (see timeRounds). */
export function timeAll(calls: Record<string, () => unknown>, rounds = 15, batchMs = 40, warmMs = 250): Record<string, number> {
  const samples = timeRounds(calls, rounds, batchMs, warmMs);
  return Object.fromEntries(Object.entries(samples).map(([n, s]) => [n, median(s)]));
}

/**
 * The median over rounds of a candidate's time divided by the baseline's in the same round: on a
 * machine whose speed drifts, neighbours in time see the same conditions, so this ratio is steadier
 * than a ratio of medians.
 */
export function medianRatio(samples: Record<string, number[]>, name: string, base: string): number {
  return median(samples[name].map((t, r) => t / samples[base][r]));
}
