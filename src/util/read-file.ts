// Reading a file the user named: only a regular file, only up to a size cap, one clear line for anything else.
// Reading `/dev/zero`, a FIFO or a terminal "as a file" never ends (or blocks forever), and a huge file would be
// read whole before any format check could refuse it; so the file is opened without blocking, checked with fstat
// (the same file that is then read, whatever the path points to meanwhile) and read only when it fits.

import fs from 'node:fs';
import type { LitequantError } from '../errors.js';
import { formatByteSize } from './bytes.js';

export { DEFAULT_MAX_FILE_BYTES } from './bytes.js';
import { DEFAULT_MAX_FILE_BYTES } from './bytes.js';

export interface ReadFileOptions {
  /** The error class for every failure (ModelFormatError for models, DatasetError for datasets, ...). */
  error: new (message: string) => LitequantError;
  /** Largest size accepted (default DEFAULT_MAX_FILE_BYTES). */
  maxBytes?: number;
  /** What the file should be, for the size message ("a CSV dataset"). */
  kind?: string;
  /** How the file is named in messages (default: the path). */
  label?: string;
}

// Not on every platform (Windows): there, opening a FIFO may block, which fstat cannot prevent.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

function describeSpecial(st: fs.Stats): string {
  if (st.isDirectory()) return 'is a directory, not a file';
  if (st.isCharacterDevice()) return 'is a character device, not a regular file';
  if (st.isBlockDevice()) return 'is a block device, not a regular file';
  if (st.isFIFO()) return 'is a FIFO (named pipe), not a regular file';
  if (st.isSocket()) return 'is a socket, not a regular file';
  return 'is not a regular file';
}

function openError(e: unknown, name: string, opts: ReadFileOptions): LitequantError {
  const code = (e as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'no such file'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : code === 'EISDIR' ? 'is a directory, not a file'
        : code === 'ENOTDIR' ? 'no such file (a parent is not a directory)'
          : code === 'ENAMETOOLONG' ? 'the file name is too long'
            : `cannot read (${code ?? (e as Error).message})`;
  return new opts.error(`${name}: ${reason}`);
}

/** Throws unless `st` is a regular file of at most the cap; returns its size. */
function checkStat(st: fs.Stats, name: string, opts: ReadFileOptions): number {
  if (!st.isFile()) throw new opts.error(`${name}: ${describeSpecial(st)}`);
  const max = opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (st.size > max) {
    throw new opts.error(`${name}: the file is ${formatByteSize(st.size)}, more than the ${formatByteSize(max)} litequant reads${opts.kind ? ` for ${opts.kind}` : ''}`);
  }
  return st.size;
}

/** The bytes of a regular file of at most `opts.maxBytes`; every failure is one `opts.error` naming the file. */
export function readFileChecked(file: string, opts: ReadFileOptions): Uint8Array {
  const name = opts.label ?? file;
  return withRegularFile(file, name, opts, (fd, st) => {
    const size = checkStat(st, name, opts);
    // A plain Uint8Array (not a pooled Buffer): callers may take `.buffer` of what they slice from it.
    // A file that shrank while being read is taken as it was read.
    return readAt(fd, new Uint8Array(size), 0);
  });
}

/** Opens `file` without blocking, hands its descriptor and stat to `use`, closes it; errors name the file. */
function withRegularFile<T>(file: string, name: string, opts: ReadFileOptions, use: (fd: number, st: fs.Stats) => T): T {
  let fd: number;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (e) {
    throw openError(e, name, opts);
  }
  try {
    return use(fd, fs.fstatSync(fd));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== undefined) throw openError(e, name, opts);
    throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/** Fills `out` from `position` on; shorter (a subarray) when the file ends first. */
function readAt(fd: number, out: Uint8Array, position: number): Uint8Array {
  let at = 0;
  while (at < out.length) {
    const n = fs.readSync(fd, out, at, out.length - at, position + at);
    if (n === 0) break;
    at += n;
  }
  return at < out.length ? out.subarray(0, at) : out;
}

/** readFileChecked without blocking the event loop (image folders read the next file while one is decoded). */
export async function readFileCheckedAsync(file: string, opts: ReadFileOptions): Promise<Uint8Array> {
  const name = opts.label ?? file;
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, OPEN_FLAGS);
  } catch (e) {
    throw openError(e, name, opts);
  }
  try {
    const size = checkStat(await handle.stat(), name, opts);
    const out = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(out, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return at < size ? out.subarray(0, at) : out;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== undefined) throw openError(e, name, opts);
    throw e;
  } finally {
    await handle.close();
  }
}

/**
 * Reads up to `length` bytes at `position` of a regular file (fewer at its end); for formats whose header says how
 * much of the rest is needed.
 */
export function readFileRange(file: string, position: number, length: number, opts: ReadFileOptions): Uint8Array {
  const name = opts.label ?? file;
  return withRegularFile(file, name, opts, (fd, st) => {
    if (!st.isFile()) throw new opts.error(`${name}: ${describeSpecial(st)}`);
    return readAt(fd, new Uint8Array(Math.max(0, Math.min(length, st.size - position))), position);
  });
}

/** Size of a regular file (the same checks as reading it, without the cap). */
export function regularFileSize(file: string, opts: ReadFileOptions): number {
  const name = opts.label ?? file;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw openError(e, name, opts);
  }
  if (!st.isFile()) throw new opts.error(`${name}: ${describeSpecial(st)}`);
  return st.size;
}
