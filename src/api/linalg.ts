/**
 * @file `linalg`: linear algebra on the last two axes, batched over leading axes (NumPy's
 * jnp.linalg names). Solves and determinants come from an LU factorisation with partial pivoting,
 * eigh from Householder tridiagonalisation and implicit QL, qr from Householder reflections, svd
 * from one-sided Jacobi; their derivatives are the matrix rules of the literature (ops/linalg.ts),
 * not the factorisation's loops differentiated.
 */
import type { Tensor } from "../core/tensor.js";
import { ShapeError, checkOptions, fmtShape } from "../core/errors.js";
import { broadcastShapes } from "../core/shape.js";
import * as L from "../ops/linalg.js";
import * as S from "../ops/shape-ops.js";
import * as P from "../ops/elementwise.js";
import { type TensorLike, operands, floatOperand } from "./convert.js";
import { eye, tril, triu } from "./ops.js";
import * as O from "./ops.js";
import { customJvp } from "./custom.js";
import { scalarTensor } from "../tensor/array.js";
import { InputError, fmtValue } from "../core/errors.js";

/**
 * x with a·x = b. `a` is [..., n, n]; `b` is [..., n, k] or a vector [n] (then x is a vector).
 * Leading axes broadcast. A singular matrix is an InputError (no wrong numbers).
 * @example
 * linalg.solve(tensor([[2, 0], [0, 4]]), tensor([2, 2])) // → [1, 0.5]
 */
export function solve(a: TensorLike, b: TensorLike): Tensor {
  const [A, B] = operands("solve", [a, b], { float: true });
  if (A.ndim < 2) throw new ShapeError(`solve: a must be a matrix (or a batch of them); got shape ${fmtShape(A.shape)}`);
  const vector = B.ndim === 1;
  const Bm = vector ? S.reshape(B, [B.shape[0], 1]) : B;
  const lead = broadcastShapes("solve", A.shape.slice(0, -2), Bm.shape.slice(0, -2));
  const x = L.solve(S.broadcastTo(A, [...lead, ...A.shape.slice(-2)]), S.broadcastTo(Bm, [...lead, ...Bm.shape.slice(-2)]));
  return vector ? S.reshape(x, x.shape.slice(0, -1)) : x;
}
/**
 * The inverse of each matrix in the last two axes (prefer `solve` for a·x = b).
 * @example
 * linalg.inv(tensor([[2, 0], [0, 4]])) // → [[0.5, 0], [0, 0.25]]
 */
export function inv(a: TensorLike): Tensor {
  const A = floatOperand("inv", a);
  if (A.ndim < 2 || A.shape[A.ndim - 1] !== A.shape[A.ndim - 2]) throw new ShapeError(`inv: needs square matrices in the last two axes; got shape ${fmtShape(A.shape)}`);
  const n = A.shape[A.ndim - 1];
  return L.solve(A, S.broadcastTo(eye(n, n, { dtype: A.dtype }), A.shape));
}
/**
 * [sign, log|det|] of each matrix (sign 0 and −∞ when singular), as NumPy's slogdet; log|det| is differentiable.
 * @example
 * linalg.slogdet(tensor([[-2, 0], [0, 3]])) // ≈ [-1, 1.791759469228055]
 */
export function slogdet(a: TensorLike): [Tensor, Tensor] {
  const A = floatOperand("slogdet", a);
  return [L.detSign(A), L.logAbsDet(A)];
}
/**
 * The determinant of each matrix (LU with full pivoting). Its gradient is the cofactor matrix
 * (det·A⁻ᵀ for an invertible A), defined at singular matrices too: rank-one at rank n − 1, zero at
 * lower rank, as in JAX. Higher derivatives at a singular matrix larger than 2×2 are an InputError.
 * @example
 * linalg.det(tensor([[1, 2], [3, 4]])) // ≈ -2
 * grad((m: Tensor) => linalg.det(m))(tensor([[2, 1], [1, 3]])) // ≈ [[3, -1], [-1, 2]]
 * grad((m: Tensor) => linalg.det(m))(tensor([[1, 2], [2, 4]])) // ≈ [[4, -2], [-2, 1]]
 */
export function det(a: TensorLike): Tensor {
  return L.det(floatOperand("det", a));
}
/**
 * The lower-triangular L with L·Lᵀ = a, for symmetric positive-definite matrices (only the lower triangle is read); otherwise an InputError.
 * @example
 * linalg.cholesky(tensor([[4, 2], [2, 2]])) // → [[2, 0], [1, 1]]
 */
export function cholesky(a: TensorLike): Tensor {
  return L.cholesky(floatOperand("cholesky", a));
}
/**
 * x with t·x = b for a triangular t: only its lower (or upper) triangle is read, and only that
 * triangle gets a derivative. (Solved by the general LU solve of that triangle: O(n³), not O(n²).)
 * @example
 * linalg.solveTriangular(tensor([[2, 0], [1, 1]]), tensor([2, 3])) // → [1, 2]
 */
export function solveTriangular(a: TensorLike, b: TensorLike, options?: { lower?: boolean }): Tensor {
  const opts = checkOptions("solveTriangular", options, ["lower"]);
  const A = floatOperand("solveTriangular", a);
  if (A.ndim < 2) throw new ShapeError(`solveTriangular: a must be a matrix (or a batch of them); got shape ${fmtShape(A.shape)}`);
  return solve(opts.lower === false ? triu(A) : tril(A), b);
}

// ---- factorisations ---------------------------------------------------------------------------

function matrices(op: string, a: TensorLike): Tensor {
  const A = floatOperand(op, a);
  if (A.ndim < 2) throw new ShapeError(`${op}: needs a matrix (or a batch of them in the leading axes); got shape ${fmtShape(A.shape)}`);
  return A;
}

/**
 * [eigenvalues ascending, eigenvectors as columns] of symmetric matrices. By default the input is
 * symmetrised first, (a + aᵀ)/2, as JAX does (symmetrizeInput: false reads the lower triangle only).
 * Eigenvectors are unique up to sign; for repeated eigenvalues they have no derivative.
 * @example
 * const [lambda, v] = linalg.eigh(tensor([[2, 1], [1, 2]]));
 * lambda // ≈ [1, 3]
 * v.shape // → [2, 2]
 */
export function eigh(a: TensorLike, options?: { symmetrizeInput?: boolean }): [Tensor, Tensor] {
  const opts = checkOptions("eigh", options, ["symmetrizeInput"]);
  let A = matrices("eigh", a);
  if (A.shape[A.ndim - 1] !== A.shape[A.ndim - 2]) throw new ShapeError(`eigh: needs square matrices; got shape ${fmtShape(A.shape)}`);
  if (opts.symmetrizeInput !== false) A = P.mul(P.add(A, O.matrixTranspose(A)), scalarTensor(0.5, A.dtype));
  const [w, v] = L.eigh(A);
  return [w, v];
}
/**
 * The eigenvalues of symmetric matrices, ascending.
 * @example
 * linalg.eigvalsh(tensor([[2, 1], [1, 2]])) // ≈ [1, 3]
 */
export const eigvalsh = (a: TensorLike): Tensor => eigh(a)[0];

/**
 * QR factorisation, reduced: [Q, R] with Q [..., m, k] orthonormal columns and R [..., k, n] upper triangular, k = min(m, n); mode "r" returns R only.
 * @example
 * const [q, r] = linalg.qr(tensor([[3, 0], [4, 1]])) as Tensor[];
 * matmul(q, r) // ≈ [[3, 0], [4, 1]]
 */
export function qr(a: TensorLike, options?: { mode?: "reduced" | "r" }): [Tensor, Tensor] | Tensor {
  const opts = checkOptions("qr", options, ["mode"]);
  const mode = opts.mode ?? "reduced";
  if (mode !== "reduced" && mode !== "r") throw new InputError(`qr: mode must be "reduced" or "r" (the complete Q is not provided); got ${fmtValue(mode)}`);
  const [q, r] = L.qr(matrices("qr", a));
  return mode === "r" ? r : [q, r];
}

/**
 * The singular value decomposition a = U·diag(s)·Vh, reduced (U [..., m, k], s [..., k]
 * descending, Vh [..., k, n], k = min(m, n)). Unlike NumPy and JAX, `fullMatrices` defaults to
 * false, the only form provided (and the only one JAX differentiates). computeUV: false returns s.
 * @example
 * const [u, s, vt] = linalg.svd(tensor([[3, 0], [0, -2]])) as Tensor[];
 * s // → [3, 2]
 * matmul(mul(u, s), vt) // ≈ [[3, 0], [0, -2]]
 */
export function svd(a: TensorLike, options?: { fullMatrices?: boolean; computeUV?: boolean }): [Tensor, Tensor, Tensor] | Tensor {
  const opts = checkOptions("svd", options, ["fullMatrices", "computeUV"]);
  if (opts.fullMatrices === true) throw new InputError("svd: fullMatrices: true is not provided; use the reduced SVD (fullMatrices: false), whose U has min(m, n) columns");
  const [u, s, vt] = L.svd(matrices("svd", a));
  return opts.computeUV === false ? s : [u, s, vt];
}
/**
 * The singular values, descending.
 * @example
 * linalg.svdvals(tensor([[3, 0], [0, 4]])) // → [4, 3]
 */
export const svdvals = (a: TensorLike): Tensor => svd(a, { computeUV: false }) as Tensor;

/**
 * Vector and matrix norms, as NumPy's linalg.norm. Vectors (axis a number, or x 1-D): ord 2
 * (default), 1, Infinity, −Infinity, 0 (the count of non-zeros), any other p (Σ|x|ᵖ)^(1/p).
 * Matrices (axis a pair, or x 2-D with no axis): "fro" (default), "nuc" (the sum of singular
 * values), 1 / −1 (max / min column sum), Infinity / −Infinity (max / min row sum), 2 / −2 (largest
 * / smallest singular value). No axis and no ord: the 2-norm of all elements.
 * @example
 * linalg.norm(tensor([3, 4])) // → 5
 * linalg.norm(tensor([[1, 2], [3, 4]]), 1) // → 6
 */
export function norm(x: TensorLike, ord?: number | "fro" | "nuc", axis?: number | readonly [number, number], keepdims = false): Tensor {
  const t = floatOperand("linalg.norm", x);
  const wrap = (a: number) => {
    const b = a < 0 ? a + t.ndim : a;
    if (!Number.isInteger(a) || b < 0 || b >= t.ndim) throw new InputError(`linalg.norm: axis ${fmtValue(a)} is out of range for shape ${fmtShape(t.shape)}`);
    return b;
  };
  const matrix = Array.isArray(axis) ? axis.length === 2 : axis === undefined && t.ndim === 2 && ord !== undefined;
  if (axis === undefined && ord === undefined) return O.norm(t);
  if (!matrix) {
    const ax = axis === undefined ? (t.ndim === 1 ? 0 : null) : wrap(axis as number);
    if (ax === null) throw new InputError(`linalg.norm: a vector order on a ${t.ndim}-D tensor needs an axis`);
    const p = ord ?? 2;
    if (typeof p !== "number") throw new InputError(`linalg.norm: ord ${fmtValue(p)} is a matrix norm; pass two axes`);
    const abs = O.abs(t);
    if (p === Infinity) return O.max(abs, ax, keepdims);
    if (p === -Infinity) return O.min(abs, ax, keepdims);
    if (p === 0) return O.sum(O.cast(O.ne(t, 0), t.dtype), ax, keepdims);
    if (p === 1) return O.sum(abs, ax, keepdims);
    if (p === 2) return O.norm(t, 2, ax, keepdims);
    return O.pow(O.sum(O.pow(abs, p), ax, keepdims), 1 / p);
  }
  const [r0, c0] = axis === undefined ? [0, 1] : (axis as readonly number[]).map(wrap);
  if (r0 === c0) throw new InputError("linalg.norm: the two axes must differ");
  // move the two axes last (rows, columns), reduce, then put size-1 axes back for keepdims
  const rest = t.shape.map((_, i) => i).filter((i) => i !== r0 && i !== c0);
  const m = S.transpose(t, [...rest, r0, c0]);
  const o = ord ?? "fro";
  let out: Tensor;
  if (o === "fro") out = O.norm(O.reshape(m, [...m.shape.slice(0, -2), -1]), 2, -1);
  else if (o === "nuc") out = O.sum(svdvals(m), -1);
  else if (o === 1 || o === -1) out = (o === 1 ? O.max : O.min)(O.sum(O.abs(m), -2), -1);
  else if (o === Infinity || o === -Infinity) out = (o === Infinity ? O.max : O.min)(O.sum(O.abs(m), -1), -1);
  else if (o === 2 || o === -2) out = (o === 2 ? O.max : O.min)(svdvals(m), -1);
  else throw new InputError(`linalg.norm: matrix ord must be "fro", "nuc", 1, -1, 2, -2, Infinity or -Infinity; got ${fmtValue(o)}`);
  if (!keepdims) return out;
  const shape = [...t.shape];
  shape[r0] = 1;
  shape[c0] = 1;
  return O.reshape(out, shape);
}

/**
 * The Moore–Penrose pseudo-inverse, from the SVD: singular values at or below rcond·max(s) count as
 * zero (default rcond: 10·max(m, n)·ε of the dtype). Its derivative is the closed form of Golub &
 * Pereyra (1973), d(A⁺) = −A⁺dA A⁺ + A⁺A⁺ᵀ dAᵀ (I − AA⁺) + (I − A⁺A) dAᵀ A⁺ᵀA⁺, valid where the rank
 * does not change — not the SVD's derivative, which would fail at repeated singular values.
 * @example
 * linalg.pinv(tensor([[1, 0], [0, 0]])) // → [[1, 0], [0, 0]]
 */
export function pinv(a: TensorLike, options?: { rcond?: number }): Tensor {
  const opts = checkOptions("pinv", options, ["rcond"]);
  const A = matrices("pinv", a);
  return pinvRule(A, opts.rcond) as Tensor;
}
const pinvCache = new Map<number | undefined, (a: Tensor) => Tensor>();
function pinvRule(A: Tensor, rcond: number | undefined): Tensor {
  let f = pinvCache.get(rcond);
  if (!f) {
    const plain = (x: Tensor) => pinvValue(x, rcond);
    f = customJvp(plain, ([x], [dx]) => {
      const p = plain(x);
      const pt = O.matrixTranspose(p), dxt = O.matrixTranspose(dx);
      const m = x.shape[x.ndim - 2], n = x.shape[x.ndim - 1];
      const Im = eye(m, m, { dtype: x.dtype }), In = eye(n, n, { dtype: x.dtype });
      const t1 = O.neg(O.matmul(p, O.matmul(dx, p)));
      const t2 = O.matmul(O.matmul(p, pt), O.matmul(dxt, P.sub(Im, O.matmul(x, p))));
      const t3 = O.matmul(P.sub(In, O.matmul(p, x)), O.matmul(dxt, O.matmul(pt, p)));
      return [p, O.add(O.add(t1, t2), t3)];
    }, "pinv");
    pinvCache.set(rcond, f);
  }
  return f(A);
}
function pinvValue(A: Tensor, rcond: number | undefined): Tensor {
  const m = A.shape[A.ndim - 2], n = A.shape[A.ndim - 1];
  const eps = A.dtype === "float32" ? 2 ** -23 : 2 ** -52;
  const rc = rcond ?? 10 * Math.max(m, n) * eps;
  const [u, s, vt] = L.svd(A);
  const cutoff = P.mul(O.max(s, -1, true), scalarTensor(rc, A.dtype));
  const keep = P.compare(cutoff, s, "lt");
  const sInv = P.where(keep, P.div(scalarTensor(1, A.dtype), P.where(keep, s, scalarTensor(1, A.dtype))), scalarTensor(0, A.dtype));
  // A⁺ = V diag(1/s) Uᵀ
  return O.matmul(P.mul(O.matrixTranspose(vt), O.expandDims(sInv, -2)), O.matrixTranspose(u));
}

/**
 * The least-squares solution of a·x = b with the smallest norm, as NumPy's lstsq: [x, residuals
 * (the squared 2-norm of b − a·x per column when m > n and a has full rank, else empty), rank,
 * singular values]. Differentiable in a and b (through pinv).
 * @example
 * const [x, residuals, rank] = linalg.lstsq(tensor([[1, 0], [0, 1], [1, 1]]), tensor([1, 1, 1]));
 * x // ≈ [0.6666666666666666, 0.6666666666666666]
 * residuals // ≈ 0.3333333333333333
 * rank // → 2
 */
export function lstsq(a: TensorLike, b: TensorLike, options?: { rcond?: number }): [Tensor, Tensor, number, Tensor] {
  const opts = checkOptions("lstsq", options, ["rcond"]);
  const [A0, B0] = operands("lstsq", [a, b], { float: true });
  if (A0.ndim !== 2) throw new ShapeError(`lstsq: a must be a matrix; got shape ${fmtShape(A0.shape)}`);
  const vector = B0.ndim === 1;
  const B = vector ? S.reshape(B0, [B0.shape[0], 1]) : B0;
  if (B.ndim !== 2 || B.shape[0] !== A0.shape[0]) throw new ShapeError(`lstsq: b must have as many rows as a (${A0.shape[0]}); got shape ${fmtShape(B0.shape)}`);
  const x = O.matmul(pinv(A0, opts), B);
  const s = svdvals(A0);
  const m = A0.shape[0], n = A0.shape[1];
  const eps = A0.dtype === "float32" ? 2 ** -23 : 2 ** -52;
  const sv = s.isConcrete() ? (s.toArray() as number[]) : null;
  const rank = sv === null ? Math.min(m, n) : sv.filter((v) => v > (opts.rcond ?? 10 * Math.max(m, n) * eps) * sv[0]).length;
  const r = P.sub(B, O.matmul(A0, x));
  const residuals = m > n && rank === n ? O.sum(P.mul(r, r), 0) : O.zeros([0], { dtype: A0.dtype });
  return [vector ? S.reshape(x, [n]) : x, vector && residuals.size ? S.reshape(residuals, []) : residuals, rank, s];
}
