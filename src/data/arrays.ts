/**
 * A dataset from arrays a caller already holds (their own data, read from anywhere): the Dataset
 * record train() and the analyses take, with no file or generator behind it. Its spec records
 * only the shape, so a checkpoint of such a run names what it was trained on but cannot rebuild
 * it: resuming needs the arrays passed again (train's options.dataset).
 */
import { isFloat64Array, isInt32Array, rangeError, requireInteger, typeError } from '../util/errors';
import { checkOptions, Dataset, makeDataset } from './dataset';

export interface ArraysOptions {
  /** N×d inputs, row-major. */
  X: Float64Array;
  /** N labels in 0..k−1. */
  y: Int32Array;
  /** Features per sample (default X.length / N). */
  d?: number;
  /** Number of classes (default max(y) + 1, at least 2). */
  k?: number;
  /** Held-out samples (same d and k). */
  test?: { X: Float64Array; y: Int32Array };
  /** A name for messages and reports (default "arrays"). */
  name?: string;
}

export type ArraysSpec = { kind: 'arrays'; N: number; d: number; k: number; testN: number };

function samples(param: string, X: unknown, y: unknown): { X: Float64Array; y: Int32Array } {
  if (!isFloat64Array(X)) throw typeError(`${param}.X`, 'a Float64Array (N×d, row-major)', X);
  if (!isInt32Array(y)) throw typeError(`${param}.y`, 'an Int32Array of class indices', y);
  if (y.length === 0) throw rangeError(`${param}.y`, 'at least one label', y);
  return { X, y };
}

/** Wraps caller-held arrays as a Dataset (shapes, finiteness and labels checked; no copy). */
export function fromArrays(options: ArraysOptions): Dataset {
  const o = checkOptions('fromArrays options', options, ['X', 'y', 'd', 'k', 'test', 'name']);
  const train = samples('options', o.X, o.y);
  const N = train.y.length;
  const d = o.d === undefined ? train.X.length / N : requireInteger('options.d', o.d, 1);
  if (!Number.isInteger(d) || d < 1) throw rangeError('options.X', `a multiple of N = ${N} numbers (N labels in y)`, `${train.X.length} numbers`);
  const test = o.test === undefined ? undefined : samples('options.test', (o.test as { X: unknown }).X, (o.test as { y: unknown }).y);
  let maxLabel = 0;
  for (const v of [train.y, test?.y ?? new Int32Array(0)]) for (const label of v) maxLabel = Math.max(maxLabel, label);
  const k = o.k === undefined ? Math.max(2, maxLabel + 1) : requireInteger('options.k', o.k, 2);
  const name = o.name === undefined ? 'arrays' : String(o.name);
  const spec: ArraysSpec = { kind: 'arrays', N, d, k, testN: test ? test.y.length : 0 };
  const testSet = test ? makeDataset({ ...test, d, k, seed: null, name: `${name} (test)`, spec }) : undefined;
  return makeDataset({ ...train, d, k, seed: null, name, spec, test: testSet });
}
