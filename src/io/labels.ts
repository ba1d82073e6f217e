/** Class labels read from any file format end up here: integers that fit an Int32Array. */
import { rangeError } from '../util/errors';

/** Converts numbers (3 and 3.0 alike) or bigints to Int32; `source` names the file in errors. */
export function toInt32Labels(values: ArrayLike<number | bigint>, source: string): Int32Array {
  const labels = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
      throw rangeError(`labels (${source}, entry ${i})`, 'a 32-bit integer', v);
    }
    labels[i] = v;
  }
  return labels;
}
