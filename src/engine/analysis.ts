/**
 * One full analysis of a trained (or initial) network: loss, gradient norm, and for each
 * requested curvature matrix its full spectrum, trace and negative fraction, with timings.
 * Matrices are assembled and solved one at a time (peak memory: one M x M matrix plus the
 * eigensolver's workspace), so each assembly time is that matrix's own and H is formed by its own
 * recursion. Each matrix goes by the dense or the factor route (`route`, ./route.ts; auto by
 * default), and the analysis records which, the order r that was eigensolved, and why. The
 * `analyze` CLI and the `reproduce` experiments both call this.
 */
import * as path from 'path';
import { ProgressCallback } from '../native/binding';
import { writeNpy } from '../io/npy';
import { evaluate, LabelledData, MatrixName } from './curvature';
import { curvatureSpectrum } from './curvatureSpectrum';
import { Dtype, Matrix } from './matrix';
import { Route } from './route';
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
  timings: { assembly: Partial<Record<MatrixName, number>>; eigensolve: Partial<Record<MatrixName, number>>; total: number };
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
}

export async function analyzeNetwork(model: ModelSpec, params: Float64Array, data: LabelledData, options: AnalysisOptions = {}): Promise<Analysis> {
  const start = process.hrtime.bigint();
  const spec = normalizeModel(model);
  const names = options.matrices ?? (['hessian', 'ggn', 'residual', 'gradient_covariance'] as MatrixName[]);
  const dtype = options.dtype === undefined ? 'float64' : options.dtype;
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
  for (const [i, name] of names.entries()) {
    const report = (step: string, f: number) => options.onProgress?.(`${name}: ${step}`, (i + f) / names.length);
    if (options.saveMatricesDir && options.route === 'factor') throw new RangeError("saving matrices needs them dense: drop route 'factor' or the matrices directory");
    const spectrum = await curvatureSpectrum(spec, params, data, name, {
      route: options.route ?? 'auto',
      dtype,
      signal: options.signal,
      denseBecause: options.saveMatricesDir ? 'the matrices are saved (.npy), which needs them dense' : undefined,
      onProgress: (stage, f) => report(stage, f),
      ...(options.saveMatricesDir ? { keepMatrix: async (m: Matrix) => m.saveNpy(path.join(options.saveMatricesDir!, `${name}.npy`)) } : {}),
    });
    result.timings.assembly[name] = spectrum.seconds.build;
    result.timings.eigensolve[name] = spectrum.seconds.eigensolve;
    const summary = summarizeSpectrum(spectrum.values, { epsilon: EPSILON[dtype], ...options.summary });
    result.matrices[name] = {
      eigenvalues: spectrum.values, trace: summary.trace, negative_fraction: summary.negativeFraction, summary, driver: spectrum.driver,
      route: spectrum.route, rank: spectrum.rank, reason: spectrum.reason,
    };
    if (options.saveMatricesDir) writeNpy(path.join(options.saveMatricesDir, `eigenvalues_${name}.npy`), spectrum.values, [spectrum.values.length]);
  }
  result.timings.total = Number(process.hrtime.bigint() - start) / 1e9;
  return result;
}
