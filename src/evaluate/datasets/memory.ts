// Datasets from bytes already in memory: what a browser page has after the user picks files (an image folder, an
// .npy/.npz, IDX files such as a bundled MNIST sample). The same samples, preprocessing, ranges and checks as the
// file-based specs of index.ts: a folder given here yields what `images:DIR` yields for the same files on disk.

import { DatasetError } from '../../errors.js';
import { parseNpy, parseNpz } from '../npy.js';
import { arrayDataset, imageListDataset, labelsFrom, npyArraySet, npzArraySet, validateOptions, type ArraySet, type ImageDecoder, type ImageEntry } from './build.js';
import { bytesIdxSource, idxSampleCountFrom, readIdxFrom } from './idx-core.js';
import { resolveRange, type SampleRange } from './range.js';
import type { Dataset, DatasetOptions } from './types.js';
import { MAX_IMAGE_FILE_BYTES } from './limits.js';
import { formatByteSize } from '../../util/bytes.js';

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp'];

/** Where samples come from; `name` stands for the spec in messages and sample ids (e.g. the folder's name). */
export type MemoryDatasetSource =
  /** IDX images (and labels), raw or gzipped; `classes` fixes the class count (10 for MNIST), else the labels give it. */
  | { kind: 'idx'; name: string; images: Uint8Array; labels?: Uint8Array; classes?: number; classNames?: string[] }
  /** An .npy of samples (first axis), optionally an .npy of labels (class indices or one-hot rows). */
  | { kind: 'npy'; name: string; x: Uint8Array; y?: Uint8Array }
  /** An .npz: one array per model input (by input name, or 'x'), labels in 'y' / 'label' / 'labels'. */
  | { kind: 'npz'; name: string; bytes: Uint8Array }
  /**
   * An image folder as relative path -> bytes ('cat/1.png'): one sub-folder per class (sorted names = label index),
   * searched recursively; files only at the top = unlabelled. Non-image files are ignored.
   */
  | { kind: 'images'; name: string; files: ReadonlyMap<string, Uint8Array> };

export interface MemoryDatasetOptions extends DatasetOptions {
  /** Samples [start, end) of the source, as a spec's [START:END] suffix. */
  range?: SampleRange;
  /** Image decoder (default: JPEG/BMP/PNG as browsers decode them, decode-web.ts). */
  decodeImage?: ImageDecoder;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const isImage = (p: string) => IMAGE_EXTENSIONS.some((e) => p.toLowerCase().endsWith(e));

/** A folder's image files in the order `images:DIR` visits them on disk, with their class folders. */
export function imageFolderEntries(name: string, files: ReadonlyMap<string, Uint8Array>): { entries: ImageEntry[]; classDirs: string[] } {
  const paths = [...files.keys()].map((p) => p.replace(/^\.?\/+/, '')).filter(isImage);
  const classDirs = [...new Set(paths.filter((p) => p.includes('/')).map((p) => p.split('/')[0]))].sort(byName);
  // Sorted as a recursive walk sorts: segment by segment.
  const walkOrder = (a: string, b: string) => {
    const x = a.split('/'), y = b.split('/');
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return byName(x[i], y[i]);
    return x.length - y.length;
  };
  const read = (rel: string) => async () => {
    const b = files.get(rel) ?? files.get(`./${rel}`) ?? files.get(`/${rel}`)!;
    if (b.length > MAX_IMAGE_FILE_BYTES) throw new DatasetError(`${name}/${rel}: the file is ${formatByteSize(b.length)}, more than litequant reads for an image`);
    return b;
  };
  const entries: ImageEntry[] = classDirs.length > 0
    ? classDirs.flatMap((c, label) => paths.filter((p) => p.startsWith(`${c}/`)).sort(walkOrder)
      .map((p) => ({ file: `${name}/${p}`, id: p, label, read: read(p) })))
    : paths.sort(walkOrder).map((p) => ({ file: `${name}/${p}`, id: p, read: read(p) }));
  if (entries.length === 0) throw new DatasetError(`${name}: the dataset is empty (no .png/.jpg/.jpeg/.bmp files)`);
  return { entries, classDirs };
}

function idxArraySet(src: Extract<MemoryDatasetSource, { kind: 'idx' }>, maxSamples: number | undefined): ArraySet {
  const images = readIdxFrom(bytesIdxSource(src.images, `${src.name} (images)`), `${src.name} (images)`, { maxSamples });
  // 8-bit IDX data are pixels (value = pixel / 255 by default); other IDX types are taken as stored.
  const set: ArraySet = { inputs: [{ name: src.name, shape: images.shape, data: images.data }], defaultScale: images.data instanceof Uint8Array ? 1 / 255 : 1 };
  if (src.labels) {
    const labels = readIdxFrom(bytesIdxSource(src.labels, `${src.name} (labels)`), `${src.name} (labels)`, { maxSamples });
    if (labels.declaredSamples !== images.declaredSamples) {
      throw new DatasetError(`${src.name}: ${images.declaredSamples} images but ${labels.declaredSamples} labels`);
    }
    set.labels = labelsFrom(labels, `${src.name} (labels)`);
  }
  if (src.classNames) set.classNames = src.classNames;
  return set;
}

/** Opens a dataset held in memory, with the options openDataset takes (and the range a spec's suffix gives). */
export async function openMemoryDataset(source: MemoryDatasetSource, opts: MemoryDatasetOptions = {}): Promise<Dataset> {
  const { range, decodeImage, ...options } = opts;
  validateOptions(options);
  const spec = source.name;
  switch (source.kind) {
    case 'idx': {
      // Only the samples up to the range's end (or its first `limit`) are read.
      const declared = idxSampleCountFrom(bytesIdxSource(source.images, `${spec} (images)`), `${spec} (images)`);
      const window = resolveRange(spec, range, declared);
      const needed = options.shuffle === undefined && options.limit !== undefined ? Math.min(window.end, window.start + options.limit) : window.end;
      return arrayDataset(spec, idxArraySet(source, needed), options, source.classes, range, declared);
    }
    case 'npy': {
      const x = parseNpy(source.x, `${spec} (x)`);
      if (x.shape.length === 0) throw new DatasetError(`${spec}: a scalar array holds no samples`);
      return arrayDataset(spec, npyArraySet(x, spec, spec, source.y ? parseNpy(source.y, `${spec} (y)`) : undefined, `${spec} (y)`), options, undefined, range);
    }
    case 'npz': return arrayDataset(spec, npzArraySet(parseNpz(source.bytes, spec), spec, options.inputNames), options, undefined, range);
    case 'images': {
      const { entries, classDirs } = imageFolderEntries(spec, source.files);
      const decode = decodeImage ?? (await import('./decode-web.js')).decodeImageWeb;
      return imageListDataset(spec, entries, classDirs, spec, options, range, decode);
    }
    default: throw new DatasetError(`${(source as { name?: string }).name ?? 'dataset'}: unknown in-memory dataset kind`);
  }
}
