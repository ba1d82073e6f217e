/**
 * A deliberately broken number must reach the report as "not reproduced". E4 runs end to end at
 * the tiny size (real training, real spectra), with one change: the large-batch spectra are
 * replaced by the small-batch ones scaled to S18's own λ1(LB)/λ1(SB) (21.3 / 5.3), the paper's
 * result planted in the experiment. That run must grade claim 8 "reproduced" through the
 * experiment, the runner, verdicts.json and report.html; the same run with the planted λ1 × 0.1
 * (the large batch now flatter than the small one) must grade it "not reproduced" everywhere.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as spectra from '../src/reproduce/experiments/spectra';
import { runReproduce } from '../src/reproduce/run';
import { paperRatio } from '../src/reproduce/rules';
import type { ClaimVerdict } from '../src/reproduce/claims';
import { cleanup, TINY, tmp } from './helpers/reproduce';

afterAll(cleanup);

const realValueSpectra = spectra.valueSpectra;

/** E4 with its large-batch spectra = the small-batch ones × factor (same seed pair). */
async function runE4WithPlantedLb(factor: number, reuseStepsFrom?: string) {
  const out = tmp();
  if (reuseStepsFrom) fs.cpSync(path.join(reuseStepsFrom, 'E4', 'steps'), path.join(out, 'E4', 'steps'), { recursive: true });
  const sbOf = new Map<string, Awaited<ReturnType<typeof realValueSpectra>>>();
  const spy = jest.spyOn(spectra, 'valueSpectra').mockImplementation(async (ctx, key, model, params, data, names, stage) => {
    const real = await realValueSpectra(ctx, key, model, params, data, names, stage);
    // Each pair takes SB's spectra (its own step) before LB's.
    if (key.startsWith('spectra-sb-')) sbOf.set(key.slice('spectra-sb-'.length), real);
    if (!key.startsWith('spectra-lb-')) return real;
    const sb = sbOf.get(key.slice('spectra-lb-'.length))!;
    return Object.fromEntries(Object.entries(sb).map(([name, v]) => [name, v!.map((x) => factor * x)]));
  });
  try {
    const summary = await runReproduce({ preset: TINY, out, only: ['E4'], resume: reuseStepsFrom !== undefined });
    const stored = JSON.parse(fs.readFileSync(path.join(out, 'verdicts.json'), 'utf8')) as { verdicts: ClaimVerdict[]; perExperiment: ClaimVerdict[] };
    const results = JSON.parse(fs.readFileSync(path.join(out, 'E4', 'results.json'), 'utf8')) as { results: { lambda1Ratio: { median: number } } };
    const html = fs.readFileSync(summary.report, 'utf8');
    const row = html.match(/<tr class="v-[^"]*"><td>8<\/td>.*?<\/tr>/)?.[0] ?? '';
    return { out, summary, stored, results, row };
  } finally {
    spy.mockRestore();
  }
}

test('E4 with S18’s λ1 ratio planted grades claim 8 reproduced; with that λ1 × 0.1, not reproduced', async () => {
  const planted = paperRatio();
  const good = await runE4WithPlantedLb(planted);
  expect(good.summary.outcomes.map((o) => [o.id, o.status])).toEqual([['E4', 'done']]);
  expect(good.results.results.lambda1Ratio.median).toBeCloseTo(planted, 10);
  expect(good.stored.perExperiment.find((v) => v.ruleId === 'E4.claim8')!.verdict).toBe('reproduced');
  expect(good.stored.verdicts.find((v) => v.claim === 8)!.verdict).toBe('reproduced');
  expect(good.row).toContain('<td>reproduced</td>');

  // The same run (training and SB spectra reused from the steps above), LB's λ1 now a tenth.
  const broken = await runE4WithPlantedLb(0.1 * planted, good.out);
  expect(broken.results.results.lambda1Ratio.median).toBeCloseTo(0.1 * planted, 10);
  expect(broken.stored.perExperiment.find((v) => v.ruleId === 'E4.claim8')!.verdict).toBe('not');
  expect(broken.stored.verdicts.find((v) => v.claim === 8)!.verdict).toBe('not');
  expect(broken.row).toContain('<td>not reproduced</td>');
}, 600_000); // two tiny E4 runs: seconds on an idle 2-core machine, minutes when it is shared
