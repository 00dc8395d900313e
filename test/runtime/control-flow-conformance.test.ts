// Multi-subgraph models vs the official TFLite runtime (@tensorflow/tfjs-tflite, which runs all of them): a WHILE
// loop (FULLY_CONNECTED + ADD + TANH on a state vector, iteration count from an input), a WHILE whose state doubles
// in width each iteration, an IF with different ops per branch, and a stateful accumulator (CALL_ONCE init +
// VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE), each over several invokes of ONE runner on each side, so state
// carried between invokes is compared too. Floats within 1e-5 relative + 1e-5 absolute (a loop compounds the
// last-bit differences of FULLY_CONNECTED's summation order); the growing WHILE and the accumulator exactly.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { MemoryLimitError, UnsupportedError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import { createOfficialRunner, type OfficialRunner } from '../helpers/oracle.js';
import { ConformanceStats, Rng } from '../helpers/conformance.js';
import {
  ACC_UNITS, IF_UNITS, LOOP_UNITS, accumulatorModel, growingWhileModel, ifModel, whileLoopModel,
} from '../helpers/control-flow-models.js';

const stats = new ConformanceStats();
after(() => stats.print());

function close(ours: ArrayLike<number>, ref: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.equal(ours.length, ref.length, `${what}: ${ours.length} values, official ${ref.length}`);
  let exact = 0, maxAbs = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(Number(ours[i]) - Number(ref[i]));
    if (d === 0) exact++;
    maxAbs = Math.max(maxAbs, d);
    assert.ok(d <= rtol * Math.abs(Number(ref[i])) + atol, `${what}: element ${i}: ours ${ours[i]}, official ${ref[i]}`);
  }
  stats.add(what.replace(/ invoke \d+.*/, ''), { ok: true, elements: ref.length, exact, maxAbsDiff: maxAbs, worst: null, message: '' });
}

/** Run both on the same inputs, invoke by invoke; returns our outputs per invoke. */
function runBoth(ours: Interpreter, ref: OfficialRunner, steps: ArrayLike<number>[][], label: string, rtol: number, atol: number): number[][] {
  const results: number[][] = [];
  steps.forEach((inputs, t) => {
    inputs.forEach((v, k) => { ours.setInput(k, v); ref.setInput(k, v); });
    ours.invoke();
    ref.invoke();
    const r = ref.getOutputs()[0];
    const o = Array.from(ours.getOutput(0) as ArrayLike<number>, Number);
    assert.deepEqual(ours.outputDetails()[0].shape, r.shape, `${label} invoke ${t}: output shape`);
    close(o, r.data as ArrayLike<number>, rtol, atol, `${label} invoke ${t}`);
    results.push(o);
  });
  return results;
}

test('WHILE loop (FC + ADD + TANH on the state, n from an input) matches the official runtime over invokes', async () => {
  const rng = new Rng(0xc0f);
  for (const kernels of ['wasm', 'typescript'] as const) {
    for (let seed = 1; seed <= 3; seed++) {
      const bytes = writeModel(whileLoopModel(seed));
      const ours = Interpreter.fromBytes(bytes, { kernels });
      const ref = await createOfficialRunner(bytes);
      try {
        const steps = [0, 1, 3, 7, 25, 2].map((n) => [rng.floats(LOOP_UNITS, -1, 1), [n]]);
        runBoth(ours, ref, steps, `WHILE float (${kernels})`, 1e-5, 1e-5);
      } finally {
        ref.delete();
      }
    }
  }
});

test('WHILE whose state doubles in width each iteration: outputs and shapes match the official runtime', async () => {
  const bytes = writeModel(growingWhileModel());
  const ours = Interpreter.fromBytes(bytes);
  const ref = await createOfficialRunner(bytes);
  try {
    const out = runBoth(ours, ref, [[[1, 2], [2]], [[3, -1], [0]], [[0.5, 4], [5]], [[1, 2], [1]]], 'WHILE growing state', 0, 0);
    // Independent arithmetic: n iterations give width 2 * 2^n, ending in x * 0.5^n.
    assert.equal(out[2].length, 2 * 32);
    assert.deepEqual(out[2].slice(-2), [0.5 / 32, 4 / 32]);
  } finally {
    ref.delete();
  }
});

test('IF with different ops per branch, condition from an input, matches the official runtime', async () => {
  const rng = new Rng(0x1f);
  const bytes = writeModel(ifModel());
  const ours = Interpreter.fromBytes(bytes);
  const ref = await createOfficialRunner(bytes);
  try {
    const steps = [1, -1, 0.5, 0, -3, 2, -0.1, 7].map((s) => [[s], rng.floats(IF_UNITS, -2, 2)]);
    runBoth(ours, ref, steps, 'IF float', 1e-5, 1e-6);
  } finally {
    ref.delete();
  }
});

test('CALL_ONCE + VAR_HANDLE + READ_VARIABLE + ASSIGN_VARIABLE: an accumulator across invokes matches the official runtime', async () => {
  const rng = new Rng(0xacc);
  const bytes = writeModel(accumulatorModel());
  const ours = Interpreter.fromBytes(bytes);
  const ref = await createOfficialRunner(bytes);
  const steps = Array.from({ length: 6 }, () => [Array.from({ length: ACC_UNITS }, () => rng.int(-8, 8) / 4)]);
  let out: number[][];
  try {
    out = runBoth(ours, ref, steps, 'resource variable accumulator', 0, 0);
  } finally {
    ref.delete();
  }
  // Independent arithmetic: out_t = 2 * (start + x_1 + ... + x_t).
  const start = [0.5, -1, 0, 2];
  const acc = [...start];
  steps.forEach((s, t) => {
    for (let j = 0; j < ACC_UNITS; j++) acc[j] += Number(s[0][j]);
    assert.deepEqual(out[t], acc.map((v) => 2 * v), `invoke ${t}`);
  });
  // TFLite's ResetVariableTensors resets variable tensors only: the resource variable and CALL_ONCE's flag stay.
  ours.resetVariables();
  ours.setInput(0, [1, 1, 1, 1]);
  ours.invoke();
  assert.deepEqual(Array.from(ours.getOutput(0) as Float32Array), acc.map((v) => 2 * (v + 1)));
  // A new interpreter starts again from the init subgraph's value.
  const fresh = Interpreter.fromBytes(bytes);
  fresh.setInput(0, [0, 0, 0, 0]);
  fresh.invoke();
  assert.deepEqual(Array.from(fresh.getOutput(0) as Float32Array), start.map((v) => 2 * v));
});

test('onTensor reports the tensors of called subgraphs with their subgraph index, once per execution', () => {
  const it = Interpreter.fromModel(whileLoopModel());
  const counts = new Map<number, number>();
  const bodyTanh = new Set<string>();
  it.setInput(0, new Float32Array(LOOP_UNITS).fill(0.25));
  it.setInput(1, [4]);
  it.invoke({
    onTensor: (i, t, sg) => {
      counts.set(sg, (counts.get(sg) ?? 0) + 1);
      if (sg === 2 && t.name === 'x_next') bodyTanh.add(Array.from(t.data as Float32Array).join(','));
    },
  });
  // Subgraph 0: 2 inputs + WHILE's 3 outputs. Cond (1) runs 5 times: 3 inputs + 1 output each. Body (2) 4 times:
  // 3 inputs + 4 op outputs each.
  assert.equal(counts.get(0), 5);
  assert.equal(counts.get(1), 5 * 4);
  assert.equal(counts.get(2), 4 * 7);
  assert.equal(bodyTanh.size, 4, 'each iteration reports its own state');
});

test('the memory limit counts the tensors of called subgraphs', () => {
  // The body tiles its [1,4] state to [1, 2^20] floats (4 MiB) and adds the maximum back: within 3 MiB the
  // interpreter refuses, naming the body's tensor; with 64 MiB it runs.
  const main = new GraphBuilder('main');
  const x = main.addInput({ name: 'x', dtype: 'float32', shape: [1, 4] });
  const n = main.addInput({ name: 'n', dtype: 'int32', shape: [] });
  const i0 = main.addConstant('i0', 'int32', [], [0]);
  const outs = ['i_out', 'n_out', 'x_out'].map((name, k) => main.addTensor({ name, dtype: k < 2 ? 'int32' : 'float32', shape: k < 2 ? [] : [1, 4] }));
  main.addOp('WHILE', [i0, n, x], outs, { condSubgraphIndex: 1, bodySubgraphIndex: 2 });
  main.markOutput(outs[2]);
  const cond = new GraphBuilder('cond');
  const ci = cond.addInput({ name: 'i', dtype: 'int32', shape: [] });
  const cn = cond.addInput({ name: 'n', dtype: 'int32', shape: [] });
  cond.addInput({ name: 'x', dtype: 'float32', shape: [1, 4] });
  const less = cond.addTensor({ name: 'less', dtype: 'bool', shape: [] });
  cond.addOp('LESS', [ci, cn], [less]);
  cond.markOutput(less);
  const body = new GraphBuilder('body');
  const bi = body.addInput({ name: 'i', dtype: 'int32', shape: [] });
  const bn = body.addInput({ name: 'n', dtype: 'int32', shape: [] });
  const bx = body.addInput({ name: 'x', dtype: 'float32', shape: [1, 4] });
  const i1 = body.addTensor({ name: 'i_next', dtype: 'int32', shape: [] });
  body.addOp('ADD', [bi, body.addConstant('one', 'int32', [], [1])], [i1]);
  const wide = body.addTensor({ name: 'wide', dtype: 'float32', shape: [1, 1 << 20] });
  body.addOp('TILE', [bx, body.addConstant('multiples', 'int32', [2], [1, 1 << 18])], [wide]);
  const mx = body.addTensor({ name: 'max', dtype: 'float32', shape: [1, 1] });
  body.addOp('REDUCE_MAX', [wide, body.addConstant('axis', 'int32', [1], [1])], [mx], { keepDims: true });
  const y = body.addTensor({ name: 'x_next', dtype: 'float32', shape: [1, 4] });
  body.addOp('ADD', [bx, mx], [y]);
  body.markOutput(i1);
  body.markOutput(bn);
  body.markOutput(y);
  const bytes = writeModel({ version: 3, description: '', subgraphs: [main.subgraph(), cond.subgraph(), body.subgraph()], metadata: [], signatureDefs: [] });
  assert.throws(() => Interpreter.fromBytes(bytes, { maxMemoryBytes: 3 * 2 ** 20 }), (e: Error) => e instanceof MemoryLimitError && /'wide'/.test(e.message));
  const it = Interpreter.fromBytes(bytes, { maxMemoryBytes: 64 * 2 ** 20 });
  it.setInput(0, [1, 2, 3, 4]);
  it.setInput(1, [2]);
  it.invoke();
  // Each iteration adds the state's maximum: [1,2,3,4] -> [5,6,7,8] -> [13,14,15,16].
  assert.deepEqual(Array.from(it.getOutput(0) as Float32Array), [13, 14, 15, 16]);
});

test('a node reading the output of a WHILE whose state changes shape is refused with the tensor named', () => {
  const m = growingWhileModel();
  const main = m.subgraphs[0];
  const xOut = main.outputs[0];
  main.tensors.push({ name: 'after', shape: [1, 2], shapeSignature: [1, -1], dtype: 'float32', data: null, quantization: null, isVariable: false });
  main.operators.push({ op: 'TANH', version: 1, inputs: [xOut], outputs: [main.tensors.length - 1], intermediates: [], options: {}, optionsType: null });
  main.outputs = [main.tensors.length - 1];
  assert.throws(() => Interpreter.fromModel(m), (e: Error) => e instanceof UnsupportedError && /TANH.*'x_out' gets its shape only when the model runs/.test(e.message));
});
