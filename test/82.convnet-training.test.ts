/**
 * Convnets train, checkpoint, resume and sit on lines exactly like MLPs: the loss falls, an
 * interrupted run resumed from its checkpoint ends with bit-identical weights, the checkpoint
 * keeps the sequential model, and the straight line between two solutions is evaluated with a
 * spectrum on it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { caseFromCheckpoint, interpolate, loadCheckpoint, resumeTraining, train, TrainConfig } from '../src/train';
import { computeCurvature, parameterCount, SequentialSpec } from '../src';
import { DatasetSpec } from '../src/data/dataset';

const model: SequentialSpec = {
  input_shape: [1, 7, 7],
  loss: 'cross_entropy',
  layers: [
    { type: 'conv2d', out_channels: 3, kernel: 3, padding: 1 }, { type: 'relu' }, { type: 'maxpool2d', kernel: 2 },
    { type: 'flatten' }, { type: 'linear', out: 8 }, { type: 'relu' }, { type: 'linear', out: 3 },
  ],
};
const data: DatasetSpec = { kind: 'mnist', N: 60, classes: [0, 1, 7], downsample: 4, seed: 1, testN: 30, balance: 'equal' };
const config = (batchSize: number, seed = 4): TrainConfig => ({
  model,
  data,
  seed,
  phases: [{ steps: 60, batchSize, lr: 0.1, momentum: 0.9 }],
  recordEvery: 20,
  checkpointEvery: 20,
});
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'hl-conv-'));
const bitEqual = (a: Float64Array, b: Float64Array) =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

test('a convnet trains: the training loss falls and accuracy rises', async () => {
  const r = await train(config(10));
  const first = r.metrics[0], last = r.metrics[r.metrics.length - 1];
  expect(r.params.length).toBe(parameterCount(model));
  expect(last.trainLoss).toBeLessThan(0.7 * first.trainLoss);
  expect(last.trainAccuracy).toBeGreaterThan(first.trainAccuracy);
});

test('an interrupted convnet run resumes to bit-identical weights; the checkpoint keeps the model', async () => {
  const uninterrupted = await train(config(10));
  const dir = tmp();
  const controller = new AbortController();
  await expect(train(config(10), { out: dir, signal: controller.signal, onRecord: (m) => { if (m.step === 40) controller.abort(); } }))
    .rejects.toThrow(/aborted/);
  expect(loadCheckpoint(dir).step).toBe(40);
  const resumed = await resumeTraining(dir);
  expect(bitEqual(resumed.params, uninterrupted.params)).toBe(true);
  const saved = loadCheckpoint(dir);
  expect(saved.model).toMatchObject({ input_shape: [1, 7, 7] });
  const kase = caseFromCheckpoint(dir);
  expect(kase.data.X.length).toBe(60 * 49);
  const r = await computeCurvature(kase.model, kase.params, kase.data, { matrices: ['hessian'] });
  expect(r.matrices.hessian!.rows).toBe(parameterCount(model));
  r.matrices.hessian!.dispose();
});

test('the line between a small-batch and a large-batch convnet solution, with a spectrum on it', async () => {
  const [sb, lb] = await Promise.all([train(config(5)), train(config(60, 9))]);
  const a = { model, params: sb.params, dataSpec: data };
  const b = { model, params: lb.params, dataSpec: data };
  const line = await interpolate(a, b, { alphas: [-0.5, 0, 0.5, 1, 1.5], spectrumAt: [0.5] });
  expect(line.points.map((p) => p.alpha)).toEqual([-0.5, 0, 0.5, 1, 1.5]);
  expect(line.points[1].trainLoss).toBeCloseTo(sb.metrics[sb.metrics.length - 1].trainLoss, 10);
  expect(line.points[3].trainLoss).toBeCloseTo(lb.metrics[lb.metrics.length - 1].trainLoss, 10);
  expect(line.spectra).toHaveLength(1);
  expect(line.spectra[0].summary.count).toBe(parameterCount(model));
});

test('hessian-lab analyze reads the sequential case-file form and writes the convnet spectra', async () => {
  const { runCli } = await import('./helpers/cli');
  const { lcg } = await import('./helpers/fixtures');
  const m: SequentialSpec = {
    input_shape: [1, 6, 6], loss: 'cross_entropy',
    layers: [{ type: 'conv2d', out_channels: 2, kernel: 3, stride: 1, padding: 0 }, { type: 'relu' }, { type: 'maxpool2d', kernel: 2 },
      { type: 'flatten' }, { type: 'linear', out: 5 }, { type: 'relu' }, { type: 'linear', out: 3 }],
  };
  const r = lcg(4), N = 10, M = parameterCount(m);
  const X = Array.from({ length: N }, () => Array.from({ length: 36 }, () => r() + 0.5));
  const kase = { model: m, params: Array.from({ length: M }, () => r()), X, y: Array.from({ length: N }, (_, i) => i % 3) };
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(kase));
  const res = await runCli('analyze', '--case', path.join(dir, 'case.json'), '--out', path.join(dir, 'out'));
  expect(res.code).toBe(0);
  const a = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'analysis.json'), 'utf8'));
  expect(a.parameters).toBe(M);
  expect(a.hessian.eigenvalues).toHaveLength(M);
  expect(a.ggn.eigenvalues[0]).toBeGreaterThan(-1e-12);
  // A wrong row length is named, with the expected C*H*W.
  fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ ...kase, X: X.map((row) => row.slice(1)) }));
  const bad = await runCli('analyze', '--case', path.join(dir, 'bad.json'), '--out', path.join(dir, 'out2'));
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/36/);
});

test('hessian-lab train --model convnet.json (flags, no run.json), then analyze --checkpoint', async () => {
  const { runCli } = await import('./helpers/cli');
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'convnet.json'), JSON.stringify(model));
  const run = path.join(dir, 'run');
  const r = await runCli('train', '--model', path.join(dir, 'convnet.json'), '--data', 'mnist:N=30,downsample=4,classes=0|1|7,seed=2',
    '--steps', '20', '--lr', '0.1', '--batch-size', '10', '--out', run);
  expect(r.code).toBe(0);
  expect(loadCheckpoint(run).model).toMatchObject({ input_shape: [1, 7, 7] });
  const a = await runCli('analyze', '--checkpoint', run, '--out', path.join(dir, 'analysis'), '--matrices', 'hessian');
  expect(a.code).toBe(0);
  const out = JSON.parse(fs.readFileSync(path.join(dir, 'analysis', 'analysis.json'), 'utf8'));
  expect(out.hessian.eigenvalues).toHaveLength(parameterCount(model));
  const both = await runCli('train', '--model', path.join(dir, 'convnet.json'), '--layers', '2,3', '--data', 'two_blobs:N=10', '--steps', '1', '--lr', '0.1', '--out', path.join(dir, 'x'));
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/either --model FILE or --layers/);
});
