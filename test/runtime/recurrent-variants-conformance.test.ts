// Recurrent ops beyond the float/int8 LSTM and SVDF: RNN and UNIDIRECTIONAL_SEQUENCE_RNN (float32 and hybrid),
// hybrid SVDF and hybrid UNIDIRECTIONAL_SEQUENCE_LSTM (float activations, int8 weights, symmetric or
// asymmetric_quantize_inputs), vs the official TFLite runtime. Each case runs several consecutive invocations through
// one runner on each side, so the state carried in variable tensors is compared too. Tolerance: the harness's float
// one (1e-5 relative + 1e-6 absolute): hybrid ops quantize per batch exactly as TFLite does, so their only
// differences are float32 summation order. The hybrid LSTM also quantizes float32 results of activations each step
// (the output state, the hidden values before a projection): TFLite's tanh and logistic (Eigen's approximations)
// may differ from ours by an ulp, which can move one quantized value by one step; each such flip moves a gate by one
// input quantum x one weight scale, so there the stated bound is 5e-5 absolute on values of order 1 (measured: up
// to ~6e-6).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { readModel, writeModel } from '../../src/format/index.js';
import { encodeValues } from '../../src/graph/builder.js';
import { quantize } from '../../src/quantize/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { ConformanceStats, Rng, compareArrays, perTensor, singleOpModel, type OpSpec, type TensorArg } from '../helpers/conformance.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { NO_CORPUS, readCorpus } from '../helpers/corpus.js';

const stats = new ConformanceStats();
after(() => stats.print());

/** Symmetric int8 weights with a per-tensor scale (as TF's dynamic-range quantizer writes them). */
function int8Weights(rng: Rng, shape: number[], magnitude: number): TensorArg {
  const n = shape.reduce((a, b) => a * b, 1);
  const scale = magnitude / 127;
  return { dtype: 'int8', shape, data: rng.ints(n, -127, 127), quantization: perTensor(scale, 0) };
}

function floatWeights(rng: Rng, shape: number[], magnitude: number): TensorArg {
  return { dtype: 'float32', shape, data: rng.floats(shape.reduce((a, b) => a * b, 1), -magnitude, magnitude) };
}

/** Runs `steps` invocations (one input per step) in both runtimes and compares every output of every step. */
async function checkSteps(label: string, name: string, spec: OpSpec, steps: Float32Array[][], atol = 0): Promise<void> {
  const bytes = writeModel(singleOpModel(spec));
  const ref = await createOfficialRunner(bytes);
  const ours = Interpreter.fromBytes(bytes);
  try {
    for (let t = 0; t < steps.length; t++) {
      steps[t].forEach((v, k) => { ref.setInput(k, v); ours.setInput(k, v); });
      ref.invoke();
      ours.invoke();
      ref.getOutputs().forEach((o, k) => {
        const c = compareArrays(ours.getOutput(k) as Float32Array, o.data as ArrayLike<number>, 'float32');
        stats.add(label, c);
        assert.ok(c.ok || c.maxAbsDiff <= atol, `${name} invoke ${t} output ${k}: ${c.message}`);
      });
    }
  } finally {
    ref.delete();
  }
}

const RNN_ACTIVATIONS = ['TANH', 'RELU', 'NONE', 'RELU6', 'RELU_N1_TO_1'];

for (const sequence of [false, true]) {
  for (const kind of ['float', 'hybrid', 'hybrid-asymmetric'] as const) {
    const op = sequence ? 'UNIDIRECTIONAL_SEQUENCE_RNN' : 'RNN';
    test(`${op} ${kind}: seeded cells, 3 consecutive invocations (state carried) vs the official runtime`, async () => {
      const rng = new Rng(op.length * 7 + kind.length);
      for (let c = 0; c < 8; c++) {
        const batches = rng.int(1, 3), units = rng.int(1, 9), inputSize = rng.int(1, 7), time = sequence ? rng.int(1, 5) : 1;
        const timeMajor = sequence && rng.bool();
        const hybrid = kind !== 'float';
        const weights = (shape: number[], m: number) => (hybrid ? int8Weights(rng, shape, m) : floatWeights(rng, shape, m));
        const inShape = sequence ? (timeMajor ? [time, batches, inputSize] : [batches, time, inputSize]) : [batches, inputSize];
        const outShape = sequence ? (timeMajor ? [time, batches, units] : [batches, time, units]) : [batches, units];
        const activation = rng.pick(RNN_ACTIVATIONS);
        const spec: OpSpec = {
          op, version: kind === 'float' ? 1 : kind === 'hybrid' ? 2 : 3,
          options: { fusedActivationFunction: activation, ...(sequence ? { timeMajor } : {}), asymmetricQuantizeInputs: kind === 'hybrid-asymmetric' },
          inputs: [
            { dtype: 'float32', shape: inShape }, weights([units, inputSize], 0.8), weights([units, units], 0.5),
            floatWeights(rng, [units], 0.3), { dtype: 'float32', shape: [batches, units], isVariable: true },
          ],
          outputs: [{ dtype: 'float32', shape: outShape }],
        };
        const n = inShape.reduce((a, b) => a * b, 1);
        // Step 1 starts from a zero state (the recurrent product is skipped); an all-zero input skips the other one.
        const steps = [[rng.floats(n, -2, 2)], [rng.floats(n, 0, 1.5)], [new Float32Array(n)], [rng.floats(n, -1, 0.2)]];
        await checkSteps(`${op} ${kind}`, `${op} ${kind} case ${c}: [${inShape}] units ${units} ${activation}${timeMajor ? ' time-major' : ''}`, spec, steps);
      }
    });
  }
}

for (const asymmetric of [false, true]) {
  test(`SVDF hybrid${asymmetric ? ' (asymmetric inputs)' : ''}: seeded cells, 4 consecutive invocations vs the official runtime`, async () => {
    const rng = new Rng(asymmetric ? 8181 : 8080);
    for (let c = 0; c < 10; c++) {
      const batches = rng.int(1, 3), inputSize = rng.int(1, 8), rank = rng.int(1, 2), units = rng.int(1, 5), memory = rng.int(1, 5);
      const filters = units * rank;
      const activation = rng.pick(['NONE', 'RELU', 'TANH', 'RELU6']);
      const withBias = rng.bool(0.7);
      const spec: OpSpec = {
        op: 'SVDF', version: asymmetric ? 4 : 2, options: { rank, fusedActivationFunction: activation, asymmetricQuantizeInputs: asymmetric },
        inputs: [
          { dtype: 'float32', shape: [batches, inputSize] }, int8Weights(rng, [filters, inputSize], 0.7), int8Weights(rng, [filters, memory], 0.6),
          withBias ? floatWeights(rng, [units], 0.3) : null, { dtype: 'float32', shape: [batches, memory * filters], isVariable: true },
        ],
        outputs: [{ dtype: 'float32', shape: [batches, units] }],
      };
      const n = batches * inputSize;
      const steps = [[rng.floats(n, -2, 2)], [rng.floats(n, 0, 1)], [new Float32Array(n)], [rng.floats(n, -1, 3)]];
      await checkSteps(`SVDF hybrid${asymmetric ? ' asymmetric' : ''}`, `SVDF hybrid case ${c}: batch ${batches} in ${inputSize} rank ${rank} units ${units} memory ${memory} ${activation}`, spec, steps);
    }
  });
}


interface LstmShape { batches: number; time: number; nInput: number; nCell: number; nOutput: number; cifg: boolean; peephole: boolean; projection: boolean; layerNorm: boolean; timeMajor: boolean }

function randomLstmShape(rng: Rng): LstmShape {
  const projection = rng.bool(0.4);
  const nCell = rng.int(1, 8);
  return {
    batches: rng.int(1, 3), time: rng.int(1, 4), nInput: rng.int(1, 6), nCell, nOutput: projection ? rng.int(1, 6) : nCell,
    cifg: rng.bool(0.3), peephole: rng.bool(0.4), projection, layerNorm: rng.bool(0.4), timeMajor: rng.bool(0.3),
  };
}

/** A hybrid UNIDIRECTIONAL_SEQUENCE_LSTM: int8 weights (per-tensor scales), float biases, states and layer norm. */
function hybridLstmSpec(rng: Rng, s: LstmShape, asymmetric: boolean, activation: string): OpSpec {
  const { batches, time, nInput, nCell, nOutput } = s;
  const gateW = (cols: number, skip: boolean) => (skip ? null : int8Weights(rng, [nCell, cols], rng.float(0.3, 1)));
  const vec = (skip: boolean, lo: number, hi: number): TensorArg | null => (skip ? null : { dtype: 'float32', shape: [nCell], data: rng.floats(nCell, lo, hi) });
  const peep = (skip: boolean) => (skip || !s.peephole ? null : int8Weights(rng, [nCell], 0.5));
  return {
    op: 'UNIDIRECTIONAL_SEQUENCE_LSTM', version: asymmetric ? 3 : 2,
    options: { fusedActivationFunction: activation, cellClip: rng.pick([0, 0, 3]), projClip: s.projection ? rng.pick([0, 0.8]) : 0, timeMajor: s.timeMajor, asymmetricQuantizeInputs: asymmetric },
    inputs: [
      { dtype: 'float32', shape: s.timeMajor ? [time, batches, nInput] : [batches, time, nInput] },
      gateW(nInput, s.cifg), gateW(nInput, false), gateW(nInput, false), gateW(nInput, false),
      gateW(nOutput, s.cifg), gateW(nOutput, false), gateW(nOutput, false), gateW(nOutput, false),
      peep(s.cifg), peep(false), peep(false),
      vec(s.cifg, -0.5, 0.5), vec(false, 0.5, 1.5), vec(false, -0.3, 0.3), vec(false, -0.3, 0.3),
      s.projection ? int8Weights(rng, [nOutput, nCell], 0.7) : null,
      s.projection && rng.bool() ? { dtype: 'float32', shape: [nOutput], data: rng.floats(nOutput, -0.2, 0.2) } : null,
      { dtype: 'float32', shape: [batches, nOutput], isVariable: true },
      { dtype: 'float32', shape: [batches, nCell], isVariable: true },
      vec(!s.layerNorm || s.cifg, 0.5, 1.5), vec(!s.layerNorm, 0.5, 1.5), vec(!s.layerNorm, 0.5, 1.5), vec(!s.layerNorm, 0.5, 1.5),
    ],
    outputs: [{ dtype: 'float32', shape: s.timeMajor ? [time, batches, nOutput] : [batches, time, nOutput] }],
  };
}

for (const asymmetric of [false, true]) {
  test(`UNIDIRECTIONAL_SEQUENCE_LSTM hybrid${asymmetric ? ' (asymmetric inputs)' : ''}: CIFG, peephole, projection, layer norm, clips; 3 invocations vs the official runtime`, async () => {
    const rng = new Rng(asymmetric ? 7272 : 7171);
    for (let c = 0; c < 14; c++) {
      const s = randomLstmShape(rng);
      const activation = rng.pick(['TANH', 'TANH', 'RELU']);
      const spec = hybridLstmSpec(rng, s, asymmetric, activation);
      const n = s.batches * s.time * s.nInput;
      const steps = [[rng.floats(n, -2, 2)], [new Float32Array(n)], [rng.floats(n, 0, 1)]];
      await checkSteps(`UNIDIRECTIONAL_SEQUENCE_LSTM hybrid${asymmetric ? ' asymmetric' : ''}`,
        `hybrid LSTM case ${c}: ${JSON.stringify(s)} ${activation}`, spec, steps, 5e-5);
    }
  });
}

// `quantize --mode dynamic` writes hybrid recurrent ops as TF's converter does (int8 per-tensor weights,
// asymmetric_quantize_inputs, the hybrid op version); the official runtime must run the result and ours agree.
test('quantize dynamic: float LSTM, SVDF, RNN and sequence RNN become hybrid ops that match the official runtime', async () => {
  const rng = new Rng(2468);
  const lstmShape: LstmShape = { batches: 1, time: 5, nInput: 40, nCell: 32, nOutput: 32, cifg: false, peephole: false, projection: false, layerNorm: false, timeMajor: false };
  const floatLstm = hybridLstmSpec(rng, lstmShape, false, 'TANH');
  // The same cell in float32: the int8 test weights dequantized are the float model's weights.
  floatLstm.inputs = floatLstm.inputs.map((t) => (t && t.dtype === 'int8' ? { dtype: 'float32', shape: t.shape, data: Array.from(t.data as number[], (v) => v * t.quantization!.scale[0]) } : t));
  floatLstm.version = 1;
  floatLstm.options = { ...floatLstm.options, asymmetricQuantizeInputs: false };
  const cases: { name: string; spec: OpSpec; input: number }[] = [
    { name: 'UNIDIRECTIONAL_SEQUENCE_LSTM', spec: floatLstm, input: 5 * 40 },
    {
      name: 'SVDF', input: 2 * 64,
      spec: { op: 'SVDF', options: { rank: 2, fusedActivationFunction: 'RELU' }, inputs: [
        { dtype: 'float32', shape: [2, 64] }, floatWeights(rng, [32, 64], 0.3), floatWeights(rng, [32, 40], 0.3), floatWeights(rng, [16], 0.1),
        { dtype: 'float32', shape: [2, 40 * 32], isVariable: true }], outputs: [{ dtype: 'float32', shape: [2, 16] }] },
    },
    {
      name: 'RNN', input: 2 * 48,
      spec: { op: 'RNN', options: { fusedActivationFunction: 'TANH' }, inputs: [
        { dtype: 'float32', shape: [2, 48] }, floatWeights(rng, [40, 48], 0.3), floatWeights(rng, [40, 40], 0.2), floatWeights(rng, [40], 0.1),
        { dtype: 'float32', shape: [2, 40], isVariable: true }], outputs: [{ dtype: 'float32', shape: [2, 40] }] },
    },
    {
      name: 'UNIDIRECTIONAL_SEQUENCE_RNN', input: 3 * 48,
      spec: { op: 'UNIDIRECTIONAL_SEQUENCE_RNN', options: { fusedActivationFunction: 'TANH', timeMajor: false }, inputs: [
        { dtype: 'float32', shape: [1, 3, 48] }, floatWeights(rng, [40, 48], 0.3), floatWeights(rng, [40, 40], 0.2), floatWeights(rng, [40], 0.1),
        { dtype: 'float32', shape: [1, 40], isVariable: true }], outputs: [{ dtype: 'float32', shape: [1, 3, 40] }] },
    },
  ];
  for (const c of cases) {
    const { model, report } = await quantize(singleOpModel(c.spec), { mode: 'dynamic' });
    assert.deepEqual(report.quantizedOps.map((o) => [o.op, o.variant]), [[c.name, 'hybrid']], `${c.name}: quantized as hybrid`);
    const node = model.subgraphs[0].operators[0];
    assert.equal(node.options.asymmetricQuantizeInputs, true, `${c.name}: asymmetric inputs`);
    const dtypes = c.spec.inputs.map((t, k) => (t && t.data && t.dtype === 'float32' && t.shape.length === 2 ? model.subgraphs[0].tensors[node.inputs[k]].dtype : null)).filter((d) => d);
    assert.ok(dtypes.every((d) => d === 'int8'), `${c.name}: weight matrices int8, got ${dtypes}`);
    const steps = [[rng.floats(c.input, -1, 1)], [rng.floats(c.input, 0, 2)]];
    const bytes = writeModel(model);
    const ref = await createOfficialRunner(bytes);
    const ours = Interpreter.fromBytes(bytes);
    try {
      for (const [x] of steps) {
        ref.setInput(0, x); ours.setInput(0, x);
        ref.invoke(); ours.invoke();
        const cmp = compareArrays(ours.getOutput(0) as Float32Array, ref.getOutputs()[0].data as ArrayLike<number>, 'float32');
        stats.add(`quantize dynamic ${c.name}`, cmp);
        assert.ok(cmp.ok || cmp.maxAbsDiff <= 5e-5, `${c.name}: ${cmp.message}`);
      }
    } finally {
      ref.delete();
    }
  }
});

// The corpus's MNIST LSTM has weights below the 1024 elements TF's dynamic-range quantizer requires, so `quantize
// --mode dynamic` keeps it float (as TF does). Its hybrid form is made here by quantizing every LSTM weight matrix
// symmetric per-tensor int8 (scale max|w|/127), as that quantizer writes weights: a real recurrent network, run on
// the corpus's MNIST nine and on shifted copies of it, in both runtimes.
test('corpus MNIST LSTM made hybrid (int8 LSTM weights): ours matches the official runtime', { skip: NO_CORPUS }, async () => {
  const model = readModel(readCorpus('tflite/tflite-micro/trained_lstm.tflite'));
  const sg = model.subgraphs[0];
  const lstm = sg.operators.find((o) => o.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM')!;
  let quantized = 0;
  for (const k of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16]) {
    const ti = lstm.inputs[k];
    if (ti === undefined || ti < 0) continue;
    const t = sg.tensors[ti];
    const values = new Float32Array(t.data!.slice().buffer);
    const max = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const scale = Math.fround(max / 127 || 1);
    t.data = encodeValues('int8', Array.from(values, (v) => Math.max(-127, Math.min(127, Math.round(v / scale)))));
    t.dtype = 'int8';
    t.quantization = { scale: [scale], zeroPoint: [0], quantizedDimension: 0 };
    quantized++;
  }
  assert.ok(quantized >= 8, `${quantized} weight matrices quantized`);
  lstm.version = 3;
  lstm.options = { ...lstm.options, asymmetricQuantizeInputs: true };
  const bytes = writeModel(model);
  const nine = mnistNine();
  for (const shift of [0, 1, 3]) {
    const x = new Float32Array(784);
    for (let i = 0; i < 784; i++) x[i] = nine[(i + shift * 28) % 784];
    const ref = await createOfficialRunner(bytes);
    const ours = Interpreter.fromBytes(bytes);
    try {
      ref.setInput(0, x); ours.setInput(0, x);
      ref.invoke(); ours.invoke();
      const r = ref.getOutputs()[0].data as Float32Array;
      const cmp = compareArrays(ours.getOutput(0) as Float32Array, r, 'float32');
      stats.add('corpus MNIST LSTM hybrid', cmp);
      assert.ok(cmp.ok || cmp.maxAbsDiff <= 5e-5, `shift ${shift}: ${cmp.message}`);
      if (shift === 0) assert.equal(r.indexOf(Math.max(...r)), 9, 'the nine is read as a nine by the hybrid model');
    } finally {
      ref.delete();
    }
  }
});

/** The corpus's mnist_nine.bmp (8-bit grayscale or 24-bit BMP, bottom-up rows) as 784 values in [0, 1]. */
function mnistNine(): Float32Array {
  const b = readCorpus('images/mnist_nine.bmp');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const offset = view.getUint32(10, true), width = view.getInt32(18, true), height = view.getInt32(22, true), bpp = view.getUint16(28, true);
  assert.deepEqual([width, Math.abs(height)], [28, 28], 'mnist_nine.bmp is 28x28');
  const bytesPerPixel = bpp / 8;
  const stride = Math.ceil((width * bytesPerPixel) / 4) * 4;
  const out = new Float32Array(784);
  for (let y = 0; y < 28; y++) {
    const row = height > 0 ? 27 - y : y;
    for (let x = 0; x < 28; x++) out[y * 28 + x] = b[offset + row * stride + x * bytesPerPixel] / 255;
  }
  return out;
}

/**
 * A fully integer (8x8_16) layer-norm LSTM: int8 input, weights and output state, int16 cell state, gate
 * pre-activations in the scales of intermediates 0..3, int16 layer-norm coefficients and int32 biases (added after
 * normalization). Scales are chosen so the gates use a good part of their range without saturating throughout.
 */
function integerLayerNormSpec(rng: Rng, s: LstmShape): OpSpec {
  const { batches, time, nInput, nCell, nOutput } = s;
  const n = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const inputScale = rng.float(0.004, 0.01), stateScale = rng.float(0.006, 0.01);
  const hiddenScale = s.projection ? rng.float(0.006, 0.01) : stateScale;
  const stateZp = rng.pick([0, -1, rng.int(-10, 10)]);
  const hiddenZp = s.projection ? rng.pick([0, -1]) : stateZp;
  const cellScale = 2 ** rng.pick([-12, -11, -10]);
  const gateScales = [0, 1, 2, 3].map(() => rng.float(0.5, 4) * 2 ** -12);
  const w8 = (shape: number[], fanIn: number, inScale: number, gate: number): TensorArg => ({
    dtype: 'int8', shape, data: rng.ints(n(shape), -127, 127),
    quantization: perTensor(rng.float(0.5, 2) * 8000 * gateScales[gate] / (inScale * 73 * 74 * Math.sqrt(fanIn)), 0),
  });
  const gate = (k: number, skip: boolean, fn: () => TensorArg): TensorArg | null => (skip ? null : fn());
  const lnCoef = (skip: boolean): TensorArg | null => (skip ? null
    : { dtype: 'int16', shape: [nCell], data: rng.ints(nCell, 8000, 32000), quantization: perTensor(1 / 16384, 0) });
  const bias = (skip: boolean): TensorArg | null => (skip ? null
    : { dtype: 'int32', shape: [nCell], data: rng.ints(nCell, -200000, 200000), quantization: perTensor(2 ** -24, 0) });
  const peep = (skip: boolean, k: number): TensorArg | null => (skip || !s.peephole ? null
    : { dtype: 'int16', shape: [nCell], data: rng.ints(nCell, -32767, 32767), quantization: perTensor(rng.float(1, 10) * gateScales[k] * 2 ** -12 / cellScale, 0) });
  const inShape = s.timeMajor ? [time, batches, nInput] : [batches, time, nInput];
  const inputs: (TensorArg | null)[] = [
    { dtype: 'int8', shape: inShape, quantization: perTensor(inputScale, rng.int(-20, 20)) },
    ...[0, 1, 2, 3].map((k) => gate(k, k === 0 && s.cifg, () => w8([nCell, nInput], nInput, inputScale, k))),
    ...[0, 1, 2, 3].map((k) => gate(k, k === 0 && s.cifg, () => w8([nCell, nOutput], nOutput, stateScale, k))),
    peep(s.cifg, 0), peep(false, 1), peep(false, 3),
    bias(s.cifg), bias(false), bias(false), bias(false),
    s.projection ? { dtype: 'int8', shape: [nOutput, nCell], data: rng.ints(nOutput * nCell, -127, 127), quantization: perTensor(rng.float(0.5, 2) * stateScale / (hiddenScale * 127 * Math.sqrt(nCell)), 0) } : null,
    null,
    { dtype: 'int8', shape: [batches, nOutput], isVariable: true, quantization: perTensor(stateScale, stateZp) },
    { dtype: 'int16', shape: [batches, nCell], isVariable: true, quantization: perTensor(cellScale, 0) },
    lnCoef(s.cifg), lnCoef(false), lnCoef(false), lnCoef(false),
  ];
  const holder = (name: string, k: number): TensorArg => ({ name, dtype: 'int16', shape: [0], quantization: perTensor(gateScales[k], 0) });
  return {
    op: 'UNIDIRECTIONAL_SEQUENCE_LSTM', version: 1,
    options: { fusedActivationFunction: 'TANH', cellClip: rng.pick([0, 0, 4]), projClip: 0, timeMajor: s.timeMajor },
    inputs,
    outputs: [{ dtype: 'int8', shape: s.timeMajor ? [time, batches, nOutput] : [batches, time, nOutput], quantization: perTensor(stateScale, stateZp) }],
    intermediates: [holder('input_gate', 0), holder('forget_gate', 1), holder('cell_gate', 2), holder('output_gate', 3),
      { name: 'effective_hidden', dtype: 'int8', shape: [0], quantization: perTensor(hiddenScale, hiddenZp) }],
  };
}

test('UNIDIRECTIONAL_SEQUENCE_LSTM int8 with layer norm (8x8_16): 3 invocations bit-exact vs the official runtime', async () => {
  const rng = new Rng(9119);
  let saturated = 0, total = 0;
  const distinct = new Set<number>();
  for (let c = 0; c < 16; c++) {
    const s = { ...randomLstmShape(rng), layerNorm: true };
    // TFLite's integer layer norm divides 2^20 by the cell count: exact for powers of two (what it is meant for).
    s.nCell = rng.pick([2, 4, 8, 16]);
    if (!s.projection) s.nOutput = s.nCell;
    const spec = integerLayerNormSpec(rng, s);
    const bytes = writeModel(singleOpModel(spec));
    const ref = await createOfficialRunner(bytes);
    const ours = Interpreter.fromBytes(bytes);
    const nIn = s.batches * s.time * s.nInput;
    try {
      for (let t = 0; t < 3; t++) {
        const x = rng.ints(nIn, -128, 127);
        ref.setInput(0, x); ours.setInput(0, x);
        ref.invoke(); ours.invoke();
        const r = ref.getOutputs()[0].data as ArrayLike<number>;
        const cmp = compareArrays(ours.getOutput(0) as Int8Array, r, 'int8', 0);
        stats.add('UNIDIRECTIONAL_SEQUENCE_LSTM int8 layer norm', cmp);
        assert.ok(cmp.ok, `layer-norm LSTM case ${c} ${JSON.stringify(s)} invoke ${t}: ${cmp.message}`);
        for (let i = 0; i < r.length; i++) { total++; distinct.add(r[i]); if (r[i] === -128 || r[i] === 127) saturated++; }
      }
    } finally {
      ref.delete();
    }
  }
  assert.ok(saturated < 0.25 * total && distinct.size > 40, `${saturated}/${total} saturated, ${distinct.size} distinct values`);
});

// Bidirectional cells: the forward and backward directions' specs are the unidirectional ones above, laid out in the
// bidirectional op's input order; merged and separate outputs, time-major and batch-major. The hybrid time-major
// RNN cases include the official runtime's repeated passes over the sequence (see bidirectional.ts).
for (const kind of ['float', 'hybrid'] as const) {
  test(`BIDIRECTIONAL_SEQUENCE_LSTM ${kind}: merged and separate outputs, 2 invocations vs the official runtime`, async () => {
    const rng = new Rng(kind === 'float' ? 3131 : 3232);
    for (let c = 0; c < 8; c++) {
      const s = { ...randomLstmShape(rng), layerNorm: false };
      // The official runtime leaves part of a batch-major merged output unwritten (see bidirectional.ts): merged
      // outputs are checked time-major, as TF's converter writes bidirectional LSTMs.
      const merge = s.timeMajor && rng.bool(0.7);
      const dir = () => {
        const spec = hybridLstmSpec(rng, s, kind === 'hybrid', 'TANH');
        if (kind === 'float') {
          spec.inputs = spec.inputs.map((t) => (t && t.dtype === 'int8' ? { dtype: 'float32', shape: t.shape, data: Array.from(t.data as number[], (v) => v * t.quantization!.scale[0]) } : t));
        }
        return spec;
      };
      const fw = dir(), bw = dir();
      const nOut = s.nOutput;
      const outShape = s.timeMajor ? [s.time, s.batches] : [s.batches, s.time];
      const spec: OpSpec = {
        op: 'BIDIRECTIONAL_SEQUENCE_LSTM', version: kind === 'float' ? 1 : 3,
        options: { fusedActivationFunction: 'TANH', cellClip: 0, projClip: 0, mergeOutputs: merge, timeMajor: s.timeMajor, asymmetricQuantizeInputs: kind === 'hybrid' },
        inputs: [fw.inputs[0], ...fw.inputs.slice(1, 18), ...bw.inputs.slice(1, 18), fw.inputs[18], fw.inputs[19], bw.inputs[18], bw.inputs[19],
          null, null, null, null, null, null, null, null, null],
        outputs: merge ? [{ dtype: 'float32', shape: [...outShape, 2 * nOut] }]
          : [{ dtype: 'float32', shape: [...outShape, nOut] }, { dtype: 'float32', shape: [...outShape, nOut] }],
      };
      const n = s.batches * s.time * s.nInput;
      await checkSteps(`BIDIRECTIONAL_SEQUENCE_LSTM ${kind}`, `bidirectional LSTM ${kind} case ${c}: ${JSON.stringify(s)} merge ${merge}`, spec,
        [[rng.floats(n, -2, 2)], [rng.floats(n, 0, 1)]], kind === 'hybrid' ? 5e-5 : 0);
    }
  });

  test(`BIDIRECTIONAL_SEQUENCE_RNN ${kind}: merged and separate outputs, 2 invocations vs the official runtime`, async () => {
    const rng = new Rng(kind === 'float' ? 4141 : 4242);
    for (let c = 0; c < 8; c++) {
      const batches = rng.int(1, 3), units = rng.int(1, 7), inputSize = rng.int(1, 6), time = rng.int(1, 4);
      const timeMajor = rng.bool(), merge = rng.bool();
      const w = (shape: number[], m: number) => (kind === 'hybrid' ? int8Weights(rng, shape, m) : floatWeights(rng, shape, m));
      const cell = () => [w([units, inputSize], 0.8), w([units, units], 0.5), floatWeights(rng, [units], 0.3), { dtype: 'float32' as const, shape: [batches, units], isVariable: true }];
      const outShape = timeMajor ? [time, batches] : [batches, time];
      const spec: OpSpec = {
        op: 'BIDIRECTIONAL_SEQUENCE_RNN', version: kind === 'float' ? 1 : 3,
        options: { fusedActivationFunction: 'TANH', timeMajor, mergeOutputs: merge, asymmetricQuantizeInputs: kind === 'hybrid' },
        inputs: [{ dtype: 'float32', shape: timeMajor ? [time, batches, inputSize] : [batches, time, inputSize] }, ...cell(), ...cell(), null, null, null],
        outputs: merge ? [{ dtype: 'float32', shape: [...outShape, 2 * units] }]
          : [{ dtype: 'float32', shape: [...outShape, units] }, { dtype: 'float32', shape: [...outShape, units] }],
      };
      const n = batches * time * inputSize;
      await checkSteps(`BIDIRECTIONAL_SEQUENCE_RNN ${kind}`, `bidirectional RNN ${kind} case ${c}: batch ${batches} time ${time} in ${inputSize} units ${units}${timeMajor ? ' time-major' : ''} merge ${merge}`,
        spec, [[rng.floats(n, -2, 2)], [rng.floats(n, 0, 1)]]);
    }
  });
}

// `quantize --mode int8` of a float layer-norm LSTM: the 8x8_16 layout with layer norm (int16 coefficients, biases
// at coefficient scale x 2^-10, int16 gate intermediates from the calibrated pre-normalization ranges). The official
// runtime runs the result and ours is bit-exact; both stay close to the float model.
test('quantize int8: a float layer-norm LSTM becomes the integer layer-norm LSTM, bit-exact vs the official runtime', async () => {
  const rng = new Rng(1357);
  for (const cifg of [false, true]) {
    const s: LstmShape = { batches: 1, time: 6, nInput: 5, nCell: 8, nOutput: 8, cifg, peephole: false, projection: false, layerNorm: true, timeMajor: false };
    const spec = hybridLstmSpec(rng, s, false, 'TANH');
    spec.inputs = spec.inputs.map((t) => (t && t.dtype === 'int8' ? { dtype: 'float32', shape: t.shape, data: Array.from(t.data as number[], (v) => v * t.quantization!.scale[0]) } : t));
    spec.version = 1;
    spec.options = { fusedActivationFunction: 'TANH', cellClip: 0, projClip: 0, timeMajor: false };
    const floatModel = singleOpModel(spec);
    const calibration = Array.from({ length: 40 }, () => [rng.floats(30, -1.5, 1.5)]);
    const { model, report } = await quantize(floatModel, { mode: 'int8', inputType: 'int8', outputType: 'int8', representativeDataset: calibration });
    assert.deepEqual(report.quantizedOps.map((o) => [o.op, o.variant]), [['UNIDIRECTIONAL_SEQUENCE_LSTM', 'int8']], `cifg ${cifg}: quantized`);
    const node = model.subgraphs[0].operators.find((o) => o.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM')!;
    const T = model.subgraphs[0].tensors;
    assert.deepEqual([20, 21, 22, 23].map((k) => (node.inputs[k] >= 0 ? T[node.inputs[k]].dtype : null)), [cifg ? null : 'int16', 'int16', 'int16', 'int16']);
    assert.deepEqual(node.intermediates.map((i) => T[i].dtype), ['int16', 'int16', 'int16', 'int16', 'int8']);
    const bytes = writeModel(model);
    const floatIt = Interpreter.fromModel(floatModel);
    let worstVsFloat = 0;
    for (let k = 0; k < 5; k++) {
      const x = rng.floats(30, -1.5, 1.5);
      const inT = T[model.subgraphs[0].inputs[0]], outT = T[model.subgraphs[0].outputs[0]];
      const xq = Array.from(x, (v) => Math.max(-128, Math.min(127, Math.round(v / inT.quantization!.scale[0]) + Number(inT.quantization!.zeroPoint[0]))));
      const ref = await createOfficialRunner(bytes);
      const ours = Interpreter.fromBytes(bytes);
      try {
        ref.setInput(0, xq); ours.setInput(0, xq);
        ref.invoke(); ours.invoke();
        const r = ref.getOutputs()[0].data as ArrayLike<number>;
        const cmp = compareArrays(ours.getOutput(0) as Int8Array, r, 'int8', 0);
        stats.add('quantize int8 layer-norm LSTM', cmp);
        assert.ok(cmp.ok, `cifg ${cifg} sample ${k}: ${cmp.message}`);
        floatIt.resetVariables();
        floatIt.setInput(0, x);
        floatIt.invoke();
        const f = floatIt.getOutput(0) as Float32Array;
        const os = outT.quantization!.scale[0], oz = Number(outT.quantization!.zeroPoint[0]);
        for (let i = 0; i < f.length; i++) worstVsFloat = Math.max(worstVsFloat, Math.abs((r[i] - oz) * os - f[i]));
      } finally {
        ref.delete();
      }
    }
    // Quantization error, not a wrong layout: within a few output steps of the float model.
    assert.ok(worstVsFloat < 0.08, `cifg ${cifg}: int8 vs float worst ${worstVsFloat}`);
  }
});
