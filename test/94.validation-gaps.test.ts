/** Issue 15, defect 10 at the public API: options that were silently defaulted or crashed inside. */
import { computeCurvature, evaluate, Matrix, normalizeModel, parameterCount, summarizeSpectrum } from '../src';

const model = { layers: [3, 4, 2], activation: 'tanh' as const, loss: 'cross_entropy' as const };
const params = Float64Array.from({ length: 26 }, (_, i) => Math.sin(i));
const data = { X: Float64Array.from({ length: 6 }, (_, i) => Math.cos(i)), y: Int32Array.from([0, 1]) };
const values = Float64Array.from([-1, 0, 1, 2, 5]);

describe('validation gaps', () => {
  it('summarizeSpectrum checks its options', () => {
    for (const k of [-1, NaN, 2.5, 0]) expect(() => summarizeSpectrum(values, { k })).toThrow(RangeError);
    expect(() => summarizeSpectrum(values, { window: -5 })).toThrow(/options\.window/);
    expect(() => summarizeSpectrum(values, { thresholds: 'x' as never })).toThrow(TypeError);
    expect(() => summarizeSpectrum(values, { thresholds: [NaN] })).toThrow(/options\.thresholds\[0\]/);
    expect(() => summarizeSpectrum(values, { negativeTolerance: -1 })).toThrow(/negativeTolerance/);
    expect(() => summarizeSpectrum(values, { outlierThreshold: NaN })).toThrow(/outlierThreshold/);
    expect(() => summarizeSpectrum(values, { kk: 3 } as never)).toThrow(/unknown key "kk"/);
    expect(() => summarizeSpectrum(values, null as never)).toThrow(TypeError);
    expect(summarizeSpectrum(values, { k: 2, window: 3 }).top).toEqual([5, 2]);
  });

  it('null is refused where undefined takes the default', async () => {
    expect(() => normalizeModel({ ...model, activation: null as never })).toThrow(/model\.activation/);
    expect(() => normalizeModel({ ...model, loss: null as never })).toThrow(/model\.loss/);
    await expect(computeCurvature(model, params, data, { matrices: null as never })).rejects.toThrow(/options\.matrices/);
    await expect(computeCurvature(model, params, data, { dtype: null as never })).rejects.toThrow(/options\.dtype/);
    expect(() => evaluate(model, params, data, null as never)).toThrow(/^options must be an object/);
    const m = Matrix.fromArray(Float64Array.from([2, 1, 1, 2]), 2, 2);
    await expect(m.eigen({ range: null as never })).rejects.toThrow(/options\.range must be an object/);
    await expect(m.eigen({ driver: null as never })).rejects.toThrow(/options\.driver/);
    await expect(m.multiply(Float64Array.from([1, 1]), 1, null as never)).rejects.toThrow(TypeError);
    await expect(m.saveNpy('out/x.npy\0.y')).rejects.toThrow(/NUL/);
    m.dispose();
  });

  it('helpers of a malformed model throw a TypeError/RangeError naming the field, not an internal error', () => {
    expect(() => parameterCount({ layers: undefined } as never)).toThrow(/model\.layers must be an array/);
    expect(() => parameterCount({ input_shape: [1, 4, 4], layers: [{ type: 'conv2d' }] } as never)).toThrow(/out_channels|kernel/);
  });

  it('a result that overflows is refused, naming where it arose', async () => {
    const huge = Float64Array.from({ length: 26 }, (_, i) => (i % 2 ? 1 : -1) * 1.7e308);
    expect(() => evaluate(model, huge, data)).toThrow(/the (loss|gradient) is not finite/);
    await expect(computeCurvature(model, new Float64Array(26).fill(1e154), data, { matrices: ['hessian'] }))
      .rejects.toThrow(/assembled hessian is not finite at entry/);
  });
});
