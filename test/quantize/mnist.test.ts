// The seed's flow on the Keras MNIST convnet: convert, quantize (int8 with uint8 / int8 / float I/O, dynamic,
// float16, int16x8), and check every file in the OFFICIAL runtime on the first 1,000 MNIST test images
// (the full 10,000-image figures come from scripts/verify-quantize.ts), plus our interpreter on a subset.
import { test, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { convert } from '../../src/convert.js';
import { readModel, writeModel } from '../../src/format/index.js';
import type { Model } from '../../src/graph/model.js';
import { openDataset } from '../../src/evaluate/datasets/index.js';
import { quantize, type QuantizeOptions } from '../../src/quantize/index.js';
import { NO_CORPUS, corpusPath } from '../helpers/corpus.js';
import type { LabelledSample, RunResult } from './helpers.js';
import { accuracy, agreement, rawAgreement, runOfficialOn, runOursOn, take } from './helpers.js';

const TEST_IMAGES = 1000;
const OURS_IMAGES = 200;

let float: Model;
let floatBytes: Uint8Array;
let testSet: LabelledSample[];
let floatRun: RunResult;
let floatAcc: number;
let calibration: LabelledSample[];

before(async () => {
  if (NO_CORPUS) return;
  const r = await convert(corpusPath('keras/moonflower2022_mnist_model.h5'));
  float = r.model;
  floatBytes = r.bytes;
  const shapes = float.subgraphs[0].inputs.map((i) => float.subgraphs[0].tensors[i].shape);
  testSet = await take(await openDataset('mnist:test', { inputShapes: shapes, limit: TEST_IMAGES }), TEST_IMAGES);
  calibration = await take(await openDataset('mnist:train', { inputShapes: shapes, limit: 100 }), 100);
  floatRun = await runOfficialOn(floatBytes, testSet);
  floatAcc = accuracy(floatRun.top1, testSet);
  console.log(`# MNIST float (our conversion): ${floatBytes.length} bytes, top-1 ${floatAcc.toFixed(1)} % on the first ${TEST_IMAGES} test images (official runtime)`);
});

async function check(t: TestContext, name: string, options: QuantizeOptions, expect: { maxSizeRatio: number; inType: string; outType: string; minAgreement: number }) {
  const { model, report } = await quantize(float, { representativeDataset: calibration, ...options });
  const bytes = writeModel(model);
  const sg = model.subgraphs[0];
  assert.equal(sg.tensors[sg.inputs[0]].dtype, expect.inType, `${name}: input dtype`);
  assert.equal(sg.tensors[sg.outputs[0]].dtype, expect.outType, `${name}: output dtype`);
  const ratio = bytes.length / floatBytes.length;
  const official = await runOfficialOn(bytes, testSet);
  const acc = accuracy(official.top1, testSet);
  const agree = agreement(official.top1, floatRun.top1);
  // Our interpreter on the same file (a subset: it is the slower runtime) must agree with the official runtime.
  const subset = testSet.slice(0, OURS_IMAGES);
  const ours = runOursOn(readModel(bytes, `${name}.tflite`), subset);
  const raw = rawAgreement(official.raw.slice(0, OURS_IMAGES), ours.raw);
  const oursTop1 = agreement(official.top1.slice(0, OURS_IMAGES), ours.top1);
  const oursNote = `ours vs official: top-1 ${oursTop1} %, ${raw.within1.toFixed(1)} % within 1 LSB (max ${raw.max})`;
  console.log(`# MNIST ${name}: ${bytes.length} bytes (${(100 * ratio).toFixed(1)} % of float), top-1 ${acc.toFixed(1)} % (float ${floatAcc.toFixed(1)} %), `
    + `agreement with float ${agree.toFixed(1)} %; ${oursNote}; ${report.quantizedOps.length} ops quantized, ${report.floatOps.length} float`);
  assert.ok(ratio <= expect.maxSizeRatio, `${name}: ${(100 * ratio).toFixed(1)} % of the float file`);
  assert.ok(acc >= floatAcc - 0.1, `${name}: top-1 ${acc} vs float ${floatAcc}`);
  assert.ok(agree >= expect.minAgreement, `${name}: agreement ${agree} %`);
  assert.equal(oursTop1, 100, `${name}: our interpreter's top-1 differs from the official runtime's`);
  return { model, report, bytes };
}

test('int8 with uint8 I/O (the seed\'s flow): uint8 edges, <= 30 % of float, accuracy and agreement', { skip: NO_CORPUS }, async (t) => {
  const { model } = await check(t, 'int8-uint8io', { mode: 'int8', inputType: 'uint8', outputType: 'uint8' },
    { maxSizeRatio: 0.30, inType: 'uint8', outType: 'uint8', minAgreement: 99.5 });
  const sg = model.subgraphs[0];
  // Input pixel/255 in [0, 1]: uint8 scale 1/255, zero point 0 (TF writes the same).
  assert.deepEqual(sg.tensors[sg.inputs[0]].quantization?.zeroPoint, [0]);
  assert.equal(sg.operators[0].op, 'QUANTIZE');
  assert.equal(sg.operators[sg.operators.length - 1].op, 'QUANTIZE');
  assert.ok(sg.operators.filter((o) => o.op !== 'QUANTIZE').every((o) => sg.tensors[o.outputs[0]].dtype === 'int8'));
  assert.match(model.description, /mode=int8 .*samples=100 calibration=minmax/);
});

test('int8 with int8 I/O and with float I/O', { skip: NO_CORPUS }, async (t) => {
  await check(t, 'int8-int8io', { mode: 'int8', inputType: 'int8', outputType: 'int8' },
    { maxSizeRatio: 0.30, inType: 'int8', outType: 'int8', minAgreement: 99.5 });
  const { model } = await check(t, 'int8-floatio', { mode: 'int8' },
    { maxSizeRatio: 0.30, inType: 'float32', outType: 'float32', minAgreement: 99.5 });
  const ops = model.subgraphs[0].operators.map((o) => o.op);
  assert.equal(ops[0], 'QUANTIZE');
  assert.equal(ops[ops.length - 1], 'DEQUANTIZE');
});

test('dynamic range and float16: accuracy kept, ~4x and ~2x smaller', { skip: NO_CORPUS }, async (t) => {
  const dyn = await check(t, 'dynamic', { mode: 'dynamic' }, { maxSizeRatio: 0.30, inType: 'float32', outType: 'float32', minAgreement: 99.5 });
  assert.ok(dyn.report.quantizedOps.some((o) => o.op === 'FULLY_CONNECTED' && o.variant === 'hybrid'));
  const fc = dyn.model.subgraphs[0].operators.find((o) => o.op === 'FULLY_CONNECTED')!;
  assert.equal(dyn.model.subgraphs[0].tensors[fc.inputs[1]].dtype, 'int8');
  assert.equal(fc.options.asymmetricQuantizeInputs, true);
  const f16 = await check(t, 'float16', { mode: 'float16' }, { maxSizeRatio: 0.55, inType: 'float32', outType: 'float32', minAgreement: 99.9 });
  assert.ok(f16.model.subgraphs[0].tensors.some((t) => t.dtype === 'float16' && t.data));
});

test('int16x8 runs in the official runtime with accuracy kept', { skip: NO_CORPUS }, async (t) => {
  const { model } = await check(t, 'int16x8', { mode: 'int16x8' }, { maxSizeRatio: 0.35, inType: 'float32', outType: 'float32', minAgreement: 99.5 });
  const sg = model.subgraphs[0];
  const conv = sg.operators.find((o) => o.op === 'CONV_2D')!;
  assert.equal(sg.tensors[conv.inputs[0]].dtype, 'int16');
  assert.equal(sg.tensors[conv.inputs[1]].dtype, 'int8');
  assert.equal(sg.tensors[conv.inputs[2]].dtype, 'int64');
  assert.deepEqual(sg.tensors[conv.outputs[0]].quantization?.zeroPoint, [0]);
});
