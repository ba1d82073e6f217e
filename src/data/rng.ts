/**
 * The seeded random number generator of the data layer.
 *
 * Uniforms come from seedrandom's xor4096 (Brent's xorgens: period 2^4096−1, 53-bit doubles,
 * passes BigCrush), seeded by the decimal string of an integer seed, so a given seed gives the
 * same stream on every platform and Node version. Normals use Marsaglia's polar method (exact, no
 * trig calls; the second variate of each pair is kept for the next call, so the stream depends
 * only on the seed and the sequence of calls). Nothing here touches Math.random.
 */
import seedrandom from 'seedrandom';
import { requireFiniteNumber, requireInteger } from '../util/errors';

export class Rng {
  readonly seed: number;
  private readonly next: () => number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.seed = requireInteger('seed', seed, 0);
    this.next = seedrandom.xor4096(String(seed));
  }

  /** Uniform on [0, 1). */
  uniform(): number {
    return this.next();
  }

  /** Normal with the given mean and standard deviation (default: standard normal). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return mean + std * u * f;
  }

  /** Uniform integer in [0, n). With 53-bit uniforms the bias is below 2^-21 for any n ≤ 2^32. */
  int(n: number): number {
    requireInteger('n', n, 1, 2 ** 32);
    return Math.floor(this.next() * n);
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A uniformly random permutation of 0..n−1. */
  permutation(n: number): Int32Array {
    requireInteger('n', n, 0, 2 ** 31 - 1);
    return this.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  }

  /** Fills `out` with i.i.d. N(mean, std²) values. */
  fillNormal(out: Float64Array, mean = 0, std = 1): Float64Array {
    requireFiniteNumber('mean', mean);
    requireFiniteNumber('std', std, 0);
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** Fills `out` with i.i.d. uniform values on [lo, hi). */
  fillUniform(out: Float64Array, lo = 0, hi = 1): Float64Array {
    requireFiniteNumber('lo', lo);
    requireFiniteNumber('hi', hi, lo);
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }
}
