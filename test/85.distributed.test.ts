/**
 * Distributed spectra (MPI + ScaLAPACK, src/engine/distributed.ts and native/mpi/) against the
 * single-process path: every eigenvalue of H, G, R, C at 1, 2 and 4 oversubscribed ranks for an
 * MLP and a convnet; eigenvector residuals ‖Av − λv‖ from the single-process matrix; awkward
 * sizes (n not a multiple of the block, a process column holding less than one block, grids
 * 1 x 2 and 2 x 2, n <= block); the 32-bit refusal; and the failure policy (a ScaLAPACK argument
 * error, a killed rank, an abort, Ctrl-C on the CLI) — each ends every process of the job.
 * Skipped, with the reason in the suite's name, where mpirun or the driver is missing (setup.sh
 * installs both, so CI runs it).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  AbortError, classCount, computeCurvature, DistributedJobError, distributedAvailability, distributedPlan,
  distributedSpectra, inputSize, MatrixName, ModelSpec, parameterCount, splitArgs,
} from '../src';
import { analyzeNetwork } from '../src/engine/analysis';
import { runCli } from './helpers/cli';
import { lcg } from './helpers/fixtures';

const availability = distributedAvailability();
const suite = availability.available ? describe : describe.skip;
const ALL: MatrixName[] = ['hessian', 'ggn', 'residual', 'gradient_covariance'];
/** No test may hang: every job is ended after this. */
const JOB_TIMEOUT = { timeoutSeconds: 90 };

interface Case { model: ModelSpec; params: Float64Array; data: { X: Float64Array; y: Int32Array } }

function makeCase(model: ModelSpec, N: number, seed: number): Case {
  const r = lcg(seed);
  const d = inputSize(model), k = classCount(model);
  return {
    model,
    params: new Float64Array(parameterCount(model)).map(() => r() * 0.8),
    data: { X: new Float64Array(N * d).map(() => r() * 2), y: new Int32Array(N).map((_, i) => (i * 7 + seed) % k) },
  };
}

const MLP = makeCase({ layers: [16, 40, 10], activation: 'tanh', loss: 'cross_entropy' }, 40, 3); // M = 1,090
const CONVNET = makeCase({
  input_shape: [1, 8, 8],
  layers: [
    { type: 'conv2d', out_channels: 6, kernel: 3 }, { type: 'tanh' }, { type: 'maxpool2d', kernel: 2 }, { type: 'flatten' },
    { type: 'linear', out: 16 }, { type: 'sigmoid' }, { type: 'linear', out: 5 },
  ],
  loss: 'cross_entropy',
}, 30, 5); // M = 1,025

async function singleProcess(c: Case, names: MatrixName[]): Promise<Record<string, Float64Array>> {
  const out: Record<string, Float64Array> = {};
  for (const name of names) {
    const r = await computeCurvature(c.model, c.params, c.data, { matrices: [name] });
    const m = r.matrices[name]!;
    out[name] = (await m.eigen()).values;
    m.dispose();
  }
  return out;
}

function relativeGap(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let lmax = 0, worst = 0;
  for (let i = 0; i < a.length; i++) {
    lmax = Math.max(lmax, Math.abs(b[i]));
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst / lmax;
}

/** max_j ‖A v_j − λ_j v_j‖ / λmax and max |V^T V − I| (V column-major n x n). */
async function residuals(c: Case, name: MatrixName, values: Float64Array, V: Float64Array): Promise<{ residual: number; orthogonality: number }> {
  const n = values.length;
  const r = await computeCurvature(c.model, c.params, c.data, { matrices: [name] });
  const A = r.matrices[name]!;
  const AV = await A.multiply(V, n);
  A.dispose();
  const lmax = Math.max(Math.abs(values[0]), Math.abs(values[n - 1]));
  let residual = 0, orthogonality = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (AV[j * n + i] - values[j] * V[j * n + i]) ** 2;
    residual = Math.max(residual, Math.sqrt(s) / lmax);
  }
  for (let j = 0; j < n; j += 7) {
    for (let k = 0; k < n; k++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += V[j * n + i] * V[k * n + i];
      orthogonality = Math.max(orthogonality, Math.abs(d - (j === k ? 1 : 0)));
    }
  }
  return { residual, orthogonality };
}

/** Waits until none of `pids` is alive (or throws after `seconds`). */
async function allGone(pids: number[], seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const left = pids.filter((p) => { try { process.kill(p, 0); return true; } catch { return false; } });
    if (left.length === 0) return;
    if (Date.now() > until) throw new Error(`processes still running: ${left.join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

suite(availability.available ? 'distributed spectra over MPI (ScaLAPACK)' : `distributed spectra over MPI — skipped: ${availability.reason}`, () => {
  const reference: Record<string, Record<string, Float64Array>> = {};
  beforeAll(async () => {
    reference.mlp = await singleProcess(MLP, ALL);
    reference.convnet = await singleProcess(CONVNET, ALL);
  });

  for (const [label, c] of [['mlp', MLP], ['convnet', CONVNET]] as const) {
    for (const ranks of [1, 2, 4]) {
      test(`${label}: H, G, R, C eigenvalues at ${ranks} rank(s) equal the single-process ones to 1e-12 λmax`, async () => {
        const r = await distributedSpectra(c.model, c.params, c.data, { ranks, ...JOB_TIMEOUT }, { matrices: ALL });
        expect(r.plan.grid[0] * r.plan.grid[1]).toBe(ranks);
        expect(r.perRank).toHaveLength(ranks);
        for (const name of ALL) {
          expect(r.matrices[name]!.driver).toBe('pdsyev');
          expect(relativeGap(r.matrices[name]!.eigenvalues, reference[label][name])).toBeLessThanOrEqual(1e-12);
        }
        for (const info of r.perRank) expect(info.peak_rss_bytes).toBeGreaterThan(0);
      });
    }
  }

  test('analyze: the same analysis.json keys and spectra as the single-process path; --ranks on the CLI', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-dist-'));
    const caseFile = path.join(dir, 'case.json');
    fs.writeFileSync(caseFile, JSON.stringify({ model: MLP.model, params: Array.from(MLP.params), X: Array.from(MLP.data.X), y: Array.from(MLP.data.y) }));
    const one = await runCli('analyze', '--case', caseFile, '--out', path.join(dir, 'a'), '--matrices', 'hessian,residual');
    const two = await runCli('analyze', '--case', caseFile, '--out', path.join(dir, 'b'), '--matrices', 'hessian,residual', '--ranks', '2');
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    const a = JSON.parse(fs.readFileSync(path.join(dir, 'a', 'analysis.json'), 'utf8'));
    const b = JSON.parse(fs.readFileSync(path.join(dir, 'b', 'analysis.json'), 'utf8'));
    for (const key of Object.keys(a)) expect(b).toHaveProperty(key);
    expect(b.distributed.ranks).toBe(2);
    expect(b.loss).toBe(a.loss);
    for (const m of ['hessian', 'residual']) {
      expect(relativeGap(Float64Array.from(b[m].eigenvalues), Float64Array.from(a[m].eigenvalues))).toBeLessThanOrEqual(1e-12);
      // Signs of eigenvalues within rounding of zero may differ between solvers, nothing else.
      const values = Float64Array.from(a[m].eigenvalues), lmax = Math.max(...values.map(Math.abs));
      const nearZero = values.filter((v) => Math.abs(v) <= 1e-12 * lmax).length / values.length;
      expect(Math.abs(b[m].negative_fraction - a[m].negative_fraction)).toBeLessThanOrEqual(nearZero);
      expect(Object.keys(b[m]).sort()).toEqual(Object.keys(a[m]).sort());
    }
    expect(Object.keys(b.timings.assembly)).toEqual(['hessian', 'residual']);
    const bad = await runCli('analyze', '--case', caseFile, '--out', path.join(dir, 'c'), '--ranks', '2', '--dtype', 'float32');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/float64/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Eigenvectors (pdsyevd with the enlarged LWORK) on awkward layouts: n not a multiple of nb,
  // a process column holding less than one block (the case where pdsyevd's own LWORK hangs),
  // grids 1 x 2 and 2 x 2.
  const small = makeCase({ layers: [6, 12, 4], activation: 'tanh', loss: 'cross_entropy' }, 20, 11); // M = 136
  const tiny = makeCase({ layers: [5, 9, 3], activation: 'sigmoid', loss: 'cross_entropy' }, 12, 13); // M = 84
  for (const [label, c, block, ranks] of [
    ['M = 136, nb = 64, 1 x 2 (column 1 holds 8 of 64)', small, 64, 2],
    ['M = 136, nb = 24, 2 x 2', small, 24, 4],
    ['M = 84, nb = 32, 2 x 2', tiny, 32, 4],
    ['M = 84, nb = 7, 1 x 2', tiny, 7, 2],
  ] as const) {
    test(`eigenvectors: ${label} — values match, residuals <= 1e-10, orthonormal`, async () => {
      const names: MatrixName[] = ['hessian', 'ggn'];
      const ref = await singleProcess(c, names);
      const r = await distributedSpectra(c.model, c.params, c.data, { ranks, blockSize: block, ...JOB_TIMEOUT }, { matrices: names, vectors: true });
      for (const name of names) {
        const m = r.matrices[name]!;
        expect(m.driver).toBe('pdsyevd');
        expect(relativeGap(m.eigenvalues, ref[name])).toBeLessThanOrEqual(1e-12);
        const q = await residuals(c, name, m.eigenvalues, m.eigenvectors!);
        expect(q.residual).toBeLessThanOrEqual(1e-10);
        expect(q.orthogonality).toBeLessThanOrEqual(1e-10);
      }
    });
  }

  test('n <= block size: the driver refuses ranks without data; analyze runs single-process and says so', async () => {
    const notes: string[] = [];
    const micro = makeCase({ layers: [3, 5, 2], activation: 'tanh', loss: 'cross_entropy' }, 8, 19); // M = 32 < nb = 64
    await expect(distributedSpectra(micro.model, micro.params, micro.data, { ranks: 2, ...JOB_TIMEOUT }, { matrices: ['hessian'] }))
      .rejects.toThrow(/without data/);
    const a = await analyzeNetwork(micro.model, micro.params, micro.data, { matrices: ['hessian'], distributed: { ranks: 2, onNote: (l) => notes.push(l) } });
    expect(notes.join('\n')).toMatch(/too small for 2 ranks.*single-process/);
    expect(a.distributed).toBeUndefined();
    const ref = await singleProcess(micro, ['hessian']);
    expect(relativeGap(a.matrices.hessian!.eigenvalues, ref.hessian)).toBe(0);
    // One rank holds everything: n <= nb is fine there.
    const one = await distributedSpectra(micro.model, micro.params, micro.data, { ranks: 1, ...JOB_TIMEOUT }, { matrices: ['hessian'], vectors: true });
    expect(relativeGap(one.matrices.hessian!.eigenvalues, ref.hessian)).toBeLessThanOrEqual(1e-12);
  });

  test('32-bit limits: M = 55,660 is refused before launch, naming the minimum rank count', () => {
    const model: ModelSpec = { layers: [784, 70, 10], activation: 'relu', loss: 'cross_entropy' };
    const c = makeCase(model, 4, 1);
    expect(parameterCount(model)).toBe(55660);
    const values1 = distributedPlan(c.model, c.params, c.data, { ranks: 1 });
    expect(values1.refusal).toMatch(/at least 2 ranks/);
    const vectors2 = distributedPlan(c.model, c.params, c.data, { ranks: 2 }, { vectors: true });
    const min = vectors2.min_ranks;
    expect(vectors2.refusal).toMatch(new RegExp(`at least ${min} ranks`));
    expect(min).toBeGreaterThan(2);
    expect(distributedPlan(c.model, c.params, c.data, { ranks: min }, { vectors: true }).refusal).toBeNull();
    expect(distributedPlan(c.model, c.params, c.data, { ranks: 4 }).refusal).toBeNull();
  });

  test('memory is checked before launch: ranks that cannot fit on this machine are refused', async () => {
    const saved = process.env.HESSIAN_LAB_MEMORY_LIMIT;
    process.env.HESSIAN_LAB_MEMORY_LIMIT = String(4 * 2 ** 20);
    try {
      await expect(distributedSpectra(MLP.model, MLP.params, MLP.data, { ranks: 2, ...JOB_TIMEOUT }, { matrices: ['hessian'] }))
        .rejects.toThrow(/2 ranks on this machine need about .* each .*only 4\.0 MiB is available/);
    } finally {
      if (saved === undefined) delete process.env.HESSIAN_LAB_MEMORY_LIMIT;
      else process.env.HESSIAN_LAB_MEMORY_LIMIT = saved;
    }
  });

  test('--mpirun arguments split like a shell for simple quoting; bad options are named', async () => {
    expect(splitArgs(`--mca btl tcp,self -x 'A=b c' "--host" h1`)).toEqual(['--mca', 'btl', 'tcp,self', '-x', 'A=b c', '--host', 'h1']);
    await expect(distributedSpectra(MLP.model, MLP.params, MLP.data, { ranks: 0 })).rejects.toThrow(/distributed\.ranks/);
    await expect(distributedSpectra(MLP.model, MLP.params, MLP.data, { ranks: 2, hostfile: '/no/such/hostfile' })).rejects.toThrow(/distributed\.hostfile/);
    const r = await runCli('analyze', '--case', '/no/case.json', '--out', os.tmpdir(), '--hostfile', 'h');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--hostfile and --mpirun need --ranks K/);
  });

  describe('failures end the whole job', () => {
    const big = makeCase({ layers: [30, 40, 10], activation: 'tanh', loss: 'cross_entropy' }, 60, 17); // M = 1,650

    test('a ScaLAPACK argument error on one rank: DistributedJobError with one line, no rank left', async () => {
      const pids: number[] = [];
      process.env.HESSIAN_LAB_MPI_TEST_FAULT_RANK = '1';
      const start = Date.now();
      try {
        const err = await distributedSpectra(big.model, big.params, big.data, { ranks: 2, ...JOB_TIMEOUT }, { matrices: ['hessian'], onRank: (_r, pid) => pids.push(pid) })
          .catch((e: Error) => e);
        expect(err).toBeInstanceOf(DistributedJobError);
        expect((err as Error).message).toMatch(/^MPI job failed: rank \d: ScaLAPACK PDSYEV: parameter 14 had an illegal value$/);
      } finally {
        delete process.env.HESSIAN_LAB_MPI_TEST_FAULT_RANK;
      }
      expect(Date.now() - start).toBeLessThan(60000);
      expect(pids).toHaveLength(2);
      await allGone(pids, 5);
    });

    test('a rank killed mid-run: the job ends within seconds with one line, no rank left', async () => {
      const pids: number[] = [];
      let killedAt = 0;
      const err = await distributedSpectra(big.model, big.params, big.data, { ranks: 2, ...JOB_TIMEOUT }, {
        matrices: ['hessian', 'ggn', 'residual'],
        onRank: (_r, pid) => pids.push(pid),
        onProgress: (stage) => {
          if (killedAt === 0 && pids.length === 2 && /eigensolve/.test(stage)) {
            killedAt = Date.now();
            process.kill(pids[1], 'SIGKILL');
          }
        },
      }).catch((e: Error) => e);
      expect(killedAt).toBeGreaterThan(0);
      expect(err).toBeInstanceOf(DistributedJobError);
      expect((err as Error).message.split('\n')).toHaveLength(1);
      expect((err as Error).message).toMatch(/MPI job failed/);
      expect(Date.now() - killedAt).toBeLessThan(15000);
      await allGone(pids, 5);
    });

    test('an AbortSignal ends every rank and rejects with AbortError', async () => {
      const pids: number[] = [];
      const controller = new AbortController();
      const err = await distributedSpectra(big.model, big.params, big.data, { ranks: 2, ...JOB_TIMEOUT }, {
        matrices: ALL,
        signal: controller.signal,
        onRank: (_r, pid) => pids.push(pid),
        onProgress: () => { if (pids.length === 2) controller.abort(); },
      }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(AbortError);
      await allGone(pids, 5);
    });

    test('Ctrl-C on `analyze --ranks`: exit 130, no process of the job left', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-sigint-'));
      const caseFile = path.join(dir, 'case.json');
      fs.writeFileSync(caseFile, JSON.stringify({ model: big.model, params: Array.from(big.params), X: Array.from(big.data.X), y: Array.from(big.data.y) }));
      // The CLI's temp files (and so the driver's command line) live under this TMPDIR.
      const tmp = fs.mkdtempSync(path.join(dir, 'tmp-'));
      const cli = spawn(process.execPath, [path.join(__dirname, '..', 'bin', 'hessian-lab.js'), 'analyze', '--case', caseFile, '--out', path.join(dir, 'out'), '--ranks', '2'],
        { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      cli.stderr!.on('data', (d) => {
        stderr += d.toString();
        if (/assembly/.test(stderr) && !cli.killed) cli.kill('SIGINT');
      });
      const code = await new Promise<number | null>((resolve) => cli.on('exit', (c) => resolve(c)));
      expect(code).toBe(130);
      const left = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
        try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(tmp); } catch { return false; }
      });
      const until = Date.now() + 5000;
      while (left().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(left()).toEqual([]);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
});
