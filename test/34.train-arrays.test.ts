/** Layer 3: training on arrays the caller holds — fromArrays and trainOnArrays, without a dataset spec to write. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { datasetFromSpec, fromArrays, train, trainOnArrays } from '../src';
import { twoBlobs } from '../src/data';
import { InputError } from '../src/util/errors';

const blobs = twoBlobs({ N: 40, std: 0.3, seed: 4 });
const model = { layers: [2, 5, 2], activation: 'tanh', loss: 'cross_entropy' } as const;
const phases = [{ steps: 60, lr: 0.2 }, { steps: 40, lr: 0.1, batchSize: 10 }];

describe('fromArrays', () => {
  it('wraps X and y as a Dataset whose spec records the shape only', () => {
    const ds = fromArrays({ X: blobs.X, y: blobs.y });
    expect([ds.N, ds.d, ds.k, ds.seed]).toEqual([40, 2, 2, null]);
    expect(ds.spec).toEqual({ kind: 'arrays', N: 40, d: 2, k: 2, testN: 0 });
    expect(ds.X).toBe(blobs.X); // no copy
    expect(fromArrays({ X: blobs.X, y: blobs.y, k: 3, test: { X: blobs.X.slice(0, 4), y: blobs.y.slice(0, 2) } }).test!.N).toBe(2);
  });

  it.each([
    ['X not a Float64Array', { X: [1, 2], y: Int32Array.from([0]) }, /options\.X/],
    ['y not an Int32Array', { X: new Float64Array(2), y: [0] }, /options\.y/],
    ['X not N rows', { X: new Float64Array(5), y: Int32Array.from([0, 1]) }, /multiple of N = 2/],
    ['a label >= k', { X: new Float64Array(4), y: Int32Array.from([0, 2]), k: 2 }, /labels in \[0, 1\]/],
    ['a NaN input', { X: Float64Array.from([0, NaN]), y: Int32Array.from([0, 1]) }, /X/],
    ['an unknown key', { X: new Float64Array(2), y: Int32Array.from([0, 1]), labels: 1 }, /unknown key\(s\) labels/],
  ])('refuses %s', (_what, options, message) => {
    expect(() => fromArrays(options as never)).toThrow(message);
  });

  it('cannot be rebuilt from its spec, and says how to pass the arrays again', () => {
    const spec = fromArrays({ X: blobs.X, y: blobs.y }).spec;
    expect(() => datasetFromSpec(spec)).toThrow(InputError);
    expect(() => datasetFromSpec(spec)).toThrow(/arrays in memory .* fromArrays/);
  });
});

describe('trainOnArrays', () => {
  it('is train() on the arrays: the same weights and records as a run config over the same data', async () => {
    const mine = await trainOnArrays(model, { X: blobs.X, y: blobs.y }, { phases, seed: 2, recordEvery: 20 });
    const reference = await train({ model, data: blobs.spec, phases, seed: 2, recordEvery: 20 }, { dataset: blobs });
    expect(mine.params).toEqual(reference.params);
    expect(mine.metrics).toEqual(reference.metrics);
    expect(mine.step).toBe(100);
    expect(mine.config.data).toEqual({ kind: 'arrays', N: 40, d: 2, k: 2, testN: 0 });
    expect(mine.metrics[mine.metrics.length - 1].trainLoss).toBeLessThan(mine.metrics[0].trainLoss);
  });

  it('evaluates held-out arrays, and checkpoints a run that resumes with the arrays passed again', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-arrays-'));
    const test = { X: blobs.X.slice(0, 20), y: blobs.y.slice(0, 10) };
    const first = await trainOnArrays(model, blobs, { phases: [{ steps: 30, lr: 0.2 }], test, out, checkpointEvery: 10 });
    expect(Number.isFinite(first.metrics[first.metrics.length - 1].testLoss)).toBe(true);
    const again = await trainOnArrays(model, blobs, { phases: [{ steps: 30, lr: 0.2 }], test, out, checkpointEvery: 10, resume: true });
    expect(again.params).toEqual(first.params);
    expect(again.seconds).toBe(0); // nothing left to do: the stored run was finished
  });

  it('names a model/data mismatch and bad options', async () => {
    await expect(trainOnArrays({ layers: [3, 2], activation: 'relu', loss: 'cross_entropy' }, blobs, { phases })).rejects.toThrow(/multiple of N|layers\[0\]/);
    await expect(trainOnArrays(model, blobs, null as never)).rejects.toThrow(TypeError);
    await expect(trainOnArrays(model, blobs, { phases: [] })).rejects.toThrow(/phases/);
  });
});
