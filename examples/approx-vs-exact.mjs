// Approximate methods against the exact spectrum: matrix-free Lanczos (top eigenvalues) and
// stochastic Lanczos quadrature (the spectral density), as PyHessian computes them, beside the
// exact eigenvalues of the assembled Hessian. Plain JavaScript, ES module.
//   node approx-vs-exact.mjs
import { approx, computeCurvature, parameterCount, trainOnArrays } from 'hessian-lab';

// Your data: 4 Gaussian blobs in 10 dimensions, N = 400 (a seeded LCG keeps it reproducible).
let state = 12345;
const uniform = () => ((state = (state * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
const N = 400, d = 10, k = 4;
const X = new Float64Array(N * d), y = new Int32Array(N);
for (let i = 0; i < N; i++) {
  y[i] = i % k;
  for (let j = 0; j < d; j++) X[i * d + j] = (j % k === y[i] ? 2 : 0) + normal();
}

const model = { layers: [d, 20, 20, k], activation: 'relu', loss: 'cross_entropy' };
const { params } = await trainOnArrays(model, { X, y }, { phases: [{ steps: 300, lr: 0.1, batchSize: 40 }], seed: 3 });
const data = { X, y };

const { matrices } = await computeCurvature(model, params, data, { matrices: ['hessian'] });
const exact = (await matrices.hessian.eigen()).values; // ascending, all M
matrices.hessian.dispose();

const op = approx.curvatureOperator(model, params, data); // H v without forming H
const k5 = 5;
const lanczos = await approx.lanczosEigen(op, { k: k5, seed: 1 });
console.log(`M = ${parameterCount(model)}; Lanczos top-${k5} after ${lanczos.matvecs} products:`);
let worst = 0;
for (let i = 0; i < k5; i++) {
  const e = exact[exact.length - 1 - i], a = lanczos.top.values[i];
  worst = Math.max(worst, Math.abs(a - e) / Math.abs(e));
  console.log(`  lambda_${i + 1}: exact ${e.toExponential(6)}  Lanczos ${a.toExponential(6)}`);
}
if (!(worst < 1e-6)) throw new Error(`Lanczos top eigenvalues off by ${worst}`);

// SLQ: a few probes of 60 Lanczos steps estimate the density; compare its mass below 0 and its
// trace with the exact ones.
const density = await approx.slq(op, { steps: 60, probes: 8, seed: 2 });
let slqNegative = 0, slqMean = 0;
density.nodes.forEach((x, i) => { if (x < 0) slqNegative += density.weights[i]; slqMean += x * density.weights[i]; });
const exactNegative = exact.filter((v) => v < 0).length / exact.length;
const exactMean = exact.reduce((s, v) => s + v, 0) / exact.length;
console.log(`SLQ (8 probes x 60 steps): negative mass ${slqNegative.toFixed(3)} (exact ${exactNegative.toFixed(3)}), mean eigenvalue ${slqMean.toExponential(3)} (exact ${exactMean.toExponential(3)})`);
if (!(Math.abs(slqMean - exactMean) < 0.5 * Math.abs(exactMean) + 1e-9)) throw new Error('SLQ mean eigenvalue far from the exact trace / M');
