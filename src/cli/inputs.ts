/**
 * What the CLI reads: a *case* file (model + params + data in one JSON), or the same as .npy
 * files plus a model JSON. Every problem becomes an InputError (one line, exit code 2) that names
 * the file and the field.
 *
 * A case file is either an MLP with its keys at the top level (the first format, kept as is)
 *   {"layers": [...], "activation": ..., "loss": ..., "bias": ..., "params": [...], "X": [[...], ...], "y": [...]}
 * or any model under "model" (an MLP, or a sequential model; src/engine/sequential.ts)
 *   {"model": {"input_shape": [1, 28, 28], "layers": [...], "loss": ...}, "params": [...], "X": [[...], ...], "y": [...]}
 * Each row of X is one sample flattened row-major (C*H*W numbers for an input_shape [C, H, W]).
 */
import * as fs from 'fs';
import { LabelledData } from '../engine/curvature';
import { classCount, inputSize, isSequential, NormalizedModel, normalizeModel, parameterCount, shapeText } from '../engine/model';
import { describeModel } from '../engine/modelSummary';
import { readNpy } from '../io/npy';
import { paramsFromSafetensors } from '../io/safetensors';
import { LOSSES, Loss } from '../engine/loss';
import { modelFromOnnx } from '../onnx/import';
import { readJson } from '../io/atomic';
import { toInt32Labels } from '../io/labels';
import { caseFromCheckpoint } from '../train/checkpoint';
import { InputError } from '../util/errors';

/** The input flags shared by the commands that take one network (analyze, compare). */
export interface NetworkInputFlags {
  case?: string;
  checkpoint?: string;
  model?: string;
  params?: string;
  inputs?: string;
  labels?: string;
  /** An ONNX export (torch.onnx.export of an nn.Sequential): model and weights, with --inputs and --labels. */
  onnx?: string;
  /** The loss of an ONNX model (the file does not hold it); default cross_entropy. */
  loss?: string;
}

export interface NetworkCase {
  model: NormalizedModel;
  params: Float64Array;
  data: LabelledData;
  /** Keys of the case file that are not part of the format (reported, not fatal). */
  ignoredKeys: string[];
}

const MODEL_KEYS = ['layers', 'activation', 'loss', 'bias'];
const DATA_KEYS = ['params', 'X', 'y'];
const CASE_KEYS = [...MODEL_KEYS, ...DATA_KEYS];
const MODEL_CASE_KEYS = ['model', ...DATA_KEYS];

function fail(source: string, message: string): never {
  throw new InputError(`${source}: ${message}`);
}

function finiteNumbers(values: unknown, source: string, field: string): Float64Array {
  if (!Array.isArray(values)) fail(source, `"${field}" must be an array of numbers`);
  const out = new Float64Array(values.length);
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(source, `"${field}"[${i}] must be a finite number; received ${JSON.stringify(v)}`);
    out[i] = v;
  });
  return out;
}

function normalizedOrFail(model: unknown, source: string): NormalizedModel {
  try {
    return normalizeModel(model, 'model');
  } catch (err) {
    fail(source, (err as Error).message);
  }
}

/** An MLP from the top-level keys of a case (or model) file; other keys are left to the caller. */
function modelFrom(obj: Record<string, unknown>, source: string): NormalizedModel {
  const model: Record<string, unknown> = {};
  for (const k of MODEL_KEYS) if (obj[k] !== undefined) model[k] = obj[k];
  if (model.layers === undefined) fail(source, 'missing key "layers"');
  return normalizedOrFail(model, source);
}

/** The model of a case file: under "model", or an MLP's keys at the top level (never both). */
function caseModel(obj: Record<string, unknown>, source: string): NormalizedModel {
  if ('model' in obj) {
    const clash = [...MODEL_KEYS, 'input_shape'].find((k) => k in obj);
    if (clash) fail(source, `give the model either under "model" or as top-level keys (layers, activation, loss, bias), not both; found "model" and "${clash}"`);
    if (typeof obj.model !== 'object' || obj.model === null || Array.isArray(obj.model))
      fail(source, `"model" must be an object (an MLP {layers, activation, loss, bias} or a sequential model {input_shape, layers, loss}); received ${JSON.stringify(obj.model)}`);
    return normalizedOrFail(obj.model, source);
  }
  if ('input_shape' in obj)
    fail(source, 'a sequential model goes under the key "model": {"model": {"input_shape": [...], "layers": [...], "loss": ...}, "params": [...], "X": [...], "y": [...]}');
  if (!('layers' in obj)) fail(source, 'missing key "model" (or an MLP\'s "layers" at the top level)');
  return modelFrom(obj, source);
}

/** What a row of X is, for messages. */
function featuresText(model: NormalizedModel): string {
  return isSequential(model) ? `input_shape ${shapeText(model.input_shape)} flattened row-major` : 'layers[0]';
}

/** Rows of X (array of arrays, or a flat array of N * d0 numbers). */
function inputsFrom(X: unknown, N: number, model: NormalizedModel, source: string): Float64Array {
  const d0 = inputSize(model);
  if (!Array.isArray(X)) fail(source, '"X" must be an array of samples (each an array of numbers)');
  if (X.length > 0 && Array.isArray(X[0])) {
    if (X.length !== N) fail(source, `"X" has ${X.length} samples but "y" has ${N} labels`);
    const out = new Float64Array(N * d0);
    X.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== d0) {
        const nested = Array.isArray(row) && Array.isArray(row[0]) ? ' (a sample is one flat array: flatten it row-major)' : '';
        fail(source, `"X"[${i}] must have ${d0} features (${featuresText(model)}); received ${Array.isArray(row) ? row.length : JSON.stringify(row)}${nested}`);
      }
      row.forEach((v: unknown, j: number) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) fail(source, `"X"[${i}][${j}] must be a finite number; received ${JSON.stringify(v)}`);
        out[i * d0 + j] = v;
      });
    });
    return out;
  }
  const flat = finiteNumbers(X, source, 'X');
  if (flat.length !== N * d0) fail(source, `"X" must have N x ${d0} = ${N * d0} numbers; received ${flat.length}`);
  return flat;
}

function labelsFrom(y: unknown, k: number, source: string): Int32Array {
  if (!Array.isArray(y) || y.length === 0) fail(source, '"y" must be a non-empty array of class indices');
  y.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= k) fail(source, `"y"[${i}] must be a class index in [0, ${k - 1}]; received ${JSON.stringify(v)}`);
  });
  return Int32Array.from(y as number[]);
}

function checkParams(params: Float64Array, model: NormalizedModel, source: string): void {
  const M = parameterCount(model);
  if (params.length === M) return;
  const of = isSequential(model) ? `the model ${describeModel(model)}` : `layers [${model.layers}]${model.bias ? ' with biases' : ''}`;
  fail(source, `"params" must have ${M} entries for ${of}; received ${params.length}`);
}

/** Reads a case file: {layers, activation, loss, bias?, params, X, y} or {model, params, X, y}. */
export function loadCase(file: string): NetworkCase {
  if (!fs.existsSync(file)) fail(file, 'no such file');
  const raw = readJson(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(file, 'a case file must be a JSON object');
  const obj = raw as Record<string, unknown>;
  const model = caseModel(obj, file);
  for (const key of DATA_KEYS) if (!(key in obj)) fail(file, `missing key "${key}"`);
  const params = finiteNumbers(obj.params, file, 'params');
  checkParams(params, model, file);
  const y = labelsFrom(obj.y, classCount(model), file);
  const X = inputsFrom(obj.X, y.length, model, file);
  const known = 'model' in obj ? MODEL_CASE_KEYS : CASE_KEYS;
  return { model, params, data: { X, y }, ignoredKeys: Object.keys(obj).filter((k) => !known.includes(k)) };
}

function npyFloat64(file: string, what: string): { data: Float64Array; shape: number[] } {
  if (!fs.existsSync(file)) fail(file, 'no such file');
  const a = readNpy(file);
  if (!(a.data instanceof Float64Array) && !(a.data instanceof Float32Array)) fail(file, `${what} must be float64 or float32; received dtype ${a.dtype}`);
  const data = Float64Array.from(a.data as Float64Array);
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) fail(file, `${what} must be finite; entry ${bad} is ${data[bad]}`);
  return { data, shape: a.shape };
}

/**
 * Reads --model model.json, --params p.npy, --inputs X.npy (N x d0; for a sequential model also
 * N x C x H x W), --labels y.npy (N).
 */
export function loadNpyCase(files: { model: string; params: string; inputs: string; labels: string }): NetworkCase {
  if (!fs.existsSync(files.model)) fail(files.model, 'no such file');
  const m = readJson(files.model);
  if (typeof m !== 'object' || m === null || Array.isArray(m))
    fail(files.model, 'the model file must be a JSON object: an MLP {layers, activation, loss, bias?} or a sequential model {input_shape, layers, loss}');
  const model = isSequential(m) ? normalizedOrFail(m, files.model) : modelFrom(m as Record<string, unknown>, files.model);
  const params = files.params.toLowerCase().endsWith('.safetensors') ? paramsFromSafetensors(files.params, model) : npyFloat64(files.params, 'params').data;
  checkParams(params, model, files.params);
  return { model, params, data: npyData(model, files.inputs, files.labels), ignoredKeys: [] };
}

/** X.npy (N x d0, or N x C x H x W for a sequential model) and y.npy (N class indices) for `model`. */
function npyData(model: NormalizedModel, inputs: string, labels: string): LabelledData {
  const files = { inputs, labels };
  if (!fs.existsSync(files.labels)) fail(files.labels, 'no such file');
  const la = readNpy(files.labels);
  if (la.shape.length !== 1) fail(files.labels, `labels must be 1-D; received shape (${la.shape.join(', ')})`);
  let y: Int32Array;
  try {
    y = toInt32Labels(la.data as ArrayLike<number | bigint>, files.labels);
  } catch (err) {
    fail(files.labels, (err as Error).message);
  }
  const k = classCount(model);
  y.forEach((v, i) => { if (v < 0 || v >= k) fail(files.labels, `labels[${i}] (the label of sample ${i}) must be a class index in [0, ${k - 1}]; received ${v}`); });
  const X = npyFloat64(files.inputs, 'inputs');
  const d0 = inputSize(model);
  // A sequential model also takes the samples as tensors, (N, C, H, W): the same bytes row-major.
  const shapes = [[y.length, d0]];
  if (isSequential(model) && model.input_shape.length > 1) shapes.push([y.length, ...model.input_shape]);
  if (!shapes.some((s) => s.length === X.shape.length && s.every((v, i) => v === X.shape[i]))) {
    const expected = shapes.map((s) => `(${s.join(', ')})`).join(' or ');
    fail(files.inputs, `inputs must have shape ${expected} (N labels x ${featuresText(model)}); received (${X.shape.join(', ')})`);
  }
  return { X: X.data, y };
}

/** --onnx model.onnx --inputs X.npy --labels y.npy [--loss L]: architecture and weights from the export. */
export function loadOnnxCase(files: { onnx: string; inputs: string; labels: string }, loss = 'cross_entropy'): NetworkCase {
  if (!(LOSSES as readonly string[]).includes(loss)) throw new InputError(`--loss must be one of ${LOSSES.join(', ')}; received "${loss}"`);
  const { model, params } = modelFromOnnx(files.onnx, { loss: loss as Loss });
  return { model, params, data: npyData(model, files.inputs, files.labels), ignoredKeys: [] };
}

/** The network a command works on: exactly one of a case file, a checkpoint, or .npy files + model JSON. */
export function readNetworkCase(flags: NetworkInputFlags): NetworkCase {
  if (flags.onnx !== undefined) {
    const clash = (['case', 'checkpoint', 'model', 'params'] as const).find((k) => flags[k] !== undefined);
    if (clash) throw new InputError(`--onnx takes the model and its weights from the file: give it with --inputs and --labels, not with --${clash}`);
    if (flags.inputs === undefined || flags.labels === undefined) throw new InputError('--onnx needs --inputs X.npy and --labels y.npy');
    return loadOnnxCase({ onnx: flags.onnx, inputs: flags.inputs, labels: flags.labels }, flags.loss);
  }
  if (flags.loss !== undefined) throw new InputError('--loss goes with --onnx (the other inputs state their loss in the model)');
  const npyFlags = [flags.model, flags.params, flags.inputs, flags.labels];
  const sources = [flags.case !== undefined, flags.checkpoint !== undefined, npyFlags.some((f) => f !== undefined)].filter(Boolean).length;
  if (sources !== 1) throw new InputError('give exactly one input: --case FILE, --checkpoint DIR, --model/--params/--inputs/--labels, or --onnx/--inputs/--labels');
  if (flags.case !== undefined) return loadCase(flags.case);
  if (flags.checkpoint !== undefined) return caseFromCheckpoint(flags.checkpoint);
  if (npyFlags.some((f) => f === undefined)) throw new InputError('.npy input needs all of --model, --params, --inputs, --labels');
  return loadNpyCase({ model: flags.model!, params: flags.params!, inputs: flags.inputs!, labels: flags.labels! });
}
