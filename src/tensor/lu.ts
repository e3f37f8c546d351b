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
    if (p !== j) exchange(M, n, j, p, true, perm), swaps++;
    const d = M[j * n + j];
    for (let i = j + 1; i < n; i++) {
      const l = (M[i * n + j] /= d);
      if (l !== 0) for (let c = j + 1; c < n; c++) M[i * n + c] -= l * M[j * n + c];
    }
  }
  return { perm, swaps, zero: -1 };
}

/** Exchange rows (byRow) or columns a and b of the n×n row-major M, and entries a and b of `order`. */
function exchange(M: Float64Array, n: number, a: number, b: number, byRow: boolean, order: Int32Array): void {
  for (let t = 0; t < n; t++) {
    const i = byRow ? a * n + t : t * n + a, j = byRow ? b * n + t : t * n + b;
    const v = M[i];
    M[i] = M[j];
    M[j] = v;
  }
  const o = order[a];
  order[a] = order[b];
  order[b] = o;
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

/**
 * det A and its cofactor matrix cof A = adj(A)ᵀ (= det A · A⁻ᵀ when A is invertible; d det = Σ cof ∘ dA)
 * for each of `batch` n×n matrices, from an LU factorisation with full pivoting, P·A·Q = L·U,
 * which leaves exactly zero pivots last. Then adj A = det P · det Q · Q · adj U · L⁻¹ · P, and with
 * U = [[U₁, c], [0, d]] (U₁ invertible unless two pivots are zero), adj U = [[d·adj U₁, −adj U₁·c],
 * [0, det U₁]]: defined at singular matrices too (rank n − 1: a rank-one cofactor; rank < n − 1: 0),
 * where det·A⁻ᵀ is 0·∞. `det` or `cof` may be null when not wanted.
 */
export function luDetCofactor(A: ArrayLike<number>, batch: number, n: number, det: Float64Array | Float32Array | null, cof: Float64Array | Float32Array | null): void {
  const rowOf = new Int32Array(n), colOf = new Int32Array(n);
  const adjU = new Float64Array(n * n), Z = new Float64Array(n * n);
  for (let b = 0; b < batch; b++) {
    if (n === 0) {
      if (det) det[b] = 1; // the empty product; the cofactor matrix is empty
      continue;
    }
    const W = matrixAt(A, b * n * n, n, false);
    for (let i = 0; i < n; i++) (rowOf[i] = i), (colOf[i] = i);
    let sign = 1, rank = n;
    for (let k = 0; k < n; k++) {
      let bi = k, bj = k, best = -1;
      for (let i = k; i < n; i++) for (let j = k; j < n; j++) {
        const v = Math.abs(W[i * n + j]);
        if (v > best || v !== v) (best = v), (bi = i), (bj = j);
        if (v !== v) break;
      }
      if (best === 0) {
        rank = k;
        break;
      }
      if (bi !== k) exchange(W, n, k, bi, true, rowOf), (sign = -sign);
      if (bj !== k) exchange(W, n, k, bj, false, colOf), (sign = -sign);
      const d = W[k * n + k];
      for (let i = k + 1; i < n; i++) {
        const l = (W[i * n + k] /= d);
        if (l !== 0) for (let c = k + 1; c < n; c++) W[i * n + c] -= l * W[k * n + c];
      }
    }
    const o = b * n * n;
    if (det) {
      let p = rank < n ? 0 : sign;
      if (rank === n) for (let i = 0; i < n; i++) p *= W[i * n + i];
      det[b] = p;
    }
    if (!cof) continue;
    if (rank < n - 1) {
      cof.fill(0, o, o + n * n);
      continue;
    }
    // Z = U₁⁻¹ (upper triangular, m = n − 1), g = det U₁
    const m = n - 1;
    let g = 1;
    for (let i = 0; i < m; i++) g *= W[i * n + i];
    Z.fill(0);
    for (let j = 0; j < m; j++) {
      for (let i = j; i >= 0; i--) {
        let s = i === j ? 1 : 0;
        for (let t = i + 1; t <= j; t++) s -= W[i * n + t] * Z[t * n + j];
        Z[i * n + j] = s / W[i * n + i];
      }
    }
    // adj U = [[d·g·Z, −g·Z·c], [0, g]]
    const dn = rank === n ? W[m * n + m] : 0;
    adjU.fill(0);
    for (let i = 0; i < m; i++) {
      for (let j = i; j < m; j++) adjU[i * n + j] = dn * g * Z[i * n + j];
      let s = 0;
      for (let t = i; t < m; t++) s += Z[i * n + t] * W[t * n + m];
      adjU[i * n + m] = -g * s;
    }
    adjU[m * n + m] = g;
    // M = adj U · L⁻¹ (L unit lower): solve M·L = adj U row by row, from the last column back
    for (let i = 0; i < n; i++) {
      for (let j = n - 1; j >= 0; j--) {
        let s = adjU[i * n + j];
        for (let t = j + 1; t < n; t++) s -= adjU[i * n + t] * W[t * n + j];
        adjU[i * n + j] = s; // M[i][j], written over adj U's entry, which nothing reads again
      }
    }
    // adj A[colOf[j]][rowOf[i]] = sign · M[j][i], so cof A[rowOf[i]][colOf[j]] = sign · M[j][i]
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) cof[o + rowOf[i] * n + colOf[j]] = sign * adjU[j * n + i];
  }
}
