/**
 * Experiment E4 (small vs large batch on an MNIST convnet, claim 8): the verdict rule on synthetic
 * spectra whose answer is known and on S18's own Fig. 4 points, the paper preset's size and memory,
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
import { E4_SIZES, e4Model, experiment as E4, paperNumbers, RunRow, SharpnessPoint, sharpnessRatios } from '../src/reproduce/experiments/E4';
import { runReproduce, StoredResult } from '../src/reproduce/run';
import { BatchComparison, claim8Grade, claim8OverSeeds, outlierCountsAgree } from '../src/reproduce/verdicts';
import { AbortError } from '../src/util/errors';
import { checkResult, cleanup, TINY, tmp } from './helpers/reproduce';

afterAll(cleanup);

/** A bulk of M − k values in [−bulk/10, bulk] plus k outliers spread over [lo, hi], times `scale`, ascending. */
function planted(M: number, k: number, scale = 1, seed = 7, bulk = 1e-3, lo = 0.1, hi = 0.5): Float64Array {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const v = new Float64Array(M);
  for (let i = 0; i < M - k; i++) v[i] = scale * (-bulk / 10 + rand() * 1.1 * bulk);
  for (let j = 0; j < k; j++) v[M - k + j] = scale * (lo + ((hi - lo) * j) / Math.max(1, k - 1));
  return v.sort();
}

describe('claim 8 rule (small vs large batch)', () => {
  const sb = planted(2000, 9);
  it('LB 4× larger with the same 9 outliers → reproduced', () => {
    const c = claim8Grade(sb, planted(2000, 9, 4, 11));
    expect(c.ratio).toBeCloseTo(4, 12);
    expect(c.outliers.sb.ratio).toBe(9);
    expect(c.outliers.lb.ratio).toBe(9);
    expect(c).toMatchObject({ larger: true, sameCount: true, verdict: 'reproduced' });
  });
  it('only 1.2× larger → partly; 4× larger but 30 outliers instead of 9 → partly; neither → not', () => {
    expect(claim8Grade(sb, planted(2000, 9, 1.2, 11))).toMatchObject({ larger: false, sameCount: true, verdict: 'partly' });
    expect(claim8Grade(sb, planted(2000, 30, 4, 11))).toMatchObject({ larger: true, sameCount: false, verdict: 'partly' });
    expect(claim8Grade(sb, planted(2000, 30, 1.2, 11))).toMatchObject({ larger: false, sameCount: false, verdict: 'not' });
    expect(claim8Grade(planted(2000, 9, 4), sb).verdict).toBe('partly'); // LB smaller than SB: only the counts agree
  });
  it('is scale-free', () => {
    const lb = planted(2000, 9, 4, 11);
    const big = (v: Float64Array) => v.map((x) => 1e3 * x);
    const a = claim8Grade(sb, lb), b = claim8Grade(big(sb), big(lb));
    expect(b.ratio).toBeCloseTo(a.ratio, 12);
    expect([b.outliers, b.larger, b.sameCount, b.verdict]).toEqual([a.outliers, a.larger, a.sameCount, a.verdict]);
  });
  it('counts agree within 3 or a factor 1.5', () => {
    expect([outlierCountsAgree(9, 9), outlierCountsAgree(7, 9), outlierCountsAgree(1, 4), outlierCountsAgree(1, 5), outlierCountsAgree(20, 30), outlierCountsAgree(20, 31)])
      .toEqual([true, true, true, false, true, false]);
  });
  it('over seed pairs: each check must hold in ⌈2n/3⌉ of them', () => {
    const pass = { larger: true, sameCount: true } as BatchComparison;
    const fail = { larger: false, sameCount: false } as BatchComparison;
    const onlyLarger = { larger: true, sameCount: false } as BatchComparison;
    expect(claim8OverSeeds([pass, pass, fail])).toMatchObject({ verdict: 'reproduced', needed: 2, larger: 2, sameCount: 2 });
    expect(claim8OverSeeds([pass, onlyLarger, onlyLarger]).verdict).toBe('partly');
    expect(claim8OverSeeds([pass, fail, fail]).verdict).toBe('not');
    expect(claim8OverSeeds([pass, fail]).verdict).toBe('not'); // two pairs: both needed
    expect(claim8OverSeeds([pass]).verdict).toBe('reproduced');
  });
  it('S18’s own Fig. 4 points are judged reproduced: ×4.0 at λ1, 9 and 9 outliers by largest ratio', () => {
    const p = paperNumbers();
    expect(p.check.verdict).toBe('reproduced');
    expect(p.check.ratio).toBeCloseTo(21.2765 / 5.29934, 4);
    expect([p.check.outliers.sb.ratio, p.check.outliers.lb.ratio]).toEqual([9, 9]);
    expect(p.ratios.outlierRanks).toBe(9);
    expect(p.ratios.minOverOutliers).toBeGreaterThan(4);
    expect(p.ratios.maxOverOutliers).toBeLessThan(5.7);
    expect(p.mostNegative.sb).toBeCloseTo(-0.0343, 3);
    expect(p.mostNegative.lb).toBeCloseTo(-0.0070, 3);
  });
});

describe('E4 sizes', () => {
  it('the paper preset is S18’s M = 31,770 and its Hessian fits the memory guard of a 22 GB machine', () => {
    const model = e4Model(E4_SIZES.paper);
    expect(parameterCount(model)).toBe(31770);
    const needed = curvatureMemoryBytes(model, 1000, ['hessian'], 'float64') + binding().eigenWorkspaceBytes(31770, 'float64', { vectors: false });
    expect(needed).toBeLessThan(0.9 * 22e9);
    expect(needed).toBeGreaterThan(8e9); // 31,770² doubles
    expect(E4_SIZES.paper).toMatchObject({ N: 1000, smallBatch: 10, largeBatch: 512, withGR: false });
    for (const size of ['tiny', 'quick', 'paper'] as const) expect(E4_SIZES[size].lr).toBeGreaterThan(0);
  });
});

describe('E4 small vs large batch (tiny)', () => {
  const dir = tmp();
  let r: Awaited<ReturnType<typeof E4.run>>;
  beforeAll(async () => {
    r = await E4.run(createExperimentContext({ preset: TINY, dir }));
  });

  it('returns the per-pair comparison, S18’s numbers, figures and claim 8', () => {
    checkResult(r, dir, ['rank (1 = largest eigenvalue)', 'negative eigenvalue λ', 'iteration (SGD step)']);
    for (const key of ['M', 'N', 'lr', 'steps', 'batch', 'seeds', 'runs', 'pairs', 'claim8', 'lambda1Ratio', 'mostNegativeRatio', 'spectraFiles', 'paper']) {
      expect(r.results).toHaveProperty(key);
    }
    const s = E4_SIZES.tiny;
    expect(r.results.M).toBe(parameterCount(e4Model(s)));
    expect((r.results.pairs as unknown[]).length).toBe(s.seeds.length);
    expect((r.results.paper as { verdictOnOwnPoints: string }).verdictOnOwnPoints).toBe('reproduced');
    expect(r.verdicts.map((v) => v.claim)).toEqual([8]);
    expect(r.verdicts[0].rule).toContain('λ1(LB)/λ1(SB) ≥ 2');
    for (const id of ['e4-top', 'e4-top-relative', 'e4-negative', 'e4-training', 'e4-sharpness', 'e4-hgr']) expect(fs.existsSync(path.join(dir, `${id}.svg`))).toBe(true);
    expect(r.notes.join(' ')).toContain('Cost of the paper preset');
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
    const t = r.results.sharpness as { seed: number; sb: SharpnessPoint[]; lb: SharpnessPoint[]; lbOverSb: { step: number; ratio: number }[]; atLeastTwice: number };
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
    expect(t.atLeastTwice).toBe(t.lbOverSb.filter((x) => x.ratio >= 2).length);
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
