/** Layer 4: the `analyze` CLI contract — analysis.json keys, .npy inputs and outputs, bad input → exit 2. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from './helpers/cli';
import { computeCurvature, MlpSpec, parameterCount } from '../src';
import { writeNpy, readNpy } from '../src/io/npy';
import { fixture, maxAbsDiff } from './helpers/fixtures';

const run = (args: string[]) => runCli(...args);

const model: MlpSpec = { layers: [4, 5, 3], activation: 'tanh', loss: 'cross_entropy' };
const f = fixture(model, 12, 21, 0.8);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-analyze-'));
const caseObj = {
  ...model,
  params: Array.from(f.params),
  X: Array.from({ length: 12 }, (_, i) => Array.from(f.data.X.subarray(i * 4, i * 4 + 4))),
  y: Array.from(f.data.y),
};
const caseFile = path.join(tmp, 'case.json');
fs.writeFileSync(caseFile, JSON.stringify(caseObj));

describe('hessian-lab analyze', () => {
  it('writes analysis.json with the contract keys, all M eigenvalues ascending, traces and timings', async () => {
    const out = path.join(tmp, 'out');
    const r = await run(['analyze', '--case', caseFile, '--out', out]);
    expect(r.code).toBe(0);
    const a = JSON.parse(fs.readFileSync(path.join(out, 'analysis.json'), 'utf8'));
    const M = parameterCount(model);
    expect(a.parameters).toBe(M);
    expect(typeof a.loss).toBe('number');
    expect(a.gradient_norm).toBeGreaterThan(0);
    const exact = await computeCurvature(model, f.params, f.data, { matrices: ['hessian', 'ggn', 'residual', 'gradient_covariance'] });
    for (const name of ['hessian', 'ggn', 'residual', 'gradient_covariance'] as const) {
      const m = a[name];
      expect(m.eigenvalues).toHaveLength(M);
      for (let i = 1; i < M; i++) expect(m.eigenvalues[i]).toBeGreaterThanOrEqual(m.eigenvalues[i - 1]);
      const e = await exact.matrices[name]!.eigen();
      expect(maxAbsDiff(m.eigenvalues, e.values)).toBeLessThan(1e-12);
      let trace = 0;
      for (let i = 0; i < M; i++) trace += exact.matrices[name]!.block(i, i + 1, i, i + 1)[0];
      expect(m.trace).toBeCloseTo(trace, 12);
      expect(m.zero_tolerance).toBe(M * Number.EPSILON * Math.max(-m.eigenvalues[0], m.eigenvalues[M - 1]));
      expect(m.negative_fraction).toBe(m.eigenvalues.filter((v: number) => v < -m.zero_tolerance).length / M);
      expect(m.raw_negative_count).toBe(m.eigenvalues.filter((v: number) => v < 0).length);
      expect(a.timings.assembly[name]).toBeGreaterThanOrEqual(0);
      expect(a.timings.eigensolve[name]).toBeGreaterThanOrEqual(0);
      exact.matrices[name]!.dispose();
    }
    expect(a.ggn.eigenvalues[0]).toBeGreaterThan(-1e-12);
  });

  it('reads .npy inputs, a subset of matrices in float32, and saves matrices NumPy can read', async () => {
    writeNpy(path.join(tmp, 'p.npy'), f.params, [f.params.length]);
    writeNpy(path.join(tmp, 'X.npy'), f.data.X, [12, 4]);
    writeNpy(path.join(tmp, 'y.npy'), BigInt64Array.from(Array.from(f.data.y, BigInt)), [12]);
    fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(model));
    const out = path.join(tmp, 'out-npy');
    const r = await run(['analyze', '--model', path.join(tmp, 'model.json'), '--params', path.join(tmp, 'p.npy'), '--inputs', path.join(tmp, 'X.npy'),
      '--labels', path.join(tmp, 'y.npy'), '--out', out, '--matrices', 'hessian,ggn', '--dtype', 'float32', '--save-matrices']);
    expect(r.stderr).not.toMatch(/hessian-lab: (?!wrote)/);
    expect(r.code).toBe(0);
    const a = JSON.parse(fs.readFileSync(path.join(out, 'analysis.json'), 'utf8'));
    expect(a.dtype).toBe('float32');
    expect(a.residual).toBeUndefined();
    const H = readNpy(path.join(out, 'matrices', 'hessian.npy'));
    expect(H.dtype).toBe('<f4');
    expect(H.shape).toEqual([a.parameters, a.parameters]);
    const ev = readNpy(path.join(out, 'matrices', 'eigenvalues_hessian.npy'));
    expect(maxAbsDiff(ev.data as Float64Array, a.hessian.eigenvalues)).toBe(0);
  });

  const bad: [string, (c: Record<string, unknown>) => unknown, RegExp][] = [
    ['missing key', (c) => { const d = { ...c }; delete d.params; return d; }, /missing key "params"/],
    ['wrong params length', (c) => ({ ...c, params: (c.params as number[]).slice(1) }), /"params" must have 43 entries/],
    ['NaN as a string', (c) => ({ ...c, X: [[...(c.X as number[][])[0].slice(0, 3), 'NaN'], ...(c.X as number[][]).slice(1)] }), /"X"\[0\]\[3\] must be a finite number/],
    ['null in params', (c) => ({ ...c, params: [null, ...(c.params as number[]).slice(1)] }), /"params"\[0\] must be a finite number/],
    ['label out of range', (c) => ({ ...c, y: [3, ...(c.y as number[]).slice(1)] }), /"y"\[0\] must be a class index in \[0, 2\]/],
    ['fractional label', (c) => ({ ...c, y: [0.5, ...(c.y as number[]).slice(1)] }), /"y"\[0\]/],
    ['short sample', (c) => ({ ...c, X: [[1, 2], ...(c.X as number[][]).slice(1)] }), /"X"\[0\] must have 4 features/],
    ['sample count mismatch', (c) => ({ ...c, X: (c.X as number[][]).slice(1) }), /"X" has 11 samples but "y" has 12 labels/],
    ['unknown activation', (c) => ({ ...c, activation: 'gelu' }), /activation/],
  ];
  it.each(bad)('bad case (%s) → one line on stderr, exit code 2', async (_name, mutate, message) => {
    const file = path.join(tmp, `bad-${_name.replace(/\W/g, '_')}.json`);
    fs.writeFileSync(file, JSON.stringify(mutate(caseObj)));
    const r = await run(['analyze', '--case', file, '--out', path.join(tmp, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\s+at /);
  });

  it.each([
    ['missing file', ['analyze', '--case', '/nonexistent/case.json', '--out', '/tmp/x'], /no such file/],
    ['not JSON', ['analyze', '--case', __filename, '--out', '/tmp/x'], /JSON|parse/i],
    ['two inputs', ['analyze', '--case', caseFile, '--params', 'p.npy', '--out', '/tmp/x'], /exactly one input/],
    ['unknown matrix', ['analyze', '--case', caseFile, '--matrices', 'hessian,fisher', '--out', '/tmp/x'], /unknown matrix "fisher"/],
    ['bad dtype', ['analyze', '--case', caseFile, '--dtype', 'float16', '--out', '/tmp/x'], /float16/],
    ['unknown flag', ['analyze', '--case', caseFile, '--out', '/tmp/x', '--bogus'], /unknown option/],
    ['missing --out', ['analyze', '--case', caseFile], /--out/],
  ])('bad invocation (%s) → exit code 2', async (_name, args, message) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
  });
});
