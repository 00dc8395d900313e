// Datasets from what the page holds in memory, with the CLI's preprocessing (prepare.ts plans: pixels / 255,
// resized and laid out for the model input), so a sample here is the sample `--calibration mnist:train` gives.
import { applyPlan, DatasetError, imageDims, makePlan, parseNpy, parseNpz, type Dataset, type NpyArray, type Sample } from './lib.js';
import type { DataSource, InFile } from './protocol.js';
import { mnistDataset } from './mnist-sample.js';

import type { OpenOptions } from './mnist-sample.js';
export type { OpenOptions };

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp'];
const PIXEL_SCALE = 1 / 255;

export async function openData(src: DataSource, opts: OpenOptions): Promise<Dataset> {
  if (src.kind === 'mnist') return mnistDataset(src.asset, src.part, opts);
  if (src.kind === 'images') return imageDataset(src.label, src.files, opts);
  return arrayDataset(src.x, src.y, opts);
}

export function checkInputCount(spec: string, provided: number, opts: OpenOptions): void {
  if (opts.inputShapes.length !== provided) {
    throw new DatasetError(`${spec}: the model has ${opts.inputShapes.length} inputs (${opts.inputNames.join(', ')}), the dataset provides ${provided}`);
  }
}

// ------------------------------------------------------------------------------------------------- image folders

const segments = (p: string) => p.split('/').filter(Boolean);

/** The order the CLI walks a folder in: sorted names at each level, depth first (= comparing path segments). */
function byPathSegments(a: string, b: string): number {
  const x = segments(a), y = segments(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length;
}

/** Image files with their class (first folder below the picked one) when every image sits in a class folder. */
export function imageFolderEntries(files: InFile[]): { file: InFile; rel: string; label?: number }[] {
  const images = files.filter((f) => IMAGE_EXTENSIONS.some((e) => f.path.toLowerCase().endsWith(e)));
  // A picked or dropped folder's files all start with its own name: paths are taken below it.
  const first = segments(images[0]?.path ?? '')[0];
  const rooted = images.length > 0 && images.every((f) => segments(f.path).length > 1 && segments(f.path)[0] === first);
  const rel = images.map((f) => ({ file: f, rel: rooted ? segments(f.path).slice(1).join('/') : f.path }));
  rel.sort((a, b) => byPathSegments(a.rel, b.rel));
  const labelled = rel.length > 0 && rel.every((r) => segments(r.rel).length > 1);
  if (!labelled) return rel;
  const classes = [...new Set(rel.map((r) => segments(r.rel)[0]))].sort();
  return rel.map((r) => ({ ...r, label: classes.indexOf(segments(r.rel)[0]) }));
}

interface Pixels { width: number; height: number; channels: 1 | 3; data: Uint8Array }

/** Decoded by the browser; gray when R = G = B everywhere (as the CLI's decoder), alpha dropped. */
async function decodeImage(f: InFile): Promise<Pixels> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([f.bytes as BlobPart]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new DatasetError(`${f.path}: cannot decode image`);
  }
  const { width, height } = bitmap;
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const n = width * height;
  let gray = true;
  for (let i = 0; i < n && gray; i++) gray = rgba[4 * i] === rgba[4 * i + 1] && rgba[4 * i] === rgba[4 * i + 2];
  const channels = gray ? 1 : 3;
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) data[i * channels + c] = rgba[4 * i + c];
  return { width, height, channels, data };
}

async function imageDataset(label: string, files: InFile[], opts: OpenOptions): Promise<Dataset> {
  const spec = `images:${label}`;
  checkInputCount(spec, 1, opts);
  const entries = imageFolderEntries(files);
  if (entries.length === 0) throw new DatasetError(`${spec}: the dataset is empty (no .png/.jpg/.jpeg/.bmp files)`);
  const chosen = entries.slice(0, opts.limit ?? entries.length);
  const first = await decodeImage(chosen[0].file);
  const plan = makePlan([first.height, first.width, first.channels], opts.inputShapes[0], {}, PIXEL_SCALE, `${spec} (input ${opts.inputNames[0] ?? 0})`);
  const labels = entries.some((e) => e.label !== undefined);
  const classCount = labels ? Math.max(...entries.map((e) => e.label ?? 0)) + 1 : undefined;
  return {
    spec, size: chosen.length, numClasses: classCount, sampleShape: plan.shape,
    async *[Symbol.asyncIterator]() {
      for (const e of chosen) {
        const img = await decodeImage(e.file);
        const out = new Float32Array(plan.count);
        applyPlan(plan, img.data, 0, img.height, img.width, img.channels, out);
        const s: Sample = { inputs: [out], id: e.rel };
        if (e.label !== undefined) s.label = e.label;
        yield s;
      }
    },
  };
}

// ------------------------------------------------------------------------------------------------- arrays

function numeric(a: NpyArray): ArrayLike<number> {
  if (a.data instanceof BigInt64Array || a.data instanceof BigUint64Array) return Float64Array.from(a.data, (v) => Number(v));
  return a.data as ArrayLike<number>;
}

/** Class indices, or the largest entry of one-hot / score rows. */
function labelsOf(a: NpyArray, what: string): Int32Array {
  const n = a.shape[0] ?? 0;
  const width = a.shape.slice(1).reduce((x, y) => x * y, 1);
  const d = numeric(a);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (width === 1) {
      if (!Number.isInteger(d[i]) || d[i] < 0) throw new DatasetError(`${what}: label ${d[i]} at index ${i} is not a class index`);
      out[i] = d[i];
    } else {
      let best = 0;
      for (let k = 1; k < width; k++) if (d[i * width + k] > d[i * width + best]) best = k;
      out[i] = best;
    }
  }
  return out;
}

function arrayDataset(x: InFile, y: InFile | undefined, opts: OpenOptions): Dataset {
  let inputs: { name: string; a: NpyArray }[];
  let labels: Int32Array | undefined;
  const spec = x.path;
  if (x.path.toLowerCase().endsWith('.npz')) {
    const arrays = parseNpz(x.bytes, x.path);
    const labelKey = ['y', 'label', 'labels'].find((k) => arrays.has(k));
    let names = opts.inputNames.every((n) => arrays.has(n)) ? opts.inputNames : arrays.has('x') ? ['x'] : [...arrays.keys()].filter((k) => k !== labelKey);
    if (names.length !== opts.inputNames.length) throw new DatasetError(`${x.path}: cannot tell which arrays are inputs (has ${[...arrays.keys()].join(', ')}); name them 'x' or after the model inputs`);
    names = names.slice();
    inputs = names.map((n) => ({ name: n, a: arrays.get(n)! }));
    if (labelKey) labels = labelsOf(arrays.get(labelKey)!, `${x.path}:${labelKey}`);
  } else {
    inputs = [{ name: x.path, a: parseNpy(x.bytes, x.path) }];
    if (y) labels = labelsOf(parseNpy(y.bytes, y.path), y.path);
  }
  checkInputCount(spec, inputs.length, opts);
  const n = inputs[0].a.shape[0] ?? 0;
  if (n === 0) throw new DatasetError(`${spec}: the dataset is empty`);
  for (const i of inputs) if (i.a.shape[0] !== n) throw new DatasetError(`${spec}: input arrays differ in sample count`);
  if (labels && labels.length !== n) throw new DatasetError(`${spec}: ${n} samples but ${labels.length} labels`);
  const plans = inputs.map((inp, k) => makePlan(inp.a.shape.slice(1), opts.inputShapes[k], {}, 1, `${spec} (input ${opts.inputNames[k] ?? k})`));
  const geometry = inputs.map((inp) => ({ per: inp.a.shape.slice(1).reduce((p, q) => p * q, 1), img: imageDims(inp.a.shape.slice(1)), data: numeric(inp.a) }));
  const count = Math.min(n, opts.limit ?? n);
  const classes = labels ? Math.max(...labels) + 1 : undefined;
  return {
    spec, size: count, numClasses: classes, sampleShape: plans[0].shape,
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < count; i++) {
        const values = plans.map((plan, k) => {
          const g = geometry[k];
          const out = new Float32Array(plan.count);
          applyPlan(plan, g.data, i * g.per, g.img?.[0] ?? 0, g.img?.[1] ?? 0, g.img?.[2] ?? 0, out);
          return out;
        });
        const s: Sample = { inputs: values, id: `${spec}#${i}` };
        if (labels) s.label = labels[i];
        yield s;
      }
    },
  };
}
