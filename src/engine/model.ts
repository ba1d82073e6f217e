/**
 * Models as the engine sees them — an MLP or a sequential model (convnet; src/engine/
 * sequential.ts) — and what every caller asks of either: validation, sizes, the parameter
 * layout and names, and the raw form sent to the addon.
 *
 * MLP conventions (also in the README): hidden layers use `activation`, the output layer has none
 * (logits). The flat parameter vector is PyTorch's `parameters_to_vector` order for an
 * nn.Sequential of nn.Linear: for each layer, its weight (out x in, row-major), then its bias.
 * A sequential model follows its nn.Sequential's state_dict order the same way. Losses: see loss.ts.
 */
import { RawAnyModel, RawLayer } from '../native/binding';
import { requireOneOf, typeError, rangeError, orDefault } from '../util/errors';
import { sequentialAsMlp } from './convert';
import { classesOf, Loss, LOSSES, outputCountProblem } from './loss';
import { inferSequential, isSequential, NormalizedSequential, SequentialSpec, sequentialLayout, shapeText } from './sequential';

export { LOSSES } from './loss';
export type { Loss } from './loss';
export { isSequential, LAYER_TYPES, ACTIVATION_LAYERS, shapeText } from './sequential';
export type {
  SequentialSpec, LayerSpec, LayerType, ActivationLayerType, Pair, NormalizedSequential, NormalizedLayer,
  Conv2dLayerSpec, MaxPool2dLayerSpec, FlattenLayerSpec, LinearLayerSpec, ActivationLayerSpec,
  NormalizedConv2d, NormalizedMaxPool2d, NormalizedLinear,
} from './sequential';
export { mlpAsSequential, sequentialAsMlp } from './convert';

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface MlpSpec {
  /** Layer sizes [d0, d1, ..., dL]: inputs, hidden widths, outputs. */
  layers: readonly number[];
  activation: Activation;
  loss: Loss;
  /** Bias on every layer (default true). */
  bias?: boolean;
}

/** Any model a function of the package takes. */
export type ModelSpec = MlpSpec | SequentialSpec;
export type NormalizedMlp = Required<MlpSpec>;
/** What normalizeModel returns: every default filled in; isSequential(m) tells the two forms apart. */
export type NormalizedModel = NormalizedMlp | NormalizedSequential;

function normalizeMlp(m: Record<string, unknown>, name: string): NormalizedMlp {
  const known = new Set(['layers', 'activation', 'loss', 'bias']);
  for (const key of Object.keys(m)) {
    if (!known.has(key)) throw new RangeError(`${name} has an unknown key "${key}" (allowed: layers, activation, loss, bias)`);
  }
  if (!Array.isArray(m.layers)) throw typeError(`${name}.layers`, 'an array of layer sizes', m.layers);
  if (m.layers.length < 2) throw rangeError(`${name}.layers`, 'at least 2 sizes [inputs, ..., outputs]', m.layers);
  m.layers.forEach((v, i) => {
    if (typeof v !== 'number') throw typeError(`${name}.layers[${i}]`, 'an integer', v);
    if (!Number.isInteger(v) || v < 1 || v > 1e7) throw rangeError(`${name}.layers[${i}]`, 'an integer >= 1', v);
  });
  const activation = requireOneOf(`${name}.activation`, orDefault(m.activation, 'relu'), ACTIVATIONS);
  const loss = requireOneOf(`${name}.loss`, orDefault(m.loss, 'cross_entropy'), LOSSES);
  if (m.bias !== undefined && typeof m.bias !== 'boolean') throw typeError(`${name}.bias`, 'a boolean', m.bias);
  const layers = (m.layers as number[]).slice();
  const problem = outputCountProblem(loss, layers[layers.length - 1]);
  if (problem) throw rangeError(`${name}.layers`, `to ${problem}`, layers);
  return { layers, activation, loss, bias: m.bias === undefined ? true : (m.bias as boolean) };
}

/**
 * Validates a model description (friendly messages naming the field) and returns it normalised.
 * The sequential form is recognised by its `input_shape` key; anything else is read as an MLP.
 */
export function normalizeModel(model: MlpSpec, name?: string): NormalizedMlp;
export function normalizeModel(model: SequentialSpec, name?: string): NormalizedSequential;
export function normalizeModel(model: unknown, name?: string): NormalizedModel;
export function normalizeModel(model: unknown, name = 'model'): NormalizedModel {
  if (typeof model !== 'object' || model === null || Array.isArray(model)) throw typeError(name, 'an object', model);
  const m = model as Record<string, unknown>;
  if (isSequential(m)) return inferSequential(m, name).model;
  // Layer objects without input_shape: a sequential model missing its input shape, not a bad MLP.
  if (Array.isArray(m.layers) && m.layers.some((v) => typeof v === 'object' && v !== null))
    throw typeError(`${name}.input_shape`, 'an array [C, H, W] or [D] (a model whose layers are objects is a sequential model)', m.input_shape);
  return normalizeMlp(m, name);
}

/** Shapes of a sequential model (shapes[0] = input, shapes[i + 1] = after layer i), validating it. */
function sequentialShapes(model: SequentialSpec): number[][] {
  return inferSequential(model).shapes;
}

/** Number of parameters M. */
export function parameterCount(model: ModelSpec): number {
  model = normalizeModel(model); // a malformed model is a TypeError/RangeError naming the field, not an internal error
  if (isSequential(model)) {
    const layout = parameterLayout(model);
    const last = layout[layout.length - 1];
    return last.bias ? last.bias.offset + last.bias.length : last.weight.offset + last.weight.rows * last.weight.cols;
  }
  let M = 0;
  const bias = model.bias !== false;
  for (let l = 1; l < model.layers.length; l++) M += model.layers[l] * model.layers[l - 1] + (bias ? model.layers[l] : 0);
  return M;
}

/** Features per sample (the length of a row of X): the product of input_shape, or layers[0]. */
export function inputSize(model: ModelSpec): number {
  model = normalizeModel(model);
  return isSequential(model) ? model.input_shape.reduce((a, b) => a * b, 1) : model.layers[0];
}

/** Number of outputs (logits) per sample. */
export function outputSize(model: ModelSpec): number {
  model = normalizeModel(model);
  if (!isSequential(model)) return model.layers[model.layers.length - 1];
  const shapes = sequentialShapes(model);
  return shapes[shapes.length - 1][0];
}

/** Number of classes the labels range over (2 for the one-output logistic loss). */
export function classCount(model: ModelSpec): number {
  return classesOf(model.loss ?? 'cross_entropy', outputSize(model));
}

/** Throws a RangeError naming `${name}.layers[0]` or `${name}.input_shape` unless the model takes d features per sample. */
export function requireInputSize(model: ModelSpec, d: number, name: string): void {
  const n = inputSize(model);
  if (n === d) return;
  if (!isSequential(model)) throw rangeError(`${name}.layers[0]`, `the data dimension d = ${d}`, n);
  throw new RangeError(`${name}.input_shape must hold the data dimension d = ${d} features; received ${shapeText(model.input_shape)} (${n} features)`);
}

/**
 * One parameter layer (an MLP layer, a conv2d or a linear): where its weight and bias live in
 * the flat vector. The weight is `rows` (output units/channels) x `cols` (fan-in: in, or
 * in_channels * kh * kw) row-major, which is PyTorch's `shape` read row by row.
 */
export interface LayerSlice {
  /** MLP: the layer number l = 1..L (it maps sizes[l - 1] to sizes[l]). Sequential: the index in model.layers. */
  layer: number;
  /** PyTorch's name of the module, e.g. "layers.3": its parameters are "layers.3.weight" and "layers.3.bias". */
  prefix: string;
  type: 'linear' | 'conv2d';
  weight: { offset: number; rows: number; cols: number; shape: number[] };
  bias: { offset: number; length: number } | null;
}

/** Where each layer's weight and bias live in the flat vector (PyTorch order). */
export function parameterLayout(model: ModelSpec): LayerSlice[] {
  model = normalizeModel(model);
  if (isSequential(model)) return sequentialLayout(inferSequential(model).model);
  const out: LayerSlice[] = [];
  const bias = model.bias !== false;
  let offset = 0;
  for (let l = 1; l < model.layers.length; l++) {
    const rows = model.layers[l], cols = model.layers[l - 1];
    const weight = { offset, rows, cols, shape: [rows, cols] };
    offset += rows * cols;
    const b = bias ? { offset, length: rows } : null;
    if (bias) offset += rows;
    out.push({ layer: l, prefix: `layers.${l - 1}`, type: 'linear', weight, bias: b });
  }
  return out;
}

/** Row-major index k of a tensor of this shape as its coordinates. */
function unravel(k: number, shape: number[]): number[] {
  const at = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    at[d] = k % shape[d];
    k = Math.floor(k / shape[d]);
  }
  return at;
}

/**
 * PyTorch-style name of parameter j, e.g. "layers.0.weight[3, 17]", "layers.0.weight[7, 0, 4, 2]"
 * (conv: out, in, kh, kw) or "layers.1.bias[4]". An MLP's i counts its linear layers; a
 * sequential model's is the index in model.layers, as in its nn.Sequential.
 */
export function parameterName(model: ModelSpec, j: number): string {
  for (const s of parameterLayout(model)) {
    const w = s.weight;
    if (j >= w.offset && j < w.offset + w.rows * w.cols) return `${s.prefix}.weight[${unravel(j - w.offset, w.shape).join(', ')}]`;
    if (s.bias && j >= s.bias.offset && j < s.bias.offset + s.bias.length) return `${s.prefix}.bias[${j - s.bias.offset}]`;
  }
  throw rangeError('j', `an index in [0, ${parameterCount(model)})`, j);
}

function rawLayers(model: NormalizedSequential): RawLayer[] {
  return model.layers.map((l): RawLayer => {
    switch (l.type) {
      case 'conv2d':
        return { type: 'conv2d', outChannels: l.out_channels, kernel: [...l.kernel], stride: [...l.stride], padding: [...l.padding], bias: l.bias };
      case 'maxpool2d':
        return { type: 'maxpool2d', kernel: [...l.kernel], stride: [...l.stride], padding: [...l.padding] };
      case 'linear':
        return { type: 'linear', out: l.out, bias: l.bias };
      default:
        return { type: l.type };
    }
  });
}

/**
 * The form the addon takes. A sequential model that is exactly an MLP (convert.ts) is sent as
 * that MLP: same parameters in the same order, on the faster native MLP path.
 */
export function toRawModel(model: ModelSpec): RawAnyModel {
  const m = normalizeModel(model);
  const mlp = isSequential(m) ? sequentialAsMlp(m) : m;
  if (mlp) return { layers: [...mlp.layers], activation: mlp.activation, loss: mlp.loss, bias: mlp.bias };
  const seq = m as NormalizedSequential; // not an MLP, so sequential
  return { inputShape: [...seq.input_shape], layers: rawLayers(seq), loss: seq.loss };
}

/** True when the addon will run `model` on its MLP path (an MLP, or a sequential model that is exactly one). */
export function runsAsMlp(model: ModelSpec): boolean {
  return !('inputShape' in toRawModel(model));
}
