/**
 * One full analysis of a trained (or initial) network: loss, gradient norm, and for each
 * requested curvature matrix its full spectrum, trace and negative fraction, with timings.
 * The requested matrices are assembled in ONE shared pass (one forward/backward, shared slab
 * builds) when all of them and the eigensolver's workspace fit in memory, else one at a time (peak:
 * one M x M matrix plus the eigensolver's workspace); the numbers are bitwise the same either way
 * (each matrix has its own GEMMs and H its own recursion, native/core/curvature.h), so H = G + R
 * stays a check. The `analyze` CLI and the `reproduce` experiments both call this.
 */
import * as path from 'path';
import { ProgressCallback } from '../native/binding';
import { writeNpy } from '../io/npy';
import { binding } from '../native/binding';
import { computeCurvature, CurvatureResult, curvatureMemoryBytes, evaluate, LabelledData, MatrixName } from './curvature';
import { Dtype, Matrix } from './matrix';
import { availableMemoryBytes } from './memory';
import { ModelSpec, normalizeModel, parameterCount } from './model';
import { summarizeSpectrum, SpectrumSummary, SpectrumSummaryOptions } from './spectrum';

export interface MatrixAnalysis {
  /** All M eigenvalues, ascending. */
  eigenvalues: Float64Array;
  trace: number;
  negative_fraction: number;
  summary: SpectrumSummary;
  driver: string;
}

export interface Analysis {
  parameters: number;
  samples: number;
  loss: number;
  gradient_norm: number;
  dtype: Dtype;
  matrices: Partial<Record<MatrixName, MatrixAnalysis>>;
  /**
   * Seconds per stage. `assembly_pass` says how the matrices were assembled: 'shared' (one pass;
   * each matrix's assembly entry is then that pass's time) or 'separate' (each its own).
   */
  timings: {
    assembly: Partial<Record<MatrixName, number>>;
    eigensolve: Partial<Record<MatrixName, number>>;
    total: number;
    assembly_pass?: 'shared' | 'separate';
  };
}

export interface AnalysisOptions {
  matrices?: MatrixName[];
  dtype?: Dtype;
  /** Write <dir>/<matrix>.npy for each matrix and eigenvalues_<matrix>.npy. */
  saveMatricesDir?: string;
  summary?: SpectrumSummaryOptions;
  signal?: AbortSignal;
  /** Called with (stage, fraction) where stage names the matrix and step. */
  onProgress?: ProgressCallback;
  /** 'auto' (default): one shared pass when everything fits in memory; or force 'shared' / 'separate'. */
  assembly?: 'auto' | 'shared' | 'separate';
  /** Threads of the native work (default: setThreads's value, else all cores). */
  threads?: number;
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
  const shared = names.length > 1 && (mode === 'shared' || (mode === 'auto' && sharedPassFits(spec, data.y.length, names, dtype, options.threads)));
  result.timings.assembly_pass = shared ? 'shared' : 'separate';
  let together: CurvatureResult | undefined;
  if (shared) {
    together = await computeCurvature(spec, params, data, {
      matrices: names,
      dtype,
      threads: options.threads,
      signal: options.signal,
      onProgress: (_stage, f) => options.onProgress?.(`${names.join(', ')}: assembly`, (0.5 * f) / names.length),
    });
  }
  for (const [i, name] of names.entries()) {
    const report = (step: string, f: number) => options.onProgress?.(`${name}: ${step}`, (i + f) / names.length);
    let matrix: Matrix;
    try {
      const assembled = together ?? await computeCurvature(spec, params, data, {
        matrices: [name],
        dtype,
        threads: options.threads,
        signal: options.signal,
        onProgress: (_stage, f) => report('assembly', 0.5 * f),
      });
      matrix = assembled.matrices[name]!;
      result.timings.assembly[name] = assembled.seconds;
    } catch (err) {
      for (const m of Object.values(together?.matrices ?? {})) m!.dispose();
      throw err;
    }
    try {
      if (options.saveMatricesDir) await matrix.saveNpy(path.join(options.saveMatricesDir, `${name}.npy`));
      const eig = await matrix.eigen({ threads: options.threads, signal: options.signal, onProgress: (_stage, f) => report('eigensolve', 0.5 + 0.5 * f) });
      result.timings.eigensolve[name] = eig.seconds;
      const summary = summarizeSpectrum(eig.values, options.summary);
      result.matrices[name] = { eigenvalues: eig.values, trace: summary.trace, negative_fraction: summary.negativeFraction, summary, driver: eig.driver };
      if (options.saveMatricesDir) writeNpy(path.join(options.saveMatricesDir, `eigenvalues_${name}.npy`), eig.values, [eig.values.length]);
    } catch (err) {
      for (const m of Object.values(together?.matrices ?? {})) m!.dispose();
      throw err;
    } finally {
      matrix.dispose();
    }
  }
  result.timings.total = Number(process.hrtime.bigint() - start) / 1e9;
  return result;
}
