/**
 * Layer 1: every curvature matrix against an independent route — finite differences of the
 * gradient, an explicit Jacobian, analytic cases, the per-sample gradients — plus symmetry,
 * H = G + R across independent recursions, blocks and float32.
 */
import { computeCurvature, evaluate, MlpSpec, Matrix } from '../src';
import { fixture, Fixture, lcg, maxAbs, maxAbsDiff } from './helpers/fixtures';

async function full(f: Fixture, names: ('hessian' | 'ggn' | 'residual' | 'gradient_covariance')[]): Promise<Record<string, Float64Array>> {
  const r = await computeCurvature(f.model, f.params, f.data, { matrices: names });
  const out: Record<string, Float64Array> = {};
  for (const n of names) {
    out[n] = r.matrices[n]!.toArray();
    r.matrices[n]!.dispose();
  }
  return out;
}

const ARCHITECTURES: [string, MlpSpec, number][] = [
  ['tanh cross-entropy 3-4-3', { layers: [3, 4, 3], activation: 'tanh', loss: 'cross_entropy' }, 7],
  ['sigmoid mse 3-4-5-3', { layers: [3, 4, 5, 3], activation: 'sigmoid', loss: 'mse' }, 6],
  ['relu cross-entropy, 4 layers', { layers: [2, 3, 4, 2, 3], activation: 'relu', loss: 'cross_entropy' }, 9],
  ['tanh logistic 4-3-1', { layers: [4, 3, 1], activation: 'tanh', loss: 'logistic' }, 8],
  ['tanh without biases', { layers: [3, 4, 3], activation: 'tanh', loss: 'cross_entropy', bias: false }, 7],
  ['linear activation, deep', { layers: [3, 3, 3, 2], activation: 'linear', loss: 'mse' }, 5],
];

describe.each(ARCHITECTURES)('%s', (_name, model, N) => {
  const f = fixture(model, N, 11);

  it('H matches central finite differences of the gradient (random columns)', async () => {
    const { hessian: H } = await full(f, ['hessian']);
    const h = 1e-5;
    const pick = lcg(3);
    for (let t = 0; t < Math.min(8, f.M); t++) {
      const j = Math.floor((pick() + 0.5) * f.M);
      const p = Float64Array.from(f.params), m = Float64Array.from(f.params);
      p[j] += h;
      m[j] -= h;
      const gp = evaluate(f.model, p, f.data).gradient, gm = evaluate(f.model, m, f.data).gradient;
      const fd = gp.map((v, i) => (v - gm[i]) / (2 * h));
      const col = Float64Array.from({ length: f.M }, (_, i) => H[i * f.M + j]);
      expect(maxAbsDiff(fd, col)).toBeLessThan(1e-7 * Math.max(1, maxAbs(col)));
    }
  });

  it('is symmetric, and H (own recursion) = G + R (own recursions)', async () => {
    const { hessian: H } = await full(f, ['hessian']);
    const { ggn: G, residual: R } = await full(f, ['ggn', 'residual']);
    for (let i = 0; i < f.M; i++) for (let j = 0; j < f.M; j++) expect(H[i * f.M + j]).toBe(H[j * f.M + i]);
    expect(maxAbsDiff(H, G.map((g, i) => g + R[i]))).toBeLessThan(1e-13 * Math.max(1, maxAbs(H)));
    // The fused path (H from G + R in one pass) agrees with the separate ones.
    const fused = await full(f, ['hessian', 'ggn', 'residual']);
    expect(maxAbsDiff(fused.hessian, H)).toBeLessThan(1e-13 * Math.max(1, maxAbs(H)));
    expect(maxAbsDiff(fused.ggn, G)).toBe(0);
  });

  it('G = (1/N) sum J_i^T H_l J_i with J from finite differences of the outputs', async () => {
    const { ggn: G } = await full(f, ['ggn']);
    const k = model.layers[model.layers.length - 1], N = f.data.y.length, h = 1e-6;
    const J = new Float64Array(N * k * f.M); // J[i][c][j]
    for (let j = 0; j < f.M; j++) {
      const p = Float64Array.from(f.params), m = Float64Array.from(f.params);
      p[j] += h;
      m[j] -= h;
      const op = evaluate(f.model, p, f.data).outputs, om = evaluate(f.model, m, f.data).outputs;
      for (let t = 0; t < N * k; t++) J[t * f.M + j] = (op[t] - om[t]) / (2 * h);
    }
    const out = evaluate(f.model, f.params, f.data).outputs;
    const Gx = new Float64Array(f.M * f.M);
    for (let i = 0; i < N; i++) {
      const o = out.subarray(i * k, (i + 1) * k);
      const Hl = new Float64Array(k * k);
      if (model.loss === 'mse') for (let c = 0; c < k; c++) Hl[c * k + c] = 1;
      else if (model.loss === 'logistic') { const s = 1 / (1 + Math.exp(-o[0])); Hl[0] = s * (1 - s); }
      else {
        const mx = Math.max(...o), e = Array.from(o, (v) => Math.exp(v - mx)), z = e.reduce((a, b) => a + b, 0);
        const p = e.map((v) => v / z);
        for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) Hl[a * k + b] = (a === b ? p[a] : 0) - p[a] * p[b];
      }
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
        const w = Hl[a * k + b] / N;
        if (w === 0) continue;
        const Ja = (i * k + a) * f.M, Jb = (i * k + b) * f.M;
        for (let r = 0; r < f.M; r++) for (let c = 0; c < f.M; c++) Gx[r * f.M + c] += w * J[Ja + r] * J[Jb + c];
      }
    }
    expect(maxAbsDiff(G, Gx)).toBeLessThan(1e-7 * Math.max(1, maxAbs(G)));
  });

  it('C = (1/N) sum g_i g_i^T from the per-sample gradients, and G is PSD', async () => {
    const { gradient_covariance: C, ggn: G } = await full(f, ['gradient_covariance', 'ggn']);
    const ev = evaluate(f.model, f.params, f.data, { perSample: true });
    const P = ev.perSampleGradients!, N = f.data.y.length;
    const Cx = new Float64Array(f.M * f.M);
    for (let n = 0; n < N; n++) for (let i = 0; i < f.M; i++) for (let j = 0; j < f.M; j++) Cx[i * f.M + j] += (P[n * f.M + i] * P[n * f.M + j]) / N;
    expect(maxAbsDiff(C, Cx)).toBeLessThan(1e-13 * Math.max(1, maxAbs(C)));
    // the mean of per-sample gradients is the gradient
    for (let j = 0; j < f.M; j++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += P[n * f.M + j];
      expect(s / N).toBeCloseTo(ev.gradient[j], 12);
    }
    const g = Matrix.fromArray(G, f.M, f.M);
    const e = await g.eigen();
    g.dispose();
    expect(e.values[0]).toBeGreaterThan(-1e-12 * Math.max(1, e.values[f.M - 1]));
  });

  it('any rectangular block equals the same block of the full matrix', async () => {
    const all = await full(f, ['hessian', 'residual', 'gradient_covariance']);
    const blocks: [number, number, number, number][] = [
      [0, f.M, 0, f.M - 1],
      [Math.floor(f.M / 3), f.M - 2, 1, Math.floor((2 * f.M) / 3)],
      [f.M - 3, f.M, 0, 4],
      [2, 3, 0, f.M],
    ];
    for (const [r0, r1, c0, c1] of blocks) {
      const b = await computeCurvature(f.model, f.params, f.data, { matrices: ['hessian', 'residual', 'gradient_covariance'], rows: [r0, r1], cols: [c0, c1] });
      for (const name of ['hessian', 'residual', 'gradient_covariance'] as const) {
        const B = b.matrices[name]!.toArray();
        b.matrices[name]!.dispose();
        const ref = new Float64Array((r1 - r0) * (c1 - c0));
        for (let i = r0; i < r1; i++) for (let j = c0; j < c1; j++) ref[(i - r0) * (c1 - c0) + (j - c0)] = all[name][i * f.M + j];
        expect(maxAbsDiff(B, ref)).toBeLessThan(1e-13 * Math.max(1, maxAbs(ref)));
      }
    }
  });
});

describe('analytic cases', () => {
  it('linear regression (mse, no hidden layer): H = G = I_k (x) [X 1]^T [X 1] / N, R = 0', async () => {
    const d = 4, k = 2, N = 9;
    const f = fixture({ layers: [d, k], activation: 'linear', loss: 'mse' }, N, 5);
    const { hessian: H, ggn: G, residual: R } = await full(f, ['hessian', 'ggn', 'residual']);
    const X = f.data.X, M = f.M;
    const idx = (r: number, s: number) => (s < d ? r * d + s : k * d + r); // PyTorch order: W row-major, then b
    const xbar = (i: number, s: number) => (s < d ? X[i * d + s] : 1);
    for (let r = 0; r < k; r++) for (let s = 0; s <= d; s++) for (let r2 = 0; r2 < k; r2++) for (let s2 = 0; s2 <= d; s2++) {
      let v = 0;
      if (r === r2) for (let i = 0; i < N; i++) v += (xbar(i, s) * xbar(i, s2)) / N;
      expect(H[idx(r, s) * M + idx(r2, s2)]).toBeCloseTo(v, 13);
    }
    expect(maxAbs(R)).toBe(0);
    expect(maxAbsDiff(H, G)).toBeLessThan(1e-15);
  });

  it('logistic regression: H = G exactly and R = 0', async () => {
    const f = fixture({ layers: [6, 1], activation: 'relu', loss: 'logistic' }, 20, 8);
    const { hessian: H, ggn: G, residual: R } = await full(f, ['hessian', 'ggn', 'residual']);
    expect(maxAbs(R)).toBe(0);
    expect(maxAbsDiff(H, G)).toBeLessThan(1e-16);
    expect(maxAbs(H)).toBeGreaterThan(1e-3);
  });

  it('ReLU networks: R has no within-layer part (the activation has no curvature)', async () => {
    const f = fixture({ layers: [3, 4, 3], activation: 'relu', loss: 'cross_entropy' }, 8, 2);
    const { residual: R } = await full(f, ['residual']);
    // First layer's weights and biases: rows/cols [0, 16) form the (1,1) block.
    for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) expect(R[i * f.M + j]).toBe(0);
    expect(maxAbs(R)).toBeGreaterThan(1e-4); // the cross-layer part is not zero
  });
});

describe('float32', () => {
  it('stores the float64 result rounded once', async () => {
    const f = fixture({ layers: [5, 6, 4], activation: 'tanh', loss: 'cross_entropy' }, 30, 4);
    const a = await computeCurvature(f.model, f.params, f.data, { matrices: ['hessian'], dtype: 'float64' });
    const b = await computeCurvature(f.model, f.params, f.data, { matrices: ['hessian'], dtype: 'float32' });
    expect(b.matrices.hessian!.dtype).toBe('float32');
    const A = a.matrices.hessian!.toArray(), B = b.matrices.hessian!.toArray();
    for (let i = 0; i < A.length; i++) expect(B[i]).toBe(Math.fround(A[i]));
    const ea = await a.matrices.hessian!.eigen(), eb = await b.matrices.hessian!.eigen();
    expect(maxAbsDiff(ea.values, eb.values)).toBeLessThan(1e-5 * maxAbs(ea.values));
    a.matrices.hessian!.dispose();
    b.matrices.hessian!.dispose();
  });
});
