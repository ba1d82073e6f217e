/**
 * The shared toolkit of the reproduce experiments, in one import. The implementations live beside
 * the experiments (./experiments/shared.ts and ./experiments/spectra.ts); this module only gathers them so every experiment (E1, E2, E5 here) uses the same
 * ones instead of a second copy.
 *
 *   sizeOf(ctx) / bySize(ctx, {tiny, quick, paper})  preset → size table ('tiny' = tests only)
 *   trainedRun(ctx, key, stage, config, dataset, initialParams?)
 *                                 one training run as a resumable step → {params, metrics, …}
 *   netSpectra(ctx, key, model, params, data, {withGR, k, stage})
 *                                 ascending eigenvalues of H (and G, R) + the H/G top-k overlap
 *                                 ‖V_Hᵀ V_G‖_F² / k; each matrix is its own resumable step
 *   valueSpectra(ctx, key, model, params, data, names, stage)
 *                                 eigenvalues only of H (and G, R) of any model, one assembly, one step
 *   summary(values, negTol)       summarizeSpectrum with the pages' conventions
 *   spectraResults(s), saveSpectra(ctx, name, s)   compact JSON / .npy of a net's spectra
 *   subspaceOverlap(a, b, k)      ‖AᵀB‖_F² / k for M × k blocks
 *   fmt, pct, last, mlp, maxRelativeDeviation, alphaGrid
 *
 * Verdict rules are in ./rules, the claim texts and the merge in ./claims.ts; preset budgets in ./presets.ts.
 */
export { alphaGrid, bySize, fmt, last, maxRelativeDeviation, mlp, pct, sizeOf, trainedRun } from './experiments/shared';
export type { Size, TrainedRun } from './experiments/shared';
export { netSpectra, saveSpectra, spectraResults, subspaceOverlap, summary, valueSpectra } from './experiments/spectra';
export type { MatrixSpectrum, NetSpectra } from './experiments/spectra';
