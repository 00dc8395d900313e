// ModelFiles over bytes already in memory: a folder dropped into a browser page (each File read into bytes,
// keyed by its path below the folder), or files built by a test.

import { ModelFormatError } from '../../errors.js';
import type { ModelFiles } from './types.js';

export function memoryModelFiles(label: string, files: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>): ModelFiles {
  const map = files instanceof Map ? files : new Map(Object.entries(files));
  return {
    label,
    exists: (rel) => map.has(rel),
    read: (rel) => {
      const b = map.get(rel);
      if (!b) throw new ModelFormatError(`${label}: no file ${rel}`);
      return b;
    },
  };
}
