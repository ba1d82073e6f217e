/**
 * Layer 8, sequential models (convnets) in TypeScript: normalisation and shape inference, every
 * bad shape, parameter counts, layout and names in PyTorch's order, the raw form (MLP-shaped
 * models stay on the MLP path), initialisations, configs, checkpoints and case files. The
 * native convnet engine is tested elsewhere; the only addon calls here run MLP-shaped models.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  describeModel, evaluate, inputSize, classCount, layerShapes, MlpSpec, mlpAsSequential, normalizeModel, parameterCount,
  parameterLayout, parameterName, runsAsMlp, sequentialAsMlp, SequentialSpec, toRawModel,
} from '../src';
import { loadCase, loadNpyCase } from '../src/cli/inputs';
import { gaussianMixture } from '../src/data';
import { writeNpy } from '../src/io/npy';
import { caseFromCheckpoint, initialParameters, loadCheckpoint, resolveConfig, saveCheckpoint, train, trainMany } from '../src/train';
import { InputError } from '../src/util/errors';
import { fixture } from './helpers/fixtures';

/** The brief's example: LeNet-like on MNIST-sized inputs. */
const example: SequentialSpec = {
  input_shape: [1, 28, 28],
  layers: [
    { type: 'conv2d', out_channels: 8, kernel: 5, stride: 1, padding: 0 }, { type: 'relu' },
    { type: 'maxpool2d', kernel: 2 }, { type: 'flatten' },
    { type: 'linear', out: 32 }, { type: 'relu' }, { type: 'linear', out: 10 },
  ],
  loss: 'cross_entropy',
};

/** PyTorch's MNIST example net: M = 31,770. */
const lenet: SequentialSpec = {
  input_shape: [1, 28, 28],
  layers: [
    { type: 'conv2d', out_channels: 10, kernel: 5 }, { type: 'relu' }, { type: 'maxpool2d', kernel: 2 },
    { type: 'conv2d', out_channels: 20, kernel: 5 }, { type: 'relu' }, { type: 'maxpool2d', kernel: 2 },
    { type: 'flatten' }, { type: 'linear', out: 80 }, { type: 'relu' }, { type: 'linear', out: 10 },
  ],
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-seq-'));
const bitEqual = (a: Float64Array, b: Float64Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
/** A model with one layer replaced/added, as plain JSON (the bad ones are not valid specs). */
const withLayers = (layers: unknown[], extra: Record<string, unknown> = {}) => ({ input_shape: [1, 8, 8], layers, ...extra }) as never;

describe('normalisation and shape inference', () => {
  test('fills every default, writes pairs and input sizes out, and is idempotent', () => {
    const m = normalizeModel(example);
    expect(m).toEqual({
      input_shape: [1, 28, 28],
      layers: [
        { type: 'conv2d', in_channels: 1, out_channels: 8, kernel: [5, 5], stride: [1, 1], padding: [0, 0], bias: true },
        { type: 'relu' },
        { type: 'maxpool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0] },
        { type: 'flatten' },
        { type: 'linear', in: 1152, out: 32, bias: true },
        { type: 'relu' },
        { type: 'linear', in: 32, out: 10, bias: true },
      ],
      loss: 'cross_entropy',
    });
    expect(JSON.stringify(normalizeModel(m))).toBe(JSON.stringify(m));
    expect(normalizeModel({ ...example, loss: undefined }).loss).toBe('cross_entropy');
    expect(inputSize(example)).toBe(784);
    expect(classCount(example)).toBe(10);
  });

  test('shapes follow PyTorch: floor((H + 2p - k) / s) + 1, rectangular kernels, strides and padding', () => {
    const m: SequentialSpec = {
      input_shape: [3, 32, 30],
      layers: [
        { type: 'conv2d', out_channels: 16, kernel: [3, 5], stride: 2, padding: [1, 2] }, { type: 'tanh' },
        { type: 'maxpool2d', kernel: 3, stride: [2, 1], padding: 1 }, { type: 'flatten' },
        { type: 'linear', out: 4, bias: false },
      ],
      loss: 'mse',
    };
    const shapes = layerShapes(m);
    // conv: H (32 + 2 - 3) / 2 + 1 = 16, W (30 + 4 - 5) / 2 + 1 = 15; pool: (16 + 2 - 3) / 2 + 1 = 8, (15 + 2 - 3) / 1 + 1 = 15
    expect(shapes.map((s) => s.output)).toEqual([[16, 16, 15], [16, 16, 15], [16, 8, 15], [1920], [4]]);
    expect(shapes.map((s) => s.parameters)).toEqual([16 * 3 * 15 + 16, 0, 0, 0, 1920 * 4]);
    expect(shapes[0].input).toEqual([3, 32, 30]);
    expect(parameterCount(m)).toBe(16 * 3 * 15 + 16 + 1920 * 4);
    expect(describeModel(m)).toBe('3x32x30 → conv2d(3→16,3x5,s2,p1x2) tanh maxpool(3,s2x1,p1) flatten linear(1920→4,no bias), mse, M = 8,416');
  });

  test('a [D] input, in / in_channels given and matching, flatten of a flat shape', () => {
    const m = normalizeModel({ input_shape: [6], layers: [{ type: 'flatten' }, { type: 'linear', in: 6, out: 3 }, { type: 'sigmoid' }, { type: 'linear', out: 2 }] });
    expect(parameterCount(m)).toBe(6 * 3 + 3 + 3 * 2 + 2);
    expect(() => normalizeModel({ ...example, layers: [{ type: 'conv2d', in_channels: 1, out_channels: 2, kernel: 28 }, { type: 'flatten' }] })).not.toThrow();
  });

  test('describeModel and layerShapes', () => {
    expect(describeModel(example)).toBe('1x28x28 → conv2d(1→8,5x5) relu maxpool(2) flatten linear(1152→32) relu linear(32→10), cross_entropy, M = 37,434');
    expect(describeModel({ layers: [4, 5, 3], activation: 'linear', loss: 'mse', bias: false }))
      .toBe('4 → linear(4→5,no bias) identity linear(5→3,no bias), mse, M = 35');
    const shapes = layerShapes(lenet);
    expect(shapes.map((s) => `${s.type} ${s.output.join('x')}`)).toEqual([
      'conv2d 10x24x24', 'relu 10x24x24', 'maxpool2d 10x12x12', 'conv2d 20x8x8', 'relu 20x8x8', 'maxpool2d 20x4x4',
      'flatten 320', 'linear 80', 'relu 80', 'linear 10',
    ]);
    expect(shapes.reduce((s, l) => s + l.parameters, 0)).toBe(31770);
  });

  const conv = (o: Record<string, unknown> = {}) => ({ type: 'conv2d', out_channels: 4, kernel: 3, ...o });
  const tail = [{ type: 'flatten' }, { type: 'linear', out: 2 }];
  test.each<[string, unknown, typeof TypeError | typeof RangeError, RegExp]>([
    ['kernel larger than the input', withLayers([conv({ kernel: 9 }), ...tail]), RangeError,
      /model\.layers\[0\]\.kernel must be at most the padded input 8x8 \(input shape \[1, 8, 8\], padding 0x0\); received 9x9/],
    ['kernel larger than the padded input, deeper', withLayers([conv({ kernel: 5 }), { type: 'maxpool2d', kernel: 2 }, conv({ kernel: [2, 3], padding: [0, 0] }), ...tail]), RangeError,
      /model\.layers\[2\]\.kernel must be at most the padded input 2x2 \(input shape \[4, 2, 2\], padding 0x0\); received 2x3/],
    ['pooling larger than its input', withLayers([{ type: 'maxpool2d', kernel: [2, 9] }, ...tail]), RangeError, /layers\[0\]\.kernel must be at most the padded input 8x8.*received 2x9/],
    ['in_channels mismatch', withLayers([conv(), conv({ in_channels: 3 }), ...tail]), RangeError,
      /model\.layers\[1\]\.in_channels must be 4 \(the channels of its input, shape \[4, 6, 6\]\); received 3/],
    ['linear in mismatch', withLayers([{ type: 'flatten' }, { type: 'linear', in: 60, out: 2 }]), RangeError, /model\.layers\[1\]\.in must be 64 \(the features of its input\); received 60/],
    ['linear without flatten', withLayers([conv(), { type: 'relu' }, { type: 'linear', out: 2 }]), RangeError,
      /model\.layers\[2\] \(linear\) needs a flat input; the shape there is \[4, 6, 6\]: add \{"type": "flatten"\} before it/],
    ['conv2d on a flat shape', withLayers([{ type: 'flatten' }, conv(), ...tail]), RangeError, /model\.layers\[1\] \(conv2d\) needs a \[C, H, W\] input; the shape there is \[64\]/],
    ['maxpool padding over half the kernel', withLayers([{ type: 'maxpool2d', kernel: 2, padding: 2 }, ...tail]), RangeError,
      /model\.layers\[0\]\.padding must be at most half the kernel 2x2, i\.e\. at most 1x1 \(PyTorch's rule\); received 2x2/],
    ['maxpool padding over half, one side', withLayers([{ type: 'maxpool2d', kernel: [3, 2], padding: [1, 2] }, ...tail]), RangeError, /at most 1x1.*received 1x2/],
    ['negative padding', withLayers([conv({ padding: -1 }), ...tail]), RangeError, /model\.layers\[0\]\.padding must be an integer in \[0, /],
    ['zero stride', withLayers([conv({ stride: [1, 0] }), ...tail]), RangeError, /model\.layers\[0\]\.stride\[1\] must be an integer in \[1, /],
    ['kernel of the wrong type', withLayers([conv({ kernel: '3' }), ...tail]), TypeError, /model\.layers\[0\]\.kernel must be an integer or a pair \[height, width\]/],
    ['kernel pair of three', withLayers([conv({ kernel: [3, 3, 3] }), ...tail]), TypeError, /model\.layers\[0\]\.kernel must be an integer or a pair/],
    ['missing kernel', withLayers([{ type: 'conv2d', out_channels: 4 }, ...tail]), TypeError, /model\.layers\[0\]\.kernel must be/],
    ['missing out_channels', withLayers([{ type: 'conv2d', kernel: 3 }, ...tail]), TypeError, /model\.layers\[0\]\.out_channels must be an integer; received undefined/],
    ['bias not a boolean', withLayers([conv({ bias: 1 }), ...tail]), TypeError, /model\.layers\[0\]\.bias must be a boolean/],
    ['unknown layer key', withLayers([conv(), { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }, { type: 'maxpool2d', kernal: 2 }, ...tail]), RangeError,
      /model\.layers\[3\]\.kernal is not a key of a maxpool2d layer \(its keys: type, kernel, stride, padding\)/],
    ['a key of another layer type', withLayers([{ type: 'relu', out: 3 }, ...tail]), RangeError, /model\.layers\[0\]\.out is not a key of a relu layer/],
    ['unknown layer type', withLayers([conv(), { type: 'dropout' }, ...tail]), RangeError, /model\.layers\[1\]\.type must be one of conv2d \| maxpool2d \| flatten \| linear \| relu/],
    ['a layer that is not an object', withLayers([conv(), 'relu', ...tail]), TypeError, /model\.layers\[1\] must be a layer object/],
    ['unknown model key', withLayers(tail, { dropout: 0.5 }), RangeError, /model\.dropout is not a key of a sequential model \(its keys: input_shape, layers, loss\)/],
    ['MLP keys on a sequential model', withLayers(tail, { activation: 'relu' }), RangeError, /model\.activation is not a key of a sequential model.*lists its activations as layers/],
    ['layer objects without input_shape', { layers: [{ type: 'linear', out: 2 }], loss: 'mse' }, TypeError, /model\.input_shape must be an array \[C, H, W\] or \[D\] \(a model whose layers are objects/],
    ['input_shape of two sizes', { input_shape: [28, 28], layers: tail }, RangeError, /model\.input_shape must be \[C, H, W\] or \[D\] \(3 or 1 sizes\); received \[28,28\]/],
    ['input_shape with a zero', { input_shape: [1, 0, 28], layers: tail }, RangeError, /model\.input_shape\[1\] must be an integer in \[1, /],
    ['no layers', withLayers([]), RangeError, /model\.layers must be a non-empty array of layers/],
    ['nothing to train', withLayers([{ type: 'flatten' }, { type: 'relu' }], { loss: 'mse' }), RangeError, /model\.layers must be a list with at least one conv2d or linear layer.*received flatten, relu/],
    ['ending in an image', withLayers([conv()]), RangeError, /model\.layers must be a list ending in a flat output \(the logits\).*received a final shape \[4, 6, 6\]/],
    ['logistic with 2 outputs', withLayers(tail, { loss: 'logistic' }), RangeError, /model\.layers must end in 1 output for the logistic loss; received a final shape \[2\]/],
    ['cross_entropy with 1 output', withLayers([{ type: 'flatten' }, { type: 'linear', out: 1 }]), RangeError, /model\.layers must end in at least 2 outputs for the cross_entropy loss; received a final shape \[1\]/],
    ['unknown loss', withLayers(tail, { loss: 'hinge' }), RangeError, /model\.loss must be one of cross_entropy \| mse \| logistic/],
    ['a layer output too large', { input_shape: [1, 1000, 1000], layers: [{ type: 'conv2d', out_channels: 4000, kernel: 1 }, ...tail] }, RangeError, /model\.layers\[0\] must be a layer with at most 2147483647 output values/],
  ])('%s', (_name, model, kind, message) => {
    let err: unknown;
    try {
      normalizeModel(model);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(kind);
    expect((err as Error).message).toMatch(message);
  });

  test('logistic regression as a sequential model: one output, two classes', () => {
    const m = normalizeModel(withLayers(tail.slice(0, 1).concat([{ type: 'linear', out: 1 }]), { loss: 'logistic' }));
    expect(classCount(m)).toBe(2);
  });

  test('the MLP form is unchanged', () => {
    expect(normalizeModel({ layers: [3, 4, 2], activation: 'tanh', loss: 'cross_entropy' })).toEqual({ layers: [3, 4, 2], activation: 'tanh', loss: 'cross_entropy', bias: true });
    expect(() => normalizeModel({ layers: [3, 4, 2], activation: 'tanh', loss: 'logistic' })).toThrow(/model\.layers must be to end in 1 output for the logistic loss/);
  });
});

describe('parameters: count, layout and names in PyTorch state_dict order', () => {
  test('M by hand', () => {
    expect(parameterCount(lenet)).toBe(31770); // 10·1·25+10 + 20·10·25+20 + 320·80+80 + 80·10+10
    expect(parameterCount(example)).toBe(8 * 25 + 8 + 1152 * 32 + 32 + 32 * 10 + 10);
    const noBias: SequentialSpec = { ...lenet, layers: lenet.layers.map((l) => (l.type === 'conv2d' || l.type === 'linear' ? { ...l, bias: false } : l)) };
    expect(parameterCount(noBias)).toBe(31770 - 10 - 20 - 80 - 10);
  });

  const small: SequentialSpec = {
    input_shape: [2, 3, 3],
    layers: [{ type: 'conv2d', out_channels: 2, kernel: 2 }, { type: 'relu' }, { type: 'flatten' }, { type: 'linear', out: 3 }],
  };

  test('layout: conv weight (out, in, kh, kw) then bias, then linear weight (out, in) then bias', () => {
    expect(parameterLayout(small)).toEqual([
      { layer: 0, prefix: 'layers.0', type: 'conv2d', weight: { offset: 0, rows: 2, cols: 8, shape: [2, 2, 2, 2] }, bias: { offset: 16, length: 2 } },
      { layer: 3, prefix: 'layers.3', type: 'linear', weight: { offset: 18, rows: 3, cols: 8, shape: [3, 8] }, bias: { offset: 42, length: 3 } },
    ]);
    expect(parameterCount(small)).toBe(45);
  });

  test('names: layers.{index in model.layers}.weight[o, c, kh, kw] / weight[r, s] / bias[o], row-major', () => {
    const names = Array.from({ length: 45 }, (_, j) => parameterName(small, j));
    expect(names.slice(0, 5)).toEqual([
      'layers.0.weight[0, 0, 0, 0]', 'layers.0.weight[0, 0, 0, 1]', 'layers.0.weight[0, 0, 1, 0]', 'layers.0.weight[0, 0, 1, 1]', 'layers.0.weight[0, 1, 0, 0]',
    ]);
    expect(names[8]).toBe('layers.0.weight[1, 0, 0, 0]');
    expect(names[15]).toBe('layers.0.weight[1, 1, 1, 1]');
    expect(names.slice(16, 19)).toEqual(['layers.0.bias[0]', 'layers.0.bias[1]', 'layers.3.weight[0, 0]']);
    expect(names[26]).toBe('layers.3.weight[1, 0]');
    expect(names.slice(41)).toEqual(['layers.3.weight[2, 7]', 'layers.3.bias[0]', 'layers.3.bias[1]', 'layers.3.bias[2]']);
    expect(new Set(names).size).toBe(45);
    expect(() => parameterName(small, 45)).toThrow(RangeError);
    // MLP names are as before: the i of layers.i counts linear layers.
    expect(parameterName({ layers: [20, 5, 3], activation: 'relu', loss: 'cross_entropy' }, 3 * 20 + 17)).toBe('layers.0.weight[3, 17]');
    expect(parameterLayout({ layers: [20, 5, 3], activation: 'relu', loss: 'cross_entropy' })[1]).toEqual(
      { layer: 2, prefix: 'layers.1', type: 'linear', weight: { offset: 105, rows: 3, cols: 5, shape: [3, 5] }, bias: { offset: 120, length: 3 } });
  });
});

describe('toRawModel: MLP-shaped sequential models take the MLP path', () => {
  const mlpLike = (act: string, extra: unknown[] = [], inputShape = [12]) =>
    ({ input_shape: inputShape, layers: [{ type: 'linear', out: 5 }, { type: act }, { type: 'linear', out: 4 }, { type: act }, { type: 'linear', out: 3 }, ...extra], loss: 'mse' }) as never;

  test.each([['relu', 'relu'], ['tanh', 'tanh'], ['sigmoid', 'sigmoid'], ['identity', 'linear']])('%s between linear layers → the MLP raw form', (act, activation) => {
    expect(toRawModel(mlpLike(act))).toEqual({ layers: [12, 5, 4, 3], activation, loss: 'mse', bias: true });
  });

  test('a leading flatten of an image input, biases off everywhere, a single linear layer', () => {
    const img = { input_shape: [1, 4, 3], layers: [{ type: 'flatten' }, { type: 'linear', out: 6, bias: false }, { type: 'relu' }, { type: 'linear', out: 2, bias: false }] } as SequentialSpec;
    expect(toRawModel(img)).toEqual({ layers: [12, 6, 2], activation: 'relu', loss: 'cross_entropy', bias: false });
    expect(toRawModel({ input_shape: [7], layers: [{ type: 'linear', out: 1 }], loss: 'logistic' })).toEqual({ layers: [7, 1], activation: 'linear', loss: 'logistic', bias: true });
    expect(runsAsMlp(img)).toBe(true);
  });

  test.each<[string, unknown]>([
    ['mixed activations', { input_shape: [12], layers: [{ type: 'linear', out: 5 }, { type: 'relu' }, { type: 'linear', out: 4 }, { type: 'tanh' }, { type: 'linear', out: 3 }] }],
    ['an output activation', mlpLike('relu', [{ type: 'sigmoid' }])],
    ['two activations in a row', { input_shape: [12], layers: [{ type: 'linear', out: 5 }, { type: 'relu' }, { type: 'relu' }, { type: 'linear', out: 3 }] }],
    ['a missing activation', { input_shape: [12], layers: [{ type: 'linear', out: 5 }, { type: 'linear', out: 3 }] }],
    ['mixed biases', { input_shape: [12], layers: [{ type: 'linear', out: 5 }, { type: 'relu' }, { type: 'linear', out: 3, bias: false }] }],
    ['a flatten in the middle', { input_shape: [12], layers: [{ type: 'linear', out: 5 }, { type: 'relu' }, { type: 'flatten' }, { type: 'linear', out: 3 }] }],
  ])('%s → the sequential raw form', (_name, model) => {
    const raw = toRawModel(model as SequentialSpec);
    expect(raw).toHaveProperty('inputShape', [12]);
    expect(runsAsMlp(model as SequentialSpec)).toBe(false);
  });

  test('a convnet: exactly the raw contract (camelCase, pairs, no in / in_channels)', () => {
    const m: SequentialSpec = {
      input_shape: [1, 28, 28],
      layers: [
        { type: 'conv2d', out_channels: 8, kernel: [5, 3], stride: 2, padding: [1, 0], bias: false }, { type: 'sigmoid' },
        { type: 'maxpool2d', kernel: 2, padding: 1 }, { type: 'flatten' }, { type: 'linear', out: 10 }, { type: 'identity' }, { type: 'linear', out: 3 },
      ],
      loss: 'mse',
    };
    expect(toRawModel(m)).toEqual({
      inputShape: [1, 28, 28],
      layers: [
        { type: 'conv2d', outChannels: 8, kernel: [5, 3], stride: [2, 2], padding: [1, 0], bias: false },
        { type: 'sigmoid' },
        { type: 'maxpool2d', kernel: [2, 2], stride: [2, 2], padding: [1, 1] },
        { type: 'flatten' },
        { type: 'linear', out: 10, bias: true },
        { type: 'identity' },
        { type: 'linear', out: 3, bias: true },
      ],
      loss: 'mse',
    });
    expect(JSON.stringify(toRawModel(lenet))).not.toMatch(/in_channels|"in"|out_channels/);
  });

  test('an MLP still gives its own raw form; mlpAsSequential and sequentialAsMlp invert each other', () => {
    const mlp = normalizeModel({ layers: [6, 4, 4, 2], activation: 'sigmoid', loss: 'cross_entropy', bias: false } as MlpSpec);
    expect(toRawModel(mlp)).toEqual({ layers: [6, 4, 4, 2], activation: 'sigmoid', loss: 'cross_entropy', bias: false });
    const seq = mlpAsSequential(mlp);
    expect(parameterCount(seq)).toBe(parameterCount(mlp));
    expect(sequentialAsMlp(seq)).toEqual(mlp);
    expect(toRawModel(seq)).toEqual(toRawModel(mlp));
  });

  test('the addon gives an MLP-shaped sequential model exactly the MLP results (the MLP path)', () => {
    const mlp: MlpSpec = { layers: [5, 6, 3], activation: 'tanh', loss: 'cross_entropy' };
    const f = fixture(mlp, 9, 4);
    const seq = mlpAsSequential(normalizeModel(mlp));
    const a = evaluate(mlp, f.params, f.data), b = evaluate(seq, f.params, f.data);
    expect(b.loss).toBe(a.loss);
    expect(bitEqual(b.gradient, a.gradient)).toBe(true);
  });
});

describe('initialisations of conv2d and linear layers', () => {
  const net: SequentialSpec = {
    input_shape: [3, 12, 12],
    layers: [{ type: 'conv2d', out_channels: 64, kernel: 5 }, { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }, { type: 'flatten' }, { type: 'linear', out: 10 }],
  };
  const [conv, lin] = parameterLayout(net);
  const weights = (w: Float64Array, s: typeof conv) => w.subarray(s.weight.offset, s.weight.offset + s.weight.rows * s.weight.cols);
  const biases = (w: Float64Array, s: typeof conv) => w.subarray(s.bias!.offset, s.bias!.offset + s.bias!.length);
  const absMax = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const variance = (a: Float64Array) => a.reduce((s, v) => s + v * v, 0) / a.length;

  test('pytorch: U(±1/sqrt(fan_in)) with fan_in = in_channels·kh·kw for the conv weight and bias', () => {
    const w = initialParameters(net, 'pytorch', 1);
    const convBound = 1 / Math.sqrt(3 * 25), linBound = 1 / Math.sqrt(64 * 4 * 4);
    expect(absMax(weights(w, conv))).toBeLessThanOrEqual(convBound);
    expect(absMax(weights(w, conv))).toBeGreaterThan(0.99 * convBound);
    expect(absMax(biases(w, conv))).toBeLessThanOrEqual(convBound);
    expect(absMax(biases(w, conv))).toBeGreaterThan(0.5 * convBound);
    expect(variance(weights(w, conv)) / (convBound * convBound / 3)).toBeCloseTo(1, 1);
    expect(absMax(weights(w, lin))).toBeLessThanOrEqual(linBound);
    expect(absMax(weights(w, lin))).toBeGreaterThan(0.99 * linBound);
    expect(absMax(biases(w, lin))).toBeLessThanOrEqual(linBound);
  });

  test('glorot: fan_in + fan_out = (in_channels + out_channels)·kh·kw for conv; zero biases', () => {
    const w = initialParameters(net, 'glorot', 2);
    const bound = Math.sqrt(6 / ((3 + 64) * 25));
    expect(absMax(weights(w, conv))).toBeLessThanOrEqual(bound);
    expect(absMax(weights(w, conv))).toBeGreaterThan(0.99 * bound);
    expect(absMax(biases(w, conv))).toBe(0);
    const linBound = Math.sqrt(6 / (1024 + 10));
    expect(absMax(weights(w, lin))).toBeLessThanOrEqual(linBound);
    expect(absMax(weights(w, lin))).toBeGreaterThan(0.98 * linBound);
  });

  test('he: variance 2/fan_in with fan_in = in_channels·kh·kw', () => {
    const w = initialParameters(net, 'he', 3);
    expect(variance(weights(w, conv)) / (2 / 75)).toBeCloseTo(1, 1); // 4,800 draws
    expect(variance(weights(w, lin)) / (2 / 1024)).toBeCloseTo(1, 1);
    expect(absMax(biases(w, lin))).toBe(0);
  });

  test('draw order = parameter order: an MLP-shaped sequential model gets the MLP\'s vector bit for bit', () => {
    const mlp = normalizeModel({ layers: [7, 9, 4], activation: 'relu', loss: 'cross_entropy' } as MlpSpec);
    for (const scheme of ['pytorch', 'glorot', 'he'] as const) {
      expect(bitEqual(initialParameters(mlpAsSequential(mlp), scheme, 5), initialParameters(mlp, scheme, 5))).toBe(true);
    }
    const s = initialParameters(net, { scheme: 'sphere', radius: 2 }, 6);
    expect(Math.hypot(...s)).toBeCloseTo(2, 12);
  });
});

describe('configs, training entry points and checkpoints', () => {
  const data = { kind: 'gaussian_mixture', k: 3, N: 30, d: 16, seed: 1 } as const;
  const convnet: SequentialSpec = {
    input_shape: [1, 4, 4],
    layers: [{ type: 'conv2d', out_channels: 2, kernel: 3, padding: 1 }, { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }, { type: 'flatten' }, { type: 'linear', out: 3 }],
  };
  const config = { model: convnet, data, phases: [{ steps: 10, lr: 0.1 }] };

  test('resolveConfig accepts a sequential model, normalised, and is idempotent', () => {
    const c = resolveConfig(config);
    expect(c.model).toEqual(normalizeModel(convnet));
    expect(JSON.stringify(resolveConfig(c))).toBe(JSON.stringify(c));
    expect(() => resolveConfig({ ...config, model: { ...convnet, layers: [{ type: 'linear', out: 3 }] } })).toThrow(/config\.model\.layers\[0\] \(linear\) needs a flat input/);
  });

  test('train() checks the input shape against the data dimension before any native work', async () => {
    await expect(train({ ...config, model: { ...convnet, input_shape: [1, 5, 5] } })).rejects.toThrow(
      /config\.model\.input_shape must hold the data dimension d = 16 features; received \[1, 5, 5\] \(25 features\)/);
  });

  test('trainMany refuses a convnet and names train()', async () => {
    const ds = gaussianMixture({ k: 3, N: 30, d: 16, seed: 1 });
    await expect(trainMany({ model: convnet, data: ds, phases: [{ steps: 5, lr: 0.1 }], runs: 2 })).rejects.toThrow(
      /options\.model must be an MLP: trainMany supports MLPs only \(train convnets with train\(\)\); received 1x4x4 → conv2d/);
  });

  test('trainMany runs an MLP-shaped sequential model exactly as the MLP', async () => {
    const ds = gaussianMixture({ k: 3, N: 30, d: 16, seed: 1 });
    const mlp: MlpSpec = { layers: [16, 6, 3], activation: 'relu', loss: 'cross_entropy' };
    const opts = { data: ds, phases: [{ steps: 20, lr: 0.1 }], runs: 2, seed: 3, threads: 1 };
    const a = await trainMany({ ...opts, model: mlp });
    const b = await trainMany({ ...opts, model: { input_shape: [1, 4, 4], layers: [{ type: 'flatten' }, { type: 'linear', out: 6 }, { type: 'relu' }, { type: 'linear', out: 3 }] } });
    expect(bitEqual(b.finalParams, a.finalParams)).toBe(true);
  });

  test('a checkpoint stores the normalised sequential model and caseFromCheckpoint rebuilds the case', () => {
    const dir = path.join(tmp, 'ckpt');
    const cfg = resolveConfig(config);
    const M = parameterCount(cfg.model);
    const params = initialParameters(cfg.model, cfg.init, cfg.seed);
    expect(params.length).toBe(M);
    saveCheckpoint(dir, { config: cfg, step: 0, params, metrics: [], stopped: null });
    const stored = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8'));
    expect(stored.model).toEqual(normalizeModel(convnet));
    const c = loadCheckpoint(dir);
    expect(c.model).toEqual(cfg.model);
    expect(bitEqual(c.params, params)).toBe(true);
    const kase = caseFromCheckpoint(dir);
    expect(kase.model).toEqual(cfg.model);
    expect(kase.data.X.length).toBe(30 * 16);
  });
});

describe('case files with a "model" key', () => {
  const model: SequentialSpec = {
    input_shape: [1, 4, 4],
    layers: [{ type: 'conv2d', out_channels: 2, kernel: 3 }, { type: 'tanh' }, { type: 'flatten' }, { type: 'linear', out: 3 }],
  };
  const M = parameterCount(model); // 2·9+2 + 8·3+3 = 47
  const N = 4;
  const X = Array.from({ length: N }, (_, i) => Array.from({ length: 16 }, (_, j) => (i * 16 + j) / 64));
  const good = { model, params: Array.from({ length: M }, (_, j) => j / 100), X, y: [0, 1, 2, 1] };
  const write = (name: string, obj: unknown) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, JSON.stringify(obj));
    return file;
  };
  const message = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      return (err as Error).message;
    }
    throw new Error('expected an InputError');
  };

  test('reads the model (normalised), the parameters and the flattened rows', () => {
    const c = loadCase(write('good.json', { ...good, note: 'kept aside' }));
    expect(M).toBe(47);
    expect(c.model).toEqual(normalizeModel(model));
    expect(c.params.length).toBe(M);
    expect(Array.from(c.data.X)).toEqual(X.flat());
    expect(Array.from(c.data.y)).toEqual([0, 1, 2, 1]);
    expect(c.ignoredKeys).toEqual(['note']);
  });

  test('an MLP under "model" and the top-level MLP form both still work', () => {
    const mlp = { layers: [16, 3], activation: 'relu', loss: 'cross_entropy' };
    const params = Array.from({ length: 51 }, () => 0.1);
    expect(loadCase(write('mlp-under-model.json', { model: mlp, params, X, y: good.y })).model).toEqual({ ...mlp, bias: true });
    expect(loadCase(write('mlp-top.json', { ...mlp, params, X, y: good.y })).model).toEqual({ ...mlp, bias: true });
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['a model error names the key', { ...good, model: { ...model, layers: [{ type: 'maxpool2d', kernal: 2 }] } }, /bad\.json: model\.layers\[0\]\.kernal is not a key of a maxpool2d layer/],
    ['a shape error', { ...good, model: { ...model, input_shape: [1, 2, 2] } }, /bad\.json: model\.layers\[0\]\.kernel must be at most the padded input 2x2/],
    ['a row of the wrong length', { ...good, X: [X[0].slice(1), ...X.slice(1)] }, /bad\.json: "X"\[0\] must have 16 features \(input_shape \[1, 4, 4\] flattened row-major\); received 15/],
    ['a nested (unflattened) sample', { ...good, X: X.map(() => [[[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]]) }, /"X"\[0\] must have 16 features.*received 1 \(a sample is one flat array: flatten it row-major\)/],
    ['params of the wrong length', { ...good, params: good.params.slice(2) }, /bad\.json: "params" must have 47 entries for the model 1x4x4 → conv2d\(1→2,3x3\).*received 45/],
    ['a label out of range', { ...good, y: [0, 1, 3, 1] }, /bad\.json: "y"\[2\] must be a class index in \[0, 2\]; received 3/],
    ['missing y', { model, params: good.params, X }, /bad\.json: missing key "y"/],
    ['model and top-level MLP keys', { ...good, layers: [16, 3] }, /bad\.json: give the model either under "model" or as top-level keys.*found "model" and "layers"/],
    ['a sequential model at the top level', { ...model, params: good.params, X, y: good.y }, /bad\.json: a sequential model goes under the key "model"/],
    ['model not an object', { ...good, model: [1, 2] }, /bad\.json: "model" must be an object/],
    ['no model at all', { params: good.params, X, y: good.y }, /bad\.json: missing key "model" \(or an MLP's "layers" at the top level\)/],
  ])('%s', (_name, obj, expected) => {
    expect(message(() => loadCase(write('bad.json', obj)))).toMatch(expected);
  });

  test('--model with .npy files: X as (N, C*H*W) or (N, C, H, W); other shapes are named', () => {
    const modelFile = write('model.json', model);
    const paramsFile = path.join(tmp, 'p.npy'), labelsFile = path.join(tmp, 'y.npy');
    writeNpy(paramsFile, Float64Array.from(good.params), [M]);
    writeNpy(labelsFile, Int32Array.from(good.y), [N]);
    const flat = Float64Array.from(X.flat());
    for (const [name, shape] of [['flat.npy', [N, 16]], ['tensor.npy', [N, 1, 4, 4]]] as const) {
      writeNpy(path.join(tmp, name), flat, [...shape]);
      const c = loadNpyCase({ model: modelFile, params: paramsFile, inputs: path.join(tmp, name), labels: labelsFile });
      expect(c.model).toEqual(normalizeModel(model));
      expect(Array.from(c.data.X)).toEqual(Array.from(flat));
    }
    writeNpy(path.join(tmp, 'wrong.npy'), flat, [N, 4, 4]);
    expect(message(() => loadNpyCase({ model: modelFile, params: paramsFile, inputs: path.join(tmp, 'wrong.npy'), labels: labelsFile })))
      .toMatch(/wrong\.npy: inputs must have shape \(4, 16\) or \(4, 1, 4, 4\) \(N labels x input_shape \[1, 4, 4\] flattened row-major\); received \(4, 4, 4\)/);
    const badModel = write('bad-model.json', { ...model, layers: [{ type: 'conv2d', out_channels: 2, kernel: 3, in_channels: 3 }, { type: 'flatten' }, { type: 'linear', out: 3 }] });
    expect(message(() => loadNpyCase({ model: badModel, params: paramsFile, inputs: path.join(tmp, 'flat.npy'), labels: labelsFile })))
      .toMatch(/bad-model\.json: model\.layers\[0\]\.in_channels must be 1 \(the channels of its input, shape \[1, 4, 4\]\); received 3/);
  });
});
