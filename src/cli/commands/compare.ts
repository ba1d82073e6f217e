/**
 * `hessian-lab compare`: the approximate methods (power iteration, Lanczos, SLQ, KPM, Hutchinson,
 * Hutch++, Hutchinson diagonal) against the exact spectrum of one network's Hessian or GGN.
 * Writes DIR/compare.json (format hessian-lab/compare@1: exact spectrum, per-method wall time,
 * products and errors, the error-vs-products sweep), DIR/density.svg, DIR/errors.svg and
 * DIR/compare.html.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, Option } from 'commander';
import { compareMethods, METHOD_NAMES, MethodName } from '../../approx/compare';
import { compareFigures } from '../../report/compareFigures';
import { buildCompareHtml } from '../../report/comparePage';
import { writeFileAtomic, writeJsonAtomic, ensureWritableDirectory } from '../../io/atomic';
import { InputError } from '../../util/errors';
import { progressBar } from '../progress';
import { onInterrupt } from '../signals';
import { NetworkInputFlags, readNetworkCase } from '../inputs';

interface CompareFlags extends NetworkInputFlags {
  out: string;
  matrix: 'hessian' | 'ggn';
  methods: string;
  operator: 'matrix-free' | 'dense';
  k: string;
  batchSize?: string;
  seed: string;
  sweep: boolean;
  threads?: string;
}

function positiveInteger(flag: string, value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InputError(`${flag} must be an integer >= ${min}; received "${value}"`);
  return n;
}

export function parseMethodList(list: string): MethodName[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InputError('--methods must name at least one of ' + METHOD_NAMES.join(', '));
  for (const n of names) {
    if (!(METHOD_NAMES as readonly string[]).includes(n)) throw new InputError(`--methods: unknown method "${n}" (choose from ${METHOD_NAMES.join(', ')})`);
  }
  return [...new Set(names)] as MethodName[];
}

async function run(flags: CompareFlags): Promise<void> {
  const input = readNetworkCase(flags);
  const methods = parseMethodList(flags.methods);
  const k = positiveInteger('--k', flags.k);
  const seed = positiveInteger('--seed', flags.seed, 0);
  const batchSize = flags.batchSize === undefined ? undefined : positiveInteger('--batch-size', flags.batchSize);
  if (batchSize !== undefined && batchSize > input.data.y.length) throw new InputError(`--batch-size must be at most the ${input.data.y.length} samples; received ${batchSize}`);
  const threads = flags.threads === undefined ? undefined : positiveInteger('--threads', flags.threads);
  for (const key of input.ignoredKeys) process.stderr.write(`hessian-lab: note: ignoring unknown case key "${key}"\n`);
  ensureWritableDirectory(flags.out, `--out ${flags.out}`);
  const bar = progressBar('compare');
  const controller = new AbortController();
  const release = onInterrupt(() => controller.abort());
  try {
    const result = await compareMethods(input.model, input.params, input.data, {
      matrix: flags.matrix,
      methods,
      k,
      seed,
      operator: flags.operator,
      batchSize,
      sweep: flags.sweep,
      threads,
      signal: controller.signal,
      onProgress: (stage, f) => bar.update(stage, f),
    });
    bar.stop();
    const figures = await compareFigures(result);
    writeJsonAtomic(path.join(flags.out, 'compare.json'), result);
    for (const f of figures) writeFileAtomic(path.join(flags.out, `${f.id}.svg`), f.svg);
    writeFileAtomic(path.join(flags.out, 'compare.html'), buildCompareHtml(result, figures));
    for (const m of result.methods) {
      process.stderr.write(`hessian-lab: ${m.method.padEnd(10)} ${String(m.matvecs).padStart(5)} products  ${m.seconds.toFixed(3)} s  error ${m.error.toExponential(2)}\n`);
    }
    process.stderr.write(`hessian-lab: wrote ${path.join(flags.out, 'compare.json')} and compare.html (M = ${result.parameters})\n`);
  } finally {
    bar.stop();
    release();
  }
}

export function register(program: Command): void {
  program
    .command('compare')
    .description('approximate spectral methods (power, Lanczos, SLQ, KPM, Hutchinson, Hutch++) against the exact spectrum')
    .option('--case <file>', 'case JSON {layers, activation, loss, bias?, params, X, y} or {model, params, X, y}')
    .option('--checkpoint <dir>', 'a training checkpoint directory')
    .option('--model <file>', 'model JSON (with --params, --inputs, --labels)')
    .option('--params <file>', 'parameters .npy')
    .option('--inputs <file>', 'inputs .npy (N x d0: layers[0], or C*H*W of input_shape; or N x C x H x W)')
    .option('--labels <file>', 'labels .npy (N class indices)')
    .requiredOption('--out <dir>', 'output directory (compare.json, *.svg, compare.html)')
    .addOption(new Option('--matrix <matrix>', 'the matrix to approximate').choices(['hessian', 'ggn']).default('hessian'))
    .option('--methods <list>', `comma-separated subset of ${METHOD_NAMES.join(',')}`, METHOD_NAMES.join(','))
    .addOption(new Option('--operator <kind>', 'what the methods multiply by').choices(['matrix-free', 'dense']).default('matrix-free'))
    .option('--k <n>', 'eigenpairs compared at each end', '5')
    .option('--batch-size <n>', 'run the methods on a seeded mini-batch of this many samples (the truth stays full-data)')
    .option('--seed <n>', 'seed of every method and of the mini-batch', '0')
    .option('--no-sweep', 'skip the smaller budgets of the error-vs-products figure')
    .option('--threads <n>', 'threads for OpenBLAS and the native loops (default: all cores)')
    .action(run);
}
