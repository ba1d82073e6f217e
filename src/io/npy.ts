/**
 * NumPy .npy reader and writer (format versions 1.0, 2.0 and 3.0; see numpy/lib/format.py).
 *
 * Layout: magic "\x93NUMPY", major and minor version bytes, header length (uint16 LE for v1,
 * uint32 LE for v2/v3), then a Python dict literal such as
 *   {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and ended by '\n' so that the data starts on a multiple of 64 bytes, then the
 * raw array bytes. Only little-endian simple dtypes in C order are supported: those are what our
 * arrays are, and a 1-D (or single-non-unit-axis) Fortran array has the same bytes as a C one.
 */
import * as fs from 'fs';
import * as os from 'os';
import { InputError, rangeError, typeError } from '../util/errors';
import { pathErrorText, writeFileAtomic } from './atomic';

export type NpyData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

export type NpyDtype = '<f8' | '<f4' | '<i8' | '<u8' | '<i4' | '<u4' | '<i2' | '<u2' | '|i1' | '|u1' | '|b1';

export interface NpyArray {
  data: NpyData;
  shape: number[];
  dtype: NpyDtype;
  fortranOrder: boolean;
}

type TypedArrayCtor = { new (buffer: ArrayBuffer): NpyData; BYTES_PER_ELEMENT: number };

/** descr → array class. '|b1' (bool) is read as bytes 0/1 into a Uint8Array. */
const DTYPES: Record<NpyDtype, TypedArrayCtor> = {
  '<f8': Float64Array,
  '<f4': Float32Array,
  '<i8': BigInt64Array,
  '<u8': BigUint64Array,
  '<i4': Int32Array,
  '<u4': Uint32Array,
  '<i2': Int16Array,
  '<u2': Uint16Array,
  '|i1': Int8Array,
  '|u1': Uint8Array,
  '|b1': Uint8Array,
};

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"
const ALIGN = 64;

/** Typed arrays use the host byte order; .npy here is little-endian, so refuse big-endian hosts. */
function requireLittleEndianHost(): void {
  if (os.endianness() !== 'LE') throw new Error('npy: only little-endian hosts are supported');
}

function descrOf(data: unknown): NpyDtype {
  // Compare constructor names, not classes: arrays from another realm (the addon's buffers seen
  // from a vm context such as jest's) fail `instanceof`.
  const tag = ArrayBuffer.isView(data) ? Object.prototype.toString.call(data).slice(8, -1) : '';
  for (const [descr, ctor] of Object.entries(DTYPES) as [NpyDtype, TypedArrayCtor][]) {
    if (descr !== '|b1' && tag === (ctor as unknown as { name: string }).name) return descr;
  }
  throw typeError('data', 'a typed array (Float64/32, BigInt64/BigUint64, (U)Int32/16/8 array)', data);
}

function checkShape(shape: unknown, length: number): number[] {
  if (!Array.isArray(shape)) throw typeError('shape', 'an array of non-negative integers', shape);
  let size = 1;
  for (const n of shape) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw rangeError('shape', 'an array of non-negative integers', `[${shape.join(', ')}]`);
    }
    size *= n;
  }
  if (size !== length) {
    throw rangeError('shape', `dimensions whose product equals data.length = ${length}`, `[${shape.join(', ')}]`);
  }
  return shape as number[];
}

/** Python tuple literal: (), (5,), (2, 3). */
function shapeLiteral(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * Encodes a C-order array as the bytes of a .npy file (v1.0, or v2.0 if the header needs it).
 * The bytes are a Node Buffer, typed as the Uint8Array it is so that the package's typings do not
 * need @types/node.
 */
export function encodeNpy(data: NpyData, shape: number[]): Uint8Array {
  requireLittleEndianHost();
  const descr = descrOf(data);
  checkShape(shape, data.length);
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeLiteral(shape)}, }`;
  // Version 1.0 stores the header length in 16 bits; 2.0 (32 bits) only when that overflows.
  const paddedLength = (prefix: number) => Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN - prefix;
  const major = paddedLength(10) <= 0xffff ? 1 : 2;
  const prefix = major === 1 ? 10 : 12;
  const headerLen = paddedLength(prefix);
  const header = Buffer.alloc(prefix + headerLen);
  MAGIC.copy(header, 0);
  header[6] = major;
  header[7] = 0;
  if (major === 1) header.writeUInt16LE(headerLen, 8);
  else header.writeUInt32LE(headerLen, 8);
  header.write(dict.padEnd(headerLen - 1, ' ') + '\n', prefix, 'latin1');
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** Parses the header dict; `fail` throws with the file name and the problem. */
function parseHeader(text: string, fail: (problem: string) => never): { descr: NpyDtype; fortranOrder: boolean; shape: number[] } {
  const body = text.trim();
  if (!body.startsWith('{') || !body.endsWith('}')) fail(`header is not a Python dict: ${JSON.stringify(body)}`);
  const keys = [...body.matchAll(/['"](\w+)['"]\s*:/g)].map((m) => m[1]).sort();
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    fail(`header must have exactly the keys descr, fortran_order, shape; found ${keys.join(', ') || 'none'}`);
  }
  const descrMatch = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(body);
  if (!descrMatch) fail('descr is not a simple dtype string (structured dtypes are not supported)');
  // NumPy writes '|' for 1-byte types, but '<' and '=' mean the same for them.
  const raw = descrMatch[1].replace(/^[<=]([iub]1)$/, '|$1');
  if (/^>/.test(raw)) fail(`big-endian dtype ${raw} is not supported`);
  if (!(raw in DTYPES)) fail(`unsupported dtype ${raw} (supported: ${Object.keys(DTYPES).join(' ')})`);

  const fortranMatch = /['"]fortran_order['"]\s*:\s*(True|False)\b/.exec(body);
  if (!fortranMatch) fail('fortran_order is not True or False');

  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(body);
  if (!shapeMatch) fail('shape is not a tuple');
  const parts = shapeMatch[1].split(',').map((s) => s.trim());
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // trailing comma: (5,)
  const shape = parts[0] === '' && parts.length === 1 ? [] : parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (shape.some((n) => !Number.isSafeInteger(n))) fail(`shape (${shapeMatch[1]}) is not a tuple of non-negative integers`);
  return { descr: raw as NpyDtype, fortranOrder: fortranMatch[1] === 'True', shape };
}

/**
 * Decodes .npy bytes. `source` names the file in error messages. The data are copied into a
 * fresh, aligned buffer (a Node Buffer may sit at any offset inside a shared pool).
 */
export function decodeNpy(bytes: Uint8Array, source = '<buffer>'): NpyArray {
  requireLittleEndianHost();
  const fail: (problem: string) => never = (problem) => {
    throw new InputError(`${source}: not a valid .npy file: ${problem}`);
  };
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) fail('missing the \\x93NUMPY magic string');
  const major = buf[6];
  if (major < 1 || major > 3) fail(`unsupported format version ${major}.${buf[7]}`);
  const lenBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lenBytes) fail('truncated header length');
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const dataStart = 8 + lenBytes + headerLen;
  if (buf.length < dataStart) fail(`header says ${headerLen} bytes but the file ends before that`);
  const text = buf.toString(major === 3 ? 'utf8' : 'latin1', 8 + lenBytes, dataStart);
  const { descr, fortranOrder, shape } = parseHeader(text, fail);

  // A Fortran-order array has the same bytes as a C-order one only if at most one axis exceeds 1.
  if (fortranOrder && shape.filter((n) => n > 1).length > 1) {
    fail(`fortran_order True with shape (${shape.join(', ')}) is not supported; save it in C order (np.ascontiguousarray)`);
  }
  const ctor = DTYPES[descr];
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * ctor.BYTES_PER_ELEMENT;
  const actual = buf.length - dataStart;
  if (actual !== expected) {
    fail(`shape (${shape.join(', ')}) of ${descr} needs ${expected} data bytes but the file has ${actual}`);
  }
  const start = buf.byteOffset + dataStart;
  const data = new ctor(buf.buffer.slice(start, start + expected) as ArrayBuffer);
  return { data, shape, dtype: descr, fortranOrder };
}

/** Atomically writes `data` (C order) with the given shape as a .npy file. */
export function writeNpy(file: string, data: NpyData, shape: number[]): void {
  writeFileAtomic(file, encodeNpy(data, shape));
}

export function readNpy(file: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new InputError(pathErrorText(err, file));
  }
  return decodeNpy(bytes, file);
}
