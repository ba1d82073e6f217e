/**
 * The Lanczos process with full reorthogonalisation, and the extreme eigenpairs it gives.
 *
 * lanczosProcess runs p independent Lanczos recurrences in lock step, so that each step is ONE
 * block product of p vectors (BLAS-3 on the native operators): SLQ's probes use this. Every new
 * vector is orthogonalised twice against all earlier ones of its own run (full
 * reorthogonalisation, as PyHessian does), which keeps the Ritz values free of the spurious
 * copies of plain Lanczos, at O(n m^2) flops. When a Krylov space becomes invariant (beta ~ 0, e.g.
 * a matrix with few distinct eigenvalues), the run continues from a fresh random vector
 * orthogonal to it, with beta recorded as 0: T stays the projection of A on the basis.
 */
import { Rng } from '../data/rng';
import { requireFiniteNumber, requireInteger, requireOneOf, throwIfAborted, typeError, orDefault } from '../util/errors';
import { LinearOperator } from './operator';
import { tridiagonalEigen } from './tridiagonal';
import { axpy, column, dot, norm, orthogonalize, scale, toBlock, unitProbe } from './vectors';

export interface LanczosRun {
  /** Diagonal of T (m). */
  alpha: Float64Array;
  /** Off-diagonal of T (m - 1), then the residual norm beta_m as the last entry (m entries). */
  beta: Float64Array;
  /** The orthonormal basis q_1..q_m when kept. */
  basis?: Float64Array[];
}

export interface LanczosProcessOptions {
  steps: number;
  keepBasis?: boolean;
  /** Source of restart vectors (after an invariant subspace). */
  rng: Rng;
  signal?: AbortSignal;
  /** Called after each step with the number of steps done; return true to stop early. */
  afterStep?: (steps: number, runs: LanczosRun[]) => boolean;
}

export async function lanczosProcess(op: LinearOperator, starts: Float64Array[], options: LanczosProcessOptions): Promise<LanczosRun[]> {
  const n = op.n, p = starts.length;
  const m = Math.min(options.steps, n);
  const alpha = starts.map(() => new Float64Array(m));
  const beta = starts.map(() => new Float64Array(m));
  const bases: Float64Array[][] = starts.map(() => []);
  let q: Float64Array[] = starts.map((s) => { const v = Float64Array.from(s); scale(1 / norm(v), v); return v; });
  let done = 0;
  const snapshot = (): LanczosRun[] =>
    alpha.map((a, t) => ({ alpha: a.subarray(0, done), beta: beta[t].subarray(0, done), ...(options.keepBasis ? { basis: bases[t] } : {}) }));
  for (let j = 0; j < m; j++) {
    throwIfAborted(options.signal);
    const W = await op.apply(toBlock(q, n), p, options.signal);
    const next: Float64Array[] = [];
    for (let t = 0; t < p; t++) {
      const w = Float64Array.from(column(W, n, t));
      bases[t].push(q[t]);
      alpha[t][j] = dot(q[t], w);
      orthogonalize(w, bases[t]); // removes alpha q_j and beta q_{j-1} and any lost orthogonality
      let b = norm(w);
      const scaleOfT = Math.abs(alpha[t][j]) + (j > 0 ? beta[t][j - 1] : 0);
      if (j + 1 < m && b <= 1e-12 * Math.max(scaleOfT, Number.MIN_VALUE)) {
        // Invariant subspace: continue from a random vector orthogonal to the basis.
        const fresh = orthogonalize(unitProbe(n, 'gaussian', options.rng), bases[t]);
        scale(1 / norm(fresh), fresh);
        beta[t][j] = 0;
        next.push(fresh);
        continue;
      }
      beta[t][j] = b;
      if (b === 0) b = 1;
      scale(1 / b, w);
      next.push(w);
    }
    q = next;
    done = j + 1;
    if (options.afterStep?.(done, snapshot())) break;
  }
  if (!options.keepBasis) bases.forEach((b) => (b.length = 0));
  return snapshot();
}

export interface EigenPairs {
  /** Top: descending; bottom: ascending. */
  values: Float64Array;
  /** Ritz vectors (unit norm), when asked for. */
  vectors?: Float64Array[];
  /** Residual bounds ||A x - theta x|| = beta_m |s_m| of each Ritz pair. */
  residuals: Float64Array;
}

export interface LanczosEigenOptions {
  /** How many eigenpairs at each requested end (default 5). */
  k?: number;
  /** top (default), bottom, or both ends from one run. */
  which?: 'top' | 'bottom' | 'both';
  /** Largest Krylov dimension (default min(n, max(4k + 20, 60))). */
  maxSteps?: number;
  /** Stop when every wanted Ritz pair has residual <= tol * max|theta| (default 1e-10). */
  tol?: number;
  /** Return Ritz vectors (default true). */
  vectors?: boolean;
  seed?: number;
  /** Convergence is tested every this many steps (default 5): each test is an m x m eigensolve. */
  checkEvery?: number;
  signal?: AbortSignal;
}

export interface LanczosEigenResult {
  top?: EigenPairs;
  bottom?: EigenPairs;
  steps: number;
  matvecs: number;
  converged: boolean;
}

function wantedIndices(m: number, k: number, which: 'top' | 'bottom' | 'both'): { top: number[]; bottom: number[] } {
  const kk = Math.min(k, m);
  return {
    top: which === 'bottom' ? [] : Array.from({ length: kk }, (_, i) => m - 1 - i),
    bottom: which === 'top' ? [] : Array.from({ length: kk }, (_, i) => i),
  };
}

/** Extreme eigenpairs by Lanczos with full reorthogonalisation, seeded, stopping on residual bounds. */
export async function lanczosEigen(op: LinearOperator, options: LanczosEigenOptions = {}): Promise<LanczosEigenResult> {
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const n = op.n;
  const k = requireInteger('options.k', options.k ?? 5, 1, n);
  const which = requireOneOf('options.which', orDefault(options.which, 'top'), ['top', 'bottom', 'both'] as const);
  const maxSteps = requireInteger('options.maxSteps', options.maxSteps ?? Math.min(n, Math.max(4 * k + 20, 60)), 1, n);
  const tol = requireFiniteNumber('options.tol', options.tol ?? 1e-10, 0);
  const checkEvery = requireInteger('options.checkEvery', options.checkEvery ?? 5, 1);
  const seed = requireInteger('options.seed', options.seed ?? 0, 0);
  const wantVectors = options.vectors ?? true;
  const rng = new Rng(seed);
  const before = op.matvecs;
  let converged = false;
  const runs = await lanczosProcess(op, [unitProbe(n, 'gaussian', rng)], {
    steps: maxSteps,
    keepBasis: wantVectors,
    rng,
    signal: options.signal,
    afterStep: (m, [run]) => {
      if (m < Math.min(k, n) || (m % checkEvery !== 0 && m !== n)) return false;
      const { values, rows } = tridiagonalEigen(run.alpha, run.beta, [m - 1]);
      const last = rows.get(m - 1)!;
      const bm = run.beta[m - 1];
      const size = Math.max(Math.abs(values[0]), Math.abs(values[m - 1]));
      const w = wantedIndices(m, k, which);
      converged = m === n || [...w.top, ...w.bottom].every((i) => bm * Math.abs(last[i]) <= tol * size);
      return converged;
    },
  });
  const run = runs[0];
  const m = run.alpha.length;
  const { values, rows } = tridiagonalEigen(run.alpha, run.beta, wantVectors ? 'all' : [m - 1]);
  const bm = run.beta[m - 1];
  const last = rows.get(m - 1)!;
  const size = Math.max(Math.abs(values[0]), Math.abs(values[m - 1]));
  const w = wantedIndices(m, k, which);
  if (!converged) converged = m === n || [...w.top, ...w.bottom].every((i) => bm * Math.abs(last[i]) <= tol * size);
  const pairs = (idx: number[]): EigenPairs => {
    const out: EigenPairs = { values: Float64Array.from(idx, (i) => values[i]), residuals: Float64Array.from(idx, (i) => Math.abs(bm * last[i])) };
    if (wantVectors) {
      out.vectors = idx.map((i) => {
        const x = new Float64Array(n);
        for (let r = 0; r < m; r++) axpy(rows.get(r)![i], run.basis![r], x);
        scale(1 / norm(x), x);
        return x;
      });
    }
    return out;
  };
  return {
    ...(w.top.length ? { top: pairs(w.top) } : {}),
    ...(w.bottom.length ? { bottom: pairs(w.bottom) } : {}),
    steps: m,
    matvecs: op.matvecs - before,
    converged,
  };
}
