// Input files are never modified: an output that is one of the command's inputs is refused before any work. "Is"
// means the same file, however it is reached: the same path, a hard link (same device and inode) or a symbolic link
// on either side.

import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { checkOutputPath } from './atomic-write.js';

/** A path and what it is in the command, for messages: e.g. { role: '-o', file } or { role: 'the input model', file }. */
export interface RolePath {
  role: string;
  file: string;
}

function identity(file: string): { dev: number; ino: number } | null {
  try {
    const st = fs.statSync(file);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

function isSymlink(file: string): boolean {
  try { return fs.lstatSync(file).isSymbolicLink(); } catch { return false; }
}

/** How `output` and `input` are the same file, or null when they are not. */
export function sameFile(output: string, input: string): 'same path' | 'symbolic link' | 'hard link' | null {
  if (path.resolve(output) === path.resolve(input)) return 'same path';
  const a = identity(output);
  const b = a && identity(input);
  if (!a || !b || a.dev !== b.dev || a.ino !== b.ino) return null;
  if (isSymlink(output) || isSymlink(input)) return 'symbolic link';
  // Same inode through two names: a hard link, or one name reached through a symbolic link to its folder.
  return fs.realpathSync(output) === fs.realpathSync(input) ? 'symbolic link' : 'hard link';
}

/** UsageError when an output is one of the inputs. */
export function refuseInPlace(outputs: RolePath[], inputs: RolePath[]): void {
  for (const out of outputs) {
    for (const inp of inputs) {
      const how = sameFile(out.file, inp.file);
      if (!how) continue;
      const why = how === 'same path' ? 'the same path' : how === 'hard link' ? 'a hard link to the same file' : 'a symbolic link to the same file';
      throw new UsageError(`${out.role} ${out.file} is ${inp.role} ${inp.file} (${why}); input files are never modified: choose another output`);
    }
  }
}

/**
 * Everything checked about outputs before any work: none is an input (exit 2), and each can be written (its folder
 * exists and it is not a folder; exit 1).
 */
export function checkOutputs(outputs: RolePath[], inputs: RolePath[]): void {
  refuseInPlace(outputs, inputs);
  for (const o of outputs) checkOutputPath(o.file, o.role);
}
