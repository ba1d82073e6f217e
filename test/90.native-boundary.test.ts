/**
 * Issue 15's reproductions at the native boundary, each in a child process (a crash must not take
 * the test runner down): worker threads terminated mid-job, buffers detached mid-job, 64-bit size
 * overflow, validate-before-allocate, NUL bytes in paths, the raw binding's integer and dtype
 * checks, and non-finite results. Before the fixes these ended in SIGABRT, SIGSEGV, a V8 fatal
 * error, a 1.6 GB allocation, a truncated path, or silently wrong values.
 */
import { ChildResult, runScript } from './helpers/child';

/** The child prints one JSON line per call: {ok} or {name, code, message}. */
const REPORT = `
const report = [];
async function attempt(label, fn) {
  try { await fn(); report.push({ label, ok: true }); }
  catch (e) { report.push({ label, name: e && e.name, code: e && e.code, message: String(e && e.message) }); }
}
process.on('exit', () => process.stdout.write(JSON.stringify(report) + '\\n'));
`;

type Outcome = { label: string; ok?: boolean; name?: string; code?: string; message?: string };

function outcomes(r: ChildResult): Outcome[] {
  expect(r.signal).toBeNull();
  expect(r.timedOut).toBe(false);
  if (r.status !== 0) throw new Error(`child exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function byLabel(list: Outcome[]): Record<string, Outcome> {
  return Object.fromEntries(list.map((o) => [o.label, o]));
}

describe('worker threads ended during a native job (defect 1)', () => {
  // The worker posts "started" with the job in flight; the main thread ends it at once. Before
  // the fix the completion callback threw into a closing environment: SIGABRT for the process.
  // Raw binding calls (the same completion path as the public API, without loading the whole
  // package in each worker); `public computeCurvature` goes through src/ once.
  const jobs: Record<string, string> = {
    curvature: `
      const b = require(ADDON);
      const model = { layers: [10, 40, 40, 5], activation: 'tanh', loss: 'cross_entropy', bias: true };
      const M = 10 * 40 + 40 + 40 * 40 + 40 + 40 * 5 + 5;
      const params = Float64Array.from({ length: M }, (_, i) => 0.1 * Math.sin(i));
      const X = Float64Array.from({ length: 400 * 10 }, (_, i) => Math.cos(i)), y = Int32Array.from({ length: 400 }, (_, i) => i % 5);
      job = b.assemble(model, params, X, y, { kinds: ['hessian', 'ggn'] });`,
    eigensolve: `
      const b = require(ADDON);
      const n = 700, a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = Math.sin(i * j + 1);
      job = b.Matrix.fromArray(a, n, n).eigen({ vectors: true });`,
    training: `
      const b = require(ADDON);
      const model = { layers: [2, 30, 2], activation: 'relu', loss: 'cross_entropy', bias: true };
      const M = 2 * 30 + 30 + 30 * 2 + 2;
      const X = Float64Array.from({ length: 800 }, (_, i) => Math.sin(i)), y = Int32Array.from({ length: 400 }, (_, i) => i % 2);
      job = b.trainSegment(model, new Float64Array(M).fill(0.1), undefined, X, y, undefined, undefined,
        { phases: [{ steps: 3000, batchSize: 0, lr: 0.05, momentum: 0 }], seed: 1, recordEvery: 100, gradNormStop: 0, startStep: 0, endStep: 3000 });`,
    'public computeCurvature': `
      require(${JSON.stringify(require.resolve('./helpers/ts-register.js'))});
      const hl = require(SRC);
      const model = { layers: [10, 40, 40, 5], activation: 'tanh', loss: 'cross_entropy' };
      const params = Float64Array.from({ length: hl.parameterCount(model) }, (_, i) => 0.1 * Math.sin(i));
      const X = Float64Array.from({ length: 400 * 10 }, (_, i) => Math.cos(i)), y = Int32Array.from({ length: 400 }, (_, i) => i % 5);
      job = hl.computeCurvature(model, params, { X, y }, { matrices: ['hessian', 'ggn'] });`,
  };
  for (const [name, job] of Object.entries(jobs)) {
    for (const how of name.startsWith('public') ? ['terminate'] : ['terminate', 'process.exit']) {
      it(`${name}: ${how}() in the worker's lifetime leaves the process running`, () => {
        const r = runScript(`
          const { Worker } = require('worker_threads');
          const code = \`
            const { parentPort } = require('worker_threads');
            const ADDON = \${JSON.stringify(ADDON)}, SRC = \${JSON.stringify(SRC)};
            let job;
            ${job.replace(/`/g, '\\`')}
            job.catch(() => {});
            parentPort.postMessage('started');
            if (${how === 'process.exit'}) setImmediate(() => process.exit(7));
          \`;
          const w = new Worker(code, { eval: true });
          w.on('message', () => { if (${how === 'terminate'}) w.terminate(); });
          w.on('error', (e) => { console.log('worker error', e.message); });
          w.on('exit', (c) => { setTimeout(() => console.log('main thread carries on after exit ' + c), 50); });
        `, { timeoutMs: 120000 });
        expect(r.signal).toBeNull();
        expect(r.stderr).not.toMatch(/terminate called|FATAL ERROR/);
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`main thread carries on after exit ${how === 'terminate' ? 1 : 7}`));
      });
    }
  }
});

describe('inputs detached while a job runs (defect 2)', () => {
  it('assemble, products, training and multiply copy their inputs: detaching the buffers changes nothing', () => {
    const r = runScript(`${REPORT}
      const b = require(ADDON);
      const model = { layers: [6, 12, 3], activation: 'tanh', loss: 'cross_entropy', bias: true };
      const M = 6 * 12 + 12 + 12 * 3 + 3, N = 300;
      const mk = () => ({ params: Float64Array.from({ length: M }, (_, i) => 0.3 * Math.sin(i + 1)),
        X: Float64Array.from({ length: N * 6 }, (_, i) => Math.cos(0.7 * i)), y: Int32Array.from({ length: N }, (_, i) => i % 3),
        V: Float64Array.from({ length: 2 * M }, (_, i) => Math.sin(0.3 * i)) });
      const detach = (...arrays) => { for (const a of arrays) structuredClone(a.buffer, { transfer: [a.buffer] }); global.gc(); };
      (async () => {
        const a = mk(), c = mk();
        const want = (await b.assemble(model, c.params, c.X, c.y, { kinds: ['hessian'] })).matrices.hessian.block(0, M, 0, M);
        const job = b.assemble(model, a.params, a.X, a.y, { kinds: ['hessian'] });
        detach(a.params, a.X, a.y);
        const got = (await job).matrices.hessian.block(0, M, 0, M);
        await attempt('assemble', () => { if (got.some((v, i) => v !== want[i])) throw new Error('assemble differs'); });
        const d = mk();
        const wantP = await b.curvatureProducts(model, c.params, c.X, c.y, { kind: 'hessian' }, c.V, 2);
        const jobP = b.curvatureProducts(model, d.params, d.X, d.y, { kind: 'hessian', samples: Int32Array.from([0, 5, 9]) }, d.V, 2);
        detach(d.params, d.X, d.y, d.V);
        await attempt('products', async () => { const r = await jobP; if (r.length !== 2 * M) throw new Error('bad length'); });
        // Training reads X at every step: with 1 MB arrays (their own mmap'd pages, unmapped when
        // freed), reading them in place after the detach was a SIGSEGV.
        const big = () => ({ params: Float64Array.from({ length: M }, (_, i) => 0.3 * Math.sin(i + 1)),
          X: Float64Array.from({ length: 20000 * 6 }, (_, i) => Math.cos(0.7 * i)), y: Int32Array.from({ length: 20000 }, (_, i) => i % 3) });
        const e = big(), f = big();
        const opts = { phases: [{ steps: 3000, batchSize: 50, lr: 0.05, momentum: 0.9 }], seed: 3, recordEvery: 0, gradNormStop: 0, startStep: 0, endStep: 3000 };
        const wantT = await b.trainSegment(model, f.params, undefined, f.X, f.y, undefined, undefined, opts);
        const tX = e.X.slice(), tY = e.y.slice();
        const jobT = b.trainSegment(model, e.params, undefined, e.X, e.y, tX, tY, opts);
        detach(e.params, e.X, e.y, tX, tY);
        await attempt('train', async () => { const r = await jobT; if (r.params.some((v, i) => v !== wantT.params[i])) throw new Error('train differs'); });
        const H = b.Matrix.fromArray(new Float64Array(M * M).fill(1), M, M);
        const x = new Float64Array(M).fill(2);
        const jobM = H.multiply(x, 1);
        detach(x);
        await attempt('multiply', async () => { const r = await jobM; if (r.some((v) => v !== 2 * M)) throw new Error('multiply differs'); });
      })();
    `, { args: [], env: { NODE_OPTIONS: '--expose-gc' } });
    const o = byLabel(outcomes(r));
    for (const k of ['assemble', 'products', 'train', 'multiply']) expect(o[k]).toEqual({ label: k, ok: true });
  });
});

describe('64-bit size overflow is a RangeError (defect 3)', () => {
  it('fromArray, multiply, conv2d padding/kernel in every entry point, MLP layer sizes', () => {
    const r = runScript(`${REPORT}
      const b = require(ADDON);
      (async () => {
        await attempt('fromArray 2^32 x 2^32', () => b.Matrix.fromArray(new Float64Array(0), 2 ** 32, 2 ** 32));
        const m = b.Matrix.fromArray(new Float64Array(16), 4, 4);
        await attempt('multiply 2^62', () => m.multiply(new Float64Array(0), 2 ** 62));
        const X = new Float64Array(16), y = Int32Array.from([0]), p = new Float64Array(10);
        const convs = { padding: { type: 'conv2d', outChannels: 1, kernel: [3, 3], stride: [1, 1], padding: [2 ** 31 - 1, 2 ** 31 - 1], bias: true },
                        kernel: { type: 'conv2d', outChannels: 1, kernel: [2 ** 32, 2 ** 32], stride: [1, 1], padding: [2 ** 31, 2 ** 31], bias: true } };
        for (const [what, conv] of Object.entries(convs)) {
          const model = { inputShape: [1, 4, 4], layers: [conv, { type: 'flatten' }, { type: 'linear', out: 2, bias: true }], loss: 'cross_entropy' };
          const opts = { phases: [{ steps: 1, batchSize: 0, lr: 0.1, momentum: 0 }], seed: 0, recordEvery: 0, gradNormStop: 0, startStep: 0, endStep: 1 };
          await attempt(what + ' assemble', () => b.assemble(model, p, X, y, { kinds: ['hessian'] }));
          await attempt(what + ' evaluate', () => b.evaluate(model, p, X, y, {}));
          await attempt(what + ' products', () => b.curvatureProducts(model, p, X, y, { kind: 'hessian' }, p, 1));
          await attempt(what + ' train', () => b.trainSegment(model, p, undefined, X, y, undefined, undefined, opts));
          await attempt(what + ' evaluateMany', () => b.evaluateMany(model, p, X, y, {}));
          await attempt(what + ' workspace', () => b.assemblyWorkspaceBytes(model, 1, ['hessian']));
        }
        const mlp = { layers: [4, 2 ** 62, 3], activation: 'relu', loss: 'cross_entropy', bias: true };
        await attempt('layers 2^62 evaluate', () => b.evaluate(mlp, new Float64Array(3), new Float64Array(4), Int32Array.from([0]), {}));
        await attempt('layers 2^62 trainMany', () => b.trainMany(mlp, new Float64Array(3), new Float64Array(4), Int32Array.from([0]), undefined, undefined,
          { phases: [{ steps: 1, batchSize: 0, lr: 0.1, momentum: 0 }], seed: 0, recordEvery: 0, gradNormStop: 0, threads: 1 }));
        await attempt('layers 2^40 x 2^40', () => b.assemblyWorkspaceBytes({ layers: [2 ** 40, 2 ** 40, 2], activation: 'relu', loss: 'cross_entropy', bias: true }, 1, ['hessian']));
      })();
    `);
    const list = outcomes(r);
    expect(list.length).toBe(17);
    for (const o of list) {
      expect({ label: o.label, name: o.name }).toEqual({ label: o.label, name: 'RangeError' });
      expect(o.message).toMatch(/too large|must be|at most/);
    }
    const o = byLabel(list);
    expect(o['padding assemble'].message).toMatch(/layers\[0\] \(conv2d\)/);
    expect(o['layers 2^62 evaluate'].message).toMatch(/layers\[1\]/);
    expect(o['multiply 2^62'].message).toMatch(/count/);
  });
});

describe('validate before allocating, paths, raw types, non-finite results (defects 8-10)', () => {
  it('refuses each with the documented error class and allocates nothing for a bad row range', () => {
    const r = runScript(`${REPORT}
      const fs = require('fs'), os = require('os'), path = require('path');
      const b = require(ADDON);
      const model = { layers: [3, 4, 2], activation: 'tanh', loss: 'cross_entropy', bias: true };
      const M = 26, p = Float64Array.from({ length: M }, (_, i) => Math.sin(i)), X = new Float64Array(6).fill(0.5), y = Int32Array.from([0, 1]);
      (async () => {
        const rss0 = process.memoryUsage().rss;
        await attempt('rowEnd 2500000', () => b.assemble(model, p, X, y, { kinds: ['hessian', 'ggn'], rowEnd: 2500000 }));
        await attempt('rowBegin 5.5', () => b.assemble(model, p, X, y, { kinds: ['hessian'], rowBegin: 5.5 }));
        report.push({ label: 'rss growth MB', ok: (process.memoryUsage().rss - rss0) / 2 ** 20 < 100 });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-nul-'));
        const m = b.Matrix.fromArray(new Float64Array(4), 2, 2);
        await attempt('saveNpy NUL', () => m.saveNpy(path.join(dir, 'x.npy\\0.y')));
        report.push({ label: 'nothing written', ok: fs.readdirSync(dir).length === 0 });
        await attempt('layers 5.9', () => b.evaluate({ ...model, layers: [3, 5.9, 2] }, p, X, y, {}));
        await attempt('dtype FLOAT32', () => b.Matrix.fromArray(new Float64Array(4), 2, 2, 'FLOAT32'));
        await attempt('assemble dtype', () => b.assemble(model, p, X, y, { kinds: ['hessian'], dtype: 'FLOAT32' }));
        await attempt('activation null', () => b.evaluate({ ...model, activation: null }, p, X, y, {}));
        await attempt('evaluate options null', () => b.evaluate(model, p, X, y, null));
        await attempt('benchmarkGemm threads 2.5', () => b.benchmarkGemm(8, 8, 8, 2.5));
        const huge = Float64Array.from({ length: M }, (_, i) => (i % 2 ? 1 : -1) * 1.7e308);
        await attempt('evaluate huge params', () => b.evaluate(model, huge, X, y, {}));
        await attempt('assemble huge params', () => b.assemble(model, Float64Array.from({ length: M }, () => 1e154), X, y, { kinds: ['hessian'] }));
        // Found by the fuzz test: a bad token threw after the job's base class existed, and its
        // thread-safe function later finalized a freed worker (SIGSEGV at exit).
        for (let i = 0; i < 20; i++) await attempt('bad token', () => b.assemble(model, p, X, y, { kinds: ['hessian'] }, {}));
        await attempt('bad onProgress', () => b.assemble(model, p, X, y, { kinds: ['hessian'] }, undefined, 3));
        await attempt('eigen NaN matrix', () => b.Matrix.fromArray(Float64Array.from([1, NaN, NaN, 1]), 2, 2).eigen({}));
      })();
    `);
    const o = byLabel(outcomes(r));
    expect(o['rowEnd 2500000']).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/rowBegin, rowEnd/) });
    expect(o['rowBegin 5.5']).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/rowBegin must be an integer/) });
    expect(o['rss growth MB'].ok).toBe(true);
    expect(o['saveNpy NUL']).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/NUL/) });
    expect(o['nothing written'].ok).toBe(true);
    expect(o['layers 5.9']).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/model\.layers\[1\] must be an integer; received 5\.9/) });
    expect(o['dtype FLOAT32']).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/dtype must be float64 \| float32/) });
    expect(o['assemble dtype']).toMatchObject({ name: 'RangeError' });
    expect(o['activation null']).toMatchObject({ name: 'TypeError', message: expect.stringMatching(/activation/) });
    expect(o['evaluate options null']).toMatchObject({ name: 'TypeError', message: expect.stringMatching(/options/) });
    expect(o['benchmarkGemm threads 2.5']).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/threads/) });
    expect(o['evaluate huge params']).toMatchObject({ code: 'ERR_HL_NUMERICAL', message: expect.stringMatching(/not finite/) });
    expect(o['assemble huge params']).toMatchObject({ code: 'ERR_HL_NUMERICAL', message: expect.stringMatching(/assembled hessian is not finite/) });
    expect(o['bad token']).toMatchObject({ name: 'TypeError', message: expect.stringMatching(/CancelToken/) });
    expect(o['bad onProgress']).toMatchObject({ name: 'TypeError', message: expect.stringMatching(/onProgress/) });
    expect(o['eigen NaN matrix']).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/finite entries; entry \(0, 1\)/) });
  });
});
