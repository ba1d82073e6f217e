/**
 * trainMany(): many small independent trainings at once (S16 P4: one experiment from 5,000
 * random initialisations of a 162-parameter net). The runs are spread over native threads; each
 * run is sequential with plain-loop products, so its result does not depend on the thread count.
 * Run r starts from initialParameters(model, init, seed + r) and shuffles with seed + r.
 * MLPs only (a sequential model that is exactly an MLP counts): convnets train with train().
 */
import { Dataset } from '../data/dataset';
import { withCancellation } from '../engine/abort';
import { validateModelInputs } from '../engine/curvature';
import { ModelSpec, normalizeModel, parameterCount, requireInputSize, toRawModel } from '../engine/model';
import { describeModel } from '../engine/modelSummary';
import { binding, ProgressCallback } from '../native/binding';
import { isFloat64Array, requireAllFinite, requireFiniteNumber, requireInteger, typeError } from '../util/errors';
import { normalizePhases, PhaseConfig, rawPhases } from './config';
import { initialParameters, InitSpec, normalizeInit } from './init';

export interface TrainManyOptions {
  /** An MLP, or a sequential model that is exactly one (see sequentialAsMlp). */
  model: ModelSpec;
  /** Training data (and its test split, if any, for the final test metrics). */
  data: Dataset;
  phases: PhaseConfig[];
  /** Number of runs (ignored when `inits` is given). */
  runs?: number;
  /** Default {scheme: 'pytorch'}. */
  init?: InitSpec;
  /** Run r uses seed + r for its init and its batch order. Default 0. */
  seed?: number;
  /** Explicit initial points, runs x M row-major (instead of init/seed). */
  inits?: Float64Array;
  /** Stop a run at the first check whose full-batch gradient norm is <= this. */
  gradNormStop?: number;
  /** Steps between gradient-norm checks (default 100). */
  checkEvery?: number;
  /** Native threads (default: all cores). */
  threads?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export type RunStatus = 'steps' | 'gradNorm' | 'diverged';
const STATUS: RunStatus[] = ['steps', 'gradNorm', 'diverged'];

export interface TrainManyResult {
  runs: number;
  parameters: number;
  /** Final weights, runs x M row-major; params(r) returns run r's. */
  finalParams: Float64Array;
  params(r: number): Float64Array;
  status: RunStatus[];
  /** Updates done (a diverged run: the step that failed). */
  steps: Float64Array;
  trainLoss: Float64Array;
  trainAccuracy: Float64Array;
  gradNorm: Float64Array;
  /** NaN without a test split. */
  testLoss: Float64Array;
  testAccuracy: Float64Array;
  seconds: number;
}

export async function trainMany(options: TrainManyOptions): Promise<TrainManyResult> {
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const model = normalizeModel(options.model, 'options.model');
  // The native many-runs loop is written for MLPs (plain loops, one run per thread).
  const rawModel = toRawModel(model);
  if ('inputShape' in rawModel)
    throw new RangeError(`options.model must be an MLP: trainMany supports MLPs only (train convnets with train()); received ${describeModel(model)}`);
  const data = options.data;
  if (typeof data !== 'object' || data === null || !isFloat64Array(data.X)) throw typeError('options.data', 'a Dataset', data);
  requireInputSize(model, data.d, 'options.model');
  const phases = rawPhases(normalizePhases(options.phases, 'options.phases'), data.N, 'options.phases');
  const M = parameterCount(model);
  validateModelInputs(model, new Float64Array(M), data);
  if (data.test) validateModelInputs(model, new Float64Array(M), data.test);
  let inits: Float64Array;
  const seed = requireInteger('options.seed', options.seed ?? 0, 0);
  if (options.inits !== undefined) {
    if (!isFloat64Array(options.inits) || options.inits.length === 0 || options.inits.length % M !== 0)
      throw typeError('options.inits', `a Float64Array of runs x ${M} values`, options.inits);
    requireAllFinite('options.inits', options.inits);
    inits = options.inits;
  } else {
    const runs = requireInteger('options.runs', options.runs, 1, 1e7);
    const init = normalizeInit(options.init ?? { scheme: 'pytorch' }, 'options.init');
    inits = new Float64Array(runs * M);
    for (let r = 0; r < runs; r++) inits.set(initialParameters(model, init, seed + r), r * M);
  }
  const gradNormStop = options.gradNormStop === undefined ? 0 : requireFiniteNumber('options.gradNormStop', options.gradNormStop, Number.MIN_VALUE);
  const checkEvery = requireInteger('options.checkEvery', options.checkEvery ?? 100, 1);
  const threads = requireInteger('options.threads', options.threads ?? binding().threads(), 1, 4096);
  const raw = await withCancellation(options.signal, (token) =>
    binding().trainMany(rawModel, inits, data.X, data.y, data.test?.X, data.test?.y,
      { phases, seed, recordEvery: checkEvery, gradNormStop, threads }, token, options.onProgress));
  const runs = inits.length / M;
  const finalParams = new Float64Array(raw.params); // a copy in this realm (see train.ts)
  return {
    runs,
    parameters: M,
    finalParams,
    params: (r: number) => finalParams.slice(requireInteger('r', r, 0, runs - 1) * M, (r + 1) * M),
    status: Array.from(raw.status, (s) => STATUS[s]),
    steps: raw.steps,
    trainLoss: raw.trainLoss,
    trainAccuracy: raw.trainAccuracy,
    gradNorm: raw.gradNorm,
    testLoss: raw.testLoss,
    testAccuracy: raw.testAccuracy,
    seconds: raw.seconds,
  };
}
