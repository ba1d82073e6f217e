/** The approximate methods on matrices with known spectra, and on a network (matrix-free vs dense). */
import { computeCurvature } from '../src';
import {
  chebyshevMoments, curvatureOperator, denseOperator, diagonalOperator, exactMeasure, functionOperator, hutchinsonDiagonal,
  hutchinsonTrace, hutchPlusPlus, kpm, kpmL1Distance, lanczosEigen, powerIteration, slq, tridiagonalEigen, wasserstein1, wasserstein1ToCdf, kpmCdf,
  relativeErrors, eigenvectorAngles,
} from '../src/approx';
import { Rng } from '../src/data/rng';
import { Matrix } from '../src/engine/matrix';
import { fixture, maxAbsDiff } from './helpers/fixtures';

/** n values: a bulk in [0, 1] plus planted outliers, in a deterministic shuffled order. */
function planted(n: number, outliers: number[], negatives: number[] = []): Float64Array {
  const rng = new Rng(11);
  const bulk = n - outliers.length - negatives.length;
  const values = [...Array.from({ length: bulk }, () => rng.uniform()), ...outliers, ...negatives];
  return Float64Array.from(rng.shuffle(values));
}

/** A Marčenko–Pastur sample: X^T X / m for X (m x n) Gaussian, as a dense operator and its eigenvalues. */
async function marchenkoPastur(n: number, m: number) {
  const rng = new Rng(5);
  const X = rng.fillNormal(new Float64Array(m * n));
  const W = new Float64Array(n * n);
  for (let r = 0; r < m; r++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) W[i * n + j] += (X[r * n + i] * X[r * n + j]) / m;
  const A = Matrix.fromArray(W, n, n);
  const values = (await A.eigen()).values;
  return { A, values, diagonal: Float64Array.from({ length: n }, (_, i) => W[i * n + i]) };
}

/** Q diag(d) Q^T for a random orthogonal Q: a dense matrix with a planted spectrum (Rademacher probes are not exact on it). */
function rotated(d: Float64Array): Matrix {
  const n = d.length, rng = new Rng(9);
  const Q: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = rng.fillNormal(new Float64Array(n));
    for (let pass = 0; pass < 2; pass++) for (const q of Q) { let s = 0; for (let i = 0; i < n; i++) s += q[i] * v[i]; for (let i = 0; i < n; i++) v[i] -= s * q[i]; }
    let s = 0; for (let i = 0; i < n; i++) s += v[i] * v[i];
    Q.push(v.map((x) => x / Math.sqrt(s)));
  }
  const A = new Float64Array(n * n);
  for (let j = 0; j < n; j++) for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) A[a * n + b] += d[j] * Q[j][a] * Q[j][b];
  return Matrix.fromArray(A, n, n);
}

const sortedDesc = (v: ArrayLike<number>) => Float64Array.from(v).sort().reverse();

test('the tridiagonal eigensolver matches a known spectrum and its eigenvectors are orthonormal', () => {
  // T = tridiag(-1, 2, -1) of size m: eigenvalues 2 - 2 cos(j pi / (m + 1)).
  const m = 40;
  const { values, rows } = tridiagonalEigen(new Float64Array(m).fill(2), new Float64Array(m - 1).fill(-1), 'all');
  const exact = Float64Array.from({ length: m }, (_, j) => 2 - 2 * Math.cos(((j + 1) * Math.PI) / (m + 1)));
  expect(maxAbsDiff(values, exact)).toBeLessThan(1e-13);
  let gram = 0;
  for (let a = 0; a < m; a++) gram += rows.get(a)![3] * rows.get(a)![7];
  expect(Math.abs(gram)).toBeLessThan(1e-13);
  expect(tridiagonalEigen([5], []).values[0]).toBe(5);
  expect(() => tridiagonalEigen([1, 2], [NaN])).toThrow(/beta must be all finite/);
});

test('Lanczos finds the top-k and bottom-k eigenpairs to 1e-8 with enough steps; few steps do worse', async () => {
  const d = planted(600, [50, 40, 30, 20, 10], [-7, -3]);
  const exactTop = sortedDesc(d).subarray(0, 5);
  const exactBottom = Float64Array.from(d).sort().subarray(0, 3);
  const r = await lanczosEigen(diagonalOperator(d), { k: 5, which: 'both', maxSteps: 200, tol: 1e-12, seed: 1 });
  expect(Math.max(...relativeErrors(r.top!.values, exactTop))).toBeLessThan(1e-8);
  expect(Math.max(...relativeErrors(r.bottom!.values.subarray(0, 3), exactBottom))).toBeLessThan(1e-8);
  // Eigenvectors of a diagonal matrix are unit vectors.
  const unit = Array.from(exactTop, (v) => { const e = new Float64Array(600); e[d.indexOf(v)] = 1; return e; });
  expect(Math.max(...eigenvectorAngles(r.top!.vectors!, unit))).toBeLessThan(1e-6);
  expect(r.matvecs).toBe(r.steps);
  const short = await lanczosEigen(diagonalOperator(d), { k: 5, maxSteps: 8, seed: 1 });
  expect(short.converged).toBe(false);
  expect(Math.max(...relativeErrors(short.top!.values, exactTop))).toBeGreaterThan(1e-8);
});

test('Lanczos restarts past an invariant subspace (few distinct eigenvalues)', async () => {
  const d = Float64Array.from({ length: 50 }, (_, i) => (i < 3 ? 5 - i : 1)); // 4 distinct values
  const r = await lanczosEigen(diagonalOperator(d), { k: 3, maxSteps: 20, seed: 2 });
  expect(Array.from(r.top!.values)).toEqual([expect.closeTo(5, 10), expect.closeTo(4, 10), expect.closeTo(3, 10)]);
});

test('power iteration (PyHessian) finds planted outliers, reports its products, and is seeded', async () => {
  const d = planted(400, [100, 60, 30]);
  const r = await powerIteration(diagonalOperator(d), { k: 3, seed: 4 });
  expect(Math.max(...relativeErrors(sortedDesc(r.values), [100, 60, 30]))).toBeLessThan(1e-3);
  expect(r.matvecs).toBe(r.iterations.reduce((a, b) => a + b, 0));
  const again = await powerIteration(diagonalOperator(d), { k: 3, seed: 4 });
  expect(Array.from(again.values)).toEqual(Array.from(r.values));
  const other = await powerIteration(diagonalOperator(d), { k: 3, seed: 5 });
  expect(Array.from(other.values)).not.toEqual(Array.from(r.values));
  // It finds the largest magnitude, not the largest value.
  const neg = await powerIteration(diagonalOperator(planted(200, [5], [-50])), { k: 1, seed: 1 });
  expect(neg.values[0]).toBeCloseTo(-50, 1);
  await expect(powerIteration(diagonalOperator(d), { maxIter: 0 })).rejects.toThrow(/options.maxIter must be an integer in \[1/);
});

test('SLQ and KPM densities converge as steps and probes grow (Marčenko–Pastur sample)', async () => {
  const { A, values } = await marchenkoPastur(150, 300);
  const exact = exactMeasure(values);
  const width = values[values.length - 1] - values[0];
  const w1Slq = async (steps: number, probes: number) => wasserstein1(await slq(denseOperator(A), { steps, probes, seed: 3 }), exact) / width;
  const coarse = await w1Slq(4, 1), medium = await w1Slq(15, 4), fine = await w1Slq(40, 16);
  expect(medium).toBeLessThan(coarse);
  expect(fine).toBeLessThan(medium);
  expect(fine).toBeLessThan(0.02);
  const kpmError = async (moments: number, probes: number) => {
    const r = await kpm(denseOperator(A), { moments, probes, seed: 3 });
    return {
      w1: wasserstein1ToCdf(exact, kpmCdf(r.moments, r.center, r.halfWidth), r.center - r.halfWidth, r.center + r.halfWidth) / width,
      l1: kpmL1Distance(r.moments, chebyshevMoments(values, moments, r.center, r.halfWidth)),
      matvecs: r.matvecs,
    };
  };
  const k1 = await kpmError(8, 1), k2 = await kpmError(30, 8), k3 = await kpmError(80, 32);
  expect(k2.w1).toBeLessThan(k1.w1);
  expect(k3.w1).toBeLessThan(k2.w1);
  // At a fixed degree, the L1 to the truth smoothed the same way (exact moments) shrinks with probes.
  expect((await kpmError(30, 32)).l1).toBeLessThan((await kpmError(30, 1)).l1 / 2);
  expect(k3.w1).toBeLessThan(0.03);
  expect(k3.matvecs).toBe(20 + 40 * 32); // bounds run + moments / 2 products per probe
  A.dispose();
});

test('Hutchinson is unbiased within its standard error; Hutch++ beats it at equal products on a low-rank-plus-noise spectrum', async () => {
  const d = planted(120, [400, 300, 200, 100]);
  const trace = d.reduce((a, b) => a + b, 0);
  const A = rotated(d);
  // Mean of many independent estimates: z-score of the mean against the truth.
  const estimates: number[] = [];
  for (let s = 0; s < 40; s++) estimates.push((await hutchinsonTrace(denseOperator(A), { probes: 30, tol: 0, seed: s })).estimate);
  const mean = estimates.reduce((a, b) => a + b, 0) / estimates.length;
  const sd = Math.sqrt(estimates.reduce((a, b) => a + (b - mean) ** 2, 0) / (estimates.length - 1));
  expect(Math.abs(mean - trace) / (sd / Math.sqrt(estimates.length))).toBeLessThan(4);
  const one = await hutchinsonTrace(denseOperator(A), { probes: 30, tol: 0, seed: 1 });
  expect(one.samples.length).toBe(30);
  expect(one.matvecs).toBe(30);
  expect(Math.abs(one.estimate - trace)).toBeLessThan(5 * one.standardError);
  // PyHessian's stop rule stops early.
  expect((await hutchinsonTrace(denseOperator(A), { probes: 100, tol: 0.05, seed: 1 })).matvecs).toBeLessThan(100);
  let errHutch = 0, errPP = 0;
  for (let s = 0; s < 10; s++) {
    errHutch += Math.abs((await hutchinsonTrace(denseOperator(A), { probes: 30, tol: 0, seed: s })).estimate - trace);
    const pp = await hutchPlusPlus(denseOperator(A), { matvecs: 30, seed: s });
    expect(pp.matvecs).toBe(30);
    errPP += Math.abs(pp.estimate - trace);
  }
  expect(errPP).toBeLessThan(errHutch / 3);
  A.dispose();
});

test('the Hutchinson diagonal converges to the exact diagonal (diagonal operator: exact with Rademacher probes)', async () => {
  const d = planted(100, [9]);
  const r = await hutchinsonDiagonal(diagonalOperator(d), { probes: 4, seed: 1 });
  expect(maxAbsDiff(r.diagonal, d)).toBeLessThan(1e-14);
  const { A, diagonal } = await marchenkoPastur(60, 120);
  const err = async (probes: number) => {
    const e = (await hutchinsonDiagonal(denseOperator(A), { probes, seed: 2 })).diagonal;
    return Math.sqrt(e.reduce((s, x, i) => s + (x - diagonal[i]) ** 2, 0));
  };
  expect(await err(400)).toBeLessThan((await err(10)) / 3);
  A.dispose();
});

test('the same seed reproduces every method; functionOperator counts blocks', async () => {
  const d = planted(120, [8, 6]);
  const run = async () => [
    (await slq(diagonalOperator(d), { steps: 10, probes: 2, seed: 7 })).nodes,
    (await kpm(diagonalOperator(d), { moments: 20, seed: 7 })).moments,
    Float64Array.of((await hutchPlusPlus(diagonalOperator(d), { matvecs: 12, seed: 7 })).estimate),
    (await lanczosEigen(diagonalOperator(d), { k: 2, maxSteps: 15, seed: 7 })).top!.values,
  ];
  const [a, b] = [await run(), await run()];
  a.forEach((x, i) => expect(Array.from(x)).toEqual(Array.from(b[i])));
  const op = functionOperator(3, (block) => block.map((x) => 2 * x));
  await op.apply(new Float64Array(6), 2);
  expect(op.matvecs).toBe(2);
});

test('matrix-free and dense paths agree: Lanczos and SLQ on a network Hessian', async () => {
  const f = fixture({ layers: [5, 8, 6, 3], activation: 'tanh', loss: 'cross_entropy' }, 30, 3);
  const { matrices } = await computeCurvature(f.model, f.params, f.data, { matrices: ['hessian'] });
  const H = matrices.hessian!;
  const exact = (await H.eigen()).values;
  const free = await lanczosEigen(curvatureOperator(f.model, f.params, f.data), { k: 4, which: 'both', maxSteps: f.M, seed: 1 });
  const dense = await lanczosEigen(denseOperator(H), { k: 4, which: 'both', maxSteps: f.M, seed: 1 });
  expect(maxAbsDiff(free.top!.values, dense.top!.values)).toBeLessThan(1e-9);
  expect(Math.max(...relativeErrors(free.top!.values, sortedDesc(exact)))).toBeLessThan(1e-8);
  expect(free.bottom!.values[0]).toBeCloseTo(exact[0], 8);
  const s1 = await slq(curvatureOperator(f.model, f.params, f.data), { steps: 20, probes: 3, seed: 2 });
  const s2 = await slq(denseOperator(H), { steps: 20, probes: 3, seed: 2 });
  expect(maxAbsDiff(s1.nodes, s2.nodes)).toBeLessThan(1e-8);
  H.dispose();
});
