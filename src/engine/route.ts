/**
 * Routing between the two exact routes to a curvature spectrum:
 *  - dense: assemble the M x M matrix, then LAPACK on it (O(M² N) + O(M³), 8 M² bytes);
 *  - factor: the same M eigenvalues through the matrix's factors (native/core/factor_spectrum.h):
 *    a small r x r matrix on a basis that provably contains the range, and M − r exact zeros.
 * `auto` predicts the cost (in flops of one dgemm, the eigensolve converted at EIGEN_FLOPS_PER_N3)
 * and the bytes of both, and takes the cheaper one that fits the memory guard.
 */
import { binding, RawFactorPlan, RawKind } from '../native/binding';
import { requireOneOf } from '../util/errors';
import type { MatrixName } from './curvature';
import { Dtype } from './matrix';
import { availableMemoryBytes, formatBytes } from './memory';
import { NormalizedModel, parameterCount, toRawModel } from './model';

export const ROUTES = ['auto', 'dense', 'factor'] as const;
export type Route = (typeof ROUTES)[number];

/**
 * Cost of a values-only symmetric eigensolve of order n, as a multiple of n³ dgemm flops: LAPACK's
 * reduction is memory-bound, so a flop there costs more than one in dgemm (measured here:
 * dsyevd_2stage at n = 8000 took as long as ≈ 3 n³ dgemm flops; bench/factor.js re-measures it).
 */
export const EIGEN_FLOPS_PER_N3 = 3;
/** With eigenvectors the solve costs about this many times more (divide and conquer back-transform). */
export const VECTORS_FACTOR = 2;
/**
 * Below this predicted dense cost (flop-equivalents; ≈ 0.1 s here) auto keeps the dense route: both
 * are instant, and the dense matrix is the reference the factor route is checked against.
 */
export const SMALL_PROBLEM_COST = 5e9;

export interface RouteCost {
  /** Predicted work in dgemm-flop equivalents (divide by a measured dgemm rate for seconds). */
  cost: number;
  /** Predicted peak bytes. */
  bytes: number;
  fits: boolean;
}

export interface RoutePlan {
  route: 'dense' | 'factor';
  /** Order of the matrix that is eigensolved: M (dense) or the factor route's rank bound r. */
  rank: number;
  reason: string;
  dense: RouteCost;
  factor: RouteCost & { supported: boolean; refusal: string; rank: number; plan: RawFactorPlan };
}

function eigenCost(n: number, vectors: boolean): number {
  return EIGEN_FLOPS_PER_N3 * n ** 3 * (vectors ? VECTORS_FACTOR : 1);
}

const fmt = (x: number) => x.toExponential(2);

/** Predicts both routes for one matrix of `model` at N samples and picks one (see the file comment). */
export function planRoute(spec: NormalizedModel, N: number, matrix: MatrixName, route: Route = 'auto', options: { dtype?: Dtype; vectors?: boolean; forceDense?: string } = {}): RoutePlan {
  requireOneOf('options.route', route, ROUTES);
  const M = parameterCount(spec);
  const raw = toRawModel(spec);
  const vectors = !!options.vectors;
  const available = 0.9 * availableMemoryBytes();
  const elem = options.dtype === 'float32' ? 4 : 8;
  const denseBytes = M * M * elem + binding().assemblyWorkspaceBytes(raw, N, [matrix as RawKind]) +
    binding().eigenWorkspaceBytes(M, options.dtype ?? 'float64', { vectors: false });
  const dense: RouteCost = { cost: M * M * N + eigenCost(M, vectors), bytes: denseBytes, fits: denseBytes <= available };
  const plan = binding().factorPlan(raw, N, matrix as RawKind);
  const factorBytes = plan.bytes + 8 * 30 * plan.rank;
  const factor = {
    cost: plan.flops + eigenCost(plan.rank, vectors), bytes: factorBytes, fits: plan.supported && factorBytes <= available,
    supported: plan.supported, refusal: plan.refusal, rank: plan.rank, plan,
  };
  const costs = `predicted cost dense ${fmt(dense.cost)} (${formatBytes(dense.bytes)}), factor ${fmt(factor.cost)} (${formatBytes(factor.bytes)}) flop-equivalents; r = ${plan.rank} of M = ${M}`;
  const pick = (r: 'dense' | 'factor', reason: string): RoutePlan => ({ route: r, rank: r === 'dense' ? M : plan.rank, reason, dense, factor });
  if (route === 'dense') return pick('dense', `route 'dense' requested; ${costs}`);
  if (route === 'factor') {
    if (!plan.supported) throw new RangeError(plan.refusal);
    return pick('factor', `route 'factor' requested; ${costs}`);
  }
  if (options.forceDense) return pick('dense', `auto: dense because ${options.forceDense}; ${costs}`);
  if (!plan.supported) return pick('dense', `auto: dense because ${plan.refusal}`);
  if (dense.fits && dense.cost < SMALL_PROBLEM_COST) return pick('dense', `auto: dense because the problem is small (both routes are instant; dense is the reference); ${costs}`);
  if (!dense.fits && factor.fits) return pick('factor', `auto: factor because the dense matrix does not fit in memory; ${costs}`);
  if (dense.fits && !factor.fits) return pick('dense', `auto: dense because the factor route does not fit in memory; ${costs}`);
  if (!dense.fits && !factor.fits) {
    return factor.bytes < dense.bytes ? pick('factor', `auto: neither fits; factor needs less memory; ${costs}`) : pick('dense', `auto: neither fits; dense needs less memory; ${costs}`);
  }
  return factor.cost < dense.cost ? pick('factor', `auto: factor is cheaper; ${costs}`) : pick('dense', `auto: dense is cheaper; ${costs}`);
}
