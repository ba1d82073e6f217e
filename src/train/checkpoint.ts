/**
 * Checkpoint directories: what a run is (config) and where it got to (step, weights, momentum,
 * metrics), enough to resume it bit-for-bit or to analyse its weights.
 *
 *   DIR/params.npy        float64, shape (M,), PyTorch parameter order
 *   DIR/momentum.npy      float64, shape (M,), only when some phase has momentum > 0
 *   DIR/checkpoint.json   {format: "hessian-lab/checkpoint@1", model (MLP or sequential, normalised),
 *                          data, init, seed, phases,
 *                          recordEvery, checkpointEvery, stop, step, totalSteps, stopped,
 *                          metrics: MetricRecord[], files: {params: {file, sha256}, momentum?}}
 *   DIR/metrics.jsonl     the same metrics, one JSON record per line
 *
 * Every file is written atomically (temp + fsync + rename). The arrays go first and
 * checkpoint.json last, and the json records a SHA-256 of each array: a crash between the
 * renames leaves a checkpoint.json whose hashes do not match, which loadCheckpoint reports
 * instead of silently pairing step s with the weights of another step.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DatasetSpec } from '../data/dataset';
import { NormalizedModel, parameterCount } from '../engine/model';
import { readJson, writeJsonAtomic } from '../io/atomic';
import { encodeNpy, decodeNpy } from '../io/npy';
import { writeFileAtomic } from '../io/atomic';
import { InputError, isFloat64Array, typeError } from '../util/errors';
import { Phase, ResolvedConfig, resolveConfig, totalSteps } from './config';
import { InitSpec } from './init';
import { MetricRecord, writeMetricsLog } from './metrics';

export const CHECKPOINT_FORMAT = 'hessian-lab/checkpoint@1';
export type StopReason = 'steps' | 'gradNorm';

export interface CheckpointState {
  config: ResolvedConfig;
  step: number;
  params: Float64Array;
  /** Present when some phase uses momentum. */
  velocity?: Float64Array;
  metrics: MetricRecord[];
  /** null while the run is unfinished. */
  stopped: StopReason | null;
}

export interface Checkpoint extends CheckpointState {
  dir: string;
  model: NormalizedModel;
  dataSpec: DatasetSpec;
  init: InitSpec;
  seed: number;
  phases: Phase[];
  totalSteps: number;
}

interface FileRef {
  file: string;
  sha256: string;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export function saveCheckpoint(dir: string, state: CheckpointState): void {
  if (typeof dir !== 'string' || dir === '') throw typeError('dir', 'a directory path', dir);
  fs.mkdirSync(dir, { recursive: true });
  const M = state.params.length;
  const files: Record<string, FileRef> = {};
  const writeArray = (key: string, file: string, data: Float64Array) => {
    const bytes = encodeNpy(data, [M]);
    writeFileAtomic(path.join(dir, file), bytes);
    files[key] = { file, sha256: sha256(bytes) };
  };
  writeArray('params', 'params.npy', state.params);
  if (state.velocity) writeArray('momentum', 'momentum.npy', state.velocity);
  else fs.rmSync(path.join(dir, 'momentum.npy'), { force: true });
  writeMetricsLog(path.join(dir, 'metrics.jsonl'), state.metrics);
  const c = state.config;
  writeJsonAtomic(path.join(dir, 'checkpoint.json'), {
    format: CHECKPOINT_FORMAT,
    model: c.model,
    data: c.data,
    init: c.init,
    seed: c.seed,
    phases: c.phases,
    recordEvery: c.recordEvery,
    checkpointEvery: c.checkpointEvery,
    stop: c.stop,
    step: state.step,
    totalSteps: totalSteps(c.phases),
    stopped: state.stopped,
    parameters: M,
    files,
    metrics: state.metrics,
  });
}

function readArray(dir: string, ref: FileRef | undefined, what: string, M: number): Float64Array {
  if (!ref || typeof ref.file !== 'string') throw new InputError(`${dir}: checkpoint.json does not name its ${what} file`);
  const file = path.join(dir, ref.file);
  if (!fs.existsSync(file)) throw new InputError(`${file}: missing (the checkpoint's ${what})`);
  const bytes = fs.readFileSync(file);
  if (sha256(bytes) !== ref.sha256)
    throw new InputError(`${file}: does not match checkpoint.json (an interrupted write?); its SHA-256 differs from the one recorded`);
  const arr = decodeNpy(bytes, file);
  if (!isFloat64Array(arr.data) || arr.data.length !== M)
    throw new InputError(`${file}: expected ${M} float64 values, found ${arr.data.length} of ${arr.dtype}`);
  return arr.data;
}

/**
 * Reads a checkpoint directory: the run's config, its step, weights (and momentum), metrics.
 * `model` and `params` are what the analysis needs; `dataSpec` rebuilds the data (datasetFromSpec).
 */
export function loadCheckpoint(dir: string): Checkpoint {
  if (typeof dir !== 'string' || dir === '') throw typeError('dir', 'a checkpoint directory path', dir);
  const file = path.join(dir, 'checkpoint.json');
  if (!fs.existsSync(file)) throw new InputError(`${dir}: not a checkpoint directory (no checkpoint.json)`);
  const meta = readJson(file) as Record<string, unknown>;
  if (meta?.format !== CHECKPOINT_FORMAT) throw new InputError(`${file}: format must be "${CHECKPOINT_FORMAT}"; found ${JSON.stringify(meta?.format)}`);
  let config: ResolvedConfig;
  try {
    const { model, data, init, seed, phases, recordEvery, checkpointEvery } = meta;
    const stop = meta.stop as { gradNorm: number | null } | undefined;
    config = resolveConfig({ model, data, init, seed, phases, recordEvery, checkpointEvery, stop: stop?.gradNorm ? { gradNorm: stop.gradNorm } : undefined }, file);
  } catch (err) {
    throw new InputError(`${file}: ${(err as Error).message}`);
  }
  const M = parameterCount(config.model);
  const step = meta.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new InputError(`${file}: step must be an integer >= 0; found ${JSON.stringify(step)}`);
  const files = (meta.files ?? {}) as Record<string, FileRef>;
  const params = readArray(dir, files.params, 'parameters', M);
  const velocity = files.momentum ? readArray(dir, files.momentum, 'momentum', M) : undefined;
  const stopped = meta.stopped === 'steps' || meta.stopped === 'gradNorm' ? meta.stopped : null;
  return {
    dir,
    config,
    model: config.model,
    dataSpec: config.data,
    init: config.init,
    seed: config.seed,
    phases: config.phases,
    totalSteps: totalSteps(config.phases),
    step,
    params,
    velocity,
    metrics: Array.isArray(meta.metrics) ? (meta.metrics as MetricRecord[]) : [],
    stopped,
  };
}

/**
 * A checkpoint as the `analyze` command's NetworkCase: the model, the weights and the training
 * data rebuilt from the stored spec (the same structural shape as src/cli/inputs.ts NetworkCase).
 */
export function caseFromCheckpoint(dir: string): {
  model: NormalizedModel;
  params: Float64Array;
  data: { X: Float64Array; y: Int32Array };
  ignoredKeys: string[];
} {
  const ckpt = loadCheckpoint(dir);
  // Required lazily: the data layer (MNIST reader etc.) is only needed when a case is built.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { datasetFromSpec } = require('../data/spec') as typeof import('../data/spec');
  const data = datasetFromSpec(ckpt.dataSpec);
  return { model: ckpt.model, params: ckpt.params, data: { X: data.X, y: data.y }, ignoredKeys: [] };
}
