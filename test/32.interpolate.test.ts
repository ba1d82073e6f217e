/** Layer 3, straight lines between weights (S18 E6, S16 P6). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { evaluate } from '../src/engine/curvature';
import { twoBlobs } from '../src/data';
import { initialParameters, interpolate, loadCheckpoint, parseAlphas, pointOnLine, train, TrainConfig } from '../src/train';

const model = { layers: [2, 6, 2], activation: 'relu', loss: 'cross_entropy' } as const;
const data = { kind: 'two_blobs', N: 80, std: 0.6, seed: 4, testN: 40 } as const;
const gd: TrainConfig = { model, data, seed: 1, phases: [{ steps: 40, lr: 0.2 }], recordEvery: 40 };
const sgd: TrainConfig = { ...gd, phases: [{ steps: 40, batchSize: 8, lr: 0.2 }] };

test('parseAlphas: start:end:count, inclusive', () => {
  const a = parseAlphas('-1:2:22');
  expect(a).toHaveLength(22);
  expect(a[0]).toBe(-1);
  expect(a[21]).toBe(2);
  expect(a[7]).toBe(0);
  expect(a[14]).toBe(1);
  for (const bad of ['1:2', '0:1:0', 'a:1:3', '0:1:2.5', '0:1:1']) expect(() => parseAlphas(bad)).toThrow(RangeError);
});

test('the line through two checkpoints reproduces their losses at alpha 0 and 1', async () => {
  const dirA = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-line-a-'));
  const dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-line-b-'));
  const ra = await train(gd, { out: dirA });
  const rb = await train(sgd, { out: dirB });
  const a = loadCheckpoint(dirA), b = loadCheckpoint(dirB);
  const r = await interpolate(a, b, { alphas: parseAlphas('-1:2:4'), spectrumAt: [0.5] });
  expect(r.points.map((p) => p.alpha)).toEqual([-1, 0, 1, 2]);
  const endA = ra.metrics[ra.metrics.length - 1], endB = rb.metrics[rb.metrics.length - 1];
  expect(r.points[1].trainLoss).toBeCloseTo(endA.trainLoss, 12);
  expect(r.points[1].testLoss!).toBeCloseTo(endA.testLoss!, 12);
  expect(r.points[1].trainAccuracy).toBe(endA.trainAccuracy);
  expect(r.points[2].trainLoss).toBeCloseTo(endB.trainLoss, 12);
  expect(r.points[2].testAccuracy).toBe(endB.testAccuracy);
  // An interior point agrees with the engine's own evaluation.
  const ds = twoBlobs({ N: 80, std: 0.6, seed: 4 });
  expect(r.points[3].trainLoss).toBeCloseTo(evaluate(model, pointOnLine(a.params, b.params, 2), ds).loss, 12);
  expect(r.spectra).toHaveLength(1);
  expect(r.spectra[0].summary.count).toBe(2 * 6 + 6 + 6 * 2 + 2);
});

test('bad end points and alphas are rejected', async () => {
  const w = initialParameters(model, 'pytorch', 0);
  const ds = twoBlobs({ N: 80, std: 0.6, seed: 4 });
  await expect(interpolate({ model, params: w }, { model, params: w }, { alphas: [0, 1] })).rejects.toThrow(/options.data/);
  await expect(interpolate({ model, params: w }, { model: { ...model, layers: [2, 5, 2] }, params: w }, { alphas: [0], data: ds })).rejects.toThrow(/different models/);
  await expect(interpolate({ model, params: w }, { model, params: w.subarray(1) }, { alphas: [0], data: ds })).rejects.toThrow(/b.params/);
  await expect(interpolate({ model, params: w }, { model, params: w }, { alphas: [NaN], data: ds })).rejects.toThrow(/alphas\[0\]/);
});
