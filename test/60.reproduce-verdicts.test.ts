/**
 * Every verdict rule of `reproduce` on synthetic evidence that must grade reproduced, partly and
 * not reproduced: numbers at the paper's own values (read from its figures where it plots them)
 * must pass, numbers contradicting the claim must fail, and a substitute never grades above
 * partly. Also the measures and statistics the rules rest on, and the merge into one row per claim.
 */
import { CLAIM_NUMBERS, ClaimVerdict, mergeVerdicts } from '../src/reproduce/claims';
import { barrierCheck } from '../src/reproduce/experiments/line';
import { fig1, fig2, fig3, fig4, fig8 } from '../src/reproduce/reference';
import {
  BatchEvidence, bulkEvidence, claim1, claim10, claim2, claim2EndOnly, claim3, claim4, claim5, claim6, claim7, claim8, claim9, defineRule, isKOrKMinus1,
  LOGISTIC, logisticEvidence, median, medianInterval, negativesEvidence, negativeTailEvidence, outlierCounts, p2, p3, p4, p5, p6, RULES,
} from '../src/reproduce/rules';
import { marchenkoPastur } from '../src/reproduce/marchenkoPastur';

/** A bulk of `M − k` values spread in [−bulk/10, bulk] plus k planted outliers in [lo, hi], ascending. */
function planted(M: number, k: number, bulk = 1e-3, lo = 0.1, hi = 0.15, seed = 7): Float64Array {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const v = new Float64Array(M);
  for (let i = 0; i < M - k; i++) v[i] = -bulk / 10 + rand() * 1.1 * bulk;
  for (let j = 0; j < k; j++) v[M - k + j] = lo + ((hi - lo) * j) / Math.max(1, k - 1);
  return v.sort();
}

const ascending = (v: number[]) => Float64Array.from(v).reverse();

describe('measures and statistics', () => {
  it.each([1, 2, 5, 10, 49])('finds %i planted outliers by gap and by ratio', (k) => {
    expect(outlierCounts(planted(2000, k))).toEqual({ gap: k, ratio: k });
  });
  it('ignores ratios among numerically-zero eigenvalues', () => {
    expect(outlierCounts(Float64Array.from([1e-18, 1e-16, 1e-13, 0.01, 0.011, 0.5, 0.6])).ratio).toBe(2);
  });
  it('k or k−1', () => {
    expect([isKOrKMinus1(5, 5), isKOrKMinus1(4, 5), isKOrKMinus1(6, 5), isKOrKMinus1(3, 5)]).toEqual([true, true, false, false]);
  });
  it('the order-statistic interval for the median has its exact binomial coverage', () => {
    const xs = [8, 1, 7, 2, 6, 3, 5, 4];
    expect(median(xs)).toBe(4.5);
    const iv = medianInterval(xs, 0.9); // n = 8: [x(2), x(7)] covers with 1 − 2·9/256
    expect(iv).toMatchObject({ lo: 2, hi: 7, ranks: [2, 7] });
    expect(iv.coverage).toBeCloseTo(1 - 18 / 256, 12);
    const few = medianInterval([3, 1, 2, 4], 0.9); // n = 4 cannot reach 90%: the widest, with its coverage
    expect(few).toMatchObject({ lo: 1, hi: 4 });
    expect(few.coverage).toBeCloseTo(0.875, 12);
    expect(medianInterval([5], 0.9)).toMatchObject({ lo: 5, hi: 5, coverage: 0 });
  });
});

describe('rule objects', () => {
  const base = { claim: 1, section: 'X', thresholds: () => 'always reproduced', check: () => 'reproduced' as const };
  it('a substitute grades at most partly unless its rule says why it is equivalent', () => {
    expect(defineRule({ ...base, id: 'a', setting: 'paper' }).grade({})).toBe('reproduced');
    expect(defineRule({ ...base, id: 'b', setting: 'substitute', substitute: 'a toy' }).grade({})).toBe('partly');
    expect(defineRule({ ...base, id: 'c', setting: 'substitute', substitute: 'a toy', equivalence: 'the toy is the same maths' }).grade({})).toBe('reproduced');
  });
  it('the verdict carries the grade, describe() as its rule text, the rule id and the setting', () => {
    const r = defineRule({ ...base, id: 'd', setting: 'substitute', substitute: 'a toy' });
    expect(r.verdict({}, 'ours', 'paper')).toMatchObject({ verdict: 'partly', rule: r.describe(), ruleId: 'd', setting: 'substitute', substitute: 'a toy', section: 'X' });
  });
  it('the registry holds every rule under its id; every substitute names what it stands in for', () => {
    for (const [id, rule] of Object.entries(RULES)) {
      expect(rule.id).toBe(id);
      if (rule.setting === 'substitute') expect(rule.substitute).toBeTruthy();
    }
    expect(Object.values(RULES).filter((r) => r.setting === 'substitute').map((r) => r.id).sort()).toEqual(['E5.claim2', 'E6.claim9', 'P3.claim5', 'P5.claim4']);
  });
});

describe('claim 1 (E1): a bulk at zero at the end, not at init', () => {
  const p = fig1();
  const init = Float64Array.from(p.init), end = Float64Array.from(p.final);
  it('S18’s own Fig. 1 spectra → reproduced', () => expect(claim1.grade(bulkEvidence(init, end))).toBe('reproduced'));
  it('the same spectra 100× larger pass only at scaled thresholds → partly', () => {
    const big = (v: Float64Array) => v.map((x) => 100 * x);
    expect(claim1.grade(bulkEvidence(big(init), big(end)))).toBe('partly');
  });
  it('an init already as concentrated as the end contradicts "far fewer at init" → not', () => {
    expect(claim1.grade(bulkEvidence(end, end))).toBe('not');
  });
  it('an end spectrum spread evenly (no bulk at zero) → not', () => {
    const spread = Float64Array.from({ length: 1000 }, (_, i) => -0.01 + 0.02 * (i / 999));
    expect(claim1.grade(bulkEvidence(init, spread))).toBe('not');
  });
});

describe('claim 2: ~40% negative at init, tiny negatives at the end', () => {
  const p = fig1();
  const init = Float64Array.from(p.init), end = Float64Array.from(p.final);
  it('S18’s own Fig. 1 → reproduced', () => expect(claim2.grade(negativesEvidence(init, end))).toBe('reproduced'));
  it('end negatives half of λmax → partly; and an init without negatives → not', () => {
    const deep = end.map((x, i) => (i === 0 ? -0.5 * end[end.length - 1] : x));
    expect(claim2.grade(negativesEvidence(init, deep))).toBe('partly');
    expect(claim2.grade(negativesEvidence(init.map(Math.abs).sort(), deep))).toBe('not');
  });
  it('E5’s end-only evidence is a substitute: the paper’s end ratio grades partly, a deep tail not', () => {
    expect(claim2EndOnly.grade({ end: { ratio: 2.2e-5 / 0.0134 } })).toBe('partly');
    expect(claim2EndOnly.grade({ end: { ratio: 0.3 } })).toBe('not');
  });
});

describe('claim 3 (E2): k or k−1 outliers', () => {
  const paperRuns = Object.entries(fig2().byK).map(([k, v]) => ({ k: Number(k), ...outlierCounts(ascending(v)) }));
  it('S18’s own Fig. 2 counts (gap: 2, 5, 10, 3, 49; ratio: 2, 5, 10, 19, 49) → reproduced', () => {
    expect(paperRuns.map((r) => r.ratio)).toEqual([2, 5, 10, 19, 49]);
    expect(claim3.grade({ runs: paperRuns })).toBe('reproduced');
  });
  it('only the ratio rule matching → partly; a count of 3k everywhere → not', () => {
    expect(claim3.grade({ runs: paperRuns.map((r) => ({ ...r, gap: 1 })) })).toBe('partly');
    expect(claim3.grade({ runs: paperRuns.map((r) => ({ ...r, gap: 3 * r.k, ratio: 3 * r.k })) })).toBe('not');
  });
});

describe('claim 4 (E2): less separable data, larger and more outliers', () => {
  const up = { lambda1: [0.01, 0.03] as [number, number], outliers: [10, 10] as [number, number] };
  it('λ1 ×3 and the same counts at covariance ×10 (S18 Table 1: 2.5–10×) → reproduced', () => expect(claim4.grade({ pairs: [up, up, up, up] })).toBe('reproduced'));
  it('λ1 grows but the counts drop in half the pairs → partly', () => {
    expect(claim4.grade({ pairs: [up, up, { ...up, outliers: [10, 4] }, { ...up, outliers: [10, 4] }] })).toBe('partly');
  });
  it('λ1 shrinks with less separable data → not', () => {
    expect(claim4.grade({ pairs: [up, { ...up, lambda1: [0.03, 0.01] }, { ...up, lambda1: [0.03, 0.01] }, { ...up, lambda1: [0.03, 0.01] }] })).toBe('not');
  });
  it('S16 P5’s toy version is a substitute: S16’s 75× growth grades partly, shrinking not', () => {
    expect(p5.grade({ lambda1: [0.01, 0.05, 0.2, 0.5, 0.75] })).toBe('partly');
    expect(p5.grade({ lambda1: [0.5, 0.2, 0.1] })).toBe('not');
  });
});

describe('claim 5: the top of the spectrum does not move with the width', () => {
  const f3 = Object.values(fig3().byM).map((v) => ({ lambda1: v[0], ...outlierCounts(ascending(v)) }));
  const of = (rows: typeof f3) => ({ lambda1: rows.map((r) => r.lambda1), gap: rows.map((r) => r.gap), ratio: rows.map((r) => r.ratio) });
  it('S18’s own Fig. 3 (λ1 0.098 → 0.074) → reproduced', () => expect(claim5.grade(of(f3))).toBe('reproduced'));
  it('λ1 35% off the mean → partly; counts jumping by 5 → partly', () => {
    expect(claim5.grade({ ...of(f3), lambda1: [0.1, 0.1, 0.1, 0.05] })).toBe('partly');
    expect(claim5.grade({ ...of(f3), gap: [2, 7, 2, 2] })).toBe('partly');
  });
  it('λ1 falling tenfold with the width → not', () => expect(claim5.grade({ ...of(f3), lambda1: [0.1, 0.05, 0.02, 0.01] })).toBe('not'));
  it('S16 P3’s toy version is a substitute: steady λ1 and two isolated eigenvalues grade partly; tenfold λ1 not', () => {
    expect(p3.grade({ lambda1: [0.03, 0.031, 0.029, 0.03, 0.03], isolated: [2, 2, 2, 2, 2] })).toBe('partly');
    expect(p3.grade({ lambda1: [0.3, 0.03], isolated: [2, 2] })).toBe('not');
  });
});

describe('claim 6 (E3): the negative fraction does not move with the width', () => {
  it('≈1.1% at every width (S18 Fig. 5) → reproduced', () => expect(claim6.grade({ negativeFraction: [0.011, 0.011, 0.012, 0.011] })).toBe('reproduced'));
  it('a factor 3 apart → partly', () => expect(claim6.grade({ negativeFraction: [0.01, 0.03] })).toBe('partly'));
  it('a factor 50 apart, or none negative → not', () => {
    expect(claim6.grade({ negativeFraction: [0.001, 0.05] })).toBe('not');
    expect(claim6.grade({ negativeFraction: [0, 0] })).toBe('not');
  });
});

describe('claim 7 (E5): H’s negatives are small and are R’s', () => {
  /** H: bulk plus λ1; its negatives; R: the same negatives scaled by 1/share. */
  const evidence = (lambda1: number, negatives: number[], share: number) => {
    const H = Float64Array.from([...negatives, ...Array.from({ length: 50 }, (_, i) => 1e-6 * i), lambda1]).sort();
    const R = Float64Array.from([...negatives.map((x) => x / share), 0, 1e-3]).sort();
    return negativeTailEvidence(H, R);
  };
  it('S18 Fig. 5: λmin ≈ −6e-5 against λ1 0.074, and R’s tail ≈ H’s → reproduced', () => {
    expect(claim7.grade(evidence(0.074, [-6e-5, -4e-5, -1e-5], 0.9))).toBe('reproduced');
  });
  it('negatives half of λ1 though from R → partly; no negatives at all → partly', () => {
    expect(claim7.grade(evidence(0.074, [-0.037, -0.01], 0.9))).toBe('partly');
    expect(claim7.grade(evidence(0.074, [], 1))).toBe('partly');
  });
  it('deep negatives of H that are not R’s (G would have to be indefinite) → not', () => {
    expect(claim7.grade(evidence(0.074, [-0.037, -0.01], 0.01))).toBe('not');
  });
});

describe('claim 8 (E4): the large batch several times sharper, as many outliers', () => {
  const f4 = fig4();
  const paper: BatchEvidence = { pairs: [{ sb: f4.smallBatch[0], lb: f4.largeBatch[0], outliersSb: outlierCounts(ascending(f4.smallBatch)).ratio, outliersLb: outlierCounts(ascending(f4.largeBatch)).ratio }] };
  const pairs = (ratios: number[], counts: [number, number] = [9, 9]) => ({ pairs: ratios.map((r) => ({ sb: 5, lb: 5 * r, outliersSb: counts[0], outliersLb: counts[1] })) });
  it('S18’s own Fig. 4 (21.3 vs 5.3, 9 and 9 outliers) → reproduced', () => {
    expect(paper.pairs[0]).toMatchObject({ outliersSb: 9, outliersLb: 9 });
    expect(claim8.grade(paper)).toBe('reproduced');
  });
  it('eight pairs scattered around ×4 → reproduced', () => expect(claim8.grade(pairs([3.1, 4.5, 2.6, 5.2, 3.9, 4.1, 6, 2.2]))).toBe('reproduced'));
  it('LB sharper but only ×1.3–1.8 → partly; an interval reaching below 1 → partly; counts 9 vs 40 → partly', () => {
    expect(claim8.grade(pairs([1.3, 1.5, 1.8, 1.4, 1.6, 1.7, 1.5, 1.4]))).toBe('partly');
    expect(claim8.grade(pairs([0.8, 0.9, 3, 3.5, 4, 4.2, 5, 2.5]))).toBe('partly');
    expect(claim8.grade(pairs([3.1, 4.5, 2.6, 5.2, 3.9, 4.1, 6, 2.2], [9, 40]))).toBe('partly');
  });
  it('the paper’s own LB λ1 × 0.1 (LB flatter than SB) → not', () => {
    expect(claim8.grade({ pairs: [{ ...paper.pairs[0], lb: 0.1 * paper.pairs[0].lb }] })).toBe('not');
    expect(claim8.grade(pairs([0.4, 0.5, 0.6, 0.3, 0.5, 0.4, 0.7, 0.5]))).toBe('not');
  });
});

describe('claim 9 (E6) and S16 P6: no barrier on the straight line', () => {
  const f8 = fig8();
  const paperLine = barrierCheck(f8.alpha.map((alpha, i) => ({ alpha, trainLoss: f8.trainLoss[i], trainAccuracy: f8.trainAcc[i], testLoss: null, testAccuracy: null })));
  const ev = (c: { barrier: number; tolerance: number; riseRatio: number }) => ({ barrier: c.barrier, tolerance: c.tolerance, riseRatio: c.riseRatio });
  it('S18’s own Fig. 8 line, graded as our MNIST substitute is: no barrier and a steep rise → partly (the cap)', () => {
    expect(paperLine.barrier).toBeLessThanOrEqual(paperLine.tolerance);
    expect(paperLine.riseRatio).toBeGreaterThan(100);
    expect(claim9.grade(ev(paperLine))).toBe('partly');
  });
  it('a barrier between the end points → not; no rise beyond the LB end → partly', () => {
    expect(claim9.grade({ ...ev(paperLine), barrier: 10 * paperLine.tolerance + 0.1 })).toBe('not');
    expect(claim9.grade({ ...ev(paperLine), riseRatio: 1.1 })).toBe('partly');
  });
  it('P6: flat lines → reproduced; small barriers on the scale of training → partly; large → not', () => {
    expect(p6.grade({ times: [{ barrier: -0.1, tolerance: 0.01, relToProgress: 0 }, { barrier: 0.001, tolerance: 0.01, relToProgress: 0.001 }] })).toBe('reproduced');
    expect(p6.grade({ times: [{ barrier: 0.05, tolerance: 0.01, relToProgress: 0.02 }] })).toBe('partly');
    expect(p6.grade({ times: [{ barrier: 1, tolerance: 0.01, relToProgress: 0.5 }] })).toBe('not');
  });
});

describe('claim 10 (L1): Marčenko–Pastur bulk and BBP outlier', () => {
  const ratio = 0.25, variance = 0.25, spike = 4;
  const mp = marchenkoPastur(ratio, variance);
  /** The MP quantiles as a bulk, with the top eigenvalue at `top`. */
  const spectrum = (top: number) => {
    const q: number[] = [];
    for (let i = 1; i < 400; i++) {
      let lo = mp.lower, hi = mp.upper;
      for (let it = 0; it < 50; it++) { const mid = (lo + hi) / 2; if (mp.cdf(mid) < i / 400) lo = mid; else hi = mid; }
      q.push(lo);
    }
    return Float64Array.from([...q, top]);
  };
  const bbp = variance * spike * (1 + ratio / (spike - 1));
  it('an MP bulk with the outlier at the BBP position → reproduced', () => {
    const e = logisticEvidence(spectrum(bbp), ratio, variance, spike);
    expect(e.kolmogorov).toBeLessThan(LOGISTIC.kolmogorov);
    expect(claim10.grade(e)).toBe('reproduced');
  });
  it('the outlier 50% off → partly', () => expect(claim10.grade(logisticEvidence(spectrum(1.5 * bbp), ratio, variance, spike))).toBe('partly'));
  it('every eigenvalue × 0.1 → not', () => expect(claim10.grade(logisticEvidence(spectrum(bbp).map((x) => 0.1 * x), ratio, variance, spike))).toBe('not'));
});

describe('S16 statements P2 and P4', () => {
  it('P2: mass at zero for both inputs and edges 3× apart → reproduced; one of the two → partly; neither → not', () => {
    expect(p2.grade({ nearZero: [0.95, 0.9], lambdaMax: [1, 3], lambdaMin: [-0.01, -0.012] })).toBe('reproduced');
    expect(p2.grade({ nearZero: [0.95, 0.9], lambdaMax: [1, 1.2], lambdaMin: [-0.01, -0.012] })).toBe('partly');
    expect(p2.grade({ nearZero: [0.3, 0.2], lambdaMax: [1, 1.2], lambdaMin: [-0.01, -0.012] })).toBe('not');
  });
  it('P4: a narrow histogram peaked at S16’s 0.025 → reproduced; peaked at 0.1 → partly; wide and at 0.1 → not', () => {
    expect(p4.grade({ peak: 0.025, q05: 0.02, q95: 0.035 })).toBe('reproduced');
    expect(p4.grade({ peak: 0.1, q05: 0.08, q95: 0.12 })).toBe('partly');
    expect(p4.grade({ peak: 0.1, q05: 0.01, q95: 0.5 })).toBe('not');
  });
});

describe('merging the experiments’ verdicts into one row per claim', () => {
  const v = (claim: number, verdict: ClaimVerdict['verdict'], section: string, setting: 'paper' | 'substitute' = 'paper'): ClaimVerdict => ({
    claim, text: 't', verdict, ours: `${section} numbers`, paper: 'paper', rule: `${section} rule`, section, setting, ...(setting === 'substitute' ? { substitute: 'a toy' } : {}),
  });
  const by = (merged: ClaimVerdict[], n: number) => merged.find((m) => m.claim === n)!;
  it('one row per claim; the paper’s setting decides, a substitute only lowers a reproduced row when it says not', () => {
    const merged = mergeVerdicts([
      v(2, 'reproduced', 'E1'), v(2, 'partly', 'E5', 'substitute'),
      v(4, 'reproduced', 'E2'), v(4, 'not', 'P5', 'substitute'),
      v(5, 'partly', 'P3', 'substitute'),
      v(7, 'reproduced', 'E5'), v(7, 'not', 'E2'),
    ]);
    expect(merged.map((m) => m.claim)).toEqual(CLAIM_NUMBERS);
    expect(by(merged, 2)).toMatchObject({ verdict: 'reproduced', section: 'E1' });
    expect(by(merged, 2).evidence).toBe('E1: paper’s setting → reproduced; E5: substitute (a toy) → partly');
    expect(by(merged, 4).verdict).toBe('partly');
    expect(by(merged, 5)).toMatchObject({ verdict: 'partly', section: 'P3' });
    expect(by(merged, 7).verdict).toBe('partly');
    expect(by(merged, 1)).toMatchObject({ verdict: 'not run', evidence: 'none' });
    expect(merged.filter((m) => m.verdict === 'not run').map((m) => m.claim)).toEqual([1, 3, 6, 8, 9, 10]);
  });
});
