// KL (entropy) calibration: the threshold search on histograms whose divergences are computed by hand, the observer
// on synthetic data with outliers, and a real model quantized with it (official runtime and ours bit-exact).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistogramObserver, MinMaxObserver, klThresholdBins, parseCalibrationMethod } from '../../../src/quantize/observers.js';
import { quantize } from '../../../src/quantize/index.js';
import { convert } from '../../../src/convert.js';
import { openDataset } from '../../../src/evaluate/datasets/index.js';
import { readModel, writeModel } from '../../../src/format/index.js';
import { corpusPath, NO_CORPUS } from '../../helpers/corpus.js';
import { runOfficialOn, runOursOn, take } from '../helpers.js';

test('klThresholdBins: hand-computed divergences pick the clipping point', () => {
  // counts [4,4,2,1,0,0,0,1], 2 steps. Candidate i = 3: P = [4,4,2+2] (the 2 beyond clipped into the last bin) =
  // 1/3 each; Q merges bin 0 -> 4 and bins 1..2 -> 6 spread over both = [4,3,3]/10:
  //   KL = 1/3 (ln(10/12) + 2 ln(10/9)) = 0.009466.
  // i = 4: P = [4,4,2,2]/12; Q = [4,4 | 1.5,1.5]/11: KL = 2/3 ln(11/12) + 1/3 ln(22/18) = 0.008883 (the least).
  // i = 2: P = [4,8]/12, Q = [4,4]/8: 1/3 ln(2/3) + 2/3 ln(4/3) = 0.056633; i = 5..8 carry empty bins (smoothed) and
  // larger divergences (0.0285, 0.0649, 0.0649, 0.1124).
  assert.equal(klThresholdBins([4, 4, 2, 1, 0, 0, 0, 1], 2), 4);
  // counts [8,0,4,0,0,0,0,1]: i = 3 gives P = [8,0,5], Q = [8 | 0,4] -> with P's empty bin 1 smoothed: 0.00578,
  // against i = 2 (Q puts mass on the empty bin 1: 3.68) and i = 8 (0.0523).
  assert.equal(klThresholdBins([8, 0, 4, 0, 0, 0, 0, 1], 2), 3);
  // No clipping is worth it when nothing lies beyond the grid: the smallest exact candidate wins (KL 0).
  assert.equal(klThresholdBins([3, 1, 2, 5, 0, 0, 0, 0], 4), 4);
});

function observe(values: number[], method = 'kl'): [number, number] {
  const mm = new MinMaxObserver();
  mm.observe(values);
  const h = new HistogramObserver(parseCalibrationMethod(method), mm);
  h.observe(values);
  return h.range(256, false)!;
}

test('kl observer: a far outlier is clipped; a one-sided tensor keeps 0; bulk kept', () => {
  // The walk starts at `steps` bins (as TensorRT's at 128 of 2048), so a threshold is never below that share of the
  // largest |x|: the outliers here are 5x and 6x the bulk, which leaves room to clip.
  // A ReLU-like tensor: 20,000 values in [0, 1) (triangular, denser near 0) and one at 5.
  const relu: number[] = [];
  for (let k = 0; k < 20000; k++) relu.push(Math.abs(((k * 7919) % 10007) / 10007 - ((k * 104729) % 10009) / 10009));
  relu.push(5);
  const [lo, hi] = observe(relu);
  assert.equal(lo, 0);
  assert.ok(hi > 0.5 && hi < 1.5, `threshold ${hi} near the bulk, far below the outlier`);
  // Two-sided: symmetric bulk in (-1, 1), an outlier at -6: clipped on the outlier's side, the other side kept.
  const two: number[] = [];
  for (let k = 0; k < 20000; k++) two.push(2 * ((k * 7919) % 10007) / 10007 - 1);
  two.push(-6);
  const [lo2, hi2] = observe(two);
  assert.ok(lo2 > -1.5 && lo2 < -0.5, `lower end ${lo2}`);
  assert.ok(hi2 > 0.9 && hi2 <= Math.max(...two), `upper end ${hi2}`);
  assert.deepEqual(parseCalibrationMethod('entropy'), { kind: 'kl' });
});

test('kl calibration of the moonflower MNIST CNN: runs in the official runtime, ours bit-exact', { skip: NO_CORPUS }, async () => {
  const float = (await convert(corpusPath('keras/moonflower2022_mnist_model.h5'))).model;
  const calibration = await take(await openDataset('mnist:train', { inputShapes: [[1, 28, 28, 1]], limit: 100 }), 100);
  const tests = await take(await openDataset('mnist:test', { inputShapes: [[1, 28, 28, 1]], limit: 200 }), 200);
  const { model, report } = await quantize(float, { mode: 'int8', representativeDataset: calibration, calibrationMethod: 'kl', inputType: 'int8', outputType: 'int8' });
  assert.equal(report.calibration?.method, 'kl');
  assert.match(model.description, /calibration=kl/);
  const bytes = writeModel(model);
  const official = await runOfficialOn(bytes, tests);
  const ours = runOursOn(readModel(bytes, 'kl.tflite'), tests);
  assert.deepEqual(ours.raw, official.raw);
  const acc = official.top1.filter((p, k) => p === tests[k].label).length / tests.length;
  assert.ok(acc > 0.9, `top-1 ${acc}`);
});
