/**
 * Seeded initialisations of a model's parameter vector (PyTorch order: per layer W then b).
 * fan_in = in (linear) or in_channels * kh * kw (conv2d); fan_out = out or out_channels * kh * kw,
 * PyTorch's _calculate_fan_in_and_fan_out.
 *
 *  - pytorch: nn.Linear's and nn.Conv2d's default. W and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in));
 *    PyTorch's kaiming_uniform_(a = sqrt(5)) on W works out to exactly this bound, and both
 *    modules draw the bias with the weight's fan_in.
 *  - glorot:  Glorot & Bengio (2010) uniform. W ~ U(-sqrt(6/(fan_in+fan_out)), +...), b = 0.
 *  - he:      He et al. (2015) normal. W ~ N(0, 2/fan_in), b = 0.
 *  - sphere:  S16's "random point on the sphere of radius r": the whole vector (biases included)
 *             is a standard normal draw rescaled to norm r, which is uniform on the sphere.
 *
 * Draws come from the data layer's Rng (seedrandom xor4096 + polar normals), one stream per
 * seed, consumed in parameter order; so (model, init, seed) fixes the vector on every platform.
 */
import { Rng } from '../data/rng';
import { ModelSpec, normalizeModel, parameterCount, parameterLayout } from '../engine/model';
import { rangeError, requireFiniteNumber, requireInteger, requireOneOf, typeError } from '../util/errors';

export const INIT_SCHEMES = ['pytorch', 'glorot', 'he', 'sphere'] as const;
export type InitScheme = (typeof INIT_SCHEMES)[number];

export interface InitSpec {
  scheme: InitScheme;
  /** Radius of the sphere (scheme "sphere" only; required there). */
  radius?: number;
}

/** Validates an init description; unknown keys and a radius outside "sphere" are rejected. */
export function normalizeInit(init: unknown, name = 'init'): InitSpec {
  if (typeof init === 'string') init = { scheme: init };
  if (typeof init !== 'object' || init === null || Array.isArray(init)) throw typeError(name, 'an object {scheme, radius?}', init);
  const o = init as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'scheme' && key !== 'radius') throw rangeError(name, 'an object with keys scheme, radius', `unknown key "${key}"`);
  }
  const scheme = requireOneOf(`${name}.scheme`, o.scheme, INIT_SCHEMES);
  if (scheme !== 'sphere') {
    if (o.radius !== undefined) throw rangeError(`${name}.radius`, 'absent unless scheme is "sphere"', o.radius);
    return { scheme };
  }
  if (o.radius === undefined) throw rangeError(`${name}.radius`, 'a number > 0 for scheme "sphere"', o.radius);
  const radius = requireFiniteNumber(`${name}.radius`, o.radius, Number.MIN_VALUE);
  return { scheme, radius };
}

/** The initial parameter vector of `model` under `init`, drawn from seed `seed`. */
export function initialParameters(model: ModelSpec, init: InitSpec | InitScheme, seed: number): Float64Array {
  const spec = normalizeModel(model);
  const how = normalizeInit(init);
  requireInteger('seed', seed, 0);
  const rng = new Rng(seed);
  const w = new Float64Array(parameterCount(spec));
  if (how.scheme === 'sphere') {
    rng.fillNormal(w);
    let norm = 0;
    for (const v of w) norm += v * v;
    const scale = how.radius! / Math.sqrt(norm);
    for (let j = 0; j < w.length; j++) w[j] *= scale;
    return w;
  }
  for (const layer of parameterLayout(spec)) {
    // A weight is rows (out) x cols (in * kh * kw) row-major: cols is fan_in; the receptive
    // field kh * kw (1 for linear) also multiplies fan_out.
    const { rows, cols, shape } = layer.weight;
    const receptive = cols / shape[1];
    const fanIn = cols, fanOut = rows * receptive;
    const weights = w.subarray(layer.weight.offset, layer.weight.offset + rows * cols);
    const biases = layer.bias ? w.subarray(layer.bias.offset, layer.bias.offset + layer.bias.length) : null;
    if (how.scheme === 'pytorch') {
      const bound = 1 / Math.sqrt(fanIn);
      rng.fillUniform(weights, -bound, bound);
      if (biases) rng.fillUniform(biases, -bound, bound);
    } else if (how.scheme === 'glorot') {
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      rng.fillUniform(weights, -bound, bound);
    } else {
      rng.fillNormal(weights, 0, Math.sqrt(2 / fanIn));
    }
  }
  return w;
}
