/**
 * Exact spectra over MPI ranks: the launcher of the native driver `hessian_lab_mpi`
 * (native/mpi/, built by CMake when MPI and ScaLAPACK are installed).
 *
 * One job: write the inputs (model.json in the addon's raw form, params/X/y as .npy) to a temp
 * directory; ask the driver for its plan (`--plan`: grid, local sizes, bytes per rank, 32-bit
 * limits) and refuse before launch what cannot run or fit; spawn mpirun in its own process group
 * (--oversubscribe, --bind-to none, --allow-run-as-root when root); stream the driver's
 * `@progress` lines; read eigenvalues (and eigenvectors) and per-rank timings back.
 *
 * Failure policy: a driver error, a killed rank or mpirun's own failure ends the WHOLE process
 * group within seconds (a watchdog kills it if mpirun does not exit by itself) and rejects with a
 * DistributedJobError carrying one line. An AbortSignal does the same and rejects with AbortError
 * once no process of the group is left.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { packageRoot, ProgressCallback } from '../native/binding';
import { writeNpy } from '../io/npy';
import { AbortError, isAbortSignal, rangeError, requireInteger, typeError } from '../util/errors';
import { LabelledData, MATRIX_NAMES, MatrixName, validateModelInputs } from './curvature';
import { availableMemoryBytes, formatBytes } from './memory';
import { ModelSpec, parameterCount, toRawModel } from './model';

export interface DistributedOptions {
  /** MPI ranks (processes). */
  ranks: number;
  /** mpirun --hostfile (hosts with slots=); without it every rank runs on this machine. */
  hostfile?: string;
  /** Extra mpirun arguments, e.g. ['--mca', 'btl', 'tcp,self']. */
  mpirunArgs?: string[];
  /** OpenBLAS threads per rank (both BLAS copies; default 1). */
  threadsPerRank?: number;
  /** ScaLAPACK block size nb (default 64). */
  blockSize?: number;
  /** End the job (exit, kill the group) after this many seconds (default: none). */
  timeoutSeconds?: number;
  /** One-line notes (e.g. "running single-process because ..."). */
  onNote?: (message: string) => void;
}

/** What `hessian_lab_mpi --plan` prints (native/mpi/plan.h). */
export interface DistributedPlan {
  M: number;
  N: number;
  ranks: number;
  grid: [number, number];
  block: number;
  vectors: boolean;
  local_rows: number;
  local_cols: number;
  empty_rank: boolean;
  panel_width: number;
  panels: number;
  lwork: number;
  liwork: number;
  bytes: { data: number; matrix: number; assembly: number; solve: number; peak: number };
  min_ranks: number;
  refusal: string | null;
}

export interface DistributedRankInfo {
  rank: number;
  host: string;
  peak_rss_bytes: number;
  seconds: Record<string, { assembly: number; eigensolve: number; vectors_write: number }>;
}

export interface DistributedMatrixResult {
  /** All M eigenvalues, ascending. */
  eigenvalues: Float64Array;
  /** M x M column-major (eigenvector j at [j M, (j + 1) M)), when asked for. */
  eigenvectors?: Float64Array;
  driver: string;
  assemblySeconds: number;
  eigensolveSeconds: number;
}

export interface DistributedResult {
  plan: DistributedPlan;
  matrices: Partial<Record<MatrixName, DistributedMatrixResult>>;
  perRank: DistributedRankInfo[];
  seconds: number;
}

export interface DistributedSpectraOptions {
  matrices?: MatrixName[];
  vectors?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Called as each rank starts (its process id on its host): for monitoring. */
  onRank?: (rank: number, pid: number, host: string) => void;
}

/** A distributed job that failed (driver error, killed rank, mpirun failure): one line. */
export class DistributedJobError extends Error {
  readonly code = 'ERR_DISTRIBUTED_JOB';
  constructor(message: string) {
    super(message);
    this.name = 'DistributedJobError';
  }
}

const DRIVER_NAME = 'hessian_lab_mpi';
/** Seconds the group gets to exit after an error or abort before it is killed with SIGKILL. */
const GRACE_SECONDS = 3;

/** The driver executable: HESSIAN_LAB_MPI_DRIVER, else build/Release/hessian_lab_mpi. */
export function driverPath(): string {
  return process.env.HESSIAN_LAB_MPI_DRIVER ?? path.join(packageRoot(), 'build', 'Release', DRIVER_NAME);
}

function onPath(name: string): string | null {
  if (name.includes('/')) return fs.existsSync(name) ? name : null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/** mpirun: HESSIAN_LAB_MPIRUN, else `mpirun` on PATH. */
export function mpirunPath(): string | null {
  return onPath(process.env.HESSIAN_LAB_MPIRUN ?? 'mpirun');
}

/** Whether distributed runs can start here; `reason` says what is missing. */
export function distributedAvailability(): { available: boolean; reason?: string } {
  if (!mpirunPath()) return { available: false, reason: 'mpirun was not found on PATH (install openmpi-bin: ./setup.sh does)' };
  if (!fs.existsSync(driverPath()))
    return { available: false, reason: `the MPI driver ${driverPath()} was not built (install libopenmpi-dev libscalapack-openmpi-dev and run npm run build:native)` };
  return { available: true };
}

function checkOptions(d: DistributedOptions): void {
  if (typeof d !== 'object' || d === null) throw typeError('distributed', 'an object {ranks, hostfile?, mpirunArgs?}', d);
  requireInteger('distributed.ranks', d.ranks, 1, 1 << 22);
  if (d.hostfile !== undefined) {
    if (typeof d.hostfile !== 'string') throw typeError('distributed.hostfile', 'a file path', d.hostfile);
    if (!fs.existsSync(d.hostfile)) throw rangeError('distributed.hostfile', 'an existing file', d.hostfile);
  }
  if (d.mpirunArgs !== undefined && (!Array.isArray(d.mpirunArgs) || d.mpirunArgs.some((a) => typeof a !== 'string')))
    throw typeError('distributed.mpirunArgs', 'an array of strings', d.mpirunArgs);
  if (d.threadsPerRank !== undefined) requireInteger('distributed.threadsPerRank', d.threadsPerRank, 1, 4096);
  if (d.blockSize !== undefined) requireInteger('distributed.blockSize', d.blockSize, 1, 4096);
  if (d.timeoutSeconds !== undefined && !(typeof d.timeoutSeconds === 'number' && d.timeoutSeconds > 0))
    throw rangeError('distributed.timeoutSeconds', 'a positive number of seconds', d.timeoutSeconds);
  if (d.onNote !== undefined && typeof d.onNote !== 'function') throw typeError('distributed.onNote', 'a function', d.onNote);
}

function writeInputs(dir: string, model: ModelSpec, params: Float64Array, data: LabelledData): void {
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(toRawModel(model)));
  writeNpy(path.join(dir, 'params.npy'), params, [params.length]);
  writeNpy(path.join(dir, 'X.npy'), data.X, [data.y.length, data.X.length / data.y.length]);
  writeNpy(path.join(dir, 'y.npy'), data.y, [data.y.length]);
}

function planArgs(inputDir: string, d: DistributedOptions, matrices: MatrixName[], vectors: boolean): string[] {
  return ['--input', inputDir, '--matrices', matrices.join(','), '--block', String(d.blockSize ?? 64), ...(vectors ? ['--vectors'] : [])];
}

/** The driver's plan for these inputs (no MPI involved). */
function readPlan(inputDir: string, d: DistributedOptions, matrices: MatrixName[], vectors: boolean): DistributedPlan {
  try {
    const text = execFileSync(driverPath(), ['--plan', '--ranks', String(d.ranks), ...planArgs(inputDir, d, matrices, vectors)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(text) as DistributedPlan;
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n')[0];
    throw new DistributedJobError(`the MPI driver refused the inputs: ${stderr}`);
  }
}

/**
 * Checks the plan before launch: ScaLAPACK's 32-bit limits (RangeError naming the minimum rank
 * count) and memory (all ranks on this machine without a hostfile; per rank otherwise).
 */
export function checkPlan(plan: DistributedPlan, d: DistributedOptions): void {
  if (plan.refusal) throw new RangeError(`distributed.ranks: ${plan.refusal}`);
  const local = d.hostfile === undefined;
  const need = local ? plan.bytes.peak * plan.ranks : plan.bytes.peak;
  const available = availableMemoryBytes();
  if (local && need > 0.9 * available) {
    throw new RangeError(
      `distributed.ranks: ${plan.ranks} ranks on this machine need about ${formatBytes(plan.bytes.peak)} each ` +
        `(${formatBytes(need)} in all) for M = ${plan.M}, but only ${formatBytes(available)} is available; use a hostfile with more machines`,
    );
  }
}

/** Splits an mpirun argument string the way a shell would for simple quoting ('...' and "..."). */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function mpirunCommand(d: DistributedOptions, driverArgs: string[]): string[] {
  const threads = String(d.threadsPerRank ?? 1);
  const args = ['--oversubscribe', '--bind-to', 'none', '-n', String(d.ranks)];
  if (typeof process.getuid === 'function' && process.getuid() === 0) args.unshift('--allow-run-as-root');
  // All ranks on this machine: ranks waiting in MPI yield the core instead of spinning. On a
  // shared or oversubscribed box spinning ranks starve the ones doing the work (measured: pdsyev
  // at M = 325 on 2 ranks took 17 s spinning, 1.3 s yielding, under load).
  if (d.hostfile) args.push('--hostfile', d.hostfile);
  else args.push('--mca', 'mpi_yield_when_idle', '1');
  args.push('-x', `OPENBLAS_NUM_THREADS=${threads}`, '-x', `OMP_NUM_THREADS=${threads}`);
  args.push(...(d.mpirunArgs ?? []), driverPath(), ...driverArgs, '--threads', threads);
  return args;
}

/**
 * Processes of the session `sid` (Linux /proc). mpirun runs as a session leader (spawned detached)
 * and OpenMPI puts each local rank in a process group of its own, so the session, not the group,
 * is what holds every local process of the job.
 */
export function sessionProcesses(sid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[3]) === sid && fields[0] !== 'Z') out.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Sends `signal` to mpirun's whole session (every local rank included). */
function killSession(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  for (const pid of [child.pid, ...sessionProcesses(child.pid)]) {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

/** One line out of mpirun's stderr: the driver's own error first, then OpenMPI's notice. */
function failureLine(stderr: string, code: number | null, signal: NodeJS.Signals | null): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const driver = lines.find((l) => l.startsWith('hessian-lab-mpi: error:'));
  if (driver) return driver.replace(/^hessian-lab-mpi: error: /, 'MPI job failed: ');
  const noticed = lines.find((l) => /exited on signal|was killed|noticed that process rank/i.test(l));
  if (noticed) return `MPI job failed: ${noticed.replace(/^.*?(process rank)/, '$1')}`;
  const first = lines.find((l) => !/^-+$/.test(l) && !l.startsWith('*'));
  return `MPI job failed (mpirun exit ${code ?? signal}): ${first ?? 'no message'}`;
}


/** Runs mpirun in its own process group; resolves when it exits with 0. */
function launch(d: DistributedOptions, driverArgs: string[], signal: AbortSignal | undefined, onLine: (line: string) => void): Promise<void> {
  const mpirun = mpirunPath();
  if (!mpirun) throw new DistributedJobError('mpirun was not found on PATH');
  return new Promise((resolve, reject) => {
    const child = spawn(mpirun, mpirunCommand(d, driverArgs), { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
    let stderr = '';
    let outBuf = '';
    let failure: string | null = null;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    let timeout: NodeJS.Timeout | undefined;
    // Ends the whole job: SIGTERM to mpirun (it forwards it to every rank, remote ones too) and
    // the local ranks now, SIGKILL to whatever of the session is left after the grace.
    const endGroup = () => {
      if (killTimer) return;
      killSession(child, 'SIGTERM');
      killTimer = setTimeout(() => killSession(child, 'SIGKILL'), GRACE_SECONDS * 1000);
    };
    const onAbort = () => {
      aborted = true;
      endGroup();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (d.timeoutSeconds !== undefined) {
      timeout = setTimeout(() => {
        failure ??= `MPI job failed: no result after ${d.timeoutSeconds} s (timeout); the job was ended`;
        endGroup();
      }, d.timeoutSeconds * 1000);
    }
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      outBuf += chunk;
      let nl: number;
      while ((nl = outBuf.indexOf('\n')) >= 0) {
        const line = outBuf.slice(0, nl).trim();
        outBuf = outBuf.slice(nl + 1);
        onLine(line);
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
      // Watchdog: once a rank has failed, the rest must not linger in a collective.
      if (!killTimer && /hessian-lab-mpi: error:|exited on signal|noticed that process rank/.test(stderr)) {
        failure ??= failureLine(stderr, null, null);
        setTimeout(endGroup, GRACE_SECONDS * 1000).unref();
      }
    });
    child.on('error', (err) => reject(new DistributedJobError(`could not start mpirun: ${err.message}`)));
    child.on('exit', (code, sig) => {
      // Whatever mpirun did, no local rank of ours may outlive it.
      if (child.pid !== undefined) for (const pid of sessionProcesses(child.pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      clearTimeout(killTimer);
      clearTimeout(timeout);
      signal?.removeEventListener('abort', onAbort);
      if (aborted) return reject(new AbortError());
      if (code === 0 && failure === null) return resolve();
      reject(new DistributedJobError(failure ?? failureLine(stderr, code, sig)));
    });
  });
}

/** M x M column-major float64 from the driver's Fortran-order .npy. */
function readFortranNpy(file: string, M: number): Float64Array {
  const bytes = fs.readFileSync(file);
  const headerLength = bytes.readUInt16LE(8);
  const offset = 10 + headerLength;
  const out = new Float64Array(M * M);
  new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + 8 * M * M));
  return out;
}

function readValues(file: string): Float64Array {
  const bytes = fs.readFileSync(file);
  const offset = 10 + bytes.readUInt16LE(8);
  const out = new Float64Array((bytes.length - offset) / 8);
  new Uint8Array(out.buffer).set(bytes.subarray(offset));
  return out;
}

/**
 * The exact spectra of the requested matrices over `distributed.ranks` MPI ranks. Throws
 * RangeError (before launch) when the plan exceeds ScaLAPACK's 32-bit limits or this machine's
 * memory, DistributedJobError when the job fails, AbortError when `signal` aborts it.
 */
export async function distributedSpectra(model: ModelSpec, params: Float64Array, data: LabelledData, distributed: DistributedOptions,
  options: DistributedSpectraOptions = {}): Promise<DistributedResult> {
  const start = process.hrtime.bigint();
  validateModelInputs(model, params, data);
  checkOptions(distributed);
  if (options.signal !== undefined && !isAbortSignal(options.signal)) throw typeError('signal', 'an AbortSignal', options.signal);
  if (options.signal?.aborted) throw new AbortError();
  const matrices = options.matrices ?? (['hessian', 'ggn', 'residual', 'gradient_covariance'] as MatrixName[]);
  matrices.forEach((m, i) => { if (!(MATRIX_NAMES as readonly string[]).includes(m)) throw rangeError(`matrices[${i}]`, MATRIX_NAMES.join(' | '), m); });
  const available = distributedAvailability();
  if (!available.available) throw new DistributedJobError(`distributed runs are not available: ${available.reason}`);
  const vectors = !!options.vectors;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hessian-lab-mpi-'));
  try {
    const inputDir = path.join(dir, 'in'), outDir = path.join(dir, 'out');
    fs.mkdirSync(inputDir);
    fs.mkdirSync(outDir);
    writeInputs(inputDir, model, params, data);
    const plan = readPlan(inputDir, distributed, matrices, vectors);
    checkPlan(plan, distributed);
    if (plan.empty_rank) throw new RangeError(`distributed.ranks: M = ${plan.M} in blocks of ${plan.block} leaves a rank of the ${plan.grid[0]} x ${plan.grid[1]} grid without data`);
    const stageCount = matrices.length;
    await launch(distributed, [...planArgs(inputDir, distributed, matrices, vectors), '--out', outDir], options.signal, (line) => {
      const r = /^@rank (\d+) (\d+) (\S+)/.exec(line);
      if (r) options.onRank?.(Number(r[1]), Number(r[2]), r[3]);
      const p = /^@progress (\S+) (\S+) ([0-9.]+)$/.exec(line);
      if (!p || !options.onProgress) return;
      const i = matrices.indexOf(p[1] as MatrixName);
      const f = Number(p[3]) * 0.5 + (p[2] === 'eigensolve' ? 0.5 : 0);
      options.onProgress(`${p[1]}: ${p[2]}`, (Math.max(i, 0) + f) / stageCount);
    });
    const result = JSON.parse(fs.readFileSync(path.join(outDir, 'result.json'), 'utf8')) as {
      matrices: Record<string, { driver: string; assembly_seconds: number; eigensolve_seconds: number }>;
      per_rank: DistributedRankInfo[];
    };
    const out: DistributedResult = { plan, matrices: {}, perRank: result.per_rank, seconds: 0 };
    const M = parameterCount(model);
    for (const name of matrices) {
      const r = result.matrices[name];
      out.matrices[name] = {
        eigenvalues: readValues(path.join(outDir, `eigenvalues_${name}.npy`)),
        ...(vectors ? { eigenvectors: readFortranNpy(path.join(outDir, `eigenvectors_${name}.npy`), M) } : {}),
        driver: r.driver,
        assemblySeconds: r.assembly_seconds,
        eigensolveSeconds: r.eigensolve_seconds,
      };
    }
    out.seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The plan alone (grid, local sizes, bytes per rank, refusal), for these inputs and rank count:
 * what `distributedSpectra` checks before launch.
 */
export function distributedPlan(model: ModelSpec, params: Float64Array, data: LabelledData, distributed: DistributedOptions,
  options: { matrices?: MatrixName[]; vectors?: boolean } = {}): DistributedPlan {
  validateModelInputs(model, params, data);
  checkOptions(distributed);
  if (!fs.existsSync(driverPath())) throw new DistributedJobError(`the MPI driver ${driverPath()} was not built`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hessian-lab-plan-'));
  try {
    writeInputs(dir, model, params, data);
    return readPlan(dir, distributed, options.matrices ?? ['hessian'], !!options.vectors);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
