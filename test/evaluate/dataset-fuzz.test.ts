// Robustness of the dataset readers on damaged and hostile files (seeded, bounded): every truncation, byte flip and
// huge declared size of an npy, npz, IDX (raw and gzipped), CSV, PNG, JPEG or BMP dataset either reads or fails
// with one DatasetError line, quickly, without a large allocation. Declared sizes are refused from the header.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DatasetError } from '../../src/errors.js';
import { openDataset, type DatasetOptions } from '../../src/evaluate/datasets/index.js';
import { Rng } from '../helpers/random.js';
import { bmpWithHeader, crc32, idxBytes, idxGzipBomb, jpegWithHeader, npyBytes, npzDeclaring, pngWithHeader, sparseFile } from '../helpers/hostile-files.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-dsfuzz-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** The slowest case may take this long (a few ms is typical). */
const CASE_MS = 3000;
const MiB = 1024 * 1024;

type Outcome = 'read' | 'rejected';
const counts: Record<string, Record<Outcome, number>> = {};
let slowest = { ms: 0, what: '' };

/** Opens the dataset and reads every sample; 'rejected' only for a one-line DatasetError. */
async function attempt(format: string, what: string, spec: string, opts: DatasetOptions = {}): Promise<Outcome> {
  const t0 = performance.now();
  let outcome: Outcome = 'read';
  try {
    const ds = await openDataset(spec, opts);
    for await (const s of ds) assert.ok(s.inputs.length > 0);
  } catch (e) {
    if (!(e instanceof DatasetError) || e.message.includes('\n')) {
      throw new Error(`${format}: ${what}: unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
    outcome = 'rejected';
  }
  const ms = performance.now() - t0;
  if (ms > slowest.ms) slowest = { ms, what: `${format}: ${what}` };
  (counts[format] ??= { read: 0, rejected: 0 })[outcome]++;
  return outcome;
}

/** Seeded damage to a file: truncations spread over its length, then byte flips and overwrites. */
function* damaged(original: Uint8Array, rng: Rng, cases: number, protect = 0): Generator<[string, Uint8Array]> {
  // A plain Uint8Array: slice() of a Buffer is a view, and damage must not accumulate in the original.
  const bytes = new Uint8Array(original);
  const n = bytes.length;
  const lengths = new Set([0, 1, 2, 3, 4, 8, 12, 16, n - 1, n >> 1]);
  while (lengths.size < Math.min(n, 16)) lengths.add(rng.int(0, n - 1));
  for (const len of lengths) if (len >= 0 && len < n) yield [`truncated to ${len}`, bytes.slice(0, len)];
  for (let k = 0; k < cases; k++) {
    const b = bytes.slice();
    const at = rng.int(protect, n - 1);
    if (k % 2 === 0) {
      b[at] ^= 1 << rng.int(0, 7);
      yield [`bit flip at ${at}`, b];
    } else {
      b[at] = rng.pick([0, 1, 0x7f, 0x80, 0xff, rng.int(0, 255)]);
      b[Math.min(n - 1, at + 1)] = rng.pick([0, 0xff, rng.int(0, 255)]);
      yield [`bytes ${at}.. overwritten`, b];
    }
  }
}

function write(name: string, bytes: Uint8Array | string): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  return file;
}

const rng = new Rng(20251107);

// ------------------------------------------------------------------------------------------------ base files

const X = Float32Array.from({ length: 6 * 4 }, (_, i) => (i % 7) / 7);
const Y = Int32Array.from([0, 1, 2, 3, 4, 5]);
const npyX = npyBytes('<f4', [6, 4], new Uint8Array(X.buffer));
const npyY = npyBytes('<i4', [6], new Uint8Array(Y.buffer));
const npz = zipSync({ 'x.npy': [npyX, { level: 6 }], 'y.npy': [npyY, { level: 6 }] });
const idxImages = idxBytes(0x08, [6, 4, 4], Uint8Array.from({ length: 96 }, (_, i) => (i * 37) & 255));
const idxLabels = idxBytes(0x08, [6], Uint8Array.from(Y));
const csv = Array.from({ length: 6 }, (_, r) => [Y[r], ...Array.from(X.subarray(r * 4, r * 4 + 4))].join(',')).join('\n') + '\n';

function pngImage(): Uint8Array {
  const png = new PNG({ width: 5, height: 4 });
  for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 53) & 255;
  return PNG.sync.write(png);
}

function jpegImage(): Uint8Array {
  const data = Buffer.alloc(8 * 8 * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 29) & 255;
  return jpeg.encode({ data, width: 8, height: 8 }, 90).data;
}

function bmpImage(): Uint8Array {
  // 3x2, 24-bit: rows padded to 12 bytes.
  const b = bmpWithHeader(3, 2, 24);
  for (let i = 54; i < b.length; i++) b[i] = (i * 31) & 255;
  return b;
}

// ------------------------------------------------------------------------------------------------ fuzzing

test('npy datasets: damaged images and labels read or give one DatasetError line', async () => {
  const y = write('npy/y.npy', npyY);
  for (const [what, bytes] of damaged(npyX, rng, 60)) await attempt('npy', `x ${what}`, `npy:${write('npy/x.npy', bytes)},${y}`);
  const x = write('npy/x.npy', npyX);
  for (const [what, bytes] of damaged(npyY, rng, 40)) await attempt('npy', `y ${what}`, `npy:${x},${write('npy/y.npy', bytes)}`, { classCount: 6 });
});

test('npz datasets: damaged archives read or give one DatasetError line', async () => {
  for (const [what, bytes] of damaged(npz, rng, 120)) await attempt('npz', what, `npz:${write('npz/d.npz', bytes)}`);
});

test('IDX datasets, raw and gzipped: damaged files read or give one DatasetError line', async () => {
  const labels = write('idx/labels', idxLabels);
  for (const [what, bytes] of damaged(idxImages, rng, 60)) {
    await attempt('idx', `images ${what}`, `idx:${write('idx/images', bytes)},${labels}`);
    await attempt('idx.gz', `images ${what} (valid gzip)`, `idx:${write('idx/images.gz', zlib.gzipSync(bytes))},${labels}`, { limit: rng.int(1, 8) });
  }
  const gz = zlib.gzipSync(idxImages);
  for (const [what, bytes] of damaged(gz, rng, 60, 10)) await attempt('idx.gz', `gzip ${what}`, `idx:${write('idx/images.gz', bytes)},${labels}`);
  const images = write('idx/images', idxImages);
  for (const [what, bytes] of damaged(idxLabels, rng, 30)) await attempt('idx', `labels ${what}`, `idx:${images},${write('idx/labels', bytes)}`, { classCount: 6 });
});

test('CSV datasets: damaged text reads or gives one DatasetError line', async () => {
  const text = new TextEncoder().encode(csv);
  for (const [what, bytes] of damaged(text, rng, 80)) await attempt('csv', what, `csv:${write('csv/d.csv', bytes)}`, { classCount: 6 });
  const tokens = ['"', ',', '\n', '\r\n', 'e', '-', '1e400', 'NaN', '30000', '-1', '0x10', '', ' ', '\u00a0', '2.5'];
  for (let k = 0; k < 60; k++) {
    const fields = csv.split(/(,|\n)/);
    const at = rng.int(0, fields.length - 1);
    fields[at] = rng.pick(tokens);
    await attempt('csv', `field ${at} := ${JSON.stringify(fields[at])}`, `csv:${write('csv/d.csv', fields.join(''))}`, { classCount: 6 });
  }
});

test('image folders (PNG, JPEG, BMP): damaged files decode or give one DatasetError line', async () => {
  const bases: [string, Uint8Array][] = [['png', pngImage()], ['jpg', jpegImage()], ['bmp', bmpImage()]];
  for (const [ext, base] of bases) {
    const dir = path.join(tmp, `img-${ext}`);
    write(`img-${ext}/b/ok.${ext}`, base);
    for (const [what, bytes] of damaged(base, rng, 70)) {
      write(`img-${ext}/a/x.${ext}`, bytes);
      await attempt(ext, what, `images:${dir}`, { size: [4, 4], channels: 3 });
    }
  }
});

test('huge sizes declared by small files are refused from the header, quickly', async () => {
  const expectRejected = async (format: string, spec: string, re: RegExp, opts: DatasetOptions = {}) => {
    const t0 = performance.now();
    await assert.rejects((async () => { for await (const _ of await openDataset(spec, opts)) { /* read all */ } })(),
      (e: unknown) => e instanceof DatasetError && re.test((e as Error).message) && !(e as Error).message.includes('\n'));
    const ms = performance.now() - t0;
    assert.ok(ms < CASE_MS, `${format}: ${ms} ms`);
    (counts[`${format} (declared)`] ??= { read: 0, rejected: 0 }).rejected++;
  };
  // npy: a (2^32 - 1) x 4 float32 header over 16 bytes of data; a shape with more digits than any number.
  await expectRejected('npy', `npy:${write('huge/a.npy', npyBytes('<f4', [4294967295, 4], new Uint8Array(16)))}`, /declares 64 GiB of data, more than the 1 GiB/);
  await expectRejected('npy', `npy:${write('huge/b.npy', npyBytes('<f4', [2, 4], new Uint8Array(16), '(99999999999999999999999, 4)'))}`, /declares more bytes than any file has/);
  await expectRejected('npy', `npy:${write('huge/c.npy', npyBytes('<f4', [200, 4], new Uint8Array(16)))}`, /needs 3200 data bytes, file has 16/);
  // npz: a member whose zip directory claims 3.5 GB uncompressed (the data is 8 bytes).
  await expectRejected('npz', `npz:${write('huge/d.npz', npzDeclaring(3_500_000_000))}`, /declare 3\.3 GiB or more uncompressed, more than the 2 GiB/);
  // IDX: dims of 16 GiB over a 20-byte file, raw and gzipped; a gzip stream that inflates to 1.5 GiB behind a
  // header declaring 1.46 GiB.
  await expectRejected('idx', `idx:${write('huge/e', idxBytes(0x08, [65536, 512, 512], new Uint8Array(4)))}`, /declare 16 GiB, more than the 1 GiB/);
  await expectRejected('idx.gz', `idx:${write('huge/f.gz', zlib.gzipSync(idxBytes(0x0d, [1 << 20, 64, 64], new Uint8Array(64))))}`, /declare 16 GiB/);
  const bomb = write('huge/bomb.gz', idxGzipBomb(2_000_000, 24));
  assert.ok(fs.statSync(bomb).size < 4 * MiB);
  await expectRejected('idx.gz', `idx:${bomb}`, /dims \[2000000,28,28\] of uint8 declare 1\.5 GiB, more than the 1 GiB/);
  // The same bomb with a limit: only the 5 samples asked for are inflated.
  const t0 = performance.now();
  let n = 0;
  for await (const s of await openDataset(`idx:${bomb}`, { limit: 5 })) { n++; assert.equal(s.inputs[0].length, 784); }
  assert.equal(n, 5);
  assert.ok(performance.now() - t0 < CASE_MS);
  // CSV: a 300 MB file (sparse: no disk) is refused by its size without reading it.
  await expectRejected('csv', `csv:${sparseFile(path.join(tmp, 'huge/g.csv'), 300 * MiB)}`, /the file is 300 MiB, more than the 256 MiB litequant reads for a CSV dataset/);
  // Images: 20000x20000 PNG with 100 bytes of image data; 8000x6000 (48 megapixels, under the limit) with 100 bytes;
  // an interlaced 7000x7000 whose image data is cut at 2000 bytes; JPEG and BMP headers of 65535 x 65535.
  const img = (name: string, bytes: Uint8Array) => { const d = path.join(tmp, `huge-${name}`); write(`huge-${name}/c/${name}`, bytes); return `images:${d}`; };
  await expectRejected('png', img('a.png', pngWithHeader(20000, 20000, 100)), /image too large \(20000x20000 = 400 megapixels; at most 50\)/);
  await expectRejected('png', img('b.png', pngWithHeader(8000, 6000, 100)), /truncated PNG: 100 bytes of image data cannot hold 8000x6000 pixels/);
  await expectRejected('png', img('c.png', pngWithHeader(7000, 7000, 2000, 1)), /truncated PNG/);
  await expectRejected('jpeg', img('d.jpg', jpegWithHeader(65535, 65535)), /image too large \(65535x65535/);
  await expectRejected('bmp', img('e.bmp', bmpWithHeader(65535, 65535, 16)), /image too large \(65535x65535/);
  await expectRejected('bmp', img('f.bmp', bmpWithHeader(4000, 3000, 16)), /truncated BMP \(pixel data\)/);
  // A label far outside the model's classes, as .npy labels and as a CSV label: refused before any per-class table.
  const y = new Int32Array([1, 2, 30000, 3, 4, 5]);
  await expectRejected('npy', `npy:${write('huge/x.npy', npyX)},${write('huge/y.npy', npyBytes('<i4', [6], new Uint8Array(y.buffer)))}`,
    /sample 2 has label 30000, but the model has 10 classes/, { classCount: 10 });
  await expectRejected('csv', `csv:${write('huge/l.csv', csv.replace(/^3,/m, '30000,'))}`, /sample 3 has label 30000, but the model has 10 classes/, { classCount: 10 });
});

test('summary: counts, the slowest case, and the peak memory of all of them', () => {
  const rows = Object.entries(counts).map(([f, c]) => `${f}: ${c.read + c.rejected} (${c.rejected} rejected)`);
  const total = Object.values(counts).reduce((a, c) => a + c.read + c.rejected, 0);
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  console.log(`dataset fuzz: ${total} cases; ${rows.join('; ')}; slowest ${slowest.ms.toFixed(0)} ms (${slowest.what}); peak RSS ${peakMiB.toFixed(0)} MiB`);
  assert.ok(total > 800, `${total} cases`);
  assert.ok(slowest.ms < CASE_MS, `${slowest.what}: ${slowest.ms} ms`);
  // Every case of this process, the bomb included, stayed far below a gigabyte.
  assert.ok(peakMiB < 1024, `peak RSS ${peakMiB} MiB`);
  assert.ok(crc32(new TextEncoder().encode('123456789')) === 0xcbf43926, 'the CRC used to write PNG chunks is CRC-32');
});
