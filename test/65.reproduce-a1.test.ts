/** Layer 6: the approximate-methods section of the reproduce report, at the tiny size. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createExperimentContext } from '../src/reproduce/context';
import { experiment } from '../src/reproduce/experiments/A1';

test('A1 trains a tiny mixture net and compares every method with the exact spectrum', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-a1-'));
  const ctx = createExperimentContext({ preset: 'tiny' as never, dir });
  const r = await experiment.run(ctx);
  const compare = r.results.compare as { parameters: number; exact: { eigenvalues: number[] }; methods: { method: string; matvecs: number; error: number }[] };
  expect(compare.exact.eigenvalues).toHaveLength(compare.parameters);
  expect(compare.methods.map((m) => m.method)).toEqual(expect.arrayContaining(['power', 'lanczos', 'slq', 'kpm']));
  for (const m of compare.methods) {
    expect(m.matvecs).toBeGreaterThan(0);
    expect(Number.isFinite(m.error)).toBe(true);
  }
  // Lanczos with enough steps finds the top eigenvalues of a tiny matrix essentially exactly.
  expect(compare.methods.find((m) => m.method === 'lanczos')!.error).toBeLessThan(1e-6);
  expect(r.figures.length).toBeGreaterThan(0);
  for (const f of r.figures) {
    expect(f.svg.startsWith('<svg')).toBe(true);
    expect(fs.existsSync(path.join(dir, `${f.id}.svg`))).toBe(true);
  }
  // resumable: a second run reuses both steps
  const again = createExperimentContext({ preset: 'tiny' as never, dir });
  await experiment.run(again);
  expect(again.reused).toEqual(['train', 'compare']);
}, 60000);
