/** `hessian-lab compare` in-process through main(): outputs, their content, and user errors. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';
import { compareMethods } from '../src/approx';
import { fixture } from './helpers/fixtures';

const run = async (...args: string[]) => {
  let stderr = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  try {
    return { code: await main(['node', 'hessian-lab', ...args]), stderr };
  } finally {
    spy.mockRestore();
  }
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-compare-'));
const f = fixture({ layers: [4, 10, 8, 3], activation: 'tanh', loss: 'cross_entropy' }, 60, 4);
const caseFile = path.join(tmp, 'case.json');
fs.writeFileSync(caseFile, JSON.stringify({ ...f.model, params: Array.from(f.params), X: Array.from(f.data.X), y: Array.from(f.data.y) }));

test('compare writes compare.json, the SVG figures and the HTML page; errors are small where they must be', async () => {
  const out = path.join(tmp, 'out');
  const r = await run('compare', '--case', caseFile, '--out', out, '--k', '3');
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.code).toBe(0);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'compare.json'), 'utf8'));
  expect(json.format).toBe('hessian-lab/compare@1');
  expect(json.exact.eigenvalues).toHaveLength(f.M);
  expect(json.methods.map((m: { method: string }) => m.method)).toEqual(['power', 'lanczos', 'slq', 'kpm', 'hutchinson', 'hutchpp', 'diagonal']);
  const by = Object.fromEntries(json.methods.map((m: { method: string }) => [m.method, m]));
  for (const m of json.methods) {
    expect(m.matvecs).toBeGreaterThan(0);
    expect(m.seconds).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(m.error)).toBe(true);
  }
  // Lanczos with full reorthogonalisation at M = 181 converges; its vectors match the exact ones.
  expect(Math.max(...by.lanczos.errors.topRelative)).toBeLessThan(1e-8);
  expect(Math.max(...by.lanczos.errors.topAngles)).toBeLessThan(1e-4);
  expect(by.slq.errors.wasserstein1Relative).toBeLessThan(0.05);
  expect(json.sweep.filter((p: { method: string }) => p.method === 'slq').length).toBeGreaterThan(1);
  for (const file of ['density.svg', 'errors.svg']) expect(fs.readFileSync(path.join(out, file), 'utf8')).toMatch(/^<svg/);
  const html = fs.readFileSync(path.join(out, 'compare.html'), 'utf8');
  expect(html).toMatch(/stochastic Lanczos quadrature/);
  expect(html).toContain('id="density-');
});

test('compare on the GGN over a mini-batch with the dense operator; the TS API gives the same numbers as the CLI', async () => {
  const out = path.join(tmp, 'ggn');
  const r = await run('compare', '--case', caseFile, '--out', out, '--matrix', 'ggn', '--operator', 'dense', '--batch-size', '20', '--methods', 'lanczos,hutchinson', '--no-sweep', '--seed', '2');
  expect(r.code).toBe(0);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'compare.json'), 'utf8'));
  expect(json.batch).toBe(20);
  expect(json.exact.lambdaMin).toBeGreaterThan(-1e-10); // G is positive semi-definite
  // Mini-batch noise: the eigenvalues of a 20-sample GGN are not the full-data ones.
  expect(Math.max(...json.methods[0].errors.topRelative)).toBeGreaterThan(1e-6);
  const api = await compareMethods(f.model, f.params, f.data, { matrix: 'ggn', operator: 'matrix-free', batchSize: 20, methods: ['lanczos', 'hutchinson'], sweep: false, seed: 2 });
  // Matrix-free and dense agree on the same mini-batch.
  (api.methods[0].estimates.top as number[]).forEach((v, i) => expect(v).toBeCloseTo(json.methods[0].estimates.top[i], 8));
  expect(fs.readdirSync(out).filter((x) => x.endsWith('.svg')).sort()).toEqual(['density.svg', 'errors.svg']); // drawn by src/report from the returned data
});

test.each([
  ['unknown method', ['--methods', 'lanczos,eigenthings'], /unknown method "eigenthings"/],
  ['bad matrix', ['--matrix', 'residual'], /residual/],
  ['bad k', ['--k', '0'], /--k must be an integer >= 1/],
  ['batch too large', ['--batch-size', '1000'], /--batch-size must be at most the 60 samples/],
  ['two inputs', ['--checkpoint', tmp], /exactly one input/],
])('%s → one line on stderr, exit code 2', async (_name, extra, message) => {
  const r = await run('compare', '--case', caseFile, '--out', path.join(tmp, 'never'), ...(extra as string[]));
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message as RegExp);
});

test('the API validates its options and honours an aborted signal', async () => {
  await expect(compareMethods(f.model, f.params, f.data, { methods: ['pyhessian' as 'slq'] })).rejects.toThrow(/options.methods\[0\] must be one of/);
  await expect(compareMethods(f.model, f.params, f.data, { batchSize: 0 })).rejects.toThrow(RangeError);
  const controller = new AbortController();
  controller.abort();
  await expect(compareMethods(f.model, f.params, f.data, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
});
