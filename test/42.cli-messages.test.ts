/** Layer 4: usage and error lines a reader meets first — train's missing flags, a label's index, reproduce --help. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from './helpers/cli';
import { main } from '../src/cli/main';
import { writeNpy } from '../src/io/npy';
import { REGISTRY } from '../src/reproduce/registry';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-messages-'));

test('train without --config names the missing flag and the two ways to start a run', async () => {
  const r = await runCli('train', '--layers', '2,3,2', '--data', 'two_blobs', '--steps', '3', '--out', path.join(tmp, 't'));
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toBe('hessian-lab: train needs --lr: give --config FILE, or all of --layers (or --model FILE), --data, --steps and --lr');
});

test('a label out of range in labels .npy is named by its index in the array', async () => {
  const model = path.join(tmp, 'model.json');
  fs.writeFileSync(model, JSON.stringify({ layers: [2, 3], activation: 'relu', loss: 'cross_entropy' }));
  writeNpy(path.join(tmp, 'p.npy'), new Float64Array(9), [9]);
  writeNpy(path.join(tmp, 'X.npy'), new Float64Array(6), [3, 2]);
  writeNpy(path.join(tmp, 'y.npy'), Int32Array.from([0, 7, 1]), [3]);
  const r = await runCli('analyze', '--model', model, '--params', path.join(tmp, 'p.npy'), '--inputs', path.join(tmp, 'X.npy'), '--labels', path.join(tmp, 'y.npy'), '--out', path.join(tmp, 'a'));
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/y\.npy: labels\[1\] \(the label of sample 1\) must be a class index in \[0, 2\]; received 7/);
});

test('reproduce --help lists what each experiment id is', async () => {
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { out += chunk.toString(); return true; });
  try {
    expect(await main(['node', 'hessian-lab', 'reproduce', '--help'])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  for (const e of REGISTRY) expect(out).toContain(e.title);
  expect(out).toMatch(/S18: Sagun et al\. 2018; S16: Sagun, Bottou, LeCun 2016/);
});
