/**
 * `node bench/abort.js [n ...]`: how long an aborted eigensolve takes to reject, with the helper
 * process (the default) and in-process (HESSIAN_LAB_EIGENSOLVER=inprocess, set per child), for
 * solves with all eigenvectors (dsyevd: its 2n² workspace is what the kernel frees on the kill).
 * Aborts at 25, 50 and 75% of the same run's uninterrupted solve; prints the worst latency and its
 * ratio to that solve. Each configuration runs in its own child process.
 */
const { spawnSync } = require('child_process');
const path = require('path');

const child = `
const { addon, lcg } = require(${JSON.stringify(path.join(__dirname, 'common.js'))});
const b = addon(), n = Number(process.argv[1]), r = lcg(7), a = new Float64Array(n * n);
for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = r();
(async () => {
  const m = b.Matrix.fromArray(a, n, n);
  let t = process.hrtime.bigint();
  const full = await m.eigen({ vectors: true });
  const solve = Number(process.hrtime.bigint() - t) / 1e9;
  full.vectors.dispose();
  let worst = 0;
  for (const at of [0.25, 0.5, 0.75]) {
    const token = new b.CancelToken();
    const job = m.eigen({ vectors: true }, token);
    await new Promise((ok) => setTimeout(ok, solve * at * 1000));
    t = process.hrtime.bigint();
    token.cancel();
    await job.then(() => {}, () => {});
    worst = Math.max(worst, Number(process.hrtime.bigint() - t) / 1e9);
  }
  console.log(JSON.stringify({ solve, worst }));
})();`;

const sizes = process.argv.slice(2).map(Number);
for (const n of sizes.length ? sizes : [1000, 2000, 3000]) {
  const row = [];
  for (const mode of ['helper', 'inprocess']) {
    const env = { ...process.env, ...(mode === 'inprocess' ? { HESSIAN_LAB_EIGENSOLVER: 'inprocess' } : {}) };
    const r = spawnSync(process.execPath, ['-e', child, String(n)], { encoding: 'utf8', env });
    const { solve, worst } = JSON.parse(r.stdout.trim());
    row.push(`${mode}: solve ${solve.toFixed(2)} s, worst abort ${(worst * 1000).toFixed(0)} ms (${((100 * worst) / solve).toFixed(1)}% of the solve)`);
  }
  console.log(`n = ${n} (dsyevd, all vectors)  ${row.join('  |  ')}`);
}
