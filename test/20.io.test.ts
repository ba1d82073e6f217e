/** Layer 2, I/O: .npy format (pure TS, and against NumPy when it is installed), atomic writes, JSON, CSV. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readJson, toJson, writeFileAtomic, writeJsonAtomic } from '../src/io/atomic';
import { parseCsv, readCsv, readLabelsCsv } from '../src/io/csv';
import { NpyData, decodeNpy, encodeNpy as encodeNpyBytes, readNpy, writeNpy } from '../src/io/npy';

/** The encoded bytes as the Node Buffer they are (typed Uint8Array so the package's typings need no @types/node). */
const encodeNpy = (data: NpyData, shape: number[]): Buffer => Buffer.from(encodeNpyBytes(data, shape));
import { InputError } from '../src/util/errors';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-io-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** One sample of every supported array class, with its descr; values exercise sign and range. */
const SAMPLES: [string, (n: number) => NpyData][] = [
  ['<f8', (n) => Float64Array.from({ length: n }, (_, i) => (i === 1 ? -0 : (i - 2.5) * 1e-3))], // -0 checks bit-exactness
  ['<f4', (n) => Float32Array.from({ length: n }, (_, i) => i / 3 - 1)],
  ['<i8', (n) => BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * -(2n ** 40n))],
  ['<u8', (n) => BigUint64Array.from({ length: n }, (_, i) => BigInt(i) * 2n ** 60n)],
  ['<i4', (n) => Int32Array.from({ length: n }, (_, i) => i * -100000)],
  ['<u4', (n) => Uint32Array.from({ length: n }, (_, i) => 4e9 - i)],
  ['<i2', (n) => Int16Array.from({ length: n }, (_, i) => -i * 1000)],
  ['<u2', (n) => Uint16Array.from({ length: n }, (_, i) => 65535 - i)],
  ['|i1', (n) => Int8Array.from({ length: n }, (_, i) => -i)],
  ['|u1', (n) => Uint8Array.from({ length: n }, (_, i) => 255 - i)],
];
const SHAPES = [[], [5], [2, 3], [2, 3, 2], [0], [3, 0]];

describe('npy encode/decode', () => {
  test.each(SAMPLES)('round-trips %s for 0-d, 1-d, 2-d, 3-d and empty shapes', (descr, make) => {
    for (const shape of SHAPES) {
      const data = make(shape.reduce((a, b) => a * b, 1));
      const bytes = encodeNpy(data, shape);
      const headerLen = bytes.readUInt16LE(8);
      expect((10 + headerLen) % 64).toBe(0);
      expect(bytes[10 + headerLen - 1]).toBe(0x0a); // header ends with '\n'
      const back = decodeNpy(bytes);
      expect(back.dtype).toBe(descr);
      expect(back.shape).toEqual(shape);
      expect(back.fortranOrder).toBe(false);
      expect(back.data.constructor).toBe(data.constructor);
      expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(data as ArrayLike<unknown>));
    }
  });

  test('writes the exact byte layout of a tiny (2, 3) float64 file', () => {
    const dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
    const values = [1, 2, 3, 4, 5, 6];
    const header = Buffer.alloc(128, 0x20);
    Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0]).copy(header, 0);
    header.writeUInt16LE(118, 8); // 128 − 10 prefix bytes
    header.write(dict, 10, 'latin1');
    header[127] = 0x0a;
    const body = Buffer.alloc(48);
    values.forEach((v, i) => body.writeDoubleLE(v, 8 * i));
    expect(encodeNpy(Float64Array.from(values), [2, 3]).equals(Buffer.concat([header, body]))).toBe(true);
    expect(Array.from(decodeNpy(Buffer.concat([header, body])).data as Float64Array)).toEqual(values);
  });

  test('switches to format 2.0 when the header exceeds 65535 bytes', () => {
    const shape = new Array<number>(22000).fill(1); // "1, " × 22000 ≈ 66 kB of header
    const bytes = encodeNpy(new Float64Array([7]), shape);
    expect(bytes[6]).toBe(2);
    expect((12 + bytes.readUInt32LE(8)) % 64).toBe(0);
    const back = decodeNpy(bytes);
    expect(back.shape.length).toBe(22000);
    expect(back.data[0]).toBe(7);
  });

  test('reads bool, "<u1"-style one-byte descrs, unaligned buffers and 1-D Fortran arrays', () => {
    const withHeader = (dict: string, data: Buffer): Buffer => {
      const len = Math.ceil((10 + dict.length + 1) / 16) * 16 - 10; // old NumPy aligned to 16 only
      const head = Buffer.alloc(10 + len, 0x20);
      Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0]).copy(head);
      head.writeUInt16LE(len, 8);
      head.write(dict, 10, 'latin1');
      head[9 + len] = 0x0a;
      return Buffer.concat([head, data]);
    };
    const bool = decodeNpy(withHeader("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", Buffer.from([1, 0, 1])));
    expect(bool.dtype).toBe('|b1');
    expect(Array.from(bool.data as Uint8Array)).toEqual([1, 0, 1]);
    expect(decodeNpy(withHeader("{'descr': '<u1', 'fortran_order': False, 'shape': (1,), }", Buffer.from([9]))).dtype).toBe('|u1');
    const f8 = Buffer.alloc(16);
    f8.writeDoubleLE(1.5, 0);
    f8.writeDoubleLE(-2, 8);
    const fortran1d = withHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }", f8);
    const unaligned = Buffer.concat([Buffer.alloc(3), fortran1d]).subarray(3); // byteOffset 3
    const back = decodeNpy(unaligned);
    expect(back.fortranOrder).toBe(true);
    expect(Array.from(back.data as Float64Array)).toEqual([1.5, -2]);
  });

  test('rejects malformed files with an error naming the file and the problem', () => {
    const good = encodeNpy(new Float64Array(6), [2, 3]);
    const withDict = (dict: string, extra = 48): Buffer => {
      const b = Buffer.from(good);
      b.write(dict.padEnd(117, ' '), 10, 'latin1');
      return Buffer.concat([b.subarray(0, 128), Buffer.alloc(extra)]);
    };
    const cases: [string, Buffer, RegExp][] = [
      ['magic', Buffer.from('not numpy at all'), /magic/],
      ['empty', Buffer.alloc(0), /magic/],
      ['version', Buffer.concat([good.subarray(0, 6), Buffer.from([9, 0]), good.subarray(8)]), /version 9\.0/],
      ['truncated header', good.subarray(0, 60), /header says 118 bytes/],
      ['short data', good.subarray(0, good.length - 1), /needs 48 data bytes but the file has 47/],
      ['trailing data', Buffer.concat([good, Buffer.alloc(8)]), /needs 48 data bytes but the file has 56/],
      ['big-endian', withDict("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }"), /big-endian/],
      ['complex', withDict("{'descr': '<c16', 'fortran_order': False, 'shape': (2, 3), }"), /unsupported dtype <c16/],
      ['structured', withDict("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2, 3), }"), /structured/],
      ['missing key', withDict("{'descr': '<f8', 'shape': (2, 3), }"), /exactly the keys/],
      ['extra key', withDict("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'x': 1, }"), /exactly the keys/],
      ['bad shape', withDict("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3), }"), /shape/],
      ['not a dict', withDict('[1, 2]'), /not a Python dict/],
      ['2-D fortran', withDict("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }"), /fortran_order True with shape \(2, 3\)/],
    ];
    for (const [name, bytes, problem] of cases) {
      const file = path.join(dir, `bad-${name.replace(/\W/g, '_')}.npy`);
      fs.writeFileSync(file, bytes);
      expect(() => readNpy(file)).toThrow(InputError);
      expect(() => readNpy(file)).toThrow(problem);
      expect(() => readNpy(file)).toThrow(file);
    }
  });

  test('rejects bad arguments to the writer', () => {
    expect(() => encodeNpy(new Float64Array(6), [4, 2])).toThrow(RangeError);
    expect(() => encodeNpy(new Float64Array(6), [2, 3])).not.toThrow();
    expect(() => encodeNpy(new Float64Array(6), [-2, -3])).toThrow(/shape/);
    expect(() => encodeNpy(new Float64Array(2), [2.5] as number[])).toThrow(RangeError);
    expect(() => encodeNpy([1, 2] as unknown as Float64Array, [2])).toThrow(TypeError);
    expect(() => writeNpy(path.join(dir, 'never.npy'), new Float64Array(3), [2])).toThrow(/data.length = 3/);
    expect(fs.existsSync(path.join(dir, 'never.npy'))).toBe(false);
  });

  test('writeNpy/readNpy go through the file system (and make directories)', () => {
    const file = path.join(dir, 'sub', 'deeper', 'x.npy');
    writeNpy(file, Float32Array.from([1, 2, 3, 4]), [2, 2]);
    const back = readNpy(file);
    expect(back.shape).toEqual([2, 2]);
    expect(Array.from(back.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });
});

/** NumPy, when installed, must read what we write and we must read what it writes. */
function python(script: string): string | null {
  try {
    return execFileSync('python3', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return null;
  }
}

test('NumPy cross-check (asserts the TS side always; the NumPy side when numpy is installed)', () => {
  const ours = path.join(dir, 'numpy-ours');
  fs.mkdirSync(ours);
  const written = SAMPLES.map(([descr, make], i) => {
    const shape = [[2, 3], [5], [], [0, 4]][i % 4];
    const data = make(shape.reduce((a, b) => a * b, 1));
    writeNpy(path.join(ours, `${i}.npy`), data, shape);
    const back = readNpy(path.join(ours, `${i}.npy`));
    expect(back.dtype).toBe(descr);
    expect(back.shape).toEqual(shape);
    return { file: `${i}.npy`, descr, shape, values: Array.from(data as ArrayLike<number | bigint>, Number) };
  });
  const hasNumpy = python('import numpy') !== null;
  if (!hasNumpy) return;

  // NumPy reads ours: report dtype, shape and values as text.
  const report = python(`
import json, os, numpy as np
out = {}
for f in sorted(os.listdir(${JSON.stringify(ours)})):
    a = np.load(os.path.join(${JSON.stringify(ours)}, f), allow_pickle=False)
    out[f] = {'descr': a.dtype.str, 'shape': list(a.shape), 'values': [repr(v.item()) if a.dtype.kind == 'f' else str(v) for v in a.ravel()]}
print(json.dumps(out))`);
  expect(report).not.toBeNull();
  const seen = JSON.parse(report as string) as Record<string, { descr: string; shape: number[]; values: string[] }>;
  for (const w of written) {
    expect(seen[w.file].descr).toBe(w.descr);
    expect(seen[w.file].shape).toEqual(w.shape);
    expect(seen[w.file].values.map(Number)).toEqual(w.values); // exact for these values, -0 included
  }

  // We read NumPy's: every dtype, bool, a Fortran 1-D array and a 2-D float array.
  const theirs = path.join(dir, 'numpy-theirs');
  fs.mkdirSync(theirs);
  expect(
    python(`
import numpy as np, os
d = ${JSON.stringify(theirs)}
for t in ['<f8', '<f4', '<i8', '<u8', '<i4', '<u4', '<i2', '<u2', '|i1', '|u1']:
    np.save(os.path.join(d, t[1:] + '.npy'), (np.arange(6) - (2 if t[1] in 'fi' else 0)).astype(t).reshape(2, 3))
np.save(os.path.join(d, 'b1.npy'), np.array([True, False, True]))
np.save(os.path.join(d, 'fortran.npy'), np.asfortranarray(np.arange(4.0)))
np.save(os.path.join(d, 'scalar.npy'), np.float64(2.5))`),
  ).not.toBeNull();
  for (const [descr] of SAMPLES) {
    const a = readNpy(path.join(theirs, `${descr.slice(1)}.npy`));
    expect(a.dtype).toBe(descr);
    expect(a.shape).toEqual([2, 3]);
    const offset = /[fi]/.test(descr[1]) ? 2 : 0;
    expect(Array.from(a.data as ArrayLike<number | bigint>, Number)).toEqual([0, 1, 2, 3, 4, 5].map((v) => v - offset));
  }
  expect(Array.from(readNpy(path.join(theirs, 'b1.npy')).data as Uint8Array)).toEqual([1, 0, 1]);
  expect(Array.from(readNpy(path.join(theirs, 'fortran.npy')).data as Float64Array)).toEqual([0, 1, 2, 3]);
  const scalar = readNpy(path.join(theirs, 'scalar.npy'));
  expect(scalar.shape).toEqual([]);
  expect(scalar.data[0]).toBe(2.5);
});

describe('atomic writes', () => {
  const tempsIn = (d: string) => fs.readdirSync(d).filter((f) => f.endsWith('.tmp'));

  test('creates directories, replaces content and leaves no temp files', () => {
    const file = path.join(dir, 'atomic', 'a', 'out.txt');
    writeFileAtomic(file, 'first');
    writeFileAtomic(file, Buffer.from('second'));
    writeFileAtomic(file, new Uint8Array([0x33]));
    expect(fs.readFileSync(file, 'utf8')).toBe('3');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['out.txt']);
  });

  test('on failure removes the temp file and keeps the target', () => {
    const target = path.join(dir, 'atomic', 'occupied');
    fs.mkdirSync(path.join(target, 'child'), { recursive: true }); // rename over a non-empty dir fails
    expect(() => writeFileAtomic(target, 'x')).toThrow();
    expect(tempsIn(path.dirname(target))).toEqual([]);
    expect(fs.statSync(target).isDirectory()).toBe(true);
  });

  test('rejects bad arguments', () => {
    expect(() => writeFileAtomic('', 'x')).toThrow(TypeError);
    expect(() => writeFileAtomic(path.join(dir, 'n.txt'), 42 as unknown as string)).toThrow(/data must be/);
  });
});

describe('JSON', () => {
  test('NaN and ±Infinity become null, typed arrays become arrays, output is pretty with a newline', () => {
    const file = path.join(dir, 'json', 'r.json');
    writeJsonAtomic(file, { a: NaN, b: Infinity, c: -Infinity, d: 1.5, v: Float64Array.from([1, NaN]), n: { m: [NaN] } });
    const text = fs.readFileSync(file, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "a": null');
    expect(readJson(file)).toEqual({ a: null, b: null, c: null, d: 1.5, v: [1, null], n: { m: [null] } });
  });

  test('values JSON cannot hold throw instead of writing a wrong file', () => {
    const file = path.join(dir, 'json', 'never.json');
    expect(() => writeJsonAtomic(file, { big: 1n })).toThrow(TypeError);
    expect(() => writeJsonAtomic(file, BigInt64Array.from([1n]))).toThrow(TypeError);
    expect(() => writeJsonAtomic(file, undefined)).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => writeJsonAtomic(file, cyclic)).toThrow(TypeError);
    expect(fs.existsSync(file)).toBe(false);
    expect(toJson([1, NaN])).toBe('[\n  1,\n  null\n]\n');
  });

  test('readJson names the file on a parse failure', () => {
    const file = path.join(dir, 'json', 'broken.json');
    fs.writeFileSync(file, '{"a": NaN}');
    expect(() => readJson(file)).toThrow(InputError);
    expect(() => readJson(file)).toThrow(`${file}: invalid JSON`);
  });
});

describe('CSV', () => {
  test('detects a header and the delimiter; skips comments and blank lines', () => {
    const m = parseCsv('# exported\nx1,x2,x3\n1,2,3\n\n4,5.5,-6e-1\n');
    expect(m).toEqual({ data: Float64Array.from([1, 2, 3, 4, 5.5, -0.6]), rows: 2, cols: 3, header: ['x1', 'x2', 'x3'] });
    const ws = parseCsv('1.0 2.0\n3.0 nan\r\n-inf   4\n'); // np.savetxt's default layout
    expect(ws.header).toBeNull();
    expect(Array.from(ws.data)).toEqual([1, 2, 3, NaN, -Infinity, 4]);
    expect(parseCsv('1;2\n3;4').cols).toBe(2);
    expect(parseCsv('1\t2\n3\t4').cols).toBe(2);
    expect(parseCsv('a,b\n1,2', 'x', { header: true }).rows).toBe(1);
  });

  test('rejects ragged rows, non-numbers, empty fields and empty files with file and line', () => {
    expect(() => parseCsv('1,2\n3\n', 'f.csv')).toThrow('f.csv:2: expected 2 fields, found 1');
    expect(() => parseCsv('1,2\n3,x\n', 'f.csv')).toThrow('f.csv:2: field 2 is not a number: "x"');
    expect(() => parseCsv('1,2\n3,\n', 'f.csv')).toThrow('f.csv:2: field 2 is not a number');
    expect(() => parseCsv('# only a comment\n', 'f.csv')).toThrow(InputError);
    expect(() => parseCsv('a,b\n', 'f.csv')).toThrow('no data lines after the header');
  });

  test('reads matrices and one-column label files from disk', () => {
    const x = path.join(dir, 'x.csv');
    const y = path.join(dir, 'y.csv');
    fs.writeFileSync(x, '1,2\n3,4\n5,6\n');
    fs.writeFileSync(y, 'label\n0\n2.0\n1\n');
    expect(readCsv(x).rows).toBe(3);
    expect(Array.from(readLabelsCsv(y))).toEqual([0, 2, 1]);
    fs.writeFileSync(y, '0\n1.5\n');
    expect(() => readLabelsCsv(y)).toThrow(RangeError);
    expect(() => readLabelsCsv(y)).toThrow(`labels (${y}, entry 1) must be a 32-bit integer; received 1.5`);
    expect(() => readLabelsCsv(x)).toThrow('one column');
  });
});
