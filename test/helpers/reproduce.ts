/** Shared checks for the reproduce-experiment tests (61–67). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ClaimVerdict } from '../../src/reproduce/claims';
import { RULES } from '../../src/reproduce/rules';
import type { ExperimentResult } from '../../src/reproduce/types';

export { TINY } from '../../src/reproduce/presets';

/**
 * Every verdict was graded by a registered rule on the evidence the experiment stored: regrading
 * results.evidence[ruleId] gives the same verdict, the text is the rule's describe(), the setting
 * and the claim are the rule's. Returns the verdicts by rule id.
 */
export function checkVerdicts(r: Pick<ExperimentResult, 'results' | 'verdicts'>): Record<string, ClaimVerdict> {
  const evidence = r.results.evidence as Record<string, unknown>;
  const out: Record<string, ClaimVerdict> = {};
  for (const v of r.verdicts) {
    const rule = RULES[v.ruleId!];
    expect(rule).toBeDefined();
    expect(evidence).toHaveProperty([v.ruleId!]);
    expect(rule.grade(JSON.parse(JSON.stringify(evidence[v.ruleId!])) as never)).toBe(v.verdict);
    expect({ claim: v.claim, rule: v.rule, setting: v.setting, section: v.section }).toEqual({ claim: rule.claim, rule: rule.describe(), setting: rule.setting, section: rule.section });
    expect(v.ours.length).toBeGreaterThan(0);
    if (rule.setting === 'substitute') expect(v.verdict).not.toBe('reproduced');
    out[v.ruleId!] = v;
  }
  return out;
}

const made: string[] = [];

/** A fresh experiment folder under the OS temp dir, removed by cleanup(). */
export function tmp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-repro-'));
  made.push(dir);
  return dir;
}

export function cleanup(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** The checks every experiment result must pass: JSON-able, figures with axis titles, verdicts that regrade from the stored evidence. */
export function checkResult(r: ExperimentResult, dir: string, axisTitles: string[]): void {
  expect(() => JSON.parse(JSON.stringify(r.results))).not.toThrow();
  expect(JSON.stringify(r.results)).not.toContain('"0":'); // no typed array leaked into the JSON as an object
  expect(r.settings.some((s) => s.key === 'preset reductions')).toBe(true);
  expect(r.figures.length).toBeGreaterThan(0);
  for (const f of r.figures) {
    expect(f.svg.startsWith('<svg')).toBe(true);
    expect(fs.existsSync(path.join(dir, `${f.id}.svg`))).toBe(true);
  }
  const all = r.figures.map((f) => f.svg).join('\n');
  for (const t of axisTitles) expect(all).toContain(t);
  checkVerdicts(r);
}

