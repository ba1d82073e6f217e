/**
 * The project's own fuzz campaign (issue 15): seeded, bounded, a few minutes in CI. Random
 * malformed calls (valid calls with 0-2 arguments or fields replaced by hostile values: NaN,
 * 2^62, 5.9, null, strings, wrong typed arrays, detached buffers, throwing proxies, cancelled
 * tokens) at the raw binding, matrix handles, the public API and the CLI, each batch in its own
 * child process (test/fuzz/fuzz-batch.js). Every batch must end by itself (no signal death, no
 * hang) with every call returning or failing with a documented error kind or exit code.
 */
import { runScript, ADDON } from './helpers/child';
import * as path from 'path';

const BATCH = path.join(__dirname, 'fuzz', 'fuzz-batch.js');
const PLAN: [string, number[], number][] = [
  ['raw', [11, 12, 13, 14], 150],
  ['matrix', [21, 22, 23], 150],
  ['api', [31, 32, 33], 150],
  ['cli', [41, 42, 43], 100],
];

interface Report { target: string; seed: number; calls: number; passed: number; outcomes: Record<string, number>; bad: string[] }
const reports: Report[] = [];

afterAll(() => {
  const calls = reports.reduce((s, r) => s + r.calls, 0);
  const byTarget = PLAN.map(([t]) => `${t} ${reports.filter((r) => r.target === t).reduce((s, r) => s + r.calls, 0)}`).join(', ');
  console.log(`fuzz: ${calls} calls (${byTarget}) in ${reports.length} child batches; crashes 0, hangs 0, undocumented errors ${reports.reduce((s, r) => s + r.bad.length, 0)}`);
});

describe('seeded fuzz campaign', () => {
  for (const [target, seeds, calls] of PLAN) {
    for (const seed of seeds) {
      it(`${target} batch, seed ${seed}: ${calls} calls, no crash, no hang, documented errors only`, () => {
        const r = runScript(`process.argv.splice(1, 0, ${JSON.stringify(BATCH)}); require(${JSON.stringify(BATCH)});`, {
          args: [target, String(seed), String(calls), ADDON],
          timeoutMs: 240000,
        });
        expect({ signal: r.signal, timedOut: r.timedOut }).toEqual({ signal: null, timedOut: false });
        expect(r.status).toBe(0);
        const report: Report = JSON.parse(r.stdout.trim().split('\n').pop()!);
        reports.push(report);
        expect(report.calls).toBe(calls);
        expect(report.bad).toEqual([]);
        expect(report.passed).toBe(calls);
      });
    }
  }
});
