// Full-integer quantization of a float graph with TOPK_V2 (the values output keeps the input's parameters, version 2
// as op_version.cc gives int8): the official runtime loads and runs the file, its outputs stay close to the float
// model's (official runtime on the float file), and our interpreter gives the official runtime's raw outputs exactly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readModel, writeModel } from '../../src/format/index.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Model } from '../../src/graph/model.js';
import { quantize } from '../../src/quantize/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { mulberry32 } from '../helpers/random.js';
import { toFloat, toInputValues } from './helpers.js';

/** x [2, 16] -> MUL by a constant -> TOPK_V2 k=5 -> (values, indices). */
function topkModel(): Model {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: [2, 16] });
  const scaled = b.addTensor({ name: 'scaled', dtype: 'float32', shape: [2, 16] });
  b.addOp('MUL', [x, b.addConstant('gain', 'float32', [16], Array.from({ length: 16 }, (_, i) => 0.5 + i / 16))], [scaled]);
  const values = b.addTensor({ name: 'values', dtype: 'float32', shape: [2, 5] });
  const indices = b.addTensor({ name: 'indices', dtype: 'int32', shape: [2, 5] });
  b.addOp('TOPK_V2', [scaled, b.addConstant('k', 'int32', [], [5])], [values, indices]);
  b.markOutput(values);
  b.markOutput(indices);
  return b.model();
}

function samples(n: number, seed: number): Float32Array[][] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => [Float32Array.from({ length: 32 }, () => 2 * rnd() - 1)]);
}

async function runOfficial(bytes: Uint8Array, model: Model, set: Float32Array[][]): Promise<number[][][]> {
  const sg = model.subgraphs[0];
  const runner = await createOfficialRunner(bytes);
  try {
    return set.map((inputs) => {
      inputs.forEach((v, i) => runner.setInput(i, toInputValues(sg.tensors[sg.inputs[i]], v)));
      runner.invoke();
      return runner.getOutputs().map((o) => Array.from(o.data as ArrayLike<number>, Number));
    });
  } finally {
    runner.delete();
  }
}

test('quantize int8: TOPK_V2 becomes int8 (version 2), runs in the official runtime, and our interpreter agrees exactly', async () => {
  const float = topkModel();
  const evalSet = samples(30, 22);
  const reference = await runOfficial(writeModel(float), float, evalSet);
  const { model, report } = await quantize(float, { mode: 'int8', representativeDataset: samples(40, 11) });
  assert.deepEqual(report.floatOps.map((o) => o.op), [], report.warnings.join('; '));
  const topk = report.quantizedOps.filter((o) => o.op === 'TOPK_V2');
  assert.equal(topk.length, 1);
  assert.equal(topk[0].version, 2);
  const bytes = writeModel(model);
  const q = readModel(bytes, 'topk.tflite');
  const sg = q.subgraphs[0];
  const official = await runOfficial(bytes, q, evalSet);
  const it = Interpreter.fromModel(q);
  let worst = 0, lo = Infinity, hi = -Infinity, indexAgreement = 0, total = 0;
  evalSet.forEach((inputs, k) => {
    inputs.forEach((v, i) => it.setInput(i, toInputValues(sg.tensors[sg.inputs[i]], v)));
    it.invoke();
    for (let o = 0; o < 2; o++) assert.deepEqual(Array.from(it.getOutput(o) as ArrayLike<number>, Number), official[k][o], `sample ${k} output ${o}`);
    const deq = toFloat(sg.tensors[sg.outputs[0]], official[k][0]);
    deq.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - reference[k][0][i]));
      lo = Math.min(lo, reference[k][0][i]);
      hi = Math.max(hi, reference[k][0][i]);
    });
    official[k][1].forEach((v, i) => { total++; if (v === reference[k][1][i]) indexAgreement++; });
  });
  assert.ok(worst <= 0.01 * (hi - lo), `worst error ${worst} of the float range ${hi - lo}`);
  // Near-ties may swap after quantization; most indices agree with the float model's.
  assert.ok(indexAgreement >= 0.8 * total, `${indexAgreement} of ${total} indices agree with the float model`);
});
