// Empirical bias correction. Expectations are independent of the algorithm: float arithmetic of the float weights on
// the inputs the official runtime actually saw, and the official runtime's own outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../../src/graph/builder.js';
import type { Model } from '../../../src/graph/model.js';
import { quantize, type QuantizeOptions } from '../../../src/quantize/index.js';
import { readModel, writeModel } from '../../../src/format/index.js';
import { mulberry32 } from '../../helpers/random.js';
import { runOfficialOn, runOursOn, toFloat, toInputValues } from '../helpers.js';
import { floatOutputs, separableModel, separableSamples } from './helpers.js';

/** FULLY_CONNECTED 64 -> 4 without bias; rows scaled 1, 0.1, 0.03, 0.01 (per-tensor weights round the small rows coarsely). */
function denseModel(): { model: Model; w: Float32Array } {
  const rnd = mulberry32(5);
  const rowScale = [1, 0.1, 0.03, 0.01];
  const w = Float32Array.from({ length: 256 }, (_, i) => (2 * rnd() - 1) * rowScale[Math.floor(i / 64)]);
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 64], dtype: 'float32' });
  const y = g.addTensor({ name: 'y', shape: [1, 4], dtype: 'float32' });
  g.addOp('FULLY_CONNECTED', [x, g.addConstant('w', 'float32', [4, 64], w), -1], [y],
    { fusedActivationFunction: 'NONE', weightsFormat: 'DEFAULT', keepNumDims: false, asymmetricQuantizeInputs: false });
  g.markOutput(y);
  return { model: g.model(), w };
}

/** Per output channel: mean over samples of (official runtime output - reference). */
function meanError(got: Float32Array[], want: Float64Array[]): number[] {
  return Array.from(want[0], (_, c) => got.reduce((a, row, k) => a + row[c] - want[k][c], 0) / got.length);
}

test('bias correction of one dense layer: the mean output error per channel vanishes (official runtime vs float arithmetic)', async () => {
  const { model, w } = denseModel();
  const rnd = mulberry32(11);
  const samples = Array.from({ length: 200 }, () => [Float32Array.from({ length: 64 }, () => 0.2 + 0.8 * rnd())]);
  const opts: QuantizeOptions = { mode: 'int8', representativeDataset: samples, samples: 200, inputType: 'int8', outputType: 'int8' };
  const errors: number[][] = [];
  let scaleOut = 0;
  for (const algorithms of [[], [{ name: 'bias-correction' }]]) {
    const { model: q, report } = await quantize(model, { ...opts, algorithms });
    const bytes = writeModel(q);
    const file = readModel(bytes, 'dense.tflite');
    const sg = file.subgraphs[0];
    const inT = sg.tensors[sg.inputs[0]], outT = sg.tensors[sg.outputs[0]];
    scaleOut = outT.quantization!.scale[0];
    const labelled = samples.map((inputs) => ({ inputs }));
    const official = await runOfficialOn(bytes, labelled);
    assert.deepEqual(runOursOn(file, labelled).raw, official.raw);
    // Reference: the float weights applied to the input the runtime saw (the int8 input, dequantized).
    const want = samples.map(([x]) => {
      const raw = toInputValues(inT, x);
      const xq = Array.from(raw as ArrayLike<number>, (v) => (v - inT.quantization!.zeroPoint[0]) * inT.quantization!.scale[0]);
      return Float64Array.from({ length: 4 }, (_, c) => xq.reduce((a, v, i) => a + w[c * 64 + i] * v, 0));
    });
    errors.push(meanError(official.raw.map((r) => toFloat(outT, r)), want));
    if (algorithms.length) {
      assert.match(report.algorithms[0], /^bias-correction: 1 of 1 layers corrected .*1 bias tensor\(s\) added/);
      assert.equal(sg.operators.find((o) => o.op === 'FULLY_CONNECTED')!.inputs.length, 3);
    }
  }
  const [before, after] = errors;
  // Without correction the rounding of the small rows shifts their mean output by several output steps; after it
  // only the output's own rounding (at most half a step on average) and the bias's remain.
  console.log(`# mean error per channel in output steps: before ${before.map((e) => (e / scaleOut).toFixed(2))}, after ${after.map((e) => (e / scaleOut).toFixed(2))}`);
  assert.ok(Math.max(...before.map(Math.abs)) > 1 * scaleOut, `uncorrected errors ${before} (output scale ${scaleOut})`);
  for (const e of after) assert.ok(Math.abs(e) <= 0.15 * scaleOut, `corrected mean error ${e} (output scale ${scaleOut}); before ${before}`);
});

test('bias correction (target float) on a depthwise-separable net: model outputs closer to the float model on average; official runtime bit-exact', async () => {
  const model = separableModel(7);
  const samples = separableSamples(60, 2);
  const ref = floatOutputs(model, samples).map((r) => Float64Array.from(r));
  const labelled = samples.map((inputs) => ({ inputs }));
  const meanAbs: number[] = [];
  for (const algorithms of [[], [{ name: 'bias-correction', options: { target: 'float' } }], [{ name: 'bias-correction' }]]) {
    const { model: q, report } = await quantize(model, { mode: 'int8', representativeDataset: samples, inputType: 'int8', outputType: 'int8', perTensor: true, algorithms });
    if (algorithms.length) assert.match(report.algorithms[0], /^bias-correction: [1-4] of 4 layers corrected/);
    const bytes = writeModel(q);
    const file = readModel(bytes, 'bc.tflite');
    const official = await runOfficialOn(bytes, labelled);
    assert.deepEqual(runOursOn(file, labelled).raw, official.raw);
    const outT = file.subgraphs[0].tensors[file.subgraphs[0].outputs[0]];
    const err = meanError(official.raw.map((r) => toFloat(outT, r)), ref);
    meanAbs.push(err.reduce((a, e) => a + Math.abs(e), 0) / err.length);
  }
  console.log(`# mean |E[int8 - float]| per output channel: none ${meanAbs[0].toFixed(4)}, target float ${meanAbs[1].toFixed(4)}, target weights ${meanAbs[2].toFixed(4)}`);
  assert.ok(meanAbs[1] < 0.5 * meanAbs[0], `target float: ${meanAbs[1]} vs uncorrected ${meanAbs[0]}`);
});

/** One CONV_2D (SAME) or DEPTHWISE_CONV_2D (SAME, stride 2 x 1, multiplier 2) with unequal channel scales. */
function convModel(op: 'CONV_2D' | 'DEPTHWISE_CONV_2D'): Model {
  const rnd = mulberry32(3);
  const sc = [1, 0.05, 0.02, 0.3, 0.01, 0.5, 0.03, 0.2];
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 6, 6, 4], dtype: 'float32' });
  const y = g.addTensor({ name: 'y', shape: op === 'CONV_2D' ? [1, 6, 6, 5] : [1, 6, 3, 8], dtype: 'float32' });
  if (op === 'CONV_2D') {
    g.addOp(op, [x, g.addConstant('w', 'float32', [5, 3, 3, 4], Float32Array.from({ length: 180 }, (_, i) => (2 * rnd() - 1) * sc[Math.floor(i / 36)])),
      g.addConstant('b', 'float32', [5], [0.1, 0, 0, 0, 0])], [y], { padding: 'SAME', strideW: 1, strideH: 1, fusedActivationFunction: 'NONE', dilationWFactor: 1, dilationHFactor: 1 });
  } else {
    g.addOp(op, [x, g.addConstant('w', 'float32', [1, 3, 3, 8], Float32Array.from({ length: 72 }, (_, i) => (2 * rnd() - 1) * sc[i % 8])),
      g.addConstant('b', 'float32', [8], new Float32Array(8))], [y],
    { padding: 'SAME', strideW: 2, strideH: 1, depthMultiplier: 2, fusedActivationFunction: 'NONE', dilationWFactor: 1, dilationHFactor: 1 });
  }
  g.markOutput(y);
  return g.model();
}

for (const op of ['CONV_2D', 'DEPTHWISE_CONV_2D'] as const) {
  test(`bias correction of one ${op}: mean output error per channel ~ 0 (official runtime vs the float kernel on the int8 input)`, async () => {
    const model = convModel(op);
    const rnd = mulberry32(4);
    const samples = Array.from({ length: 100 }, () => [Float32Array.from({ length: 144 }, () => 0.2 + 0.8 * rnd())]);
    const labelled = samples.map((inputs) => ({ inputs }));
    const worst: number[] = [];
    for (const algorithms of [[], [{ name: 'bias-correction' }]]) {
      const { model: q } = await quantize(model, { mode: 'int8', representativeDataset: samples, inputType: 'int8', outputType: 'int8', perTensor: true, algorithms });
      const bytes = writeModel(q);
      const file = readModel(bytes, 'conv.tflite');
      const sg = file.subgraphs[0];
      const inT = sg.tensors[sg.inputs[0]], outT = sg.tensors[sg.outputs[0]];
      const official = await runOfficialOn(bytes, labelled);
      assert.deepEqual(runOursOn(file, labelled).raw, official.raw);
      // The float model on the dequantized int8 input: W x̂ + b by the float kernel.
      const xq = samples.map(([v]) => [Float32Array.from(toInputValues(inT, v) as ArrayLike<number>, (r) => (r - inT.quantization!.zeroPoint[0]) * inT.quantization!.scale[0])]);
      const want = floatOutputs(model, xq);
      const channels = outT.shape[3];
      const err = new Float64Array(channels);
      official.raw.forEach((r, k) => toFloat(outT, r).forEach((v, i) => { err[i % channels] += v - want[k][i]; }));
      const count = (official.raw[0].length / channels) * samples.length;
      worst.push(Math.max(...Array.from(err, (e) => Math.abs(e / count / outT.quantization!.scale[0]))));
    }
    assert.ok(worst[0] > 0.25, `uncorrected worst mean error ${worst[0]} output steps`);
    assert.ok(worst[1] < 0.06, `corrected worst mean error ${worst[1]} output steps (uncorrected ${worst[0]})`);
  });
}
