// Calibration spread over worker threads gives the same file as one thread: min/max merge exactly, and the
// percentile/MSE histograms have fixed bins over the final min/max, so their counts add exactly. Checked on the
// tutorial CNN (converted from models/mnist-cnn), on the MNIST LSTM (cell-state ranges merge too), and for the error
// a bad activation gives (the first bad sample, whichever thread ran it).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { convert } from '../../src/convert.js';
import { BUNDLED_MODEL } from '../../src/cli/tutorial.js';
import { openDataset } from '../../src/evaluate/datasets/index.js';
import { readModel, writeModel } from '../../src/format/index.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Model } from '../../src/graph/model.js';
import { InputError } from '../../src/errors.js';
import { quantize, type QuantizeOptions } from '../../src/quantize/index.js';
import { NO_CORPUS, readCorpus } from '../helpers/corpus.js';
import { take, type LabelledSample } from './helpers.js';

const NO_MODEL = fs.existsSync(BUNDLED_MODEL) ? false : `bundled model missing at ${BUNDLED_MODEL}`;
let cnn: Model;
let calibration: LabelledSample[];

before(async () => {
  if (NO_MODEL) return;
  cnn = (await convert(BUNDLED_MODEL)).model;
  calibration = await take(await openDataset('mnist:train', { inputShapes: [[1, 28, 28, 1]], limit: 120 }), 120);
});

async function bytesOn(model: Model, threads: number, opts: Partial<QuantizeOptions>): Promise<{ bytes: Uint8Array; threads: number }> {
  const { model: q, report } = await quantize(model, { mode: 'int8', representativeDataset: calibration, samples: calibration.length, threads, ...opts });
  return { bytes: writeModel(q), threads: report.calibration!.threads };
}

for (const method of ['minmax', 'percentile', 'percentile:99.9', 'mse', 'kl']) {
  test(`calibration ${method}: --threads 1 and --threads 2 write byte-identical files (tutorial CNN, 120 samples)`, { skip: NO_MODEL }, async () => {
    const opts = { calibrationMethod: method, inputType: 'uint8', outputType: 'uint8' } as const;
    const one = await bytesOn(cnn, 1, opts);
    const two = await bytesOn(cnn, 2, opts);
    assert.equal(one.threads, 1);
    assert.equal(two.threads, 2, 'an explicit thread count starts the workers even for small work');
    assert.ok(Buffer.from(one.bytes).equals(Buffer.from(two.bytes)), `${method}: files differ`);
  });
}

test('calibration int16x8: threads 1 and 3 write byte-identical files', { skip: NO_MODEL }, async () => {
  const one = await bytesOn(cnn, 1, { mode: 'int16x8', calibrationMethod: 'percentile' });
  const three = await bytesOn(cnn, 3, { mode: 'int16x8', calibrationMethod: 'percentile' });
  assert.equal(three.threads, 3);
  assert.ok(Buffer.from(one.bytes).equals(Buffer.from(three.bytes)));
});

test('calibration of the MNIST LSTM: cell-state ranges merge across threads (byte-identical files)', { skip: NO_CORPUS }, async () => {
  const lstm = readModel(readCorpus('tflite/tflite-micro/trained_lstm.tflite'));
  const shape = lstm.subgraphs[0].tensors[lstm.subgraphs[0].inputs[0]].shape;
  const samples = await take(await openDataset('mnist:train', { inputShapes: [shape], limit: 40 }), 40);
  const run = async (threads: number) => writeModel((await quantize(lstm, {
    mode: 'int8', inputType: 'int8', outputType: 'int8', representativeDataset: samples, samples: samples.length, threads,
  })).model);
  assert.ok(Buffer.from(await run(1)).equals(Buffer.from(await run(2))));
});

test('a non-finite activation names the first bad sample, on one thread or two', async () => {
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 4], dtype: 'float32' });
  const y = g.addTensor({ name: 'log_x', shape: [1, 4], dtype: 'float32' });
  g.addOp('LOG', [x], [y]);
  g.markOutput(y);
  const model = g.model();
  // log(0) = -Infinity in samples 23 and 31; with two threads they fall in different chunks.
  const samples = Array.from({ length: 40 }, (_, k) => [Float32Array.of(1 + k, 2, k === 23 || k === 31 ? 0 : 3, 4)]);
  for (const threads of [1, 2]) {
    await assert.rejects(quantize(model, { mode: 'int8', representativeDataset: samples, samples: 40, threads }),
      (e: Error) => e instanceof InputError && e.message === "calibration sample 23: tensor 'log_x' (index 1) has -Infinity at element 2",
      `threads ${threads}`);
  }
});

test('--threads must be a positive integer', async () => {
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 2], dtype: 'float32' });
  const y = g.addTensor({ name: 'y', shape: [1, 2], dtype: 'float32' });
  g.addOp('RELU', [x], [y]);
  g.markOutput(y);
  for (const threads of [0, 1.5, -2]) {
    await assert.rejects(quantize(g.model(), { mode: 'int8', representativeDataset: [[Float32Array.of(1, 2)]], threads }), /--threads takes a positive integer/);
  }
});
