/**
 * `hessian-lab analyze`: the exact spectra of H, G, R and C for one network and dataset.
 * Contract (relied on by other tools): writes DIR/analysis.json with `parameters`, `loss`,
 * `gradient_norm`, and for each matrix `eigenvalues` (ascending, all M), `trace`,
 * `negative_fraction`, `route` (dense | factor), `r` (the order of the matrix that was eigensolved:
 * M when dense, the factor route's rank bound otherwise) and `reason` (why that route); and `timings`
 * (seconds: assembly.<matrix> (the factor route's build), eigensolve.<matrix>, total).
 * negative_fraction counts lambda < -zero_tolerance (M * epsilon * max|lambda| unless --zero-tol
 * gives it; zero_tolerance_rule says which), and raw_negative_count / raw_negative_fraction
 * count lambda < 0 beside it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, Option } from 'commander';
import { analyzeNetwork } from '../../engine/analysis';
import { MATRIX_NAMES, MatrixName } from '../../engine/curvature';
import { DistributedOptions, splitArgs } from '../../engine/distributed';
import { Route, ROUTES } from '../../engine/route';
import { ensureWritableDirectory, writeJsonAtomic } from '../../io/atomic';
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
  zeroTol?: string;
  route: Route;
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
  let zeroTolerance: number | undefined;
  if (flags.zeroTol !== undefined) {
    zeroTolerance = Number(flags.zeroTol);
    if (flags.zeroTol.trim() === '' || !Number.isFinite(zeroTolerance) || zeroTolerance < 0) throw new InputError(`--zero-tol must be a number >= 0; received "${flags.zeroTol}"`);
  }
  if (flags.threads !== undefined) {
    const t = Number(flags.threads);
    if (!Number.isInteger(t) || t < 1) throw new InputError(`--threads must be a positive integer; received "${flags.threads}"`);
    const { setThreads } = await import('../../engine/curvature');
    setThreads(t);
  }
  for (const key of input.ignoredKeys) process.stderr.write(`hessian-lab: note: ignoring unknown case key "${key}"\n`);
  if (flags.onnx !== undefined) process.stderr.write(`hessian-lab: note: ${flags.onnx}: loss ${input.model.loss} (the file does not hold one; --loss to change it)\n`);
  ensureWritableDirectory(flags.out, `--out ${flags.out}`);
  const matrixDir = flags.saveMatrices ? path.join(flags.out, 'matrices') : undefined;
  if (matrixDir) ensureWritableDirectory(matrixDir, `--out ${flags.out}`);
  const bar = progressBar('analyze');
  const controller = new AbortController();
  const release = onInterrupt(() => controller.abort());
  try {
    const a = await analyzeNetwork(input.model, input.params, input.data, {
      matrices,
      dtype: flags.dtype,
      saveMatricesDir: matrixDir,
      summary: zeroTolerance === undefined ? undefined : { zeroTolerance },
      route: flags.route,
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
        zero_count: s.zeroCount,
        zero_tolerance: s.zeroTolerance,
        zero_tolerance_rule: s.zeroToleranceRule,
        raw_negative_count: s.rawNegativeCount,
        raw_negative_fraction: s.rawNegativeFraction,
        fraction_abs_below: s.fractionAbsBelow,
        outliers_largest_gap: s.outliers.largestGap.count,
        driver: m.driver,
        route: m.route,
        r: m.rank,
        reason: m.reason,
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
    .option('--onnx <file>', 'an ONNX export of a PyTorch nn.Sequential (Linear, Conv2d, ReLU, Tanh, Sigmoid, MaxPool2d, Flatten): model and weights, with --inputs and --labels')
    .option('--loss <loss>', 'with --onnx: the training loss, cross_entropy (default) | mse | logistic')
    .requiredOption('--out <dir>', 'output directory (analysis.json goes there)')
    .addOption(new Option('--dtype <dtype>', 'matrix precision').choices(['float64', 'float32']).default('float64'))
    .option('--matrices <list>', `comma-separated subset of ${MATRIX_NAMES.join(',')}`, MATRIX_NAMES.join(','))
    .option('--save-matrices', 'also write DIR/matrices/<matrix>.npy and eigenvalues_<matrix>.npy')
    .option('--zero-tol <x>', 'eigenvalues with |lambda| <= x count as zero, not negative (default M * epsilon * max|lambda|)')
    .addOption(new Option('--route <route>', 'dense (assemble M x M), factor (through the factors: rank r << M; piecewise-linear nets for hessian/residual), or auto: the cheaper that fits').choices([...ROUTES]).default('auto'))
    .option('--threads <n>', 'threads for OpenBLAS and the native loops (default: all cores; with --ranks: per rank, default 1)')
    .option('--ranks <k>', 'assemble and solve over K MPI ranks with ScaLAPACK (needs mpirun and the MPI driver; see README)')
    .option('--hostfile <file>', 'with --ranks: mpirun hostfile (hosts with slots=); default: all ranks on this machine')
    .option('--mpirun <args>', "with --ranks: extra mpirun arguments, e.g. '--mca btl tcp,self'")
    .action(run);
}
