/**
 * The spectra of one network (beyond the paper: H and also its Gauss–Newton part G and residual
 * R, plus how much H's top-k eigenvectors and G's share a subspace), as resumable steps.
 *
 * Matrices are assembled and solved one at a time so the peak is one M × M matrix plus the
 * eigensolver's workspace; each is its own step, so a resumed paper-size run (an eigensolve of
 * M ≈ 24k takes tens of minutes here) redoes only the unfinished matrix. Only the k top
 * eigenvectors of H and G are kept (M × k), which is all the overlap needs.
 */
import type { LabelledData, MatrixName } from '../../engine/curvature';
import { computeCurvature } from '../../engine/curvature';
import { curvatureSpectrum } from '../../engine/curvatureSpectrum';
import type { Matrix } from '../../engine/matrix';
import { MlpSpec, ModelSpec, parameterCount } from '../../engine/model';
import { summarizeSpectrum, SpectrumSummary } from '../../engine/spectrum';
import type { ExperimentContext } from '../types';

/** Below this M one LAPACK call gives all values and the top vectors (measured: cheaper than two calls). */
const FULL_VECTORS_MAX_M = 6000;

export interface MatrixSpectrum {
  /** All M eigenvalues, ascending. */
  values: Float64Array;
  /** The top k eigenvectors, M × k row-major (column j = the (j+1)-th largest), H and G only. */
  topVectors?: Float64Array;
  /** How it was computed: dense or factor route, and the order r that was eigensolved. */
  route?: { route: 'dense' | 'factor'; r: number };
}

export interface NetSpectra {
  M: number;
  H: Float64Array;
  G?: Float64Array;
  R?: Float64Array;
  /**
   * Overlap of the top-k eigenspaces of H and G: ‖V_Hᵀ V_G‖_F² / k ∈ [0, 1] (1: the same
   * subspace), and |⟨v_H,i, v_G,i⟩| per rank i.
   */
  overlap?: { k: number; subspace: number; perRank: number[] };
  /** Route and r of each matrix (H, G, R). */
  routes?: Record<string, { route: 'dense' | 'factor'; r: number }>;
}

/** The last k columns of an eigenvector matrix (ascending order), reordered largest first, M × k. */
function columnsDescending(vectors: Matrix, k: number): Float64Array {
  const M = vectors.rows, c = vectors.cols;
  const block = vectors.block(0, M, c - k, c);
  const out = new Float64Array(M * k);
  for (let i = 0; i < M; i++) for (let j = 0; j < k; j++) out[i * k + j] = block[i * k + (k - 1 - j)];
  return out;
}

async function oneMatrix(
  model: MlpSpec, params: Float64Array, data: LabelledData, name: MatrixName, k: number, ctx: ExperimentContext, stage: string,
): Promise<MatrixSpectrum> {
  const M = parameterCount(model);
  const wantVectors = k > 0 && name !== 'residual';
  // Auto routing (src/engine/route.ts): past the dense wall (E3's paper widths) the spectrum goes
  // through the factors, exactly; below it the dense matrix is assembled as before.
  const s = await curvatureSpectrum(model, params, data, name, {
    route: 'auto', vectors: wantVectors ? (M <= FULL_VECTORS_MAX_M ? true : k) : false, signal: ctx.signal,
    onProgress: (step, f) => ctx.progress(`${stage}: ${name} (${step})`, f),
  });
  const route = { route: s.route, r: s.rank };
  if (!s.vectors) return { values: s.values, route };
  try {
    return { values: s.values, topVectors: columnsDescending(s.vectors, k), route };
  } finally {
    s.vectors.dispose();
  }
}

/** ‖AᵀB‖_F² / k and |⟨a_i, b_i⟩| for two M × k row-major blocks of orthonormal columns. */
export function subspaceOverlap(a: Float64Array, b: Float64Array, k: number): { subspace: number; perRank: number[] } {
  const M = a.length / k;
  const cross = new Float64Array(k * k);
  for (let r = 0; r < M; r++) {
    for (let i = 0; i < k; i++) {
      const ai = a[r * k + i];
      if (ai === 0) continue;
      for (let j = 0; j < k; j++) cross[i * k + j] += ai * b[r * k + j];
    }
  }
  let f = 0;
  for (const v of cross) f += v * v;
  return { subspace: f / k, perRank: Array.from({ length: k }, (_, i) => Math.abs(cross[i * k + i])) };
}

/**
 * Spectra of H (and, with `withGR`, of G and R and the H/G top-k overlap) at `params`; each
 * matrix is the resumable step `${key}-<matrix>`.
 */
export async function netSpectra(
  ctx: ExperimentContext,
  key: string,
  model: MlpSpec,
  params: Float64Array,
  data: LabelledData,
  options: { withGR?: boolean; k?: number; stage?: string } = {},
): Promise<NetSpectra> {
  const M = parameterCount(model);
  const k = Math.min(options.k ?? 10, M);
  const stage = options.stage ?? key;
  const names: MatrixName[] = options.withGR ? ['hessian', 'ggn', 'residual'] : ['hessian'];
  const got: Partial<Record<MatrixName, MatrixSpectrum>> = {};
  for (const name of names) {
    got[name] = await ctx.step(`${key}-${name}`, () => oneMatrix(model, params, data, name, options.withGR ? k : 0, ctx, stage));
  }
  const out: NetSpectra = { M, H: got.hessian!.values, routes: Object.fromEntries(names.filter((n) => got[n]!.route).map((n) => [n, got[n]!.route!])) };
  if (options.withGR) {
    out.G = got.ggn!.values;
    out.R = got.residual!.values;
    out.overlap = { k, ...subspaceOverlap(got.hessian!.topVectors!, got.ggn!.topVectors!, k) };
  }
  return out;
}

/**
 * Eigenvalues only (ascending) of several matrices of any model (MLP or convnet), assembled in one
 * pass (H, G and R share the work) and solved one after another (values only: dsyevd_2stage), as
 * the one resumable step `key`. For sizes where the matrices fit side by side; at paper sizes ask
 * for ['hessian'] alone (one M × M matrix and a small workspace). Each matrix is disposed as soon
 * as its eigenvalues are known.
 */
export function valueSpectra(
  ctx: ExperimentContext,
  key: string,
  model: ModelSpec,
  params: Float64Array,
  data: LabelledData,
  names: MatrixName[],
  stage: string = key,
): Promise<Partial<Record<MatrixName, Float64Array>>> {
  return ctx.step(key, async () => {
    const { matrices } = await computeCurvature(model, params, data, {
      matrices: names, signal: ctx.signal, onProgress: (_s, f) => ctx.progress(`${stage}: assembling ${names.join(', ')}`, f),
    });
    const out: Partial<Record<MatrixName, Float64Array>> = {};
    try {
      for (const name of names) {
        const e = await matrices[name]!.eigen({ signal: ctx.signal, onProgress: (_s, f) => ctx.progress(`${stage}: eigenvalues of ${name}`, f) });
        out[name] = e.values;
        matrices[name]!.dispose();
      }
    } finally {
      for (const m of Object.values(matrices)) m!.dispose();
    }
    return out;
  });
}

/** The summary the pages quote: negatives counted below −tolerance (S18 Fig. 5 uses 1e-6). */
export function summary(values: Float64Array, negativeTolerance = 1e-6): SpectrumSummary {
  return summarizeSpectrum(values, { negativeTolerance, k: 10 });
}

/** Compact JSON of a network's spectra for results.json (the full spectra go to .npy files). */
export function spectraResults(s: NetSpectra): Record<string, unknown> {
  const brief = (v: Float64Array) => {
    const x = summary(v);
    return { max: x.max, min: x.min, top: x.top, negativeFraction: x.negativeFraction, fractionAbsBelow: x.fractionAbsBelow, outliers: x.outliers, trace: x.trace };
  };
  return {
    M: s.M,
    H: brief(s.H),
    ...(s.G ? { G: brief(s.G) } : {}),
    ...(s.R ? { R: brief(s.R) } : {}),
    ...(s.overlap ? { overlapHG: s.overlap } : {}),
    ...(s.routes ? { routes: s.routes } : {}),
  };
}

/** Saves H (and G, R) eigenvalues as <name>_{H,G,R}.npy beside the page; returns the file names. */
export function saveSpectra(ctx: ExperimentContext, name: string, s: NetSpectra): string[] {
  const files = [ctx.saveNpy(`${name}_H`, s.H)];
  if (s.G) files.push(ctx.saveNpy(`${name}_G`, s.G));
  if (s.R) files.push(ctx.saveNpy(`${name}_R`, s.R));
  return files;
}
