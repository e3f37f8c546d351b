/**
 * random: the Threefry hash against the reference implementation's known answers, JAX's
 * counter layouts (its published bit values, its split/fold_in symmetry), statistical tests of
 * every sampler (moments and Kolmogorov–Smirnov), independence of split keys, jit and vmap.
 */
import { describe, it, expect } from "vitest";
import * as w from "../src/index.js";
import { threefry2x32 } from "../src/ops/random.js";
import { erf } from "../src/tensor/special.js";

const r = w.random;
const nums = (t: w.Tensor) => [...(t.toArray() as number[])];
const hash = (k0: number, k1: number, x0: number, x1: number) => {
  const o = new Uint32Array(2);
  threefry2x32(k0, k1, x0, x1, o, 0);
  return [...o];
};

/** Kolmogorov–Smirnov statistic of samples against a CDF. */
function ks(samples: number[], cdf: (x: number) => number): number {
  const s = [...samples].sort((a, b) => a - b), n = s.length;
  let d = 0;
  s.forEach((x, i) => (d = Math.max(d, Math.abs(cdf(x) - i / n), Math.abs(cdf(x) - (i + 1) / n))));
  return d;
}
/** The KS critical value at significance 0.001 (the tests use fixed keys, so they are deterministic; the bound says how far from the distribution a pass allows). */
const ksBound = (n: number) => 1.95 / Math.sqrt(n);
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const variance = (a: number[]) => {
  const m = mean(a);
  return a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length;
};
const normalCdf = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));

describe("Threefry-2x32 and JAX's layouts", () => {
  it("gives the Random123 reference implementation's known answers", () => {
    expect(hash(0, 0, 0, 0)).toEqual([0x6b200159, 0x99ba4efe]);
    expect(hash(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toEqual([0x1cb996fc, 0xbb002be7]);
    expect(hash(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3)).toEqual([0xc4923a9c, 0x483df7a0]);
  });

  it("reproduces JAX's published bits for seed 1701 under its original counter layout (hash, key words and word order)", () => {
    // JAX's tests/random_test.py testRngRandomBits (original layout: counters 0…2n−1 split in halves, the first half paired with the second)
    const key = nums(r.key(1701));
    expect(key).toEqual([0, 1701]);
    const half = (counts: number[]) => {
      const m = counts.length / 2, a: number[] = [], b: number[] = [];
      for (let i = 0; i < m; i++) {
        const [x, y] = hash(key[0], key[1], counts[i], counts[m + i]);
        a.push(x), b.push(y);
      }
      return [...a, ...b];
    };
    expect(half([0, 1, 2, 0]).slice(0, 3)).toEqual([56197195, 4200222568, 961309823]);
    const six = half([0, 1, 2, 3, 4, 5]);
    const u64 = [0, 1, 2].map((i) => (BigInt(six[i]) << 32n) | BigInt(six[3 + i]));
    expect(u64).toEqual([3982329540505020460n, 16822122385914693683n, 7882654074788531506n]);
  });

  it("foldIn(key, i) equals split(key, n)[i] (JAX's partitionable-threefry symmetry), and split's keys are the hash of counters 0, 1, …", () => {
    const key = r.key(72);
    const s = r.split(key, 3).toArray() as number[][];
    for (let i = 0; i < 3; i++) expect(nums(r.foldIn(key, i))).toEqual(s[i]);
    expect(s[1].map((v) => v >>> 0)).toEqual(hash(0, 72, 0, 1));
  });

  it("key(seed) is the seed's 64-bit two's complement as [high, low]", () => {
    expect(nums(r.key(0))).toEqual([0, 0]);
    expect(nums(r.key(2 ** 32 + 5))).toEqual([1, 5]);
    expect(nums(r.key(-1))).toEqual([-1, -1]); // 0xffffffff twice, stored as int32
    expect(nums(r.key(2n ** 63n))).toEqual([-(2 ** 31), 0]);
    expect(r.PRNGKey(3).toArray()).toEqual(r.key(3).toArray());
  });

  it("float32 and float64 uniforms are exactly the mantissa construction: multiples of 2⁻²³ / 2⁻⁵² in [0, 1)", () => {
    const u32 = nums(r.uniform(r.key(5), [1000], { dtype: "float32" }));
    const u64 = nums(r.uniform(r.key(5), [1000]));
    expect(r.uniform(r.key(5), [3], { dtype: "float32" }).dtype).toBe("float32");
    for (const v of u32) expect(Number.isInteger(v * 2 ** 23) && v >= 0 && v < 1).toBe(true);
    for (const v of u64) expect(Number.isInteger(v * 2 ** 52) && v >= 0 && v < 1).toBe(true);
    // the float64 draw's top 23 bits are not the float32 draw (different bit sources: 64 bits vs 32 xor-ed)
    expect(u32.slice(0, 5)).not.toEqual(u64.slice(0, 5).map((v) => Math.floor(v * 2 ** 23) / 2 ** 23));
  });
});

describe("samplers: distributions", () => {
  const n = 20000;
  it("uniform: moments and KS; minval/maxval scale and shift", () => {
    const u = nums(r.uniform(r.key(1), [n]));
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(variance(u) - 1 / 12)).toBeLessThan(0.003);
    expect(ks(u, (x) => x)).toBeLessThan(ksBound(n));
    const v = nums(r.uniform(r.key(1), [n], { minval: -2, maxval: 3 }));
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...v)).toBeLessThan(3);
    expect(ks(v, (x) => (x + 2) / 5)).toBeLessThan(ksBound(n));
  });

  it("normal: moments and KS, float64 and float32", () => {
    for (const dtype of ["float64", "float32"] as const) {
      const z = nums(r.normal(r.key(2), [n], { dtype }));
      expect(Math.abs(mean(z))).toBeLessThan(0.03);
      expect(Math.abs(variance(z) - 1)).toBeLessThan(0.04);
      expect(ks(z, normalCdf)).toBeLessThan(ksBound(n));
      expect(z.every(Number.isFinite)).toBe(true);
    }
  });

  it("truncatedNormal stays strictly inside its bounds and follows the truncated CDF", () => {
    const z = nums(r.truncatedNormal(r.key(3), -1, 2, [n]));
    expect(Math.min(...z)).toBeGreaterThan(-1);
    expect(Math.max(...z)).toBeLessThan(2);
    const a = normalCdf(-1), b = normalCdf(2);
    expect(ks(z, (x) => (normalCdf(x) - a) / (b - a))).toBeLessThan(ksBound(n));
    // bounds as traced values (vmap over them): the same draws, within each closed interval
    const lows = w.tensor([-1, 0]), highs = w.tensor([2, 0.5]);
    const batched = w.vmap((lo: w.Tensor, hi: w.Tensor) => r.truncatedNormal(r.key(3), lo, hi, [200]))(lows, highs).toArray() as number[][];
    expect(Math.min(...batched[1])).toBeGreaterThanOrEqual(0);
    expect(Math.max(...batched[1])).toBeLessThanOrEqual(0.5);
    expect(batched[0].slice(0, 5)).toEqual(nums(r.truncatedNormal(r.key(3), -1, 2, [200])).slice(0, 5));
  });

  it("bernoulli, gumbel, categorical", () => {
    const b = nums(r.bernoulli(r.key(4), 0.3, [n]));
    expect(r.bernoulli(r.key(4), 0.3, [2]).dtype).toBe("bool");
    expect(Math.abs(mean(b) - 0.3)).toBeLessThan(0.015);
    const g = nums(r.gumbel(r.key(5), [n]));
    expect(ks(g, (x) => Math.exp(-Math.exp(-x)))).toBeLessThan(ksBound(n));
    const p = [0.1, 0.2, 0.7];
    const c = nums(r.categorical(r.key(6), w.log(w.tensor(p)), { shape: [n] }));
    p.forEach((pi, i) => expect(Math.abs(c.filter((v) => v === i).length / n - pi)).toBeLessThan(0.015));
    // a batch of distributions: one draw per row
    const rows = r.categorical(r.key(7), w.log(w.tensor([[0.999, 0.0005, 0.0005], [0.0005, 0.0005, 0.999]])));
    expect(nums(rows)).toEqual([0, 2]);
  });

  it("randint: every value in range, frequencies near uniform (χ²)", () => {
    const v = nums(r.randint(r.key(8), [n], -3, 7));
    expect(r.randint(r.key(8), [2], 0, 3).dtype).toBe("int32");
    expect(v.every((x) => Number.isInteger(x) && x >= -3 && x < 7)).toBe(true);
    let chi = 0;
    for (let k = -3; k < 7; k++) chi += (v.filter((x) => x === k).length - n / 10) ** 2 / (n / 10);
    expect(chi).toBeLessThan(27.9); // χ²(9) at 0.001
    expect(nums(r.randint(r.key(8), [5], 4, 4))).toEqual([4, 4, 4, 4, 4]); // empty range: minval, as JAX
  });

  it("permutation: a permutation (of n, and of a tensor's rows), several sort rounds when n > 1625", () => {
    for (const m of [1, 10, 2000]) expect(nums(r.permutation(r.key(9), m)).sort((a, b) => a - b)).toEqual(Array.from({ length: m }, (_, i) => i));
    const x = w.reshape(w.arange(12), [4, 3]);
    const px = r.permutation(r.key(9), x).toArray() as number[][];
    const perm = nums(r.permutation(r.key(9), 4));
    expect(px).toEqual(perm.map((i) => [3 * i, 3 * i + 1, 3 * i + 2]));
    // positions look uniform: over many keys, element 0 lands everywhere about equally often
    const counts = new Array(5).fill(0);
    const keys = r.split(r.key(10), 2000);
    const perms = w.vmap((k: w.Tensor) => r.permutation(k, 5))(keys).toArray() as number[][];
    for (const pm of perms) counts[pm.indexOf(0)]++;
    counts.forEach((c) => expect(Math.abs(c - 400)).toBeLessThan(70));
  });

  it("split keys give independent streams (correlation ≈ 0), different from the parent's", () => {
    const keys = r.split(r.key(11));
    const [k1, k2] = [0, 1].map((i) => w.take(keys, w.tensor(i, { dtype: "int32" }), 0));
    const a = nums(r.uniform(k1, [n])), b = nums(r.uniform(k2, [n])), c = nums(r.uniform(r.key(11), [n]));
    const corr = (x: number[], y: number[]) => {
      const mx = mean(x), my = mean(y);
      let sxy = 0, sx = 0, sy = 0;
      for (let i = 0; i < x.length; i++) (sxy += (x[i] - mx) * (y[i] - my)), (sx += (x[i] - mx) ** 2), (sy += (y[i] - my) ** 2);
      return sxy / Math.sqrt(sx * sy);
    };
    expect(Math.abs(corr(a, b))).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(corr(a, c))).toBeLessThan(4 / Math.sqrt(n));
    expect(a.slice(0, 4)).not.toEqual(b.slice(0, 4));
  });
});

describe("random under jit and vmap, and bad input", () => {
  it("jit gives the eager values; vmap over keys gives one draw per key; foldIn under vmap", () => {
    const key = r.key(12);
    const f = (k: w.Tensor) => w.add(r.normal(k, [4]), r.uniform(k, [4]));
    expect(nums(w.jit(f)(key))).toEqual(nums(f(key)));
    const keys = r.split(key, 5);
    const batched = w.vmap(f)(keys).toArray() as number[][];
    batched.forEach((row, i) => expect(row).toEqual(nums(f(w.take(keys, w.tensor(i, { dtype: "int32" }), 0)))));
    const folded = w.vmap((i: w.Tensor) => r.foldIn(key, i))(w.tensor([0, 1, 2], { dtype: "int32" })).toArray();
    expect(folded).toEqual(r.split(key, 3).toArray());
    // split of a batch of keys: a batch of splits
    expect(w.vmap((k: w.Tensor) => r.split(k, 2))(keys).shape).toEqual([5, 2, 2]);
  });

  it("a reused key repeats its numbers; an outer gradient treats draws as constants", () => {
    const key = r.key(13);
    expect(nums(r.uniform(key, [3]))).toEqual(nums(r.uniform(key, [3])));
    const g = w.grad((x: w.Tensor) => w.sum(w.mul(x, r.normal(key, [3]))))(w.ones([3]));
    expect(nums(g)).toEqual(nums(r.normal(key, [3])));
  });

  it("refuses what is not a key, a seed or a shape, naming the function", () => {
    expect(() => r.key(1.5)).toThrow(/random.key.*integer/);
    expect(() => r.key(2 ** 60)).toThrow(/safe integer/);
    expect(() => r.uniform(w.tensor([1, 2]), [2])).toThrow(/random.uniform: expects a key/);
    expect(() => r.uniform(r.key(0), [-1])).toThrow(/random.uniform/);
    expect(() => r.normal(r.key(0), [2], { dtype: "int32" as "float32" })).toThrow(/dtype must be/);
    expect(() => r.randint(r.key(0), [2], 0.5, 3)).toThrow(/minval must be an integer/);
    expect(() => r.foldIn(r.key(0), 1.5)).toThrow(/random.foldIn/);
    expect(() => r.categorical(r.key(0), w.tensor([[1, 2], [3, 4]]), { shape: [3, 4] })).toThrow(/must end with/);
  });
});
