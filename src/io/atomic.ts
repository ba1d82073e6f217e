/**
 * Crash-safe file writes. A checkpoint or result file must never be seen half-written: a reader
 * (or a resumed run after a crash) sees either the old content or the new one. The recipe is the
 * classic one: write a temp file in the *same* directory (rename is only atomic within a file
 * system), fsync it, rename it over the target, then fsync the directory so the rename itself
 * survives a power loss.
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { InputError, typeError } from '../util/errors';

/** Atomically replaces `file` with `data`, creating parent directories as needed. */
export function writeFileAtomic(file: string, data: string | Buffer | Uint8Array): void {
  if (typeof file !== 'string' || file === '') throw typeError('file', 'a non-empty path string', file);
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw typeError('data', 'a string, Buffer or Uint8Array', data);
  }
  const dir = path.dirname(path.resolve(file));
  ensureDirectory(dir);
  // pid + random bytes: concurrent writers (threads, processes) never share a temp name.
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(temp, 'wx');
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(temp, file);
  } catch (err) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw err;
  }
  syncDirectory(dir);
}

/** File-system error codes that mean "this path is unusable" (the user's to fix), not a bug. */
export const PATH_ERROR_CODES = ['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES', 'EPERM', 'EEXIST', 'EROFS', 'ENOSPC', 'EDQUOT',
  'ENAMETOOLONG', 'ELOOP', 'EBUSY', 'ETXTBSY', 'EMFILE', 'ENFILE', 'EIO', 'EINVAL', 'ENXIO', 'ENODEV'];

/** One line for a file-system error: "<path>: <what>" with the path the error is about. */
export function pathErrorText(err: unknown, fallbackPath?: string): string {
  const e = err as NodeJS.ErrnoException;
  const where = e?.path ?? fallbackPath;
  const what: Record<string, string> = {
    ENOENT: 'no such file or directory', EISDIR: 'is a directory, not a file', ENOTDIR: 'a component of the path is not a directory',
    EACCES: 'permission denied', EPERM: 'operation not permitted', EEXIST: 'already exists', EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
  };
  const text = (e?.code && what[e.code]) ?? String(e?.message ?? err).split('\n')[0];
  return where ? `${where}: ${text}` : text;
}

/**
 * Creates `dir` and its missing parents one level at a time, after checking the location: the
 * nearest existing ancestor must be a directory, and each mkdir is a plain one. (Node's recursive
 * mkdir never returns under /proc/self, whose entries exist and refuse children; a plain mkdir
 * fails at once.) Failures are InputErrors naming the path, e.g. "/dev/null/sub: /dev/null is not
 * a directory"; `label` prefixes them (e.g. "--out DIR").
 */
export function ensureDirectory(dir: string, label?: string): void {
  if (typeof dir !== 'string' || dir === '') throw typeError('dir', 'a non-empty path string', dir);
  const prefix = label ? `${label}: ` : '';
  if (dir.includes('\0')) throw new InputError(`${prefix}${JSON.stringify(dir)} contains a NUL byte`);
  const missing: string[] = [];
  let cur = path.resolve(dir);
  for (;;) {
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(cur);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new InputError(prefix + pathErrorText(err, cur));
    }
    if (st) {
      if (!st.isDirectory()) throw new InputError(`${prefix}${cur} exists and is not a directory`);
      break;
    }
    missing.push(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      throw new InputError(`${prefix}cannot create ${pathErrorText(err, d)}`);
    }
  }
}

/** ensureDirectory, then a probe that the directory takes new files (an output location). */
export function ensureWritableDirectory(dir: string, label?: string): void {
  ensureDirectory(dir, label);
  const probe = path.join(path.resolve(dir), `.hessian-lab-probe.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    fs.closeSync(fs.openSync(probe, 'wx'));
    fs.rmSync(probe, { force: true });
  } catch (err) {
    throw new InputError(`${label ? `${label}: ` : ''}cannot write in ${pathErrorText(err, dir)}`);
  }
}

/** Best effort: some platforms (Windows) and file systems cannot open or fsync a directory. */
function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // The file content is already durable; only the rename's durability is weaker here.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * Serialises to pretty JSON (2-space indent, trailing newline). NaN and ±Infinity become null,
 * typed arrays become plain arrays (JSON.stringify would otherwise write them as {"0": ...}
 * objects). Values JSON cannot represent at all (bigint, a top-level undefined or function,
 * cycles) throw instead of producing a file that is silently wrong.
 */
export function toJson(value: unknown): string {
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return null;
      if (typeof v === 'bigint') throw typeError('JSON value', 'JSON-representable (no bigint)', v);
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
      return v;
    },
    2,
  ) as string | undefined;
  if (text === undefined) throw typeError('JSON value', 'JSON-representable', value);
  return text + '\n';
}

/** Atomically writes `obj` as pretty JSON; see toJson for the conversions. */
export function writeJsonAtomic(file: string, obj: unknown): void {
  writeFileAtomic(file, toJson(obj));
}

/** Reads and parses a JSON file; a parse failure names the file. */
export function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(pathErrorText(err, file));
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: invalid JSON: ${(err as Error).message}`);
  }
}
