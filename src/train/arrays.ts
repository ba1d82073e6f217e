/**
 * trainOnArrays(): train() on arrays the caller holds, without a dataset spec to write: the model,
 * the arrays, the phases. The run is the same train() (same loop, records and checkpoints); its
 * config records the data as {kind: "arrays", N, d, k, testN}.
 */
import { fromArrays } from '../data/arrays';
import { classCount, ModelSpec, normalizeModel } from '../engine/model';
import { typeError } from '../util/errors';
import { PhaseConfig } from './config';
import { InitSpec } from './init';
import { train, TrainResult, TrainRunOptions } from './train';

export interface ArrayTrainingOptions extends Omit<TrainRunOptions, 'dataset'> {
  /** Constant-step phases of (S)GD, e.g. [{steps: 2000, lr: 0.1}] (full batch) or with batchSize. */
  phases: PhaseConfig[];
  /** Default {scheme: "pytorch"}. */
  init?: InitSpec;
  /** Seeds the init and the SGD batch order (default 0). */
  seed?: number;
  /** Steps between metric records (default 100). */
  recordEvery?: number;
  /** Steps between checkpoints when options.out is given (default 1000). */
  checkpointEvery?: number;
  stop?: { gradNorm?: number };
  /** Held-out samples, evaluated at each record. */
  test?: { X: Float64Array; y: Int32Array };
}

/** Trains `model` on inputs X (N×d, row-major) and labels y (N class indices). */
export async function trainOnArrays(model: ModelSpec, data: { X: Float64Array; y: Int32Array }, options: ArrayTrainingOptions): Promise<TrainResult> {
  if (typeof data !== 'object' || data === null) throw typeError('data', 'an object {X: Float64Array, y: Int32Array}', data);
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object {phases, ...}', options);
  const spec = normalizeModel(model, 'model');
  const { phases, init, seed, recordEvery, checkpointEvery, stop, test, ...run } = options;
  // d is read from the arrays, so that a model of another input size is named as such by train().
  const dataset = fromArrays({ X: data.X, y: data.y, k: classCount(spec), ...(test ? { test } : {}) });
  const config = { model: spec, data: dataset.spec, phases, init, seed, recordEvery, checkpointEvery, stop };
  for (const key of Object.keys(config) as (keyof typeof config)[]) if (config[key] === undefined) delete config[key];
  return train(config, { ...run, dataset });
}
