// UNIDIRECTIONAL_SEQUENCE_LSTM: the WebAssembly path (kernels 'wasm') against the TypeScript loops (kernels
// 'typescript', the specification) on seeded random one-op models: batches, steps, odd sizes, time-major, CIFG,
// peephole, projection (with and without bias), layer norm (float), cell and projection clips, activations; each
// run for several invocations so the state carried between them is compared too, then after resetVariables().
// Integer (8x8_16) outputs and states must be bit-identical. Float outputs and states may differ by float32
// arithmetic (the loops keep doubles, the module float32 with polynomial exp/tanh within 3 ulp): within
// FLOAT_TOL * max(1, |value|) per element. The corpus LSTMs are checked the same way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OpOptions } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { deterministicValues } from '../../src/runtime/io.js';
import { WasmArena } from '../../src/runtime/wasm/arena.js';
import { NO_CORPUS, readCorpus } from '../helpers/corpus.js';
import { Rng, perTensor, randomQuantized, singleOpModel, type OpSpec, type TensorArg } from '../helpers/conformance.js';

/** Float tolerance of the WebAssembly path vs the TypeScript loops, relative to max(1, |value|). */
const FLOAT_TOL = 2e-5;
const INVOCATIONS = 3;

interface Config {
  batches: number; steps: number; nInput: number; nCell: number; nOutput: number;
  timeMajor: boolean; cifg: boolean; peephole: boolean; projection: boolean; projBias: boolean; layerNorm: boolean;
  cellClip: number; projClip: number; activation: string;
}

/**
 * The WebAssembly module's integer peephole is the per-cell one, which is TFLite's only when outputs and cells are
 * equal in number (otherwise the loops run TFLite's flat walk: lstm.ts integerGate); integer configurations with
 * peephole weights project to as many outputs as cells.
 */
function wasmIntegerConfig(c: Config): Config {
  return c.peephole && c.nOutput !== c.nCell ? { ...c, nOutput: c.nCell } : c;
}

function randomConfig(rng: Rng, integer: boolean): Config {
  const projection = rng.bool(0.35);
  const nCell = rng.int(1, 23);
  return {
    batches: rng.int(1, 3), steps: rng.int(1, 9), nInput: rng.int(1, 19), nCell,
    nOutput: projection ? rng.int(1, 17) : nCell,
    timeMajor: rng.bool(0.3), cifg: rng.bool(0.3), peephole: rng.bool(0.4), projection, projBias: projection && rng.bool(0.5),
    layerNorm: !integer && rng.bool(0.3),
    cellClip: rng.bool(0.5) ? rng.pick([0.5, 1, 3, 10]) : 0,
    projClip: projection && rng.bool(0.5) ? rng.pick([0.2, 0.5, 2]) : 0,
    // The file format's activations the kernel takes (the integer LSTM: TANH only).
    activation: integer ? 'TANH' : rng.pick(['TANH', 'TANH', 'RELU', 'RELU6', 'NONE']),
  };
}

const describe = (c: Config): string => `batch ${c.batches} steps ${c.steps} in ${c.nInput} cells ${c.nCell} out ${c.nOutput}` +
  `${c.timeMajor ? ' time-major' : ''}${c.cifg ? ' cifg' : ''}${c.peephole ? ' peephole' : ''}` +
  `${c.projection ? ` projection${c.projBias ? '+bias' : ''}` : ''}${c.layerNorm ? ' layer-norm' : ''}` +
  ` cellClip ${c.cellClip} projClip ${c.projClip} ${c.activation}`;

const options = (c: Config): OpOptions => ({
  fusedActivationFunction: c.activation, cellClip: c.cellClip, projClip: c.projClip, timeMajor: c.timeMajor,
  asymmetricQuantizeInputs: false, diagonalRecurrentTensors: false,
});

function floatSpec(rng: Rng, c: Config): OpSpec {
  const { nInput, nCell, nOutput } = c;
  const f = (shape: number[], scale = 0.8): TensorArg => ({ dtype: 'float32', shape, data: rng.floats(shape.reduce((a, b) => a * b, 1), -scale, scale) });
  const gate = (present: boolean, shape: number[], scale?: number) => (present ? f(shape, scale) : null);
  // Weights at about 2 / sqrt(fan-in), as trained ones: the recurrence stays stable under the unbounded
  // activations (NONE, RELU), where a chaotic one would amplify any rounding difference without bound.
  const wx = 2 / Math.sqrt(nInput), wh = 2 / Math.sqrt(nOutput), wp = 2 / Math.sqrt(nCell);
  const inputShape = c.timeMajor ? [c.steps, c.batches, nInput] : [c.batches, c.steps, nInput];
  const inputs: (TensorArg | null)[] = [
    { dtype: 'float32', shape: inputShape },
    gate(!c.cifg, [nCell, nInput], wx), f([nCell, nInput], wx), f([nCell, nInput], wx), f([nCell, nInput], wx),
    gate(!c.cifg, [nCell, nOutput], wh), f([nCell, nOutput], wh), f([nCell, nOutput], wh), f([nCell, nOutput], wh),
    gate(c.peephole && !c.cifg, [nCell], 0.5), gate(c.peephole, [nCell], 0.5), gate(c.peephole, [nCell], 0.5),
    gate(!c.cifg, [nCell], 0.5), f([nCell], 0.5), f([nCell], 0.5), f([nCell], 0.5),
    gate(c.projection, [nOutput, nCell], wp), gate(c.projBias, [nOutput], 0.3),
    { dtype: 'float32', shape: [c.batches, nOutput], isVariable: true },
    { dtype: 'float32', shape: [c.batches, nCell], isVariable: true },
  ];
  if (c.layerNorm) inputs.push(gate(!c.cifg, [nCell], 1.5), f([nCell], 1.5), f([nCell], 1.5), f([nCell], 1.5));
  else inputs.push(null, null, null, null);
  return {
    op: 'UNIDIRECTIONAL_SEQUENCE_LSTM', version: 1, options: options(c), inputs,
    outputs: [{ dtype: 'float32', shape: c.timeMajor ? [c.steps, c.batches, nOutput] : [c.batches, c.steps, nOutput] }],
  };
}

/** Integer 8x8_16 LSTM with scales chosen so the gates use a good part of Q3.12 without saturating throughout. */
function integerSpec(rng: Rng, c: Config): OpSpec {
  const { nInput, nCell, nOutput } = c;
  const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const inputScale = rng.float(0.004, 0.01);
  const stateScale = rng.float(0.006, 0.01);
  const hiddenScale = c.projection ? rng.float(0.006, 0.01) : stateScale;
  const stateZp = rng.pick([0, -1, rng.int(-10, 10)]);
  const hiddenZp = c.projection ? rng.pick([0, -1]) : stateZp;
  const cellScale = 2 ** rng.pick([-12, -11, -10]);
  const w8 = (shape: number[], fanIn: number, inScale: number): TensorArg => ({
    dtype: 'int8', shape, data: rng.ints(count(shape), -127, 127),
    // A typical sum of fanIn products (about 73 x 74 x sqrt(fanIn)) at about +-2 in Q3.12.
    quantization: perTensor(rng.float(0.5, 2) * 2 / (inScale * 73 * 74 * Math.sqrt(fanIn)), 0),
  });
  const wx = () => w8([nCell, nInput], nInput, inputScale);
  const wh = () => w8([nCell, nOutput], nOutput, stateScale);
  const peep = (present: boolean): TensorArg | null => (present
    ? { dtype: 'int16', shape: [nCell], data: rng.ints(nCell, -32767, 32767), quantization: perTensor(rng.float(1e-6, 1e-5) * 2 ** -12 / cellScale, 0) }
    : null);
  const bias = (present: boolean): TensorArg | null => (present
    ? { dtype: 'int32', shape: [nCell], data: rng.ints(nCell, -3000, 3000), quantization: perTensor(inputScale * 0.01, 0) }
    : null);
  const projW = c.projection
    ? { dtype: 'int8' as const, shape: [nOutput, nCell], data: rng.ints(nOutput * nCell, -127, 127), quantization: perTensor(rng.float(0.5, 2) * stateScale / (hiddenScale * 127 * Math.sqrt(nCell)), 0) }
    : null;
  const inputShape = c.timeMajor ? [c.steps, c.batches, nInput] : [c.batches, c.steps, nInput];
  const inputs: (TensorArg | null)[] = [
    { dtype: 'int8', shape: inputShape, quantization: perTensor(inputScale, rng.int(-20, 20)) },
    c.cifg ? null : wx(), wx(), wx(), wx(),
    c.cifg ? null : wh(), wh(), wh(), wh(),
    peep(c.peephole && !c.cifg), peep(c.peephole), peep(c.peephole),
    bias(!c.cifg), bias(true), bias(true), bias(true),
    projW, c.projBias ? { dtype: 'int32', shape: [nOutput], data: rng.ints(nOutput, -2000, 2000), quantization: perTensor(hiddenScale * 0.01, 0) } : null,
    { dtype: 'int8', shape: [c.batches, nOutput], isVariable: true, quantization: perTensor(stateScale, stateZp) },
    { dtype: 'int16', shape: [c.batches, nCell], isVariable: true, quantization: perTensor(cellScale, 0) },
    null, null, null, null,
  ];
  const gateHolder = (name: string): TensorArg => ({ name, dtype: 'float32', shape: [0] });
  return {
    op: 'UNIDIRECTIONAL_SEQUENCE_LSTM', version: 1, options: options(c), inputs,
    outputs: [{ dtype: 'int8', shape: c.timeMajor ? [c.steps, c.batches, nOutput] : [c.batches, c.steps, nOutput], quantization: perTensor(stateScale, stateZp) }],
    intermediates: [gateHolder('input_gate'), gateHolder('forget_gate'), gateHolder('cell_gate'), gateHolder('output_gate'),
      { name: 'effective_hidden', dtype: 'int8', shape: [0], quantization: perTensor(hiddenScale, hiddenZp) }],
  };
}

interface Outcome { worst: number; values: number; saturated: number; distinct: number }

/** Runs the two paths side by side for `invocations` random inputs, comparing outputs and both states each time. */
function compareRuns(bytes: Uint8Array, integer: boolean, rng: Rng, label: string, invocations = INVOCATIONS): Outcome {
  const fast = Interpreter.fromBytes(bytes);
  const spec = Interpreter.fromBytes(bytes, { kernels: 'typescript' });
  const lstmNodes = fast.kernelPaths().filter((k) => k.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM');
  assert.ok(lstmNodes.length > 0 && lstmNodes.every((k) => k.path === 'wasm'), `${label}: the LSTM runs in WebAssembly (${JSON.stringify(lstmNodes)})`);
  assert.ok(spec.kernelPaths().every((k) => k.path === 'js'), `${label}: kernels 'typescript' runs the loops`);
  const sg = fast.model.subgraphs[fast.subgraphIndex];
  const lstm = sg.operators.find((o) => o.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM')!;
  const watched = [lstm.outputs[0], lstm.inputs[18], lstm.inputs[19]];
  const out: Outcome = { worst: 0, values: 0, saturated: 0, distinct: 0 };
  const distinct = new Set<number>();
  const inputsPerRun: number[][][] = [];
  const check = (round: string) => {
    for (const ti of watched) {
      const a = fast.tensor(ti).data, b = spec.tensor(ti).data;
      assert.equal(a.length, b.length);
      const what = ti === lstm.outputs[0] ? 'output' : ti === lstm.inputs[18] ? 'output state' : 'cell state';
      for (let i = 0; i < a.length; i++) {
        const x = Number(a[i]), y = Number(b[i]);
        if (integer) {
          if (x !== y) assert.fail(`${label} ${round}: ${what}[${i}] = ${x}, the TypeScript loops give ${y}`);
          if (ti === lstm.outputs[0]) {
            out.values++;
            distinct.add(x);
            if (x === -128 || x === 127) out.saturated++;
          }
        } else {
          const err = Math.abs(x - y) / Math.max(1, Math.abs(y));
          if (!(err <= FLOAT_TOL)) assert.fail(`${label} ${round}: ${what}[${i}] = ${x}, the TypeScript loops give ${y} (relative ${err.toExponential(2)})`);
          out.worst = Math.max(out.worst, err);
        }
      }
    }
  };
  for (let run = 0; run < invocations; run++) {
    const inputs = fast.inputDetails().map((d) => {
      const n = d.shape.reduce((a, b) => a * b, 1);
      return integer ? randomQuantized(rng, n, 'int8') : Array.from(rng.floats(n, -1.5, 1.5));
    });
    inputsPerRun.push(inputs);
    inputs.forEach((x, k) => { fast.setInput(k, x); spec.setInput(k, x); });
    fast.invoke();
    spec.invoke();
    check(`invoke ${run}`);
  }
  // After a reset both start again from the initial state.
  fast.resetVariables();
  spec.resetVariables();
  inputsPerRun[0].forEach((x, k) => { fast.setInput(k, x); spec.setInput(k, x); });
  fast.invoke();
  spec.invoke();
  check('after resetVariables');
  out.distinct = distinct.size;
  return out;
}

test('float LSTM gate activations: polynomial tanh within 2 ulp, logistic within 4 ulp (x >= -87), both within 1e-7', () => {
  const arena = WasmArena.create();
  assert.ok(arena, 'the kernels module is available');
  const n = 1 << 18;
  const at = arena.alloc(n * 4, 16);
  const cases = [
    { code: 3, name: 'tanh', ref: Math.tanh, ranges: [[-1e-3, 1e-3], [-1, 1], [-12, 12]], ulps: 2 },
    { code: 4, name: 'logistic', ref: (x: number) => 1 / (1 + Math.exp(-x)), ranges: [[-1e-3, 1e-3], [-1, 1], [-87, 30]], ulps: 4 },
  ];
  for (const { code, name, ref, ranges, ulps } of cases) {
    for (const [lo, hi] of [...ranges, [-120, 120]]) {
      const xs = Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
      arena.f32.set(xs, at >> 2);
      (arena.exports.lstmActivationF32 as (ptr: number, n: number, code: number) => void)(at, n, code);
      const ys = arena.f32.subarray(at >> 2, (at >> 2) + n);
      let worstUlp = 0, worstAbs = 0;
      for (let i = 0; i < n; i++) {
        const r = ref(xs[i]);
        worstAbs = Math.max(worstAbs, Math.abs(ys[i] - r));
        if (r !== 0) worstUlp = Math.max(worstUlp, Math.abs(ys[i] - r) / 2 ** Math.max(Math.floor(Math.log2(Math.abs(r))) - 23, -149));
      }
      assert.ok(worstAbs <= 1e-7, `${name} on [${lo}, ${hi}]: absolute error ${worstAbs}`);
      if (hi !== 120) assert.ok(worstUlp <= ulps, `${name} on [${lo}, ${hi}]: ${worstUlp.toFixed(2)} ulp`);
    }
  }
});

test('float LSTM: WebAssembly path vs TypeScript loops on random configurations (state carried, reset)', () => {
  const rng = new Rng(0x15f);
  let worst = 0;
  const seen = new Set<string>();
  for (let i = 0; i < 60; i++) {
    const c = randomConfig(rng, false);
    const bytes = writeModel(singleOpModel(floatSpec(rng, c)));
    const r = compareRuns(bytes, false, rng, `float case ${i} (${describe(c)})`);
    worst = Math.max(worst, r.worst);
    for (const k of ['cifg', 'peephole', 'projection', 'layerNorm', 'timeMajor'] as const) if (c[k]) seen.add(k);
    seen.add(c.activation);
  }
  console.log(`# float LSTM: worst |wasm - typescript| / max(1, |typescript|) = ${worst.toExponential(2)} (tolerance ${FLOAT_TOL})`);
  assert.equal(seen.size, 9, `variants covered: ${[...seen]}`);
});

test('float LSTM: long sequences over several input-projection chunks', () => {
  const rng = new Rng(0x10c);
  const base: Config = {
    batches: 2, steps: 120, nInput: 37, nCell: 97, nOutput: 97, timeMajor: false, cifg: false, peephole: true,
    projection: false, projBias: false, layerNorm: false, cellClip: 3, projClip: 0, activation: 'TANH',
  };
  // 2 batches x 4 gates x 100 rows x 4 bytes per step: the 256 KiB of input-to-gate values hold 81 steps (CIFG's
  // 3 gates: 109), so 120 steps take two chunks.
  for (const c of [base, { ...base, timeMajor: true, cifg: true, projection: true, projBias: true, nOutput: 31, layerNorm: true }]) {
    const r = compareRuns(writeModel(singleOpModel(floatSpec(rng, c))), false, rng, describe(c), 2);
    console.log(`# float LSTM ${describe(c)}: worst relative ${r.worst.toExponential(2)}`);
  }
});

test('integer LSTM: WebAssembly path bit-identical to the TypeScript loops on random configurations', () => {
  const rng = new Rng(0x18e);
  let values = 0, saturated = 0;
  const distinct = new Set<number>();
  const seen = new Set<string>();
  for (let i = 0; i < 60; i++) {
    const c = wasmIntegerConfig(randomConfig(rng, true));
    const bytes = writeModel(singleOpModel(integerSpec(rng, c)));
    const r = compareRuns(bytes, true, rng, `int8 case ${i} (${describe(c)})`);
    values += r.values;
    saturated += r.saturated;
    distinct.add(r.distinct);
    for (const k of ['cifg', 'peephole', 'projection', 'timeMajor'] as const) if (c[k]) seen.add(k);
    if (c.cellClip) seen.add('cellClip');
    if (c.projClip) seen.add('projClip');
    seen.add(c.activation);
  }
  console.log(`# int8 LSTM: ${values} outputs bit-identical, ${(100 * saturated / values).toFixed(1)} % saturated`);
  assert.equal(seen.size, 7, `variants covered: ${[...seen]}`);
  assert.ok(saturated < 0.3 * values, `the cases exercise the arithmetic, not the clamps: ${saturated}/${values} saturated`);
});

test('integer LSTM: long sequences over several input-projection chunks, bit-identical', () => {
  const rng = new Rng(0x11c);
  const c: Config = {
    batches: 3, steps: 70, nInput: 33, nCell: 90, nOutput: 90, timeMajor: true, cifg: false, peephole: true,
    projection: true, projBias: true, layerNorm: false, cellClip: 4, projClip: 0.5, activation: 'TANH',
  };
  // 3 batches x 4 gates x 92 rows x 4 bytes per step: 59 steps per chunk.
  compareRuns(writeModel(singleOpModel(integerSpec(rng, c))), true, rng, describe(c), 2);
});

test('LSTM with a constant input sequence (staged into the WebAssembly memory): float and integer', () => {
  const rng = new Rng(0xc0);
  for (const integer of [false, true]) {
    const any = { ...randomConfig(rng, integer), projection: true, nOutput: 7, batches: 2, steps: 5 };
    const c = integer ? wasmIntegerConfig(any) : any;
    const spec = integer ? integerSpec(rng, c) : floatSpec(rng, c);
    const n = c.batches * c.steps * c.nInput;
    spec.inputs[0] = { ...spec.inputs[0]!, data: integer ? randomQuantized(rng, n, 'int8') : rng.floats(n, -1, 1) };
    compareRuns(writeModel(singleOpModel(spec)), integer, rng, `constant input, ${integer ? 'int8' : 'float'} (${describe(c)})`);
  }
});

for (const [model, integer] of [
  ['tflite/tflite-micro/trained_lstm.tflite', false],
  ['tflite/tflite-micro/trained_lstm_int8.tflite', true],
  ['tflite/coral/keras_lstm_mnist_ptq.tflite', true],
] as const) {
  test(`${model}: the LSTM runs in WebAssembly and agrees with the TypeScript loops${integer ? ' bit for bit' : ''}`, { skip: NO_CORPUS }, () => {
    const bytes = readCorpus(model);
    const fast = Interpreter.fromBytes(bytes);
    const spec = Interpreter.fromBytes(bytes, { kernels: 'typescript' });
    assert.ok(fast.kernelPaths().some((k) => k.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM' && k.path === 'wasm'));
    for (let run = 0; run < 3; run++) {
      // The same input each time: the state carried from the previous runs makes the outputs differ.
      const inputs = fast.inputDetails().map((d) => deterministicValues(d, d.shape.reduce((a, b) => a * b, 1)));
      inputs.forEach((x, k) => { fast.setInput(k, x); spec.setInput(k, x); });
      fast.invoke();
      spec.invoke();
      // Every tensor the two runs wrote (the LSTM's output sequence included), not only the model output.
      const sg = fast.model.subgraphs[0];
      for (const op of sg.operators) {
        for (const ti of [...op.outputs, ...(op.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM' ? [op.inputs[18], op.inputs[19]] : [])]) {
          const a = fast.tensor(ti).data, b = spec.tensor(ti).data;
          for (let i = 0; i < a.length; i++) {
            const x = Number(a[i]), y = Number(b[i]);
            if (integer) assert.equal(x, y, `${model} run ${run}: tensor ${ti}[${i}]`);
            else assert.ok(Math.abs(x - y) <= FLOAT_TOL * Math.max(1, Math.abs(y)), `${model} run ${run}: tensor ${ti}[${i}] ${x} vs ${y}`);
          }
        }
      }
    }
  });
}
