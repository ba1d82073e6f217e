/**
 * The comparison's figures, as vega-lite specs rendered to SVG: the spectral densities overlaid
 * (exact vs SLQ vs KPM, log density axis so the bulk and the outliers both show) and each
 * method's principal error against the number of matrix-vector products it used.
 */
import { scatterXY, XYPoint } from '../report/charts';
import { Figure } from '../report/html';
import { renderSvg } from '../report/render';
import type { CompareResult } from './compare';
import { PRINCIPAL_ERROR } from './compare';

// Densities below this fraction of their peak are drawn at it: a log axis cannot show 0.
const DENSITY_FLOOR = 1e-6;

export async function compareFigures(result: CompareResult): Promise<Figure[]> {
  const figures: Figure[] = [];
  const onWarning = () => {}; // vega's warnings (e.g. log-scale domain notes) are not the user's concern here
  const d = result.densities;
  const points: XYPoint[] = [];
  for (const [series, values] of Object.entries(d.series)) {
    const peak = Math.max(...values);
    values.forEach((v, i) => points.push({ x: d.grid[i], y: Math.max(v, peak * DENSITY_FLOOR), series }));
  }
  figures.push({
    id: 'density',
    title: 'Spectral density: exact vs estimates',
    svg: await renderSvg(scatterXY({ points, xTitle: 'eigenvalue', yTitle: 'density', yScale: 'log', mark: 'line', title: `Spectral density of the ${result.matrix === 'ggn' ? 'Gauss-Newton matrix' : 'Hessian'} (M = ${result.parameters})`, subtitle: `exact spectrum smoothed with the SLQ kernel; KPM with Jackson damping; values below ${DENSITY_FLOOR} x peak drawn at that floor` }), { onWarning }),
    caption: 'Exact eigenvalues smoothed by the same Gaussian kernel as SLQ, against the SLQ and KPM estimates.',
  });
  const errors: XYPoint[] = result.sweep
    .filter((p) => p.error > 0 && p.matvecs > 0)
    .map((p) => ({ x: p.matvecs, y: p.error, series: `${p.method}: ${PRINCIPAL_ERROR[p.method]}` }));
  if (errors.length) {
    figures.push({
      id: 'errors',
      title: 'Error vs number of matrix-vector products',
      svg: await renderSvg(scatterXY({ points: errors, xTitle: 'matrix-vector products', yTitle: 'error', xScale: 'log', yScale: 'log', mark: 'line+point', title: 'Error vs matrix-vector products', subtitle: `operator: ${result.operator}${result.batch ? `, mini-batch of ${result.batch}` : ''}; k = ${result.k}` }), { onWarning }),
      caption: 'Each method at several budgets; the error is the one named in the legend.',
    });
  }
  return figures;
}
