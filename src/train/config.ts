/**
 * The run.json schema of `hessian-lab train` and `train()`, and its validation. Every key is
 * checked; unknown keys are rejected (a typo must not silently fall back to a default).
 *
 * {
 *   "model":  an MLP {"layers": [2, 10, 10, 2], "activation": "relu", "loss": "cross_entropy", "bias": true}
 *             or a sequential model {"input_shape": [1, 28, 28], "layers": [{"type": "conv2d", ...}, ...],
 *             "loss": ...} (src/engine/sequential.ts); its input size must be the data's d,
 *   "data":   a dataset spec, e.g. {"kind": "two_blobs", "N": 200, "std": 0.2, "seed": 1, "testN": 200}
 *             (the `spec` field of any Dataset; see src/data),
 *   "init":   {"scheme": "pytorch" | "glorot" | "he" | "sphere", "radius": r (sphere only)}
 *             (default {"scheme": "pytorch"}),
 *   "seed":   integer >= 0, seeds the init and the SGD batch order (default 0),
 *   "phases": [{"steps": 25000, "optimizer": "sgd", "batchSize": 1000, "lr": 0.1, "momentum": 0}, ...]
 *             optimizer "gd" (full batch; batchSize absent) or "sgd" (batchSize in [1, N]);
 *             default optimizer: "sgd" when batchSize is given, else "gd"; momentum default 0,
 *   "recordEvery": steps between metric records (default 100),
 *   "checkpointEvery": steps between checkpoints (default 1000; the last step is always saved),
 *   "stop":   {"gradNorm": g} stops at the first record whose full-batch gradient norm is <= g
 * }
 */
import * as path from 'path';
import { DatasetSpec } from '../data/dataset';
import { ModelSpec, NormalizedModel, normalizeModel } from '../engine/model';
import { readJson } from '../io/atomic';
import { RawPhase } from '../native/binding';
import { InputError, rangeError, requireFiniteNumber, requireInteger, requireOneOf, typeError } from '../util/errors';
import { InitSpec, normalizeInit } from './init';

export const OPTIMIZERS = ['gd', 'sgd'] as const;
export type Optimizer = (typeof OPTIMIZERS)[number];

export interface PhaseConfig {
  steps: number;
  optimizer?: Optimizer;
  /** Mini-batch size for "sgd" (each epoch is a fresh seeded permutation; the N mod b leftover rows are skipped). */
  batchSize?: number;
  lr: number;
  /** PyTorch convention: v = momentum * v + g; w -= lr * v. Default 0. */
  momentum?: number;
}

export interface Phase {
  steps: number;
  optimizer: Optimizer;
  /** null for gd (the full batch). */
  batchSize: number | null;
  lr: number;
  momentum: number;
}

export interface TrainConfig {
  model: ModelSpec;
  /** A dataset spec: the full `spec` of a Dataset, or just its kind and the options that differ from the defaults. */
  data: DatasetSpec | ({ kind: DatasetSpec['kind'] } & Record<string, unknown>);
  init?: InitSpec;
  seed?: number;
  phases: PhaseConfig[];
  recordEvery?: number;
  checkpointEvery?: number;
  stop?: { gradNorm?: number };
}

/** A config with every default filled in. */
export interface ResolvedConfig {
  model: NormalizedModel;
  data: DatasetSpec;
  init: InitSpec;
  seed: number;
  phases: Phase[];
  recordEvery: number;
  checkpointEvery: number;
  stop: { gradNorm: number | null };
}

const CONFIG_KEYS = ['model', 'data', 'init', 'seed', 'phases', 'recordEvery', 'checkpointEvery', 'stop'];
const REQUIRED_KEYS = ['model', 'data', 'phases'];
const PHASE_KEYS = ['steps', 'optimizer', 'batchSize', 'lr', 'momentum'];

function requireKeys(name: string, o: Record<string, unknown>, allowed: string[], required: string[]): void {
  const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw rangeError(name, `an object with keys among ${allowed.join(', ')}`, `unknown key(s) ${unknown.join(', ')}`);
  const missing = required.filter((k) => o[k] === undefined);
  if (missing.length > 0) throw rangeError(name, `an object with the key(s) ${required.join(', ')}`, `an object without ${missing.join(', ')}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function normalizePhase(value: unknown, name: string): Phase {
  if (!isObject(value)) throw typeError(name, 'an object {steps, optimizer, batchSize, lr, momentum}', value);
  requireKeys(name, value, PHASE_KEYS, ['steps', 'lr']);
  if (value.batchSize === null) return normalizePhase({ ...value, batchSize: undefined }, name); // a resolved gd phase
  const steps = requireInteger(`${name}.steps`, value.steps, 1, 2 ** 40);
  const optimizer = requireOneOf(`${name}.optimizer`, value.optimizer ?? (value.batchSize === undefined ? 'gd' : 'sgd'), OPTIMIZERS);
  let batchSize: number | null = null;
  if (optimizer === 'sgd') {
    if (value.batchSize === undefined) throw rangeError(`${name}.batchSize`, 'an integer >= 1 for optimizer "sgd"', value.batchSize);
    batchSize = requireInteger(`${name}.batchSize`, value.batchSize, 1, 2 ** 31 - 1);
  } else if (value.batchSize !== undefined) {
    throw rangeError(`${name}.batchSize`, 'absent for optimizer "gd" (always the full batch)', value.batchSize);
  }
  const lr = requireFiniteNumber(`${name}.lr`, value.lr, Number.MIN_VALUE);
  const momentum = value.momentum === undefined ? 0 : requireFiniteNumber(`${name}.momentum`, value.momentum, 0);
  if (momentum >= 1) throw rangeError(`${name}.momentum`, 'a number in [0, 1)', momentum);
  return { steps, optimizer, batchSize, lr, momentum };
}

export function normalizePhases(value: unknown, name = 'phases'): Phase[] {
  if (!Array.isArray(value) || value.length === 0) throw typeError(name, 'a non-empty array of phases', value);
  return value.map((p, i) => normalizePhase(p, `${name}[${i}]`));
}

/** Validates a run config (object or parsed JSON) and fills in the defaults. */
export function resolveConfig(value: unknown, name = 'config'): ResolvedConfig {
  if (!isObject(value)) throw typeError(name, 'an object (see src/train/config.ts for the schema)', value);
  requireKeys(name, value, CONFIG_KEYS, REQUIRED_KEYS);
  const model = normalizeModel(value.model, `${name}.model`);
  if (!isObject(value.data) || typeof value.data.kind !== 'string') throw typeError(`${name}.data`, 'a dataset spec object with a "kind"', value.data);
  const init = normalizeInit(value.init ?? { scheme: 'pytorch' }, `${name}.init`);
  const seed = requireInteger(`${name}.seed`, value.seed ?? 0, 0);
  const phases = normalizePhases(value.phases, `${name}.phases`);
  const recordEvery = requireInteger(`${name}.recordEvery`, value.recordEvery ?? 100, 1);
  const checkpointEvery = requireInteger(`${name}.checkpointEvery`, value.checkpointEvery ?? 1000, 1);
  let gradNorm: number | null = null;
  if (value.stop !== undefined) {
    if (!isObject(value.stop)) throw typeError(`${name}.stop`, 'an object {gradNorm}', value.stop);
    requireKeys(`${name}.stop`, value.stop, ['gradNorm'], []);
    if (value.stop.gradNorm !== undefined && value.stop.gradNorm !== null) gradNorm = requireFiniteNumber(`${name}.stop.gradNorm`, value.stop.gradNorm, Number.MIN_VALUE);
  }
  return { model, data: value.data as unknown as DatasetSpec, init, seed, phases, recordEvery, checkpointEvery, stop: { gradNorm } };
}

/** Reads and validates a run.json; errors name the file. */
export function readConfigFile(file: string): ResolvedConfig {
  const json = readJson(file);
  try {
    return resolveConfig(json, path.basename(file));
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw new InputError(`${file}: ${err.message}`);
    throw err;
  }
}

/** The phases as the native loop takes them, checked against the training-set size N. */
export function rawPhases(phases: Phase[], N: number, name = 'phases'): RawPhase[] {
  return phases.map((p, i) => {
    if (p.batchSize !== null && p.batchSize > N) throw rangeError(`${name}[${i}].batchSize`, `at most N = ${N} (the training-set size)`, p.batchSize);
    return { steps: p.steps, batchSize: p.batchSize ?? 0, lr: p.lr, momentum: p.momentum };
  });
}

export function totalSteps(phases: Phase[]): number {
  return phases.reduce((s, p) => s + p.steps, 0);
}

/** Index of the phase that global step `step` (number of updates done, >= 1) belongs to; 0 for step 0. */
export function phaseOfStep(phases: Phase[], step: number): number {
  let end = 0;
  for (let i = 0; i < phases.length; i++) {
    end += phases[i].steps;
    if (step <= end) return i;
  }
  return phases.length - 1;
}
