/** Layer 4: analyze's zero tolerance — stated in analysis.json, --zero-tol overrides it, raw counts beside. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from './helpers/cli';
import { MlpSpec } from '../src';
import { fixture } from './helpers/fixtures';

const model: MlpSpec = { layers: [5, 6, 3], activation: 'tanh', loss: 'cross_entropy' };
const f = fixture(model, 15, 4, 0.8);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-zero-tol-'));
const caseFile = path.join(tmp, 'case.json');
fs.writeFileSync(caseFile, JSON.stringify({ ...model, params: Array.from(f.params), X: Array.from(f.data.X), y: Array.from(f.data.y) }));

async function analysis(...extra: string[]) {
  const out = path.join(tmp, `out${extra.join('')}`);
  const r = await runCli('analyze', '--case', caseFile, '--matrices', 'hessian,ggn', '--out', out, ...extra);
  expect(r.code).toBe(0);
  return JSON.parse(fs.readFileSync(path.join(out, 'analysis.json'), 'utf8'));
}

describe('analyze: the zero tolerance', () => {
  it('states the default rule and counts each sign against it, with the raw count beside', async () => {
    const a = await analysis();
    for (const name of ['hessian', 'ggn']) {
      const m = a[name], v: number[] = m.eigenvalues, M = v.length;
      expect(m.zero_tolerance_rule).toBe(`M * epsilon * max|lambda| (M = ${M}, epsilon = 2.220e-16)`);
      expect(m.negative_count).toBe(v.filter((x) => x < -m.zero_tolerance).length);
      expect(m.zero_count).toBe(v.filter((x) => Math.abs(x) <= m.zero_tolerance).length);
      expect(m.negative_fraction).toBe(m.negative_count / M);
      expect(m.raw_negative_count).toBe(v.filter((x) => x < 0).length);
      expect(m.raw_negative_fraction).toBe(m.raw_negative_count / M);
    }
    expect(a.ggn.negative_count).toBe(0); // G is PSD: its negatives are rounding
  });

  it('--zero-tol sets it (0: every negative sign counts) and is validated', async () => {
    const a = await analysis('--zero-tol', '0');
    expect(a.hessian.zero_tolerance).toBe(0);
    expect(a.hessian.zero_tolerance_rule).toBe('given');
    expect(a.ggn.negative_count).toBe(a.ggn.raw_negative_count);
    const big = await analysis('--zero-tol', '1e3');
    expect(big.hessian.negative_count).toBe(0);
    expect(big.hessian.zero_count).toBe(big.hessian.eigenvalues.length);
    for (const bad of ['-1', 'abc', '']) {
      const r = await runCli('analyze', '--case', caseFile, '--out', path.join(tmp, 'bad'), '--zero-tol', bad);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--zero-tol must be a number >= 0/);
    }
  });
});
