/**
 * @file Matrix factorisations on one row-major float64 matrix at a time: the symmetric eigenproblem
 * (Householder tridiagonalisation, then the implicit QL method with Wilkinson shifts; Golub & Van
 * Loan §8.3), the QR factorisation (Householder reflections), and the singular value decomposition
 * (one-sided Jacobi rotations, Hestenes 1958 — slower than Golub–Kahan but accurate to the last
 * bits for small singular values). Callers loop over batches and round to float32 after.
 */

/** Eigenvalues ascending and eigenvectors (the columns of `vectors`, n × n row-major) of the symmetric n × n matrix `a` (only its lower triangle is read). */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) V[i * n + j] = V[j * n + i] = a[i * n + j];
  const d = new Float64Array(n), e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: V };
  tridiagonalize(V, d, e, n);
  transposeSquare(V, n); // the QL rotations combine pairs of columns: as rows they are contiguous
  implicitQL(V, d, e, n);
  transposeSquare(V, n);
  // ascending order, vectors along
  for (let i = 0; i < n - 1; i++) {
    let k = i, p = d[i];
    for (let j = i + 1; j < n; j++) if (d[j] < p) (k = j), (p = d[j]);
    if (k !== i) {
      d[k] = d[i];
      d[i] = p;
      for (let r = 0; r < n; r++) {
        const t = V[r * n + i];
        V[r * n + i] = V[r * n + k];
        V[r * n + k] = t;
      }
    }
  }
  return { values: d, vectors: V };
}

/** Householder reduction of the symmetric V to tridiagonal form (diagonal d, subdiagonal e[1…]); V becomes the accumulated orthogonal transformation. */
function tridiagonalize(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  const at = (i: number, j: number) => i * n + j;
  for (let j = 0; j < n; j++) d[j] = V[at(n - 1, j)];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0, h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[at(i - 1, j)];
        V[at(i, j)] = 0;
        V[at(j, i)] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1], g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[at(j, i)] = f;
        g = e[j] + V[at(j, j)] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[at(k, j)] * d[k];
          e[k] += V[at(k, j)] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[at(k, j)] -= f * e[k] + g * d[k];
        d[j] = V[at(i - 1, j)];
        V[at(i, j)] = 0;
      }
    }
    d[i] = h;
  }
  // accumulate the transformations
  for (let i = 0; i < n - 1; i++) {
    V[at(n - 1, i)] = V[at(i, i)];
    V[at(i, i)] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[at(k, i + 1)] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[at(k, i + 1)] * V[at(k, j)];
        for (let k = 0; k <= i; k++) V[at(k, j)] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[at(k, i + 1)] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[at(n - 1, j)];
    V[at(n - 1, j)] = 0;
  }
  V[at(n - 1, n - 1)] = 1;
  e[0] = 0;
}

function transposeSquare(V: Float64Array, n: number): void {
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const t = V[i * n + j];
      V[i * n + j] = V[j * n + i];
      V[j * n + i] = t;
    }
}

/** The implicit QL iteration on the tridiagonal (d, e), rotating the rows of V (stored transposed) along. */
function implicitQL(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0, tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n && Math.abs(e[m]) > eps * tst1) m++;
    if (m === n) m = n - 1;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error("wengert: eigh did not converge (60 QL iterations)");
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1, c2 = c, c3 = c, s = 0, s2 = 0;
        const el1 = e[l + 1];
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const r0 = i * n, r1 = (i + 1) * n; // rows i and i + 1 of the transposed V
          for (let k = 0; k < n; k++) {
            const vk1 = V[r1 + k], vk = V[r0 + k];
            V[r1 + k] = s * vk + c * vk1;
            V[r0 + k] = c * vk - s * vk1;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

/** The reduced QR factorisation of the m × n matrix a: Q m × k with orthonormal columns, R k × n upper triangular, k = min(m, n). */
export function householderQR(a: Float64Array, m: number, n: number): { q: Float64Array; r: Float64Array } {
  const k = Math.min(m, n);
  const R = Float64Array.from(a);
  const vs: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    let norm2 = 0;
    for (let i = j; i < m; i++) norm2 += R[i * n + j] ** 2;
    const v = new Float64Array(m - j);
    const x0 = R[j * n + j];
    const alpha = -(x0 < 0 ? -1 : 1) * Math.sqrt(norm2);
    for (let i = j; i < m; i++) v[i - j] = R[i * n + j];
    v[0] -= alpha;
    let vn2 = 0;
    for (let i = 0; i < v.length; i++) vn2 += v[i] * v[i];
    vs.push(vn2 === 0 ? v.fill(0) : v);
    if (vn2 === 0) continue;
    for (let c = j; c < n; c++) {
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i] * R[(j + i) * n + c];
      const t = (2 * dot) / vn2;
      for (let i = 0; i < v.length; i++) R[(j + i) * n + c] -= t * v[i];
    }
    for (let i = j + 1; i < m; i++) R[i * n + j] = 0;
  }
  const Q = new Float64Array(m * k);
  for (let i = 0; i < k; i++) Q[i * k + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const v = vs[j];
    let vn2 = 0;
    for (let i = 0; i < v.length; i++) vn2 += v[i] * v[i];
    if (vn2 === 0) continue;
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i] * Q[(j + i) * k + c];
      const t = (2 * dot) / vn2;
      for (let i = 0; i < v.length; i++) Q[(j + i) * k + c] -= t * v[i];
    }
  }
  const r = new Float64Array(k * n);
  for (let i = 0; i < k; i++) for (let c = i; c < n; c++) r[i * n + c] = R[i * n + c];
  return { q: Q, r };
}

/**
 * The reduced SVD of the m × n matrix a: a = U·diag(s)·Vᵀ, s descending and non-negative, U m × k
 * and V n × k with orthonormal columns, k = min(m, n). Returns U, s and Vᵀ (k × n).
 */
export function jacobiSVD(a: Float64Array, m: number, n: number): { u: Float64Array; s: Float64Array; vt: Float64Array } {
  if (m < n) {
    // the SVD of aᵀ, transposed back
    const t = new Float64Array(n * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
    const r = jacobiSVD(t, n, m);
    // aᵀ = U' S V'ᵀ  ⇒  a = V' S U'ᵀ: U = V' (m × m) = (V'ᵀ)ᵀ, Vᵀ = U'ᵀ (m × n)
    const k = m;
    const u = new Float64Array(m * k), vt = new Float64Array(k * n);
    for (let i = 0; i < k; i++) for (let j = 0; j < m; j++) u[j * k + i] = r.vt[i * m + j];
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) vt[j * n + i] = r.u[i * k + j];
    return { u, s: r.s, vt };
  }
  // m ≥ n: orthogonalise the columns of W = a·V by plane rotations until every pair is orthogonal
  const k = n;
  const W = Float64Array.from(a), V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  const eps = 2 ** -52;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < m; i++) {
          const wp = W[i * n + p], wq = W[i * n + q];
          alpha += wp * wp;
          beta += wq * wq;
          gamma += wp * wq;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        for (let i = 0; i < m; i++) {
          const wp = W[i * n + p], wq = W[i * n + q];
          W[i * n + p] = c * wp - s * wq;
          W[i * n + q] = s * wp + c * wq;
        }
        for (let i = 0; i < n; i++) {
          const vp = V[i * n + p], vq = V[i * n + q];
          V[i * n + p] = c * vp - s * vq;
          V[i * n + q] = s * vp + c * vq;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += W[i * n + j] ** 2;
    norms[j] = Math.sqrt(s);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => norms[y] - norms[x]);
  const s = new Float64Array(k), u = new Float64Array(m * k), vt = new Float64Array(k * n);
  const tiny = (norms[order[0]] || 0) * m * eps;
  order.forEach((j, col) => {
    s[col] = norms[j];
    for (let i = 0; i < n; i++) vt[col * n + i] = V[i * n + j];
    if (norms[j] > tiny && norms[j] > 0) for (let i = 0; i < m; i++) u[i * k + col] = W[i * n + j] / norms[j];
  });
  // columns of U for (numerically) zero singular values: an orthonormal completion (Gram–Schmidt on unit vectors)
  for (let col = 0; col < k; col++) {
    if (!(s[col] <= tiny)) continue;
    for (let e = 0; e < m; e++) {
      const v = new Float64Array(m);
      v[e] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let c = 0; c < k; c++) {
          if (c === col || (s[c] <= tiny && c > col)) continue;
          let dot = 0;
          for (let i = 0; i < m; i++) dot += u[i * k + c] * v[i];
          for (let i = 0; i < m; i++) v[i] -= dot * u[i * k + c];
        }
      }
      const nv = Math.hypot(...v);
      if (nv > 0.5) {
        for (let i = 0; i < m; i++) u[i * k + col] = v[i] / nv;
        break;
      }
    }
  }
  return { u, s, vt };
}
