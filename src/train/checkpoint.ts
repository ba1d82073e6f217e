/**
 * Checkpoint directories: what a run is (config) and where it got to (step, weights, momentum,
 * metrics), enough to resume it bit-for-bit or to analyse its weights.
 *
 *   DIR/checkpoint.json        {format: "hessian-lab/checkpoint@2", model (MLP or sequential, normalised),
 *                               data, init, seed, phases, recordEvery, checkpointEvery, stop, step,
 *                               totalSteps, stopped, parameters, metrics: MetricRecord[],
 *                               files: {params: {file, sha256}, momentum?: {file, sha256}},
 *                               sha256: SHA-256 of the canonical JSON of every other key}
 *   DIR/params-STEP.npy        float64, shape (M,), PyTorch parameter order, the weights at step STEP
 *   DIR/momentum-STEP.npy      float64, shape (M,), only when some phase has momentum > 0
 *   DIR/metrics.jsonl          the same metrics, one JSON record per line (a convenience copy)
 *
 * Crash safety: a checkpoint is switched by ONE rename. The arrays of the new step go to new,
 * step-named files (each written atomically: temp + fsync + rename), then checkpoint.json is
 * replaced atomically to point at them, and only then are the previous step's files removed. A
 * SIGKILL at any instant therefore leaves either the old checkpoint.json with its files intact or
 * the new one with its files: never a json whose arrays are of another step.
 *
 * Integrity: checkpoint.json records the SHA-256 of each array file and, under `sha256`, of its
 * own canonical JSON (keys sorted, no whitespace) without that key, so an edited step, learning
 * rate or metric is refused with one line instead of resuming a different run. (A guard against
 * accidents and tampering by hand, not a signature: anyone can recompute it.)
 * Format @1 directories (params.npy, no own hash) are still read; they are rewritten as @2 by
 * the next checkpoint of a resumed run.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DatasetSpec } from '../data/dataset';
import { NormalizedModel, parameterCount } from '../engine/model';
import { ensureDirectory, readJson, toJson, writeFileAtomic } from '../io/atomic';
import { encodeNpy, decodeNpy } from '../io/npy';
import { InputError, isFloat64Array, typeError } from '../util/errors';
import { Phase, ResolvedConfig, resolveConfig, totalSteps } from './config';
import { InitSpec } from './init';
import { MetricRecord, writeMetricsLog } from './metrics';

export const CHECKPOINT_FORMAT = 'hessian-lab/checkpoint@2';
const FORMAT_V1 = 'hessian-lab/checkpoint@1';
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

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** JSON with object keys sorted at every level and no whitespace: one text per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hash checkpoint.json stores under `sha256`: over the canonical JSON of every other key. */
function selfHash(meta: Record<string, unknown>): string {
  const { sha256: _ignored, ...rest } = meta;
  return sha256(canonicalJson(rest));
}

/** Array files of this format in a checkpoint directory (and temp files of interrupted writes). */
const ARRAY_FILE = /^(params|momentum)-\d+\.npy$/;
const TEMP_FILE = /^\.(params-\d+\.npy|momentum-\d+\.npy|params\.npy|momentum\.npy|checkpoint\.json|metrics\.jsonl)\.\d+\.[0-9a-f]+\.tmp$/;

export function saveCheckpoint(dir: string, state: CheckpointState): void {
  if (typeof dir !== 'string' || dir === '') throw typeError('dir', 'a directory path', dir);
  ensureDirectory(dir);
  const M = state.params.length;
  const files: Record<string, FileRef> = {};
  const writeArray = (key: string, data: Float64Array) => {
    const bytes = encodeNpy(data, [M]);
    const file = `${key}-${state.step}.npy`;
    writeFileAtomic(path.join(dir, file), bytes);
    files[key] = { file, sha256: sha256(bytes) };
  };
  writeArray('params', state.params);
  if (state.velocity) writeArray('momentum', state.velocity);
  writeMetricsLog(path.join(dir, 'metrics.jsonl'), state.metrics);
  const c = state.config;
  // Hashed as it will be read back: toJson turns NaN into null and typed arrays into arrays.
  const meta = JSON.parse(toJson({
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
  })) as Record<string, unknown>;
  writeFileAtomic(path.join(dir, 'checkpoint.json'), toJson({ ...meta, sha256: selfHash(meta) })); // the switch
  // The previous step's arrays (and format @1's, and temp files of killed writes) go only now.
  const keep = new Set(Object.values(files).map((f) => f.file));
  for (const name of fs.readdirSync(dir)) {
    if ((ARRAY_FILE.test(name) && !keep.has(name)) || TEMP_FILE.test(name) || name === 'params.npy' || name === 'momentum.npy')
      fs.rmSync(path.join(dir, name), { force: true });
  }
}

function readArray(dir: string, ref: FileRef | undefined, what: string, M: number): Float64Array {
  if (!ref || typeof ref.file !== 'string' || path.basename(ref.file) !== ref.file)
    throw new InputError(`${dir}: checkpoint.json does not name its ${what} file`);
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
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new InputError(`${file}: not a checkpoint (a JSON object)`);
  if (meta.format !== CHECKPOINT_FORMAT && meta.format !== FORMAT_V1)
    throw new InputError(`${file}: format must be "${CHECKPOINT_FORMAT}"; found ${JSON.stringify(meta.format)}`);
  if (meta.format === CHECKPOINT_FORMAT && meta.sha256 !== selfHash(meta))
    throw new InputError(`${file}: its content does not match its sha256 (edited or corrupted); refusing to resume or analyse it`);
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
