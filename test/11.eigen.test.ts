/** Layer 1: the eigensolvers on matrices with known spectra, and their residuals. */
import { computeCurvature, Matrix } from '../src';
import { fixture, lcg, maxAbsDiff } from './helpers/fixtures';

/** Q diag(d) Q^T with a random orthogonal Q (Householder reflections), row-major. */
function withSpectrum(d: number[], seed: number): Float64Array {
  const n = d.length, r = lcg(seed);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) A[i * n + i] = d[i];
  for (let t = 0; t < 3; t++) {
    const v = Float64Array.from({ length: n }, () => r());
    const nv = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    v.forEach((x, i) => (v[i] = x / nv));
    // A <- (I - 2vv^T) A (I - 2vv^T)
    const Av = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Av[i] += A[i * n + j] * v[j];
    const vAv = v.reduce((s, x, i) => s + x * Av[i], 0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] += -2 * v[i] * Av[j] - 2 * Av[i] * v[j] + 4 * vAv * v[i] * v[j];
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A[i * n + j] = A[j * n + i] = (A[i * n + j] + A[j * n + i]) / 2;
  return A;
}

describe('eigen', () => {
  const n = 60;
  const spectrum = Array.from({ length: n }, (_, i) => (i < 50 ? 1e-4 * (i - 10) : 1 + i)); // bulk + 10 outliers, some negative
  const sorted = spectrum.slice().sort((a, b) => a - b);
  const A = withSpectrum(spectrum, 1);

  it.each(['auto', 'syevd', 'syevd_2stage', 'syevr'] as const)('driver %s returns the planted spectrum, ascending, and leaves the matrix unchanged', async (driver) => {
    const m = Matrix.fromArray(A, n, n);
    const e = await m.eigen({ driver });
    expect(e.values.length).toBe(n);
    expect(maxAbsDiff(e.values, sorted)).toBeLessThan(1e-12);
    expect(maxAbsDiff(m.toArray(), A)).toBe(0);
    m.dispose();
  });

  it('vectors: residuals ||Av - lambda v|| are tiny, V is orthonormal, eigenvector j is column j', async () => {
    const m = Matrix.fromArray(A, n, n);
    const e = await m.eigen({ vectors: true, residuals: true });
    expect(e.driver).toBe('dsyevd');
    expect(Math.max(...e.residuals!)).toBeLessThan(1e-12);
    const V = e.vectors!;
    expect([V.rows, V.cols]).toEqual([n, n]);
    const v5 = V.column(5), Av5 = await m.multiply(v5);
    expect(maxAbsDiff(Av5, v5.map((x) => x * e.values[5]))).toBeLessThan(1e-12);
    let dot = 0;
    const v7 = V.column(7);
    for (let i = 0; i < n; i++) dot += v5[i] * v7[i];
    expect(Math.abs(dot)).toBeLessThan(1e-13);
    V.dispose();
    m.dispose();
  });

  it('top-k and bottom-k via syevr agree with the full spectrum, with vectors and residuals', async () => {
    const m = Matrix.fromArray(A, n, n);
    const top = await m.eigen({ top: 10, vectors: true, residuals: true });
    expect(top.driver).toBe('dsyevr');
    expect(top.first).toBe(n - 10);
    expect(maxAbsDiff(top.values, sorted.slice(n - 10))).toBeLessThan(1e-12);
    expect(Math.max(...top.residuals!)).toBeLessThan(1e-11);
    expect([top.vectors!.rows, top.vectors!.cols]).toEqual([n, 10]);
    const bottom = await m.eigen({ bottom: 3 });
    expect(maxAbsDiff(bottom.values, sorted.slice(0, 3))).toBeLessThan(1e-12);
    const mid = await m.eigen({ range: { first: 20, last: 24 } });
    expect(maxAbsDiff(mid.values, sorted.slice(20, 25))).toBeLessThan(1e-12);
    top.vectors!.dispose();
    m.dispose();
  });

  it('float32 eigenvalues agree with float64 to single precision; float32 vectors have small residuals', async () => {
    const m64 = Matrix.fromArray(A, n, n), m32 = Matrix.fromArray(A, n, n, 'float32');
    const e64 = await m64.eigen(), e32 = await m32.eigen({ vectors: true, residuals: true });
    expect(e32.driver).toBe('ssyevd');
    expect(maxAbsDiff(e64.values, e32.values)).toBeLessThan(1e-5 * 61);
    expect(Math.max(...e32.residuals!)).toBeLessThan(1e-4);
    e32.vectors!.dispose();
    m64.dispose();
    m32.dispose();
  });

  it('ssyevd with vectors beyond n = 2,900 (LAPACKE float workspace-query pitfall) succeeds', async () => {
    const big = 3000;
    const r = lcg(9);
    const data = new Float64Array(big * big);
    for (let i = 0; i < big; i++) for (let j = 0; j <= i; j++) data[i * big + j] = data[j * big + i] = r();
    const m = Matrix.fromArray(data, big, big, 'float32');
    const e = await m.eigen({ vectors: true, residuals: true });
    expect(e.values.length).toBe(big);
    expect(Math.max(...e.residuals!)).toBeLessThan(1e-2);
    e.vectors!.dispose();
    m.dispose();
  }, 120000);

  it('eigenvalues of a trained-like Hessian have small residuals with vectors', async () => {
    const f = fixture({ layers: [5, 8, 3], activation: 'tanh', loss: 'cross_entropy' }, 40, 6, 0.5);
    const r = await computeCurvature(f.model, f.params, f.data, { matrices: ['hessian'] });
    const e = await r.matrices.hessian!.eigen({ vectors: true, residuals: true });
    const scale = Math.max(...e.values.map(Math.abs));
    expect(Math.max(...e.residuals!)).toBeLessThan(1e-12 * scale * 10);
    const trace = Array.from({ length: f.M }, (_, i) => r.matrices.hessian!.block(i, i + 1, i, i + 1)[0]).reduce((a, b) => a + b, 0);
    expect(e.values.reduce((a, b) => a + b, 0)).toBeCloseTo(trace, 12);
    e.vectors!.dispose();
    r.matrices.hessian!.dispose();
  });
});
