/**
 * @file Optimizers as pure gradient transformations, in the style of optax: each is
 * `{ init(params) → state, update(grads, state, params?) → [updates, newState] }` over any structure
 * (pytree) of tensors, made of wengert ops only, so `jit(opt.update)` compiles and the state is
 * plain data. `applyUpdates(params, updates)` adds the updates. Learning rates are numbers or
 * schedules (functions of the step count, a scalar tensor).
 */
import { Tensor } from "../core/tensor.js";
import { flatten, unflatten, treeMismatch, type TreeDef } from "../core/pytree.js";
import { InputError, checkOptions, fmtValue } from "../core/errors.js";
import * as ops from "./ops.js";
import { valueAndGrad } from "./autodiff.js";
import { jit } from "../jit/jit.js";

/** A learning rate: a number, or a function of the step count (0 on the first update). */
export type Schedule = number | ((count: Tensor) => Tensor | number);

export interface GradientTransformation<S = unknown> {
  init(params: unknown): S;
  update(grads: unknown, state: S, params?: unknown): [unknown, S];
}

const leavesOf = (op: string, tree: unknown, like?: TreeDef): [Tensor[], TreeDef] => {
  const [leaves, def] = flatten(tree);
  if (like) {
    const m = treeMismatch(like, def);
    if (m) throw new InputError(`${op}: the structures differ (${m}); gradients, parameters and updates must have the same structure`);
  }
  return [leaves.map((l) => (l instanceof Tensor ? l : ops.tensor(l))), def];
};

/** f applied leaf by leaf to trees of one structure. */
function map(op: string, f: (...xs: Tensor[]) => Tensor, tree: unknown, ...others: unknown[]): unknown {
  const [l0, def] = leavesOf(op, tree);
  const rest = others.map((t) => leavesOf(op, t, def)[0]);
  return unflatten(def, l0.map((x, i) => f(x, ...rest.map((r) => r[i]))));
}

const zerosTree = (params: unknown) => map("init", (x) => ops.zerosLike(x), params);
const lrAt = (lr: Schedule, count: Tensor): Tensor | number => (typeof lr === "number" ? lr : lr(count));

function checkRate(op: string, lr: Schedule): void {
  if (!(typeof lr === "function" || (typeof lr === "number" && Number.isFinite(lr)))) throw new InputError(`${op}: the learning rate must be a finite number or a schedule (count) => rate; got ${fmtValue(lr)}`);
}
function checkIn(op: string, name: string, v: number, lo: number, hi: number): void {
  if (!(typeof v === "number" && v >= lo && v <= hi)) throw new InputError(`${op}: ${name} must be a number in [${lo}, ${hi}]; got ${fmtValue(v)}`);
}

/**
 * Gradient descent: −lr·g; with momentum, a velocity v ← momentum·v + g (Nesterov: −lr·(g + momentum·v)).
 * @example
 * const opt = optim.sgd(0.1);
 * const [updates] = opt.update({ w: tensor([1, -2]) }, opt.init({ w: tensor([0, 0]) }));
 * updates // → { w: [-0.1, 0.2] }
 */
export function sgd(learningRate: Schedule, options?: { momentum?: number; nesterov?: boolean }): GradientTransformation<{ count: Tensor; velocity: unknown }> {
  const opts = checkOptions("sgd", options, ["momentum", "nesterov"]);
  checkRate("sgd", learningRate);
  const momentum = opts.momentum ?? 0;
  checkIn("sgd", "momentum", momentum, 0, 1);
  return {
    init: (params) => ({ count: ops.tensor(0), velocity: momentum ? zerosTree(params) : null }),
    update(grads, state) {
      const lr = lrAt(learningRate, state.count);
      if (!momentum) return [map("sgd", (g) => ops.mul(g, ops.neg(lr)), grads), { count: ops.add(state.count, 1), velocity: null }];
      const velocity = map("sgd", (v, g) => ops.add(ops.mul(v, momentum), g), state.velocity, grads);
      const step = opts.nesterov ? map("sgd", (g, v) => ops.add(g, ops.mul(v, momentum)), grads, velocity) : velocity;
      return [map("sgd", (s) => ops.mul(s, ops.neg(lr)), step), { count: ops.add(state.count, 1), velocity }];
    },
  };
}

interface AdamOpts {
  b1?: number;
  b2?: number;
  eps?: number;
}
type AdamState = { count: Tensor; mu: unknown; nu: unknown };

function adamCore(op: string, learningRate: Schedule, opts: AdamOpts, weightDecay: number): GradientTransformation<AdamState> {
  checkRate(op, learningRate);
  const b1 = opts.b1 ?? 0.9, b2 = opts.b2 ?? 0.999, eps = opts.eps ?? 1e-8;
  checkIn(op, "b1", b1, 0, 1 - 1e-12);
  checkIn(op, "b2", b2, 0, 1 - 1e-12);
  checkIn(op, "eps", eps, 0, Infinity);
  return {
    init: (params) => ({ count: ops.tensor(0), mu: zerosTree(params), nu: zerosTree(params) }),
    update(grads, state, params) {
      if (weightDecay && params === undefined) throw new InputError(`${op}: update needs the parameters (weight decay): update(grads, state, params)`);
      const count = ops.add(state.count, 1);
      const mu = map(op, (m, g) => ops.add(ops.mul(m, b1), ops.mul(g, 1 - b1)), state.mu, grads);
      const nu = map(op, (v, g) => ops.add(ops.mul(v, b2), ops.mul(ops.square(g), 1 - b2)), state.nu, grads);
      // bias correction: the averages start at zero
      const c1 = ops.sub(1, ops.pow(b1, count)), c2 = ops.sub(1, ops.pow(b2, count));
      const lr = lrAt(learningRate, state.count);
      const step = (m: Tensor, v: Tensor) => ops.div(ops.div(m, c1), ops.add(ops.sqrt(ops.div(v, c2)), eps));
      const updates = weightDecay
        ? map(op, (m, v, p) => ops.mul(ops.add(step(m, v), ops.mul(p, weightDecay)), ops.neg(lr)), mu, nu, params)
        : map(op, (m, v) => ops.mul(step(m, v), ops.neg(lr)), mu, nu);
      return [updates, { count, mu, nu }];
    },
  };
}

/**
 * Adam (Kingma & Ba): bias-corrected averages of g and g²; −lr·m̂/(√v̂ + eps).
 * @example
 * const opt = optim.adam(0.01);
 * const [u] = opt.update(tensor([2, -3]), opt.init(tensor([0, 0])));
 * u // ≈ [-0.01, 0.01]
 */
export function adam(learningRate: Schedule, options?: AdamOpts): GradientTransformation<AdamState> {
  const opts = checkOptions("adam", options, ["b1", "b2", "eps"]);
  return adamCore("adam", learningRate, opts, 0);
}
/**
 * AdamW: Adam with decoupled weight decay, −lr·(m̂/(√v̂ + eps) + weightDecay·p).
 * @example
 * const opt = optim.adamw(0.01, { weightDecay: 0.1 });
 * const p = tensor([1, 1]);
 * const [u] = opt.update(tensor([0, 0]), opt.init(p), p);
 * u // ≈ [-0.001, -0.001]
 */
export function adamw(learningRate: Schedule, options?: AdamOpts & { weightDecay?: number }): GradientTransformation<AdamState> {
  const opts = checkOptions("adamw", options, ["b1", "b2", "eps", "weightDecay"]);
  const wd = opts.weightDecay ?? 1e-4;
  checkIn("adamw", "weightDecay", wd, 0, Infinity);
  return adamCore("adamw", learningRate, opts, wd);
}
/**
 * RMSProp: a running average of g²; −lr·g/(√avg + eps).
 * @example
 * const opt = optim.rmsprop(0.1, { decay: 0 });
 * const [u] = opt.update(tensor([2, -2]), opt.init(tensor([0, 0])));
 * u // ≈ [-0.1, 0.1]
 */
export function rmsprop(learningRate: Schedule, options?: { decay?: number; eps?: number }): GradientTransformation<{ count: Tensor; nu: unknown }> {
  const opts = checkOptions("rmsprop", options, ["decay", "eps"]);
  checkRate("rmsprop", learningRate);
  const decay = opts.decay ?? 0.9, eps = opts.eps ?? 1e-8;
  checkIn("rmsprop", "decay", decay, 0, 1);
  return {
    init: (params) => ({ count: ops.tensor(0), nu: zerosTree(params) }),
    update(grads, state) {
      const nu = map("rmsprop", (v, g) => ops.add(ops.mul(v, decay), ops.mul(ops.square(g), 1 - decay)), state.nu, grads);
      const lr = lrAt(learningRate, state.count);
      return [map("rmsprop", (g, v) => ops.mul(ops.div(g, ops.add(ops.sqrt(v), eps)), ops.neg(lr)), grads, nu), { count: ops.add(state.count, 1), nu }];
    },
  };
}
/**
 * Scales the gradients down when their global 2-norm (over every leaf) exceeds maxNorm.
 * @example
 * const clipper = optim.clipByGlobalNorm(1);
 * clipper.update(tensor([3, 4]), null)[0] // ≈ [0.6, 0.8]
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<null> {
  checkIn("clipByGlobalNorm", "maxNorm", maxNorm, 0, Infinity);
  return {
    init: () => null,
    update(grads, state) {
      const [leaves] = leavesOf("clipByGlobalNorm", grads);
      const norm = ops.sqrt(leaves.reduce<Tensor>((s, g) => ops.add(s, ops.sum(ops.square(g))), ops.tensor(0)));
      const scale = ops.where(ops.gt(norm, maxNorm), ops.div(maxNorm, norm), 1);
      return [map("clipByGlobalNorm", (g) => ops.mul(g, scale), grads), state];
    },
  };
}
/**
 * Transformations applied one after another (each sees the previous one's output).
 * @example
 * const opt = optim.chain(optim.clipByGlobalNorm(1), optim.sgd(1));
 * opt.update(tensor([3, 4]), opt.init(tensor([0, 0])))[0] // ≈ [-0.6, -0.8]
 */
export function chain(...ts: GradientTransformation<any>[]): GradientTransformation<unknown[]> {
  return {
    init: (params) => ts.map((t) => t.init(params)),
    update(grads, states, params) {
      let u = grads;
      const next = ts.map((t, i) => {
        const [u2, s] = t.update(u, (states as unknown[])[i], params);
        u = u2;
        return s;
      });
      return [u, next];
    },
  };
}
/**
 * params + updates, leaf by leaf.
 * @example
 * optim.applyUpdates({ w: tensor([1, 2]) }, { w: tensor([0.5, -1]) }) // → { w: [1.5, 1] }
 */
export function applyUpdates<P>(params: P, updates: unknown): P {
  return map("applyUpdates", (p, u) => ops.add(p, u), params, updates) as P;
}
/**
 * init·rate^(count/steps).
 * @example
 * optim.exponentialDecay(1, 0.5, 10)(tensor(20)) // → 0.25
 */
export function exponentialDecay(init: number, rate: number, steps: number): (count: Tensor) => Tensor {
  if (typeof init !== "number" || !Number.isFinite(init)) throw new InputError(`exponentialDecay: init must be a finite number; got ${fmtValue(init)}`);
  if (typeof rate !== "number" || !(rate > 0) || !Number.isFinite(rate)) throw new InputError(`exponentialDecay: rate must be a positive number; got ${fmtValue(rate)}`);
  // optax's order is (init, steps, rate): swapped arguments give a non-integer step count, caught here
  if (!Number.isInteger(steps) || steps < 1) throw new InputError(`exponentialDecay(init, rate, steps): steps, the updates per factor of rate, must be a positive integer; got ${fmtValue(steps)} (optax's exponential_decay takes (init, steps, rate))`);
  return (count) => ops.mul(init, ops.pow(rate, ops.div(count, steps)));
}
/**
 * Cosine decay from init to init·alpha over `steps` updates, then constant.
 * @example
 * optim.cosineDecay(1, 100)(tensor(50)) // ≈ 0.5
 */
export function cosineDecay(init: number, steps: number, alpha = 0): (count: Tensor) => Tensor {
  if (typeof init !== "number" || !Number.isFinite(init)) throw new InputError(`cosineDecay: init must be a finite number; got ${fmtValue(init)}`);
  if (!Number.isInteger(steps) || steps < 1) throw new InputError(`cosineDecay: steps must be a positive integer; got ${fmtValue(steps)}`);
  if (typeof alpha !== "number" || !Number.isFinite(alpha)) throw new InputError(`cosineDecay: alpha must be a finite number; got ${fmtValue(alpha)}`);
  return (count) => {
    const t = ops.div(ops.minimum(count, steps), steps);
    return ops.mul(init, ops.add(ops.mul(ops.add(ops.cos(ops.mul(t, Math.PI)), 1), 0.5 * (1 - alpha)), alpha));
  };
}

type LbfgsState = { count: Tensor; s: Tensor; y: Tensor; rho: Tensor; prevParams: Tensor; prevGrads: Tensor };

/** Every leaf of a tree as one float vector (the order of flatten), and the way back. */
function vectorize(op: string, tree: unknown): [Tensor, (v: Tensor) => unknown] {
  const [leaves, def] = leavesOf(op, tree);
  const sizes = leaves.map((l) => l.size), shapes = leaves.map((l) => l.shape);
  const v = leaves.length === 0 ? ops.zeros([0]) : ops.concat(leaves.map((l) => ops.reshape(l, [l.size])), 0);
  const back = (u: Tensor) => {
    let at = 0;
    return unflatten(
      def,
      sizes.map((n, i) => {
        const part = ops.reshape(ops.slice(u, [at, at + n]), shapes[i]);
        at += n;
        return part;
      }),
    );
  };
  return [v, back];
}

/**
 * L-BFGS (Nocedal & Wright, algorithm 7.4): the update is −lr·H·g, H the inverse-Hessian estimate
 * built by the two-loop recursion from the last `memorySize` steps s = Δparams and gradient changes
 * y = Δgrads (pairs with s·y ≤ 0 are skipped, keeping H positive definite), scaled by
 * γ = s·y / y·y of the newest pair. The memory is a fixed-size buffer of tensors, so `update` is
 * jittable; it needs `params`. Without a line search a step may overshoot: `minimize` pairs it with
 * one (the usual way to use it, full batch).
 * @example
 * const opt = optim.lbfgs(1);
 * const p = tensor([1, 1]);
 * opt.update(tensor([2, 2]), opt.init(p), p)[0] // → [-2, -2]
 */
export function lbfgs(learningRate: Schedule = 1, options?: { memorySize?: number }): GradientTransformation<LbfgsState> {
  const opts = checkOptions("lbfgs", options, ["memorySize"]);
  checkRate("lbfgs", learningRate);
  const m = opts.memorySize ?? 10;
  if (!Number.isInteger(m) || m < 1 || m > 1000) throw new InputError(`lbfgs: memorySize must be an integer in [1, 1000]; got ${fmtValue(m)}`);
  return {
    init(params) {
      const [x] = vectorize("lbfgs", params);
      const n = x.size;
      return { count: ops.tensor(0), s: ops.zeros([m, n], { dtype: x.dtype }), y: ops.zeros([m, n], { dtype: x.dtype }), rho: ops.zeros([m], { dtype: x.dtype }), prevParams: ops.zerosLike(x), prevGrads: ops.zerosLike(x) };
    },
    update(grads, state, params) {
      if (params === undefined) throw new InputError("lbfgs: update needs the parameters: update(grads, state, params)");
      const [x, back] = vectorize("lbfgs", params);
      const [g] = vectorize("lbfgs", grads);
      if (g.size !== x.size || state.s.shape[1] !== x.size) throw new InputError(`lbfgs: parameters, gradients and state disagree in size (${x.size}, ${g.size}, ${state.s.shape[1]})`);
      // the newest pair goes in front (the others move back one place), from the second update on
      const sNew = ops.sub(x, state.prevParams), yNew = ops.sub(g, state.prevGrads);
      const sy = ops.sum(ops.mul(sNew, yNew));
      const scale = ops.sqrt(ops.mul(ops.sum(ops.square(sNew)), ops.sum(ops.square(yNew))));
      const use = ops.logicalAnd(ops.gt(state.count, 0), ops.gt(sy, ops.mul(scale, 1e-10)));
      const push = (buf: Tensor, row: Tensor) => ops.where(use, ops.concat([ops.reshape(row, [1, row.size]), ops.slice(buf, [0, m - 1])], 0), buf);
      const s = push(state.s, sNew), y = push(state.y, yNew);
      const rho = ops.where(use, ops.concat([ops.reshape(ops.div(1, ops.where(use, sy, 1)), [1]), ops.slice(state.rho, [0, m - 1])], 0), state.rho);
      const row = (t: Tensor, i: number) => ops.reshape(ops.slice(t, [i, i + 1]), [t.shape[1]]);
      const at = (t: Tensor, i: number) => ops.reshape(ops.slice(t, [i, i + 1]), []);
      // two-loop recursion, newest first; empty slots have rho = 0 and change nothing
      let q = g;
      const alpha: Tensor[] = [];
      for (let i = 0; i < m; i++) {
        const a = ops.mul(at(rho, i), ops.sum(ops.mul(row(s, i), q)));
        alpha.push(a);
        q = ops.sub(q, ops.mul(a, row(y, i)));
      }
      const y0 = row(y, 0), yy = ops.sum(ops.mul(y0, y0));
      const gamma = ops.where(ops.gt(at(rho, 0), 0), ops.div(ops.sum(ops.mul(row(s, 0), y0)), ops.where(ops.gt(yy, 0), yy, 1)), 1);
      let r = ops.mul(q, gamma);
      for (let i = m - 1; i >= 0; i--) {
        const b = ops.mul(at(rho, i), ops.sum(ops.mul(row(y, i), r)));
        r = ops.add(r, ops.mul(row(s, i), ops.sub(alpha[i], b)));
      }
      const lr = lrAt(learningRate, state.count);
      return [back(ops.mul(r, ops.neg(lr))), { count: ops.add(state.count, 1), s, y, rho, prevParams: x, prevGrads: g }];
    },
  };
}

export interface MinimizeResult<P> {
  params: P;
  value: number;
  /** The gradient's 2-norm at the result. */
  gradNorm: number;
  iterations: number;
  /** Function evaluations, line search included. */
  evaluations: number;
  converged: boolean;
}

/**
 * Minimise a scalar function of a structure of tensors, full batch, by L-BFGS with a backtracking
 * (Armijo) line search: each iteration tries the L-BFGS step, halving it until f falls by at least
 * 10⁻⁴·step·slope. Stops when the gradient's 2-norm is below `gtol` or f stops changing (`ftol`,
 * relative). `f` is run through jit(valueAndGrad(f)).
 * @example
 * const r = optim.minimize((x: Tensor) => sum(square(sub(x, tensor([1, 2])))), tensor([0, 0]));
 * r.params // ≈ [1, 2]
 * r.converged // → true
 */
export function minimize<P>(f: (params: P) => Tensor | number, init: P, options?: { maxIter?: number; gtol?: number; ftol?: number; memorySize?: number }): MinimizeResult<P> {
  const opts = checkOptions("minimize", options, ["maxIter", "gtol", "ftol", "memorySize"]);
  const maxIter = opts.maxIter ?? 200, gtol = opts.gtol ?? 1e-6, ftol = opts.ftol ?? 1e-12;
  if (typeof f !== "function") throw new InputError(`minimize: f must be a function; got ${fmtValue(f)}`);
  const vg = jit(valueAndGrad(f as (p: P) => Tensor)) as unknown as (p: P) => [Tensor | number, P];
  const opt = lbfgs(1, { memorySize: opts.memorySize });
  const norm = (t: unknown) => Math.sqrt(leavesOf("minimize", t)[0].reduce((s, l) => s + ops.sum(ops.square(l)).item(), 0));
  const dot = (a: unknown, b: unknown) => {
    const la = leavesOf("minimize", a)[0], lb = leavesOf("minimize", b)[0];
    return la.reduce((s, l, i) => s + ops.sum(ops.mul(l, lb[i])).item(), 0);
  };
  let params = init;
  let [v, g] = vg(params);
  // f may return a JS number (number in, number out), or a scalar tensor
  const scalar = (t: Tensor | number) => (typeof t === "number" ? t : t.item());
  let value = scalar(v), evaluations = 1;
  let state = opt.init(params);
  let it = 0, converged = norm(g) <= gtol;
  while (!converged && it < maxIter) {
    it++;
    const [dir, next] = opt.update(g, state, params);
    state = next;
    let slope = dot(g, dir);
    let d = dir;
    if (!(slope < 0)) {
      // not a descent direction (numerical trouble): fall back to steepest descent and forget the memory
      d = map("minimize", (x) => ops.neg(x), g);
      slope = -dot(g, g);
      state = opt.init(params);
    }
    let t = it === 1 && state.count.item() <= 1 ? Math.min(1, 1 / Math.max(norm(g), 1e-300)) : 1;
    let accepted = false;
    for (let k = 0; k < 60; k++) {
      const trial = applyUpdates(params, map("minimize", (x) => ops.mul(x, t), d));
      const [v2, g2] = vg(trial);
      evaluations++;
      const value2 = scalar(v2);
      if (Number.isFinite(value2) && value2 <= value + 1e-4 * t * slope) {
        const change = Math.abs(value - value2);
        params = trial;
        g = g2;
        accepted = true;
        converged = norm(g) <= gtol || change <= ftol * Math.max(1, Math.abs(value));
        value = value2;
        break;
      }
      t /= 2;
    }
    if (!accepted) break; // no decrease along the direction: a minimum to working precision
  }
  return { params, value, gradNorm: norm(g), iterations: it, evaluations, converged: converged || norm(g) <= gtol };
}
