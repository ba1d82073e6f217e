/**
 * Approximate methods (issue 5): throughput of the matrix-free block Hessian-vector product for
 * 100-30-30-10 on N = 1000 (vectors/s at block sizes 1, 8, 32, beside the dense H·V product of the
 * same block), and the time of Lanczos top-20 (matrix-free, tol 1e-8) vs the exact route
 * (assembly + full eigensolve) at M = 7,960 (784-10-10, N = 1000).
 * Uses the compiled dist/ (./setup.sh or npm run build).
 * `node bench/approx.js` or `await require('./approx.js').run()`. Read ratios: the machine is shared.
 */


const { lcg, seconds, network } = require('./common');

async function run() {
  const { curvatureOperator, denseOperator, lanczosEigen } = require('../dist/approx');
  const { computeCurvature } = require('../dist/engine/curvature');
  const lines = [];
  {
    const net = network([100, 30, 30, 10], 1000, 7);
    const op = curvatureOperator(net.model, net.params, net.data);
    const { matrices } = await computeCurvature(net.model, net.params, net.data, { matrices: ['hessian'] });
    const dense = denseOperator(matrices.hessian);
    lines.push(`block HVP, 100-30-30-10 (M = ${net.M}), N = 1000:`);
    for (const k of [1, 8, 32]) {
      const V = new Float64Array(k * net.M).map(lcg(k));
      await op.apply(V, k); // warm-up
      const reps = Math.max(2, Math.round(64 / k));
      const [t] = await seconds(async () => { for (let i = 0; i < reps; i++) await op.apply(V, k); });
      const [td] = await seconds(async () => { for (let i = 0; i < reps; i++) await dense.apply(V, k); });
      lines.push(`  k = ${String(k).padStart(2)}: matrix-free ${((reps * k) / t).toFixed(0).padStart(6)} vectors/s   dense H·V ${((reps * k) / td).toFixed(0).padStart(6)} vectors/s`);
    }
    matrices.hessian.dispose();
  }
  {
    const net = network([784, 10, 10], 1000, 7);
    const op = curvatureOperator(net.model, net.params, net.data);
    const [tl, r] = await seconds(() => lanczosEigen(op, { k: 20, which: 'top', maxSteps: 300, tol: 1e-8, seed: 1, vectors: true }));
    const [ta, a] = await seconds(() => computeCurvature(net.model, net.params, net.data, { matrices: ['hessian'] }));
    const [te, e] = await seconds(() => a.matrices.hessian.eigen());
    const exactTop = Array.from(e.values).slice(-20).reverse();
    const err = Math.max(...Array.from(r.top.values, (v, i) => Math.abs(v - exactTop[i]) / Math.abs(exactTop[i])));
    lines.push(`Lanczos top-20 vs exact, 784-10-10 (M = ${net.M}), N = 1000:`);
    lines.push(`  Lanczos (matrix-free, tol 1e-8): ${tl.toFixed(2)} s, ${r.matvecs} products, ${r.steps} steps, converged ${r.converged}, max rel. error ${err.toExponential(1)}`);
    lines.push(`  exact: assembly ${ta.toFixed(2)} s + eigensolve (all ${net.M}, ${e.driver}) ${te.toFixed(2)} s = ${(ta + te).toFixed(2)} s; Lanczos is ${((ta + te) / tl).toFixed(1)}x faster (${(te / tl).toFixed(1)}x vs eigensolve alone)`);
    a.matrices.hessian.dispose();
  }
  return lines;
}

module.exports = { run };
if (require.main === module) run().then((lines) => lines.forEach((l) => console.log(l)), (err) => { console.error(err); process.exit(1); });
