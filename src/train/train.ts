/**
 * train(): one training run. The loop (batched forward/backward, updates, full-batch records)
 * runs natively; this file orchestrates it in segments of `checkpointEvery` steps, saving a
 * checkpoint after each, and resumes from the last one. The batches of step s depend only on
 * (seed, phase, epoch), so a resumed run reproduces an uninterrupted one bit for bit.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../data/dataset';
import { datasetFromSpec } from '../data/spec';
import { withCancellation } from '../engine/abort';
import { setThreads, validateModelInputs } from '../engine/curvature';
import { parameterCount, requireInputSize, toRawModel } from '../engine/model';
import { binding, ProgressCallback } from '../native/binding';
import { InputError, isFloat64Array, rangeError, requireAllFinite, typeError } from '../util/errors';
import { rawPhases, ResolvedConfig, resolveConfig, TrainConfig, totalSteps } from './config';
import { Checkpoint, loadCheckpoint, saveCheckpoint, StopReason } from './checkpoint';
import { initialParameters } from './init';
import { MetricRecord, recordsFromRaw } from './metrics';

export interface TrainRunOptions {
  /** Checkpoint directory; without it nothing is written. */
  out?: string;
  /** Continue from the checkpoint in `out` when there is one (its config must match). */
  resume?: boolean;
  /** The dataset of config.data when the caller has already built it (saves rebuilding it). */
  dataset?: Dataset;
  /** Start from these weights instead of config.init (e.g. GD and SGD from one point, S16 P6). */
  initialParams?: Float64Array;
  /** Threads for OpenBLAS (default: all cores). */
  threads?: number;
  signal?: AbortSignal;
  /** ('training', fraction of the whole run in [0, 1]). */
  onProgress?: ProgressCallback;
  /** Called with each new metric record, in step order. */
  onRecord?: (record: MetricRecord) => void;
  /**
   * Called after every `checkpointEvery` steps (and the last) with the step reached and a copy of
   * the weights there, awaited before training goes on: measurements along the way (E4's λ1 over
   * training). Setting it splits the run into those segments, as `out` does (same result).
   */
  onSegment?: (step: number, params: Float64Array) => void | Promise<void>;
}

export interface TrainResult {
  config: ResolvedConfig;
  params: Float64Array;
  velocity?: Float64Array;
  step: number;
  stopped: StopReason;
  metrics: MetricRecord[];
  /** Wall seconds of this call (not of earlier, resumed-from parts). */
  seconds: number;
}

/** The run's loss or gradient stopped being finite; `step` is the update that failed. */
export class DivergenceError extends Error {
  constructor(message: string, readonly step: number) {
    super(message);
    this.name = 'DivergenceError';
  }
}

/** The config-defining fields of a run; a resume must not change them. */
function identity(c: ResolvedConfig): string {
  return JSON.stringify({ model: c.model, data: c.data, init: c.init, seed: c.seed, phases: c.phases });
}

function hasMomentum(c: ResolvedConfig): boolean {
  return c.phases.some((p) => p.momentum > 0);
}

function startingPoint(config: ResolvedConfig, options: TrainRunOptions): Checkpoint | null {
  if (!options.resume) return null;
  if (!options.out) throw rangeError('options.resume', 'used together with options.out (the checkpoint directory)', options.resume);
  if (!fs.existsSync(path.join(options.out, 'checkpoint.json'))) return null;
  const ckpt = loadCheckpoint(options.out);
  if (identity(ckpt.config) !== identity(config))
    throw new InputError(`${options.out}: its checkpoint is of a different run (model, data, init, seed or phases differ from the config); use another --out`);
  return ckpt;
}

/** Trains per `config` (a run.json object; see src/train/config.ts), checkpointing into options.out. */
export async function train(config: TrainConfig | ResolvedConfig, options: TrainRunOptions = {}): Promise<TrainResult> {
  const started = Date.now();
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const cfg = resolveConfig(config);
  if (options.onRecord !== undefined && typeof options.onRecord !== 'function') throw typeError('options.onRecord', 'a function', options.onRecord);
  if (options.onSegment !== undefined && typeof options.onSegment !== 'function') throw typeError('options.onSegment', 'a function', options.onSegment);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw typeError('options.onProgress', 'a function', options.onProgress);
  if (options.threads !== undefined) setThreads(options.threads);
  const data = options.dataset ?? datasetFromSpec(cfg.data);
  requireInputSize(cfg.model, data.d, 'config.model');
  const phases = rawPhases(cfg.phases, data.N, 'config.phases');
  const zeros = new Float64Array(parameterCount(cfg.model));
  validateModelInputs(cfg.model, zeros, data); // finite inputs, labels in range: friendly messages
  if (data.test) validateModelInputs(cfg.model, zeros, data.test);
  const total = totalSteps(cfg.phases);
  const M = parameterCount(cfg.model);

  const resumed = startingPoint(cfg, options);
  let params: Float64Array, velocity: Float64Array | undefined, step: number, metrics: MetricRecord[];
  if (resumed) {
    ({ params, velocity, step, metrics } = resumed);
    if (resumed.stopped) return { config: cfg, params, velocity, step, stopped: resumed.stopped, metrics, seconds: 0 };
  } else {
    if (options.initialParams !== undefined) {
      if (!isFloat64Array(options.initialParams) || options.initialParams.length !== M)
        throw typeError('options.initialParams', `a Float64Array of ${M} parameters`, options.initialParams);
      requireAllFinite('options.initialParams', options.initialParams);
      params = Float64Array.from(options.initialParams);
    } else {
      params = initialParameters(cfg.model, cfg.init, cfg.seed);
    }
    step = 0;
    metrics = [];
  }

  const segment = options.out || options.onSegment ? cfg.checkpointEvery : total;
  let stopped: StopReason | null = null;
  while (stopped === null) {
    const end = Math.min(total, (Math.floor(step / segment) + 1) * segment);
    const from = step;
    const r = await withCancellation(options.signal, (token) =>
      binding()
        .trainSegment(toRawModel(cfg.model), params, velocity, data.X, data.y, data.test?.X, data.test?.y,
          { phases, seed: cfg.seed, startStep: step, endStep: end, recordEvery: cfg.recordEvery, gradNormStop: cfg.stop.gradNorm ?? 0 },
          token,
          options.onProgress && ((stage, f) => options.onProgress!(stage, (from + f * (end - from)) / total)))
        .catch((err: Error & { code?: string }) => {
          if (err.code !== 'ERR_HL_NUMERICAL') throw err;
          const failed = Number(/at step (\d+)/.exec(err.message)?.[1] ?? NaN);
          const saved = options.out && from > 0 ? `; the last checkpoint (step ${from}) is in ${options.out}` : '';
          throw new DivergenceError(err.message + saved, failed);
        }));
    // Copies: arrays made by the addon belong to the main realm, and `instanceof Float64Array`
    // checks fail on them inside vm sandboxes (jest); M doubles are cheap to copy.
    params = new Float64Array(r.params);
    velocity = hasMomentum(cfg) ? new Float64Array(r.velocity) : undefined;
    step = r.step;
    const records = recordsFromRaw(r.records, cfg.phases);
    metrics.push(...records);
    if (options.onRecord) records.forEach((rec) => options.onRecord!(rec));
    if (r.stopped !== 'segment') stopped = r.stopped;
    if (options.out) saveCheckpoint(options.out, { config: cfg, step, params, velocity, metrics, stopped });
    if (options.onSegment) await options.onSegment(step, Float64Array.from(params));
  }
  return { config: cfg, params, velocity, step, stopped, metrics, seconds: (Date.now() - started) / 1000 };
}

/** Continues the run saved in `dir` with the config stored there. */
export async function resumeTraining(dir: string, options: Omit<TrainRunOptions, 'out' | 'resume'> = {}): Promise<TrainResult> {
  const ckpt = loadCheckpoint(dir);
  return train(ckpt.config, { ...options, out: dir, resume: true });
}
