/**
 * Claim 10 (S18 App. B): for logistic regression at w = 0 the Hessian is a sample covariance, so
 * its bulk follows Marčenko–Pastur and a planted covariance spike leaves it at the BBP position.
 * "H = G exactly" holds by construction for a linear model (R has no second derivative to carry):
 * it is checked in the engine tests, and casts no vote here.
 */
import { bbpOutlier, kolmogorovDistance, marchenkoPastur } from '../marchenkoPastur';
import { defineRule } from './rule';

export const LOGISTIC = {
  /** Kolmogorov distance between the bulk's empirical CDF and the MP law. */
  kolmogorov: 0.1,
  /** Relative distance of the top eigenvalue from the BBP prediction. */
  bbp: 0.1,
};

export interface LogisticEvidence {
  kolmogorov: number;
  outlier: number;
  bbp: number;
}

/** The evidence from the ascending spectrum: the top eigenvalue is the spike's, the rest the bulk. */
export function logisticEvidence(values: ArrayLike<number>, ratio: number, variance: number, spike: number): LogisticEvidence {
  const n = values.length;
  const bulk = Array.from({ length: n - 1 }, (_, i) => values[i]);
  return { kolmogorov: kolmogorovDistance(bulk, marchenkoPastur(ratio, variance).cdf), outlier: values[n - 1], bbp: bbpOutlier(spike, ratio, variance) ?? NaN };
}

export function bbpError(e: LogisticEvidence): number {
  return Math.abs(e.outlier - e.bbp) / e.bbp;
}

export const claim10 = defineRule<LogisticEvidence>({
  id: 'L1.claim10', claim: 10, section: 'L1', setting: 'paper',
  thresholds: () =>
    `reproduced if the bulk (all eigenvalues but the top one) is within Kolmogorov distance ${LOGISTIC.kolmogorov} of Marčenko–Pastur with ratio M/N ` +
    `and the top eigenvalue within ${100 * LOGISTIC.bbp}% of the BBP position; partly if only the bulk matches; not reproduced if it does not. ` +
    'H = G is a theorem for linear models, tested in the engine tests, and casts no vote',
  check: (e) => (!(e.kolmogorov <= LOGISTIC.kolmogorov) ? 'not' : bbpError(e) <= LOGISTIC.bbp ? 'reproduced' : 'partly'),
});
