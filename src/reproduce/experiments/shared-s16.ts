/**
 * The S16 toy setup shared by P3–P6: two 2-D Gaussian blobs at (1, 1) and (−1, −1) and a net with
 * two hidden ReLU layers of width h (M = h² + 6h + 2: 18, 74, 162, 282, 434 for h = 2…18),
 * trained by full-batch GD. S16 gives neither N, the blob spread of P3/P4, nor step sizes:
 * std 0.5 is the middle of P5's range and gives λ_max ≈ 0.02–0.03 after training (measured),
 * S16's scale.
 */
import { twoBlobs } from '../../data';
import type { Dataset } from '../../data/dataset';
import type { Table } from '../../report/html';
import type { ExperimentContext } from '../types';
import { bySize, mlp, trainedRun, TrainedRun } from './shared';

export const BLOB_STD = 0.5;
/**
 * GD step size at std 0.5 (P3, P4): λ_max · lr stays far below 2. Wide spreads need less: at
 * std 1.0 the net memorises overlapping points and λ_max passes 10, so P5 passes its own.
 */
export const BLOB_LR = 0.2;

export interface BlobSizes {
  N: number;
  /** GD steps at most (runs stop at ‖∇L‖ ≤ gradNorm). */
  steps: number;
  gradNorm: number;
}

export function blobSizes(ctx: Pick<ExperimentContext, 'preset'>): BlobSizes {
  return bySize(ctx, {
    tiny: { N: 50, steps: 500, gradNorm: 1e-4 },
    quick: { N: 200, steps: 20000, gradNorm: 1e-4 },
    paper: { N: 1000, steps: 100000, gradNorm: 1e-4 },
  });
}

export function blobNet(h: number) {
  return mlp([2, h, h, 2]);
}

export function blobData(N: number, std = BLOB_STD, seed = 0): Dataset {
  return twoBlobs({ N, std, seed });
}

/** GD on the blobs from init seed `seed`, stopping at the gradient-norm target; a resumable step. */
export function trainBlobNet(ctx: ExperimentContext, key: string, stage: string, h: number, data: Dataset, s: BlobSizes, seed = 1, lr = BLOB_LR): Promise<TrainedRun> {
  const config = {
    model: blobNet(h), data: data.spec, seed, phases: [{ steps: s.steps, lr }],
    recordEvery: Math.max(1, Math.floor(s.steps / 100)), stop: { gradNorm: s.gradNorm },
  };
  return trainedRun(ctx, key, stage, config, data);
}

/** The settings lines every blob page shows. */
export function blobSettings(s: BlobSizes, std: number | string = BLOB_STD, lr = BLOB_LR) {
  return [
    { key: 'data', value: `two 2-D Gaussian blobs at (1, 1) and (−1, −1), std ${std}, N = ${s.N}, equal classes, seed 0 (S16: N and std unstated)` },
    { key: 'training', value: `full-batch GD, lr ${lr}, until ‖∇L‖ ≤ ${s.gradNorm} or ${s.steps} steps, PyTorch-default init` },
  ];
}

/** An eigenvalue is "isolated" when it is at least this many times the next one down. */
export const ISOLATION_RATIO = 3;

/**
 * How many of the top eigenvalues stand clear of the bulk: the largest i ≤ 10 with
 * λ_i ≥ 3 λ_{i+1} > 0 and λ_i ≥ 1e-2 λ_1 (ratios among near-zero eigenvalues mean nothing). The largest-ratio rule of S18 would stop at the first, biggest jump
 * (λ1/λ2 ≈ 16 here) and miss a second outlier that is still ~5× above the bulk.
 */
export function isolatedCount(values: Float64Array): number {
  const n = values.length;
  let count = 0;
  for (let i = 1; i <= Math.min(10, n - 1); i++) {
    const hi = values[n - i], lo = values[n - i - 1];
    if (lo > 0 && hi >= ISOLATION_RATIO * lo && hi >= 1e-2 * values[n - 1]) count = i;
  }
  return count;
}

/** Rows of (label, top eigenvalues) as a table of λ1..λn. */
export function topTable(caption: string, label: string, rows: { name: string | number; values: Float64Array; extra?: (number | string)[] }[], n: number, extraColumns: string[] = []): Table {
  return {
    caption,
    columns: [label, ...Array.from({ length: n }, (_, i) => `λ${i + 1}`), ...extraColumns],
    rows: rows.map((r) => [r.name, ...Array.from({ length: n }, (_, i) => r.values[r.values.length - 1 - i] ?? null), ...(r.extra ?? [])]),
  };
}
