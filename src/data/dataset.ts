/**
 * The Dataset record every data source returns, its validation, and the helpers the sources share
 * (option checking, class-balanced labels, one-line description).
 */
import { rangeError, requireAllFinite, requireInteger, typeError } from '../util/errors';
import type { Rng } from './rng';
import type { GaussianMixtureSpec } from './gaussianMixture';
import type { TwoBlobsSpec } from './twoBlobs';
import type { MnistSpec } from './mnist';
import type { RandomInputsSpec } from './randomInputs';
import type { FilesSpec } from './files';
import type { ArraysSpec } from './arrays';

/** JSON-able options that regenerate a dataset exactly (datasetFromSpec); `kind` selects the source. */
export type DatasetSpec = GaussianMixtureSpec | TwoBlobsSpec | MnistSpec | RandomInputsSpec | FilesSpec | ArraysSpec;

export interface Dataset {
  /** N×d inputs, row-major. */
  X: Float64Array;
  /** Labels in 0..k−1. */
  y: Int32Array;
  N: number;
  d: number;
  k: number;
  classCounts: number[];
  /** The seed that generated the data; null when it was read from files. */
  seed: number | null;
  name: string;
  spec: DatasetSpec;
  /** Held-out samples from the same distribution (same d and k), if requested. */
  test?: Dataset;
}

/** Assembles a Dataset after checking shapes, finiteness and labels; computes class counts. */
export function makeDataset(fields: Omit<Dataset, 'N' | 'classCounts'>): Dataset {
  const { X, y, d, k, test, ...rest } = fields;
  requireInteger('d', d, 1);
  requireInteger('k', k, 2);
  const N = y.length;
  if (N === 0) throw rangeError('N', 'at least 1 sample', N);
  if (X.length !== N * d) throw rangeError('X', `length N·d = ${N}·${d} = ${N * d}`, X);
  requireAllFinite('X', X);
  const classCounts = new Array<number>(k).fill(0);
  y.forEach((label, i) => {
    if (label < 0 || label >= k) throw rangeError('y', `labels in [0, ${k - 1}]`, `${label} at index ${i}`);
    classCounts[label]++;
  });
  const ds: Dataset = { X, y, N, d, k, classCounts, ...rest };
  return test ? { ...ds, test } : ds;
}

/** Inputs (n×d, row-major) and labels of n samples. */
export type Samples = { X: Float64Array; y: Int32Array };

/** A training Dataset plus, when drawn, its test split (same d, k, seed and spec). */
export function withTestSplit(
  common: Pick<Dataset, 'd' | 'k' | 'seed' | 'spec' | 'name'>,
  train: Samples,
  test: Samples | null,
): Dataset {
  const testSet = test ? makeDataset({ ...common, ...test, name: `${common.name} (test)` }) : undefined;
  return makeDataset({ ...common, ...train, test: testSet });
}

/** How class sizes are chosen; see classLabels. */
export type Balance = 'equal' | 'random';
export const BALANCES: readonly Balance[] = ['equal', 'random'];

/**
 * Labels for N samples of k classes in random order. 'equal': ⌊N/k⌋ per class, the remainder
 * going to the first classes; 'random': i.i.d. uniform classes (sizes vary; with N close to k
 * some classes can be empty).
 */
export function classLabels(N: number, k: number, balance: Balance, rng: Rng): Int32Array {
  const y = new Int32Array(N);
  if (balance === 'random') {
    for (let i = 0; i < N; i++) y[i] = rng.int(k);
    return y;
  }
  for (let i = 0; i < N; i++) y[i] = i % k; // i % k gives the remainder to the first classes
  return rng.shuffle(y);
}

/** Options must be a plain object without unknown keys (a typo must not silently use a default). */
export function checkOptions(param: string, options: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw typeError(param, 'an options object', options);
  }
  const unknown = Object.keys(options).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw rangeError(param, `an object with keys among ${allowed.join(', ')}`, `unknown key(s) ${unknown.join(', ')}`);
  }
  return options as Record<string, unknown>;
}

/** One line: name, shape, classes, seed, test size. */
export function describeDataset(ds: Dataset): string {
  const test = ds.test ? `, test N=${ds.test.N}` : '';
  const seed = ds.seed === null ? 'no seed' : `seed ${ds.seed}`;
  return `${ds.name}: N=${ds.N} × d=${ds.d}, k=${ds.k}, class counts [${ds.classCounts.join(', ')}], ${seed}${test}`;
}
