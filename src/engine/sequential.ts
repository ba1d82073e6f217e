/**
 * Sequential models (convnets): PyTorch's nn.Sequential written as JSON with snake_case keys,
 *
 *   {"input_shape": [1, 28, 28],
 *    "layers": [{"type": "conv2d", "out_channels": 8, "kernel": 5, "stride": 1, "padding": 0}, {"type": "relu"},
 *               {"type": "maxpool2d", "kernel": 2}, {"type": "flatten"}, {"type": "linear", "out": 10}],
 *    "loss": "cross_entropy"}
 *
 * This file validates that form, infers every layer's shape with PyTorch's formulas (floor mode),
 * and lays out the parameters in the order of the nn.Sequential's state_dict: for each conv2d /
 * linear layer, its weight ((out, in, kh, kw) or (out, in), row-major) then its bias. A sample
 * (a row of X) is its [C, H, W] tensor flattened row-major. The native side (native/core/
 * sequential.h) checks the same rules again; here they fail early with the key named.
 */
import type { LayerSlice } from './model';
import { LOSSES, Loss, outputCountProblem } from './loss';
import { requireOneOf, typeError, orDefault } from '../util/errors';

export type Pair = readonly [number, number];
export const ACTIVATION_LAYERS = ['relu', 'tanh', 'sigmoid', 'identity'] as const;
export type ActivationLayerType = (typeof ACTIVATION_LAYERS)[number];
export const LAYER_TYPES = ['conv2d', 'maxpool2d', 'flatten', 'linear', ...ACTIVATION_LAYERS] as const;
export type LayerType = (typeof LAYER_TYPES)[number];

export interface Conv2dLayerSpec {
  type: 'conv2d';
  out_channels: number;
  /** n (square) or [kh, kw]. */
  kernel: number | Pair;
  /** Default 1. */
  stride?: number | Pair;
  /** Zeros on each side; default 0. */
  padding?: number | Pair;
  /** Default true. */
  bias?: boolean;
  /** Optional: checked against the channels of the layer's input. */
  in_channels?: number;
}

export interface MaxPool2dLayerSpec {
  type: 'maxpool2d';
  kernel: number | Pair;
  /** Default: the kernel. */
  stride?: number | Pair;
  /** Default 0; at most half the kernel (PyTorch's rule). */
  padding?: number | Pair;
}

export interface FlattenLayerSpec {
  type: 'flatten';
}

export interface LinearLayerSpec {
  type: 'linear';
  out: number;
  /** Default true. */
  bias?: boolean;
  /** Optional: checked against the features of the layer's input. */
  in?: number;
}

export interface ActivationLayerSpec {
  type: ActivationLayerType;
}

export type LayerSpec = Conv2dLayerSpec | MaxPool2dLayerSpec | FlattenLayerSpec | LinearLayerSpec | ActivationLayerSpec;

export interface SequentialSpec {
  /** [C, H, W] or [D]. */
  input_shape: readonly number[];
  layers: readonly LayerSpec[];
  /** Default cross_entropy. */
  loss?: Loss;
}

// The normalised form: every default filled in, pairs as [height, width], and the input sizes of
// conv2d / linear written out, so a stored model (checkpoint.json) reads without shape inference.
// Normalising it again gives it back unchanged (resume compares configs by their JSON).
export interface NormalizedConv2d {
  type: 'conv2d';
  in_channels: number;
  out_channels: number;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  bias: boolean;
}
export interface NormalizedMaxPool2d {
  type: 'maxpool2d';
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}
export interface NormalizedLinear {
  type: 'linear';
  in: number;
  out: number;
  bias: boolean;
}
export type NormalizedLayer = NormalizedConv2d | NormalizedMaxPool2d | FlattenLayerSpec | NormalizedLinear | ActivationLayerSpec;

export interface NormalizedSequential {
  input_shape: number[];
  layers: NormalizedLayer[];
  loss: Loss;
}

const MODEL_KEYS = ['input_shape', 'layers', 'loss'];
const LAYER_KEYS: Record<LayerType, readonly string[]> = {
  conv2d: ['type', 'in_channels', 'out_channels', 'kernel', 'stride', 'padding', 'bias'],
  maxpool2d: ['type', 'kernel', 'stride', 'padding'],
  flatten: ['type'],
  linear: ['type', 'in', 'out', 'bias'],
  relu: ['type'],
  tanh: ['type'],
  sigmoid: ['type'],
  identity: ['type'],
};
/** The native side indexes a sample's values with 32-bit integers. */
const MAX_VALUES = 2 ** 31 - 1;
const MAX_SIZE = 1e7;

/** True for the sequential form (it alone has `input_shape`); an MLP otherwise. */
export function isSequential<T>(model: T): model is Extract<T, { input_shape: readonly number[] }> {
  return typeof model === 'object' && model !== null && !Array.isArray(model) && 'input_shape' in model;
}

/** "[8, 12, 12]". */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function pairText(p: Pair): string {
  return `${p[0]}x${p[1]}`;
}

/** A RangeError in the helpers' "X must be Y; received Z" form, with Z spelled out (numbers, shapes). */
function invalid(param: string, expected: string, received: string): RangeError {
  return new RangeError(`${param} must be ${expected}; received ${received}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function positiveInteger(param: string, value: unknown, min = 1): number {
  if (typeof value !== 'number') throw typeError(param, 'an integer', value);
  if (!Number.isInteger(value) || value < min || value > MAX_SIZE) throw invalid(param, `an integer in [${min}, ${MAX_SIZE}]`, String(value));
  return value;
}

/** n or [a, b] → [a, b]; `fallback` when absent. */
function pairOf(param: string, value: unknown, min: number, fallback: [number, number]): [number, number] {
  if (value === undefined) return fallback;
  if (typeof value === 'number') {
    const n = positiveInteger(param, value, min);
    return [n, n];
  }
  if (!Array.isArray(value) || value.length !== 2 || value.some((v) => typeof v !== 'number'))
    throw typeError(param, 'an integer or a pair [height, width] of integers', value);
  return [positiveInteger(`${param}[0]`, value[0], min), positiveInteger(`${param}[1]`, value[1], min)];
}

function optionalBoolean(param: string, value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw typeError(param, 'a boolean', value);
  return value;
}

function checkKeys(param: string, o: Record<string, unknown>, allowed: readonly string[], what: string, hint = ''): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw new RangeError(`${param}.${key} is not a key of ${what} (its keys: ${allowed.join(', ')})${hint}`);
  }
}

function inputShapeOf(param: string, value: unknown): number[] {
  if (!Array.isArray(value)) throw typeError(param, 'an array [C, H, W] or [D]', value);
  if (value.length !== 1 && value.length !== 3) throw invalid(param, '[C, H, W] or [D] (3 or 1 sizes)', JSON.stringify(value));
  const shape = value.map((v, i) => positiveInteger(`${param}[${i}]`, v));
  if (size(shape) > MAX_VALUES) throw invalid(param, `at most ${MAX_VALUES} values per sample`, `${shapeText(shape)} (${size(shape)} values)`);
  return shape;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** conv2d / maxpool2d: the window's output shape, PyTorch's floor((H + 2p - k) / s) + 1. */
function windowOutput(param: string, type: string, shape: number[], kernel: [number, number], stride: [number, number], padding: [number, number]): [number, number] {
  if (shape.length !== 3)
    throw new RangeError(`${param} (${type}) needs a [C, H, W] input; the shape there is ${shapeText(shape)} (give input_shape as [C, H, W] and flatten only after the ${type === 'conv2d' ? 'convolutions' : 'pooling'})`);
  const padded: [number, number] = [shape[1] + 2 * padding[0], shape[2] + 2 * padding[1]];
  if (kernel[0] > padded[0] || kernel[1] > padded[1])
    throw invalid(`${param}.kernel`, `at most the padded input ${pairText(padded)} (input shape ${shapeText(shape)}, padding ${pairText(padding)})`, pairText(kernel));
  const out: [number, number] = [Math.floor((padded[0] - kernel[0]) / stride[0]) + 1, Math.floor((padded[1] - kernel[1]) / stride[1]) + 1];
  // Unreachable once the kernel fits (out >= 1 then), kept as the formula's own guard.
  if (out[0] < 1 || out[1] < 1) throw invalid(`${param}`, 'a layer with an output of at least 1x1', `an output of ${pairText(out)}`);
  return out;
}

/** One layer: its normalised form and the shape it outputs. */
function layerOf(param: string, value: unknown, shape: number[]): { layer: NormalizedLayer; shape: number[] } {
  if (!isRecord(value)) throw typeError(param, 'a layer object {"type": ..., ...}', value);
  const type = requireOneOf(`${param}.type`, value.type, LAYER_TYPES);
  checkKeys(param, value, LAYER_KEYS[type], `a ${type} layer`);
  switch (type) {
    case 'conv2d': {
      const out_channels = positiveInteger(`${param}.out_channels`, value.out_channels);
      if (value.kernel === undefined) throw typeError(`${param}.kernel`, 'an integer or a pair [height, width]', value.kernel);
      const kernel = pairOf(`${param}.kernel`, value.kernel, 1, [0, 0]);
      const stride = pairOf(`${param}.stride`, value.stride, 1, [1, 1]);
      const padding = pairOf(`${param}.padding`, value.padding, 0, [0, 0]);
      const bias = optionalBoolean(`${param}.bias`, value.bias);
      const [h, w] = windowOutput(param, type, shape, kernel, stride, padding);
      const in_channels = shape[0];
      if (value.in_channels !== undefined && positiveInteger(`${param}.in_channels`, value.in_channels) !== in_channels)
        throw invalid(`${param}.in_channels`, `${in_channels} (the channels of its input, shape ${shapeText(shape)})`, String(value.in_channels));
      return { layer: { type, in_channels, out_channels, kernel, stride, padding, bias }, shape: [out_channels, h, w] };
    }
    case 'maxpool2d': {
      if (value.kernel === undefined) throw typeError(`${param}.kernel`, 'an integer or a pair [height, width]', value.kernel);
      const kernel = pairOf(`${param}.kernel`, value.kernel, 1, [0, 0]);
      const stride = pairOf(`${param}.stride`, value.stride, 1, kernel);
      const padding = pairOf(`${param}.padding`, value.padding, 0, [0, 0]);
      // PyTorch refuses more: a window could then lie wholly in the padding and have no maximum.
      const most: [number, number] = [Math.floor(kernel[0] / 2), Math.floor(kernel[1] / 2)];
      if (padding[0] > most[0] || padding[1] > most[1])
        throw invalid(`${param}.padding`, `at most half the kernel ${pairText(kernel)}, i.e. at most ${pairText(most)} (PyTorch's rule)`, pairText(padding));
      const [h, w] = windowOutput(param, type, shape, kernel, stride, padding);
      return { layer: { type, kernel, stride: [stride[0], stride[1]], padding }, shape: [shape[0], h, w] };
    }
    case 'flatten':
      return { layer: { type }, shape: [size(shape)] };
    case 'linear': {
      const out = positiveInteger(`${param}.out`, value.out);
      const bias = optionalBoolean(`${param}.bias`, value.bias);
      if (shape.length !== 1)
        throw new RangeError(`${param} (linear) needs a flat input; the shape there is ${shapeText(shape)}: add {"type": "flatten"} before it`);
      if (value.in !== undefined && positiveInteger(`${param}.in`, value.in) !== shape[0])
        throw invalid(`${param}.in`, `${shape[0]} (the features of its input)`, String(value.in));
      return { layer: { type, in: shape[0], out, bias }, shape: [out] };
    }
    default:
      return { layer: { type }, shape };
  }
}

/**
 * Validates a sequential model and infers its shapes: shapes[0] is the input shape, shapes[i + 1]
 * the output shape of layer i. Every message names the key (e.g. model.layers[3].kernel) and,
 * for shape problems, both numbers.
 */
export function inferSequential(model: unknown, name = 'model'): { model: NormalizedSequential; shapes: number[][] } {
  if (!isRecord(model)) throw typeError(name, 'an object {input_shape, layers, loss}', model);
  checkKeys(name, model, MODEL_KEYS, 'a sequential model',
    'activation' in model || 'bias' in model ? '; a sequential model lists its activations as layers ({"type": "relu"}) and sets bias per layer' : '');
  const input_shape = inputShapeOf(`${name}.input_shape`, model.input_shape);
  if (!Array.isArray(model.layers)) throw typeError(`${name}.layers`, 'an array of layer objects', model.layers);
  if (model.layers.length === 0) throw invalid(`${name}.layers`, 'a non-empty array of layers', '[]');
  const loss = requireOneOf(`${name}.loss`, orDefault(model.loss, 'cross_entropy'), LOSSES);
  const layers: NormalizedLayer[] = [];
  const shapes: number[][] = [input_shape];
  let shape = input_shape;
  model.layers.forEach((value, i) => {
    const param = `${name}.layers[${i}]`;
    const r = layerOf(param, value, shape);
    if (size(r.shape) > MAX_VALUES) throw invalid(param, `a layer with at most ${MAX_VALUES} output values per sample`, `${shapeText(r.shape)}`);
    layers.push(r.layer);
    shapes.push(r.shape);
    shape = r.shape;
  });
  if (!layers.some((l) => l.type === 'conv2d' || l.type === 'linear'))
    throw invalid(`${name}.layers`, 'a list with at least one conv2d or linear layer (something to train)', layers.map((l) => l.type).join(', '));
  if (shape.length !== 1)
    throw invalid(`${name}.layers`, 'a list ending in a flat output (the logits): end with {"type": "flatten"} and a linear layer', `a final shape ${shapeText(shape)}`);
  const problem = outputCountProblem(loss, shape[0]);
  if (problem) throw new RangeError(`${name}.layers must ${problem}; received a final shape ${shapeText(shape)}`);
  return { model: { input_shape, layers, loss }, shapes };
}

export function normalizeSequential(model: unknown, name = 'model'): NormalizedSequential {
  return inferSequential(model, name).model;
}

/** Where each conv2d / linear layer's weight and bias live in the flat vector (state_dict order). */
export function sequentialLayout(model: NormalizedSequential): LayerSlice[] {
  const out: LayerSlice[] = [];
  let offset = 0;
  model.layers.forEach((layer, i) => {
    if (layer.type !== 'conv2d' && layer.type !== 'linear') return;
    const shape = layer.type === 'conv2d'
      ? [layer.out_channels, layer.in_channels, layer.kernel[0], layer.kernel[1]]
      : [layer.out, layer.in];
    const rows = shape[0], cols = size(shape) / rows;
    const weight = { offset, rows, cols, shape };
    offset += rows * cols;
    const bias = layer.bias ? { offset, length: rows } : null;
    if (bias) offset += rows;
    out.push({ layer: i, prefix: `layers.${i}`, type: layer.type, weight, bias });
  });
  return out;
}
