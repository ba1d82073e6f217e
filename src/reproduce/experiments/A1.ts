/**
 * Beyond the paper (issue 5 in the report): the approximate methods our users run — power
 * iteration (PyHessian), Lanczos, SLQ, KPM, Hutchinson, Hutch++ — against the exact spectrum of a
 * trained network of the paper's kind (Gaussian mixture, ReLU MLP, the bulk-and-outliers shape
 * where density estimates struggle). Every error is measured against the full LAPACK spectrum.
 */
import { compareMethods } from '../../approx/compare';
import { gaussianMixture } from '../../data';
import { compareFigureSpecs } from '../../report/compareFigures';
import type { Experiment, ExperimentContext, ExperimentResult } from '../types';
import { bySize, fmt, mlp, trainedRun } from './shared';

export const experiment: Experiment = {
  id: 'A1',
  title: 'A1 — Approximate methods vs the exact spectrum (beyond the paper)',
  description:
    'PyHessian-style power iteration, Lanczos, stochastic Lanczos quadrature, the kernel polynomial method and Hutchinson/Hutch++ ' +
    'on a trained Gaussian-mixture network, each against the exact eigendecomposition.',
  async run(ctx: ExperimentContext): Promise<ExperimentResult> {
    const size = bySize(ctx, {
      tiny: { d: 8, hidden: 6, k: 3, N: 60, steps: 150 },
      quick: { d: 30, hidden: 20, k: 10, N: 500, steps: 1500 },
      paper: { d: 100, hidden: 30, k: 10, N: 1000, steps: 10000 },
    });
    const layers = [size.d, size.hidden, size.hidden, size.k];
    const model = mlp(layers);
    const data = gaussianMixture({ k: size.k, d: size.d, N: size.N, seed: 11 });
    const config = { model, data: data.spec, seed: 3, phases: [{ steps: size.steps, lr: 0.1 }], recordEvery: size.steps };
    const run = await ctx.time('train', () => trainedRun(ctx, 'train', 'training', config, data));
    const { result } = await ctx.time('compare', () =>
      ctx.step('compare', async () => ({
        result: await compareMethods(model, run.params, data, {
          matrix: 'hessian',
          k: 5,
          seed: 1,
          signal: ctx.signal,
          onProgress: (stage, f) => ctx.progress(`compare: ${stage}`, f),
        }),
      })),
    );
    const figures = await ctx.time('figures', async () => {
      const out = [];
      for (const f of compareFigureSpecs(result)) out.push(await ctx.figure(`a1-${f.id}`, f.title, f.spec, f.caption));
      return out;
    });
    const rows = result.methods.map((m) => [m.label, m.matvecs, Number(m.seconds.toFixed(3)), fmt(m.error)]);
    const M = result.parameters;
    return {
      summary: `M = ${M}: each method's cost in Hessian-vector products and its error against the exact spectrum.`,
      settings: [
        { key: 'network', value: `${layers.join('-')} ReLU, cross-entropy (M = ${M})` },
        { key: 'data', value: `Gaussian mixture, k = ${size.k}, d = ${size.d}, N = ${size.N}, covariance 1, seed 11` },
        { key: 'training', value: `GD, lr 0.1, ${size.steps} steps, seed 3` },
        { key: 'operator', value: `${result.operator} Hessian-vector products over all ${result.samples} samples` },
        { key: 'preset', value: ctx.preset === 'paper' ? 'the E2 network (k = 10)' : 'a smaller network than E2 (quick preset)' },
      ],
      results: { compare: result, trainLoss: run.metrics[run.metrics.length - 1]?.trainLoss },
      figures,
      tables: [{ caption: 'Cost and principal error of each method (top-k relative eigenvalue error, W1 distance of spectral measures, or relative trace error, as labelled in compare.json)', columns: ['method', 'products', 'seconds', 'error'], rows }],
      verdicts: [],
      notes: ['The exact spectrum is the reference for every error; a density estimate is compared with the exact spectral measure smoothed by the same kernel.'],
    };
  },
};
