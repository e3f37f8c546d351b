/**
 * @file Matrix product, linear solve and log-determinant. The product is a primitive rather than
 * broadcast-multiply-sum, which would materialise an M×K×N array; its adjoints are matrix products
 * again (X̄ = Z̄ Wᵀ, W̄ = Xᵀ Z̄ for Z = X W). The solve and the log-determinant have the matrix
 * derivative rules of the literature (Giles 2008), written with primitives, so every order works:
 * d(A⁻¹B) = A⁻¹(dB − dA·X), its transpose in B a solve with Aᵀ, and d log|det A| = tr(A⁻¹ dA).
 */
import { defineOp, bind, bind1 } from "./define.js";
import type { Tensor } from "../core/tensor.js";
import { LinearIn, type Primitive } from "../core/primitive.js";
import { ShapeError, DTypeError, fmtShape } from "../core/errors.js";
import type { Shape } from "../core/shape.js";
import { matmulArray } from "../tensor/kernels.js";
import { broadcastTo, gather, reshape, transpose } from "./shape-ops.js";
import { add, div, mul, neg, sub } from "./elementwise.js";
import { reduceSum } from "./reduce.js";
import { InputError } from "../core/errors.js";
import { allocate, isFloat } from "../core/dtype.js";
import { ArrayTensor, scalarTensor } from "../tensor/array.js";
import { luDetCofactor, luSlogdet, luSolve } from "../tensor/lu.js";
import { householderQR, jacobiSVD, symmetricEigen } from "../tensor/decomp.js";
import type { Aval } from "../core/tensor.js";

/** Operands used transposed (their last two axes swapped), as in BLAS: the adjoints need no transpose copies. */
export interface MatmulParams {
  ta?: boolean;
  tb?: boolean;
}

/** [m, k, n] of op(a)·op(b) from the stored shapes. */
function dims(a: Shape, b: Shape, { ta, tb }: MatmulParams): [number, number, number, number] {
  const r = a.length;
  return [ta ? a[r - 1] : a[r - 2], ta ? a[r - 2] : a[r - 1], tb ? b[r - 1] : b[r - 2], tb ? b[r - 2] : b[r - 1]];
}

export const matmulP = defineOp<MatmulParams>({
  name: "matmul",
  freshOutput: true, // matmulArray allocates its result
  writesInto: true, // or writes it where it is told
  impl: ([a, b], p, into) => {
    const [m, , , n] = dims(a.shape, b.shape, p);
    return matmulArray(a, b, [...a.shape.slice(0, -2), m, n], a.dtype, !!p.ta, !!p.tb, into);
  },
  shape([a, b], p) {
    const r = a.shape.length;
    const [m, ka, kb, n] = dims(a.shape, b.shape, p);
    const ok = r >= 2 && b.shape.length === r && ka === kb && a.shape.slice(0, r - 2).every((d, i) => d === b.shape[i]);
    if (!ok) {
      const t = (x: boolean | undefined) => (x ? " (transposed)" : "");
      throw new ShapeError(
        `matmul: shapes ${fmtShape(a.shape)}${t(p.ta)} and ${fmtShape(b.shape)}${t(p.tb)} do not match: the contracted size of the first (${ka}) ` +
          `must equal that of the second (${kb}), and batch axes must agree`,
      );
    }
    if (a.dtype !== b.dtype) throw new DTypeError(`matmul: dtypes ${a.dtype} and ${b.dtype} differ; cast one`);
    return { shape: [...a.shape.slice(0, -2), m, n], dtype: a.dtype };
  },
  // d(op(X) op(W)) = op(dX) op(W) + op(X) op(dW)
  jvp: ([x, w], _out, p) => [(dx) => matmul(dx, w, p), (dw) => matmul(x, dw, p)],
  // For Z = XW: X̄ = Z̄ Wᵀ, W̄ = Xᵀ Z̄; with stored transposes the same products, read the other way.
  transpose: (ct, [x, w], { ta = false, tb = false }) => [
    x instanceof LinearIn ? (ta ? matmul(w as Tensor, ct, { ta: tb, tb: true }) : matmul(ct, w as Tensor, { tb: !tb })) : null,
    w instanceof LinearIn ? (tb ? matmul(ct, x as Tensor, { ta: true, tb: ta }) : matmul(x as Tensor, ct, { ta: !ta })) : null,
  ],
  showParams: ({ ta, tb }) => [ta ? "ta" : "", tb ? "tb" : ""].filter(Boolean).join(" "),
  batch: ([a, b], [ba, bb], p) => {
    if (ba && bb) return matmul(a, b, p); // the batch axis is one more leading axis
    const n = ba ? a.shape.length - 1 : a.shape.length;
    if (n === 2 && ba && !p.ta) {
      // [B, m, k] @ op(b): one product with the batch folded into the rows
      const [bs, m, k] = a.shape;
      const z = matmul(reshape(a, [bs * m, k]), b, p);
      return reshape(z, [bs, m, z.shape[1]]);
    }
    if (n === 2 && bb && !p.tb) {
      // op(a) @ [B, k, p]: the batch folded into the columns, [k, B·p]
      const [bs, k, q] = b.shape;
      const cols = reshape(transpose(b, [1, 0, 2]), [k, bs * q]);
      const z = matmul(a, cols, p);
      return transpose(reshape(z, [z.shape[0], bs, q]), [1, 0, 2]);
    }
    const [x, y] = ba ? [a, broadcastTo(reshape(b, [1, ...b.shape]), [a.shape[0], ...b.shape])] : [broadcastTo(reshape(a, [1, ...a.shape]), [b.shape[0], ...a.shape]), b];
    return matmul(x, y, p);
  },
});

/** Only flags that are set are stored, so equal products have equal params (CSE, printing). */
export const matmul = (a: Tensor, b: Tensor, p: MatmulParams = {}): Tensor => bind1(matmulP, [a, b], { ...(p.ta && { ta: true }), ...(p.tb && { tb: true }) });

// ---- linear solve and log-determinant ---------------------------------------------------------

/** op(A)⁻¹ B with op the transpose when `ta`. */
export interface SolveParams {
  ta?: boolean;
}

/** How many matrices a batch of shape [..., n, n] holds (1 for an empty 0×0 matrix, which has a determinant). */
const matrices = (shape: Shape): number => shape.slice(0, -2).reduce((p, d) => p * d, 1);

function squareBatch(op: string, a: Aval): number {
  const r = a.shape.length;
  if (r < 2 || a.shape[r - 1] !== a.shape[r - 2]) throw new ShapeError(`${op}: needs square matrices in the last two axes; got shape ${fmtShape(a.shape)}`);
  if (!isFloat(a.dtype)) throw new DTypeError(`${op}: needs a float matrix; got ${a.dtype}`);
  return a.shape[r - 1];
}

export const solveP = defineOp<SolveParams>({
  name: "solve",
  impl: ([a, b], p) => {
    const n = a.shape[a.shape.length - 1], k = b.shape[b.shape.length - 1];
    const batch = matrices(a.shape);
    const out = allocate(a.dtype, b.size) as Float64Array | Float32Array;
    luSolve(a.data, b.data, out, batch, n, k, !!p.ta, (i, col) => {
      throw new InputError(`solve: matrix ${batch > 1 ? `${i} of the batch ` : ""}is singular (no nonzero pivot in column ${col}); a least-squares solution needs lstsq or pinv`);
    });
    return new ArrayTensor(out, b.shape, a.dtype);
  },
  shape([a, b]) {
    const n = squareBatch("solve", a);
    const r = a.shape.length;
    if (b.shape.length !== r || b.shape[r - 2] !== n || !a.shape.slice(0, r - 2).every((d, i) => d === b.shape[i])) {
      throw new ShapeError(`solve: a matrix of shape ${fmtShape(a.shape)} and right-hand sides of shape ${fmtShape(b.shape)} do not match (want [..., ${n}, k] with the same leading axes)`);
    }
    if (a.dtype !== b.dtype) throw new DTypeError(`solve: dtypes ${a.dtype} and ${b.dtype} differ; cast one`);
    return { shape: [...b.shape], dtype: a.dtype };
  },
  // X = op(A)⁻¹B: dX = op(A)⁻¹(dB − op(dA) X)
  jvp: ([a], x, p) => [(da) => neg(solve(a, matmul(da, x, { ta: p.ta }), p)), (db) => solve(a, db, p)],
  // linear in B only (A is never a tangent): B̄ = op(A)⁻ᵀ X̄
  transpose: (ct, [a, b], p) => {
    if (a instanceof LinearIn) throw new Error("wengert internal: solve is not linear in its matrix");
    return [null, b instanceof LinearIn ? solve(a as Tensor, ct, { ta: !p.ta }) : null];
  },
  showParams: ({ ta }) => (ta ? "ta" : ""),
  batch: ([a, b], [ba, bb], p) => {
    if (ba && bb) return solve(a, b, p);
    const lift = (x: Tensor, size: number) => broadcastTo(reshape(x, [1, ...x.shape]), [size, ...x.shape]);
    return ba ? solve(a, lift(b, a.shape[0]), p) : solve(lift(a, b.shape[0]), b, p);
  },
});
export const solve = (a: Tensor, b: Tensor, p: SolveParams = {}): Tensor => bind1(solveP, [a, b], { ...(p.ta && { ta: true }) });

/** log|det A| over the last two axes (−∞ for a singular matrix). */
export const logAbsDetP = defineOp<Record<string, never>>({
  name: "logAbsDet",
  impl: ([a]) => {
    const n = a.shape[a.shape.length - 1], batch = matrices(a.shape);
    const sign = new Float64Array(batch), out = allocate(a.dtype, batch) as Float64Array | Float32Array;
    luSlogdet(a.data, batch, n, sign, out);
    return new ArrayTensor(out, a.shape.slice(0, -2), a.dtype);
  },
  shape([a]) {
    squareBatch("logAbsDet", a);
    return { shape: a.shape.slice(0, -2), dtype: a.dtype };
  },
  // d log|det A| = tr(A⁻¹ dA) = Σᵢⱼ (A⁻ᵀ)ᵢⱼ dAᵢⱼ
  jvp: ([a]) => {
    const r = a.shape.length, invT = inverseTransposed(a);
    return [(da) => reduceSum(mul(invT, da), [r - 2, r - 1])];
  },
  transpose: null,
  batch: ([a]) => logAbsDet(a),
});
export const logAbsDet = (a: Tensor): Tensor => bind1(logAbsDetP, [a], {});

/** sign(det A) over the last two axes: ±1, or 0 for a singular matrix; piecewise constant (zero derivative). */
export const detSignP = defineOp<Record<string, never>>({
  name: "detSign",
  impl: ([a]) => {
    const n = a.shape[a.shape.length - 1], batch = matrices(a.shape);
    const sign = allocate(a.dtype, batch) as Float64Array | Float32Array, logabs = new Float64Array(batch);
    luSlogdet(a.data, batch, n, sign, logabs);
    return new ArrayTensor(sign, a.shape.slice(0, -2), a.dtype);
  },
  shape([a]) {
    squareBatch("detSign", a);
    return { shape: a.shape.slice(0, -2), dtype: a.dtype };
  },
  jvp: () => [null],
  transpose: null,
  batch: ([a]) => detSign(a),
});
export const detSign = (a: Tensor): Tensor => bind1(detSignP, [a], {});

/**
 * det A over the last two axes, the product of the pivots of an LU factorisation with full
 * pivoting. d det = Σᵢⱼ cof(A)ᵢⱼ dAᵢⱼ with the cofactor matrix below, which is defined at singular
 * matrices too (det·A⁻ᵀ would be 0·∞ there): the gradient of det at a matrix of rank n − 1 is its
 * rank-one cofactor matrix, and 0 at lower rank (as JAX's cofactor solve).
 */
export const detP = defineOp<Record<string, never>>({
  name: "det",
  impl: ([a]) => {
    const n = a.shape[a.shape.length - 1], batch = matrices(a.shape);
    const out = allocate(a.dtype, batch) as Float64Array | Float32Array;
    luDetCofactor(a.data, batch, n, out, null);
    return new ArrayTensor(out, a.shape.slice(0, -2), a.dtype);
  },
  shape([a]) {
    squareBatch("det", a);
    return { shape: a.shape.slice(0, -2), dtype: a.dtype };
  },
  jvp: ([a]) => {
    const r = a.shape.length;
    const c = cofactor(a);
    return [(da) => reduceSum(mul(c, da), [r - 2, r - 1])];
  },
  transpose: null,
  batch: ([a]) => det(a),
});
export const det = (a: Tensor): Tensor => bind1(detP, [a], {});

/**
 * The cofactor matrix cof A = adj(A)ᵀ over the last two axes (det A · A⁻ᵀ when A is invertible),
 * at every rank (tensor/lu.ts luDetCofactor). Its derivative: for n = 2, cof is linear
 * ([[d, −c], [−b, a]]), so d cof = cof(dA) at every matrix; for n ≥ 3, d cof = tr(A⁻¹dA)·cof −
 * cof·dAᵀ·A⁻ᵀ, a solve with A: second derivatives of det at a singular matrix of size ≥ 3 are an
 * InputError from that solve, not a number.
 */
export const cofactorP = defineOp<Record<string, never>>({
  name: "cofactor",
  impl: ([a]) => {
    const n = a.shape[a.shape.length - 1], batch = matrices(a.shape);
    const out = allocate(a.dtype, a.size) as Float64Array | Float32Array;
    luDetCofactor(a.data, batch, n, null, out);
    return new ArrayTensor(out, [...a.shape], a.dtype);
  },
  shape([a]) {
    squareBatch("cofactor", a);
    return { shape: [...a.shape], dtype: a.dtype };
  },
  jvp: ([a], c) => {
    const r = a.shape.length, n = a.shape[r - 1];
    if (n <= 1) return [null]; // cof of a 1×1 matrix is [1]
    if (n === 2) return [(da) => cofactor2(da)];
    const invT = inverseTransposed(a);
    return [(da) => sub(mul(reshape(reduceSum(mul(invT, da), [r - 2, r - 1]), [...a.shape.slice(0, -2), 1, 1]), c), matmul(matmul(c, da, { tb: true }), invT))];
  },
  transpose: null,
  batch: ([a]) => cofactor(a),
});
export const cofactor = (a: Tensor): Tensor => bind1(cofactorP, [a], {});

/** cof of 2×2 matrices, [[d, −c], [−b, a]]: rows and columns reversed (gathers), times [[1, −1], [−1, 1]]; linear, so transposable. */
function cofactor2(x: Tensor): Tensor {
  const r = x.shape.length;
  const rev = new ArrayTensor(Int32Array.of(1, 0), [2], "int32");
  const signs = allocate(x.dtype, 4);
  signs.set([1, -1, -1, 1]);
  return mul(gather(gather(x, rev, r - 2), rev, r - 1), new ArrayTensor(signs, [2, 2], x.dtype));
}

// ---- Cholesky ---------------------------------------------------------------------------------

/** Constant [n, n] masks: the lower triangle with `diag` on the diagonal. */
function lowerMask(n: number, diag: number, dtype: Aval["dtype"]): ArrayTensor {
  const m = allocate(dtype, n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) m[i * n + j] = i === j ? diag : 1;
  return new ArrayTensor(m, [n, n], dtype);
}
const swapLast = (x: Tensor) => transpose(x, x.shape.map((_, i) => (i === x.shape.length - 2 ? i + 1 : i === x.shape.length - 1 ? i - 1 : i)));

/**
 * The lower-triangular L with L·Lᵀ = A, for symmetric positive-definite A (only A's lower triangle
 * is read). Forward rule (Murray 2016): dL = L·Φ(L⁻¹ dA L⁻ᵀ), Φ the lower triangle with the
 * diagonal halved, dA taken symmetric from its lower triangle, as the factorisation reads A.
 */
export const choleskyP = defineOp<Record<string, never>>({
  name: "cholesky",
  impl: ([a]) => {
    const n = a.shape[a.shape.length - 1], batch = matrices(a.shape);
    const A = a.data, out = allocate(a.dtype, a.size);
    for (let b = 0; b < batch; b++) {
      const o = b * n * n;
      for (let j = 0; j < n; j++) {
        let d = A[o + j * n + j];
        for (let k = 0; k < j; k++) d -= out[o + j * n + k] * out[o + j * n + k];
        if (!(d > 0)) throw new InputError(`cholesky: matrix ${batch > 1 ? `${b} of the batch ` : ""}is not positive definite (pivot ${j} is ${d}); check that it is symmetric positive definite, or add a small multiple of the identity`);
        const l = Math.sqrt(d);
        out[o + j * n + j] = l;
        for (let i = j + 1; i < n; i++) {
          let s = A[o + i * n + j];
          for (let k = 0; k < j; k++) s -= out[o + i * n + k] * out[o + j * n + k];
          out[o + i * n + j] = s / l;
        }
      }
    }
    return new ArrayTensor(out, a.shape, a.dtype);
  },
  shape([a]) {
    squareBatch("cholesky", a);
    return { shape: [...a.shape], dtype: a.dtype };
  },
  jvp: ([a], L) => {
    const n = a.shape[a.shape.length - 1];
    const lower = lowerMask(n, 1, a.dtype), strict = lowerMask(n, 0, a.dtype), phi = lowerMask(n, 0.5, a.dtype);
    return [
      (da) => {
        const sym = add(mul(lower, da), swapLast(mul(strict, da)));
        const x = solve(L, swapLast(solve(L, swapLast(sym))));
        return matmul(L, mul(phi, x));
      },
    ];
  },
  transpose: null,
  batch: ([a]) => cholesky(a),
});
export const cholesky = (a: Tensor): Tensor => bind1(choleskyP, [a], {});

// ---- eigh, QR, SVD ----------------------------------------------------------------------------

/** Run a per-matrix factorisation over the leading (batch) axes, rounding outputs to the input's dtype. */
function perMatrix(a: ArrayTensor, m: number, n: number, outShapes: number[][], run: (mat: Float64Array) => Float64Array[]): ArrayTensor[] {
  const batchShape = a.shape.slice(0, -2), batch = a.size / Math.max(m * n, 1);
  const sizes = outShapes.map((s) => s.reduce((x, y) => x * y, 1));
  const outs = sizes.map((sz) => allocate(a.dtype, batch * sz));
  const src = a.data;
  for (let b = 0; b < batch; b++) {
    const mat = Float64Array.from(src.subarray(b * m * n, (b + 1) * m * n));
    run(mat).forEach((r, i) => outs[i].set(r, b * sizes[i]));
  }
  return outs.map((o, i) => new ArrayTensor(o, [...batchShape, ...outShapes[i]], a.dtype));
}

/** [n, n] constants of the dtype: the identity, and the strictly lower triangle. */
function eyeOf(n: number, dtype: Aval["dtype"]): ArrayTensor {
  const m = allocate(dtype, n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return new ArrayTensor(m, [n, n], dtype);
}
/** A⁻ᵀ of each matrix in the last two axes, by a solve (an InputError for a singular one): d log|det| and d cof read it. */
function inverseTransposed(a: Tensor): Tensor {
  return solve(a, broadcastTo(eyeOf(a.shape[a.shape.length - 1], a.dtype), a.shape), { ta: true });
}
/** The diagonal of each matrix in the last two axes, [..., n]. */
const diagOf = (x: Tensor, eye: Tensor) => reduceSum(mul(x, eye), [x.shape.length - 1]);
/** [..., n] → [..., 1, n]: a row vector broadcast down the rows (column j scaled by v_j). */
const asRow = (v: Tensor) => reshape(v, [...v.shape.slice(0, -1), 1, v.shape[v.shape.length - 1]]);
/** 1/x off the diagonal and 0 on it, safe at the diagonal's zeros ("double where": no 0·∞ in derivatives). */
function offDiagonalInverse(x: Tensor, eye: ArrayTensor): Tensor {
  return sub(div(broadcastTo(scalarTensor(1, x.dtype), x.shape), add(x, eye)), eye);
}

/**
 * Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices; only the lower
 * triangle is read. Forward rule (Giles 2008, §3.1): with D = Vᵀ dA V (dA symmetric from its lower
 * triangle, as the factorisation reads A), dλ = diag(D) and dV = V (F ∘ D), F_ij = 1/(λ_j − λ_i)
 * off the diagonal. Repeated eigenvalues make F infinite: their eigenvectors are not unique and
 * have no derivative (the eigenvalues still do).
 */
export const eighP: Primitive<Record<string, never>> = {
  name: "eigh",
  impl([a]) {
    const n = a.shape[a.shape.length - 1];
    return perMatrix(a, n, n, [[n], [n, n]], (mat) => {
      const { values, vectors } = symmetricEigen(mat, n);
      return [values, vectors];
    });
  },
  shape([a]) {
    squareBatch("eigh", a);
    return [
      { shape: [...a.shape.slice(0, -1)], dtype: a.dtype },
      { shape: [...a.shape], dtype: a.dtype },
    ];
  },
  jvp([a], [da], [w, V]) {
    if (da === null) return [null, null];
    const n = a.shape[a.shape.length - 1];
    const lower = lowerMask(n, 1, a.dtype), strict = lowerMask(n, 0, a.dtype), eye = eyeOf(n, a.dtype);
    const sym = add(mul(lower, da), swapLast(mul(strict, da)));
    const D = matmul(V, matmul(sym, V), { ta: true });
    const dw = diagOf(D, eye);
    const wRow = asRow(w);
    const F = offDiagonalInverse(sub(wRow, swapLast(wRow)), eye); // F_ij = 1/(λ_j − λ_i)
    return [dw, matmul(V, mul(F, D))];
  },
  transpose: null,
  batch: ([a]) => bind(eighP, [a], {}),
};

/** [leading axes, m, n, k = min(m, n)] of a batch of m × n float matrices; the checks of qr's and svd's shape rules. */
function matrixDims(op: string, a: Aval): [number[], number, number, number] {
  const r = a.shape.length;
  if (r < 2) throw new ShapeError(`${op}: needs matrices in the last two axes; got shape ${fmtShape(a.shape)}`);
  if (!isFloat(a.dtype)) throw new DTypeError(`${op}: needs a float matrix; got ${a.dtype}`);
  const m = a.shape[r - 2], n = a.shape[r - 1];
  return [a.shape.slice(0, -2), m, n, Math.min(m, n)];
}

/**
 * The reduced QR factorisation (Householder): Q [..., m, k] with orthonormal columns, R [..., k, n]
 * upper triangular, k = min(m, n); R's diagonal may be negative (no sign normalisation, as LAPACK).
 * Forward rule for m ≥ n (Walter & Lehmann 2018; JAX's qr_jvp_rule): X = dA R⁻¹, C = QᵀX,
 * Ω = tril(C, −1) − tril(C, −1)ᵀ; dQ = Q(Ω − C) + X, dR = (C − Ω) R. Wide matrices (m < n) have
 * no derivative here.
 */
export const qrP: Primitive<Record<string, never>> = {
  name: "qr",
  impl([a]) {
    const [, m, n, k] = matrixDims("qr", a);
    return perMatrix(a, m, n, [[m, k], [k, n]], (mat) => {
      const { q, r: R } = householderQR(mat, m, n);
      return [q, R];
    });
  },
  shape([a]) {
    const [lead, m, n, k] = matrixDims("qr", a);
    return [
      { shape: [...lead, m, k], dtype: a.dtype },
      { shape: [...lead, k, n], dtype: a.dtype },
    ];
  },
  jvp([a], [da], [Q, R]) {
    if (da === null) return [null, null];
    const [, m, n] = matrixDims("qr", a);
    if (m < n) throw new InputError(`qr: the derivative of the QR factorisation of a wide matrix (${m} × ${n}, fewer rows than columns) is not implemented; differentiate the QR of its transpose`);
    const X = swapLast(solve(R, swapLast(da), { ta: true })); // dA·R⁻¹
    const C = matmul(Q, X, { ta: true });
    const low = mul(lowerMask(n, 0, a.dtype), C);
    const omega = sub(low, swapLast(low));
    return [add(matmul(Q, sub(omega, C)), X), matmul(sub(C, omega), R)];
  },
  transpose: null,
  batch: ([a]) => bind(qrP, [a], {}),
};

/**
 * The reduced SVD (one-sided Jacobi): U [..., m, k], s [..., k] descending, Vᵀ [..., k, n],
 * k = min(m, n). Forward rule (Townsend 2016; JAX's svd_jvp_rule): with dP = Uᵀ dA V,
 * ds = diag(dP), F_ij = 1/(s_j² − s_i²) off the diagonal, dU = U(F ∘ (dP S + S dPᵀ)) plus, for
 * m > n, (I − UUᵀ) dA V S⁻¹; dV = V(F ∘ (S dP + dPᵀ S)) plus, for n > m, (I − VVᵀ) dAᵀ U S⁻¹.
 * Repeated singular values make F infinite (U and V are not unique there; s still has a
 * derivative), and a zero singular value of a non-square matrix makes S⁻¹ infinite.
 */
export const svdP: Primitive<Record<string, never>> = {
  name: "svd",
  impl([a]) {
    const [, m, n, k] = matrixDims("svd", a);
    return perMatrix(a, m, n, [[m, k], [k], [k, n]], (mat) => {
      const { u, s, vt } = jacobiSVD(mat, m, n);
      return [u, s, vt];
    });
  },
  shape([a]) {
    const [lead, m, n, k] = matrixDims("svd", a);
    return [
      { shape: [...lead, m, k], dtype: a.dtype },
      { shape: [...lead, k], dtype: a.dtype },
      { shape: [...lead, k, n], dtype: a.dtype },
    ];
  },
  jvp([a], [da], [U, s, Vt]) {
    if (da === null) return [null, null, null];
    const [, m, n, k] = matrixDims("svd", a);
    const eye = eyeOf(k, a.dtype);
    const V = swapLast(Vt);
    const dP = matmul(U, matmul(da, V), { ta: true }); // Uᵀ dA V
    const ds = diagOf(dP, eye);
    const sRow = asRow(s), sCol = swapLast(sRow);
    const F = offDiagonalInverse(mul(add(sRow, sCol), sub(sRow, sCol)), eye); // 1/(s_j² − s_i²)
    const dPS = mul(dP, sRow), SdP = mul(sCol, dP);
    let dU = matmul(U, mul(F, add(dPS, swapLast(dPS))));
    let dV = matmul(V, mul(F, add(SdP, swapLast(SdP))));
    if (m > n) {
      const dAV = matmul(da, V);
      dU = add(dU, div(sub(dAV, matmul(U, matmul(U, dAV, { ta: true }))), sRow));
    }
    if (n > m) {
      const dAtU = matmul(da, U, { ta: true });
      dV = add(dV, div(sub(dAtU, matmul(V, matmul(V, dAtU, { ta: true }))), sRow));
    }
    return [dU, ds, swapLast(dV)];
  },
  transpose: null,
  batch: ([a]) => bind(svdP, [a], {}),
};

export const eigh = (a: Tensor): Tensor[] => bind(eighP, [a], {});
export const qr = (a: Tensor): Tensor[] => bind(qrP, [a], {});
export const svd = (a: Tensor): Tensor[] => bind(svdP, [a], {});
