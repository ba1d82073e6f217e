/** The S16 experiments P2–P6 at the test-only 'tiny' size, and the blob helpers on known spectra. */
import { createExperimentContext } from '../src/reproduce/context';
import type { Experiment } from '../src/reproduce/types';
import { experiment as P2 } from '../src/reproduce/experiments/P2';
import { experiment as P3 } from '../src/reproduce/experiments/P3';
import { experiment as P4 } from '../src/reproduce/experiments/P4';
import { experiment as P5 } from '../src/reproduce/experiments/P5';
import { experiment as P6 } from '../src/reproduce/experiments/P6';
import { isolatedCount } from '../src/reproduce/experiments/shared-s16';
import { checkResult, cleanup, TINY, tmp } from './helpers/reproduce';

afterAll(cleanup);

async function run(e: Experiment) {
  const dir = tmp();
  return { dir, r: await e.run(createExperimentContext({ preset: TINY, dir })) };
}

describe('isolated eigenvalues', () => {
  it('counts the top eigenvalues standing ≥ 3× above the next, ignoring ratios among near-zero ones', () => {
    expect(isolatedCount(Float64Array.from([-1e-6, 1e-9, 1e-5, 2e-5, 0.001, 0.02]))).toBe(2);
    expect(isolatedCount(Float64Array.from([1e-12, 1e-9, 1, 1.1, 1.2]))).toBe(3); // three outliers over a bulk at zero
    expect(isolatedCount(Float64Array.from([1e-12, 1e-9, 1]))).toBe(1); // 1e-9 / 1e-12 is no outlier
    expect(isolatedCount(Float64Array.from([0.01, 0.011, 0.012, 1]))).toBe(1);
  });
});

describe('S16 experiments (tiny)', () => {
  it('P2: histograms at init and end for MNIST and random inputs', async () => {
    const { dir, r } = await run(P2);
    checkResult(r, dir, ['eigenvalue λ', 'count (log scale)']);
    const cases = r.results.cases as { inputs: string; initLoss: number; endLoss: number }[];
    expect(cases.map((c) => c.inputs)).toEqual(['MNIST', 'random']);
    for (const c of cases) expect(c.endLoss).toBeLessThan(c.initLoss);
  });

  it('P3: every width trains and the verdict speaks to claim 5', async () => {
    const { dir, r } = await run(P3);
    checkResult(r, dir, ['rank (1 = largest eigenvalue)', 'count (log scale)']);
    const widths = r.results.widths as { M: number; trainLoss: number; isolated: number }[];
    expect(widths.map((w) => w.M)).toEqual([18, 74]);
    for (const w of widths) expect(w.trainLoss).toBeLessThan(Math.LN2);
    expect(r.verdicts.map((v) => [v.claim, v.setting])).toEqual([[5, 'substitute']]);
  });

  it('P4: λ_max for every run, a histogram and quantiles', async () => {
    const { dir, r } = await run(P4);
    checkResult(r, dir, ['largest Hessian eigenvalue λ_max at the end of training']);
    const q = r.results.lambdaMax as { min: number; median: number; max: number };
    expect(q.min).toBeGreaterThan(0);
    expect(q.min).toBeLessThanOrEqual(q.median);
    expect(q.median).toBeLessThanOrEqual(q.max);
  });

  it('P5: λ1 per blob spread, graded as a substitute for claim 4', async () => {
    const { dir, r } = await run(P5);
    checkResult(r, dir, ['blob standard deviation']);
    const rows = r.results.rows as { std: number; lambda1: number }[];
    expect(rows.map((x) => x.std)).toEqual([0.2, 1.0]);
    expect(r.results.growth as number).toBeCloseTo(rows[1].lambda1 / rows[0].lambda1, 12);
    expect(r.verdicts.map((v) => [v.claim, v.setting])).toEqual([[4, 'substitute']]);
  });

  it('P6: GD and SGD from one point, a line at each time', async () => {
    const { dir, r } = await run(P6);
    checkResult(r, dir, ['α in w(α) = w_I + α (w_II − w_I)', 'train loss']);
    const times = r.results.times as { t: number; gd: { trainLoss: number }; line: unknown[] }[];
    expect(times.map((t) => t.t)).toEqual([50, 200]);
    for (const t of times) expect(t.line).toHaveLength(21);
    expect(times[1].gd.trainLoss).toBeLessThan(times[0].gd.trainLoss);
  });
});
