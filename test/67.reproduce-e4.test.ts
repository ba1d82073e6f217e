/**
 * Experiment E4 (small vs large batch on an MNIST convnet, claim 8): its per-pair numbers on S18's
 * own Fig. 4 points (the rule itself is tested in test/60), the paper preset's size and memory,
 * and the experiment end to end at the test-only 'tiny' size — results, .npy spectra, figures,
 * both runs trained, a rerun reusing every step, and an interrupted run resumed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { curvatureMemoryBytes } from '../src/engine/curvature';
import { parameterCount } from '../src/engine/model';
import { readNpy } from '../src/io/npy';
import { binding } from '../src/native/binding';
import { createExperimentContext } from '../src/reproduce/context';
import { batchEvidence, E4_SIZES, e4Model, experiment as E4, pairCheck, paperNumbers, RunRow, SharpnessPoint, sharpnessRatios } from '../src/reproduce/experiments/E4';
import { fig4 } from '../src/reproduce/reference';
import { runReproduce, StoredResult } from '../src/reproduce/run';
import { batchStatistics, claim8, outlierCountsAgree } from '../src/reproduce/rules';
import { AbortError } from '../src/util/errors';
import { checkResult, cleanup, TINY, tmp } from './helpers/reproduce';

afterAll(cleanup);

describe('claim 8 per seed pair', () => {
  it('S18’s own Fig. 4 points: ×4.0 at λ1, 9 and 9 outliers by largest ratio, ×4–5.6 over the outlier ranks', () => {
    const p = paperNumbers();
    expect(p.check.ratio).toBeCloseTo(21.2765 / 5.29934, 4);
    expect([p.check.outliers.sb.ratio, p.check.outliers.lb.ratio]).toEqual([9, 9]);
    expect(p.ratios.outlierRanks).toBe(9);
    expect(p.ratios.minOverOutliers).toBeGreaterThan(4);
    expect(p.ratios.maxOverOutliers).toBeLessThan(5.7);
    expect(claim8.grade(p.evidence)).toBe('reproduced');
  });
  it('the evidence of a pair is scale-free: both spectra × 1000 give the same ratio and counts', () => {
    const f4 = fig4();
    const asc = (v: number[], c = 1) => Float64Array.from(v.map((x) => c * x)).reverse();
    const a = batchEvidence([pairCheck(asc(f4.smallBatch), asc(f4.largeBatch))]).pairs[0];
    const b = batchEvidence([pairCheck(asc(f4.smallBatch, 1e3), asc(f4.largeBatch, 1e3))]).pairs[0];
    expect(b.lb / b.sb).toBeCloseTo(a.lb / a.sb, 12);
    expect([b.outliersSb, b.outliersLb]).toEqual([a.outliersSb, a.outliersLb]);
  });
  it('counts agree within 3 or a factor 1.5', () => {
    expect([outlierCountsAgree(9, 9), outlierCountsAgree(7, 9), outlierCountsAgree(1, 4), outlierCountsAgree(1, 5), outlierCountsAgree(20, 30), outlierCountsAgree(20, 31)])
      .toEqual([true, true, true, false, true, false]);
  });
});

describe('E4 sizes', () => {
  it('the paper preset is S18’s M = 31,770 and its Hessian fits the memory guard of a 22 GB machine', () => {
    const model = e4Model(E4_SIZES.paper);
    expect(parameterCount(model)).toBe(31770);
    const needed = curvatureMemoryBytes(model, 1000, ['hessian'], 'float64') + binding().eigenWorkspaceBytes(31770, 'float64', { vectors: false });
    expect(needed).toBeLessThan(0.9 * 22e9);
    expect(needed).toBeGreaterThan(8e9); // 31,770² doubles
    expect(E4_SIZES.paper).toMatchObject({ N: 1000, smallBatch: 10, largeBatch: 512 });
  });
});

describe('E4 small vs large batch (tiny)', () => {
  const dir = tmp();
  let r: Awaited<ReturnType<typeof E4.run>>;
  beforeAll(async () => {
    r = await E4.run(createExperimentContext({ preset: TINY, dir }));
  });

  it('returns every pair’s λ1 ratio and counts as claim 8’s evidence, with the median and its interval', () => {
    checkResult(r, dir, ['rank (1 = largest eigenvalue)', 'negative eigenvalue λ', 'iteration (SGD step)']);
    const s = E4_SIZES.tiny;
    expect(r.results.M).toBe(parameterCount(e4Model(s)));
    const runs = r.results.runs as RunRow[];
    const evidence = (r.results.evidence as Record<string, { pairs: { sb: number; lb: number; outliersSb: number; outliersLb: number }[] }>)['E4.claim8'];
    expect(evidence.pairs).toEqual(s.seeds.map((_, i) => ({ sb: runs[2 * i].lambda1, lb: runs[2 * i + 1].lambda1, outliersSb: runs[2 * i].outliersRatio, outliersLb: runs[2 * i + 1].outliersRatio })));
    const stats = r.results.lambda1Ratio as ReturnType<typeof batchStatistics>;
    expect(stats.ratios).toEqual(evidence.pairs.map((p) => p.lb / p.sb));
    expect(stats.interval.lo).toBe(Math.min(...stats.ratios));
    expect(stats.interval.hi).toBe(Math.max(...stats.ratios));
    expect(r.verdicts.map((v) => [v.claim, v.setting])).toEqual([[8, 'paper']]);
    for (const id of ['e4-top', 'e4-top-relative', 'e4-negative', 'e4-training', 'e4-sharpness', 'e4-hgr']) expect(fs.existsSync(path.join(dir, `${id}.svg`))).toBe(true);
  });

  it('both runs of every pair trained, with the same init', () => {
    const runs = r.results.runs as RunRow[];
    expect(runs.map((x) => `${x.run}${x.seed}`)).toEqual(E4_SIZES.tiny.seeds.flatMap((seed) => [`SB${seed}`, `LB${seed}`]));
    for (const run of runs) {
      expect(run.trainLoss).toBeLessThan(run.initialLoss);
      expect(run.steps).toBe(E4_SIZES.tiny.steps);
      expect(run.lambda1).toBeGreaterThan(0);
    }
    for (const seed of E4_SIZES.tiny.seeds) {
      const [sb, lb] = runs.filter((x) => x.seed === seed);
      expect(sb.initialLoss).toBe(lb.initialLoss); // one init per pair
    }
    expect(runs[0].G!.min).toBeGreaterThan(-1e-9 * runs[0].G!.max); // G is PSD
  });

  it('tracks λ1 over training at the first pair, ending on the exact λ1 of the end point', () => {
    const s = E4_SIZES.tiny;
    const t = r.results.sharpness as { seed: number; sb: SharpnessPoint[]; lb: SharpnessPoint[]; lbOverSb: { step: number; ratio: number }[] };
    const steps = Array.from({ length: s.steps / s.sharpness.every }, (_, i) => (i + 1) * s.sharpness.every);
    expect(t.seed).toBe(s.seeds[0]);
    const runs = r.results.runs as RunRow[];
    for (const [w, row] of [['sb', runs[0]], ['lb', runs[1]]] as const) {
      expect(t[w].map((p) => p.step)).toEqual(steps);
      for (const p of t[w]) {
        expect(p.top).toHaveLength(s.sharpness.k);
        for (let i = 1; i < p.top.length; i++) expect(p.top[i]).toBeLessThanOrEqual(p.top[i - 1]);
      }
      // Lanczos at the last step against the full dense eigensolve of the same weights.
      expect(Math.abs(t[w][t[w].length - 1].top[0] - row.lambda1)).toBeLessThan(2e-3 * row.lambda1);
      expect(Math.abs(t[w][t[w].length - 1].top[1] - row.top[1])).toBeLessThan(2e-2 * row.lambda1);
    }
    expect(t.lbOverSb.map((x) => x.step)).toEqual(steps);
    expect(t.lbOverSb[steps.length - 1].ratio).toBeCloseTo(runs[1].lambda1 / runs[0].lambda1, 2);
    expect(sharpnessRatios({ sb: [{ step: 1, top: [2] }, { step: 2, top: [4] }], lb: [{ step: 2, top: [10] }, { step: 3, top: [1] }] }))
      .toEqual([{ step: 2, ratio: 2.5 }]);
  });

  it('writes every spectrum as an ascending .npy of length M', () => {
    const files = r.results.spectraFiles as string[];
    expect(files).toContain('eigenvalues_sb_s1_H.npy');
    expect(files).toContain('eigenvalues_lb_s1_G.npy');
    for (const f of files) {
      const { data, shape } = readNpy(path.join(dir, f));
      expect(shape).toEqual([r.results.M]);
      const v = data as Float64Array;
      for (let i = 1; i < v.length; i++) expect(v[i]).toBeGreaterThanOrEqual(v[i - 1]);
    }
    const top = readNpy(path.join(dir, 'eigenvalues_lb_s1_H.npy')).data as Float64Array;
    expect((r.results.runs as RunRow[])[1].lambda1).toBe(top[top.length - 1]);
  });

  it('a rerun reuses every step and gives the same results', async () => {
    const again = createExperimentContext({ preset: TINY, dir });
    const r2 = await E4.run(again);
    const steps = E4_SIZES.tiny.seeds.flatMap((s) => [`train-sb-s${s}`, `train-lb-s${s}`, `spectra-sb-s${s}`, `spectra-lb-s${s}`]);
    expect([...again.reused].sort()).toEqual(steps.sort());
    expect(r2.results).toEqual(r.results);
  });
});

describe('E4 through the runner: interrupted, then --resume', () => {
  it('keeps the finished steps and redoes only the rest', async () => {
    const dir = tmp();
    const controller = new AbortController();
    const interrupted = runReproduce({
      preset: TINY, out: dir, only: ['E4'], signal: controller.signal,
      onProgress: (id, stage) => { if (id === 'E4' && stage.startsWith('LB seed 1')) controller.abort(); },
    });
    await expect(interrupted).rejects.toBeInstanceOf(AbortError);
    expect(fs.existsSync(path.join(dir, 'E4', 'results.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'E4', 'steps', 'train-sb-s1.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'E4', 'steps', 'train-lb-s1.json'))).toBe(false);

    const resumed = await runReproduce({ preset: TINY, out: dir, only: ['E4'], resume: true });
    expect(resumed.outcomes.map((o) => [o.id, o.status])).toEqual([['E4', 'done']]);
    const stored = JSON.parse(fs.readFileSync(path.join(dir, 'E4', 'results.json'), 'utf8')) as StoredResult;
    expect(stored.reusedSteps).toEqual(['train-sb-s1']);
    expect(resumed.verdicts.find((v) => v.claim === 8)!.verdict).not.toBe('not run');

    const again = await runReproduce({ preset: TINY, out: dir, only: ['E4'], resume: true });
    expect(again.outcomes[0].status).toBe('reused');
  });
});
