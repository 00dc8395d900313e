// REVERSE_V2 vs the official TFLite runtime: seeded shapes, one or more axes (negative ones too), every dtype the
// kernel takes, with the op version the quantizer / converter writes for it. Data movement, so exact (0 LSB).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { DType } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { ConformanceStats, Rng, checkOp, runReference, singleOpModel, type OpSpec } from '../helpers/conformance.js';
import { count, inputArg, randomShape, randomValues } from '../helpers/op-cases.js';

const stats = new ConformanceStats();
after(() => stats.print());

const VERSION: Partial<Record<DType, number>> = { int8: 3 };

function reverseSpec(rng: Rng, dtype: DType, shape: number[], axes: number[]): OpSpec {
  const arg = inputArg(rng, dtype, shape);
  return {
    op: 'REVERSE_V2', version: VERSION[dtype] ?? 1,
    inputs: [arg, { dtype: 'int32', shape: [axes.length], data: axes }],
    outputs: [{ dtype, shape, quantization: arg.quantization ?? null }],
  };
}

for (const dtype of ['float32', 'int8', 'uint8', 'int16', 'int32'] as DType[]) {
  test(`REVERSE_V2 ${dtype}: seeded shapes and single axes, exact vs the official runtime`, async () => {
    const rng = new Rng(0x5eed + dtype.length * 7 + dtype.charCodeAt(0));
    for (let c = 0; c < 12; c++) {
      const rank = rng.int(1, 5);
      const shape = randomShape(rng, rank);
      const axis = rng.int(-rank, rank - 1);
      const spec = reverseSpec(rng, dtype, shape, [axis]);
      await checkOp(`REVERSE_V2 ${dtype} case ${c} shape [${shape}] axis ${axis}`, spec, [randomValues(rng, dtype, count(shape))],
        { lsb: 0, stats, label: `REVERSE_V2 ${dtype}` });
    }
  });
}

/** numpy.flip over `axes` by independent index arithmetic (row-major coordinates). */
function flipReference(values: ArrayLike<number>, shape: number[], axes: number[]): number[] {
  const rank = shape.length;
  const flip = shape.map((_, d) => axes.some((a) => (a + rank) % rank === d));
  const out = new Array<number>(values.length);
  for (let k = 0; k < values.length; k++) {
    let rem = k;
    let src = 0;
    let stride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const c = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      src += (flip[d] ? shape[d] - 1 - c : c) * stride;
      stride *= shape[d];
    }
    out[k] = Number(values[src]);
  }
  return out;
}

// The official runtime's WASM build reverses only the first listed axis (its kernel predates multi-axis support;
// current TFLite reverses every listed, contiguous axis, as tf.reverse does). Several axes are therefore checked
// against independent arithmetic, and the runtime's single-axis behaviour is pinned so an upgrade is noticed.
test('REVERSE_V2 float32/int8 over several axes at once, vs independent flip arithmetic', () => {
  const rng = new Rng(4242);
  for (const dtype of ['float32', 'int8'] as DType[]) {
    for (let c = 0; c < 8; c++) {
      const rank = rng.int(2, 4);
      const shape = randomShape(rng, rank);
      const n = rng.int(2, rank);
      const axes = [...Array(rank).keys()].sort(() => rng.next() - 0.5).slice(0, n).map((a) => (rng.bool(0.3) ? a - rank : a));
      const values = randomValues(rng, dtype, count(shape));
      const it = Interpreter.fromBytes(writeModel(singleOpModel(reverseSpec(rng, dtype, shape, axes))));
      it.setInput(0, values);
      it.invoke();
      assert.deepEqual(Array.from(it.getOutput(0) as Float32Array), flipReference(values, shape, axes), `${dtype} shape [${shape}] axes [${axes}]`);
    }
  }
});

test('official runtime build: REVERSE_V2 with axes [0, 1] reverses only axis 0 (documents the divergence above)', async () => {
  const bytes = writeModel(singleOpModel(reverseSpec(new Rng(1), 'float32', [2, 2, 3], [0, 1])));
  const x = [...Array(12).keys()];
  const [ref] = await runReference(bytes, [x]);
  assert.deepEqual(Array.from(ref.data), flipReference(x, [2, 2, 3], [0]));
});

test('REVERSE_V2 by independent arithmetic: [2,3] reversed on axis 1 and on both axes', () => {
  const run = (axes: number[]) => {
    const bytes = writeModel(singleOpModel({
      op: 'REVERSE_V2', inputs: [{ dtype: 'float32', shape: [2, 3] }, { dtype: 'int32', shape: [axes.length], data: axes }],
      outputs: [{ dtype: 'float32', shape: [2, 3] }],
    }));
    const it = Interpreter.fromBytes(bytes);
    it.setInput(0, [1, 2, 3, 4, 5, 6]);
    it.invoke();
    return Array.from(it.getOutput(0) as Float32Array);
  };
  assert.deepEqual(run([1]), [3, 2, 1, 6, 5, 4]);
  assert.deepEqual(run([0, 1]), [6, 5, 4, 3, 2, 1]);
});

test('REVERSE_V2 with an out-of-range axis is a clear unsupported error', () => {
  const bytes = writeModel(singleOpModel({
    op: 'REVERSE_V2', inputs: [{ dtype: 'float32', shape: [2, 3] }, { dtype: 'int32', shape: [1], data: [2] }],
    outputs: [{ dtype: 'float32', shape: [2, 3] }],
  }));
  assert.throws(() => Interpreter.fromBytes(bytes), /REVERSE_V2 axis 2 out of range/);
});
