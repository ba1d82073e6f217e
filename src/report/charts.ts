/**
 * Pure builders of vega-lite specs for the report's figures (render them with renderSvg). Inputs are
 * plain arrays or typed arrays; large spectra are thinned here and the subtitle says how. Convention
 * everywhere: our run is drawn as lines, the paper's digitised points (kind 'paper') as dots.
 */
import type { TopLevelSpec } from 'vega-lite';
import { rangeError, requireFiniteNumber, requireInteger, requireOneOf, typeError } from '../util/errors';
import { checkList, checkName, checkValues, defaultSymlogConstant, fmtInt, sortedCopy, strideIndices, symlogTicks, thin } from './series';

export interface ChartOptions {
  title?: string;
  /** Extra subtitle lines, shown above the automatic notes (thinning, omitted values). */
  subtitle?: string | string[];
  /** Plot area in pixels; defaults 600 × 360. */
  width?: number;
  height?: number;
}

export type SeriesKind = 'ours' | 'paper';
export type AxisScale = 'linear' | 'log' | 'symlog';

const PAPER_NOTE = 'lines: this run; dots: S18 (points read from the paper’s figure)';
const DEFAULT_MAX_POINTS = 1500; // per series: keeps each SVG well under 1 MB
const DEFAULT_EDGE = 200; // points kept at each end of a sorted spectrum
const PAPER_MAX_POINTS = 400; // per paper series: denser dots merge into a line and only add bytes

const CONFIG = {
  aria: false, // per-mark aria labels would double the SVG size of a 1,500-point series
  font: 'Helvetica, Arial, sans-serif',
  title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start' as const },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  view: { stroke: '#bbb' },
};

/** The top-level frame shared by every chart: title with subtitle notes, size, config. */
function frame(opts: ChartOptions, defaultTitle: string, notes: string[]) {
  const width = opts.width === undefined ? 600 : requireInteger('width', opts.width, 100, 4000);
  const height = opts.height === undefined ? 360 : requireInteger('height', opts.height, 80, 4000);
  const extra = opts.subtitle === undefined ? [] : Array.isArray(opts.subtitle) ? opts.subtitle : [opts.subtitle];
  const subtitle = [...extra, ...notes].filter((s) => s !== '');
  return {
    title: { text: opts.title ?? defaultTitle, ...(subtitle.length ? { subtitle } : {}) },
    width,
    height,
    background: 'white',
    config: CONFIG,
  };
}

/** The y (or x) scale and axis properties for a value axis of the given type. */
function valueScale(type: AxisScale, min: number, max: number, symlogConstant?: number) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) [min, max] = [0, 1]; // nothing left to plot: any axis will do
  if (type === 'linear') return { scale: { type: 'linear' as const, zero: false }, axis: { format: '~g' } };
  if (type === 'log') return { scale: { type: 'log' as const }, axis: { format: '~g' } };
  const constant =
    symlogConstant === undefined ? defaultSymlogConstant(Math.max(Math.abs(min), Math.abs(max))) : requireFiniteNumber('symlogConstant', symlogConstant, Number.MIN_VALUE);
  return {
    scale: { type: 'symlog' as const, constant },
    axis: { values: symlogTicks(constant, min, max), format: '~g', labelOverlap: true },
    note: `symlog axis: linear within ±${constant.toExponential(0)}, logarithmic beyond`,
  };
}

function extent(rows: { value: number }[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    if (r.value < lo) lo = r.value;
    if (r.value > hi) hi = r.value;
  }
  return rows.length ? [lo, hi] : [0, 1];
}

/** Drops non-positive values for a log axis and says how many went. */
function logFilter<T extends { value: number }>(rows: T[], type: AxisScale, notes: string[]): T[] {
  if (type !== 'log') return rows;
  const kept = rows.filter((r) => r.value > 0);
  if (kept.length < rows.length) notes.push(`${fmtInt(rows.length - kept.length)} non-positive plotted values omitted on the log axis`);
  return kept;
}

/** Thinning notes shared by several series become one line: "a, b (S18): plotted …". */
function groupedNotes(perSeries: { name: string; kind: SeriesKind; note: string }[]): string[] {
  const groups = new Map<string, string[]>();
  for (const { name, kind, note } of perSeries) {
    if (note) groups.set(note, [...(groups.get(note) ?? []), kind === 'paper' ? `${name} (S18)` : name]);
  }
  return [...groups].map(([note, names]) => `${names.join(', ')}: ${note}`);
}

/** Two series of one name and kind would be drawn as a single zig-zag line. */
function checkUniqueSeries(series: { name: string; kind?: SeriesKind }[]): void {
  const seen = new Set<string>();
  series.forEach((s, j) => {
    const key = `${s.kind ?? 'ours'}\u0000${s.name}`;
    if (seen.has(key)) throw rangeError(`series[${j}].name`, `unique among the ${s.kind ?? 'ours'} series`, s.name);
    seen.add(key);
  });
}

function checkKind(param: string, kind: unknown): SeriesKind {
  return kind === undefined ? 'ours' : requireOneOf(param, kind, ['ours', 'paper'] as const);
}

/** Ten distinguishable colours (vega's tableau10). */
const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];
/** Series that play the same role keep one colour in every figure: the first of a pair in blue, the second in orange. */
const ROLE_COLOUR: [RegExp, number][] = [[/^(init|SB|train|H)\b/, 0], [/^(end|LB|test|G)\b/, 1], [/^R\b/, 2]];

/** The paper's series are named like ours with an "S18 " prefix: both share one colour. */
export function seriesBase(name: string): string {
  return name.replace(/^S1[68] /, '');
}

/** Colours for the series bases: by role where one applies, then the rest of the palette in order. */
export function seriesColours(bases: string[]): string[] {
  const fixed = bases.map((b) => ROLE_COLOUR.find(([re]) => re.test(b))?.[1]);
  const used = new Set(fixed.filter((i): i is number => i !== undefined));
  const free = PALETTE.map((_, i) => i).filter((i) => !used.has(i));
  let next = 0;
  return fixed.map((i) => PALETTE[i ?? free[next++ % free.length]]);
}

/**
 * Layers drawing `ours` rows as lines and `paper` rows as dots. The colour is the series' base name
 * (an S18 series and ours of the same name share it), so one series keeps its colour across the
 * report. A layer is left out when it would be empty (vega warns about the infinite extent of an
 * empty layer).
 */
function oursAndPaperLayers(rows: { kind: SeriesKind; series: string }[], x: object, y: object, names: string[], withPointsOnLines = false) {
  for (const r of rows) (r as { base?: string }).base = seriesBase(r.series);
  const bases = [...new Set(names.map(seriesBase))];
  const color = { field: 'base', type: 'nominal' as const, title: null, scale: { domain: bases, range: seriesColours(bases) }, sort: bases };
  const layers = [
    {
      transform: [{ filter: "datum.kind === 'ours'" }],
      mark: { type: 'line' as const, strokeWidth: 1.8, clip: true, point: withPointsOnLines ? { size: 28 } : false },
      encoding: { x, y, color, detail: { field: 'series', type: 'nominal' as const } },
    },
    {
      transform: [{ filter: "datum.kind === 'paper'" }],
      mark: { type: 'point' as const, filled: true, size: 14, opacity: 0.85, clip: true },
      encoding: { x, y, color },
    },
  ];
  const present = layers.filter((_, i) => rows.some((r) => r.kind === (i === 0 ? 'ours' : 'paper')));
  return present.length ? present : layers.slice(0, 1); // nothing to plot: still draw the axes
}

// ---- eigenvalues by rank (S18 Figs. 1–4) ---------------------------------------------------

export interface SpectrumSeries {
  name: string;
  /** Eigenvalues in any order (they are sorted here), or a leading part of the spectrum (e.g. the paper's top 136). */
  values: ArrayLike<number>;
  kind?: SeriesKind;
}

export interface EigenvaluesByRankOptions extends ChartOptions {
  series: SpectrumSeries[];
  /** 'descending': rank 1 = largest (outlier plots); 'ascending': rank 1 = smallest (full-spectrum plots). */
  rankOrder: 'descending' | 'ascending';
  /** Keep only ranks 1..topK of each series. */
  topK?: number;
  yScale?: AxisScale;
  /** Linear half-width of a symlog axis; default 1e-3 × the largest |λ|, rounded to a power of ten. */
  symlogConstant?: number;
  /** Per series; default 1500. */
  maxPoints?: number;
  /** x: the rank, or rank / (length of the series) so spectra of different M line up. Default 'rank'. */
  rankScale?: 'rank' | 'fraction';
}

export function eigenvaluesByRank(opts: EigenvaluesByRankOptions): TopLevelSpec {
  const series = checkList<SpectrumSeries>('series', opts.series);
  const rankOrder = requireOneOf('rankOrder', opts.rankOrder, ['descending', 'ascending'] as const);
  const yScale = requireOneOf('yScale', opts.yScale ?? 'linear', ['linear', 'log', 'symlog'] as const);
  const topK = opts.topK === undefined ? Infinity : requireInteger('topK', opts.topK, 1);
  const maxPoints = opts.maxPoints === undefined ? DEFAULT_MAX_POINTS : requireInteger('maxPoints', opts.maxPoints, 10);
  const byFraction = requireOneOf('rankScale', opts.rankScale ?? 'rank', ['rank', 'fraction'] as const) === 'fraction';
  const thinned: { name: string; kind: SeriesKind; note: string }[] = [];
  let rows: { series: string; kind: SeriesKind; rank: number; value: number }[] = [];
  series.forEach((s, j) => {
    const name = checkName(`series[${j}].name`, s?.name);
    const kind = checkKind(`series[${j}].kind`, s.kind);
    const sorted = sortedCopy(checkValues(`series[${j}].values`, s.values), rankOrder);
    const n = Math.min(sorted.length, topK);
    const { indices, note } = thin(n, kind === 'paper' ? Math.min(maxPoints, PAPER_MAX_POINTS) : maxPoints, DEFAULT_EDGE, 'eigenvalues');
    thinned.push({ name, kind, note });
    for (const i of indices) rows.push({ series: name, kind, rank: byFraction ? (i + 1) / sorted.length : i + 1, value: sorted[i] });
  });
  checkUniqueSeries(series);
  const notes = groupedNotes(thinned);
  rows = logFilter(rows, yScale, notes);
  const [lo, hi] = extent(rows);
  const ys = valueScale(yScale, lo, hi, opts.symlogConstant);
  if (ys.note) notes.push(ys.note);
  if (series.some((s) => s.kind === 'paper')) notes.unshift(PAPER_NOTE);
  const names = [...new Set(series.map((s) => s.name))];
  const end = rankOrder === 'descending' ? 'largest' : 'smallest';
  const x = byFraction
    ? { field: 'rank', type: 'quantitative' as const, title: `rank / M (from the ${end} eigenvalue)`, axis: { format: '.0%' } }
    : { field: 'rank', type: 'quantitative' as const, title: `rank (1 = ${end} eigenvalue)`, axis: { format: ',d' } };
  const y = { field: 'value', type: 'quantitative' as const, title: 'eigenvalue λ of the loss Hessian', scale: ys.scale, axis: ys.axis };
  const defaultTitle = Number.isFinite(topK) ? `Top ${topK} eigenvalues by rank` : 'Eigenvalues by rank';
  return { ...frame(opts, defaultTitle, notes), data: { values: rows }, layer: oursAndPaperLayers(rows, x, y, names) };
}

/** H, its Gauss–Newton part G and residual R on one rank plot (descending, symlog y): where outliers and negatives come from. */
export function spectraHGR(
  opts: { hessian: ArrayLike<number>; ggn: ArrayLike<number>; residual: ArrayLike<number>; symlogConstant?: number; maxPoints?: number } & ChartOptions,
): TopLevelSpec {
  if (opts === null || typeof opts !== 'object') throw typeError('opts', 'an object with hessian, ggn and residual', opts);
  const { hessian, ggn, residual, ...rest } = opts;
  return eigenvaluesByRank({
    ...rest,
    title: rest.title ?? 'Spectra of H = G + R',
    series: [
      { name: 'H (Hessian)', values: checkValues('hessian', hessian) },
      { name: 'G (Gauss–Newton part)', values: checkValues('ggn', ggn) },
      { name: 'R (residual part)', values: checkValues('residual', residual) },
    ],
    rankOrder: 'descending',
    yScale: 'symlog',
  });
}

// ---- negative tail vs rank/M (S18 Figs. 5, 6) ----------------------------------------------

export interface NegativeTailSeries {
  name: string;
  /** All eigenvalues (any order) or only the negative ones; only λ < 0 are plotted. */
  values: ArrayLike<number>;
  /** Parameter count: x = (rank − 1) / M. Default values.length. */
  M?: number;
  /** Precomputed x positions paired with `values` (as in the paper's CSVs); then M is unused. */
  fraction?: ArrayLike<number>;
  kind?: SeriesKind;
}

export function negativeTail(opts: { series: NegativeTailSeries[]; yScale?: 'linear' | 'symlog'; symlogConstant?: number; maxPoints?: number } & ChartOptions): TopLevelSpec {
  const series = checkList<NegativeTailSeries>('series', opts.series);
  const yScale = requireOneOf('yScale', opts.yScale ?? 'linear', ['linear', 'symlog'] as const);
  const maxPoints = opts.maxPoints === undefined ? DEFAULT_MAX_POINTS : requireInteger('maxPoints', opts.maxPoints, 10);
  const notes: string[] = [];
  const thinned: { name: string; kind: SeriesKind; note: string }[] = [];
  const rows: { series: string; kind: SeriesKind; fraction: number; value: number }[] = [];
  series.forEach((s, j) => {
    const name = checkName(`series[${j}].name`, s?.name);
    const kind = checkKind(`series[${j}].kind`, s.kind);
    const values = checkValues(`series[${j}].values`, s.values);
    let pairs: [number, number][]; // [x, λ], λ < 0, ascending in λ
    if (s.fraction !== undefined) {
      const fraction = checkValues(`series[${j}].fraction`, s.fraction);
      if (fraction.length !== values.length) throw rangeError(`series[${j}].fraction`, `of length ${values.length} like values`, fraction);
      pairs = Array.from(values, (v, i): [number, number] => [fraction[i], v]).filter((p) => p[1] < 0);
      pairs.sort((a, b) => a[1] - b[1]);
    } else {
      const M = s.M === undefined ? values.length : requireInteger(`series[${j}].M`, s.M, values.length);
      const neg = sortedCopy(values, 'ascending').filter((v) => v < 0);
      pairs = Array.from(neg, (v, i): [number, number] => [i / M, v]);
    }
    if (pairs.length === 0) notes.push(`${name}: no negative eigenvalues`);
    const { indices, note } = thin(pairs.length, kind === 'paper' ? Math.min(maxPoints, PAPER_MAX_POINTS) : maxPoints, DEFAULT_EDGE, 'negative eigenvalues');
    thinned.push({ name, kind, note });
    for (const i of indices) rows.push({ series: name, kind, fraction: pairs[i][0], value: pairs[i][1] });
  });
  checkUniqueSeries(series);
  notes.push(...groupedNotes(thinned));
  const [lo] = extent(rows);
  const ys = valueScale(yScale, lo, 0, opts.symlogConstant);
  if (ys.note) notes.push(ys.note);
  if (series.some((s) => s.kind === 'paper')) notes.unshift(PAPER_NOTE);
  const names = [...new Set(series.map((s) => s.name))];
  const x = { field: 'fraction', type: 'quantitative' as const, title: 'rank / M (position from the most negative eigenvalue)', scale: { domainMin: 0 }, axis: { format: '.2~%' } };
  const y = { field: 'value', type: 'quantitative' as const, title: 'negative eigenvalue λ', scale: ys.scale, axis: ys.axis };
  return { ...frame(opts, 'Negative eigenvalues vs rank / M', notes), data: { values: rows }, layer: oursAndPaperLayers(rows, x, y, names) };
}

// ---- histogram with a log count axis (S16) -------------------------------------------------

export function logCountHistogram(
  opts: { series: { name: string; values: ArrayLike<number> }[]; bins?: number; domain?: [number, number]; xTitle?: string } & ChartOptions,
): TopLevelSpec {
  const series = checkList<{ name: string; values: ArrayLike<number> }>('series', opts.series);
  const bins = opts.bins === undefined ? 80 : requireInteger('bins', opts.bins, 1, 10000);
  const checked = series.map((s, j) => ({ name: checkName(`series[${j}].name`, s?.name), values: checkValues(`series[${j}].values`, s.values) }));
  let lo: number;
  let hi: number;
  if (opts.domain !== undefined) {
    if (!Array.isArray(opts.domain) || opts.domain.length !== 2) throw typeError('domain', 'a [min, max] pair', opts.domain);
    lo = requireFiniteNumber('domain[0]', opts.domain[0]);
    hi = requireFiniteNumber('domain[1]', opts.domain[1], lo + Number.MIN_VALUE);
  } else {
    lo = Infinity;
    hi = -Infinity;
    for (const s of checked) {
      for (let i = 0; i < s.values.length; i++) {
        if (s.values[i] < lo) lo = s.values[i];
        if (s.values[i] > hi) hi = s.values[i];
      }
    }
    if (lo === hi) [lo, hi] = [lo - 0.5 * (Math.abs(lo) || 1), hi + 0.5 * (Math.abs(hi) || 1)]; // one distinct value: still one visible bar
  }
  const width = (hi - lo) / bins;
  const notes: string[] = [`${bins} equal bins of width ${width.toPrecision(3)}; empty bins not drawn (log axis)`];
  const rows: { series: string; x0: number; x1: number; count: number }[] = [];
  for (const s of checked) {
    const counts = new Array<number>(bins).fill(0);
    let outside = 0;
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (v < lo || v > hi) outside++;
      else counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
    }
    if (outside) notes.push(`${s.name}: ${fmtInt(outside)} values outside [${lo}, ${hi}] not counted`);
    counts.forEach((count, b) => count > 0 && rows.push({ series: s.name, x0: lo + b * width, x1: lo + (b + 1) * width, count }));
  }
  const maxCount = rows.reduce((m, r) => Math.max(m, r.count), 1);
  const names = checked.map((s) => s.name);
  return {
    ...frame(opts, 'Histogram of eigenvalues (log count)', notes),
    data: { values: rows },
    mark: { type: 'bar', opacity: names.length > 1 ? 0.55 : 0.9, binSpacing: 0 },
    encoding: {
      x: { field: 'x0', type: 'quantitative', title: opts.xTitle ?? 'eigenvalue λ', scale: { domain: [lo, hi], zero: false }, axis: { format: '~g' } },
      x2: { field: 'x1' },
      // Bars must start at the bottom edge: a log scale has no zero, and vega-lite would otherwise draw a sliver.
      y: {
        field: 'count',
        type: 'quantitative',
        title: 'count (log scale)',
        scale: { type: 'log', domain: [0.7, maxCount * 1.3] },
        axis: { values: Array.from({ length: Math.floor(Math.log10(maxCount)) + 1 }, (_, e) => Number(`1e${e}`)), format: '~s' },
      },
      y2: { value: 'height' },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: names } },
    },
  };
}

// ---- curves along the iteration clock and along the line w(α) (S18 Figs. 7, 8) ------------

export interface StepPoint {
  step: number;
  series: string;
  value: number;
}

interface PointRow {
  x: number;
  series: string;
  value: number;
  kind: SeriesKind;
}

/** Validates {x, series, value} points and thins each (series, kind) group to maxPoints by stride. */
function curveRows(param: string, points: unknown, xKey: 'step' | 'alpha', kind: SeriesKind, maxPoints: number, notes: string[]): PointRow[] {
  const list = checkList<Record<string, unknown>>(param, points);
  const groups = new Map<string, PointRow[]>();
  list.forEach((p, i) => {
    if (p === null || typeof p !== 'object') throw typeError(`${param}[${i}]`, `an object {${xKey}, series, value}`, p);
    const row: PointRow = {
      x: requireFiniteNumber(`${param}[${i}].${xKey}`, p[xKey]),
      series: checkName(`${param}[${i}].series`, p.series),
      value: requireFiniteNumber(`${param}[${i}].value`, p.value),
      kind,
    };
    const g = groups.get(row.series) ?? [];
    g.push(row);
    groups.set(row.series, g);
  });
  const out: PointRow[] = [];
  for (const [name, g] of groups) {
    g.sort((a, b) => a.x - b.x);
    const idx = strideIndices(g.length, maxPoints);
    if (idx.length < g.length) notes.push(`${kind === 'paper' ? `${name} (S18)` : name}: plotted ${fmtInt(idx.length)} of ${fmtInt(g.length)} points (even stride)`);
    for (const i of idx) out.push(g[i]);
  }
  return out;
}

/** A vertical dashed rule with a label at the top, at each x in `marks`. */
function ruleLayer(marks: { x: number; label: string }[]) {
  return {
    data: { values: marks },
    layer: [
      { mark: { type: 'rule' as const, strokeDash: [5, 4], color: '#666' }, encoding: { x: { field: 'x', type: 'quantitative' as const } } },
      {
        mark: { type: 'text' as const, align: 'left' as const, baseline: 'top' as const, dx: 4, dy: 4, color: '#444', fontSize: 11 },
        encoding: { x: { field: 'x', type: 'quantitative' as const }, y: { value: 0 }, text: { field: 'label', type: 'nominal' as const } },
      },
    ],
  };
}

function curveSpec(
  opts: ChartOptions & { yTitle: string; logY?: boolean },
  defaultTitle: string,
  xTitle: string,
  xFormat: string,
  rows: PointRow[],
  marks: { x: number; label: string }[],
  notes: string[],
  withPointsOnLines: boolean,
): TopLevelSpec {
  const yTitle = checkName('yTitle', opts.yTitle);
  const yType: AxisScale = opts.logY ? 'log' : 'linear';
  const kept = logFilter(rows, yType, notes);
  const [lo, hi] = extent(kept);
  const ys = valueScale(yType, lo, hi);
  if (kept.some((r) => r.kind === 'paper')) notes.unshift(PAPER_NOTE);
  const names = [...new Set(kept.map((r) => r.series))];
  const x = { field: 'x', type: 'quantitative' as const, title: xTitle, axis: { format: xFormat } };
  const y = { field: 'value', type: 'quantitative' as const, title: yTitle, scale: ys.scale, axis: ys.axis };
  const layers: object[] = [{ data: { values: kept }, layer: oursAndPaperLayers(kept, x, y, names, withPointsOnLines) }];
  if (marks.length) layers.push(ruleLayer(marks));
  return { ...frame(opts, defaultTitle, notes), layer: layers } as TopLevelSpec;
}

export function trainingCurves(
  opts: { points: StepPoint[]; paper?: StepPoint[]; yTitle: string; xTitle?: string; logY?: boolean; markers?: { step: number; label: string }[]; maxPoints?: number } & ChartOptions,
): TopLevelSpec {
  const maxPoints = opts.maxPoints === undefined ? 2000 : requireInteger('maxPoints', opts.maxPoints, 10);
  const notes: string[] = [];
  const rows = curveRows('points', opts.points, 'step', 'ours', maxPoints, notes);
  if (opts.paper !== undefined) rows.push(...curveRows('paper', opts.paper, 'step', 'paper', Math.min(maxPoints, PAPER_MAX_POINTS), notes));
  const marks = (opts.markers ?? []).map((m, i) => ({ x: requireFiniteNumber(`markers[${i}].step`, m?.step), label: checkName(`markers[${i}].label`, m.label) }));
  return curveSpec(opts, `${opts.yTitle} during training`, opts.xTitle ?? 'iteration (SGD step)', ',d', rows, marks, notes, false);
}

export interface AlphaPoint {
  alpha: number;
  series: string;
  value: number;
}

/** Loss or accuracy on w(α) = w_I + α(w_II − w_I), with rules marking the two end points. */
export function lineInterpolation(
  opts: { points: AlphaPoint[]; paper?: AlphaPoint[]; yTitle: string; logY?: boolean; endpointLabels?: [string, string] } & ChartOptions,
): TopLevelSpec {
  const notes: string[] = [];
  const rows = curveRows('points', opts.points, 'alpha', 'ours', Infinity, notes);
  if (opts.paper !== undefined) rows.push(...curveRows('paper', opts.paper, 'alpha', 'paper', Infinity, notes));
  const [l0, l1] = opts.endpointLabels ?? ['w_I (α = 0)', 'w_II (α = 1)'];
  const marks = [
    { x: 0, label: checkName('endpointLabels[0]', l0) },
    { x: 1, label: checkName('endpointLabels[1]', l1) },
  ];
  return curveSpec(opts, `${opts.yTitle} along the line w(α)`, 'α in w(α) = w_I + α (w_II − w_I)', '~g', rows, marks, notes, true);
}

// ---- outlier counts vs number of classes (S18 Fig. 2, Table 1) -----------------------------

export interface OutlierRow {
  k: number;
  outliers: number;
  /** Counting rule, e.g. 'largest gap', 'largest ratio', 'elbow 0.0035'. */
  rule: string;
  /** Run setting, e.g. 'ReLU SGD cov 1'. */
  setting: string;
}

export function outliersVsK(opts: { rows: OutlierRow[] } & ChartOptions): TopLevelSpec {
  const rows = checkList<OutlierRow>('rows', opts.rows).map((r, i) => ({
    k: requireInteger(`rows[${i}].k`, r?.k, 1),
    outliers: requireInteger(`rows[${i}].outliers`, r.outliers, 0),
    rule: checkName(`rows[${i}].rule`, r.rule),
    setting: checkName(`rows[${i}].setting`, r.setting),
  }));
  const rules = [...new Set(rows.map((r) => r.rule))];
  // Rules counting the same run often agree: spread them a few percent apart on the log k axis.
  const dodge = (rule: string) => 1.06 ** (rules.indexOf(rule) - (rules.length - 1) / 2);
  const points = rows.map((r) => ({ ...r, kx: r.k * dodge(r.rule) }));
  const ks = [...new Set(rows.map((r) => r.k))].sort((a, b) => a - b);
  const kMin = ks[0] * 0.8;
  const kMax = ks[ks.length - 1] * 1.25;
  // y = k and y = k − 1 bend on log-x / symlog-y axes, so they are drawn through many samples.
  const ref: { kx: number; y: number; line: string }[] = [];
  for (let i = 0; i <= 60; i++) {
    const k = kMin * (kMax / kMin) ** (i / 60);
    ref.push({ kx: k, y: k, line: 'y = k' }, { kx: k, y: k - 1, line: 'y = k − 1' });
  }
  const yMax = Math.max(kMax, ...rows.map((r) => r.outliers));
  const yTicks = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].filter((t) => t <= yMax);
  const x = { field: 'kx', type: 'quantitative' as const, title: 'k (number of classes)', scale: { type: 'log' as const, domain: [kMin, kMax] }, axis: { values: ks, format: 'd' } };
  const y = { type: 'quantitative' as const, title: 'number of outlier eigenvalues', scale: { type: 'symlog' as const, constant: 1, domain: [0, yMax] }, axis: { values: yTicks, format: 'd' } };
  const notes = ['grey lines: y = k (solid) and y = k − 1 (dashed); points dodged sideways by counting rule'];
  return {
    ...frame(opts, 'Outliers vs number of classes', notes),
    layer: [
      {
        data: { values: ref },
        mark: { type: 'line', color: '#888', strokeWidth: 1.2, clip: true },
        encoding: {
          x,
          y: { ...y, field: 'y' },
          detail: { field: 'line', type: 'nominal' },
          strokeDash: { field: 'line', type: 'nominal', title: null, scale: { domain: ['y = k', 'y = k − 1'], range: [[1, 0], [5, 4]] }, legend: null },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 70, opacity: 0.85 },
        encoding: {
          x,
          y: { ...y, field: 'outliers' },
          color: { field: 'rule', type: 'nominal', title: 'counting rule', scale: { domain: rules } },
          shape: { field: 'setting', type: 'nominal', title: 'setting' },
        },
      },
    ],
  };
}

// ---- generic scatter/line ------------------------------------------------------------------

export interface XYPoint {
  x: number;
  y: number;
  series: string;
}

/** Any y-vs-x relation (e.g. trace/M vs k, λ1 vs blob spread), as points, lines, or both. */
export function scatterXY(
  opts: { points: XYPoint[]; xTitle: string; yTitle: string; xScale?: AxisScale; yScale?: AxisScale; mark?: 'point' | 'line' | 'line+point' } & ChartOptions,
): TopLevelSpec {
  const list = checkList<XYPoint>('points', opts.points);
  const xType = requireOneOf('xScale', opts.xScale ?? 'linear', ['linear', 'log', 'symlog'] as const);
  const yType = requireOneOf('yScale', opts.yScale ?? 'linear', ['linear', 'log', 'symlog'] as const);
  const markType = requireOneOf('mark', opts.mark ?? 'point', ['point', 'line', 'line+point'] as const);
  const notes: string[] = [];
  let rows = list.map((p, i) => ({
    x: requireFiniteNumber(`points[${i}].x`, p?.x),
    value: requireFiniteNumber(`points[${i}].y`, p.y),
    series: checkName(`points[${i}].series`, p.series),
  }));
  rows = logFilter(rows, yType, notes);
  if (xType === 'log') {
    const kept = rows.filter((r) => r.x > 0);
    if (kept.length < rows.length) notes.push(`${fmtInt(rows.length - kept.length)} points with x ≤ 0 omitted on the log axis`);
    rows = kept;
  }
  const xs = valueScale(xType, Math.min(...rows.map((r) => r.x)), Math.max(...rows.map((r) => r.x)));
  const [lo, hi] = extent(rows);
  const ys = valueScale(yType, lo, hi);
  for (const n of [xs.note, ys.note]) if (n) notes.push(n);
  const mark =
    markType === 'point' ? { type: 'point' as const, filled: true, size: 50 } : { type: 'line' as const, point: markType === 'line+point' ? { size: 40 } : false };
  return {
    ...frame(opts, `${opts.yTitle} vs ${opts.xTitle}`, notes),
    data: { values: rows },
    mark: { ...mark, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: checkName('xTitle', opts.xTitle), scale: xs.scale, axis: xs.axis },
      y: { field: 'value', type: 'quantitative', title: checkName('yTitle', opts.yTitle), scale: ys.scale, axis: ys.axis },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}
