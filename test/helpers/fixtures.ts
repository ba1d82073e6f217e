/** Small seeded networks and datasets for the engine tests. */
import { computeCurvature, evaluate, MlpSpec, ModelSpec, parameterCount, LabelledData, classCount } from '../../src';

/** Deterministic uniform numbers in [-0.5, 0.5) (a tiny LCG: tests must not depend on Math.random). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

export interface Fixture {
  model: MlpSpec;
  params: Float64Array;
  data: LabelledData;
  M: number;
}

export function fixture(model: MlpSpec, N: number, seed: number, scale = 1.5): Fixture {
  const r = lcg(seed);
  const M = parameterCount(model);
  const params = new Float64Array(M).map(() => r() * scale);
  const X = new Float64Array(N * model.layers[0]).map(() => r() * 2);
  const k = classCount(model);
  const y = new Int32Array(N).map((_, i) => (i * 7 + seed) % k);
  return { model, params, data: { X, y }, M };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** The named matrices of one computeCurvature call as plain arrays (the native matrices are freed). */
export async function curvatureArrays<N extends string>(
  c: { model: ModelSpec; params: Float64Array; data: LabelledData },
  names: N[],
  extra: Record<string, unknown> = {},
): Promise<Record<string, Float64Array>> {
  const r = await computeCurvature(c.model, c.params, c.data, { matrices: names as never, ...extra });
  const out: Record<string, Float64Array> = {};
  for (const n of names) {
    const m = (r.matrices as Record<string, { toArray(): Float64Array; dispose(): void } | undefined>)[n]!;
    out[n] = m.toArray();
    m.dispose();
  }
  return out;
}

/** A conv2d layer of a sequential model spec. */
export const conv = (out_channels: number, kernel: number | [number, number], extra: Record<string, unknown> = {}) =>
  ({ type: 'conv2d', out_channels, kernel, ...extra }) as const;

/** Largest |central difference of the gradient (step h) - H| over the row-major M x M H, every columnStride-th column. */
export function finiteDifferenceError(c: { model: ModelSpec; params: Float64Array; data: LabelledData; M: number }, H: ArrayLike<number>, h = 1e-5, columnStride = 1): number {
  let err = 0;
  for (let j = 0; j < c.M; j += columnStride) {
    const p = Float64Array.from(c.params), m = Float64Array.from(c.params);
    p[j] += h;
    m[j] -= h;
    const gp = evaluate(c.model, p, c.data).gradient, gm = evaluate(c.model, m, c.data).gradient;
    for (let i = 0; i < c.M; i++) err = Math.max(err, Math.abs((gp[i] - gm[i]) / (2 * h) - H[i * c.M + j]));
  }
  return err;
}
