/**
 * The `hessian-lab` command line. Each command lives in src/cli/commands/<name>.ts and exports
 * `register(program)`; this file wires them and owns the one error policy of the CLI: a user's
 * mistake (bad flag, bad file, bad value) prints one line on stderr and exits with code 2, never
 * a stack trace; an interrupted run exits 130; anything else is a bug and prints its stack.
 */
import { Command, CommanderError } from 'commander';
import { PATH_ERROR_CODES, pathErrorText } from '../io/atomic';
import { AbortError, InputError } from '../util/errors';
import { ADDON_LOAD_ERROR } from '../native/binding';
import * as analyze from './commands/analyze';
import * as train from './commands/train';
import * as interpolate from './commands/interpolate';
import * as compare from './commands/compare';
import * as reproduce from './commands/reproduce';

export const COMMANDS: { register(program: Command): void }[] = [analyze, train, interpolate];
COMMANDS.push(compare);
COMMANDS.push(reproduce);

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('hessian-lab')
    .description('Exact Hessians of neural-network training losses, their spectra, and the Sagun et al. (2018) experiments.')
    .version(require('../../package.json').version)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError(false);
  for (const c of COMMANDS) c.register(program);
  return program;
}

/** Errors that are the user's to fix: one line, exit code 2 (a file-system error is about a path the user gave). */
export function isUserError(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return err instanceof InputError || err instanceof TypeError || err instanceof RangeError || code === 'ENOENT' || code === ADDON_LOAD_ERROR || code === 'ERR_DISTRIBUTED_JOB' || isPathError(err);
}

function isPathError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return typeof e?.code === 'string' && typeof e?.syscall === 'string' && PATH_ERROR_CODES.includes(e.code);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2; // commander already printed its message
    if (err instanceof AbortError) {
      process.stderr.write('hessian-lab: interrupted\n');
      return 130;
    }
    if (isUserError(err)) {
      const text = isPathError(err) ? pathErrorText(err) : (err as Error).message.split('\n')[0];
      process.stderr.write(`hessian-lab: ${text}\n`);
      return 2;
    }
    process.stderr.write(`hessian-lab: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}
