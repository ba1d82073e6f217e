/**
 * A dataset read from disk: an N×d input matrix and N integer labels, each as .npy or .csv.
 * The spec records the paths as given (relative paths resolve against the working directory at
 * load time) and the class count k, which defaults to max(label) + 1.
 */
import * as path from 'path';
import { rangeError, requireAllFinite, requireInteger, typeError } from '../util/errors';
import { readCsv, readLabelsCsv } from '../io/csv';
import { toInt32Labels } from '../io/labels';
import { readNpy } from '../io/npy';
import { Dataset, checkOptions, makeDataset } from './dataset';

export interface FilesOptions {
  /** N×d inputs: a 2-D .npy (any numeric dtype) or a numeric .csv (header optional). */
  inputs: string;
  /** N labels in 0..k−1: a .npy of shape (N,) or (N, 1), or a one-column .csv. */
  labels: string;
  k?: number;
}

export type FilesSpec = { kind: 'files' } & Required<FilesOptions>;

function extensionOf(param: string, file: unknown): '.npy' | '.csv' {
  if (typeof file !== 'string') throw typeError(param, 'a path string', file);
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.npy' && ext !== '.csv') throw rangeError(param, 'a path ending in .npy or .csv', file);
  return ext;
}

function readInputs(file: string, ext: '.npy' | '.csv'): { X: Float64Array; N: number; d: number } {
  let m: { X: Float64Array; N: number; d: number };
  if (ext === '.csv') {
    const csv = readCsv(file);
    m = { X: csv.data, N: csv.rows, d: csv.cols };
  } else {
    const { data, shape } = readNpy(file);
    if (shape.length !== 2) throw rangeError('inputs', `a 2-D array (N×d) in ${file}`, `shape (${shape.join(', ')})`);
    m = { X: Float64Array.from(data as ArrayLike<number | bigint>, Number), N: shape[0], d: shape[1] };
  }
  requireAllFinite(`inputs (${file})`, m.X);
  return m;
}

function readLabels(file: string, ext: '.npy' | '.csv'): Int32Array {
  if (ext === '.csv') return readLabelsCsv(file);
  const { data, shape } = readNpy(file);
  if (shape.length === 0 || shape.length > 2 || (shape.length === 2 && shape[1] !== 1)) {
    throw rangeError('labels', `a vector of shape (N,) or (N, 1) in ${file}`, `shape (${shape.join(', ')})`);
  }
  return toInt32Labels(data as ArrayLike<number | bigint>, file);
}

export function fromFiles(options: FilesOptions): Dataset {
  const o = checkOptions('fromFiles options', options, ['inputs', 'labels', 'k']);
  // Both paths are checked before either (possibly large) file is read.
  const inputsExt = extensionOf('inputs', o.inputs);
  const labelsExt = extensionOf('labels', o.labels);
  const inputs = o.inputs as string;
  const labels = o.labels as string;
  const { X, N, d } = readInputs(inputs, inputsExt);
  const y = readLabels(labels, labelsExt);
  if (y.length !== N) throw rangeError('labels', `${N} labels, one per row of ${inputs}`, `${y.length} in ${labels}`);
  const maxLabel = y.reduce((m, v) => Math.max(m, v), -1);
  const k = requireInteger('k', o.k ?? Math.max(maxLabel + 1, 2), 2);
  y.forEach((v, i) => {
    if (v < 0 || v >= k) throw rangeError('labels', `integers in [0, ${k - 1}] (file ${labels})`, `${v} at entry ${i}`);
  });
  const spec: FilesSpec = { kind: 'files', inputs, labels, k };
  return makeDataset({ X, y, d, k, seed: null, name: `files(${path.basename(inputs)})`, spec });
}
