/**
 * Matrix: a dense matrix held in native memory (a Hessian, a GGN, eigenvectors). JavaScript sees
 * blocks, columns and eigen-decompositions on request, never an accidental 25 GB copy.
 * Call dispose() when done (or rely on garbage collection, later); one async operation at a time.
 */
import { binding, ProgressCallback, RawDtype, RawMatrix } from '../native/binding';
import { isFloat64Array, requireInteger, requireOneOf, typeError, rangeError, optionsObject, orDefault } from '../util/errors';
import { withCancellation } from './abort';
import { ensureMemory } from './memory';
import { jobThreads } from './threads';

export type Dtype = RawDtype;
export const EIGEN_DRIVERS = ['auto', 'syevd', 'syevd_2stage', 'syevr'] as const;
export type EigenDriver = (typeof EIGEN_DRIVERS)[number];

export interface EigenOptions {
  /** Also return eigenvectors (as a Matrix, eigenvector j in column j). Default false. */
  vectors?: boolean;
  /** Only the k largest eigenvalues (ascending order is kept: the last is the largest). */
  top?: number;
  /** Only the k smallest eigenvalues. */
  bottom?: number;
  /** An explicit 0-based inclusive index range in ascending order. */
  range?: { first: number; last: number };
  /** LAPACK driver: auto (default, chosen by measurement), syevd, syevd_2stage, syevr. */
  driver?: EigenDriver;
  /** With vectors: also return ||A v_j - lambda_j v_j|| for each pair. */
  residuals?: boolean;
  /** OpenBLAS threads of this solve (default: setThreads's value, else all cores). */
  threads?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface Eigen {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Index (0-based, ascending order) of values[0] in the full spectrum. */
  first: number;
  vectors?: Matrix;
  residuals?: Float64Array;
  /** The LAPACK routine that ran. */
  driver: string;
  seconds: number;
}

export class Matrix {
  /** @internal */
  constructor(private readonly raw: RawMatrix) {}

  /** A copy of a row-major array as a native matrix (for tests, and for methods on explicit matrices). */
  static fromArray(data: Float64Array, rows: number, cols: number, dtype: Dtype = 'float64'): Matrix {
    if (!isFloat64Array(data)) throw typeError('data', 'a Float64Array', data);
    requireInteger('rows', rows, 1);
    requireInteger('cols', cols, 1);
    if (data.length !== rows * cols) throw rangeError('data.length', `rows * cols = ${rows * cols}`, data.length);
    requireOneOf('dtype', dtype, ['float64', 'float32'] as const);
    return new Matrix(binding().Matrix.fromArray(data, rows, cols, dtype));
  }

  get rows(): number { return this.raw.rows; }
  get cols(): number { return this.raw.cols; }
  get dtype(): Dtype { return this.raw.dtype ?? 'float64'; }
  get disposed(): boolean { return this.raw.disposed; }

  private live(): void {
    if (this.raw.disposed) throw new Error('this Matrix has been disposed');
  }

  /** Rows [r0, r1) x columns [c0, c1), row-major, as float64. */
  block(r0: number, r1: number, c0: number, c1: number): Float64Array {
    this.live();
    requireInteger('rowBegin', r0, 0, this.rows);
    requireInteger('rowEnd', r1, r0, this.rows);
    requireInteger('colBegin', c0, 0, this.cols);
    requireInteger('colEnd', c1, c0, this.cols);
    return this.raw.block(r0, r1, c0, c1);
  }

  row(i: number): Float64Array {
    this.live();
    requireInteger('row', i, 0, this.rows - 1);
    return this.raw.block(i, i + 1, 0, this.cols);
  }

  column(j: number): Float64Array {
    this.live();
    requireInteger('column', j, 0, this.cols - 1);
    return this.raw.block(0, this.rows, j, j + 1);
  }

  /** The whole matrix, row-major (a copy: refused above 2^27 entries, use block()). */
  toArray(): Float64Array {
    this.live();
    if (this.rows * this.cols > 2 ** 27) {
      throw new RangeError(`toArray() would copy ${this.rows} x ${this.cols} entries into JavaScript; use block() or saveNpy()`);
    }
    return this.raw.block(0, this.rows, 0, this.cols);
  }

  /** A times each of `count` vectors stored one after another in `vectors` (BLAS-3). */
  async multiply(vectors: Float64Array, count = 1, options?: { signal?: AbortSignal }): Promise<Float64Array> {
    this.live();
    options = optionsObject('options', options);
    if (!isFloat64Array(vectors)) throw typeError('vectors', 'a Float64Array', vectors);
    requireInteger('count', count, 1);
    if (vectors.length !== count * this.cols) throw rangeError('vectors.length', `count * ${this.cols} = ${count * this.cols}`, vectors.length);
    return withCancellation(options.signal, (token) => this.raw.multiply(vectors, count, token));
  }

  /** Eigenvalues (ascending) and optionally eigenvectors of this symmetric matrix. */
  async eigen(options: EigenOptions = {}): Promise<Eigen> {
    if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
    this.live();
    if (this.rows !== this.cols) throw new RangeError(`eigen() needs a square matrix; this one is ${this.rows} x ${this.cols}`);
    const n = this.rows;
    const chosen = [options.top, options.bottom, options.range].filter((v) => v !== undefined).length;
    if (chosen > 1) throw new RangeError('options: give at most one of top, bottom, range');
    let first = -1, last = -1;
    if (options.top !== undefined) { requireInteger('options.top', options.top, 1, n); first = n - options.top; last = n - 1; }
    if (options.bottom !== undefined) { requireInteger('options.bottom', options.bottom, 1, n); first = 0; last = options.bottom - 1; }
    if (options.range !== undefined) {
      if (typeof options.range !== 'object' || options.range === null) throw typeError('options.range', 'an object {first, last}', options.range);
      requireInteger('options.range.first', options.range.first, 0, n - 1);
      requireInteger('options.range.last', options.range.last, options.range.first, n - 1);
      first = options.range.first; last = options.range.last;
    }
    const driver = requireOneOf('options.driver', orDefault(options.driver, 'auto'), EIGEN_DRIVERS);
    if (first >= 0 && driver !== 'auto' && driver !== 'syevr') throw new RangeError(`options.driver must be auto or syevr for an index range; received "${driver}"`);
    if (options.vectors && driver === 'syevd_2stage') throw new RangeError('options.driver syevd_2stage computes eigenvalues only; drop vectors or pick syevd');
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw typeError('options.onProgress', 'a function', options.onProgress);
    const request = { vectors: !!options.vectors, ...(first >= 0 ? { first, last } : {}) };
    const threads = jobThreads(options.threads, 'options.threads');
    ensureMemory('eigendecomposition', n, binding().eigenWorkspaceBytes(n, this.dtype, request),
      options.vectors ? 'ask for a range of eigenvectors (top/bottom) instead of all' : 'use a float32 matrix');
    const start = process.hrtime.bigint();
    const raw = await withCancellation(options.signal, (token) =>
      this.raw.eigen({ ...request, driver, residuals: !!options.residuals, threads }, token, options.onProgress));
    return {
      values: raw.values,
      first: first >= 0 ? first : 0,
      vectors: raw.vectors ? new Matrix(raw.vectors) : undefined,
      residuals: raw.residuals,
      driver: raw.driver,
      seconds: Number(process.hrtime.bigint() - start) / 1e9,
    };
  }

  /** Writes the matrix as .npy (atomically: temp file + rename). NumPy reads it with np.load. */
  async saveNpy(path: string): Promise<void> {
    if (typeof path !== 'string' || path.length === 0) throw typeError('path', 'a non-empty string', path);
    if (path.includes('\0')) throw typeError('path', 'a string without NUL bytes', path);
    this.live();
    return this.raw.saveNpy(path);
  }

  /** Frees the native memory now. Further use throws. */
  dispose(): void {
    if (!this.raw.disposed) this.raw.dispose();
  }
}

/** @internal The native handle of a Matrix, for engine code that passes it to the binding (e.g. as an output to reuse). */
export function rawMatrixOf(m: Matrix): RawMatrix {
  return (m as unknown as { raw: RawMatrix }).raw;
}
