/**
 * How wrong an estimate is, against the exact answer. Pure functions of arrays.
 *  - eigenvalue errors: |est - exact| / |exact| pairwise after sorting both (descending for the
 *    top, ascending for the bottom);
 *  - eigenvector angles: arccos |x . u| in radians to the exact eigenvector of the same rank
 *    (a pair inside a cluster of near-equal eigenvalues can be "wrong" only by its rank);
 *  - Wasserstein-1 between spectral measures on the line: integral of |F_est - F_exact|, exact for
 *    two atomic measures, by quadrature on a fine grid when one side is a CDF function;
 *  - L1 between densities on a common grid; relative trace error; relative diagonal error.
 */
import { rangeError } from '../util/errors';
import { SpectralMeasure } from './slq';
import { dot, norm } from './vectors';

export function relativeErrors(estimates: ArrayLike<number>, exact: ArrayLike<number>): Float64Array {
  if (estimates.length > exact.length) throw rangeError('estimates.length', `at most ${exact.length}`, estimates.length);
  return Float64Array.from({ length: estimates.length }, (_, i) => Math.abs(estimates[i] - exact[i]) / Math.max(Math.abs(exact[i]), Number.MIN_VALUE));
}

/** Angles in radians, in [0, pi/2]. */
export function eigenvectorAngles(estimates: Float64Array[], exact: Float64Array[]): Float64Array {
  return Float64Array.from(estimates, (x, i) => {
    const c = Math.abs(dot(x, exact[i])) / (norm(x) * norm(exact[i]));
    return Math.acos(Math.min(1, c));
  });
}

/** W1 between two atomic probability measures (atoms sorted ascending). */
export function wasserstein1(a: SpectralMeasure, b: SpectralMeasure): number {
  let i = 0, j = 0, Fa = 0, Fb = 0, total = 0;
  let x = Math.min(a.nodes[0], b.nodes[0]);
  while (i < a.nodes.length || j < b.nodes.length) {
    const next = Math.min(i < a.nodes.length ? a.nodes[i] : Infinity, j < b.nodes.length ? b.nodes[j] : Infinity);
    total += Math.abs(Fa - Fb) * (next - x);
    x = next;
    while (i < a.nodes.length && a.nodes[i] === next) Fa += a.weights[i++];
    while (j < b.nodes.length && b.nodes[j] === next) Fb += b.weights[j++];
  }
  return total;
}

/** W1 between an atomic measure and one given by its CDF, supported in [lo, hi] (midpoint rule). */
export function wasserstein1ToCdf(atoms: SpectralMeasure, cdf: (x: number) => number, lo: number, hi: number, points = 20000): number {
  const a = Math.min(lo, atoms.nodes[0]), b = Math.max(hi, atoms.nodes[atoms.nodes.length - 1]);
  const h = (b - a) / points;
  let total = 0, k = 0, F = 0;
  for (let i = 0; i < points; i++) {
    const x = a + (i + 0.5) * h;
    while (k < atoms.nodes.length && atoms.nodes[k] <= x) F += atoms.weights[k++];
    total += Math.abs(cdf(x) - F) * h;
  }
  return total;
}

/** Integral of |p - q| on a common ascending grid (trapezoid rule). */
export function l1Distance(grid: Float64Array, p: Float64Array, q: Float64Array): number {
  let total = 0;
  for (let i = 1; i < grid.length; i++) total += 0.5 * (Math.abs(p[i] - q[i]) + Math.abs(p[i - 1] - q[i - 1])) * (grid[i] - grid[i - 1]);
  return total;
}

export function relativeError(estimate: number, exact: number): number {
  return Math.abs(estimate - exact) / Math.max(Math.abs(exact), Number.MIN_VALUE);
}

/** ||est - exact||_2 / ||exact||_2 and the largest entry error. */
export function diagonalErrors(estimate: Float64Array, exact: Float64Array): { relative: number; maxAbs: number } {
  let num = 0, den = 0, maxAbs = 0;
  for (let i = 0; i < exact.length; i++) {
    const d = estimate[i] - exact[i];
    num += d * d;
    den += exact[i] * exact[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
  }
  return { relative: Math.sqrt(num / Math.max(den, Number.MIN_VALUE)), maxAbs };
}
