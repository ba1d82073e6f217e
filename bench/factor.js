/**
 * The factor route (issue 13) at E3's widest paper size: all eigenvalues of H, G, R and C of
 * 784→70→10 (M = 55,660) on N = 1000 MNIST digits, where the dense route needs 24.8 GB per matrix
 * and an n = 55,660 eigensolve. Printed beside each: the dense route's predicted time, from the
 * same-run dgemm rate and a same-run dsyevd_2stage measurement (seconds per n³), so the lines are
 * ratios measured in one run. Then the crossover: at a size where both routes run (784→h→10, M
 * fixed), the measured factor/dense time ratio for H as N, and with it r/M, grows, beside the ratio
 * auto's cost model predicts (src/engine/route.ts) and the route it picks.
 * Env: HL_BENCH_FACTOR_H (default 70), HL_BENCH_FACTOR_N (1000), HL_BENCH_FACTOR_ONLY (comma list
 * of hessian,ggn,residual,gradient_covariance; default all), HL_BENCH_CROSSOVER (0 to skip; default
 * 1), HL_BENCH_CROSSOVER_H (default 8), HL_BENCH_CROSSOVER_N (sample counts, default 40,150,350,550). Parameters are PyTorch's default init (the cost of both
 * routes does not depend on training). Peak RSS: run under /usr/bin/time -v (one matrix per run).
 * `node bench/factor.js` or `await require('./factor.js').run()`.
 */
const { addon, lcg, seconds } = require('./common');

function dist() {
  return require('../dist');
}

/** Seconds per n³ of a values-only dsyevd_2stage on a random symmetric matrix of order n (same run). */
async function eigenSecondsPerN3(n) {
  const { Matrix } = dist();
  const r = lcg(3);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = r();
  const m = Matrix.fromArray(a, n, n);
  const [t] = await seconds(() => m.eigen());
  m.dispose();
  return t / n ** 3;
}

function e3(h, N, seed) {
  const { mnistSubset } = require('../dist/data');
  const { initialParameters } = dist();
  const ds = mnistSubset({ N, seed: 0 });
  const model = { layers: [784, h, 10], activation: 'relu', loss: 'cross_entropy' };
  return { model, params: initialParameters(model, 'pytorch', seed), data: { X: ds.X, y: ds.y } };
}

async function run() {
  const { curvatureSpectrum, computeCurvature, planRoute, normalizeModel, parameterCount } = dist();
  const b = addon();
  const h = Number(process.env.HL_BENCH_FACTOR_H || 70), N = Number(process.env.HL_BENCH_FACTOR_N || 1000);
  const only = (process.env.HL_BENCH_FACTOR_ONLY ?? 'hessian,ggn,residual,gradient_covariance').split(',').filter(Boolean);
  const g = 2000;
  const gemmRate = (2 * g ** 3) / b.benchmarkGemm(g, g, g);
  const eig = await eigenSecondsPerN3(3000);
  const predict = (flops, order) => flops / gemmRate + eig * order ** 3;
  console.log(`same run: dgemm ${(gemmRate / 1e9).toFixed(1)} GFlop/s; dsyevd_2stage ${(eig * 1e12).toFixed(1)} ps per n³ (n = 3000)`);
  const c = e3(h, N, 1);
  const M = parameterCount(c.model);
  for (const name of only) {
    const plan = planRoute(normalizeModel(c.model), N, name, 'factor');
    const densePredicted = predict(M * M * N, M);
    const [t, s] = await seconds(() => curvatureSpectrum(c.model, c.params, c.data, name, { route: 'factor' }));
    const zeros = s.values.filter((v) => v === 0).length;
    console.log(
      `E3 h = ${h} (M = ${M}, N = ${N}) ${name}: factor route ${t.toFixed(1)} s (build ${s.seconds.build.toFixed(1)} s, eigensolve of r = ${s.rank}: ${s.seconds.eigensolve.toFixed(1)} s; ` +
        `predicted ${predict(plan.factor.plan.flops, s.rank).toFixed(0)} s); dense route predicted ${densePredicted.toFixed(0)} s ` +
        `(${(densePredicted / t).toFixed(0)}x the factor route; ${(8 * M * M / 2 ** 30).toFixed(1)} GiB per matrix); ` +
        `λmax ${s.values[M - 1].toExponential(4)}, λmin ${s.values[0].toExponential(4)}, exact zeros ${zeros}`,
    );
  }
  if (process.env.HL_BENCH_CROSSOVER === '0') return;
  const hc = Number(process.env.HL_BENCH_CROSSOVER_H || 8);
  const Ns = (process.env.HL_BENCH_CROSSOVER_N || '40,150,350,550').split(',').map(Number);
  for (const n of Ns) {
    const x = e3(hc, n, 2);
    const Mx = parameterCount(x.model);
    const auto = planRoute(normalizeModel(x.model), n, 'hessian', 'auto');
    const [tf, f] = await seconds(() => curvatureSpectrum(x.model, x.params, x.data, 'hessian', { route: 'factor' }));
    const [td] = await seconds(async () => {
      const { matrices } = await computeCurvature(x.model, x.params, x.data, { matrices: ['hessian'] });
      await matrices.hessian.eigen();
      matrices.hessian.dispose();
    });
    console.log(
      `crossover 784→${hc}→10 (M = ${Mx}) N = ${n}: r/M = ${(f.rank / Mx).toFixed(3)}, factor/dense time = ${(tf / td).toFixed(3)} (${tf.toFixed(1)} s / ${td.toFixed(1)} s); ` +
        `auto's cost model: factor/dense = ${(auto.factor.cost / auto.dense.cost).toFixed(3)} (${(auto.factor.cost / gemmRate).toFixed(1)} s / ${(auto.dense.cost / gemmRate).toFixed(1)} s at this run's dgemm rate), picks ${auto.route}`,
    );
  }
}

module.exports = { run };
if (require.main === module) run().catch((e) => { console.error(e); process.exit(1); });
