/**
 * S18 Appendix B (claim 10): for a linear model the residual vanishes, so the Hessian of the
 * logistic loss is its Gauss–Newton matrix, and at w = 0 (σ = 1/2 for every sample) it is
 * XᵀX/(4N): a sample covariance, whose bulk follows Marčenko–Pastur with ratio a = M/N, and whose
 * planted covariance spike above 1 + √a surfaces as an outlier at the BBP position. The verdict
 * rests on the bulk and the outlier; H = G (true by construction here) is reported, not graded.
 */
import { computeCurvature } from '../../engine/curvature';
import { Rng } from '../../data/rng';
import { scatterXY } from '../../report/charts';
import type { Experiment, ExperimentContext, ExperimentResult } from '../types';
import { marchenkoPastur } from '../marchenkoPastur';
import { bbpError, claim10, logisticEvidence } from '../rules';
import { bySize, fmt } from './shared';

const SPIKE = 4;

export const experiment: Experiment = {
  id: 'L1',
  title: 'L1 — Logistic regression: H = G and a Marčenko–Pastur bulk (S18 App. B)',
  description: 'A linear model with the logistic loss: H = G exactly, and at w = 0 its spectrum is a sample covariance (MP bulk + BBP outlier).',
  async run(ctx: ExperimentContext): Promise<ExperimentResult> {
    const { d, N } = bySize(ctx, { tiny: { d: 40, N: 160 }, quick: { d: 400, N: 1600 }, paper: { d: 1000, N: 4000 } });
    const ratio = d / N, variance = 0.25; // σ(0)(1 − σ(0)) = 1/4 times unit-variance inputs
    const spectra = await ctx.time('assembly + eigensolve', () =>
      ctx.step('spectra', async () => {
        // Inputs: independent N(0, 1) coordinates, the first one scaled to variance SPIKE (the planted spike).
        const rng = new Rng(5);
        const X = new Float64Array(N * d);
        for (let i = 0; i < N; i++) for (let j = 0; j < d; j++) X[i * d + j] = rng.normal() * (j === 0 ? Math.sqrt(SPIKE) : 1);
        const y = Int32Array.from({ length: N }, () => (rng.uniform() < 0.5 ? 1 : 0));
        const model = { layers: [d, 1], activation: 'linear' as const, loss: 'logistic' as const, bias: false };
        const r = await computeCurvature(model, new Float64Array(d), { X, y }, { matrices: ['hessian', 'ggn', 'residual'], signal: ctx.signal });
        try {
          const H = r.matrices.hessian!.toArray(), G = r.matrices.ggn!.toArray(), R = r.matrices.residual!.toArray();
          let hg = 0, rmax = 0, hmax = 0;
          for (let t = 0; t < H.length; t++) {
            hg = Math.max(hg, Math.abs(H[t] - G[t]));
            rmax = Math.max(rmax, Math.abs(R[t]));
            hmax = Math.max(hmax, Math.abs(H[t]));
          }
          const eig = await r.matrices.hessian!.eigen({ signal: ctx.signal });
          return { values: eig.values, hMinusG: hg, residualMax: rmax, hMax: hmax };
        } finally {
          for (const m of Object.values(r.matrices)) m!.dispose();
        }
      }),
    );
    const values = spectra.values;
    ctx.saveNpy('eigenvalues_hessian', values);
    const mp = marchenkoPastur(ratio, variance);
    const bulk = values.subarray(0, values.length - 1);
    const evidence = logisticEvidence(values, ratio, variance, SPIKE);
    const { kolmogorov: ks, outlier, bbp: predicted } = evidence;
    // Figure: the histogram of the bulk as a density, beside the MP density.
    const bins = 40, width = (mp.upper - mp.lower) / bins;
    const counts = new Array(bins).fill(0);
    for (const l of bulk) counts[Math.min(bins - 1, Math.max(0, Math.floor((l - mp.lower) / width)))]++;
    const points = [
      ...counts.map((c, i) => ({ x: mp.lower + (i + 0.5) * width, y: c / (bulk.length * width), series: 'ours (histogram of the bulk)' })),
      ...Array.from({ length: 121 }, (_, i) => {
        const x = mp.lower + ((mp.upper - mp.lower) * i) / 120;
        return { x, y: mp.density(x), series: 'Marčenko–Pastur law' };
      }),
    ];
    const fig = await ctx.figure('l1-mp', 'Logistic regression at w = 0: bulk vs Marčenko–Pastur',
      scatterXY({ points, xTitle: 'eigenvalue of H', yTitle: 'density', mark: 'line+point', title: `ratio M/N = ${fmt(ratio)}, outlier ${fmt(outlier)} (BBP ${fmt(predicted)})` }),
      `The M − 1 bulk eigenvalues of H as a density histogram against the MP law for ratio ${fmt(ratio)} and variance 1/4; Kolmogorov distance ${fmt(ks)}.`);
    return {
      summary: `H = G to ${fmt(spectra.hMinusG)} (R = 0 exactly); bulk vs MP: Kolmogorov distance ${fmt(ks)}; outlier ${fmt(outlier)} vs BBP ${fmt(predicted)}.`,
      settings: [
        { key: 'model', value: `linear, ${d} inputs, 1 output, no bias, logistic loss (M = ${d})` },
        { key: 'data', value: `N = ${N} Gaussian inputs, unit variance, one coordinate of variance ${SPIKE} (the spike); random 0/1 labels; seed 5` },
        { key: 'point', value: 'w = 0, where σ(1 − σ) = 1/4 for every sample, so H = XᵀX/(4N)' },
        { key: 'preset', value: ctx.preset === 'paper' ? 'M = 1000, N = 4000' : `M = ${d}, N = ${N} (smaller than the paper preset)` },
      ],
      results: { ratio, variance, spike: SPIKE, evidence: { [claim10.id]: evidence }, hMinusG: spectra.hMinusG, residualMax: spectra.residualMax, kolmogorov: ks, outlier, bbp: predicted, mpEdges: [mp.lower, mp.upper], lambdaMinBulk: bulk[0], lambdaMaxBulk: bulk[bulk.length - 1] },
      figures: [fig],
      tables: [],
      verdicts: [
        claim10.verdict(evidence,
          `Kolmogorov distance of the bulk to MP ${fmt(ks)}; outlier ${fmt(outlier)} vs BBP ${fmt(predicted)} (${fmt(100 * bbpError(evidence))}% off) (fig l1-mp); not graded: max|H − G| = ${fmt(spectra.hMinusG)}, max|R| = ${fmt(spectra.residualMax)}`,
          'S18 App. B: H = G for linear models; MP bulk with ratio M/N; BBP outlier'),
      ],
      notes: ['At w = 0 the labels do not enter the Hessian; after training σ(1 − σ) varies across samples and the bulk is a weighted covariance (no longer exactly MP).'],
    };
  },
};
