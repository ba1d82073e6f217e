/**
 * Claim 10 (logistic regression: MP bulk, BBP outlier) at the tiny size, the MP helpers, and the
 * experiment's own spectrum deliberately broken (every eigenvalue × 0.1) turning its verdict to
 * "not reproduced".
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createExperimentContext } from '../src/reproduce/context';
import { experiment } from '../src/reproduce/experiments/L1';
import { readNpy } from '../src/io/npy';
import { bbpOutlier, kolmogorovDistance, marchenkoPastur } from '../src/reproduce/marchenkoPastur';
import { claim10, logisticEvidence } from '../src/reproduce/rules';
import { checkVerdicts } from './helpers/reproduce';

describe('Marčenko–Pastur helpers', () => {
  it('the density integrates to 1 on the stated edges, and the CDF is monotone from 0 to 1', () => {
    const mp = marchenkoPastur(0.25, 0.25);
    expect(mp.lower).toBeCloseTo(0.25 * 0.25, 12);
    expect(mp.upper).toBeCloseTo(0.25 * 2.25, 12);
    expect(mp.cdf(mp.lower)).toBe(0);
    expect(mp.cdf(mp.upper)).toBe(1);
    expect(mp.cdf(0.2)).toBeGreaterThan(mp.cdf(0.15));
    let integral = 0;
    const n = 20000, h = (mp.upper - mp.lower) / n;
    for (let i = 0; i < n; i++) integral += mp.density(mp.lower + (i + 0.5) * h) * h;
    expect(integral).toBeCloseTo(1, 3);
  });

  it('the Kolmogorov distance is small for MP quantiles and large for a shifted sample', () => {
    const mp = marchenkoPastur(0.5, 1);
    const quantiles: number[] = [];
    for (let q = 1; q < 200; q++) {
      let lo = mp.lower, hi = mp.upper;
      for (let it = 0; it < 60; it++) { const mid = (lo + hi) / 2; if (mp.cdf(mid) < q / 200) lo = mid; else hi = mid; }
      quantiles.push(lo);
    }
    expect(kolmogorovDistance(quantiles, mp.cdf)).toBeLessThan(0.01);
    expect(kolmogorovDistance(quantiles.map((x) => x + 0.5), mp.cdf)).toBeGreaterThan(0.2);
  });

  it('BBP: a spike above 1 + √a gives an outlier at ℓ(1 + a/(ℓ − 1)), below it none', () => {
    expect(bbpOutlier(4, 0.25, 1)).toBeCloseTo(4 * (1 + 0.25 / 3), 12);
    expect(bbpOutlier(1.2, 0.25, 1)).toBeNull();
  });
});

test('L1 finds an MP bulk and the BBP outlier; its spectrum × 0.1 grades not reproduced', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-l1-'));
  const r = await experiment.run(createExperimentContext({ preset: 'tiny' as never, dir }));
  const res = r.results as { hMinusG: number; residualMax: number; kolmogorov: number; outlier: number; bbp: number };
  expect(res.residualMax).toBe(0);
  expect(res.hMinusG).toBeLessThan(1e-15);
  expect(res.kolmogorov).toBeLessThan(0.25);
  expect(Math.abs(res.outlier - res.bbp) / res.bbp).toBeLessThan(0.3);
  expect(checkVerdicts(r)['L1.claim10'].claim).toBe(10);
  expect(r.figures[0].svg).toContain('eigenvalue of H');
  const values = readNpy(path.join(dir, 'eigenvalues_hessian.npy')).data as Float64Array;
  const { ratio, variance, spike } = r.results as { ratio: number; variance: number; spike: number };
  expect(claim10.grade(logisticEvidence(values, ratio, variance, spike))).toBe(r.verdicts[0].verdict);
  expect(claim10.grade(logisticEvidence(values.map((x) => 0.1 * x), ratio, variance, spike))).toBe('not');
});
