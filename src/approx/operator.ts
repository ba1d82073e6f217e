/**
 * LinearOperator: what every approximate method sees of a symmetric matrix — its size and a
 * block product — plus a counter of matrix-vector products (a block of k vectors counts k), the
 * cost measure of the comparison. Implemented by:
 *  - curvatureOperator: the matrix-free native H or G products (full data or a mini-batch);
 *  - denseOperator: an explicit native Matrix (Matrix.multiply), to tell algorithmic error apart
 *    from mini-batch noise;
 *  - functionOperator / diagonalOperator: anything else (tests, known spectra).
 */
import { LabelledData, validateModelInputs } from '../engine/curvature';
import { withCancellation } from '../engine/abort';
import { Matrix } from '../engine/matrix';
import { ensureMemory } from '../engine/memory';
import { ModelSpec, parameterCount, toRawModel } from '../engine/model';
import { jobThreads } from '../engine/threads';
import { Rng } from '../data/rng';
import { binding, ProgressCallback } from '../native/binding';
import { isFloat64Array, isInt32Array, rangeError, requireAllFinite, requireInteger, requireOneOf, throwIfAborted, typeError, orDefault } from '../util/errors';

export interface LinearOperator {
  /** Dimension: the operator maps R^n to R^n. */
  readonly n: number;
  /** Matrix-vector products so far (a block of k vectors counts k). */
  readonly matvecs: number;
  /** A times each of the k vectors of `block` (vector j at [j*n, (j+1)*n)); a new array, same layout. */
  apply(block: Float64Array, k: number, signal?: AbortSignal): Promise<Float64Array>;
}

type BlockProduct = (block: Float64Array, k: number, signal?: AbortSignal) => Promise<Float64Array> | Float64Array;

class CountingOperator implements LinearOperator {
  private count = 0;
  constructor(readonly n: number, private readonly product: BlockProduct) {}
  get matvecs(): number { return this.count; }

  async apply(block: Float64Array, k: number, signal?: AbortSignal): Promise<Float64Array> {
    if (!isFloat64Array(block)) throw typeError('block', 'a Float64Array', block);
    requireInteger('k', k, 1);
    if (block.length !== k * this.n) throw rangeError('block.length', `k * n = ${k} * ${this.n} = ${k * this.n}`, block.length);
    throwIfAborted(signal);
    const out = await this.product(block, k, signal);
    this.count += k;
    return out;
  }
}

/** An operator from any block product (the caller vouches for symmetry). */
export function functionOperator(n: number, product: BlockProduct): LinearOperator {
  requireInteger('n', n, 1);
  if (typeof product !== 'function') throw typeError('product', 'a function (block, k) => Float64Array', product);
  return new CountingOperator(n, product);
}

/** diag(values) as an operator: a matrix with a known spectrum, for tests and calibration. */
export function diagonalOperator(values: Float64Array | number[]): LinearOperator {
  const d = Float64Array.from(values);
  if (d.length === 0) throw rangeError('values', 'a non-empty list', values);
  requireAllFinite('values', d);
  const n = d.length;
  return new CountingOperator(n, (block, k) => {
    const out = new Float64Array(k * n);
    for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) out[j * n + i] = d[i] * block[j * n + i];
    return out;
  });
}

/** An explicit square Matrix (native, BLAS-3 multiply). The Matrix stays the caller's to dispose. */
export function denseOperator(matrix: Matrix): LinearOperator {
  if (!(matrix instanceof Matrix)) throw typeError('matrix', 'a Matrix', matrix);
  if (matrix.rows !== matrix.cols) throw rangeError('matrix', 'a square matrix', `${matrix.rows} x ${matrix.cols}`);
  return new CountingOperator(matrix.rows, (block, k, signal) => matrix.multiply(block, k, { signal }));
}

export interface CurvatureOperatorOptions {
  /** hessian (default) or ggn (Gauss-Newton). */
  matrix?: 'hessian' | 'ggn';
  /** Sample indices of a mini-batch; the operator is the curvature of the mean loss over them. Default: all. */
  samples?: Int32Array;
  /** Largest block the operator is asked to apply at once (for the memory check; default 64). */
  maxBlock?: number;
  onProgress?: ProgressCallback;
}

/**
 * The matrix-free Hessian or Gauss-Newton operator of the mean loss (native/core/hvp.h): per
 * vector ~12 M B flops (H) or ~8 M B (G) for B samples, plus one forward pass per block.
 */
export function curvatureOperator(model: ModelSpec, params: Float64Array, data: LabelledData, options: CurvatureOperatorOptions = {}): LinearOperator {
  const spec = validateModelInputs(model, params, data);
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const kind = requireOneOf('options.matrix', orDefault(options.matrix, 'hessian'), ['hessian', 'ggn'] as const);
  const N = data.y.length;
  const samples = options.samples;
  if (samples !== undefined) {
    if (!isInt32Array(samples)) throw typeError('options.samples', 'an Int32Array of sample indices', samples);
    if (samples.length < 1) throw rangeError('options.samples', 'at least 1 index', samples);
    for (let t = 0; t < samples.length; t++) {
      if (samples[t] < 0 || samples[t] >= N) throw rangeError(`options.samples[${t}]`, `a sample index in [0, ${N - 1}]`, samples[t]);
    }
  }
  const maxBlock = requireInteger('options.maxBlock', options.maxBlock ?? 64, 1);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw typeError('options.onProgress', 'a function', options.onProgress);
  const raw = toRawModel(spec);
  const M = parameterCount(spec);
  ensureMemory('matrix-free curvature products', M, binding().productsWorkspaceBytes(raw, samples?.length ?? N, maxBlock), 'use a smaller block or mini-batch');
  return new CountingOperator(M, (block, k, signal) =>
    withCancellation(signal, (token) =>
      binding().curvatureProducts(raw, params, data.X, data.y, { kind, threads: jobThreads(), ...(samples ? { samples } : {}) }, block, k, token, options.onProgress)));
}

/** A sorted random subset of `size` distinct sample indices out of N (a mini-batch), seeded. */
export function sampleBatch(N: number, size: number, seed: number): Int32Array {
  requireInteger('N', N, 1);
  requireInteger('size', size, 1, N);
  const perm = new Rng(seed).permutation(N);
  return perm.slice(0, size).sort();
}
