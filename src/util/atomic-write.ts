// Every output file is written here: to a temporary file beside it, then renamed over it, so a reader never sees a
// partial file and a failure leaves none.
//
// Temporary names are short (`.lq-<pid>-<n>.tmp`, whatever the output's name, so a long output name still fits the
// file system's limit) and carry the writing process's id. While one exists, SIGINT, SIGTERM and SIGHUP remove it
// before the process exits (128 + the signal number, as a shell reports a signal). A file left by a process that
// could not clean up (SIGKILL, power loss) is removed by the next write into the same folder once its process is
// gone; a live process's file is never touched (tests and workers write concurrently).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OutputError } from '../errors.js';

const TEMP_NAME = /^\.lq-(\d+)-(\d+)\.tmp$/;
/** What earlier versions named them (`.<output name>.<pid>.<ms since 1970>.tmp`): cleaned up the same way. */
const LEGACY_TEMP_NAME = /^\..+\.(\d+)\.\d{13}\.tmp$/;
/** Written per call, so the event loop (and a signal handler) runs between chunks of a large output. */
const CHUNK_BYTES = 4 << 20;
const HANDLED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Temporary files of this process that are still being written. */
const live = new Set<string>();
let counter = 0;

function onSignal(signal: NodeJS.Signals): void {
  removeLiveTemps();
  // Only our listener: the signal would have ended the process, so end it as the signal would have.
  if (process.listenerCount(signal) <= 1) process.exit(128 + (os.constants.signals[signal] ?? 0));
}

function removeLiveTemps(): void {
  for (const t of live) {
    try { fs.rmSync(t, { force: true }); } catch { /* the process is ending; nothing more to do */ }
  }
  live.clear();
}

function track(tmp: string): void {
  if (live.size === 0) {
    for (const s of HANDLED_SIGNALS) process.on(s, onSignal);
    process.on('exit', removeLiveTemps);
  }
  live.add(tmp);
}

function untrack(tmp: string): void {
  if (!live.delete(tmp) || live.size > 0) return;
  // No temporary file left: signals get their default behaviour back.
  for (const s of HANDLED_SIGNALS) process.off(s, onSignal);
  process.off('exit', removeLiveTemps);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporary files in `dir` left by processes that no longer run; returns how many. */
export function removeStaleTemps(dir: string): number {
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return 0; }
  let removed = 0;
  for (const name of names) {
    const m = TEMP_NAME.exec(name) ?? LEGACY_TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    // This process's own files are tracked in `live` (or belong to a worker thread of it): never stale.
    if (pid === process.pid || isAlive(pid)) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
      removed++;
    } catch { /* another process removed it first, or we may not: leave it */ }
  }
  return removed;
}

/** Whether a file name is one of our temporary files (for tests and listings). */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/**
 * Checks, before any work, that `file` can be an output: its folder exists and it is not itself a folder.
 * `what` names the flag or role in the message (e.g. '-o', '--report').
 */
export function checkOutputPath(file: string, what = 'output'): void {
  const dir = path.dirname(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new OutputError(`${what} ${file}: the folder ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new OutputError(`${what} ${file}: ${dir} is not a folder`);
  let out: fs.Stats | undefined;
  try { out = fs.statSync(file); } catch { /* does not exist yet: fine */ }
  if (out?.isDirectory()) throw new OutputError(`${what} ${file} is a folder; give a file name`);
}

function writeError(file: string, e: unknown): OutputError {
  if (e instanceof OutputError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const dir = path.dirname(file);
  switch (code) {
    case 'ENOENT': return new OutputError(`${file}: cannot write: the folder ${dir} does not exist`);
    case 'ENOTDIR': return new OutputError(`${file}: cannot write: ${dir} is not a folder`);
    case 'EISDIR': return new OutputError(`${file}: cannot write: it is a folder`);
    case 'EACCES': case 'EPERM': return new OutputError(`${file}: cannot write: permission denied in ${dir}`);
    case 'EROFS': return new OutputError(`${file}: cannot write: ${dir} is on a read-only file system`);
    case 'ENOSPC': return new OutputError(`${file}: cannot write: no space left on the device`);
    case 'EDQUOT': return new OutputError(`${file}: cannot write: disk quota exceeded`);
    case 'ENAMETOOLONG': return new OutputError(`${file}: cannot write: the file name is too long`);
    default: return new OutputError(`${file}: cannot write: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** A temporary path beside `file` not used by this process yet, tracked from now on. */
function newTemp(dir: string): string {
  const tmp = path.join(dir, `.lq-${process.pid}-${counter++}.tmp`);
  track(tmp);
  return tmp;
}

/** Opened exclusively, so two writers (worker threads of one process) never share one; EEXIST: the next name. */
function openTempSync(file: string): { tmp: string; fd: number } {
  const dir = path.dirname(path.resolve(file));
  removeStaleTemps(dir);
  for (;;) {
    const tmp = newTemp(dir);
    try {
      return { tmp, fd: fs.openSync(tmp, 'wx') };
    } catch (e) {
      untrack(tmp);
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

async function openTemp(file: string): Promise<{ tmp: string; fh: fs.promises.FileHandle }> {
  const dir = path.dirname(path.resolve(file));
  removeStaleTemps(dir);
  for (;;) {
    const tmp = newTemp(dir);
    try {
      return { tmp, fh: await fs.promises.open(tmp, 'wx') };
    } catch (e) {
      untrack(tmp);
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

function bytesOf(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** Test hook: milliseconds to wait after each chunk, so a test can interrupt a write while it runs. */
function chunkDelayMs(): number {
  const v = Number(process.env.LITEQUANT_TEST_WRITE_DELAY_MS ?? 0);
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/**
 * Writes `data` to `file` atomically, in chunks with the event loop running between them, so an interrupt during
 * a large write removes the temporary file and leaves no output.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const bytes = bytesOf(data);
  let tmp: string | undefined;
  try {
    const opened = await openTemp(file);
    tmp = opened.tmp;
    const delay = chunkDelayMs();
    try {
      for (let at = 0; at < bytes.length;) {
        const end = Math.min(bytes.length, at + CHUNK_BYTES);
        while (at < end) at += (await opened.fh.write(bytes, at, end - at, at)).bytesWritten;
        if (delay) await new Promise((r) => setTimeout(r, delay));
        // A signal handler that did not end the process (the application has its own) removed the file.
        if (!live.has(tmp)) throw new OutputError(`${file}: not written: interrupted`);
      }
    } finally {
      await opened.fh.close();
    }
    if (!live.has(tmp)) throw new OutputError(`${file}: not written: interrupted`);
    fs.renameSync(tmp, file);
    untrack(tmp);
  } catch (e) {
    if (tmp) {
      try { fs.rmSync(tmp, { force: true }); } catch { /* nothing left to clean */ }
      untrack(tmp);
    }
    throw writeError(file, e);
  }
}

/** The same, synchronously (for the library's synchronous writers); a signal is handled once it returns. */
export function writeFileAtomicSync(file: string, data: Uint8Array | string): void {
  const bytes = bytesOf(data);
  let tmp: string | undefined;
  try {
    const opened = openTempSync(file);
    tmp = opened.tmp;
    try {
      let done = 0;
      while (done < bytes.length) done += fs.writeSync(opened.fd, bytes, done, bytes.length - done, done);
    } finally {
      fs.closeSync(opened.fd);
    }
    fs.renameSync(tmp, file);
    untrack(tmp);
  } catch (e) {
    if (tmp) {
      try { fs.rmSync(tmp, { force: true }); } catch { /* nothing left to clean */ }
      untrack(tmp);
    }
    throw writeError(file, e);
  }
}
