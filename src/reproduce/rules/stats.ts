/** Small statistics for the rules: medians, a distribution-free interval for the median, spreads. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** P(Bin(n, 1/2) ≤ j). */
function binomialHalfCdf(n: number, j: number): number {
  let term = 0.5 ** n, sum = 0;
  for (let i = 0; i <= j; i++) {
    sum += term;
    term *= (n - i) / (i + 1);
  }
  return sum;
}

export interface MedianInterval {
  lo: number;
  hi: number;
  /** The order statistics used (1-based ranks j and n + 1 − j). */
  ranks: [number, number];
  /** Exact coverage of [x(j), x(n+1−j)] for the median of any continuous distribution. */
  coverage: number;
}

/**
 * The order-statistic interval for the median: [x(j), x(n+1−j)] covers the population median with
 * probability 1 − 2·P(Bin(n, ½) ≤ j − 1), whatever the distribution. Takes the narrowest such
 * interval whose coverage is at least `coverage`; with too few values (n ≤ 4 for 90%) the widest
 * one, [min, max], whose smaller coverage is returned.
 */
export function medianInterval(xs: readonly number[], coverage: number): MedianInterval {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  if (n === 0) return { lo: NaN, hi: NaN, ranks: [0, 0], coverage: 0 };
  const cover = (j: number) => 1 - 2 * binomialHalfCdf(n, j - 1);
  let j = 1;
  while (j + 1 <= Math.ceil(n / 2) && cover(j + 1) >= coverage) j++;
  return { lo: s[j - 1], hi: s[n - j], ranks: [j, n + 1 - j], coverage: Math.max(0, cover(j)) };
}

/** Largest relative deviation from the mean: max_i |x_i − mean| / |mean| (0 for one value). */
export function maxRelativeDeviation(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.max(...values.map((v) => Math.abs(v - mean) / Math.abs(mean)));
}
