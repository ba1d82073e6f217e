/**
 * `hessian-lab train` without a run.json: the common single-phase case from flags. The flags are
 * turned into the same config object a run.json holds and validated by the same resolveConfig, so
 * the two routes cannot drift apart.
 */
import * as fs from 'fs';
import { resolveConfig, ResolvedConfig } from '../train/config';
import { InputError } from '../util/errors';

export interface TrainConfigFlags {
  /** A model JSON file (an MLP or a sequential model / convnet): the alternative to --layers. */
  model?: string;
  layers?: string;
  activation?: string;
  loss?: string;
  bias?: boolean;
  data?: string;
  init?: string;
  seed?: string;
  steps?: string;
  lr?: string;
  batchSize?: string;
  momentum?: string;
  recordEvery?: string;
  checkpointEvery?: string;
  stopGradNorm?: string;
}

function numberFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new InputError(`--${name} must be a number; received "${text}"`);
  return v;
}

/** "two_blobs:N=200,std=0.2,seed=1" or a JSON object → a dataset spec. */
export function parseDataFlag(text: string): Record<string, unknown> {
  if (text.trim().startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch {
      throw new InputError(`--data: not valid JSON: ${text}`);
    }
  }
  const [kind, rest] = text.split(':', 2);
  const spec: Record<string, unknown> = { kind };
  for (const pair of (rest ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InputError(`--data: expected key=value in "${pair}" (e.g. two_blobs:N=200,std=0.2,seed=1)`);
    const key = pair.slice(0, eq), raw = pair.slice(eq + 1);
    const num = Number(raw);
    spec[key] = raw.includes('|') ? raw.split('|').map(Number) : raw !== '' && Number.isFinite(num) ? num : raw;
  }
  return spec;
}

/** True when any of the config-building flags is present. */
export function hasConfigFlags(flags: TrainConfigFlags): boolean {
  return ['model', 'layers', 'activation', 'loss', 'data', 'init', 'seed', 'steps', 'lr', 'batchSize', 'momentum', 'recordEvery', 'checkpointEvery', 'stopGradNorm']
    .some((k) => flags[k as keyof TrainConfigFlags] !== undefined);
}

/** The model from --model FILE (any model JSON) or from --layers/--activation/--loss/--no-bias. */
function modelFromFlags(flags: TrainConfigFlags): unknown {
  if (flags.model === undefined) {
    const layers = flags.layers!.split(',').map((s) => Number(s.trim()));
    return { layers, activation: flags.activation ?? 'relu', loss: flags.loss ?? 'cross_entropy', bias: flags.bias !== false };
  }
  if (flags.layers !== undefined || flags.activation !== undefined || flags.loss !== undefined || flags.bias === false)
    throw new InputError('give either --model FILE or --layers (with --activation, --loss, --no-bias), not both');
  if (!fs.existsSync(flags.model)) throw new InputError(`--model ${flags.model}: no such file`);
  try {
    return JSON.parse(fs.readFileSync(flags.model, 'utf8'));
  } catch (err) {
    throw new InputError(`--model ${flags.model}: not valid JSON (${(err as Error).message})`);
  }
}

export function configFromFlags(flags: TrainConfigFlags): ResolvedConfig {
  const modelFlag: readonly [string, unknown] = flags.model !== undefined ? ['model', flags.model] : ['layers', flags.layers];
  for (const [flag, value] of [modelFlag, ['data', flags.data], ['steps', flags.steps], ['lr', flags.lr]] as const) {
    if (value === undefined) throw new InputError(`train needs --${flag}: give --config FILE, or all of --layers (or --model FILE), --data, --steps and --lr`);
  }
  const [scheme, radius] = (flags.init ?? 'pytorch').split(':');
  const phase: Record<string, unknown> = { steps: numberFlag('steps', flags.steps), lr: numberFlag('lr', flags.lr) };
  if (flags.batchSize !== undefined) phase.batchSize = numberFlag('batch-size', flags.batchSize);
  if (flags.momentum !== undefined) phase.momentum = numberFlag('momentum', flags.momentum);
  const config: Record<string, unknown> = {
    model: modelFromFlags(flags),
    data: parseDataFlag(flags.data!),
    init: radius === undefined ? { scheme } : { scheme, radius: numberFlag('init', radius) },
    phases: [phase],
  };
  if (flags.seed !== undefined) config.seed = numberFlag('seed', flags.seed);
  if (flags.recordEvery !== undefined) config.recordEvery = numberFlag('record-every', flags.recordEvery);
  if (flags.checkpointEvery !== undefined) config.checkpointEvery = numberFlag('checkpoint-every', flags.checkpointEvery);
  if (flags.stopGradNorm !== undefined) config.stop = { gradNorm: numberFlag('stop-grad-norm', flags.stopGradNorm) };
  try {
    return resolveConfig(config, 'flags');
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw new InputError(err.message);
    throw err;
  }
}
