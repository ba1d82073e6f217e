/** The data layer: seeded generators, MNIST, files, and rebuilding any of them from a spec. */
export { Rng } from './rng';
export { describeDataset } from './dataset';
export type { Dataset, DatasetSpec, Balance } from './dataset';
export { gaussianMixture, gaussianMixtureMeans } from './gaussianMixture';
export type { GaussianMixtureOptions, GaussianMixtureSpec, MixtureNormalization } from './gaussianMixture';
export { twoBlobs } from './twoBlobs';
export type { TwoBlobsOptions, TwoBlobsSpec } from './twoBlobs';
export { mnistSubset } from './mnist';
export type { MnistOptions, MnistSpec } from './mnist';
export { randomInputs } from './randomInputs';
export type { RandomInputsOptions, RandomInputsSpec, NoiseDistribution } from './randomInputs';
export { fromFiles } from './files';
export type { FilesOptions, FilesSpec } from './files';
export { fromArrays } from './arrays';
export type { ArraysOptions, ArraysSpec } from './arrays';
export { datasetFromSpec } from './spec';
