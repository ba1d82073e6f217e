/**
 * E4's page: the claim-8 verdict text, figures, tables and notes, from the computed pairs.
 */
import type { SequentialSpec } from '../../../engine/model';
import { describeModel } from '../../../engine/modelSummary';
import { eigenvaluesByRank, negativeTail, spectraHGR, StepPoint, trainingCurves } from '../../../report/charts';
import type { Table } from '../../../report/html';
import { fig6 } from '../../reference';
import { BatchEvidence, BatchStatistics, claim8, median, outlierCountsAgree } from '../../rules';
import type { ExperimentContext } from '../../types';
import { fmt, pct } from '../shared';
import { LABEL, Pair, PairCheck, PaperNumbers, RankRatios, RunRow, sharpnessRatios } from './compute';
import type { E4Sizes } from './settings';

/** S18 Fig. 4 shows the top 45 eigenvalues. */
const TOP = 45;

/** The claim-8 entry: every pair's ratio, their median with its interval, the counts; S18's numbers. */
export function claim8Verdict(pairs: Pair[], evidence: BatchEvidence, stats: BatchStatistics, paper: PaperNumbers) {
  const iv = stats.interval;
  const ours = pairs.length === 1
    ? `λ1 ${fmt(pairs[0].check.lambda1.lb)} (LB) vs ${fmt(pairs[0].check.lambda1.sb)} (SB): ×${fmt(pairs[0].check.ratio)} (one seed pair: no interval); ` +
      `largest-ratio outlier counts ${pairs[0].check.outliers.sb.ratio} (SB) and ${pairs[0].check.outliers.lb.ratio} (LB)`
    : `${pairs.length} seed pairs: λ1(LB)/λ1(SB) median ×${fmt(stats.median)}, interval ×${fmt(iv.lo)}–×${fmt(iv.hi)} (order statistics ${iv.ranks[0]} and ${iv.ranks[1]} of ${pairs.length}, ` +
      `coverage ${pct(iv.coverage)}); per pair ${stats.ratios.map((r) => `×${fmt(r)}`).join(', ')}; largest-ratio outlier counts SB/LB ` +
      `${pairs.map((p) => `${p.check.outliers.sb.ratio}/${p.check.outliers.lb.ratio}`).join(', ')} (agree in ${pct(stats.countsAgree)})`;
  return claim8.verdict(evidence, ours,
    `S18 Fig. 4: λ1 ${fmt(paper.check.lambda1.lb)} vs ${fmt(paper.check.lambda1.sb)} (×${fmt(paper.check.ratio)}, ×${fmt(paper.ratios.minOverOutliers)}–${fmt(paper.ratios.maxOverOutliers)} over the top ${paper.ratios.outlierRanks}); ` +
      `outliers by largest ratio ${paper.check.outliers.sb.ratio} and ${paper.check.outliers.lb.ratio} (by largest gap ${paper.check.outliers.sb.gap} and ${paper.check.outliers.lb.gap})`);
}

async function figures(ctx: ExperimentContext, s: E4Sizes, M: number, p0: Pair, paper: PaperNumbers) {
  const f6 = fig6();
  const H = { sb: p0.spectra.sb.hessian!, lb: p0.spectra.lb.hessian! };
  const seedNote = s.seeds.length > 1 ? `, seed pair ${p0.seed} (the others are in the tables)` : '';
  const sbName = `SB (batch ${s.smallBatch})`, lbName = `LB (batch ${s.largeBatch})`;
  const ours = [{ name: sbName, values: H.sb }, { name: lbName, values: H.lb }];
  const theirs = [
    { name: 'S18 SB (batch 10)', values: paper.top.sb, kind: 'paper' as const },
    { name: 'S18 LB (batch 512)', values: paper.top.lb, kind: 'paper' as const },
  ];
  const rel = (v: ArrayLike<number>, by: number) => Array.from(v, (x) => x / by);
  const sbTop = H.sb[H.sb.length - 1];
  const curves: StepPoint[] = (['sb', 'lb'] as const).flatMap((w) =>
    p0.runs[w].metrics.map((m) => ({ step: m.step, series: `${w === 'sb' ? sbName : lbName} train loss`, value: m.trainLoss })));
  const figs = [
    await ctx.figure('e4-top', `Top ${TOP} eigenvalues: small vs large batch`, eigenvaluesByRank({
      series: [...ours, ...theirs], rankOrder: 'descending', topK: TOP, yScale: 'log',
      title: `Top ${TOP} Hessian eigenvalues, MNIST convnet, batch ${s.smallBatch} vs ${s.largeBatch}${seedNote}`,
      subtitle: 'log y; dots: S18 Fig. 4 (its scale depends on its unstated input scaling and end point)',
    }), 'The top eigenvalues of the two end points by rank, with S18 Fig. 4 (dots). Claim 8: the LB curve lies several times above the SB one, with about the same number of eigenvalues standing out before the bulk.'),
    await ctx.figure('e4-top-relative', `Top ${TOP} eigenvalues relative to the small-batch λ1`, eigenvaluesByRank({
      series: [
        { name: sbName, values: rel(H.sb, sbTop) },
        { name: lbName, values: rel(H.lb, sbTop) },
        { ...theirs[0], values: rel(paper.top.sb, paper.top.sb[0]) },
        { ...theirs[1], values: rel(paper.top.lb, paper.top.sb[0]) },
      ],
      rankOrder: 'descending', topK: TOP, yScale: 'log',
      title: `Top ${TOP} eigenvalues divided by the SB λ1 of the same source`, subtitle: 'y: λ_i / λ_1(SB); ours (lines) and S18 (dots) on one scale',
    }), 'Both spectra divided by the small-batch λ1 (ours by ours, S18’s by S18’s), so the LB/SB factor and the shape of the outliers compare directly with S18 whatever the absolute scale.'),
    await ctx.figure('e4-negative', 'Negative eigenvalues vs rank/M: small vs large batch', negativeTail({
      series: [
        { name: sbName, values: H.sb, M },
        { name: lbName, values: H.lb, M },
        { name: 'S18 SB (batch 10)', values: f6.smallBatch, fraction: f6.fraction, kind: 'paper' },
        { name: 'S18 LB (batch 512)', values: f6.largeBatch, fraction: f6.fraction, kind: 'paper' },
      ],
      yScale: 'symlog',
      title: `Negative Hessian eigenvalues vs rank / M${seedNote}`,
    }), `The negative tails against rank/M, with S18 Fig. 6 (dots; M = 31,770, plotted to ${pct(paper.plottedNegativeFraction)} of M). S18: the SB tail is deeper (−0.034 vs −0.007).`),
    await ctx.figure('e4-training', 'Training loss, small vs large batch', trainingCurves({
      points: curves, yTitle: 'train loss (full batch)', logY: true,
      title: `Training loss, batch ${s.smallBatch} vs ${s.largeBatch}`,
      subtitle: `same init, lr ${s.lr} and ${s.steps} steps for both${seedNote}`,
    }), `Full-batch training loss of both runs (same init, learning rate and iteration count; LB sees ${fmt(s.largeBatch / s.smallBatch)}× more samples per step).`),
  ];
  if (p0.sharpness && p0.sharpness.lb.length > 0) {
    const t = p0.sharpness;
    const points: StepPoint[] = (['sb', 'lb'] as const).flatMap((w) => t[w].map((p) => ({ step: p.step, series: `${w === 'sb' ? sbName : lbName} λ1`, value: p.top[0] })));
    const steps = t.lb.map((p) => p.step);
    points.push(...[Math.min(...steps), Math.max(...steps)].map((step) => ({ step, series: `2 / lr = ${fmt(2 / s.lr)}`, value: 2 / s.lr })));
    figs.push(await ctx.figure('e4-sharpness', 'λ1 over training: small vs large batch', trainingCurves({
      points, yTitle: 'λ1 of H (Lanczos)', logY: true,
      title: `Largest Hessian eigenvalue during training, batch ${s.smallBatch} vs ${s.largeBatch}${seedNote}`,
      subtitle: `every ${s.sharpness.every} steps, matrix-free Lanczos; the flat line is 2/lr, the stability limit of full-batch GD`,
    }), `Beyond the paper: λ1 of both runs every ${s.sharpness.every} steps (S18 shows only the end points). Claim 8 compares the end points; this shows how much the LB/SB factor depends on where training stops.`));
  }
  if (p0.spectra.lb.ggn && p0.spectra.lb.residual) {
    figs.push(await ctx.figure('e4-hgr', 'H, G and R at the large-batch end point', spectraHGR({ hessian: H.lb, ggn: p0.spectra.lb.ggn, residual: p0.spectra.lb.residual }),
      'Beyond the paper: the LB outliers of H are those of its Gauss–Newton part G; the negative eigenvalues come from the residual R.'));
  }
  return figs;
}

function runTable(pairs: Pair[], paper: PaperNumbers): Table {
  const rows = pairs.flatMap((p) => [p.rows.sb, p.rows.lb]);
  return {
    caption: 'The end points (every seed pair) and S18’s (from its Fig. 4 and Fig. 6 points; — where the paper gives none). Negatives: λ < −1e-6.',
    columns: ['run', 'seed', 'batch', 'steps', 'epochs', 'loss at step 0', 'train loss', 'train acc', 'λ1', 'λ2', 'λ10', 'outliers (ratio)', 'outliers (gap)', 'most negative', 'fraction negative', '|λmin| / λ1'],
    rows: [
      ...rows.map((r) => [r.run, r.seed, r.batchSize, r.steps, r.epochs, r.initialLoss, r.trainLoss, r.trainAccuracy, r.lambda1, r.top[1] ?? null, r.top[9] ?? null, r.outliersRatio, r.outliersGap, r.mostNegative, r.negativeFraction, r.negativeToPositive]),
      ...(['sb', 'lb'] as const).map((w) => {
        const top = paper.top[w];
        const c = paper.check.outliers[w];
        return [`S18 ${LABEL[w]}`, null, w === 'sb' ? 10 : 512, null, null, null, null, null, top[0], top[1], top[9], c.ratio, c.gap, paper.mostNegative[w], null, -paper.mostNegative[w] / top[0]];
      }),
    ],
  };
}

function pairTable(pairs: Pair[], paper: PaperNumbers): Table {
  const agree = (c: PairCheck) => (outlierCountsAgree(c.outliers.sb.ratio, c.outliers.lb.ratio) ? 'yes' : 'no');
  const row = (seed: number | string, c: PairCheck, r: RankRatios) => [seed, c.lambda1.sb, c.lambda1.lb, c.ratio, r.medianOverOutliers,
    `${c.outliers.sb.ratio} / ${c.outliers.lb.ratio}`, `${c.outliers.sb.gap} / ${c.outliers.lb.gap}`, agree(c)];
  return {
    caption: 'Claim 8’s numbers per seed pair (S18’s own points in the last row): λ1 of both end points and their ratio, and the outlier counts.',
    columns: ['seed', 'λ1 SB', 'λ1 LB', 'LB/SB', 'median LB/SB over the outlier ranks', 'outliers SB / LB (ratio)', 'outliers SB / LB (gap)', 'ratio counts agree'],
    rows: [...pairs.map((p) => row(p.seed, p.check, p.ratios)), row('S18', paper.check, paper.ratios)],
  };
}

function ratioTable(p: Pair, paper: PaperNumbers): Table {
  const sb = p.rows.sb.top, lb = p.rows.lb.top;
  return {
    caption: `The top 10 eigenvalues rank by rank and the LB/SB factor, seed pair ${p.seed} (S18: 4.0–5.6 over its 9 outliers, then 2.5 at rank 10).`,
    columns: ['rank', 'ours SB', 'ours LB', 'ours LB/SB', 'S18 SB', 'S18 LB', 'S18 LB/SB'],
    rows: sb.map((v, i) => [i + 1, v, lb[i] ?? null, p.ratios.byRank[i], paper.top.sb[i], paper.top.lb[i], paper.ratios.byRank[i]]),
  };
}

function grTable(p: Pair): Table {
  const rows = [p.rows.sb, p.rows.lb];
  return {
    caption: `Beyond the paper: the Gauss–Newton part G (PSD) and the residual R = H − G at both end points of seed pair ${p.seed}.`,
    columns: ['run', 'λmax(H)', 'λmax(G)', 'outliers of G (ratio)', 'λmin(H)', 'λmin(G)', 'λmin(R)', 'λmax(R)'],
    rows: rows.map((r) => [r.run, r.lambda1, r.G!.max, r.G!.outliersRatio, r.mostNegative, r.G!.min, r.R!.min, r.R!.max]),
  };
}

/** Settings, notes, summary, tables and figures of the page. */
export async function page(ctx: ExperimentContext, size: string, s: E4Sizes, M: number, model: SequentialSpec, pairs: Pair[], stats: BatchStatistics, paper: PaperNumbers) {
  const p0 = pairs[0];
  const rows = pairs.flatMap((p) => [p.rows.sb, p.rows.lb]);
  const lbRows = pairs.map((p) => p.rows.lb), sbRows = pairs.map((p) => p.rows.sb);
  const negRatios = pairs.map((p) => (p.rows.lb.mostNegative < 0 ? p.rows.sb.mostNegative / p.rows.lb.mostNegative : Infinity));
  const paperNegRatio = paper.mostNegative.sb / paper.mostNegative.lb;
  const inputs = s.downsample === 1 ? '28×28' : `${28 / s.downsample}×${28 / s.downsample} (average-pooled ${s.downsample}×${s.downsample})`;
  const list = (f: (r: RunRow) => number, rs: RunRow[]) => rs.map((r) => fmt(f(r))).join(', ');
  const seedsText = s.seeds.length > 1 ? ` (seeds ${s.seeds.join(', ')})` : '';
  const along = p0.sharpness ? sharpnessRatios(p0.sharpness) : [];
  const trainSeconds = (w: 'sb' | 'lb') => median(pairs.slice(1).map((p) => p.rows[w].trainSeconds));

  const notes = [
    'Architecture (unstated in S18 beyond “2 conv layers with ReLU and max-pool, 2 fully connected”): PyTorch’s classic MNIST example — conv 10@5×5 → ReLU → max-pool 2, conv 20@5×5 → ReLU → max-pool 2, linear 320→h → ReLU → linear h→10 — with h = 80 has exactly M = 31,770, the parameter count S18 Fig. 6’s rank/M axis implies (its step is 1/31,770). The paper preset uses it; the smaller presets keep the layout at smaller sizes.',
    `Training (unstated in S18 beyond the batch sizes and “same learning rate, same number of iterations”): plain SGD, lr ${s.lr}, ${s.steps} steps for both runs of a pair, PyTorch-default init from the pair’s seed (SB and LB start from the same point), different batch orders.`,
    `With N = ${s.N} and batch ${s.largeBatch} each epoch holds ${Math.floor(s.N / s.largeBatch)} batch(es): the trainer draws a fresh permutation per epoch and skips the N mod b = ${s.N % s.largeBatch} leftover samples, so LB sees ${s.largeBatch} samples per step (${fmt(p0.rows.lb.epochs)} epochs) and SB ${s.smallBatch} (${fmt(p0.rows.sb.epochs)} epochs).`,
    `End points: train loss SB ${list((r) => r.trainLoss, sbRows)}, LB ${list((r) => r.trainLoss, lbRows)}${seedsText}. LB’s λ1: ${list((r) => r.lambda1, lbRows)}, to compare with 2/lr = ${fmt(2 / s.lr)}, the stability limit of (nearly) full-batch gradient descent at this step size; SB’s λ1: ${list((r) => r.lambda1, sbRows)}.`,
    `The absolute eigenvalue scale depends on the input scaling (ours: pixels in [0, 1], no normalisation; S18’s is unstated) and on the end point: compare the LB/SB factors and the relative figure. Median over pairs ×${fmt(stats.median)} (interval ×${fmt(stats.interval.lo)}–×${fmt(stats.interval.hi)}, coverage ${pct(stats.interval.coverage)}) vs S18 ×${fmt(paper.check.ratio)} at λ1; S18 ×${fmt(paper.ratios.minOverOutliers)}–${fmt(paper.ratios.maxOverOutliers)} over its top ${paper.ratios.outlierRanks}.`,
    ...(along.length > 0 ? [`λ1 over training (seed pair ${p0.seed}, Lanczos every ${s.sharpness.every} steps): LB/SB ${along.map((a) => `${a.step}: ×${fmt(a.ratio)}`).join(', ')}. Claim 8 is graded at the end points only, as S18 does; this shows how much the factor depends on where training stops.`] : []),
    `Negative tail: most negative SB ${list((r) => r.mostNegative, sbRows)}, LB ${list((r) => r.mostNegative, lbRows)} (SB/LB ${negRatios.map(fmt).join(', ')}); S18: ${fmt(paper.mostNegative.sb)} and ${fmt(paper.mostNegative.lb)} (SB/LB ${fmt(paperNegRatio)}). Fraction below −1e-6: SB ${sbRows.map((r) => pct(r.negativeFraction)).join(', ')}, LB ${lbRows.map((r) => pct(r.negativeFraction)).join(', ')}; S18 Fig. 6 plots its tails to ${pct(paper.plottedNegativeFraction)} of M. |λmin|/λ1: ours ${rows.map((r) => fmt(r.negativeToPositive)).join(', ')}; S18 ${fmt(-paper.mostNegative.sb / paper.top.sb[0])} and ${fmt(-paper.mostNegative.lb / paper.top.lb[0])}.`,
    ...(pairs.length > 1 ? [`This run: training took ${fmt(trainSeconds('sb'))} s (SB) and ${fmt(trainSeconds('lb'))} s (LB) per pair after the first (median; the first pair also tracks λ1 along the way); every step is in the timings below.`] : []),
    ...(s.withGR ? ['G and R are computed at the first seed pair (values only, assembled together with H); at paper size they are skipped (H, G and R side by side need 3 × 8.1 GB).'] : []),
  ];

  const reductions = size === 'paper'
    ? `none in the network, data or batch sizes (S18’s M = 31,770, N = 1,000, batch 10 vs 512); one seed pair; lr ${s.lr} and ${s.steps} steps are our choice; G and R not computed (memory and time)`
    : `${size}: inputs ${inputs} instead of 28×28, channels ${s.conv.map((c) => `${c.channels}@${c.kernel}×${c.kernel}`).join(', ')} and fc ${s.hidden} instead of 10@5×5, 20@5×5 and fc 80, so M = ${M.toLocaleString('en-US')} instead of 31,770; ` +
      `N = ${s.N}${s.N === 1000 ? '' : ' (paper: 1,000)'}; batch ${s.smallBatch} vs ${s.largeBatch}${s.largeBatch === 512 ? '' : ' (paper: 512)'}; ${s.seeds.length} seed pairs (S18: one run each)`;

  return {
    settings: [
      { key: 'data', value: `${s.N} MNIST training samples (equal classes, seed 0), inputs ${inputs}, pixels in [0, 1]` },
      { key: 'network', value: `${describeModel(model)} (biases, softmax cross-entropy)` },
      { key: 'training', value: `SGD, lr ${s.lr}, ${s.steps} steps, batch ${s.smallBatch} (SB) and ${s.largeBatch} (LB), PyTorch-default init; seed pairs ${s.seeds.join(', ')} (a pair shares its init); full-batch loss every ${Math.max(1, Math.round(s.steps / 20))} steps` },
      { key: 'spectra', value: s.withGR ? 'exact H at every end point, all eigenvalues; also G and R at the first pair' : 'exact H at both end points, all eigenvalues (values only, dsyevd_2stage)' },
      { key: 'preset reductions', value: reductions },
    ],
    notes,
    along,
    figures: await ctx.time('figures', () => figures(ctx, s, M, p0, paper)),
    tables: [pairTable(pairs, paper), runTable(pairs, paper), ratioTable(p0, paper), ...(p0.rows.lb.G ? [grTable(p0)] : [])],
    summary: `λ1(LB)/λ1(SB) median ×${fmt(stats.median)}${pairs.length > 1 ? ` (interval ×${fmt(stats.interval.lo)}–×${fmt(stats.interval.hi)} over ${pairs.length} seed pairs)` : ''} (S18 ×${fmt(paper.check.ratio)}); ` +
      `largest-ratio outlier counts SB/LB ${pairs.map((p) => `${p.check.outliers.sb.ratio}/${p.check.outliers.lb.ratio}`).join(', ')} (S18 ${paper.check.outliers.sb.ratio}/${paper.check.outliers.lb.ratio}).`,
  };
}
