/**
 * The one error factory of the project. Every bad input is reported with the class that fits
 * (TypeError: wrong type; RangeError: right type, bad value; Error: anything else) and a message
 * that names the parameter and what was received, so a user can fix the call without reading code.
 */

/** A short, printable description of a received value (never the whole of a large array). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as { length: number }).length}`;
  if (typeof value === 'function') return 'a function';
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}

export function typeError(param: string, expected: string, received: unknown): TypeError {
  return new TypeError(`${param} must be ${expected}; received ${describe(received)}`);
}

export function rangeError(param: string, expected: string, received: unknown): RangeError {
  return new RangeError(`${param} must be ${expected}; received ${describe(received)}`);
}

/** Thrown when work is cancelled through an AbortSignal; `name` is 'AbortError' like fetch's. */
export class AbortError extends Error {
  constructor(message = 'The operation was aborted') {
    super(message);
    this.name = 'AbortError';
  }
}

/** An input the user gave (file, flag, case) is unusable; the CLI prints the message and exits 2. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

// ---- small guards used across the API -----------------------------------------------------

/** An option's default when it is absent: only `undefined` is absent; a null is passed on to be refused. */
export function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

/** An options argument: undefined gives {}, anything but a plain object is a TypeError. */
export function optionsObject<T extends object>(param: string, value: T | undefined): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw typeError(param, 'an object', value);
  return value;
}

export function requireInteger(param: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw typeError(param, 'an integer', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw rangeError(param, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

export function requireFiniteNumber(param: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number') throw typeError(param, 'a number', value);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw rangeError(param, `a finite number in [${min}, ${max}]`, value);
  }
  return value;
}

export function requireOneOf<T extends string>(param: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string') throw typeError(param, `one of ${allowed.join(' | ')}`, value);
  if (!allowed.includes(value as T)) throw rangeError(param, `one of ${allowed.join(' | ')}`, value);
  return value as T;
}

/** Index of the first non-finite entry, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

export function requireAllFinite(param: string, values: ArrayLike<number>): void {
  const i = firstNonFinite(values);
  if (i >= 0) throw new RangeError(`${param} must be all finite; entry ${i} is ${values[i]}`);
}

/** Throws AbortError if the signal has fired. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortError();
}

// ---- realm-independent type tests ----------------------------------------------------------
// `instanceof Float64Array` fails for arrays made in another realm (a vm context such as jest's,
// or the addon's external buffers seen from one), so typed arrays are recognised by their tag.

function tagOf(value: unknown): string {
  return Object.prototype.toString.call(value);
}

export function isFloat64Array(value: unknown): value is Float64Array {
  return ArrayBuffer.isView(value) && tagOf(value) === '[object Float64Array]';
}

export function isInt32Array(value: unknown): value is Int32Array {
  return ArrayBuffer.isView(value) && tagOf(value) === '[object Int32Array]';
}

export function isAbortSignal(value: unknown): value is AbortSignal {
  return typeof value === 'object' && value !== null && typeof (value as AbortSignal).aborted === 'boolean' &&
    typeof (value as AbortSignal).addEventListener === 'function';
}
