/**
 * Thread scaling (issue 12), measured in one run: for the MLP 64-64-10 ReLU (M = 4,810) and a
 * small convnet (conv4-conv8-32-10 on 14x14, M = 3,066), both on N = 1000, the speed-up of the
 * H + G + R assembly from 1 to 2 threads beside the speed-up of ONE dgemm (M x N)(N x M) from 1
 * to 2 OpenBLAS threads, and the ratio of the two (target >= 0.85). Every job gets its thread
 * count in its request (native/core/threads.h). Env HL_BENCH_SCALING_THREADS (default 2) sets the
 * larger count. `node bench/scaling.js` or `await require('./scaling.js').run()`.
 */
const os = require('os');
const { addon, network, seconds } = require('./common');
const { convnet, inputs } = require('./convnet');

async function assemblySeconds(b, model, params, X, y, threads) {
  const kinds = ['hessian', 'ggn', 'residual'];
  const res = await b.assemble(model, params, X, y, { kinds, threads });
  for (const k of kinds) res.matrices[k].dispose();
  return res.seconds;
}

async function run() {
  const b = addon();
  const T = Number(process.env.HL_BENCH_SCALING_THREADS || 2);
  const N = 1000;
  const lines = [`scaling: 1 -> ${T} threads; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores`];
  const mlp = network([64, 64, 10], N, 7);
  const cnn = convnet(4, 8, 32, 14, false);
  const cin = inputs(cnn.M, N, 14, 3);
  for (const [name, M, model, params, X, y] of [
    ['MLP 64-64-10', mlp.M, mlp.model, mlp.params, mlp.data.X, mlp.data.y],
    ['convnet conv4-conv8-32-10', cnn.M, cnn.model, cin.params, cin.X, cin.y],
  ]) {
    await assemblySeconds(b, model, params, X, y, 1);  // warm-up (first touch of the allocator's pages)
    // Interleaved, so that a change of the machine's load hits both counts alike.
    const g1 = b.benchmarkGemm(M, M, N, 1), a1 = await assemblySeconds(b, model, params, X, y, 1);
    const gT = b.benchmarkGemm(M, M, N, T), aT = await assemblySeconds(b, model, params, X, y, T);
    const gs = g1 / gT, as = a1 / aT;
    lines.push(`${name} (M = ${M}, N = ${N}): dgemm ${g1.toFixed(2)} -> ${gT.toFixed(2)} s (x${gs.toFixed(2)}) | ` +
      `H+G+R assembly ${a1.toFixed(2)} -> ${aT.toFixed(2)} s (x${as.toFixed(2)}) | assembly/dgemm speed-up ${(as / gs).toFixed(2)} (target >= 0.85) | ` +
      `assembly/dgemm time at ${T} threads ${(aT / gT).toFixed(2)}`);
  }
  return lines;
}

module.exports = { run };
if (require.main === module) run().then((l) => console.log(l.join('\n')));
