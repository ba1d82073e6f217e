/** Matrix-free H and G products (native/core/hvp.h) against the dense matrices of computeCurvature. */
import { computeCurvature, MlpSpec } from '../src';
import { curvatureOperator, denseOperator, diagonalOperator, sampleBatch } from '../src/approx';
import { Matrix } from '../src/engine/matrix';
import { fixture, lcg, maxAbs, maxAbsDiff } from './helpers/fixtures';

const cases: [string, MlpSpec, number][] = [
  ['tanh cross-entropy 3 layers', { layers: [4, 6, 5, 3], activation: 'tanh', loss: 'cross_entropy' }, 23],
  ['relu mse', { layers: [3, 7, 4], activation: 'relu', loss: 'mse' }, 17],
  ['sigmoid logistic, no bias', { layers: [5, 4, 1], activation: 'sigmoid', loss: 'logistic', bias: false }, 19],
];

const randomBlock = (n: number, k: number, seed: number) => new Float64Array(n * k).map(lcg(seed));

describe.each(cases)('%s', (_name, model, N) => {
  const f = fixture(model, N, 5);
  test.each(['hessian', 'ggn'] as const)('%s products equal the dense matrix times the block to ~1e-12', async (kind) => {
    const { matrices } = await computeCurvature(f.model, f.params, f.data, { matrices: [kind] });
    const dense = matrices[kind]!;
    const V = randomBlock(f.M, 7, 3);
    const exact = await dense.multiply(V, 7);
    const op = curvatureOperator(f.model, f.params, f.data, { matrix: kind });
    const got = await op.apply(V, 7);
    expect(op.matvecs).toBe(7);
    expect(maxAbsDiff(got, exact)).toBeLessThan(1e-12 * Math.max(1, maxAbs(exact)));
    dense.dispose();
  });

  test('a mini-batch operator is the curvature of the mean loss over those samples', async () => {
    const samples = sampleBatch(N, 6, 1);
    const sub = { X: new Float64Array(6 * model.layers[0]), y: new Int32Array(6) };
    samples.forEach((i, t) => { sub.X.set(f.data.X.subarray(i * model.layers[0], (i + 1) * model.layers[0]), t * model.layers[0]); sub.y[t] = f.data.y[i]; });
    const { matrices } = await computeCurvature(f.model, f.params, sub, { matrices: ['hessian'] });
    const V = randomBlock(f.M, 3, 9);
    const exact = await matrices.hessian!.multiply(V, 3);
    const got = await curvatureOperator(f.model, f.params, f.data, { samples }).apply(V, 3);
    expect(maxAbsDiff(got, exact)).toBeLessThan(1e-12 * Math.max(1, maxAbs(exact)));
    // ... and differs from the full-data product (the test would pass vacuously otherwise).
    const fullProduct = await curvatureOperator(f.model, f.params, f.data).apply(V, 3);
    expect(maxAbsDiff(got, fullProduct)).toBeGreaterThan(1e-6);
    matrices.hessian!.dispose();
  });
});

test('a block of many vectors equals the vectors one by one (chunking and batching change nothing)', async () => {
  const f = fixture({ layers: [6, 8, 8, 4], activation: 'tanh', loss: 'cross_entropy' }, 40, 2);
  const op = curvatureOperator(f.model, f.params, f.data);
  const V = randomBlock(f.M, 5, 4);
  const block = await op.apply(V, 5);
  for (let j = 0; j < 5; j++) {
    const one = await op.apply(V.slice(j * f.M, (j + 1) * f.M), 1);
    expect(maxAbsDiff(one, block.subarray(j * f.M, (j + 1) * f.M))).toBeLessThan(1e-13 * Math.max(1, maxAbs(one)));
  }
  expect(op.matvecs).toBe(10);
});

test('validation names the parameter; cancellation rejects with AbortError; progress is reported', async () => {
  const f = fixture({ layers: [3, 5, 2], activation: 'relu', loss: 'cross_entropy' }, 10, 1);
  expect(() => curvatureOperator(f.model, f.params, f.data, { matrix: 'residual' as 'ggn' })).toThrow(/options.matrix must be one of hessian \| ggn; received "residual"/);
  expect(() => curvatureOperator(f.model, f.params, f.data, { samples: Int32Array.of(0, 10) })).toThrow(RangeError);
  expect(() => curvatureOperator(f.model, f.params, f.data, { samples: Int32Array.of(0, 10) })).toThrow(/options.samples\[1\] must be a sample index in \[0, 9\]; received 10/);
  expect(() => curvatureOperator(f.model, f.params, f.data, { samples: [1, 2] as unknown as Int32Array })).toThrow(TypeError);
  const op = curvatureOperator(f.model, f.params, f.data);
  await expect(op.apply(new Float64Array(f.M + 1), 1)).rejects.toThrow(/block.length must be k \* n/);
  const controller = new AbortController();
  controller.abort();
  await expect(op.apply(new Float64Array(f.M), 1, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  const stages: string[] = [];
  const withProgress = curvatureOperator(f.model, f.params, f.data, { onProgress: (s) => stages.push(s) });
  await withProgress.apply(new Float64Array(f.M).fill(1), 1);
  await new Promise((r) => setImmediate(r));
  expect(stages).toContain('products');
  expect(() => diagonalOperator([])).toThrow(RangeError);
});

test('the dense operator wraps Matrix.multiply and counts products', async () => {
  const A = Matrix.fromArray(Float64Array.of(2, 1, 1, 3), 2, 2);
  const op = denseOperator(A);
  expect(Array.from(await op.apply(Float64Array.of(1, 0, 0, 1), 2))).toEqual([2, 1, 1, 3]);
  expect(op.matvecs).toBe(2);
  A.dispose();
});
