/**
 * Runs a script in a child Node process, so that a test survives what it provokes (SIGABRT,
 * SIGSEGV, a hang): the script may `require(SRC)` (the package's TypeScript sources, transpiled
 * on load) and `require(ADDON)` (the raw binding). Returns how the child ended.
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..', '..');
export const SRC = path.join(ROOT, 'src', 'index.ts');
export const ADDON = process.env.HESSIAN_LAB_ADDON ?? path.join(ROOT, 'build', 'Release', 'hessian_lab.node');
const REGISTER = path.join(__dirname, 'ts-register.js');

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function result(r: SpawnSyncReturns<string>): ChildResult {
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut };
}

/** `node -e script` with SRC and ADDON defined; killed (SIGKILL) after timeoutMs. */
export function runScript(script: string, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; args?: string[] } = {}): ChildResult {
  const prelude = `const SRC = ${JSON.stringify(SRC)}, ADDON = ${JSON.stringify(ADDON)};\n`;
  return result(spawnSync(process.execPath, ['-r', REGISTER, '-e', prelude + script, ...(options.args ?? [])], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60000,
    killSignal: 'SIGKILL',
    env: { ...process.env, ...options.env },
    cwd: ROOT,
  }));
}

/** The CLI (src/cli/main.ts) in a child process: `hessian-lab ...args`. */
export function runCliChild(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; preload?: string } = {}): ChildResult {
  const script = `require(${JSON.stringify(path.join(ROOT, 'src', 'cli', 'main.ts'))}).main(['node', 'hessian-lab', ...process.argv.slice(1)])` +
    `.then((code) => { process.exitCode = code; });`;
  const pre = options.preload ? ['-r', options.preload] : [];
  return result(spawnSync(process.execPath, ['-r', REGISTER, ...pre, '-e', script, ...args], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60000,
    killSignal: 'SIGKILL',
    env: { ...process.env, ...options.env },
    cwd: ROOT,
  }));
}
