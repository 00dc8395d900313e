// int8 SUM wraps in TFLite (reduce.cc narrows the rescaled sum without saturating): the quantizer's output range
// for SUM must leave room beyond calibration. Oracle: the OFFICIAL runtime runs the quantized file on sums past
// the calibrated range; the result must keep its sign and stay near the true sum (a wrap flips it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/graph/builder.js';
import { readModel, writeModel } from '../../src/format/index.js';
import { quantize } from '../../src/quantize/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { mulberry32 } from '../helpers/random.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { toFloat, toInputValues } from './helpers.js';

function sumModel(n: number) {
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, n], dtype: 'float32' });
  const out = g.addTensor({ name: 'sum', shape: [1], dtype: 'float32' });
  g.addOp('SUM', [x, g.addConstant('axes', 'int32', [1], [1])], [out], { keepDims: false });
  g.markOutput(out);
  return g.model();
}

for (const n of [4, 64]) {
  test(`int8 SUM over ${n} values: sums past the calibrated range do not wrap (official runtime)`, async () => {
    const rnd = mulberry32(n);
    const calibration = Array.from({ length: 50 }, () => [Float32Array.from({ length: n }, () => 2 * rnd() - 1)]);
    let observed = 0;
    for (const [v] of calibration) observed = Math.max(observed, Math.abs(v.reduce((a, b) => a + b, 0)));
    const { model } = await quantize(sumModel(n), { mode: 'int8', inputType: 'int8', outputType: 'int8', representativeDataset: calibration });
    const q = readModel(writeModel(model), 'sum.tflite');
    const sg = q.subgraphs[0];
    const inT = sg.tensors[sg.inputs[0]], outT = sg.tensors[sg.outputs[0]];
    assert.equal(outT.dtype, 'int8');
    // Constant inputs whose sum is 1.4x (and -1.4x) the largest calibrated |sum|, inside the input's own range.
    const runner = await createOfficialRunner(writeModel(model));
    const ours = Interpreter.fromModel(q);
    try {
      for (const sign of [1, -1]) {
        const target = sign * 1.4 * observed;
        const input = new Float32Array(n).fill(target / n);
        runner.setInput(0, toInputValues(inT, input));
        runner.invoke();
        const raw = Array.from(runner.getOutputs()[0].data as ArrayLike<number>, Number);
        ours.setInput(0, toInputValues(inT, input));
        ours.invoke();
        assert.deepEqual(Array.from(ours.getOutput(0) as ArrayLike<number>, Number), raw, 'our interpreter vs official');
        const got = toFloat(outT, raw)[0];
        assert.ok(Math.sign(got) === sign && Math.abs(got - target) < 0.05 * Math.abs(target),
          `sum ${target.toFixed(3)} (calibrated |sum| <= ${observed.toFixed(3)}) came out ${got.toFixed(3)}`);
      }
    } finally {
      runner.delete();
    }
  });
}
