/**
 * @file LU factorisation with partial pivoting (row swaps), in float64, for square matrices stored
 * row by row: linear solves and log-determinants of batches of matrices.
 */

/** Factor the n×n matrix M (row-major, overwritten with L below and U on and above the diagonal). Returns the row order and the swap parity, or the column of a zero pivot. */
function factor(M: Float64Array, n: number): { perm: Int32Array; swaps: number; zero: number } {
  const perm = new Int32Array(n).map((_, i) => i);
  let swaps = 0;
  for (let j = 0; j < n; j++) {
    let p = j, best = Math.abs(M[j * n + j]);
    for (let i = j + 1; i < n; i++) {
      const v = Math.abs(M[i * n + j]);
      if (v > best) (best = v), (p = i);
    }
    if (best === 0 || best !== best) return { perm, swaps, zero: j };
    if (p !== j) {
      for (let c = 0; c < n; c++) {
        const t = M[j * n + c];
        M[j * n + c] = M[p * n + c];
        M[p * n + c] = t;
      }
      const t = perm[j];
      perm[j] = perm[p];
      perm[p] = t;
      swaps++;
    }
    const d = M[j * n + j];
    for (let i = j + 1; i < n; i++) {
      const l = (M[i * n + j] /= d);
      if (l !== 0) for (let c = j + 1; c < n; c++) M[i * n + c] -= l * M[j * n + c];
    }
  }
  return { perm, swaps, zero: -1 };
}

/** The n×n matrix at `off` of A, row-major, transposed if asked, as float64. */
function matrixAt(A: ArrayLike<number>, off: number, n: number, transposed: boolean): Float64Array {
  const M = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M[i * n + j] = transposed ? A[off + j * n + i] : A[off + i * n + j];
  return M;
}

/**
 * X = op(A)⁻¹ B for `batch` pairs (A n×n, B n×k, both row-major), op the transpose when `transposed`.
 * A singular matrix (an exactly zero pivot) is reported with its batch index and column.
 */
export function luSolve(A: ArrayLike<number>, B: ArrayLike<number>, out: Float64Array | Float32Array, batch: number, n: number, k: number, transposed: boolean, singular: (b: number, col: number) => never): void {
  const y = new Float64Array(n);
  for (let b = 0; b < batch; b++) {
    const M = matrixAt(A, b * n * n, n, transposed);
    const { perm, zero } = factor(M, n);
    if (zero >= 0) singular(b, zero);
    const bo = b * n * k;
    for (let c = 0; c < k; c++) {
      // L y = P b, then U x = y
      for (let i = 0; i < n; i++) {
        let s = B[bo + perm[i] * k + c];
        for (let j = 0; j < i; j++) s -= M[i * n + j] * y[j];
        y[i] = s;
      }
      for (let i = n - 1; i >= 0; i--) {
        let s = y[i];
        for (let j = i + 1; j < n; j++) s -= M[i * n + j] * y[j];
        y[i] = s / M[i * n + i];
      }
      for (let i = 0; i < n; i++) out[bo + i * k + c] = y[i];
    }
  }
}

/** sign(det A) and log|det A| for each of `batch` n×n matrices: sign 0 and −∞ when A is singular (as NumPy's slogdet). */
export function luSlogdet(A: ArrayLike<number>, batch: number, n: number, sign: Float64Array | Float32Array, logabs: Float64Array | Float32Array): void {
  for (let b = 0; b < batch; b++) {
    const M = matrixAt(A, b * n * n, n, false);
    const { swaps, zero } = factor(M, n);
    if (zero >= 0) {
      sign[b] = 0;
      logabs[b] = -Infinity;
      continue;
    }
    let s = swaps % 2 ? -1 : 1, l = 0;
    for (let i = 0; i < n; i++) {
      const d = M[i * n + i];
      if (d < 0) s = -s;
      l += Math.log(Math.abs(d));
    }
    sign[b] = s;
    logabs[b] = l;
  }
}
