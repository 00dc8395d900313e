// ModelFiles over a directory on disk (Node only; the browser builds MemoryModelFiles from a dropped folder).

import fs from 'node:fs';
import path from 'node:path';
import { ModelFormatError } from '../../errors.js';
import type { ModelFiles } from './types.js';
import { readFileChecked } from '../../util/read-file.js';

export function directoryModelFiles(dir: string): ModelFiles {
  const root = path.resolve(dir);
  const resolve = (rel: string): string => {
    const p = path.resolve(root, ...rel.split('/'));
    // Paths come from model files (shard names): never let them leave the model's directory.
    if (p !== root && !p.startsWith(root + path.sep)) throw new ModelFormatError(`${dir}: file path '${rel}' leaves the model directory`);
    return p;
  };
  return {
    label: dir,
    exists: (rel) => {
      try {
        return fs.statSync(resolve(rel)).isFile();
      } catch {
        return false;
      }
    },
    read: (rel) => {
      const p = resolve(rel);
      if (!fs.existsSync(p)) throw new ModelFormatError(`${dir}: no file ${rel}`);
      return readFileChecked(p, { error: ModelFormatError, label: `${dir}: ${rel}`, kind: 'a model file' });
    },
  };
}
