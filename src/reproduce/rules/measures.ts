/**
 * The numbers the rules are stated in, computed from spectra: outlier counts by S18's two
 * scale-free rules, fractions of small eigenvalues, the shape of the negative side. Spectra are
 * ascending (LAPACK's order).
 */
import { outliersByLargestGap, outliersByLargestRatio } from '../../engine/spectrum';

export interface OutlierCounts {
  /** Eigenvalues above the largest consecutive gap among the top `window`. */
  gap: number;
  /** Eigenvalues above the largest consecutive ratio λ_i/λ_{i+1} (both positive). */
  ratio: number;
}

/**
 * The outlier counts look among the top OUTLIER_WINDOW eigenvalues (room for k = 50 outliers and
 * the bulk edge) that are ≥ OUTLIER_FLOOR·λmax: ratios between eigenvalues at rounding level
 * (1e-15 / 1e-17 = 100) are not outliers.
 */
export const OUTLIER_WINDOW = 200;
export const OUTLIER_FLOOR = 1e-4;

export function outlierCounts(ascending: ArrayLike<number>, window = OUTLIER_WINDOW): OutlierCounts {
  const n = ascending.length;
  const floor = OUTLIER_FLOOR * ascending[n - 1];
  let above = 0;
  while (above < n && ascending[n - 1 - above] >= floor) above++;
  const w = Math.max(1, Math.min(window, n - 1, above - 1));
  return { gap: outliersByLargestGap(ascending, w).count, ratio: outliersByLargestRatio(ascending, w).count };
}

/** S18: "about one outlier per class (k or k−1)". */
export function isKOrKMinus1(count: number, k: number): boolean {
  return count === k || count === k - 1;
}

export function fractionAbsBelow(values: ArrayLike<number>, t: number): number {
  let c = 0;
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]) < t) c++;
  return values.length ? c / values.length : 0;
}

export interface NegativeShape {
  negativeFraction: number;
  /** |λ_min| / λ_max (0 when there is no negative eigenvalue). */
  ratio: number;
}

export function negativeShape(ascending: ArrayLike<number>, tolerance = 0): NegativeShape {
  const n = ascending.length;
  let neg = 0;
  for (let i = 0; i < n; i++) if (ascending[i] < -tolerance) neg++;
  const max = ascending[n - 1], min = ascending[0];
  return { negativeFraction: n ? neg / n : 0, ratio: max > 0 && min < 0 ? -min / max : 0 };
}

/** Descending top-k of an ascending array. */
export function topDesc(ascending: ArrayLike<number>, k: number): number[] {
  const n = ascending.length;
  return Array.from({ length: Math.min(k, n) }, (_, i) => ascending[n - 1 - i]);
}
