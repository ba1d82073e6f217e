/** Layer 1: spectrum summaries and the outlier rules, on spectra whose answer is known. */
import { computeCurvature, summarizeSpectrum, outliersByLargestGap, outliersByLargestRatio } from '../src';
import { fixture, lcg } from './helpers/fixtures';

/** A bulk of n values in [-w, w] around 0 plus planted outliers, ascending. */
function planted(n: number, outliers: number[], w = 1e-4, seed = 1): Float64Array {
  const r = lcg(seed);
  const v = Array.from({ length: n }, () => r() * 2 * w);
  return Float64Array.from([...v, ...outliers].sort((a, b) => a - b));
}

describe('summarizeSpectrum', () => {
  it('counts, trace, extremes, negatives and fractions below thresholds', () => {
    const values = Float64Array.from([-0.5, -1e-5, 0, 2e-5, 5e-4, 3e-3, 1.5]);
    const s = summarizeSpectrum(values, { k: 3, thresholds: [1e-4, 1e-3] });
    expect(s.count).toBe(7);
    expect(s.trace).toBeCloseTo(-0.5 - 1e-5 + 2e-5 + 5e-4 + 3e-3 + 1.5, 15);
    expect(s.min).toBe(-0.5);
    expect(s.max).toBe(1.5);
    expect(s.top).toEqual([1.5, 3e-3, 5e-4]);
    expect(s.bottom).toEqual([-0.5, -1e-5, 0]);
    expect(s.negativeCount).toBe(2);
    expect(s.negativeFraction).toBeCloseTo(2 / 7, 15);
    expect(s.fractionAbsBelow['0.0001']).toBeCloseTo(3 / 7, 15);
    expect(s.fractionAbsBelow['0.001']).toBeCloseTo(4 / 7, 15);
    expect(s.negativeToPositiveRatio).toBeCloseTo(0.5 / 1.5, 15);
    expect(summarizeSpectrum(values, { negativeTolerance: 1e-4 }).negativeCount).toBe(1);
  });

  it.each([1, 2, 5, 9, 10, 49])('finds %i planted outliers by gap, ratio and threshold', (k) => {
    const outliers = Array.from({ length: k }, (_, i) => 0.01 + 0.002 * i);
    const v = planted(2000, outliers);
    const s = summarizeSpectrum(v, { outlierThreshold: 0.005 });
    expect(s.outliers.largestGap.count).toBe(k);
    expect(s.outliers.largestRatio.count).toBe(k);
    expect(s.outliers.threshold).toEqual({ threshold: 0.005, count: k });
  });

  it('the gap rule stops at the window; the ratio rule ignores non-positive values', () => {
    const v = Float64Array.from([-1, 0, 1, 2, 10]);
    expect(outliersByLargestGap(v, 1)).toEqual({ count: 1, gap: 8 });
    expect(outliersByLargestRatio(v, 4)).toEqual({ count: 1, ratio: 5 });
    expect(outliersByLargestRatio(Float64Array.from([-3, -2, -1]), 2)).toEqual({ count: 0, ratio: 1 });
  });

  it('rejects unsorted, empty and non-finite spectra', () => {
    expect(() => summarizeSpectrum(Float64Array.from([2, 1]))).toThrow(/sorted ascending/);
    expect(() => summarizeSpectrum(new Float64Array(0))).toThrow(RangeError);
    expect(() => summarizeSpectrum(Float64Array.from([0, NaN]))).toThrow(/finite/);
    expect(() => summarizeSpectrum('x' as never)).toThrow(TypeError);
  });
});

describe('summarizeSpectrum: the zero tolerance', () => {
  it('counts |lambda| <= M * epsilon * max|lambda| as zero by default, and the raw sign counts beside', () => {
    const values = Float64Array.from([-2, -1e-14, -1e-15, -1e-17, 0, 3e-17, 1e-15, 4]);
    const s = summarizeSpectrum(values);
    expect(s.zeroTolerance).toBe(8 * Number.EPSILON * 4); // 7.1e-15
    expect(s.zeroToleranceRule).toBe('M * epsilon * max|lambda| (M = 8, epsilon = 2.220e-16)');
    expect([s.negativeCount, s.zeroCount, s.positiveCount]).toEqual([2, 5, 1]);
    expect(s.negativeFraction).toBe(2 / 8);
    expect([s.rawNegativeCount, s.rawNegativeFraction]).toEqual([4, 4 / 8]);
  });

  it('takes a given tolerance (zeroTolerance, or its earlier name negativeTolerance) and another epsilon', () => {
    const values = Float64Array.from([-2, -1e-3, -1e-5, 1e-5, 4]);
    for (const s of [summarizeSpectrum(values, { zeroTolerance: 1e-4 }), summarizeSpectrum(values, { negativeTolerance: 1e-4 })]) {
      expect([s.zeroTolerance, s.zeroToleranceRule]).toEqual([1e-4, 'given']);
      expect([s.negativeCount, s.zeroCount, s.positiveCount, s.rawNegativeCount]).toEqual([2, 2, 1, 3]);
    }
    expect(summarizeSpectrum(values, { zeroTolerance: 0 }).negativeCount).toBe(3);
    expect(summarizeSpectrum(values, { epsilon: 2 ** -23 }).zeroTolerance).toBe(5 * 2 ** -23 * 4);
    expect(() => summarizeSpectrum(values, { zeroTolerance: -1 })).toThrow(RangeError);
    expect(() => summarizeSpectrum(values, { zeroTolerance: NaN })).toThrow(/options\.zeroTolerance/);
  });

  it("a Gauss-Newton matrix (PSD in exact arithmetic) has no negative eigenvalue beyond the tolerance, while the raw count sees rounding", async () => {
    const f = fixture({ layers: [6, 8, 8, 4], activation: 'tanh', loss: 'cross_entropy' }, 20, 5, 1);
    const { matrices } = await computeCurvature(f.model, f.params, f.data, { matrices: ['ggn', 'hessian'] });
    try {
      const g = summarizeSpectrum((await matrices.ggn!.eigen()).values);
      expect(g.negativeCount).toBe(0);
      expect(g.rawNegativeCount).toBeGreaterThan(0);
      const hValues = (await matrices.hessian!.eigen()).values;
      const h = summarizeSpectrum(hValues);
      expect(h.negativeCount).toBe(hValues.filter((v) => v < -h.zeroTolerance).length);
      expect(h.negativeCount).toBeGreaterThan(0); // the Hessian's real negative curvature stays
    } finally {
      matrices.ggn!.dispose();
      matrices.hessian!.dispose();
    }
  });
});
