/** Shared checks for the reproduce-experiment tests (63, 64). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ExperimentResult } from '../../src/reproduce/types';

export { TINY } from '../../src/reproduce/presets';
const VERDICTS = ['reproduced', 'partly', 'not', 'not run'];

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

/** The checks every experiment result must pass: JSON-able, figures with axis titles, well-formed verdicts. */
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
  for (const v of r.verdicts) {
    expect(VERDICTS).toContain(v.verdict);
    expect(v.ours.length).toBeGreaterThan(0);
    expect(v.rule.length).toBeGreaterThan(0);
  }
}

