/**
 * Experiments E3 (width sweep) and E6 (LB → SB switch and the straight line) at the test-only
 * 'tiny' size, plus the line/barrier and spectra helpers they rest on, checked on known cases.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createExperimentContext } from '../src/reproduce/context';
import { experiment as E3 } from '../src/reproduce/experiments/E3';
import { experiment as E6 } from '../src/reproduce/experiments/E6';
import { barrierCheck } from '../src/reproduce/experiments/line';
import { subspaceOverlap } from '../src/reproduce/experiments/spectra';
import { maxRelativeDeviation } from '../src/reproduce/experiments/shared';
import { checkResult, cleanup, TINY, tmp } from './helpers/reproduce';

afterAll(cleanup);

describe('line barrier check', () => {
  const line = (f: (a: number) => number) => Array.from({ length: 22 }, (_, i) => -1 + (3 * i) / 21).map((alpha) => ({
    alpha, trainLoss: f(alpha), trainAccuracy: 1, testLoss: null, testAccuracy: null,
  }));
  it('finds no barrier on a monotone valley and measures the rise beyond α = 0', () => {
    const c = barrierCheck(line((a) => (a < 0 ? 1 + 20 * a * a : 1 - 0.5 * Math.min(a, 1) + (a > 1 ? (a - 1) ** 2 : 0))));
    expect(c.barrier).toBeLessThanOrEqual(c.tolerance);
    expect(c.monotone).toBe(true);
    expect(c.riseRatio).toBeCloseTo(21, 5);
  });
  it('flags a bump between the end points', () => {
    const c = barrierCheck(line((a) => 1 + Math.sin(Math.PI * Math.min(Math.max(a, 0), 1))));
    expect(c.barrier).toBeGreaterThan(0.9);
    expect(c.barrier).toBeGreaterThan(c.tolerance);
  });
});

describe('spectra helpers', () => {
  it('subspace overlap is 1 for one subspace in two bases and 0 for orthogonal ones', () => {
    const s = Math.SQRT1_2;
    // M = 3, k = 2, row-major M × k: span{e1, e2} in two bases, and span{e3, ·}.
    expect(subspaceOverlap(Float64Array.from([1, 0, 0, 1, 0, 0]), Float64Array.from([s, s, s, -s, 0, 0]), 2).subspace).toBeCloseTo(1, 12);
    expect(subspaceOverlap(Float64Array.from([1, 0, 0, 0, 0, 0]), Float64Array.from([0, 0, 0, 0, 1, 0]), 2).subspace).toBe(0);
  });
  it('relative deviation from the mean', () => {
    expect(maxRelativeDeviation([1, 1, 1])).toBe(0);
    expect(maxRelativeDeviation([0.75, 1.25])).toBeCloseTo(0.25, 12);
  });
});

describe('E3 width sweep (tiny)', () => {
  it('trains every width, returns spectra summaries, figures and claims 5 and 6; a rerun reuses the steps', async () => {
    const dir = tmp();
    const ctx = createExperimentContext({ preset: TINY, dir });
    const r = await E3.run(ctx);
    checkResult(r, dir, ['rank (1 = largest eigenvalue)', 'negative eigenvalue λ']);
    const widths = r.results.widths as { h: number; M: number; trainLoss: number; lambda1: number; overlapHG: number }[];
    expect(widths.map((w) => w.h)).toEqual([4, 8]);
    for (const w of widths) {
      expect(w.trainLoss).toBeLessThan(2.3); // it trained (initial loss ≈ ln 10)
      expect(w.lambda1).toBeGreaterThan(0);
      expect(w.overlapHG).toBeGreaterThan(0.5); // H's outliers live in G's top eigenspace
    }
    expect(r.verdicts.map((v) => v.claim)).toEqual([5, 6]);
    expect(fs.existsSync(path.join(dir, 'eigenvalues_h4_H.npy'))).toBe(true);
    const again = createExperimentContext({ preset: TINY, dir });
    await E3.run(again);
    expect(again.reused).toContain('train-h4');
    expect(again.reused).toContain('spectra-h8-hessian');
  });
});

describe('E6 LB → SB (tiny)', () => {
  it('records both phases, evaluates 22 points on the line with spectra, and judges claim 9', async () => {
    const dir = tmp();
    const r = await E6.run(createExperimentContext({ preset: TINY, dir }));
    checkResult(r, dir, ['iteration (SGD step)', 'α in w(α) = w_I + α (w_II − w_I)']);
    const line = r.results.line as { alpha: number; trainLoss: number }[];
    expect(line).toHaveLength(22);
    expect(line[0].alpha).toBe(-1);
    expect(line[21].alpha).toBe(2);
    expect((r.results.lineSpectra as unknown[]).length).toBe(2);
    expect(r.verdicts.map((v) => [v.claim, v.setting])).toEqual([[9, 'substitute']]);
  });
});
