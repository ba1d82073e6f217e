/**
 * Models in words and tables, for reports and logs: a one-line description and the shape after
 * every layer. An MLP is shown as the nn.Sequential it is (convert.ts), so both forms read alike.
 */
import { mlpAsSequential } from './convert';
import { isSequential, ModelSpec, normalizeModel, parameterCount } from './model';
import { inferSequential, LayerType, NormalizedLayer, NormalizedSequential, Pair } from './sequential';

export interface LayerShape {
  /** Index in model.layers (for an MLP: in its nn.Sequential linear, act, linear, ...). */
  index: number;
  type: LayerType;
  input: number[];
  output: number[];
  /** Weights and biases of this layer (0 for the parameter-free ones). */
  parameters: number;
}

function asSequential(model: ModelSpec): NormalizedSequential {
  const m = normalizeModel(model);
  return isSequential(m) ? m : mlpAsSequential(m);
}

function layerParameters(layer: NormalizedLayer): number {
  if (layer.type === 'conv2d') return layer.out_channels * (layer.in_channels * layer.kernel[0] * layer.kernel[1] + (layer.bias ? 1 : 0));
  if (layer.type === 'linear') return layer.out * (layer.in + (layer.bias ? 1 : 0));
  return 0;
}

/** Every layer with its input and output shape and its parameter count. */
export function layerShapes(model: ModelSpec): LayerShape[] {
  const { model: seq, shapes } = inferSequential(asSequential(model));
  return seq.layers.map((layer, index) => ({ index, type: layer.type, input: shapes[index], output: shapes[index + 1], parameters: layerParameters(layer) }));
}

const pair = (p: Pair) => `${p[0]}x${p[1]}`;
const isOne = (p: Pair, v: number) => p[0] === v && p[1] === v;
/** A square pair as one number (PyTorch's int argument), else "a x b". */
const side = (p: Pair) => (p[0] === p[1] ? String(p[0]) : pair(p));

function layerText(layer: NormalizedLayer): string {
  switch (layer.type) {
    case 'conv2d': {
      const extra = [
        isOne(layer.stride, 1) ? '' : `,s${side(layer.stride)}`,
        isOne(layer.padding, 0) ? '' : `,p${side(layer.padding)}`,
        layer.bias ? '' : ',no bias',
      ].join('');
      return `conv2d(${layer.in_channels}→${layer.out_channels},${pair(layer.kernel)}${extra})`;
    }
    case 'maxpool2d': {
      const plain = layer.stride[0] === layer.kernel[0] && layer.stride[1] === layer.kernel[1] && isOne(layer.padding, 0);
      return plain ? `maxpool(${side(layer.kernel)})` : `maxpool(${side(layer.kernel)},s${side(layer.stride)},p${side(layer.padding)})`;
    }
    case 'linear':
      return `linear(${layer.in}→${layer.out}${layer.bias ? '' : ',no bias'})`;
    default:
      return layer.type;
  }
}

/**
 * One line, e.g. "1x28x28 → conv2d(1→8,5x5) relu maxpool(2) flatten linear(1152→32) relu
 * linear(32→10), cross_entropy, M = 37,434".
 */
export function describeModel(model: ModelSpec): string {
  const seq = asSequential(model);
  const layers = seq.layers.map(layerText).join(' ');
  return `${seq.input_shape.join('x')} → ${layers}, ${seq.loss}, M = ${parameterCount(seq).toLocaleString('en-US')}`;
}
