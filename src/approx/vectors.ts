/**
 * Dense vector kernels of the approximate methods (dot products, Gram-Schmidt) and their random
 * probes. Blocks of k vectors of length n are stored one after another (vector j at [j*n, (j+1)*n)),
 * the layout of Matrix.multiply and of the native curvature products.
 */
import { Rng } from '../data/rng';
import { requireOneOf } from '../util/errors';

export const PROBE_KINDS = ['rademacher', 'gaussian'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}

/** y += alpha x, in place. */
export function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += alpha * x[i];
}

export function scale(alpha: number, x: Float64Array): void {
  for (let i = 0; i < x.length; i++) x[i] *= alpha;
}

/**
 * Removes from v its components along the orthonormal `basis`, twice ("twice is enough",
 * Parlett): one classical Gram-Schmidt pass loses orthogonality in proportion to the condition of
 * the basis, the second restores it to rounding. Returns v (modified in place).
 */
export function orthogonalize(v: Float64Array, basis: readonly Float64Array[]): Float64Array {
  for (let pass = 0; pass < 2; pass++) for (const q of basis) axpy(-dot(q, v), q, v);
  return v;
}

/** One probe vector: Rademacher (±1) or standard Gaussian entries. */
export function probe(n: number, kind: ProbeKind, rng: Rng): Float64Array {
  requireOneOf('probe', kind, PROBE_KINDS);
  const v = new Float64Array(n);
  if (kind === 'gaussian') return rng.fillNormal(v);
  for (let i = 0; i < n; i++) v[i] = rng.uniform() < 0.5 ? -1 : 1;
  return v;
}

/** A probe scaled to unit norm (the convention of PyHessian and of Lanczos starting vectors). */
export function unitProbe(n: number, kind: ProbeKind, rng: Rng): Float64Array {
  const v = probe(n, kind, rng);
  scale(1 / norm(v), v);
  return v;
}

/** Concatenates vectors of equal length into one block. */
export function toBlock(vectors: readonly Float64Array[], n: number): Float64Array {
  const block = new Float64Array(vectors.length * n);
  vectors.forEach((v, j) => block.set(v, j * n));
  return block;
}

/** Vector j of a block (a view, no copy). */
export function column(block: Float64Array, n: number, j: number): Float64Array {
  return block.subarray(j * n, (j + 1) * n);
}
