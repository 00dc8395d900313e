// The float MNIST LSTM (tflite-micro/trained_lstm.tflite) -> int8 with int8 I/O, quantized the way Google's
// trained_lstm_int8.tflite has it, checked against that file's layout and in the OFFICIAL runtime (fresh state per
// image). Calibration runs our interpreter on the float model, so it needs the interpreter's LSTM kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readModel, writeModel } from '../../src/format/index.js';
import { openDataset } from '../../src/evaluate/datasets/index.js';
import { KERNEL_REGISTRY } from '../../src/runtime/kernels/index.js';
import { quantize } from '../../src/quantize/index.js';
import { NO_CORPUS, readCorpus } from '../helpers/corpus.js';
import { accuracy, agreement, rawAgreement, runOfficialOn, runOursOn, take } from './helpers.js';

const FLOAT = 'tflite/tflite-micro/trained_lstm.tflite';
const GOOGLE = 'tflite/tflite-micro/trained_lstm_int8.tflite';
const IMAGES = 500;
const skip = NO_CORPUS || (KERNEL_REGISTRY.has('UNIDIRECTIONAL_SEQUENCE_LSTM') ? false
  : 'our interpreter has no UNIDIRECTIONAL_SEQUENCE_LSTM kernel yet: calibration cannot run the float LSTM');

test('MNIST LSTM int8: Google\'s layout, official runtime accuracy with fresh state per image', { skip }, async (t) => {
  const float = readModel(readCorpus(FLOAT), FLOAT);
  const shapes = [float.subgraphs[0].tensors[float.subgraphs[0].inputs[0]].shape];
  const calibration = await take(await openDataset('mnist:train', { inputShapes: shapes, limit: 100 }), 100);
  const { model, report } = await quantize(float, { mode: 'int8', inputType: 'int8', outputType: 'int8', representativeDataset: calibration });
  assert.equal(report.floatOps.length, 0);
  const bytes = writeModel(model);

  // Layout as Google's: same ops and versions, weights int8 with the same per-tensor scales (same float weights),
  // biases int32 at input_scale x weight_scale, int8 hidden state = output parameters, int16 cell state with a
  // power-of-two scale, five intermediates (four float placeholders, one int8 with the hidden parameters).
  const google = readModel(readCorpus(GOOGLE), GOOGLE);
  const gsg = google.subgraphs[0], sg = model.subgraphs[0];
  assert.deepEqual(sg.operators.map((o) => `${o.op}/${o.version}`), gsg.operators.map((o) => `${o.op}/${o.version}`));
  const lstm = sg.operators[0], glstm = gsg.operators[0];
  for (let slot = 0; slot < glstm.inputs.length; slot++) {
    const gi = glstm.inputs[slot], oi = lstm.inputs[slot];
    assert.equal(oi < 0, gi < 0, `LSTM input ${slot} presence`);
    if (gi < 0) continue;
    const g = gsg.tensors[gi], o = sg.tensors[oi];
    assert.equal(o.dtype, g.dtype, `LSTM input ${slot} dtype`);
    assert.equal(o.isVariable, g.isVariable, `LSTM input ${slot} variable`);
    if (g.data) assert.ok(Math.abs(o.quantization!.scale[0] - g.quantization!.scale[0]) <= 1e-9, `LSTM input ${slot} scale`);
  }
  const cell = sg.tensors[lstm.inputs[19]];
  assert.equal(Math.log2(cell.quantization!.scale[0] * 32768) % 1, 0, 'cell scale is a power of two / 2^15');
  assert.deepEqual(lstm.intermediates.map((i) => sg.tensors[i].dtype), glstm.intermediates.map((i) => gsg.tensors[i].dtype));
  const hidden = sg.tensors[lstm.intermediates[4]].quantization!, out = sg.tensors[lstm.outputs[0]].quantization!;
  assert.deepEqual([hidden.scale, hidden.zeroPoint], [out.scale, out.zeroPoint]);
  console.log(`# LSTM int8: ${bytes.length} bytes (Google's: ${readCorpus(GOOGLE).length}), cell scale 2^${Math.log2(cell.quantization!.scale[0])}`);

  // Accuracy in the official runtime (fresh runner per image) vs the float model and Google's int8 on the same images.
  const testSet = await take(await openDataset('mnist:test', { inputShapes: shapes, limit: IMAGES }), IMAGES);
  const ours = await runOfficialOn(bytes, testSet, true);
  const floatRun = await runOfficialOn(readCorpus(FLOAT), testSet, true);
  const googleRun = await runOfficialOn(readCorpus(GOOGLE), testSet, true);
  const acc = accuracy(ours.top1, testSet), fAcc = accuracy(floatRun.top1, testSet), gAcc = accuracy(googleRun.top1, testSet);
  console.log(`# LSTM int8 on the first ${IMAGES} test images: ${acc.toFixed(1)} % (float ${fAcc.toFixed(1)} %, Google's int8 ${gAcc.toFixed(1)} %), agreement with float ${agreement(ours.top1, floatRun.top1).toFixed(1)} %`);
  assert.ok(acc >= fAcc - 1, `int8 ${acc} % vs float ${fAcc} %`);
  assert.ok(acc >= gAcc - 1, `int8 ${acc} % vs Google's int8 ${gAcc} %`);

  // Our interpreter on the quantized file (state reset per image) against the official runtime.
  const subset = testSet.slice(0, 100);
  const mine = runOursOn(readModel(bytes, 'lstm_int8.tflite'), subset, true);
  const raw = rawAgreement(ours.raw.slice(0, 100), mine.raw);
  const top1 = agreement(mine.top1, ours.top1.slice(0, 100));
  console.log(`# LSTM int8: our interpreter vs official on 100 images: top-1 ${top1} %, ${raw.within1.toFixed(1)} % within 1 LSB (max ${raw.max})`);
  assert.ok(top1 >= 99, `our interpreter's top-1 agrees with the official runtime's on ${top1} % of images`);
  if (top1 < 100) t.todo(`interpreter gap: integer LSTM top-1 differs from the official runtime on ${100 - top1} of 100 images (max raw diff ${raw.max})`);
});
