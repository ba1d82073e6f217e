/** An approximate-methods comparison as one self-contained HTML page (inline CSS and SVG, no scripts). */
import type { CompareResult } from '../approx/compare';
import { escapeHtml, Figure, formatCell, formatSeconds } from './html';

/** vega names clip paths clip1, clip2…: prefix each SVG's ids so two inline figures do not share them. */
function prefixIds(svg: string, prefix: string): string {
  return svg
    .replace(/\sid="([^"]+)"/g, (_, id: string) => ` id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}-${id}"`);
}

const errorSummary = (errors: Record<string, number | number[]>) =>
  Object.entries(errors)
    .map(([key, v]) => `${key} ${Array.isArray(v) ? 'max ' + formatCell(Math.max(...v)) : formatCell(v)}`)
    .join('; ');

export function buildCompareHtml(result: CompareResult, figures: Figure[]): string {
  const rows = result.methods
    .map((m) => `<tr><td>${escapeHtml(m.label)}</td><td>${m.matvecs}</td><td>${escapeHtml(formatSeconds(m.seconds))}</td><td>${escapeHtml(formatCell(m.error))}</td><td>${escapeHtml(errorSummary(m.errors))}</td></tr>`)
    .join('\n');
  const figs = figures
    .map((f) => `<figure id="${escapeHtml(f.id)}"><h3>${escapeHtml(f.title)}</h3>${prefixIds(f.svg, f.id)}<figcaption>${escapeHtml(f.caption)}</figcaption></figure>`)
    .join('\n');
  const e = result.exact;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hessian-lab compare</title>
<style>body{font-family:Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:13px}figure{margin:2em 0}</style></head>
<body><h1>Approximate methods vs the exact ${result.matrix === 'ggn' ? 'Gauss-Newton matrix' : 'Hessian'}</h1>
<p>M = ${result.parameters} parameters, N = ${result.samples} samples; operator: ${escapeHtml(result.operator)}${result.batch ? `, mini-batch of ${result.batch} samples (seed ${result.seed})` : ''}; k = ${result.k}; seed ${result.seed}.</p>
<p>Exact: λ<sub>min</sub> = ${escapeHtml(formatCell(e.lambdaMin))}, λ<sub>max</sub> = ${escapeHtml(formatCell(e.lambdaMax))}, trace = ${escapeHtml(formatCell(e.trace))};
assembly ${escapeHtml(formatSeconds(e.seconds.assembly))}, eigensolve ${escapeHtml(formatSeconds(e.seconds.eigensolve))}.</p>
<table><thead><tr><th>method</th><th>products</th><th>wall time</th><th>principal error</th><th>errors</th></tr></thead><tbody>
${rows}
</tbody></table>
${figs}
</body></html>
`;
}
