/**
 * The reproduction report as one self-contained HTML5 page: inline CSS and inline SVG figures, no
 * scripts, no fetches, so it can be mailed, archived, or opened offline years later.
 */
import { ClaimVerdict, VERDICT_LABELS, VERDICTS } from '../reproduce/claims';
import { rangeError, requireFiniteNumber, requireOneOf, typeError } from '../util/errors';


export type Cell = string | number | boolean | null;

export interface KeyValue {
  key: string;
  value: Cell;
}

export interface Table {
  caption?: string;
  columns: string[];
  rows: Cell[][];
}

export interface Figure {
  /** HTML id (letters, digits, '-', '_'); also namespaces the SVG's internal ids. */
  id: string;
  title: string;
  /** An `<svg>` string from renderSvg. */
  svg: string;
  caption: string;
}

export interface Timing {
  label: string;
  seconds: number;
}

export interface ExperimentSection {
  id: string;
  title: string;
  summary?: string;
  settings: KeyValue[];
  figures: Figure[];
  tables: Table[];
  timings: Timing[];
  /** Deviations and caveats, e.g. "CIFAR-10 unavailable offline: run on MNIST". */
  notes: string[];
}

export interface RunInfo {
  /** ISO date-time of the run. */
  date: string;
  preset: string;
  machine: string;
  wallSeconds: number;
  command?: string;
  version?: string;
  extra?: KeyValue[];
}

export interface ReportModel {
  title: string;
  subtitle?: string;
  run: RunInfo;
  verdicts: ClaimVerdict[];
  experiments: ExperimentSection[];
  notes?: string[];
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and double-quoted attributes alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function str(param: string, value: unknown): string {
  if (typeof value !== 'string') throw typeError(param, 'a string', value);
  return value;
}

function list<T>(param: string, value: unknown): T[] {
  if (!Array.isArray(value)) throw typeError(param, 'an array', value);
  return value as T[];
}

const ID = /^[A-Za-z][\w-]*$/;

/** Numbers as a reader wants them: integers exact, others to 4 significant digits. */
export function formatCell(value: Cell): string {
  if (value === null) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const a = Math.abs(value);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return value.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(value.toPrecision(4)));
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  return h ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(sec).padStart(2, '0')} s`;
}

/**
 * Checks an SVG is a renderSvg product (no script, no external reference) and prefixes its
 * internal ids: vega names every clip path "clip1", "clip2"…, so two inline SVGs would share ids
 * and clip each other's marks.
 */
function inlineSvg(param: string, svg: unknown, prefix: string): string {
  const text = str(param, svg).trim();
  if (!text.startsWith('<svg') || !text.endsWith('</svg>')) throw rangeError(param, 'an <svg>…</svg> string', text);
  if (/<script|<foreignObject|\son\w+\s*=|(?:href|src)\s*=\s*"(?!#)/i.test(text)) {
    throw rangeError(param, 'an SVG without scripts, event handlers or external references', text);
  }
  return text
    .replace(/\sid="([^"]+)"/g, (_, id: string) => ` id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}-${id}"`);
}

function tableHtml(param: string, t: Table): string {
  const columns = list<string>(`${param}.columns`, t?.columns).map((c, i) => str(`${param}.columns[${i}]`, c));
  const rows = list<Cell[]>(`${param}.rows`, t.rows).map((r, i) => {
    const cells = list<Cell>(`${param}.rows[${i}]`, r);
    if (cells.length !== columns.length) throw rangeError(`${param}.rows[${i}]`, `${columns.length} cells like columns`, cells);
    return `<tr>${cells.map((c) => `<td${typeof c === 'number' ? ' class="num"' : ''}>${escapeHtml(formatCell(c))}</td>`).join('')}</tr>`;
  });
  const caption = t.caption === undefined ? '' : `<caption>${escapeHtml(str(`${param}.caption`, t.caption))}</caption>`;
  return `<table class="data">${caption}<thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function keyValueHtml(param: string, kvs: KeyValue[], cls: string): string {
  const rows = kvs.map((kv, i) => `<tr><th scope="row">${escapeHtml(str(`${param}[${i}].key`, kv?.key))}</th><td>${escapeHtml(formatCell(kv.value))}</td></tr>`);
  return `<table class="${cls}"><tbody>${rows.join('')}</tbody></table>`;
}

const CSS = `
body{font:15px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;max-width:1060px;margin:2em auto;padding:0 1.2em}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2.2em}
.sub{color:#555;margin-top:0}
table{border-collapse:collapse;margin:.8em 0 1.2em}th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
thead th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}caption{caption-side:top;text-align:left;font-weight:600;padding-bottom:.3em}
table.kv th{background:#fafafa;font-weight:600;white-space:nowrap}
.verdicts td:nth-child(3){white-space:nowrap;font-weight:600}
tr.v-reproduced td:nth-child(3){background:#dff3e3;color:#17642b}tr.v-partly td:nth-child(3){background:#fff1cc;color:#7a5600}
tr.v-not td:nth-child(3){background:#fbdcdc;color:#9b1c1c}tr.v-not-run td:nth-child(3){background:#eee;color:#555}
.tally span{display:inline-block;margin-right:1em}
figure{margin:1.2em 0;padding:.6em;border:1px solid #e3e3e3;border-radius:4px;overflow-x:auto}
figure svg{max-width:100%;height:auto}figcaption{font-size:.92em;color:#333;margin-top:.4em}
ul.notes li{margin:.2em 0}.notes{background:#f7f9fc;border-left:3px solid #8aa6d6;padding:.5em 1em .5em 2em}
footer{margin-top:3em;color:#777;font-size:.85em}
`;

export function buildReportHtml(report: ReportModel): string {
  if (report === null || typeof report !== 'object') throw typeError('report', 'a ReportModel object', report);
  const title = str('report.title', report.title);
  const run = report.run;
  if (run === null || typeof run !== 'object') throw typeError('report.run', 'a RunInfo object', run);
  const verdicts = list<ClaimVerdict>('report.verdicts', report.verdicts);
  const experiments = list<ExperimentSection>('report.experiments', report.experiments);

  const ids = new Set<string>();
  const claimId = (param: string, id: unknown): string => {
    const s = str(param, id);
    if (!ID.test(s)) throw rangeError(param, 'an id of letters, digits, "-" or "_" starting with a letter', s);
    if (ids.has(s)) throw rangeError(param, 'unique in the report', s);
    ids.add(s);
    return s;
  };

  const runRows: KeyValue[] = [
    { key: 'Date', value: str('report.run.date', run.date) },
    { key: 'Preset', value: str('report.run.preset', run.preset) },
    { key: 'Machine', value: str('report.run.machine', run.machine) },
    { key: 'Wall time', value: formatSeconds(requireFiniteNumber('report.run.wallSeconds', run.wallSeconds, 0)) },
    ...(run.version === undefined ? [] : [{ key: 'Version', value: str('report.run.version', run.version) }]),
    ...(run.command === undefined ? [] : [{ key: 'Command', value: str('report.run.command', run.command) }]),
    ...list<KeyValue>('report.run.extra', run.extra ?? []).map((kv, i) => ({ key: str(`report.run.extra[${i}].key`, kv?.key), value: kv.value })),
  ];

  const tally = VERDICTS.map((v) => `<span>${escapeHtml(VERDICT_LABELS[v])}: <b>${verdicts.filter((c) => c.verdict === v).length}</b></span>`).join('');
  const verdictRows = verdicts.map((c, i) => {
    const p = `report.verdicts[${i}]`;
    const verdict = requireOneOf(`${p}.verdict`, c?.verdict, VERDICTS);
    const claim = typeof c.claim === 'number' ? String(c.claim) : str(`${p}.claim`, c.claim);
    const text = escapeHtml(str(`${p}.text`, c.text));
    const linked = c.section === undefined ? text : `<a href="#${escapeHtml(str(`${p}.section`, c.section))}">${text}</a>`;
    return (
      `<tr class="v-${verdict.replace(' ', '-')}"><td>${escapeHtml(claim)}</td><td>${linked}</td><td>${escapeHtml(VERDICT_LABELS[verdict])}</td>` +
      `<td>${escapeHtml(c.evidence === undefined ? '—' : str(`${p}.evidence`, c.evidence))}</td><td>${escapeHtml(str(`${p}.ours`, c.ours))}</td><td>${escapeHtml(str(`${p}.paper`, c.paper))}</td><td>${escapeHtml(str(`${p}.rule`, c.rule))}</td></tr>`
    );
  });

  let figureNumber = 0;
  const sections = experiments.map((e, i) => {
    const p = `report.experiments[${i}]`;
    if (e === null || typeof e !== 'object') throw typeError(p, 'an ExperimentSection object', e);
    const id = claimId(`${p}.id`, e.id);
    const parts = [`<section id="${id}"><h2>${escapeHtml(str(`${p}.title`, e.title))}</h2>`];
    if (e.summary !== undefined) parts.push(`<p>${escapeHtml(str(`${p}.summary`, e.summary))}</p>`);
    const notes = list<string>(`${p}.notes`, e.notes).map((n, j) => `<li>${escapeHtml(str(`${p}.notes[${j}]`, n))}</li>`);
    if (notes.length) parts.push(`<ul class="notes">${notes.join('')}</ul>`);
    const settings = list<KeyValue>(`${p}.settings`, e.settings);
    if (settings.length) parts.push(`<h3>Settings</h3>`, keyValueHtml(`${p}.settings`, settings, 'kv'));
    list<Figure>(`${p}.figures`, e.figures).forEach((f, j) => {
      const fp = `${p}.figures[${j}]`;
      const fid = claimId(`${fp}.id`, f?.id);
      figureNumber++;
      parts.push(
        `<figure id="${fid}">${inlineSvg(`${fp}.svg`, f.svg, fid)}<figcaption><b>Figure ${figureNumber}. ${escapeHtml(str(`${fp}.title`, f.title))}.</b> ` +
          `${escapeHtml(str(`${fp}.caption`, f.caption))}</figcaption></figure>`,
      );
    });
    list<Table>(`${p}.tables`, e.tables).forEach((t, j) => parts.push(tableHtml(`${p}.tables[${j}]`, t)));
    const timings = list<Timing>(`${p}.timings`, e.timings).map((t, j) => ({
      key: str(`${p}.timings[${j}].label`, t?.label),
      value: formatSeconds(requireFiniteNumber(`${p}.timings[${j}].seconds`, t.seconds, 0)),
    }));
    if (timings.length) parts.push(`<h3>Timings</h3>`, keyValueHtml(`${p}.timings`, timings, 'kv'));
    parts.push('</section>');
    return parts.join('\n');
  });
  // Checked after every section id is known, so a verdict may point at any section.
  verdicts.forEach((c, i) => {
    if (c.section !== undefined && !ids.has(c.section)) throw rangeError(`report.verdicts[${i}].section`, `the id of an experiment section (${[...ids].join(', ')})`, c.section);
  });

  const reportNotes = list<string>('report.notes', report.notes ?? []).map((n, j) => `<li>${escapeHtml(str(`report.notes[${j}]`, n))}</li>`);
  const toc = experiments.map((e) => `<li><a href="#${escapeHtml(e.id)}">${escapeHtml(e.title)}</a></li>`).join('');
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>`,
    `<header><h1>${escapeHtml(title)}</h1>${report.subtitle === undefined ? '' : `<p class="sub">${escapeHtml(str('report.subtitle', report.subtitle))}</p>`}</header>`,
    `<h2>Run</h2>${keyValueHtml('report.run', runRows, 'kv')}`,
    reportNotes.length ? `<ul class="notes">${reportNotes.join('')}</ul>` : '',
    `<h2>Summary of verdicts</h2><p class="tally">${tally}</p>`,
    `<table class="verdicts"><thead><tr><th>#</th><th>Claim</th><th>Verdict</th><th>Evidence</th><th>Ours</th><th>Paper</th><th>Rule</th></tr></thead><tbody>${verdictRows.join('')}</tbody></table>`,
    toc ? `<h2>Experiments</h2><ol>${toc}</ol>` : '',
    ...sections,
    '<footer>Generated by hessian-lab. Figures are inline SVG rendered with Vega-Lite; the paper’s points were read from the figures of arXiv:1706.04454 v3.</footer>',
    '</body></html>',
    '',
  ].join('\n');
}
