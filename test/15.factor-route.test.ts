/**
 * The factor route (issue 13) against the dense route, at sizes where both run: every eigenvalue of
 * H, G, R, C to ≤ 1e-10 λmax, the same count of eigenvalues within the zero tolerance, eigenvector
 * residuals ‖Xv − λv‖ against the dense matrix, the rank bound r ≥ the numerical rank, and the
 * refusals (tanh / sigmoid for H and R). Nets: 784→h→10 ReLU on MNIST samples (N below M), a
 * 3-layer ReLU MLP with MSE (largest layer in the middle), logistic loss, a small convnet, and N
 * above M (G through FᵀF).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { mnistSubset } from '../src/data';
import { computeCurvature, curvatureSpectrum, initialParameters, ModelSpec, parameterCount, planRoute, normalizeModel, LabelledData, MatrixName } from '../src';
import { binding } from '../src/native/binding';
import { runCli } from './helpers/cli';
import { fixture, lcg } from './helpers/fixtures';

/** Eigenvalues of magnitude ≤ ZERO_TOL · λmax count as zero (dense noise is ~1e-15 λmax). */
const ZERO_TOL = 1e-9;
const MATCH = 1e-10;

interface Case { model: ModelSpec; params: Float64Array; data: LabelledData }

const zeros = (v: Float64Array, scale: number) => v.filter((x) => Math.abs(x) <= ZERO_TOL * scale).length;

/** Both routes for `names`: eigenvalues agree, zero counts agree, rank bound holds, top vectors are eigenvectors of the dense matrix. */
async function compare(c: Case, names: MatrixName[], vectors = 3): Promise<Record<string, { r: number; M: number; numericalRank: number }>> {
  const M = parameterCount(c.model);
  const out: Record<string, { r: number; M: number; numericalRank: number }> = {};
  for (const name of names) {
    const f = await curvatureSpectrum(c.model, c.params, c.data, name, { route: 'factor', vectors });
    expect(f.route).toBe('factor');
    const { matrices } = await computeCurvature(c.model, c.params, c.data, { matrices: [name] });
    const dense = matrices[name]!;
    try {
      const e = await dense.eigen();
      const lmax = Math.max(Math.abs(e.values[0]), Math.abs(e.values[M - 1]));
      expect(f.values).toHaveLength(M);
      for (let i = 1; i < M; i++) expect(f.values[i]).toBeGreaterThanOrEqual(f.values[i - 1]);
      let worst = 0;
      for (let i = 0; i < M; i++) worst = Math.max(worst, Math.abs(f.values[i] - e.values[i]));
      expect(worst).toBeLessThanOrEqual(MATCH * lmax);
      const numericalRank = M - zeros(e.values, lmax);
      expect(zeros(f.values, lmax)).toBe(zeros(e.values, lmax));
      expect(numericalRank).toBeLessThanOrEqual(f.rank);
      // At least M − r eigenvalues are exactly zero.
      expect(f.values.filter((x) => x === 0).length).toBeGreaterThanOrEqual(M - f.rank);
      // Eigenvectors: unit norm and ‖X v − λ v‖ ≤ 1e-10 λmax on the dense matrix.
      const V = f.vectors!;
      expect(V.rows).toBe(M);
      expect(f.vectorIndex).toHaveLength(V.cols);
      const block = V.block(0, M, 0, V.cols);
      for (let j = 0; j < V.cols; j++) {
        const v = new Float64Array(M).map((_, i) => block[i * V.cols + j]);
        const lam = f.values[f.vectorIndex![j]];
        const Xv = await dense.multiply(v);
        let res = 0, norm = 0;
        for (let i = 0; i < M; i++) { res += (Xv[i] - lam * v[i]) ** 2; norm += v[i] ** 2; }
        expect(Math.abs(Math.sqrt(norm) - 1)).toBeLessThan(1e-10);
        expect(Math.sqrt(res)).toBeLessThanOrEqual(MATCH * lmax);
      }
      V.dispose();
      out[name] = { r: f.rank, M, numericalRank };
    } finally {
      dense.dispose();
    }
  }
  return out;
}

describe('factor route vs dense route', () => {
  it('784→3→10 ReLU on 120 MNIST digits (N below M): H, G, R, C; rank bounds r = Nr_l + 2 M_o, N(k−1), 2 M_o, N', async () => {
    const ds = mnistSubset({ N: 120, seed: 3 });
    const model: ModelSpec = { layers: [784, 3, 10], activation: 'relu', loss: 'cross_entropy' };
    const params = initialParameters(model, 'pytorch', 5);
    const got = await compare({ model, params, data: { X: ds.X, y: ds.y } }, ['hessian', 'ggn', 'residual', 'gradient_covariance']);
    const M = parameterCount(model), Mo = 3 * 10 + 10;
    expect(got.ggn.r).toBe(120 * 9);
    expect(got.gradient_covariance.r).toBe(120);
    expect(got.residual.r).toBe(2 * Mo);
    expect(got.hessian.r).toBe(Mo + Math.min(M - Mo, 120 * 9 + Mo));
    // C's bound is attained on distinct digits. G's is not here: with h = 3 hidden units each J_i
    // has rank ≤ 3 on the first layer, so rank(G) ≤ N h + M_o < N (k − 1) — a bound only.
    expect(got.gradient_covariance.numericalRank).toBe(120);
    expect(got.ggn.numericalRank).toBeLessThanOrEqual(120 * 3 + Mo);
  }, 300000);

  it('3-layer ReLU MLP with MSE (largest layer in the middle: o is two ranges)', async () => {
    const f = fixture({ layers: [12, 40, 30, 4], activation: 'relu', loss: 'mse' }, 9, 4, 0.8);
    const got = await compare({ model: f.model, params: f.params, data: f.data }, ['hessian', 'ggn', 'residual']);
    expect(got.hessian.r).toBeLessThan(got.hessian.M);
  }, 300000);

  it('logistic loss (r_l = 1) and identity activation', async () => {
    const f = fixture({ layers: [60, 20, 1], activation: 'linear', loss: 'logistic' }, 25, 6, 0.8);
    const got = await compare({ model: f.model, params: f.params, data: f.data }, ['hessian', 'ggn', 'residual', 'gradient_covariance']);
    expect(got.ggn.r).toBe(25);
  }, 300000);

  it('a small convnet (conv, ReLU, max-pool, linear)', async () => {
    const model: ModelSpec = {
      input_shape: [1, 8, 8],
      layers: [{ type: 'conv2d', out_channels: 3, kernel: 3 }, { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }, { type: 'flatten' }, { type: 'linear', out: 16 }, { type: 'relu' }, { type: 'linear', out: 10 }],
      loss: 'cross_entropy',
    } as ModelSpec;
    const M = parameterCount(model);
    const r = lcg(8);
    const params = new Float64Array(M).map(() => r() * 0.8);
    const N = 6;
    const data = { X: new Float64Array(N * 64).map(() => r() * 2), y: new Int32Array(N).map((_, i) => i % 10) };
    const got = await compare({ model, params, data }, ['hessian', 'ggn', 'residual', 'gradient_covariance']);
    expect(got.hessian.r).toBeLessThan(M);
  }, 300000);

  it('N above M: G through FᵀF and C through PᵀP (no zeros to add when the bound is M)', async () => {
    const f = fixture({ layers: [6, 7, 3], activation: 'relu', loss: 'cross_entropy' }, 120, 9, 0.8);
    const got = await compare({ model: f.model, params: f.params, data: f.data }, ['ggn', 'gradient_covariance', 'hessian']);
    expect(got.ggn.r).toBe(got.ggn.M);
    expect(got.gradient_covariance.r).toBe(got.gradient_covariance.M);
  }, 300000);

  it('all eigenvectors of the range part (vectors: true) are orthonormal', async () => {
    const f = fixture({ layers: [20, 6, 3], activation: 'relu', loss: 'cross_entropy' }, 8, 10, 0.8);
    const s = await curvatureSpectrum(f.model, f.params, f.data, 'hessian', { route: 'factor', vectors: true });
    const V = s.vectors!, M = f.M, k = V.cols;
    expect(k).toBe(s.rank);
    const A = V.block(0, M, 0, k);
    let worst = 0;
    for (let a = 0; a < k; a++) {
      for (let b = a; b < k; b++) {
        let dot = 0;
        for (let i = 0; i < M; i++) dot += A[i * k + a] * A[i * k + b];
        worst = Math.max(worst, Math.abs(dot - (a === b ? 1 : 0)));
      }
    }
    expect(worst).toBeLessThan(1e-12);
    V.dispose();
  });
});

describe('refusals and routing', () => {
  const f = fixture({ layers: [8, 6, 3], activation: 'tanh', loss: 'cross_entropy' }, 10, 11, 0.8);

  it.each(['hessian', 'residual'] as const)('tanh + route factor for %s is refused, naming why', async (name) => {
    await expect(curvatureSpectrum(f.model, f.params, f.data, name, { route: 'factor' })).rejects.toThrow(/tanh.*second derivative.*R_ll/);
  });

  it('tanh: auto sends H dense (and says why); G and C still go through the factors', async () => {
    const h = await curvatureSpectrum(f.model, f.params, f.data, 'hessian', { route: 'auto' });
    expect(h.route).toBe('dense');
    expect(h.reason).toMatch(/tanh/);
    const { matrices } = await computeCurvature(f.model, f.params, f.data, { matrices: ['ggn'] });
    const e = await matrices.ggn!.eigen();
    matrices.ggn!.dispose();
    const g = await curvatureSpectrum(f.model, f.params, f.data, 'ggn', { route: 'factor' });
    for (let i = 0; i < f.M; i++) expect(Math.abs(g.values[i] - e.values[i])).toBeLessThan(1e-12);
  });

  it('sigmoid convnet layer: H refused by the factor route', async () => {
    const model = { input_shape: [4], layers: [{ type: 'linear', out: 5 }, { type: 'sigmoid' }, { type: 'linear', out: 3 }], loss: 'cross_entropy' } as ModelSpec;
    const r = lcg(2);
    const params = new Float64Array(parameterCount(model)).map(() => r());
    const data = { X: new Float64Array(12).map(() => r()), y: new Int32Array([0, 1, 2]) };
    await expect(curvatureSpectrum(model, params, data, 'residual', { route: 'factor' })).rejects.toThrow(/sigmoid/);
  });

  it('auto: E3 at h = 70 goes by the factors (dense cannot fit), a small net stays dense; bad route names are refused', () => {
    const e3 = normalizeModel({ layers: [784, 70, 10], activation: 'relu', loss: 'cross_entropy' });
    const p = planRoute(e3, 1000, 'hessian');
    expect(p.route).toBe('factor');
    expect(p.rank).toBe(10420);
    expect(p.factor.cost).toBeLessThan(p.dense.cost / 20);
    expect(planRoute(e3, 1000, 'ggn').rank).toBe(9000);
    expect(planRoute(e3, 1000, 'gradient_covariance').rank).toBe(1000);
    expect(planRoute(e3, 1000, 'residual').rank).toBe(1420);
    const small = planRoute(normalizeModel({ layers: [5, 4, 3], activation: 'relu', loss: 'cross_entropy' }), 10, 'hessian');
    expect(small.route).toBe('dense');
    expect(() => planRoute(e3, 1000, 'hessian', 'fast' as never)).toThrow(/route/);
  });

  it('auto follows the memory guard: a cap that the dense matrix does not fit sends it through the factors', () => {
    const mid = normalizeModel({ layers: [784, 4, 10], activation: 'relu', loss: 'cross_entropy' });
    const free = planRoute(mid, 100, 'hessian');
    const saved = process.env.HESSIAN_LAB_MEMORY_LIMIT;
    process.env.HESSIAN_LAB_MEMORY_LIMIT = String(Math.round((free.dense.bytes + free.factor.bytes) / 2 / 0.9));
    try {
      expect(free.factor.bytes).toBeLessThan(free.dense.bytes);
      const capped = planRoute(mid, 100, 'hessian');
      expect(capped.route).toBe('factor');
      expect(capped.reason).toMatch(/does not fit/);
    } finally {
      if (saved === undefined) delete process.env.HESSIAN_LAB_MEMORY_LIMIT; else process.env.HESSIAN_LAB_MEMORY_LIMIT = saved;
    }
  });
});

describe('raw binding: bad input is an error, never a crash', () => {
  const f = fixture({ layers: [5, 4, 3], activation: 'relu', loss: 'cross_entropy' }, 6, 14, 0.8);
  const raw = { layers: [5, 4, 3], activation: 'relu', loss: 'cross_entropy', bias: true };
  it.each([
    ['N = 0', () => binding().factorPlan(raw, 0, 'hessian'), /N must be/],
    ['N huge', () => binding().factorPlan(raw, 1e300, 'hessian'), /N must be/],
    ['unknown kind', () => binding().factorPlan(raw, 10, 'fisher' as never), /kind must be/],
    ['options null', () => binding().factorSpectrum(raw, f.params, f.data.X, f.data.y, null as never), /options/],
    ['vectors −5', () => binding().factorSpectrum(raw, f.params, f.data.X, f.data.y, { kind: 'ggn', vectors: -5 }), /vectors/],
    ['params too short', () => binding().factorSpectrum(raw, f.params.subarray(1), f.data.X, f.data.y, { kind: 'ggn' }), /params/],
    ['NaN in X', () => binding().factorSpectrum(raw, f.params, new Float64Array(f.data.X).fill(NaN, 3, 4), f.data.y, { kind: 'ggn' }), /finite/],
  ] as [string, () => unknown, RegExp][])('%s', (_name, call, message) => {
    expect(call).toThrow(message);
  });
});

describe('long work', () => {
  it('reports progress and stops on an AbortSignal (AbortError), leaving the addon usable', async () => {
    const f = fixture({ layers: [200, 30, 10], activation: 'relu', loss: 'cross_entropy' }, 400, 13, 0.8);
    const controller = new AbortController();
    const stages: string[] = [];
    const run = curvatureSpectrum(f.model, f.params, f.data, 'hessian', {
      route: 'factor', signal: controller.signal,
      onProgress: (stage) => { stages.push(stage); controller.abort(); },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(stages.length).toBeGreaterThan(0);
    const again = await curvatureSpectrum(f.model, f.params, { X: f.data.X.subarray(0, 2000), y: f.data.y.subarray(0, 10) }, 'gradient_covariance', { route: 'factor' });
    expect(again.rank).toBe(10);
  });
});

describe('analyze --route', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-route-'));
  const f = fixture({ layers: [30, 5, 4], activation: 'relu', loss: 'cross_entropy' }, 6, 12, 0.8);
  const caseFile = path.join(tmp, 'case.json');
  fs.writeFileSync(caseFile, JSON.stringify({
    ...f.model, params: Array.from(f.params), X: Array.from({ length: 6 }, (_, i) => Array.from(f.data.X.subarray(i * 30, i * 30 + 30))), y: Array.from(f.data.y),
  }));

  it('records route, r and reason per matrix in analysis.json; factor and dense agree', async () => {
    const outs: Record<string, Record<string, { eigenvalues: number[]; route: string; r: number; reason: string }>> = {};
    for (const route of ['factor', 'dense']) {
      const out = path.join(tmp, route);
      const r = await runCli('analyze', '--case', caseFile, '--out', out, '--route', route);
      expect(r.code).toBe(0);
      outs[route] = JSON.parse(fs.readFileSync(path.join(out, 'analysis.json'), 'utf8'));
    }
    for (const name of ['hessian', 'ggn', 'residual', 'gradient_covariance']) {
      const a = outs.factor[name], b = outs.dense[name];
      expect(a.route).toBe('factor');
      expect(b.route).toBe('dense');
      expect(b.r).toBe(f.M);
      expect(a.r).toBeLessThan(f.M);
      expect(a.reason).toMatch(/route 'factor' requested/);
      const lmax = Math.max(...b.eigenvalues.map(Math.abs));
      a.eigenvalues.forEach((v, i) => expect(Math.abs(v - b.eigenvalues[i])).toBeLessThanOrEqual(MATCH * lmax));
    }
  }, 300000);

  it('--route factor with a tanh net fails with the reason; an unknown route is a usage error', async () => {
    const tanhCase = path.join(tmp, 'tanh.json');
    fs.writeFileSync(tanhCase, JSON.stringify({ ...JSON.parse(fs.readFileSync(caseFile, 'utf8')), activation: 'tanh' }));
    const r = await runCli('analyze', '--case', tanhCase, '--out', path.join(tmp, 'tanh'), '--route', 'factor', '--matrices', 'hessian');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/tanh/);
    const u = await runCli('analyze', '--case', caseFile, '--out', path.join(tmp, 'x'), '--route', 'sparse');
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/sparse/);
  });
});
