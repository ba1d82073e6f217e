/**
 * `hessian-lab train --config run.json --out DIR [--resume]`: one training run, checkpointed
 * into DIR (checkpoint.json, params-STEP.npy, momentum-STEP.npy, metrics.jsonl; see src/train/checkpoint.ts).
 * The run.json schema is in src/train/config.ts. `--resume` continues from DIR's checkpoint
 * (with --config, the config must describe the same run; without it, DIR's config is used).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { ensureWritableDirectory } from '../../io/atomic';
import { InputError } from '../../util/errors';
import { loadCheckpoint } from '../../train/checkpoint';
import { readConfigFile, ResolvedConfig, totalSteps } from '../../train/config';
import { DivergenceError, train } from '../../train/train';
import { progressBar } from '../progress';
import { onInterrupt } from '../signals';
import { configFromFlags, hasConfigFlags, TrainConfigFlags } from '../trainFlags';

interface TrainFlags extends TrainConfigFlags {
  config?: string;
  out: string;
  resume?: boolean;
  threads?: string;
}

export function parseThreads(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = Number(text);
  if (!Number.isInteger(t) || t < 1 || t > 4096) throw new InputError(`--threads must be an integer in [1, 4096]; received "${text}"`);
  return t;
}

function configFor(flags: TrainFlags): ResolvedConfig {
  if (hasConfigFlags(flags)) {
    if (flags.config !== undefined) throw new InputError('give either --config FILE or the run flags (--layers or --model, --data, --steps, --lr, ...), not both');
    return configFromFlags(flags);
  }
  if (flags.config !== undefined) {
    if (!fs.existsSync(flags.config)) throw new InputError(`--config ${flags.config}: no such file`);
    return readConfigFile(flags.config);
  }
  if (!flags.resume) throw new InputError('give --config FILE, or run flags (--layers or --model, --data, --steps, --lr), or --resume to continue the run in --out');
  return loadCheckpoint(flags.out).config;
}

async function run(flags: TrainFlags): Promise<void> {
  const config = configFor(flags);
  const threads = parseThreads(flags.threads);
  if (!flags.resume && fs.existsSync(path.join(flags.out, 'checkpoint.json')))
    throw new InputError(`--out ${flags.out} already holds a checkpoint; pass --resume to continue it or choose another directory`);
  ensureWritableDirectory(flags.out, `--out ${flags.out}`); // before training, not at the first checkpoint
  const bar = progressBar('train');
  const controller = new AbortController();
  const release = onInterrupt(() => controller.abort());
  try {
    const r = await train(config, {
      out: flags.out,
      resume: !!flags.resume,
      threads,
      signal: controller.signal,
      onProgress: (stage, f) => bar.update(stage, f),
    });
    bar.stop();
    const last = r.metrics[r.metrics.length - 1];
    const why = r.stopped === 'gradNorm' ? `gradient norm <= ${config.stop.gradNorm}` : `all ${totalSteps(config.phases)} steps`;
    process.stderr.write(
      `hessian-lab: step ${r.step} (${why}): train loss ${last?.trainLoss.toPrecision(4)}, accuracy ${last?.trainAccuracy.toFixed(4)}, ` +
        `|grad| ${last?.gradNorm.toExponential(2)}; checkpoint in ${flags.out}\n`,
    );
  } catch (err) {
    // A diverging run is the user's to fix (a smaller learning rate): one line, exit code 2.
    if (err instanceof DivergenceError) throw new InputError(err.message);
    throw err;
  } finally {
    bar.stop();
    release();
  }
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train a model (MLP or convnet) per a run.json or flags (model, data, init, seed, phases, recordEvery, checkpointEvery, stop) into a checkpoint directory')
    .option('--config <file>', 'run.json (schema: src/train/config.ts)')
    .requiredOption('--out <dir>', 'checkpoint directory: checkpoint.json, params-STEP.npy, momentum-STEP.npy, metrics.jsonl')
    .option('--resume', 'continue from the checkpoint in --out')
    .option('--model <file>', 'without --config: a model JSON (an MLP or a sequential model / convnet), instead of --layers')
    .option('--layers <sizes>', 'without --config: layer sizes, e.g. 2,10,10,2')
    .option('--activation <name>', 'relu | tanh | sigmoid | linear (default relu)')
    .option('--loss <name>', 'cross_entropy | mse | logistic (default cross_entropy)')
    .option('--no-bias', 'layers without biases')
    .option('--data <spec>', 'dataset spec: kind:key=value,... (e.g. two_blobs:N=200,std=0.2,seed=1) or JSON')
    .option('--init <scheme>', 'pytorch | glorot | he | sphere:RADIUS (default pytorch)')
    .option('--seed <n>', 'seed of the init and the batch order (default 0)')
    .option('--steps <n>', 'iterations (one phase)')
    .option('--lr <x>', 'learning rate')
    .option('--batch-size <b>', 'SGD mini-batch size (default: full-batch GD)')
    .option('--momentum <mu>', 'momentum (PyTorch convention, default 0)')
    .option('--record-every <k>', 'steps between metric records (default 100)')
    .option('--checkpoint-every <k>', 'steps between checkpoints (default 1000)')
    .option('--stop-grad-norm <g>', 'stop when the full-batch gradient norm is <= g')
    .option('--threads <n>', 'threads for OpenBLAS (default: all cores)')
    .action(async (flags: TrainFlags) => run(flags));
}
