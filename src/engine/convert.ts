/**
 * The two model forms in terms of each other. An MLP is the sequential model
 * linear, act, linear, act, ..., linear with the same parameter order (weight then bias per
 * linear layer), so either can stand for the other exactly; toRawModel uses sequentialAsMlp to
 * keep MLP-shaped sequential models on the native MLP path, which is the fast one.
 */
import type { Activation, NormalizedMlp } from './model';
import type { ActivationLayerType, NormalizedLayer, NormalizedSequential } from './sequential';

const TO_LAYER: Record<Activation, ActivationLayerType> = { relu: 'relu', tanh: 'tanh', sigmoid: 'sigmoid', linear: 'identity' };
const TO_MLP: Record<ActivationLayerType, Activation> = { relu: 'relu', tanh: 'tanh', sigmoid: 'sigmoid', identity: 'linear' };

/** The MLP as an nn.Sequential: input_shape [d0], a linear layer per size, the activation between them. */
export function mlpAsSequential(model: NormalizedMlp): NormalizedSequential {
  const layers: NormalizedLayer[] = [];
  for (let l = 1; l < model.layers.length; l++) {
    if (l > 1) layers.push({ type: TO_LAYER[model.activation] });
    layers.push({ type: 'linear', in: model.layers[l - 1], out: model.layers[l], bias: model.bias });
  }
  return { input_shape: [model.layers[0]], layers, loss: model.loss };
}

/**
 * The MLP a sequential model is exactly, or null: an optional leading flatten, then linear
 * layers with one activation of a single type between each two (none after the last), all with
 * a bias or all without. A flatten is free here because a sample is already its flattened tensor.
 */
export function sequentialAsMlp(model: NormalizedSequential): NormalizedMlp | null {
  const layers = model.layers[0]?.type === 'flatten' ? model.layers.slice(1) : model.layers;
  if (layers.length % 2 === 0) return null; // linear (act linear)*
  const sizes = [model.input_shape.reduce((a, b) => a * b, 1)];
  let activation: ActivationLayerType | null = null;
  let bias: boolean | null = null;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    if (i % 2 === 0) {
      if (layer.type !== 'linear' || (bias !== null && layer.bias !== bias)) return null;
      bias = layer.bias;
      sizes.push(layer.out);
    } else {
      if (layer.type !== 'relu' && layer.type !== 'tanh' && layer.type !== 'sigmoid' && layer.type !== 'identity') return null;
      if (activation !== null && layer.type !== activation) return null;
      activation = layer.type;
    }
  }
  // One linear layer: no activation is ever applied, so any name is exact; 'linear' says so.
  return { layers: sizes, activation: TO_MLP[activation ?? 'identity'], loss: model.loss, bias: bias ?? true };
}
