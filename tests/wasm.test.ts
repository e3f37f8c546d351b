/** The WebAssembly SIMD matrix product: exercised here (Node has SIMD), checked against float64 sums and the JS loop. */
import { describe, it, expect, afterEach } from "vitest";
import * as w from "../src/index.js";
import { wasmMatmul, wasmMatmulAvailable, setWasmMatmul, setWasmMatmulLimit } from "../src/wasm/matmul.js";

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1);
}

function reference(A: ArrayLike<number>, B: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i * k + p] * B[p * n + j];
      C[i * n + j] = s;
    }
  return C;
}

/** The r×c matrix stored in `x` as its transpose (c×r), laid out as r×c. */
function transposed(x: ArrayLike<number>, r: number, c: number): Float64Array {
  const t = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[i * c + j] = x[j * r + i];
  return t;
}

afterEach(() => (setWasmMatmul(true), setWasmMatmulLimit(2 ** 30)));

describe("wasm SIMD matmul", () => {
  it("compiles here (so the tests below exercise it, not the fallback)", () => {
    expect(wasmMatmulAvailable()).toBe(true);
  });

  // shapes around the 4-row and 8/4-column panel edges, and ones larger than the initial memory
  const shapes: [number, number, number][] = [[1, 1, 1], [2, 3, 5], [4, 8, 8], [5, 9, 9], [7, 1, 13], [17, 31, 3], [64, 70, 33], [130, 257, 67]];
  for (const dtype of ["float64", "float32"] as const) {
    for (const [m, k, n] of shapes) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
        it(`${dtype} ${m}×${k} · ${k}×${n}${ta ? ", A transposed" : ""}${tb ? ", B transposed" : ""}`, () => {
          const Ctor = dtype === "float32" ? Float32Array : Float64Array;
          const A = Ctor.from(values(m * k + 3, m + k)), B = Ctor.from(values(k * n + 5, n + 7));
          const out = new Ctor(m * n + 2).fill(42);
          // nonzero offsets: products of one element of a batch
          expect(wasmMatmul(dtype, A, 3, ta, B, 5, tb, out, 1, m, k, n)).toBe(true);
          const a = ta ? transposed(A.subarray(3), m, k) : A.subarray(3), b = tb ? transposed(B.subarray(5), k, n) : B.subarray(5);
          const ref = reference(a, b, m, k, n);
          const tol = dtype === "float32" ? 2e-6 * k : 1e-14 * k;
          for (let i = 0; i < m * n; i++) expect(Math.abs(out[1 + i] - ref[i])).toBeLessThanOrEqual(tol);
          expect(out[0]).toBe(42);
          expect(out[m * n + 1]).toBe(42);
        });
      }
    }
  }

  it("matmul uses it for large products and agrees with the JS loop, batched, in value and gradient", () => {
    for (const dtype of ["float64", "float32"] as const) {
      const a = w.tensor(values(3 * 20 * 30, 1), { dtype }).reshape([3, 20, 30]);
      const b = w.tensor(values(3 * 30 * 11, 2), { dtype }).reshape([3, 30, 11]);
      const f = (x: w.Tensor, y: w.Tensor) => w.sum(w.square(w.matmul(x, y)));
      const [v, [ga, gb]] = w.valueAndGrad(f, { argnums: [0, 1] })(a, b) as [w.Tensor, w.Tensor[]];
      setWasmMatmul(false);
      const [v0, [ga0, gb0]] = w.valueAndGrad(f, { argnums: [0, 1] })(a, b) as [w.Tensor, w.Tensor[]];
      setWasmMatmul(true);
      const rel = dtype === "float32" ? 1e-5 : 1e-13;
      const close = (x: w.Tensor, y: w.Tensor) => {
        const xs = [x.toArray()].flat(3) as number[], ys = [y.toArray()].flat(3) as number[];
        const scale = Math.max(...ys.map(Math.abs));
        for (let i = 0; i < xs.length; i++) expect(Math.abs(xs[i] - ys[i])).toBeLessThanOrEqual(rel * scale);
      };
      close(v, v0), close(ga, ga0), close(gb, gb0);
      // second order: the adjoints' own adjoints use transposed products in both kernels
      const g2 = (x: w.Tensor, y: w.Tensor) => w.sum(w.sin(w.grad(f)(x, y)));
      const h = w.grad(g2, { argnums: [0, 1] })(a, b) as w.Tensor[];
      setWasmMatmul(false);
      const h0 = w.grad(g2, { argnums: [0, 1] })(a, b) as w.Tensor[];
      setWasmMatmul(true);
      close(h[0], h0[0]), close(h[1], h0[1]);
    }
  });

  it("products over the memory limit use the JS loop, with the same values", () => {
    const a = w.tensor(values(40 * 50, 5)).reshape([40, 50]), b = w.tensor(values(50 * 30, 6)).reshape([50, 30]);
    const inWasm = w.matmul(a, b).toArray() as number[][];
    setWasmMatmulLimit(1000);
    expect(wasmMatmul("float64", new Float64Array(2000), 0, false, new Float64Array(1500), 0, false, new Float64Array(1200), 0, 40, 50, 30)).toBe(false);
    const inJs = w.matmul(a, b).toArray() as number[][];
    inJs.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(inWasm[i][j], 12)));
  });

  it("empty products", () => {
    expect(w.matmul(w.zeros([8, 0]), w.zeros([0, 9])).toArray()).toEqual(Array.from({ length: 8 }, () => new Array(9).fill(0)));
    expect(w.matmul(w.zeros([0, 64]), w.ones([64, 64])).shape).toEqual([0, 64]);
  });
});
