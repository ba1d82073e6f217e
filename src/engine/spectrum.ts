/**
 * Summaries of a spectrum (eigenvalues in ascending order), with the outlier rules of
 * Sagun et al. 2018: the number of eigenvalues above the largest consecutive gap, above the
 * largest consecutive ratio, and above an "elbow" threshold, all among the top of the spectrum.
 *
 * Signs near zero are rounding, not curvature: an eigensolver returns the eigenvalues of a matrix
 * within about M·ε·‖A‖₂ = M·ε·max|λ| of the exact ones, so by default |λ| ≤ that tolerance counts
 * as zero, not negative (on a small trained convnet 196 of 236 "negative" eigenvalues lie below
 * 1e-12). The counts against 0 itself are kept beside, as raw counts.
 */
import { isFloat64Array, optionsObject, rangeError, requireAllFinite, requireFiniteNumber, requireInteger, typeError } from '../util/errors';

export interface SpectrumSummaryOptions {
  /** How many of the largest / smallest eigenvalues to list (default 10). */
  k?: number;
  /** Fractions of |lambda| below these (default 1e-4, 1e-3). */
  thresholds?: number[];
  /** The elbow threshold for counting outliers (default: none). */
  outlierThreshold?: number;
  /** The gap and ratio rules look at the top `window` eigenvalues (default min(M - 1, 200)). */
  window?: number;
  /**
   * |lambda| <= zeroTolerance counts as zero: negative means lambda < -zeroTolerance and positive
   * lambda > zeroTolerance. Default: ZERO_TOLERANCE_RULE, M * epsilon * max|lambda|.
   */
  zeroTolerance?: number;
  /** The same as zeroTolerance (its earlier name); zeroTolerance wins when both are given. */
  negativeTolerance?: number;
  /** The unit roundoff of the precision the eigenvalues were computed in (default float64's, 2^-52). */
  epsilon?: number;
}

/** The default zero tolerance, as stated in summaries and analysis.json. */
export const ZERO_TOLERANCE_RULE = 'M * epsilon * max|lambda|';

/** Unit roundoff of each matrix precision (the `epsilon` of the default zero tolerance). */
export const EPSILON = { float64: Number.EPSILON, float32: 2 ** -23 } as const;

/** The default zero tolerance of a spectrum of M eigenvalues whose largest magnitude is maxAbs. */
export function defaultZeroTolerance(M: number, maxAbs: number, epsilon: number = EPSILON.float64): number {
  return M * epsilon * maxAbs;
}

export interface SpectrumSummary {
  count: number;
  trace: number;
  mean: number;
  min: number;
  max: number;
  /** The k largest, descending. */
  top: number[];
  /** The k smallest, ascending. */
  bottom: number[];
  /** For each threshold t (as a string key), the fraction of eigenvalues with |lambda| < t. */
  fractionAbsBelow: Record<string, number>;
  /** |lambda| <= zeroTolerance counts as zero (see SpectrumSummaryOptions.zeroTolerance). */
  zeroTolerance: number;
  /** How zeroTolerance was chosen: ZERO_TOLERANCE_RULE with its M and epsilon, or "given". */
  zeroToleranceRule: string;
  /** lambda < -zeroTolerance. */
  negativeCount: number;
  negativeFraction: number;
  /** |lambda| <= zeroTolerance. */
  zeroCount: number;
  /** lambda > zeroTolerance. */
  positiveCount: number;
  /** lambda < 0, rounding included: what negativeCount was before the zero tolerance. */
  rawNegativeCount: number;
  rawNegativeFraction: number;
  /** |lambda_min| / lambda_max (0 when lambda_max <= 0). */
  negativeToPositiveRatio: number;
  outliers: {
    largestGap: { count: number; gap: number };
    largestRatio: { count: number; ratio: number };
    threshold?: { threshold: number; count: number };
  };
}

function isAscending(v: ArrayLike<number>): boolean {
  for (let i = 1; i < v.length; i++) if (v[i] < v[i - 1]) return false;
  return true;
}

/** Outlier count = number of eigenvalues above the largest gap among the top `window` (descending). */
export function outliersByLargestGap(ascending: ArrayLike<number>, window: number): { count: number; gap: number } {
  const n = ascending.length;
  let best = { count: 0, gap: -Infinity };
  for (let i = 1; i <= Math.min(window, n - 1); i++) {
    const gap = ascending[n - i] - ascending[n - i - 1];
    if (gap > best.gap) best = { count: i, gap };
  }
  return best.count === 0 ? { count: 0, gap: 0 } : best;
}

/** Outlier count = number of eigenvalues above the largest ratio lambda_i / lambda_{i+1} (both > 0). */
export function outliersByLargestRatio(ascending: ArrayLike<number>, window: number): { count: number; ratio: number } {
  const n = ascending.length;
  let best = { count: 0, ratio: 1 };
  for (let i = 1; i <= Math.min(window, n - 1); i++) {
    const hi = ascending[n - i], lo = ascending[n - i - 1];
    if (lo <= 0) break;
    if (hi / lo > best.ratio) best = { count: i, ratio: hi / lo };
  }
  return best;
}

const SUMMARY_KEYS = ['k', 'thresholds', 'outlierThreshold', 'window', 'zeroTolerance', 'negativeTolerance', 'epsilon'];

export function summarizeSpectrum(values: Float64Array | number[], options?: SpectrumSummaryOptions): SpectrumSummary {
  if (!isFloat64Array(values) && !Array.isArray(values)) throw typeError('values', 'a Float64Array or number[]', values);
  const n = values.length;
  if (n === 0) throw rangeError('values', 'a non-empty spectrum', values);
  requireAllFinite('values', values);
  if (!isAscending(values)) throw rangeError('values', 'sorted ascending (as eigen() returns them)', values);
  options = optionsObject('options', options);
  for (const key of Object.keys(options))
    if (!SUMMARY_KEYS.includes(key)) throw new RangeError(`options has an unknown key "${key}" (allowed: ${SUMMARY_KEYS.join(', ')})`);
  const k = Math.min(options.k === undefined ? 10 : requireInteger('options.k', options.k, 1), n);
  const thresholds = options.thresholds === undefined ? [1e-4, 1e-3] : options.thresholds;
  if (!Array.isArray(thresholds)) throw typeError('options.thresholds', 'an array of positive numbers', thresholds);
  thresholds.forEach((t, i) => requireFiniteNumber(`options.thresholds[${i}]`, t, Number.MIN_VALUE));
  const epsilon = options.epsilon === undefined ? EPSILON.float64 : requireFiniteNumber('options.epsilon', options.epsilon, 0);
  const given =
    options.zeroTolerance !== undefined ? requireFiniteNumber('options.zeroTolerance', options.zeroTolerance, 0)
    : options.negativeTolerance !== undefined ? requireFiniteNumber('options.negativeTolerance', options.negativeTolerance, 0)
    : undefined;
  const maxAbs = Math.max(Math.abs(values[0]), Math.abs(values[n - 1]));
  const tol = given ?? defaultZeroTolerance(n, maxAbs, epsilon);
  const rule = given !== undefined ? 'given' : `${ZERO_TOLERANCE_RULE} (M = ${n}, epsilon = ${epsilon.toExponential(3)})`;
  const window = options.window === undefined ? Math.min(n - 1, 200) : requireInteger('options.window', options.window, 1);
  if (options.outlierThreshold !== undefined) requireFiniteNumber('options.outlierThreshold', options.outlierThreshold);
  let trace = 0, neg = 0, pos = 0, rawNeg = 0;
  const below = thresholds.map(() => 0);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    trace += v;
    if (v < -tol) neg++;
    else if (v > tol) pos++;
    if (v < 0) rawNeg++;
    thresholds.forEach((t, j) => { if (Math.abs(v) < t) below[j]++; });
  }
  const fractionAbsBelow: Record<string, number> = {};
  thresholds.forEach((t, j) => { fractionAbsBelow[String(t)] = below[j] / n; });
  const max = values[n - 1], min = values[0];
  const summary: SpectrumSummary = {
    count: n,
    trace,
    mean: trace / n,
    min,
    max,
    top: Array.from({ length: k }, (_, i) => values[n - 1 - i]),
    bottom: Array.from({ length: k }, (_, i) => values[i]),
    fractionAbsBelow,
    zeroTolerance: tol,
    zeroToleranceRule: rule,
    negativeCount: neg,
    negativeFraction: neg / n,
    zeroCount: n - neg - pos,
    positiveCount: pos,
    rawNegativeCount: rawNeg,
    rawNegativeFraction: rawNeg / n,
    negativeToPositiveRatio: max > 0 && min < 0 ? -min / max : 0,
    outliers: { largestGap: outliersByLargestGap(values, window), largestRatio: outliersByLargestRatio(values, window) },
  };
  if (options.outlierThreshold !== undefined) {
    let c = 0;
    for (let i = n - 1; i >= 0 && values[i] > options.outlierThreshold; i--) c++;
    summary.outliers.threshold = { threshold: options.outlierThreshold, count: c };
  }
  return summary;
}
