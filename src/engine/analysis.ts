/**
 * One full analysis of a trained (or initial) network: loss, gradient norm, and for each
 * requested curvature matrix its full spectrum, trace and negative fraction, with timings.
 * Each matrix goes by the dense or the factor route (`route`, ./route.ts; auto by default), and the
 * analysis records which, the order r that was eigensolved, and why. The dense-route matrices are
 * assembled in ONE shared pass (one forward/backward, shared slab builds) when all of them and the
 * eigensolver's workspace fit in memory, else one at a time (peak: one M x M matrix plus the
 * eigensolver's workspace); the numbers are bitwise the same either way (each matrix has its own
 * GEMMs and H its own recursion, native/core/curvature.h), so H = G + R stays a check. The
 * `analyze` CLI and the `reproduce` experiments both call this.
 */
import * as path from 'path';
import { ProgressCallback } from '../native/binding';
import { writeNpy } from '../io/npy';
import { binding } from '../native/binding';
import { computeCurvature, curvatureMemoryBytes, evaluate, LabelledData, MatrixName } from './curvature';
import { CurvatureSpectrum, curvatureSpectrum } from './curvatureSpectrum';
import { distributedPlan, DistributedOptions, DistributedRankInfo, distributedSpectra } from './distributed';
import { Dtype, Matrix } from './matrix';
import { MatrixBuffers } from './buffers';
import { availableMemoryBytes } from './memory';
import { planRoute, Route, RoutePlan } from './route';
import { ModelSpec, normalizeModel, parameterCount } from './model';
import { EPSILON, summarizeSpectrum, SpectrumSummary, SpectrumSummaryOptions } from './spectrum';

export interface MatrixAnalysis {
  /** All M eigenvalues, ascending. */
  eigenvalues: Float64Array;
  trace: number;
  /** Fraction of eigenvalues below -summary.zeroTolerance (|lambda| <= the tolerance is zero). */
  negative_fraction: number;
  summary: SpectrumSummary;
  driver: string;
  /** The route that computed it, the order r of the matrix that was eigensolved (M when dense), and why. */
  route: 'dense' | 'factor';
  rank: number;
  reason: string;
}

export interface Analysis {
  parameters: number;
  samples: number;
  loss: number;
  gradient_norm: number;
  dtype: Dtype;
  matrices: Partial<Record<MatrixName, MatrixAnalysis>>;
  /**
   * Seconds per stage. `assembly_pass` says how the dense-route matrices were assembled: 'shared'
   * (one pass; each such matrix's assembly entry is then that pass's time) or 'separate' (each its own).
   */
  timings: {
    assembly: Partial<Record<MatrixName, number>>;
    eigensolve: Partial<Record<MatrixName, number>>;
    total: number;
    assembly_pass?: 'shared' | 'separate';
  };
  /** Set when the spectra came from MPI ranks (options.distributed). */
  distributed?: { ranks: number; grid: [number, number]; block: number; perRank: DistributedRankInfo[] };
}

export interface AnalysisOptions {
  matrices?: MatrixName[];
  dtype?: Dtype;
  /** Write <dir>/<matrix>.npy for each matrix and eigenvalues_<matrix>.npy. */
  saveMatricesDir?: string;
  summary?: SpectrumSummaryOptions;
  /** auto (default) | dense | factor: see ./route.ts. Saving matrices needs them dense. */
  route?: Route;
  signal?: AbortSignal;
  /** Called with (stage, fraction) where stage names the matrix and step. */
  onProgress?: ProgressCallback;
  /**
   * Assemble and solve over MPI ranks with ScaLAPACK (src/engine/distributed.ts): same results,
   * float64 only, no saveMatricesDir (the matrix never exists on one machine). Problems too
   * small for every rank to hold data run single-process, with a note through onNote.
   */
  distributed?: DistributedOptions;
  /** 'auto' (default): one shared pass when everything fits in memory; or force 'shared' / 'separate'. */
  assembly?: 'auto' | 'shared' | 'separate';
  /** Threads of the native work (default: setThreads's value, else all cores). */
  threads?: number;
  /**
   * Keep the dense-route matrices in this pool for the next analysis of the same model (a λ1
   * trajectory, interpolation spectra): their allocation and first touch are paid once. Same
   * numbers as without (tested). The caller disposes the pool.
   */
  buffers?: MatrixBuffers;
}

/** Whether assembling all `names` together, then solving them one by one, fits in memory. */
export function sharedPassFits(model: ModelSpec, N: number, names: MatrixName[], dtype: Dtype, threads?: number): boolean {
  const M = parameterCount(normalizeModel(model));
  const needed = curvatureMemoryBytes(model, N, names, dtype, undefined, undefined, threads) +
    binding().eigenWorkspaceBytes(M, dtype, { vectors: false });
  return needed <= 0.9 * availableMemoryBytes();
}

export async function analyzeNetwork(model: ModelSpec, params: Float64Array, data: LabelledData, options: AnalysisOptions = {}): Promise<Analysis> {
  const start = process.hrtime.bigint();
  const spec = normalizeModel(model);
  const names = options.matrices ?? (['hessian', 'ggn', 'residual', 'gradient_covariance'] as MatrixName[]);
  const dtype = options.dtype ?? 'float64';
  if (options.distributed !== undefined) {
    if (dtype !== 'float64') throw new RangeError(`options.dtype must be float64 with options.distributed (ScaLAPACK's pdsyev is double precision); received ${dtype}`);
    if (options.route === 'factor') throw new RangeError("options.route 'factor' cannot be used with options.distributed: the MPI path assembles the dense matrix (use route 'auto' or 'dense')");
    if (options.saveMatricesDir !== undefined) throw new RangeError('options.saveMatricesDir cannot be used with options.distributed: the matrix is never gathered on one machine');
    const plan = distributedPlan(spec, params, data, options.distributed, { matrices: names });
    if (!plan.empty_rank) return analyzeDistributed(spec, params, data, names, options, start);
    options.distributed.onNote?.(`M = ${plan.M} is too small for ${plan.ranks} ranks (a rank of the ${plan.grid[0]} x ${plan.grid[1]} grid would hold no ${plan.block} x ${plan.block} block): running single-process`);
  }
  const ev = evaluate(spec, params, data);
  const result: Analysis = {
    parameters: parameterCount(spec),
    samples: data.y.length,
    loss: ev.loss,
    gradient_norm: ev.gradientNorm,
    dtype,
    matrices: {},
    timings: { assembly: {}, eigensolve: {}, total: 0 },
  };
  const mode = options.assembly ?? 'auto';
  if (!['auto', 'shared', 'separate'].includes(mode)) throw new RangeError(`options.assembly must be auto | shared | separate; received ${String(mode)}`);
  if (options.saveMatricesDir && options.route === 'factor') throw new RangeError("saving matrices needs them dense: drop route 'factor' or the matrices directory");
  const denseBecause = options.saveMatricesDir ? 'the matrices are saved (.npy), which needs them dense' : undefined;
  // Routes are planned before anything is allocated: the shared pass's matrices would otherwise
  // change the memory the later plans see.
  const plans = new Map<MatrixName, RoutePlan>(names.map((name) => [name, planRoute(spec, data.y.length, name, options.route ?? 'auto', { dtype, forceDense: denseBecause })]));
  const dense = names.filter((name) => plans.get(name)!.route === 'dense');
  const shared = dense.length > 1 && (mode === 'shared' || (mode === 'auto' && sharedPassFits(spec, data.y.length, dense, dtype, options.threads)));
  result.timings.assembly_pass = shared ? 'shared' : 'separate';
  const M = parameterCount(spec);
  const into: Partial<Record<MatrixName, Matrix>> = {};
  if (shared && options.buffers)
    for (const name of dense) {
      const m = options.buffers.take(name, M, M, dtype);
      if (m) into[name] = m;
    }
  const together = shared ? await computeCurvature(spec, params, data, {
    matrices: dense,
    dtype,
    into,
    threads: options.threads,
    signal: options.signal,
    onProgress: (_stage, f) => options.onProgress?.(`${dense.join(', ')}: assembly`, (0.5 * f) / names.length),
  }).catch((err) => {
    for (const m of Object.values(into)) m!.dispose();
    throw err;
  }) : undefined;
  try {
    for (const [i, name] of names.entries()) {
      const report = (step: string, f: number) => options.onProgress?.(`${name}: ${step}`, (i + f) / names.length);
      const assembled = together?.matrices[name];
      const spectrum = await curvatureSpectrum(spec, params, data, name, {
        route: options.route ?? 'auto',
        dtype,
        threads: options.threads,
        signal: options.signal,
        buffers: options.buffers,
        denseBecause,
        ...(assembled ? { assembled: { matrix: assembled, seconds: together!.seconds, plan: plans.get(name)! } } : {}),
        onProgress: (stage, f) => report(stage, f),
        ...(options.saveMatricesDir ? { keepMatrix: async (m: Matrix) => m.saveNpy(path.join(options.saveMatricesDir!, `${name}.npy`)) } : {}),
      });
      record(result, name, spectrum, dtype, options);
    }
  } finally {
    for (const [name, m] of Object.entries(together?.matrices ?? {})) {
      if (options.buffers) options.buffers.keep(name as MatrixName, m!);
      else m!.dispose();
    }
  }
  result.timings.total = Number(process.hrtime.bigint() - start) / 1e9;
  return result;
}

function record(result: Analysis, name: MatrixName, spectrum: CurvatureSpectrum, dtype: Dtype, options: AnalysisOptions): void {
  result.timings.assembly[name] = spectrum.seconds.build;
  result.timings.eigensolve[name] = spectrum.seconds.eigensolve;
  const summary = summarizeSpectrum(spectrum.values, { epsilon: EPSILON[dtype], ...options.summary });
  result.matrices[name] = {
    eigenvalues: spectrum.values, trace: summary.trace, negative_fraction: summary.negativeFraction, summary, driver: spectrum.driver,
    route: spectrum.route, rank: spectrum.rank, reason: spectrum.reason,
  };
  if (options.saveMatricesDir) writeNpy(path.join(options.saveMatricesDir, `eigenvalues_${name}.npy`), spectrum.values, [spectrum.values.length]);
}

async function analyzeDistributed(spec: ModelSpec, params: Float64Array, data: LabelledData, names: MatrixName[], options: AnalysisOptions,
  start: bigint): Promise<Analysis> {
  const ev = evaluate(spec, params, data);
  const run = await distributedSpectra(spec, params, data, options.distributed!, { matrices: names, signal: options.signal, onProgress: options.onProgress });
  const result: Analysis = {
    parameters: parameterCount(spec),
    samples: data.y.length,
    loss: ev.loss,
    gradient_norm: ev.gradientNorm,
    dtype: 'float64',
    matrices: {},
    timings: { assembly: {}, eigensolve: {}, total: 0 },
    distributed: { ranks: run.plan.ranks, grid: run.plan.grid, block: run.plan.block, perRank: run.perRank },
  };
  for (const name of names) {
    const m = run.matrices[name]!;
    const summary = summarizeSpectrum(m.eigenvalues, { epsilon: EPSILON.float64, ...options.summary });
    result.matrices[name] = {
      eigenvalues: m.eigenvalues, trace: summary.trace, negative_fraction: summary.negativeFraction, summary, driver: m.driver,
      route: 'dense', rank: m.eigenvalues.length, reason: `dense over ${run.plan.ranks} MPI ranks (ScaLAPACK ${m.driver})`,
    };
    result.timings.assembly[name] = m.assemblySeconds;
    result.timings.eigensolve[name] = m.eigensolveSeconds;
  }
  result.timings.total = Number(process.hrtime.bigint() - start) / 1e9;
  return result;
}
