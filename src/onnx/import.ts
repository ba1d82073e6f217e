/**
 * modelFromOnnx(): a PyTorch `nn.Sequential` exported by `torch.onnx.export` as a hessian-lab
 * sequential model (src/engine/sequential.ts) and its parameters in PyTorch order, taken from the
 * file's graph and initializers. The graph must be one chain from the data input to the output of
 * the operators those modules export to:
 *   nn.Linear     Gemm (transB 0 or 1, alpha = beta = 1), or MatMul [+ Add] with the weight as (in, out)
 *   nn.Conv2d     Conv (2-D, group 1, dilation 1, symmetric pads)
 *   nn.MaxPool2d  MaxPool (2-D, ceil_mode 0, dilation 1, symmetric pads)
 *   nn.ReLU / nn.Tanh / nn.Sigmoid    Relu / Tanh / Sigmoid
 *   nn.Flatten    Flatten (axis 1), or Reshape to (N, -1)
 * Identity and Dropout nodes (eval mode) pass through. Anything else is an InputError naming the
 * operator and the node. The loss is not in the file: the caller states it (default cross_entropy).
 */
import { Loss, LOSSES } from '../engine/loss';
import { inferSequential, LayerSpec, NormalizedSequential } from '../engine/sequential';
import { parameterCount } from '../engine/model';
import { InputError, requireOneOf } from '../util/errors';
import { decodeModel, GraphProto, int, ModelProto, NodeProto, readModelFile, TensorProto, AttributeProto } from './proto';

export interface OnnxImportOptions {
  /** The training loss (not stored in the file). Default cross_entropy. */
  loss?: Loss;
}

export interface OnnxModel {
  model: NormalizedSequential;
  /** PyTorch's parameters_to_vector order (each layer's weight, then its bias). */
  params: Float64Array;
  /** What produced the file, e.g. "pytorch 1.13.1". */
  producer: string;
}

/** The operators the importer reads, for messages. */
export const ONNX_OPERATORS = ['Gemm', 'MatMul', 'Add', 'Conv', 'MaxPool', 'Relu', 'Tanh', 'Sigmoid', 'Flatten', 'Reshape', 'Identity', 'Dropout', 'Constant'] as const;

const FLOAT = 1, DOUBLE = 11, INT64 = 7;

interface Tensor { dims: number[]; data: Float64Array }

/** A tensor's numbers as float64 (FLOAT, DOUBLE and, for Reshape's shape, INT64). */
function tensorValues(t: TensorProto, where: string): Tensor {
  const dims = t.dims.map((d) => int(d));
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = t.raw_data && t.raw_data.length ? t.raw_data : undefined;
  let data: Float64Array;
  const fromRaw = (bytes: number, read: (v: DataView, o: number) => number) => {
    if (raw!.length !== count * bytes) throw new InputError(`${where}: tensor "${t.name ?? ''}" has ${raw!.length} bytes for dims (${dims.join(', ')}), expected ${count * bytes}`);
    const view = new DataView(raw!.buffer, raw!.byteOffset, raw!.byteLength);
    return Float64Array.from({ length: count }, (_, i) => read(view, i * bytes));
  };
  if (t.data_type === FLOAT) data = raw ? fromRaw(4, (v, o) => v.getFloat32(o, true)) : Float64Array.from(t.float_data ?? []);
  else if (t.data_type === DOUBLE) data = raw ? fromRaw(8, (v, o) => v.getFloat64(o, true)) : Float64Array.from(t.double_data ?? []);
  else if (t.data_type === INT64) data = raw ? fromRaw(8, (v, o) => Number(v.getBigInt64(o, true))) : Float64Array.from((t.int64_data ?? []).map((v) => int(v)));
  else throw new InputError(`${where}: tensor "${t.name ?? ''}" has ONNX data type ${t.data_type}; only float (1), double (11) and int64 (7) are read`);
  if (data.length !== count) throw new InputError(`${where}: tensor "${t.name ?? ''}" has ${data.length} values for dims (${dims.join(', ')})`);
  return { dims, data };
}

function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

function ints(node: NodeProto, name: string, fallback: number[]): number[] {
  const a = attribute(node, name);
  return a ? (a.ints ?? []).map((v) => int(v)) : fallback;
}

function intAttr(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? int(a.i, fallback) : fallback;
}

function floatAttr(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a && a.f !== undefined ? a.f : fallback;
}

function nodeName(node: NodeProto, index: number): string {
  return node.name ? `"${node.name}"` : `#${index}`;
}

/** Row-major transpose of a rows x cols matrix. */
function transpose(data: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** [top, left, bottom, right] pads as PyTorch's symmetric [h, w] padding. */
function symmetricPads(pads: number[], unsupported: (why: string) => never): [number, number] {
  if (pads.length !== 4 || pads[0] !== pads[2] || pads[1] !== pads[3]) unsupported(`pads [${pads.join(', ')}] (only symmetric 2-D padding)`);
  return [pads[0], pads[1]];
}

/** Walks the chain of nodes from the data input and returns the layers and parameter tensors. */
function layersOf(graph: GraphProto, source: string): { inputShape: number[]; layers: LayerSpec[]; params: Float64Array[] } {
  const initializers = new Map<string, TensorProto>();
  for (const t of graph.initializer) if (t.name) initializers.set(t.name, t);
  const constants = new Map<string, Tensor>();
  const dataInputs = graph.input.filter((i) => !initializers.has(i.name));
  if (dataInputs.length !== 1) throw new InputError(`${source}: the graph must have one data input (not an initializer); it has ${dataInputs.length}: ${dataInputs.map((i) => i.name).join(', ')}`);
  const dims = dataInputs[0].type?.tensor_type?.shape?.dim ?? [];
  if (dims.length !== 2 && dims.length !== 4) throw new InputError(`${source}: the data input "${dataInputs[0].name}" must be (N, features) or (N, C, H, W); its shape has ${dims.length} dimensions`);
  const inputShape = dims.slice(1).map((d, i) => {
    const v = int(d.dim_value);
    if (!(v > 0)) throw new InputError(`${source}: the data input's dimension ${i + 1} must be fixed (only the batch dimension may be dynamic); it is "${d.dim_param ?? '?'}"`);
    return v;
  });

  const layers: LayerSpec[] = [];
  const params: Float64Array[] = [];
  let current = dataInputs[0].name;
  const nodes = graph.node;
  for (let n = 0; n < nodes.length; n++) {
    const node = nodes[n];
    const where = `${source}: node ${nodeName(node, n)} (${node.op_type})`;
    const unsupported = (why: string): never => { throw new InputError(`${where}: unsupported ${why}`); };
    const weight = (k: number): Tensor => {
      const name = node.input[k];
      const t = initializers.get(name);
      if (t) return tensorValues(t, where);
      const c = constants.get(name);
      if (c) return c;
      return unsupported(`input "${name}": a weight must be an initializer`);
    };
    if (node.op_type === 'Constant') {
      const value = attribute(node, 'value');
      if (!value?.t) unsupported('Constant without a tensor value');
      constants.set(node.output[0], tensorValues(value!.t!, where));
      continue;
    }
    if (node.input[0] !== current) unsupported(`graph: the importer reads one chain of layers, and this node's first input "${node.input[0]}" is not the previous layer's output "${current}"`);
    if (node.domain) unsupported(`operator domain "${node.domain}"`);
    switch (node.op_type) {
      case 'Gemm': {
        if (floatAttr(node, 'alpha', 1) !== 1 || floatAttr(node, 'beta', 1) !== 1) unsupported('alpha/beta other than 1');
        if (intAttr(node, 'transA', 0) !== 0) unsupported('transA = 1');
        const w = weight(1);
        if (w.dims.length !== 2) unsupported(`weight of shape (${w.dims.join(', ')})`);
        const transB = intAttr(node, 'transB', 0) === 1;
        const [out, inn] = transB ? w.dims : [w.dims[1], w.dims[0]];
        params.push(transB ? w.data : transpose(w.data, w.dims[0], w.dims[1]));
        const bias = node.input.length > 2 && node.input[2] !== '';
        if (bias) {
          const b = weight(2);
          if (b.data.length !== out) unsupported(`bias of ${b.data.length} values for ${out} outputs`);
          params.push(b.data);
        }
        layers.push({ type: 'linear', out, in: inn, bias });
        break;
      }
      case 'MatMul': {
        const w = weight(1);
        if (w.dims.length !== 2) unsupported(`weight of shape (${w.dims.join(', ')})`);
        const [inn, out] = w.dims;
        params.push(transpose(w.data, inn, out));
        const next = nodes[n + 1];
        const bias = next?.op_type === 'Add' && next.input.includes(node.output[0]);
        if (bias) {
          const other = next.input.find((x) => x !== node.output[0])!;
          const b = initializers.get(other) ? tensorValues(initializers.get(other)!, where) : constants.get(other);
          if (!b || b.data.length !== out) unsupported(`Add after MatMul: its other input "${other}" must be a bias of ${out} values`);
          params.push(b!.data);
          current = next.output[0];
          n++;
        } else {
          current = node.output[0];
        }
        layers.push({ type: 'linear', out, in: inn, bias });
        continue;
      }
      case 'Conv': {
        const w = weight(1);
        if (w.dims.length !== 4) unsupported(`weight of shape (${w.dims.join(', ')}): only 2-D convolutions`);
        if (intAttr(node, 'group', 1) !== 1) unsupported('group other than 1');
        if (ints(node, 'dilations', [1, 1]).some((d) => d !== 1)) unsupported('dilation other than 1');
        const autoPad = attribute(node, 'auto_pad');
        if (autoPad?.s && Buffer.from(autoPad.s).toString() !== 'NOTSET') unsupported(`auto_pad ${Buffer.from(autoPad.s).toString()}`);
        const [out, inChannels, kh, kw] = w.dims;
        const kernel = ints(node, 'kernel_shape', [kh, kw]);
        if (kernel[0] !== kh || kernel[1] !== kw) unsupported(`kernel_shape [${kernel.join(', ')}] differing from the weight's (${kh}, ${kw})`);
        params.push(w.data);
        const bias = node.input.length > 2 && node.input[2] !== '';
        if (bias) {
          const b = weight(2);
          if (b.data.length !== out) unsupported(`bias of ${b.data.length} values for ${out} channels`);
          params.push(b.data);
        }
        const [sh, sw] = ints(node, 'strides', [1, 1]);
        layers.push({ type: 'conv2d', out_channels: out, in_channels: inChannels, kernel: [kh, kw], stride: [sh, sw], padding: symmetricPads(ints(node, 'pads', [0, 0, 0, 0]), unsupported), bias });
        break;
      }
      case 'MaxPool': {
        const kernel = ints(node, 'kernel_shape', []);
        if (kernel.length !== 2) unsupported(`kernel_shape [${kernel.join(', ')}]: only 2-D pooling`);
        if (intAttr(node, 'ceil_mode', 0) !== 0) unsupported('ceil_mode = 1');
        if (ints(node, 'dilations', [1, 1]).some((d) => d !== 1)) unsupported('dilation other than 1');
        if (node.output.length > 1 && node.output[1]) unsupported('MaxPool with indices output');
        const stride = ints(node, 'strides', [1, 1]);
        layers.push({ type: 'maxpool2d', kernel: [kernel[0], kernel[1]], stride: [stride[0], stride[1]], padding: symmetricPads(ints(node, 'pads', [0, 0, 0, 0]), unsupported) });
        break;
      }
      case 'Relu':
      case 'Tanh':
      case 'Sigmoid':
        layers.push({ type: node.op_type.toLowerCase() as 'relu' | 'tanh' | 'sigmoid' });
        break;
      case 'Flatten':
        if (intAttr(node, 'axis', 1) !== 1) unsupported(`axis ${intAttr(node, 'axis', 1)} (only 1: keep the batch dimension)`);
        layers.push({ type: 'flatten' });
        break;
      case 'Reshape': {
        const shape = Array.from(weight(1).data);
        if (shape.length !== 2 || shape[1] !== -1 || !(shape[0] === -1 || shape[0] === 0 || shape[0] >= 1))
          unsupported(`Reshape to [${shape.join(', ')}] (only (N, -1), a flatten)`);
        layers.push({ type: 'flatten' });
        break;
      }
      case 'Identity':
      case 'Dropout':
        break;
      default:
        throw new InputError(`${where}: unsupported operator "${node.op_type}" (supported: ${ONNX_OPERATORS.join(', ')})`);
    }
    current = node.output[0];
  }
  if (graph.output.length !== 1 || graph.output[0].name !== current)
    throw new InputError(`${source}: the chain of layers ends at "${current}", which is not the graph's one output (${graph.output.map((o) => o.name).join(', ')})`);
  return { inputShape, layers, params };
}

/** The model and parameters of an ONNX export (a file path, or its bytes with a name for messages). */
export function modelFromOnnx(file: string | Uint8Array, options: OnnxImportOptions = {}, source = typeof file === 'string' ? file : '<onnx bytes>'): OnnxModel {
  if (typeof options !== 'object' || options === null) throw new TypeError('modelFromOnnx: options must be an object {loss?}');
  const loss = requireOneOf('options.loss', options.loss ?? 'cross_entropy', LOSSES);
  const proto: ModelProto = typeof file === 'string' ? readModelFile(file) : decodeModel(file, source);
  const { inputShape, layers, params } = layersOf(proto.graph!, source);
  let model: NormalizedSequential;
  try {
    model = inferSequential({ input_shape: inputShape, layers, loss }, 'model').model;
  } catch (err) {
    throw new InputError(`${source}: the layers read from the graph do not fit together: ${(err as Error).message}`);
  }
  const flat = new Float64Array(params.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of params) { flat.set(p, offset); offset += p.length; }
  if (flat.length !== parameterCount(model)) throw new InputError(`${source}: the weights hold ${flat.length} numbers but the model needs ${parameterCount(model)}`);
  const bad = flat.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError(`${source}: parameter ${bad} is ${flat[bad]} (the weights must be finite)`);
  return { model, params: flat, producer: `${proto.producer_name ?? ''} ${proto.producer_version ?? ''}`.trim() };
}
