/**
 * The `reproduce` runner: picks the experiments, gives each a context in DIR/<id>, writes
 * DIR/<id>/results.json when it finishes, merges the verdicts into one row per claim and writes
 * DIR/verdicts.json and DIR/report.html. Every file is written atomically (temp + rename), and an
 * experiment's results.json is its "done" marker: `resume` skips experiments that have one and,
 * inside an unfinished experiment, the steps that have finished (ctx.step). Ctrl-C aborts through
 * `signal`: the running step is dropped, nothing half-written remains, and AbortError propagates.
 *
 * Layout of DIR:
 *   run.json                 preset of the run in DIR (a resume with another preset is refused)
 *   <id>/results.json        settings, results, verdicts, notes, tables, timings, figure files
 *   <id>/*.svg, <id>/*.npy   figures and spectra;  <id>/steps/  resumable step results
 *   verdicts.json            the merged verdicts (one per claim 1–10) and the merge rule
 *   report.html              self-contained report: verdict summary first, then one section each
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureDirectory, ensureWritableDirectory, readJson, writeFileAtomic, writeJsonAtomic } from '../io/atomic';
import { buildReportHtml, ExperimentSection, Figure, Table, Timing } from '../report/html';
import { ClaimVerdict, mergeVerdicts, MERGE_RULE, settingText, VERDICT_LABELS } from './claims';
import { AbortError, InputError } from '../util/errors';
import { createExperimentContext } from './context';
import { QUICK_BUDGET_SECONDS } from './presets';
import { REGISTRY } from './registry';
import type { Experiment, ExperimentResult, Preset } from './types';
import { EXPERIMENT_IDS } from './types';

export interface ReproduceOptions {
  preset: Preset;
  out: string;
  /** Experiment ids to run (default: every registered one), in any order; run in report order. */
  only?: string[];
  resume?: boolean;
  signal?: AbortSignal;
  /** Overrides the registry (tests). */
  experiments?: readonly Experiment[];
  /** Called when an experiment starts (index among the selected ones) and as it progresses. */
  onExperiment?: (id: string, index: number, total: number) => void;
  onProgress?: (id: string, stage: string, fraction: number) => void;
  /** The command line, for the report. */
  command?: string;
}

export type ExperimentStatus = 'done' | 'reused' | 'failed' | 'unavailable';

export interface ExperimentOutcome {
  id: string;
  status: ExperimentStatus;
  seconds: number;
  error?: string;
}

export interface ReproduceSummary {
  outcomes: ExperimentOutcome[];
  verdicts: ClaimVerdict[];
  report: string;
  wallSeconds: number;
}

/** What DIR/<id>/results.json holds: the experiment's result with figures as file references. */
export interface StoredResult extends Omit<ExperimentResult, 'figures'> {
  id: string;
  title: string;
  description: string;
  preset: string;
  seconds: number;
  timings: Timing[];
  reusedSteps: string[];
  figures: (Omit<Figure, 'svg'> & { file: string })[];
}

/** Validates --only: known ids (case-insensitive), no duplicates; returns them in report order. */
export function selectExperiments(only: string[] | undefined, registry: readonly Experiment[]): { run: Experiment[]; unavailable: string[] } {
  const known = EXPERIMENT_IDS as readonly string[];
  let wanted: string[];
  if (only === undefined) {
    wanted = registry.map((e) => e.id);
  } else {
    wanted = only.map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
    if (wanted.length === 0) throw new InputError(`--only needs at least one experiment id (${known.join(', ')})`);
    const bad = wanted.filter((id) => !known.includes(id));
    if (bad.length) throw new InputError(`--only: unknown experiment ${bad.join(', ')}; known: ${known.join(', ')}`);
  }
  const ids = known.filter((id) => wanted.includes(id));
  return {
    run: ids.map((id) => registry.find((e) => e.id === id)).filter((e): e is Experiment => e !== undefined),
    unavailable: ids.filter((id) => !registry.some((e) => e.id === id)),
  };
}

/** The section's own verdicts, each with the rule that graded it (its describe()) and the evidence it rests on. */
function verdictTable(verdicts: ClaimVerdict[]): Table[] {
  if (verdicts.length === 0) return [];
  return [{
    caption: 'Verdicts of this experiment: each rule as it was applied, and whether its evidence is the paper’s setting or a substitute.',
    columns: ['claim', 'verdict', 'evidence', 'ours', 'paper', 'rule'],
    rows: verdicts.map((v) => [typeof v.claim === 'number' ? v.claim : `${v.claim}: ${v.text}`, VERDICT_LABELS[v.verdict], settingText(v), v.ours, v.paper, v.rule]),
  }];
}

function sectionOf(e: { id: string; title: string; description: string }, r: StoredResult | null, svgs: Figure[], extraNotes: string[]): ExperimentSection {
  if (!r) return { id: e.id, title: e.title, summary: e.description, settings: [], figures: [], tables: [], timings: [], notes: extraNotes };
  const total = r.seconds;
  const budget = r.preset === 'quick' ? QUICK_BUDGET_SECONDS[e.id] : undefined;
  return {
    id: e.id,
    title: e.title,
    summary: `${e.description}${r.summary ? ` Result: ${r.summary}` : ''}`,
    settings: r.settings,
    figures: svgs,
    tables: [...verdictTable(r.verdicts), ...r.tables],
    timings: [...r.timings, { label: budget ? `total (quick budget ${budget} s)` : 'total', seconds: total }],
    notes: [...extraNotes, ...r.notes],
  };
}

function readStored(dir: string, preset: string): StoredResult | null {
  const file = path.join(dir, 'results.json');
  if (!fs.existsSync(file)) return null;
  const r = readJson(file) as StoredResult;
  if (r.preset !== preset) return null;
  for (const f of r.figures) if (!fs.existsSync(path.join(dir, f.file))) return null; // incomplete: redo
  return r;
}

function figuresOf(dir: string, r: StoredResult): Figure[] {
  return r.figures.map((f) => ({ id: f.id, title: f.title, caption: f.caption, svg: fs.readFileSync(path.join(dir, f.file), 'utf8') }));
}

/** DIR/run.json remembers the preset, so that --resume never mixes steps of two presets. */
function checkRunFile(out: string, preset: string, resume: boolean): void {
  const file = path.join(out, 'run.json');
  if (resume && fs.existsSync(file)) {
    const prev = (readJson(file) as { preset?: string }).preset;
    if (prev !== undefined && prev !== preset) throw new InputError(`--resume: ${out} holds a run of preset "${prev}", not "${preset}"; use --preset ${prev} or another --out`);
  }
  writeJsonAtomic(file, { preset, started: new Date().toISOString() });
}

async function runOne(e: Experiment, opts: ReproduceOptions, dir: string): Promise<StoredResult> {
  const started = process.hrtime.bigint();
  const ctx = createExperimentContext({
    preset: opts.preset,
    dir,
    resume: !!opts.resume,
    signal: opts.signal,
    onProgress: (stage, f) => opts.onProgress?.(e.id, stage, f),
  });
  const r = await e.run(ctx);
  if (opts.signal?.aborted) throw new AbortError();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stored: StoredResult = {
    id: e.id,
    title: e.title,
    description: e.description,
    preset: opts.preset,
    seconds,
    timings: ctx.timings,
    reusedSteps: ctx.reused,
    ...r,
    figures: r.figures.map((f) => ({ id: f.id, title: f.title, caption: f.caption, file: `${f.id}.svg` })),
  };
  // Last: results.json marks the experiment finished (its figures and .npy are already on disk).
  writeJsonAtomic(path.join(dir, 'results.json'), stored);
  return stored;
}

function machine(): string {
  const cpus = os.cpus();
  return `${os.hostname()}: ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

export async function runReproduce(opts: ReproduceOptions): Promise<ReproduceSummary> {
  const started = process.hrtime.bigint();
  const registry = opts.experiments ?? REGISTRY;
  const { run, unavailable } = selectExperiments(opts.only, registry);
  ensureWritableDirectory(opts.out, `--out ${opts.out}`);
  checkRunFile(opts.out, opts.preset, !!opts.resume);

  const outcomes: ExperimentOutcome[] = [];
  const sections: ExperimentSection[] = [];
  const verdicts: ClaimVerdict[] = [];
  for (const [i, e] of run.entries()) {
    const dir = path.join(opts.out, e.id);
    ensureDirectory(dir);
    opts.onExperiment?.(e.id, i, run.length);
    const t0 = process.hrtime.bigint();
    const reused = opts.resume ? readStored(dir, opts.preset) : null;
    if (reused) {
      outcomes.push({ id: e.id, status: 'reused', seconds: reused.seconds });
      sections.push(sectionOf(e, reused, figuresOf(dir, reused), ['Reused from an earlier run (--resume): the experiment had finished.']));
      verdicts.push(...reused.verdicts);
      opts.onProgress?.(e.id, 'reused', 1);
      continue;
    }
    try {
      const stored = await runOne(e, opts, dir);
      outcomes.push({ id: e.id, status: 'done', seconds: stored.seconds });
      sections.push(sectionOf(e, stored, figuresOf(dir, stored), []));
      verdicts.push(...stored.verdicts);
      opts.onProgress?.(e.id, 'done', 1);
    } catch (err) {
      if (err instanceof AbortError || opts.signal?.aborted) throw err instanceof AbortError ? err : new AbortError();
      // One experiment's failure (e.g. a size that the memory guard refuses with a RangeError)
      // must not lose the others: record it, say it in the report, go on.
      const message = (err as Error)?.message ?? String(err);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      outcomes.push({ id: e.id, status: 'failed', seconds, error: message });
      writeJsonAtomic(path.join(dir, 'error.json'), { id: e.id, preset: opts.preset, error: message, stack: (err as Error)?.stack ?? null });
      sections.push(sectionOf(e, null, [], [`Failed after ${seconds.toFixed(1)} s: ${message}. Its claims count as not run. Finished steps are kept; rerun with --resume.`]));
    }
  }
  for (const id of unavailable) outcomes.push({ id, status: 'unavailable', seconds: 0 });

  const merged = mergeVerdicts(verdicts);
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  writeJsonAtomic(path.join(opts.out, 'verdicts.json'), { preset: opts.preset, mergeRule: MERGE_RULE, verdicts: merged, perExperiment: verdicts, outcomes });
  const notes = [
    `Merge rule: ${MERGE_RULE}`,
    ...(unavailable.length ? [`Asked for but not available yet (not implemented in this version): ${unavailable.join(', ')}.`] : []),
    ...outcomes.filter((o) => o.status === 'failed').map((o) => `${o.id} failed: ${o.error}`),
    `Experiments not run in this invocation count as "not run": ${(EXPERIMENT_IDS as readonly string[]).filter((id) => !run.some((e) => e.id === id)).join(', ') || 'none'}.`,
  ];
  const html = buildReportHtml({
    title: 'Hessian spectra of over-parametrised networks: reproduction report',
    subtitle: 'Sagun et al. 2018 (arXiv:1706.04454) and 2016 (arXiv:1611.07476), exact Hessians by hessian-lab',
    run: {
      date: new Date().toISOString(),
      preset: opts.preset,
      machine: machine(),
      wallSeconds,
      command: opts.command,
      version: require('../../package.json').version,
      extra: [{ key: 'Experiments', value: outcomes.map((o) => `${o.id} ${o.status}${o.seconds ? ` (${o.seconds.toFixed(1)} s)` : ''}`).join(', ') || 'none' }],
    },
    verdicts: merged,
    experiments: sections,
    notes,
  });
  const report = path.join(opts.out, 'report.html');
  writeFileAtomic(report, html);
  return { outcomes, verdicts: merged, report, wallSeconds };
}

