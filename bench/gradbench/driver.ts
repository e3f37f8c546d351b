/**
 * Our GradBench driver: plays the eval's role for every eval the tool implements. It generates
 * inputs (GradBench's default sizes, or small ones for CI), drives the tool over the real protocol
 * in a child process, checks every answer against an independent computation written here in plain
 * JS (closed forms, finite differences along random directions, ADBench reference values), and
 * tabulates primal time, derivative time and their ratio beside the published ratios.
 *
 *   npm run bench:gradbench                 # default sizes → bench/RESULTS-gradbench.md
 *   npm run bench:gradbench -- --small      # CI sizes, correctness only
 *   npm run bench:gradbench -- --evals gmm,det
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { TOOL_ENV, TOOL_NODE_FLAGS, startTool } from "./run-tool.mjs";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { rng } from "wengert";
import { median, relErr } from "../stats.js";

const dataDir = fileURLToPath(new URL("../../../shared/data/adbench/", import.meta.url));

// ---- the tool as a child process -------------------------------------------------------------------
export class Tool {
  private child: ChildProcessWithoutNullStreams;
  private waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  private nextId = 0;
  private exited: string | null = null;
  constructor() {
    this.child = startTool(["pipe", "pipe", "pipe"]) as ChildProcessWithoutNullStreams;
    this.child.stderr.on("data", (d) => process.stderr.write(d));
    createInterface({ input: this.child.stdout }).on("line", (line) => this.waiting.shift()?.resolve(line));
    // a tool that dies (e.g. out of memory) fails the pending request instead of hanging the driver
    this.child.on("exit", (code, signal) => {
      this.exited = `the tool exited (code ${code}, signal ${signal})`;
      for (const w of this.waiting.splice(0)) w.reject(new Error(this.exited));
    });
  }
  ask(msg: object): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(this.exited));
      this.waiting.push({
        resolve: (line) => {
          const r = JSON.parse(line);
          if (r.id !== id) reject(new Error(`protocol: expected id ${id}, got ${line.slice(0, 100)}`));
          else resolve(r);
        },
        reject,
      });
      this.child.stdin.write(JSON.stringify({ id, ...msg }) + "\n");
    });
  }
  close() {
    this.child.stdin.end();
  }
}

// ---- checks ----------------------------------------------------------------------------------------
/** GradBench's element error: |x − y| / max(1, |x| + |y|). */
/** Largest element error between two JSON values of the same structure (Infinity if they differ in shape). */
export function maxErr(got: unknown, want: unknown): number {
  if (typeof want === "number") return typeof got === "number" ? relErr(got, want) : Infinity;
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return Infinity;
    return want.reduce((m: number, v, i) => Math.max(m, maxErr(got[i], v)), 0);
  }
  if (want && typeof want === "object") {
    if (!got || typeof got !== "object") return Infinity;
    const keys = Object.keys(want);
    if (Object.keys(got).length !== keys.length) return Infinity;
    return keys.reduce((m, k) => Math.max(m, maxErr((got as any)[k], (want as any)[k])), 0);
  }
  return Infinity;
}
const flat = (v: unknown): number[] => (typeof v === "number" ? [v] : Array.isArray(v) ? v.flatMap(flat) : Object.values(v as object).flatMap(flat));

const normalRng = (r: () => number) => () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/**
 * Checks a gradient g of f at x along random directions v: vᵀg against the central difference
 * (f(x + hv) − f(x − hv)) / 2h. Returns the largest GradBench error over the directions, so a
 * wrong component shows up with probability one.
 */
function directionalCheck(f: (x: number[]) => number, x: number[], g: number[], dirs = 2, seed = 7): number {
  const r = rng(seed);
  let err = 0;
  for (let k = 0; k < dirs; k++) {
    const v = x.map(() => r() * 2 - 1);
    const h = 1e-5 * Math.max(1, Math.sqrt(x.reduce((s, xi) => s + xi * xi, 0) / x.length));
    const fd = (f(x.map((xi, i) => xi + h * v[i])) - f(x.map((xi, i) => xi - h * v[i]))) / (2 * h);
    err = Math.max(err, relErr(g.reduce((s, gi, i) => s + gi * v[i], 0), fd));
  }
  return err;
}

// ---- workloads: inputs and independent answers ---------------------------------------------------------
interface Workload {
  label: string;
  input: any;
  /** The two functions timed as primal and derivative (particle and saddle time all four variants). */
  functions: string[];
  /** Error of each function's output, measured independently. */
  check(fn: string, output: any): number;
}
interface Eval {
  name: string;
  /** Published derivative ÷ primal ratios (gradbench.md), for the table. */
  published: Partial<Record<"C++" | "Tapenade" | "Enzyme" | "JAX" | "PyTorch", number>>;
  workloads(small: boolean): Iterable<Workload>;
}

const lseRef = (x: number[]) => {
  const m = x.reduce((a, b) => Math.max(a, b), -Infinity);
  return m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0));
};
const lseEval: Eval = {
  name: "lse",
  published: { "C++": 1.1, Enzyme: 2.1, JAX: 1.2, PyTorch: 4.6 },
  *workloads(small) {
    for (const n of small ? [10, 1000] : [2500, 5000, 10000, 20000, 40000, 80000, 160000, 320000, 640000, 1280000]) {
      const r = rng(n);
      const x = Array.from({ length: n }, r);
      const l = lseRef(x);
      yield { label: `n=${n}`, input: { x }, functions: ["primal", "gradient"], check: (fn, out) => (fn === "primal" ? maxErr(out, l) : maxErr(out, x.map((v) => Math.exp(v - l)))) };
    }
  },
};

function llsqRef(x: number[], n: number) {
  const t = Array.from({ length: n }, (_, i) => (n === 1 ? -1 : -1 + (2 * i) / (n - 1)));
  const res = t.map((ti) => Math.sign(ti) - x.reduce((s, xj, j) => s + xj * ti ** j, 0));
  return { f: 0.5 * res.reduce((s, v) => s + v * v, 0), g: x.map((_, j) => -res.reduce((s, ri, i) => s + ri * t[i] ** j, 0)) };
}
const llsqEval: Eval = {
  name: "llsq",
  published: { "C++": 2.1, Enzyme: 1.4, JAX: 1.1 },
  *workloads(small) {
    for (const n of small ? [16, 64] : [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8196, 16392]) {
      const m = small ? 8 : 128;
      const r = rng(n + m);
      const x = Array.from({ length: m }, r);
      const ref = llsqRef(x, n);
      yield { label: `n=${n},m=${m}`, input: { x, n }, functions: ["primal", "gradient"], check: (fn, out) => maxErr(out, fn === "primal" ? ref.f : ref.g) };
    }
  },
};

/** RK4 over [0, 2] for y₀' = x₀, yᵢ' = xᵢ yᵢ₋₁, in plain loops. */
function odeRef(x: number[], s: number): number[] {
  const n = x.length, h = 2 / s;
  const f = (y: number[]) => y.map((_, i) => (i === 0 ? x[0] : x[i] * y[i - 1]));
  let y = new Array(n).fill(0);
  for (let k = 0; k < s; k++) {
    const k1 = f(y), k2 = f(y.map((v, i) => v + (h / 2) * k1[i])), k3 = f(y.map((v, i) => v + (h / 2) * k2[i])), k4 = f(y.map((v, i) => v + h * k3[i]));
    y = y.map((v, i) => v + (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]));
  }
  return y;
}
const odeEval: Eval = {
  name: "ode",
  published: { "C++": 0.05, Enzyme: 3.2, JAX: 2.6 },
  *workloads(small) {
    const sizes = small ? [[8, 1], [16, 10]] : [1000, 10000, 100000].flatMap((n) => [1, 10, 100].map((s) => [n, s]));
    for (const [n, s] of sizes.sort((a, b) => a[0] * a[1] - b[0] * b[1])) {
      const r = rng(n * 7 + s);
      const x = Array.from({ length: n }, r);
      const y = odeRef(x, s);
      yield {
        label: `n=${n},s=${s}`,
        input: { x, s },
        functions: ["primal", "gradient"],
        check: (fn, out) => (fn === "primal" ? maxErr(out, y) : Array.isArray(out) && out.length === n ? directionalCheck((xx) => odeRef(xx, s)[n - 1], x, out) : Infinity),
      };
    }
  },
};

function kmeansRef(P: number[][], C: number[][]) {
  const k = C.length, d = C[0].length;
  const sums = C.map(() => new Array(d).fill(0)), counts = new Array(k).fill(0);
  let cost = 0;
  for (const p of P) {
    let best = Infinity, bj = 0;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (p[t] - C[j][t]) ** 2;
      if (s < best) (best = s), (bj = j);
    }
    cost += best, counts[bj]++;
    for (let t = 0; t < d; t++) sums[bj][t] += p[t];
  }
  // ∇_Cj = 2 Σ_{i∈j} (C_j − P_i) and ∂²/∂C_jt² = 2 |j|, so dir = C_j − mean of cluster j
  return { cost, dir: C.map((c, j) => c.map((v, t) => v - sums[j][t] / counts[j])) };
}
const kmeansEval: Eval = {
  name: "kmeans",
  published: { "C++": 1.4, Enzyme: 2.8, JAX: 2.2, PyTorch: 5.6 },
  *workloads(small) {
    const sizes = small ? [[3, 50, 2], [10, 200, 8]] : [10, 100, 1000].flatMap((k) => [1000, 10000].flatMap((n) => [8, 16].map((d) => [k, n, d])));
    for (const [k, n, d] of sizes) {
      const r = rng(k * 31 + n + d);
      const points = Array.from({ length: n }, () => Array.from({ length: d }, r));
      const centroids = points.slice(-k); // every cluster is nonempty
      const ref = kmeansRef(points, centroids);
      yield { label: `k=${k},n=${n},d=${d}`, input: { points, centroids }, functions: ["cost", "dir"], check: (fn, out) => maxErr(out, fn === "cost" ? ref.cost : ref.dir) };
    }
  },
};

// gmm: an independent objective in plain loops (Cholesky-factor form, as the formulas read)
interface GmmIn { d: number; k: number; n: number; m: number; gamma: number; x: number[][]; alpha: number[]; mu: number[][]; q: number[][]; l: number[][] }
function lgammaRef(x: number): number {
  // Stirling series after shifting x above 7 (independent of the tool's Lanczos form)
  let shift = 0;
  while (x < 7) shift -= Math.log(x), (x += 1);
  const x2 = 1 / (x * x);
  return shift + (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + (1 / x) * (1 / 12 - x2 * (1 / 360 - x2 * (1 / 1260 - x2 / 1680)));
}
function gmmRef(g: GmmIn): number {
  const { d, k, n, m, gamma } = g;
  const lse = (v: number[]) => {
    const mx = Math.max(...v);
    return mx + Math.log(v.reduce((s, u) => s + Math.exp(u - mx), 0));
  };
  let total = 0;
  const beta = new Array(k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const z = g.x[i].map((v, t) => v - g.mu[c][t]);
      let sq = 0, li = 0;
      const Qz = new Array(d).fill(0);
      for (let j = 0; j < d; j++) {
        Qz[j] += Math.exp(g.q[c][j]) * z[j];
        for (let r = j + 1; r < d; r++) Qz[r] += g.l[c][li++] * z[j];
      }
      for (const v of Qz) sq += v * v;
      beta[c] = g.alpha[c] + g.q[c].reduce((s, v) => s + v, 0) - 0.5 * sq;
    }
    total += lse(beta);
  }
  const L = total - n * lse(g.alpha) - (n * d * Math.log(2 * Math.PI)) / 2;
  const np1 = d + m + 1;
  let lgD = ((d * (d - 1)) / 4) * Math.log(Math.PI);
  for (let j = 1; j <= d; j++) lgD += lgammaRef(np1 / 2 + (1 - j) / 2);
  const C = np1 * d * (Math.log(gamma) - 0.5 * Math.log(2)) - lgD;
  let prior = k * C;
  for (let c = 0; c < k; c++) {
    const fro = g.q[c].reduce((s, v) => s + Math.exp(2 * v), 0) + g.l[c].reduce((s, v) => s + v * v, 0);
    prior -= 0.5 * gamma * gamma * fro - m * g.q[c].reduce((s, v) => s + v, 0);
  }
  return L + prior;
}
function gmmFromParams(g: GmmIn, v: number[]): GmmIn {
  let o = 0;
  const take = (len: number) => v.slice(o, (o += len));
  const alpha = take(g.k);
  const mu = g.mu.map((r) => take(r.length));
  const q = g.q.map((r) => take(r.length));
  const l = g.l.map((r) => take(r.length));
  return { ...g, alpha, mu, q, l };
}
/** Reads an ADBench .txt GMM instance (format in ../shared/data/README.md). */
export function readAdbenchGmm(path: string): GmmIn {
  const tok = readFileSync(path, "utf8").trim().split(/\s+/).map(Number);
  let i = 0;
  const next = () => tok[i++];
  const d = next(), k = next(), n = next();
  const rows = (count: number, len: number) => Array.from({ length: count }, () => Array.from({ length: len }, next));
  const alpha = Array.from({ length: k }, next);
  const mu = rows(k, d);
  const icf = rows(k, d + (d * (d - 1)) / 2);
  const fileN = tok.length - i - 2 === d ? 1 : n; // the 2.5M files store one point to replicate
  const pts = rows(fileN, d);
  const gamma = next(), m = next();
  return { d, k, n, m, gamma, alpha, mu, q: icf.map((r) => r.slice(0, d)), l: icf.map((r) => r.slice(d)), x: Array.from({ length: n }, (_, j) => pts[j % fileN]) };
}
function gmmGenerate(d: number, k: number, n: number, seed: number): GmmIn {
  const r = normalRng(rng(seed)), u = rng(seed + 1);
  return {
    d, k, n, m: 0, gamma: 1,
    x: Array.from({ length: n }, () => Array.from({ length: d }, r)),
    mu: Array.from({ length: k }, () => Array.from({ length: d }, u)),
    q: Array.from({ length: k }, () => Array.from({ length: d }, r)),
    l: Array.from({ length: k }, () => Array.from({ length: (d * (d - 1)) / 2 }, r)),
    alpha: Array.from({ length: k }, r),
  };
}
/** GradBench's reference values for the bundled files (../shared/data/README.md). */
const GMM_REFERENCE: Record<string, { objective: number; jacobian?: object }> = {
  "test.txt": {
    objective: -20.067360546658307,
    jacobian: {
      alpha: [0.10866285550865246, -0.7412700395238985, 0.6326071840152461],
      mu: [[1.1169257653278701, 0.16333301355145527], [-0.021998982407119314, 0.2277782922542361], [1.2096302561283219, -0.06063759207339564]],
      q: [[-3.877309539853597, -0.25135805704682357], [-0.024200595440323026, -6.110977409271949], [-1.0731187704460854, 0.8208366546891365]],
      l: [[-1.214897690150388], [0.16408559032255352], [1.5455010695336773]],
    },
  },
  "1k/gmm_d2_K5.txt": { objective: -5396.099838426139 },
  "1k/gmm_d10_K5.txt": { objective: -32517.617280184335 },
  "2.5M/gmm_d2_K5.txt": { objective: -5929681.18752534 },
};
function gmmWorkload(label: string, g: GmmIn, ref?: { objective: number; jacobian?: object }): Workload {
  const params = [g.alpha, g.mu, g.q, g.l].flatMap(flat);
  return {
    label,
    input: g,
    functions: ["objective", "jacobian"],
    check(fn, out) {
      if (fn === "objective") return Math.max(maxErr(out, gmmRef(g)), ref ? maxErr(out, ref.objective) : 0);
      const shape = { alpha: g.alpha, mu: g.mu, q: g.q, l: g.l };
      if (maxErr(out, shape) === Infinity) return Infinity; // keys, nesting and lengths must match
      const fdErr = directionalCheck((v) => gmmRef(gmmFromParams(g, v)), params, [out.alpha, out.mu, out.q, out.l].flatMap(flat), 1);
      return Math.max(fdErr, ref?.jacobian ? maxErr(out, ref.jacobian) : 0);
    },
  };
}
const gmmEval: Eval = {
  name: "gmm",
  published: { "C++": 2.2, Tapenade: 3.2, Enzyme: 6.9, JAX: 3.2, PyTorch: 3.5 },
  *workloads(small) {
    const files = small ? ["test.txt", "1k/gmm_d2_K5.txt"] : Object.keys(GMM_REFERENCE);
    for (const f of files) {
      // The ADBench files come with the workplace's shared data beside the checkout; a clone elsewhere has only the generated workloads.
      if (!existsSync(dataDir + "gmm/" + f)) {
        console.warn(`gmm: skipping the ADBench file ${f}: ${dataDir} is not there (the shared data sits beside the checkout)`);
        continue;
      }
      yield gmmWorkload(`adbench ${f}`, readAdbenchGmm(dataDir + "gmm/" + f), GMM_REFERENCE[f]);
    }
    const sizes = small ? [[3, 4, 20]] : [2, 10, 20, 32, 64].flatMap((d) => [5, 10, 25, 50, 100].map((k) => [d, k, 1000])).sort((a, b) => a[0] * a[1] - b[0] * b[1]);
    for (const [d, k, n] of sizes) yield gmmWorkload(`d=${d},k=${k},n=${n}`, gmmGenerate(d, k, n, d * 1000 + k));
  },
};

/** det by LU with partial pivoting, and its gradient det(A)·A⁻ᵀ (the cofactor matrix). */
function detRef(A: number[], n: number): { det: number; grad: number[] } {
  const M = Array.from({ length: n }, (_, i) => A.slice(i * n, i * n + n));
  const inv = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => +(i === j)));
  let det = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (p !== c) ([M[p], M[c]] = [M[c], M[p]]), ([inv[p], inv[c]] = [inv[c], inv[p]]), (det = -det);
    const piv = M[c][c];
    det *= piv;
    for (let j = 0; j < n; j++) (M[c][j] /= piv), (inv[c][j] /= piv);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c];
      for (let j = 0; j < n; j++) (M[r][j] -= f * M[c][j]), (inv[r][j] -= f * inv[c][j]);
    }
  }
  return { det, grad: Array.from({ length: n * n }, (_, t) => det * inv[t % n][Math.floor(t / n)]) };
}
const detEval: Eval = {
  name: "det",
  published: { "C++": 8.0, Enzyme: 15 },
  *workloads(small) {
    for (const ell of small ? [1, 2, 4, 6] : [5, 6, 7, 8, 9, 10, 11]) {
      const r = rng(ell);
      const A = Array.from({ length: ell * ell }, r);
      const ref = detRef(A, ell);
      yield { label: `ell=${ell}`, input: { A, ell }, functions: ["primal", "gradient"], check: (fn, out) => maxErr(out, fn === "primal" ? ref.det : ref.grad) };
    }
  },
};

/** The LSTM loss, written here independently of the tool (flat parameter vector: main rows, then extra rows). */
function lstmRef(flat: number[], l: number, b: number, state: number[][], seq: number[][]): number {
  const W = (layer: number, gate: number, j: number) => flat[layer * 8 * b + gate * b + j];
  const B = (layer: number, gate: number, j: number) => flat[layer * 8 * b + 4 * b + gate * b + j];
  const E = (row: number, j: number) => flat[8 * l * b + row * b + j];
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  const hs = state.filter((_, r) => r % 2 === 0).map((r) => r.slice()), cs = state.filter((_, r) => r % 2 === 1).map((r) => r.slice());
  let total = 0;
  for (let t = 0; t < seq.length - 1; t++) {
    let input = seq[t].map((v, j) => v * E(0, j));
    for (let layer = 0; layer < l; layer++) {
      const h = hs[layer], c = cs[layer];
      for (let j = 0; j < b; j++) {
        const f = sig(input[j] * W(layer, 0, j) + B(layer, 0, j)), i = sig(h[j] * W(layer, 1, j) + B(layer, 1, j));
        const o = sig(input[j] * W(layer, 2, j) + B(layer, 2, j)), g = Math.tanh(h[j] * W(layer, 3, j) + B(layer, 3, j));
        c[j] = c[j] * f + i * g;
        h[j] = o * Math.tanh(c[j]);
      }
      input = h;
    }
    const y = input.map((v, j) => v * E(1, j) + E(2, j));
    const lse = Math.log(y.reduce((acc, v) => acc + Math.exp(v), 0) + 2);
    total += seq[t + 1].reduce((acc, v, j) => acc + v * (y[j] - lse), 0);
  }
  return -total / ((seq.length - 1) * b);
}

/** Any text does (GradBench's eval takes the first c characters of a book): a deterministic one here. */
function lstmText(c: number): string {
  const words = ["the", "derivative", "of", "a", "program", "is", "itself", "a", "program,", "and", "Wengert", "wrote", "it", "down", "in", "1964."];
  const r = rng(1964);
  let text = "";
  while (text.length < c) text += words[Math.floor(r() * words.length)] + " ";
  return text.slice(0, c);
}

const lstmEval: Eval = {
  name: "lstm",
  published: { "C++": 8.6, Tapenade: 3.2, Enzyme: 2.8, PyTorch: 2.7 },
  *workloads(small) {
    const sizes = small ? [[2, 16], [3, 64]] : [2, 4, 6].flatMap((l) => [1024, 4096, 8192].map((c) => [l, c]));
    for (const [l, c] of sizes.sort((a, p) => a[0] * a[1] - p[0] * p[1])) {
      const text = lstmText(c);
      const b = Math.ceil(Math.log2(Math.max(...[...text].map((ch) => ch.charCodeAt(0)))));
      const sequence = [...text].map((ch) => ch.charCodeAt(0).toString(2).padStart(b, "0").split("").map(Number));
      const r = rng(l * 100003 + c);
      const rows = (n: number, m: number) => Array.from({ length: n }, () => Array.from({ length: m }, r));
      const main_params = rows(2 * l, 4 * b), extra_params = rows(3, b), state = rows(2 * l, b);
      const flat = [...main_params.flat(), ...extra_params.flat()];
      const f = (p: number[]) => lstmRef(p, l, b, state, sequence);
      yield {
        label: `l=${l},c=${c}`,
        input: { main_params, extra_params, state, sequence },
        functions: ["objective", "jacobian"],
        check: (fn, out) => (fn === "objective" ? maxErr(out, f(flat)) : Array.isArray(out) && out.length === flat.length ? directionalCheck(f, flat, out) : Infinity),
      };
    }
  },
};

/** One observation's residuals, written independently of the tool's code: the rotation as the matrix I + sin θ·K + (1 − cos θ)·K². */
function baRef(v: number[], feat: number[]): number[] {
  const [r0, r1, r2, c0, c1, c2, f, u0, v0, k1, k2, x0, x1, x2, w] = v;
  const th = Math.hypot(r0, r1, r2);
  const K = th === 0 ? [[0, -r2, r1], [r2, 0, -r0], [-r1, r0, 0]] : [[0, -r2 / th, r1 / th], [r2 / th, 0, -r0 / th], [-r1 / th, r0 / th, 0]];
  const K2 = K.map((row, i) => row.map((_, j) => K[i][0] * K[0][j] + K[i][1] * K[1][j] + K[i][2] * K[2][j]));
  const [s, c] = th === 0 ? [1, 1] : [Math.sin(th), Math.cos(th)]; // θ = 0: the first-order rotation I + K
  const R = K.map((row, i) => row.map((kij, j) => (i === j ? 1 : 0) + s * kij + (th === 0 ? 0 : (1 - c) * K2[i][j])));
  const d = [x0 - c0, x1 - c1, x2 - c2];
  const [X, Y, Z] = R.map((row) => row[0] * d[0] + row[1] * d[1] + row[2] * d[2]);
  const u = X / Z, vv = Y / Z, rho = u * u + vv * vv, L = 1 + k1 * rho + k2 * rho * rho;
  return [w * (u * L * f + u0 - feat[0]), w * (vv * L * f + v0 - feat[1])];
}
interface BaIn { n: number; m: number; p: number; cam: number[]; x: number[]; w: number; feat: number[] }
function readBa(path: string): BaIn {
  const lines = readFileSync(path, "utf8").split("\n");
  const [n, m, p] = lines[0].trim().split(/\s+/).map(Number);
  const nums = (k: number) => lines[k].trim().split(/\s+/).map(Number);
  return { n, m, p, cam: nums(1), x: nums(2), w: nums(3)[0], feat: nums(4) };
}
const baEval: Eval = {
  name: "ba",
  published: { "C++": 7.7, Tapenade: 14, Enzyme: 9.7 },
  *workloads(small) {
    const names = small ? ["test.txt"] : Array.from({ length: 14 }, (_, k) => `ba${k + 1}_`);
    const files = existsSync(dataDir + "ba") ? readdirSync(dataDir + "ba") : [];
    if (files.length === 0) console.warn(`ba: skipping the ADBench instances: ${dataDir}ba is not there (the shared data sits beside the checkout)`);
    const inputs: [string, BaIn][] = [];
    for (const name of names) {
      const file = files.find((f) => (name.endsWith(".txt") ? f === name : f.startsWith(name)));
      if (file) inputs.push([file.replace(/\.txt$/, ""), readBa(dataDir + "ba/" + file)]);
    }
    // a generated instance too at small sizes (a checkout without the shared data has only this one);
    // p ≥ 10, since the reference sends 30 entries of the 3p + 1 row offsets
    if (small) inputs.push(["generated n=3,m=4,p=12", { n: 3, m: 4, p: 12, cam: [0.3, -0.2, 0.5, 1, 2, -3, 400, 4, -5, 0.05, 0.002], x: [6, -1, 7], w: 0.8, feat: [120, -60] }]);
    for (const [label, input] of inputs) {
      const { n, m, p } = input;
      const v0 = [...input.cam, ...input.x, input.w];
      const e = baRef(v0, input.feat);
      // the 2 × 15 block of observation 0 by central differences, rows then columns as the CSR holds them
      const block: number[] = [];
      for (const row of [0, 1]) {
        for (let j = 0; j < 15; j++) {
          const h = 1e-6 * Math.max(1, Math.abs(v0[j]));
          const at = (dv: number) => baRef(v0.map((vj, k) => (k === j ? vj + dv : vj)), input.feat)[row];
          block.push((at(h) - at(-h)) / (2 * h));
        }
      }
      const colsOf = (i: number) => [...Array.from({ length: 11 }, (_, j) => 11 * (i % n) + j), ...[0, 1, 2].map((j) => 11 * n + 3 * (i % m) + j), 11 * n + 3 * m + i];
      const want = {
        // the full array is 0, 15, …, 30p, 30p + 1, …, 31p
        rows: [...Array.from({ length: 30 }, (_, k) => (k <= 2 * p ? 15 * k : 30 * p + k - 2 * p)), 31 * p],
        cols: [...colsOf(0), ...colsOf(0), 11 * n + 3 * m + p - 1],
        vals: [...block, -2 * input.w],
      };
      yield {
        label,
        input,
        functions: ["objective", "jacobian"],
        check: (fn, out) =>
          fn === "objective"
            ? maxErr(out, { reproj_error: { elements: e, repeated: p }, w_err: { element: 1 - input.w * input.w, repeated: p } })
            : // sparsity pattern exact, values against the differences (their own error ~1e-8)
              maxErr({ rows: out.rows, cols: out.cols }, { rows: want.rows, cols: want.cols }) === 0 ? maxErr(out.vals, want.vals) : Infinity,
      };
    }
  },
};

/** An instance and its model as GradBench's eval sends them (its io.py): dense weights, homogeneous base positions, us as pairs. */
function readHt(dir: string, file: string, complicated: boolean) {
  const lines = (f: string) => readFileSync(`${dir}/${f}`, "utf8").split("\n").filter((l) => l.trim() !== "");
  const bones = lines("model/bones.txt").map((l) => l.split(":"));
  const B = bones.length;
  const mat = (row: string[], from: number) => [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => Number(row[from + 4 * r + c])));
  const verts = lines("model/vertices.txt").map((l) => l.split(":"));
  const weights = verts.map((a) => {
    const w = new Array(B).fill(0);
    for (let k = 0; k < Number(a[8]); k++) w[Number(a[9 + 2 * k])] = Number(a[10 + 2 * k]);
    return w;
  });
  const inst = lines(file).map((l) => l.trim().split(/\s+/).map(Number));
  const [npts, ntheta] = inst[0];
  const rows = inst.slice(1, 1 + npts);
  return {
    theta: inst.slice(1 + npts + (complicated ? npts : 0), 1 + npts + (complicated ? npts : 0) + ntheta).map((r) => r[0]),
    data: {
      model: {
        bone_count: B,
        bone_names: bones.map((b) => b[0]),
        parents: bones.map((b) => Number(b[1])),
        base_relatives: bones.map((b) => mat(b, 2)),
        inverse_base_absolutes: bones.map((b) => mat(b, 18)),
        base_positions: verts.map((a) => [Number(a[0]), Number(a[1]), Number(a[2]), 1]),
        weights,
        triangles: lines("model/triangles.txt").map((l) => l.split(":").map(Number)),
        is_mirrored: false,
      },
      correspondences: rows.map((r) => r[0]),
      points: rows.map((r) => r.slice(1)),
    },
    us: complicated ? inst.slice(1 + npts, 1 + 2 * npts) : [],
  };
}
type HtIn = ReturnType<typeof readHt>;
type M4 = number[][];
const mm = (a: M4, b: M4): M4 => a.map((row) => b[0].map((_, c) => row.reduce((s, v, k) => s + v * b[k][c], 0)));
/** The residuals, written independently of the tool's code: 4 × 4 matrices as the reference multiplies them, dense weights. */
function htRef(h: HtIn, theta: number[], us: number[][]): number[] {
  const m = h.data.model, B = m.parents.length;
  const pose = Array.from({ length: B }, () => [0, 0, 0]);
  for (let f = 0, it = 6; f < 5; f++) {
    for (let k = 0; k < 3; k++) {
      pose[2 + 4 * f + k][0] = theta[it++];
      if (k === 0) pose[2 + 4 * f + k][1] = theta[it++];
    }
  }
  const rot3 = (R: number[][]): M4 => [[...R[0], 0], [...R[1], 0], [...R[2], 0], [0, 0, 0, 1]];
  const abs: M4[] = [];
  for (let b = 0; b < B; b++) {
    const [tx, tz, ty] = pose[b];
    const Rx = [[1, 0, 0], [0, Math.cos(tx), -Math.sin(tx)], [0, Math.sin(tx), Math.cos(tx)]];
    const Ry = [[Math.cos(ty), 0, Math.sin(ty)], [0, 1, 0], [-Math.sin(ty), 0, Math.cos(ty)]];
    const Rz = [[Math.cos(tz), -Math.sin(tz), 0], [Math.sin(tz), Math.cos(tz), 0], [0, 0, 1]];
    const rel = mm(m.base_relatives[b], mm(mm(rot3(Rz), rot3(Ry)), rot3(Rx)));
    abs.push(m.parents[b] < 0 ? rel : mm(abs[m.parents[b]], rel));
  }
  const tr = abs.map((a, b) => mm(a, m.inverse_base_absolutes[b]));
  const n = Math.hypot(theta[0], theta[1], theta[2]);
  const [x, y, z] = [theta[0] / n, theta[1] / n, theta[2] / n], s = Math.sin(n), c = Math.cos(n);
  const G = n < 1e-4 ? [[1, 0, 0], [0, 1, 0], [0, 0, 1]] : [
    [x * x + (1 - x * x) * c, x * y * (1 - c) - z * s, x * z * (1 - c) + y * s],
    [x * y * (1 - c) + z * s, y * y + (1 - y * y) * c, y * z * (1 - c) - x * s],
    [x * z * (1 - c) - y * s, z * y * (1 - c) + x * s, z * z + (1 - z * z) * c],
  ];
  const vertex = (v: number) => {
    const p = [0, 1, 2].map((i) => tr.reduce((acc, T, b) => acc + m.weights[v][b] * T[i].reduce((t, e, k) => t + e * m.base_positions[v][k], 0), 0));
    if (m.is_mirrored) p[0] = -p[0];
    return [0, 1, 2].map((i) => G[i][0] * p[0] + G[i][1] * p[1] + G[i][2] * p[2] + theta[3 + i]);
  };
  const cache = new Map<number, number[]>();
  const at = (v: number) => cache.get(v) ?? (cache.set(v, vertex(v)), cache.get(v)!);
  return h.data.correspondences.flatMap((t, i) => {
    if (us.length === 0) return h.data.points[i].map((q, r) => q - at(t)[r]);
    const [a, b, cc] = m.triangles[t], [u0, u1] = us[i];
    return h.data.points[i].map((q, r) => q - (u0 * at(a)[r] + u1 * at(b)[r] + (1 - u0 - u1) * at(cc)[r]));
  });
}
/** A made-up hand in the eval's format (22 bones, as the pose parameters assume): for a checkout without the shared data. */
function generateHt(complicated: boolean, seed: number): HtIn {
  const r = rng(seed), u = (lo: number, hi: number) => lo + (hi - lo) * r();
  const B = 22, V = 40, T = 30, N = 12;
  const mat = (): number[][] => [[u(0.8, 1), u(-0.2, 0.2), u(-0.2, 0.2), u(-1, 1)], [u(-0.2, 0.2), u(0.8, 1), u(-0.2, 0.2), u(-1, 1)], [u(-0.2, 0.2), u(-0.2, 0.2), u(0.8, 1), u(-1, 1)], [0, 0, 0, 1]];
  const weights = Array.from({ length: V }, (_, v) => {
    const w = new Array(B).fill(0), a = (v * 7) % B, b = (v * 3 + 5) % B, t = u(0.2, 0.8);
    w[a] += t;
    w[b] += 1 - t;
    return w;
  });
  const triangles = Array.from({ length: T }, (_, k) => [k % V, (k * 5 + 1) % V, (k * 11 + 2) % V]);
  const correspondences = Array.from({ length: N }, (_, i) => (complicated ? (i * 7) % T : (i * 3) % V));
  return {
    theta: Array.from({ length: 26 }, () => u(-0.5, 0.5)),
    data: {
      model: {
        bone_count: B,
        bone_names: Array.from({ length: B }, (_, b) => `bone${b}`),
        parents: Array.from({ length: B }, (_, b) => (b === 0 ? -1 : b < 2 ? 0 : b % 4 === 2 ? 1 : b - 1)),
        base_relatives: Array.from({ length: B }, mat),
        inverse_base_absolutes: Array.from({ length: B }, mat),
        base_positions: Array.from({ length: V }, () => [u(-1, 1), u(-1, 1), u(-1, 1), 1]),
        weights,
        triangles,
        is_mirrored: false,
      },
      correspondences,
      points: Array.from({ length: N }, () => [u(-1, 1), u(-1, 1), u(-1, 1)]),
    },
    us: complicated ? Array.from({ length: N }, () => [u(0, 0.5), u(0, 0.5)]) : [],
  };
}
const htEval: Eval = {
  name: "ht",
  published: { "C++": 5.8, Tapenade: 68, Enzyme: 48 },
  *workloads(small) {
    const inputs: [string, HtIn][] = [];
    for (const variant of small ? ["complicated", "simple"] : ["complicated"]) {
      const dir = `${dataDir}ht/${variant}_small`;
      if (!existsSync(dir)) {
        console.warn(`ht: skipping ${variant}: ${dir} is not there (the shared data sits beside the checkout)`);
        continue;
      }
      for (const file of readdirSync(dir).filter((f) => f.endsWith(".txt")).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0])).slice(0, small ? 1 : 5)) {
        inputs.push([`${variant} small model, ${file.replace(/\.txt$/, "")}`, readHt(dir, file, variant === "complicated")]);
      }
    }
    // made-up hands too at small sizes (a checkout without the shared data has only these)
    if (small) inputs.push(["generated complicated", generateHt(true, 5)], ["generated simple", generateHt(false, 6)]);
    for (const [label, input] of inputs) {
      const cx = input.us.length > 0;
      const e = htRef(input, input.theta, input.us);
      // the Jacobian by central differences, column by column (the u columns move every u_i of one kind)
      const col = (shift: (h: number) => [number[], number[][]]) => {
        const [tp, up] = shift(1e-6), [tm, um] = shift(-1e-6);
        const a = htRef(input, tp, up), b = htRef(input, tm, um);
        return a.map((v, r) => (v - b[r]) / 2e-6);
      };
      const columns = [
        ...(cx ? [0, 1].map((k) => col((h) => [input.theta, input.us.map((u) => u.map((v, j) => (j === k ? v + h : v)))])) : []),
        ...input.theta.map((_, k) => col((h) => [input.theta.map((v, j) => (j === k ? v + h : v)), input.us])),
      ];
      const want = e.map((_, r) => columns.map((c) => c[r]));
      yield {
        label,
        input,
        functions: ["objective", "jacobian"],
        check: (fn, out) => (fn === "objective" ? maxErr(out, e) : maxErr(out, want)),
      };
    }
  },
};

const VARIANTS = ["ff", "fr", "rf", "rr"];
const particleEval: Eval = {
  name: "particle",
  published: {},
  *workloads() {
    yield { label: "w=0", input: { w: 0 }, functions: VARIANTS, check: (_fn, out) => maxErr(out, 0.2071918746486116) };
  },
};
const saddleEval: Eval = {
  name: "saddle",
  published: {},
  *workloads() {
    yield { label: "start=(1,1)", input: { start: [1, 1] }, functions: VARIANTS, check: (_fn, out) => maxErr(out, new Array(4).fill(8.246324826140356e-6)) };
  },
};

export const EVALS: Eval[] = [lseEval, llsqEval, odeEval, kmeansEval, gmmEval, detEval, lstmEval, baEval, htEval, particleEval, saddleEval];

// ---- running ---------------------------------------------------------------------------------------
export interface Row {
  eval: string;
  workload: string;
  /** Median evaluate time per function, in ms. */
  times: Record<string, number>;
  errors: Record<string, number>;
  failures: string[];
}
/** GradBench's threshold; our float64 answers should be far inside it. */
export const TOLERANCE = 1e-4;

export async function runDriver(opts: { small?: boolean; evals?: string[]; minRuns?: number; minSeconds?: number; log?: (s: string) => void } = {}): Promise<Row[]> {
  const log = opts.log ?? (() => {});
  const rows: Row[] = [];
  for (const ev of EVALS.filter((e) => !opts.evals || opts.evals.includes(e.name))) {
    // one tool process per eval, as GradBench runs them
    let tool = new Tool();
    try {
      await tool.ask({ kind: "start", eval: ev.name });
      const def = await tool.ask({ kind: "define", module: ev.name });
      if (!def.success) {
        rows.push({ eval: ev.name, workload: "-", times: {}, errors: {}, failures: [`define failed: ${def.error}`] });
        continue;
      }
      for (const wl of ev.workloads(!!opts.small)) {
        const row: Row = { eval: ev.name, workload: wl.label, times: {}, errors: {}, failures: [] };
        for (const fn of wl.functions) {
          let r: any;
          // the driver's own garbage (inputs, references) is collected now, not while the tool is timed
          (globalThis as { gc?: () => void }).gc?.();
          try {
            r = await tool.ask({ kind: "evaluate", module: ev.name, function: fn, input: { ...wl.input, min_runs: opts.minRuns ?? 1, min_seconds: opts.minSeconds ?? 0 }, description: wl.label });
          } catch (e) {
            r = { success: false, error: (e as Error).message };
            tool = new Tool(); // carry on with the next function in a fresh process
            await tool.ask({ kind: "start", eval: ev.name });
            await tool.ask({ kind: "define", module: ev.name });
          }
          if (!r.success) {
            row.failures.push(`${fn}: ${r.error}`);
            continue;
          }
          const runs = r.timings.filter((t: any) => t.name === "evaluate").map((t: any) => t.nanoseconds / 1e6);
          row.times[fn] = median(runs);
          row.errors[fn] = wl.check(fn, r.output);
          if (!(row.errors[fn] <= TOLERANCE)) row.failures.push(`${fn}: error ${row.errors[fn]} exceeds ${TOLERANCE}`);
          await tool.ask({ kind: "analysis", of: r.id, valid: row.errors[fn] <= TOLERANCE });
        }
        log(formatRow(row));
        rows.push(row);
      }
    } finally {
      tool.close();
    }
  }
  return rows;
}

const fmtMs = (t: number | undefined) => (t === undefined ? "–" : t < 1 ? t.toFixed(3) : t < 100 ? t.toFixed(2) : t.toFixed(0));
const fmtErr = (e: number) => (e === 0 ? "0" : e.toExponential(0));
function formatRow(r: Row): string {
  const fns = Object.keys(r.times);
  const ratio = fns.length === 2 ? (r.times[fns[1]] / r.times[fns[0]]).toFixed(2) : "";
  const times = fns.map((f) => `${f} ${fmtMs(r.times[f])} ms`).join(", ");
  const errs = fns.map((f) => fmtErr(r.errors[f])).join(" / ");
  return `${r.eval} ${r.workload}: ${times}${ratio ? `, ratio ${ratio}` : ""}; max error ${errs}${r.failures.length ? `; FAILED ${r.failures.join("; ")}` : ""}`;
}

export function report(rows: Row[], header: string): string {
  const out: string[] = [header, ""];
  const tools = ["C++", "Tapenade", "Enzyme", "JAX", "PyTorch"] as const;
  out.push("## Derivative ÷ primal, median over workloads, beside the published ratios", "");
  out.push(`| eval | workloads | valid | wengert | ${tools.join(" | ")} |`, `| --- | --- | --- | --- | ${tools.map(() => "---").join(" | ")} |`);
  for (const ev of EVALS) {
    const rs = rows.filter((r) => r.eval === ev.name);
    if (!rs.length) continue;
    const ratios = rs.filter((r) => Object.keys(r.times).length === 2).map((r) => {
      const [a, b] = Object.values(r.times);
      return b / a;
    });
    const valid = rs.filter((r) => !r.failures.length).length;
    out.push(`| ${ev.name} | ${rs.length} | ${valid}/${rs.length} | ${ratios.length ? median(ratios).toFixed(2) : "n/a"} | ${tools.map((t) => ev.published[t] ?? "").join(" | ")} |`);
  }
  out.push("", "## Every workload", "", "| eval | workload | function: median time (ms) | derivative ÷ primal | max GradBench error |", "| --- | --- | --- | --- | --- |");
  for (const r of rows) {
    const fns = Object.keys(r.times);
    const ratio = fns.length === 2 ? (r.times[fns[1]] / r.times[fns[0]]).toFixed(2) : "";
    out.push(`| ${r.eval} | ${r.workload} | ${fns.map((f) => `${f}: ${fmtMs(r.times[f])}`).join(", ")} | ${ratio} | ${r.failures.length ? "FAILED: " + r.failures.join("; ") : fns.map((f) => fmtErr(r.errors[f])).join(" / ")} |`);
  }
  return out.join("\n") + "\n";
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const small = args.includes("--small");
  const ei = args.indexOf("--evals");
  const evals = ei >= 0 ? args[ei + 1].split(",") : undefined;
  const minSeconds = small ? 0 : 0.5, minRuns = small ? 1 : 3;
  const t0 = Date.now();
  const rows = await runDriver({ small, evals, minRuns, minSeconds, log: (s) => console.log(s) });
  const header = [
    "# wengert on GradBench's evals",
    "",
    `Generated by \`npm run bench:gradbench\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${small ? "small" : "GradBench default"} sizes,`,
    `each function run ≥ ${minRuns} times and ≥ ${minSeconds} s through the protocol (median shown); total ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
    "Every answer is checked against an independent computation in bench/gradbench/driver.ts (closed forms, LU",
    "determinants, central differences along random directions, ADBench reference values) with GradBench's",
    `element error |x − y| / max(1, |x| + |y|) ≤ ${TOLERANCE}. Published ratios: ../shared/gradbench.md (±2× noise).`,
    "Workloads are the official evals' defaults, except: gmm also runs the ADBench files kept in ../shared/data;",
    "ht runs the small model (hands 1–5, complicated variant), since the default big model is not kept here.",
    `The tool runs as \`npm run gradbench-tool\` starts it: \`node ${TOOL_NODE_FLAGS.join(" ")}\` with ${Object.entries(TOOL_ENV).map(([k, v]) => `${k}=${v}`).join(" ")} (bench/gradbench/run-tool.mjs says why).`,
  ].join("\n");
  const text = report(rows, header);
  if (!small && !evals) writeFileSync(new URL("../RESULTS-gradbench.md", import.meta.url), text);
  console.log("\n" + text);
  process.exitCode = rows.some((r) => r.failures.length) ? 1 : 0;
}
