/** Layer 1: the addon keeps per-environment state only, so it loads and works in worker threads too. */
import * as path from 'path';
import { Worker } from 'worker_threads';

const addonPath = process.env.HESSIAN_LAB_ADDON ?? path.join(__dirname, '..', 'build', 'Release', 'hessian_lab.node');

function inWorker(): Promise<{ M: number; asym: number; lambdaMax: number }> {
  const code = `
    const { parentPort, workerData } = require('worker_threads');
    const b = require(workerData.addonPath);
    const model = { layers: [3, 4, 2], activation: 'tanh', loss: 'cross_entropy', bias: true };
    const M = 3 * 4 + 4 + 4 * 2 + 2;
    const params = Float64Array.from({ length: M }, (_, i) => Math.sin(i + 1));
    const X = Float64Array.from({ length: 15 }, (_, i) => Math.cos(i));
    const y = Int32Array.from([0, 1, 0, 1, 1]);
    b.assemble(model, params, X, y, { kinds: ['hessian'] }).then(async (r) => {
      const H = r.matrices.hessian.block(0, M, 0, M);
      let asym = 0;
      for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) asym = Math.max(asym, Math.abs(H[i * M + j] - H[j * M + i]));
      const e = await r.matrices.hessian.eigen({});
      r.matrices.hessian.dispose();
      parentPort.postMessage({ M, asym, lambdaMax: e.values[M - 1] });
    });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { addonPath } });
    w.once('message', (m) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
  });
}

describe('worker threads', () => {
  it('two workers at once assemble and solve a Hessian, and exit cleanly', async () => {
    const [a, b] = await Promise.all([inWorker(), inWorker()]);
    expect(a.M).toBe(26);
    expect(a.asym).toBe(0);
    expect(a.lambdaMax).toBeGreaterThan(0);
    expect(b.lambdaMax).toBe(a.lambdaMax);
  });
});
