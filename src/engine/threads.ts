/**
 * Thread policy on the TypeScript side: every native job (assembly, products, eigensolve) is
 * given its thread count in its request; nothing flips a process-wide setting. `setThreads` only
 * sets the default that jobs without an explicit `threads` get in this realm (main thread or
 * worker), 0 meaning all cores. Results do not depend on the thread count (native/core/threads.h).
 */
import { requireInteger } from '../util/errors';

const MAX_THREADS = 4096;
let defaultThreads = 0;

/** Threads for jobs that do not say (default: all cores). Returns the value set. */
export function setThreads(threads: number): number {
  requireInteger('threads', threads, 1, MAX_THREADS);
  defaultThreads = threads;
  return threads;
}

/** The thread count to put in a native request: `explicit` (checked) or the default (0 = all cores). */
export function jobThreads(explicit?: number, name = 'threads'): number {
  if (explicit === undefined) return defaultThreads;
  requireInteger(name, explicit, 1, MAX_THREADS);
  return explicit;
}
