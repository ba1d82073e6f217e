// Train an MLP on your own arrays, then its exact Hessian H, Gauss-Newton G and residual R,
// their spectra, and .npy files NumPy reads. Plain JavaScript, CommonJS.
//   node train-your-arrays.cjs [OUT_DIR]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const hl = require('hessian-lab');

async function main() {
  const out = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hessian-lab-example-'));
  fs.mkdirSync(out, { recursive: true });

  // Your data: any Float64Array of N x d inputs (row-major) and an Int32Array of N class indices.
  // Here: two interleaved half-moons, N = 200, d = 2.
  const N = 200, d = 2;
  const X = new Float64Array(N * d), y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const t = Math.PI * (i / N) * 2, label = i % 2;
    X[i * d] = label ? 1 - Math.cos(t / 2) : Math.cos(t / 2);
    X[i * d + 1] = label ? 0.5 - Math.sin(t / 2) : Math.sin(t / 2);
    y[i] = label;
  }

  const model = { layers: [2, 16, 16, 2], activation: 'tanh', loss: 'cross_entropy' };
  const run = await hl.trainOnArrays(model, { X, y }, { phases: [{ steps: 2000, lr: 0.5 }], seed: 1, recordEvery: 500 });
  const last = run.metrics[run.metrics.length - 1];
  console.log(`trained M = ${hl.parameterCount(model)} parameters: loss ${last.trainLoss.toFixed(4)}, accuracy ${last.trainAccuracy.toFixed(3)}`);

  const { matrices } = await hl.computeCurvature(model, run.params, { X, y }, { matrices: ['hessian', 'ggn', 'residual'] });
  const { hessian: H, ggn: G, residual: R } = matrices;
  try {
    // H = G + R, entry by entry (three independent recursions in the engine).
    const h = H.toArray(), g = G.toArray(), r = R.toArray();
    let worst = 0, scale = 0;
    for (let i = 0; i < h.length; i++) { worst = Math.max(worst, Math.abs(h[i] - g[i] - r[i])); scale = Math.max(scale, Math.abs(h[i])); }
    console.log(`max |H - G - R| = ${worst.toExponential(2)} (max |H| = ${scale.toExponential(2)})`);
    if (!(worst <= 1e-10 * scale)) throw new Error('H != G + R');

    for (const [name, m] of Object.entries({ H, G, R })) {
      const { values } = await m.eigen();
      const s = hl.summarizeSpectrum(values);
      console.log(`${name}: lambda_max ${s.max.toExponential(3)}, lambda_min ${s.min.toExponential(3)}, outliers above the largest gap ${s.outliers.largestGap.count}`);
      hl.writeNpy(path.join(out, `eigenvalues_${name}.npy`), values, [values.length]);
    }
    await H.saveNpy(path.join(out, 'H.npy')); // np.load('H.npy'): M x M
    const back = hl.readNpy(path.join(out, 'H.npy'));
    if (back.shape[0] !== H.rows || back.data[1] !== h[1]) throw new Error('H.npy does not read back');
    console.log(`wrote ${out}/H.npy and eigenvalues_{H,G,R}.npy`);
  } finally {
    for (const m of Object.values(matrices)) m.dispose(); // native memory, freed now
  }
}

main().catch((err) => { console.error(err.message); process.exitCode = 1; });
