/**
 * `hessian-lab analyze`: the exact spectra of H, G, R and C for one network and dataset.
 * Contract (relied on by other tools): writes DIR/analysis.json with `parameters`, `loss`,
 * `gradient_norm`, and for each matrix `eigenvalues` (ascending, all M), `trace`,
 * `negative_fraction`; and `timings` (seconds: assembly.<matrix>, eigensolve.<matrix>, total).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, Option } from 'commander';
import { analyzeNetwork } from '../../engine/analysis';
import { MATRIX_NAMES, MatrixName } from '../../engine/curvature';
import { DistributedOptions, splitArgs } from '../../engine/distributed';
import { writeJsonAtomic } from '../../io/atomic';
import { InputError } from '../../util/errors';
import { NetworkInputFlags, readNetworkCase } from '../inputs';
import { progressBar } from '../progress';
import { onInterrupt } from '../signals';

interface AnalyzeFlags extends NetworkInputFlags {
  out: string;
  dtype: 'float64' | 'float32';
  matrices: string;
  saveMatrices?: boolean;
  threads?: string;
  ranks?: string;
  hostfile?: string;
  mpirun?: string;
}

export function parseMatrixList(list: string): MatrixName[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InputError('--matrices must name at least one of ' + MATRIX_NAMES.join(', '));
  for (const n of names) {
    if (!(MATRIX_NAMES as readonly string[]).includes(n)) throw new InputError(`--matrices: unknown matrix "${n}" (choose from ${MATRIX_NAMES.join(', ')})`);
  }
  return [...new Set(names)] as MatrixName[];
}


async function run(flags: AnalyzeFlags): Promise<void> {
  const distributed = distributedFlags(flags);
  const input = readNetworkCase(flags);
  const matrices = parseMatrixList(flags.matrices);
  if (flags.threads !== undefined) {
    const t = Number(flags.threads);
    if (!Number.isInteger(t) || t < 1) throw new InputError(`--threads must be a positive integer; received "${flags.threads}"`);
    const { setThreads } = await import('../../engine/curvature');
    setThreads(t);
  }
  for (const key of input.ignoredKeys) process.stderr.write(`hessian-lab: note: ignoring unknown case key "${key}"\n`);
  fs.mkdirSync(flags.out, { recursive: true });
  const matrixDir = flags.saveMatrices ? path.join(flags.out, 'matrices') : undefined;
  if (matrixDir) fs.mkdirSync(matrixDir, { recursive: true });
  const bar = progressBar('analyze');
  const controller = new AbortController();
  const release = onInterrupt(() => controller.abort());
  try {
    const a = await analyzeNetwork(input.model, input.params, input.data, {
      matrices,
      dtype: flags.dtype,
      saveMatricesDir: matrixDir,
      signal: controller.signal,
      onProgress: (stage, f) => bar.update(stage, f),
      ...(distributed ? { distributed: { ...distributed, onNote: (line: string) => process.stderr.write(`hessian-lab: ${line}\n`) } } : {}),
    });
    bar.stop();
    const out: Record<string, unknown> = {
      format: 'hessian-lab/analysis@1',
      model: input.model,
      parameters: a.parameters,
      samples: a.samples,
      dtype: a.dtype,
      loss: a.loss,
      gradient_norm: a.gradient_norm,
    };
    for (const name of matrices) {
      const m = a.matrices[name]!;
      const s = m.summary;
      out[name] = {
        eigenvalues: m.eigenvalues,
        trace: m.trace,
        negative_fraction: m.negative_fraction,
        min: s.min,
        max: s.max,
        negative_count: s.negativeCount,
        fraction_abs_below: s.fractionAbsBelow,
        outliers_largest_gap: s.outliers.largestGap.count,
        driver: m.driver,
      };
    }
    out.timings = a.timings;
    if (a.distributed) out.distributed = a.distributed;
    writeJsonAtomic(path.join(flags.out, 'analysis.json'), out);
    process.stderr.write(`hessian-lab: wrote ${path.join(flags.out, 'analysis.json')} (M = ${a.parameters}, ${a.timings.total.toFixed(2)} s)\n`);
  } finally {
    bar.stop();
    release();
  }
}

/** --ranks K [--hostfile F] [--mpirun 'extra args'] (with --threads as threads per rank), or undefined. */
function distributedFlags(flags: AnalyzeFlags): DistributedOptions | undefined {
  if (flags.ranks === undefined) {
    if (flags.hostfile !== undefined || flags.mpirun !== undefined) throw new InputError('--hostfile and --mpirun need --ranks K');
    return undefined;
  }
  const ranks = Number(flags.ranks);
  if (!Number.isInteger(ranks) || ranks < 1) throw new InputError(`--ranks must be a positive integer; received "${flags.ranks}"`);
  if (flags.hostfile !== undefined && !fs.existsSync(flags.hostfile)) throw new InputError(`--hostfile ${flags.hostfile}: no such file`);
  return {
    ranks,
    ...(flags.hostfile !== undefined ? { hostfile: flags.hostfile } : {}),
    ...(flags.mpirun !== undefined ? { mpirunArgs: splitArgs(flags.mpirun) } : {}),
    ...(flags.threads !== undefined ? { threadsPerRank: Number(flags.threads) } : {}),
  };
}

export function register(program: Command): void {
  program
    .command('analyze')
    .description('exact spectra of the Hessian, Gauss-Newton, residual and gradient covariance of one network on one dataset')
    .option('--case <file>', 'case JSON {layers, activation, loss, bias?, params, X, y} or {model, params, X, y}')
    .option('--checkpoint <dir>', 'a training checkpoint directory (model, params and data spec)')
    .option('--model <file>', 'model JSON: an MLP {layers, activation, loss, bias?} or {input_shape, layers, loss} (with --params, --inputs, --labels)')
    .option('--params <file>', 'parameters .npy (M, PyTorch parameters_to_vector order)')
    .option('--inputs <file>', 'inputs .npy (N x d0: layers[0], or C*H*W of input_shape; or N x C x H x W)')
    .option('--labels <file>', 'labels .npy (N class indices)')
    .requiredOption('--out <dir>', 'output directory (analysis.json goes there)')
    .addOption(new Option('--dtype <dtype>', 'matrix precision').choices(['float64', 'float32']).default('float64'))
    .option('--matrices <list>', `comma-separated subset of ${MATRIX_NAMES.join(',')}`, MATRIX_NAMES.join(','))
    .option('--save-matrices', 'also write DIR/matrices/<matrix>.npy and eigenvalues_<matrix>.npy')
    .option('--threads <n>', 'threads for OpenBLAS and the native loops (default: all cores; with --ranks: per rank, default 1)')
    .option('--ranks <k>', 'assemble and solve over K MPI ranks with ScaLAPACK (needs mpirun and the MPI driver; see README)')
    .option('--hostfile <file>', 'with --ranks: mpirun hostfile (hosts with slots=); default: all ranks on this machine')
    .option('--mpirun <args>', "with --ranks: extra mpirun arguments, e.g. '--mca btl tcp,self'")
    .action(run);
}
