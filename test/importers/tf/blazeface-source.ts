// The corpus's TF.js graph model (MediaPipe BlazeFace, see PROVENANCE.md) as our importer and TF.js read it.
import fs from 'node:fs';
import { ModelFormatError } from '../../../src/errors.js';
import type { ModelFiles } from '../../../src/importers/tf/types.js';
import { corpusPath } from '../../helpers/corpus.js';

export const BLAZEFACE_DIR = 'tf/tfjs-graph/blazeface';

/** ModelFiles over a directory (the test's own reader; the library's is the caller's). */
export function dirFiles(dir: string, overrides: Record<string, Uint8Array | null> = {}): ModelFiles {
  return {
    label: dir,
    exists: (p) => (p in overrides ? overrides[p] !== null : fs.existsSync(`${dir}/${p}`)),
    read(p) {
      if (p in overrides) {
        const o = overrides[p];
        if (!o) throw new ModelFormatError(`${dir}: weight shard ${p} is missing`);
        return o;
      }
      if (!fs.existsSync(`${dir}/${p}`)) throw new ModelFormatError(`${dir}: weight shard ${p} is missing`);
      return new Uint8Array(fs.readFileSync(`${dir}/${p}`));
    },
  };
}

export function blazefaceJson(): any {
  return JSON.parse(fs.readFileSync(corpusPath(`${BLAZEFACE_DIR}/blazeface.json`), 'utf8'));
}

export function blazefaceFiles(overrides: Record<string, Uint8Array | null> = {}): ModelFiles {
  return dirFiles(corpusPath(BLAZEFACE_DIR), overrides);
}

/** Seeded images in [-1, 1] (BlazeFace's input normalisation), [1, 256, 256, 3]. */
export function blazefaceInputs(n: number, seed: number, rnd: (seed: number) => () => number): Float32Array[] {
  const r = rnd(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: 256 * 256 * 3 }, () => 2 * r() - 1));
}
