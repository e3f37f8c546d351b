/**
 * linalg's factorisations (eigh, qr, svd) and what is built on them (norm, pinv, lstsq): the
 * defining identities, batches, vmap and jit, float32; derivatives against finite differences at
 * orders 1 and 2 and against closed forms; ill-conditioned and degenerate cases with the
 * documented conventions.
 */
import { describe, it, expect } from "vitest";
import * as w from "../src/index.js";
import { type Tensor, checkGrads } from "../src/index.js";
import { expectClose, toNums } from "./helpers.js";

const L = w.linalg;
const normal = (seed: number, shape: number[]) => w.random.normal(w.random.key(seed), shape);
const maxAbs = (t: Tensor) => w.max(w.abs(t)).item();
const T = (x: Tensor) => w.swapaxes(x, -1, -2);
const symmetric = (seed: number, n: number) => {
  const a = normal(seed, [n, n]);
  return w.add(a, T(a));
};

describe("eigh", () => {
  it("A·V = V·diag(λ), VᵀV = I, λ ascending; batched over leading axes and under vmap and jit", () => {
    const a = symmetric(1, 6);
    const [lam, v] = L.eigh(a);
    expect(maxAbs(w.sub(w.matmul(a, v), w.mul(v, lam)))).toBeLessThan(1e-13);
    expect(maxAbs(w.sub(w.matmul(T(v), v), w.eye(6)))).toBeLessThan(1e-14);
    const l = toNums(lam);
    l.slice(1).forEach((x, i) => expect(x).toBeGreaterThanOrEqual(l[i]));
    const batch = w.stack([a, symmetric(2, 6), w.eye(6)]);
    const [lb] = L.eigh(batch);
    expectClose(w.take(lb, w.tensor(0, { dtype: "int32" }), 0), lam, 1e-13);
    expectClose(w.vmap((m: Tensor) => L.eigh(m)[0])(batch), lb, 1e-13);
    expectClose(w.jit((m: Tensor) => L.eigh(m)[0])(a), lam, 0);
    expectClose(L.eigvalsh(w.tensor([[2, 1], [1, 2]])), [1, 3], 1e-15);
  });
  it("dλᵢ = vᵢᵀ dA vᵢ (closed form), and order-2 derivatives of sign-free functions of V", () => {
    const a = symmetric(3, 4);
    const [, v] = L.eigh(a);
    const g = w.grad((m: Tensor) => w.take(L.eigh(m)[0], w.tensor(2, { dtype: "int32" })))(a);
    const v2 = w.take(v, w.tensor(2, { dtype: "int32" }), 1);
    expectClose(g, w.outer(v2, v2), 1e-12);
    // projectors vᵢvᵢᵀ do not depend on the eigenvectors' signs
    checkGrads((m: Tensor) => {
      const [, vv] = L.eigh(m);
      const col = w.take(vv, w.tensor(1, { dtype: "int32" }), 1);
      return w.sum(w.mul(w.outer(col, col), w.tensor([[1, 2, 3, 4], [0, 1, 0, 1], [2, 0, 1, 0], [1, 1, 1, 1]])));
    }, [a], { order: 2, modes: ["fwd", "rev"] });
  });
  it("repeated eigenvalues: the eigenvalues keep their derivative (Σλ = tr A), the eigenvectors have none", () => {
    const g = w.grad((m: Tensor) => w.sum(L.eigh(m)[0]))(w.eye(3));
    expectClose(g, w.eye(3), 1e-14);
    const gv = w.grad((m: Tensor) => w.sum(L.eigh(m)[1]))(w.eye(3));
    expect(toNums(gv).some((x) => !Number.isFinite(x))).toBe(true); // documented: F = 1/(λⱼ − λᵢ) is infinite
  });
});

describe("qr", () => {
  it("Q·R = A, QᵀQ = I, R upper triangular, for tall, square and wide matrices; mode r", () => {
    for (const shape of [[5, 3], [4, 4], [2, 5]]) {
      const a = normal(4, shape);
      const [q, r] = L.qr(a) as Tensor[];
      const k = Math.min(shape[0], shape[1]);
      expect(q.shape).toEqual([shape[0], k]);
      expect(r.shape).toEqual([k, shape[1]]);
      expect(maxAbs(w.sub(w.matmul(q, r), a))).toBeLessThan(1e-14);
      expect(maxAbs(w.sub(w.matmul(T(q), q), w.eye(k)))).toBeLessThan(1e-14);
      expect(maxAbs(w.tril(r, -1))).toBe(0);
      expectClose(L.qr(a, { mode: "r" }) as Tensor, r, 0);
    }
  });
  it("derivatives (tall and square) at orders 1 and 2; a wide matrix's derivative is a clear error", () => {
    const f = (m: Tensor) => {
      const [q, r] = L.qr(m) as Tensor[];
      return w.add(w.sum(w.sin(q)), w.sum(w.mul(r, r)));
    };
    checkGrads(f, [normal(5, [5, 3])], { order: 2, modes: ["fwd", "rev"] });
    checkGrads(f, [normal(6, [3, 3])], { order: 2, modes: ["fwd", "rev"] });
    expect(() => w.grad(f)(normal(7, [2, 4]))).toThrow(/qr: the derivative of the QR factorisation of a wide matrix/);
  });
});

describe("svd", () => {
  it("U·diag(s)·Vᵀ = A, orthonormal U and V, s descending; batches, vmap, float32", () => {
    for (const shape of [[6, 3], [3, 6], [4, 4]]) {
      const a = normal(8, shape);
      const [u, s, vt] = L.svd(a) as Tensor[];
      expect(maxAbs(w.sub(w.matmul(w.mul(u, w.expandDims(s, 0)), vt), a))).toBeLessThan(1e-14);
      const k = Math.min(shape[0], shape[1]);
      expect(maxAbs(w.sub(w.matmul(T(u), u), w.eye(k)))).toBeLessThan(1e-14);
      expect(maxAbs(w.sub(w.matmul(vt, T(vt)), w.eye(k)))).toBeLessThan(1e-14);
      const sv = toNums(s);
      sv.slice(1).forEach((x, i) => expect(x).toBeLessThanOrEqual(sv[i]));
      // the singular values are the square roots of AᵀA's eigenvalues
      expectClose(w.sqrt(w.flip(L.eigvalsh(w.matmul(shape[0] >= shape[1] ? T(a) : a, shape[0] >= shape[1] ? a : T(a))), 0)), s, 1e-12);
    }
    const batch = normal(9, [3, 4, 2]);
    expectClose(w.vmap((m: Tensor) => L.svdvals(m))(batch), L.svdvals(batch), 1e-14);
    const s32 = L.svdvals(w.cast(normal(10, [3, 3]), "float32"));
    expect(s32.dtype).toBe("float32");
    expectClose(s32, L.svdvals(w.cast(w.cast(normal(10, [3, 3]), "float32"), "float64")), 1e-6);
  });
  it("rank-deficient input: zero singular values, U still orthonormal", () => {
    const a = w.tensor([[1, 2, 3], [2, 4, 6], [1, 2, 3], [0, 0, 0]]);
    const [u, s] = L.svd(a) as Tensor[];
    expectClose(s, [Math.sqrt(84), 0, 0], 1e-14, 1e-14);
    expect(maxAbs(w.sub(w.matmul(T(u), u), w.eye(3)))).toBeLessThan(1e-14);
  });
  it("ds = diag(Uᵀ dA V) (closed form: ∂s₁/∂A = u₁v₁ᵀ), and order-2 derivatives of U, s, V for tall and wide matrices", () => {
    const a = normal(11, [4, 3]);
    const [u, , vt] = L.svd(a) as Tensor[];
    const g = w.grad((m: Tensor) => w.take(L.svdvals(m), w.tensor(0, { dtype: "int32" })))(a);
    expectClose(g, w.outer(w.take(u, w.tensor(0, { dtype: "int32" }), 1), w.take(vt, w.tensor(0, { dtype: "int32" }), 0)), 1e-12);
    const f = (m: Tensor) => {
      const [uu, s, v] = L.svd(m) as Tensor[];
      // squares of U and V entries do not depend on the singular vectors' signs
      return w.add(w.add(w.sum(w.mul(w.square(uu), w.arange(uu.shape[1]))), w.sum(w.exp(s))), w.sum(w.mul(w.square(v), 0.5)));
    };
    checkGrads(f, [a], { order: 2, modes: ["fwd", "rev"] });
    checkGrads(f, [T(a)], { order: 2, modes: ["fwd", "rev"] });
  });
  it("fullMatrices: true is refused with what to use instead", () => {
    expect(() => L.svd(normal(1, [3, 2]), { fullMatrices: true })).toThrow(/fullMatrices: true is not provided/);
  });
});

describe("norm, pinv, lstsq", () => {
  const a = normal(12, [4, 3]);
  it("vector and matrix norms follow their definitions", () => {
    const x = w.tensor([3, -4, 0, 1]);
    expectClose(L.norm(x), Math.sqrt(26), 1e-15);
    expectClose(L.norm(x, 1), 8);
    expectClose(L.norm(x, Infinity), 4);
    expectClose(L.norm(x, -Infinity), 0);
    expectClose(L.norm(x, 0), 3);
    expectClose(L.norm(x, 3), Math.cbrt(27 + 64 + 1), 1e-15);
    const av = toNums(a), col = (j: number) => [0, 1, 2, 3].map((i) => av[3 * i + j]), row = (i: number) => av.slice(3 * i, 3 * i + 3);
    const s = toNums(L.svdvals(a));
    expectClose(L.norm(a, "fro"), Math.hypot(...av), 1e-14);
    expectClose(L.norm(a, "nuc"), s[0] + s[1] + s[2], 1e-14);
    expectClose(L.norm(a, 2), s[0], 1e-14);
    expectClose(L.norm(a, -2), s[2], 1e-14);
    expectClose(L.norm(a, 1), Math.max(...[0, 1, 2].map((j) => col(j).reduce((t, v) => t + Math.abs(v), 0))), 1e-14);
    expectClose(L.norm(a, -Infinity), Math.min(...[0, 1, 2, 3].map((i) => row(i).reduce((t, v) => t + Math.abs(v), 0))), 1e-14);
    expect(L.norm(w.stack([a, a]), "fro", [1, 2], true).shape).toEqual([2, 1, 1]);
    expectClose(L.norm(a, 2, 1), [0, 1, 2, 3].map((i) => Math.hypot(...row(i))), 1e-14);
    // closed forms: ∂‖A‖_nuc = U Vᵀ, ∂‖A‖₂ = u₁v₁ᵀ
    const [u, , vt] = L.svd(a) as Tensor[];
    expectClose(w.grad((m: Tensor) => L.norm(m, "nuc"))(a), w.matmul(u, vt), 1e-12);
    expect(() => L.norm(a, 3 as 2, [0, 1])).toThrow(/matrix ord must be/);
  });
  it("pinv: the Penrose conditions (also rank-deficient); its derivative (Golub–Pereyra) against finite differences, also at repeated singular values", () => {
    for (const m of [a, w.tensor([[1, 2], [2, 4], [0, 0]])]) {
      const p = L.pinv(m);
      expect(maxAbs(w.sub(w.matmul(w.matmul(m, p), m), m))).toBeLessThan(1e-13);
      expect(maxAbs(w.sub(w.matmul(w.matmul(p, m), p), p))).toBeLessThan(1e-13);
      const mp = w.matmul(m, p);
      expect(maxAbs(w.sub(mp, T(mp)))).toBeLessThan(1e-13);
    }
    checkGrads((m: Tensor) => w.sum(w.sin(L.pinv(m))), [a], { order: 2, modes: ["fwd", "rev"] });
    // an orthogonal matrix has all singular values equal: the SVD route would divide by zero, the closed form does not
    const q = (L.qr(normal(13, [3, 3])) as Tensor[])[0];
    const g = w.grad((m: Tensor) => w.sum(w.sin(L.pinv(m))))(q);
    expect(toNums(g).every(Number.isFinite)).toBe(true);
    checkGrads((m: Tensor) => w.sum(w.sin(L.pinv(m))), [q], { order: 1, modes: ["fwd", "rev"] });
  });
  it("lstsq: the normal equations' solution, residuals, rank, and the minimum-norm solution when rank-deficient", () => {
    const b = normal(14, [4]);
    const [x, res, rank, s] = L.lstsq(a, b);
    expectClose(x, L.solve(w.matmul(T(a), a), w.matmul(T(a), b)), 1e-12);
    const r = w.sub(b, w.matmul(a, x));
    expectClose(res, w.sum(w.mul(r, r)), 1e-12);
    expect(rank).toBe(3);
    expect(s.shape).toEqual([3]);
    // rank 1: the minimum-norm solution is pinv·b, orthogonal to the null space
    const d = w.tensor([[1, 1], [1, 1], [1, 1]]);
    const [xd, resd, rankd] = L.lstsq(d, w.tensor([1, 2, 3]));
    expectClose(xd, [1, 1], 1e-14);
    expect(rankd).toBe(1);
    expect(resd.shape).toEqual([0]);
    // differentiable in a and b
    checkGrads((m: Tensor, y: Tensor) => w.sum(w.square(L.lstsq(m, y)[0])), [a, b], { order: 1, modes: ["fwd", "rev"] });
  });
});

describe("ill-conditioned matrices", () => {
  it("solve's gradient on a Hilbert matrix (condition ~10⁷) matches the closed form −A⁻ᵀ1·xᵀ to the accuracy the conditioning allows", () => {
    const n = 6;
    const h = w.tensor(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => 1 / (i + j + 1))));
    const b = w.ones([n]);
    const x = L.solve(h, b);
    const g = w.grad((m: Tensor) => w.sum(L.solve(m, b)))(h);
    const closed = w.neg(w.outer(L.solve(T(h), w.ones([n])), x));
    const rel = maxAbs(w.sub(g, closed)) / maxAbs(closed);
    expect(rel).toBeLessThan(1e-7);
    // slogdet's derivative is A⁻ᵀ, here too
    expectClose(w.grad((m: Tensor) => L.slogdet(m)[1])(h), T(L.inv(h)), 1e-6, 1e-3);
  });
  it("eigh separates close eigenvalues (gap 1e-8) and keeps the eigenvalue derivative exact", () => {
    const d = w.tensor([[1, 0, 0], [0, 1 + 1e-8, 0], [0, 0, 3]]);
    const q = (L.qr(normal(20, [3, 3])) as Tensor[])[0];
    const a = w.matmul(q, w.matmul(d, T(q)));
    const lam = toNums(L.eigvalsh(a));
    expect(Math.abs(lam[1] - lam[0] - 1e-8)).toBeLessThan(1e-13);
    // ∂λ₃/∂A = v₃v₃ᵀ, the third column of q (up to sign, which the outer product removes)
    const v3 = w.take(q, w.tensor(2, { dtype: "int32" }), 1);
    expectClose(w.grad((m: Tensor) => w.take(L.eigh(m)[0], w.tensor(2, { dtype: "int32" })))(a), w.outer(v3, v3), 1e-12);
  });
});
