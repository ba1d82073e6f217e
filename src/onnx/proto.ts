/**
 * Decoding an .onnx file: the ONNX protobuf schema (schemas/onnx.proto, from the ONNX project,
 * Apache-2.0) read by protobufjs, and the few message shapes the importer walks. Field names are
 * kept as in the schema (op_type, raw_data, ...). int64 fields arrive as numbers or Long objects;
 * `int` turns either into a number.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import { packageRoot } from '../native/binding';
import { InputError } from '../util/errors';

export type Int64 = number | { toNumber(): number };

export interface AttributeProto {
  name: string;
  type: number;
  i?: Int64;
  f?: number;
  ints?: Int64[];
  floats?: number[];
  s?: Uint8Array;
  t?: TensorProto;
}

export interface NodeProto {
  name?: string;
  op_type: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: AttributeProto[];
}

export interface TensorProto {
  name?: string;
  dims: Int64[];
  data_type: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  double_data?: number[];
  int64_data?: Int64[];
  int32_data?: number[];
}

export interface ValueInfoProto {
  name: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim: { dim_value?: Int64; dim_param?: string }[] } } };
}

export interface GraphProto {
  name?: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
}

export interface ModelProto {
  ir_version?: Int64;
  producer_name?: string;
  producer_version?: string;
  opset_import: { domain?: string; version?: Int64 }[];
  graph?: GraphProto;
}

export function int(v: Int64 | undefined, fallback = 0): number {
  if (v === undefined || v === null) return fallback;
  return typeof v === 'number' ? v : v.toNumber();
}

let modelType: protobuf.Type | undefined;

/** The schema's ModelProto type, parsed once from the .proto file shipped with the package. */
function modelProtoType(): protobuf.Type {
  if (!modelType) {
    const root = new protobuf.Root().loadSync(path.join(packageRoot(), 'schemas', 'onnx.proto'), { keepCase: true });
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** Decodes an ONNX model; a file that is not one (truncated, other bytes) is an InputError naming it. */
export function decodeModel(bytes: Uint8Array, source: string): ModelProto {
  let model: ModelProto;
  try {
    model = modelProtoType().decode(bytes) as unknown as ModelProto;
  } catch (err) {
    throw new InputError(`${source}: not a readable ONNX model (truncated or not an .onnx file): ${(err as Error).message}`);
  }
  if (!model.graph || model.graph.node.length === 0)
    throw new InputError(`${source}: not a readable ONNX model (truncated or not an .onnx file): it has no graph nodes`);
  return model;
}

export function readModelFile(file: string): ModelProto {
  if (!fs.existsSync(file)) throw new InputError(`${file}: no such file`);
  return decodeModel(fs.readFileSync(file), file);
}
