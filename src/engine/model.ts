/**
 * Multilayer perceptrons as the engine sees them, and their parameter layout.
 *
 * Conventions (also in the README): hidden layers use `activation`, the output layer has none
 * (logits). The flat parameter vector is PyTorch's `parameters_to_vector` order for an
 * nn.Sequential of nn.Linear: for each layer, its weight (out x in, row-major), then its bias.
 * Losses are means over the N samples of: cross_entropy (-log softmax(f)_y), mse
 * (1/2 ||f - onehot(y)||^2 summed over outputs), logistic (one output; softplus(f) - y f).
 */
import { RawModel } from '../native/binding';
import { requireOneOf, typeError, rangeError } from '../util/errors';

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'linear'] as const;
export const LOSSES = ['cross_entropy', 'mse', 'logistic'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
export type Loss = (typeof LOSSES)[number];

export interface MlpSpec {
  /** Layer sizes [d0, d1, ..., dL]: inputs, hidden widths, outputs. */
  layers: readonly number[];
  activation: Activation;
  loss: Loss;
  /** Bias on every layer (default true). */
  bias?: boolean;
}

/** Validates a model description (friendly messages naming the field) and returns it normalised. */
export function normalizeModel(model: unknown, name = 'model'): Required<MlpSpec> {
  if (typeof model !== 'object' || model === null || Array.isArray(model)) throw typeError(name, 'an object', model);
  const m = model as Record<string, unknown>;
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
  const activation = requireOneOf(`${name}.activation`, m.activation ?? 'relu', ACTIVATIONS);
  const loss = requireOneOf(`${name}.loss`, m.loss ?? 'cross_entropy', LOSSES);
  if (m.bias !== undefined && typeof m.bias !== 'boolean') throw typeError(`${name}.bias`, 'a boolean', m.bias);
  const layers = (m.layers as number[]).slice();
  const outputs = layers[layers.length - 1];
  if (loss === 'logistic' && outputs !== 1) throw rangeError(`${name}.layers`, 'to end in 1 output for the logistic loss', layers);
  if (loss === 'cross_entropy' && outputs < 2)
    throw rangeError(`${name}.layers`, 'to end in at least 2 outputs for the cross_entropy loss', layers);
  return { layers, activation, loss, bias: m.bias === undefined ? true : (m.bias as boolean) };
}

/** Number of parameters M. */
export function parameterCount(model: MlpSpec): number {
  let M = 0;
  const bias = model.bias !== false;
  for (let l = 1; l < model.layers.length; l++) M += model.layers[l] * model.layers[l - 1] + (bias ? model.layers[l] : 0);
  return M;
}

/** Number of classes the labels range over (2 for the one-output logistic loss). */
export function classCount(model: MlpSpec): number {
  return model.loss === 'logistic' ? 2 : model.layers[model.layers.length - 1];
}

export interface LayerSlice {
  layer: number; // 1-based
  weight: { offset: number; rows: number; cols: number };
  bias: { offset: number; length: number } | null;
}

/** Where each layer's weight and bias live in the flat vector (PyTorch order). */
export function parameterLayout(model: MlpSpec): LayerSlice[] {
  const out: LayerSlice[] = [];
  const bias = model.bias !== false;
  let offset = 0;
  for (let l = 1; l < model.layers.length; l++) {
    const rows = model.layers[l], cols = model.layers[l - 1];
    const weight = { offset, rows, cols };
    offset += rows * cols;
    const b = bias ? { offset, length: rows } : null;
    if (bias) offset += rows;
    out.push({ layer: l, weight, bias: b });
  }
  return out;
}

/** PyTorch-style name of parameter j, e.g. "layers.0.weight[3, 17]" or "layers.1.bias[4]". */
export function parameterName(model: MlpSpec, j: number): string {
  for (const s of parameterLayout(model)) {
    const w = s.weight;
    if (j >= w.offset && j < w.offset + w.rows * w.cols) {
      const k = j - w.offset;
      return `layers.${s.layer - 1}.weight[${Math.floor(k / w.cols)}, ${k % w.cols}]`;
    }
    if (s.bias && j >= s.bias.offset && j < s.bias.offset + s.bias.length) return `layers.${s.layer - 1}.bias[${j - s.bias.offset}]`;
  }
  throw rangeError('j', `an index in [0, ${parameterCount(model)})`, j);
}

export function toRawModel(model: Required<MlpSpec>): RawModel {
  return { layers: [...model.layers], activation: model.activation, loss: model.loss, bias: model.bias };
}
