// The quantizer's arithmetic against independent oracles: Google's own int8 file (its recorded min/max ranges must
// give exactly the scales and zero points Google wrote), IEEE half-precision bit patterns, and hand arithmetic.
// Plus the validation that must fail before any work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readModel } from '../../src/format/index.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import { DatasetError, InputError, UsageError } from '../../src/errors.js';
import { quantize } from '../../src/quantize/index.js';
import { activationParams, quantizeBias, quantizeWeights } from '../../src/quantize/weights.js';
import { floatToFloat16Bits, float16BitsToFloat } from '../../src/graph/float16.js';
import { MinMaxObserver, HistogramObserver, parseCalibrationMethod } from '../../src/quantize/observers.js';
import { NO_CORPUS, readCorpus } from '../helpers/corpus.js';

test('activation params reproduce every scale and zero point Google wrote from its recorded ranges', { skip: NO_CORPUS }, () => {
  const m = readModel(readCorpus('tflite/mlcommons-tiny/pretrainedResnet_quant.tflite'), 'pretrainedResnet_quant.tflite');
  let checked = 0;
  for (const t of m.subgraphs[0].tensors) {
    const qz = t.quantization;
    if (t.dtype !== 'int8' || t.data || !qz?.min?.length || !qz.max?.length) continue;
    const p = activationParams(qz.min[0], qz.max[0], 'int8');
    assert.equal(p.zeroPoint, qz.zeroPoint[0], `${t.name} zero point`);
    assert.ok(Math.abs(p.scale - qz.scale[0]) <= 1e-7 * qz.scale[0], `${t.name} scale ${p.scale} vs ${qz.scale[0]}`);
    checked++;
  }
  assert.ok(checked >= 15, `checked ${checked} activation tensors`);
});

test('per-channel weight scales are max|w|/127 as in Google\'s file (its recorded per-channel min/max)', { skip: NO_CORPUS }, () => {
  const m = readModel(readCorpus('tflite/mlcommons-tiny/pretrainedResnet_quant.tflite'), 'pretrainedResnet_quant.tflite');
  let channels = 0;
  for (const t of m.subgraphs[0].tensors) {
    const qz = t.quantization;
    if (t.dtype !== 'int8' || !t.data || !qz?.min?.length) continue;
    qz.scale.forEach((s, c) => {
      const expected = Math.fround(Math.max(Math.abs(qz.min![c]), Math.abs(qz.max![c])) / 127);
      assert.ok(Math.abs(expected - s) <= 1e-7 * s, `${t.name}[${c}]`);
      channels++;
    });
  }
  assert.ok(channels > 300);
});

test('symmetric weights: per channel along the given dimension, [-127, 127], zero channel scale 1', () => {
  // shape [2, 3] per channel dim 0: rows are channels.
  const w = quantizeWeights(Float32Array.of(1, -0.5, 0.25, 0, 0, 0), [2, 3], 0);
  assert.deepEqual(w.scales, [Math.fround(1 / 127), 1]);
  assert.deepEqual(Array.from(w.values), [127, -64, 32, 0, 0, 0]); // -63.5 rounds away from zero
  // Depthwise: channel dimension 3 of [1, 1, 2, 2].
  const d = quantizeWeights(Float32Array.of(2, -4, -1, 1), [1, 1, 2, 2], 3);
  assert.deepEqual(d.scales, [Math.fround(2 / 127), Math.fround(4 / 127)]);
  assert.deepEqual(Array.from(d.values), [127, -127, -64, 32]);
  const b = quantizeBias(Float32Array.of(0.5, -0.25), 0.5, [0.01, 0.02], 'int32');
  assert.deepEqual(Array.from(b.data as Int32Array), [100, -25]);
});

test('activation params: range nudged to contain 0; int16 symmetric; uint8 = int8 zero point + 128', () => {
  assert.deepEqual(activationParams(0, 1, 'int8'), { scale: Math.fround(1 / 255), zeroPoint: -128 });
  assert.deepEqual(activationParams(0.5, 1, 'int8'), { scale: Math.fround(1 / 255), zeroPoint: -128 });
  assert.deepEqual(activationParams(-2, -1, 'int8'), { scale: Math.fround(2 / 255), zeroPoint: 127 });
  assert.deepEqual(activationParams(-1, 3, 'int16'), { scale: Math.fround(3 / 32767), zeroPoint: 0 });
  assert.deepEqual(activationParams(0, 1, 'uint8'), { scale: Math.fround(1 / 255), zeroPoint: 0 });
});

test('float16: round to nearest even, subnormals, overflow (IEEE 754 binary16 bit patterns)', () => {
  const cases: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65520, 0x7c00], [0.1, 0x2e66], [1 / 3, 0x3555],
    [Math.pow(2, -24), 0x0001], [Math.pow(2, -14), 0x0400], [1 + Math.pow(2, -11), 0x3c00], [1 + 3 * Math.pow(2, -11), 0x3c02],
    [0, 0], [Math.pow(2, -26), 0], [Infinity, 0x7c00],
  ];
  for (const [x, bits] of cases) assert.equal(floatToFloat16Bits(x), bits, `${x}`);
  assert.equal(float16BitsToFloat(0x3555), 0.333251953125);
  assert.equal(float16BitsToFloat(0x0001), Math.pow(2, -24));
});

test('observers: minmax, percentile clips outliers, mse never widens the range', () => {
  const mm = new MinMaxObserver();
  mm.observe([1, -3, 2]);
  mm.observe([5]);
  assert.deepEqual(mm.range(), [-3, 5]);
  const data = new Float32Array(10001);
  for (let i = 0; i < 10000; i++) data[i] = (i / 10000) * 2 - 1;
  data[10000] = 100; // one outlier
  // Two passes, as calibrate() runs them: min/max first, then the histogram over that range.
  const dataRange = new MinMaxObserver();
  dataRange.observe(data);
  const p = new HistogramObserver(parseCalibrationMethod('percentile:99.9'), dataRange);
  p.observe(data);
  const [lo, hi] = p.range(256, false)!;
  assert.ok(lo < -0.95 && lo >= -1, `lo ${lo}`);
  assert.ok(hi > 0.95 && hi < 2, `hi ${hi}`);
  // MSE on a heavy-tailed (Laplace) sample: its range must quantize the raw data with no more error than min/max.
  const lap = new Float32Array(20000);
  let s = 12345;
  for (let i = 0; i < lap.length; i++) {
    s = (s * 16807) % 2147483647;
    const u = s / 2147483647;
    lap[i] = u < 0.5 ? Math.log(2 * u) : -Math.log(2 - 2 * u);
  }
  const sqErr = (lo: number, hi: number) => {
    const sc = (hi - lo) / 255;
    let err = 0;
    for (const x of lap) { const qv = Math.min(255, Math.max(0, Math.round((x - lo) / sc))); err += (x - (lo + qv * sc)) ** 2; }
    return err;
  };
  const lapRange = new MinMaxObserver();
  lapRange.observe(lap);
  const e = new HistogramObserver(parseCalibrationMethod('mse'), lapRange);
  e.observe(lap);
  const [elo, ehi] = e.range(256, false)!;
  const [mlo, mhi] = e.minMax.range()!;
  assert.ok(elo >= mlo && ehi <= mhi, `mse range ${elo}..${ehi} of ${mlo}..${mhi}`);
  assert.ok(sqErr(elo, ehi) < sqErr(mlo, mhi), 'mse range quantizes with less error than min/max');
  assert.throws(() => parseCalibrationMethod('entropy2'), UsageError);
});

function tinyModel() {
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 4], dtype: 'float32' });
  const w = g.addConstant('w', 'float32', [2, 4], [1, 2, 3, 4, -1, -2, -3, -4]);
  const b = g.addConstant('b', 'float32', [2], [0.5, -0.5]);
  const y = g.addTensor({ name: 'y', shape: [1, 2], dtype: 'float32' });
  g.addOp('FULLY_CONNECTED', [x, w, b], [y]);
  g.markOutput(y);
  return g.model();
}

test('bad requests fail before any work with typed errors', async () => {
  const model = tinyModel();
  const ok = [[Float32Array.of(1, 2, 3, 4)]];
  await assert.rejects(quantize(model, { mode: 'int4' }), UsageError);
  await assert.rejects(quantize(model, { mode: 'float16', inputType: 'uint8' }), /float16.*uint8|makes no sense/);
  await assert.rejects(quantize(model, { mode: 'dynamic', outputType: 'int8' }), UsageError);
  await assert.rejects(quantize(model, { mode: 'int16x8', inputType: 'uint8', representativeDataset: ok }), UsageError);
  await assert.rejects(quantize(model, { mode: 'int8' }), DatasetError);
  await assert.rejects(quantize(model, { mode: 'int8', representativeDataset: [] }), /empty/);
  await assert.rejects(quantize(model, { mode: 'int8', representativeDataset: ok, samples: 5 }), /only 1 sample/);
  await assert.rejects(quantize(model, { mode: 'int8', representativeDataset: [[Float32Array.of(1, 2, 3)]] }),
    (e: Error) => e instanceof InputError && /'x' needs 4 values, got 3/.test(e.message));
  await assert.rejects(quantize(model, { mode: 'int8', representativeDataset: [[Float32Array.of(1, NaN, 3, 4)]] }),
    (e: Error) => e instanceof InputError && /sample 0.*'x'.*NaN/.test(e.message));
  await assert.rejects(quantize(model, { mode: 'int8', representativeDataset: ok, calibrationMethod: 'percentile:20' }), UsageError);
});
