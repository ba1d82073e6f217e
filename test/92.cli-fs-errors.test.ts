/**
 * Issue 15, defect 6: file-system errors keep the CLI contract (one line on stderr, exit 2), and
 * an output location is checked before anything is created (`--out /proc/self/nope` used to loop
 * forever inside Node's recursive mkdir). Each run is a child process with a timeout.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCliChild } from './helpers/child';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-fs-'));
const caseFile = path.join(dir, 'case.json');
fs.writeFileSync(caseFile, JSON.stringify({ layers: [2, 3, 2], activation: 'tanh', loss: 'cross_entropy',
  params: Array.from({ length: 17 }, (_, i) => Math.sin(i)), X: [[0, 1], [1, 0], [0.5, 0.5]], y: [0, 1, 0] }));
const modelFile = path.join(dir, 'model.json');
fs.writeFileSync(modelFile, JSON.stringify({ layers: [2, 3, 2], activation: 'tanh', loss: 'cross_entropy' }));
const aFile = path.join(dir, 'a-file');
fs.writeFileSync(aFile, 'x');

function expectOneLineExit2(args: string[]): string {
  const r = runCliChild(args, { timeoutMs: 60000 });
  expect({ args, timedOut: r.timedOut, signal: r.signal, status: r.status }).toEqual({ args, timedOut: false, signal: null, status: 2 });
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^hessian-lab: /);
  return lines[0];
}

describe('CLI file-system errors: one line, exit 2', () => {
  it('a directory where a file is expected', () => {
    expect(expectOneLineExit2(['analyze', '--case', dir, '--out', path.join(dir, 'o1')])).toMatch(/is a directory/);
    expect(expectOneLineExit2(['analyze', '--model', modelFile, '--params', dir, '--inputs', dir, '--labels', dir, '--out', path.join(dir, 'o2')]))
      .toMatch(/is a directory/);
    expect(expectOneLineExit2(['train', '--config', dir, '--out', path.join(dir, 'o3')])).toMatch(/is a directory/);
  });

  it('an unusable --out: under a file, an existing file, /sys, /proc/self (which used to hang)', () => {
    expect(expectOneLineExit2(['analyze', '--case', caseFile, '--out', '/dev/null/sub'])).toMatch(/\/dev\/null/);
    expect(expectOneLineExit2(['analyze', '--case', caseFile, '--out', aFile])).toMatch(/exists and is not a directory/);
    expect(expectOneLineExit2(['analyze', '--case', caseFile, '--out', '/sys/x'])).toMatch(/--out \/sys\/x/);
    expect(expectOneLineExit2(['analyze', '--case', caseFile, '--out', '/proc/self/nope'])).toMatch(/--out \/proc\/self\/nope/);
    expect(expectOneLineExit2(['train', '--layers', '2,3,2', '--data', 'two_blobs:N=20', '--steps', '5', '--lr', '0.1', '--out', '/dev/null/sub']))
      .toMatch(/\/dev\/null/);
  });

  it('a good --out still works, nested and new', () => {
    const r = runCliChild(['analyze', '--case', caseFile, '--matrices', 'hessian', '--out', path.join(dir, 'new', 'deeper')]);
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'new', 'deeper', 'analysis.json'))).toBe(true);
  });
});
