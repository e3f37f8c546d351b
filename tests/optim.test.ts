/**
 * Optimizers (api/optim.ts): each update against its formula written out, on structures of
 * tensors, under jit, and minimizing a real function.
 */
import { describe, it, expect } from "vitest";
import * as w from "../src/index.js";
import { optim, tensor, Tensor, grad, jit } from "../src/index.js";
import { expectClose, toNums } from "./helpers.js";

const params = () => ({ w: tensor([1, -2]), b: tensor(0.5) });
const grads = { w: tensor([0.3, -0.1]), b: tensor(2) };

describe("optimizers", () => {
  it("sgd, with momentum and Nesterov, follows its formula over a structure", () => {
    const plain = optim.sgd(0.1);
    const [u] = plain.update(grads, plain.init(params())) as [{ w: Tensor; b: Tensor }, unknown];
    expectClose(u.w, [-0.03, 0.01]);
    expectClose(u.b, -0.2);
    for (const nesterov of [false, true]) {
      const opt = optim.sgd(0.1, { momentum: 0.9, nesterov });
      let s = opt.init(params());
      let v = [0, 0], last: { w: Tensor } | null = null;
      for (let k = 0; k < 3; k++) {
        const [u2, s2] = opt.update(grads, s);
        s = s2;
        v = v.map((vi, i) => 0.9 * vi + [0.3, -0.1][i]);
        last = u2 as { w: Tensor };
      }
      const want = nesterov ? v.map((vi, i) => -0.1 * ([0.3, -0.1][i] + 0.9 * vi)) : v.map((vi) => -0.1 * vi);
      expectClose(last!.w, want);
    }
  });
  it("adam and adamw: bias-corrected averages; the first step is −lr·sign(g)", () => {
    const opt = optim.adam(0.01);
    const [u1, s1] = opt.update(grads, opt.init(params()));
    expectClose((u1 as { w: Tensor }).w, [-0.01, 0.01], 1e-6);
    // second step with the same gradient: m̂ = g, v̂ = g² again
    const [u2] = opt.update(grads, s1);
    expectClose((u2 as { b: Tensor }).b, -0.01, 1e-6);
    const aw = optim.adamw(0.01, { weightDecay: 0.1 });
    const [u3] = aw.update(grads, aw.init(params()), params());
    expectClose((u3 as { w: Tensor }).w, [-0.01 * (1 + 0.1 * 1), -0.01 * (-1 + 0.1 * -2)], 1e-6);
    expect(() => aw.update(grads, aw.init(params()))).toThrow(/needs the parameters/);
  });
  it("rmsprop, clipByGlobalNorm, chain, applyUpdates and schedules", () => {
    const r = optim.rmsprop(0.1, { decay: 0.5 });
    const [u] = r.update(grads, r.init(params()));
    expectClose((u as { b: Tensor }).b, -0.1 * 2 / (Math.sqrt(0.5 * 4) + 1e-8));
    const clip = optim.clipByGlobalNorm(1);
    const [c] = clip.update(grads, clip.init(params()));
    const n = Math.sqrt(0.09 + 0.01 + 4);
    expectClose((c as { b: Tensor }).b, 2 / n);
    const both = optim.chain(optim.clipByGlobalNorm(1), optim.sgd(1));
    const [cu] = both.update(grads, both.init(params()));
    expectClose((cu as { w: Tensor }).w, [-0.3 / n, 0.1 / n]);
    const p2 = optim.applyUpdates(params(), cu);
    expectClose(p2.w, [1 - 0.3 / n, -2 + 0.1 / n]);
    expectClose(optim.exponentialDecay(1, 0.5, 10)(tensor(20)), 0.25);
    // optax's order (init, transition steps, rate) swapped into ours would decay by 10 per 0.5 steps (1e20 at step 10): refused
    expect(() => optim.exponentialDecay(1, 10, 0.5)).toThrow(/steps, the updates per factor of rate, must be a positive integer; got 0.5 \(optax's exponential_decay takes \(init, steps, rate\)\)/);
    expect(() => optim.exponentialDecay(1, -0.5, 10)).toThrow(/rate must be a positive number/);
    expect(() => optim.cosineDecay(1, 0)).toThrow(/cosineDecay: steps must be a positive integer/);
    expectClose(optim.cosineDecay(2, 10, 0.1)(tensor(5)), 2 * (0.5 * 0.9 + 0.1));
    expectClose(optim.cosineDecay(2, 10, 0.1)(tensor(50)), 0.2);
    const sched = optim.sgd(optim.exponentialDecay(1, 0.5, 1));
    let s = sched.init(params());
    const steps: number[] = [];
    for (let k = 0; k < 3; k++) {
      const [uu, s2] = sched.update(grads, s);
      s = s2;
      steps.push((uu as { b: Tensor }).b.item());
    }
    expect(steps).toEqual([-2, -1, -0.5]);
    expect(() => optim.adam(NaN)).toThrow(/learning rate must be a finite number/);
    expect(() => optim.applyUpdates(params(), { w: tensor([1, 2]) })).toThrow(/structures differ/);
  });
  it("minimizes Rosenbrock under jit (update and gradient compiled together)", () => {
    const f = (p: { x: Tensor }) => w.sum(w.add(w.mul(100, w.square(w.sub(w.slice(p.x, [1]), w.square(w.slice(p.x, [0, -1]))))), w.square(w.sub(1, w.slice(p.x, [0, -1])))));
    const opt = optim.adam(0.02);
    const step = jit((p: { x: Tensor }, s: unknown) => {
      const [u, s2] = opt.update(grad(f)(p), s as never);
      return [optim.applyUpdates(p, u), s2] as const;
    });
    let p = { x: tensor([-1.2, 1, -0.5]) }, s: unknown = opt.init(p);
    // the compiled step is the eager one
    const eager = opt.update(grad(f)(p), s as never);
    const [p1] = step(p, s) as unknown as [{ x: Tensor }, unknown];
    expectClose(p1.x, toNums(optim.applyUpdates(p, eager[0]).x), 1e-14);
    for (let k = 0; k < 5000; k++) [p, s] = step(p, s) as unknown as [{ x: Tensor }, unknown];
    expect(toNums(p.x).every((v) => Math.abs(v - 1) < 5e-3)).toBe(true);
    expect(f(p).item()).toBeLessThan(1e-5);
  });
});

describe("lbfgs and minimize", () => {
  const rosen = (x: w.Tensor) => {
    const a = w.slice(x, [0, -1]), b = w.slice(x, [1, null]);
    return w.sum(w.add(w.mul(100, w.square(w.sub(b, w.square(a)))), w.square(w.sub(1, a))));
  };
  it("minimize finds the extended Rosenbrock minimum (all ones) from the classic start", () => {
    const r = w.optim.minimize(rosen, w.tensor([-1.2, 1, -1.2, 1, 0.5, 0.3]));
    expect(r.converged).toBe(true);
    expect(r.value).toBeLessThan(1e-12);
    expectClose(r.params, [1, 1, 1, 1, 1, 1], 1e-6, 1e-6);
    expect(r.iterations).toBeLessThan(100);
  });

  it("on a quadratic, L-BFGS matches the exact solution of the linear system (structures of tensors as parameters)", () => {
    // f = ½ xᵀAx − bᵀx over {u, v}: the minimiser solves A x = b
    const A = w.tensor([[4, 1, 0, 0], [1, 3, 1, 0], [0, 1, 2, 0.5], [0, 0, 0.5, 1]]), b = w.tensor([1, 2, 3, 4]);
    const f = (p: { u: w.Tensor; v: w.Tensor }) => {
      const x = w.concat([p.u, p.v]);
      return w.sub(w.mul(0.5, w.dot(x, w.matmul(A, x))), w.dot(b, x));
    };
    const r = w.optim.minimize(f, { u: w.zeros([2]), v: w.zeros([2]) }, { gtol: 1e-10 });
    expectClose(w.concat([r.params.u, r.params.v]), w.linalg.solve(A, b), 1e-8, 1e-9);
    expect(r.iterations).toBeLessThanOrEqual(12);
  });

  it("update is jittable (same steps as eager) and its direction is a descent direction", () => {
    const opt = w.optim.lbfgs(0.5, { memorySize: 3 });
    const g = w.grad(rosen);
    let pe = w.tensor([-1, 2, 0.5]), pj = pe;
    let se = opt.init(pe), sj = se;
    const jupdate = w.jit((gr: w.Tensor, s: typeof se, p: w.Tensor) => opt.update(gr, s, p));
    for (let i = 0; i < 6; i++) {
      const ge = g(pe);
      const [ue, s2] = opt.update(ge, se, pe);
      expect(w.sum(w.mul(ue as w.Tensor, ge)).item()).toBeLessThan(0);
      const [uj, s3] = jupdate(g(pj), sj, pj);
      expectClose(uj as w.Tensor, ue as w.Tensor, 1e-12, 1e-14);
      pe = w.optim.applyUpdates(pe, ue);
      pj = w.optim.applyUpdates(pj, uj);
      se = s2;
      sj = s3 as typeof se;
    }
  });

  it("refuses bad settings and a missing params argument", () => {
    expect(() => w.optim.lbfgs(1, { memorySize: 0 })).toThrow(/memorySize/);
    const opt = w.optim.lbfgs();
    expect(() => opt.update(w.ones([2]), opt.init(w.ones([2])))).toThrow(/needs the parameters/);
    expect(() => w.optim.minimize(3 as unknown as (x: w.Tensor) => w.Tensor, w.ones([2]))).toThrow(/f must be a function/);
  });
});
