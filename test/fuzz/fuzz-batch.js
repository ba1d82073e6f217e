// One batch of the seeded fuzz campaign (test/95.fuzz.test.ts), run in its own child process:
//   node -r test/helpers/ts-register.js test/fuzz/fuzz-batch.js <target> <seed> <calls> <addon>
// target: raw | matrix | api | cli. Each call starts from a valid one and mutates 0-2 of its
// arguments (or fields) with hostile values. A call passes if it returns, or throws/rejects with a
// documented error: TypeError or RangeError (bad input), an Error with a code ERR_HL_* or
// ABORT_ERR, an AbortError, InputError or DivergenceError; for the CLI, exit code 0 or 2 with one
// line on stderr. Anything else (an internal TypeError such as "Cannot read properties", an Error
// without a code from the addon, exit 1) is reported; a crash or hang kills the batch, which the
// test sees. Prints {calls, passed, outcomes, bad} as JSON on the last line.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const [target, seedText, callsText, addonPath] = process.argv.slice(2);
let state = Number(seedText) >>> 0 || 1;
const rand = () => ((state = (Math.imul(state ^ (state >>> 15), 2246822519) + 0x9e3779b9) >>> 0) / 2 ** 32);
const pick = (a) => a[Math.floor(rand() * a.length)];
const chance = (p) => rand() < p;

const NUMBERS = [0, -1, 1, 2, 3, 0.5, 5.9, -2.5, NaN, Infinity, -Infinity, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 62, 1e308, -0, 1e-320, -(2 ** 63)];
function detached(n) {
  const a = new Float64Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}
function hostile() {
  const pool = [
    () => undefined, () => null, () => true, () => 'x', () => '', () => 'float32', () => 'FLOAT32', () => 'hessian', () => '\0',
    () => ({}), () => [], () => [1, 2], () => [NaN], () => () => 1, () => 1n, () => new Float64Array(pick([0, 1, 3, 7])),
    () => new Int32Array(pick([0, 1, 3])), () => new Float32Array(3), () => new ArrayBuffer(8), () => detached(pick([4, 26])),
    () => Float64Array.from({ length: 26 }, () => pick(NUMBERS)), () => new Proxy({}, { get: () => { throw new Error('trap'); } }),
    () => pick(NUMBERS), () => pick(NUMBERS), () => pick(NUMBERS),
  ];
  return pick(pool)();
}

/** Replaces one random field (at any depth) of an object/array argument, or the whole argument. */
function mutate(value) {
  try {
    return mutateOnce(value);
  } catch {
    return hostile(); // e.g. a detached array cannot be copied, an array length cannot be NaN
  }
}

function mutateOnce(value) {
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && chance(0.7)) {
    const keys = Object.keys(value);
    const copy = Array.isArray(value) ? value.slice() : { ...value };
    if (keys.length === 0 || chance(0.15)) { copy[pick(['extra', '__proto__', 'kinds', 'layers', 'length'])] = hostile(); return copy; }
    const k = pick(keys);
    copy[k] = chance(0.5) ? mutate(copy[k]) : hostile();
    return copy;
  }
  if (ArrayBuffer.isView(value) && chance(0.5)) {
    const copy = value.slice();
    if (copy.length) copy[Math.floor(rand() * copy.length)] = pick(NUMBERS);
    return copy;
  }
  return hostile();
}

function mutateArgs(args) {
  const out = args.slice();
  lastArgs = out;
  const n = chance(0.2) ? 0 : chance(0.7) ? 1 : 2;
  for (let i = 0; i < n; i++) {
    const j = Math.floor(rand() * (out.length + (chance(0.1) ? 1 : 0)));
    out[j] = mutate(out[j]);
  }
  return out;
}

const DOCUMENTED_NAMES = new Set(['TypeError', 'RangeError', 'AbortError', 'InputError', 'DivergenceError']);
const INTERNAL = /Cannot read prop|Cannot set prop|is not a function|is not iterable|is not a constructor|Maximum call stack|Cannot convert|undefined is not|null is not/;
function classify(err) {
  const name = err && err.name, code = err && err.code, message = String(err && err.message);
  if (INTERNAL.test(message)) return { ok: false, why: `internal ${name}: ${message}` };
  if (DOCUMENTED_NAMES.has(name)) return { ok: true, kind: name };
  if (name === 'Error' && typeof code === 'string' && (code.startsWith('ERR_HL_') || code === 'ABORT_ERR')) return { ok: true, kind: code };
  if (name === 'Error' && message === 'trap') return { ok: true, kind: 'caller trap' }; // the caller's own Proxy threw
  if (name === 'Error' && /^this Matrix (has been disposed|is busy)/.test(message)) return { ok: true, kind: 'matrix state' };
  return { ok: false, why: `undocumented ${name} (code ${code}): ${message}` };
}

const report = { target, seed: Number(seedText), calls: 0, passed: 0, outcomes: {}, bad: [] };
function tally(label, kind) { report.outcomes[kind] = (report.outcomes[kind] || 0) + 1; }
const describeArg = (v) => (ArrayBuffer.isView(v) ? `${v.constructor.name}(${v.length})` : typeof v === 'function' ? 'fn' : typeof v === 'bigint' ? `${v}n` : v);
let lastArgs = [];
async function attempt(label, fn) {
  report.calls++;
  if (process.env.HL_FUZZ_TRACE) {
    try { process.stderr.write(`${report.calls} ${label} ${JSON.stringify(lastArgs.map(describeArg), (k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}\n`); } catch { process.stderr.write(`${report.calls} ${label}\n`); }
  }
  try {
    await fn();
    report.passed++;
    tally(label, 'returned');
  } catch (err) {
    const c = classify(err);
    if (c.ok) { report.passed++; tally(label, c.kind); }
    else report.bad.push(`${label}: ${c.why}`);
  }
}

// ---- valid starting points ---------------------------------------------------------------
const mlp = () => ({ layers: [3, 4, 2], activation: pick(['tanh', 'relu']), loss: 'cross_entropy', bias: true });
const conv = () => ({ inputShape: [1, 5, 5], loss: 'cross_entropy', layers: [
  { type: 'conv2d', outChannels: 2, kernel: [3, 3], stride: [1, 1], padding: [pick([0, 1]), 1], bias: true },
  { type: 'relu' }, { type: 'maxpool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0] }, { type: 'flatten' }, { type: 'linear', out: 2, bias: true }] });
const M_MLP = 26;
const mParams = (M) => Float64Array.from({ length: M }, (_, i) => 0.3 * Math.sin(i + 1));
const X3 = () => Float64Array.from({ length: 12 }, (_, i) => Math.cos(i)), Y = () => Int32Array.from([0, 1, 1, 0]);
const X25 = () => Float64Array.from({ length: 100 }, (_, i) => Math.cos(0.3 * i));
const phases = () => [{ steps: 5, batchSize: pick([0, 2]), lr: 0.1, momentum: pick([0, 0.9]) }];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-fuzz-'));
process.chdir(tmp); // relative paths the fuzzer makes up land here, not in the repository

async function raw() {
  const b = require(addonPath);
  const useConv = chance(0.3);
  const model = useConv ? conv() : mlp();
  let M = M_MLP;
  if (useConv) M = 2 * 1 * 9 + 2 + 2 * 2 * 2 * 2 + 2; // conv 2x1x3x3+2, linear 2x8+2 (5x5 -> 3x3 or 5x5 -> pool)
  if (useConv && model.layers[0].padding[0] === 1) M = 2 * 9 + 2 + 2 * (2 * 2 * 2) + 2;
  const X = useConv ? X25() : X3(), y = Y();
  const token = chance(0.2) ? new b.CancelToken() : undefined;
  if (token && chance(0.5)) token.cancel();
  const calls = {
    assemble: () => [model, mParams(M), X, y, { kinds: ['hessian', pick(['ggn', 'residual', 'gradient_covariance'])], dtype: pick(['float64', 'float32']) }, token],
    evaluate: () => [model, mParams(M), X, y, { perSample: chance(0.5) }],
    assemblyWorkspaceBytes: () => [model, 4, ['hessian']],
    eigenWorkspaceBytes: () => [30, 'float64', { vectors: true }],
    dsyevdWorkspaceQuery: () => [pick([10, 1000])],
    curvatureProducts: () => [model, mParams(M), X, y, { kind: pick(['hessian', 'ggn']), samples: chance(0.5) ? Int32Array.from([0, 2]) : undefined }, mParams(2 * M), 2, token],
    productsWorkspaceBytes: () => [model, 4, 2],
    trainSegment: () => [model, mParams(M), undefined, X, y, undefined, undefined, { phases: phases(), seed: 1, recordEvery: 1, gradNormStop: 0, startStep: 0, endStep: 5 }, token],
    trainMany: () => [mlp(), mParams(2 * M_MLP), X3(), y, undefined, undefined, { phases: phases(), seed: 1, recordEvery: 0, gradNormStop: 0, threads: 1 }, token],
    evaluateMany: () => [model, mParams(2 * M), X, y, { gradient: true }, token],
    benchmarkGemm: () => [8, 8, 8, pick([undefined, 1, 2])],
    fromArray: () => [new Float64Array(6), 2, 3, pick(['float64', 'float32'])],
  };
  // (Only functions this build exports: the raw interface may gain or lose one.)
  const name = pick(Object.keys(calls).filter((k) => k === 'fromArray' || typeof b[k] === 'function'));
  const args = mutateArgs(calls[name]());
  // A model the mutation made huge but valid could train or assemble for long: the native
  // memory and size checks bound the rest.
  await attempt(`raw ${name}`, () => (name === 'fromArray' ? b.Matrix.fromArray(...args) : b[name](...args)));
}

async function matrix() {
  const b = require(addonPath);
  const n = pick([2, 5, 8]);
  const a = Float64Array.from({ length: n * n }, (_, t) => Math.sin(Math.min(t % n, Math.floor(t / n)) + Math.max(t % n, Math.floor(t / n))));
  const m = b.Matrix.fromArray(a, n, n, pick(['float64', 'float32']));
  if (chance(0.15)) m.dispose();
  const token = chance(0.2) ? new b.CancelToken() : undefined;
  if (token && chance(0.5)) token.cancel();
  const calls = {
    block: () => [0, n, 0, pick([1, n])],
    eigen: () => [{ vectors: chance(0.5), residuals: chance(0.5), driver: pick(['auto', 'syevd', 'syevr', 'syevd_2stage']), ...(chance(0.3) ? { first: 0, last: 1 } : {}) }, token],
    multiply: () => [new Float64Array(n * 2).fill(1), 2, token],
    saveNpy: () => [path.join(tmp, pick(['m.npy', 'sub/m.npy', 'm\0.npy', '']))],
    dispose: () => [],
  };
  const name = pick(Object.keys(calls));
  const args = mutateArgs(calls[name]());
  let concurrent = null; // a second operation in flight: the busy guard
  if (chance(0.2) && !m.disposed) concurrent = m.eigen({}).catch(() => {});
  await attempt(`matrix ${name}`, () => m[name](...args));
  if (concurrent) await concurrent;
}

async function api() {
  const hl = require(path.join(__dirname, '..', '..', 'src', 'index.ts'));
  const model = { layers: [3, 4, 2], activation: 'tanh', loss: 'cross_entropy' };
  const seq = { input_shape: [1, 5, 5], layers: [{ type: 'conv2d', out_channels: 2, kernel: 3 }, { type: 'relu' }, { type: 'flatten' }, { type: 'linear', out: 2 }], loss: 'cross_entropy' };
  const data = () => ({ X: X3(), y: Y() });
  const values = Float64Array.from([-1, 0, 0.5, 2, 3]);
  const controller = new AbortController();
  if (chance(0.1)) controller.abort();
  const calls = {
    computeCurvature: () => [model, mParams(26), data(), { matrices: ['hessian', 'ggn'], dtype: 'float64', rows: [0, 26], signal: controller.signal }],
    evaluate: () => [model, mParams(26), data(), { perSample: true }],
    normalizeModel: () => [chance(0.5) ? model : seq],
    parameterCount: () => [chance(0.5) ? model : seq],
    summarizeSpectrum: () => [values, { k: 3, window: 2, thresholds: [1e-3], outlierThreshold: 1, negativeTolerance: 0 }],
    fromArrayEigen: () => [Float64Array.from([2, 1, 1, 2]), 2, 2, 'float64', { vectors: true, top: 1 }],
    multiply: () => [Float64Array.from([2, 1, 1, 2]), 2, Float64Array.from([1, 1]), 1],
    train: () => [{ model, data: { kind: 'two_blobs', N: 16, seed: 1 }, seed: 1, phases: [{ steps: 5, lr: 0.1 }] }, {}],
  };
  const name = pick(Object.keys(calls));
  const args = mutateArgs(calls[name]());
  await attempt(`api ${name}`, async () => {
    if (name === 'fromArrayEigen') return hl.Matrix.fromArray(args[0], args[1], args[2], args[3]).eigen(args[4]);
    if (name === 'multiply') return hl.Matrix.fromArray(args[0], args[1], args[1]).multiply(args[2], args[3]);
    return hl[name](...args);
  });
}

let cliReady = null;
async function cli() {
  const { main } = require(path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'));
  if (!cliReady) {
    cliReady = {
      caseFile: path.join(tmp, 'case.json'), dir: tmp, file: path.join(tmp, 'a-file'), bad: path.join(tmp, 'bad.json'),
    };
    fs.writeFileSync(cliReady.caseFile, JSON.stringify({ layers: [2, 3, 2], activation: 'tanh', loss: 'cross_entropy',
      params: Array.from({ length: 17 }, (_, i) => Math.sin(i)), X: [[0, 1], [1, 0], [0.5, 0.5]], y: [0, 1, 0] }));
    fs.writeFileSync(cliReady.file, 'x');
    fs.writeFileSync(cliReady.bad, '{"layers": [2, 3');
  }
  const c = cliReady;
  const paths = [c.caseFile, c.dir, c.file, c.bad, '/dev/null/sub', '/proc/self/nope', '/sys/x', '', 'nonexistent.json', path.join(tmp, 'out', String(Math.floor(rand() * 5)))];
  const values = ['1', '0', '-1', '2.5', 'NaN', 'x', '1e9', ...paths];
  const templates = [
    ['analyze', '--case', c.caseFile, '--out', path.join(tmp, 'a'), '--matrices', 'hessian'],
    ['train', '--layers', '2,3,2', '--data', 'two_blobs:N=16', '--steps', '5', '--lr', '0.1', '--out', path.join(tmp, 't', String(report.calls))],
    ['compare', '--case', c.caseFile, '--out', path.join(tmp, 'c'), '--methods', 'lanczos'],
    ['analyze', '--checkpoint', path.join(tmp, 't', '0'), '--out', path.join(tmp, 'b')],
  ];
  const argv = pick(templates).slice();
  const edits = chance(0.15) ? 0 : 1 + Math.floor(rand() * 2);
  for (let i = 0; i < edits; i++) {
    const j = 1 + Math.floor(rand() * (argv.length - 1));
    if (argv[j].startsWith('--')) { if (chance(0.3)) argv[j] = pick(['--bogus', '--threads', '--dtype', '--resume', '--matrices', '-x']); }
    else argv[j] = argv[j - 1] === '--steps' ? pick(['0', '-1', 'x', '2.5', '10']) : pick(values);
  }
  report.calls++;
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = (chunk) => { stderr += chunk.toString(); return true; };
  let code;
  try {
    code = await main(['node', 'hessian-lab', ...argv]);
  } catch (err) {
    code = `threw ${err && err.message}`;
  } finally {
    process.stderr.write = write;
  }
  const lines = stderr.trim().split('\n').filter((l) => l && !/^hessian-lab: (note|wrote)/.test(l) && !/%|ETA|\r/.test(l));
  if (code === 0 || (code === 2 && lines.length <= 1) || (code === 2 && /^(error|Usage)/m.test(stderr))) { report.passed++; tally('cli', `exit ${code}`); }
  else report.bad.push(`cli ${JSON.stringify(argv)}: exit ${code}: ${stderr.slice(0, 300)}`);
}

(async () => {
  const run = { raw, matrix, api, cli }[target];
  for (let i = 0; i < Number(callsText); i++) await run();
  fs.rmSync(tmp, { recursive: true, force: true });
  process.stdout.write('\n' + JSON.stringify(report) + '\n');
  process.exit(0);
})();
