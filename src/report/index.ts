/** The report layer: the paper's reference points, chart specs, SVG rendering and the HTML page. */
export { loadReference, referenceDir, REFERENCE_NAMES, fig1, fig2, fig3, fig4, fig5, fig6, fig7, fig8 } from './reference';
export type { ReferenceName, ReferenceTable, Fig7Series } from './reference';
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
export { buildReportHtml, escapeHtml, formatCell, formatSeconds, VERDICTS } from './html';
export type { ReportModel, RunInfo, Verdict, ClaimVerdict, ExperimentSection, Figure, Table, KeyValue, Cell, Timing } from './html';
