// Mixed precision in the full-integer rewrite: recipe scopes move single nodes of an int8 model to 16x8 (int16
// activations, int8 weights, int64 bias) and nodes of a 16x8 model back to int8. Every file runs in the official
// runtime (tfjs-tflite), our interpreter gives its raw outputs bit for bit, and the output stays close to the float
// model's. Crossings follow what the official QUANTIZE kernel takes (checked here on one-op models): int16 -> int8
// in one QUANTIZE, int8 -> int16 through float (DEQUANTIZE + QUANTIZE).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { readModel, writeModel } from '../../src/format/index.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Model, Subgraph } from '../../src/graph/model.js';
import { quantize } from '../../src/quantize/index.js';
import type { QuantizeOptions } from '../../src/quantize/index.js';
import type { ScopeRule } from '../../src/quantize/scopes.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { createLiteRtRunner, liteRtAvailable } from '../../src/runtime/litert.js';
import { perTensor, singleOpModel } from '../helpers/conformance.js';
import { mixedPrecisionModel, mixedPrecisionSamples } from '../helpers/mixed-precision-model.js';
import { LOOP_UNITS, whileLoopModel } from '../helpers/control-flow-models.js';
import { Rng } from '../helpers/random.js';
import { openDataset } from '../../src/evaluate/datasets/index.js';
import { NO_CORPUS, readCorpus } from '../helpers/corpus.js';
import { runOfficialOn, runOursOn, take, toFloat, toInputValues } from './helpers.js';

const float = mixedPrecisionModel();
const calibration = mixedPrecisionSamples(48, 5);
// Evaluated on calibration samples: the error measured is the arithmetic's, not clipping of unseen values.
const evalSet = calibration.slice(0, 24);
let reference: Float32Array[];

async function runOfficial(bytes: Uint8Array, _model: Model, set: Float32Array[][]): Promise<number[][]> {
  return (await runOfficialOn(bytes, set.map((inputs) => ({ inputs })))).raw;
}

function runOurs(model: Model, set: Float32Array[][]): number[][] {
  return runOursOn(model, set.map((inputs) => ({ inputs }))).raw;
}

before(async () => {
  const bytes = writeModel(float);
  reference = (await runOfficial(bytes, float, evalSet)).map((r) => Float32Array.from(r));
});

/** The activation dtype each rewritten node computes in: the dtype of its first non-constant input. */
function nodeDtypes(sg: Subgraph): { op: string; dtype: string; outDtype: string }[] {
  return sg.operators.map((node) => {
    const act = node.inputs.find((i) => i >= 0 && sg.tensors[i].data === null);
    return { op: node.op, dtype: act === undefined ? '' : sg.tensors[act].dtype, outDtype: sg.tensors[node.outputs[0]].dtype };
  });
}

interface Case {
  name: string;
  options: Partial<QuantizeOptions>;
  scopes: ScopeRule[];
  /** Activation type of each of the 9 nodes (mixed-precision-model.ts order). */
  variants: string[];
  /** QUANTIZE / DEQUANTIZE nodes in the file: the model's edges, requantizations for same-scale ops, the crossings. */
  conversions: number;
}

const I8 = 'int8', I16 = 'int16';
const CASES: Case[] = [
  {
    // The concat's inputs come from int8 (max pool, average pool): each through float (DEQUANTIZE + QUANTIZE) into
    // int16 at the concat's shared parameters; its int16 output goes to the int8 conv and the int8 ADD through one
    // QUANTIZE int16 -> int8. With the input QUANTIZE and output DEQUANTIZE: 7.
    name: 'int8 model, CONCATENATION in 16x8', options: { mode: 'int8' }, scopes: [{ nodes: [3], precision: 'int16x8' }],
    variants: [I8, I8, I8, I16, I8, I8, I8, I8, I8], conversions: 7,
  },
  {
    // int8 -> int16 crossings into ADD (both inputs) and SOFTMAX, int16 -> int8 out of ADD, the int8 concat's two
    // requantizations, the model's edges: 11.
    name: 'int8 model, ADD and SOFTMAX in 16x8 (float I/O)', options: { mode: 'int8' }, scopes: [{ ops: ['ADD', 'SOFTMAX'], precision: 'int16x8' }],
    variants: [I8, I8, I8, I8, I8, I16, I8, I8, I16], conversions: 11,
  },
  {
    // A same-scale op in 16x8 between int8 ops: MAX_POOL keeps its (int16) input's parameters; the int8 concat takes
    // it back with one QUANTIZE int16 -> int8 at the concat's parameters. uint8 in (QUANTIZE to int8) and out: 6.
    name: 'int8 model, MAX_POOL_2D in 16x8, uint8 I/O', options: { mode: 'int8', inputType: 'uint8', outputType: 'uint8' },
    scopes: [{ nodes: [1], precision: 'int16x8' }], variants: [I8, I16, I8, I8, I8, I8, I8, I8, I8], conversions: 6,
  },
  {
    // The float input is quantized twice (int8 for the conv, int16 for the average pool).
    name: '16x8 model, CONV_2D and SOFTMAX in int8', options: { mode: 'int16x8' }, scopes: [{ ops: ['CONV_2D', 'SOFTMAX'], precision: 'int8' }],
    variants: [I8, I16, I16, I16, I8, I16, I16, I16, I8], conversions: 10,
  },
  {
    // The int16 input goes to the int8 conv in one QUANTIZE; the int8 softmax's output to the int16 model output
    // through float.
    name: '16x8 model with int16 I/O, first conv, concat and softmax in int8', options: { mode: 'int16x8', inputType: 'int16', outputType: 'int16' },
    scopes: [{ nodes: [0, 3, 8], precision: 'int8' }], variants: [I8, I16, I16, I8, I16, I16, I16, I16, I8], conversions: 10,
  },
];

for (const c of CASES) {
  test(`mixed precision: ${c.name}: runs in the official runtime, ours bit-exact, close to float`, async () => {
    const { model, report } = await quantize(float, { ...c.options, scopes: c.scopes, representativeDataset: calibration, threads: 1 } as QuantizeOptions);
    assert.deepEqual(report.floatOps, [], report.warnings.join('; '));
    assert.deepEqual(report.quantizedOps.map((o) => o.variant), c.variants);
    const bytes = writeModel(model);
    const q = readModel(bytes, 'mixed.tflite');
    const sg = q.subgraphs[0];
    // Each node computes in its variant; every QUANTIZE is a pair the official kernel takes (never 8-bit -> int16).
    const compute = nodeDtypes(sg).filter((d) => d.op !== 'QUANTIZE' && d.op !== 'DEQUANTIZE');
    assert.deepEqual(compute.map((d) => d.outDtype), c.variants, JSON.stringify(compute));
    for (const node of sg.operators.filter((o) => o.op === 'QUANTIZE')) {
      const from = sg.tensors[node.inputs[0]].dtype, to = sg.tensors[node.outputs[0]].dtype;
      assert.ok(!((from === 'int8' || from === 'uint8') && to === 'int16'), `QUANTIZE ${from} -> ${to}`);
    }
    for (const [k, node] of sg.operators.entries()) {
      if (node.op !== 'CONV_2D' && node.op !== 'FULLY_CONNECTED') continue;
      const bias = sg.tensors[node.inputs[2]];
      assert.equal(bias.dtype, sg.tensors[node.inputs[0]].dtype === 'int16' ? 'int64' : 'int32', `bias of node ${k}`);
      assert.equal(sg.tensors[node.inputs[1]].dtype, 'int8');
    }
    {
      const crossings = sg.operators.filter((o) => o.op === 'QUANTIZE' || o.op === 'DEQUANTIZE').length;
      assert.equal(crossings, c.conversions, sg.operators.map((o) => `${o.op}(${o.inputs.map((i) => sg.tensors[i]?.dtype)})`).join(' '));
    }
    const official = await runOfficial(bytes, q, evalSet);
    const ours = runOurs(q, evalSet);
    assert.deepEqual(ours, official, 'our interpreter differs from the official runtime');
    const outT = sg.tensors[sg.outputs[0]];
    let worst = 0;
    official.forEach((row, k) => toFloat(outT, row).forEach((v, i) => { worst = Math.max(worst, Math.abs(v - reference[k][i])); }));
    assert.ok(worst < 0.03, `largest probability error ${worst}`);
    console.log(`# [mixed] ${c.name}: ${report.conversionOps} conversion ops, max |q - float| ${worst.toFixed(5)}`);
  });
}

const quantizeModel = (from: 'int8' | 'uint8' | 'int16', to: 'int8' | 'int16', n = 4, inScale = 0.05, outScale = to === 'int16' ? 0.05 / 256 : 0.1) => writeModel(singleOpModel({
  op: 'QUANTIZE', version: to === 'int16' ? 2 : 1,
  inputs: [{ dtype: from, shape: [n], quantization: perTensor(inScale, from === 'uint8' ? 128 : from === 'int8' ? -3 : 0) }],
  outputs: [{ dtype: to, shape: [n], quantization: perTensor(outScale, 0) }],
}));

test('the official QUANTIZE kernel: int16 -> int8 runs, int8 / uint8 -> int16 is refused (so the rewrite goes through float)', async () => {
  const model = (from: 'int8' | 'uint8' | 'int16', to: 'int8' | 'int16') => quantizeModel(from, to);
  const runner = await createOfficialRunner(model('int16', 'int8'));
  try {
    runner.setInput(0, [-3000, -10, 10, 3000]);
    runner.invoke();
    // Half of each value (0.05 / 0.1), saturated to int8.
    assert.deepEqual(Array.from(runner.getOutputs()[0].data as ArrayLike<number>, Number), [-128, -5, 5, 127]);
  } finally {
    runner.delete();
  }
  for (const from of ['int8', 'uint8'] as const) {
    await assert.rejects(createOfficialRunner(model(from, 'int16')), /quantize\.cc/, `${from} -> int16`);
  }
});

test('LiteRT.js runs QUANTIZE int8 -> int16 directly; our kernel gives its values (every int8 input, three scale ratios)',
  { skip: liteRtAvailable() ? false : '@litertjs/core is not installed' }, async () => {
    const values = Array.from({ length: 256 }, (_, k) => k - 128);
    for (const ratio of [37.3, 256, 1000.5]) {
      const bytes = quantizeModel('int8', 'int16', 256, 0.05, 0.05 / ratio);
      const runner = await createLiteRtRunner(bytes);
      let theirs: number[];
      try {
        runner.setInput(0, values);
        runner.invoke();
        theirs = Array.from(runner.getOutputs()[0].data as ArrayLike<number>, Number);
      } finally {
        runner.delete();
      }
      const it = Interpreter.fromModel(readModel(bytes, 'quantize.tflite'));
      it.setInput(0, values);
      it.invoke();
      assert.deepEqual(Array.from(it.getOutput(0) as ArrayLike<number>, Number), theirs, `ratio ${ratio}`);
    }
  });

test('16x8 model with its LSTM in int8 (the integer LSTM has no 16x8 kernel): fully integer, official runtime = ours', { skip: NO_CORPUS }, async () => {
  const lstm = readModel(readCorpus('tflite/tflite-micro/trained_lstm.tflite'));
  const shape = lstm.subgraphs[0].tensors[lstm.subgraphs[0].inputs[0]].shape;
  const samples = await take(await openDataset('mnist:train', { inputShapes: [shape], limit: 60 }), 60);
  const plain = await quantize(lstm, { mode: 'int16x8', representativeDataset: samples.slice(0, 40), threads: 1 });
  assert.deepEqual(plain.report.floatOps.map((o) => o.op), ['UNIDIRECTIONAL_SEQUENCE_LSTM']);
  const { model, report } = await quantize(lstm, {
    mode: 'int16x8', scopes: [{ ops: ['UNIDIRECTIONAL_SEQUENCE_LSTM'], precision: 'int8' }], representativeDataset: samples.slice(0, 40), threads: 1,
  });
  assert.deepEqual(report.floatOps, []);
  assert.deepEqual(report.quantizedOps.map((o) => `${o.op}:${o.variant}`),
    ['UNIDIRECTIONAL_SEQUENCE_LSTM:int8', 'RESHAPE:int16', 'FULLY_CONNECTED:int16', 'SOFTMAX:int16']);
  const evalSet = samples.slice(40);
  const official = await runOfficialOn(writeModel(model), evalSet, true);
  assert.deepEqual(runOursOn(model, evalSet, true).raw, official.raw);
});

test('scopes inside a WHILE body: 16x8 nodes in an int8 loop and int8 nodes in a 16x8 loop run in the official runtime, ours bit-exact', async () => {
  const loop = whileLoopModel();
  const rng = new Rng(5);
  const samples = Array.from({ length: 24 }, (_, k) => [rng.floats(LOOP_UNITS, -1, 1), Float32Array.of(k % 5)]);
  const cases: [Partial<QuantizeOptions>, string[]][] = [
    [{ mode: 'int8', scopes: [{ subgraph: 2, nodes: [1], precision: 'int16x8' }] }, ['WHILE:int8', 'FULLY_CONNECTED:int16', 'ADD:int8', 'TANH:int8']],
    [{ mode: 'int16x8', scopes: [{ subgraph: 2, nodes: [2, 3], precision: 'int8' }] }, ['WHILE:int16', 'FULLY_CONNECTED:int16', 'ADD:int8', 'TANH:int8']],
  ];
  for (const [options, variants] of cases) {
    const { model, report } = await quantize(loop, { ...options, representativeDataset: samples, threads: 1 } as QuantizeOptions);
    assert.deepEqual(report.floatOps, []);
    assert.deepEqual(report.quantizedOps.map((o) => `${o.op}:${o.variant}`), variants);
    const bytes = writeModel(model);
    const runner = await createOfficialRunner(bytes);
    const it = Interpreter.fromModel(readModel(bytes, 'loop.tflite'));
    try {
      for (const [x, n] of samples) {
        const count = Int32Array.of(n[0]);
        runner.setInput(0, x); runner.setInput(1, count);
        it.setInput(0, x); it.setInput(1, count);
        runner.invoke(); it.invoke();
        assert.deepEqual(Array.from(it.getOutput(0) as ArrayLike<number>), Array.from(runner.getOutputs()[0].data as ArrayLike<number>));
      }
    } finally {
      runner.delete();
    }
  }
});

test('a 16x8 scope on an op without a 16x8 kernel leaves it in float (as --mode int16x8 does), with the reason', async () => {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: [1, 6] });
  const h = b.addTensor({ name: 'h', dtype: 'float32', shape: [1, 6] });
  const y = b.addTensor({ name: 'y', dtype: 'float32', shape: [1, 6] });
  b.addOp('HARD_SWISH', [x], [h]);
  b.addOp('RELU', [h], [y]);
  b.markOutput(y);
  const samples = [[Float32Array.of(-3, -1, 0, 1, 2, 4)]];
  const { report } = await quantize(b.model(), { mode: 'int8', scopes: [{ ops: ['*'], precision: 'int16x8' }], representativeDataset: samples });
  assert.deepEqual(report.floatOps.map((o) => [o.op, o.reason]), [['HARD_SWISH', 'no 16x8 kernel for HARD_SWISH']]);
  assert.deepEqual(report.quantizedOps.map((o) => `${o.op}:${o.variant}`), ['RELU:int16']);
});
