/**
 * `hessian-lab interpolate A B --alphas -1:2:22 [--spectrum-at 0,0.5,1] --out DIR`: loss and
 * accuracy (train and test) on the straight line w_A + α (w_B − w_A) between two checkpoints,
 * written to DIR/interpolation.json ({a, b, model, data, points: [{alpha, trainLoss,
 * trainAccuracy, testLoss, testAccuracy}], spectra: [{alpha, summary}]}) and DIR/interpolation.csv.
 */
import * as path from 'path';
import { Command } from 'commander';
import { setThreads } from '../../engine/curvature';
import { writeFileAtomic, writeJsonAtomic } from '../../io/atomic';
import { InputError } from '../../util/errors';
import { loadCheckpoint } from '../../train/checkpoint';
import { interpolate, parseAlphas } from '../../train/interpolate';
import { progressBar } from '../progress';
import { onInterrupt } from '../signals';
import { parseThreads } from './train';

interface InterpolateFlags {
  alphas: string;
  spectrumAt?: string;
  out: string;
  threads?: string;
}

function parseList(flag: string, text: string): number[] {
  const values = text.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) throw new InputError(`${flag} must be a comma-separated list of numbers; received "${text}"`);
  return values;
}

async function run(a: string, b: string, flags: InterpolateFlags): Promise<void> {
  let alphas: number[];
  try {
    alphas = parseAlphas(flags.alphas);
  } catch (err) {
    throw new InputError(`--alphas must be "start:end:count" (inclusive, e.g. -1:2:22); received "${flags.alphas}"`);
  }
  const spectrumAt = flags.spectrumAt === undefined ? [] : parseList('--spectrum-at', flags.spectrumAt);
  const threads = parseThreads(flags.threads);
  if (threads !== undefined) setThreads(threads);
  const ca = loadCheckpoint(a), cb = loadCheckpoint(b);
  const bar = progressBar('interpolate');
  const controller = new AbortController();
  const release = onInterrupt(() => controller.abort());
  try {
    const r = await interpolate(ca, cb, { alphas, spectrumAt, signal: controller.signal, onProgress: (s, f) => bar.update(s, f) });
    bar.stop();
    writeJsonAtomic(path.join(flags.out, 'interpolation.json'), {
      format: 'hessian-lab/interpolation@1',
      a: { dir: a, step: ca.step },
      b: { dir: b, step: cb.step },
      model: ca.model,
      data: ca.dataSpec,
      points: r.points,
      spectra: r.spectra,
    });
    const csv = ['alpha,train_loss,train_accuracy,test_loss,test_accuracy',
      ...r.points.map((p) => [p.alpha, p.trainLoss, p.trainAccuracy, p.testLoss ?? '', p.testAccuracy ?? ''].join(','))];
    writeFileAtomic(path.join(flags.out, 'interpolation.csv'), csv.join('\n') + '\n');
    process.stderr.write(`hessian-lab: wrote ${path.join(flags.out, 'interpolation.json')} (${alphas.length} points, ${spectrumAt.length} spectra)\n`);
  } finally {
    bar.stop();
    release();
  }
}

export function register(program: Command): void {
  program
    .command('interpolate <a> <b>')
    .description('loss and accuracy on the straight line between two checkpoint directories (S18 E6)')
    .requiredOption('--alphas <start:end:count>', 'alpha grid, inclusive, e.g. -1:2:22')
    .option('--spectrum-at <list>', 'comma-separated alphas at which to compute the Hessian spectrum summary')
    .requiredOption('--out <dir>', 'output directory (interpolation.json, interpolation.csv)')
    .option('--threads <n>', 'threads for OpenBLAS (default: all cores)')
    .action(async (a: string, b: string, flags: InterpolateFlags) => run(a, b, flags));
}
