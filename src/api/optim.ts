/**
 * @file Optimizers as pure gradient transformations, in the style of optax: each is
 * `{ init(params) → state, update(grads, state, params?) → [updates, newState] }` over any structure
 * (pytree) of tensors, made of wengert ops only, so `jit(opt.update)` compiles and the state is
 * plain data. `applyUpdates(params, updates)` adds the updates. Learning rates are numbers or
 * schedules (functions of the step count, a scalar tensor).
 */
import { Tensor } from "../core/tensor.js";
import { flatten, unflatten, treeMismatch, type TreeDef } from "../core/pytree.js";
import { InputError, fmtValue } from "../core/errors.js";
import * as ops from "./ops.js";

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

/** Gradient descent: −lr·g; with momentum, a velocity v ← momentum·v + g (Nesterov: −lr·(g + momentum·v)). */
export function sgd(learningRate: Schedule, opts: { momentum?: number; nesterov?: boolean } = {}): GradientTransformation<{ count: Tensor; velocity: unknown }> {
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

/** Adam (Kingma & Ba): bias-corrected averages of g and g²; −lr·m̂/(√v̂ + eps). */
export function adam(learningRate: Schedule, opts: AdamOpts = {}): GradientTransformation<AdamState> {
  return adamCore("adam", learningRate, opts, 0);
}
/** AdamW: Adam with decoupled weight decay, −lr·(m̂/(√v̂ + eps) + weightDecay·p). */
export function adamw(learningRate: Schedule, opts: AdamOpts & { weightDecay?: number } = {}): GradientTransformation<AdamState> {
  const wd = opts.weightDecay ?? 1e-4;
  checkIn("adamw", "weightDecay", wd, 0, Infinity);
  return adamCore("adamw", learningRate, opts, wd);
}
/** RMSProp: a running average of g²; −lr·g/(√avg + eps). */
export function rmsprop(learningRate: Schedule, opts: { decay?: number; eps?: number } = {}): GradientTransformation<{ count: Tensor; nu: unknown }> {
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
/** Scales the gradients down when their global 2-norm (over every leaf) exceeds maxNorm. */
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
/** Transformations applied one after another (each sees the previous one's output). */
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
/** params + updates, leaf by leaf. */
export function applyUpdates<P>(params: P, updates: unknown): P {
  return map("applyUpdates", (p, u) => ops.add(p, u), params, updates) as P;
}
/** init·rate^(count/steps). */
export function exponentialDecay(init: number, rate: number, steps: number): (count: Tensor) => Tensor {
  return (count) => ops.mul(init, ops.pow(rate, ops.div(count, steps)));
}
/** Cosine decay from init to init·alpha over `steps` updates, then constant. */
export function cosineDecay(init: number, steps: number, alpha = 0): (count: Tensor) => Tensor {
  return (count) => {
    const t = ops.div(ops.minimum(count, steps), steps);
    return ops.mul(init, ops.add(ops.mul(ops.add(ops.cos(ops.mul(t, Math.PI)), 1), 0.5 * (1 - alpha)), alpha));
  };
}
