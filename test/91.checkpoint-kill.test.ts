/**
 * Issue 15, defects 4 and 5: a SIGKILL at any instant of a checkpoint switch leaves a resumable
 * run that ends bit-identical to an uninterrupted one, and checkpoint.json refuses edits.
 * Kill points are exact (a preload SIGKILLs the CLI child right after its Nth rename or removal:
 * test/helpers/kill-at.js) and random (SIGKILL after a seeded random delay).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCheckpoint, resumeTraining, train, TrainConfig } from '../src/train';
import { runCliChild } from './helpers/child';

const config: TrainConfig = {
  model: { layers: [2, 8, 2], activation: 'tanh', loss: 'cross_entropy' },
  data: { kind: 'two_blobs', N: 64, std: 0.5, seed: 2 },
  seed: 5,
  phases: [{ steps: 60, batchSize: 8, lr: 0.05, momentum: 0.9 }],
  recordEvery: 10,
  checkpointEvery: 20,
};
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'hl-kill-'));
const bitEqual = (a: Float64Array, b: Float64Array) =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
const KILL_AT = path.join(__dirname, 'helpers', 'kill-at.js');

function runDir(): { dir: string; configFile: string } {
  const dir = tmp();
  const configFile = path.join(dir, 'run.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  return { dir, configFile };
}

let reference: Float64Array;
beforeAll(async () => {
  reference = (await train(config)).params;
});

/** Results of the kill-point runs, for the README's reliability section (printed once). */
const results: string[] = [];
afterAll(() => { if (results.length) console.log(`kill-point resumes: ${results.join('; ')}`); });

describe('a SIGKILL between the steps of a checkpoint switch (defect 4)', () => {
  // Per checkpoint: rename params-S, momentum-S, metrics.jsonl, checkpoint.json (4 renames), then
  // remove the previous step's 2 files. Renames 5..8 are the second checkpoint's, removals 2..3 its
  // cleanup (removal 1 is the CLI's probe that --out takes files).
  const points: [string, Record<string, string>][] = [
    ...[5, 6, 7, 8].map((n): [string, Record<string, string>] => [`after rename ${n}`, { HL_KILL_AFTER_RENAME: String(n) }]),
    ...[2, 3].map((n): [string, Record<string, string>] => [`after removal ${n}`, { HL_KILL_AFTER_RM: String(n) }]),
  ];
  for (const [label, env] of points) {
    it(`${label}: the run resumes and ends bit-identical`, async () => {
      const { dir, configFile } = runDir();
      const out = path.join(dir, 'out');
      const killed = runCliChild(['train', '--config', configFile, '--out', out], { env, preload: KILL_AT });
      expect(killed.signal).toBe('SIGKILL');
      const at = loadCheckpoint(out).step; // consistent: no hash mismatch, whatever the instant
      expect([20, 40]).toContain(at);
      const resumed = await resumeTraining(out);
      expect(resumed.step).toBe(60);
      expect(bitEqual(resumed.params, reference)).toBe(true);
      expect(fs.readdirSync(out).filter((f) => f.endsWith('.npy')).sort()).toEqual(['momentum-60.npy', 'params-60.npy']);
      results.push(`${label}: resumed from step ${at}, bit-identical`);
    });
  }

  it('SIGKILLs at seeded random instants: each run resumes (CLI --resume) and ends bit-identical', async () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const long: TrainConfig = { ...config, phases: [{ ...config.phases[0], steps: 1500 }], checkpointEvery: 50 };
    const want = (await train(long)).params;
    const dir = tmp(), configFile = path.join(dir, 'run.json');
    fs.writeFileSync(configFile, JSON.stringify(long));
    const out = path.join(dir, 'out');
    const script = `require(${JSON.stringify(path.join(__dirname, '..', 'src', 'cli', 'main.ts'))}).main(['node', 'hessian-lab', ...process.argv.slice(1)]).then((c) => { process.exitCode = c; });`;
    const runChild = (target: string, resume: boolean) => {
      const args = ['-r', path.join(__dirname, 'helpers', 'ts-register.js'), '-e', script, 'train', '--config', configFile, '--out', target];
      if (resume) args.push('--resume');
      return spawn(process.execPath, args, { stdio: 'ignore' });
    };
    // Kill instants relative to this machine's time for one whole CLI run, measured now (load varies).
    const t0 = Date.now();
    await new Promise((ok) => runChild(path.join(dir, 'timing'), false).on('exit', ok));
    const whole = Date.now() - t0;
    let kills = 0, midRun = 0;
    for (let round = 0; round < 8; round++) {
      const child = runChild(out, fs.existsSync(path.join(out, 'checkpoint.json')));
      const delay = whole * (0.4 + 0.55 * random());
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const [code, signal] = await new Promise<[number | null, string | null]>((ok) => child.on('exit', (c, s) => ok([c, s])));
      clearTimeout(timer);
      if (signal !== 'SIGKILL') { expect(code).toBe(0); break; }
      kills++;
      if (fs.existsSync(path.join(out, 'checkpoint.json'))) {
        const step = loadCheckpoint(out).step; // consistent at every kill
        if (step > 0 && step < 1500) midRun++;
      }
    }
    const done = runCliChild(['train', '--config', configFile, '--out', out, '--resume']);
    expect(done.status).toBe(0);
    const final = loadCheckpoint(out);
    expect(final.step).toBe(1500);
    expect(bitEqual(final.params, want)).toBe(true);
    results.push(`${kills} random SIGKILLs (${midRun} after a checkpoint, before the end): resumed, bit-identical`);
  });
});

describe('checkpoint.json protects what resume trusts (defect 5)', () => {
  it('an edited step, learning rate or metric is refused with one line and exit 2', async () => {
    const { dir, configFile } = runDir();
    const out = path.join(dir, 'out');
    await train({ ...config, phases: [{ ...config.phases[0], steps: 40 }] }, { out });
    const file = path.join(out, 'checkpoint.json');
    const original = fs.readFileSync(file, 'utf8');
    const edits: [string, (m: Record<string, any>) => void][] = [
      ['step', (m) => { m.step = 20; }],
      ['lr', (m) => { m.phases[0].lr = 0.5; }],
      ['metric', (m) => { m.metrics[1].trainLoss = 0; }],
    ];
    for (const [what, edit] of edits) {
      const meta = JSON.parse(original);
      edit(meta);
      fs.writeFileSync(file, JSON.stringify(meta, null, 2));
      expect(() => loadCheckpoint(out)).toThrow(/does not match its sha256/);
      const r = runCliChild(['train', '--out', out, '--resume']);
      expect({ what, status: r.status, signal: r.signal }).toEqual({ what, status: 2, signal: null });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/checkpoint\.json: its content does not match its sha256/);
    }
    fs.writeFileSync(file, original); // reformatting alone changes nothing: the hash is over canonical JSON
    fs.writeFileSync(file, JSON.stringify(JSON.parse(original)));
    expect(loadCheckpoint(out).step).toBe(40);
    void configFile;
  });

  it('reads a format @1 directory (params.npy, no own hash) and resumes it into @2', async () => {
    const { dir } = runDir();
    const out = path.join(dir, 'out');
    const controller = new AbortController();
    await expect(train(config, { out, signal: controller.signal, onRecord: (m) => { if (m.step === 40) controller.abort(); } })).rejects.toThrow(/aborted/);
    const meta = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint.json'), 'utf8'));
    expect(meta.step).toBe(40);
    fs.renameSync(path.join(out, meta.files.params.file), path.join(out, 'params.npy'));
    fs.renameSync(path.join(out, meta.files.momentum.file), path.join(out, 'momentum.npy'));
    meta.files.params.file = 'params.npy';
    meta.files.momentum.file = 'momentum.npy';
    meta.format = 'hessian-lab/checkpoint@1';
    delete meta.sha256;
    fs.writeFileSync(path.join(out, 'checkpoint.json'), JSON.stringify(meta));
    expect(loadCheckpoint(out).step).toBe(40);
    const resumed = await train(config, { out, resume: true });
    expect(bitEqual(resumed.params, reference)).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'checkpoint.json'), 'utf8')).format).toBe('hessian-lab/checkpoint@2');
    expect(fs.readdirSync(out).filter((f) => f.endsWith('.npy')).sort()).toEqual(['momentum-60.npy', 'params-60.npy']);
  });
});
