/**
 * Straight lines in weight space (S18 E6, S16 P6): loss and accuracy, train and test, at
 * w(α) = w_a + α (w_b − w_a) for a grid of α, evaluated natively in one batch; optionally the
 * Hessian spectrum summary at chosen α (beyond the paper, which has no eigenvalues on the line).
 */
import { Dataset } from '../data/dataset';
import { datasetFromSpec } from '../data/spec';
import { withCancellation } from '../engine/abort';
import { computeCurvature } from '../engine/curvature';
import { ModelSpec, normalizeModel, parameterCount, inputSize, toRawModel } from '../engine/model';
import { summarizeSpectrum, SpectrumSummary, SpectrumSummaryOptions } from '../engine/spectrum';
import { binding, ProgressCallback } from '../native/binding';
import { InputError, isFloat64Array, rangeError, requireAllFinite, requireFiniteNumber, typeError } from '../util/errors';
import { DatasetSpec } from '../data/dataset';

/** An end point: a loaded Checkpoint fits, or any {model, params}. */
export interface LineEnd {
  model: ModelSpec;
  params: Float64Array;
  dataSpec?: DatasetSpec;
}

export interface InterpolateOptions {
  alphas: number[];
  /** The data to evaluate on (default: rebuilt from a.dataSpec, which must equal b's). */
  data?: Dataset;
  /** α values at which to assemble the Hessian and summarise its spectrum. */
  spectrumAt?: number[];
  spectrum?: SpectrumSummaryOptions;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface LinePoint {
  alpha: number;
  trainLoss: number;
  trainAccuracy: number;
  /** null without a test split. */
  testLoss: number | null;
  testAccuracy: number | null;
}

export interface InterpolateResult {
  points: LinePoint[];
  spectra: { alpha: number; summary: SpectrumSummary }[];
}

/** "start:end:count" → count equally spaced values from start to end inclusive (count >= 2, or 1 with start = end). */
export function parseAlphas(text: string): number[] {
  if (typeof text !== 'string') throw typeError('alphas', 'a string "start:end:count"', text);
  const parts = text.split(':');
  const [start, end, count] = parts.map(Number);
  if (parts.length !== 3 || !Number.isFinite(start) || !Number.isFinite(end) || !Number.isInteger(count) || count < 1 || count > 1e6 || (count === 1 && start !== end))
    throw rangeError('alphas', '"start:end:count" with finite start and end and an integer count >= 2 (e.g. -1:2:22)', text);
  if (count === 1) return [start];
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? end : start + ((end - start) * i) / (count - 1)));
}

/** w_a + α (w_b − w_a). */
export function pointOnLine(a: Float64Array, b: Float64Array, alpha: number): Float64Array {
  const w = new Float64Array(a.length);
  for (let j = 0; j < a.length; j++) w[j] = a[j] + alpha * (b[j] - a[j]);
  return w;
}

function checkAlphas(name: string, alphas: unknown, allowEmpty: boolean): number[] {
  if (!Array.isArray(alphas) || (!allowEmpty && alphas.length === 0)) throw typeError(name, 'a non-empty array of numbers', alphas);
  return alphas.map((a, i) => requireFiniteNumber(`${name}[${i}]`, a));
}

export async function interpolate(a: LineEnd, b: LineEnd, options: InterpolateOptions): Promise<InterpolateResult> {
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const model = normalizeModel(a?.model, 'a.model');
  if (JSON.stringify(normalizeModel(b?.model, 'b.model')) !== JSON.stringify(model))
    throw new InputError('the two end points have different models; a straight line needs one parameter space');
  const M = parameterCount(model);
  for (const [name, end] of [['a', a], ['b', b]] as const) {
    if (!isFloat64Array(end.params) || end.params.length !== M) throw typeError(`${name}.params`, `a Float64Array of ${M} values`, end.params);
    requireAllFinite(`${name}.params`, end.params);
  }
  const alphas = checkAlphas('options.alphas', options.alphas, false);
  const spectrumAt = checkAlphas('options.spectrumAt', options.spectrumAt ?? [], true);
  let data = options.data;
  if (!data) {
    if (!a.dataSpec) throw rangeError('options.data', 'a Dataset when the end points carry no dataSpec', data);
    if (b.dataSpec && JSON.stringify(a.dataSpec) !== JSON.stringify(b.dataSpec))
      throw new InputError('the two end points were trained on different data; pass options.data to choose one');
    data = datasetFromSpec(a.dataSpec);
  }
  if (data.d !== inputSize(model)) throw rangeError('options.data.d', `the model's input size ${inputSize(model)}`, data.d);

  const line = new Float64Array(alphas.length * M);
  alphas.forEach((alpha, i) => line.set(pointOnLine(a.params, b.params, alpha), i * M));
  const steps = 1 + (data.test ? 1 : 0) + spectrumAt.length;
  let done = 0;
  const report = (stage: string) => (_: string, f: number) => options.onProgress?.(stage, (done + f) / steps);
  const evaluateOn = async (X: Float64Array, y: Int32Array, stage: string) => {
    const r = await withCancellation(options.signal, (token) =>
      binding().evaluateMany(toRawModel(model), line, X, y, {}, token, report(stage)));
    done++;
    return r;
  };
  const train = await evaluateOn(data.X, data.y, 'line: train');
  const test = data.test ? await evaluateOn(data.test.X, data.test.y, 'line: test') : null;
  const points = alphas.map((alpha, i) => ({
    alpha,
    trainLoss: train.loss[i],
    trainAccuracy: train.accuracy[i],
    testLoss: test ? test.loss[i] : null,
    testAccuracy: test ? test.accuracy[i] : null,
  }));

  const spectra: InterpolateResult['spectra'] = [];
  for (const alpha of spectrumAt) {
    const w = pointOnLine(a.params, b.params, alpha);
    const { matrices } = await computeCurvature(model, w, data, {
      matrices: ['hessian'], signal: options.signal, onProgress: report(`hessian at alpha=${alpha}`),
    });
    const hessian = matrices.hessian!;
    try {
      const eig = await hessian.eigen({ signal: options.signal });
      spectra.push({ alpha, summary: summarizeSpectrum(eig.values, options.spectrum) });
    } finally {
      hessian.dispose();
    }
    done++;
  }
  options.onProgress?.('line', 1);
  return { points, spectra };
}
