// Where the shared corpus is: ../shared/corpus from the project root, or $LITEQUANT_CORPUS.
// Tests that need it skip with a clear message when it is absent (a user's clone); CI always has it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Project root (works from test/helpers and from dist/test/helpers). */
export const PROJECT_ROOT = (() => {
  let d = here;
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
})();

export const CORPUS_DIR = process.env.LITEQUANT_CORPUS ?? path.resolve(PROJECT_ROOT, '..', 'shared', 'corpus');
export const CORPUS_AVAILABLE = fs.existsSync(path.join(CORPUS_DIR, 'PROVENANCE.md'));
/** Pass as `{ skip: NO_CORPUS }` to node:test. */
export const NO_CORPUS: string | false = CORPUS_AVAILABLE ? false : `corpus not found at ${CORPUS_DIR} (set LITEQUANT_CORPUS)`;
if (!CORPUS_AVAILABLE && !process.env.CI) console.warn(`[litequant tests] ${NO_CORPUS}: corpus tests skipped`);
if (!CORPUS_AVAILABLE && process.env.CI) throw new Error(`CI must have the corpus: ${NO_CORPUS}`);

export function corpusPath(rel: string): string {
  return path.join(CORPUS_DIR, rel);
}

export function readCorpus(rel: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(corpusPath(rel)));
}

/** All .tflite files of the corpus, relative to it, sorted. */
export function corpusTflites(): string[] {
  if (!CORPUS_AVAILABLE) return [];
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(CORPUS_DIR, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.tflite')) out.push(r);
    }
  };
  walk('tflite');
  return out.sort();
}

/** Refused by the full official runtime (bias quantized_dimension=3); readable by us. */
export const OFFICIAL_REFUSES = new Set(['tflite/tflite-micro/person_detect.tflite']);
