// Full-integer quantization of multi-subgraph models: calibration observes the tensors of WHILE bodies and IF
// branches (every execution), the ops inside are quantized like any other, and the tensors crossing a call boundary
// share one scale and zero point (TFLite copies them raw). The int8 files run in the official runtime and in ours
// bit-exact, and stay close to the float model.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readModel, writeModel } from '../../src/format/index.js';
import type { Model } from '../../src/graph/model.js';
import { quantize } from '../../src/quantize/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { Rng } from '../helpers/conformance.js';
import { IF_UNITS, LOOP_UNITS, accumulatorModel, ifModel, whileLoopModel } from '../helpers/control-flow-models.js';

type Sample = Float32Array[];

/**
 * Quantize, then run float (ours), int8 (ours) and int8 (official) on `tests`; returns the int8 model. The test
 * samples are among the calibration samples, so the error measured is the arithmetic's, not clipping of values
 * calibration never saw.
 */
async function checkInt8(label: string, float: Model, calibration: Sample[], tests: Sample[], maxError: number) {
  const { model, report } = await quantize(float, { mode: 'int8', representativeDataset: calibration, inputType: 'float32', outputType: 'float32', threads: 1 });
  const bytes = writeModel(model);
  readModel(bytes);
  const f = Interpreter.fromModel(float);
  const ours = Interpreter.fromBytes(bytes);
  const ref = await createOfficialRunner(bytes);
  let worst = 0, exact = 0, total = 0;
  try {
    for (const sample of tests) {
      sample.forEach((v, k) => { f.setInput(k, v); ours.setInput(k, v); ref.setInput(k, v); });
      f.invoke();
      ours.invoke();
      ref.invoke();
      const want = f.getOutput(0) as Float32Array;
      const got = ours.getOutput(0) as Float32Array;
      const official = ref.getOutputs()[0].data as Float32Array;
      assert.equal(got.length, official.length);
      for (let j = 0; j < got.length; j++) {
        total++;
        if (got[j] === official[j]) exact++;
        worst = Math.max(worst, Math.abs(got[j] - want[j]));
      }
      assert.deepEqual(Array.from(got), Array.from(official), `${label}: ours vs official runtime`);
    }
  } finally {
    ref.delete();
  }
  console.log(`# [control-flow int8] ${label}: ${tests.length} samples, ${exact}/${total} outputs identical to the official runtime, max |int8 - float| ${worst.toFixed(4)}; quantized ops: ${report.quantizedOps.map((o) => `${o.op}${o.subgraph ? `@${o.subgraph}` : ''}`).join(' ')}; float: ${report.floatOps.map((o) => `${o.op}@${o.subgraph ?? 0} (${o.reason})`).join('; ') || 'none'}`);
  assert.ok(worst < maxError, `${label}: max |int8 - float| ${worst} >= ${maxError}`);
  return { model, report };
}

/** Every tensor of a group that crosses a call boundary has the same scale and zero point. */
function sameParams(model: Model, members: [number, string][]): void {
  const params = members.map(([s, name]) => {
    const t = model.subgraphs[s].tensors.find((x) => x.name === name);
    assert.ok(t, `subgraph ${s} has tensor '${name}'`);
    assert.equal(t.dtype, 'int8', `${name} is int8`);
    return `${t.quantization!.scale[0]}/${t.quantization!.zeroPoint[0]}`;
  });
  assert.equal(new Set(params).size, 1, `shared parameters: ${members.map(([s, n], k) => `${s}:${n}=${params[k]}`).join(', ')}`);
}

test('int8 WHILE loop: FC/ADD/TANH in the body quantized, boundary tensors share parameters, bit-exact with the official runtime', async () => {
  const rng = new Rng(0x5e1);
  const sample = (): Sample => [rng.floats(LOOP_UNITS, -1, 1), Float32Array.of(rng.int(0, 6))];
  const float = whileLoopModel(1);
  const tests = Array.from({ length: 30 }, sample);
  const calibration = [...Array.from({ length: 40 }, sample), ...tests];
  const { model, report } = await checkInt8('WHILE', float, calibration, tests, 0.12);
  const body = report.quantizedOps.filter((o) => o.subgraph === 2).map((o) => o.op).sort();
  assert.deepEqual(body, ['ADD', 'FULLY_CONNECTED', 'TANH'], 'the body\'s float ops are int8 (the int32 counter ADD stays int32)');
  assert.ok(report.quantizedOps.some((o) => o.op === 'WHILE' && !o.subgraph));
  const main = model.subgraphs[0];
  const loop = main.operators.find((o) => o.op === 'WHILE')!;
  sameParams(model, [[0, main.tensors[loop.inputs[2]].name], [0, main.tensors[loop.outputs[2]].name], [1, 'x'], [2, 'x'],
    [2, model.subgraphs[2].tensors[model.subgraphs[2].outputs[2]].name]]);
});

test('int8 IF: both branches quantized, inputs and outputs shared across branches, bit-exact with the official runtime', async () => {
  const rng = new Rng(0x1f8);
  const sample = (): Sample => [Float32Array.of(rng.float(-1, 1)), rng.floats(IF_UNITS, -2, 2)];
  const float = ifModel();
  const tests = Array.from({ length: 40 }, sample);
  const { model, report } = await checkInt8('IF', float, [...Array.from({ length: 60 }, sample), ...tests], tests, 0.1);
  assert.deepEqual(report.quantizedOps.filter((o) => o.subgraph === 1).map((o) => o.op), ['FULLY_CONNECTED']);
  assert.deepEqual(report.quantizedOps.filter((o) => o.subgraph === 2).map((o) => o.op), ['MUL', 'ADD', 'TANH']);
  const out = (s: number) => model.subgraphs[s].tensors[model.subgraphs[s].outputs[0]].name;
  const inp = (s: number) => model.subgraphs[s].tensors[model.subgraphs[s].inputs[0]].name;
  sameParams(model, [[0, 'y'], [1, out(1)], [2, out(2)]]);
  sameParams(model, [[1, inp(1)], [2, inp(2)]]);
});

test('int8 of the resource-variable accumulator: READ/ASSIGN_VARIABLE stay float with the reason, the file runs in both', async () => {
  const rng = new Rng(0xacc8);
  const sample = (): Sample => [rng.floats(4, -1, 1)];
  const float = accumulatorModel();
  const { model, report } = await quantize(float, { mode: 'int8', representativeDataset: Array.from({ length: 10 }, sample), threads: 1 });
  const bytes = writeModel(model);
  const ours = Interpreter.fromBytes(bytes);
  const ref = await createOfficialRunner(bytes);
  try {
    for (let t = 0; t < 5; t++) {
      const x = Array.from(ours.inputDetails()[0].dtype === 'int8' ? Int8Array.from({ length: 4 }, () => rng.int(-100, 100)) : sample()[0]);
      ours.setInput(0, x);
      ref.setInput(0, x);
      ours.invoke();
      ref.invoke();
      assert.deepEqual(Array.from(ours.getOutput(0) as Int8Array), Array.from(ref.getOutputs()[0].data as Int8Array), `invoke ${t}`);
    }
  } finally {
    ref.delete();
  }
  const floatOps = report.floatOps.map((o) => `${o.op}@${o.subgraph ?? 0}: ${o.reason}`);
  assert.ok(floatOps.some((t) => /^READ_VARIABLE@0: /.test(t)), floatOps.join('\n'));
  assert.ok(floatOps.some((t) => /^ASSIGN_VARIABLE@1: /.test(t)), floatOps.join('\n'));
  assert.ok(report.warnings.some((w) => /ASSIGN_VARIABLE \(node #1 of subgraph 1\) stays float/.test(w)), report.warnings.join('\n'));
});
