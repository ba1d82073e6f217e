/**
 * The figures of an approximate-methods comparison (src/approx/compare returns the data), as vega-lite specs rendered to SVG: the spectral densities overlaid
 * (exact vs SLQ vs KPM, log density axis so the bulk and the outliers both show) and each
 * method's principal error against the number of matrix-vector products it used.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CompareResult } from '../approx/compare';
import { PRINCIPAL_ERROR } from '../approx/compare';
import { scatterXY, XYPoint } from './charts';
import { Figure } from './html';
import { renderSvg } from './render';

// Densities below this fraction of their peak are drawn at it: a log axis cannot show 0.
const DENSITY_FLOOR = 1e-6;

/** A figure before rendering: its vega-lite spec. */
export interface FigureSpec {
  id: string;
  title: string;
  spec: TopLevelSpec;
  caption: string;
}

/** The specs of the density overlay and, when the sweep has points, of the error-vs-products figure. */
export function compareFigureSpecs(result: CompareResult): FigureSpec[] {
  const specs: FigureSpec[] = [];
  const d = result.densities;
  const points: XYPoint[] = [];
  for (const [series, values] of Object.entries(d.series)) {
    const peak = Math.max(...values);
    values.forEach((v, i) => points.push({ x: d.grid[i], y: Math.max(v, peak * DENSITY_FLOOR), series }));
  }
  specs.push({
    id: 'density',
    title: 'Spectral density: exact vs estimates',
    spec: scatterXY({ points, xTitle: 'eigenvalue', yTitle: 'density', yScale: 'log', mark: 'line', title: `Spectral density of the ${result.matrix === 'ggn' ? 'Gauss-Newton matrix' : 'Hessian'} (M = ${result.parameters})`, subtitle: `exact spectrum smoothed with the SLQ kernel; KPM with Jackson damping; values below ${DENSITY_FLOOR} x peak drawn at that floor` }),
    caption: 'Exact eigenvalues smoothed by the same Gaussian kernel as SLQ, against the SLQ and KPM estimates.',
  });
  const errors: XYPoint[] = result.sweep
    .filter((p) => p.error > 0 && p.matvecs > 0)
    .map((p) => ({ x: p.matvecs, y: p.error, series: `${p.method}: ${PRINCIPAL_ERROR[p.method]}` }));
  if (errors.length) {
    specs.push({
      id: 'errors',
      title: 'Error vs number of matrix-vector products',
      spec: scatterXY({ points: errors, xTitle: 'matrix-vector products', yTitle: 'error', xScale: 'log', yScale: 'log', mark: 'line+point', title: 'Error vs matrix-vector products', subtitle: `operator: ${result.operator}${result.batch ? `, mini-batch of ${result.batch}` : ''}; k = ${result.k}` }),
      caption: 'Each method at several budgets; the error is the one named in the legend.',
    });
  }
  return specs;
}

/** The figures rendered to SVG. */
export async function compareFigures(result: CompareResult): Promise<Figure[]> {
  const onWarning = () => {}; // vega's notes on log-scale domains are not the user's concern here
  const out: Figure[] = [];
  for (const f of compareFigureSpecs(result)) out.push({ id: f.id, title: f.title, caption: f.caption, svg: await renderSvg(f.spec, { onWarning }) });
  return out;
}
