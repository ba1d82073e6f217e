/**
 * Claims 1, 2 and 7: where the eigenvalues sit at init and at the end of training (a bulk at zero,
 * the negative side), and whether H's negative tail is small and is R's.
 */
import { allSomeNone, defineRule, num, pctText } from './rule';
import { fractionAbsBelow, negativeShape, NegativeShape } from './measures';
import { median } from './stats';

// ---- claim 1: the bulk at zero -------------------------------------------------------------------

export const BULK = {
  /** |λ| below these counts as at zero (S18 Fig. 1). */
  thresholds: [1e-4, 1e-3] as [number, number],
  /** End fractions below the thresholds: "≥ ~80%" and "~98%". */
  endShares: [0.7, 0.9] as [number, number],
  /** "Far fewer at init": the init fraction below the first threshold at most this × the end one. */
  initAtMost: 0.5,
  /** S18 Fig. 1's end λmax: scaled thresholds multiply by λmax(ours)/this. */
  paperEndLambdaMax: 0.0134,
};

export interface BulkFractions {
  thresholds: [number, number];
  init: [number, number];
  end: [number, number];
}

export interface BulkEvidence {
  absolute: BulkFractions;
  /** The same at thresholds × scale, scale = λmax(end) / S18's end λmax. */
  scaled: BulkFractions & { scale: number };
}

export function bulkFractions(init: ArrayLike<number>, end: ArrayLike<number>, scale = 1): BulkFractions {
  const thresholds = BULK.thresholds.map((t) => t * scale) as [number, number];
  return {
    thresholds,
    init: thresholds.map((t) => fractionAbsBelow(init, t)) as [number, number],
    end: thresholds.map((t) => fractionAbsBelow(end, t)) as [number, number],
  };
}

export function bulkEvidence(init: ArrayLike<number>, end: ArrayLike<number>): BulkEvidence {
  const scale = end[end.length - 1] / BULK.paperEndLambdaMax;
  return { absolute: bulkFractions(init, end), scaled: { ...bulkFractions(init, end, scale), scale } };
}

export function bulkHolds(b: BulkFractions): boolean {
  return b.end[0] >= BULK.endShares[0] && b.end[1] >= BULK.endShares[1] && b.init[0] <= BULK.initAtMost * b.end[0];
}

export const claim1 = defineRule<BulkEvidence>({
  id: 'E1.claim1', claim: 1, section: 'E1', setting: 'paper',
  thresholds: () =>
    `at the end ≥ ${pctText(BULK.endShares[0])} of |λ| < ${num(BULK.thresholds[0])} and ≥ ${pctText(BULK.endShares[1])} < ${num(BULK.thresholds[1])}, ` +
    `and at init at most ${BULK.initAtMost}× the end fraction < ${num(BULK.thresholds[0])}: reproduced at these absolute thresholds; ` +
    `partly if it holds only with the thresholds scaled by λmax(ours)/${BULK.paperEndLambdaMax} (S18’s end λmax); not reproduced otherwise`,
  check: (e) => (bulkHolds(e.absolute) ? 'reproduced' : bulkHolds(e.scaled) ? 'partly' : 'not'),
});

// ---- claim 2: the negative side at init and at the end ------------------------------------------

export const NEGATIVES = {
  /** Init: "~40% negative". */
  initFraction: [0.2, 0.6] as [number, number],
  /** Init: "|λmin| ~ λmax/2". */
  initRatio: [0.2, 1] as [number, number],
  /** End: "|λmin|/λmax ≲ 1e-2". */
  endRatio: 1e-2,
};

export function initNegativesLikePaper(s: NegativeShape): boolean {
  const [f0, f1] = NEGATIVES.initFraction, [r0, r1] = NEGATIVES.initRatio;
  return s.negativeFraction >= f0 && s.negativeFraction <= f1 && s.ratio >= r0 && s.ratio <= r1;
}

export function endNegativesSmall(s: Pick<NegativeShape, 'ratio'>): boolean {
  return s.ratio <= NEGATIVES.endRatio;
}

export interface NegativesEvidence {
  init: NegativeShape;
  end: NegativeShape;
}

export function negativesEvidence(init: ArrayLike<number>, end: ArrayLike<number>): NegativesEvidence {
  return { init: negativeShape(init), end: negativeShape(end) };
}

const initText = () =>
  `init: ${pctText(NEGATIVES.initFraction[0])}–${pctText(NEGATIVES.initFraction[1])} of λ < 0 and |λmin|/λmax ∈ [${NEGATIVES.initRatio[0]}, ${NEGATIVES.initRatio[1]}]`;
const endText = () => `end: |λmin|/λmax ≤ ${NEGATIVES.endRatio}`;

export const claim2 = defineRule<NegativesEvidence>({
  id: 'E1.claim2', claim: 2, section: 'E1', setting: 'paper',
  thresholds: () => `${initText()}; ${endText()}; reproduced if both hold, partly if one, not reproduced if neither`,
  check: (e) => allSomeNone([initNegativesLikePaper(e.init), endNegativesSmall(e.end)]),
});

/** E5 looks only at the end of a long run: half of claim 2. */
export const claim2EndOnly = defineRule<{ end: Pick<NegativeShape, 'ratio'> }>({
  id: 'E5.claim2', claim: 2, section: 'E5', setting: 'substitute', substitute: 'the end half of the claim only: E5 never looks at init',
  thresholds: () => `${endText()} at the last checkpoint: reproduced if it holds, else not reproduced`,
  check: (e) => (endNegativesSmall(e.end) ? 'reproduced' : 'not'),
});

// ---- claim 7: H's negatives are small and are R's ---------------------------------------------

export const FROM_R = {
  /** Eigenvalues below −this·λmax(H) count as negative. */
  negativeTolerance: 1e-9,
  /** How many of the most negative eigenvalues of H and R are compared. */
  tail: 10,
  /** H's tail is R's when the median of λ_i(H)/λ_i(R) over the tail is at least this. */
  share: 0.5,
};

export interface NegativeTailEvidence {
  lambdaMaxH: number;
  /** The FROM_R.tail most negative eigenvalues of H below the tolerance, ascending (may be empty). */
  negativesH: number[];
  /** As many of the most negative eigenvalues of R, ascending. */
  negativesR: number[];
}

export function negativeTailEvidence(H: ArrayLike<number>, R: ArrayLike<number>): NegativeTailEvidence {
  const lambdaMaxH = H[H.length - 1];
  const negativesH: number[] = [];
  for (let i = 0; i < H.length && negativesH.length < FROM_R.tail && H[i] < -FROM_R.negativeTolerance * lambdaMaxH; i++) negativesH.push(H[i]);
  return { lambdaMaxH, negativesH, negativesR: Array.from({ length: negativesH.length }, (_, i) => R[i]) };
}

/** Median over the tail of λ_i(H)/λ_i(R): 1 when H's most negative eigenvalues are R's, 0 when G cancels them. */
export function tailShare(e: NegativeTailEvidence): number {
  const r = e.negativesH.map((h, i) => (e.negativesR[i] < 0 ? h / e.negativesR[i] : 0));
  return r.length ? median(r) : 0;
}

export function negativesSmall(e: NegativeTailEvidence): boolean {
  return e.negativesH.length === 0 || -e.negativesH[0] / e.lambdaMaxH <= NEGATIVES.endRatio;
}

export const claim7 = defineRule<NegativeTailEvidence>({
  id: 'E5.claim7', claim: 7, section: 'E5', setting: 'paper',
  thresholds: () =>
    `small: |λmin(H)|/λmax(H) ≤ ${NEGATIVES.endRatio}; from R: over the ${FROM_R.tail} most negative eigenvalues of H (below −${num(FROM_R.negativeTolerance)}·λmax), ` +
    `the median of λ_i(H)/λ_i(R) is ≥ ${FROM_R.share} (R’s negative directions survive in H instead of being cancelled by G); reproduced if both hold, partly if one ` +
    '(no negatives at all: nothing comes from R), not reproduced if neither. G’s PSD-ness and rank bound are theorems, checked in the engine tests, not here',
  check: (e) => allSomeNone([negativesSmall(e), e.negativesH.length > 0 && tailShare(e) >= FROM_R.share]),
});
