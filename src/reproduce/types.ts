/**
 * The contract between the `reproduce` runner and the experiments. Each experiment is one module
 * in src/reproduce/experiments/<id>.ts exporting an `Experiment`; the runner (src/reproduce/run.ts)
 * gives it a context, collects its result, writes DIR/<id>/results.json and figures, and builds
 * the report. Experiments never write outside ctx.dir and never print: they report progress.
 */
import type { Figure, KeyValue, Table } from '../report/html';
import type { ClaimVerdict } from './claims';

export type Preset = 'quick' | 'paper';

/** Experiment ids, in report order (E4: the convnet, S18 Figs. 4, 6; L1: S18 App. B logistic regression; A1: approximate methods, beyond the paper). */
export const EXPERIMENT_IDS = ['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'L1', 'P2', 'P3', 'P4', 'P5', 'P6', 'A1'] as const;
export type ExperimentId = (typeof EXPERIMENT_IDS)[number];

export interface ExperimentContext {
  preset: Preset;
  /** DIR/<id>: everything the experiment writes goes here (the runner creates it). */
  dir: string;
  signal?: AbortSignal;
  /** Progress inside this experiment: stage label and fraction in [0, 1]. */
  progress(stage: string, fraction: number): void;
  /**
   * Resumable unit of work: returns the stored result of `key` if a finished one exists in
   * DIR/<id>/steps/ (and the run resumes), else runs `compute`, stores its result atomically and
   * returns it. Results are JSON-able objects whose Float64Array / Int32Array fields (at any depth)
   * are stored as .npy beside the JSON and come back as typed arrays.
   */
  step<T extends object>(key: string, compute: () => Promise<T>): Promise<T>;
  /** Seconds spent in each named part, for the report's timings table. */
  time<T>(label: string, work: () => Promise<T>): Promise<T>;
  /** Writes DIR/<id>/<name>.npy (spectra etc.) atomically; returns the relative path. */
  saveNpy(name: string, data: Float64Array, shape?: number[]): string;
  /** Renders a vega-lite spec to DIR/<id>/<figureId>.svg and returns the Figure for the report. */
  figure(id: string, title: string, spec: object, caption: string): Promise<Figure>;
}

export interface ExperimentResult {
  /** What was run (sizes, seeds, learning rates, steps), each reduction of the preset stated. */
  settings: KeyValue[];
  /** Machine-readable results for results.json (summaries, counts, our vs paper numbers). */
  results: Record<string, unknown>;
  figures: Figure[];
  tables: Table[];
  /** Verdicts for the claims (1..10 of PAPER.md) this experiment speaks to. */
  verdicts: ClaimVerdict[];
  notes: string[];
  summary?: string;
}

export interface Experiment {
  id: ExperimentId;
  title: string;
  /** One line: what the paper did and what this checks. */
  description: string;
  run(ctx: ExperimentContext): Promise<ExperimentResult>;
}
