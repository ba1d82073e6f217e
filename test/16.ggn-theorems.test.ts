/**
 * The Gauss–Newton theorems the reproduction no longer grades (S18 §2): G = (1/N) Σ J_iᵀ H_ℓ,i J_i
 * is positive semi-definite, and for k-class softmax cross-entropy its rank is at most N(k−1), so
 * at least M − N(k−1) of its eigenvalues are zero. Checked on the full spectrum of G for nets and
 * data where N(k−1) < M, at a random point (no training: the theorems hold everywhere).
 */
import { computeCurvature, MlpSpec } from '../src';
import { fixture } from './helpers/fixtures';

async function ggnValues(model: MlpSpec, N: number, seed: number) {
  const f = fixture(model, N, seed);
  const { matrices } = await computeCurvature(f.model, f.params, f.data, { matrices: ['ggn'] });
  try {
    return { M: f.M, values: (await matrices.ggn!.eigen()).values };
  } finally {
    matrices.ggn!.dispose();
  }
}

describe.each([
  ['ReLU 4-6-3, N = 5', { layers: [4, 6, 3], activation: 'relu', loss: 'cross_entropy' } as MlpSpec, 5, 3],
  ['tanh 5-8-8-4, N = 7', { layers: [5, 8, 8, 4], activation: 'tanh', loss: 'cross_entropy' } as MlpSpec, 7, 4],
])('G of %s', (_name, model, N, k) => {
  it('is PSD and has at least M − N(k−1) zero eigenvalues', async () => {
    const { M, values } = await ggnValues(model, N, 3);
    const top = values[values.length - 1];
    const tol = 1e-10 * top;
    expect(values[0]).toBeGreaterThan(-tol);
    const zeros = values.filter((v) => Math.abs(v) <= tol).length;
    expect(M - N * (k - 1)).toBeGreaterThan(0);
    expect(zeros).toBeGreaterThanOrEqual(M - N * (k - 1));
    // The bound is reached at a generic point: exactly N(k−1) non-zero eigenvalues.
    expect(M - zeros).toBe(N * (k - 1));
  });
});
