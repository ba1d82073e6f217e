/**
 * The MLP assembly's two routes (native/core/curvature.h): within-layer blocks by unit pairs (one
 * GEMM over (p <= r) x (q <= s) pairs) and cross-layer blocks by unit slabs. Checked on random
 * MLPs with and without bias, ReLU / tanh / sigmoid / linear, cross-entropy / MSE / logistic,
 * against the independent R-operator route of the same network written as a sequential model
 * (rOperatorOnly), on the whole matrix and on rectangles that cut units and layers; for bitwise
 * independence of the thread count, exact symmetry, and float32 outputs that are the float64
 * result rounded once.
 */
import { computeCurvature, MlpSpec } from '../src';
import { normalizeModel, toRawModel } from '../src/engine/model';
import { binding } from '../src/native/binding';
import { curvatureArrays, fixture, Fixture, maxAbs, maxAbsDiff } from './helpers/fixtures';

type Name = 'hessian' | 'ggn' | 'residual' | 'gradient_covariance';
const ALL: Name[] = ['hessian', 'ggn', 'residual', 'gradient_covariance'];

/**
 * The same network in the addon's sequential form (same parameter order: each layer's weight, then
 * its bias), built by hand: toRawModel would send it as the MLP it is, to the route under test.
 */
function sequentialOf(m: MlpSpec) {
  const act = m.activation === 'linear' ? 'identity' : m.activation!;
  const layers: Record<string, unknown>[] = [];
  for (let l = 1; l < m.layers.length; l++) {
    layers.push({ type: 'linear', out: m.layers[l], bias: m.bias !== false });
    if (l < m.layers.length - 1) layers.push({ type: act });
  }
  return { inputShape: [m.layers[0]], layers, loss: m.loss! };
}

// A block goes by unit pairs when its pairs are >= min(256, (in + 1) / 2) (curvature.cc), else by
// unit slabs: the nets below mix both (the ReLU one is all pairs, the linear one all slabs), and the
// deep ones have the slabs' blocks m >= l + 2.
const NETS: [string, MlpSpec, number][] = [
  ['ReLU CE with bias, 2 hidden layers (all pairs)', { layers: [5, 23, 12, 4], activation: 'relu', loss: 'cross_entropy' }, 23],
  ['tanh MSE without bias', { layers: [40, 5, 6, 3], activation: 'tanh', loss: 'mse', bias: false }, 17],
  ['sigmoid CE with bias, 3 hidden layers', { layers: [3, 24, 4, 6, 3], activation: 'sigmoid', loss: 'cross_entropy' }, 19],
  ['linear logistic with bias (all slabs)', { layers: [40, 4, 1], activation: 'linear', loss: 'logistic' }, 15],
];

/** The named matrices of one raw assemble call (model: an MlpSpec, or an addon-form model as is). */
async function raw(c: { model: unknown; params: Float64Array; data: Fixture['data'] }, names: Name[], o: Record<string, unknown> = {}) {
  const model = 'inputShape' in (c.model as object) ? c.model : toRawModel(normalizeModel(c.model as MlpSpec));
  const r = await binding().assemble(model as never, c.params, c.data.X, c.data.y, { kinds: names, ...o });
  const out: Record<string, Float64Array> = {};
  for (const n of names) {
    const m = r.matrices[n]!;
    out[n] = m.block(0, m.rows, 0, m.cols);
    m.dispose();
  }
  return out;
}

describe.each(NETS)('%s', (_name, model, N) => {
  const f = fixture(model, N, 3, 1.2);
  const M = f.M;
  const seq = { model: sequentialOf(model), params: f.params, data: f.data };

  it('equals the R-operator route on the whole matrix and on rectangles that cut units and layers', async () => {
    const w1 = model.layers[1] * model.layers[0];
    for (const [rb, re, cb, ce] of [[0, M, 0, M], [2, M - 3, 2, M - 3], [1, w1 + 2, 3, M], [w1 - 4, M, 0, w1 + 5], [5, 6, 0, M]]) {
      const o = { rowBegin: rb, rowEnd: re, colBegin: cb, colEnd: ce };
      const fast = await raw(f, ALL, o);
      const slow = await raw(seq, ALL, { ...o, rOperatorOnly: true });
      for (const n of ALL) expect(maxAbsDiff(fast[n], slow[n])).toBeLessThan(1e-12 * Math.max(1, maxAbs(slow[n])));
      if (rb === 0 && re === M) expect(maxAbsDiff(fast.ggn, slow.ggn)).toBeGreaterThan(0);  // two routes, not one
    }
  });

  it('a rectangle is the same block of the whole matrix; whole matrix and diagonal squares exactly symmetric', async () => {
    const all = await raw(f, ALL);
    const asymmetry = (a: Float64Array, w: number) => {
      let bad = 0;
      for (let i = 0; i < w; i++) for (let j = 0; j < i; j++) if (a[i * w + j] !== a[j * w + i]) bad++;
      return bad;
    };
    for (const n of ALL) {
      expect(asymmetry(all[n], M)).toBe(0);
      expect(maxAbs(all[n])).toBeGreaterThan(0);
    }
    for (const [rb, re, cb, ce] of [[3, M - 1, 3, M - 1], [0, 9, 4, M], [M - 7, M, 1, 12]]) {
      const b = await raw(f, ALL, { rowBegin: rb, rowEnd: re, colBegin: cb, colEnd: ce });
      const w = ce - cb;
      for (const n of ALL) {
        let d = 0;
        for (let i = rb; i < re; i++) for (let j = cb; j < ce; j++) d = Math.max(d, Math.abs(b[n][(i - rb) * w + (j - cb)] - all[n][i * M + j]));
        expect(d).toBeLessThan(1e-13 * Math.max(1, maxAbs(all[n])));
        if (rb === cb && re === ce) expect(asymmetry(b[n], w)).toBe(0);
      }
    }
  });

  it('bitwise the same on 1, 2 and 3 threads; float32 is the float64 result rounded once', async () => {
    const one = await curvatureArrays(f, ALL, { threads: 1 });
    for (const threads of [2, 3]) {
      const other = await curvatureArrays(f, ALL, { threads });
      for (const n of ALL) expect(maxAbsDiff(other[n], one[n])).toBe(0);
    }
    const r = await computeCurvature(f.model, f.params, f.data, { matrices: ALL, dtype: 'float32', threads: 2 });
    for (const n of ALL) {
      const a = r.matrices[n]!.toArray();
      r.matrices[n]!.dispose();
      expect(maxAbsDiff(a, Float32Array.from(one[n]))).toBe(0);
    }
  });
});

describe('MLP assembly where a layer makes several pair tasks (more than budget::kPairRows / 2 unit pairs)', () => {
  it('H, G, R and C equal the R-operator route and do not depend on the thread count (bitwise)', async () => {
    const model: MlpSpec = { layers: [12, 25, 18, 4], activation: 'relu', loss: 'cross_entropy' };
    const f = fixture(model, 40, 11, 0.8);
    const seq = { model: sequentialOf(model), params: f.params, data: f.data };
    const fast = await raw(f, ALL, { threads: 2 });
    const slow = await raw(seq, ALL, { rOperatorOnly: true });
    for (const n of ALL) expect(maxAbsDiff(fast[n], slow[n])).toBeLessThan(1e-12 * Math.max(1, maxAbs(slow[n])));
    const one = await raw(f, ALL, { threads: 1 });
    for (const n of ALL) expect(maxAbsDiff(fast[n], one[n])).toBe(0);
  });
});

describe('MLP pair route with so many samples that a layer\'s column pairs come in several chunks (budget::kPairColumnBytes)', () => {
  it('H and C on N samples are the mean of those on three thirds (each in one chunk)', async () => {
    // 71 abar columns make 2,556 column pairs in three 64-blocks (2,080 + 448 + 28): at N = 9,000 a
    // 64 MiB chunk holds 932 pairs (two chunks: a block is never cut), at N = 3,000 all of them.
    const model: MlpSpec = { layers: [70, 23, 2], activation: 'tanh', loss: 'cross_entropy' };
    const f = fixture(model, 9000, 5, 0.4);
    const names: Name[] = ['hessian', 'gradient_covariance'];
    const all = await raw(f, names);
    const thirds = await Promise.all([0, 1, 2].map((t) => raw({ model, params: f.params, data: {
      X: f.data.X.slice(t * 3000 * 70, (t + 1) * 3000 * 70), y: f.data.y.slice(t * 3000, (t + 1) * 3000) } }, names)));
    for (const n of names) {
      const mean = all[n].map((_, k) => (thirds[0][n][k] + thirds[1][n][k] + thirds[2][n][k]) / 3);
      expect(maxAbsDiff(all[n], mean)).toBeLessThan(1e-13 * Math.max(1, maxAbs(mean)));
      expect(maxAbs(all[n])).toBeGreaterThan(0);
    }
  });
});
