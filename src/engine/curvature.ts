/**
 * The engine's entry points: loss and gradients, and the exact curvature matrices of the mean
 * training loss of a model, MLP or sequential (Hessian H, Gauss-Newton G, residual R = H - G by its own route, and
 * the uncentered gradient covariance C), assembled natively with BLAS-3.
 */
import { binding, ProgressCallback, RawKind } from '../native/binding';
import { firstNonFinite, isFloat64Array, isInt32Array, rangeError, requireInteger, requireOneOf, typeError, optionsObject, orDefault } from '../util/errors';
import { withCancellation } from './abort';
import { Dtype, Matrix, rawMatrixOf } from './matrix';
import { ensureMemory } from './memory';
import { jobThreads, setThreads } from './threads';
import { classCount, inputSize, isSequential, ModelSpec, NormalizedModel, normalizeModel, parameterCount, toRawModel } from './model';

export const MATRIX_NAMES = ['hessian', 'ggn', 'residual', 'gradient_covariance'] as const;
export type MatrixName = (typeof MATRIX_NAMES)[number];

/** Inputs N x d0 row-major (d0 = inputSize(model); a sample's [C, H, W] flattened row-major), labels N class indices. */
export interface LabelledData {
  X: Float64Array;
  y: Int32Array;
}

export interface Evaluation {
  loss: number;
  losses: Float64Array;
  /** Network outputs (logits), N x k row-major. */
  outputs: Float64Array;
  gradient: Float64Array;
  gradientNorm: number;
  /** N x M row-major, when asked for. */
  perSampleGradients?: Float64Array;
}

export interface CurvatureOptions {
  /** Which matrices (default hessian, ggn, residual). */
  matrices?: MatrixName[];
  /** Storage precision (default float64; float32 halves memory, values rounded once at the end). */
  dtype?: Dtype;
  /** Only rows [begin, end) x columns [begin, end) of each matrix (parameter order). */
  rows?: [number, number];
  cols?: [number, number];
  /** Threads of this job (default: setThreads's value, else all cores); results do not depend on it. */
  threads?: number;
  /**
   * Matrices to write into instead of allocating new ones (each rows x cols of `dtype`, not in use
   * by another operation), e.g. the previous result for the same model: repeated analyses (a λ1
   * trajectory, interpolation spectra) then pay the first touch of M x M pages once. Every entry is
   * overwritten; the result's matrices are these same objects. See also ./buffers.ts.
   */
  into?: Partial<Record<MatrixName, Matrix>>;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface CurvatureResult {
  matrices: Partial<Record<MatrixName, Matrix>>;
  /** Wall seconds of the native assembly (after the outputs were allocated). */
  seconds: number;
  /** Wall seconds spent allocating (first-touching) the output matrices. */
  allocationSeconds: number;
  parameters: number;
}

/** Checks model, parameters and data; returns the normalised model. Messages name the field. */
export function validateModelInputs(model: ModelSpec, params: Float64Array, data: LabelledData): NormalizedModel {
  const spec = normalizeModel(model);
  const M = parameterCount(spec);
  if (!isFloat64Array(params)) throw typeError('params', 'a Float64Array', params);
  const of = isSequential(spec) ? 'the sequential model' : `layers [${spec.layers}]`;
  if (params.length !== M) throw rangeError('params.length', `${M} (the parameter count of ${of})`, params.length);
  let bad = firstNonFinite(params);
  if (bad >= 0) throw rangeError(`params[${bad}]`, 'finite', params[bad]);
  if (typeof data !== 'object' || data === null) throw typeError('data', 'an object {X, y}', data);
  if (!isFloat64Array(data.X)) throw typeError('data.X', 'a Float64Array (N x inputs, row-major)', data.X);
  if (!isInt32Array(data.y)) throw typeError('data.y', 'an Int32Array of class indices', data.y);
  const d0 = inputSize(spec), N = data.y.length;
  if (N < 1) throw rangeError('data.y.length', 'at least 1 sample', N);
  if (data.X.length !== N * d0) throw rangeError('data.X.length', `N * inputs = ${N} * ${d0} = ${N * d0}`, data.X.length);
  bad = firstNonFinite(data.X);
  if (bad >= 0) throw rangeError(`data.X[${Math.floor(bad / d0)}][${bad % d0}]`, 'finite', data.X[bad]);
  const k = classCount(spec);
  for (let i = 0; i < N; i++) {
    if (data.y[i] < 0 || data.y[i] >= k) throw rangeError(`data.y[${i}]`, `a class index in [0, ${k - 1}]`, data.y[i]);
  }
  return spec;
}

/** Loss, gradient and (optionally) per-sample gradients. O(M N): synchronous. */
export function evaluate(model: ModelSpec, params: Float64Array, data: LabelledData, options?: { perSample?: boolean }): Evaluation {
  const spec = validateModelInputs(model, params, data);
  options = optionsObject('options', options);
  if (options.perSample !== undefined && typeof options.perSample !== 'boolean') throw typeError('options.perSample', 'a boolean', options.perSample);
  if (options.perSample) {
    const M = parameterCount(spec);
    ensureMemory('per-sample gradients', M, 8 * M * data.y.length, 'use fewer samples');
  }
  const r = binding().evaluate(toRawModel(spec), params, data.X, data.y, { perSample: !!options.perSample });
  let s = 0;
  for (const g of r.gradient) s += g * g;
  return { ...r, gradientNorm: Math.sqrt(s) };
}

/** Bytes that assembling these matrices will allocate (outputs + workspace). */
export function curvatureMemoryBytes(model: ModelSpec, N: number, matrices: MatrixName[], dtype: Dtype, rows?: [number, number], cols?: [number, number], threads?: number): number {
  const spec = normalizeModel(model);
  const M = parameterCount(spec);
  const r = rows ? rows[1] - rows[0] : M, c = cols ? cols[1] - cols[0] : M;
  const out = matrices.length * r * c * (dtype === 'float32' ? 4 : 8);
  return out + binding().assemblyWorkspaceBytes(toRawModel(spec), N, matrices as RawKind[], jobThreads(threads));
}

function checkRange(name: string, range: [number, number] | undefined, M: number): void {
  if (range === undefined) return;
  if (!Array.isArray(range) || range.length !== 2) throw typeError(name, 'a pair [begin, end)', range);
  requireInteger(`${name}[0]`, range[0], 0, M - 1);
  requireInteger(`${name}[1]`, range[1], range[0] + 1, M);
}

/**
 * Assembles the requested curvature matrices of the mean loss at `params`. Resolves to native
 * Matrix handles (dispose them when done). Refuses, before allocating, what memory cannot hold.
 */
export async function computeCurvature(model: ModelSpec, params: Float64Array, data: LabelledData, options: CurvatureOptions = {}): Promise<CurvatureResult> {
  const spec = validateModelInputs(model, params, data);
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const matrices = orDefault<MatrixName[]>(options.matrices, ['hessian', 'ggn', 'residual']);
  if (!Array.isArray(matrices) || matrices.length === 0) throw typeError('options.matrices', `a non-empty array of ${MATRIX_NAMES.join(' | ')}`, matrices);
  matrices.forEach((m, i) => requireOneOf(`options.matrices[${i}]`, m, MATRIX_NAMES));
  if (new Set(matrices).size !== matrices.length) throw rangeError('options.matrices', 'names without repeats', matrices.join(','));
  const dtype = requireOneOf('options.dtype', orDefault(options.dtype, 'float64'), ['float64', 'float32'] as const);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw typeError('options.onProgress', 'a function', options.onProgress);
  const M = parameterCount(spec);
  checkRange('options.rows', options.rows, M);
  checkRange('options.cols', options.cols, M);
  const threads = jobThreads(options.threads);
  const into = options.into ?? {};
  if (typeof into !== 'object' || into === null) throw typeError('options.into', 'an object { matrix name: Matrix }', into);
  for (const [name, m] of Object.entries(into)) {
    if (m === undefined) continue;
    if (!matrices.includes(name as MatrixName)) throw rangeError('options.into', `keys among the requested matrices (${matrices.join(', ')})`, name);
    if (!(m instanceof Matrix)) throw typeError(`options.into.${name}`, 'a Matrix', m);
  }
  const fresh = matrices.filter((name) => into[name] === undefined);
  const outputBytes = (options.rows ? options.rows[1] - options.rows[0] : M) * (options.cols ? options.cols[1] - options.cols[0] : M) * (dtype === 'float32' ? 4 : 8);
  const needed = curvatureMemoryBytes(spec, data.y.length, matrices, dtype, options.rows, options.cols, options.threads) - (matrices.length - fresh.length) * outputBytes;
  ensureMemory(`assembling ${matrices.join(', ')} (${dtype})`, M, needed,
    dtype === 'float64' ? `try dtype float32 (about half), fewer matrices, or a block (rows/cols)` : 'try fewer matrices or a block (rows/cols)');
  const raw = await withCancellation(options.signal, (token) =>
    binding().assemble(toRawModel(spec), params, data.X, data.y, {
      kinds: matrices as RawKind[],
      dtype,
      threads,
      ...(options.rows ? { rowBegin: options.rows[0], rowEnd: options.rows[1] } : {}),
      ...(options.cols ? { colBegin: options.cols[0], colEnd: options.cols[1] } : {}),
      ...(fresh.length < matrices.length ? { outputs: matrices.map((name) => (into[name] ? rawMatrixOf(into[name]!) : undefined)) } : {}),
    }, token, options.onProgress));
  const out: Partial<Record<MatrixName, Matrix>> = {};
  for (const name of matrices) out[name] = into[name] ?? new Matrix(raw.matrices[name]!);
  return { matrices: out, seconds: raw.seconds, allocationSeconds: raw.allocationSeconds, parameters: M };
}

export { setThreads };
