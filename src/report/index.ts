/** The report layer: chart specs, SVG rendering and the HTML pages. It only renders; the verdicts and the papers' reference points belong to src/reproduce. */
export { renderSvg } from './render';
export type { RenderOptions } from './render';
export { eigenvaluesByRank, spectraHGR, negativeTail, logCountHistogram, trainingCurves, lineInterpolation, outliersVsK, scatterXY } from './charts';
export type {
  ChartOptions,
  SeriesKind,
  AxisScale,
  SpectrumSeries,
  EigenvaluesByRankOptions,
  NegativeTailSeries,
  StepPoint,
  AlphaPoint,
  OutlierRow,
  XYPoint,
} from './charts';
export { buildReportHtml, escapeHtml, formatCell, formatSeconds } from './html';
export type { ReportModel, RunInfo, ExperimentSection, Figure, Table, KeyValue, Cell, Timing } from './html';
export { compareFigures, compareFigureSpecs } from './compareFigures';
export type { FigureSpec } from './compareFigures';
export { buildCompareHtml } from './comparePage';
