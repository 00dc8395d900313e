// The official runtime's XNNPACK delegate refuses a node that touches a tensor TFLite allocates only when the model
// runs: a SLICE's output when the input's shape_signature leaves the batch unknown. The 8-bit MUL after it is then
// computed by TFLite's own kernel, whose rounding differs from XNNPACK's; after a STRIDED_SLICE it is delegated.
// Each case is checked against the official runtime, on data where the two arithmetics give different results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Model, Quantization } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { createOfficialRunner } from '../helpers/oracle.js';

const C = 32, ROWS = 28;
const q = (scale: number, zeroPoint: number): Quantization => ({ scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 });

/** x (int8, C + 1 channels) -> slice off the last channel -> MUL by a constant per-channel gamma. */
function sliceThenMul(slice: 'SLICE' | 'STRIDED_SLICE', dynamicBatch: boolean): Model {
  const b = new GraphBuilder();
  const shaped = (c: number) => ({ shape: [1, ROWS, c], ...(dynamicBatch ? { shapeSignature: [-1, ROWS, c] } : {}) });
  const x = b.addInput({ name: 'x', dtype: 'int8', ...shaped(C + 1), quantization: q(1 / 128, 0) });
  const sliced = b.addTensor({ name: 'sliced', dtype: 'int8', ...shaped(C), quantization: q(1 / 128, 0) });
  const begin = b.addConstant('begin', 'int32', [3], [0, 0, 0]);
  if (slice === 'SLICE') b.addOp('SLICE', [x, begin, b.addConstant('size', 'int32', [3], [-1, -1, C])], [sliced], {}, 2);
  else {
    b.addOp('STRIDED_SLICE', [x, begin, b.addConstant('end', 'int32', [3], [0, 0, C]), b.addConstant('strides', 'int32', [3], [1, 1, 1])], [sliced],
      { beginMask: 3, endMask: 3 }, 2);
  }
  const gamma = b.addConstant('gamma', 'int8', [C], Array.from({ length: C }, (_, c) => 100 + (c % 27)), q(0.022386346, -128));
  const y = b.addTensor({ name: 'y', dtype: 'int8', ...shaped(C), quantization: q(0.022830309, 2) });
  b.addOp('MUL', [sliced, gamma], [y], { fusedActivationFunction: 'NONE' }, 2);
  b.markOutput(y);
  return b.model();
}

const input = Int8Array.from({ length: ROWS * (C + 1) }, (_, i) => ((i * 7) % 31) - 15);

function ours(model: Model, arithmetic?: 'xnnpack' | 'reference'): number[] {
  const it = Interpreter.fromModel(model, arithmetic ? { arithmetic } : {});
  it.setInput(0, input);
  it.invoke();
  return Array.from(it.getOutput(0) as Int8Array);
}

for (const [slice, dynamicBatch, delegated] of [['SLICE', true, false], ['SLICE', false, true], ['STRIDED_SLICE', true, true]] as const) {
  test(`int8 MUL after ${slice}${dynamicBatch ? ' (batch unknown in shape_signature)' : ''}: ${delegated ? 'XNNPACK' : 'TFLite\'s own kernel'}, as the official runtime`, async () => {
    const model = sliceThenMul(slice, dynamicBatch);
    const runner = await createOfficialRunner(writeModel(model));
    let official: number[];
    try {
      runner.setInput(0, input);
      runner.invoke();
      official = Array.from(runner.getOutputs()[0].data as ArrayLike<number>);
    } finally {
      runner.delete();
    }
    const xnnpack = ours(model, 'xnnpack'), reference = ours(model, 'reference');
    assert.deepEqual(xnnpack, official, 'the default arithmetic reproduces the official runtime');
    // The data tells the two arithmetics apart, so agreeing with the official runtime says which one it ran.
    const other = delegated ? reference : delegatedMul(model);
    assert.notDeepEqual(other, official, 'the other arithmetic gives different numbers on this data');
  });
}

/** The model computed as if the delegate had taken the MUL: the slice replaced by the sliced values as input. */
function delegatedMul(model: Model): number[] {
  const sg = model.subgraphs[0];
  const mul = sg.operators[1];
  const direct: Model = { ...model, subgraphs: [{ ...sg, inputs: [mul.inputs[0]], operators: [mul] }] };
  const it = Interpreter.fromModel(direct);
  const sliced = new Int8Array(ROWS * C);
  for (let r = 0; r < ROWS; r++) sliced.set(input.subarray(r * (C + 1), r * (C + 1) + C), r * C);
  it.setInput(0, sliced);
  it.invoke();
  return Array.from(it.getOutput(0) as Int8Array);
}
