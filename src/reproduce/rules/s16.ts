/**
 * The S16 experiments' rules: the statements of S16 that are not among PAPER.md's ten claims
 * (P2, P4; P6 is in ./line), and S16's toy versions of S18's claims 4 and 5 (P5, P3), which are
 * substitutes for S18's settings.
 */
import { allSomeNone, defineRule, pctText } from './rule';
import { WIDTH } from './outliers';
import { maxRelativeDeviation } from './stats';

// ---- P2: MNIST vs random inputs ------------------------------------------------------------------

export const P2 = {
  /** "Near zero": |λ| below this × the spectrum's largest |λ|. */
  nearZero: 1e-2,
  /** "Nearly all mass at zero". */
  mass: 0.8,
  /** "Random inputs change the edges": λmax or |λmin| differ by at least this factor. */
  edges: 2,
};

export interface InputsEvidence {
  /** [MNIST, random]: the end fraction near zero, λmax and λmin. */
  nearZero: [number, number];
  lambdaMax: [number, number];
  lambdaMin: [number, number];
}

export function edgeFactor(e: InputsEvidence): number {
  const f = ([a, b]: [number, number]) => Math.max(Math.abs(a), Math.abs(b)) / Math.min(Math.abs(a), Math.abs(b));
  return Math.max(f(e.lambdaMax), f(e.lambdaMin));
}

export const p2 = defineRule<InputsEvidence>({
  id: 'P2.s16', claim: 'S16-P2', section: 'P2', setting: 'paper',
  claimText: 'MNIST vs random inputs: at the end nearly all mass at zero for both; random inputs change the edges (S16).',
  thresholds: () =>
    `reproduced if ≥ ${pctText(P2.mass)} of |λ| < ${P2.nearZero}·max|λ| at the end for both inputs and λmax or |λmin| differ ≥ ${P2.edges}× between them; partly if one holds; not reproduced if neither`,
  check: (e) => allSomeNone([e.nearZero.every((x) => x >= P2.mass), edgeFactor(e) >= P2.edges]),
});

// ---- P3: two blobs, growing net (claim 5's toy version) --------------------------------------

export const p3 = defineRule<{ lambda1: number[]; isolated: number[] }>({
  id: 'P3.claim5', claim: 5, section: 'P3', setting: 'substitute', substitute: 'S16’s two-blob nets of 18–434 parameters instead of S18’s MNIST width sweep',
  thresholds: () =>
    `reproduced if every λ1 is within ±${pctText(WIDTH.deviation)} of the widths’ mean and the number of isolated eigenvalues (λ_i ≥ 3 λ_{i+1}, top 10) is the same at every width; ` +
    `not reproduced if some λ1 is more than ±${pctText(WIDTH.contradicted)} off the mean; partly otherwise`,
  check: (e) => {
    const dev = maxRelativeDeviation(e.lambda1);
    return dev > WIDTH.contradicted ? 'not' : dev <= WIDTH.deviation && e.isolated.every((c) => c === e.isolated[0]) ? 'reproduced' : 'partly';
  },
});

// ---- P4: many random inits -----------------------------------------------------------------------

export const P4 = {
  /** S16: the histogram of λmax peaks near this. */
  peak: 0.025,
  /** "Near": within this factor. */
  peakFactor: 2,
  /** "Narrow": the 95% quantile at most this × the 5% one. */
  spread: 3,
};

export const p4 = defineRule<{ peak: number; q05: number; q95: number }>({
  id: 'P4.s16', claim: 'S16-P4', section: 'P4', setting: 'paper',
  claimText: 'Many random inits: the histogram of λ_max at the end is narrow and peaked near 0.025 (S16).',
  thresholds: () =>
    `reproduced if the peak is within a factor ${P4.peakFactor} of ${P4.peak} and the 95%/5% quantile ratio is ≤ ${P4.spread}; partly if one holds; not reproduced if neither`,
  check: (e) => allSomeNone([e.peak >= P4.peak / P4.peakFactor && e.peak <= P4.peak * P4.peakFactor, e.q95 / e.q05 <= P4.spread]),
});

// ---- P5: blob spread (claim 4's toy version) ---------------------------------------------------

export const P5 = {
  /** S16: the top eigenvalues grow about this much from std 0.2 to 1.0. */
  growth: 75,
  /** Growth within this factor of S16's counts as "about". */
  factor: 10,
};

export function growthOf(lambda1: number[]): number {
  return lambda1[lambda1.length - 1] / lambda1[0];
}

export const p5 = defineRule<{ lambda1: number[] }>({
  id: 'P5.claim4', claim: 4, section: 'P5', setting: 'substitute', substitute: 'S16’s two blobs of growing spread instead of S18’s Gaussian mixtures at covariance ×1 and ×10',
  thresholds: () =>
    `λ1 (median over seeds) per blob spread, from the narrowest to the widest: reproduced if it grows monotonically by a factor within ${P5.factor}× of S16’s ${P5.growth} ` +
    `(${P5.growth / P5.factor}–${P5.growth * P5.factor}); not reproduced if it does not grow; partly otherwise`,
  check: (e) => {
    const g = growthOf(e.lambda1);
    const monotone = e.lambda1.every((v, i) => i === 0 || v >= e.lambda1[i - 1]);
    return !(g > 1) ? 'not' : monotone && g >= P5.growth / P5.factor && g <= P5.growth * P5.factor ? 'reproduced' : 'partly';
  },
});
