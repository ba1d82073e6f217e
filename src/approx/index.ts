/** Approximate curvature methods (the peers' algorithms) and their comparison with the exact spectrum. */
export { curvatureOperator, denseOperator, diagonalOperator, functionOperator, sampleBatch } from './operator';
export type { LinearOperator, CurvatureOperatorOptions } from './operator';
export { powerIteration } from './power';
export type { PowerIterationOptions, PowerIterationResult } from './power';
export { lanczosEigen, lanczosProcess } from './lanczos';
export type { LanczosEigenOptions, LanczosEigenResult, EigenPairs, LanczosRun } from './lanczos';
export { slq, smoothDensity, exactMeasure, mergeMeasures, linspace } from './slq';
export type { SlqOptions, SlqResult, SpectralMeasure, Density, DensityOptions } from './slq';
export { kpm, kpmDensity, kpmCdf, kpmL1Distance, chebyshevMoments, jacksonKernel } from './kpm';
export type { KpmOptions, KpmResult } from './kpm';
export { hutchinsonTrace, hutchPlusPlus, hutchinsonDiagonal, standardError } from './hutchinson';
export type { HutchinsonOptions, HutchPlusPlusOptions, TraceEstimate } from './hutchinson';
export { tridiagonalEigen } from './tridiagonal';
export * from './metrics';
export { compareMethods, METHOD_NAMES, METHOD_LABELS, PRINCIPAL_ERROR } from './compare';
export type { CompareOptions, CompareResult, MethodName, MethodReport, SweepPoint } from './compare';
export { PROBE_KINDS } from './vectors';
export type { ProbeKind } from './vectors';
