/**
 * Numeric CSV input: a matrix of numbers (one sample per line) and a one-column label file.
 * Accepts what spreadsheets and np.savetxt produce: ',', ';', tab or whitespace delimiters
 * (detected from the first data line), '#' comment lines, blank lines, an optional header line
 * (detected: a first line with any non-numeric field), and nan / inf / -inf spellings.
 */
import * as fs from 'fs';
import { InputError } from '../util/errors';
import { toInt32Labels } from './labels';

export interface CsvMatrix {
  data: Float64Array; // rows × cols, row-major
  rows: number;
  cols: number;
  header: string[] | null;
}

export interface CsvOptions {
  /** true: first line is a header; false: it is data; 'auto' (default): detect. */
  header?: boolean | 'auto';
}

const SPECIAL: Record<string, number> = { nan: NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '-infinity': -Infinity };

function parseNumber(field: string): number {
  const t = field.trim();
  if (t === '') return NaN; // Number('') is 0: an empty field must not read as zero
  const special = SPECIAL[t.toLowerCase()];
  if (special !== undefined) return special;
  return Number(t);
}

function isNumeric(field: string): boolean {
  const t = field.trim().toLowerCase();
  return t === 'nan' || (t !== '' && !Number.isNaN(parseNumber(t)));
}

function splitterFor(line: string): (line: string) => string[] {
  const delimiter = [',', '\t', ';'].find((d) => line.includes(d));
  return delimiter ? (l) => l.split(delimiter) : (l) => l.trim().split(/\s+/);
}

export function parseCsv(text: string, source = '<csv>', options: CsvOptions = {}): CsvMatrix {
  const lines = text
    .split(/\r?\n/)
    .map((line, i) => ({ line, number: i + 1 }))
    .filter(({ line }) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  if (lines.length === 0) throw new InputError(`${source}: no data lines`);
  const split = splitterFor(lines[0].line);
  const first = split(lines[0].line);
  const mode = options.header ?? 'auto';
  const hasHeader = mode === 'auto' ? !first.every(isNumeric) : mode;
  const header = hasHeader ? first.map((f) => f.trim()) : null;
  const body = hasHeader ? lines.slice(1) : lines;
  if (body.length === 0) throw new InputError(`${source}: no data lines after the header`);
  const cols = split(body[0].line).length;
  const data = new Float64Array(body.length * cols);
  body.forEach(({ line, number }, r) => {
    const fields = split(line);
    if (fields.length !== cols) {
      throw new InputError(`${source}:${number}: expected ${cols} fields, found ${fields.length}`);
    }
    fields.forEach((field, c) => {
      if (!isNumeric(field)) throw new InputError(`${source}:${number}: field ${c + 1} is not a number: ${JSON.stringify(field)}`);
      data[r * cols + c] = parseNumber(field);
    });
  });
  return { data, rows: body.length, cols, header };
}

export function readCsv(file: string, options: CsvOptions = {}): CsvMatrix {
  return parseCsv(fs.readFileSync(file, 'utf8'), file, options);
}

/** A one-column CSV of integer class labels (3 and 3.0 both read as 3). */
export function readLabelsCsv(file: string, options: CsvOptions = {}): Int32Array {
  const m = readCsv(file, options);
  if (m.cols !== 1) throw new InputError(`${file}: a label file must have one column; found ${m.cols}`);
  return toInt32Labels(m.data, file);
}
