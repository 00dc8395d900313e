// Keras 3 .keras zips -> float .tflite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importKerasZip } from '../../src/importers/keras/keras-zip.js';
import { NO_CORPUS, corpusPath } from '../helpers/corpus.js';
import { checkMnist } from './mnist.js';

test('moonflower2022_mnist_model.keras: MNIST top-1 and TF.js agreement', { skip: NO_CORPUS }, async () => {
  const r = await checkMnist(corpusPath('keras/moonflower2022_mnist_model.keras'), importKerasZip, 1000, 40);
  // Full 10,000-image figure (99.18 %) in scripts/verify-convert.ts.
  assert.ok(r.accuracy >= 0.99, `top-1 ${r.accuracy}`);
  assert.ok(r.worst <= 1e-5 && r.worstOurs <= 1e-5, `max abs diff vs TF.js: official ${r.worst}, ours ${r.worstOurs}`);
  assert.equal(r.summary.format, 'keras-zip');
  assert.equal(r.summary.kerasVersion, '3.1.1');
  console.log(`mnist .keras: top-1 ${(100 * r.accuracy).toFixed(1)} % on 1,000; vs TF.js official ${r.worst.toExponential(2)}, ours ${r.worstOurs.toExponential(2)}`);
});
