// Datasets built from samples already at hand, wherever they came from: arrays (IDX, .npy, .npz, CSV) and lists of
// image files. index.ts opens them from files (Node); memory.ts from bytes (a browser page's files).

import { DatasetError } from '../../errors.js';
import type { NpyArray } from '../npy.js';
import type { RawImage } from './decode-core.js';
import { applyPlan, imageDims, makePlan, type InputPlan } from './prepare.js';
import { resolveRange, type SampleRange } from './range.js';
import type { Dataset, DatasetOptions, Sample } from './types.js';
import { seededPermutation } from '../../util/random.js';

/** An array source: one array per model input, first axis = samples. */
export interface ArraySet {
  inputs: { name: string; shape: number[]; data: ArrayLike<number> }[];
  labels?: Int32Array;
  defaultScale: number;
  numClasses?: number;
  classNames?: string[];
}

export function validateOptions(o: DatasetOptions): void {
  const bad = (what: string): never => { throw new DatasetError(`dataset option ${what}`); };
  if (o.scale !== undefined && !Number.isFinite(o.scale)) bad(`scale must be a finite number (got ${o.scale})`);
  if (o.offset !== undefined && !Number.isFinite(o.offset)) bad(`offset must be a finite number (got ${o.offset})`);
  if (o.size && (o.size.length !== 2 || !o.size.every((d) => Number.isInteger(d) && d > 0))) bad(`size must be two positive integers HxW (got ${o.size.join('x')})`);
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3) bad(`channels must be 1 or 3 (got ${o.channels})`);
  if (o.layout !== undefined && o.layout !== 'NHWC' && o.layout !== 'NCHW') bad(`layout must be NHWC or NCHW (got ${o.layout})`);
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit > 0)) bad(`limit must be a positive integer (got ${o.limit})`);
  if (o.shuffle !== undefined && !Number.isInteger(o.shuffle)) bad(`shuffle seed must be an integer (got ${o.shuffle})`);
}

/** Labels are held as int32. */
const MAX_LABEL = 2 ** 31 - 1;

/** Throws for the first label at or above the model's class count (opts.classCount), naming the sample. */
export function checkLabels(spec: string, labels: ArrayLike<number>, opts: DatasetOptions, sampleName: (i: number) => string,
  window = { start: 0, end: labels.length }): void {
  const n = opts.classCount;
  if (n === undefined) return;
  for (let i = window.start; i < window.end; i++) {
    if (labels[i] >= n) {
      throw new DatasetError(`${spec}: ${sampleName(i)} has label ${labels[i]}, but the model has ${n} class${n === 1 ? '' : 'es'} (labels 0 to ${n - 1})`);
    }
  }
}

export function labelsFrom(a: { shape: number[]; data: ArrayLike<number> }, what: string): Int32Array {
  const n = a.shape[0] ?? 0;
  const width = a.shape.length === 1 ? 1 : a.shape.slice(1).reduce((x, y) => x * y, 1);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (width === 1) {
      const v = a.data[i];
      if (!Number.isInteger(v) || v < 0 || v > MAX_LABEL) throw new DatasetError(`${what}: label ${v} at index ${i} is not a class index (an integer from 0 to ${MAX_LABEL})`);
      out[i] = v;
    } else { // one-hot or scores: the largest entry
      let best = 0;
      for (let k = 1; k < width; k++) if (a.data[i * width + k] > a.data[i * width + best]) best = k;
      out[i] = best;
    }
  }
  return out;
}

export function numeric(a: NpyArray): ArrayLike<number> {
  if (a.data instanceof BigInt64Array || a.data instanceof BigUint64Array) return Float64Array.from(a.data, (v) => Number(v));
  return a.data as ArrayLike<number>;
}

/** 0..n-1 in order, or in a seeded random order. */
export function shuffledOrder(n: number, seed: number | undefined): Int32Array {
  if (seed !== undefined) return seededPermutation(n, seed);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** The sample indices one pass visits: the window's, shuffled within it if asked, then the first `limit`. */
export function selectOrder(window: { start: number; end: number }, opts: DatasetOptions): Int32Array {
  const n = window.end - window.start;
  const order = shuffledOrder(n, opts.shuffle);
  if (window.start) for (let k = 0; k < n; k++) order[k] += window.start;
  return opts.limit !== undefined && opts.limit < n ? order.slice(0, opts.limit) : order;
}

export function checkInputCount(spec: string, provided: number, opts: DatasetOptions): void {
  const wanted = opts.inputShapes?.length ?? opts.inputNames?.length;
  if (wanted !== undefined && wanted !== provided) {
    throw new DatasetError(`${spec}: the model has ${wanted} inputs${opts.inputNames ? ` (${opts.inputNames.join(', ')})` : ''}, the dataset provides ${provided}; use an .npz with one array per input name`);
  }
}

/**
 * `range` is the spec's, resolved against `declared` (an IDX file's sample count, of which only the first may have
 * been read) or else the arrays' sample count.
 */
export function arrayDataset(spec: string, set: ArraySet, opts: DatasetOptions, numClasses?: number, range?: SampleRange, declared?: number): Dataset {
  checkInputCount(spec, set.inputs.length, opts);
  const n = set.inputs[0].shape[0];
  for (const inp of set.inputs) {
    if (inp.shape[0] !== n) throw new DatasetError(`${spec}: input arrays differ in sample count (${set.inputs.map((i) => `${i.name}: ${i.shape[0]}`).join(', ')})`);
  }
  if (set.labels && set.labels.length !== n) throw new DatasetError(`${spec}: ${n} samples but ${set.labels.length} labels`);
  if (n === 0) throw new DatasetError(`${spec}: the dataset is empty`);
  const window = resolveRange(spec, range, declared ?? n);
  const plans = set.inputs.map((inp, i) =>
    makePlan(inp.shape.slice(1), opts.inputShapes?.[i], opts, set.defaultScale, `${spec} (input ${opts.inputNames?.[i] ?? i})`));
  if (set.labels) checkLabels(spec, set.labels, opts, (i) => `sample ${i}`, { start: window.start, end: Math.min(window.end, n) });
  const order = selectOrder(window, opts);
  const labels = set.labels;
  let classes = numClasses ?? set.numClasses;
  if (classes === undefined && labels) { let m = -1; for (const l of labels) if (l > m) m = l; classes = m + 1; }
  const geometry = set.inputs.map((inp) => {
    const stored = inp.shape.slice(1);
    return { per: stored.reduce((a, b) => a * b, 1), img: imageDims(stored) };
  });
  return {
    spec,
    size: order.length,
    numClasses: classes,
    classNames: set.classNames,
    sampleShape: plans[0].shape,
    async *[Symbol.asyncIterator]() {
      for (const i of order) {
        const inputs = plans.map((plan, k) => {
          const out = new Float32Array(plan.count);
          const g = geometry[k];
          applyPlan(plan, set.inputs[k].data, i * g.per, g.img?.[0] ?? 0, g.img?.[1] ?? 0, g.img?.[2] ?? 0, out);
          return out;
        });
        const sample: Sample = { inputs, id: `${spec}#${i}` };
        if (labels) sample.label = labels[i];
        yield sample;
      }
    },
  };
}

/** The arrays of an .npy pair: `xName` names the input; `yFile` the labels' file in messages. */
export function npyArraySet(x: NpyArray, xFile: string, xName: string, y?: NpyArray, yFile?: string): ArraySet {
  if (x.shape.length === 0) throw new DatasetError(`${xFile}: a scalar array holds no samples`);
  const set: ArraySet = { inputs: [{ name: xName, shape: x.shape, data: numeric(x) }], defaultScale: 1 };
  if (y) {
    set.labels = labelsFrom({ shape: y.shape, data: numeric(y) }, yFile ?? 'labels');
    if (y.shape.length === 2 && y.shape[1] > 1) set.numClasses = y.shape[1];
  }
  return set;
}

/** The arrays of an .npz: one per model input (by name, or 'x', or its only array), labels in y / label / labels. */
export function npzArraySet(arrays: Map<string, NpyArray>, file: string, inputNames?: string[]): ArraySet {
  const labelKey = ['y', 'label', 'labels'].find((k) => arrays.has(k));
  let names: string[];
  if (inputNames && inputNames.length > 0 && inputNames.every((n) => arrays.has(n))) names = inputNames;
  else if (arrays.has('x')) names = ['x'];
  else {
    const others = [...arrays.keys()].filter((k) => k !== labelKey);
    if (others.length !== 1) {
      throw new DatasetError(`${file}: cannot tell which arrays are inputs (has ${[...arrays.keys()].join(', ')}); name them 'x' or after the model inputs${inputNames ? ` (${inputNames.join(', ')})` : ''}`);
    }
    names = others;
  }
  const set: ArraySet = {
    inputs: names.map((n) => {
      const a = arrays.get(n)!;
      if (a.shape.length === 0) throw new DatasetError(`${file}: array '${n}' is a scalar and holds no samples`);
      return { name: n, shape: a.shape, data: numeric(a) };
    }),
    defaultScale: 1,
  };
  if (labelKey) {
    const y = arrays.get(labelKey)!;
    set.labels = labelsFrom({ shape: y.shape, data: numeric(y) }, `${file}:${labelKey}`);
    if (y.shape.length === 2 && y.shape[1] > 1) set.numClasses = y.shape[1];
  }
  return set;
}

/** Image bytes to pixels (throws an Error saying why it cannot). */
export type ImageDecoder = (bytes: Uint8Array) => RawImage | Promise<RawImage>;

/** One image file of an image dataset: `file` names it in errors, `id` in samples (its path below the folder). */
export interface ImageEntry {
  file: string;
  id: string;
  label?: number;
  read(): Promise<Uint8Array>;
}

/**
 * Image files in dataset order (class folders in sorted order, then each one's sorted files), decoded one at a time
 * while iterating with the host's decoder. `where` names the folder in messages.
 */
export async function imageListDataset(spec: string, files: ImageEntry[], classDirs: string[], where: string, opts: DatasetOptions,
  range: SampleRange | undefined, decodeImage: ImageDecoder): Promise<Dataset> {
  checkInputCount(spec, 1, opts);
  const window = resolveRange(spec, range, files.length);
  const order = selectOrder(window, opts);
  const skipMode = opts.onDecodeError === 'skip';
  let skipped = 0;

  const decodeFile = async (entry: ImageEntry): Promise<RawImage | null> => {
    try {
      return decodeImage(await entry.read());
    } catch (e) {
      if (skipMode) { skipped++; return null; }
      if (e instanceof DatasetError) throw e;
      throw new DatasetError(`${entry.file}: cannot decode image (${(e as Error).message})`);
    }
  };
  // The first decodable image (in iteration order) gives the default size and channels.
  let first: RawImage | null = null;
  const firstSkips = skipped;
  for (const i of order) if ((first = await decodeFile(files[i]))) break;
  skipped = firstSkips;
  if (!first) throw new DatasetError(`${spec}: no image under ${where} could be decoded`);
  const plan: InputPlan = makePlan([first.height, first.width, first.channels], opts.inputShapes?.[0], opts, 1 / 255, `${spec} (input ${opts.inputNames?.[0] ?? 0})`);
  if (classDirs.length > 0) checkLabels(spec, files.map((f) => f.label!), opts, (i) => `${files[i].id} (folder ${files[i].label} in sorted order)`, window);
  return {
    spec,
    size: order.length,
    numClasses: classDirs.length > 0 ? classDirs.length : undefined,
    classNames: classDirs.length > 0 ? classDirs : undefined,
    sampleShape: plan.shape,
    get skipped() { return skipped; },
    async *[Symbol.asyncIterator]() {
      // Read the next file while the current one is prepared.
      // A prefetch left pending by a consumer that stops early must not become an unhandled rejection.
      const prefetch = (k: number) => {
        const p = decodeFile(files[order[k]]);
        p.catch(() => undefined);
        return p;
      };
      let pending = prefetch(0);
      for (let k = 0; k < order.length; k++) {
        const img = await pending;
        if (k + 1 < order.length) pending = prefetch(k + 1);
        if (!img) continue;
        const { id, label } = files[order[k]];
        const out = new Float32Array(plan.count);
        applyPlan(plan, img.data, 0, img.height, img.width, img.channels, out);
        const sample: Sample = { inputs: [out], id };
        if (label !== undefined) sample.label = label;
        yield sample;
      }
    },
  };
}
