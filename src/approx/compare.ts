/**
 * The comparison: the exact spectrum of H (or G) once, then each approximate method on an
 * operator — its wall time, its number of matrix-vector products, and its error against the
 * truth; optionally a sweep of smaller budgets (error vs products). compareMethods is the entry
 * point of both `hessian-lab compare` and the reproduction report; it returns data, which
 * src/report/compareFigures.ts and comparePage.ts draw.
 *
 * The operator is matrix-free (native products) by default, or the explicit dense matrix; either
 * over all samples or over a seeded mini-batch. The truth is always the full-data matrix, so with
 * a mini-batch the errors include mini-batch noise, and dense vs matrix-free shows that the two
 * paths agree (to rounding).
 */
import { computeCurvature, LabelledData, setThreads } from '../engine/curvature';
import { Matrix } from '../engine/matrix';
import { inputSize, ModelSpec, parameterCount } from '../engine/model';
import { ProgressCallback } from '../native/binding';
import { requireInteger, requireOneOf, throwIfAborted, typeError, orDefault } from '../util/errors';
import { hutchinsonDiagonal, hutchinsonTrace, hutchPlusPlus } from './hutchinson';
import { chebyshevMoments, kpm, kpmCdf, kpmDensity, kpmL1Distance } from './kpm';
import { lanczosEigen } from './lanczos';
import { diagonalErrors, eigenvectorAngles, l1Distance, relativeError, relativeErrors, wasserstein1, wasserstein1ToCdf } from './metrics';
import { curvatureOperator, denseOperator, LinearOperator, sampleBatch } from './operator';
import { powerIteration } from './power';
import { exactMeasure, linspace, slq, smoothDensity } from './slq';

export const METHOD_NAMES = ['power', 'lanczos', 'slq', 'kpm', 'hutchinson', 'hutchpp', 'diagonal'] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

export const METHOD_LABELS: Record<MethodName, string> = {
  power: 'power iteration + deflation (PyHessian)',
  lanczos: 'Lanczos, full reorthogonalisation',
  slq: 'stochastic Lanczos quadrature',
  kpm: 'kernel polynomial method (Jackson)',
  hutchinson: 'Hutchinson trace',
  hutchpp: 'Hutch++ trace',
  diagonal: 'Hutchinson diagonal',
};

/** The error each method is plotted by in the error-vs-products figure. */
export const PRINCIPAL_ERROR: Record<MethodName, string> = {
  power: 'max relative error of the top-k eigenvalues',
  lanczos: 'max relative error of the top-k eigenvalues',
  slq: 'W1 / (lambda_max - lambda_min)',
  kpm: 'W1 / (lambda_max - lambda_min)',
  hutchinson: 'relative trace error',
  hutchpp: 'relative trace error',
  diagonal: 'relative L2 diagonal error',
};

export interface CompareOptions {
  matrix?: 'hessian' | 'ggn';
  methods?: MethodName[];
  /** Eigenpairs compared at each end (default 5). */
  k?: number;
  /** matrix-free (default) or dense. */
  operator?: 'matrix-free' | 'dense';
  /** Mini-batch size for the operator (default: all samples). */
  batchSize?: number;
  seed?: number;
  /** Also run smaller budgets for the error-vs-products figure (default true). */
  sweep?: boolean;
  /** Per-method budgets: power.maxIter, lanczos.maxSteps, slq.steps/probes, kpm.moments/probes, hutchinson.probes, hutchpp.matvecs, diagonal.probes. */
  budgets?: Partial<{ powerIterations: number; lanczosSteps: number; slqSteps: number; slqProbes: number; kpmMoments: number; kpmProbes: number; traceProbes: number; hutchppMatvecs: number; diagonalProbes: number }>;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface MethodReport {
  method: MethodName;
  label: string;
  settings: Record<string, number | string>;
  seconds: number;
  matvecs: number;
  /** The error plotted in the figure (see PRINCIPAL_ERROR). */
  error: number;
  errors: Record<string, number | number[]>;
  estimates: Record<string, number | number[]>;
}

export interface SweepPoint {
  method: MethodName;
  matvecs: number;
  error: number;
  seconds: number;
}

export interface CompareResult {
  format: 'hessian-lab/compare@1';
  matrix: 'hessian' | 'ggn';
  parameters: number;
  samples: number;
  operator: 'matrix-free' | 'dense';
  batch: number | null;
  seed: number;
  k: number;
  exact: {
    eigenvalues: number[];
    trace: number;
    lambdaMin: number;
    lambdaMax: number;
    top: number[];
    bottom: number[];
    seconds: { assembly: number; eigensolve: number };
  };
  methods: MethodReport[];
  sweep: SweepPoint[];
  /** Densities on a common grid for the overlay figure (thinned). */
  densities: { grid: number[]; series: Record<string, number[]> };
}

interface Truth {
  values: Float64Array;
  topValues: Float64Array;
  topVectors: Float64Array[];
  bottomValues: Float64Array;
  bottomVectors: Float64Array[];
  diagonal?: Float64Array;
  trace: number;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const r = await work();
  return [r, Number(process.hrtime.bigint() - t) / 1e9];
}

const arr = (a: ArrayLike<number>) => Array.from(a);
const maxOf = (a: ArrayLike<number>) => Math.max(...arr(a));

/** Runs one method at one budget and measures its errors against the truth. */
async function runMethod(method: MethodName, op: LinearOperator, truth: Truth, k: number, seed: number, budget: number, extra: number, signal?: AbortSignal): Promise<MethodReport> {
  const width = truth.values[truth.values.length - 1] - truth.values[0] || 1;
  const base = { method, label: METHOD_LABELS[method] };
  switch (method) {
    case 'power': {
      const [r, seconds] = await timed(() => powerIteration(op, { k, maxIter: budget, seed, signal }));
      const sorted = Float64Array.from(r.values).sort().reverse();
      const order = arr(r.values).map((_, i) => i).sort((a, b) => r.values[b] - r.values[a]);
      const rel = relativeErrors(sorted, truth.topValues);
      return { ...base, settings: { k, maxIter: budget, tol: 1e-3 }, seconds, matvecs: r.matvecs, error: maxOf(rel),
        errors: { topRelative: arr(rel), angles: arr(eigenvectorAngles(order.map((i) => r.vectors[i]), truth.topVectors)) },
        estimates: { values: arr(r.values), iterations: r.iterations } };
    }
    case 'lanczos': {
      const [r, seconds] = await timed(() => lanczosEigen(op, { k, which: 'both', maxSteps: Math.min(budget, op.n), tol: 1e-10, seed, signal }));
      const relTop = relativeErrors(r.top!.values, truth.topValues), relBottom = relativeErrors(r.bottom!.values, truth.bottomValues);
      return { ...base, settings: { k, maxSteps: budget, tol: 1e-10 }, seconds, matvecs: r.matvecs, error: maxOf(relTop),
        errors: { topRelative: arr(relTop), topAngles: arr(eigenvectorAngles(r.top!.vectors!, truth.topVectors)),
          bottomRelative: arr(relBottom), bottomAngles: arr(eigenvectorAngles(r.bottom!.vectors!, truth.bottomVectors)) },
        estimates: { top: arr(r.top!.values), bottom: arr(r.bottom!.values), steps: r.steps, converged: r.converged ? 1 : 0 } };
    }
    case 'slq': {
      const [r, seconds] = await timed(() => slq(op, { steps: budget, probes: extra, seed, signal }));
      const exact = exactMeasure(truth.values);
      const w1 = wasserstein1(r, exact);
      // Both measures smoothed by PyHessian's kernel (the SLQ run's variance) on one grid.
      const lo = Math.min(r.nodes[0], truth.values[0]) - 0.01, hi = Math.max(r.nodes[r.nodes.length - 1], truth.values[truth.values.length - 1]) + 0.01;
      const grid = linspace(lo, hi, 10000);
      const est = smoothDensity(r, { grid, normalize: 'none' });
      const ref = smoothDensity(exact, { grid, normalize: 'none' });
      return { ...base, settings: { steps: budget, probes: extra, probe: 'rademacher', variance: est.variance }, seconds, matvecs: r.matvecs, error: w1 / width,
        errors: { wasserstein1: w1, wasserstein1Relative: w1 / width, densityL1: l1Distance(grid, est.density, ref.density) },
        estimates: { nodes: arr(r.nodes), weights: arr(r.weights) } };
    }
    case 'kpm': {
      const [r, seconds] = await timed(() => kpm(op, { moments: budget, probes: extra, seed, signal }));
      const exactMoments = chebyshevMoments(truth.values, budget, r.center, r.halfWidth);
      const w1 = wasserstein1ToCdf(exactMeasure(truth.values), kpmCdf(r.moments, r.center, r.halfWidth), r.center - r.halfWidth, r.center + r.halfWidth);
      return { ...base, settings: { moments: budget, probes: extra, damping: 'jackson' }, seconds, matvecs: r.matvecs, error: w1 / width,
        errors: { wasserstein1: w1, wasserstein1Relative: w1 / width, densityL1: kpmL1Distance(r.moments, exactMoments) },
        estimates: { center: r.center, halfWidth: r.halfWidth, moments: arr(r.moments) } };
    }
    case 'hutchinson': {
      const [r, seconds] = await timed(() => hutchinsonTrace(op, { probes: budget, tol: extra, seed, signal }));
      const rel = relativeError(r.estimate, truth.trace);
      return { ...base, settings: { probes: budget, tol: extra }, seconds, matvecs: r.matvecs, error: rel,
        errors: { traceRelative: rel, standardErrors: Math.abs(r.estimate - truth.trace) / r.standardError },
        estimates: { trace: r.estimate, standardError: r.standardError } };
    }
    case 'hutchpp': {
      const [r, seconds] = await timed(() => hutchPlusPlus(op, { matvecs: budget, seed, signal }));
      const rel = relativeError(r.estimate, truth.trace);
      return { ...base, settings: { matvecs: budget }, seconds, matvecs: r.matvecs, error: rel, errors: { traceRelative: rel }, estimates: { trace: r.estimate } };
    }
    case 'diagonal': {
      const [r, seconds] = await timed(() => hutchinsonDiagonal(op, { probes: budget, seed, signal }));
      const e = diagonalErrors(r.diagonal, truth.diagonal!);
      return { ...base, settings: { probes: budget }, seconds, matvecs: r.matvecs, error: e.relative, errors: { relativeL2: e.relative, maxAbs: e.maxAbs }, estimates: {} };
    }
  }
}

/** Main budget, probe count/tolerance, and the smaller budgets of the sweep, per method. */
function budgetsOf(o: CompareOptions, k: number, n: number) {
  const b = o.budgets ?? {};
  const pick = (name: string, v: number | undefined, d: number, min = 1) => requireInteger(`options.budgets.${name}`, v ?? d, min);
  const lanczos = Math.min(n, pick('lanczosSteps', b.lanczosSteps, Math.max(4 * k + 20, 60)));
  const table: Record<MethodName, { main: number; extra: number; sweep: number[] }> = {
    power: { main: pick('powerIterations', b.powerIterations, 100), extra: 0, sweep: [2, 5, 10, 25] },
    lanczos: { main: lanczos, extra: 0, sweep: [k + 2, 2 * k + 5, 3 * k + 10].filter((s) => s < lanczos) },
    slq: { main: pick('slqSteps', b.slqSteps, 100), extra: pick('slqProbes', b.slqProbes, 1), sweep: [10, 20, 40] },
    kpm: { main: pick('kpmMoments', b.kpmMoments, 200, 2), extra: pick('kpmProbes', b.kpmProbes, 1), sweep: [20, 40, 80] },
    hutchinson: { main: pick('traceProbes', b.traceProbes, 100), extra: 1e-3, sweep: [3, 10, 30] },
    hutchpp: { main: pick('hutchppMatvecs', b.hutchppMatvecs, 99, 3), extra: 0, sweep: [6, 15, 30] },
    diagonal: { main: pick('diagonalProbes', b.diagonalProbes, 100), extra: 0, sweep: [3, 10, 30] },
  };
  for (const m of METHOD_NAMES) table[m].sweep = table[m].sweep.filter((s) => s < table[m].main);
  return table;
}

function columns(vectors: Matrix, indices: number[]): Float64Array[] {
  return indices.map((j) => vectors.column(j));
}

function exactDiagonal(matrix: Matrix): Float64Array {
  return Float64Array.from({ length: matrix.rows }, (_, i) => matrix.block(i, i + 1, i, i + 1)[0]);
}

function checkOptions(options: CompareOptions, N: number) {
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const matrix = requireOneOf('options.matrix', orDefault(options.matrix, 'hessian'), ['hessian', 'ggn'] as const);
  const methods = options.methods ?? [...METHOD_NAMES];
  if (!Array.isArray(methods) || methods.length === 0) throw typeError('options.methods', `a non-empty array of ${METHOD_NAMES.join(' | ')}`, methods);
  methods.forEach((m, i) => requireOneOf(`options.methods[${i}]`, m, METHOD_NAMES));
  const operator = requireOneOf('options.operator', orDefault(options.operator, 'matrix-free'), ['matrix-free', 'dense'] as const);
  const batch = options.batchSize === undefined ? null : requireInteger('options.batchSize', options.batchSize, 1, N);
  const seed = requireInteger('options.seed', options.seed ?? 0, 0);
  if (options.sweep !== undefined && typeof options.sweep !== 'boolean') throw typeError('options.sweep', 'a boolean', options.sweep);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw typeError('options.onProgress', 'a function', options.onProgress);
  return { matrix, methods: METHOD_NAMES.filter((m) => methods.includes(m)), operator, batch, seed };
}

/**
 * Compares the approximate methods with the exact spectrum of one network's H or G.
 * Resolves to the JSON-ready result, including the densities of the overlay figure.
 */
export async function compareMethods(model: ModelSpec, params: Float64Array, data: LabelledData, options: CompareOptions = {}): Promise<CompareResult> {
  const N = data?.y?.length ?? 0;
  const { matrix, methods, operator, batch, seed } = checkOptions(options, Math.max(N, 1));
  const M = parameterCount(model);
  const k = requireInteger('options.k', options.k ?? 5, 1, Math.max(1, Math.floor(M / 2)));
  if (options.threads !== undefined) setThreads(options.threads);
  const budgets = budgetsOf(options, k, M);
  const report = (stage: string, f: number) => options.onProgress?.(stage, f);
  const signal = options.signal;
  const disposables: Matrix[] = [];
  try {
    // ---- the truth, once
    const assembled = await computeCurvature(model, params, data, { matrices: [matrix], signal, onProgress: (s, f) => report(`exact: ${s}`, f) });
    const H = assembled.matrices[matrix]!;
    disposables.push(H);
    const [full, eigSeconds] = await timed(async () => {
      const values = (await H.eigen({ signal, onProgress: (s, f) => report(`exact: eigensolve`, f) })).values;
      const needVectors = methods.includes('power') || methods.includes('lanczos');
      let top: Float64Array[] = [], bottom: Float64Array[] = [];
      if (needVectors) {
        const t = await H.eigen({ top: k, vectors: true, signal });
        disposables.push(t.vectors!);
        top = columns(t.vectors!, Array.from({ length: k }, (_, i) => k - 1 - i));
      }
      if (methods.includes('lanczos')) {
        const b = await H.eigen({ bottom: k, vectors: true, signal });
        disposables.push(b.vectors!);
        bottom = columns(b.vectors!, Array.from({ length: k }, (_, i) => i));
      }
      return { values, top, bottom };
    });
    const values = full.values;
    let trace = 0;
    for (const v of values) trace += v;
    const truth: Truth = {
      values,
      topValues: Float64Array.from({ length: k }, (_, i) => values[M - 1 - i]),
      topVectors: full.top,
      bottomValues: Float64Array.from({ length: k }, (_, i) => values[i]),
      bottomVectors: full.bottom,
      diagonal: methods.includes('diagonal') ? exactDiagonal(H) : undefined,
      trace,
    };
    // ---- the operator the methods see
    const samples = batch === null ? undefined : sampleBatch(N, batch, seed);
    let makeOperator: () => LinearOperator;
    if (operator === 'dense') {
      let dense = H;
      if (samples) {
        const d = inputSize(model);
        const sub = { X: new Float64Array(samples.length * d), y: new Int32Array(samples.length) };
        samples.forEach((i, t) => { sub.X.set(data.X.subarray(i * d, (i + 1) * d), t * d); sub.y[t] = data.y[i]; });
        dense = (await computeCurvature(model, params, sub, { matrices: [matrix], signal })).matrices[matrix]!;
        disposables.push(dense);
      }
      makeOperator = () => denseOperator(dense);
    } else {
      makeOperator = () => curvatureOperator(model, params, data, { matrix, samples, maxBlock: 128 });
    }
    // ---- the methods
    const reports: MethodReport[] = [];
    const sweep: SweepPoint[] = [];
    for (const [index, method] of methods.entries()) {
      throwIfAborted(signal);
      report(`method: ${method}`, index / methods.length);
      const b = budgets[method];
      const main = await runMethod(method, makeOperator(), truth, k, seed, b.main, b.extra, signal);
      reports.push(main);
      sweep.push({ method, matvecs: main.matvecs, error: main.error, seconds: main.seconds });
      if (options.sweep ?? true) {
        for (const budget of b.sweep) {
          const r = await runMethod(method, makeOperator(), truth, k, seed, budget, method === 'hutchinson' ? 0 : b.extra, signal);
          sweep.push({ method, matvecs: r.matvecs, error: r.error, seconds: r.seconds });
        }
      }
    }
    report('done', 1);
    return {
      format: 'hessian-lab/compare@1',
      matrix,
      parameters: M,
      samples: N,
      operator,
      batch,
      seed,
      k,
      exact: {
        eigenvalues: arr(values),
        trace,
        lambdaMin: values[0],
        lambdaMax: values[M - 1],
        top: arr(truth.topValues),
        bottom: arr(truth.bottomValues),
        seconds: { assembly: assembled.seconds, eigensolve: eigSeconds },
      },
      methods: reports,
      sweep: sweep.sort((a, b) => (a.method === b.method ? a.matvecs - b.matvecs : 0)),
      densities: overlayDensities(values, reports),
    };
  } finally {
    for (const m of disposables) m.dispose();
  }
}

/** The overlay figure's data: exact (smoothed like SLQ), SLQ, KPM, on one grid of 1,500 points. */
function overlayDensities(values: Float64Array, reports: MethodReport[]): CompareResult['densities'] {
  const lo = values[0], hi = values[values.length - 1];
  const pad = 0.02 * Math.max(hi - lo, 1e-12);
  const grid = linspace(lo - pad, hi + pad, 1500);
  const series: Record<string, number[]> = {};
  const slqReport = reports.find((r) => r.method === 'slq');
  const variance = slqReport ? Number(slqReport.settings.variance) : 1e-5 * Math.max(1, hi - lo);
  series['exact (Gaussian-smoothed)'] = arr(smoothDensity(exactMeasure(values), { grid, variance, scaleVariance: false, normalize: 'none' }).density);
  if (slqReport) {
    const nodes = Float64Array.from(slqReport.estimates.nodes as number[]), weights = Float64Array.from(slqReport.estimates.weights as number[]);
    series['SLQ'] = arr(smoothDensity({ nodes, weights }, { grid, variance, scaleVariance: false, normalize: 'none' }).density);
  }
  const kpmReport = reports.find((r) => r.method === 'kpm');
  if (kpmReport) {
    series['KPM'] = arr(kpmDensity(Float64Array.from(kpmReport.estimates.moments as number[]), kpmReport.estimates.center as number, kpmReport.estimates.halfWidth as number, grid));
  }
  return { grid: arr(grid), series };
}
