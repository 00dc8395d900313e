// Existing kernels in the forms TF graphs bring them: int64 and bool tensors (CAST, ARG_MAX/ARG_MIN int64 outputs,
// SHAPE int64, TILE, BROADCAST_TO, PACK/UNPACK, GATHER, TRANSPOSE, SPLIT_V), int32 SQUARED_DIFFERENCE, and the
// op versions TFLite's converter writes for them (BROADCAST_TO starts at version 2; STRIDED_SLICE with ellipsis or
// new-axis masks is version 6), vs the official runtime. STRIDED_SLICE's `offset` (version 8) is newer than the
// official build and is checked by independent arithmetic. Float, resize, transpose-conv, leaky-relu and ELU forms
// are covered by shape-ops, transpose-conv-conformance and activation-ops.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { DType } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { ConformanceStats, Rng, singleOpModel, type OpSpec, type TensorArg } from '../helpers/conformance.js';
import { count, randomQuant, randomShape, randomValues } from '../helpers/op-cases.js';
import { registerSeededOpTests } from '../helpers/int64-edges.js';

const stats = new ConformanceStats();
after(() => stats.print());

const CASES = 8;
type Built = { spec: OpSpec; inputs: ArrayLike<number>[] };
const i32 = (values: number[], shape = [values.length]): TensorArg => ({ dtype: 'int32', shape, data: values });
const valuesOf = (rng: Rng, dtype: DType, n: number): ArrayLike<number> => randomValues(rng, dtype === 'int64' ? 'int32' : dtype, n);
const quantFor = (rng: Rng, dtype: DType) => (dtype === 'int8' || dtype === 'uint8' || dtype === 'int16' ? randomQuant(rng, dtype) : null);

const builders: Record<string, { dtypes: DType[]; build: (rng: Rng, dtype: DType) => Built }> = {
  CAST: {
    // Source dtypes; the target is drawn among float32, int32, int64 and bool.
    dtypes: ['float32', 'int32', 'int64', 'bool', 'uint8', 'int8'],
    build(rng, from) {
      const shape = randomShape(rng, rng.int(1, 3), 5);
      const to = rng.pick((['float32', 'int32', 'int64', 'bool'] as DType[]).filter((d) => d !== from));
      const values = from === 'float32' ? Array.from(rng.floats(count(shape), -50, 50))
        : from === 'bool' ? rng.ints(count(shape), 0, 1) : from === 'uint8' ? rng.ints(count(shape), 0, 255) : from === 'int8' ? rng.ints(count(shape), -128, 127) : rng.ints(count(shape), -1000, 1000);
      return { spec: { op: 'CAST', version: from === 'int8' ? 3 : 1, options: { inDataType: from, outDataType: to }, inputs: [{ dtype: from, shape }], outputs: [{ dtype: to, shape }] }, inputs: [values] };
    },
  },
  ARG_MAX: { dtypes: ['float32', 'int8', 'int32'], build: argCase('ARG_MAX') },
  ARG_MIN: { dtypes: ['float32', 'int8', 'int32'], build: argCase('ARG_MIN') },
  SHAPE: {
    // The output dtype (out_type).
    dtypes: ['int32', 'int64'],
    build(rng, outType) {
      const shape = randomShape(rng, rng.int(1, 4), 5);
      return {
        spec: { op: 'SHAPE', options: { outType }, inputs: [{ dtype: 'float32', shape }], outputs: [{ dtype: outType, shape: [shape.length] }] },
        inputs: [randomValues(rng, 'float32', count(shape))],
      };
    },
  },
  TILE: {
    dtypes: ['int32', 'int64', 'bool', 'int8'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4), 3);
      const m = shape.map(() => rng.int(1, 3));
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'TILE', version: dtype === 'int8' ? 3 : 1,
          inputs: [{ dtype, shape, quantization: q }, { dtype: rng.bool() ? 'int32' : 'int64', shape: [m.length], data: m }],
          outputs: [{ dtype, shape: shape.map((d, i) => d * m[i]), quantization: q }],
        },
        inputs: [valuesOf(rng, dtype, count(shape))],
      };
    },
  },
  BROADCAST_TO: {
    dtypes: ['float32', 'int32', 'int64', 'int8', 'bool'],
    build(rng, dtype) {
      const target = randomShape(rng, rng.int(1, 4), 4);
      const drop = rng.int(0, target.length - 1);
      const shape = target.slice(drop).map((d) => (rng.bool(0.4) ? 1 : d));
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'BROADCAST_TO', version: dtype === 'int8' ? 3 : 2,
          inputs: [{ dtype, shape, quantization: q }, i32(target)], outputs: [{ dtype, shape: target, quantization: q }],
        },
        inputs: [valuesOf(rng, dtype, count(shape))],
      };
    },
  },
  PACK: {
    dtypes: ['int32', 'int64'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(0, 3), 4);
      const n = rng.int(1, 4);
      const axis = rng.int(0, shape.length);
      const out = shape.slice();
      out.splice(axis, 0, n);
      return {
        spec: { op: 'PACK', options: { valuesCount: n, axis }, inputs: Array.from({ length: n }, () => ({ dtype, shape })), outputs: [{ dtype, shape: out }] },
        inputs: Array.from({ length: n }, () => valuesOf(rng, dtype, count(shape))),
      };
    },
  },
  UNPACK: {
    // TFLite's UNPACK has no int64 kernel (the official runtime refuses it).
    dtypes: ['int32', 'bool'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4), 4);
      const axis = rng.int(0, shape.length - 1);
      const os = shape.filter((_, i) => i !== axis);
      return {
        spec: {
          op: 'UNPACK', version: dtype === 'bool' ? 3 : 1, options: { num: shape[axis], axis },
          inputs: [{ dtype, shape }], outputs: Array.from({ length: shape[axis] }, () => ({ dtype, shape: os })),
        },
        inputs: [valuesOf(rng, dtype, count(shape))],
      };
    },
  },
  GATHER: {
    dtypes: ['int32', 'bool', 'int64'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 3), 4);
      const axis = rng.int(0, shape.length - 1);
      const iShape = randomShape(rng, rng.int(0, 2), 3);
      const out = [...shape.slice(0, axis), ...iShape, ...shape.slice(axis + 1)];
      return {
        spec: {
          op: 'GATHER', version: dtype === 'bool' ? 3 : 1, options: { axis },
          inputs: [{ dtype, shape }, { dtype: 'int32', shape: iShape }], outputs: [{ dtype, shape: out }],
        },
        inputs: [valuesOf(rng, dtype, count(shape)), rng.ints(count(iShape), 0, shape[axis] - 1)],
      };
    },
  },
  TRANSPOSE: {
    dtypes: ['int32', 'bool', 'int64'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4), 4);
      const perm = [...shape.keys()].sort(() => rng.next() - 0.5);
      return {
        spec: { op: 'TRANSPOSE', version: dtype === 'bool' ? 3 : 1, inputs: [{ dtype, shape }, i32(perm)], outputs: [{ dtype, shape: perm.map((p) => shape[p]) }] },
        inputs: [valuesOf(rng, dtype, count(shape))],
      };
    },
  },
  SPLIT_V: {
    dtypes: ['int32'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 3), 4);
      const axis = rng.int(0, shape.length - 1);
      const sizes = Array.from({ length: rng.int(1, 3) }, () => rng.int(1, 3));
      shape[axis] = sizes.reduce((a, b) => a + b, 0);
      return {
        spec: {
          op: 'SPLIT_V', options: { numSplits: sizes.length }, inputs: [{ dtype, shape }, i32(sizes), i32([axis], [])],
          outputs: sizes.map((s) => ({ dtype, shape: shape.map((d, i) => (i === axis ? s : d)) })),
        },
        inputs: [valuesOf(rng, dtype, count(shape))],
      };
    },
  },
  SQUARED_DIFFERENCE: {
    dtypes: ['int32'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4), 4);
      const sb = shape.map((d) => (rng.bool(0.3) ? 1 : d));
      return {
        spec: { op: 'SQUARED_DIFFERENCE', inputs: [{ dtype, shape }, { dtype, shape: sb }], outputs: [{ dtype, shape }] },
        inputs: [rng.ints(count(shape), -3000, 3000), rng.ints(count(sb), -3000, 3000)],
      };
    },
  },
  STRIDED_SLICE: {
    // Version 6 (ellipsis / new axis), on the dtypes TF's shape arithmetic uses.
    dtypes: ['float32', 'int32', 'bool'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(2, 4), 6);
      const n = rng.int(2, shape.length);
      const begin: number[] = [], end: number[] = [], strides: number[] = [];
      for (let i = 0; i < n; i++) {
        strides.push(rng.pick([1, 1, 2, -1]));
        begin.push(rng.int(-shape[i], shape[i] - 1));
        end.push(rng.int(-shape[i] - 1, shape[i] + 1));
      }
      const options = {
        beginMask: rng.int(0, (1 << n) - 1), endMask: rng.int(0, (1 << n) - 1), shrinkAxisMask: 0,
        ellipsisMask: 0, newAxisMask: 0,
      };
      const special = rng.int(0, n - 1);
      if (rng.bool()) options.ellipsisMask = 1 << special;
      else options.newAxisMask = 1 << special;
      // One shrunk axis elsewhere, on a valid index.
      const shrink = (special + 1) % n;
      if (rng.bool() && options.ellipsisMask === 0) {
        options.shrinkAxisMask = 1 << shrink;
        strides[shrink] = 1;
      }
      return {
        spec: { op: 'STRIDED_SLICE', version: 6, options, inputs: [{ dtype, shape }, i32(begin), i32(end), i32(strides)], outputs: [{ dtype, shape: [] }] },
        inputs: [valuesOf(rng, dtype, count(shape))],
      };
    },
  },
};

function argCase(op: string) {
  return (rng: Rng, dtype: DType): Built => {
    const shape = randomShape(rng, rng.int(1, 4), 5);
    const axis = rng.int(0, shape.length - 1);
    const q = quantFor(rng, dtype);
    // Few distinct values: ties (the first extreme wins).
    const values = dtype === 'float32' ? Array.from({ length: count(shape) }, () => rng.int(-3, 3) / 2) : rng.ints(count(shape), -3, 3);
    return {
      spec: {
        op, version: dtype === 'int8' ? 2 : 1, options: { outputType: 'int64' },
        inputs: [{ dtype, shape, quantization: q }, { dtype: rng.bool() ? 'int32' : 'int64', shape: [1], data: [axis] }],
        outputs: [{ dtype: 'int64', shape: shape.filter((_, i) => i !== axis) }],
      },
      inputs: [values],
    };
  };
}

registerSeededOpTests(builders, 90000, CASES, stats);

test('STRIDED_SLICE offset (version 8, newer than the official build): end counts from begin, by independent arithmetic', () => {
  const run = (begin: number[], end: number[], strides: number[], opts: Record<string, number | boolean> = {}) => {
    const it = Interpreter.fromBytes(writeModel(singleOpModel({
      op: 'STRIDED_SLICE', version: 8, options: { offset: true, ...opts },
      inputs: [{ dtype: 'float32', shape: [3, 4] }, i32(begin), i32(end), i32(strides)], outputs: [{ dtype: 'float32', shape: [] }],
    })));
    it.setInput(0, [...Array(12).keys()]);
    it.invoke();
    return { shape: it.outputDetails()[0].shape, values: Array.from(it.getOutput(0) as Float32Array) };
  };
  // Rows 1..2 (begin 1, size 2), columns 1..3 (begin 1, size 3): x[1:3, 1:4].
  assert.deepEqual(run([1, 1], [2, 3], [1, 1]), { shape: [2, 3], values: [5, 6, 7, 9, 10, 11] });
  // Negative begin with offset: begin -2 (row 1), one row; every second column from 0 over 4.
  assert.deepEqual(run([-2, 0], [1, 4], [1, 2]), { shape: [1, 2], values: [4, 6] });
  // Shrink with offset: row 2 only.
  assert.deepEqual(run([2, 0], [1, 4], [1, 1], { shrinkAxisMask: 1 }), { shape: [4], values: [8, 9, 10, 11] });
});
