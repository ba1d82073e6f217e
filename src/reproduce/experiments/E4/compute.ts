/**
 * E4's computation: one SB/LB pair per seed (both from the seed's init, same learning rate and
 * step count), the exact spectra of both end points, λ1 along training at the first pair, and the
 * numbers claim 8 is graded on. S18's own Fig. 4 / Fig. 6 points go through the same functions.
 */
import { curvatureOperator, lanczosEigen } from '../../../approx';
import { mnistSubset } from '../../../data';
import type { Dataset } from '../../../data/dataset';
import type { MatrixName } from '../../../engine/curvature';
import type { SequentialSpec } from '../../../engine/model';
import { fig4, fig6 } from '../../reference';
import { BatchEvidence, BatchPair, median, NEGATIVE_FRACTION, outlierCounts, OutlierCounts, topDesc } from '../../rules';
import type { ExperimentContext } from '../../types';
import { last, trainedRun, TrainedRun } from '../shared';
import { summary, valueSpectra } from '../spectra';
import { e4Model, E4Sizes } from './settings';

export type Which = 'sb' | 'lb';
export const LABEL: Record<Which, string> = { sb: 'SB', lb: 'LB' };
export const SHORT: Record<string, string> = { hessian: 'H', ggn: 'G', residual: 'R' };
/** Lanczos stops when the wanted Ritz values' residuals are below this × λ1: ample for a plot. */
const SHARPNESS_TOL = 1e-3;

export interface RunRow {
  run: string;
  seed: number;
  batchSize: number;
  steps: number;
  epochs: number;
  initialLoss: number;
  trainLoss: number;
  trainAccuracy: number;
  lambda1: number;
  /** The 10 largest, descending. */
  top: number[];
  outliersRatio: number;
  outliersGap: number;
  mostNegative: number;
  negativeFraction: number;
  negativeToPositive: number;
  trace: number;
  G?: { max: number; min: number; outliersRatio: number };
  R?: { max: number; min: number };
  trainSeconds: number;
}

/** λ_1..λ_k (descending) of H at a step of training, by Lanczos. */
export interface SharpnessPoint {
  step: number;
  top: number[];
}

export interface RankRatios {
  /** λ_i(LB)/λ_i(SB) for ranks 1..10 (null where either is ≤ 0). */
  byRank: (number | null)[];
  /** The ranks the summary runs over: the smaller of the two largest-ratio outlier counts (≥ 1). */
  outlierRanks: number;
  medianOverOutliers: number;
  minOverOutliers: number;
  maxOverOutliers: number;
}

/** One seed pair's comparison: λ1 of both end points, the outlier counts, the LB/SB factor. */
export interface PairCheck {
  lambda1: Record<Which, number>;
  ratio: number;
  outliers: Record<Which, OutlierCounts>;
}

export interface Pair {
  seed: number;
  /** λ over training of both runs (first pair only). */
  sharpness?: Record<Which, SharpnessPoint[]>;
  runs: Record<Which, TrainedRun>;
  spectra: Record<Which, Partial<Record<MatrixName, Float64Array>>>;
  rows: Record<Which, RunRow>;
  check: PairCheck;
  ratios: RankRatios;
}

export function pairCheck(sbAscending: ArrayLike<number>, lbAscending: ArrayLike<number>): PairCheck {
  const sb = sbAscending[sbAscending.length - 1], lb = lbAscending[lbAscending.length - 1];
  return { lambda1: { sb, lb }, ratio: sb > 0 ? lb / sb : Infinity, outliers: { sb: outlierCounts(sbAscending), lb: outlierCounts(lbAscending) } };
}

/** Claim 8's evidence: λ1 and the largest-ratio outlier count of both end points, per pair. */
export function batchEvidence(checks: PairCheck[]): BatchEvidence {
  return {
    pairs: checks.map((c): BatchPair => ({ sb: c.lambda1.sb, lb: c.lambda1.lb, outliersSb: c.outliers.sb.ratio, outliersLb: c.outliers.lb.ratio })),
  };
}

/** LB/SB eigenvalue ratios rank by rank, and their median/min/max over the outlier ranks. */
export function rankRatios(sbAscending: ArrayLike<number>, lbAscending: ArrayLike<number>, check: PairCheck, k = 10): RankRatios {
  const sb = topDesc(sbAscending, k), lb = topDesc(lbAscending, k);
  const byRank = sb.map((v, i) => (v > 0 && lb[i] > 0 ? lb[i] / v : null));
  const outlierRanks = Math.max(1, Math.min(check.outliers.sb.ratio, check.outliers.lb.ratio, sbAscending.length, lbAscending.length));
  const s = topDesc(sbAscending, outlierRanks), l = topDesc(lbAscending, outlierRanks);
  const over = s.map((v, i) => l[i] / v).filter((r) => Number.isFinite(r) && r > 0);
  return {
    byRank, outlierRanks,
    medianOverOutliers: over.length ? median(over) : NaN,
    minOverOutliers: over.length ? Math.min(...over) : NaN,
    maxOverOutliers: over.length ? Math.max(...over) : NaN,
  };
}

/** S18's own numbers, computed from its plotted points with the same functions as ours. */
export function paperNumbers() {
  const f4 = fig4(), f6 = fig6();
  const asc = (v: number[]) => Float64Array.from(v).reverse();
  const sb = asc(f4.smallBatch), lb = asc(f4.largeBatch);
  const check = pairCheck(sb, lb);
  return {
    M: 31770,
    top: { sb: f4.smallBatch, lb: f4.largeBatch },
    check,
    evidence: batchEvidence([check]),
    ratios: rankRatios(sb, lb, check),
    mostNegative: { sb: f6.smallBatch[0], lb: f6.largeBatch[0] },
    /** Fig. 6 plots the negative tail up to this fraction of M (its last point). */
    plottedNegativeFraction: f6.fraction[f6.fraction.length - 1],
  };
}
export type PaperNumbers = ReturnType<typeof paperNumbers>;

/** The top k eigenvalues of H at `params` by matrix-free Lanczos (seeded, no vectors). */
async function topByLanczos(model: SequentialSpec, params: Float64Array, data: Dataset, o: E4Sizes['sharpness'], seed: number) {
  const e = await lanczosEigen(curvatureOperator(model, params, data), { k: o.k, which: 'top', vectors: false, maxSteps: o.maxSteps, tol: SHARPNESS_TOL, seed });
  return { top: Array.from(e.top!.values) };
}

/** λ1(LB)/λ1(SB) at the steps where both runs were measured. */
export function sharpnessRatios(t: Record<Which, SharpnessPoint[]>): { step: number; ratio: number }[] {
  const sb = new Map(t.sb.map((p) => [p.step, p.top[0]]));
  return t.lb.filter((p) => sb.has(p.step)).map((p) => ({ step: p.step, ratio: p.top[0] / sb.get(p.step)! }));
}

function runRow(which: Which, seed: number, s: E4Sizes, run: TrainedRun, spectra: Partial<Record<MatrixName, Float64Array>>): RunRow {
  const values = spectra.hessian!;
  const H = summary(values, NEGATIVE_FRACTION.tolerance);
  const counts = outlierCounts(values);
  const batch = which === 'sb' ? s.smallBatch : s.largeBatch;
  const out: RunRow = {
    run: LABEL[which],
    seed,
    batchSize: batch,
    steps: run.steps,
    epochs: run.steps / Math.floor(s.N / batch),
    initialLoss: run.metrics[0].trainLoss,
    trainLoss: last(run).trainLoss,
    trainAccuracy: last(run).trainAccuracy,
    lambda1: H.max,
    top: topDesc(values, 10),
    outliersRatio: counts.ratio,
    outliersGap: counts.gap,
    mostNegative: H.min,
    negativeFraction: H.negativeFraction,
    negativeToPositive: H.negativeToPositiveRatio,
    trace: H.trace,
    trainSeconds: run.seconds,
  };
  if (spectra.ggn && spectra.residual) {
    const g = spectra.ggn, r = spectra.residual;
    out.G = { max: g[g.length - 1], min: g[0], outliersRatio: outlierCounts(g).ratio };
    out.R = { max: r[r.length - 1], min: r[0] };
  }
  return out;
}

/** Trains one SB/LB pair from the seed's init and takes both end points' spectra (resumable steps). */
export async function runPair(ctx: ExperimentContext, s: E4Sizes, seed: number, index: number, first: boolean): Promise<Pair> {
  const data = mnistSubset({ N: s.N, downsample: s.downsample, seed: 0 });
  const model = e4Model(s);
  const batchOf: Record<Which, number> = { sb: s.smallBatch, lb: s.largeBatch };
  const of = s.seeds.length > 1 ? ` (pair ${index + 1}/${s.seeds.length})` : '';
  const config = (w: Which) => ({
    model, data: data.spec, seed, recordEvery: Math.max(1, Math.round(s.steps / 20)), checkpointEvery: s.sharpness.every,
    phases: [{ steps: s.steps, lr: s.lr, batchSize: batchOf[w] }],
  });
  const runs = {} as Record<Which, TrainedRun>;
  for (const w of ['sb', 'lb'] as const) {
    const measure = first ? (_step: number, params: Float64Array) => topByLanczos(model, params, data, s.sharpness, seed) : undefined;
    runs[w] = await ctx.time(`train ${LABEL[w]} (batch ${batchOf[w]}), seed ${seed}${first ? ', with λ1 along the way' : ''}`, () =>
      trainedRun(ctx, `train-${w}-s${seed}`, `${LABEL[w]} seed ${seed}${of}: training`, config(w), data, undefined, measure));
  }
  const sharpness = first
    ? { sb: (runs.sb.along ?? []) as unknown as SharpnessPoint[], lb: (runs.lb.along ?? []) as unknown as SharpnessPoint[] }
    : undefined;
  const names: MatrixName[] = s.withGR && first ? ['hessian', 'ggn', 'residual'] : ['hessian'];
  const spectra = {} as Record<Which, Partial<Record<MatrixName, Float64Array>>>;
  for (const w of ['sb', 'lb'] as const) {
    spectra[w] = await ctx.time(`spectra ${names.map((n) => SHORT[n]).join(', ')} ${LABEL[w]}, seed ${seed}`, () =>
      valueSpectra(ctx, `spectra-${w}-s${seed}`, model, runs[w].params, data, names, `${LABEL[w]} seed ${seed}${of}`));
    for (const n of names) ctx.saveNpy(`eigenvalues_${w}_s${seed}_${SHORT[n]}`, spectra[w][n]!);
  }
  const check = pairCheck(spectra.sb.hessian!, spectra.lb.hessian!);
  return {
    seed, runs, spectra, check, sharpness,
    rows: { sb: runRow('sb', seed, s, runs.sb, spectra.sb), lb: runRow('lb', seed, s, runs.lb, spectra.lb) },
    ratios: rankRatios(spectra.sb.hessian!, spectra.lb.hessian!, check),
  };
}
