/** Layer 1: bad input never crashes Node; memory is estimated before allocating; work can be cancelled. */
import { AbortError, computeCurvature, evaluate, Matrix, MlpSpec } from '../src';
import { binding } from '../src/native/binding';
import { fixture } from './helpers/fixtures';

const model: MlpSpec = { layers: [3, 4, 3], activation: 'tanh', loss: 'cross_entropy' };
const f = fixture(model, 6, 1);

describe('bad input is a clear TypeError / RangeError naming the parameter', () => {
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ['model not an object', () => evaluate(null as never, f.params, f.data), TypeError, /model must be an object/],
    ['layers too short', () => evaluate({ ...model, layers: [3] }, f.params, f.data), RangeError, /model.layers/],
    ['layer size 0', () => evaluate({ ...model, layers: [3, 0, 3] }, f.params, f.data), RangeError, /model.layers\[1\]/],
    ['non-integer layer', () => evaluate({ ...model, layers: [3, 2.5, 3] }, f.params, f.data), RangeError, /model.layers\[1\]/],
    ['unknown activation', () => evaluate({ ...model, activation: 'gelu' as never }, f.params, f.data), RangeError, /model.activation.*relu/],
    ['unknown loss', () => evaluate({ ...model, loss: 'hinge' as never }, f.params, f.data), RangeError, /model.loss/],
    ['unknown model key', () => evaluate({ ...model, dropout: 0.5 } as never, f.params, f.data), RangeError, /unknown key "dropout"/],
    ['logistic with 3 outputs', () => evaluate({ ...model, loss: 'logistic' }, f.params, f.data), RangeError, /logistic/],
    ['params wrong type', () => evaluate(model, [1, 2] as never, f.data), TypeError, /params must be a Float64Array/],
    ['params wrong length', () => evaluate(model, new Float64Array(5), f.data), RangeError, /params.length must be 31/],
    ['params NaN', () => evaluate(model, f.params.map((v, i) => (i === 4 ? NaN : v)), f.data), RangeError, /params\[4\]/],
    ['X wrong type', () => evaluate(model, f.params, { X: [1] as never, y: f.data.y }), TypeError, /data.X/],
    ['X wrong length', () => evaluate(model, f.params, { X: new Float64Array(5), y: f.data.y }), RangeError, /data.X.length/],
    ['X Infinity', () => evaluate(model, f.params, { X: f.data.X.map((v, i) => (i === 7 ? Infinity : v)), y: f.data.y }), RangeError, /data.X\[2\]\[1\]/],
    ['y wrong type', () => evaluate(model, f.params, { X: f.data.X, y: new Float64Array(6) as never }), TypeError, /data.y/],
    ['label out of range', () => evaluate(model, f.params, { X: f.data.X, y: Int32Array.from([0, 1, 2, 3, 0, 1]) }), RangeError, /data.y\[3\]/],
    ['negative label', () => evaluate(model, f.params, { X: f.data.X, y: Int32Array.from([0, -1, 2, 0, 0, 1]) }), RangeError, /data.y\[1\]/],
    ['empty dataset', () => evaluate(model, f.params, { X: new Float64Array(0), y: new Int32Array(0) }), RangeError, /at least 1 sample/],
  ];
  it.each(cases)('%s', (_name, call, cls, message) => {
    expect(call).toThrow(cls);
    expect(call).toThrow(message);
  });

  it.each([
    ['unknown matrix', { matrices: ['hessian', 'fisher'] }, RangeError, /options.matrices\[1\]/],
    ['repeated matrix', { matrices: ['hessian', 'hessian'] }, RangeError, /without repeats/],
    ['empty matrices', { matrices: [] }, TypeError, /options.matrices/],
    ['bad dtype', { dtype: 'float16' }, RangeError, /options.dtype/],
    ['bad row range', { rows: [5, 2] }, RangeError, /options.rows\[1\]/],
    ['row range past M', { rows: [0, 99] }, RangeError, /options.rows\[1\]/],
    ['bad onProgress', { onProgress: 3 }, TypeError, /onProgress/],
    ['bad threads', { threads: 0 }, RangeError, /threads/],
    ['bad signal', { signal: {} }, TypeError, /signal/],
  ])('computeCurvature: %s', async (_name, options, cls, message) => {
    const p = computeCurvature(model, f.params, f.data, options as never);
    await expect(p).rejects.toThrow(cls as ErrorConstructor);
    await expect(computeCurvature(model, f.params, f.data, options as never)).rejects.toThrow(message as RegExp);
  });

  it('the native layer re-checks what TypeScript checks, without crashing', () => {
    const b = binding();
    const raw = { layers: [3, 4, 3], activation: 'tanh', loss: 'cross_entropy', bias: true };
    expect(() => b.evaluate(raw, new Float64Array(2), f.data.X, f.data.y)).toThrow(/params must have 31 entries/);
    // (errors made by the addon belong to Node's realm, not jest's: compare names, not classes)
    const nameOf = (call: () => unknown) => { try { call(); } catch (e) { return (e as Error).name; } return 'no error'; };
    expect(nameOf(() => b.evaluate({ ...raw, activation: 'swish' }, f.params, f.data.X, f.data.y))).toBe('RangeError');
    expect(() => b.evaluate(raw, f.params, f.data.X, Int32Array.from([0, 1, 9, 0, 0, 0]))).toThrow(/label 2 is 9/);
    expect(nameOf(() => b.evaluate(raw, f.params, new Float32Array(18) as never, f.data.y))).toBe('TypeError');
    expect(() => b.evaluate(raw, f.params, f.data.X.subarray(1), f.data.y)).toThrow(/X must have N \* 3 entries/);
    expect(nameOf(() => b.Matrix.fromArray(new Float64Array(3), 2, 2))).toBe('RangeError');
    expect(() => new (b.Matrix as never as new (x: number) => unknown)(1)).toThrow(/cannot be constructed directly/);
  });

  it('typed-array views with an offset are read in place (byteOffset honoured)', () => {
    const padded = new Float64Array(f.params.length + 3);
    padded.set(f.params, 3);
    const view = padded.subarray(3);
    expect(evaluate(model, view, f.data).loss).toBe(evaluate(model, f.params, f.data).loss);
  });
});

describe('memory guard', () => {
  afterEach(() => delete process.env.HESSIAN_LAB_MEMORY_LIMIT);

  it('refuses an assembly that does not fit, naming M, bytes needed and available, before allocating', async () => {
    process.env.HESSIAN_LAB_MEMORY_LIMIT = String(4096);
    const p = computeCurvature(model, f.params, f.data, { matrices: ['hessian'] });
    await expect(p).rejects.toThrow(RangeError);
    await expect(computeCurvature(model, f.params, f.data)).rejects.toThrow(/M = 31 parameters needs \d+ bytes .* but only 4096 bytes .* are available; try dtype float32/);
  });

  it('refuses a Hessian far beyond the machine (M = 7.9 million) without trying', async () => {
    const huge: MlpSpec = { layers: [784, 10000, 10], activation: 'relu', loss: 'cross_entropy' };
    const M = 784 * 10000 + 10000 + 10000 * 10 + 10;
    const params = new Float64Array(M);
    const data = { X: new Float64Array(784), y: Int32Array.from([0]) };
    await expect(computeCurvature(huge, params, data, { matrices: ['hessian'], dtype: 'float32' })).rejects.toThrow(new RegExp(`M = ${M} parameters needs`));
  });

  it('refuses an eigendecomposition whose workspace does not fit', async () => {
    const m = Matrix.fromArray(new Float64Array(400 * 400), 400, 400);
    process.env.HESSIAN_LAB_MEMORY_LIMIT = String(100000);
    await expect(m.eigen({ vectors: true })).rejects.toThrow(/eigendecomposition for M = 400 parameters needs/);
    m.dispose();
  });
});

describe('cancellation and handles', () => {
  const big = fixture({ layers: [60, 40, 40, 10], activation: 'tanh', loss: 'cross_entropy' }, 600, 3, 0.3);

  it('an already-aborted signal rejects at once with AbortError', async () => {
    const c = new AbortController();
    c.abort();
    await expect(computeCurvature(big.model, big.params, big.data, { signal: c.signal })).rejects.toThrow(AbortError);
  });

  it('aborting during assembly rejects with AbortError, and progress was reported', async () => {
    const c = new AbortController();
    const stages: number[] = [];
    const p = computeCurvature(big.model, big.params, big.data, {
      matrices: ['hessian', 'ggn', 'residual', 'gradient_covariance'],
      signal: c.signal,
      onProgress: (_s, fr) => {
        stages.push(fr);
        if (fr > 0.05) c.abort();
      },
    });
    await expect(p).rejects.toBeInstanceOf(AbortError);
    expect(stages.length).toBeGreaterThan(0);
    expect(Math.max(...stages)).toBeLessThan(1);
  });

  it('progress reaches 1 and the event loop keeps running during assembly', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    let last = 0;
    const r = await computeCurvature(big.model, big.params, big.data, { matrices: ['hessian'], onProgress: (_s, fr) => (last = fr) });
    clearInterval(timer);
    expect(last).toBe(1);
    expect(ticks).toBeGreaterThan(0);
    r.matrices.hessian!.dispose();
  });

  it('a disposed matrix throws a clear error; a busy one refuses a second job and dispose', async () => {
    const m = Matrix.fromArray(new Float64Array([2, 1, 1, 2]), 2, 2);
    const running = m.eigen();
    await expect(m.eigen()).rejects.toThrow(/busy/);
    expect(() => m.dispose()).toThrow(/busy/);
    expect(Array.from((await running).values)).toEqual([1, 3]);
    m.dispose();
    expect(m.disposed).toBe(true);
    expect(() => m.block(0, 1, 0, 1)).toThrow(/disposed/);
    await expect(m.eigen()).rejects.toThrow(/disposed/);
  });

  it('dispose() gives the memory back at once, not at some later garbage collection', async () => {
    // An M x M buffer that outlived dispose() held 8 GB extra through reproduce E4's second spectrum.
    const wide: MlpSpec = { layers: [60, 70, 10], activation: 'tanh', loss: 'cross_entropy' };
    const w = fixture(wide, 4, 3);
    const bytes = 8 * w.params.length ** 2; // M = 4980: about 198 MB
    const { matrices } = await computeCurvature(wide, w.params, w.data, { matrices: ['hessian'] });
    const before = process.memoryUsage().rss;
    matrices.hessian!.dispose();
    const freed = before - process.memoryUsage().rss;
    expect(freed).toBeGreaterThan(0.8 * bytes);
  });

  it('eigen options are validated', async () => {
    const m = Matrix.fromArray(new Float64Array([2, 1, 1, 2]), 2, 2);
    await expect(m.eigen({ top: 3 })).rejects.toThrow(/options.top/);
    await expect(m.eigen({ top: 1, bottom: 1 })).rejects.toThrow(/at most one/);
    await expect(m.eigen({ driver: 'jacobi' as never })).rejects.toThrow(/options.driver/);
    await expect(m.eigen({ vectors: true, driver: 'syevd_2stage' })).rejects.toThrow(/eigenvalues only/);
    const rect = Matrix.fromArray(new Float64Array(6), 2, 3);
    await expect(rect.eigen()).rejects.toThrow(/square/);
    m.dispose();
    rect.dispose();
  });
});
