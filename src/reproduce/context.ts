/**
 * The ExperimentContext the runner hands to each experiment: a folder, progress, timing, and
 * resumable steps whose results are stored atomically (JSON + .npy for typed arrays), so an
 * interrupted `reproduce --resume` redoes only unfinished work and Ctrl-C never leaves half a file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensureDirectory, readJson, writeJsonAtomic } from '../io/atomic';
import { readNpy, writeNpy } from '../io/npy';
import type { Timing } from '../report/html';
import { renderSvg } from '../report/render';
import { writeFileAtomic } from '../io/atomic';
import { isFloat64Array, isInt32Array, throwIfAborted } from '../util/errors';
import type { ExperimentContext, Preset } from './types';

export interface ContextOptions {
  preset: Preset;
  dir: string;
  /** Reuse finished steps found in dir/steps (default true: steps are always safe to reuse within one preset). */
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number) => void;
}

export interface RunnerContext extends ExperimentContext {
  /** Timings recorded by time(), in order. */
  readonly timings: Timing[];
  /** Step keys that were loaded instead of computed. */
  readonly reused: string[];
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Replaces typed arrays by {"$npy": file} references, writing each as .npy; returns the JSON tree. */
function externalise(value: unknown, dir: string, prefix: string, files: string[]): unknown {
  if (isFloat64Array(value) || isInt32Array(value)) {
    const file = `${prefix}.npy`;
    writeNpy(path.join(dir, file), value, [value.length]);
    files.push(file);
    return { $npy: file };
  }
  if (Array.isArray(value)) return value.map((v, i) => externalise(v, dir, `${prefix}.${i}`, files));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = externalise(v, dir, `${prefix}.${k.replace(/[^A-Za-z0-9_-]/g, '_')}`, files);
    return out;
  }
  return value;
}

function internalise(value: unknown, dir: string): unknown {
  if (Array.isArray(value)) return value.map((v) => internalise(v, dir));
  if (value && typeof value === 'object') {
    const ref = (value as { $npy?: unknown }).$npy;
    if (typeof ref === 'string' && Object.keys(value).length === 1) return readNpy(path.join(dir, ref)).data;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = internalise(v, dir);
    return out;
  }
  return value;
}

export function createExperimentContext(options: ContextOptions): RunnerContext {
  const { dir } = options;
  const stepsDir = path.join(dir, 'steps');
  ensureDirectory(stepsDir);
  const timings: Timing[] = [];
  const reused: string[] = [];
  const resume = options.resume !== false;
  return {
    preset: options.preset,
    dir,
    signal: options.signal,
    timings,
    reused,
    progress(stage, fraction) {
      options.onProgress?.(stage, Math.min(1, Math.max(0, fraction)));
    },
    async step<T extends object>(key: string, compute: () => Promise<T>): Promise<T> {
      if (!KEY.test(key)) throw new RangeError(`step key must match ${KEY}; received "${key}"`);
      const done = path.join(stepsDir, `${key}.json`);
      if (resume && fs.existsSync(done)) {
        reused.push(key);
        return internalise(readJson(done), stepsDir) as T;
      }
      throwIfAborted(options.signal);
      const value = await compute();
      throwIfAborted(options.signal);
      const files: string[] = [];
      const tree = externalise(value, stepsDir, key, files);
      // The .json is written last: it is the marker that the step (and its .npy files) is complete.
      writeJsonAtomic(done, tree);
      return value;
    },
    async time<T>(label: string, work: () => Promise<T>): Promise<T> {
      const start = process.hrtime.bigint();
      try {
        return await work();
      } finally {
        timings.push({ label, seconds: Number(process.hrtime.bigint() - start) / 1e9 });
      }
    },
    saveNpy(name, data, shape) {
      const file = `${name}.npy`;
      writeNpy(path.join(dir, file), data, shape ?? [data.length]);
      return file;
    },
    async figure(id, title, spec, caption) {
      const svg = await renderSvg(spec as never);
      writeFileAtomic(path.join(dir, `${id}.svg`), svg);
      return { id, title, svg, caption };
    },
  };
}
