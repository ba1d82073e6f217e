/**
 * S16 P3/P5: two isotropic 2-D Gaussian blobs centred at (1, 1) (label 0) and (−1, −1) (label 1),
 * equal halves (class 0 gets the odd sample), samples in random order. Train first, then test,
 * from one seeded stream.
 */
import { requireFiniteNumber, requireInteger } from '../util/errors';
import { Dataset, Samples, checkOptions, classLabels, withTestSplit } from './dataset';
import { Rng } from './rng';

export interface TwoBlobsOptions {
  N: number;
  /** Standard deviation of each coordinate within a blob. */
  std: number;
  seed?: number;
  testN?: number;
}

export type TwoBlobsSpec = { kind: 'two_blobs' } & Required<TwoBlobsOptions>;

const CENTRES = [
  [1, 1],
  [-1, -1],
];

function drawBlobs(rng: Rng, n: number, std: number): Samples {
  const y = classLabels(n, 2, 'equal', rng);
  const X = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    X[2 * i] = rng.normal(CENTRES[y[i]][0], std);
    X[2 * i + 1] = rng.normal(CENTRES[y[i]][1], std);
  }
  return { X, y };
}

export function twoBlobs(options: TwoBlobsOptions): Dataset {
  const o = checkOptions('twoBlobs options', options, ['N', 'std', 'seed', 'testN']);
  const spec: TwoBlobsSpec = {
    kind: 'two_blobs',
    N: requireInteger('N', o.N, 2),
    std: requireFiniteNumber('std', o.std, Number.MIN_VALUE),
    seed: requireInteger('seed', o.seed ?? 0, 0),
    testN: requireInteger('testN', o.testN ?? 0, 0),
  };
  const rng = new Rng(spec.seed);
  const train = drawBlobs(rng, spec.N, spec.std);
  const test = spec.testN > 0 ? drawBlobs(rng, spec.testN, spec.std) : null;
  return withTestSplit({ d: 2, k: 2, seed: spec.seed, spec, name: `two-blobs-std${spec.std}` }, train, test);
}
