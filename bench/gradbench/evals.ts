/**
 * GradBench evals written with wengert as a user would: tensor code where the problem vectorizes,
 * `jit` around whatever runs repeatedly. Each module maps a function name to
 * { prepare(input) → prepared data (untimed), run(prepared) → result (timed), output(result) → JSON }.
 */
import * as w from "wengert";
import { type Tensor, tensor, jit, grad, jvp, sourceGrad, sourceJvp, sourceVjp, Tape, zerosOf } from "wengert";

export interface Fn<P = any, R = any> {
  prepare(input: any): P;
  run(p: P): R;
  output(r: R): unknown;
}
export type Module = Record<string, Fn>;

const nums = (t: Tensor): number[] => Array.from(t.concrete().data);
/**
 * Output storage kept from one run to the next, as GradBench's C++ reference keeps its output
 * object (its vectors are resized, so allocated once): every run writes every entry again (the
 * tensor modules through jit's `into`). Freshly allocated arrays are zeroed and mapped in page by
 * page on first touch, every run: ba5's Jacobian (7 million entries) took 395 ms a run that way on
 * this machine, 72 ms with its arrays kept.
 */
function kept<A extends Float64Array | Int32Array>(key: string, make: (n: number) => A, n: number): A {
  const old = keptArrays.get(key) as A | undefined;
  if (old && old.length === n) return old;
  const a = make(n);
  keptArrays.set(key, a);
  return a;
}
const keptArrays = new Map<string, Float64Array | Int32Array>();
const f64 = (n: number) => new Float64Array(n), i32 = (n: number) => new Int32Array(n);
const nested = (t: Tensor): unknown => t.toArray();

// ---- hello -----------------------------------------------------------------------------------
const square = (x: Tensor) => x.mul(x);
const hello: Module = {
  square: { prepare: (x: number) => tensor(x), run: (x: Tensor) => square(x), output: (y: Tensor) => y.item() },
  double: { prepare: (x: number) => tensor(x), run: (x: Tensor) => grad(square)(x), output: (y: Tensor) => y.item() },
};

// ---- lse: log Σ exp(x_i), stable, from max/exp/sum/log -----------------------------------------
const lseFn = (x: Tensor) => {
  const m = w.stopGradient(w.max(x));
  return w.log(w.sum(w.exp(x.sub(m)))).add(m);
};
const lsePrimal = jit(lseFn), lseGrad = jit(grad(lseFn));
const lse: Module = {
  primal: { prepare: (i) => tensor(i.x), run: (x: Tensor) => lsePrimal(x), output: (y: Tensor) => y.item() },
  gradient: { prepare: (i) => tensor(i.x), run: (x: Tensor) => lseGrad.into(kept("lse.gradient", f64, x.shape[0]))(x), output: nums },
};

// ---- llsq: ½ Σ_i (s_i − Σ_j x_j t_i^j)² --------------------------------------------------------
// The points tᵢ, their signs and the matrix of powers tᵢʲ are built inside the timed run (by
// multiplication, as the C++ reference builds them), then handed to the jitted function: built
// inside jit they would be constants, folded once at compile time and never paid for again.
function llsqPoints(n: number, m: number): [Tensor, Tensor] {
  const T = new Float64Array(n * m), s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? -1 : -1 + (i * 2) / (n - 1);
    s[i] = t > 0 ? 1 : t < 0 ? -1 : 0;
    for (let j = 0, p = 1; j < m; j++, p *= t) T[i * m + j] = p;
  }
  return [tensor(T).reshape([n, m]), tensor(s)];
}
const llsqFn = (x: Tensor, T: Tensor, s: Tensor) => w.sum(w.square(s.sub(w.matmul(T, x)))).mul(0.5);
const llsqPrimal = jit(llsqFn), llsqGrad = jit(grad(llsqFn));
const llsqData = (i: { x: number[]; n: number }) => ({ x: tensor(i.x), n: i.n });
const llsq: Module = {
  primal: { prepare: llsqData, run: (d) => llsqPrimal(d.x, ...llsqPoints(d.n, d.x.shape[0])), output: (y: Tensor) => y.item() },
  gradient: { prepare: llsqData, run: (d) => llsqGrad.into(kept("llsq.gradient", f64, d.x.shape[0]))(d.x, ...llsqPoints(d.n, d.x.shape[0])), output: nums },
};

// ---- ode: RK4 over t ∈ [0, 2] of y0' = x0, y_i' = x_i·y_{i−1} ------------------------------------
function odeSolve(x: Tensor, steps: number): Tensor {
  const h = 2 / steps;
  const x0 = x.slice([0, 1]), xr = x.slice([1, null]);
  const f = (y: Tensor) => w.concat([x0, xr.mul(y.slice([0, -1]))], 0);
  return w.fori(0, steps, (_i: unknown, y: Tensor) => {
    const k1 = f(y);
    const k2 = f(y.add(k1.mul(h / 2)));
    const k3 = f(y.add(k2.mul(h / 2)));
    const k4 = f(y.add(k3.mul(h)));
    return y.add(k1.add(k2.mul(2)).add(k3.mul(2)).add(k4).mul(h / 6));
  }, w.zerosLike(x));
}
const odePrimal = jit((x: Tensor, s: number) => odeSolve(x, s), { staticArgnums: [1] });
const odeGrad = jit(grad((x: Tensor, s: number) => { const y = odeSolve(x, s); return y.slice(-1); }), { staticArgnums: [1] });
const ode: Module = {
  primal: { prepare: (i) => ({ x: tensor(i.x), s: i.s }), run: (d) => odePrimal(d.x, d.s), output: nums },
  gradient: { prepare: (i) => ({ x: tensor(i.x), s: i.s }), run: (d) => odeGrad.into(kept("ode.gradient", f64, d.x.shape[0]))(d.x, d.s), output: nums },
};

// ---- kmeans: Σ_i min_j ‖C_j − P_i‖²; dir = ∇ ÷ diag(∇²) -------------------------------------------
const kmeansCost = (C: Tensor, P: Tensor) => {
  // ‖P_i − C_j‖² = ‖P_i‖² − 2 P_i·C_j + ‖C_j‖²: an [n, k] matrix through one matmul, never [n, k, d]
  const d = w.sum(w.square(P), 1, true).sub(w.matmul(P, w.transpose(C)).mul(2)).add(w.sum(w.square(C), 1));
  // Σ_i min_j as the distance from each point to its nearest centroid (the first of equals, as the
  // C++ reference assigns them): the same value, and derivatives that flow through the n chosen
  // centroids only (a gather and its scatter) instead of through the whole [n, k] matrix. (min's
  // own derivative would share a tie equally; ties have measure zero.)
  const nearest = w.argmin(w.stopGradient(d), 1);
  return w.sum(w.square(P.sub(w.take(C, nearest, 0))));
};
// The Hessian w.r.t. C is diagonal (no cross terms between centroids or coordinates), so one
// forward-over-reverse product with a vector of ones gives its diagonal.
const kmeansDir = jit((C: Tensor, P: Tensor) => {
  const g = (c: Tensor) => grad(kmeansCost)(c, P);
  const [gr, hd] = jvp(g, [C], [w.onesLike(C)]);
  return gr.div(hd);
});
const kmeansPrimal = jit(kmeansCost);
const kmeansData = (i: { points: number[][]; centroids: number[][] }) => ({ P: tensor(i.points), C: tensor(i.centroids) });
const kmeans: Module = {
  cost: { prepare: kmeansData, run: (d) => kmeansPrimal(d.C, d.P), output: (y: Tensor) => y.item() },
  dir: { prepare: kmeansData, run: (d) => kmeansDir.into(kept("kmeans.dir", f64, d.C.size))(d.C, d.P), output: nested },
};

// ---- gmm: log posterior of a Gaussian mixture with a Wishart prior --------------------------------
/** log Γ(x) for x > 0 (Lanczos, g = 7); only the prior's constant needs it, so it is plain JS. */
export function lgamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}
export interface GmmInput { d: number; k: number; n: number; m: number; gamma: number; x: number[][]; alpha: number[]; mu: number[][]; q: number[][]; l: number[][] }
export interface GmmParams { alpha: Tensor; mu: Tensor; q: Tensor; l: Tensor }
/**
 * Where each entry of Q_k (row-major d×d) comes from in [0, l_k…]: 0 (a zero) above the diagonal and
 * on it (the diagonal is added separately), 1 + index into l_k below it, filled column by column.
 */
function lowerIndex(d: number): Tensor {
  const idx = new Int32Array(d * d);
  let t = 1;
  for (let j = 0; j < d; j++) for (let i = j + 1; i < d; i++) idx[i * d + j] = t++;
  return tensor(idx, { dtype: "int32" });
}
export function gmmObjective(p: GmmParams, x: Tensor, c: { d: number; k: number; n: number; m: number; gamma: number; lower: Tensor }): Tensor {
  const { d, k, n, m, gamma, lower } = c;
  // Q_k = diag(exp q_k) + strictly-lower(l_k), all k at once: [k, d, d]
  const lz = w.concat([w.zeros([k, 1]), p.l], 1);
  const Q = w.take(lz, lower, 1).reshape([k, d, d]).add(w.expandDims(w.exp(p.q), 2).mul(w.eye(d)));
  const z = w.expandDims(x, 0).sub(w.expandDims(p.mu, 1)); // [k, n, d]
  const y = w.matmul(z, w.transpose(Q, [0, 2, 1])); // y_kn = Q_k z_kn
  const sumQ = w.sum(p.q, 1); // [k]
  const beta = w.expandDims(p.alpha.add(sumQ), 1).sub(w.sum(w.square(y), 2).mul(0.5)); // [k, n]
  const loglik = w.sum(w.logSumExp(beta, 0)).sub(w.logSumExp(p.alpha).mul(n)).sub((n * d * Math.log(2 * Math.PI)) / 2);
  const np1 = d + m + 1;
  let lgammaD = (d * (d - 1) / 4) * Math.log(Math.PI);
  for (let j = 1; j <= d; j++) lgammaD += lgamma(np1 / 2 + (1 - j) / 2);
  const C = np1 * d * (Math.log(gamma) - 0.5 * Math.log(2)) - lgammaD;
  const frob = w.sum(w.exp(p.q.mul(2))).add(w.sum(w.square(p.l)));
  const logPrior = w.sub(k * C, frob.mul(0.5 * gamma * gamma).sub(w.sum(sumQ).mul(m)));
  return loglik.add(logPrior);
}
export function gmmData(i: GmmInput) {
  const { d, k, n, m, gamma } = i;
  const l = i.l.length && i.l[0].length ? tensor(i.l) : w.zeros([k, 0]);
  const params: GmmParams = { alpha: tensor(i.alpha), mu: tensor(i.mu), q: tensor(i.q), l };
  return { params, x: tensor(i.x), c: { d, k, n, m, gamma, lower: lowerIndex(d) } };
}
type GmmConsts = ReturnType<typeof gmmData>["c"];
// d, k, n, m, gamma and the index table are per-input constants: static for jit.
const gmmPrimal = jit((p: GmmParams, x: Tensor, c: GmmConsts) => gmmObjective(p, x, c), { staticArgnums: [2] });
const gmmGrad = jit(grad((p: GmmParams, x: Tensor, c: GmmConsts) => gmmObjective(p, x, c)), { staticArgnums: [2] });
const gmm: Module = {
  objective: { prepare: gmmData, run: (g) => gmmPrimal(g.params, g.x, g.c), output: (y: Tensor) => y.item() },
  jacobian: {
    prepare: gmmData,
    run: (g) => {
      const { alpha, mu, q, l } = g.params;
      return gmmGrad.into({ alpha: kept("gmm.alpha", f64, alpha.size), mu: kept("gmm.mu", f64, mu.size), q: kept("gmm.q", f64, q.size), l: kept("gmm.l", f64, l.size) })(g.params, g.x, g.c);
    },
    output: (r: GmmParams) => ({ alpha: nums(r.alpha), mu: nested(r.mu), q: nested(r.q), l: nested(r.l) }),
  },
};

// ---- det: determinant by expansion by minors along the first row ------------------------------------
/**
 * Expansion by minors along the first row recurses into minors that share their lower rows, so the
 * minors of the bottom r rows are indexed by the set of columns they keep. Level r+1 is computed
 * from level r for every column set at once (gathers, products, a sum): ℓ·2^(ℓ−1) products in all
 * instead of ℓ!, with the same terms as the textbook recursion. The tables are plain JS per ℓ.
 */
function minorTables(ell: number) {
  const levels: { cols: Tensor; minors: Tensor; signs: Tensor }[] = [];
  let pos = new Map<number, number>(); // column-set bitmask → position in the previous level
  for (let j = 0; j < ell; j++) pos.set(1 << j, j);
  for (let r = 2; r <= ell; r++) {
    const sets: number[] = [];
    for (let s = 0; s < 1 << ell; s++) if (popcount(s) === r) sets.push(s);
    const cols: number[] = [], minors: number[] = [], signs: number[] = [];
    for (const s of sets) {
      let t = 0;
      for (let j = 0; j < ell; j++) {
        if (!(s & (1 << j))) continue;
        cols.push(j), minors.push(pos.get(s & ~(1 << j))!), signs.push(t % 2 ? -1 : 1);
        t++;
      }
    }
    const shape = [sets.length, r];
    levels.push({ cols: tensor(Int32Array.from(cols), { dtype: "int32" }).reshape(shape), minors: tensor(Int32Array.from(minors), { dtype: "int32" }).reshape(shape), signs: tensor(signs).reshape(shape) });
    pos = new Map(sets.map((s, i) => [s, i]));
  }
  return levels;
}
function popcount(s: number) {
  let c = 0;
  for (; s; s &= s - 1) c++;
  return c;
}
function detByMinors(A: Tensor, ell: number, tables: ReturnType<typeof minorTables>): Tensor {
  const M = A.reshape([ell, ell]);
  let D = M.slice(ell - 1); // 1×1 minors of the last row, one per column
  tables.forEach((t, i) => {
    const row = M.slice(ell - 2 - i);
    D = w.sum(w.take(row, t.cols).mul(w.take(D, t.minors)).mul(t.signs), 1);
  });
  return D.reshape([]);
}
const detData = (i: { A: number[]; ell: number }) => ({ A: tensor(i.A), ell: i.ell, tables: minorTables(i.ell) });
type DetData = ReturnType<typeof detData>;
const detPrimal = jit((A: Tensor, ell: number, t: DetData["tables"]) => detByMinors(A, ell, t), { staticArgnums: [1, 2] });
const detGrad = jit(grad((A: Tensor, ell: number, t: DetData["tables"]) => detByMinors(A, ell, t)), { staticArgnums: [1, 2] });
const det: Module = {
  primal: { prepare: detData, run: (d: DetData) => detPrimal(d.A, d.ell, d.tables), output: (y: Tensor) => y.item() },
  gradient: { prepare: detData, run: (d: DetData) => detGrad(d.A, d.ell, d.tables), output: nums },
};

// ---- nested AD: particle and saddle, by source transformation -------------------------------------
// Both letters of a variant pick a mode: the first for the outer derivative, the second for the
// inner one. The inner derivative is made first (sourceGrad, forward or reverse) and its code —
// inside the subset — is pasted into the outer program as a helper; the outer derivative then
// differentiates through it, loops and data-dependent stopping rules included. No tensor is made.
type Mode = "f" | "r";
type NumFn = (...a: number[]) => number;

/** The code of ∂f/∂(argument k) of the function `name` in `src`, renamed `as`, in the given mode. */
function innerDerivative(src: string, name: string, k: number, mode: Mode, as: string): string {
  const d = sourceGrad(src, { name, argnums: k, mode: mode === "f" ? "forward" : "reverse" }).differentiable;
  return `${d.source.replace(`function ${d.name}(`, `function ${as}(`)}\n`;
}
/** A function of a source (derivative code included: it may call Tape and zerosOf), compiled as the user's own code. */
const compiled = <F = NumFn>(src: string, name: string) => new Function("Tape", "zerosOf", `"use strict";\n${src}\nreturn ${name};`)(Tape, zerosOf) as F;

/** The gradient-descent argmin both evals use, on plain numbers. */
function argmin(f: (x: number[]) => number, g: (x: number[]) => number[], x0: number[]): number[] {
  const norm = (v: number[]) => Math.sqrt(v.reduce((acc, t) => acc + t * t, 0));
  let eta = 1e-5, i = 0, x = x0, fx = f(x), gx = g(x);
  for (;;) {
    if (norm(gx) <= 1e-5) return x;
    if (i === 10) {
      eta *= 2, i = 0;
      continue;
    }
    const x2 = x.map((v, j) => v - eta * gx[j]);
    if (norm(x.map((v, j) => v - x2[j])) <= 1e-5) return x;
    const fx2 = f(x2);
    if (fx2 < fx) (x = x2), (fx = fx2), (gx = g(x)), i++;
    else (eta /= 2), (i = 0);
  }
}

const POTENTIAL = `function potential(x0, x1, w) {
  return 1 / Math.sqrt((x0 - 10) * (x0 - 10) + (x1 - (10 - w)) * (x1 - (10 - w))) + 1 / Math.sqrt((x0 - 10) * (x0 - 10) + x1 * x1);
}`;
/** The particle's flight with the force −∇ₓp from the inner derivative; the cost is where it lands, squared. */
const PARTICLE = `function cost(w) {
  let x0 = 0, x1 = 8, v0 = 0.75, v1 = 0;
  while (true) {
    const a0 = -force0(x0, x1, w), a1 = -force1(x0, x1, w);
    const n0 = x0 + v0 * 0.1, n1 = x1 + v1 * 0.1;
    if (n1 <= 0) break;
    x0 = n0;
    x1 = n1;
    v0 += a0 * 0.1;
    v1 += a1 * 0.1;
  }
  const t = -x1 / v1;
  const xf = x0 + v0 * t;
  return xf * xf;
}`;
function particle(outer: Mode, inner: Mode) {
  const src = innerDerivative(POTENTIAL, "potential", 0, inner, "force0") + innerDerivative(POTENTIAL, "potential", 1, inner, "force1") + PARTICLE;
  const f = compiled(src, "cost");
  const g = sourceGrad(src, { name: "cost", mode: outer === "f" ? "forward" : "reverse" }) as (w: number) => number;
  return (w0: number) => argmin(([wv]) => f(wv), ([wv]) => [g(wv)], [w0])[0];
}

const SADDLE_F = `function saddleF(x1, x2, y1, y2) {
  return x1 * x1 + x2 * x2 - (y1 * y1 + y2 * y2);
}
function negF(x1, x2, y1, y2) {
  return -saddleF(x1, x2, y1, y2);
}`;
/** max over y of f(x, y), by the same gradient descent on −f from the start, in the subset (the outer derivative goes through it). */
const SADDLE = `function maxOverY(x1, x2, s1, s2) {
  let y1 = s1, y2 = s2, eta = 1e-5, i = 0;
  let fy = negF(x1, x2, y1, y2);
  let g1 = dneg1(x1, x2, y1, y2), g2 = dneg2(x1, x2, y1, y2);
  while (true) {
    if (Math.sqrt(g1 * g1 + g2 * g2) <= 1e-5) break;
    if (i === 10) {
      eta *= 2;
      i = 0;
      continue;
    }
    const n1 = y1 - eta * g1, n2 = y2 - eta * g2;
    if (Math.sqrt((y1 - n1) * (y1 - n1) + (y2 - n2) * (y2 - n2)) <= 1e-5) break;
    const fn = negF(x1, x2, n1, n2);
    if (fn < fy) {
      y1 = n1;
      y2 = n2;
      fy = fn;
      g1 = dneg1(x1, x2, y1, y2);
      g2 = dneg2(x1, x2, y1, y2);
      i++;
    } else {
      eta /= 2;
      i = 0;
    }
  }
  return saddleF(x1, x2, y1, y2);
}`;
function saddle(outer: Mode, inner: Mode) {
  const helpers = innerDerivative(SADDLE_F, "negF", 2, inner, "dneg1") + innerDerivative(SADDLE_F, "negF", 3, inner, "dneg2");
  const src = SADDLE_F + "\n" + helpers + SADDLE;
  const maxOverY = compiled(src, "maxOverY");
  const g = sourceGrad(src, { name: "maxOverY", argnums: [0, 1], mode: outer === "f" ? "forward" : "reverse" }) as (...a: number[]) => number[];
  const negF = compiled(SADDLE_F, "negF"), dy1 = compiled(src, "dneg1"), dy2 = compiled(src, "dneg2");
  return ([s1, s2]: number[]) => {
    const r1 = argmin(([x1, x2]) => maxOverY(x1, x2, s1, s2), ([x1, x2]) => g(x1, x2, s1, s2), [s1, s2]);
    const r2 = argmin(([y1, y2]) => negF(r1[0], r1[1], y1, y2), ([y1, y2]) => [dy1(r1[0], r1[1], y1, y2), dy2(r1[0], r1[1], y1, y2)], [s1, s2]);
    return [...r1, ...r2];
  };
}
const variants = <A, R>(make: (o: Mode, i: Mode) => (a: A) => R): Module =>
  Object.fromEntries((["ff", "fr", "rf", "rr"] as const).map((v) => [v, { prepare: (x: unknown) => x, run: make(v[0] as Mode, v[1] as Mode), output: (r: unknown) => r }]));
const particleModule = variants((o, i) => {
  const run = particle(o, i);
  return (input: { w: number }) => run(input.w);
});
const saddleModule = variants((o, i) => {
  const run = saddle(o, i);
  return (input: { start: number[] }) => run(input.start);
});

// ---- lstm: plain loop code, differentiated by source transformation ----------------------------
/**
 * The GradBench "diagonal" LSTM as a user would write it in plain JavaScript: loops over numbers
 * and arrays, the state copied into local arrays. `sourceGrad` turns it into a reverse-mode loop
 * program (the reference C++ is the same loops).
 */
export const LSTM_SOURCE = `function sigmoid(z) {
  return 1 / (1 + Math.exp(-z));
}
function lstmObjective(main, extra, state, seq) {
  const L = main.length / 2, b = extra[0].length, C = seq.length;
  const h = new Float64Array(L * b), c = new Float64Array(L * b), x = new Float64Array(b);
  for (let l = 0; l < L; l++) {
    for (let j = 0; j < b; j++) {
      h[l * b + j] = state[2 * l][j];
      c[l * b + j] = state[2 * l + 1][j];
    }
  }
  let total = 0;
  for (let t = 0; t < C - 1; t++) {
    for (let j = 0; j < b; j++) x[j] = seq[t][j] * extra[0][j];
    for (let l = 0; l < L; l++) {
      const W = main[2 * l], B = main[2 * l + 1];
      for (let j = 0; j < b; j++) {
        const k = l * b + j;
        const forget = sigmoid(x[j] * W[j] + B[j]);
        const ingate = sigmoid(h[k] * W[b + j] + B[b + j]);
        const outgate = sigmoid(x[j] * W[2 * b + j] + B[2 * b + j]);
        const change = Math.tanh(h[k] * W[3 * b + j] + B[3 * b + j]);
        c[k] = c[k] * forget + ingate * change;
        h[k] = outgate * Math.tanh(c[k]);
        x[j] = h[k];
      }
    }
    let sum = 0;
    for (let j = 0; j < b; j++) sum += Math.exp(x[j] * extra[1][j] + extra[2][j]);
    const lse = Math.log(sum + 2);
    for (let j = 0; j < b; j++) total += seq[t + 1][j] * (x[j] * extra[1][j] + extra[2][j] - lse);
  }
  return -total / ((C - 1) * b);
}`;
interface LstmInput { main_params: number[][]; extra_params: number[][]; state: number[][]; sequence: number[][] }
const lstmArgs = (i: LstmInput) => [i.main_params, i.extra_params, i.state, i.sequence];
const lstmPrimal = compiled<(...a: unknown[]) => number>(LSTM_SOURCE, "lstmObjective");
const lstmGrad = sourceGrad(LSTM_SOURCE, { name: "lstmObjective", argnums: [0, 1] });
const lstm: Module = {
  objective: { prepare: lstmArgs, run: (a: unknown[]) => lstmPrimal(...a), output: (v: number) => v },
  jacobian: { prepare: lstmArgs, run: (a: unknown[]) => lstmGrad(...a), output: ([dm, de]: number[][][]) => [...dm.flat(), ...de.flat()] },
};

// ---- ba: bundle adjustment, plain code per observation, by source transformation ------------------
/**
 * One observation's reprojection error as a user writes it in plain JavaScript (the camera's 11
 * parameters, the point's 3 and the weight as numbers; the feature m0, m1 is data). Its derivative
 * comes from sourceVjp: two reverse sweeps (one per residual) give the 2 × 15 block.
 */
export const BA_SOURCE = `function reprojError(r0, r1, r2, c0, c1, c2, f, u0, v0, k1, k2, x0, x1, x2, w, m0, m1) {
  const o0 = x0 - c0, o1 = x1 - c1, o2 = x2 - c2;
  const sqtheta = r0 * r0 + r1 * r1 + r2 * r2;
  let p0 = 0, p1 = 0, p2 = 0;
  if (sqtheta !== 0) {
    // Rodrigues: rotate by the angle θ about the axis r / θ
    const theta = Math.sqrt(sqtheta), cs = Math.cos(theta), sn = Math.sin(theta);
    const a0 = r0 / theta, a1 = r1 / theta, a2 = r2 / theta;
    const t = (a0 * o0 + a1 * o1 + a2 * o2) * (1 - cs);
    p0 = o0 * cs + (a1 * o2 - a2 * o1) * sn + a0 * t;
    p1 = o1 * cs + (a2 * o0 - a0 * o2) * sn + a1 * t;
    p2 = o2 * cs + (a0 * o1 - a1 * o0) * sn + a2 * t;
  } else {
    p0 = o0 + (r1 * o2 - r2 * o1);
    p1 = o1 + (r2 * o0 - r0 * o2);
    p2 = o2 + (r0 * o1 - r1 * o0);
  }
  const q0 = p0 / p2, q1 = p1 / p2;
  const rsq = q0 * q0 + q1 * q1;
  const L = 1 + k1 * rsq + k2 * rsq * rsq;
  return [w * (q0 * L * f + u0 - m0), w * (q1 * L * f + v0 - m1)];
}
function weightError(w) {
  return 1 - w * w;
}`;
interface BaInput { n: number; m: number; p: number; cam: number[]; x: number[]; w: number; feat: number[] }
interface BaData { n: number; m: number; p: number; cams: Float64Array; X: Float64Array; w: Float64Array; obs: Int32Array; feats: Float64Array }
/** The replicated problem, as GradBench's reference builds it from the one camera, point, weight and feature given. */
function baData(i: BaInput): BaData {
  const { n, m, p } = i;
  const cams = new Float64Array(11 * n), X = new Float64Array(3 * m), w = new Float64Array(p).fill(i.w), obs = new Int32Array(2 * p), feats = new Float64Array(2 * p);
  for (let k = 0; k < n; k++) cams.set(i.cam, 11 * k);
  for (let k = 0; k < m; k++) X.set(i.x, 3 * k);
  for (let k = 0; k < p; k++) (obs[2 * k] = k % n), (obs[2 * k + 1] = k % m), (feats[2 * k] = i.feat[0]), (feats[2 * k + 1] = i.feat[1]);
  return { n, m, p, cams, X, w, obs, feats };
}
type Reproj = (...a: number[]) => number[];
const reprojError = compiled<Reproj>(BA_SOURCE, "reprojError");
const weightError = compiled<(w: number) => number>(BA_SOURCE, "weightError");
const reprojVjp = sourceVjp(BA_SOURCE, { name: "reprojError", argnums: Array.from({ length: 15 }, (_, k) => k) });
const weightGradFn = sourceGrad(BA_SOURCE, { name: "weightError" });
/** The observation's 17 arguments: its camera, its point, its weight and its feature. */
function baArgs(d: BaData, i: number): number[] {
  const c = 11 * d.obs[2 * i], x = 3 * d.obs[2 * i + 1], cams = d.cams, X = d.X;
  return [cams[c], cams[c + 1], cams[c + 2], cams[c + 3], cams[c + 4], cams[c + 5], cams[c + 6], cams[c + 7], cams[c + 8], cams[c + 9], cams[c + 10], X[x], X[x + 1], X[x + 2], d.w[i], d.feats[2 * i], d.feats[2 * i + 1]];
}
function baObjective(d: BaData) {
  const reproj = kept("ba.reproj", f64, 2 * d.p), werr = kept("ba.werr", f64, d.p);
  baReprojErrors(d, reproj);
  baWeightErrors(d, werr);
  return { reproj, werr };
}
function baReprojErrors(d: BaData, reproj: Float64Array): void {
  for (let i = 0; i < d.p; i++) {
    const e = reprojError(...baArgs(d, i));
    reproj[2 * i] = e[0];
    reproj[2 * i + 1] = e[1];
  }
}
function baWeightErrors(d: BaData, werr: Float64Array): void {
  for (let i = 0; i < d.p; i++) werr[i] = weightError(d.w[i]);
}
const E0 = [1, 0], E1 = [0, 1];
/**
 * The reverse-mode code sourceVjp printed, compiled once and called directly: one call per
 * residual, with the observation's numbers as arguments (no argument array, no closure).
 */
const reprojVjpCode = compiled<(...a: unknown[]) => [number[], number[]]>(reprojVjp.source, "reprojError_vjp");
const weightGrad = compiled<(w: number) => number>(weightGradFn.differentiable.source, weightGradFn.differentiable.name);
/** Observation i's 2 × 15 block of the Jacobian into the CSR arrays (rows 2i and 2i + 1). */
function baBlock(d: BaData, i: number, rows: Int32Array, cols: Int32Array, vals: Float64Array): void {
  const { cams, X, feats } = d;
  const c = 11 * d.obs[2 * i], x = 3 * d.obs[2 * i + 1], wi = 11 * d.n + 3 * d.m + i, pc = 11 * d.n + x;
  let k = 30 * i;
  for (let row = 0; row < 2; row++) {
    const g = reprojVjpCode(cams[c], cams[c + 1], cams[c + 2], cams[c + 3], cams[c + 4], cams[c + 5], cams[c + 6], cams[c + 7], cams[c + 8], cams[c + 9], cams[c + 10], X[x], X[x + 1], X[x + 2], d.w[i], feats[2 * i], feats[2 * i + 1], row === 0 ? E0 : E1)[1];
    for (let j = 0; j < 15; j++) {
      cols[k + j] = j < 11 ? c + j : j < 14 ? pc + j - 11 : wi;
      vals[k + j] = g[j];
    }
    k += 15;
    rows[2 * i + row + 1] = k;
  }
}
/** The whole Jacobian in compressed sparse rows, laid out as the reference's: 2p rows of 15 (camera, point, weight), then p rows of one. */
function baJacobian(d: BaData) {
  const p = d.p;
  const rows = kept("ba.rows", i32, 3 * p + 1), cols = kept("ba.cols", i32, 31 * p), vals = kept("ba.vals", f64, 31 * p);
  baReprojRows(d, rows, cols, vals);
  baWeightRows(d, rows, cols, vals);
  return { rows, cols, vals };
}
/*
 * Each long loop is the whole body of a function of its own: a loop followed by more code is
 * compiled by V8 while it runs (on-stack replacement), before the code after it has ever run, and
 * that compiled code deoptimized on reaching the second loop, run after run.
 */
function baReprojRows(d: BaData, rows: Int32Array, cols: Int32Array, vals: Float64Array): void {
  for (let i = 0; i < d.p; i++) baBlock(d, i, rows, cols, vals);
}
/** The p rows of one: each weight's own error. */
function baWeightRows(d: BaData, rows: Int32Array, cols: Int32Array, vals: Float64Array): void {
  const { n, m, p, w } = d;
  for (let i = 0, k = 30 * p; i < p; i++, k++) {
    cols[k] = 11 * n + 3 * m + i;
    vals[k] = weightGrad(w[i]);
    rows[2 * p + i + 1] = k + 1;
  }
}
/** GradBench sends back the first 30 entries of each array and its last one. */
const head30 = (a: Int32Array | Float64Array) => [...Array.from(a.subarray(0, 30)), a[a.length - 1]];
const ba: Module = {
  objective: {
    prepare: baData,
    run: baObjective,
    output: ({ reproj, werr }: ReturnType<typeof baObjective>) => ({ reproj_error: { elements: [reproj[0], reproj[1]], repeated: reproj.length / 2 }, w_err: { element: werr[0], repeated: werr.length } }),
  },
  jacobian: { prepare: baData, run: baJacobian, output: (j: ReturnType<typeof baJacobian>) => ({ rows: head30(j.rows), cols: head30(j.cols), vals: head30(j.vals) }) },
};

// ---- ht: hand tracking, plain code over flat arrays, forward mode by source transformation -------
/**
 * The hand model's residuals as plain JavaScript over flat arrays: Euler angles (x, z, y order) per
 * bone, the bone chain from the root, linear-blend skinning of every vertex (each vertex's few
 * bones, as the model file lists them), the global angle-axis rotation and translation, then each
 * correspondence's point minus its vertex (simple) or its barycentric point on a triangle
 * (complicated). The Jacobian has 26 (θ) or 28 (two u columns, then θ) columns and 3N rows: N is
 * large and the inputs few, so it is forward mode along all directions at once (`batch`: the
 * primal and each statement's partials computed once for all directions), and the directions are
 * compressed (htJacobian): columns that never move the same residual share one.
 */
export const HT_SOURCE = `function handObjective(theta, us, parents, baseRel, invAbs, basePos, wStart, wBone, wVal, tri, corr, points, mirrored, complicated) {
  const B = parents.length, V = wStart.length - 1, N = corr.length;
  const ang = new Float64Array(3 * B), R = new Float64Array(9 * B), A = new Float64Array(16 * B), T = new Float64Array(12 * B), S = new Float64Array(12 * B);
  const pos = new Float64Array(3 * V), err = new Float64Array(3 * N);
  // pose: the finger bones' angles from θ6… (bones 0, 1 and each finger's last bone stay straight)
  let it = 6, b = 2;
  for (let f = 0; f < 5; f++) {
    for (let k = 2; k <= 4; k++) {
      ang[3 * b] = theta[it];
      it++;
      if (k === 2) {
        ang[3 * b + 1] = theta[it];
        it++;
      }
      b++;
    }
    b++;
  }
  // each bone's rotation Rz·Ry·Rx from its angles (x, z, y)
  for (let j = 0; j < B; j++) {
    const cx = Math.cos(ang[3 * j]), sx = Math.sin(ang[3 * j]);
    const cz = Math.cos(ang[3 * j + 1]), sz = Math.sin(ang[3 * j + 1]);
    const cy = Math.cos(ang[3 * j + 2]), sy = Math.sin(ang[3 * j + 2]);
    R[9 * j] = cz * cy;
    R[9 * j + 1] = -sz * cx + cz * sy * sx;
    R[9 * j + 2] = sz * sx + cz * sy * cx;
    R[9 * j + 3] = sz * cy;
    R[9 * j + 4] = cz * cx + sz * sy * sx;
    R[9 * j + 5] = -cz * sx + sz * sy * cx;
    R[9 * j + 6] = -sy;
    R[9 * j + 7] = cy * sx;
    R[9 * j + 8] = cy * cx;
  }
  // absolutes: parent's absolute × (base relative × rotation); then the skinning transforms (3 rows)
  for (let j = 0; j < B; j++) {
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 3; c++) A[16 * j + 4 * r + c] = baseRel[16 * j + 4 * r] * R[9 * j + c] + baseRel[16 * j + 4 * r + 1] * R[9 * j + 3 + c] + baseRel[16 * j + 4 * r + 2] * R[9 * j + 6 + c];
      A[16 * j + 4 * r + 3] = baseRel[16 * j + 4 * r + 3];
    }
    const q = parents[j];
    if (q >= 0) {
      for (let c = 0; c < 4; c++) {
        const m0 = A[16 * j + c], m1 = A[16 * j + 4 + c], m2 = A[16 * j + 8 + c], m3 = A[16 * j + 12 + c];
        for (let r = 0; r < 4; r++) A[16 * j + 4 * r + c] = A[16 * q + 4 * r] * m0 + A[16 * q + 4 * r + 1] * m1 + A[16 * q + 4 * r + 2] * m2 + A[16 * q + 4 * r + 3] * m3;
      }
    }
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) T[12 * j + 4 * r + c] = A[16 * j + 4 * r] * invAbs[16 * j + c] + A[16 * j + 4 * r + 1] * invAbs[16 * j + 4 + c] + A[16 * j + 4 * r + 2] * invAbs[16 * j + 8 + c] + A[16 * j + 4 * r + 3] * invAbs[16 * j + 12 + c];
    }
  }
  // the global rotation from the angle-axis θ0…θ2 (the identity for a tiny angle)
  let g00 = 1, g01 = 0, g02 = 0, g10 = 0, g11 = 1, g12 = 0, g20 = 0, g21 = 0, g22 = 1;
  const n = Math.sqrt(theta[0] * theta[0] + theta[1] * theta[1] + theta[2] * theta[2]);
  if (n >= 0.0001) {
    const x = theta[0] / n, y = theta[1] / n, z = theta[2] / n, s = Math.sin(n), c = Math.cos(n);
    g00 = x * x + (1 - x * x) * c;
    g01 = x * y * (1 - c) - z * s;
    g02 = x * z * (1 - c) + y * s;
    g10 = x * y * (1 - c) + z * s;
    g11 = y * y + (1 - y * y) * c;
    g12 = y * z * (1 - c) - x * s;
    g20 = x * z * (1 - c) - y * s;
    g21 = z * y * (1 - c) + x * s;
    g22 = z * z + (1 - z * z) * c;
  }
  // the mirror and the global rotation applied to each bone's skinning transform (S = G·M·T, 22
  // bones) instead of to every vertex (the same numbers: the vertex is a weighted sum of T·x)
  const m0 = mirrored ? -1 : 1;
  for (let j = 0; j < B; j++) {
    for (let c = 0; c < 4; c++) {
      const t0 = m0 * T[12 * j + c], t1 = T[12 * j + 4 + c], t2 = T[12 * j + 8 + c];
      S[12 * j + c] = g00 * t0 + g01 * t1 + g02 * t2;
      S[12 * j + 4 + c] = g10 * t0 + g11 * t1 + g12 * t2;
      S[12 * j + 8 + c] = g20 * t0 + g21 * t1 + g22 * t2;
    }
  }
  // every vertex: its bones' placed transforms, weighted, then the translation
  for (let v = 0; v < V; v++) {
    const x = basePos[4 * v], y = basePos[4 * v + 1], z = basePos[4 * v + 2], h = basePos[4 * v + 3];
    let p0 = 0, p1 = 0, p2 = 0;
    for (let k = wStart[v]; k < wStart[v + 1]; k++) {
      const j = wBone[k], w = wVal[k];
      p0 += w * (S[12 * j] * x + S[12 * j + 1] * y + S[12 * j + 2] * z + S[12 * j + 3] * h);
      p1 += w * (S[12 * j + 4] * x + S[12 * j + 5] * y + S[12 * j + 6] * z + S[12 * j + 7] * h);
      p2 += w * (S[12 * j + 8] * x + S[12 * j + 9] * y + S[12 * j + 10] * z + S[12 * j + 11] * h);
    }
    pos[3 * v] = p0 + theta[3];
    pos[3 * v + 1] = p1 + theta[4];
    pos[3 * v + 2] = p2 + theta[5];
  }
  for (let i = 0; i < N; i++) {
    if (complicated) {
      const t = corr[i], u0 = us[2 * i], u1 = us[2 * i + 1];
      for (let r = 0; r < 3; r++) err[3 * i + r] = points[3 * i + r] - (u0 * pos[3 * tri[3 * t] + r] + u1 * pos[3 * tri[3 * t + 1] + r] + (1 - u0 - u1) * pos[3 * tri[3 * t + 2] + r]);
    } else {
      for (let r = 0; r < 3; r++) err[3 * i + r] = points[3 * i + r] - pos[3 * corr[i] + r];
    }
  }
  return err;
}`;
interface HtInput {
  theta: number[];
  us: number[][];
  data: {
    model: { parents: number[]; base_relatives: number[][][]; inverse_base_absolutes: number[][][]; base_positions: number[][]; weights: number[][]; triangles: number[][]; is_mirrored: boolean };
    correspondences: number[];
    points: number[][];
  };
}
/** The JSON input as flat arrays: 4 × 4 matrices row by row, each vertex's nonzero weights listed (the model file's form). */
function htData(i: HtInput) {
  const m = i.data.model;
  const flat4 = (ms: number[][][]) => Float64Array.from(ms.flatMap((x) => x.flat()));
  const wStart = [0], wBone: number[] = [], wVal: number[] = [];
  for (const row of m.weights) {
    row.forEach((w, j) => w !== 0 && (wBone.push(j), wVal.push(w)));
    wStart.push(wBone.length);
  }
  const complicated = i.us.length > 0 ? 1 : 0;
  return {
    args: [
      Float64Array.from(i.theta), Float64Array.from(i.us.flat()), Int32Array.from(m.parents), flat4(m.base_relatives), flat4(m.inverse_base_absolutes),
      Float64Array.from(m.base_positions.flat()), Int32Array.from(wStart), Int32Array.from(wBone), Float64Array.from(wVal), Int32Array.from(m.triangles.flat()),
      Int32Array.from(i.data.correspondences), Float64Array.from(i.data.points.flat()), m.is_mirrored ? 1 : 0, complicated,
    ] as unknown[],
    rows: 3 * i.data.correspondences.length,
    complicated,
  };
}
const htPrimal = compiled<(...a: unknown[]) => Float64Array>(HT_SOURCE, "handObjective");
/**
 * Forward mode along all the Jacobian's directions at once, compiled when this module loads for a
 * few direction counts (a count that is not there is padded to the next with zero directions).
 */
const HT_BATCHES = [12, 14, 16, 20, 28];
const htJvp = new Map(HT_BATCHES.map((K) => [K, sourceJvp(HT_SOURCE, { name: "handObjective", argnums: [0, 1], batch: K })]));
/**
 * Which θ columns can move each residual, from the model and the correspondences: the global pose
 * (θ0…θ5) moves everything; a finger angle moves the bone it bends and that bone's descendants,
 * so only the vertices skinned to those bones (bit k of a mask: θk). HT_SOURCE's pose loop assigns
 * the angles: bone b's own angles are the ones this loop gives it.
 */
function htMasks(d: ReturnType<typeof htData>): Int32Array {
  const [, , parents, , , , wStart, wBone, , tri, corr, , , complicated] = d.args as [unknown, unknown, Int32Array, unknown, unknown, unknown, Int32Array, Int32Array, unknown, Int32Array, Int32Array, unknown, number, number];
  const B = parents.length, bone = new Int32Array(B);
  let it = 6, b = 2;
  for (let f = 0; f < 5; f++, b++) {
    for (let k = 2; k <= 4; k++, b++) {
      bone[b] |= 1 << it++;
      if (k === 2) bone[b] |= 1 << it++;
    }
  }
  for (let j = 0; j < B; j++) if (parents[j] >= 0) bone[j] |= bone[parents[j]]; // (a parent comes before its children, as HT_SOURCE assumes)
  const vertex = (v: number) => {
    let m = 0b111111;
    for (let k = wStart[v]; k < wStart[v + 1]; k++) m |= bone[wBone[k]];
    return m;
  };
  const rows = new Int32Array(corr.length);
  for (let i = 0; i < corr.length; i++) {
    const t = corr[i];
    rows[i] = complicated ? vertex(tri[3 * t]) | vertex(tri[3 * t + 1]) | vertex(tri[3 * t + 2]) : vertex(t);
  }
  return rows;
}
/**
 * The Jacobian, row-major (3N rows; the two u columns first, then θ), by compressed forward mode:
 * θ columns that never move the same residual share one seed direction (greedy colouring of the
 * column-intersection graph, as Curtis, Powell and Reid compress sparse Jacobians). Different
 * fingers' angles move different vertices, so the small model's 26 θ columns take 10–12
 * directions. Each u column is one direction too, since each residual depends on its own u only.
 * The tangent in a shared direction is then, for each residual, the one column that can move it
 * (the others' contributions are exact zeros) and is scattered back to its column.
 */
function htJacobian(d: ReturnType<typeof htData>) {
  const us = d.args[1] as Float64Array;
  const rows = htMasks(d);
  const conflicts = new Int32Array(26);
  const seen = new Set<number>();
  for (const m of rows) {
    if (seen.has(m)) continue;
    seen.add(m);
    for (let c = 6; c < 26; c++) if (m & (1 << c)) conflicts[c] |= m;
  }
  const color = new Int32Array(26);
  let colors = 6;
  for (let c = 0; c < 26; c++) {
    if (c < 6) {
      color[c] = c;
      continue;
    }
    let used = 0;
    for (let x = 6; x < c; x++) if (conflicts[c] & (1 << x)) used |= 1 << color[x];
    let k = 6;
    while (used & (1 << k)) k++;
    color[c] = k;
    colors = Math.max(colors, k + 1);
  }
  const nu = d.complicated ? 2 : 0, cols = nu + 26;
  const K = HT_BATCHES.find((k) => k >= nu + colors)!;
  const dtheta = new Float64Array(26 * K), dus = new Float64Array(us.length * K);
  if (nu) for (let i = 0; i < us.length; i++) dus[i * K + (i % 2)] = 1;
  for (let c = 0; c < 26; c++) dtheta[c * K + nu + color[c]] = 1;
  const Jc = htJvp.get(K)!(d.args, [dtheta, dus])[1] as Float64Array;
  const J = kept("ht.jacobian", f64, 3 * rows.length * cols);
  for (let i = 0; i < rows.length; i++) {
    const m = rows[i];
    for (let r = 3 * i; r < 3 * i + 3; r++) {
      const o = r * cols, oc = r * K;
      for (let u = 0; u < nu; u++) J[o + u] = Jc[oc + u];
      for (let c = 0; c < 26; c++) J[o + nu + c] = m & (1 << c) ? Jc[oc + nu + color[c]] : 0;
    }
  }
  return { J, cols };
}
const ht: Module = {
  objective: { prepare: htData, run: (d: ReturnType<typeof htData>) => htPrimal(...d.args), output: (e: Float64Array) => Array.from(e) },
  jacobian: {
    prepare: htData,
    run: htJacobian,
    output: ({ J, cols }: ReturnType<typeof htJacobian>) => Array.from({ length: J.length / cols }, (_, r) => Array.from(J.subarray(r * cols, (r + 1) * cols))),
  },
};

/** The modules whose first run compiles (jit); the others' first run is a warm-up. */
export const COMPILING = new Set(["lse", "llsq", "ode", "kmeans", "gmm", "det"]);

export const MODULES: Record<string, Module> = { hello, lse, llsq, ode, kmeans, gmm, det, lstm, ba, ht, particle: particleModule, saddle: saddleModule };
