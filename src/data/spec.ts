/**
 * Rebuilds a dataset from its `spec`, so a checkpoint can record the data as a few JSON fields
 * instead of the arrays. Every generator is deterministic in its spec.
 */
import { InputError, requireOneOf, typeError } from '../util/errors';
import { Dataset, DatasetSpec } from './dataset';
import { fromFiles } from './files';
import { gaussianMixture } from './gaussianMixture';
import { mnistSubset } from './mnist';
import { randomInputs } from './randomInputs';
import { twoBlobs } from './twoBlobs';

const KINDS = ['gaussian_mixture', 'two_blobs', 'mnist', 'random_inputs', 'files', 'arrays'] as const;

/** The generator's options are the spec minus its `kind` tag. */
function optionsOf<S extends { kind: string }>(spec: S): Omit<S, 'kind'> {
  const { kind: _kind, ...options } = spec;
  return options;
}

export function datasetFromSpec(spec: DatasetSpec): Dataset {
  if (typeof spec !== 'object' || spec === null) throw typeError('spec', 'a dataset spec object', spec);
  requireOneOf('spec.kind', spec.kind, KINDS);
  switch (spec.kind) {
    case 'gaussian_mixture':
      return gaussianMixture(optionsOf(spec));
    case 'two_blobs':
      return twoBlobs(optionsOf(spec));
    case 'mnist':
      return mnistSubset(optionsOf(spec));
    case 'random_inputs':
      return randomInputs(datasetFromSpec(spec.base), { seed: spec.seed, distribution: spec.distribution });
    case 'files':
      return fromFiles(optionsOf(spec));
    case 'arrays':
      throw new InputError(`the data of this run were arrays in memory (N = ${spec.N}, d = ${spec.d}); they cannot be rebuilt from the spec: pass them again (train's options.dataset = fromArrays({X, y}))`);
  }
}
