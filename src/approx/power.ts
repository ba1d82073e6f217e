/**
 * Top eigenpairs by power iteration with deflation: PyHessian's `hessian.eigenvalues` exactly
 * (Yao et al. 2020), so its errors are the errors PyHessian users see. For each pair: a random
 * Gaussian start; per iteration, Gram-Schmidt against the pairs already found, one product, the
 * Rayleigh quotient as the estimate, and a stop when it moves by less than tol relative
 * (|new - old| / (|old| + 1e-6) < tol), else after maxIter iterations.
 * Note what the method finds: the eigenvalues of largest MAGNITUDE, in the order found — for a
 * Hessian with a large negative eigenvalue that is not the "top" eigenvalue.
 */
import { Rng } from '../data/rng';
import { requireFiniteNumber, requireInteger, throwIfAborted, typeError } from '../util/errors';
import { LinearOperator } from './operator';
import { dot, norm, orthogonalize, scale } from './vectors';

export interface PowerIterationOptions {
  /** Number of eigenpairs (PyHessian top_n; default 1). */
  k?: number;
  /** Iterations per eigenpair (default 100, PyHessian's maxIter). */
  maxIter?: number;
  /** Relative tolerance of the stop rule (default 1e-3). */
  tol?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface PowerIterationResult {
  /** In the order found. */
  values: Float64Array;
  vectors: Float64Array[];
  /** Iterations spent on each pair. */
  iterations: number[];
  converged: boolean[];
  matvecs: number;
}

export async function powerIteration(op: LinearOperator, options: PowerIterationOptions = {}): Promise<PowerIterationResult> {
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const n = op.n;
  const k = requireInteger('options.k', options.k ?? 1, 1, n);
  const maxIter = requireInteger('options.maxIter', options.maxIter ?? 100, 1);
  const tol = requireFiniteNumber('options.tol', options.tol ?? 1e-3, 0);
  const rng = new Rng(requireInteger('options.seed', options.seed ?? 0, 0));
  const before = op.matvecs;
  const values: number[] = [], vectors: Float64Array[] = [], iterations: number[] = [], converged: boolean[] = [];
  for (let pair = 0; pair < k; pair++) {
    let v = rng.fillNormal(new Float64Array(n));
    scale(1 / norm(v), v);
    let estimate: number | null = null;
    let iters = 0, done = false;
    for (let it = 0; it < maxIter; it++) {
      throwIfAborted(options.signal);
      orthogonalize(v, vectors);
      const Hv = await op.apply(v, 1, options.signal);
      const value = dot(Hv, v);
      const size = norm(Hv);
      v = Hv;
      scale(size > 0 ? 1 / size : 0, v);
      iters = it + 1;
      if (estimate !== null && Math.abs(estimate - value) / (Math.abs(estimate) + 1e-6) < tol) {
        done = true; // PyHessian keeps the previous estimate on this exit
        break;
      }
      estimate = value;
    }
    values.push(estimate!);
    vectors.push(v);
    iterations.push(iters);
    converged.push(done);
  }
  return { values: Float64Array.from(values), vectors, iterations, converged, matvecs: op.matvecs - before };
}
