/**
 * Spectral density by stochastic Lanczos quadrature (Ghorbani, Krishnan & Xiao 2019; PyHessian's
 * `hessian.density`). Each probe v (unit norm) gives a Gauss quadrature of its spectral measure
 * sum_j (v.u_j)^2 delta_{lambda_j}: nodes = Ritz values of its m-step Lanczos tridiagonal T,
 * weights = squared first components of T's eigenvectors. The average over probes estimates the
 * spectral measure (1/n) sum_j delta_{lambda_j}; its smoothing by a narrow kernel is the density.
 * Defaults are PyHessian's: 100 steps, 1 Rademacher probe, full reorthogonalisation, Gaussian
 * kernel of variance 1e-5 * max(1, lambda_max - lambda_min) on 10,000 points spanning the
 * nodes +- 0.01, normalised so the grid sum times the spacing is 1. Probes run in lock step (one
 * block product per step).
 */
import { Rng } from '../data/rng';
import { isFloat64Array, requireFiniteNumber, requireInteger, requireOneOf, typeError, orDefault } from '../util/errors';
import { lanczosProcess } from './lanczos';
import { LinearOperator } from './operator';
import { tridiagonalEigen } from './tridiagonal';
import { PROBE_KINDS, ProbeKind, unitProbe } from './vectors';

export interface SlqOptions {
  /** Lanczos steps per probe (default 100). */
  steps?: number;
  /** Probes (default 1, PyHessian's n_v). */
  probes?: number;
  probe?: ProbeKind;
  seed?: number;
  signal?: AbortSignal;
}

export interface SpectralMeasure {
  /** Atoms (ascending) and their weights (summing to 1). */
  nodes: Float64Array;
  weights: Float64Array;
}

export interface SlqResult extends SpectralMeasure {
  /** Per probe: its own nodes and weights (what PyHessian returns). */
  perProbe: SpectralMeasure[];
  steps: number;
  probes: number;
  matvecs: number;
}

export async function slq(op: LinearOperator, options: SlqOptions = {}): Promise<SlqResult> {
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const n = op.n;
  const steps = requireInteger('options.steps', options.steps ?? 100, 1);
  const probes = requireInteger('options.probes', options.probes ?? 1, 1);
  const kind = requireOneOf('options.probe', orDefault(options.probe, 'rademacher'), PROBE_KINDS);
  const rng = new Rng(requireInteger('options.seed', options.seed ?? 0, 0));
  const before = op.matvecs;
  const starts = Array.from({ length: probes }, () => unitProbe(n, kind, rng));
  const runs = await lanczosProcess(op, starts, { steps, rng, signal: options.signal });
  const perProbe = runs.map((run) => {
    const { values, rows } = tridiagonalEigen(run.alpha, run.beta, [0]);
    const first = rows.get(0)!;
    return { nodes: values, weights: Float64Array.from(first, (s) => s * s) };
  });
  return { ...mergeMeasures(perProbe), perProbe, steps: runs[0].alpha.length, probes, matvecs: op.matvecs - before };
}

/** The average of probability measures, as one measure with sorted atoms. */
export function mergeMeasures(measures: SpectralMeasure[]): SpectralMeasure {
  const atoms: [number, number][] = [];
  for (const m of measures) m.nodes.forEach((x, i) => atoms.push([x, m.weights[i] / measures.length]));
  atoms.sort((a, b) => a[0] - b[0]);
  return { nodes: Float64Array.from(atoms, (a) => a[0]), weights: Float64Array.from(atoms, (a) => a[1]) };
}

export const BROADENINGS = ['gaussian', 'lorentzian'] as const;

export interface DensityOptions {
  /** Grid points (default 10,000) over [min node - overhead, max node + overhead]; or an explicit grid. */
  bins?: number;
  grid?: Float64Array;
  /** Default 0.01 (PyHessian). */
  overhead?: number;
  /** gaussian (default) or lorentzian (Cauchy, half-width sqrt(variance)). */
  kernel?: (typeof BROADENINGS)[number];
  /** Kernel variance before scaling (default 1e-5). */
  variance?: number;
  /** Multiply the variance by max(1, lambda_max - lambda_min) of the grid (default true, PyHessian). */
  scaleVariance?: boolean;
  /** 'grid' (default, PyHessian): divide by sum * spacing; 'none': the kernels' own unit mass. */
  normalize?: 'grid' | 'none';
}

export interface Density {
  grid: Float64Array;
  density: Float64Array;
  /** The kernel variance actually used. */
  variance: number;
  kernel: 'gaussian' | 'lorentzian';
}

/** A measure smoothed by a kernel on a grid. Use the same options for the exact spectrum to compare like with like. */
export function smoothDensity(measure: SpectralMeasure, options: DensityOptions = {}): Density {
  const kernel = requireOneOf('options.kernel', orDefault(options.kernel, 'gaussian'), BROADENINGS);
  const overhead = requireFiniteNumber('options.overhead', options.overhead ?? 0.01, 0);
  let grid: Float64Array;
  if (options.grid !== undefined) {
    if (!isFloat64Array(options.grid) || options.grid.length < 2) throw typeError('options.grid', 'a Float64Array of at least 2 points', options.grid);
    for (let i = 1; i < options.grid.length; i++) if (!(options.grid[i] > options.grid[i - 1])) throw new RangeError(`options.grid must be strictly ascending; entry ${i} is not`);
    grid = options.grid;
  } else {
    const bins = requireInteger('options.bins', options.bins ?? 10000, 2);
    let lo = Infinity, hi = -Infinity;
    for (const x of measure.nodes) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
    grid = linspace(lo - overhead, hi + overhead, bins);
  }
  const lo = grid[0], hi = grid[grid.length - 1];
  let variance = requireFiniteNumber('options.variance', options.variance ?? 1e-5, Number.MIN_VALUE);
  if (options.scaleVariance ?? true) variance *= Math.max(1, hi - lo);
  const density = new Float64Array(grid.length);
  const cut = kernel === 'gaussian' ? Math.sqrt(variance) * 40 : Infinity; // exp(-800) underflows anyway
  const norm = kernel === 'gaussian' ? 1 / Math.sqrt(2 * Math.PI * variance) : Math.sqrt(variance) / Math.PI;
  measure.nodes.forEach((x0, j) => {
    const w = measure.weights[j];
    // The grid is ascending: only the points within the kernel's cut-off are visited.
    for (let i = Number.isFinite(cut) ? lowerBound(grid, x0 - cut) : 0; i < grid.length; i++) {
      const d = grid[i] - x0;
      if (d > cut) break;
      density[i] += w * (kernel === 'gaussian' ? norm * Math.exp((-d * d) / (2 * variance)) : norm / (d * d + variance));
    }
  });
  if ((options.normalize ?? 'grid') === 'grid') {
    const spacing = (hi - lo) / (grid.length - 1);
    let s = 0;
    for (const v of density) s += v;
    if (s > 0) for (let i = 0; i < density.length; i++) density[i] /= s * spacing;
  } else {
    requireOneOf('options.normalize', options.normalize, ['grid', 'none'] as const);
  }
  return { grid, density, variance, kernel };
}

/** First index i with sorted[i] >= x (sorted.length if none). */
export function lowerBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

export function linspace(lo: number, hi: number, count: number): Float64Array {
  return Float64Array.from({ length: count }, (_, i) => (count === 1 ? lo : lo + ((hi - lo) * i) / (count - 1)));
}

/** The exact spectral measure: 1/n on each eigenvalue. */
export function exactMeasure(eigenvalues: Float64Array): SpectralMeasure {
  const nodes = Float64Array.from(eigenvalues).sort();
  return { nodes, weights: new Float64Array(nodes.length).fill(1 / nodes.length) };
}
