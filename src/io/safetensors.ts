/**
 * Parameters from a .safetensors file (Hugging Face's format: an 8-byte little-endian header
 * length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}},
 * then the raw little-endian tensor bytes). No npm package reads it for Node without pulling in a
 * web runtime; the format is those three parts.
 *
 * A PyTorch state_dict saved this way (`safetensors.torch.save_file(model.state_dict(), f)`) is
 * matched to a model by its tensors' names: each name ends in "<module index>.weight" or
 * "<module index>.bias"; sorted by module index (weight before bias) they must have the shapes of
 * the model's parameter tensors in order (src/engine/model.ts parameterLayout), whatever the
 * prefix ("0.weight", "layers.0.weight", "net.3.bias") and the order of the file.
 */
import * as fs from 'fs';
import { ModelSpec, parameterCount, parameterLayout } from '../engine/model';
import { InputError } from '../util/errors';

const DTYPES: Record<string, { bytes: number; read(view: DataView, offset: number): number }> = {
  F64: { bytes: 8, read: (v, o) => v.getFloat64(o, true) },
  F32: { bytes: 4, read: (v, o) => v.getFloat32(o, true) },
};

export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Float64Array;
}

/** Every tensor of a .safetensors file, as float64 (F64 and F32 tensors). */
export function readSafetensors(file: string): SafetensorsTensor[] {
  if (!fs.existsSync(file)) throw new InputError(`${file}: no such file`);
  const bytes = fs.readFileSync(file);
  const fail = (problem: string): never => { throw new InputError(`${file}: not a valid .safetensors file: ${problem}`); };
  if (bytes.length < 8) fail(`${bytes.length} bytes, shorter than its 8-byte header length`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength > bytes.length - 8) fail(`the header says ${headerLength} bytes but the file has ${bytes.length - 8} after the length`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  } catch (err) {
    return fail(`its header is not JSON (${(err as Error).message})`);
  }
  const body = bytes.subarray(8 + headerLength);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const tensors: SafetensorsTensor[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: string; shape?: number[]; data_offsets?: number[] };
    const type = DTYPES[dtype ?? ''];
    if (!type) fail(`tensor "${name}" has dtype ${dtype}; parameters must be F64 or F32`);
    if (!Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) fail(`tensor "${name}" lacks a shape or data_offsets`);
    const count = shape!.reduce((a, b) => a * b, 1);
    const [begin, end] = offsets!;
    if (!(begin >= 0 && end <= body.length && end - begin === count * type.bytes))
      fail(`tensor "${name}" (shape [${shape!.join(', ')}], ${dtype}) has data_offsets [${begin}, ${end}] in a ${body.length}-byte body`);
    const data = Float64Array.from({ length: count }, (_, i) => type.read(view, begin + i * type.bytes));
    tensors.push({ name, dtype: dtype!, shape: shape!, data });
  }
  return tensors;
}

/** The flat parameter vector (PyTorch order) of `model` from a state_dict saved as .safetensors. */
export function paramsFromSafetensors(file: string, model: ModelSpec): Float64Array {
  const tensors = readSafetensors(file).map((t) => {
    const m = /(?:^|\.)(\d+)\.(weight|bias)$/.exec(t.name);
    if (!m) throw new InputError(`${file}: tensor "${t.name}" is not named like a state_dict entry ("<index>.weight" or "<index>.bias")`);
    return { ...t, index: Number(m[1]), bias: m[2] === 'bias' };
  });
  tensors.sort((a, b) => a.index - b.index || Number(a.bias) - Number(b.bias));
  const expected: { what: string; shape: number[] }[] = [];
  for (const s of parameterLayout(model)) {
    expected.push({ what: `${s.prefix}.weight`, shape: s.weight.shape });
    if (s.bias) expected.push({ what: `${s.prefix}.bias`, shape: [s.bias.length] });
  }
  if (tensors.length !== expected.length)
    throw new InputError(`${file}: ${tensors.length} tensors (${tensors.map((t) => t.name).join(', ')}) for a model with ${expected.length} (${expected.map((e) => e.what).join(', ')})`);
  const out = new Float64Array(parameterCount(model));
  let offset = 0;
  tensors.forEach((t, i) => {
    const e = expected[i];
    if (t.shape.length !== e.shape.length || t.shape.some((v, j) => v !== e.shape[j]))
      throw new InputError(`${file}: tensor "${t.name}" has shape [${t.shape.join(', ')}] where the model's ${e.what} is [${e.shape.join(', ')}]`);
    out.set(t.data, offset);
    offset += t.data.length;
  });
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError(`${file}: parameter ${bad} is ${out[bad]} (the weights must be finite)`);
  return out;
}
