/**
 * GradBench evals written with wengert as a user would: tensor code where the problem vectorizes,
 * `jit` around whatever runs repeatedly. Each module maps a function name to
 * { prepare(input) → prepared data (untimed), run(prepared) → result (timed), output(result) → JSON }.
 */
import * as w from "../../src/index.js";
import { type Tensor, tensor, jit, grad, jvp } from "../../src/index.js";

export interface Fn<P = any, R = any> {
  prepare(input: any): P;
  run(p: P): R;
  output(r: R): unknown;
}
export type Module = Record<string, Fn>;

const nums = (t: Tensor): number[] => Array.from(t.concrete().data);
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
  gradient: { prepare: (i) => tensor(i.x), run: (x: Tensor) => lseGrad(x), output: nums },
};

// ---- llsq: ½ Σ_i (s_i − Σ_j x_j t_i^j)² --------------------------------------------------------
function llsqData(i: { x: number[]; n: number }) {
  const m = i.x.length, n = i.n;
  const t = Array.from({ length: n }, (_, k) => (n === 1 ? -1 : -1 + (2 * k) / (n - 1)));
  const T = tensor(t.map((ti) => Array.from({ length: m }, (_, j) => ti ** j)));
  const s = tensor(t.map(Math.sign));
  return { x: tensor(i.x), T, s };
}
const llsqFn = (x: Tensor, T: Tensor, s: Tensor) => w.sum(w.square(s.sub(w.matmul(T, x)))).mul(0.5);
const llsqPrimal = jit(llsqFn), llsqGrad = jit(grad(llsqFn));
const llsq: Module = {
  primal: { prepare: llsqData, run: (d) => llsqPrimal(d.x, d.T, d.s), output: (y: Tensor) => y.item() },
  gradient: { prepare: llsqData, run: (d) => llsqGrad(d.x, d.T, d.s), output: nums },
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
  gradient: { prepare: (i) => ({ x: tensor(i.x), s: i.s }), run: (d) => odeGrad(d.x, d.s), output: nums },
};

// ---- kmeans: Σ_i min_j ‖C_j − P_i‖²; dir = ∇ ÷ diag(∇²) -------------------------------------------
const kmeansCost = (C: Tensor, P: Tensor) => {
  const d = w.sum(w.square(w.sub(w.expandDims(P, 1), w.expandDims(C, 0))), -1); // [n, k]
  return w.sum(w.min(d, 1));
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
  dir: { prepare: kmeansData, run: (d) => kmeansDir(d.C, d.P), output: nested },
};

export const MODULES: Record<string, Module> = { hello, lse, llsq, ode, kmeans };
