/**
 * The verdict rules of `reproduce` on synthetic spectra whose answer is known (planted outliers,
 * planted negatives, a PSD matrix with a known null space), on S18's own Fig. 1 spectrum (the
 * rules must call it reproduced), and the merge of several experiments' verdicts into one row.
 */
import type { ClaimVerdict } from '../src/report/html';
import { fig1 } from '../src/report/reference';
import {
  bulkCheck, claim1Grade, claim3Grade, claim4Grade, claim7Grade, CLAIM_NUMBERS, CLAIMS, endNegativesSmall, grade,
  initNegativesLikePaper, isKOrKMinus1, mergeVerdicts, negativeShape, outlierCounts, outliersMatchK, psdCheck,
} from '../src/reproduce/verdicts';

/** A bulk of `M − k` values spread in [−bulk/10, bulk] plus k planted outliers in [lo, hi], ascending. */
function planted(M: number, k: number, bulk = 1e-3, lo = 0.1, hi = 0.15, seed = 7): Float64Array {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const v = new Float64Array(M);
  for (let i = 0; i < M - k; i++) v[i] = -bulk / 10 + rand() * 1.1 * bulk;
  for (let j = 0; j < k; j++) v[M - k + j] = lo + ((hi - lo) * j) / Math.max(1, k - 1);
  return v.sort();
}

describe('outlier counts', () => {
  it.each([1, 2, 5, 10, 49])('finds %i planted outliers by gap and by ratio', (k) => {
    expect(outlierCounts(planted(2000, k))).toEqual({ gap: k, ratio: k });
  });
  it('ignores ratios among numerically-zero eigenvalues', () => {
    const v = Float64Array.from([1e-18, 1e-16, 1e-13, 0.01, 0.011, 0.5, 0.6]);
    expect(outlierCounts(v).ratio).toBe(2);
  });
  it('k or k−1', () => {
    expect([isKOrKMinus1(5, 5), isKOrKMinus1(4, 5), isKOrKMinus1(6, 5), isKOrKMinus1(3, 5)]).toEqual([true, true, false, false]);
    expect(outliersMatchK({ gap: 1, ratio: 9 }, 10)).toBe(true);
    expect(outliersMatchK({ gap: 1, ratio: 3 }, 10)).toBe(false);
  });
  it('claim 3 thresholds: 75% reproduced, 40% partly', () => {
    expect(claim3Grade([true, true, true, false]).verdict).toBe('reproduced');
    expect(claim3Grade([true, true, false, false]).verdict).toBe('partly');
    expect(claim3Grade([true, false, false, false]).verdict).toBe('not');
  });
});

describe('separability (claim 4)', () => {
  it('larger λ1 and no fewer outliers at covariance 10 → reproduced; one of the two → partly', () => {
    const up = { lambda1: [1, 2] as [number, number], outliers: [5, 6] as [number, number] };
    const down = { lambda1: [2, 1] as [number, number], outliers: [5, 6] as [number, number] };
    expect(claim4Grade([up, up, up, up]).verdict).toBe('reproduced');
    expect(claim4Grade([down, down, down, down]).verdict).toBe('partly');
    expect(claim4Grade([{ lambda1: [2, 1], outliers: [5, 1] }]).verdict).toBe('not');
  });
});

describe('bulk and negatives on S18’s own Fig. 1 spectrum', () => {
  const p = fig1();
  const init = Float64Array.from(p.init), end = Float64Array.from(p.final);
  it('claim 1 holds at the absolute thresholds', () => {
    const b = bulkCheck(init, end);
    expect(b.end[0]).toBeCloseTo(0.79, 2);
    expect(b.end[1]).toBeCloseTo(0.98, 2);
    expect(b.pass).toBe(true);
    expect(claim1Grade(b, b)).toBe('reproduced');
  });
  it('claim 2 holds: ~40% negative with |λmin| ≈ λmax/2 at init, ratio ≈ 1.7e-3 at the end', () => {
    const si = negativeShape(init), se = negativeShape(end);
    expect(si.negativeFraction).toBeCloseTo(0.395, 2);
    expect(initNegativesLikePaper(si)).toBe(true);
    expect(endNegativesSmall(se)).toBe(true);
  });
  it('a spectrum 100× larger fails the absolute rule and passes the scaled one (partly)', () => {
    const big = (v: Float64Array) => v.map((x) => 100 * x);
    expect(claim1Grade(bulkCheck(big(init), big(end)), bulkCheck(big(init), big(end), 100))).toBe('partly');
  });
  it('an init spectrum that is already concentrated fails "far fewer at init"', () => {
    expect(bulkCheck(end, end).pass).toBe(false);
  });
});

describe('G PSD and its null space (claim 7)', () => {
  it('counts the zeros of a PSD spectrum and checks M − N(k−1)', () => {
    // M = 100, N = 10, k = 3: rank ≤ 20, so ≥ 80 zeros.
    const g = Float64Array.from({ length: 100 }, (_, i) => (i < 80 ? (i % 2 ? 1e-17 : -1e-17) : 0.01 * (i - 79))).sort();
    const c = psdCheck(g, 10, 3);
    expect(c).toMatchObject({ M: 100, rankBound: 20, zeros: 80, psd: true, enoughZeros: true });
    expect(claim7Grade(c, { negativeFraction: 0.1, ratio: 1e-3 })).toBe('reproduced');
    expect(claim7Grade(c, { negativeFraction: 0.1, ratio: 0.5 })).toBe('partly');
  });
  it('a clearly negative eigenvalue is not PSD; too few zeros fails the bound', () => {
    const g = Float64Array.from({ length: 100 }, (_, i) => (i === 0 ? -1e-3 : 0.01 * i));
    const c = psdCheck(g, 10, 3);
    expect(c.psd).toBe(false);
    expect(c.enoughZeros).toBe(false);
    expect(claim7Grade(c, { negativeFraction: 0.5, ratio: 0.5 })).toBe('not');
  });
});

describe('grade and merge', () => {
  const v = (claim: number, verdict: ClaimVerdict['verdict'], section: string): ClaimVerdict => ({ claim, text: CLAIMS[claim], verdict, ours: `${section} numbers`, paper: 'paper', rule: `${section} rule`, section });
  it('grade: all, some, none', () => {
    expect([grade([true, true]), grade([true, false]), grade([false, false])]).toEqual(['reproduced', 'partly', 'not']);
  });
  it('one row per claim: not run / agreeing / mixed → partly', () => {
    const merged = mergeVerdicts([v(2, 'reproduced', 'E1'), v(2, 'reproduced', 'E5'), v(7, 'reproduced', 'E5'), v(7, 'not', 'E2'), v(3, 'partly', 'E2')]);
    expect(merged.map((m) => m.claim)).toEqual(CLAIM_NUMBERS);
    const by = (n: number) => merged.find((m) => m.claim === n)!;
    expect(by(2).verdict).toBe('reproduced');
    expect(by(2).ours).toContain('E1: ');
    expect(by(2).ours).toContain('E5: ');
    expect(by(2).section).toBe('E1');
    expect(by(7).verdict).toBe('partly');
    expect(by(3)).toMatchObject({ verdict: 'partly', ours: 'E2 numbers', rule: 'E2 rule' });
    expect(by(1).verdict).toBe('not run');
    expect(by(1).section).toBeUndefined();
    expect(merged.filter((m) => m.verdict === 'not run').length).toBe(7);
  });
});
