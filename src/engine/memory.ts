/**
 * The memory guard: every allocation of O(M^2) is estimated first and refused with a RangeError
 * naming M, the bytes needed and the bytes available, rather than letting the process die.
 * HESSIAN_LAB_MEMORY_LIMIT (bytes) caps what counts as available (for tests, or to leave room
 * for other jobs on a shared server).
 */
import { binding } from '../native/binding';

export function availableMemoryBytes(): number {
  const native = binding().availableMemory();
  const limit = Number(process.env.HESSIAN_LAB_MEMORY_LIMIT);
  return Number.isFinite(limit) && limit > 0 ? Math.min(native, limit) : native;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes, u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

/** Throws a RangeError if `needed` bytes do not fit in 90% of what is available. */
export function ensureMemory(what: string, M: number, needed: number, hint: string): void {
  const available = availableMemoryBytes();
  if (needed > 0.9 * available) {
    throw new RangeError(
      `${what} for M = ${M} parameters needs ${needed.toFixed(0)} bytes (${formatBytes(needed)}) ` +
        `but only ${available.toFixed(0)} bytes (${formatBytes(available)}) are available; ${hint}`,
    );
  }
}
