// Bounded memory and time on hostile input, through the real CLI: each case is a small file that declares (or holds)
// something huge, or a path that is not a regular file. Each must end with the expected exit code and one
// `litequant:` line, under 1 GB of peak RSS and 30 s, leaving its input files byte-identical.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { GraphBuilder } from '../../src/graph/builder.js';
import { writeModel } from '../../src/format/index.js';
import { cliMeasured, type MeasuredRun } from '../helpers/peak-rss.js';
import {
  fourLiveModel, idxGzipBomb, jpegWithHeader, npyBytes, npzDeclaring, pngWithHeader, reluModel, sparseFile, tileModel,
} from '../helpers/hostile-files.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-limits-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const MAX_MIB = 1024;
const MAX_SECONDS = 30;

function file(name: string, bytes: Uint8Array | string): string {
  const p = path.join(tmp, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, bytes);
  return p;
}

/** A 10-class "classifier": SOFTMAX of a [1, 10] float32 input. */
const classifier = file('classifier.tflite', (() => {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: [1, 10] });
  const y = b.addTensor({ name: 'scores', dtype: 'float32', shape: [1, 10] });
  b.addOp('SOFTMAX', [x], [y], { beta: 1 });
  b.markOutput(y);
  return writeModel(b.model());
})());
/** SOFTMAX over a [1, 28, 28] image: takes MNIST-shaped samples. */
const imageModel = file('image-model.tflite', (() => {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'image', dtype: 'float32', shape: [1, 28, 28] });
  const y = b.addTensor({ name: 'scores', dtype: 'float32', shape: [1, 28, 28] });
  b.addOp('SOFTMAX', [x], [y], { beta: 1 });
  b.markOutput(y);
  return writeModel(b.model());
})());
const xs = file('x.npy', npyBytes('<f4', [6, 10], new Uint8Array(new Float32Array(60).fill(0.5).buffer)));

const sha = (p: string) => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');

interface Case {
  name: string;
  args: string[];
  code: number;
  stderr?: RegExp;
  /** Regular files the command reads: they must be unchanged. */
  inputs?: string[];
  /** Files that must not exist afterwards. */
  absent?: string[];
}

const results: { name: string; run: MeasuredRun }[] = [];

function check(c: Case): void {
  const before = (c.inputs ?? []).map(sha);
  const run = cliMeasured(c.args);
  results.push({ name: c.name, run });
  const lines = run.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(run.signal, null, `${c.name}: killed by ${run.signal}`);
  assert.equal(run.code, c.code, `${c.name}: exit ${run.code}, stderr: ${run.stderr}`);
  if (c.code !== 0) {
    assert.equal(lines.length, 1, `${c.name}: one line on stderr, got:\n${run.stderr}`);
    assert.match(lines[0], /^litequant: /);
    if (c.stderr) assert.match(lines[0], c.stderr, c.name);
  }
  assert.ok(run.seconds < MAX_SECONDS, `${c.name}: ${run.seconds.toFixed(1)} s`);
  assert.ok(run.peakMiB < MAX_MIB, `${c.name}: peak RSS ${run.peakMiB.toFixed(0)} MiB`);
  (c.inputs ?? []).forEach((p, i) => assert.equal(sha(p), before[i], `${c.name}: ${p} changed`));
  for (const p of c.absent ?? []) assert.ok(!fs.existsSync(p), `${c.name}: ${p} was written`);
}

test('labels far outside the model\'s classes (npy, CSV; eval and compare) are one line before any per-class table', () => {
  const y = file('y.npy', npyBytes('<i4', [6], new Uint8Array(Int32Array.from([1, 2, 30000, 3, 4, 5]).buffer)));
  check({ name: 'eval, label 30000 in a labels .npy', args: ['eval', classifier, '--dataset', `npy:${xs},${y}`], code: 1,
    stderr: /sample 2 has label 30000, but the model has 10 classes/, inputs: [classifier, xs, y] });
  const csv = file('labels.csv', Array.from({ length: 6 }, (_, r) => [r === 4 ? 30000 : r, ...new Array(10).fill(0.1)].join(',')).join('\n'));
  check({ name: 'eval, label 30000 in a CSV', args: ['eval', classifier, '--dataset', `csv:${csv}`], code: 1,
    stderr: /sample 4 has label 30000/, inputs: [classifier, csv] });
  check({ name: 'compare, label 30000', args: ['compare', classifier, classifier, '--dataset', `npy:${xs},${y}`], code: 1,
    stderr: /sample 2 has label 30000/, inputs: [classifier, xs, y] });
});

test('a model with 65536 scores is evaluated with per-class counts, not a 65536 x 65536 confusion matrix', () => {
  const wide = file('wide.tflite', (() => {
    const b = new GraphBuilder();
    const x = b.addInput({ name: 'x', dtype: 'float32', shape: [1, 65536] });
    const y = b.addTensor({ name: 'scores', dtype: 'float32', shape: [1, 65536] });
    b.addOp('SOFTMAX', [x], [y], { beta: 1 });
    b.markOutput(y);
    return writeModel(b.model());
  })());
  // Sample k has its largest value at 1000 * k + 1 and label 1000 * k + 1 (k = 0, 1) or 5 (k = 2).
  const x = new Float32Array(3 * 65536);
  for (let k = 0; k < 3; k++) x[k * 65536 + 1000 * k + 1] = 10;
  const data = file('wide-x.npy', npyBytes('<f4', [3, 65536], new Uint8Array(x.buffer)));
  const labels = file('wide-y.npy', npyBytes('<i4', [3], new Uint8Array(Int32Array.from([1, 1001, 5]).buffer)));
  check({ name: 'eval, 356-byte model with 65536 scores', args: ['eval', wide, '--dataset', `npy:${data},${labels}`, '--json'], code: 0, inputs: [wide, data, labels] });
  const r = JSON.parse(results[results.length - 1].run.stdout);
  assert.equal(r.num_classes, 65536);
  assert.equal(r.confusion, null);
  assert.equal(r.correct_top1, 2);
  assert.equal(r.per_class[1001].correct, 1);
});

test('models whose tensors need gigabytes are refused at prepare, naming the tensor', () => {
  const arena = file('arena-4g.tflite', fourLiveModel([1, 256, 1024, 1024]));
  assert.ok(fs.statSync(arena).size < 600);
  check({ name: 'run, 552-byte model with 4 GiB of activations', args: ['run', arena], code: 1,
    stderr: /arena-4g\.tflite: the activation arena, up to tensor 'c' \[1,256,1024,1024\] float32, needs 3 GiB, above the memory limit of 2 GiB/, inputs: [arena] });
  const big = file('input-65536.tflite', reluModel([65536, 65536]));
  check({ name: 'run, input [65536, 65536]', args: ['run', big], code: 1,
    stderr: /tensor 'x' \[65536,65536\] float32 needs 16 GiB/, inputs: [big] });
  const tile = file('tile-4g.tflite', tileModel(2 ** 27));
  check({ name: 'run, TILE of 8 values to 4 GiB', args: ['run', tile], code: 1, stderr: /tensor 'tiled' \[1,1073741824\] float32 needs 4 GiB/, inputs: [tile] });
  check({ name: 'eval, 4 GiB of activations', args: ['eval', arena, '--dataset', `npy:${xs}`], code: 1, stderr: /activation arena/, inputs: [arena, xs] });
  // The official runtime has no limit of its own: the model is held to ours all the same.
  const x8 = file('x8.npy', npyBytes('<f4', [3, 8], new Uint8Array(96)));
  check({ name: 'eval --runtime tflite, TILE to 4 GiB', args: ['eval', tile, '--dataset', `npy:${x8}`, '--runtime', 'tflite'], code: 1,
    stderr: /tile-4g\.tflite: tensor 'tiled' \[1,1073741824\] float32 needs 4 GiB/, inputs: [tile, x8] });
});

test('--max-memory: a small limit refuses a model that fits the default; a malformed size is a usage error', () => {
  const m = file('m.tflite', fourLiveModel([1, 64, 64, 16]));
  check({ name: 'run --max-memory 512K', args: ['run', m, '--max-memory', '512K'], code: 1,
    stderr: /the activation arena, up to tensor 'c' \[1,64,64,16\] float32, needs 768 KiB, above the memory limit of 512 KiB/, inputs: [m] });
  check({ name: 'run --max-memory 2M', args: ['run', m, '--max-memory', '2M'], code: 0, inputs: [m] });
  check({ name: 'run --max-memory 12X', args: ['run', m, '--max-memory', '12X'], code: 2, stderr: /--max-memory takes a size such as 512M or 4G, got '12X'/ });
  const out = path.join(tmp, 'q.tflite');
  const calib = file('calib.npy', npyBytes('<f4', [4, 1, 64, 64, 16], new Uint8Array(4 * 65536 * 4)));
  check({ name: 'quantize int8 --max-memory 512K', args: ['quantize', m, '-o', out, '--mode', 'int8', '--calibration', `npy:${calib}`, '--samples', '1', '--max-memory', '512K'],
    code: 1, stderr: /m\.tflite: the activation arena, up to tensor 'c' .* above the memory limit of 512 KiB/, inputs: [m, calib], absent: [out] });
});

test('calibration data is counted before it is read: one small image resized to a huge model input', () => {
  const model = file('rgb-8000.tflite', reluModel([1, 8000, 8000, 3]));
  const dir = path.join(tmp, 'one-image');
  fs.mkdirSync(path.join(dir, 'a'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'a', 'small.bmp'), (() => {
    const b = Buffer.alloc(54 + 16);
    b.write('BM', 0, 'latin1'); b.writeUInt32LE(b.length, 2); b.writeUInt32LE(54, 10); b.writeUInt32LE(40, 14);
    b.writeInt32LE(2, 18); b.writeInt32LE(2, 22); b.writeUInt16LE(1, 26); b.writeUInt16LE(24, 28);
    return b;
  })());
  const out = path.join(tmp, 'rgb-8000-int8.tflite');
  // 8000 x 8000 x 3 float32 = 732 MiB per sample; 100 samples (the default) = 71.5 GiB.
  check({ name: 'quantize int8, 100 samples of 732 MiB', args: ['quantize', model, '-o', out, '--mode', 'int8', '--calibration', `images:${dir}`], code: 1,
    stderr: /rgb-8000\.tflite: the calibration data \(100 samples of 732 MiB\) needs 71\.5 GiB, above the memory limit of 2 GiB/, inputs: [model], absent: [out] });
});

test('dataset files declaring huge sizes are refused from their headers', () => {
  const images = path.join(tmp, 'png-dir');
  fs.mkdirSync(path.join(images, 'a'), { recursive: true });
  fs.writeFileSync(path.join(images, 'a', 'big.png'), pngWithHeader(20000, 20000, 100));
  check({ name: 'eval, 20000x20000 PNG with 100 bytes of image data', args: ['eval', classifier, '--dataset', `images:${images}`], code: 1,
    stderr: /big\.png: cannot decode image \(image too large \(20000x20000/, inputs: [path.join(images, 'a', 'big.png')] });
  const jpegs = path.join(tmp, 'jpeg-dir');
  fs.mkdirSync(path.join(jpegs, 'a'), { recursive: true });
  fs.writeFileSync(path.join(jpegs, 'a', 'big.jpg'), jpegWithHeader(65535, 65535));
  check({ name: 'eval, JPEG header of 65535x65535', args: ['eval', classifier, '--dataset', `images:${jpegs}`], code: 1, stderr: /image too large \(65535x65535/ });
  const bomb = file('bomb-idx3.gz', idxGzipBomb(2_000_000, 24));
  check({ name: 'eval, IDX gzip bomb (1.5 GiB inflated)', args: ['eval', classifier, '--dataset', `idx:${bomb}`], code: 1,
    stderr: /declare 1\.5 GiB, more than the 1 GiB an array may hold/, inputs: [bomb] });
  // With --limit 5 only the first 5 samples are inflated: the evaluation runs.
  check({ name: 'eval, IDX gzip bomb with --limit 5', args: ['eval', imageModel, '--dataset', `idx:${bomb}`, '--limit', '5'], code: 0, inputs: [bomb] });
  const npz = file('declared.npz', npzDeclaring(3_500_000_000));
  check({ name: 'eval, .npz member declaring 3.5 GB', args: ['eval', classifier, '--dataset', `npz:${npz}`], code: 1, stderr: /or more uncompressed/, inputs: [npz] });
  const npy = file('declared.npy', npyBytes('<f4', [4294967295, 10], new Uint8Array(40)));
  check({ name: 'run --input .npy declaring 160 GiB', args: ['run', classifier, '--input', npy], code: 1, stderr: /declares 160 GiB of data/, inputs: [npy] });
});

test('only regular files are read, and only up to a size: /dev/zero, a FIFO, a directory, a 3 GiB file', () => {
  if (fs.existsSync('/dev/zero')) {
    check({ name: 'inspect /dev/zero', args: ['inspect', '/dev/zero'], code: 1, stderr: /^litequant: \/dev\/zero: is a character device, not a regular file$/ });
    check({ name: 'eval --dataset npy:/dev/zero', args: ['eval', classifier, '--dataset', 'npy:/dev/zero'], code: 1, stderr: /character device/ });
  }
  const fifo = path.join(tmp, 'fifo.tflite');
  let haveFifo = true;
  try { execFileSync('mkfifo', [fifo]); } catch { haveFifo = false; }
  if (haveFifo) {
    check({ name: 'inspect a FIFO', args: ['inspect', fifo], code: 1, stderr: /fifo\.tflite: is a FIFO \(named pipe\), not a regular file/ });
    check({ name: 'eval --dataset idx:FIFO', args: ['eval', classifier, '--dataset', `idx:${fifo}`], code: 1, stderr: /is a FIFO/ });
  }
  check({ name: 'inspect a directory', args: ['inspect', tmp], code: 1, stderr: /is a directory, not a file/ });
  check({ name: 'eval --dataset csv:DIR', args: ['eval', classifier, '--dataset', `csv:${tmp}`], code: 1, stderr: /is a directory/ });
  const huge = sparseFile(path.join(tmp, 'huge.tflite'), 3 * 1024 ** 3);
  check({ name: 'inspect a 3 GiB file', args: ['inspect', huge], code: 1, stderr: /huge\.tflite: the file is 3 GiB, more than the 2 GiB litequant reads for a \.tflite model/ });
  check({ name: 'convert a 3 GiB file', args: ['convert', huge, '-o', path.join(tmp, 'out.tflite')], code: 1, stderr: /the file is 3 GiB/, absent: [path.join(tmp, 'out.tflite')] });
});

test('summary of the measured runs', () => {
  const rows = results.map(({ name, run }) => `${name}: exit ${run.code}, ${run.peakMiB.toFixed(0)} MiB, ${run.seconds.toFixed(2)} s`);
  console.log(`resource limits (${results.length} runs):\n  ${rows.join('\n  ')}`);
  assert.ok(results.length >= 20);
});
