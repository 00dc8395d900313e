// The bundled MNIST sample (web/scripts/mnist-asset.mjs writes it) as datasets: its parts are handed to the library
// as IDX bytes, so the preprocessing is the CLI's own (`mnist:train` / `mnist:test` read the same IDX files) and
// calibration here gives the CLI's file. No DOM here: a Node test checks these samples against the CLI's dataset.
import { DatasetError, openMemoryDataset, type Dataset } from './lib.js';

export interface OpenOptions { inputShapes: number[][]; inputNames: string[]; limit?: number }

const HEADER = 24;
const IDX_UBYTE = 0x08;

/** The bundled sample: header, train pixels + labels, test pixels + labels. */
export function mnistPart(asset: Uint8Array, part: 'train' | 'test'): { pixels: Uint8Array; labels: Uint8Array; rows: number; cols: number; count: number } {
  const magic = String.fromCharCode(...asset.subarray(0, 4));
  const view = new DataView(asset.buffer, asset.byteOffset, asset.byteLength);
  if (asset.length < HEADER || magic !== 'LQMN' || view.getUint32(4, true) !== 1) throw new DatasetError('mnist-sample.bin: not the page\'s MNIST sample');
  const [rows, cols, train, test] = [8, 12, 16, 20].map((o) => view.getUint32(o, true));
  const per = rows * cols;
  if (asset.length !== HEADER + (train + test) * (per + 1)) throw new DatasetError('mnist-sample.bin: truncated');
  let at = HEADER;
  const take = (n: number) => { const s = asset.subarray(at, at + n); at += n; return s; };
  const trainX = take(train * per), trainY = take(train), testX = take(test * per), testY = take(test);
  return part === 'train' ? { pixels: trainX, labels: trainY, rows, cols, count: train } : { pixels: testX, labels: testY, rows, cols, count: test };
}

/** IDX bytes (big-endian header: 0, 0, type, rank, then the dims) around `data`. */
function idx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = IDX_UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

export function mnistDataset(asset: Uint8Array, part: 'train' | 'test', opts: OpenOptions): Promise<Dataset> {
  const m = mnistPart(asset, part);
  return openMemoryDataset(
    { kind: 'idx', name: part === 'train' ? 'mnist:train' : `mnist:test[:${m.count}]`, images: idx([m.count, m.rows, m.cols], m.pixels), labels: idx([m.count], m.labels), classes: 10 },
    opts,
  );
}
