/**
 * S16 P2: the same labels and shapes as a real dataset, but inputs replaced by noise, so the
 * network can only memorise. The noise matches the original inputs' overall mean and standard
 * deviation (one scalar each, over all entries): per-feature matching would copy MNIST's
 * structure (constant zero borders) into the "random" data. 'uniform' uses the uniform law with
 * the same mean and std, U(m − √3·s, m + √3·s). A test split, if present, gets fresh noise with
 * the statistics of the training inputs.
 */
import { isFloat64Array, requireInteger, requireOneOf, typeError } from '../util/errors';
import { Dataset, DatasetSpec, Samples, checkOptions, withTestSplit } from './dataset';
import { Rng } from './rng';
import { scalarStats } from './stats';

export type NoiseDistribution = 'gaussian' | 'uniform';

export interface RandomInputsOptions {
  seed?: number;
  distribution?: NoiseDistribution;
}

export interface RandomInputsSpec {
  kind: 'random_inputs';
  base: DatasetSpec;
  seed: number;
  distribution: NoiseDistribution;
}

function noise(rng: Rng, like: Dataset, distribution: NoiseDistribution, mean: number, std: number): Samples {
  const X = new Float64Array(like.X.length);
  if (distribution === 'gaussian') rng.fillNormal(X, mean, std);
  else rng.fillUniform(X, mean - Math.sqrt(3) * std, mean + Math.sqrt(3) * std);
  return { X, y: like.y.slice() };
}

export function randomInputs(dataset: Dataset, options: RandomInputsOptions = {}): Dataset {
  if (typeof dataset !== 'object' || dataset === null || !isFloat64Array(dataset.X)) {
    throw typeError('dataset', 'a Dataset', dataset);
  }
  const o = checkOptions('randomInputs options', options, ['seed', 'distribution']);
  const seed = requireInteger('seed', o.seed ?? 0, 0);
  const distribution = requireOneOf('distribution', o.distribution ?? 'gaussian', ['gaussian', 'uniform'] as const);
  const spec: RandomInputsSpec = { kind: 'random_inputs', base: dataset.spec, seed, distribution };
  const { mean, std } = scalarStats(dataset.X);
  const rng = new Rng(seed);
  const train = noise(rng, dataset, distribution, mean, std);
  const test = dataset.test ? noise(rng, dataset.test, distribution, mean, std) : null;
  return withTestSplit({ d: dataset.d, k: dataset.k, seed, spec, name: `random(${dataset.name})` }, train, test);
}
