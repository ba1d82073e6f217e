// A small convnet (PyTorch's nn.Sequential layout) trained on your own images, its exact Hessian,
// a few eigenpairs with their residuals, and .npy output. TypeScript (compile with tsc; the
// package's types need no @types/node).
//   npx tsc && node convnet-hessian.js [OUT_DIR]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { computeCurvature, parameterCount, parameterName, summarizeSpectrum, trainOnArrays, writeNpy } from 'hessian-lab';
import type { ModelSpec } from 'hessian-lab';

async function main(): Promise<void> {
  const out = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hessian-lab-convnet-'));
  fs.mkdirSync(out, { recursive: true });

  // Your images: N samples of 1 x 8 x 8, each flattened row-major; class = which half is brighter.
  const N = 64, side = 8;
  const X = new Float64Array(N * side * side);
  const y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    y[i] = i % 2;
    for (let p = 0; p < side * side; p++) {
      const top = p < (side * side) / 2;
      X[i * side * side + p] = ((top === (y[i] === 0) ? 0.8 : 0.2) + 0.3 * Math.sin(7 * i + 3 * p));
    }
  }

  const model: ModelSpec = {
    input_shape: [1, side, side],
    layers: [
      { type: 'conv2d', out_channels: 3, kernel: 3 },
      { type: 'relu' },
      { type: 'maxpool2d', kernel: 2 },
      { type: 'flatten' },
      { type: 'linear', out: 2 },
    ],
    loss: 'cross_entropy',
  };
  const M = parameterCount(model);
  const run = await trainOnArrays(model, { X, y }, { phases: [{ steps: 200, lr: 0.2 }], seed: 7 });
  console.log(`convnet M = ${M}, loss after training ${run.metrics[run.metrics.length - 1].trainLoss.toFixed(4)}`);

  const { matrices } = await computeCurvature(model, run.params, { X, y }, { matrices: ['hessian'] });
  const H = matrices.hessian!;
  try {
    const all = await H.eigen();
    const summary = summarizeSpectrum(all.values);
    console.log(`H: trace ${summary.trace.toExponential(3)}, lambda_max ${summary.max.toExponential(3)}, negative fraction ${summary.negativeFraction.toFixed(3)}`);
    writeNpy(path.join(out, 'eigenvalues_H.npy'), all.values, [all.values.length]);

    const top = await H.eigen({ top: 3, vectors: true, residuals: true });
    try {
      const worst = Math.max(...top.residuals!);
      console.log(`top-3 eigenpairs: residuals ||Hv - lambda v|| <= ${worst.toExponential(2)}`);
      if (!(worst < 1e-8 * Math.max(1, summary.max))) throw new Error('eigen-residuals too large');
      const v = top.vectors!.column(2); // the top eigenvector, in PyTorch parameter order
      let j = 0;
      v.forEach((x, i) => { if (Math.abs(x) > Math.abs(v[j])) j = i; });
      console.log(`its largest entry is ${parameterName(model, j)}`);
      await top.vectors!.saveNpy(path.join(out, 'top3_vectors.npy')); // (M, 3), column j = eigenvector j
    } finally {
      top.vectors!.dispose();
    }
  } finally {
    H.dispose();
  }
  console.log(`wrote ${out}/eigenvalues_H.npy and top3_vectors.npy`);
}

main().catch((err: Error) => { console.error(err.message); process.exitCode = 1; });
