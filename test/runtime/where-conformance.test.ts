// WHERE (coordinates of the true/nonzero elements, int64 [count, rank]) vs the official TFLite runtime.
// The official tfjs-tflite runner cannot read int64 outputs ("unsupported tensor dtype"), and LiteRT.js reads an
// output sized at eval with its declared shape (garbage), so the reference model is the same graph followed by
// CAST int64 -> int32 (coordinates are small: the cast is exact); tfjs-tflite sizes that output at eval and reads it
// correctly. Ours runs the model without the cast (int64 output) and, where the output feeds other nodes, the same
// model as the reference. A few cases are also checked against TF.js's tf.whereAsync. All comparisons are exact.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { DType } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { GraphBuilder, encodeValues } from '../../src/graph/builder.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { UnsupportedError } from '../../src/errors.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { Rng } from '../helpers/random.js';

interface WhereGraph {
  dtype: DType;
  shape: number[];
  /** Values of a constant condition; a model input when absent. */
  constant?: number[];
  /** Condition = GREATER(x, threshold) computed from the float32 model input x. */
  greaterThan?: number;
  /** Append CAST int64 -> int32 (the reference's readable output). */
  castToInt32?: boolean;
  /** Then ADD a constant int32 [1] to the cast coordinates (a node reading WHERE's result). */
  addOne?: boolean;
}

function whereModel(g: WhereGraph): Uint8Array {
  const b = new GraphBuilder();
  const rank = g.shape.length;
  let cond: number;
  if (g.greaterThan !== undefined) {
    const x = b.addInput({ name: 'x', dtype: 'float32', shape: g.shape });
    const c = b.addTensor({ name: 'threshold', dtype: 'float32', shape: [], data: encodeValues('float32', [g.greaterThan]) });
    cond = b.addTensor({ name: 'mask', dtype: 'bool', shape: g.shape });
    b.addOp('GREATER', [x, c], [cond], {}, 1);
  } else if (g.constant) {
    cond = b.addTensor({ name: 'cond', dtype: g.dtype, shape: g.shape, data: encodeValues(g.dtype, g.constant) });
  } else {
    cond = b.addInput({ name: 'cond', dtype: g.dtype, shape: g.shape });
  }
  // The declared count is a placeholder (-1 in the signature): the runtime sizes it.
  let out = b.addTensor({ name: 'coords', dtype: 'int64', shape: [1, rank], shapeSignature: [-1, rank] });
  b.addOp('WHERE', [cond], [out], {}, 1);
  if (g.castToInt32 || g.addOne) {
    const cast = b.addTensor({ name: 'coords_i32', dtype: 'int32', shape: [1, rank], shapeSignature: [-1, rank] });
    b.addOp('CAST', [out], [cast], { inDataType: 'int64', outDataType: 'int32' }, 1);
    out = cast;
  }
  if (g.addOne) {
    const one = b.addTensor({ name: 'one', dtype: 'int32', shape: [1], data: encodeValues('int32', [1]) });
    const sum = b.addTensor({ name: 'coords_plus_one', dtype: 'int32', shape: [1, rank], shapeSignature: [-1, rank] });
    b.addOp('ADD', [out, one], [sum], { fusedActivationFunction: 'NONE' }, 1);
    out = sum;
  }
  b.markOutput(out);
  return writeModel(b.model());
}

/** The official runtime's output 0 of `bytes` (shape and values), with `input` as input 0 when given. */
async function official(bytes: Uint8Array, input?: ArrayLike<number>): Promise<{ shape: number[]; values: number[] }> {
  const r = await createOfficialRunner(bytes);
  try {
    if (input) r.setInput(0, input);
    r.invoke();
    const o = r.getOutputs()[0];
    return { shape: [...o.shape], values: Array.from(o.data as ArrayLike<number>, Number) };
  } finally {
    r.delete();
  }
}

function ours(it: Interpreter): { shape: number[]; values: number[] } {
  return { shape: it.outputDetails()[0].shape, values: Array.from(it.getOutput(0) as unknown as ArrayLike<number | bigint>, Number) };
}

/** Condition values with about `density` of them nonzero (floats include NaN and -0: true and false in C++). */
function conditionValues(rng: Rng, dtype: DType, n: number, density: number): number[] {
  return Array.from({ length: n }, () => {
    const on = rng.next() < density;
    switch (dtype) {
      case 'bool': return on ? 1 : 0;
      case 'float32': return on ? rng.pick([rng.float(-5, 5), NaN, 1e-30, -2]) : rng.pick([0, -0]);
      default: return on ? rng.pick([rng.int(-100, 100) || 7, -1, 1]) : 0;
    }
  });
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

for (const dtype of ['bool', 'float32', 'int32'] as DType[]) {
  test(`WHERE ${dtype}: ranks 1-4, all-false, all-true and mixed model inputs (re-prepared per value), vs the official runtime`, async () => {
    const rng = new Rng(dtype === 'bool' ? 31 : dtype === 'float32' ? 32 : 33);
    let checked = 0;
    for (let rank = 1; rank <= 4; rank++) {
      const shape = Array.from({ length: rank }, () => rng.int(1, rank === 1 ? 12 : 4));
      const n = sizeOf(shape);
      const it = Interpreter.fromBytes(whereModel({ dtype, shape }));
      const ref = whereModel({ dtype, shape, castToInt32: true });
      for (const density of [0, 1, 0.5, 0.2]) {
        const x = conditionValues(rng, dtype, n, density);
        const expected = await official(ref, x);
        it.setInput(0, x);
        it.invoke();
        const got = ours(it);
        const label = `[${shape}] density ${density}`;
        assert.deepEqual(got.shape, expected.shape, `${label}: shape`);
        assert.deepEqual(got.values, expected.values, `${label}: coordinates`);
        if (density === 0) assert.deepEqual(got.shape, [0, rank], `${label}: empty result`);
        if (density === 1) assert.deepEqual(got.shape, [n, rank], `${label}: every element`);
        checked++;
      }
    }
    assert.equal(checked, 16);
  });
}

test('WHERE int8, uint8, uint32 model inputs and an int64 constant (nonzero = true), vs the official runtime', async () => {
  const rng = new Rng(35);
  const shape = [3, 2, 5];
  const n = sizeOf(shape);
  for (const dtype of ['int8', 'uint8', 'uint32'] as DType[]) {
    const it = Interpreter.fromBytes(whereModel({ dtype, shape }));
    const ref = whereModel({ dtype, shape, castToInt32: true });
    for (const density of [0.5, 0.1]) {
      const x = Array.from({ length: n }, () => (rng.next() < density ? rng.int(1, 120) : 0));
      const expected = await official(ref, x);
      it.setInput(0, x);
      it.invoke();
      assert.deepEqual(ours(it), expected, `${dtype} density ${density}`);
    }
  }
  // The official runner cannot feed int64 inputs: a constant condition instead (values past 2^31 are nonzero too).
  const constant = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? -(2 ** 40) : 5));
  const bytes = whereModel({ dtype: 'int64', shape, constant, castToInt32: true });
  const it = Interpreter.fromBytes(bytes);
  it.invoke();
  assert.deepEqual(ours(it), await official(bytes), 'int64 constant');
});

test('WHERE of a constant condition (folded at prepare) feeding CAST, vs the official runtime', async () => {
  const rng = new Rng(41);
  for (const dtype of ['bool', 'float32', 'int32'] as DType[]) {
    const shape = [2, 3, 4];
    const constant = conditionValues(rng, dtype, sizeOf(shape), 0.4);
    const bytes = whereModel({ dtype, shape, constant, castToInt32: true });
    const expected = await official(bytes);
    const it = Interpreter.fromBytes(bytes);
    it.invoke();
    assert.deepEqual(ours(it), expected, dtype);
    assert.ok(expected.shape[0] > 0, 'some true elements');
  }
});

test('WHERE(GREATER(x, c)) as a model output: sized when the node runs, vs the official runtime and TF.js whereAsync', async () => {
  const rng = new Rng(51);
  const shape = [3, 5, 4];
  const it = Interpreter.fromBytes(whereModel({ dtype: 'bool', shape, greaterThan: 0.25 }));
  const ref = whereModel({ dtype: 'bool', shape, greaterThan: 0.25, castToInt32: true });
  for (const lo of [-1, 2, -3, 0]) {
    // lo 2: every element passes; lo -3 with hi -1: none.
    const x = Array.from(rng.floats(sizeOf(shape), lo, lo === -3 ? -1 : 1 + Math.abs(lo)));
    const expected = await official(ref, x);
    it.setInput(0, x);
    it.invoke();
    const got = ours(it);
    assert.deepEqual(got, expected, `x in [${lo}, ...]`);
    const tfRef = tf.tensor(x, shape).greater(0.25);
    const coords = await tf.whereAsync(tfRef);
    assert.deepEqual(got.values, Array.from(coords.dataSync()), 'TF.js whereAsync');
    assert.deepEqual(got.shape, coords.shape.length === 2 ? coords.shape : [0, shape.length]);
    tf.dispose([tfRef, coords]);
  }
});

test('WHERE of a model input feeding CAST and ADD: later nodes see its shape, values changing between invocations, vs the official runtime', async () => {
  const rng = new Rng(61);
  for (const dtype of ['bool', 'int32'] as DType[]) {
    const shape = [4, 6];
    const bytes = whereModel({ dtype, shape, addOne: true });
    const it = Interpreter.fromBytes(bytes);
    for (const density of [0.3, 0, 1, 0.7]) {
      const x = conditionValues(rng, dtype, sizeOf(shape), density);
      const expected = await official(bytes, x);
      it.setInput(0, x);
      it.invoke();
      assert.deepEqual(ours(it), expected, `${dtype} density ${density}`);
    }
  }
});

test('WHERE refuses: a computed condition whose result feeds another node; a scalar condition; a non-int64 output', () => {
  // A computed condition gives a result sized only when it runs: later nodes cannot be prepared.
  assert.throws(() => Interpreter.fromBytes(whereModel({ dtype: 'bool', shape: [4], greaterThan: 0, castToInt32: true })),
    (e: unknown) => e instanceof UnsupportedError && /node 2: op CAST.*input 'coords' gets its shape only when the model runs/.test(e.message));
  const build = (condShape: number[], outDtype: DType) => {
    const b = new GraphBuilder();
    const c = b.addInput({ name: 'c', dtype: 'bool', shape: condShape });
    const o = b.addTensor({ name: 'o', dtype: outDtype, shape: [1, Math.max(condShape.length, 1)] });
    b.addOp('WHERE', [c], [o], {}, 1);
    b.markOutput(o);
    return writeModel(b.model());
  };
  assert.throws(() => Interpreter.fromBytes(build([], 'int64')), /WHERE.*rank 1 or more/);
  assert.throws(() => Interpreter.fromBytes(build([3], 'int32')), /WHERE.*must be int64/);
});
