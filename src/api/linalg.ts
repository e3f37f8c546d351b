/**
 * @file `linalg`: linear algebra on the last two axes, batched over leading axes (NumPy's
 * jnp.linalg names). Solves and determinants come from an LU factorisation with partial pivoting;
 * their derivatives are the matrix rules of the literature (ops/linalg.ts), not the factorisation's
 * loops differentiated.
 */
import type { Tensor } from "../core/tensor.js";
import { ShapeError, fmtShape } from "../core/errors.js";
import { broadcastShapes } from "../core/shape.js";
import * as L from "../ops/linalg.js";
import * as S from "../ops/shape-ops.js";
import * as P from "../ops/elementwise.js";
import { type TensorLike, operands, floatOperand } from "./convert.js";
import { eye, tril, triu } from "./ops.js";

/**
 * x with a·x = b. `a` is [..., n, n]; `b` is [..., n, k] or a vector [n] (then x is a vector).
 * Leading axes broadcast. A singular matrix is an InputError (no wrong numbers).
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
/** The inverse of each matrix in the last two axes (prefer `solve` for a·x = b). */
export function inv(a: TensorLike): Tensor {
  const A = floatOperand("inv", a);
  if (A.ndim < 2 || A.shape[A.ndim - 1] !== A.shape[A.ndim - 2]) throw new ShapeError(`inv: needs square matrices in the last two axes; got shape ${fmtShape(A.shape)}`);
  const n = A.shape[A.ndim - 1];
  return L.solve(A, S.broadcastTo(eye(n, n, { dtype: A.dtype }), A.shape));
}
/** [sign, log|det|] of each matrix (sign 0 and −∞ when singular), as NumPy's slogdet; log|det| is differentiable. */
export function slogdet(a: TensorLike): [Tensor, Tensor] {
  const A = floatOperand("slogdet", a);
  return [L.detSign(A), L.logAbsDet(A)];
}
/** The determinant of each matrix: sign·exp(log|det|), so d det = det·tr(A⁻¹ dA). */
export function det(a: TensorLike): Tensor {
  const [s, l] = slogdet(a);
  return P.mul(s, P.exp(l));
}
/** The lower-triangular L with L·Lᵀ = a, for symmetric positive-definite matrices (only the lower triangle is read); otherwise an InputError. */
export function cholesky(a: TensorLike): Tensor {
  return L.cholesky(floatOperand("cholesky", a));
}
/**
 * x with t·x = b for a triangular t: only its lower (or upper) triangle is read, and only that
 * triangle gets a derivative. (Solved by the general LU solve of that triangle: O(n³), not O(n²).)
 */
export function solveTriangular(a: TensorLike, b: TensorLike, opts: { lower?: boolean } = {}): Tensor {
  const A = floatOperand("solveTriangular", a);
  if (A.ndim < 2) throw new ShapeError(`solveTriangular: a must be a matrix (or a batch of them); got shape ${fmtShape(A.shape)}`);
  return solve(opts.lower === false ? triu(A) : tril(A), b);
}
