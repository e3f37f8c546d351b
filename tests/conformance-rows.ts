/**
 * The conformance table: one row per primitive (at least), on its valid input domain, with an
 * independent reference. Free of the test runner, so the same rows run under Vitest
 * (conformance.test.ts) and in a browser (site/src/selftest.ts).
 */
import * as w from "../src/index.js";
import { Tensor, catalogue, type PrimitiveName } from "../src/index.js";
import { bind1 } from "../src/core/trace.js";
import * as L from "../src/ops/linalg.js";
import * as V from "../src/ops/conv.js";
import { randomTensor, toNums } from "./data.js";

type Dom = { shape: number[]; lo: number; hi: number };
export interface Row {
  prim: PrimitiveName;
  f: (...xs: Tensor[]) => Tensor;
  inputs: Dom[];
  /** Elementwise reference (inputs broadcast to a common shape first). */
  ref?: (...xs: number[]) => number;
  /** Reference for the whole output, from the inputs' flat data. */
  refAll?: (...xs: number[][]) => number[];
  /** Output shape, when not the broadcast input shape. */
  shape?: number[];
  /** "zero": the derivative is identically 0; "none": not differentiable (int/bool output). */
  deriv?: "smooth" | "zero" | "none";
  modes?: ("fwd" | "rev")[];
  rtol?: number;
  /** Finite-difference step, for rows whose values are rounded to float32. */
  h?: number;
  dotRtol?: number;
  f32?: boolean;
}

const S23 = [2, 3];
const u = (lo: number, hi: number, shape = S23): Dom => ({ shape, lo, hi });
const unary = (prim: PrimitiveName, f: (x: Tensor) => Tensor, ref: (a: number) => number, lo: number, hi: number): Row => ({ prim, f, inputs: [u(lo, hi)], ref, f32: true });
const binary = (prim: PrimitiveName, f: (x: Tensor, y: Tensor) => Tensor, ref: (a: number, b: number) => number, a: Dom, b: Dom): Row => ({ prim, f, inputs: [a, b], ref, f32: true });

/** 2/√π ∫ₐᵇ e^(−t²) dt by composite Simpson (20000 panels): an erf reference independent of the implementation. */
function gaussIntegral(a: number, b: number): number {
  const n = 20000, h = (b - a) / n;
  let s = Math.exp(-a * a) + Math.exp(-b * b);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((a + i * h) ** 2));
  return ((s * h) / 3) * (2 / Math.sqrt(Math.PI));
}

/** The root of an increasing f on [lo, hi] by bisection (an erfinv reference independent of the implementation). */
function bisect(f: (y: number) => number, lo: number, hi: number): number {
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) < 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Threefry-2x32, 20 rounds, written from the Random123 paper's description (key words k0, k1; counter x0, x1). */
function refThreefry(k0: number, k1: number, x0: number, x1: number): [number, number] {
  const rot = [[13, 15, 26, 6], [17, 29, 16, 24]];
  const ks = [k0 >>> 0, k1 >>> 0, (k0 ^ k1 ^ 0x1bd11bda) >>> 0];
  let a = (x0 + ks[0]) >>> 0, b = (x1 + ks[1]) >>> 0;
  for (let s = 1; s <= 5; s++) {
    for (const r of rot[(s - 1) % 2]) {
      a = (a + b) >>> 0;
      b = ((b << r) | (b >>> (32 - r))) >>> 0;
      b = (b ^ a) >>> 0;
    }
    a = (a + ks[s % 3]) >>> 0;
    b = (b + ks[(s + 1) % 3] + s) >>> 0;
  }
  return [a, b];
}
/** float64 uniforms as JAX makes them: counter i → 64 bits (hi, lo) → top 52 bits as the mantissa of [1, 2), minus 1. */
function refUniform(k0: number, k1: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    const [hi, lo] = refThreefry(k0, k1, 0, i);
    const f = new Float64Array(1), v = new DataView(f.buffer);
    v.setUint32(4, 0x3ff00000 | (hi >>> 12), true);
    v.setUint32(0, (((hi & 0xfff) << 20) | (lo >>> 12)) >>> 0, true);
    return f[0] - 1;
  });
}

/** A 3 × 3 determinant by cofactors (independent of the LU code). */
const det3 = (m: number[][]) => m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
/** x with m·x = b (b flat, k columns) by Cramer's rule. */
function gaussSolve(m: number[][], b: number[], k: number): number[] {
  const d = det3(m), out: number[] = [];
  for (let i = 0; i < 3; i++) for (let c = 0; c < k; c++) out.push(det3(m.map((row, r) => row.map((v, j) => (j === i ? b[r * k + c] : v)))) / d);
  return out;
}

export const rows: Row[] = [
  unary("neg", w.neg, (a) => -a, -3, 3),
  binary("add", w.add, (a, b) => a + b, u(-2, 2), u(-2, 2)),
  binary("add", w.add, (a, b) => a + b, u(-2, 2), u(-2, 2, [3])), // broadcasting
  binary("sub", w.sub, (a, b) => a - b, u(-2, 2, [2, 1]), u(-2, 2)),
  binary("mul", w.mul, (a, b) => a * b, u(-2, 2), u(-2, 2, [3])),
  unary("square", w.square, (a) => a * a, -3, 3),
  binary("div", w.div, (a, b) => a / b, u(-2, 2), u(0.5, 2)),
  unary("div", w.reciprocal, (a) => 1 / a, 0.5, 2), // reciprocal is 1/x
  unary("exp", w.exp, Math.exp, -2, 2),
  unary("log", w.log, Math.log, 0.2, 3),
  unary("log1p", w.log1p, Math.log1p, -0.5, 2),
  unary("expm1", w.expm1, Math.expm1, -2, 2),
  unary("sin", w.sin, Math.sin, -3, 3),
  unary("cos", w.cos, Math.cos, -3, 3),
  unary("sqrt", w.sqrt, Math.sqrt, 0.2, 4),
  unary("tanh", w.tanh, Math.tanh, -2, 2),
  unary("sinh", w.sinh, Math.sinh, -3, 3),
  unary("asinh", w.asinh, Math.asinh, -3, 3),
  unary("acosh", w.acosh, Math.acosh, 1.2, 4),
  unary("atanh", w.atanh, Math.atanh, -0.9, 0.9),
  unary("log2", w.log2, Math.log2, 0.2, 3),
  unary("log10", w.log10, Math.log10, 0.2, 3),
  unary("pow", w.exp2, (a) => 2 ** a, -2, 2), // exp2 is pow(2, x): a scalar base
  unary("cbrt", w.cbrt, Math.cbrt, 0.2, 3),
  unary("cbrt", w.cbrt, Math.cbrt, -3, -0.2), // negative x: the real cube root
  binary("hypot", w.hypot, Math.hypot, u(-2, 2), u(-2, 2, [3])),
  unary("cosh", w.cosh, Math.cosh, -3, 3),
  unary("logistic", w.sigmoid, (a) => 1 / (1 + Math.exp(-a)), -4, 4),
  binary("atan2", w.atan2, Math.atan2, u(0.3, 2), u(-2, 2)),
  unary("erf", w.erf, (a) => gaussIntegral(0, a), -2.5, 2.5),
  unary("erfc", w.erfc, (a) => gaussIntegral(a, 12), -1, 4),
  unary("erfinv", w.erfinv, (a) => bisect((y) => gaussIntegral(0, y) - a, -3, 3), -0.9, 0.9),
  binary("pow", w.pow, Math.pow, u(0.5, 2), u(-1.5, 1.5)),
  binary("max", w.maximum, Math.max, u(-2, 2), u(-2, 2)),
  { prim: "round", f: w.floor, inputs: [u(-3, 3)], ref: Math.floor, deriv: "zero", f32: true },
  { prim: "round", f: w.rint, inputs: [u(-3, 3)], ref: (a) => (Math.abs(a % 1) === 0.5 ? 2 * Math.round(a / 2) : Math.round(a)), deriv: "zero" },
  // away from the jumps (x/y between 1 and 2): mod = x − y
  binary("mod", w.mod, (a, b) => a - b * Math.floor(a / b), u(3.1, 3.9), u(2, 3)),
  { prim: "sign", f: w.sign, inputs: [u(-2, 2)], ref: Math.sign, deriv: "zero" },
  { prim: "compare", f: (x, y) => w.lt(x, y), inputs: [u(-1, 1), u(-1, 1)], ref: (a, b) => +(a < b), deriv: "none" },
  { prim: "where", f: (x, y) => w.where(w.gt(x, 0), w.mul(x, x), w.sin(y)), inputs: [u(-1, 1), u(-1, 1)], ref: (a, b) => (a > 0 ? a * a : Math.sin(b)) },
  { prim: "cast", f: (x) => w.cast(w.mul(w.cast(x, "float32"), 3), "float64"), inputs: [u(-1, 1)], ref: (a) => 3 * Math.fround(a), rtol: 1e-4, h: 1e-2, dotRtol: 1e-5 },
  { prim: "stopGradient", f: (x) => w.mul(x, w.stopGradient(x)), inputs: [u(-2, 2)], ref: (a) => a * a, deriv: "zero" },
  // reductions
  { prim: "reduceSum", f: (x) => w.sum(x, 1), inputs: [u(-2, 2)], refAll: (x) => [x[0] + x[1] + x[2], x[3] + x[4] + x[5]], shape: [2] },
  { prim: "reduceSum", f: (x) => w.sum(w.mul(x, x)), inputs: [u(-2, 2)], refAll: (x) => [x.reduce((s, v) => s + v * v, 0)], shape: [] },
  { prim: "reduceMax", f: (x) => w.max(x, 0), inputs: [u(-2, 2)], refAll: (x) => [0, 1, 2].map((j) => Math.max(x[j], x[j + 3])), shape: [3] },
  // linear algebra (on well-conditioned matrices: the input plus 4·I)
  {
    prim: "solve",
    f: (a, b) => w.linalg.solve(w.add(a, w.mul(w.eye(3, 3, { dtype: a.dtype }), 4)), b),
    inputs: [u(-1, 1, [3, 3]), u(-1, 1, [3, 2])],
    refAll: (a, b) => gaussSolve([0, 1, 2].map((i) => [0, 1, 2].map((j) => a[3 * i + j] + (i === j ? 4 : 0))), b, 2),
    shape: [3, 2],
    f32: true,
  },
  {
    prim: "logAbsDet",
    f: (a) => w.linalg.slogdet(w.add(a, w.mul(w.eye(3, 3, { dtype: a.dtype }), 4)))[1],
    inputs: [u(-1, 1, [3, 3])],
    refAll: (a) => [Math.log(Math.abs(det3([0, 1, 2].map((i) => [0, 1, 2].map((j) => a[3 * i + j] + (i === j ? 4 : 0))))))],
    shape: [],
    f32: true,
  },
  {
    prim: "cholesky",
    // a·aᵀ + I is symmetric positive definite
    f: (a) => w.linalg.cholesky(w.add(w.matmul(a, w.transpose(a)), w.eye(3, 3, { dtype: a.dtype }))),
    inputs: [u(-1, 1, [3, 3])],
    refAll: (a) => {
      // row by row (Cholesky–Banachiewicz), independent of the library's column order
      const m = [0, 1, 2].map((i) => [0, 1, 2].map((j) => a[3 * i] * a[3 * j] + a[3 * i + 1] * a[3 * j + 1] + a[3 * i + 2] * a[3 * j + 2] + (i === j ? 1 : 0)));
      const l = [0, 1, 2].map(() => [0, 0, 0]);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j <= i; j++) {
          let s = m[i][j];
          for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
          l[i][j] = i === j ? Math.sqrt(s) : s / l[j][j];
        }
      }
      return l.flat();
    },
    shape: [3, 3],
    f32: true,
  },
  // factorisations, through the identities they satisfy (every output's tangent rule takes part): V·diag(λ)·Vᵀ = (a + aᵀ)/2, Q·R = a, U·diag(s)·Vᵀ = a
  {
    prim: "eigh",
    f: (a) => {
      const [lam, v] = w.linalg.eigh(a);
      return w.matmul(w.mul(v, w.expandDims(lam, 0)), w.transpose(v));
    },
    inputs: [u(-1, 1, [3, 3])],
    refAll: (a) => [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => (a[3 * i + j] + a[3 * j + i]) / 2)),
    shape: [3, 3],
    f32: true,
    rtol: 1e-5,
  },
  {
    prim: "qr",
    f: (a) => {
      const [q, r] = w.linalg.qr(a) as Tensor[];
      return w.matmul(q, r);
    },
    inputs: [u(-1, 1, [4, 3])],
    refAll: (a) => a,
    shape: [4, 3],
    f32: true,
  },
  {
    prim: "svd",
    f: (a) => {
      const [uu, s, vt] = w.linalg.svd(a) as Tensor[];
      return w.matmul(w.mul(uu, w.expandDims(s, 0)), vt);
    },
    inputs: [u(-1, 1, [3, 4])],
    refAll: (a) => a,
    shape: [3, 4],
    f32: true,
  },
  {
    prim: "det",
    f: (a) => w.linalg.det(a),
    inputs: [u(-2, 2, [3, 3])],
    refAll: (a) => [det3([0, 1, 2].map((i) => [0, 1, 2].map((j) => a[3 * i + j])))],
    shape: [],
    f32: true,
  },
  {
    // the cofactor matrix is det's gradient
    prim: "cofactor",
    f: (a) => w.grad((m: Tensor) => w.linalg.det(m))(a),
    inputs: [u(-2, 2, [3, 3])],
    refAll: (a) => {
      const m = [0, 1, 2].map((i) => [0, 1, 2].map((j) => a[3 * i + j]));
      const minor = (i: number, j: number) => { const r = [0, 1, 2].filter((k) => k !== i), c = [0, 1, 2].filter((k) => k !== j); return m[r[0]][c[0]] * m[r[1]][c[1]] - m[r[0]][c[1]] * m[r[1]][c[0]]; };
      return [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => ((i + j) % 2 ? -1 : 1) * minor(i, j)));
    },
    shape: [3, 3],
    f32: true,
  },
  {
    prim: "detSign",
    f: (a) => w.linalg.slogdet(a)[0],
    inputs: [u(-2, 2, [3, 3])],
    refAll: (a) => [Math.sign(det3([0, 1, 2].map((i) => [0, 1, 2].map((j) => a[3 * i + j]))))],
    shape: [],
    deriv: "zero",
  },
  {
    prim: "argsort",
    f: (x) => w.argsort(x, 1),
    inputs: [u(-2, 2)],
    refAll: (x) => [0, 1].flatMap((r) => [0, 1, 2].sort((a, b) => x[3 * r + a] - x[3 * r + b] || a - b)),
    shape: [2, 3],
    deriv: "none",
  },
  // random numbers: the key is made from the float input (cast to int32), so jit and vmap see a traced key; no derivative reaches x
  {
    prim: "threefry",
    f: (x) => w.random.uniform(w.cast(w.mul(x, 1e6), "int32"), [3]),
    inputs: [u(0, 1, [2])],
    refAll: (x) => refUniform(Math.trunc(x[0] * 1e6), Math.trunc(x[1] * 1e6), 3),
    shape: [3],
    deriv: "zero",
  },
  {
    prim: "foldIn",
    f: (x) => w.random.uniform(w.random.foldIn(w.cast(w.mul(x, 1e6), "int32"), 7), [2]),
    inputs: [u(0, 1, [2])],
    refAll: (x) => {
      const [a, b] = refThreefry(Math.trunc(x[0] * 1e6), Math.trunc(x[1] * 1e6), 0, 7);
      return refUniform(a, b, 2);
    },
    shape: [2],
    deriv: "zero",
  },
  // windows (im2col) and their transpose (col2im): a 2×2 convolution of a 2-channel 3×3 image, and windows added back
  {
    prim: "patches",
    f: (x, k) => w.conv2d(x, k),
    inputs: [u(-1, 1, [1, 2, 3, 3]), u(-1, 1, [2, 2, 2, 2])],
    refAll: (x, k) => {
      const out: number[] = [];
      for (let o = 0; o < 2; o++)
        for (let i = 0; i < 2; i++)
          for (let j = 0; j < 2; j++) {
            let s = 0;
            for (let c = 0; c < 2; c++) for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) s += x[c * 9 + (i + a) * 3 + j + b] * k[((o * 2 + c) * 2 + a) * 2 + b];
            out.push(s);
          }
      return out;
    },
    shape: [1, 2, 2, 2],
    f32: true,
  },
  {
    prim: "patchesT",
    f: (y) => bind1(V.patchesTP, [w.mul(y, y)], { window: [2, 2], strides: [1, 1], dilation: [1, 1], lhsDilation: [1, 1], lo: [0, 0], hi: [0, 0], fill: 0, inShape: [1, 1, 3, 3] }),
    inputs: [u(-1, 1, [1, 1, 2, 2, 2, 2])],
    refAll: (y) => {
      const out = new Array<number>(9).fill(0);
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) out[(i + a) * 3 + j + b] += y[((a * 2 + b) * 2 + i) * 2 + j] ** 2;
      return out;
    },
    shape: [1, 1, 3, 3],
    f32: true,
  },
  { prim: "argmax", f: (x) => w.argmax(x, 1), inputs: [u(-2, 2)], refAll: (x) => [0, 1].map((r) => x.slice(3 * r, 3 * r + 3).indexOf(Math.max(...x.slice(3 * r, 3 * r + 3)))), shape: [2], deriv: "none" },
  // structure
  { prim: "reshape", f: (x) => w.mul(w.reshape(x, [3, 2]), w.reshape(x, [3, 2])), inputs: [u(-2, 2)], refAll: (x) => x.map((v) => v * v), shape: [3, 2] },
  { prim: "broadcastTo", f: (x) => w.sin(w.broadcastTo(x, [2, 3])), inputs: [u(-2, 2, [3])], refAll: (x) => [...x, ...x].map(Math.sin), shape: [2, 3] },
  { prim: "transpose", f: (x) => w.mul(w.transpose(x), w.transpose(x)), inputs: [u(-2, 2)], refAll: (x) => [0, 3, 1, 4, 2, 5].map((i) => x[i] * x[i]), shape: [3, 2] },
  { prim: "slice", f: (x) => w.exp(w.slice(x, null, [0, 4, 2])), inputs: [u(-1, 1, [2, 4])], refAll: (x) => [0, 2, 4, 6].map((i) => Math.exp(x[i])), shape: [2, 2] },
  { prim: "pad", f: (x) => w.pad(w.sin(x), [[1, 0], [0, 2]]), inputs: [u(-2, 2)], refAll: (x) => [0, 0, 0, 0, 0, ...x.slice(0, 3).map(Math.sin), 0, 0, ...x.slice(3).map(Math.sin), 0, 0], shape: [3, 5] },
  { prim: "concat", f: (x, y) => w.concat([w.mul(x, y), w.sin(y)], 1), inputs: [u(-1, 1), u(-1, 1)], refAll: (x, y) => [0, 1].flatMap((r) => [...[0, 1, 2].map((j) => x[3 * r + j] * y[3 * r + j]), ...[0, 1, 2].map((j) => Math.sin(y[3 * r + j]))]), shape: [2, 6] },
  { prim: "gather", f: (x) => w.square(w.take(x, w.tensor([2, 0, 2, -1], { dtype: "int32" }), 1)), inputs: [u(-2, 2)], refAll: (x) => [0, 1].flatMap((r) => [2, 0, 2, 2].map((j) => x[3 * r + j] ** 2)), shape: [2, 4] },
  { prim: "scatterAdd", f: (x, v) => w.indexAdd(w.sin(x), w.tensor([0, 2, 0], { dtype: "int32" }), w.mul(v, v), 1), inputs: [u(-2, 2), u(-2, 2, [2, 3])], refAll: (x, v) => [0, 1].flatMap((r) => [Math.sin(x[3 * r]) + v[3 * r] ** 2 + v[3 * r + 2] ** 2, Math.sin(x[3 * r + 1]), Math.sin(x[3 * r + 2]) + v[3 * r + 1] ** 2]), shape: [2, 3] },
  { prim: "matmul", f: (a, b) => w.matmul(a, b), inputs: [u(-1, 1, [2, 3]), u(-1, 1, [3, 4])], refAll: (a, b) => Array.from({ length: 8 }, (_, k) => { const i = Math.floor(k / 4), j = k % 4; let s = 0; for (let p = 0; p < 3; p++) s += a[3 * i + p] * b[4 * p + j]; return s; }), shape: [2, 4] },
  // the stored-transpose forms the adjoints use: op(a) = aᵀ, op(b) = bᵀ
  { prim: "matmul", f: (a, b) => L.matmul(a, b, { ta: true }), inputs: [u(-1, 1, [3, 2]), u(-1, 1, [3, 4])], refAll: (a, b) => Array.from({ length: 8 }, (_, k) => { const i = Math.floor(k / 4), j = k % 4; let s = 0; for (let p = 0; p < 3; p++) s += a[2 * p + i] * b[4 * p + j]; return s; }), shape: [2, 4] },
  { prim: "matmul", f: (a, b) => L.matmul(a, b, { tb: true }), inputs: [u(-1, 1, [2, 3]), u(-1, 1, [4, 3])], refAll: (a, b) => Array.from({ length: 8 }, (_, k) => { const i = Math.floor(k / 4), j = k % 4; let s = 0; for (let p = 0; p < 3; p++) s += a[3 * i + p] * b[3 * j + p]; return s; }), shape: [2, 4] },
  { prim: "matmul", f: (a, b) => L.matmul(a, b, { ta: true, tb: true }), inputs: [u(-1, 1, [3, 2]), u(-1, 1, [4, 3])], refAll: (a, b) => Array.from({ length: 8 }, (_, k) => { const i = Math.floor(k / 4), j = k % 4; let s = 0; for (let p = 0; p < 3; p++) s += a[2 * p + i] * b[3 * j + p]; return s; }), shape: [2, 4] },
  {
    prim: "customVjp",
    f: w.customVjp((x: Tensor) => w.mul(x, w.mul(x, x)), (x: Tensor) => [w.mul(x, w.mul(x, x)), x], (x: Tensor, ct) => [w.mul(ct as Tensor, w.mul(3, w.mul(x, x)))]) as (x: Tensor) => Tensor,
    inputs: [u(-2, 2)], ref: (a) => a ** 3, modes: ["rev"],
  },
  // jit's fused scatter (the transpose of slices): two overlapping placements into one array
  {
    prim: "scatterSum",
    f: (x, y) => bind1(catalogue.scatterSum, [w.sin(x), w.mul(y, y)], { places: [{ off: 0, stride: 1 }, { off: 1, stride: 2 }], shape: [7] }),
    inputs: [u(-2, 2, [3]), u(-1, 1, [3])],
    refAll: (x, y) => {
      const out = new Array(7).fill(0);
      x.forEach((v, i) => (out[i] += Math.sin(v)));
      y.forEach((v, i) => (out[1 + 2 * i] += v * v));
      return out;
    },
    shape: [7],
  },
  // control flow and checkpointing: staged (makeProgram, jit) they are one equation holding sub-programs
  {
    prim: "cond",
    f: (x, y) => w.cond(w.gt(w.sum(x), 0), (a: Tensor, b: Tensor) => w.mul(w.sin(a), b), (a: Tensor, b: Tensor) => w.sub(a, w.tanh(b)), x, y),
    inputs: [u(-1, 1), u(-1, 1)],
    refAll: (x, y) => (x.reduce((s, v) => s + v, 0) > 0 ? x.map((a, i) => Math.sin(a) * y[i]) : x.map((a, i) => a - Math.tanh(y[i]))),
    shape: [2, 3],
  },
  {
    prim: "scan",
    f: (x) => w.scan((c: Tensor, r: Tensor) => [w.add(w.mul(w.sin(c), r), r), w.mul(c, c)], w.cos(w.slice(x, 0)), x)[1],
    inputs: [u(-1, 1)],
    refAll: (x) => {
      let c = x.slice(0, 3).map(Math.cos);
      const ys: number[] = [];
      for (let r = 0; r < 2; r++) {
        ys.push(...c.map((v) => v * v));
        c = c.map((v, j) => Math.sin(v) * x[3 * r + j] + x[3 * r + j]);
      }
      return ys;
    },
    shape: [2, 3],
  },
  {
    prim: "while",
    // three halvings of the carry's scale, then a smooth map: the trip count does not depend on x
    f: (x) => w.whileLoop((c: [Tensor, Tensor]) => w.lt(c[1], 3), (c: [Tensor, Tensor]) => [w.mul(w.sin(c[0]), 0.5), w.add(c[1], 1)] as [Tensor, Tensor], [x, w.tensor(0)])[0],
    inputs: [u(-1, 1)],
    ref: (a) => 0.5 * Math.sin(0.5 * Math.sin(0.5 * Math.sin(a))),
    modes: ["fwd"],
  },
  { prim: "checkpoint", f: (x) => w.checkpoint((a: Tensor) => w.sin(w.mul(a, a)))(x), inputs: [u(-1.5, 1.5)], ref: (a) => Math.sin(a * a) },
];

export function inputsFor(row: Row, k: number, dtype: "float64" | "float32" = "float64"): Tensor[] {
  return row.inputs.map((d, i) => randomTensor(d.shape, d.lo, d.hi, 1000 * k + 17 * i + 1, dtype));
}

export function reference(row: Row, xs: Tensor[]): number[] {
  if (row.refAll) return row.refAll(...xs.map(toNums));
  const shape = w.broadcastTo(xs[0], xs.reduce<number[]>((s, x) => (x.ndim > s.length || x.size > s.reduce((a, b) => a * b, 1) ? [...x.shape] : s), [])).shape;
  const full = xs.map((x) => toNums(w.broadcastTo(x, shape)));
  return full[0].map((_, j) => row.ref!(...full.map((a) => a[j])));
}

