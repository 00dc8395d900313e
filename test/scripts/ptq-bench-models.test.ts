// The PTQ bench's model list (scripts/ptq-bench/models.ts): enough models, disjoint data roles, files that load
// as 28x28 -> 10 classifiers; and the paired-drop statistic against hand arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { convert } from '../../src/convert.js';
import { UsageError } from '../../src/errors.js';
import { loadModel } from '../../src/evaluate/load-model.js';
import {
  BENCH_MODELS, benchModelFile, checkBenchSplits, quickSplits, selectBenchModels,
} from '../../scripts/ptq-bench/models.js';
import { pairedDrop } from '../../scripts/ptq-bench/stats.js';

const ROOT = (() => {
  let d = path.dirname(new URL(import.meta.url).pathname);
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
})();

test('the bench has at least 5 models with unique names, and every model\'s calibration, validation and test ranges are disjoint (also in --quick)', () => {
  assert.ok(BENCH_MODELS.length >= 5, `${BENCH_MODELS.length} models`);
  assert.equal(new Set(BENCH_MODELS.map((m) => m.name)).size, BENCH_MODELS.length);
  for (const m of BENCH_MODELS) {
    checkBenchSplits(m);
    checkBenchSplits(m, quickSplits(m.splits));
    assert.match(m.splits.test, /:test$/, `${m.name}: the test role is the test split`);
    assert.equal(quickSplits(m.splits).test, m.splits.test);
  }
  assert.equal(quickSplits({ calibration: 'mnist:train[0:1000]', validation: 'mnist:train[50000:60000]', test: 'mnist:test' }).validation, 'mnist:train[50000:51000]');
  // The check is real: a validation range overlapping calibration is refused, naming both roles.
  const m = BENCH_MODELS[0];
  assert.throws(() => checkBenchSplits(m, { ...m.splits, validation: m.splits.calibration.replace('[0:1000]', '[900:2000]') }),
    (e: Error) => e instanceof UsageError && /calibration/.test(e.message) && /validation/.test(e.message));
  assert.throws(() => selectBenchModels(['no-such-model']), /unknown bench model/);
  assert.deepEqual(selectBenchModels(['mnist-cnn']).map((x) => x.name), ['mnist-cnn']);
});

test('every bench model present here loads as a [.., 28, 28(, 1)] -> 10 classifier; corpus models skip when absent', async (t) => {
  let loaded = 0;
  for (const m of BENCH_MODELS) {
    const where = benchModelFile(m, ROOT);
    if ('skip' in where) {
      // Our own models are committed; only the shared corpus may be missing on a machine.
      assert.equal(m.source.kind, 'corpus', `${m.name}: ${where.skip}`);
      t.diagnostic(`${m.name}: skipped: ${where.skip}`);
      continue;
    }
    const model = where.file.endsWith('.tflite') ? loadModel(where.file).model : (await convert(where.file, { label: m.name })).model;
    const sg = model.subgraphs[0];
    const inShape = sg.tensors[sg.inputs[0]].shape;
    const outShape = sg.tensors[sg.outputs[0]].shape;
    assert.equal(inShape.slice(1).reduce((p, d) => p * d, 1), 784, `${m.name}: input [${inShape}]`);
    assert.equal(outShape[outShape.length - 1], 10, `${m.name}: output [${outShape}]`);
    loaded++;
  }
  assert.ok(loaded >= 1);
});

test('paired drop: mean of per-image (float correct - quantized correct) in points, 2 SE from the sample variance', () => {
  // 10 images: float right on 0-7, quantized right on 0-5 and 8: differences 0,0,0,0,0,0,1,1,-1,0.
  const labels = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const floatPred = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 0, 0]);
  const quantPred = Int32Array.from([0, 1, 2, 3, 4, 5, 0, 0, 8, 0]);
  const r = pairedDrop(floatPred, quantPred, labels);
  // mean 0.1; sample variance (3 - 10 * 0.01) / 9 = 2.9 / 9; SE = sqrt(2.9 / 90).
  assert.ok(Math.abs(r.drop - 10) < 1e-9);
  assert.ok(Math.abs(r.twoSe - 200 * Math.sqrt(2.9 / 90)) < 1e-9);
  assert.equal(r.agreement, 0.7); // differs on images 6, 7, 8
});
