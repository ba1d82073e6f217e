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
  fs.mkdirSync(dir, { recursive: true });
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
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: invalid JSON: ${(err as Error).message}`);
  }
}
