/**
 * Claims 3–6: the outliers against the number of classes (3) and the separability of the data
 * (4), and what changes with the width of the network (5, 6).
 */
import { defineRule, num, pctText } from './rule';
import { isKOrKMinus1, OUTLIER_FLOOR, OUTLIER_WINDOW } from './measures';
import { maxRelativeDeviation } from './stats';

const COUNT_RULES = `S18’s largest-gap and largest-ratio rules, among the top ${OUTLIER_WINDOW} eigenvalues ≥ ${num(OUTLIER_FLOOR)}·λmax`;

// ---- claim 3: k or k − 1 outliers -------------------------------------------------------------

export const K_OUTLIERS = { reproduced: 0.75, partly: 0.4 };

export interface KOutliersEvidence {
  /** ReLU runs: the number of classes and the outlier count of each rule. */
  runs: { k: number; gap: number; ratio: number }[];
}

export function kOutlierShares(e: KOutliersEvidence): { gap: number; ratio: number } {
  const n = Math.max(1, e.runs.length);
  return {
    gap: e.runs.filter((r) => isKOrKMinus1(r.gap, r.k)).length / n,
    ratio: e.runs.filter((r) => isKOrKMinus1(r.ratio, r.k)).length / n,
  };
}

export const claim3 = defineRule<KOutliersEvidence>({
  id: 'E2.claim3', claim: 3, section: 'E2', setting: 'paper',
  thresholds: () =>
    `the share of ReLU runs whose outlier count is k or k−1, by each of ${COUNT_RULES}: reproduced if both rules reach ${pctText(K_OUTLIERS.reproduced)}, ` +
    `partly if at least one reaches ${pctText(K_OUTLIERS.partly)}, not reproduced otherwise`,
  check: (e) => {
    const s = kOutlierShares(e);
    return Math.min(s.gap, s.ratio) >= K_OUTLIERS.reproduced ? 'reproduced' : Math.max(s.gap, s.ratio) >= K_OUTLIERS.partly ? 'partly' : 'not';
  },
});

// ---- claim 4: less separable data, larger and more outliers ------------------------------------

export const SEPARABILITY = { share: 0.75, contradicted: 0.5 };

export interface SeparabilityEvidence {
  /** Pairs of runs differing only in the covariance (×1, ×10): λ1 and the outlier count (larger of the two rules). */
  pairs: { lambda1: [number, number]; outliers: [number, number] }[];
}

export function separabilityShares(e: SeparabilityEvidence): { larger: number; more: number } {
  const n = Math.max(1, e.pairs.length);
  return {
    larger: e.pairs.filter((p) => p.lambda1[1] > p.lambda1[0]).length / n,
    more: e.pairs.filter((p) => p.outliers[1] >= p.outliers[0]).length / n,
  };
}

export const claim4 = defineRule<SeparabilityEvidence>({
  id: 'E2.claim4', claim: 4, section: 'E2', setting: 'paper',
  thresholds: () =>
    `pairs of ReLU runs at covariance ×1 vs ×10 (less separable): reproduced if λ1 grows in ≥ ${pctText(SEPARABILITY.share)} of pairs and the outlier count ` +
    `(the larger of the gap and ratio rules) does not drop in ≥ ${pctText(SEPARABILITY.share)}; not reproduced if λ1 grows in fewer than ${pctText(SEPARABILITY.contradicted)}; partly otherwise`,
  check: (e) => {
    const s = separabilityShares(e);
    return s.larger >= SEPARABILITY.share && s.more >= SEPARABILITY.share ? 'reproduced' : s.larger < SEPARABILITY.contradicted ? 'not' : 'partly';
  },
});

// ---- claim 5: the top of the spectrum does not move with the width -----------------------------

export const WIDTH = {
  /** λ1 within ±this of the widths' mean ("within ~±15–25%"). */
  deviation: 0.25,
  /** λ1 deviating by more than this contradicts the claim. */
  contradicted: 0.5,
  /** "Outlier count unchanged": counts differ by at most this across widths. */
  countSpread: 1,
};

export function steady(counts: number[]): boolean {
  return Math.max(...counts) - Math.min(...counts) <= WIDTH.countSpread;
}

export interface WidthEvidence {
  lambda1: number[];
  gap: number[];
  ratio: number[];
}

export const claim5 = defineRule<WidthEvidence>({
  id: 'E3.claim5', claim: 5, section: 'E3', setting: 'paper',
  thresholds: () =>
    `reproduced if every λ1 is within ±${pctText(WIDTH.deviation)} of the widths’ mean and the largest-gap outlier counts (among the top ${OUTLIER_WINDOW} eigenvalues ≥ ${num(OUTLIER_FLOOR)}·λmax) ` +
    `differ by ≤ ${WIDTH.countSpread} across widths; not reproduced if some λ1 is more than ±${pctText(WIDTH.contradicted)} off the mean; partly otherwise. ` +
    'The gap rule is the one whose counts are steady on S18’s own Fig. 3 points (2, 1, 2, 1; the largest-ratio rule gives 2, 7, 2, 3 there), so the ratio counts are reported, not graded',
  check: (e) => {
    const dev = maxRelativeDeviation(e.lambda1);
    return dev > WIDTH.contradicted ? 'not' : dev <= WIDTH.deviation && steady(e.gap) ? 'reproduced' : 'partly';
  },
});

// ---- claim 6: the negative fraction does not move with the width --------------------------------

export const NEGATIVE_FRACTION = {
  /** Negatives are λ < −this, as in S18 Fig. 5. */
  tolerance: 1e-6,
  /** max/min of the fractions across widths. */
  factor: 2,
  partlyFactor: 4,
};

export const claim6 = defineRule<{ negativeFraction: number[] }>({
  id: 'E3.claim6', claim: 6, section: 'E3', setting: 'paper',
  thresholds: () =>
    `fractions of λ < −${num(NEGATIVE_FRACTION.tolerance)} across widths: reproduced if all are > 0 and within a factor ${NEGATIVE_FRACTION.factor} of each other; ` +
    `partly within a factor ${NEGATIVE_FRACTION.partlyFactor}; not reproduced otherwise`,
  check: (e) => {
    const lo = Math.min(...e.negativeFraction), hi = Math.max(...e.negativeFraction);
    const ratio = lo > 0 ? hi / lo : Infinity;
    return ratio <= NEGATIVE_FRACTION.factor ? 'reproduced' : ratio <= NEGATIVE_FRACTION.partlyFactor ? 'partly' : 'not';
  },
});
