/**
 * S18 E2's data: k Gaussian clusters in dimension d, cluster c = class c, "normalized globally".
 * The paper leaves everything else unstated; our choices (all options, recorded in the spec):
 *
 * - Means μ_c ~ N(0, meanScale²·I_d), i.i.d. Within-cluster covariance = covarianceMultiplier·I_d
 *   (σ² = 1 at multiplier 1), so a larger multiplier only makes the clusters overlap more.
 * - meanScale defaults to 3/√d. Two means are then ‖μ_a − μ_b‖ ≈ meanScale·√(2d) = 3√2 ≈ 4.2
 *   apart for every d, measured in within-cluster standard deviations at multiplier 1: the pairwise
 *   Bayes error is Φ(−2.1) ≈ 2% (learnable, not trivially separable); at multiplier 10 it is
 *   4.2/√10 ≈ 1.3 std apart, Φ(−0.67) ≈ 25% (clearly less separable, as E2 wants).
 * - Equal class sizes by default (the remainder of N/k going to the first classes), samples in
 *   random order.
 * - normalize 'global' (default): subtract the mean vector of the whole training set (all classes
 *   pooled) and divide by one scalar, the root-mean-square of the centred entries. This is a
 *   similarity transform: it fixes the overall scale (mean 0, std 1 over all entries) without
 *   changing the geometry of the clusters. 'per_feature' z-scores each coordinate; 'none' keeps the
 *   raw draws. The statistics come from the training set and are applied unchanged to the test set.
 * - Draw order from one seeded stream: means, training set, test set; so changing testN never
 *   changes the training data.
 */
import { requireFiniteNumber, requireInteger, requireOneOf } from '../util/errors';
import { BALANCES, Balance, Dataset, Samples, checkOptions, classLabels, withTestSplit } from './dataset';
import { Rng } from './rng';
import { featureStats, standardize } from './stats';

export type MixtureNormalization = 'global' | 'per_feature' | 'none';

export interface GaussianMixtureOptions {
  k: number;
  N: number;
  d?: number;
  covarianceMultiplier?: number;
  seed?: number;
  meanScale?: number;
  balance?: Balance;
  normalize?: MixtureNormalization;
  testN?: number;
}

export type GaussianMixtureSpec = { kind: 'gaussian_mixture' } & Required<GaussianMixtureOptions>;

const KEYS = ['k', 'N', 'd', 'covarianceMultiplier', 'seed', 'meanScale', 'balance', 'normalize', 'testN'];

function resolve(options: GaussianMixtureOptions): GaussianMixtureSpec {
  const o = checkOptions('gaussianMixture options', options, KEYS);
  const k = requireInteger('k', o.k, 2);
  const N = requireInteger('N', o.N, k);
  const d = requireInteger('d', o.d ?? 100, 1);
  return {
    kind: 'gaussian_mixture',
    k,
    N,
    d,
    covarianceMultiplier: requireFiniteNumber('covarianceMultiplier', o.covarianceMultiplier ?? 1, Number.MIN_VALUE),
    seed: requireInteger('seed', o.seed ?? 0, 0),
    meanScale: requireFiniteNumber('meanScale', o.meanScale ?? 3 / Math.sqrt(d), Number.MIN_VALUE),
    balance: requireOneOf('balance', o.balance ?? 'equal', BALANCES),
    normalize: requireOneOf('normalize', o.normalize ?? 'global', ['global', 'per_feature', 'none'] as const),
    testN: requireInteger('testN', o.testN ?? 0, 0),
  };
}

/** The k×d cluster means (row-major, before normalisation): the first draws of the stream. */
function drawMeans(rng: Rng, spec: GaussianMixtureSpec): Float64Array {
  return rng.fillNormal(new Float64Array(spec.k * spec.d), 0, spec.meanScale);
}

function drawSamples(rng: Rng, spec: GaussianMixtureSpec, means: Float64Array, n: number): Samples {
  const { d, k } = spec;
  const y = classLabels(n, k, spec.balance, rng);
  const X = new Float64Array(n * d);
  const sigma = Math.sqrt(spec.covarianceMultiplier);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) X[i * d + j] = means[y[i] * d + j] + sigma * rng.normal();
  }
  return { X, y };
}

/** shift/scale of the chosen normalisation, from the training inputs. */
function normalization(X: Float64Array, d: number, mode: MixtureNormalization): { shift: Float64Array; scale: Float64Array } {
  const { mean, std } = featureStats(X, d);
  if (mode === 'global') {
    const rms = Math.sqrt(std.reduce((s, v) => s + v * v, 0) / d);
    return { shift: mean, scale: new Float64Array(d).fill(rms) };
  }
  return { shift: mean, scale: std.map((s) => (s > 0 ? s : 1)) };
}

/** The cluster means of the mixture these options describe (k×d, row-major, unnormalised). */
export function gaussianMixtureMeans(options: GaussianMixtureOptions): Float64Array {
  const spec = resolve(options);
  return drawMeans(new Rng(spec.seed), spec);
}

export function gaussianMixture(options: GaussianMixtureOptions): Dataset {
  const spec = resolve(options);
  const { k, d, seed } = spec;
  const rng = new Rng(seed);
  const means = drawMeans(rng, spec);
  const train = drawSamples(rng, spec, means, spec.N);
  const test = spec.testN > 0 ? drawSamples(rng, spec, means, spec.testN) : null;
  if (spec.normalize !== 'none') {
    const { shift, scale } = normalization(train.X, d, spec.normalize);
    for (const part of test ? [train, test] : [train]) standardize(part.X, d, shift, scale);
  }
  return withTestSplit({ d, k, seed, spec, name: `gmm-k${k}-d${d}-cov${spec.covarianceMultiplier}` }, train, test);
}
