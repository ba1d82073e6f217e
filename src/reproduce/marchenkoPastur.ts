/**
 * The Marčenko–Pastur law (S18 App. B): the eigenvalues of C = XᵀX/N for N samples of d
 * independent coordinates of variance s², with ratio a = d/N ≤ 1, spread over
 * [s²(1 − √a)², s²(1 + √a)²] with density √((λ₊ − λ)(λ − λ₋)) / (2π s² a λ). A covariance spike
 * ℓ > 1 + √a (in units of s²) leaves the bulk as an outlier at s² ℓ (1 + a/(ℓ − 1)) (BBP).
 */
export interface MarchenkoPastur {
  lower: number;
  upper: number;
  density(lambda: number): number;
  /** CDF on the bulk, by the trapezoid rule on a fine grid (exact enough for a KS distance). */
  cdf(lambda: number): number;
}

export function marchenkoPastur(ratio: number, variance: number): MarchenkoPastur {
  if (!(ratio > 0 && ratio <= 1)) throw new RangeError(`ratio must be in (0, 1]; received ${ratio}`);
  if (!(variance > 0)) throw new RangeError(`variance must be > 0; received ${variance}`);
  const lower = variance * (1 - Math.sqrt(ratio)) ** 2, upper = variance * (1 + Math.sqrt(ratio)) ** 2;
  const density = (l: number) =>
    l <= lower || l >= upper ? 0 : Math.sqrt((upper - l) * (l - lower)) / (2 * Math.PI * variance * ratio * l);
  const n = 4000, grid = new Float64Array(n + 1), cum = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) grid[i] = lower + ((upper - lower) * i) / n;
  for (let i = 1; i <= n; i++) cum[i] = cum[i - 1] + 0.5 * (density(grid[i]) + density(grid[i - 1])) * (grid[i] - grid[i - 1]);
  const total = cum[n];
  const cdf = (l: number) => {
    if (l <= lower) return 0;
    if (l >= upper) return 1;
    const t = ((l - lower) / (upper - lower)) * n, i = Math.floor(t);
    return (cum[i] + (t - i) * (cum[Math.min(n, i + 1)] - cum[i])) / total;
  };
  return { lower, upper, density, cdf };
}

/** Kolmogorov distance sup |F_emp − F| between the empirical CDF of `values` and `cdf`. */
export function kolmogorovDistance(values: ArrayLike<number>, cdf: (x: number) => number): number {
  const v = Array.from(values).sort((a, b) => a - b), n = v.length;
  let d = 0;
  v.forEach((x, i) => {
    const F = cdf(x);
    d = Math.max(d, Math.abs((i + 1) / n - F), Math.abs(i / n - F));
  });
  return d;
}

/** The BBP position of a spike ℓ (in units of the variance) for ratio a, or null below the threshold. */
export function bbpOutlier(spike: number, ratio: number, variance: number): number | null {
  return spike > 1 + Math.sqrt(ratio) ? variance * spike * (1 + ratio / (spike - 1)) : null;
}
