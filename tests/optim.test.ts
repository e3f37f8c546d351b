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
