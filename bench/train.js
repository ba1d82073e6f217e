/**
 * Training throughput, beside a same-run dgemm reference (read the ratios: the machine is shared):
 *  - samples/s of the native SGD loop for a 100-30-30-10 ReLU net at batch 32 and 1000;
 *  - wall time of 5,000 GD trainings of the 162-parameter net of S16 P4 (2-D two blobs,
 *    layers [2, 10, 10, 2]) with trainMany, parallel over runs.
 * Uses the addon directly (no dist/ build needed). `node bench/train.js` or, from bench/run.js,
 * `await require('./train.js').run()` (returns the lines to print).
 * Env: HL_BENCH_RUNS (default 5000), HL_BENCH_STEPS (GD steps per run, default 1000).
 */
const path = require('path');

function addon() {
  return require(process.env.HESSIAN_LAB_ADDON || path.join(__dirname, '..', 'build', 'Release', 'hessian_lab.node'));
}

/** A small seeded generator (LCG + Box-Muller) so the bench needs nothing but the addon. */
function rng(seed) {
  let s = BigInt(seed) | 1n;
  const next = () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(s >> 11n) / 2 ** 53;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, normal };
}

function parameterCount(layers) {
  let M = 0;
  for (let l = 1; l < layers.length; l++) M += layers[l] * layers[l - 1] + layers[l];
  return M;
}

/** PyTorch nn.Linear default init: W and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
function pytorchInit(layers, r, out = new Float64Array(parameterCount(layers)), offset = 0) {
  let j = offset;
  for (let l = 1; l < layers.length; l++) {
    const bound = 1 / Math.sqrt(layers[l - 1]);
    for (let t = 0; t < layers[l] * layers[l - 1] + layers[l]; t++) out[j++] = bound * (2 * r.next() - 1);
  }
  return out;
}

function gaussianData(N, d, k, r) {
  const means = Array.from({ length: k }, () => Array.from({ length: d }, () => r.normal()));
  const X = new Float64Array(N * d), y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    y[i] = i % k;
    for (let j = 0; j < d; j++) X[i * d + j] = means[y[i]][j] + r.normal();
  }
  return { X, y };
}

function twoBlobs(N, std, r) {
  const X = new Float64Array(N * 2), y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    y[i] = i % 2;
    const c = y[i] === 0 ? 1 : -1;
    X[2 * i] = c + std * r.normal();
    X[2 * i + 1] = c + std * r.normal();
  }
  return { X, y };
}

async function throughput(b, batch, steps) {
  const layers = [100, 30, 30, 10];
  const model = { layers, activation: 'relu', loss: 'cross_entropy', bias: true };
  const r = rng(1);
  const { X, y } = gaussianData(5000, 100, 10, r);
  const params = pytorchInit(layers, r);
  const options = { phases: [{ steps, batchSize: batch, lr: 0.01, momentum: 0 }], seed: 1, recordEvery: 0, gradNormStop: 0 };
  await b.trainSegment(model, params, undefined, X, y, undefined, undefined, { ...options, phases: [{ ...options.phases[0], steps: 5 }], startStep: 0, endStep: 5 });
  const t0 = process.hrtime.bigint();
  await b.trainSegment(model, params, undefined, X, y, undefined, undefined, { ...options, startStep: 0, endStep: steps });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // Two records (start and end) are full passes over the 5,000 samples: count them as samples too.
  const samples = steps * batch + 2 * 5000;
  const flops = 6 * parameterCount(layers) * samples; // forward + backward ~ 3 GEMMs of 2 M flops per sample
  return { batch, steps, seconds, samplesPerSecond: samples / seconds, gflops: flops / seconds / 1e9 };
}

async function many(b, runs, steps) {
  const layers = [2, 10, 10, 2];
  const model = { layers, activation: 'relu', loss: 'cross_entropy', bias: true };
  const r = rng(2);
  const { X, y } = twoBlobs(200, 0.2, r);
  const M = parameterCount(layers);
  const inits = new Float64Array(runs * M);
  for (let i = 0; i < runs; i++) pytorchInit(layers, r, inits, i * M);
  const res = await b.trainMany(model, inits, X, y, undefined, undefined, {
    phases: [{ steps, batchSize: 0, lr: 0.1, momentum: 0 }], seed: 1, recordEvery: 100, gradNormStop: 1e-4, threads: b.threads(),
  });
  const stopped = Array.from(res.status).filter((s) => s === 1).length;
  const totalSteps = Array.from(res.steps).reduce((a, v) => a + v, 0);
  return { runs, steps, seconds: res.seconds, totalSteps, stopped, M };
}

async function run() {
  const b = addon();
  const gemm = b.benchmarkGemm(1000, 1000, 1000);
  const lines = [`train: threads ${b.threads()}; dgemm 1000^3 reference ${(2e9 / gemm / 1e9).toFixed(1)} GFLOP/s (${(gemm * 1e3).toFixed(1)} ms)`];
  for (const [batch, steps] of [[32, 4000], [1000, 300]]) {
    const t = await throughput(b, batch, steps);
    lines.push(`train: 100-30-30-10 ReLU, batch ${batch}: ${Math.round(t.samplesPerSecond).toLocaleString('en-US')} samples/s ` +
      `(${t.gflops.toFixed(2)} GFLOP/s = ${(t.gflops / (2e9 / gemm / 1e9)).toFixed(3)} x dgemm; ${t.steps} steps in ${t.seconds.toFixed(2)} s)`);
  }
  const runs = Number(process.env.HL_BENCH_RUNS || 5000), steps = Number(process.env.HL_BENCH_STEPS || 1000);
  const m = await many(b, runs, steps);
  lines.push(`train: ${m.runs.toLocaleString('en-US')} GD trainings of the ${m.M}-parameter net [2,10,10,2] (two blobs N=200, std 0.2, lr 0.1, <= ${m.steps} steps, ` +
    `stop at |grad| <= 1e-4 checked every 100): ${m.seconds.toFixed(1)} s (${(m.seconds / m.runs * 1e3).toFixed(2)} ms/run, ` +
    `${Math.round(m.totalSteps / m.seconds).toLocaleString('en-US')} steps/s; ${m.stopped} runs reached the gradient threshold)`);
  return lines;
}

module.exports = { run };

if (require.main === module) {
  run().then((lines) => lines.forEach((l) => console.log(l)), (err) => { console.error(err); process.exit(1); });
}
