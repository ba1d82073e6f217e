/**
 * Trace and diagonal estimators from random probes.
 *  - hutchinsonTrace: tr A ~ mean of v^T A v over Rademacher probes (Hutchinson 1989), with its
 *    standard error; PyHessian's stop rule (running mean moves by < tol relative) is on by
 *    default (tol 1e-3, at most 100 probes), applied probe by probe although products run in blocks.
 *  - hutchPlusPlus: Hutch++ (Meyer, Musco, Musco & Woodruff 2021): a third of the budget finds a
 *    sketch Q of the top range, whose trace is taken exactly, and Hutchinson estimates the rest:
 *    tr(Q^T A Q) + (3/m) tr(G^T (I - QQ^T) A (I - QQ^T) G). Error O(1/m) instead of O(1/sqrt m).
 *  - hutchinsonDiagonal: diag A ~ sum_v v .* Av / sum_v v .* v (Bekas, Kokiopoulou & Saad 2007).
 */
import { Rng } from '../data/rng';
import { requireFiniteNumber, requireInteger, requireOneOf, typeError, orDefault } from '../util/errors';
import { LinearOperator } from './operator';
import { column, dot, norm, orthogonalize, PROBE_KINDS, ProbeKind, probe, scale, toBlock } from './vectors';

export interface HutchinsonOptions {
  /** Most probes (default 100). */
  probes?: number;
  /** PyHessian's relative stop rule; 0 runs all probes (default 1e-3). */
  tol?: number;
  probe?: ProbeKind;
  /** Probes per block product (default 10). */
  blockSize?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface TraceEstimate {
  estimate: number;
  /** Standard error of the mean of the per-probe values (NaN with one probe). */
  standardError: number;
  /** Per-probe values v^T A v (probes used by the estimate). */
  samples: Float64Array;
  matvecs: number;
}

function common(options: { probe?: ProbeKind; blockSize?: number; seed?: number }) {
  return {
    kind: requireOneOf('options.probe', orDefault(options.probe, 'rademacher'), PROBE_KINDS),
    blockSize: requireInteger('options.blockSize', options.blockSize ?? 10, 1),
    rng: new Rng(requireInteger('options.seed', options.seed ?? 0, 0)),
  };
}

export async function hutchinsonTrace(op: LinearOperator, options: HutchinsonOptions = {}): Promise<TraceEstimate> {
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const probes = requireInteger('options.probes', options.probes ?? 100, 1);
  const tol = requireFiniteNumber('options.tol', options.tol ?? 1e-3, 0);
  const { kind, blockSize, rng } = common(options);
  const n = op.n, before = op.matvecs;
  const samples: number[] = [];
  let running = 0, stopped = false;
  while (samples.length < probes && !stopped) {
    const k = Math.min(blockSize, probes - samples.length);
    const V = Array.from({ length: k }, () => probe(n, kind, rng));
    const AV = await op.apply(toBlock(V, n), k, options.signal);
    for (let j = 0; j < k && !stopped; j++) {
      samples.push(dot(V[j], column(AV, n, j)));
      const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
      if (tol > 0 && Math.abs(mean - running) / (Math.abs(running) + 1e-6) < tol) stopped = true;
      running = mean;
    }
  }
  const s = Float64Array.from(samples);
  return { estimate: running, standardError: standardError(s), samples: s, matvecs: op.matvecs - before };
}

export function standardError(samples: Float64Array): number {
  const m = samples.length;
  if (m < 2) return NaN;
  const mean = samples.reduce((a, b) => a + b, 0) / m;
  let ss = 0;
  for (const x of samples) ss += (x - mean) ** 2;
  return Math.sqrt(ss / (m - 1) / m);
}

export interface HutchPlusPlusOptions {
  /** Total products (rounded down to a multiple of 3, at least 3; default 99). */
  matvecs?: number;
  probe?: ProbeKind;
  seed?: number;
  signal?: AbortSignal;
}

export async function hutchPlusPlus(op: LinearOperator, options: HutchPlusPlusOptions = {}): Promise<{ estimate: number; matvecs: number; sketch: number }> {
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const budget = requireInteger('options.matvecs', options.matvecs ?? 99, 3);
  const { kind, rng } = common(options);
  const n = op.n, before = op.matvecs;
  const s = Math.min(Math.floor(budget / 3), n);
  const S = Array.from({ length: s }, () => probe(n, kind, rng));
  const G = Array.from({ length: s }, () => probe(n, kind, rng));
  const AS = await op.apply(toBlock(S, n), s, options.signal);
  // Q: orthonormal basis of range(A S), by Gram-Schmidt twice (dropping dependent columns).
  const Q: Float64Array[] = [];
  for (let j = 0; j < s; j++) {
    const v = orthogonalize(Float64Array.from(column(AS, n, j)), Q);
    const size = norm(v);
    if (size > 1e-12 * Math.max(1, norm(column(AS, n, j)))) { scale(1 / size, v); Q.push(v); }
  }
  let exactPart = 0;
  if (Q.length) {
    const AQ = await op.apply(toBlock(Q, n), Q.length, options.signal);
    Q.forEach((q, j) => (exactPart += dot(q, column(AQ, n, j))));
  }
  const P = G.map((g) => orthogonalize(Float64Array.from(g), Q));
  const AP = await op.apply(toBlock(P, n), s, options.signal);
  let rest = 0;
  P.forEach((p, j) => (rest += dot(p, column(AP, n, j))));
  return { estimate: exactPart + rest / s, matvecs: op.matvecs - before, sketch: Q.length };
}

export async function hutchinsonDiagonal(op: LinearOperator, options: Omit<HutchinsonOptions, 'tol'> = {}): Promise<{ diagonal: Float64Array; matvecs: number }> {
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const probes = requireInteger('options.probes', options.probes ?? 100, 1);
  const { kind, blockSize, rng } = common(options);
  const n = op.n, before = op.matvecs;
  const num = new Float64Array(n), den = new Float64Array(n);
  for (let done = 0; done < probes; ) {
    const k = Math.min(blockSize, probes - done);
    const V = Array.from({ length: k }, () => probe(n, kind, rng));
    const AV = await op.apply(toBlock(V, n), k, options.signal);
    V.forEach((v, j) => {
      const av = column(AV, n, j);
      for (let i = 0; i < n; i++) { num[i] += v[i] * av[i]; den[i] += v[i] * v[i]; }
    });
    done += k;
  }
  return { diagonal: num.map((x, i) => x / den[i]), matvecs: op.matvecs - before };
}
