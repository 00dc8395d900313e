// eval and compare spread over worker threads give exactly the results of one thread (predictions, accuracy,
// confusion matrix, agreement, per-layer error), on the tutorial's float and int8 models (models/mnist-cnn converted
// and quantized here) on MNIST test images. Only timings may differ; latency is measured on one thread.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { convert } from '../../src/convert.js';
import { BUNDLED_MODEL } from '../../src/cli/tutorial.js';
import { compare, evaluate, openDataset, type ComparisonResult, type EvaluationResult } from '../../src/evaluate/index.js';
import { LATENCY_SAMPLES } from '../../src/evaluate/sample-loop.js';
import { writeModel } from '../../src/format/index.js';
import { quantize } from '../../src/quantize/index.js';
import { cli } from '../helpers/cli.js';

const NO_MODEL = fs.existsSync(BUNDLED_MODEL) ? false : `bundled model missing at ${BUNDLED_MODEL}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-threads-'));
const floatPath = path.join(dir, 'mnist_float.tflite');
const int8Path = path.join(dir, 'mnist_int8.tflite');
const LIMIT = 300;

before(async () => {
  if (NO_MODEL) return;
  const { model } = await convert(BUNDLED_MODEL, { output: floatPath });
  const calibration = await openDataset('mnist:train', { inputShapes: [[1, 28, 28, 1]], limit: 100 });
  const q = await quantize(model, { mode: 'int8', inputType: 'uint8', outputType: 'uint8', representativeDataset: calibration, threads: 1 });
  fs.writeFileSync(int8Path, writeModel(q.model));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const TIMING_KEYS = new Set(['latency_ms', 'throughput_per_s', 'wall_seconds', 'threads']);
/** The result without timings and thread counts: what must not depend on the number of threads. */
function untimed<T>(r: T): unknown {
  return JSON.parse(JSON.stringify(r, (k, v) => (TIMING_KEYS.has(k) ? undefined : v)));
}

test('evaluate: --threads 2 gives the predictions, accuracy and confusion matrix of --threads 1', { skip: NO_MODEL }, async () => {
  const opts = { datasetOptions: { limit: LIMIT }, keepPredictions: true };
  const one: EvaluationResult = await evaluate(int8Path, 'mnist:test', { ...opts, threads: 1 });
  const two: EvaluationResult = await evaluate(int8Path, 'mnist:test', { ...opts, threads: 2 });
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.equal(two.samples, LIMIT);
  assert.deepEqual(untimed(two), untimed(one));
  assert.ok(one.confusion && one.top1! > 0.9);
  // One thread times every sample; with workers, the first samples are timed on this thread before they start.
  assert.equal(one.latency_ms.samples, LIMIT);
  assert.equal(two.latency_ms.samples, LATENCY_SAMPLES);
  assert.ok(two.latency_ms.p50 > 0 && two.throughput_per_s > 0);
});

test('compare: float vs int8 on 2 threads = 1 thread, per-layer error over samples run here and in workers', { skip: NO_MODEL }, async () => {
  // 120 layer samples: the first 50 run on this thread (the latency phase), the next 70 in the workers.
  const opts = { datasetOptions: { limit: LIMIT }, layerSamples: 120 };
  const progress: number[] = [];
  const one: ComparisonResult = await compare([floatPath, int8Path], 'mnist:test', { ...opts, threads: 1 });
  const two: ComparisonResult = await compare([floatPath, int8Path], 'mnist:test', {
    ...opts, threads: 2, onProgress: (p) => { if (p.phase === 'evaluate') progress.push(p.done); },
  });
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.deepEqual(progress, Array.from({ length: LIMIT }, (_, i) => i + 1), 'progress in sample order');
  assert.equal(two.layer_samples, 120);
  assert.equal(two.layer_error[0].samples, 120);
  assert.ok(two.layer_error[0].rows.length >= 5);
  assert.deepEqual(untimed(two), untimed(one));
  assert.ok(two.models[1].agreement_top1 > 0.9 && two.models[1].agreement_top1 < 1 + 1e-12);
});

test('eval and compare CLI: --threads 1 and --threads 2 print the same JSON apart from timings', { skip: NO_MODEL }, () => {
  const run = (args: string[]) => {
    const r = cli(args);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const evalArgs = ['eval', int8Path, '--dataset', 'mnist:test', '--limit', '200', '--json'];
  const e1 = run([...evalArgs, '--threads', '1']);
  const e2 = run([...evalArgs, '--threads', '2']);
  assert.equal(e1.threads, 1);
  assert.equal(e2.threads, 2);
  assert.deepEqual(untimed(e2), untimed(e1));
  const cmpArgs = ['compare', floatPath, int8Path, '--dataset', 'mnist:test', '--limit', '200', '--layer-samples', '80', '--json'];
  const c1 = run([...cmpArgs, '--threads', '1']);
  const c2 = run([...cmpArgs, '--threads', '2']);
  assert.equal(c2.threads, 2);
  assert.ok(c2.throughput_per_s > 0 && c2.wall_seconds > 0);
  assert.deepEqual(untimed(c2), untimed(c1));
  const human = cli([...cmpArgs.slice(0, -1), '--threads', '2']);
  assert.match(human.stdout, /samples\/s on 2 threads/);
});

test('--keep-state runs on one thread even with --threads 2; bad --threads is a usage error', { skip: NO_MODEL }, async () => {
  const r = cli(['eval', int8Path, '--dataset', 'mnist:test', '--limit', '80', '--keep-state', '--threads', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.state, 'kept across samples');
  assert.equal(j.threads, 1);
  assert.equal(j.latency_ms.samples, 80, 'every sample timed, as on one thread');
  const c = await compare([floatPath, int8Path], 'mnist:test', { datasetOptions: { limit: 80 }, keepState: true, threads: 2 });
  assert.equal(c.threads, 1);
  for (const bad of ['0', 'two', '1.5']) {
    const u = cli(['eval', int8Path, '--dataset', 'mnist:test', '--limit', '10', '--threads', bad]);
    assert.equal(u.code, 2, `--threads ${bad}: ${u.stderr}`);
    assert.match(u.stderr, /--threads takes a positive integer/);
  }
});

test('without --threads, a small evaluation stays on one thread (starting workers would cost more)', { skip: NO_MODEL }, async () => {
  const r = await evaluate(int8Path, 'mnist:test', { datasetOptions: { limit: LATENCY_SAMPLES + 10 } });
  assert.equal(r.threads, 1);
  assert.equal(r.latency_ms.samples, LATENCY_SAMPLES + 10);
});

test('a dataset error after the workers started is the same error, and the workers stop', { skip: NO_MODEL }, async () => {
  const images = path.join(dir, 'images', 'a');
  fs.mkdirSync(images, { recursive: true });
  const png = PNG.sync.write(new PNG({ width: 28, height: 28 }));
  for (let i = 0; i < 90; i++) fs.writeFileSync(path.join(images, `img${String(i).padStart(3, '0')}.png`), i === 75 ? 'not a png' : png);
  for (const threads of [1, 2]) {
    await assert.rejects(evaluate(int8Path, `images:${path.dirname(images)}`, { threads }),
      (e: Error) => e.name === 'DatasetError' && /img075\.png/.test(e.message), `threads ${threads}`);
  }
});
