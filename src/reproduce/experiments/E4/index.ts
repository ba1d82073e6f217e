/**
 * E4 (S18 Figs. 4, 6): a small convnet on 1,000 MNIST digits, trained twice from the same init
 * with the same learning rate and the same number of iterations, once with batch 10 (SB) and
 * once with batch 512 (LB). S18: the LB end point has about as many outliers (~9) as the SB one,
 * several times larger (λ1 21.3 vs 5.3), and a shallower negative tail (−0.007 vs −0.034) —
 * claim 8. Settings in ./settings, training and spectra in ./compute, the page in ./page.
 */
import { parameterCount } from '../../../engine/model';
import { batchStatistics, claim8 } from '../../rules';
import type { Experiment, ExperimentContext, ExperimentResult } from '../../types';
import { bySize, sizeOf } from '../shared';
import { batchEvidence, Pair, paperNumbers, runPair, SHORT } from './compute';
import { claim8Verdict, page } from './page';
import { e4Model, E4_SIZES } from './settings';

export { E4_SIZES, e4Model } from './settings';
export type { E4Sizes } from './settings';
export { batchEvidence, pairCheck, paperNumbers, rankRatios, sharpnessRatios } from './compute';
export type { RunRow, SharpnessPoint } from './compute';

export const experiment: Experiment = {
  id: 'E4',
  title: 'E4 — Small vs large batch on an MNIST-1K convnet (S18 Figs. 4, 6)',
  description: 'S18 trains a 2-conv + 2-fc net on 1,000 MNIST digits with batch 10 and with batch 512 (same learning rate and iterations); this checks that the large batch gives about as many outliers, several times larger.',
  async run(ctx: ExperimentContext): Promise<ExperimentResult> {
    const s = bySize(ctx, E4_SIZES);
    const model = e4Model(s);
    const M = parameterCount(model);
    const pairs: Pair[] = [];
    for (const [i, seed] of s.seeds.entries()) pairs.push(await runPair(ctx, s, seed, i, i === 0));
    const evidence = batchEvidence(pairs.map((p) => p.check));
    const stats = batchStatistics(evidence);
    const paper = paperNumbers();
    const p0 = pairs[0];
    const { along, ...shown } = await page(ctx, sizeOf(ctx), s, M, model, pairs, stats, paper);
    return {
      ...shown,
      results: {
        M,
        N: s.N,
        lr: s.lr,
        steps: s.steps,
        batch: { sb: s.smallBatch, lb: s.largeBatch },
        seeds: s.seeds,
        runs: pairs.flatMap((p) => [p.rows.sb, p.rows.lb]),
        pairs: pairs.map((p) => ({ seed: p.seed, ...p.check, rankRatios: p.ratios })),
        lambda1Ratio: stats,
        evidence: { [claim8.id]: evidence },
        sharpness: p0.sharpness ? { seed: p0.seed, every: s.sharpness.every, sb: p0.sharpness.sb, lb: p0.sharpness.lb, lbOverSb: along } : null,
        spectraFiles: pairs.flatMap((p) => (['sb', 'lb'] as const).flatMap((w) => Object.keys(p.spectra[w]).map((n) => `eigenvalues_${w}_s${p.seed}_${SHORT[n]}.npy`))),
        paper: {
          M: paper.M,
          lambda1: paper.check.lambda1,
          lambda1Ratio: paper.check.ratio,
          outliers: paper.check.outliers,
          rankRatios: paper.ratios,
          mostNegative: paper.mostNegative,
          mostNegativeRatio: paper.mostNegative.sb / paper.mostNegative.lb,
          verdictOnOwnPoints: claim8.grade(paper.evidence),
        },
      },
      verdicts: [claim8Verdict(pairs, evidence, stats, paper)],
    };
  },
};
