/**
 * Small helpers shared by the experiments: sizes per preset (with the test-only 'tiny' mode), one
 * resumable training run, and number formats every page uses.
 * The trained-network spectra live in ./spectra.ts and the S16 blob setup in ./shared-s16.ts.
 */
import type { Dataset } from '../../data/dataset';
import type { MlpSpec } from '../../engine/model';
import { MetricRecord, train, TrainConfig } from '../../train';
import type { ExperimentContext } from '../types';

/** 'tiny' is the size the tests run at; the runner only ever passes 'quick' or 'paper'. */
export type Size = 'tiny' | 'quick' | 'paper';

export function sizeOf(ctx: Pick<ExperimentContext, 'preset'>): Size {
  const p = ctx.preset as string;
  return p === 'tiny' ? 'tiny' : p === 'paper' ? 'paper' : 'quick';
}

/** The entry of `table` for this run's size. */
export function bySize<T>(ctx: Pick<ExperimentContext, 'preset'>, table: Record<Size, T>): T {
  return table[sizeOf(ctx)];
}

export interface TrainedRun {
  params: Float64Array;
  metrics: MetricRecord[];
  steps: number;
  stopped: string;
  seconds: number;
  /** What `measure` returned every config.checkpointEvery steps (and at the last), when given. */
  along?: ({ step: number } & Record<string, unknown>)[];
}

/**
 * One training run as a resumable step. `initialParams` starts from given weights (the SB phase
 * of E6, GD and SGD from one point in P6); progress is reported under `stage`. `measure`, if
 * given, runs on the weights every config.checkpointEvery steps (E4's λ1 over training) and its
 * results are stored with the run (so a resumed experiment has them too).
 */
export function trainedRun(
  ctx: ExperimentContext,
  key: string,
  stage: string,
  config: TrainConfig,
  dataset: Dataset,
  initialParams?: Float64Array,
  measure?: (step: number, params: Float64Array) => Promise<Record<string, unknown>>,
): Promise<TrainedRun> {
  return ctx.step(key, async () => {
    const along: NonNullable<TrainedRun['along']> = [];
    let measuring = 0;
    const r = await train(config, {
      dataset,
      initialParams,
      signal: ctx.signal,
      onProgress: (_s, f) => ctx.progress(stage, f),
      onSegment: measure && (async (step, params) => {
        const start = Date.now();
        along.push({ step, ...(await measure(step, params)) });
        measuring += (Date.now() - start) / 1000;
      }),
    });
    // seconds: of the training alone (the measurements are timed by the caller's ctx.time).
    return { params: r.params, metrics: r.metrics, steps: r.step, stopped: String(r.stopped), seconds: r.seconds - measuring, ...(measure ? { along } : {}) };
  });
}

/** The last metric record of a run (every run records step 0 and its last step). */
export function last(run: TrainedRun): MetricRecord {
  return run.metrics[run.metrics.length - 1];
}

export function mlp(layers: number[]): Required<MlpSpec> {
  return { layers, activation: 'relu', loss: 'cross_entropy', bias: true };
}

export { maxRelativeDeviation } from '../rules/stats';

/** Numbers for text: 3 significant digits, exponent form when tiny or huge. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(2) : String(Number(x.toPrecision(3)));
}

export function pct(x: number): string {
  return `${Number((100 * x).toPrecision(3))}%`;
}

/** Equally spaced α from `from` to `to` inclusive (22 points on [−1, 2] gives the paper's grid). */
export function alphaGrid(from: number, to: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? to : from + ((to - from) * i) / (count - 1)));
}

