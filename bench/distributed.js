/**
 * The distributed path (issue 14) on one machine: at M = 7,960 (MLP 784-10-10, N = 1000), the
 * Hessian's assembly and eigenvalues on 2 MPI ranks x 1 thread (ScaLAPACK pdsyev) against the
 * single-process path on 2 threads (dsyevd_2stage), measured in the same run, printed as ratios.
 * Expect the distributed path to be slower on one box: pdsyev's reduction is 1-stage (BLAS-2 half
 * the flops, memory-bound) where LAPACK's 2-stage is mostly BLAS-3, and every panel step pays MPI
 * messages. It wins across machines: M² memory and M³ flops split over P ranks.
 * Needs about 2 GB: run it as `flock /work/coord/bigmem.lock node bench/distributed.js` on a shared box.
 */
const { network, seconds } = require('./common');

async function run() {
  const lib = require('../dist');
  const available = lib.distributedAvailability();
  if (!available.available) return [`distributed: skipped (${available.reason})`];
  const { model, params, data, M } = network([784, 10, 10], 1000, 7);
  lib.setThreads(2);
  const [singleAsm, assembled] = await seconds(() => lib.computeCurvature(model, params, data, { matrices: ['hessian'] }));
  const H = assembled.matrices.hessian;
  const [singleEig, eig] = await seconds(() => H.eigen({}));
  H.dispose();
  const [wall, dist] = await seconds(() => lib.distributedSpectra(model, params, data, { ranks: 2, threadsPerRank: 1 }, { matrices: ['hessian'] }));
  const h = dist.matrices.hessian;
  let gap = 0;
  for (let i = 0; i < M; i++) gap = Math.max(gap, Math.abs(h.eigenvalues[i] - eig.values[i]));
  const lmax = Math.abs(eig.values[M - 1]);
  const peak = Math.max(...dist.perRank.map((r) => r.peak_rss_bytes));
  return [
    `distributed: M = ${M}, N = 1000, H eigenvalues; single process 2 threads (${eig.driver}) vs 2 ranks x 1 thread (${h.driver}, grid ${dist.plan.grid.join(' x ')}, nb ${dist.plan.block})`,
    `  assembly   single ${singleAsm.toFixed(2)} s, distributed ${h.assemblySeconds.toFixed(2)} s: ratio ${(h.assemblySeconds / singleAsm).toFixed(2)}`,
    `  eigensolve single ${singleEig.toFixed(2)} s, distributed ${h.eigensolveSeconds.toFixed(2)} s: ratio ${(h.eigensolveSeconds / singleEig).toFixed(2)}`,
    `  total      single ${(singleAsm + singleEig).toFixed(2)} s, distributed ${wall.toFixed(2)} s (mpirun to results): ratio ${(wall / (singleAsm + singleEig)).toFixed(2)}`,
    `  max |Δλ| / λmax = ${(gap / lmax).toExponential(2)}; peak RSS per rank ${(peak / 2 ** 20).toFixed(0)} MiB (plan: ${(dist.plan.bytes.peak / 2 ** 20).toFixed(0)} MiB)`,
  ];
}

module.exports = { run };
if (require.main === module) run().then((lines) => console.log(lines.join('\n')), (err) => { console.error(err); process.exit(1); });
