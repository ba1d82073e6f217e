/**
 * hessian-lab against PyTorch 1.13 float64 (issue 12), measured in one run on the same cores: the
 * MLP 64-64-10 ReLU, cross-entropy, N = 1000 (M = 4,810), the `analyze` job — H, G, R and C with
 * all four spectra — by analyzeNetwork (default routes) against bench/pytorch_compare.py (H by
 * PyTorch's fastest route, G, R = H - G, C, then NumPy eigvalsh on each). Prints both sides'
 * stages and the ratios (targets: assembly >= 20x, whole job >= 3x). Skips, saying why, when
 * Debian's python3-torch is absent (/usr/bin/python3, not a pyenv python; env HL_TORCH_PYTHON).
 * Needs `npm run build` (dist/). `node bench/pytorch.js` or `await require('./pytorch.js').run()`.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { network } = require('./common');

const PYTHON = process.env.HL_TORCH_PYTHON || '/usr/bin/python3';

async function run() {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy, functorch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) return [`pytorch: skipped (${PYTHON} cannot import torch, numpy and functorch: install Debian's python3-torch)`];
  const lib = require(path.join(__dirname, '..', 'dist'));
  const { analyzeNetwork } = require(path.join(__dirname, '..', 'dist', 'engine', 'analysis'));
  const N = 1000, layers = [64, 64, 10];
  const { model, params, data, M } = network(layers, N, 7);
  const threads = os.cpus().length;
  const lines = [`pytorch: MLP ${layers.join('-')} ReLU CE, N = ${N}, M = ${M}; torch ${probe.stdout.trim()}; ${threads} threads each; ` +
    `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`];

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-torch-'));
  try {
    fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify({ layers, N, M, threads }));
    fs.writeFileSync(path.join(dir, 'params.bin'), Buffer.from(params.buffer));
    fs.writeFileSync(path.join(dir, 'X.bin'), Buffer.from(data.X.buffer));
    fs.writeFileSync(path.join(dir, 'y.bin'), Buffer.from(data.y.buffer));

    const t0 = process.hrtime.bigint();
    const ours = await analyzeNetwork({ ...model, bias: true }, params, data, { matrices: ['hessian', 'ggn', 'residual', 'gradient_covariance'], threads });
    const ourTotal = Number(process.hrtime.bigint() - t0) / 1e9;
    const ourEig = Object.values(ours.timings.eigensolve).reduce((a, b) => a + b, 0);
    const ourBuild = ourTotal - ourEig;  // assembly (shared pass or one at a time, factor builds) + loss/gradient
    const routes = Object.entries(ours.matrices).map(([k, m]) => `${k} ${m.route}${m.route === 'factor' ? ` (r = ${m.rank})` : ''}`).join(', ');

    const py = spawnSync(PYTHON, [path.join(__dirname, 'pytorch_compare.py'), dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (py.status !== 0) return [...lines, `pytorch: the PyTorch side failed: ${(py.stderr || '').trim().split('\n').slice(-3).join(' | ')}`];
    const t = JSON.parse(py.stdout.trim().split('\n').pop());
    const torchBuild = Object.values(t.assembly).reduce((a, b) => a + b, 0);
    const torchEig = Object.values(t.eigvalsh).reduce((a, b) => a + b, 0);
    const f = (x) => x.toFixed(2);
    // Same matrices: the largest eigenvalue of each, both sides.
    const check = Object.keys(t.extremes).map((k) => {
      const v = ours.matrices[k].eigenvalues;
      return `${k} ${Math.abs(v[v.length - 1] - t.extremes[k][1]).toExponential(1)}`;
    }).join(', ');
    lines.push(
      `  ours (analyze job, ${ours.timings.assembly_pass} pass; ${routes}): build ${f(ourBuild)} s, eigensolves ${f(ourEig)} s, whole ${f(ourTotal)} s`,
      `  pytorch: H ${f(t.assembly.hessian)} s (${t.h_route}; probe of ${t.h_probe.rows} rows: loop ${f(t.h_probe.loop)} s, vmap ${f(t.h_probe.vmap)} s), ` +
        `G ${f(t.assembly.ggn)} s, R ${f(t.assembly.residual)} s, C ${f(t.assembly.gradient_covariance)} s; eigvalsh ${f(torchEig)} s (4 solves); whole ${f(torchBuild + torchEig)} s`,
      `  ratios: assembly ${f(torchBuild / ourBuild)}x (target >= 20), whole job ${f((torchBuild + torchEig) / ourTotal)}x (target >= 3); |lambda_max| differences ${check}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

module.exports = { run };
if (require.main === module) run().then((l) => console.log(l.join('\n')));
