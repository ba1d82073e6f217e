/** Layer 4, CLI: `train` and `interpolate` run in-process through main(), exit codes and messages. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli as run } from './helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-cli-train-'));
const write = (name: string, obj: unknown) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(obj));
  return file;
};
const config = {
  model: { layers: [2, 6, 2], activation: 'relu', loss: 'cross_entropy' },
  data: { kind: 'two_blobs', N: 60, std: 0.5, seed: 1, testN: 30 },
  init: { scheme: 'he' },
  seed: 3,
  phases: [{ steps: 40, optimizer: 'gd', lr: 0.1 }],
  recordEvery: 10,
  checkpointEvery: 20,
};

test('train writes a checkpoint directory; --resume of a finished run is a no-op', async () => {
  const out = path.join(dir, 'gd');
  const r = await run('train', '--config', write('gd.json', config), '--out', out);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/step 40 .*checkpoint in/);
  expect(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(5);
  const again = await run('train', '--config', path.join(dir, 'gd.json'), '--out', out);
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/already holds a checkpoint/);
  expect((await run('train', '--out', out, '--resume')).code).toBe(0);
});

test('interpolate between two checkpoints writes json and csv', async () => {
  const sgdOut = path.join(dir, 'sgd');
  const sgd = { ...config, phases: [{ steps: 40, batchSize: 6, lr: 0.1 }] };
  expect((await run('train', '--config', write('sgd.json', sgd), '--out', sgdOut)).code).toBe(0);
  if (!fs.existsSync(path.join(dir, 'gd'))) expect((await run('train', '--config', write('gd2.json', config), '--out', path.join(dir, 'gd'))).code).toBe(0);
  const out = path.join(dir, 'line');
  const r = await run('interpolate', path.join(dir, 'gd'), sgdOut, '--alphas', '-1:2:7', '--out', out);
  expect(r.stderr).not.toMatch(/error/);
  expect(r.code).toBe(0);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'interpolation.json'), 'utf8'));
  expect(json.points.map((p: { alpha: number }) => p.alpha)).toEqual([-1, -0.5, 0, 0.5, 1, 1.5, 2]);
  expect(fs.readFileSync(path.join(out, 'interpolation.csv'), 'utf8').trim().split('\n')).toHaveLength(8);
  const bad = await run('interpolate', path.join(dir, 'gd'), sgdOut, '--alphas', '0:1', '--out', out);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--alphas must be "start:end:count"/);
  expect((await run('interpolate', path.join(dir, 'gd'), path.join(dir, 'nowhere'), '--alphas', '0:1:3', '--out', out)).code).toBe(2);
});

test.each([
  ['unknown key', { ...config, learningRate: 0.1 }, /unknown key\(s\) learningRate/],
  ['missing key', { model: config.model, phases: config.phases }, /without data/],
  ['unknown optimizer', { ...config, phases: [{ steps: 5, optimizer: 'adam', lr: 0.1 }] }, /optimizer must be one of gd \| sgd/],
  ['batch larger than N', { ...config, phases: [{ steps: 5, batchSize: 61, lr: 0.1 }] }, /batchSize must be at most N = 60/],
  ['divergence', { ...config, model: { ...config.model, loss: 'mse' }, phases: [{ steps: 300, lr: 60 }] }, /training diverged at step \d+/],
])('bad run.json (%s): one line on stderr, exit code 2', async (name, cfg, message) => {
  const r = await run('train', '--config', write(`${name}.json`, cfg), '--out', path.join(dir, `bad-${name}`));
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('hessian-lab:'))).toHaveLength(1);
});

test('train without --config or with a missing file is a usage error', async () => {
  expect((await run('train', '--out', path.join(dir, 'x'))).code).toBe(2);
  expect((await run('train', '--config', path.join(dir, 'missing.json'), '--out', path.join(dir, 'x'))).stderr).toMatch(/no such file/);
});

describe('train from flags (no run.json)', () => {
  it('trains the common single-phase case and writes a checkpoint', async () => {
    const out = path.join(dir, 'flags-run');
    const r = await run('train', '--layers', '2,6,2', '--data', 'two_blobs:N=60,std=0.3,seed=2', '--steps', '50', '--lr', '0.1', '--seed', '3', '--out', out);
    expect(r.code).toBe(0);
    const ck = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint.json'), 'utf8'));
    expect(ck.step).toBe(50);
    expect(ck.seed).toBe(3);
    expect(ck.model.layers).toEqual([2, 6, 2]);
    // analyze takes the checkpoint instead of a case file (data rebuilt from the stored spec)
    const a = await run('analyze', '--checkpoint', out, '--out', path.join(dir, 'flags-analysis'), '--matrices', 'hessian');
    expect(a.code).toBe(0);
    const analysis = JSON.parse(fs.readFileSync(path.join(dir, 'flags-analysis', 'analysis.json'), 'utf8'));
    expect(analysis.parameters).toBe(2 * 6 + 6 + 6 * 2 + 2);
    expect(analysis.hessian.eigenvalues).toHaveLength(32);
  });

  it.each([
    [['--layers', '2,6,2', '--data', 'two_blobs:N=60,std=0.3', '--steps', '5'], /needs --lr/],
    [['--layers', '2,6,2', '--data', 'two_blobs:N=60,std=0.3', '--steps', '5', '--lr', 'fast'], /--lr must be a number/],
    [['--layers', '2,x,2', '--data', 'two_blobs:N=60,std=0.3', '--steps', '5', '--lr', '0.1'], /layers/],
    [['--layers', '2,6,2', '--data', 'two_blobs:N60', '--steps', '5', '--lr', '0.1'], /key=value/],
    [['--layers', '2,6,2', '--data', 'two_blobs:N=60,std=0.3', '--steps', '5', '--lr', '0.1', '--config', 'x.json'], /not both/],
  ])('bad flags %j → exit 2', async (args, message) => {
    const r = await run('train', ...(args as string[]), '--out', path.join(dir, 'never'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
  });
});
