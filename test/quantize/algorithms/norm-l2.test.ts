// Normalization through L2_NORMALIZATION: the float function is kept (checked against LayerNorm written out in
// float64 and against the official runtime), and in int8 the transformer benchmark model's outputs on images
// calibration never saw come much closer to float, with the official runtime's outputs bit for bit equal to ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../helpers/random.js';
import { GraphBuilder } from '../../../src/graph/builder.js';
import type { Model } from '../../../src/graph/model.js';
import { Interpreter } from '../../../src/runtime/interpreter.js';
import { quantize } from '../../../src/quantize/index.js';
import { parseAlgorithmSpec } from '../../../src/quantize/algorithms/index.js';
import { normalizeThroughL2 } from '../../../src/quantize/algorithms/norm-l2.js';
import { readModel, writeModel } from '../../../src/format/index.js';
import { UsageError } from '../../../src/errors.js';
import { runOfficialOn, runOursOn, toFloat } from '../helpers.js';
import { heldOutInt8Error, mnistBenchModel, mnistHeldOutCase } from './helpers.js';

const ROWS = 5, C = 8, EPS = 1e-3;

/**
 * x [1, ROWS, C] -> LayerNorm over the last axis (gamma, beta) -> RMSNorm without epsilon (no gamma) -> output, as
 * the Keras importer writes them; and the same input's mean over axis 1, which no rewrite may touch.
 */
function normModel(gamma: number[], beta: number[]): Model {
  const b = new GraphBuilder();
  const t = (name: string, shape: number[]) => b.addTensor({ name, dtype: 'float32', shape });
  const full = [1, ROWS, C], reduced = [1, ROWS, 1];
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: full });
  const last = b.addConstant('last_axis', 'int32', [1], [2]);
  const mean = t('ln/mean', reduced);
  b.addOp('MEAN', [x, last], [mean], { keepDims: true });
  const d = t('ln/centered', full);
  b.addOp('SUB', [x, mean], [d]);
  const sq = t('ln/squared', full);
  b.addOp('MUL', [d, d], [sq]);
  const v = t('ln/variance', reduced);
  b.addOp('MEAN', [sq, last], [v], { keepDims: true });
  const ve = t('ln/variance_eps', reduced);
  b.addOp('ADD', [v, b.addConstant('ln/epsilon', 'float32', [], [EPS])], [ve]);
  const rs = t('ln/rsqrt', reduced);
  b.addOp('RSQRT', [ve], [rs]);
  const n = t('ln/normalized', full);
  b.addOp('MUL', [d, rs], [n]);
  const g = t('ln/scaled', full);
  b.addOp('MUL', [n, b.addConstant('ln/gamma', 'float32', [C], gamma)], [g]);
  const y = t('ln', full);
  b.addOp('ADD', [g, b.addConstant('ln/beta', 'float32', [C], beta)], [y]);
  // RMSNorm, epsilon 0: y * rsqrt(mean(y^2)).
  const sq2 = t('rms/squared', full);
  b.addOp('SQUARE', [y], [sq2]);
  const v2 = t('rms/mean_square', reduced);
  b.addOp('MEAN', [sq2, last], [v2], { keepDims: true });
  const rs2 = t('rms/rsqrt', reduced);
  b.addOp('RSQRT', [v2], [rs2]);
  const out = t('rms', full);
  b.addOp('MUL', [rs2, y], [out]);
  b.markOutput(out);
  // Mean over the rows axis, normalized the same way: L2_NORMALIZATION works on the last axis only, so it stays.
  const rowsAxis = b.addConstant('rows_axis', 'int32', [1], [1]);
  const sq3 = t('cols/squared', full);
  b.addOp('MUL', [x, x], [sq3]);
  const v3 = t('cols/mean_square', [1, 1, C]);
  b.addOp('MEAN', [sq3, rowsAxis], [v3], { keepDims: true });
  const rs3 = t('cols/rsqrt', [1, 1, C]);
  b.addOp('RSQRT', [v3], [rs3]);
  const cols = t('cols', full);
  b.addOp('MUL', [x, rs3], [cols]);
  b.markOutput(cols);
  return b.model();
}

/** The two outputs written out in float64: LayerNorm then RMSNorm over the last axis; x / rms over axis 1. */
function expected(x: Float32Array, gamma: number[], beta: number[]): [number[], number[]] {
  const ln: number[] = [], rms: number[] = [], cols: number[] = [];
  for (let r = 0; r < ROWS; r++) {
    const row = Array.from(x.subarray(r * C, (r + 1) * C));
    const m = row.reduce((a, b) => a + b, 0) / C;
    const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / C;
    const y = row.map((e, c) => ((e - m) / Math.sqrt(v + EPS)) * gamma[c] + beta[c]);
    ln.push(...y);
    const ms = y.reduce((a, b) => a + b * b, 0) / C;
    rms.push(...y.map((e) => e / Math.sqrt(ms)));
  }
  for (let r = 0; r < ROWS; r++) {
    for (let c = 0; c < C; c++) {
      let ms = 0;
      for (let k = 0; k < ROWS; k++) ms += x[k * C + c] ** 2;
      cols.push(x[r * C + c] / Math.sqrt(ms / ROWS));
    }
  }
  return [rms, cols];
}

test('norm-l2 rewrites LayerNorm and RMSNorm over the last axis and keeps the float function (float64 reference, official runtime)', async () => {
  const rng = new Rng(11);
  const gamma = Array.from(rng.floats(C, 0.5, 1.5)), beta = Array.from(rng.floats(C, -0.3, 0.3));
  const model = normModel(gamma, beta);
  const notes: string[] = [];
  const rewritten = normalizeThroughL2(model, { notes });
  assert.match(notes[0], /^norm-l2: 2 normalization\(s\)/);
  const ops = rewritten.subgraphs[0].operators.map((o) => o.op);
  // LayerNorm: PADV2 + L2_NORMALIZATION + STRIDED_SLICE, sqrt(C) folded into gamma; RMSNorm (eps 0, no gamma):
  // L2_NORMALIZATION + MUL by sqrt(C); the axis-1 normalization keeps its RSQRT.
  assert.deepEqual(ops, ['MEAN', 'SUB', 'PADV2', 'L2_NORMALIZATION', 'STRIDED_SLICE', 'MUL', 'ADD', 'L2_NORMALIZATION', 'MUL',
    'MUL', 'MEAN', 'RSQRT', 'MUL']);
  assert.equal(model.subgraphs[0].operators.length, 17, 'the input model is not modified');
  const sg = rewritten.subgraphs[0];
  const pad = sg.operators.find((o) => o.op === 'PADV2')!;
  assert.ok(Math.abs(new Float32Array(sg.tensors[pad.inputs[2]].data!.slice().buffer)[0] - Math.sqrt(C * EPS)) < 1e-7);
  for (let trial = 0; trial < 3; trial++) {
    // Rows of very different spreads: the case the rewrite is for.
    const x = new Float32Array(ROWS * C);
    for (let r = 0; r < ROWS; r++) x.set(rng.floats(C, -(10 ** (r - 2)), 10 ** (r - 2)).map((v) => v + 0.5 * (r - 2) * 10 ** (r - 2)), r * C);
    const [rms, cols] = expected(x, gamma, beta);
    const ours = Interpreter.fromModel(rewritten);
    ours.setInput(0, x);
    ours.invoke();
    const got = [ours.getOutput(0) as Float32Array, ours.getOutput(1) as Float32Array];
    got[0].forEach((v, i) => assert.ok(Math.abs(v - rms[i]) <= 2e-5 * Math.max(1, Math.abs(rms[i])), `rms[${i}] ${v} vs ${rms[i]}`));
    got[1].forEach((v, i) => assert.ok(Math.abs(v - cols[i]) <= 2e-5 * Math.max(1, Math.abs(cols[i])), `cols[${i}] ${v} vs ${cols[i]}`));
    const official = await runOfficialOn(writeModel(rewritten), [{ inputs: [x] }]);
    official.raw[0].forEach((v, i) => assert.ok(Math.abs(v - rms[i]) <= 2e-5 * Math.max(1, Math.abs(rms[i])), `official rms[${i}] ${v} vs ${rms[i]}`));
  }
});

test('norm-l2 in int8: PADV2 fills at its input\'s parameters, L2_NORMALIZATION at 1/128; ours bit-exact with the official runtime', async () => {
  const rng = new Rng(5);
  const gamma = Array.from(rng.floats(C, 0.5, 1.5)), beta = Array.from(rng.floats(C, -0.3, 0.3));
  const samples = Array.from({ length: 40 }, () => [rng.floats(ROWS * C, -2, 2)]);
  const { model: q, report } = await quantize(normModel(gamma, beta), { mode: 'int8', representativeDataset: samples, algorithms: [parseAlgorithmSpec('norm-l2')], threads: 1 });
  assert.deepEqual(report.floatOps, [], 'every op integer');
  const bytes = writeModel(q);
  const file = readModel(bytes, 'norm.tflite');
  const sg = file.subgraphs[0];
  const pad = sg.operators.find((o) => o.op === 'PADV2')!;
  const [input, fill] = [sg.tensors[pad.inputs[0]], sg.tensors[pad.inputs[2]]];
  assert.equal(fill.dtype, 'int8');
  assert.deepEqual([fill.quantization!.scale, fill.quantization!.zeroPoint], [input.quantization!.scale, input.quantization!.zeroPoint]);
  assert.equal(pad.version, 2);
  const l2 = sg.operators.find((o) => o.op === 'L2_NORMALIZATION')!;
  assert.deepEqual([sg.tensors[l2.outputs[0]].quantization!.scale[0], sg.tensors[l2.outputs[0]].quantization!.zeroPoint[0], l2.version], [1 / 128, 0, 2]);
  const held = Array.from({ length: 20 }, () => ({ inputs: [rng.floats(ROWS * C, -2, 2)] }));
  assert.deepEqual(runOursOn(file, held).raw, (await runOfficialOn(bytes, held)).raw);
});

/** How TensorFlow and Keras 3 write a LayerNorm after the variance: batch normalization's affine form. */
type AffineForm = 'tf.nn.batch_normalization' | 'tf.nn.batch_normalization, no offset' | 'keras 3' | 'keras 3, no gamma or beta';

/**
 * x [1, ROWS, C] -> LayerNorm over the last axis written as `form` does it: the variance from tf.nn.moments
 * (mean(squared_difference(x, mean))) or from Keras 3's moments (mean(x^2) - mean^2), then x * inv + the mean's term.
 */
function affineNormModel(form: AffineForm, gamma: number[], beta: number[]): Model {
  const b = new GraphBuilder();
  const full = [1, ROWS, C], reduced = [1, ROWS, 1];
  const t = (name: string, shape: number[]) => b.addTensor({ name, dtype: 'float32', shape });
  const opTo = (op: string, inputs: number[], name: string, shape: number[], options = {}) => {
    const o = t(name, shape);
    b.addOp(op, inputs, [o], options);
    return o;
  };
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: full });
  const last = b.addConstant('last_axis', 'int32', [1], [-1]);
  const mean = opTo('MEAN', [x, last], 'ln/mean', reduced, { keepDims: true });
  const keras3 = form.startsWith('keras 3');
  const variance = keras3
    ? opTo('SUB', [opTo('MEAN', [opTo('SQUARE', [x], 'ln/x_squared', full), last], 'ln/mean_of_squares', reduced, { keepDims: true }),
      opTo('SQUARE', [mean], 'ln/mean_squared', reduced)], 'ln/variance', reduced)
    : opTo('MEAN', [opTo('SQUARED_DIFFERENCE', [x, mean], 'ln/squared_difference', full), last], 'ln/variance', reduced, { keepDims: true });
  const rsqrt = opTo('RSQRT', [opTo('ADD', [variance, b.addConstant('ln/epsilon', 'float32', [], [EPS])], 'ln/variance_eps', reduced)], 'ln/rsqrt', reduced);
  const withGamma = form !== 'keras 3, no gamma or beta';
  const inv = withGamma ? opTo('MUL', [rsqrt, b.addConstant('ln/gamma', 'float32', [C], gamma)], 'ln/inv', full) : rsqrt;
  const xTerm = opTo('MUL', [x, inv], 'ln/x_times_inv', full);
  const betaT = () => b.addConstant('ln/beta', 'float32', [C], beta);
  let res: number;
  if (form === 'tf.nn.batch_normalization') res = opTo('SUB', [betaT(), opTo('MUL', [mean, inv], 'ln/mean_times_inv', full)], 'ln/offset', full);
  else if (form === 'tf.nn.batch_normalization, no offset') res = opTo('NEG', [opTo('MUL', [mean, inv], 'ln/mean_times_inv', full)], 'ln/offset', full);
  else {
    const negated = opTo('MUL', [opTo('NEG', [mean], 'ln/neg_mean', reduced), inv], 'ln/neg_mean_times_inv', withGamma ? full : reduced);
    res = withGamma ? opTo('ADD', [negated, betaT()], 'ln/offset', full) : negated;
  }
  b.markOutput(opTo('ADD', [res, xTerm], 'ln', full));
  return b.model();
}

test('norm-l2 on the batch-normalization forms of TensorFlow and Keras 3: the same function, and in int8 far closer to float than op by op', async () => {
  const rng = new Rng(17);
  const gamma = Array.from(rng.floats(C, 0.5, 1.5)), beta = Array.from(rng.floats(C, -0.3, 0.3));
  // Rows of very different spreads around offsets larger than the spreads: what E[x^2] - E[x]^2 in int8 cannot hold.
  const sample = () => {
    const x = new Float32Array(ROWS * C);
    for (let r = 0; r < ROWS; r++) x.set(rng.floats(C, -(10 ** (r / 2 - 1)), 10 ** (r / 2 - 1)).map((v) => v + (r - 2)), r * C);
    return x;
  };
  const calibration = Array.from({ length: 60 }, () => [sample()]);
  const held = Array.from({ length: 30 }, () => ({ inputs: [sample()] }));
  for (const form of ['tf.nn.batch_normalization', 'tf.nn.batch_normalization, no offset', 'keras 3', 'keras 3, no gamma or beta'] as const) {
    const g = form === 'keras 3, no gamma or beta' ? new Array(C).fill(1) : gamma;
    const be = form === 'tf.nn.batch_normalization, no offset' || form === 'keras 3, no gamma or beta' ? new Array(C).fill(0) : beta;
    const model = affineNormModel(form, g, be);
    const notes: string[] = [];
    const rewritten = normalizeThroughL2(model, { notes });
    assert.match(notes[0], /^norm-l2: 1 normalization\(s\)/, form);
    const ops = rewritten.subgraphs[0].operators.map((o) => o.op);
    assert.deepEqual(ops, ['MEAN', 'SUB', 'PADV2', 'L2_NORMALIZATION', 'STRIDED_SLICE', 'MUL', ...(form === 'tf.nn.batch_normalization' || form === 'keras 3' ? ['ADD'] : [])], form);
    // LayerNorm in float64 from the definition: the reference for the rewritten float model in the official runtime.
    const expectedOf = (x: Float32Array) => Array.from({ length: ROWS }, (_, r) => {
      const row = Array.from(x.subarray(r * C, (r + 1) * C));
      const m = row.reduce((a, v) => a + v, 0) / C;
      const v = row.reduce((a, e) => a + (e - m) ** 2, 0) / C;
      return row.map((e, c) => ((e - m) / Math.sqrt(v + EPS)) * g[c] + be[c]);
    }).flat();
    const official = await runOfficialOn(writeModel(rewritten), held);
    official.raw.forEach((r, k) => {
      const want = expectedOf(held[k].inputs[0]);
      r.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-4 * Math.max(1, Math.abs(want[i])), `${form}: sample ${k} [${i}] ${v} vs ${want[i]}`));
    });
    const errors: number[] = [];
    for (const algorithms of [[], [parseAlgorithmSpec('norm-l2')]]) {
      const { model: q, report } = await quantize(model, { mode: 'int8', representativeDataset: calibration, algorithms, threads: 1 });
      // (Op by op, a NEG stays in float: TFLite's NEG kernel has no int8 case.)
      if (algorithms.length) assert.deepEqual(report.floatOps, [], `${form}: every op integer`);
      const bytes = writeModel(q);
      const file = readModel(bytes, 'norm.tflite');
      const run = await runOfficialOn(bytes, held);
      assert.deepEqual(runOursOn(file, held).raw, run.raw, `${form}: ours bit-exact with the official runtime`);
      const out = file.subgraphs[0].tensors[file.subgraphs[0].outputs[0]];
      let sq = 0;
      run.raw.forEach((r, k) => toFloat(out, r).forEach((v, i) => { sq += (v - expectedOf(held[k].inputs[0])[i]) ** 2; }));
      errors.push(sq / held.length);
    }
    console.log(`# ${form}: int8 output MSE vs float64 LayerNorm: op by op ${errors[0].toExponential(3)}, norm-l2 ${errors[1].toExponential(3)}`);
    assert.ok(errors[1] < 0.5 * errors[0], `${form}: norm-l2 ${errors[1]} vs op by op ${errors[0]}`);
  }
});

const { file: MODEL, skip } = mnistBenchModel('mnist-attention-2block');

test('norm-l2 on the two-block transformer benchmark model: held-out int8 outputs far closer to float; official runtime bit-exact', { skip }, async () => {
  const c = await mnistHeldOutCase(MODEL);
  // The rewritten float model computes the same function (official runtime on both).
  const rewritten = (await runOfficialOn(writeModel(normalizeThroughL2(c.model)), c.heldOut.slice(0, 50))).raw;
  rewritten.forEach((r, k) => r.forEach((v, j) => assert.ok(Math.abs(v - c.reference[k][j]) < 1e-5, `float sample ${k} output ${j}: ${v} vs ${c.reference[k][j]}`)));
  const errors: number[] = [];
  for (const algorithms of [[], [parseAlgorithmSpec('norm-l2')]]) {
    const { error, report, file } = await heldOutInt8Error(c, algorithms);
    assert.deepEqual(report.floatOps, []);
    errors.push(error);
    if (algorithms.length) {
      assert.match(report.algorithms[0], /^norm-l2: 5 normalization\(s\)/, 'two blocks of two LayerNorms, and the final one');
      assert.ok(!file.subgraphs[0].operators.some((o) => o.op === 'RSQRT'));
    }
  }
  const [plain, l2] = errors;
  console.log(`# held-out output MSE vs float: int8 minmax ${plain.toExponential(3)}, with norm-l2 ${l2.toExponential(3)}`);
  assert.ok(l2 < 0.5 * plain, `norm-l2 ${l2} vs plain ${plain}`);
});

test('norm-l2 takes no options; a model without a normalization is left as it is', () => {
  assert.throws(() => parseAlgorithmSpec('norm-l2:axis=1'), (e) => e instanceof UsageError && /norm-l2: takes no options, got 'axis'/.test(e.message));
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: [1, 4] });
  const y = b.addTensor({ name: 'y', dtype: 'float32', shape: [1, 4] });
  b.addOp('RSQRT', [x], [y]);
  b.markOutput(y);
  const notes: string[] = [];
  const model = b.model();
  assert.deepEqual(normalizeThroughL2(model, { notes }).subgraphs[0].operators.map((o) => o.op), ['RSQRT']);
  assert.match(notes[0], /nothing changed/);
});
