/**
 * Input checks and data reduction shared by the chart builders: a spectrum may hold 60,000
 * eigenvalues, which vega would turn into a multi-megabyte SVG path for no visible gain.
 */
import { rangeError, requireAllFinite, typeError } from '../util/errors';

/** Throws TypeError/RangeError naming `param` unless `values` is a non-empty array of finite numbers. */
export function checkValues(param: string, values: unknown): ArrayLike<number> {
  const ok = Array.isArray(values) || (ArrayBuffer.isView(values) && !(values instanceof DataView));
  if (!ok) throw typeError(param, 'an array or typed array of numbers', values);
  const arr = values as ArrayLike<unknown>;
  if (arr.length === 0) throw rangeError(param, 'a non-empty array', values);
  for (let i = 0; i < arr.length; i++) {
    if (typeof arr[i] !== 'number') throw typeError(`${param}[${i}]`, 'a number', arr[i]);
  }
  requireAllFinite(param, arr as ArrayLike<number>);
  return arr as ArrayLike<number>;
}

/** Throws unless `value` is an array with at least one element (a list of series or points). */
export function checkList<T>(param: string, value: unknown): T[] {
  if (!Array.isArray(value)) throw typeError(param, 'an array', value);
  if (value.length === 0) throw rangeError(param, 'a non-empty array', value);
  return value as T[];
}

export function checkName(param: string, value: unknown): string {
  if (typeof value !== 'string') throw typeError(param, 'a string', value);
  if (value.trim() === '') throw rangeError(param, 'a non-empty string', value);
  return value;
}

/** A sorted copy (the caller's array is left alone); Float64Array sorts numerically. */
export function sortedCopy(values: ArrayLike<number>, order: 'ascending' | 'descending'): Float64Array {
  const out = Float64Array.from(values).sort();
  return order === 'ascending' ? out : out.reverse();
}

export interface Thinning {
  /** Indices to plot, increasing. */
  indices: number[];
  /** Human-readable account for a subtitle, or '' when every point is kept. */
  note: string;
}

/**
 * Keeps every point within `edge` of either end of a sorted series (where the outliers and the most
 * negative eigenvalues live) and an even stride through the bulk, at most `maxPoints` in all. A
 * sorted curve is monotone, so the stride loses nothing visible in the bulk.
 */
export function thin(n: number, maxPoints: number, edge: number, what = 'points'): Thinning {
  if (n <= maxPoints) return { indices: Array.from({ length: n }, (_, i) => i), note: '' };
  const e = Math.min(edge, Math.floor(maxPoints / 4));
  const bulkStart = e;
  const bulkEnd = n - e; // exclusive
  const stride = Math.ceil((bulkEnd - bulkStart) / Math.max(1, maxPoints - 2 * e));
  const indices: number[] = [];
  for (let i = 0; i < bulkStart; i++) indices.push(i);
  for (let i = bulkStart; i < bulkEnd; i += stride) indices.push(i);
  for (let i = bulkEnd; i < n; i++) indices.push(i);
  const note = `plotted ${fmtInt(indices.length)} of ${fmtInt(n)} ${what}: all ${fmtInt(e)} at each end, every ${ordinal(stride)} in between`;
  return { indices, note };
}

/** Thins a time series to at most `maxPoints` by an even stride, always keeping the last point. */
export function strideIndices(n: number, maxPoints: number): number[] {
  const stride = Math.max(1, Math.ceil(n / maxPoints));
  const out: number[] = [];
  for (let i = 0; i < n; i += stride) out.push(i);
  if (out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

/**
 * Tick values for a symlog axis: 0 and ±10^e from the linear threshold `constant` up to the
 * largest magnitude, inside [min, max]. Vega's own symlog ticks are linear and unreadable here.
 */
export function symlogTicks(constant: number, min: number, max: number): number[] {
  const ticks = new Set<number>([0]);
  const top = Math.ceil(Math.log10(Math.max(Math.abs(min), Math.abs(max), constant)));
  for (let e = Math.floor(Math.log10(constant)); e <= top; e++) {
    const t = Number(`1e${e}`); // exact decimal, unlike 10 ** e
    if (t <= max) ticks.add(t);
    if (-t >= min) ticks.add(-t);
  }
  return [...ticks].filter((t) => t >= Math.min(min, 0) && t <= Math.max(max, 0)).sort((a, b) => a - b);
}

/** Default symlog threshold: the power of ten 1e-3 below the largest magnitude, so the bulk near 0 spreads out. */
export function defaultSymlogConstant(maxAbs: number): number {
  return maxAbs > 0 ? Number(`1e${Math.floor(Math.log10(maxAbs * 1e-3))}`) : 1;
}

export function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${s}`;
}
