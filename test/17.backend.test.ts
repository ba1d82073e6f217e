/**
 * Layer 1: one backend for both model forms (native/core/threads.h, curvature_plumbing.h):
 * concurrent jobs with different thread counts neither race nor change each other's numbers;
 * matrices assembled together equal the same matrices assembled alone (bitwise), in the API and
 * in analyze; the stricter request checks hold on both paths; and the convnet's MLP-tail slab
 * route equals the R-operator route and finite differences.
 */
import { classCount, computeCurvature, inputSize, Matrix, MatrixBuffers, ModelSpec, parameterCount, SequentialSpec } from '../src';
import { analyzeNetwork } from '../src/engine/analysis';
import { normalizeModel, toRawModel } from '../src/engine/model';
import { binding } from '../src/native/binding';
import { curvatureArrays, finiteDifferenceError, lcg, maxAbs, maxAbsDiff } from './helpers/fixtures';

type Name = 'hessian' | 'ggn' | 'residual' | 'gradient_covariance';
const ALL: Name[] = ['hessian', 'ggn', 'residual', 'gradient_covariance'];

function makeCase(model: ModelSpec, N: number, seed: number, scale = 0.8) {
  const r = lcg(seed);
  const M = parameterCount(model);
  const params = new Float64Array(M).map(() => r() * scale);
  const X = new Float64Array(N * inputSize(model)).map(() => r() * 2);
  const y = new Int32Array(N).map((_, i) => (i * 7 + seed) % classCount(model));
  return { model, params, data: { X, y }, M };
}
type Case = ReturnType<typeof makeCase>;

const assemble = (c: Case, names: Name[], extra: Record<string, unknown> = {}) => curvatureArrays(c, names, extra);

const conv = (out: number, k: number) => ({ type: 'conv2d' as const, out_channels: out, kernel: k });
const CONVNET: SequentialSpec = { input_shape: [1, 9, 9], loss: 'cross_entropy', layers: [
  conv(3, 3), { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }, { type: 'flatten' },
  { type: 'linear', out: 10 }, { type: 'tanh' }, { type: 'linear', out: 6 }, { type: 'tanh' }, { type: 'linear', out: 4 }] };
const FORMS: [string, Case][] = [
  ['MLP', makeCase({ layers: [12, 16, 12, 5], activation: 'relu', loss: 'cross_entropy' }, 60, 3)],
  ['convnet', makeCase(CONVNET, 25, 5)],
];

describe.each(FORMS)('%s', (_name, c) => {
  it('two concurrent jobs with 1 and 2 threads give the numbers of sequential runs (bitwise)', async () => {
    const alone1 = await assemble(c, ALL, { threads: 1 });
    const alone2 = await assemble(c, ALL, { threads: 2 });
    const [one, two] = await Promise.all([assemble(c, ALL, { threads: 1 }), assemble(c, ALL, { threads: 2 })]);
    for (const n of ALL) {
      expect(maxAbsDiff(one[n], alone1[n])).toBe(0);
      expect(maxAbsDiff(two[n], alone2[n])).toBe(0);
      expect(maxAbsDiff(alone2[n], alone1[n])).toBe(0);
    }
    // and beside a threaded eigensolve of another matrix
    const other = await computeCurvature(c.model, c.params, c.data, { matrices: ['ggn'] });
    const [, during] = await Promise.all([other.matrices.ggn!.eigen({ threads: 2 }), assemble(c, ALL, { threads: 1 })]);
    other.matrices.ggn!.dispose();
    for (const n of ALL) expect(maxAbsDiff(during[n], alone1[n])).toBe(0);
  });

  it('H, G, R and C assembled together equal each assembled alone (bitwise), and H = G + R', async () => {
    const together = await assemble(c, ALL);
    for (const n of ALL) expect(maxAbsDiff((await assemble(c, [n]))[n], together[n])).toBe(0);
    const { hessian: H, ggn: G, residual: R } = together;
    expect(maxAbsDiff(H, G.map((g, i) => g + R[i]))).toBeLessThan(1e-13 * Math.max(1, maxAbs(H)));
    expect(maxAbs(R)).toBeGreaterThan(1e-6);
  });

  it('analyze: a shared pass and one matrix at a time give the same spectra', async () => {
    const shared = await analyzeNetwork(c.model, c.params, c.data, { assembly: 'shared' });
    const separate = await analyzeNetwork(c.model, c.params, c.data, { assembly: 'separate' });
    const auto = await analyzeNetwork(c.model, c.params, c.data, {});
    expect(shared.timings.assembly_pass).toBe('shared');
    expect(separate.timings.assembly_pass).toBe('separate');
    expect(auto.timings.assembly_pass).toBe('shared');  // a small model fits
    for (const n of ALL) {
      expect(maxAbsDiff(shared.matrices[n]!.eigenvalues, separate.matrices[n]!.eigenvalues)).toBe(0);
      expect(Object.keys(shared.timings.assembly)).toContain(n);
    }
  });

  it('the stricter request checks hold (raw binding)', async () => {
    const raw = binding();
    const call = (o: Record<string, unknown>) => raw.assemble(toRawModel(normalizeModel(c.model)), c.params, c.data.X, c.data.y, o as never);
    expect(() => call({ kinds: [] })).toThrow(/at least one/);
    expect(() => call({ kinds: ['hessian', 'hessian'] })).toThrow(/twice/);
    // Checked before the job allocates its outputs: thrown at the call, not by the job.
    expect(() => call({ kinds: ['hessian'], rowBegin: 5, rowEnd: 5 })).toThrow(/rowBegin, rowEnd must give a non-empty range/);
    expect(() => call({ kinds: ['ggn'], colBegin: 0, colEnd: c.M + 1 })).toThrow(/colBegin, colEnd must give a non-empty range/);
    expect(() => call({ kinds: ['hessian'], threads: 5000 })).toThrow(/threads/);
    await expect(computeCurvature(c.model, c.params, c.data, { threads: 0 })).rejects.toThrow(RangeError);
  });
});

describe('convnet: the MLP-tail slab route', () => {
  const c = FORMS[1][1];
  it('equals the R-operator route on the whole matrix and on rectangles across the tail boundary', async () => {
    const tail0 = c.M - (28 * 10 + 11 * 6 + 7 * 4);  // first parameter of linear(10): 27 inputs + bias
    for (const [rb, re, cb, ce] of [[0, c.M, 0, c.M], [3, c.M, tail0 - 5, c.M - 2], [tail0, c.M, 0, tail0 + 7], [10, 40, 10, 40]]) {
      const o = { kinds: ALL, rowBegin: rb, rowEnd: re, colBegin: cb, colEnd: ce };
      const fast = await binding().assemble(toRawModel(normalizeModel(c.model)), c.params, c.data.X, c.data.y, o);
      const slow = await binding().assemble(toRawModel(normalizeModel(c.model)), c.params, c.data.X, c.data.y, { ...o, rOperatorOnly: true });
      for (const n of ALL) {
        const a = fast.matrices[n]!.block(0, re - rb, 0, ce - cb), b = slow.matrices[n]!.block(0, re - rb, 0, ce - cb);
        expect(maxAbsDiff(a, b)).toBeLessThan(1e-13 * Math.max(1, maxAbs(b)));
        fast.matrices[n]!.dispose();
        slow.matrices[n]!.dispose();
      }
    }
  });

  it('its H matches central differences of the gradient on the tail and cross blocks', async () => {
    const { hessian: H } = await assemble(c, ['hessian']);
    const err = finiteDifferenceError(c, H, 1e-5, 7);  // every 7th column: the tail and cross blocks both
    expect(err).toBeLessThan(1e-7 * Math.max(1, maxAbs(H)));
  });
});

describe('reusable output buffers (repeated analyses of one model)', () => {
  it.each(FORMS)('%s: assembling into garbage-filled matrices gives the fresh bits; the same objects come back', async (_name, c) => {
    const fresh = await assemble(c, ALL);
    const into: Record<string, Matrix> = {};
    for (const n of ALL) into[n] = Matrix.fromArray(new Float64Array(c.M * c.M).fill(Number.NaN), c.M, c.M);
    const r = await computeCurvature(c.model, c.params, c.data, { matrices: ALL, into });
    for (const n of ALL) {
      expect(r.matrices[n]).toBe(into[n]);
      const a = r.matrices[n]!.toArray();
      expect(a.every(Number.isFinite)).toBe(true);  // every NaN overwritten
      expect(maxAbsDiff(a, fresh[n])).toBe(0);
    }
    // Wrong shape or dtype, or a matrix busy elsewhere: refused before the job, naming it.
    const small = Matrix.fromArray(new Float64Array(4), 2, 2);
    await expect(computeCurvature(c.model, c.params, c.data, { matrices: ['hessian'], into: { hessian: small } })).rejects.toThrow(/outputs\[0\] must be a \d+ x \d+ float64 matrix; received 2 x 2/);
    await expect(computeCurvature(c.model, c.params, c.data, { matrices: ['hessian'], into: { ggn: into.ggn } })).rejects.toThrow(/options.into/);
    for (const m of [...Object.values(into), small]) m.dispose();
  });

  it('analyze: a λ1 trajectory with one MatrixBuffers pool equals fresh analyses, shared pass and one at a time', async () => {
    const c = FORMS[0][1];
    const pool = new MatrixBuffers();
    try {
      for (const assembly of ['shared', 'separate'] as const) {
        for (const step of [0, 1]) {
          const params = c.params.map((p, i) => p + 0.05 * step * Math.sin(i));
          const ref = await analyzeNetwork(c.model, params, c.data, { matrices: ALL, assembly, route: 'dense' });
          const got = await analyzeNetwork(c.model, params, c.data, { matrices: ALL, assembly, route: 'dense', buffers: pool });
          for (const n of ALL) expect(Array.from(got.matrices[n]!.eigenvalues)).toEqual(Array.from(ref.matrices[n]!.eigenvalues));
          expect(pool.bytes).toBe(ALL.length * c.M * c.M * 8);
        }
      }
    } finally {
      pool.dispose();
    }
    expect(pool.bytes).toBe(0);
  }, 300_000);
});
