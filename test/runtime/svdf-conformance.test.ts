// SVDF vs the official TFLite runtime: seeded random one-op models (batch, input size, rank, units, memory,
// bias, activation), float32 and fully integer int8 (int16 time weights and state), each run for several
// consecutive invocations with fresh inputs through ONE runner on each side, so the variable state carried
// between invocations is compared too. resetVariables() must bring our interpreter back to the first outputs.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import {
  ConformanceStats, Rng, compareArrays, perTensor, randomQuantized, singleOpModel, type OpSpec, type TensorArg,
} from '../helpers/conformance.js';

const stats = new ConformanceStats();
after(() => stats.print());

type Mode = 'float' | 'int8';
const STEPS = 6;

interface Built { spec: OpSpec; steps: ArrayLike<number>[]; label: string }

function build(rng: Rng, mode: Mode): Built {
  const batches = rng.int(1, 3);
  const inputSize = rng.int(1, 12);
  const rank = rng.int(1, 3);
  const units = rng.int(1, 6);
  const memory = rng.int(1, 8);
  const filters = units * rank;
  const withBias = rng.bool(0.7);
  const steps: ArrayLike<number>[] = [];
  let inputs: (TensorArg | null)[];
  let output: TensorArg;
  let activation: string;
  if (mode === 'float') {
    activation = rng.pick(['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1', 'TANH', 'SIGN_BIT']);
    inputs = [
      { dtype: 'float32', shape: [batches, inputSize] },
      { dtype: 'float32', shape: [filters, inputSize], data: rng.floats(filters * inputSize, -1, 1) },
      { dtype: 'float32', shape: [filters, memory], data: rng.floats(filters * memory, -1, 1) },
      withBias ? { dtype: 'float32', shape: [units], data: rng.floats(units, -1, 1) } : null,
      { dtype: 'float32', shape: [batches, memory * filters], isVariable: true },
    ];
    output = { dtype: 'float32', shape: [batches, units] };
    for (let t = 0; t < STEPS; t++) steps.push(rng.floats(batches * inputSize, -1, 1));
  } else {
    // TFLite's integer SVDF accepts only RELU (and applies no clamp beyond the int8 range).
    activation = 'RELU';
    const inScale = rng.float(0.005, 0.03);
    const wfScale = rng.float(0.002, 0.02);
    // State scale so the feature products use a good part of int16.
    const feature = inScale * wfScale * 127 * 74 * Math.sqrt(inputSize) * 3;
    const stateScale = (feature / 32767) * rng.float(0.5, 2);
    const wtScale = rng.float(0.00001, 0.0001);
    const time = stateScale * wtScale * 12000 * 19000 * Math.sqrt(memory * rank) * 2;
    const outScale = (time / 128) * rng.float(0.5, 1.5);
    inputs = [
      { dtype: 'int8', shape: [batches, inputSize], quantization: perTensor(inScale, rng.int(-20, 20)) },
      { dtype: 'int8', shape: [filters, inputSize], data: rng.ints(filters * inputSize, -127, 127), quantization: perTensor(wfScale, 0) },
      { dtype: 'int16', shape: [filters, memory], data: rng.ints(filters * memory, -32767, 32767), quantization: perTensor(wtScale, 0) },
      withBias ? { dtype: 'int32', shape: [units], data: rng.ints(units, -200000, 200000), quantization: perTensor(stateScale * wtScale, 0) } : null,
      { dtype: 'int16', shape: [batches, memory * filters], isVariable: true, quantization: perTensor(stateScale, 0) },
    ];
    output = { dtype: 'int8', shape: [batches, units], quantization: perTensor(outScale, rng.int(-20, 20)) };
    for (let t = 0; t < STEPS; t++) steps.push(randomQuantized(rng, batches * inputSize, 'int8'));
  }
  return {
    spec: { op: 'SVDF', version: mode === 'int8' ? 3 : 1, options: { rank, fusedActivationFunction: activation }, inputs, outputs: [output] },
    steps,
    label: `batch ${batches} in ${inputSize} rank ${rank} units ${units} memory ${memory} bias ${withBias} ${activation}`,
  };
}

for (const mode of ['float', 'int8'] as const) {
  test(`SVDF ${mode}: ${STEPS} consecutive invocations match the official runtime (state carried)`, async () => {
    const rng = new Rng(0x5d0 + (mode === 'int8' ? 1 : 0));
    let saturated = 0, total = 0;
    const distinct = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const built = build(rng, mode);
      const bytes = writeModel(singleOpModel(built.spec));
      const ref = await createOfficialRunner(bytes);
      const ours = Interpreter.fromBytes(bytes);
      const first: number[][] = [];
      try {
        for (let t = 0; t < STEPS; t++) {
          ref.setInput(0, built.steps[t]);
          ref.invoke();
          ours.setInput(0, built.steps[t]);
          ours.invoke();
          const r = Array.from(ref.getOutputs()[0].data as ArrayLike<number>, Number);
          const c = compareArrays(ours.getOutput(0) as unknown as ArrayLike<number>, r, mode === 'float' ? 'float32' : 'int8');
          stats.add(`SVDF ${mode}${t === 0 ? ' (first invoke)' : ' (invokes 2+, with state)'}`, c);
          assert.ok(c.ok, `SVDF ${mode} case ${i} (${built.label}) invoke ${t}: ${c.message}`);
          first.push(r);
          for (const v of r) { total++; distinct.add(v); if (mode === 'int8' && (v === -128 || v === 127)) saturated++; }
        }
      } finally {
        ref.delete();
      }
      // After a reset the same input sequence gives the same outputs again.
      ours.resetVariables();
      for (let t = 0; t < 2; t++) {
        ours.setInput(0, built.steps[t]);
        ours.invoke();
        const c = compareArrays(ours.getOutput(0) as unknown as ArrayLike<number>, first[t], mode === 'float' ? 'float32' : 'int8');
        assert.ok(c.ok, `SVDF ${mode} case ${i} after resetVariables, invoke ${t}: ${c.message}`);
      }
    }
    // The cases must exercise the arithmetic, not the clamps.
    assert.ok(saturated < 0.2 * total && distinct.size > 50, `${saturated}/${total} saturated, ${distinct.size} distinct values`);
  });
}
