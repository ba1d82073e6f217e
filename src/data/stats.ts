/** Summary statistics and affine rescaling of row-major N×d data. */

/** Mean and standard deviation over all entries (one scalar each). */
export function scalarStats(X: Float64Array): { mean: number; std: number } {
  let sum = 0;
  for (const v of X) sum += v;
  const mean = sum / X.length;
  let ss = 0;
  for (const v of X) ss += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(ss / X.length) };
}

/** Per-feature means and standard deviations (population, i.e. divided by N). */
export function featureStats(X: Float64Array, d: number): { mean: Float64Array; std: Float64Array } {
  const N = X.length / d;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < N; i++) for (let j = 0; j < d; j++) mean[j] += X[i * d + j] / N;
  for (let i = 0; i < N; i++) for (let j = 0; j < d; j++) std[j] += (X[i * d + j] - mean[j]) ** 2 / N;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]);
  return { mean, std };
}

/** In place: X[i, j] ← (X[i, j] − shift[j]) / scale[j]. */
export function standardize(X: Float64Array, d: number, shift: Float64Array, scale: Float64Array): void {
  for (let i = 0; i < X.length; i++) X[i] = (X[i] - shift[i % d]) / scale[i % d];
}
