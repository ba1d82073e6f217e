/**
 * Claim 8: a large batch gives about as many outliers as a small one, several times larger. Graded
 * over seed pairs (SB and LB from one init): the median of λ1(LB)/λ1(SB) with a distribution-free
 * interval, against S18's own factor read from its Fig. 4 points.
 */
import { fig4 } from '../reference';
import { defineRule, num, pctText } from './rule';
import { OUTLIER_FLOOR, OUTLIER_WINDOW } from './measures';
import { median, medianInterval, MedianInterval } from './stats';

export const BATCH = {
  /** Coverage wanted of the interval for the median ratio. */
  coverage: 0.9,
  /** The median must lie within this factor of S18's λ1(LB)/λ1(SB). */
  band: 2,
  /** Outlier counts agree when they differ by at most `difference` or by a factor of at most `factor`. */
  counts: { difference: 3, factor: 1.5 },
  /** Counts must agree in more than this share of the pairs. */
  countShare: 0.5,
};

/** S18 Fig. 4: λ1(LB)/λ1(SB) = 21.3/5.3. */
export function paperRatio(): number {
  const f = fig4();
  return f.largeBatch[0] / f.smallBatch[0];
}

/** "About the same number of outliers": ±3 for a handful, ±50% for dozens. */
export function outlierCountsAgree(a: number, b: number): boolean {
  const lo = Math.min(a, b), hi = Math.max(a, b);
  return hi - lo <= BATCH.counts.difference || (lo > 0 && hi <= BATCH.counts.factor * lo);
}

export interface BatchPair {
  /** λ1 of the small-batch and large-batch end points. */
  sb: number;
  lb: number;
  /** Largest-ratio outlier counts of both. */
  outliersSb: number;
  outliersLb: number;
}

export interface BatchEvidence {
  pairs: BatchPair[];
}

export interface BatchStatistics {
  ratios: number[];
  median: number;
  interval: MedianInterval;
  /** Share of pairs whose outlier counts agree. */
  countsAgree: number;
  paperRatio: number;
}

export function batchStatistics(e: BatchEvidence): BatchStatistics {
  const ratios = e.pairs.map((p) => (p.sb > 0 ? p.lb / p.sb : Infinity));
  return {
    ratios,
    median: median(ratios),
    interval: medianInterval(ratios, BATCH.coverage),
    countsAgree: e.pairs.filter((p) => outlierCountsAgree(p.outliersSb, p.outliersLb)).length / Math.max(1, e.pairs.length),
    paperRatio: paperRatio(),
  };
}

export const claim8 = defineRule<BatchEvidence>({
  id: 'E4.claim8', claim: 8, section: 'E4', setting: 'paper',
  thresholds: () => {
    const p = paperRatio();
    return `over the seed pairs, r = λ1(LB)/λ1(SB) with its median and the order-statistic interval for the median (coverage ≥ ${pctText(BATCH.coverage)} where the number of pairs allows); ` +
      `reproduced if the interval lies above 1, the median is within a factor ${BATCH.band} of S18’s ×${p.toFixed(2)} (${(p / BATCH.band).toFixed(2)}–${(p * BATCH.band).toFixed(2)}), ` +
      `and the largest-ratio outlier counts (among the top ${OUTLIER_WINDOW} eigenvalues ≥ ${num(OUTLIER_FLOOR)}·λmax) differ by ≤ ${BATCH.counts.difference} or a factor ≤ ${BATCH.counts.factor} in more than ${pctText(BATCH.countShare)} of the pairs; ` +
      'not reproduced if the median is ≤ 1 (the large batch is not sharper); partly otherwise';
  },
  check: (e) => {
    const s = batchStatistics(e);
    if (!(s.median > 1)) return 'not';
    const inBand = s.median >= s.paperRatio / BATCH.band && s.median <= s.paperRatio * BATCH.band;
    return s.interval.lo > 1 && inBand && s.countsAgree > BATCH.countShare ? 'reproduced' : 'partly';
  },
});
