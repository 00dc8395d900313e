// The files a model source is read from, so that no output replaces one of them: the file itself, a TF.js
// model.json's weight shards, a SavedModel's protobufs, variables and assets.

import fs from 'node:fs';
import path from 'node:path';

const SAVED_MODEL_TOP_FILES = ['saved_model.pb', 'saved_model.pbtxt', 'keras_metadata.pb', 'fingerprint.pb'];
const SAVED_MODEL_DIRS = ['variables', 'assets'];
/** A model.json larger than this is not read for its manifest (it would fail to load anyway). */
const MAX_MANIFEST_BYTES = 64 << 20;
/** Bounds the walk of a SavedModel's folders. */
const MAX_FILES = 100_000;

function walk(dir: string, out: string[]): void {
  let entries: fs.Dirent[];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    if (out.length >= MAX_FILES) return;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
}

function savedModelFiles(dir: string): string[] {
  const out = SAVED_MODEL_TOP_FILES.map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f));
  for (const d of SAVED_MODEL_DIRS) walk(path.join(dir, d), out);
  return out;
}

function tfjsShards(file: string): string[] {
  try {
    if (fs.statSync(file).size > MAX_MANIFEST_BYTES) return [];
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { weightsManifest?: { paths?: unknown[] }[] };
    const dir = path.dirname(file);
    return (json.weightsManifest ?? []).flatMap((g) => (Array.isArray(g?.paths) ? g.paths : []))
      .filter((p): p is string => typeof p === 'string').map((p) => path.join(dir, p));
  } catch {
    return [];
  }
}

/** The files a model source (a file, or a SavedModel folder) is read from; the source itself first. */
export function sourceFiles(source: string): string[] {
  let st: fs.Stats;
  try { st = fs.statSync(source); } catch { return [source]; }
  if (st.isDirectory()) return [source, ...savedModelFiles(source)];
  if (path.basename(source) === 'saved_model.pb') return [...new Set([source, ...savedModelFiles(path.dirname(source))])];
  if (source.toLowerCase().endsWith('.json')) return [source, ...tfjsShards(source)];
  return [source];
}
