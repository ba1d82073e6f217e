/**
 * All M eigenvalues (ascending) of one curvature matrix of a model — H, G, R or C — by the dense
 * route or the factor route (see ./route.ts), with the same result either way: the factor route
 * inserts the M − r exact zeros the dense route finds to rounding. Eigenvectors on request: the k
 * largest (or, with `vectors: true`, all r of the range part by the factor route, all M dense).
 */
import { binding, ProgressCallback } from '../native/binding';
import { requireInteger, requireOneOf, typeError } from '../util/errors';
import { withCancellation } from './abort';
import { computeCurvature, LabelledData, MATRIX_NAMES, MatrixName, validateModelInputs } from './curvature';
import { Dtype, Matrix } from './matrix';
import { ensureMemory } from './memory';
import { MatrixBuffers } from './buffers';
import { ModelSpec, NormalizedModel, parameterCount, toRawModel } from './model';
import { planRoute, Route, RoutePlan } from './route';
import { jobThreads } from './threads';

export interface SpectrumOptions {
  /** auto (default): the cheaper exact route that fits in memory; dense; factor (refused where it does not apply). */
  route?: Route;
  /** Eigenvectors: a count k (of the largest eigenvalues) or true (all that the route gives). Default none. */
  vectors?: boolean | number;
  /** Dense route's storage precision (default float64). The factor route always works in float64. */
  dtype?: Dtype;
  /** Forces the dense route under auto, with this reason (e.g. the caller needs the matrix itself). */
  denseBecause?: string;
  /** Dense route only: called with the assembled matrix before its eigensolve (e.g. to save it). */
  keepMatrix?: (matrix: Matrix) => Promise<void>;
  /**
   * The matrix already assembled (e.g. by a shared pass over several matrices), its assembly
   * seconds and the dense-route plan made before it was assembled: it is eigensolved instead of
   * assembling again, and disposed after.
   */
  assembled?: { matrix: Matrix; seconds: number; plan: RoutePlan };
  /** Threads of the native work (default: setThreads's value, else all cores); results do not depend on it. */
  threads?: number;
  /** Dense route: assemble into this pool's matrix and keep it there after (./buffers.ts) instead of disposing it. */
  buffers?: MatrixBuffers;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface CurvatureSpectrum {
  matrix: MatrixName;
  /** All M eigenvalues, ascending. */
  values: Float64Array;
  route: 'dense' | 'factor';
  /** The order of the eigensolved matrix: M (dense) or r (factor; M − r eigenvalues are exact zeros). */
  rank: number;
  reason: string;
  plan: RoutePlan;
  /** Eigenvectors (M x k, column j for values[vectorIndex[j]]); dispose when done. */
  vectors?: Matrix;
  vectorIndex?: number[];
  driver: string;
  /** Seconds: building (assembly, or factors + basis + small matrix), eigensolve, total. */
  seconds: { build: number; eigensolve: number; total: number };
}

export async function curvatureSpectrum(model: ModelSpec, params: Float64Array, data: LabelledData, matrix: MatrixName, options: SpectrumOptions = {}): Promise<CurvatureSpectrum> {
  const spec = validateModelInputs(model, params, data);
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  requireOneOf('matrix', matrix, MATRIX_NAMES);
  const route = requireOneOf('options.route', options.route ?? 'auto', ['auto', 'dense', 'factor'] as const);
  const v = options.vectors ?? false;
  if (typeof v !== 'boolean') requireInteger('options.vectors', v, 0);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw typeError('options.onProgress', 'a function', options.onProgress);
  const threads = jobThreads(options.threads, 'options.threads');  // 0: all cores (the raw request's default)
  const start = process.hrtime.bigint();
  const plan = options.assembled?.plan ?? planRoute(spec, data.y.length, matrix, route, { dtype: options.dtype, vectors: v !== false && v !== 0, forceDense: options.denseBecause });
  if (options.assembled && plan.route !== 'dense') throw new RangeError('options.assembled needs a dense-route plan');
  const M = params.length;
  if (plan.route === 'factor') {
    ensureMemory(`the factor route for ${matrix} (r = ${plan.factor.rank})`, M, plan.factor.bytes, "try route 'dense' with dtype float32, or fewer samples");
    const count = v === true ? -1 : v === false ? 0 : Math.min(v, plan.factor.rank);
    const raw = await withCancellation(options.signal, (token) =>
      binding().factorSpectrum(toRawModel(spec), params, data.X, data.y, { kind: matrix, vectors: count, threads }, token, options.onProgress));
    return {
      matrix, values: raw.values, route: 'factor', rank: raw.rank, reason: plan.reason, plan,
      ...(raw.vectors ? { vectors: new Matrix(raw.vectors), vectorIndex: Array.from(raw.vectorIndex) } : {}),
      driver: raw.driver,
      seconds: { build: raw.factorSeconds, eigensolve: raw.eigenSeconds, total: Number(process.hrtime.bigint() - start) / 1e9 },
    };
  }
  const report = (stage: string, lo: number, hi: number) => (_s: string, f: number) => options.onProgress?.(stage, lo + (hi - lo) * f);
  const assembled = options.assembled ?? await assembleOne(spec, params, data, matrix, options, report('assembly', 0, 0.5));
  const { matrix: m, seconds } = assembled;
  try {
    if (options.keepMatrix) await options.keepMatrix(m);
    const eigStart = process.hrtime.bigint();
    const all = v === true || (typeof v === 'number' && v >= M);
    const e = await m.eigen({ vectors: all, threads: options.threads, signal: options.signal, onProgress: report('eigensolve', 0.5, 1) });
    let vectors = e.vectors, vectorIndex = all ? Array.from({ length: M }, (_, i) => i) : undefined;
    if (!all && typeof v === 'number' && v > 0) {
      const top = await m.eigen({ top: v, vectors: true, threads: options.threads, signal: options.signal });
      vectors = top.vectors;
      vectorIndex = Array.from({ length: v }, (_, i) => M - v + i);
    }
    return {
      matrix, values: e.values, route: 'dense', rank: M, reason: plan.reason, plan,
      ...(vectors ? { vectors, vectorIndex } : {}),
      driver: e.driver,
      seconds: { build: seconds, eigensolve: Number(process.hrtime.bigint() - eigStart) / 1e9, total: Number(process.hrtime.bigint() - start) / 1e9 },
    };
  } finally {
    if (options.buffers) options.buffers.keep(matrix, m);
    else m.dispose();
  }
}

async function assembleOne(spec: NormalizedModel, params: Float64Array, data: LabelledData, matrix: MatrixName, options: SpectrumOptions,
  onProgress: ProgressCallback): Promise<{ matrix: Matrix; seconds: number }> {
  const M = parameterCount(spec);
  const into = options.buffers?.take(matrix, M, M, options.dtype ?? 'float64');
  const { matrices, seconds } = await computeCurvature(spec, params, data, {
    matrices: [matrix], dtype: options.dtype, threads: options.threads, signal: options.signal, onProgress, ...(into ? { into: { [matrix]: into } } : {}),
  }).catch((err) => {
    into?.dispose();
    throw err;
  });
  return { matrix: matrices[matrix]!, seconds };
}
