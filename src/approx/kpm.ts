/**
 * Spectral density by the kernel polynomial method (Weisse, Wellein, Alvermann & Fehske 2006; Lin,
 * Saad & Yang 2016): the operator is mapped into [-1, 1] as (A - c) / h, the Chebyshev moments
 * mu_m = tr T_m((A - c)/h) / n are estimated with unit-norm probes, and the density is the damped
 * Chebyshev series
 *   rho(x) = [g_0 mu_0 + 2 sum_{m>=1} g_m mu_m T_m(x)] / (pi sqrt(1 - x^2))
 * with Jackson damping g_m (a positive kernel: no Gibbs oscillations) or none.
 * Cost: the recurrence gives TWO moments per product (mu_2m = 2 w_m.w_m - mu_0,
 * mu_2m+1 = 2 w_m+1.w_m - mu_1), so `moments` moments cost ceil(moments / 2) products per probe,
 * plus the products of the Lanczos run that bounds the spectrum (unless bounds are given).
 * Defaults: 200 moments (100 products per probe, SLQ's default budget), 1 Rademacher probe.
 * The CDF has a closed form in theta = arccos x, which the Wasserstein distance uses.
 */
import { Rng } from '../data/rng';
import { rangeError, requireFiniteNumber, requireInteger, requireOneOf, throwIfAborted, typeError, orDefault } from '../util/errors';
import { lanczosProcess } from './lanczos';
import { LinearOperator } from './operator';
import { tridiagonalEigen } from './tridiagonal';
import { column, dot, PROBE_KINDS, ProbeKind, toBlock, unitProbe } from './vectors';

export interface KpmOptions {
  /** Number of Chebyshev moments (default 200). */
  moments?: number;
  /** Probes (default 1). */
  probes?: number;
  probe?: ProbeKind;
  /** Spectral bounds [lo, hi]; by default from a `boundSteps`-step Lanczos run, widened by its residuals and `margin`. */
  bounds?: [number, number];
  /** Lanczos steps for the bounds (default 20). */
  boundSteps?: number;
  /** Relative widening of the bounds (default 0.05 of the width). */
  margin?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface KpmResult {
  /** mu_0..mu_{D-1}, averaged over probes. */
  moments: Float64Array;
  /** The affine map: x = (lambda - center) / halfWidth. */
  center: number;
  halfWidth: number;
  probes: number;
  matvecs: number;
}

export async function kpm(op: LinearOperator, options: KpmOptions = {}): Promise<KpmResult> {
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const n = op.n;
  const D = requireInteger('options.moments', options.moments ?? 200, 2);
  const probes = requireInteger('options.probes', options.probes ?? 1, 1);
  const kind = requireOneOf('options.probe', orDefault(options.probe, 'rademacher'), PROBE_KINDS);
  const margin = requireFiniteNumber('options.margin', options.margin ?? 0.05, 0);
  const rng = new Rng(requireInteger('options.seed', options.seed ?? 0, 0));
  const before = op.matvecs;
  let lo: number, hi: number;
  if (options.bounds !== undefined) {
    if (!Array.isArray(options.bounds) || options.bounds.length !== 2) throw typeError('options.bounds', 'a pair [lo, hi]', options.bounds);
    lo = requireFiniteNumber('options.bounds[0]', options.bounds[0]);
    hi = requireFiniteNumber('options.bounds[1]', options.bounds[1]);
    if (!(hi > lo)) throw rangeError('options.bounds', 'lo < hi', options.bounds);
  } else {
    const steps = requireInteger('options.boundSteps', options.boundSteps ?? 20, 2);
    const [run] = await lanczosProcess(op, [unitProbe(n, 'gaussian', rng)], { steps, rng, signal: options.signal });
    const m = run.alpha.length;
    const { values, rows } = tridiagonalEigen(run.alpha, run.beta, [m - 1]);
    const last = rows.get(m - 1)!;
    const bm = run.beta[m - 1];
    lo = values[0] - Math.abs(bm * last[0]);
    hi = values[m - 1] + Math.abs(bm * last[m - 1]);
  }
  const width = Math.max(hi - lo, 1e-12 * Math.max(1, Math.abs(hi)));
  lo -= margin * width;
  hi += margin * width;
  const center = (lo + hi) / 2, halfWidth = (hi - lo) / 2;
  const scaled = async (block: Float64Array, k: number) => {
    const out = await op.apply(block, k, options.signal);
    for (let i = 0; i < out.length; i++) out[i] = (out[i] - center * block[i]) / halfWidth;
    return out;
  };
  const mu = new Float64Array(D);
  const starts = Array.from({ length: probes }, () => unitProbe(n, kind, rng));
  let prev = toBlock(starts, n);
  let cur = await scaled(prev, probes);
  const pairDot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let t = 0; t < probes; t++) s += dot(column(a, n, t), column(b, n, t));
    return s / probes;
  };
  mu[0] = pairDot(prev, prev);
  mu[1] = pairDot(cur, prev);
  // After w_{m+1}: mu_{2m} and mu_{2m+1} (m >= 1).
  for (let m = 1; 2 * m < D; m++) {
    throwIfAborted(options.signal);
    mu[2 * m] = 2 * pairDot(cur, cur) - mu[0];
    if (2 * m + 1 >= D) break;
    const next = await scaled(cur, probes);
    for (let i = 0; i < next.length; i++) next[i] = 2 * next[i] - prev[i];
    mu[2 * m + 1] = 2 * pairDot(next, cur) - mu[1];
    prev = cur;
    cur = next;
  }
  return { moments: mu, center, halfWidth, probes, matvecs: op.matvecs - before };
}

export const DAMPINGS = ['jackson', 'none'] as const;

/** Jackson damping factors g_0..g_{D-1}. */
export function jacksonKernel(D: number): Float64Array {
  const a = Math.PI / (D + 1);
  return Float64Array.from({ length: D }, (_, m) => ((D - m + 1) * Math.cos(a * m) + Math.sin(a * m) / Math.tan(a)) / (D + 1));
}

function damping(D: number, kind: (typeof DAMPINGS)[number]): Float64Array {
  return requireOneOf('damping', kind, DAMPINGS) === 'jackson' ? jacksonKernel(D) : new Float64Array(D).fill(1);
}

/** The exact moments tr T_m((A - c)/h) / n of a known spectrum: "the same smoothing" of the truth. */
export function chebyshevMoments(eigenvalues: Float64Array, D: number, center: number, halfWidth: number): Float64Array {
  const mu = new Float64Array(D);
  for (const lambda of eigenvalues) {
    const x = Math.max(-1, Math.min(1, (lambda - center) / halfWidth));
    let t0 = 1, t1 = x;
    mu[0] += 1;
    if (D > 1) mu[1] += x;
    for (let m = 2; m < D; m++) {
      const t2 = 2 * x * t1 - t0;
      mu[m] += t2;
      t0 = t1;
      t1 = t2;
    }
  }
  for (let m = 0; m < D; m++) mu[m] /= eigenvalues.length;
  return mu;
}

/** The density in lambda on the given grid (0 outside the mapped interval). */
export function kpmDensity(moments: Float64Array, center: number, halfWidth: number, grid: Float64Array, kind: (typeof DAMPINGS)[number] = 'jackson'): Float64Array {
  const D = moments.length, g = damping(D, kind);
  return Float64Array.from(grid, (lambda) => {
    const x = (lambda - center) / halfWidth;
    if (!(x > -1 && x < 1)) return 0;
    let t0 = 1, t1 = x, s = g[0] * moments[0] + (D > 1 ? 2 * g[1] * moments[1] * x : 0);
    for (let m = 2; m < D; m++) {
      const t2 = 2 * x * t1 - t0;
      s += 2 * g[m] * moments[m] * t2;
      t0 = t1;
      t1 = t2;
    }
    return s / (Math.PI * Math.sqrt(1 - x * x) * halfWidth);
  });
}

/** The CDF F(lambda) of the damped series (closed form in theta = arccos x). */
export function kpmCdf(moments: Float64Array, center: number, halfWidth: number, kind: (typeof DAMPINGS)[number] = 'jackson'): (lambda: number) => number {
  const D = moments.length, g = damping(D, kind);
  return (lambda) => {
    const x = (lambda - center) / halfWidth;
    if (x <= -1) return 0;
    if (x >= 1) return g[0] * moments[0];
    const theta = Math.acos(x);
    let s = (g[0] * moments[0] * (Math.PI - theta)) / Math.PI;
    for (let m = 1; m < D; m++) s -= (2 * g[m] * moments[m] * Math.sin(m * theta)) / (m * Math.PI);
    return s;
  };
}

/**
 * L1 distance between the densities of two moment sequences on the same map: exact up to the
 * quadrature, done in theta where the series is a smooth cosine sum (no endpoint singularity).
 */
export function kpmL1Distance(a: Float64Array, b: Float64Array, kind: (typeof DAMPINGS)[number] = 'jackson', points = 4096): number {
  if (a.length !== b.length) throw rangeError('moments', 'two sequences of the same length', `${a.length} and ${b.length}`);
  const D = a.length, g = damping(D, kind);
  let total = 0;
  for (let i = 0; i < points; i++) {
    const theta = (Math.PI * (i + 0.5)) / points;
    let s = g[0] * (a[0] - b[0]);
    for (let m = 1; m < D; m++) s += 2 * g[m] * (a[m] - b[m]) * Math.cos(m * theta);
    total += Math.abs(s);
  }
  return total / points; // (1/pi) * integral over [0, pi] by the midpoint rule
}
