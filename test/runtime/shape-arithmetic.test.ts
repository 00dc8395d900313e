// Shape arithmetic as TF graphs carry it: SHAPE -> STRIDED_SLICE / PACK -> RESHAPE, FILL, RANGE. SHAPE's output is
// known at prepare, so everything downstream that only depends on shapes is computed there and kernels needing
// constant shape inputs get them; resizing the input re-plans it all. Independent arithmetic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../src/graph/builder.js';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';

function shapeModel(outType: 'int32' | 'int64') {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: [2, 3, 4], shapeSignature: [-1, 3, 4] });
  const shape = b.addTensor({ name: 'shape', dtype: outType, shape: [3] });
  b.addOp('SHAPE', [x], [shape], { outType });
  const c = (name: string, v: number[], s = [v.length]) => b.addConstant(name, outType, s, v);
  const batch = b.addTensor({ name: 'batch', dtype: outType, shape: [] });
  b.addOp('STRIDED_SLICE', [shape, c('begin', [0]), c('end', [1]), c('strides', [1])], [batch], { shrinkAxisMask: 1 });
  const newShape = b.addTensor({ name: 'new_shape', dtype: outType, shape: [2] });
  b.addOp('PACK', [batch, c('twelve', [12], [])], [newShape], { valuesCount: 2, axis: 0 });
  const flat = b.addTensor({ name: 'flat', dtype: 'float32', shape: [2, 12] });
  b.addOp('RESHAPE', [x, newShape], [flat]);
  const ones = b.addTensor({ name: 'filled', dtype: 'float32', shape: [2, 3, 4] });
  b.addOp('FILL', [shape, b.addConstant('value', 'float32', [], [1.5])], [ones]);
  const range = b.addTensor({ name: 'range', dtype: outType, shape: [2] });
  b.addOp('RANGE', [c('zero', [0], []), batch, c('one', [1], [])], [range]);
  for (const t of [flat, ones, range]) b.markOutput(t);
  return writeModel(b.model());
}

for (const outType of ['int32', 'int64'] as const) {
  test(`SHAPE (${outType}) feeds STRIDED_SLICE, PACK, RESHAPE, FILL and RANGE at prepare, and again after a resize`, () => {
    const it = Interpreter.fromBytes(shapeModel(outType));
    for (const batch of [2, 3, 1]) {
      it.resizeInput(0, [batch, 3, 4]);
      const x = Float32Array.from({ length: batch * 12 }, (_, i) => i * 0.5 - 3);
      it.setInput(0, x);
      it.invoke();
      const [flat, filled, range] = it.outputDetails();
      assert.deepEqual(flat.shape, [batch, 12]);
      assert.deepEqual(Array.from(it.getOutput(0) as Float32Array), Array.from(x));
      assert.deepEqual(filled.shape, [batch, 3, 4]);
      assert.deepEqual(Array.from(it.getOutput(1) as Float32Array), new Array(batch * 12).fill(1.5));
      assert.deepEqual(range.shape, [batch]);
      assert.deepEqual(Array.from(it.getOutput(2) as ArrayLike<number | bigint>, Number), [...Array(batch).keys()]);
    }
  });
}
