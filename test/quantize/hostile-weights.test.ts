// Quantization of small models whose weights and biases come from hostile distributions (zeros, denormals, 1e-30,
// 1e30, 3e38, mixed magnitudes, one huge outlier, Inf, NaN), in every mode. Every case ends one of two ways:
// - a typed error naming a tensor that holds Inf or NaN in the float model (or, in full-integer modes, the
//   calibration error when the float model itself computes Inf/NaN on the calibration samples);
// - a file whose every scale is a finite normal float32, every zero point in its type's range, every bias scale
//   input scale x weight scale (as TFLite's kernels require), every float constant finite unless the float model's
//   own untouched one, and whose outputs are finite wherever the float model's are: in our interpreter for every
//   case, in the official runtime for a seeded sample.
// What is expected comes from the float model (which tensors hold non-finite values, whether its outputs are
// finite), never from the quantizer's own output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Model, Tensor } from '../../src/graph/model.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import { readModel, writeModel } from '../../src/format/index.js';
import { InputError, ModelFormatError } from '../../src/errors.js';
import { quantize, type QuantizeOptions } from '../../src/quantize/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { Rng } from '../helpers/random.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { toFloat, toInputValues } from './helpers.js';

const WEIGHT_KINDS = ['normal', 'zeros', 'denormal', 'tiny', 'huge', 'max', 'mixed', 'outlier', 'channels', 'inf', 'nan', '-inf'] as const;
const BIAS_KINDS = ['same', 'normal', 'zeros', 'huge'] as const;
const CALIBRATION_KINDS = ['normal', 'zeros', 'constant'] as const;
type Kind = (typeof WEIGHT_KINDS)[number];

/** n values of a hostile kind; `block` = elements per output channel of the layout (for 'channels'). */
function hostile(rng: Rng, kind: Kind, n: number, block = 1): Float32Array {
  const v = new Float32Array(n);
  const sign = () => (rng.bool() ? 1 : -1);
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 'zeros': v[i] = 0; break;
      case 'denormal': v[i] = rng.bool(0.2) ? 0 : sign() * 1e-42 * rng.float(0.5, 2); break;
      case 'tiny': v[i] = sign() * 1e-30 * rng.float(0.5, 1); break;
      case 'huge': v[i] = sign() * 1e30 * rng.float(0.5, 1); break;
      case 'max': v[i] = sign() * 3e38 * rng.float(0.9, 1.1); break;
      case 'mixed': v[i] = sign() * Math.pow(10, rng.float(-44, 38)); break;
      default: v[i] = rng.normal(0, 0.3);
    }
  }
  const at = rng.int(0, n - 1);
  if (kind === 'outlier') v[at] = rng.pick([1e30, -3e38, 3e38]);
  if (kind === 'inf') v[at] = Infinity;
  if (kind === '-inf') v[at] = -Infinity;
  if (kind === 'nan') v[at] = NaN;
  if (kind === 'channels') {
    // Whole channels zero, denormal or tiny beside ordinary ones.
    for (let start = 0; start < n; start += block) {
      const k = rng.pick(['zero', 'denormal', 'tiny', 'normal']);
      for (let i = start; i < Math.min(n, start + block); i++) {
        if (k === 'zero') v[i] = 0;
        else if (k === 'denormal') v[i] = sign() * 1e-43;
        else if (k === 'tiny') v[i] = sign() * 1e-12;
      }
    }
  }
  return v;
}

interface Built { name: string; model: Model; inputShapes: number[][] }

function biasValues(rng: Rng, weightKind: Kind, biasKind: (typeof BIAS_KINDS)[number], n: number): Float32Array {
  if (biasKind === 'same') return hostile(rng, weightKind, n);
  return hostile(rng, biasKind === 'huge' ? 'huge' : biasKind === 'zeros' ? 'zeros' : 'normal', n);
}

type Builder = (rng: Rng, w: Kind, b: (typeof BIAS_KINDS)[number]) => Built;

// Weight tensors hold at least 1024 values where the op has a hybrid kernel, so dynamic mode quantizes them.
const MODELS: Record<string, Builder> = {
  FULLY_CONNECTED: (rng, w, b) => {
    const g = new GraphBuilder();
    const x = g.addInput({ name: 'x', shape: [1, 32], dtype: 'float32' });
    const y = g.addTensor({ name: 'y', shape: [1, 40], dtype: 'float32' });
    g.addOp('FULLY_CONNECTED', [x, g.addConstant('fc_w', 'float32', [40, 32], hostile(rng, w, 1280, 32)),
      g.addConstant('fc_b', 'float32', [40], biasValues(rng, w, b, 40))], [y], { fusedActivationFunction: rng.pick(['NONE', 'RELU']) });
    g.markOutput(y);
    return { name: 'FULLY_CONNECTED', model: g.model(), inputShapes: [[1, 32]] };
  },
  CONV_2D: (rng, w, b) => {
    const g = new GraphBuilder();
    const x = g.addInput({ name: 'x', shape: [1, 5, 5, 8], dtype: 'float32' });
    const y = g.addTensor({ name: 'y', shape: [1, 5, 5, 16], dtype: 'float32' });
    g.addOp('CONV_2D', [x, g.addConstant('conv_w', 'float32', [16, 3, 3, 8], hostile(rng, w, 1152, 72)),
      g.addConstant('conv_b', 'float32', [16], biasValues(rng, w, b, 16))], [y],
    { padding: 'SAME', strideW: 1, strideH: 1, fusedActivationFunction: rng.pick(['NONE', 'RELU6']) });
    g.markOutput(y);
    return { name: 'CONV_2D', model: g.model(), inputShapes: [[1, 5, 5, 8]] };
  },
  DEPTHWISE_CONV_2D: (rng, w, b) => {
    const g = new GraphBuilder();
    const x = g.addInput({ name: 'x', shape: [1, 4, 4, 32], dtype: 'float32' });
    const y = g.addTensor({ name: 'y', shape: [1, 4, 4, 128], dtype: 'float32' });
    g.addOp('DEPTHWISE_CONV_2D', [x, g.addConstant('dw_w', 'float32', [1, 3, 3, 128], hostile(rng, w, 1152, 1)),
      g.addConstant('dw_b', 'float32', [128], biasValues(rng, w, b, 128))], [y],
    { padding: 'SAME', strideW: 1, strideH: 1, depthMultiplier: 4, fusedActivationFunction: 'NONE' });
    g.markOutput(y);
    return { name: 'DEPTHWISE_CONV_2D', model: g.model(), inputShapes: [[1, 4, 4, 32]] };
  },
  'ADD+MUL': (rng, w, b) => {
    // The constants are activation-quantized operands (their own asymmetric range) in full-integer modes.
    const g = new GraphBuilder();
    const x = g.addInput({ name: 'x', shape: [1, 64], dtype: 'float32' });
    const s = g.addTensor({ name: 'sum', shape: [1, 64], dtype: 'float32' });
    const y = g.addTensor({ name: 'y', shape: [1, 64], dtype: 'float32' });
    g.addOp('ADD', [x, g.addConstant('add_c', 'float32', [64], biasValues(rng, w, b, 64))], [s]);
    g.addOp('MUL', [s, g.addConstant('mul_c', 'float32', [64], hostile(rng, w, 64))], [y]);
    g.markOutput(y);
    return { name: 'ADD+MUL', model: g.model(), inputShapes: [[1, 64]] };
  },
  LSTM: (rng, w, b) => {
    const g = new GraphBuilder();
    const nIn = 6, nCell = 8, steps = 3;
    const x = g.addInput({ name: 'x', shape: [1, steps, nIn], dtype: 'float32' });
    const inputs = [x];
    for (let k = 0; k < 4; k++) inputs.push(g.addConstant(`lstm_wx${k}`, 'float32', [nCell, nIn], hostile(rng, w, nCell * nIn, nIn)));
    for (let k = 0; k < 4; k++) inputs.push(g.addConstant(`lstm_wh${k}`, 'float32', [nCell, nCell], hostile(rng, w, nCell * nCell, nCell)));
    inputs.push(-1, -1, -1);
    for (let k = 0; k < 4; k++) inputs.push(g.addConstant(`lstm_b${k}`, 'float32', [nCell], biasValues(rng, w, b, nCell)));
    inputs.push(-1, -1);
    inputs.push(g.addTensor({ name: 'h', shape: [1, nCell], dtype: 'float32', isVariable: true }));
    inputs.push(g.addTensor({ name: 'c', shape: [1, nCell], dtype: 'float32', isVariable: true }));
    inputs.push(-1, -1, -1, -1);
    const y = g.addTensor({ name: 'y', shape: [1, steps, nCell], dtype: 'float32' });
    g.addOp('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, [y], {
      fusedActivationFunction: 'TANH', cellClip: 0, projClip: 0, timeMajor: false, asymmetricQuantizeInputs: false,
    });
    g.markOutput(y);
    return { name: 'LSTM', model: g.model(), inputShapes: [[1, steps, nIn]] };
  },
};

const MODES: Record<string, QuantizeOptions> = {
  dynamic: { mode: 'dynamic' },
  float16: { mode: 'float16' },
  'int8 float I/O': { mode: 'int8' },
  'int8 int8 I/O': { mode: 'int8', inputType: 'int8', outputType: 'int8' },
  'int8 uint8 I/O': { mode: 'int8', inputType: 'uint8', outputType: 'uint8' },
  int16x8: { mode: 'int16x8' },
};

const FLOAT32_MIN_NORMAL = 2 ** -126;
const INT_RANGE: Record<string, [number, number]> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], int32: [-(2 ** 31), 2 ** 31 - 1], int64: [-(2 ** 63), 2 ** 63],
};
const WITH_BIAS = new Set(['FULLY_CONNECTED', 'CONV_2D', 'DEPTHWISE_CONV_2D']);

function floatData(t: Tensor): Float32Array | null {
  if (!t.data || t.dtype !== 'float32') return null;
  return new Float32Array(new Uint8Array(t.data).buffer, 0, t.data.length / 4);
}

const allFinite = (a: ArrayLike<number>) => Array.prototype.every.call(a, (v: number) => Number.isFinite(v));

function samples(rng: Rng, kind: (typeof CALIBRATION_KINDS)[number], shapes: number[][], n: number): Float32Array[][] {
  return Array.from({ length: n }, () => shapes.map((s) => {
    const size = s.reduce((a, b) => a * b, 1);
    return Float32Array.from({ length: size }, () => (kind === 'zeros' ? 0 : kind === 'constant' ? 0.5 : rng.normal(0, 1)));
  }));
}

/** The float model in our interpreter: its outputs per sample, and whether any float tensor went non-finite. */
function runFloat(model: Model, inputs: Float32Array[][]): { outputs: Float32Array[]; anyNonFinite: boolean } {
  const interp = Interpreter.fromModel(model);
  let anyNonFinite = false;
  const outputs = inputs.map((s) => {
    interp.resetVariables();
    s.forEach((v, i) => interp.setInput(i, v));
    interp.invoke({ onTensor: (_i, t) => { if (t.dtype === 'float32' && !allFinite(t.data as Float32Array)) anyNonFinite = true; } });
    return Float32Array.from(interp.getOutput(0) as Float32Array);
  });
  return { outputs, anyNonFinite };
}

/** Every quantization parameter of the file, checked from the TFLite spec (not from the quantizer's own checks). */
function checkParameters(q: Model, source: Model, label: string): void {
  const sg = q.subgraphs[0];
  const sourceBytes = source.subgraphs[0].tensors.filter((t) => t.data).map((t) => Buffer.from(t.data!));
  for (const t of sg.tensors) {
    const qz = t.quantization;
    if (qz && qz.scale.length) {
      for (const s of qz.scale) {
        assert.ok(Number.isFinite(s) && s >= FLOAT32_MIN_NORMAL, `${label}: tensor '${t.name}' scale ${s}`);
      }
      const range = INT_RANGE[t.dtype];
      if (range) for (const z of qz.zeroPoint) assert.ok(z >= range[0] && z <= range[1], `${label}: tensor '${t.name}' zero point ${z} (${t.dtype})`);
    }
    if (t.data && (t.dtype === 'float32' || t.dtype === 'float16')) {
      const own = sourceBytes.some((b) => b.equals(Buffer.from(t.data!)));
      if (!own) {
        const v = t.dtype === 'float32' ? floatData(t)! : null;
        if (v) assert.ok(allFinite(v), `${label}: float constant '${t.name}' written with a non-finite value`);
        else {
          const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
          for (let i = 0; i < t.data.length / 2; i++) {
            assert.notEqual(dv.getUint16(2 * i, true) & 0x7c00, 0x7c00, `${label}: float16 constant '${t.name}' written with Inf/NaN`);
          }
        }
      }
    }
  }
  for (const op of sg.operators) {
    if (!WITH_BIAS.has(op.op) || op.inputs.length < 3 || op.inputs[2] < 0) continue;
    const [x, w, b] = op.inputs.map((i) => sg.tensors[i]);
    if (!x.quantization?.scale.length || !w.quantization?.scale.length || !b.quantization?.scale.length) continue;
    b.quantization.scale.forEach((bs, c) => {
      const product = x.quantization!.scale[0] * w.quantization!.scale[w.quantization!.scale.length > 1 ? c : 0];
      assert.ok(Math.abs(product - bs) <= 1e-6 * Math.min(product, bs), `${label}: ${op.op} bias scale ${bs} vs input x weight ${product}`);
    });
  }
}

/** The quantized model's outputs (dequantized) in our interpreter. */
function runQuantized(q: Model, inputs: Float32Array[][]): Float32Array[] {
  const interp = Interpreter.fromModel(q);
  const sg = q.subgraphs[0];
  const ins = sg.inputs.map((i) => sg.tensors[i]);
  const outT = sg.tensors[sg.outputs[0]];
  return inputs.map((s) => {
    interp.resetVariables();
    s.forEach((v, i) => interp.setInput(i, toInputValues(ins[i], v)));
    interp.invoke();
    return toFloat(outT, interp.getOutput(0) as unknown as ArrayLike<number>);
  });
}

async function runOfficial(bytes: Uint8Array, q: Model, inputs: Float32Array[][]): Promise<Float32Array[]> {
  const sg = q.subgraphs[0];
  const ins = sg.inputs.map((i) => sg.tensors[i]);
  const outT = sg.tensors[sg.outputs[0]];
  const out: Float32Array[] = [];
  for (const s of inputs) {
    // A fresh runner per sample: recurrent state starts at zero, as in our runs.
    const runner = await createOfficialRunner(bytes);
    try {
      s.forEach((v, i) => runner.setInput(i, toInputValues(ins[i], v)));
      runner.invoke();
      out.push(toFloat(outT, Array.from(runner.getOutputs()[0].data as ArrayLike<number>, Number)));
    } finally {
      runner.delete();
    }
  }
  return out;
}

test('hostile weights in every mode: a typed error naming the non-finite tensor, or finite parameters and finite outputs', async () => {
  const rng = new Rng(20240611);
  const outcomes = new Map<string, number>();
  const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  let cases = 0, official = 0;
  const failures: string[] = [];
  for (const [modelName, build] of Object.entries(MODELS)) {
    for (const weightKind of WEIGHT_KINDS) {
      for (const [modeName, modeOptions] of Object.entries(MODES)) {
        for (const granularity of ['per-tensor', 'per-channel'] as const) {
          const biasKind = rng.pick(BIAS_KINDS);
          const calibrationKind = rng.pick(CALIBRATION_KINDS);
          const calibrationMethod = rng.pick(['minmax', 'minmax', 'percentile', 'mse']);
          const built = build(rng, weightKind, biasKind);
          const label = `${modelName} weights ${weightKind} bias ${biasKind} ${modeName} ${granularity} calibration ${calibrationKind} ${calibrationMethod}`;
          const calibration = samples(rng, calibrationKind, built.inputShapes, 3);
          const evalInputs = [...samples(rng, 'normal', built.inputShapes, 2), ...calibration.slice(0, 1)];
          const options: QuantizeOptions = {
            ...modeOptions, representativeDataset: calibration, samples: calibration.length, threads: 1, calibrationMethod,
            ...(granularity === 'per-tensor' ? { perTensor: true } : modeOptions.mode.startsWith('int') ? { perChannelDense: true } : {}),
          };
          cases++;
          const one = async (): Promise<void> => {
            const nonFinite = built.model.subgraphs[0].tensors.filter((t) => { const v = floatData(t); return v && !allFinite(v); });
            let result;
            try {
              result = await quantize(built.model, options);
            } catch (e) {
              const err = e as Error;
              if (err instanceof ModelFormatError) {
                assert.ok(nonFinite.some((t) => err.message.includes(`tensor '${t.name}'`)), `${label}: refused without naming a non-finite tensor: ${err.message}`);
                assert.ok(!err.message.includes('\n'), `${label}: one line`);
                count('refused: non-finite constant named');
                return;
              }
              if (err instanceof InputError && /^calibration sample \d+: tensor '/.test(err.message)) {
                assert.ok(runFloat(built.model, calibration).anyNonFinite, `${label}: calibration refused though the float model stays finite: ${err.message}`);
                count('refused: float model non-finite on calibration data');
                return;
              }
              assert.fail(`${label}: ${err.name}: ${err.message}`);
            }
            const bytes = writeModel(result.model);
            const q = readModel(bytes, 'quantized.tflite');
            checkParameters(q, built.model, label);
            // A non-finite constant the mode did not refuse was left as it was (in an op that stays float).
            for (const t of nonFinite) {
              assert.ok(q.subgraphs[0].tensors.some((o) => o.dtype === 'float32' && o.data && Buffer.from(o.data).equals(Buffer.from(t.data!))),
                `${label}: non-finite '${t.name}' neither refused nor kept as it was`);
            }
            const floatRun = runFloat(built.model, evalInputs);
            const floatFinite = floatRun.outputs.every(allFinite);
            const ours = runQuantized(q, evalInputs);
            if (floatFinite) assert.ok(ours.every(allFinite), `${label}: finite float outputs, non-finite quantized ones in our interpreter`);
            if (cases % 7 === 0) {
              const theirs = await runOfficial(bytes, q, evalInputs);
              if (floatFinite) assert.ok(theirs.every(allFinite), `${label}: finite float outputs, non-finite quantized ones in the official runtime`);
              official++;
            }
            count(floatFinite ? 'written: finite outputs (float finite)' : 'written: float model itself non-finite');
          };
          await one().catch((e: Error) => {
            const first = e.message.split('\n')[0];
            failures.push(first.startsWith(label) ? first : `${label}: ${e.name}: ${first}`);
          });
        }
      }
    }
  }
  console.log(`# hostile weights: ${cases} cases (${Object.keys(MODELS).length} models x ${WEIGHT_KINDS.length} weight kinds x `
    + `${Object.keys(MODES).length} modes x 2 granularities), ${official} also run in the official runtime`);
  for (const [k, n] of outcomes) console.log(`#   ${k}: ${n}`);
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${cases} cases failed`);
  assert.ok((outcomes.get('refused: non-finite constant named') ?? 0) > 0);
  assert.ok((outcomes.get('written: finite outputs (float finite)') ?? 0) > cases / 3);
});
