/**
 * Convnet assembly (issue 6): the exact Hessian of S18's E4 convnet on N = 1000 inputs of 28x28 —
 * conv(10, 5x5) relu maxpool2 conv(20, 5x5) relu maxpool2 flatten linear(h) relu linear(10),
 * h = 80 gives M = 31,770 (the paper's size) — beside ONE same-run dgemm of the same shape
 * (M x N)(N x M). If H (8 M² bytes) and the workspace do not fit in available memory, h shrinks
 * until they do, and the line says so. A small convnet's H + G + R is timed too (seconds, not
 * minutes: a quick check). Allocation (first touch of the outputs) is reported apart, as in
 * engine.js. E4 is timed by both routes (the conv slab route and the R-operator route alone).
 * Env: HL_BENCH_CONV_N (default 1000), HL_BENCH_CONV_H (default 80), HL_BENCH_CONV_ROP=0 (skip the R-operator route).
 * `node bench/convnet.js` or `await require('./convnet.js').run()`.
 */
const { addon, lcg, seconds } = require('./common');

function convnet(c1, c2, h, side, pool2) {
  const conv = (out, k) => ({ type: 'conv2d', outChannels: out, kernel: [k, k], stride: [1, 1], padding: [0, 0], bias: true });
  const pool = { type: 'maxpool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0] };
  const layers = [conv(c1, 5), { type: 'relu' }, pool, conv(c2, pool2 ? 5 : 3), { type: 'relu' }];
  if (pool2) layers.push(pool);
  layers.push({ type: 'flatten' }, { type: 'linear', out: h, bias: true }, { type: 'relu' }, { type: 'linear', out: 10, bias: true });
  // Shapes as PyTorch computes them (no padding, stride 1 convs, floor-mode pools).
  let s = side - 4;
  s = Math.floor(s / 2);
  s -= pool2 ? 4 : 2;
  if (pool2) s = Math.floor(s / 2);
  const M = c1 * 26 + c2 * (c1 * (pool2 ? 25 : 9) + 1) + (c2 * s * s + 1) * h + (h + 1) * 10;
  return { model: { inputShape: [1, side, side], loss: 'cross_entropy', layers }, M };
}

function inputs(M, N, side, seed) {
  const r = lcg(seed);
  const params = new Float64Array(M).map(() => r() * 0.2);
  const X = new Float64Array(N * side * side).map(() => r() + 0.5);
  const y = new Int32Array(N).map((_, i) => i % 10);
  return { params, X, y };
}

async function run() {
  const b = addon();
  const lines = [];
  const N = Number(process.env.HL_BENCH_CONV_N || 1000);

  // A small convnet (14x14 inputs): H + G + R.
  {
    const { model, M } = convnet(4, 8, 32, 14, false);
    const { params, X, y } = inputs(M, N, 14, 3);
    const kinds = ['hessian', 'ggn', 'residual'];
    const [wall, res] = await seconds(() => b.assemble(model, params, X, y, { kinds }));
    for (const k of kinds) res.matrices[k].dispose();
    const gemm = b.benchmarkGemm(M, M, N);
    lines.push(`small convnet 1x14x14 conv4-conv8-32-10 (M = ${M}, N = ${N}): H+G+R ${res.seconds.toFixed(2)} s ` +
      `(+ ${res.allocationSeconds.toFixed(2)} s first touch; wall ${wall.toFixed(2)} s) | dgemm ${gemm.toFixed(3)} s | ratio ${(res.seconds / gemm).toFixed(1)}`);
  }

  // The E4 convnet at the paper's size, or the largest fc width that fits.
  let h = Number(process.env.HL_BENCH_CONV_H || 80);
  let net = convnet(10, 20, h, 28, true);
  const available = b.availableMemory();
  const need = (n) => 8 * n.M * n.M + b.assemblyWorkspaceBytes(n.model, N, ['hessian']);
  while (h > 1 && available > 0 && need(net) > 0.9 * available) net = convnet(10, 20, --h, 28, true);
  const asked = Number(process.env.HL_BENCH_CONV_H || 80);
  const note = h === 80 ? 'the paper size' : h === asked ? `fc width ${h} (HL_BENCH_CONV_H)`
    : `fc width shrunk to ${h} to fit ${(available / 2 ** 30).toFixed(1)} GiB`;
  const { params, X, y } = inputs(net.M, N, 28, 7);
  // Both routes, each beside the same dgemm: the default (conv slab route: conv layers' own blocks
  // as Gram products of im2col Jacobians, the blocks below them by the tail's input Jacobian and a
  // cross Gram, MLP-tail unit slabs) and the R-operator route alone
  // (rOperatorOnly, the independent check). HL_BENCH_CONV_ROP=0 skips the R-operator's lines.
  const routes = [['conv slab route', false]];
  if (process.env.HL_BENCH_CONV_ROP !== '0') routes.push(['R-operator route', true]);
  const gemm = b.benchmarkGemm(net.M, net.M, N);
  lines.push(`E4 convnet 1x28x28 conv10-conv20-${h}-10 (M = ${net.M}, ${note}, N = ${N}): ` +
    `dgemm (M x N)(N x M) ${gemm.toFixed(2)} s`);
  const kinds = ['hessian', 'ggn', 'residual'];
  const hgrFits = available <= 0 || 12 * net.M * net.M + b.assemblyWorkspaceBytes(net.model, N, kinds) < 0.9 * available;
  for (const [route, rOperatorOnly] of routes) {
    const [wall, res] = await seconds(() => b.assemble(net.model, params, X, y, { kinds: ['hessian'], rOperatorOnly }));
    res.matrices.hessian.dispose();
    lines.push(`   ${route}: H ${res.seconds.toFixed(1)} s (+ ${res.allocationSeconds.toFixed(1)} s first touch of ` +
      `${(8 * net.M * net.M / 2 ** 30).toFixed(1)} GiB; wall ${wall.toFixed(1)} s) | ratio ${(res.seconds / gemm).toFixed(2)} (target <= 2.5)`);
    // H + G + R in float32 (three M x M float32 outputs: half the memory of float64; computed in
    // float64 and rounded once), when they fit.
    if (hgrFits) {
      const hgr = await b.assemble(net.model, params, X, y, { kinds, dtype: 'float32', rOperatorOnly });
      for (const k of kinds) hgr.matrices[k].dispose();
      lines.push(`   ${route}: H+G+R (float32 outputs) ${hgr.seconds.toFixed(1)} s | ratio ${(hgr.seconds / gemm).toFixed(2)} (target <= 3.5)`);
    }
  }
  return lines;
}

module.exports = { run, convnet, inputs };
if (require.main === module) run().then((l) => console.log(l.join('\n')));
