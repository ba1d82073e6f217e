/**
 * The `reproduce` runner and CLI at the test-only 'tiny' size: results.json per experiment, merged
 * verdicts (one row per claim, 'not run' for the rest), a well-formed self-contained report with
 * every figure; an interrupted run resumed gives the same results as an uninterrupted one and
 * leaves no temp files; a failing experiment is recorded without losing the others; friendly
 * validation of --only and --preset (one line, exit 2).
 */
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../src/cli/main';
import { escapeHtml } from '../src/report/html';
import { TINY } from '../src/reproduce/presets';
import { REGISTRY } from '../src/reproduce/registry';
import { runReproduce, selectExperiments, StoredResult } from '../src/reproduce/run';
import type { Experiment } from '../src/reproduce/types';
import { AbortError, InputError } from '../src/util/errors';
import { checkVerdicts, cleanup, tmp } from './helpers/reproduce';

afterAll(cleanup);

const ONLY = ['E1', 'E2', 'E5'];
const VOID = new Set(['meta', 'br', 'hr', 'img', 'link', 'input', 'col', 'wbr']);

/** Every opened element is closed in order (HTML voids and XML self-closing tags aside). */
function balanced(html: string): boolean {
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*?)(\/?)>/g)) {
    const [, close, name, , self] = m;
    const tag = name.toLowerCase();
    if (self || VOID.has(tag)) continue;
    if (!close) stack.push(tag);
    else if (stack.pop() !== tag) return false;
  }
  return stack.length === 0;
}

/** results.json without what legitimately differs between runs (wall times, reused-step lists). */
function comparable(dir: string, id: string): unknown {
  const r = JSON.parse(fs.readFileSync(path.join(dir, id, 'results.json'), 'utf8')) as StoredResult;
  const { seconds, timings, reusedSteps, ...rest } = r;
  void seconds; void timings; void reusedSteps;
  return rest;
}

function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

describe('reproduce runner (tiny)', () => {
  const full = tmp();
  let summary: Awaited<ReturnType<typeof runReproduce>>;
  beforeAll(async () => {
    summary = await runReproduce({ preset: TINY, out: full, only: ONLY });
  });

  it('writes results.json per experiment and one merged verdict per claim', () => {
    expect(summary.outcomes.map((o) => [o.id, o.status])).toEqual(ONLY.map((id) => [id, 'done']));
    for (const id of ONLY) expect(fs.existsSync(path.join(full, id, 'results.json'))).toBe(true);
    expect(summary.verdicts.map((v) => v.claim)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const notRun = summary.verdicts.filter((v) => v.verdict === 'not run').map((v) => v.claim);
    expect(notRun).toEqual([5, 6, 8, 9, 10]); // E3, E4, E6, App. B were not run
    const stored = JSON.parse(fs.readFileSync(path.join(full, 'verdicts.json'), 'utf8'));
    expect(stored.verdicts).toHaveLength(10);
    // Each experiment's verdicts regrade from its stored evidence; each merged row names the evidence of every experiment it rests on.
    const per: { claim: number; section: string }[] = [];
    for (const id of ONLY) per.push(...Object.values(checkVerdicts(JSON.parse(fs.readFileSync(path.join(full, id, 'results.json'), 'utf8')) as StoredResult)) as never[]);
    expect(per.map((v) => `${v.section}:${v.claim}`).sort()).toEqual(['E1:1', 'E1:2', 'E2:3', 'E2:4', 'E5:2', 'E5:7']);
    for (const row of summary.verdicts.filter((v) => v.verdict !== 'not run')) {
      for (const v of per.filter((x) => x.claim === row.claim)) expect(row.evidence).toContain(`${v.section}: `);
    }
    expect(summary.verdicts.find((v) => v.claim === 2)!.evidence).toMatch(/^E1: paper’s setting → .*; E5: substitute \(the end half of the claim only/);
  });

  it('report.html is well-formed, self-contained, verdicts first, and holds every figure', () => {
    const html = fs.readFileSync(summary.report, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(balanced(html)).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html.indexOf('Summary of verdicts')).toBeLessThan(html.indexOf('<section'));
    for (const id of ONLY) {
      const r = JSON.parse(fs.readFileSync(path.join(full, id, 'results.json'), 'utf8')) as StoredResult;
      expect(r.figures.length).toBeGreaterThan(0);
      for (const f of r.figures) {
        expect(html).toContain(`<figure id="${f.id}">`);
        expect(fs.existsSync(path.join(full, id, f.file))).toBe(true);
      }
      expect(html).toContain(`<section id="${id}">`);
    }
    expect((html.match(/<tr class="v-/g) ?? []).length).toBe(10);
    expect(html).toContain('<th>Evidence</th>');
    for (const id of ONLY) {
      // Each section prints the rule that graded each of its verdicts (its describe()), besides the summary row.
      const section = html.slice(html.indexOf(`<section id="${id}">`));
      const r = JSON.parse(fs.readFileSync(path.join(full, id, 'results.json'), 'utf8')) as StoredResult;
      for (const v of r.verdicts) expect(section.slice(0, section.indexOf('</section>'))).toContain(escapeHtml(v.rule));
    }
  });

  it('an interrupted run, resumed, gives the same results as an uninterrupted one, and no temp files', async () => {
    const dir = tmp();
    const controller = new AbortController();
    // Interrupt in the middle of E2 (E1 finished, E2 part way).
    const interrupted = runReproduce({
      preset: TINY, out: dir, only: ONLY, signal: controller.signal,
      onProgress: (id, stage) => { if (id === 'E2' && stage.includes('(3/8)')) controller.abort(); },
    });
    await expect(interrupted).rejects.toBeInstanceOf(AbortError);
    expect(fs.existsSync(path.join(dir, 'E1', 'results.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'E2', 'results.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'report.html'))).toBe(false);
    expect(allFiles(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const resumed = await runReproduce({ preset: TINY, out: dir, only: ONLY, resume: true });
    expect(resumed.outcomes.map((o) => o.status)).toEqual(['reused', 'done', 'done']);
    for (const id of ONLY) expect(comparable(dir, id)).toEqual(comparable(full, id));
    expect(resumed.verdicts).toEqual(summary.verdicts);
    const e2 = JSON.parse(fs.readFileSync(path.join(dir, 'E2', 'results.json'), 'utf8')) as StoredResult;
    expect(e2.reusedSteps.length).toBeGreaterThan(0); // the finished E2 steps were not redone
  });

  it('refuses to resume a run of another preset', async () => {
    await expect(runReproduce({ preset: 'quick', out: full, only: ['E5'], resume: true })).rejects.toThrow(/preset "tiny"/);
  });

  it('records a failing experiment (e.g. a size the memory guard refuses) and goes on', async () => {
    const dir = tmp();
    const failing: Experiment = { id: 'E3', title: 'E3 — failing', description: 'always refuses', run: async () => { throw new RangeError('M = 99,999 needs 80 GB; 22 GB available'); } };
    const e5 = REGISTRY.find((e) => e.id === 'E5')!;
    const s = await runReproduce({ preset: TINY, out: dir, experiments: [failing, e5] });
    expect(s.outcomes.map((o) => [o.id, o.status])).toEqual([['E3', 'failed'], ['E5', 'done']]);
    expect(fs.existsSync(path.join(dir, 'E3', 'error.json'))).toBe(true);
    const html = fs.readFileSync(s.report, 'utf8');
    expect(html).toContain('80 GB');
    expect(s.verdicts.find((v) => v.claim === 7)!.verdict).not.toBe('not run');
  });
});

describe('selection and CLI validation', () => {
  it('--only: case-insensitive, report order, unknown ids refused, unregistered ones listed', () => {
    const s = selectExperiments(['e5', 'E1'], REGISTRY);
    expect(s.run.map((e) => e.id)).toEqual(['E1', 'E5']);
    expect(() => selectExperiments(['E9'], REGISTRY)).toThrow(InputError);
    expect(() => selectExperiments([''], REGISTRY)).toThrow(InputError);
    expect(selectExperiments(['E1', 'E3'], REGISTRY.filter((e) => e.id !== 'E3')).unavailable).toEqual(['E3']);
  });

  async function cli(args: string[]): Promise<{ code: number; err: string }> {
    let err = '';
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
    try {
      return { code: await main(['node', 'hessian-lab', 'reproduce', ...args]), err };
    } finally {
      spy.mockRestore();
    }
  }

  it('unknown experiment or preset: one line on stderr, exit 2', async () => {
    const dir = tmp();
    const a = await cli(['--only', 'E9', '--out', dir]);
    expect(a.code).toBe(2);
    expect(a.err.trim().split('\n')).toHaveLength(1);
    expect(a.err).toMatch(/unknown experiment E9/);
    const b = await cli(['--preset', 'huge', '--out', dir]);
    expect(b.code).toBe(2);
    expect(b.err.trim().split('\n')).toHaveLength(1);
    expect(b.err).toMatch(/--preset must be one of quick, paper/);
    expect(fs.readdirSync(dir)).toEqual([]); // validation before any work
  });

  it('end to end through the CLI at the tiny size (HESSIAN_LAB_REPRODUCE_TINY=1)', async () => {
    const dir = tmp();
    process.env.HESSIAN_LAB_REPRODUCE_TINY = '1';
    try {
      const r = await cli(['--only', 'E5', '--out', dir]);
      expect(r.code).toBe(0);
      expect(r.err).toMatch(/report in/);
      expect(fs.existsSync(path.join(dir, 'report.html'))).toBe(true);
    } finally {
      delete process.env.HESSIAN_LAB_REPRODUCE_TINY;
    }
  });
});
