/**
 * The conv slab route (native/core/conv_slabs.h): a convnet's H, G and R with each conv layer's
 * own block as one Gram product of per-sample Jacobians (im2col: a conv is a shared-weight
 * linear map, its Jacobian a sum over positions), the tail's rows below the last conv (and, lifted
 * through it, below the conv before) by the tail's input Jacobian, the last conv's rows below the
 * conv before by the cross Gram and the bilinear term, other rectangles by the R-operator's
 * rectangle path and the MLP tail by its unit slabs. Checked against the independent R-operator
 * route (rOperatorOnly) to 1e-12, against central differences of the gradient, H = G + R,
 * exact symmetry, squares on the diagonal that cut layers, thread-count and kind independence,
 * float32 outputs as the float64 numbers rounded once; nets: E4's shape, tanh in the tail, tanh
 * between the convs, no biases, mse and logistic losses. (Average pooling is not a layer kind of
 * this engine, so only max-pooling is covered.) core_tests checks that the tail piece is the one
 * the assembly holds (bitwise).
 */
import { classCount, computeCurvature, evaluate, inputSize, parameterCount, SequentialSpec } from '../src';
import { normalizeModel, toRawModel } from '../src/engine/model';
import { binding } from '../src/native/binding';
import { conv, finiteDifferenceError, lcg, maxAbs, maxAbsDiff } from './helpers/fixtures';

type Name = 'hessian' | 'ggn' | 'residual' | 'gradient_covariance';
const HGR: Name[] = ['hessian', 'ggn', 'residual'];
const ALL: Name[] = [...HGR, 'gradient_covariance'];

function makeCase(model: SequentialSpec, N: number, seed: number, scale = 0.7) {
  const r = lcg(seed);
  const M = parameterCount(model);
  const params = new Float64Array(M).map(() => r() * scale);
  const X = new Float64Array(N * inputSize(model)).map(() => r() * 2);
  const y = new Int32Array(N).map((_, i) => (i * 7 + seed) % classCount(model));
  return { model, params, data: { X, y }, M, N };
}
type Case = ReturnType<typeof makeCase>;

// The raw binding: rectangles and the R-operator route are options of its assemble.
async function raw(c: Case, names: Name[], o: Record<string, unknown> = {}) {
  const r = await binding().assemble(toRawModel(normalizeModel(c.model)), c.params, c.data.X, c.data.y, { kinds: names, ...o });
  const rows = Number(o.rowEnd ?? c.M) - Number(o.rowBegin ?? 0), cols = Number(o.colEnd ?? c.M) - Number(o.colBegin ?? 0);
  const out: Record<string, Float64Array> = {};
  for (const n of names) {
    out[n] = r.matrices[n]!.block(0, rows, 0, cols);
    r.matrices[n]!.dispose();
  }
  return out;
}

// The square [b0, b1)^2 of H, G, R and C equals the R-operator route's to 1e-12 (and H is not ~0).
async function expectSquareLikeROperator(c: Case, b0: number, b1: number) {
  const o = { rowBegin: b0, rowEnd: b1, colBegin: b0, colEnd: b1 };
  const fast = await raw(c, ALL, o);
  const slow = await raw(c, ALL, { ...o, rOperatorOnly: true });
  for (const n of ALL) expect(maxAbsDiff(fast[n], slow[n])).toBeLessThan(1e-12 * Math.max(1, maxAbs(slow[n])));
  expect(maxAbs(fast.hessian)).toBeGreaterThan(1e-3);
}

const E4_SHAPE: SequentialSpec = { input_shape: [1, 14, 14], loss: 'cross_entropy', layers: [
  conv(3, 3), { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }, conv(4, 3), { type: 'relu' }, { type: 'maxpool2d', kernel: 2 },
  { type: 'flatten' }, { type: 'linear', out: 6 }, { type: 'relu' }, { type: 'linear', out: 3 }] };

const NETS: [string, SequentialSpec, number][] = [
  ['conv (stride 2, padding 1, 3 channels) relu maxpool, fc tail, cross-entropy',
    { input_shape: [2, 7, 8], loss: 'cross_entropy', layers: [
      conv(3, 3, { stride: 2, padding: 1 }), { type: 'relu' }, { type: 'maxpool2d', kernel: 2, stride: 1 }, { type: 'flatten' },
      { type: 'linear', out: 6 }, { type: 'relu' }, { type: 'linear', out: 4 }] }, 9],
  ['conv -> conv -> fc (padded second conv without bias), mse',
    { input_shape: [1, 8, 7], loss: 'mse', layers: [
      conv(2, 3), { type: 'relu' }, conv(3, 2, { padding: 1, bias: false }), { type: 'relu' },
      { type: 'flatten' }, { type: 'linear', out: 3 }] }, 8],
  ['E4-like: conv relu maxpool conv relu maxpool fc relu fc, cross-entropy',
    { input_shape: [1, 12, 12], loss: 'cross_entropy', layers: [
      conv(3, 3), { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }, conv(4, 3), { type: 'relu' }, { type: 'maxpool2d', kernel: 2 },
      { type: 'flatten' }, { type: 'linear', out: 8 }, { type: 'relu' }, { type: 'linear', out: 5 }] }, 11],
  ['tanh after the conv (H and R of its block by the R-operator), rectangular kernel and stride, sigmoid head',
    { input_shape: [2, 6, 5], loss: 'cross_entropy', layers: [
      conv(2, [3, 2], { stride: [2, 1], padding: [0, 1] }), { type: 'tanh' }, { type: 'flatten' },
      { type: 'linear', out: 4 }, { type: 'sigmoid' }, { type: 'linear', out: 3 }] }, 7],
  // 1x14x14 -> conv 3@3x3 -> 3x12x12 -> pool -> 3x6x6 -> conv 4@3x3 -> 4x4x4 -> pool -> 16 -> fc 6 -> fc 3:
  // conv1 [0, 30), conv2 [30, 142), fc1 [142, 244), fc2 [244, 265).
  ['E4 shape with 2x2 pooled maps into the tail, cross-entropy', E4_SHAPE, 10],
  ['tanh MLP tail (curvature in the tail activations: R has its own E), E4 shape, cross-entropy',
    { input_shape: [1, 14, 14], loss: 'cross_entropy', layers: [
      conv(3, 3), { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }, conv(4, 3), { type: 'relu' }, { type: 'maxpool2d', kernel: 2 },
      { type: 'flatten' }, { type: 'linear', out: 6 }, { type: 'tanh' }, { type: 'linear', out: 3 }] }, 9],
  ['tanh between the convs (its derivative in the route from conv1 to conv2), padded pool, mse',
    { input_shape: [2, 9, 9], loss: 'mse', layers: [
      conv(3, 3, { padding: 1 }), { type: 'tanh' }, { type: 'maxpool2d', kernel: 3, stride: 2, padding: 1 }, conv(2, 2), { type: 'relu' },
      { type: 'flatten' }, { type: 'linear', out: 5 }, { type: 'relu' }, { type: 'linear', out: 3 }] }, 8],
  ['no biases in the tail nor in the last conv, mse',
    { input_shape: [1, 14, 14], loss: 'mse', layers: [
      conv(3, 3), { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }, conv(4, 3, { bias: false }), { type: 'relu' },
      { type: 'maxpool2d', kernel: 2 }, { type: 'flatten' }, { type: 'linear', out: 6, bias: false }, { type: 'relu' },
      { type: 'linear', out: 3, bias: false }] }, 9],
  ['a linear layer without bias before a biased tail (the last layer before the tail is linear), cross-entropy',
    { input_shape: [1, 6, 6], loss: 'cross_entropy', layers: [
      conv(2, 3), { type: 'relu' }, { type: 'flatten' }, { type: 'linear', out: 5, bias: false }, { type: 'relu' },
      { type: 'linear', out: 4 }, { type: 'relu' }, { type: 'linear', out: 3 }] }, 9],
  ['maxpool on the input, conv, identity, logistic loss',
    { input_shape: [1, 5, 5], loss: 'logistic', layers: [
      { type: 'maxpool2d', kernel: 3, stride: 2, padding: 1 }, conv(2, 2), { type: 'identity' }, { type: 'flatten' },
      { type: 'linear', out: 1 }] }, 8],
];

describe.each(NETS)('%s', (_name, model, N) => {
  const c = makeCase(model, N, 4);

  it('equals the R-operator route (full matrix and squares that cut layers) to 1e-12', async () => {
    const M = c.M;
    for (const [b0, b1] of [[0, M], [2, M - 3], [1, Math.floor(M / 2)], [Math.floor(M / 3), M]]) await expectSquareLikeROperator(c, b0, b1);
  });

  it('H matches central differences of the gradient (every column)', async () => {
    const { hessian: H } = await raw(c, ['hessian']);
    const err = finiteDifferenceError(c, H);
    expect(err).toBeLessThan(1e-7 * Math.max(1, maxAbs(H)));
  });

  it('is exactly symmetric, H = G + R, and each kind is the same alone and on 1 or 2 threads (bitwise)', async () => {
    const all = await raw(c, HGR, { threads: 2 });
    const M = c.M;
    for (const n of HGR) {
      let asym = 0;
      for (let i = 0; i < M; i++) for (let j = 0; j < i; j++) asym = Math.max(asym, Math.abs(all[n][i * M + j] - all[n][j * M + i]));
      expect(asym).toBe(0);
    }
    expect(maxAbsDiff(all.hessian, all.ggn.map((g, i) => g + all.residual[i]))).toBeLessThan(1e-13 * Math.max(1, maxAbs(all.hessian)));
    for (const n of HGR) {
      const alone = await raw(c, [n], { threads: 1 });
      expect(maxAbsDiff(alone[n], all[n])).toBe(0);
    }
    const f32 = await computeCurvature(c.model, c.params, c.data, { matrices: ['hessian'], dtype: 'float32' });
    expect(maxAbsDiff(f32.matrices.hessian!.toArray(), all.hessian)).toBeLessThan(1e-6 * Math.max(1, maxAbs(all.hessian)));
    f32.matrices.hessian!.dispose();
  });
});

describe('E4 shape: squares that start or end inside a conv layer or the tail, float32 outputs', () => {
  const c = makeCase(E4_SHAPE, 10, 5);
  // conv1 [0, 30), conv2 [30, 142), fc1 [142, 244), fc2 [244, 265): see NETS.
  it.each([[35, 265], [5, 200], [29, 251], [140, 265], [30, 142], [0, 143], [150, 265]])(
    '[%i, %i)^2 equals the R-operator route to 1e-12 (H, G, R, C)', (b0, b1) => expectSquareLikeROperator(c, b0, b1));

  it('float32 outputs are the float64 numbers rounded once (bitwise), on a square cutting conv2 and the tail', async () => {
    const o = { rowBegin: 40, rowEnd: 250, colBegin: 40, colEnd: 250 };
    const f64 = await raw(c, HGR, o);
    const f32 = await raw(c, HGR, { ...o, dtype: 'float32' });
    for (const n of HGR) expect(maxAbsDiff(f32[n], f64[n].map(Math.fround))).toBe(0);
  });
});

describe('the conv slab route is the one taken', () => {
  it('its numbers differ from the R-operator route in rounding only (so the comparison above is between two routes)', async () => {
    const c = makeCase(NETS[2][1], NETS[2][2], 6);
    const fast = await raw(c, ['ggn']);
    const slow = await raw(c, ['ggn'], { rOperatorOnly: true });
    const d = maxAbsDiff(fast.ggn, slow.ggn);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(1e-12 * maxAbs(slow.ggn));
  });
});
