/**
 * Convnets (sequential models): every curvature matrix against an independent route — central
 * differences of the loss and of the gradient, an explicit finite-difference Jacobian for G, the
 * per-sample gradients for C, the MLP engine on the unrolled dense equivalent of a conv layer —
 * plus symmetry, H = G + R across three recursions, blocks, products, float32 and max-pool ties.
 */
import { approx, computeCurvature, evaluate, parameterCount, classCount, inputSize, ModelSpec, SequentialSpec, MlpSpec } from '../src';
import { binding } from '../src/native/binding';
import { conv, curvatureArrays, finiteDifferenceError, lcg, maxAbs, maxAbsDiff } from './helpers/fixtures';

type Name = 'hessian' | 'ggn' | 'residual' | 'gradient_covariance';

interface Case {
  model: ModelSpec;
  params: Float64Array;
  data: { X: Float64Array; y: Int32Array };
  M: number;
}

function makeCase(model: ModelSpec, N: number, seed: number, scale = 0.9, X?: Float64Array): Case {
  const r = lcg(seed);
  const M = parameterCount(model);
  const params = new Float64Array(M).map(() => r() * scale);
  const d = inputSize(model);
  const k = classCount(model);
  return {
    model,
    params,
    data: { X: X ?? new Float64Array(N * d).map(() => r() * 2), y: new Int32Array(N).map((_, i) => (i * 7 + seed) % k) },
    M,
  };
}

const full = (c: Case, names: Name[], extra: Record<string, unknown> = {}) => curvatureArrays(c, names, extra);


// Every layer type, with stride, padding, odd and rectangular sizes, each activation and loss.
const ARCHITECTURES: [string, SequentialSpec, number][] = [
  ['conv (stride 2, padding 1) tanh, overlapping maxpool, sigmoid head, cross-entropy',
    { input_shape: [2, 5, 7], loss: 'cross_entropy', layers: [
      conv(3, 3, { stride: 2, padding: 1 }), { type: 'tanh' }, { type: 'maxpool2d', kernel: 2, stride: 1 }, { type: 'flatten' },
      { type: 'linear', out: 4 }, { type: 'sigmoid' }, { type: 'linear', out: 3 }] }, 7],
  ['two ReLU convs (second without bias, padded), maxpool stride 2',
    { input_shape: [1, 8, 7], loss: 'cross_entropy', layers: [
      conv(2, 3), { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }, conv(3, 2, { padding: 1, bias: false }), { type: 'relu' },
      { type: 'flatten' }, { type: 'linear', out: 4 }, { type: 'relu' }, { type: 'linear', out: 3 }] }, 9],
  ['rectangular kernel and stride, sigmoid conv, mse loss',
    { input_shape: [2, 6, 5], loss: 'mse', layers: [
      conv(2, [3, 2], { stride: [2, 1], padding: [0, 1] }), { type: 'sigmoid' }, { type: 'flatten' }, { type: 'linear', out: 3 }] }, 6],
  ['padded maxpool on the input, conv, identity, logistic loss',
    { input_shape: [1, 5, 5], loss: 'logistic', layers: [
      { type: 'maxpool2d', kernel: 3, stride: 2, padding: 1 }, conv(2, 2), { type: 'identity' }, { type: 'flatten' },
      { type: 'linear', out: 1 }] }, 8],
  ['dense layers with an output activation (the sequential engine on linear layers)',
    { input_shape: [4], loss: 'cross_entropy', layers: [
      { type: 'linear', out: 5 }, { type: 'tanh' }, { type: 'linear', out: 3 }, { type: 'tanh' }] }, 6],
];

describe.each(ARCHITECTURES)('%s', (_name, model, N) => {
  const c = makeCase(model, N, 5);

  it('the gradient matches central differences of the loss', () => {
    const g = evaluate(c.model, c.params, c.data).gradient;
    const h = 1e-6;
    const fd = new Float64Array(c.M).map((_, j) => {
      const p = Float64Array.from(c.params), m = Float64Array.from(c.params);
      p[j] += h;
      m[j] -= h;
      return (evaluate(c.model, p, c.data).loss - evaluate(c.model, m, c.data).loss) / (2 * h);
    });
    expect(maxAbsDiff(fd, g)).toBeLessThan(1e-8 * Math.max(1, maxAbs(g)));
  });

  it('H matches central differences of the gradient (every column)', async () => {
    const { hessian: H } = await full(c, ['hessian']);
    const err = finiteDifferenceError(c, H);
    expect(err).toBeLessThan(1e-7 * Math.max(1, maxAbs(H)));
    expect(maxAbs(H)).toBeGreaterThan(1e-3);
  });

  it('is exactly symmetric, and H (own recursion) = G + R (own recursions)', async () => {
    const m = await full(c, ['hessian', 'ggn', 'residual']);
    const { hessian: H, ggn: G, residual: R } = m;
    for (let i = 0; i < c.M; i++) for (let j = 0; j < i; j++) expect(H[i * c.M + j]).toBe(H[j * c.M + i]);
    expect(maxAbsDiff(H, G.map((g, i) => g + R[i]))).toBeLessThan(1e-13 * Math.max(1, maxAbs(H)));
    // Each alone equals its value computed alongside the others.
    const alone = await full(c, ['residual']);
    expect(maxAbsDiff(alone.residual, R)).toBe(0);
  });

  it('G = (1/N) sum J_i^T H_l J_i with J from finite differences of the outputs', async () => {
    const { ggn: G } = await full(c, ['ggn']);
    const outputs = (p: Float64Array) => evaluate(c.model, p, c.data).outputs;
    const f0 = outputs(c.params);
    const k = f0.length / N, h = 1e-6;
    const J = new Float64Array(N * k * c.M);  // [(i, a), j]
    for (let j = 0; j < c.M; j++) {
      const p = Float64Array.from(c.params), m = Float64Array.from(c.params);
      p[j] += h;
      m[j] -= h;
      const fp = outputs(p), fm = outputs(m);
      for (let t = 0; t < N * k; t++) J[t * c.M + j] = (fp[t] - fm[t]) / (2 * h);
    }
    const Gfd = new Float64Array(c.M * c.M);
    for (let i = 0; i < N; i++) {
      const f = f0.subarray(i * k, (i + 1) * k);
      const Hl = outputHessian(model.loss ?? 'cross_entropy', f);
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) {
          const w = Hl[a * k + b] / N;
          if (w === 0) continue;
          const ra = (i * k + a) * c.M, rb = (i * k + b) * c.M;
          for (let u = 0; u < c.M; u++) for (let v = 0; v < c.M; v++) Gfd[u * c.M + v] += w * J[ra + u] * J[rb + v];
        }
    }
    expect(maxAbsDiff(G, Gfd)).toBeLessThan(1e-7 * Math.max(1, maxAbs(G)));
  });

  it('C = (1/N) sum g_i g_i^T from the per-sample gradients', async () => {
    const { gradient_covariance: C } = await full(c, ['gradient_covariance']);
    const e = evaluate(c.model, c.params, c.data, { perSample: true });
    const P = e.perSampleGradients!;
    let err = 0;
    for (let u = 0; u < c.M; u++)
      for (let v = 0; v < c.M; v++) {
        let s = 0;
        for (let i = 0; i < N; i++) s += P[i * c.M + u] * P[i * c.M + v];
        err = Math.max(err, Math.abs(s / N - C[u * c.M + v]));
      }
    expect(err).toBeLessThan(1e-14 * Math.max(1, maxAbs(C)));
    // The per-sample gradients average to the gradient.
    const mean = new Float64Array(c.M).map((_, j) => {
      let s = 0;
      for (let i = 0; i < N; i++) s += P[i * c.M + j];
      return s / N;
    });
    expect(maxAbsDiff(mean, e.gradient)).toBeLessThan(1e-15 * c.M);
  });

  it('blocks (rows before, inside and after the columns) equal the full matrices; float32 rounds them', async () => {
    const all = await full(c, ['hessian', 'ggn', 'residual']);
    const M = c.M;
    const blocks: [[number, number], [number, number]][] = [
      [[0, M], [Math.floor(M / 2), M]],                       // rows start in an earlier layer than the columns
      [[Math.floor(M / 3), M - 1], [1, Math.floor(M / 2)]],   // a rectangle off the diagonal
      [[2, M - 3], [2, M - 3]],                               // a square on the diagonal (symmetric path)
    ];
    for (const [rows, cols] of blocks) {
      const r = await computeCurvature(c.model, c.params, c.data, { matrices: ['hessian', 'ggn', 'residual'], rows, cols });
      for (const name of ['hessian', 'ggn', 'residual'] as const) {
        const b = r.matrices[name]!.toArray();
        r.matrices[name]!.dispose();
        const w = cols[1] - cols[0];
        let err = 0;
        for (let i = rows[0]; i < rows[1]; i++)
          for (let j = cols[0]; j < cols[1]; j++) err = Math.max(err, Math.abs(b[(i - rows[0]) * w + j - cols[0]] - all[name][i * M + j]));
        expect(err).toBeLessThan(1e-14 * Math.max(1, maxAbs(all.hessian)));
      }
    }
    const f32 = await full(c, ['hessian'], { dtype: 'float32' });
    expect(maxAbsDiff(f32.hessian, all.hessian)).toBeLessThan(1e-6 * Math.max(1, maxAbs(all.hessian)));
  });

  it('matrix-free H V and G V (full data and a mini-batch) equal the dense matrices', async () => {
    const all = await full(c, ['hessian', 'ggn']);
    const r = lcg(9);
    const k = 3;
    const V = new Float64Array(k * c.M).map(() => r());
    for (const kind of ['hessian', 'ggn'] as const) {
      const out = await approx.curvatureOperator(c.model, c.params, c.data, { matrix: kind }).apply(V, k);
      const A = all[kind];
      const dense = new Float64Array(k * c.M);
      for (let v = 0; v < k; v++)
        for (let i = 0; i < c.M; i++) {
          let s = 0;
          for (let j = 0; j < c.M; j++) s += A[i * c.M + j] * V[v * c.M + j];
          dense[v * c.M + i] = s;
        }
      expect(maxAbsDiff(out, dense)).toBeLessThan(1e-13 * Math.max(1, maxAbs(dense)));
    }
    // A mini-batch product equals the product of the mini-batch's own Hessian.
    const samples = Int32Array.from([N - 1, 0, 2]);
    const sub: Case = { ...c, data: { X: new Float64Array(samples.length * inputSize(c.model)), y: new Int32Array(samples.length) } };
    const d = inputSize(c.model);
    samples.forEach((s, t) => {
      sub.data.X.set(c.data.X.subarray(s * d, (s + 1) * d), t * d);
      sub.data.y[t] = c.data.y[s];
    });
    const Hs = (await full(sub, ['hessian'])).hessian;
    const out = await approx.curvatureOperator(c.model, c.params, c.data, { samples }).apply(V, k);
    for (let i = 0; i < c.M; i++) {
      let s = 0;
      for (let j = 0; j < c.M; j++) s += Hs[i * c.M + j] * V[j];
      expect(Math.abs(out[i] - s)).toBeLessThan(1e-12 * Math.max(1, maxAbs(Hs)));
    }
  });
});

function outputHessian(loss: string, f: Float64Array): Float64Array {
  const k = f.length;
  const H = new Float64Array(k * k);
  if (loss === 'mse') {
    for (let a = 0; a < k; a++) H[a * k + a] = 1;
  } else if (loss === 'logistic') {
    const s = 1 / (1 + Math.exp(-f[0]));
    H[0] = s * (1 - s);
  } else {
    const m = Math.max(...f);
    const e = Array.from(f, (v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    const p = e.map((v) => v / z);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) H[a * k + b] = (a === b ? p[a] : 0) - p[a] * p[b];
  }
  return H;
}

describe('a conv layer has the Hessian of its unrolled dense layer (the MLP engine)', () => {
  // conv2d(2 -> 2, kernel [3, 2], stride [2, 1], padding [1, 0]) on [2, 5, 4], tanh, flatten, linear(3).
  const C = 2, Hh = 5, Ww = 4, Co = 2, kh = 3, kw = 2, sh = 2, sw = 1, ph = 1, pw = 0, k = 3, N = 6;
  const Ho = Math.floor((Hh + 2 * ph - kh) / sh) + 1, Wo = Math.floor((Ww + 2 * pw - kw) / sw) + 1, P = Ho * Wo;
  const convModel: SequentialSpec = { input_shape: [C, Hh, Ww], loss: 'cross_entropy', layers: [
    conv(Co, [kh, kw], { stride: [sh, sw], padding: [ph, pw] }), { type: 'tanh' }, { type: 'flatten' }, { type: 'linear', out: k }] };
  const dense: MlpSpec = { layers: [C * Hh * Ww, Co * P, k], activation: 'tanh', loss: 'cross_entropy' };
  const c = makeCase(convModel, N, 17);
  const Mc = c.M, Md = parameterCount(dense), nIn = C * Hh * Ww, nOut = Co * P;
  // A: conv parameters -> dense parameters (each dense entry is one conv weight, or zero).
  const source = new Int32Array(Md).fill(-1);
  const convW = Co * C * kh * kw;
  for (let o = 0; o < Co; o++)
    for (let oy = 0; oy < Ho; oy++)
      for (let ox = 0; ox < Wo; ox++)
        for (let ci = 0; ci < C; ci++)
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const y = oy * sh - ph + i, x = ox * sw - pw + j;
              if (y < 0 || y >= Hh || x < 0 || x >= Ww) continue;
              const row = o * P + oy * Wo + ox, col = ci * Hh * Ww + y * Ww + x;
              source[row * nIn + col] = ((o * C + ci) * kh + i) * kw + j;
            }
  for (let o = 0; o < Co; o++) for (let p = 0; p < P; p++) source[nOut * nIn + o * P + p] = convW + o;  // bias
  const headOffset = nOut * nIn + nOut;
  for (let t = 0; t < Md - headOffset; t++) source[headOffset + t] = convW + Co + t;  // the linear head, as is
  const denseParams = Float64Array.from(source, (s) => (s >= 0 ? c.params[s] : 0));

  it('same loss and outputs; H_conv = A^T H_dense A', async () => {
    const ec = evaluate(c.model, c.params, c.data), ed = evaluate(dense, denseParams, c.data);
    expect(Math.abs(ec.loss - ed.loss)).toBeLessThan(1e-14);
    expect(maxAbsDiff(ec.outputs, ed.outputs)).toBeLessThan(1e-14);
    const Hc = (await full(c, ['hessian'])).hessian;
    const rd = await computeCurvature(dense, denseParams, c.data, { matrices: ['hessian'] });
    const Hd = rd.matrices.hessian!.toArray();
    rd.matrices.hessian!.dispose();
    const users: number[][] = Array.from({ length: Mc }, () => []);
    source.forEach((s, u) => s >= 0 && users[s].push(u));
    let err = 0;
    for (let a = 0; a < Mc; a++)
      for (let b = 0; b < Mc; b++) {
        let s = 0;
        for (const u of users[a]) for (const v of users[b]) s += Hd[u * Md + v];
        err = Math.max(err, Math.abs(s - Hc[a * Mc + b]));
      }
    expect(err).toBeLessThan(1e-12 * Math.max(1, maxAbs(Hc)));
  });
});

describe('max-pool ties', () => {
  // Inputs whose columns come in identical pairs, a 1x1 conv, then a 2x2 max-pool: every pooled
  // window holds exact ties whose values AND derivatives agree, so max is smooth there. The
  // gradient must go to one of the tied entries (the first), not to each of them.
  const model: SequentialSpec = { input_shape: [1, 4, 4], loss: 'cross_entropy', layers: [
    conv(2, 1), { type: 'maxpool2d', kernel: 2 }, { type: 'tanh' }, { type: 'flatten' }, { type: 'linear', out: 3 }] };
  const N = 5, r = lcg(23);
  const X = new Float64Array(N * 16);
  for (let i = 0; i < N; i++)
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x += 2) X[i * 16 + y * 4 + x] = X[i * 16 + y * 4 + x + 1] = r() + 0.7;  // positive: no sign flips
  const c = makeCase(model, N, 23, 0.9, X);
  c.params[0] = Math.abs(c.params[0]) + 0.2;
  c.params[1] = Math.abs(c.params[1]) + 0.2;  // positive weights keep the order of the pairs

  it('gradient and H match finite differences (a double-routed tie would double them)', async () => {
    const g = evaluate(c.model, c.params, c.data).gradient;
    const { hessian: H } = await full(c, ['hessian']);
    const h = 1e-5;
    for (let j = 0; j < c.M; j++) {
      const p = Float64Array.from(c.params), m = Float64Array.from(c.params);
      p[j] += h;
      m[j] -= h;
      const lfd = (evaluate(c.model, p, c.data).loss - evaluate(c.model, m, c.data).loss) / (2 * h);
      expect(Math.abs(lfd - g[j])).toBeLessThan(1e-8);
      const gp = evaluate(c.model, p, c.data).gradient, gm = evaluate(c.model, m, c.data).gradient;
      for (let i = 0; i < c.M; i++) expect(Math.abs((gp[i] - gm[i]) / (2 * h) - H[i * c.M + j])).toBeLessThan(1e-7);
    }
  });
});

describe('bad convnets give clear errors, never a crash', () => {
  const data = { X: new Float64Array(2 * 16), y: Int32Array.from([0, 1]) };
  const base = (layers: unknown[]) => ({ input_shape: [1, 4, 4], loss: 'cross_entropy', layers }) as unknown as SequentialSpec;

  it('kernel larger than the input', () => {
    const m = base([conv(2, 5), { type: 'flatten' }, { type: 'linear', out: 2 }]);
    expect(() => evaluate(m, new Float64Array(100), data)).toThrow(RangeError);
    expect(() => evaluate(m, new Float64Array(100), data)).toThrow(/layers\[0\]\.kernel.*4x4.*5x5/);
  });

  it('channel mismatch', () => {
    const m = base([conv(2, 3, { in_channels: 3 }), { type: 'flatten' }, { type: 'linear', out: 2 }]);
    expect(() => evaluate(m, new Float64Array(100), data)).toThrow(/in_channels.*3.*1|1.*3/);
  });

  it('the native boundary re-checks shapes itself (raw binding, no TypeScript validation)', () => {
    const raw = { inputShape: [1, 4, 4], loss: 'cross_entropy', layers: [
      { type: 'conv2d', outChannels: 2, kernel: [5, 5], stride: [1, 1], padding: [0, 0], bias: true }, { type: 'flatten' },
      { type: 'linear', out: 2, bias: true }] };
    // (The addon's RangeError comes from Node's realm, not jest's: compare names, not classes.)
    let thrown: unknown;
    try {
      binding().evaluate(raw as never, new Float64Array(10), data.X, data.y, {});
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/layers\[0\] \(conv2d\).*5x5.*4x4/) });
    const linearFirst = { ...raw, layers: [{ type: 'linear', out: 2, bias: true }] };
    expect(() => binding().evaluate(linearFirst as never, new Float64Array(10), data.X, data.y, {})).toThrow(/flatten/);
    const unknown = { ...raw, layers: [{ type: 'conv3d' }] };
    expect(() => binding().evaluate(unknown as never, new Float64Array(10), data.X, data.y, {})).toThrow(/type must be one of/);
  });
});

describe('the memory guard covers convnets', () => {
  afterEach(() => delete process.env.HESSIAN_LAB_MEMORY_LIMIT);

  it('refuses, before allocating, the E4 convnet Hessian on a machine that cannot hold it', async () => {
    const e4: SequentialSpec = { input_shape: [1, 28, 28], loss: 'cross_entropy', layers: [
      conv(10, 5), { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }, conv(20, 5), { type: 'relu' }, { type: 'maxpool2d', kernel: 2 },
      { type: 'flatten' }, { type: 'linear', out: 80 }, { type: 'relu' }, { type: 'linear', out: 10 }] };
    expect(parameterCount(e4)).toBe(31770);
    const data = { X: new Float64Array(2 * 784), y: Int32Array.from([0, 1]) };
    process.env.HESSIAN_LAB_MEMORY_LIMIT = String(2 ** 30);
    await expect(computeCurvature(e4, new Float64Array(31770), data, { matrices: ['hessian'] }))
      .rejects.toThrow(/M = 31770 parameters needs \d+ bytes .* but only 1073741824 bytes/);
  });
});

describe('long convnet work is cancellable', () => {
  it('an aborted assembly rejects with AbortError', async () => {
    const model: SequentialSpec = { input_shape: [1, 12, 12], loss: 'cross_entropy', layers: [
      conv(6, 3), { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }, { type: 'flatten' }, { type: 'linear', out: 40 }, { type: 'relu' },
      { type: 'linear', out: 10 }] };
    const c = makeCase(model, 200, 3);
    const ac = new AbortController();
    const p = computeCurvature(c.model, c.params, c.data, { matrices: ['hessian'], signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });
});
