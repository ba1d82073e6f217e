/**
 * Experiments E1 (init vs end), E2 (outliers vs classes) and E5 (trailing negatives) at the
 * test-only 'tiny' size: each trains, diagonalises H, G and R, writes its figures and spectra,
 * and returns JSON-able results whose verdicts regrade from the evidence they store. Numbers that
 * must hold whatever the size (G is PSD, the top-k overlap is in [0, 1]) are checked too.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createExperimentContext } from '../src/reproduce/context';
import { experiment as E1 } from '../src/reproduce/experiments/E1';
import { experiment as E2 } from '../src/reproduce/experiments/E2';
import { experiment as E5 } from '../src/reproduce/experiments/E5';
import type { Experiment } from '../src/reproduce/types';
import { checkResult, cleanup, TINY, tmp } from './helpers/reproduce';

afterAll(cleanup);

async function run(e: Experiment) {
  const dir = tmp();
  const ctx = createExperimentContext({ preset: TINY, dir });
  return { dir, ctx, r: await e.run(ctx) };
}

const claims = (r: { verdicts: { claim: number | string }[] }) => r.verdicts.map((v) => Number(v.claim)).sort();

describe('E1 init vs end (tiny)', () => {
  it('spectra at init and end, seven figures, claims 1 and 2', async () => {
    const { dir, r } = await run(E1);
    checkResult(r, dir, ['rank / M (from the smallest eigenvalue)', 'negative eigenvalue λ', 'count (log scale)']);
    expect(r.figures.map((f) => f.id)).toEqual(['e1-spectrum', 'e1-top', 'e1-negative', 'e1-hist', 'e1-hgr', 'e1-loss', 'e1-accuracy']);
    expect(claims(r)).toEqual([1, 2]);
    for (const f of ['eigenvalues_init_H.npy', 'eigenvalues_end_H.npy', 'eigenvalues_end_G.npy', 'eigenvalues_end_R.npy']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    const res = r.results as { M: number; end: { G: { min: number; max: number }; overlapHG: { subspace: number } } };
    expect(res.M).toBe(10 * 6 + 6 + 6 * 6 + 6 + 6 * 5 + 5);
    expect(res.end.G.min).toBeGreaterThan(-1e-9 * res.end.G.max); // G is PSD
    expect(res.end.overlapHG.subspace).toBeGreaterThanOrEqual(0);
    expect(res.end.overlapHG.subspace).toBeLessThanOrEqual(1 + 1e-9);
  });
});

describe('E2 outliers vs classes (tiny)', () => {
  it('a GD/SGD × covariance grid with H, G, R per run, claims 3 and 4; a rerun reuses every step', async () => {
    const { dir, r } = await run(E2);
    checkResult(r, dir, ['k (number of classes)', 'number of outlier eigenvalues', 'mean eigenvalue trace(H)/M']);
    expect(r.figures.map((f) => f.id)).toEqual(['e2-outliers-relu', 'e2-top', 'e2-mean', 'e2-hgr']);
    expect(claims(r)).toEqual([3, 4]);
    const runs = (r.results as { runs: { k: number; minG: number; overlapHG: number; trainAccuracy: number }[] }).runs;
    expect(runs).toHaveLength(8);
    for (const x of runs) {
      expect(x.minG).toBeGreaterThan(-1e-9);
      expect(x.overlapHG).toBeGreaterThanOrEqual(0);
    }
    expect(r.tables[0].rows).toHaveLength(8);
    const again = createExperimentContext({ preset: TINY, dir });
    const r2 = await E2.run(again);
    expect(again.reused.length).toBe(8 * 4); // train + H + G + R per run
    expect(JSON.stringify(r2.results)).toBe(JSON.stringify(r.results));
  });
});

describe('E5 trailing negatives (tiny)', () => {
  it('checkpoints along long GD, the negative tails of H and R, claims 2 (substitute: end only) and 7', async () => {
    const { dir, r } = await run(E5);
    checkResult(r, dir, ['negative eigenvalue λ', 'GD step']);
    expect(claims(r)).toEqual([2, 7]);
    const res = r.results as { checkpoints: { step: number; lambdaMin: number }[]; evidence: Record<string, { negativesH: number[]; negativesR: number[] }> };
    expect(res.checkpoints.map((c) => c.step)).toEqual([100, 1000]);
    const tail = res.evidence['E5.claim7'];
    expect(tail.negativesR).toHaveLength(tail.negativesH.length);
    if (tail.negativesH.length) expect(tail.negativesH[0]).toBe(res.checkpoints[1].lambdaMin);
    for (let i = 0; i < tail.negativesH.length; i++) expect(tail.negativesH[i]).toBeGreaterThanOrEqual(tail.negativesR[i] - 1e-12); // Weyl: G ⪰ 0
  });
});
