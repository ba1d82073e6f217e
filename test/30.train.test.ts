/** Layer 3, training: initialisations, the native (S)GD loop, its bad-input paths, trainMany. */
import { gaussianMixture, twoBlobs } from '../src/data';
import type { Dataset } from '../src/data';
import { evaluate } from '../src/engine/curvature';
import { parameterCount, parameterLayout, MlpSpec } from '../src/engine/model';
import { DivergenceError, initialParameters, resolveConfig, train, trainMany, TrainConfig } from '../src/train';

const blobsModel: MlpSpec = { layers: [2, 10, 10, 2], activation: 'relu', loss: 'cross_entropy' };
const blobs = { kind: 'two_blobs', N: 100, std: 0.4, seed: 3, testN: 50 } as const;
const base: TrainConfig = {
  model: blobsModel,
  data: blobs,
  seed: 7,
  phases: [{ steps: 60, optimizer: 'sgd', batchSize: 16, lr: 0.1, momentum: 0.9 }],
  recordEvery: 20,
};
const bitEqual = (a: Float64Array, b: Float64Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('initialisations', () => {
  const big: MlpSpec = { layers: [100, 200, 50], activation: 'relu', loss: 'cross_entropy' };
  const slices = parameterLayout(big);
  const weights = (w: Float64Array, l: number) => w.subarray(slices[l].weight.offset, slices[l].weight.offset + slices[l].weight.rows * slices[l].weight.cols);
  const biases = (w: Float64Array, l: number) => w.subarray(slices[l].bias!.offset, slices[l].bias!.offset + slices[l].bias!.length);
  const absMax = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const variance = (a: Float64Array) => a.reduce((s, v) => s + v * v, 0) / a.length;

  test('pytorch: W and b uniform within 1/sqrt(fan_in), filling the interval', () => {
    const w = initialParameters(big, { scheme: 'pytorch' }, 1);
    for (const l of [0, 1]) {
      const bound = 1 / Math.sqrt(big.layers[l]);
      expect(absMax(weights(w, l))).toBeLessThanOrEqual(bound);
      expect(absMax(weights(w, l))).toBeGreaterThan(0.99 * bound);
      expect(absMax(biases(w, l))).toBeLessThanOrEqual(bound);
      expect(variance(weights(w, l)) / (bound * bound / 3)).toBeCloseTo(1, 1);
    }
  });

  test('glorot: uniform within sqrt(6/(fan_in+fan_out)), zero biases', () => {
    const w = initialParameters(big, { scheme: 'glorot' }, 2);
    const bound = Math.sqrt(6 / (100 + 200));
    expect(absMax(weights(w, 0))).toBeLessThanOrEqual(bound);
    expect(absMax(weights(w, 0))).toBeGreaterThan(0.99 * bound);
    expect(absMax(biases(w, 0))).toBe(0);
  });

  test('he: normal with variance 2/fan_in, zero biases', () => {
    const w = initialParameters(big, { scheme: 'he' }, 3);
    expect(variance(weights(w, 0)) / (2 / 100)).toBeCloseTo(1, 1); // 20,000 draws: ±1%
    expect(variance(weights(w, 1)) / (2 / 200)).toBeCloseTo(1, 1);
    expect(absMax(biases(w, 1))).toBe(0);
  });

  test('sphere: the whole vector has norm r, and directions differ by seed', () => {
    const a = initialParameters(blobsModel, { scheme: 'sphere', radius: 3.5 }, 4);
    const b = initialParameters(blobsModel, { scheme: 'sphere', radius: 3.5 }, 5);
    expect(Math.hypot(...a)).toBeCloseTo(3.5, 12);
    expect(maxDiff(a, b)).toBeGreaterThan(0.01);
  });

  test('same seed, same vector; bad schemes are rejected by name', () => {
    expect(bitEqual(initialParameters(blobsModel, 'pytorch', 9), initialParameters(blobsModel, 'pytorch', 9))).toBe(true);
    expect(() => initialParameters(blobsModel, { scheme: 'xavier' } as never, 0)).toThrow(/init.scheme must be one of/);
    expect(() => initialParameters(blobsModel, { scheme: 'sphere' }, 0)).toThrow(/init.radius/);
    expect(() => initialParameters(blobsModel, { scheme: 'he', radius: 1 }, 0)).toThrow(/init.radius/);
  });
});

describe('train', () => {
  test('same seed gives bit-identical weights (SGD + momentum)', async () => {
    const a = await train(base);
    const b = await train(base);
    expect(bitEqual(a.params, b.params)).toBe(true);
    const c = await train({ ...base, seed: 8 });
    expect(bitEqual(a.params, c.params)).toBe(false);
  });

  test('loss decreases on a separable Gaussian mixture; records every K steps', async () => {
    const r = await train({
      model: { layers: [10, 16, 3], activation: 'relu', loss: 'cross_entropy' },
      data: { kind: 'gaussian_mixture', k: 3, N: 150, d: 10, covarianceMultiplier: 0.05, seed: 1, testN: 60 },
      phases: [{ steps: 300, lr: 0.2 }],
      recordEvery: 50,
    });
    expect(r.metrics.map((m) => m.step)).toEqual([0, 50, 100, 150, 200, 250, 300]);
    const first = r.metrics[0], last = r.metrics[r.metrics.length - 1];
    expect(last.trainLoss).toBeLessThan(0.3 * first.trainLoss);
    expect(last.trainAccuracy).toBeGreaterThan(0.95);
    expect(last.testAccuracy!).toBeGreaterThan(0.9);
    for (let i = 1; i < r.metrics.length; i++) expect(r.metrics[i].trainLoss).toBeLessThan(r.metrics[i - 1].trainLoss);
  });

  test('SGD with batch N equals GD (to 1e-12)', async () => {
    const gd = await train({ ...base, phases: [{ steps: 20, optimizer: 'gd', lr: 0.1 }] });
    const sgd = await train({ ...base, phases: [{ steps: 20, optimizer: 'sgd', batchSize: 100, lr: 0.1 }] });
    expect(maxDiff(gd.params, sgd.params)).toBeLessThan(1e-12);
    expect(bitEqual(gd.params, sgd.params)).toBe(false); // different summation order: a real comparison
    const small = await train({ ...base, phases: [{ steps: 20, optimizer: 'sgd', batchSize: 10, lr: 0.1 }] });
    expect(maxDiff(gd.params, small.params)).toBeGreaterThan(1e-6);
  });

  test("one native GD step is w0 - lr g with the engine's gradient; momentum follows PyTorch", async () => {
    const data = twoBlobs({ N: 100, std: 0.4, seed: 3, testN: 50 });
    const w0 = initialParameters(blobsModel, 'pytorch', 7);
    const g0 = evaluate(blobsModel, w0, data).gradient;
    const one = await train({ ...base, phases: [{ steps: 1, lr: 0.3 }] });
    expect(maxDiff(one.params, w0.map((w, j) => w - 0.3 * g0[j]))).toBeLessThan(1e-14);
    // Two steps with momentum mu: w1 = w0 - lr g0; v = mu g0 + g1; w2 = w1 - lr v.
    const two = await train({ ...base, phases: [{ steps: 2, lr: 0.3, momentum: 0.5 }] });
    const w1 = w0.map((w, j) => w - 0.3 * g0[j]);
    const g1 = evaluate(blobsModel, w1, data).gradient;
    expect(maxDiff(two.params, w1.map((w, j) => w - 0.3 * (0.5 * g0[j] + g1[j])))).toBeLessThan(1e-14);
    expect(maxDiff(two.velocity!, g0.map((g, j) => 0.5 * g + g1[j]))).toBeLessThan(1e-14);
  });

  test('phases switch batch size at the right step and the gradient-norm stop ends the run', async () => {
    const r = await train({ ...base, phases: [{ steps: 30, batchSize: 50, lr: 0.1 }, { steps: 30, batchSize: 8, lr: 0.1 }], recordEvery: 10 });
    expect(r.metrics.map((m) => m.phase)).toEqual([0, 0, 0, 0, 1, 1, 1]);
    const stopped = await train({ ...base, stop: { gradNorm: 10 } });
    expect(stopped.stopped).toBe('gradNorm');
    expect(stopped.step).toBe(0);
  });

  test('bad parameters are rejected with the field and the value', async () => {
    const withPhase = (p: object) => train({ ...base, phases: [p as never] });
    await expect(withPhase({ steps: 10, lr: 0 })).rejects.toThrow(/config.phases\[0\].lr must be .*received 0/);
    await expect(withPhase({ steps: 10, lr: -1 })).rejects.toThrow(RangeError);
    await expect(withPhase({ steps: 10, lr: NaN })).rejects.toThrow(/lr .*received NaN/);
    await expect(withPhase({ steps: 10, batchSize: 101, lr: 0.1 })).rejects.toThrow(/batchSize must be at most N = 100.*received 101/);
    await expect(withPhase({ steps: 10, optimizer: 'adam', lr: 0.1 })).rejects.toThrow(/optimizer must be one of gd \| sgd; received "adam"/);
    await expect(withPhase({ steps: 10, optimizer: 'sgd', lr: 0.1 })).rejects.toThrow(/batchSize/);
    await expect(withPhase({ steps: 0, lr: 0.1 })).rejects.toThrow(/steps/);
    await expect(withPhase({ steps: 10, lr: 0.1, momentum: 1 })).rejects.toThrow(/momentum/);
    await expect(withPhase({ steps: 10, lr: 0.1, beta: 0.9 })).rejects.toThrow(/unknown key\(s\) beta/);
    await expect(train({ ...base, lr: 0.1 } as never)).rejects.toThrow(/unknown key\(s\) lr/);
    const { phases: _p, ...noPhases } = base;
    await expect(train(noPhases as never)).rejects.toThrow(/phases/);
    expect(() => resolveConfig({ model: blobsModel, phases: base.phases })).toThrow(/without data/);
    await expect(train({ ...base, model: { ...blobsModel, layers: [3, 4, 2] } })).rejects.toThrow(/layers\[0\]/);
    const good = twoBlobs({ N: 100, std: 0.4, seed: 3 });
    const nan: Dataset = { ...good, X: Float64Array.from(good.X, (v, i) => (i === 7 ? NaN : v)) };
    await expect(train(base, { dataset: nan })).rejects.toThrow(/data.X\[3\]\[1\] must be finite; received NaN/);
  });

  test('divergence stops the run with an error naming the step', async () => {
    const err = await train({ ...base, model: { ...blobsModel, loss: 'mse' }, phases: [{ steps: 200, lr: 50 }] }).catch((e) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect(err.message).toMatch(/training diverged at step \d+/);
    expect(err.step).toBeGreaterThan(0);
  });

  test('an AbortSignal cancels a run', async () => {
    const controller = new AbortController();
    const run = train({ ...base, phases: [{ steps: 2_000_000, batchSize: 16, lr: 0.01 }] }, {
      signal: controller.signal,
      onProgress: (_, f) => { if (f > 0.001) controller.abort(); },
    });
    await expect(run).rejects.toThrow(/aborted/);
  });
});

describe('trainMany', () => {
  const data = twoBlobs({ N: 100, std: 0.4, seed: 3, testN: 50 });
  const opts = { model: blobsModel, data, runs: 6, seed: 11, phases: [{ steps: 80, batchSize: 20, lr: 0.1 }] };

  test('matches single runs, independent of the thread count', async () => {
    const two = await trainMany({ ...opts, threads: 2 });
    const one = await trainMany({ ...opts, threads: 1 });
    expect(bitEqual(two.finalParams, one.finalParams)).toBe(true);
    expect(two.status).toEqual(Array(6).fill('steps'));
    for (const r of [0, 5]) {
      const single = await train({ model: blobsModel, data: data.spec, seed: 11 + r, phases: opts.phases, recordEvery: 80 });
      expect(maxDiff(two.params(r), single.params)).toBeLessThan(1e-10); // plain loops vs BLAS: rounding only
      expect(two.trainLoss[r]).toBeCloseTo(single.metrics[single.metrics.length - 1].trainLoss, 10);
    }
    expect(two.testAccuracy[0]).toBeGreaterThan(0.9);
  });

  test('a diverged run is reported, not thrown; bad options are named', async () => {
    const M = parameterCount(blobsModel);
    const inits = new Float64Array(2 * M);
    inits.set(initialParameters(blobsModel, 'pytorch', 1), 0);
    inits.set(initialParameters(blobsModel, { scheme: 'sphere', radius: 1000 }, 2), M);
    const r = await trainMany({ model: { ...blobsModel, loss: 'mse' }, data, inits, phases: [{ steps: 100, lr: 0.3 }] });
    expect(r.status).toEqual(['steps', 'diverged']);
    expect(Number.isNaN(r.trainLoss[1])).toBe(true);
    await expect(trainMany({ ...opts, runs: 0 })).rejects.toThrow(/options.runs/);
    await expect(trainMany({ ...opts, phases: [{ steps: 5, batchSize: 1000, lr: 0.1 }] })).rejects.toThrow(/batchSize must be at most N = 100/);
  });
});
