/**
 * The straight line between two weight vectors (S18 E6: LB → SB end points; S16 P6: GD and SGD
 * iterates), as a resumable step, and the numbers claim 9 turns on: the barrier on [0, 1] and the
 * rise beyond the first end point.
 */
import type { Dataset } from '../../data/dataset';
import type { MlpSpec } from '../../engine/model';
import { interpolate, LinePoint } from '../../train';
import { LINE } from '../rules/line';
import type { ExperimentContext } from '../types';
import { fmt } from './shared';

export interface LineSpectrum {
  alpha: number;
  max: number;
  min: number;
  top: number[];
  negativeFraction: number;
  gapOutliers: number;
  fractionAbsBelow: Record<string, number>;
}

export interface Line {
  points: LinePoint[];
  spectra: LineSpectrum[];
}

/** Loss/accuracy on w(α) = a + α(b − a) for each α, and H's spectrum summary at `spectrumAt`. */
export function lineStep(
  ctx: ExperimentContext, key: string, model: MlpSpec, a: Float64Array, b: Float64Array, data: Dataset, alphas: number[], spectrumAt: number[] = [],
): Promise<Line> {
  return ctx.step(key, async () => {
    const r = await interpolate({ model, params: a }, { model, params: b }, {
      alphas, data, spectrumAt, spectrum: { negativeTolerance: 1e-6 }, signal: ctx.signal, onProgress: (s, f) => ctx.progress(`${key}: ${s}`, f),
    });
    const spectra = r.spectra.map(({ alpha, summary: s }) => ({
      alpha, max: s.max, min: s.min, top: s.top, negativeFraction: s.negativeFraction, gapOutliers: s.outliers.largestGap.count, fractionAbsBelow: s.fractionAbsBelow,
    }));
    return { points: r.points, spectra };
  });
}

export interface BarrierCheck {
  /** max over α ∈ [0, 1] of the train loss minus the larger end-point loss (≤ 0: no barrier). */
  barrier: number;
  /** The tolerance the barrier is held to: LINE.barrierTolerance × the larger end-point loss. */
  tolerance: number;
  lossAt0: number;
  lossAt1: number;
  /** Train loss at the smallest α (the far side of the first end point), and its ratio to L(0). */
  lossAtMin: number;
  alphaMin: number;
  riseRatio: number;
  /** Train loss falls (within tolerance) monotonically from α = 0 to α = 1. */
  monotone: boolean;
}

export function barrierCheck(points: LinePoint[], relTol = LINE.barrierTolerance): BarrierCheck {
  const sorted = [...points].sort((p, q) => p.alpha - q.alpha);
  const inside = sorted.filter((p) => p.alpha >= -1e-12 && p.alpha <= 1 + 1e-12);
  const at = (alpha: number) => sorted.reduce((best, p) => (Math.abs(p.alpha - alpha) < Math.abs(best.alpha - alpha) ? p : best)).trainLoss;
  const lossAt0 = at(0), lossAt1 = at(1);
  const endMax = Math.max(lossAt0, lossAt1);
  const tolerance = relTol * endMax;
  const barrier = Math.max(...inside.map((p) => p.trainLoss)) - endMax;
  const monotone = inside.every((p, i) => i === 0 || p.trainLoss <= inside[i - 1].trainLoss + tolerance);
  const first = sorted[0];
  return { barrier, tolerance, lossAt0, lossAt1, lossAtMin: first.trainLoss, alphaMin: first.alpha, riseRatio: first.trainLoss / lossAt0, monotone };
}

export function describeBarrier(c: BarrierCheck): string {
  return `train loss ${fmt(c.lossAt0)} (α = 0) → ${fmt(c.lossAt1)} (α = 1), barrier on [0, 1] ${fmt(c.barrier)} (tolerance ${fmt(c.tolerance)})` +
    `${c.monotone ? ', monotone' : ', not monotone'}; at α = ${fmt(c.alphaMin)}: ${fmt(c.lossAtMin)} (${fmt(c.riseRatio)}× L(0))`;
}

/** α-rows of a line as chart points: one series per (split, metric). */
export function linePoints(points: LinePoint[], metric: 'loss' | 'accuracy') {
  const out: { alpha: number; series: string; value: number }[] = [];
  for (const p of points) {
    out.push({ alpha: p.alpha, series: `train ${metric}`, value: metric === 'loss' ? p.trainLoss : p.trainAccuracy });
    const test = metric === 'loss' ? p.testLoss : p.testAccuracy;
    if (test !== null) out.push({ alpha: p.alpha, series: `test ${metric}`, value: test });
  }
  return out;
}
