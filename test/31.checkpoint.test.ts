/** Layer 3, checkpoints: the directory format, round trips, and resuming to the same weights. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { caseFromCheckpoint, CHECKPOINT_FORMAT, loadCheckpoint, resumeTraining, train, TrainConfig } from '../src/train';

const config: TrainConfig = {
  model: { layers: [2, 8, 2], activation: 'tanh', loss: 'cross_entropy' },
  data: { kind: 'two_blobs', N: 64, std: 0.5, seed: 2, testN: 32 },
  seed: 5,
  phases: [{ steps: 50, batchSize: 10, lr: 0.05, momentum: 0.9 }, { steps: 50, batchSize: 4, lr: 0.05, momentum: 0.9 }],
  recordEvery: 10,
  checkpointEvery: 30,
};
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'hl-ckpt-'));
const bitEqual = (a: Float64Array, b: Float64Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

test('a finished run round-trips through its checkpoint directory', async () => {
  const dir = tmp();
  const r = await train(config, { out: dir });
  expect(fs.readdirSync(dir).sort()).toEqual(['checkpoint.json', 'metrics.jsonl', 'momentum-100.npy', 'params-100.npy']);
  const c = loadCheckpoint(dir);
  expect(c.step).toBe(100);
  expect(c.stopped).toBe('steps');
  expect(bitEqual(c.params, r.params)).toBe(true);
  expect(bitEqual(c.velocity!, r.velocity!)).toBe(true);
  expect(c.model).toEqual({ ...config.model, bias: true });
  expect(c.dataSpec).toEqual(config.data);
  expect(c.metrics).toEqual(r.metrics);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8'));
  expect(meta.format).toBe(CHECKPOINT_FORMAT);
  const lines = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((m) => m.step)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  const kase = caseFromCheckpoint(dir);
  expect(kase.data.y.length).toBe(64);
  expect(bitEqual(kase.params, r.params)).toBe(true);
});

test('an interrupted run resumed from its last checkpoint ends with the same weights', async () => {
  const uninterrupted = await train(config);
  const dir = tmp();
  const controller = new AbortController();
  await expect(train(config, { out: dir, signal: controller.signal, onRecord: (m) => { if (m.step === 60) controller.abort(); } }))
    .rejects.toThrow(/aborted/);
  const partial = loadCheckpoint(dir);
  expect(partial.step).toBe(60); // checkpoints at 30 and 60; the abort stops the run before 60..90
  expect(partial.stopped).toBeNull();
  expect(bitEqual(partial.params, uninterrupted.params)).toBe(false);
  const resumed = await resumeTraining(dir);
  expect(resumed.step).toBe(100);
  expect(bitEqual(resumed.params, uninterrupted.params)).toBe(true);
  expect(bitEqual(resumed.velocity!, uninterrupted.velocity!)).toBe(true);
  expect(resumed.metrics).toEqual(uninterrupted.metrics);
});

test('a resume refuses another run, and a torn checkpoint is detected', async () => {
  const dir = tmp();
  await train({ ...config, phases: [{ steps: 30, lr: 0.05 }] }, { out: dir });
  await expect(train({ ...config, seed: 6, phases: [{ steps: 30, lr: 0.05 }] }, { out: dir, resume: true })).rejects.toThrow(/different run/);
  expect(fs.readdirSync(dir).filter((f) => f.startsWith('momentum'))).toEqual([]); // no momentum, no file
  const params = path.join(dir, 'params-30.npy');
  const bytes = fs.readFileSync(params);
  bytes[bytes.length - 1] ^= 1;
  fs.writeFileSync(params, bytes);
  expect(() => loadCheckpoint(dir)).toThrow(/does not match checkpoint.json/);
  expect(() => loadCheckpoint(tmp())).toThrow(/not a checkpoint directory/);
});

test('onSegment sees the weights every checkpointEvery steps and the last, and changes nothing', async () => {
  const plain = await train(config);
  const seen: { step: number; params: Float64Array }[] = [];
  const r = await train(config, { onSegment: async (step, params) => { await new Promise((ok) => setTimeout(ok, 1)); seen.push({ step, params }); } });
  expect(seen.map((s) => s.step)).toEqual([30, 60, 90, 100]);
  expect(bitEqual(r.params, plain.params)).toBe(true);
  expect(bitEqual(seen[3].params, plain.params)).toBe(true);
  // Each is the run's state at that step: a run of 60 steps ends where the second segment did.
  const sixty = await train({ ...config, phases: [config.phases[0], { ...config.phases[1], steps: 10 }] });
  expect(bitEqual(seen[1].params, sixty.params)).toBe(true);
  expect(bitEqual(seen[0].params, seen[1].params)).toBe(false);
  await expect(train(config, { onSegment: 3 as never })).rejects.toThrow(/options\.onSegment/);
});
