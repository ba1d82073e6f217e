/** What the benchmarks share: the addon, a seeded generator, a timer and the benchmark networks. */
const path = require('path');

function addon() {
  return require(process.env.HESSIAN_LAB_ADDON || path.join(__dirname, '..', 'build', 'Release', 'hessian_lab.node'));
}

/** Uniform numbers in [-0.5, 0.5) from a small LCG (benchmarks need repeatable, not random, data). */
function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
}

/** [seconds, result] of an async piece of work. */
async function seconds(work) {
  const t = process.hrtime.bigint();
  const r = await work();
  return [Number(process.hrtime.bigint() - t) / 1e9, r];
}

/** A ReLU cross-entropy MLP with seeded parameters (scale 0.3) and N seeded samples. */
function network(layers, N, seed) {
  const model = { layers, activation: 'relu', loss: 'cross_entropy', bias: true };
  let M = 0;
  for (let l = 1; l < layers.length; l++) M += layers[l] * layers[l - 1] + layers[l];
  const r = lcg(seed);
  const params = new Float64Array(M).map(() => r() * 0.3);
  const X = new Float64Array(N * layers[0]).map(() => r());
  const y = new Int32Array(N).map((_, i) => i % layers[layers.length - 1]);
  return { model, params, data: { X, y }, M };
}

module.exports = { addon, lcg, seconds, network };
