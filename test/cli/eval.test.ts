import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { cli } from '../helpers/cli.js';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';
import { encodeNpy } from '../../src/evaluate/npy.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-eval-'));
const LSTM = 'tflite/tflite-micro/trained_lstm.tflite';

test('eval --json carries every number of the human table; no progress bar off a TTY', { skip: NO_CORPUS }, () => {
  const j = cli(['eval', corpusPath(LSTM), '--dataset', 'mnist:test', '--limit', '200', '--json']);
  assert.equal(j.code, 0, j.stderr);
  assert.equal(j.stderr, '', 'nothing on stderr (no progress bar when not a TTY)');
  const r = JSON.parse(j.stdout);
  assert.equal(r.samples, 200);
  assert.equal(r.state, 'reset per sample');
  assert.equal(r.confusion.length, 10);
  assert.equal(r.confusion.flat().reduce((a: number, b: number) => a + b, 0), 200);
  assert.equal(r.per_class.reduce((a: number, c: { count: number }) => a + c.count, 0), 200);
  for (const k of ['mean', 'p50', 'p99']) assert.ok(r.latency_ms[k] > 0, k);
  const h = cli(['eval', corpusPath(LSTM), '--dataset', 'mnist:test', '--limit', '200']);
  assert.equal(h.code, 0, h.stderr);
  assert.ok(h.stdout.includes(`${(100 * r.top1).toFixed(2)} %`), 'human table shows the same top-1');
  assert.ok(h.stdout.includes(`(${r.correct_top1}/200)`));
  assert.match(h.stdout, /state reset per sample/);
  const kept = JSON.parse(cli(['eval', corpusPath(LSTM), '--dataset', 'mnist:test', '--limit', '50', '--keep-state', '--json']).stdout);
  assert.equal(kept.state, 'kept across samples');
});

test('eval: bad datasets give one clear line and exit 1 (a malformed spec or flag value: 2)', { skip: NO_CORPUS }, () => {
  const x = path.join(tmp, 'x.npy');
  const y = path.join(tmp, 'y.npy');
  fs.writeFileSync(x, encodeNpy(new Float32Array(3 * 28 * 28), [3, 28, 28]));
  fs.writeFileSync(y, encodeNpy(new Int32Array(2), [2]));
  const wrongShape = path.join(tmp, 'w.npy');
  fs.writeFileSync(wrongShape, encodeNpy(new Float32Array(3 * 30), [3, 30]));
  const images = path.join(tmp, 'images');
  fs.mkdirSync(path.join(images, 'a'), { recursive: true });
  const png = new PNG({ width: 28, height: 28 });
  fs.writeFileSync(path.join(images, 'a', 'good.png'), PNG.sync.write(png));
  fs.writeFileSync(path.join(images, 'a', 'broken.png'), 'not a png');
  // Malformed flag values (a spec of no known kind, a limit that is not a number) are usage errors: exit 2.
  const cases: [string[], RegExp, number][] = [
    [['--dataset', 'nosuch:thing'], /nosuch:thing/, 2],
    [['--dataset', `npy:${x},${y}`], /3.*2|2.*3/, 1],
    [['--dataset', `npy:${wrongShape}`], /w\.npy|shape|30/, 1],
    [['--dataset', `images:${images}`], /broken\.png/, 1],
    [['--dataset', 'mnist:test', '--limit', 'ten'], /--limit/, 2],
  ];
  for (const [args, pattern, code] of cases) {
    const r = cli(['eval', corpusPath(LSTM), ...args]);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
  }
  const skipped = cli(['eval', corpusPath(LSTM), '--dataset', `images:${images}`, '--on-decode-error', 'skip', '--json']);
  assert.equal(skipped.code, 0, skipped.stderr);
  const r = JSON.parse(skipped.stdout);
  assert.equal(r.samples, 1);
  assert.equal(r.skipped, 1);
});

test('compare --json: sizes, accuracy, agreement and per-layer rows; --report writes HTML', { skip: NO_CORPUS }, () => {
  const a = corpusPath('tflite/tflite-micro/trained_lstm.tflite');
  const b = corpusPath('tflite/tflite-micro/trained_lstm_int8.tflite');
  const report = path.join(tmp, 'report.html');
  const r = cli(['compare', a, b, '--dataset', 'mnist:test', '--limit', '100', '--layer-samples', '20', '--report', report, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.models.length, 2);
  assert.equal(j.models[0].file_bytes, fs.statSync(a).size);
  assert.equal(j.models[1].file_bytes, fs.statSync(b).size);
  assert.ok(j.models[1].agreement_top1 >= 0.9 && j.models[1].agreement_top1 <= 1);
  assert.ok(j.layer_error[0].rows.length > 0);
  assert.ok(fs.readFileSync(report, 'utf8').includes('<svg'));
});
