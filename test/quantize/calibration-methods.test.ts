// Percentile and MSE calibration on a real model (the unit tests in math.test.ts check the observers alone):
// the files load and run in the official runtime, keep accuracy, agree with our interpreter, and choose activation
// ranges no wider than running min/max.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { convert } from '../../src/convert.js';
import { quantize } from '../../src/quantize/index.js';
import { openDataset } from '../../src/evaluate/datasets/index.js';
import { writeModel, readModel } from '../../src/format/index.js';
import type { Model } from '../../src/graph/model.js';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';
import { accuracy, agreement, runOfficialOn, runOursOn, take, type LabelledSample } from './helpers.js';

let float: Model;
let calibration: LabelledSample[];
let testSet: LabelledSample[];
let floatAcc = 0;

before(async () => {
  if (NO_CORPUS) return;
  const r = await convert(corpusPath('keras/moonflower2022_mnist_model.h5'));
  float = r.model;
  calibration = await take(await openDataset('mnist:train', { inputShapes: [[1, 28, 28, 1]], limit: 100 }), 100);
  testSet = await take(await openDataset('mnist:test', { inputShapes: [[1, 28, 28, 1]], limit: 500 }), 500);
  floatAcc = accuracy((await runOfficialOn(r.bytes, testSet)).top1, testSet);
});

/** Largest activation scale of the quantized model, by tensor name. */
function activationScales(m: Model): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of m.subgraphs[0].tensors) {
    if (!t.data && t.quantization && t.quantization.scale.length === 1 && (t.dtype === 'int8')) out.set(t.name, t.quantization.scale[0]);
  }
  return out;
}

test('percentile:99.99 and mse calibration: ranges within min/max, accuracy kept, runtimes agree', { skip: NO_CORPUS }, async () => {
  const minmax = await quantize(float, { mode: 'int8', representativeDataset: calibration, inputType: 'uint8', outputType: 'uint8' });
  const minmaxScales = activationScales(minmax.model);
  for (const method of ['percentile:99.99', 'mse']) {
    const { model, report } = await quantize(float, { mode: 'int8', representativeDataset: calibration, inputType: 'uint8', outputType: 'uint8', calibrationMethod: method });
    assert.equal(report.calibration?.method, method);
    assert.match(model.description, new RegExp(`calibration=${method.replace('.', '\\.')}`));
    const scales = activationScales(model);
    let narrower = 0;
    for (const [name, s] of scales) {
      const ref = minmaxScales.get(name);
      if (ref === undefined) continue;
      assert.ok(s <= ref * (1 + 1e-6), `${method}: ${name} scale ${s} wider than min/max's ${ref}`);
      if (s < ref * 0.999) narrower++;
    }
    assert.ok(narrower > 0, `${method}: some range is narrower than min/max`);
    const bytes = writeModel(model);
    const official = await runOfficialOn(bytes, testSet);
    const acc = accuracy(official.top1, testSet);
    const ours = runOursOn(readModel(bytes, `${method}.tflite`), testSet.slice(0, 100));
    console.log(`# ${method}: top-1 ${acc.toFixed(1)} % on ${testSet.length} test images (float ${floatAcc.toFixed(1)} %), ${narrower}/${scales.size} activation ranges narrower than min/max`);
    assert.ok(acc >= floatAcc - 0.5, `${method}: top-1 ${acc} vs float ${floatAcc}`);
    assert.equal(agreement(official.top1.slice(0, 100), ours.top1), 100);
  }
});
