/**
 * One full analysis of a trained (or initial) network: loss, gradient norm, and for each
 * requested curvature matrix its full spectrum, trace and negative fraction, with timings.
 * Matrices are assembled and solved one at a time (peak memory: one M x M matrix plus the
 * eigensolver's workspace), so each assembly time is that matrix's own and H is formed by its own
 * recursion. The `analyze` CLI and the `reproduce` experiments both call this.
 */
import * as path from 'path';
import { ProgressCallback } from '../native/binding';
import { writeNpy } from '../io/npy';
import { computeCurvature, evaluate, LabelledData, MatrixName } from './curvature';
import { Dtype } from './matrix';
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
    const assembled = await computeCurvature(spec, params, data, {
      matrices: [name],
      dtype,
      signal: options.signal,
      onProgress: (_stage, f) => report('assembly', 0.5 * f),
    });
    const matrix = assembled.matrices[name]!;
    try {
      result.timings.assembly[name] = assembled.seconds;
      if (options.saveMatricesDir) await matrix.saveNpy(path.join(options.saveMatricesDir, `${name}.npy`));
      const eig = await matrix.eigen({ signal: options.signal, onProgress: (_stage, f) => report('eigensolve', 0.5 + 0.5 * f) });
      result.timings.eigensolve[name] = eig.seconds;
      // The default zero tolerance uses the unit roundoff of the precision the matrix was stored in.
      const summary = summarizeSpectrum(eig.values, { epsilon: EPSILON[dtype], ...options.summary });
      result.matrices[name] = { eigenvalues: eig.values, trace: summary.trace, negative_fraction: summary.negativeFraction, summary, driver: eig.driver };
      if (options.saveMatricesDir) writeNpy(path.join(options.saveMatricesDir, `eigenvalues_${name}.npy`), eig.values, [eig.values.length]);
    } finally {
      matrix.dispose();
    }
  }
  result.timings.total = Number(process.hrtime.bigint() - start) / 1e9;
  return result;
}
