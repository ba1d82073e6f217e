/**
 * E5 (S18 §4, "trailing negatives"): train far past the point where the training data are fitted
 * and watch the bottom of the spectrum: small negative eigenvalues remain, so the end point is not
 * a strict local minimum. With G and R we can say where they come from: claim 7 compares H's
 * most negative eigenvalues with R's (G being PSD, they can only be R's; the question is whether
 * G leaves them standing), and they are tiny next to λmax (the end half of claim 2).
 *
 * The data are kept small (N = 100, k = 5) so that N(k−1) = 400 < M: G has a null space, which the
 * table shows (its PSD-ness and rank bound are theorems, tested in the engine tests).
 */
import { gaussianMixture } from '../../data';
import { parameterCount } from '../../engine/model';
import { negativeTail, scatterXY, spectraHGR, trainingCurves } from '../../report/charts';
import type { Table } from '../../report/html';
import { bySize, fmt, mlp, netSpectra, NetSpectra, pct, saveSpectra, sizeOf, trainedRun, TrainedRun } from '../common';
import type { Experiment, ExperimentContext, ExperimentResult } from '../types';
import { claim2EndOnly, claim7, FROM_R, negativeShape, negativeTailEvidence, tailShare } from '../rules';

/** Eigenvalues below −NEG_REL·λmax count as negative (a scale-free version of S18 Fig. 5's −1e-6). */
const NEG_REL = FROM_R.negativeTolerance;
/** |λ(G)| ≤ ZERO_REL·λmax(G) counts as zero (LAPACK's error is ~M·ε·‖G‖, far below). */
const ZERO_REL = 1e-9;

interface Sizes {
  d: number;
  h: number;
  k: number;
  N: number;
  lr: number;
  /** Cumulative GD step counts at which the spectra are taken. */
  checkpoints: number[];
  reductions: string;
}

/**
 * Full-batch GD (deterministic: chaining the segments changes nothing) with lr 0.5: measured at
 * the quick size, 100% train accuracy by ~200 steps; after that the loss keeps shrinking slowly
 * and the run is "past saturation" for the remaining 99.8% of the steps.
 */
const SIZES: Record<'tiny' | 'quick' | 'paper', Sizes> = {
  tiny: { d: 8, h: 6, k: 3, N: 20, lr: 0.5, checkpoints: [100, 1000], reductions: 'tiny (tests): 8→6→6→3 on 20 samples, 1,000 steps' },
  quick: {
    d: 40, h: 20, k: 5, N: 100, lr: 0.5, checkpoints: [1000, 10000, 100000],
    reductions: 'quick: 40→20→20→5 (M = 1,345) instead of the E2 net at k = 5 (100→30→30→5, M = 4,115); same 10⁵ GD steps',
  },
  paper: {
    d: 100, h: 30, k: 5, N: 100, lr: 0.5, checkpoints: [1000, 10000, 100000],
    reductions: 'none (S18 gives no size for this observation; we use the E2 net at k = 5, M = 4,115)',
  },
};

interface Checkpoint {
  step: number;
  trainLoss: number;
  trainAccuracy: number;
  gradNorm: number;
  lambdaMax: number;
  lambdaMin: number;
  negatives: number;
  ratio: number;
  minG: number;
  zerosG: number;
  minR: number;
  maxR: number;
  overlapHG: number;
}

function zeros(v: Float64Array): number {
  const tol = ZERO_REL * v[v.length - 1];
  let c = 0;
  for (const x of v) if (Math.abs(x) <= tol) c++;
  return c;
}

function negatives(v: Float64Array): number {
  const tol = NEG_REL * v[v.length - 1];
  let c = 0;
  for (const x of v) if (x < -tol) c++;
  return c;
}

export const experiment: Experiment = {
  id: 'E5',
  title: 'E5 — Trailing negative eigenvalues (S18 §4)',
  description: 'S18 observes that training long past saturation still leaves small negative eigenvalues; this tracks them over 10⁵ GD steps and splits H into G (PSD) and R to show where they come from (claims 2 end, 7).',
  async run(ctx: ExperimentContext): Promise<ExperimentResult> {
    const s = bySize(ctx, SIZES);
    const data = gaussianMixture({ k: s.k, N: s.N, d: s.d, seed: 0 });
    const model = mlp([s.d, s.h, s.h, s.k]);
    const M = parameterCount(model);
    const runs: TrainedRun[] = [];
    const spectra: NetSpectra[] = [];
    const rows: Checkpoint[] = [];
    let params: Float64Array | undefined;
    for (const [i, step] of s.checkpoints.entries()) {
      const steps = step - (i ? s.checkpoints[i - 1] : 0);
      const stage = `to step ${step} (${i + 1}/${s.checkpoints.length})`;
      const config = { model, data: data.spec, seed: 1, phases: [{ steps, lr: s.lr }], recordEvery: Math.max(1, Math.ceil(steps / 20)) };
      ctx.progress(`${stage}: training`, i / s.checkpoints.length);
      const run = await ctx.time(`train to ${step}`, () => trainedRun(ctx, `train-${step}`, `${stage}: training`, config, data, params));
      params = run.params;
      const sp = await ctx.time(`spectra at ${step}`, () => netSpectra(ctx, `spectra-${step}`, model, run.params, data, { withGR: true, k: s.k, stage }));
      saveSpectra(ctx, `eigenvalues_step${step}`, sp);
      const end = run.metrics[run.metrics.length - 1];
      runs.push(run);
      spectra.push(sp);
      const H = sp.H, n = H.length;
      rows.push({
        step, trainLoss: end.trainLoss, trainAccuracy: end.trainAccuracy, gradNorm: end.gradNorm,
        lambdaMax: H[n - 1], lambdaMin: H[0], negatives: negatives(H), ratio: negativeShape(H).ratio,
        minG: sp.G![0], zerosG: zeros(sp.G!), minR: sp.R![0], maxR: sp.R![n - 1], overlapHG: sp.overlap!.subspace,
      });
    }
    ctx.progress('figures', 0.95);
    const lastRow = rows[rows.length - 1], lastS = spectra[spectra.length - 1];
    const endShape = negativeShape(lastS.H);
    const tail = negativeTailEvidence(lastS.H, lastS.R!);
    const evidence = { [claim2EndOnly.id]: { end: endShape }, [claim7.id]: tail };
    const verdicts = [
      claim2EndOnly.verdict({ end: endShape },
        `after ${lastRow.step} GD steps |λmin|/λmax = ${fmt(endShape.ratio)} (${lastRow.negatives} eigenvalues < −${NEG_REL}·λmax remain) (fig e5-negative)`,
        'S18 Fig. 1 end: λ ∈ [−2.2e-5, 0.0134] (ratio 1.6e-3)'),
      claim7.verdict(tail,
        `|λmin(H)|/λmax(H) = ${fmt(endShape.ratio)}; the ${tail.negativesH.length} most negative eigenvalues of H over R’s: median ${fmt(tailShare(tail))} ` +
          `(λmin(H) = ${fmt(lastRow.lambdaMin)}, λmin(R) = ${fmt(lastRow.minR)}, λmin(G) = ${fmt(lastRow.minG)}) (fig e5-hgr)`,
        'S18 §2: G = (1/N)Σ JᵀH_ℓJ is PSD, so negatives come from R; Fig. 5: negatives ≈1000× below λ1'),
    ];
    const figures = await ctx.time('figures', async () => [
      await ctx.figure('e5-negative', 'Negative eigenvalues vs rank/M along training', negativeTail({
        series: rows.map((r, i) => ({ name: `step ${r.step}`, values: spectra[i].H, M })), yScale: 'symlog',
      }), 'The negative tail of H at each checkpoint: it shrinks but does not vanish.'),
      await ctx.figure('e5-extremes', 'λmax and |λmin| along training', scatterXY({
        points: rows.flatMap((r) => [
          { x: r.step, y: r.lambdaMax, series: 'λmax(H)' },
          { x: r.step, y: Math.abs(r.lambdaMin), series: '|λmin(H)|' },
          { x: r.step, y: Math.abs(r.minR), series: '|λmin(R)|' },
        ]),
        xTitle: 'GD step', yTitle: 'eigenvalue magnitude', xScale: 'log', yScale: 'log', mark: 'line+point',
        title: 'Largest and most negative eigenvalues vs GD step',
      }), 'How the top of H and its negatives (and R’s most negative) evolve as training goes on.'),
      await ctx.figure('e5-hgr', `H, G and R after ${lastRow.step} steps`, spectraHGR({ hessian: lastS.H, ggn: lastS.G!, residual: lastS.R! }),
        'G has no negative eigenvalues (beyond rounding); H’s negatives mirror R’s.'),
      await ctx.figure('e5-training', 'Training loss and gradient norm', trainingCurves({
        // Each segment counts its steps from 0: shift by the checkpoint it started from, and drop
        // its step-0 record (the previous segment's last one).
        points: runs.flatMap((r, i) => {
          const offset = i ? s.checkpoints[i - 1] : 0;
          return r.metrics.filter((m) => i === 0 || m.step > 0).flatMap((m) => [
            { step: offset + m.step, series: 'train loss', value: m.trainLoss },
            { step: offset + m.step, series: '‖∇L‖', value: m.gradNorm },
          ]);
        }).filter((p) => p.value > 0),
        yTitle: 'full-batch loss / gradient norm', logY: true, xTitle: 'GD step',
        markers: rows.map((r) => ({ step: r.step, label: `spectra @ ${r.step}` })),
      }), 'The loss keeps falling long after 100% train accuracy; dashed lines mark where the spectra were taken.'),
    ]);
    const table: Table = {
      caption: `Per checkpoint: the end point, H's extremes and negatives (λ < −${NEG_REL}·λmax), G's minimum and zero count (|λ| ≤ ${ZERO_REL}·λmax(G); N(k−1) = ${s.N * (s.k - 1)}), R's extremes, H/G top-${s.k} overlap.`,
      columns: ['step', 'train loss', 'train acc', '‖∇L‖', 'λmax H', 'λmin H', '# negative H', '|λmin|/λmax', 'λmin G', '# zeros G', 'λmin R', 'λmax R', 'H/G overlap'],
      rows: rows.map((r) => [r.step, r.trainLoss, r.trainAccuracy, r.gradNorm, r.lambdaMax, r.lambdaMin, r.negatives, r.ratio, r.minG, r.zerosG, r.minR, r.maxR, r.overlapHG]),
    };
    return {
      settings: [
        { key: 'data', value: `Gaussian mixture, k = ${s.k}, N = ${s.N}, d = ${s.d}, covariance ×1, normalised globally, seed 0 (small N so that N(k−1) = ${s.N * (s.k - 1)} < M)` },
        { key: 'network', value: `${s.d}→${s.h}→${s.h}→${s.k}, ReLU, biases, softmax cross-entropy, M = ${M}` },
        { key: 'training', value: `full-batch GD, lr ${s.lr}, spectra after ${s.checkpoints.join(', ')} steps; PyTorch-default init, seed 1` },
        { key: 'spectra', value: `exact H, G, R at every checkpoint, fully diagonalised; H/G overlap of the top ${s.k} eigenvectors` },
        { key: 'preset reductions', value: s.reductions },
      ],
      results: { seeds: { data: 0, init: 1 }, M, rankBoundG: s.N * (s.k - 1), checkpoints: rows, evidence },
      figures,
      tables: [table],
      verdicts,
      notes: [
        `Negatives remain at every checkpoint: ${rows.map((r) => `${r.negatives} at step ${r.step}`).join(', ')}; the most negative goes ${rows.map((r) => fmt(r.lambdaMin)).join(' → ')} while the loss goes ${rows.map((r) => fmt(r.trainLoss)).join(' → ')}.`,
        `Train accuracy at the checkpoints: ${rows.map((r) => pct(r.trainAccuracy)).join(', ')}.`,
        `Zero eigenvalues of G are counted with a relative tolerance ${ZERO_REL}·λmax(G), which can also count genuinely tiny positive eigenvalues; G has rank ≤ N(k−1), so at least M − N(k−1) = ${M - s.N * (s.k - 1)} of them are zero.`,
        ...(sizeOf(ctx) === 'paper' ? [] : [`Reduced size (${sizeOf(ctx)}): see settings.`]),
      ],
      summary: `After ${lastRow.step} GD steps: ${lastRow.negatives} negative eigenvalues, most negative ${fmt(lastRow.lambdaMin)} = ${fmt(lastRow.ratio)}·λmax; λmin(G) = ${fmt(lastRow.minG)}.`,
    };
  },
};
