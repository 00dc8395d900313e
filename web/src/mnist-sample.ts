// The bundled MNIST sample (web/scripts/mnist-asset.mjs writes it) as datasets with the CLI's preprocessing: the
// same plan as `mnist:train` (pixel / 255, laid out for the model input), so calibration here gives the CLI's file.
// No DOM here: a Node test checks these samples against the CLI's dataset.
import { applyPlan, DatasetError, makePlan, type Dataset, type Sample } from './lib.js';

export interface OpenOptions { inputShapes: number[][]; inputNames: string[]; limit?: number }

const PIXEL_SCALE = 1 / 255;

/** The bundled sample (web/scripts/mnist-asset.mjs writes it): header, train pixels + labels, test pixels + labels. */
export function mnistPart(asset: Uint8Array, part: 'train' | 'test'): { pixels: Uint8Array; labels: Uint8Array; rows: number; cols: number; count: number } {
  const view = new DataView(asset.buffer, asset.byteOffset, asset.byteLength);
  const magic = String.fromCharCode(...asset.subarray(0, 4));
  if (asset.length < 24 || magic !== 'LQMN' || view.getUint32(4, true) !== 1) throw new DatasetError('mnist-sample.bin: not the page\'s MNIST sample');
  const [rows, cols, train, test] = [8, 12, 16, 20].map((o) => view.getUint32(o, true));
  const per = rows * cols;
  if (asset.length !== 24 + (train + test) * (per + 1)) throw new DatasetError('mnist-sample.bin: truncated');
  let at = 24;
  const take = (n: number) => { const s = asset.subarray(at, at + n); at += n; return s; };
  const trainX = take(train * per), trainY = take(train), testX = take(test * per), testY = take(test);
  return part === 'train' ? { pixels: trainX, labels: trainY, rows, cols, count: train } : { pixels: testX, labels: testY, rows, cols, count: test };
}

export function mnistDataset(asset: Uint8Array, part: 'train' | 'test', opts: OpenOptions): Dataset {
  const m = mnistPart(asset, part);
  const n = Math.min(m.count, opts.limit ?? m.count);
  const spec = part === 'train' ? 'mnist:train' : `mnist:test[:${m.count}]`;
  if (opts.inputShapes.length !== 1) throw new DatasetError(`${spec}: the model has ${opts.inputShapes.length} inputs, the dataset provides 1`);
  const plan = makePlan([m.rows, m.cols], opts.inputShapes[0], {}, PIXEL_SCALE, `${spec} (input ${opts.inputNames[0] ?? 0})`);
  const per = m.rows * m.cols;
  return {
    spec, size: n, numClasses: 10, sampleShape: plan.shape,
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < n; i++) {
        const out = new Float32Array(plan.count);
        applyPlan(plan, m.pixels, i * per, m.rows, m.cols, 1, out);
        yield { inputs: [out], label: m.labels[i], id: `${spec}#${i}` } satisfies Sample;
      }
    },
  };
}

