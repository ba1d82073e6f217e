/**
 * `hessian-lab reproduce [--preset quick|paper] [--only E1,E2,…] [--out DIR] [--resume]`: runs the
 * Sagun et al. experiments (src/reproduce) and writes DIR/<id>/results.json, spectra (.npy),
 * figures (.svg), DIR/verdicts.json and DIR/report.html. Two progress bars: the experiment and
 * its current stage. Ctrl-C stops at the next block, leaves only whole files, and exits 130;
 * `--resume` then continues where it stopped.
 */
import { Command } from 'commander';
import { InputError } from '../../util/errors';
import { VERDICT_LABELS, VERDICTS } from '../../reproduce/claims';
import { PUBLIC_PRESETS, TINY } from '../../reproduce/presets';
import { REGISTRY } from '../../reproduce/registry';
import { runReproduce, selectExperiments } from '../../reproduce/run';
import type { Preset } from '../../reproduce/types';
import { EXPERIMENT_IDS } from '../../reproduce/types';
import { multiProgress } from '../progress';
import { onInterrupt } from '../signals';

interface ReproduceFlags {
  preset: string;
  only?: string;
  out: string;
  resume?: boolean;
}

/** The preset; HESSIAN_LAB_REPRODUCE_TINY=1 swaps in the test-only tiny sizes (end-to-end CLI tests). */
export function parsePreset(text: string): Preset {
  if (!(PUBLIC_PRESETS as readonly string[]).includes(text)) throw new InputError(`--preset must be one of ${PUBLIC_PRESETS.join(', ')}; received "${text}"`);
  return process.env.HESSIAN_LAB_REPRODUCE_TINY === '1' ? TINY : (text as Preset);
}

async function run(flags: ReproduceFlags): Promise<void> {
  const preset = parsePreset(flags.preset);
  const only = flags.only === undefined ? undefined : flags.only.split(',');
  const { run: selected, unavailable } = selectExperiments(only, REGISTRY); // validate before any work
  if (unavailable.length) process.stderr.write(`hessian-lab: not available yet, skipped: ${unavailable.join(', ')}\n`);
  if (selected.length === 0) throw new InputError(`nothing to run: ${unavailable.join(', ')} not available yet`);
  const bars = multiProgress();
  const overall = bars.bar('experiments');
  const step = bars.bar('  stage    ');
  const controller = new AbortController();
  const release = onInterrupt(() => controller.abort());
  try {
    const s = await runReproduce({
      preset,
      out: flags.out,
      only,
      resume: !!flags.resume,
      signal: controller.signal,
      command: `hessian-lab ${process.argv.slice(2).join(' ')}`,
      onExperiment: (id, i, n) => overall.update(`${id} (${i + 1}/${n})`, i / n),
      onProgress: (id, stage, f) => step.update(`${id}: ${stage}`, f),
    });
    overall.update('done', 1);
    bars.stop();
    const lines = s.outcomes.map((o) => `  ${o.id}: ${o.status}${o.seconds ? ` in ${o.seconds.toFixed(1)} s` : ''}${o.error ? ` (${o.error})` : ''}`);
    const tally = VERDICTS.map((v) => `${VERDICT_LABELS[v]} ${s.verdicts.filter((c) => c.verdict === v).length}`).join(', ');
    process.stderr.write(`${lines.join('\n')}\nhessian-lab: claims: ${tally}; report in ${s.report} (${s.wallSeconds.toFixed(1)} s)\n`);
  } finally {
    bars.stop();
    release();
  }
}

export function register(program: Command): void {
  program
    .command('reproduce')
    .description('run the Sagun et al. (2018, 2016) experiments and write results, figures and report.html')
    .option('--preset <name>', `${PUBLIC_PRESETS.join(' | ')}: quick runs everything in minutes at reduced sizes (stated in the report); paper uses the paper's sizes where they fit`, 'quick')
    .option('--only <ids>', `comma-separated experiment ids among ${EXPERIMENT_IDS.join(', ')}`)
    .option('--out <dir>', 'output folder', 'reproduce-out')
    .option('--resume', 'skip finished experiments and finished steps in --out')
    .addHelpText('after', `\nExperiments (S18: Sagun et al. 2018; S16: Sagun, Bottou, LeCun 2016):\n${REGISTRY.map((e) => `  ${e.title}`).join('\n')}`)
    .action(async (flags: ReproduceFlags) => run(flags));
}
