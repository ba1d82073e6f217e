/** Layer 0: the addon loads, links 64-bit-integer LAPACK, and reports its environment. */
import { binding } from '../src/native/binding';

describe('native addon', () => {
  it('loads and exposes the engine', () => {
    const b = binding();
    expect(typeof b.assemble).toBe('function');
    expect(typeof b.Matrix.fromArray).toBe('function');
  });

  it('links 64-bit-integer LAPACK: the dsyevd workspace at n = 40,000 exceeds 2^31', () => {
    const b = binding();
    expect(b.lapackIntegerBits).toBe(64);
    const lwork = b.dsyevdWorkspaceQuery(40000);
    expect(lwork).toBe(1 + 6 * 40000 + 2 * 40000 * 40000);
    expect(lwork).toBeGreaterThan(2 ** 31);
  });

  it('reports available memory and thread count', () => {
    const b = binding();
    expect(b.availableMemory()).toBeGreaterThan(1e8);
    expect(b.threads()).toBeGreaterThanOrEqual(1);
  });
});
