// The checked-in tutorial model (models/mnist-cnn, written by `npm run train:mnist`): a loadable TF.js Layers model
// under 1 MB whose accuracy on the 10,000 MNIST test images, measured here by TF.js itself, is >= 98.0 % and is the
// figure TRAINING.md states.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openDataset } from '../../src/evaluate/datasets/index.js';
import { PROJECT_ROOT } from '../helpers/corpus.js';

const DIR = path.join(PROJECT_ROOT, 'models', 'mnist-cnn');

test('models/mnist-cnn: TF.js Layers model under 1 MB, >= 98.0 % on MNIST test, as TRAINING.md says', async () => {
  const json = JSON.parse(fs.readFileSync(path.join(DIR, 'model.json'), 'utf8'));
  const weights = fs.readFileSync(path.join(DIR, 'weights.bin'));
  assert.equal(json.format, 'layers-model');
  assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);
  const declared = json.weightsManifest[0].weights.reduce((n: number, w: { shape: number[] }) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  assert.equal(weights.length, declared);
  assert.ok(weights.length + fs.statSync(path.join(DIR, 'model.json')).size < 1_000_000);

  await tf.setBackend('cpu');
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
  }));
  const ds = await openDataset('mnist:test', { inputShapes: [[1, 28, 28, 1]] });
  const batch = 1000;
  const x = new Float32Array(batch * 784);
  const labels: number[] = [];
  let correct = 0;
  const flush = async () => {
    const n = labels.length;
    const pred = tf.tidy(() => (model.predict(tf.tensor4d(x.subarray(0, n * 784), [n, 28, 28, 1])) as tf.Tensor).argMax(-1));
    const p = await pred.data();
    pred.dispose();
    for (let i = 0; i < n; i++) if (p[i] === labels[i]) correct++;
    labels.length = 0;
  };
  for await (const s of ds) {
    x.set(s.inputs[0], labels.length * 784);
    labels.push(s.label!);
    if (labels.length === batch) await flush();
  }
  if (labels.length) await flush();
  const accuracy = (correct / 10000) * 100;
  assert.ok(accuracy >= 98.0, `test accuracy ${accuracy.toFixed(2)} %`);
  const stated = /Test accuracy[^:]*: ([\d.]+) %/.exec(fs.readFileSync(path.join(DIR, 'TRAINING.md'), 'utf8'))?.[1];
  assert.equal(stated, accuracy.toFixed(2));
});
