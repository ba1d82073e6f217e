/**
 * Eigenvalues (and chosen rows of the eigenvector matrix) of a small symmetric tridiagonal
 * matrix by the implicit QL algorithm with Wilkinson-type shifts (Numerical Recipes' tqli,
 * 0-based). O(m^2) for values; each tracked row of the eigenvector matrix adds O(m^2).
 * Lanczos needs only the first row (quadrature weights, SLQ) or the last row (residual bounds)
 * while iterating, and all of it once at the end (Ritz vectors), hence `rows`.
 */
import { rangeError, requireAllFinite } from '../util/errors';

export interface TridiagonalEigen {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** For each requested row r of the eigenvector matrix S: S[r, j] for every eigenvalue j (same order). */
  rows: Map<number, Float64Array>;
}

/**
 * alpha: diagonal (m); beta: off-diagonal (m - 1), beta[i] between i and i + 1.
 * rows: which rows of the orthogonal eigenvector matrix to return ('all' for every row).
 */
export function tridiagonalEigen(alpha: ArrayLike<number>, beta: ArrayLike<number>, rows: number[] | 'all' = []): TridiagonalEigen {
  const m = alpha.length;
  if (m < 1) throw rangeError('alpha', 'at least 1 entry', alpha);
  if (beta.length < m - 1) throw rangeError('beta.length', `at least m - 1 = ${m - 1}`, beta.length);
  requireAllFinite('alpha', alpha);
  requireAllFinite('beta', Array.prototype.slice.call(beta, 0, m - 1));
  const wanted = rows === 'all' ? Array.from({ length: m }, (_, i) => i) : rows;
  for (const r of wanted) if (!Number.isInteger(r) || r < 0 || r >= m) throw rangeError('rows', `indices in [0, ${m - 1}]`, r);
  const d = Float64Array.from(alpha);
  const e = new Float64Array(m);
  for (let i = 0; i < m - 1; i++) e[i] = beta[i];
  // z[t][j]: row wanted[t] of the eigenvector matrix, starting from the identity's rows.
  const z = wanted.map((r) => { const row = new Float64Array(m); row[r] = 1; return row; });
  for (let l = 0; l < m; l++) {
    let iter = 0;
    let mm: number;
    do {
      for (mm = l; mm < m - 1; mm++) {
        const dd = Math.abs(d[mm]) + Math.abs(d[mm + 1]);
        if (Math.abs(e[mm]) <= Number.EPSILON * dd) break;
      }
      if (mm !== l) {
        if (iter++ === 100) throw new Error(`tridiagonalEigen: no convergence for eigenvalue ${l} after 100 QL sweeps`);
        let g = (d[l + 1] - d[l]) / (2 * e[l]);
        let r = Math.hypot(g, 1);
        g = d[mm] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
        let s = 1, c = 1, p = 0;
        let i: number;
        let underflow = false;
        for (i = mm - 1; i >= l; i--) {
          const f = s * e[i];
          const b = c * e[i];
          r = Math.hypot(f, g);
          e[i + 1] = r;
          if (r === 0) { d[i + 1] -= p; e[mm] = 0; underflow = true; break; }
          s = f / r;
          c = g / r;
          g = d[i + 1] - p;
          r = (d[i] - g) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
          for (const row of z) {
            const t = row[i + 1];
            row[i + 1] = s * row[i] + c * t;
            row[i] = c * row[i] - s * t;
          }
        }
        if (underflow) continue;
        d[l] -= p;
        e[l] = g;
        e[mm] = 0;
      }
    } while (mm !== l);
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => d[a] - d[b]);
  const values = Float64Array.from(order, (i) => d[i]);
  const out = new Map<number, Float64Array>();
  wanted.forEach((r, t) => out.set(r, Float64Array.from(order, (i) => z[t][i])));
  return { values, rows: out };
}
