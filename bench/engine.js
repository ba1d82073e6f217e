/**
 * The engine's benchmark (issue 2): for MLPs 100-30-30-10 (M = 4270) and 784-10-10 (M = 7960)
 * on N = 1000 samples, the assembly time of H, G and R together, the time of ONE dgemm of the same
 * shape (M x N)(N x M) measured in the same run, their ratio, and the eigensolve times.
 * Each assembly is run twice and the second is timed; the time to allocate (first-touch) the three
 * M x M outputs is reported apart (the dgemm reference writes into a warm buffer): the kernel's
 * first touch of fresh pages costs 0.2-2.6 s/GB depending on the machine, which is the machine's
 * cost, not the algorithm's. Wall times with allocation are printed too. Read ratios, not seconds: the machine may be shared.
 * `node bench/engine.js` or `await require('./engine.js').run()`.
 */
const { addon, network, seconds } = require('./common');

async function run() {
  const b = addon();
  const lines = [`engine: ${b.threads()} threads, 64-bit LAPACK (lapack_int = ${b.lapackIntegerBits} bits)`];
  const N = 1000;
  for (const layers of [[100, 30, 30, 10], [784, 10, 10]]) {
    const { model, params, data, M } = network(layers, N, 7);
    const { X, y } = data;
    const kinds = ['hessian', 'ggn', 'residual'];
    const [cold, first] = await seconds(() => b.assemble(model, params, X, y, { kinds }));
    for (const k of kinds) first.matrices[k].dispose();
    const [asmWall, res] = await seconds(() => b.assemble(model, params, X, y, { kinds }));
    const asm = res.seconds;
    const gemm = b.benchmarkGemm(M, M, N);
    const [eigValues, ev] = await seconds(() => res.matrices.hessian.eigen({}));
    const [eigD, evd] = await seconds(() => res.matrices.hessian.eigen({ driver: 'syevd' }));
    const [eigVec] = await seconds(() => res.matrices.hessian.eigen({ vectors: true }).then((e) => e.vectors.dispose()));
    for (const k of kinds) res.matrices[k].dispose();
    lines.push(
      `${layers.join('-')} (M = ${M}, N = ${N}): H+G+R assembly ${asm.toFixed(2)} s ` +
        `(+ ${res.allocationSeconds.toFixed(2)} s first touch of the 3 outputs; wall ${asmWall.toFixed(2)} s, first run ${cold.toFixed(2)} s) | ` +
        `dgemm (M x N)(N x M) ${gemm.toFixed(2)} s | ratio ${(asm / gemm).toFixed(2)} (target <= 2; with allocation ${(asmWall / gemm).toFixed(2)})`,
      `   eigenvalues: ${ev.driver} ${eigValues.toFixed(2)} s vs ${evd.driver} ${eigD.toFixed(2)} s (x${(eigD / eigValues).toFixed(2)}); ` +
        `with vectors (dsyevd) ${eigVec.toFixed(2)} s`,
    );
  }
  return lines;
}

module.exports = { run };
if (require.main === module) run().then((l) => console.log(l.join('\n')));
