// The rest of the builtins the official runtime registers (first share): SIGN, ATAN2, BROADCAST_ARGS, CUMSUM,
// EMBEDDING_LOOKUP (float, int8 and hybrid int8/uint8 -> float), HASHTABLE_LOOKUP, SCATTER_ND, TOPK_V2,
// DYNAMIC_UPDATE_SLICE, MATRIX_DIAG, MATRIX_SET_DIAG, L2_POOL_2D, LOCAL_RESPONSE_NORMALIZATION, FAKE_QUANT, BUCKETIZE vs the official TFLite runtime (tfjs-tflite): seeded cases with
// odd shapes for every dtype the official build runs, int64 through CASTs at the model's edges. Float within the
// conformance tolerance (|d| <= 1e-5 |ref| + 1e-6), everything else bit-exact.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { DType, Quantization } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { InputError } from '../../src/errors.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { ConformanceStats, Rng, singleOpModel, type OpSpec, type TensorArg } from '../helpers/conformance.js';
import { count, randomQuant, randomShape, randomValues } from '../helpers/op-cases.js';
import { registerSeededOpTests } from '../helpers/int64-edges.js';

/** The ops this file checks against the official runtime (read by the ops table's test). */
export const BUILTINS_A_CONFORMANCE = [
  'SIGN', 'ATAN2', 'BROADCAST_ARGS', 'CUMSUM', 'EMBEDDING_LOOKUP', 'HASHTABLE_LOOKUP', 'SCATTER_ND', 'TOPK_V2',
  'DYNAMIC_UPDATE_SLICE', 'MATRIX_DIAG', 'MATRIX_SET_DIAG', 'L2_POOL_2D', 'LOCAL_RESPONSE_NORMALIZATION', 'FAKE_QUANT',
  'BUCKETIZE', 'CONV_3D', 'CONV_3D_TRANSPOSE',
];

const stats = new ConformanceStats();
after(() => stats.print());

const CASES = 8;
type Built = { spec: OpSpec; inputs: ArrayLike<number>[] };
const i32 = (values: number[], shape = [values.length]): TensorArg => ({ dtype: 'int32', shape, data: values });
const isQ = (dtype: DType) => dtype === 'int8' || dtype === 'uint8' || dtype === 'int16';
const quantFor = (rng: Rng, dtype: DType): Quantization | null => (isQ(dtype) ? randomQuant(rng, dtype) : null);
/** Values of a dtype; int64 ones are given as int32 (they cross the model's edge as int32). */
const valuesOf = (rng: Rng, dtype: DType, n: number): ArrayLike<number> => randomValues(rng, dtype === 'int64' ? 'int32' : dtype, n);

const builders: Record<string, { dtypes: DType[]; build: (rng: Rng, dtype: DType) => Built }> = {
  // int32 SIGN (version 2) is newer than the official build, which leaves the output unwritten: checked below.
  SIGN: {
    dtypes: ['float32'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(0, 4), 5);
      const n = count(shape);
      // Zeros included on purpose.
      const x = Array.from(valuesOf(rng, dtype, n), (v, i) => (i % 4 === 0 ? 0 : v));
      return { spec: { op: 'SIGN', inputs: [{ dtype, shape }], outputs: [{ dtype, shape }] }, inputs: [x] };
    },
  },
  ATAN2: {
    dtypes: ['float32'],
    build(rng) {
      const shape = randomShape(rng, rng.int(0, 4), 5);
      const n = count(shape);
      const y = Array.from(rng.floats(n, -3, 3), (v, i) => (i % 5 === 0 ? 0 : v));
      const x = Array.from(rng.floats(n, -3, 3), (v, i) => (i % 7 === 0 ? 0 : v));
      return { spec: { op: 'ATAN2', inputs: [{ dtype: 'float32', shape }, { dtype: 'float32', shape }], outputs: [{ dtype: 'float32', shape }] }, inputs: [y, x] };
    },
  },
  BROADCAST_ARGS: {
    dtypes: ['int32', 'int64'],
    build(rng, dtype) {
      const out = randomShape(rng, rng.int(1, 5), 6);
      // Shapes of rank 1 or more: the official runtime aborts on an empty shape tensor.
      const shapeLike = () => out.slice(rng.int(0, out.length - 1)).map((d) => (rng.bool(0.4) ? 1 : d));
      let a = shapeLike(), b = shapeLike();
      // Sometimes one of them at the full rank (its leading dims from the broadcast shape, so both still broadcast:
      // the official runtime aborts the process on shapes that do not).
      if (rng.bool()) a = [...out.slice(0, out.length - a.length), ...a];
      else if (rng.bool()) b = [...out.slice(0, out.length - b.length), ...b];
      const rank = Math.max(a.length, b.length);
      // int32 shapes are constants: the official web runner aborts reading a non-constant BROADCAST_ARGS's output
      // (TFLite makes it a dynamic tensor); int64 ones cross the edge through CASTs, whose outputs it reads.
      const shapeArg = (v: number[]): TensorArg => (dtype === 'int32' ? { dtype, shape: [v.length], data: v } : { dtype, shape: [v.length] });
      return {
        spec: { op: 'BROADCAST_ARGS', inputs: [shapeArg(a), shapeArg(b)], outputs: [{ dtype, shape: [rank] }] },
        inputs: dtype === 'int32' ? [] : [a, b],
      };
    },
  },
  CUMSUM: {
    dtypes: ['float32', 'int32', 'int64'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4), 5);
      const axis = rng.int(-shape.length, shape.length - 1);
      return {
        spec: {
          op: 'CUMSUM', options: { exclusive: rng.bool(), reverse: rng.bool() },
          inputs: [{ dtype, shape }, i32([axis], [])], outputs: [{ dtype, shape }],
        },
        inputs: [valuesOf(rng, dtype, count(shape))],
      };
    },
  },
  EMBEDDING_LOOKUP: {
    // 'int8' here: an int8 table with a float32 output (hybrid); 'uint8' likewise (its bytes read as int8, as
    // TFLite's hybrid lookup does); float32 copies rows.
    dtypes: ['float32', 'int8', 'uint8'],
    build(rng, dtype) {
      const rows = rng.int(1, 6);
      const inner = randomShape(rng, rng.int(1, 2), 4);
      const tshape = [rows, ...inner];
      const ids = rng.int(1, 6);
      const hybrid = dtype === 'int8' || dtype === 'uint8';
      const perRow = false;
      const q: Quantization | null = hybrid
        ? { scale: Array.from({ length: perRow ? rows : 1 }, () => Math.fround(rng.float(0.001, 0.1))), zeroPoint: new Array(perRow ? rows : 1).fill(0), quantizedDimension: 0 }
        : null;
      const constant = rng.bool();
      const table: TensorArg = { dtype, shape: tshape, quantization: q, ...(constant ? { data: Array.from(valuesOf(rng, dtype, count(tshape))) } : {}) };
      const outDtype: DType = hybrid ? 'float32' : dtype;
      return {
        spec: { op: 'EMBEDDING_LOOKUP', version: dtype === 'int8' ? 2 : 1, inputs: [{ dtype: 'int32', shape: [ids] }, table], outputs: [{ dtype: outDtype, shape: [ids, ...inner] }] },
        inputs: [rng.ints(ids, 0, rows - 1), ...(constant ? [] : [valuesOf(rng, dtype, count(tshape))])],
      };
    },
  },
  HASHTABLE_LOOKUP: {
    dtypes: ['float32', 'int32', 'uint8'],
    build(rng, dtype) {
      const nKeys = rng.int(1, 7);
      const keys = [...new Set(rng.ints(nKeys * 2, -20, 20))].slice(0, nKeys).sort((a, b) => a - b);
      const inner = randomShape(rng, rng.int(0, 2), 3);
      const vshape = [keys.length, ...inner];
      const lookups = rng.int(1, 8);
      // Half the lookups hit a key, the others miss (zeros, hit 0).
      const lookup = Array.from({ length: lookups }, () => (rng.bool() ? keys[rng.int(0, keys.length - 1)] : rng.int(-25, 25)));
      return {
        spec: {
          op: 'HASHTABLE_LOOKUP',
          inputs: [{ dtype: 'int32', shape: [lookups] }, i32(keys), { dtype, shape: vshape, data: Array.from(valuesOf(rng, dtype, count(vshape))) }],
          outputs: [{ dtype, shape: [lookups, ...inner] }, { dtype: 'uint8', shape: [lookups] }],
        },
        inputs: [lookup],
      };
    },
  },
  SCATTER_ND: {
    dtypes: ['float32', 'int32', 'int8', 'int64'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 3), 4);
      const k = rng.int(1, shape.length);
      const tuples = rng.int(1, 6);
      // Tuples may repeat: their updates add up.
      const idx = Array.from({ length: tuples }, () => shape.slice(0, k).map((d) => rng.int(0, d - 1))).flat();
      const ushape = [tuples, ...shape.slice(k)];
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'SCATTER_ND',
          inputs: [{ dtype: 'int32', shape: [tuples, k] }, { dtype, shape: ushape, quantization: q }, i32(shape)],
          outputs: [{ dtype, shape, quantization: q }],
        },
        inputs: [idx, dtype === 'int8' ? rng.ints(count(ushape), -60, 60) : valuesOf(rng, dtype, count(ushape))],
      };
    },
  },
  TOPK_V2: {
    dtypes: ['float32', 'int8', 'uint8', 'int32', 'int64'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 3), 6);
      const n = shape[shape.length - 1];
      // k >= 1: the official runner fails on empty outputs (k = 0 is checked below by arithmetic).
      const k = rng.int(1, n);
      const q = quantFor(rng, dtype);
      const vals = Array.from(valuesOf(rng, dtype, count(shape)));
      // Ties: a few repeated values, ordered by index in the official runtime.
      for (let i = 1; i < vals.length; i += 3) vals[i] = vals[i - 1];
      return {
        spec: {
          op: 'TOPK_V2', version: dtype === 'int8' || dtype === 'uint8' ? 2 : 1,
          inputs: [{ dtype, shape, quantization: q }, i32([k], [])],
          outputs: [{ dtype, shape: [...shape.slice(0, -1), k], quantization: q }, { dtype: 'int32', shape: [...shape.slice(0, -1), k] }],
        },
        inputs: [vals],
      };
    },
  },
  DYNAMIC_UPDATE_SLICE: {
    dtypes: ['float32', 'int8', 'int32', 'int64', 'bool'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4), 5);
      const ushape = shape.map((d) => rng.int(1, d));
      // Starts beyond the bounds (negative, too large) are clamped.
      const starts = shape.map((d) => rng.int(-2, d + 1));
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'DYNAMIC_UPDATE_SLICE',
          inputs: [{ dtype, shape, quantization: q }, { dtype, shape: ushape, quantization: q }, { dtype: 'int32', shape: [shape.length] }],
          outputs: [{ dtype, shape, quantization: q }],
        },
        inputs: [valuesOf(rng, dtype, count(shape)), valuesOf(rng, dtype, count(ushape)), starts],
      };
    },
  },
  MATRIX_DIAG: {
    dtypes: ['float32', 'int8', 'uint8', 'int32', 'int64'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 3), 4);
      const q = quantFor(rng, dtype);
      return {
        spec: { op: 'MATRIX_DIAG', inputs: [{ dtype, shape, quantization: q }], outputs: [{ dtype, shape: [...shape, shape[shape.length - 1]], quantization: q }] },
        inputs: [valuesOf(rng, dtype, count(shape))],
      };
    },
  },
  MATRIX_SET_DIAG: {
    dtypes: ['float32', 'int8', 'uint8', 'int32', 'int64'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(2, 4), 4);
      const [m, n] = shape.slice(-2);
      const dshape = [...shape.slice(0, -2), Math.min(m, n)];
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'MATRIX_SET_DIAG',
          inputs: [{ dtype, shape, quantization: q }, { dtype, shape: dshape, quantization: q }],
          outputs: [{ dtype, shape, quantization: q }],
        },
        inputs: [valuesOf(rng, dtype, count(shape)), valuesOf(rng, dtype, count(dshape))],
      };
    },
  },
  L2_POOL_2D: {
    dtypes: ['float32'],
    build(rng) {
      const shape = [rng.int(1, 2), rng.int(1, 7), rng.int(1, 7), rng.int(1, 4)];
      const fh = rng.int(1, 3), fw = rng.int(1, 3), sh = rng.int(1, 3), sw = rng.int(1, 3);
      const padding = rng.bool() || fh > shape[1] || fw > shape[2] ? 'SAME' : 'VALID';
      const outSize = (n: number, k: number, st: number) => (padding === 'SAME' ? Math.ceil(n / st) : Math.floor((n - k + st) / st));
      const fusedActivationFunction = rng.pick(['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1']);
      return {
        spec: {
          op: 'L2_POOL_2D', options: { padding, strideH: sh, strideW: sw, filterHeight: fh, filterWidth: fw, fusedActivationFunction },
          inputs: [{ dtype: 'float32', shape }], outputs: [{ dtype: 'float32', shape: [shape[0], outSize(shape[1], fh, sh), outSize(shape[2], fw, sw), shape[3]] }],
        },
        inputs: [rng.floats(count(shape), -3, 3)],
      };
    },
  },
  LOCAL_RESPONSE_NORMALIZATION: {
    dtypes: ['float32'],
    build(rng) {
      const shape = [rng.int(1, 2), rng.int(1, 4), rng.int(1, 4), rng.int(1, 9)];
      const options = { radius: rng.int(0, 4), bias: rng.float(0.5, 2), alpha: rng.float(0.0001, 1), beta: rng.float(0.25, 1) };
      return {
        spec: { op: 'LOCAL_RESPONSE_NORMALIZATION', options, inputs: [{ dtype: 'float32', shape }], outputs: [{ dtype: 'float32', shape }] },
        inputs: [rng.floats(count(shape), -3, 3)],
      };
    },
  },
  FAKE_QUANT: {
    dtypes: ['float32'],
    build(rng) {
      const shape = randomShape(rng, rng.int(1, 3), 6);
      const min = rng.float(-3, 0.5), max = min + rng.float(0.1, 5);
      // narrow_range is refused by the official runtime (and by ours): only weights use it.
      const options = { min, max, numBits: rng.pick([2, 4, 8, 8, 16]), narrowRange: false };
      return {
        spec: { op: 'FAKE_QUANT', options, inputs: [{ dtype: 'float32', shape }], outputs: [{ dtype: 'float32', shape }] },
        inputs: [rng.floats(count(shape), -4, 4)],
      };
    },
  },
  BUCKETIZE: {
    dtypes: ['float32', 'int32'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 3), 6);
      const boundaries = [...rng.floats(rng.int(0, 6), -3, 3)].map((b) => (dtype === 'int32' && rng.bool() ? Math.round(b) : b)).sort((a, b) => a - b);
      // Some values equal to a boundary (they go to the bucket above it).
      const x = Array.from(valuesOf(rng, dtype, count(shape)), (v, i) => {
        const onBoundary = i % 4 === 0 && boundaries.length > 0 ? boundaries[i % boundaries.length] : null;
        return dtype === 'int32' ? Math.round(onBoundary ?? Number(v) / 30) : onBoundary ?? v;
      });
      return {
        spec: { op: 'BUCKETIZE', options: { boundaries }, inputs: [{ dtype, shape }], outputs: [{ dtype: 'int32', shape }] },
        inputs: [x],
      };
    },
  },
  CONV_3D: {
    dtypes: ['float32'],
    build(rng) {
      const inShape = [1, rng.int(1, 4), rng.int(1, 5), rng.int(1, 5), rng.int(1, 3)];
      const k = [rng.int(1, 2), rng.int(1, 3), rng.int(1, 3)];
      const outC = rng.int(1, 3);
      const strides = [rng.int(1, 2), rng.int(1, 2), rng.int(1, 2)];
      const dil = rng.bool(0.3) ? [1, rng.int(1, 2), rng.int(1, 2)] : [1, 1, 1];
      const fits = k.every((kk, i) => (kk - 1) * dil[i] + 1 <= inShape[i + 1]);
      const padding = rng.bool() || !fits ? 'SAME' : 'VALID';
      const size = (n: number, kk: number, st: number, d: number) => (padding === 'SAME' ? Math.ceil(n / st) : Math.floor((n - ((kk - 1) * d + 1) + st) / st));
      const outShape = [1, ...[0, 1, 2].map((i) => size(inShape[i + 1], k[i], strides[i], dil[i])), outC];
      const fshape = [...k, inShape[4], outC];
      const withBias = rng.bool();
      return {
        spec: {
          op: 'CONV_3D',
          options: {
            padding, strideD: strides[0], strideH: strides[1], strideW: strides[2],
            dilationDFactor: dil[0], dilationHFactor: dil[1], dilationWFactor: dil[2],
            fusedActivationFunction: rng.pick(['NONE', 'RELU', 'RELU6']),
          },
          inputs: [{ dtype: 'float32', shape: inShape }, { dtype: 'float32', shape: fshape, data: Array.from(rng.floats(count(fshape), -1, 1)) },
            ...(withBias ? [{ dtype: 'float32' as DType, shape: [outC], data: Array.from(rng.floats(outC, -1, 1)) }] : [])],
          outputs: [{ dtype: 'float32', shape: outShape }],
        },
        inputs: [rng.floats(count(inShape), -2, 2)],
      };
    },
  },
  CONV_3D_TRANSPOSE: {
    dtypes: ['float32'],
    build(rng) {
      const inShape = [1, rng.int(1, 3), rng.int(1, 4), rng.int(1, 4), rng.int(1, 3)];
      const k = [rng.int(1, 2), rng.int(1, 3), rng.int(1, 3)];
      const outC = rng.int(1, 3);
      const strides = [rng.int(1, 2), rng.int(1, 2), rng.int(1, 2)];
      const padding = rng.pick(['SAME', 'VALID']);
      // The output size whose forward convolution gives the input size.
      const outSize = (n: number, kk: number, st: number) => (padding === 'SAME' ? n * st : (n - 1) * st + kk);
      const outShape = [1, ...[0, 1, 2].map((i) => outSize(inShape[i + 1], k[i], strides[i])), outC];
      const fshape = [...k, outC, inShape[4]];
      const withBias = rng.bool();
      return {
        spec: {
          op: 'CONV_3D_TRANSPOSE',
          options: { padding, strideD: strides[0], strideH: strides[1], strideW: strides[2], fusedActivationFunction: rng.pick(['NONE', 'RELU']) },
          inputs: [i32(outShape), { dtype: 'float32', shape: fshape, data: Array.from(rng.floats(count(fshape), -1, 1)) },
            { dtype: 'float32', shape: inShape },
            ...(withBias ? [{ dtype: 'float32' as DType, shape: [outC], data: Array.from(rng.floats(outC, -1, 1)) }] : [])],
          outputs: [{ dtype: 'float32', shape: outShape }],
        },
        inputs: [rng.floats(count(inShape), -2, 2)],
      };
    },
  },
};

registerSeededOpTests(builders, 120000, CASES, stats);

// ---------------------------------------------------------------- facts by independent arithmetic

function runOne(spec: OpSpec, inputs: ArrayLike<number>[]) {
  const it = Interpreter.fromBytes(writeModel(singleOpModel(spec)));
  inputs.forEach((v, k) => it.setInput(k, v));
  it.invoke();
  return it.outputDetails().map((_, k) => Array.from(it.getOutput(k) as ArrayLike<number>, Number));
}

test('CUMSUM by independent arithmetic: [1, 2, 3, 4] inclusive, exclusive, reversed', () => {
  const spec = (exclusive: boolean, reverse: boolean): OpSpec => ({
    op: 'CUMSUM', options: { exclusive, reverse }, inputs: [{ dtype: 'int32', shape: [4] }, i32([0], [])], outputs: [{ dtype: 'int32', shape: [4] }],
  });
  assert.deepEqual(runOne(spec(false, false), [[1, 2, 3, 4]])[0], [1, 3, 6, 10]);
  assert.deepEqual(runOne(spec(true, false), [[1, 2, 3, 4]])[0], [0, 1, 3, 6]);
  assert.deepEqual(runOne(spec(false, true), [[1, 2, 3, 4]])[0], [10, 9, 7, 4]);
  assert.deepEqual(runOne(spec(true, true), [[1, 2, 3, 4]])[0], [9, 7, 4, 0]);
});

test('TOPK_V2 by independent arithmetic: ties keep the lower index first', () => {
  const spec: OpSpec = {
    op: 'TOPK_V2', inputs: [{ dtype: 'float32', shape: [5] }, i32([3], [])],
    outputs: [{ dtype: 'float32', shape: [3] }, { dtype: 'int32', shape: [3] }],
  };
  assert.deepEqual(runOne(spec, [[1, 5, 3, 5, 0]]), [[5, 5, 3], [1, 3, 2]]);
  const none: OpSpec = { ...spec, inputs: [spec.inputs[0], i32([0], [])], outputs: [{ dtype: 'float32', shape: [0] }, { dtype: 'int32', shape: [0] }] };
  assert.deepEqual(runOne(none, [[1, 5, 3, 5, 0]]), [[], []]);
});

test('SIGN int32 (version 2, newer than the official build) by independent arithmetic', () => {
  const spec: OpSpec = { op: 'SIGN', version: 2, inputs: [{ dtype: 'int32', shape: [5] }], outputs: [{ dtype: 'int32', shape: [5] }] };
  assert.deepEqual(runOne(spec, [[-7, 0, 3, -2147483648, 2147483647]])[0], [-1, 0, 1, -1, 1]);
});

test('DYNAMIC_UPDATE_SLICE by independent arithmetic: starts are clamped so the update fits', () => {
  const spec: OpSpec = {
    op: 'DYNAMIC_UPDATE_SLICE', inputs: [{ dtype: 'float32', shape: [5] }, { dtype: 'float32', shape: [2] }, { dtype: 'int32', shape: [1] }],
    outputs: [{ dtype: 'float32', shape: [5] }],
  };
  assert.deepEqual(runOne(spec, [[0, 1, 2, 3, 4], [8, 9], [4]])[0], [0, 1, 2, 8, 9]);
  assert.deepEqual(runOne(spec, [[0, 1, 2, 3, 4], [8, 9], [-3]])[0], [8, 9, 2, 3, 4]);
});

test('SCATTER_ND by independent arithmetic: repeated indices add up', () => {
  const spec: OpSpec = {
    op: 'SCATTER_ND', inputs: [{ dtype: 'int32', shape: [3, 1] }, { dtype: 'float32', shape: [3] }, i32([5])], outputs: [{ dtype: 'float32', shape: [5] }],
  };
  assert.deepEqual(runOne(spec, [[1, 3, 1], [10, 20, 5]])[0], [0, 15, 0, 20, 0]);
});

test('out-of-range ids and indices fail the invoke with the tensor named (EMBEDDING_LOOKUP, SCATTER_ND)', () => {
  const emb = Interpreter.fromBytes(writeModel(singleOpModel({
    op: 'EMBEDDING_LOOKUP', inputs: [{ name: 'ids', dtype: 'int32', shape: [1] }, { dtype: 'float32', shape: [2, 2], data: [1, 2, 3, 4] }],
    outputs: [{ dtype: 'float32', shape: [1, 2] }],
  })));
  emb.setInput(0, [2]);
  assert.throws(() => emb.invoke(), (e: Error) => e instanceof InputError && /id 2 in 'ids'/.test(e.message));
  const sc = Interpreter.fromBytes(writeModel(singleOpModel({
    op: 'SCATTER_ND', inputs: [{ name: 'idx', dtype: 'int32', shape: [1, 1] }, { dtype: 'float32', shape: [1] }, i32([3])],
    outputs: [{ dtype: 'float32', shape: [3] }],
  })));
  sc.setInput(0, [3]);
  sc.setInput(1, [1]);
  assert.throws(() => sc.invoke(), (e: Error) => e instanceof InputError && /'idx'/.test(e.message));
});
