// The builtins TF graphs bring that the interpreter gained for them (ONE_HOT, MIRROR_PAD, DEPTH_TO_SPACE,
// SPACE_TO_DEPTH, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, FILL, ZEROS_LIKE, RANGE, FLOOR_DIV, FLOOR_MOD, POW, SELECT,
// SELECT_V2, LOGICAL_*, ADD_N, GATHER_ND) vs the official TFLite runtime: seeded cases with odd shapes for every
// dtype the official build runs, int64 through CASTs at the model's edges. Float within the conformance tolerance,
// everything else bit-exact. Dtypes the official build (~TF 2.10) lacks are checked by independent arithmetic below.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { DType, Quantization } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { InputError, UnsupportedError } from '../../src/errors.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { ConformanceStats, Rng, runReference, singleOpModel, type OpSpec, type TensorArg } from '../helpers/conformance.js';
import { count, randomQuant, randomShape, randomValues } from '../helpers/op-cases.js';
import { registerSeededOpTests } from '../helpers/int64-edges.js';

const stats = new ConformanceStats();
after(() => stats.print());

const CASES = 10;
type Built = { spec: OpSpec; inputs: ArrayLike<number>[] };
const i32 = (values: number[], shape = [values.length]): TensorArg => ({ dtype: 'int32', shape, data: values });
const isQ = (dtype: DType) => dtype === 'int8' || dtype === 'uint8' || dtype === 'int16';
/** Quantization for a value dtype (8/16-bit only), shared by the op's inputs and output where TFLite copies raw. */
const quantFor = (rng: Rng, dtype: DType): Quantization | null => (isQ(dtype) ? randomQuant(rng, dtype) : null);
/** Values of a dtype; int64 ones are given as int32 (they cross the model's edge as int32). */
const valuesOf = (rng: Rng, dtype: DType, n: number): ArrayLike<number> => randomValues(rng, dtype === 'int64' ? 'int32' : dtype, n);
/** Versions the converter writes (op_version.cc) for the dtype, per op. */
const versionOf = (table: Partial<Record<DType, number>>, dtype: DType) => table[dtype] ?? 1;

const builders: Record<string, { dtypes: DType[]; build: (rng: Rng, dtype: DType) => Built }> = {
  ONE_HOT: {
    dtypes: ['float32', 'int32', 'int8', 'uint8', 'bool', 'int64'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(0, 3), 4);
      const depth = rng.int(1, 5);
      const axis = rng.int(-1, shape.length);
      const out = shape.slice();
      out.splice(axis === -1 ? shape.length : axis, 0, depth);
      const q = quantFor(rng, dtype);
      const indexType: DType = rng.bool(0.3) ? 'int64' : 'int32';
      const [on, off] = valuesOf(rng, dtype, 2) as number[];
      const constant = rng.bool();
      return {
        spec: {
          op: 'ONE_HOT', options: { axis },
          inputs: [{ dtype: indexType, shape }, i32([depth], []),
            constant ? { dtype, shape: [], quantization: q, data: [on] } : { dtype, shape: [], quantization: q },
            constant ? { dtype, shape: [], quantization: q, data: [off] } : { dtype, shape: [], quantization: q }],
          outputs: [{ dtype, shape: out, quantization: q }],
        },
        // Indices from -1 to depth: the out-of-range ones make rows of off values.
        inputs: [rng.ints(count(shape), -1, depth), ...(constant ? [] : [[on], [off]])],
      };
    },
  },
  MIRROR_PAD: {
    dtypes: ['float32', 'int8', 'uint8', 'int32', 'int64'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4), 5);
      const mode = rng.pick(['REFLECT', 'SYMMETRIC']);
      const pads = shape.flatMap((d) => [0, 0].map(() => rng.int(0, mode === 'REFLECT' ? d - 1 : d)));
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'MIRROR_PAD', version: versionOf({ int8: 2, int16: 3 }, dtype), options: { mode },
          inputs: [{ dtype, shape, quantization: q }, { dtype: rng.bool() ? 'int32' : 'int64', shape: [shape.length, 2], data: pads }],
          outputs: [{ dtype, shape: shape.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]), quantization: q }],
        },
        inputs: [valuesOf(rng, dtype, count(shape))],
      };
    },
  },
  DEPTH_TO_SPACE: {
    dtypes: ['float32', 'int8', 'uint8', 'int32', 'int64'],
    build(rng, dtype) {
      const b = rng.int(1, 3);
      const shape = [rng.int(1, 2), rng.int(1, 4), rng.int(1, 4), b * b * rng.int(1, 3)];
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'DEPTH_TO_SPACE', version: versionOf({ int8: 2 }, dtype), options: { blockSize: b },
          inputs: [{ dtype, shape, quantization: q }],
          outputs: [{ dtype, shape: [shape[0], shape[1] * b, shape[2] * b, shape[3] / (b * b)], quantization: q }],
        },
        inputs: [valuesOf(rng, dtype, count(shape))],
      };
    },
  },
  SPACE_TO_DEPTH: {
    dtypes: ['float32', 'int8', 'uint8', 'int32', 'int64'],
    build(rng, dtype) {
      const b = rng.int(1, 3);
      const shape = [rng.int(1, 2), b * rng.int(1, 3), b * rng.int(1, 3), rng.int(1, 3)];
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'SPACE_TO_DEPTH', version: versionOf({ int8: 2 }, dtype), options: { blockSize: b },
          inputs: [{ dtype, shape, quantization: q }],
          outputs: [{ dtype, shape: [shape[0], shape[1] / b, shape[2] / b, shape[3] * b * b], quantization: q }],
        },
        inputs: [valuesOf(rng, dtype, count(shape))],
      };
    },
  },
  SPACE_TO_BATCH_ND: {
    dtypes: ['float32', 'int8', 'uint8'],
    build(rng, dtype) {
      const m = rng.int(1, 2);
      const block = Array.from({ length: m }, () => rng.int(1, 3));
      const pads: number[] = [];
      const spatial = block.map((bk) => {
        const before = rng.int(0, 2);
        const size = rng.int(1, 5);
        const after = (bk - ((before + size) % bk)) % bk + bk * rng.int(0, 1);
        pads.push(before, after);
        return size;
      });
      const shape = [rng.int(1, 2), ...spatial, rng.int(1, 3)];
      const out = shape.slice();
      out[0] *= block.reduce((a, v) => a * v, 1);
      for (let i = 0; i < m; i++) out[i + 1] = (shape[i + 1] + pads[2 * i] + pads[2 * i + 1]) / block[i];
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'SPACE_TO_BATCH_ND', version: shape.length !== 4 ? 3 : versionOf({ int8: 2 }, dtype),
          inputs: [{ dtype, shape, quantization: q }, i32(block), i32(pads, [m, 2])],
          outputs: [{ dtype, shape: out, quantization: q }],
        },
        inputs: [valuesOf(rng, dtype, count(shape))],
      };
    },
  },
  BATCH_TO_SPACE_ND: {
    dtypes: ['float32', 'int8', 'uint8'],
    build(rng, dtype) {
      const m = rng.int(1, 2);
      const block = Array.from({ length: m }, () => rng.int(1, 3));
      const spatial = block.map(() => rng.int(1, 4));
      const crops = block.flatMap((bk, i) => {
        const full = spatial[i] * bk;
        const before = rng.int(0, Math.min(2, full - 1));
        return [before, rng.int(0, Math.min(2, full - 1 - before))];
      });
      const shape = [rng.int(1, 2) * block.reduce((a, v) => a * v, 1), ...spatial, rng.int(1, 3)];
      const out = shape.slice();
      out[0] = shape[0] / block.reduce((a, v) => a * v, 1);
      for (let i = 0; i < m; i++) out[i + 1] = spatial[i] * block[i] - crops[2 * i] - crops[2 * i + 1];
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'BATCH_TO_SPACE_ND', version: shape.length !== 4 ? 3 : versionOf({ int8: 2 }, dtype),
          inputs: [{ dtype, shape, quantization: q }, i32(block), i32(crops, [m, 2])],
          outputs: [{ dtype, shape: out, quantization: q }],
        },
        inputs: [valuesOf(rng, dtype, count(shape))],
      };
    },
  },
  FILL: {
    dtypes: ['float32', 'int32', 'bool', 'int8', 'int16', 'int64'],
    build(rng, dtype) {
      // Rank 0 (empty dims) is checked below: the official runtime sees an empty constant as missing data and
      // makes the output dynamic, which its runner does not read back.
      const dims = randomShape(rng, rng.int(1, 4), 4);
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'FILL', version: versionOf({ int8: 3, int16: 3, bool: 2 }, dtype),
          inputs: [{ dtype: rng.bool() ? 'int32' : 'int64', shape: [dims.length], data: dims }, { dtype, shape: [], quantization: q }],
          outputs: [{ dtype, shape: dims, quantization: q }],
        },
        inputs: [valuesOf(rng, dtype, 1)],
      };
    },
  },
  ZEROS_LIKE: {
    dtypes: ['float32', 'int32', 'int64'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(0, 4), 5);
      return { spec: { op: 'ZEROS_LIKE', inputs: [{ dtype, shape }], outputs: [{ dtype, shape }] }, inputs: [valuesOf(rng, dtype, count(shape))] };
    },
  },
  RANGE: {
    dtypes: ['float32', 'int32'],
    build(rng, dtype) {
      const isFloat = dtype === 'float32';
      const start = isFloat ? Math.fround(rng.float(-20, 20)) : rng.int(-20, 20);
      const delta = isFloat ? Math.fround(rng.pick([0.1, 0.25, 0.3, 1, 2.5, 7]) * (rng.bool() ? 1 : -1)) : rng.pick([1, 2, 3, 7, -1, -2, -5]);
      const steps = rng.int(0, 60);
      const limit = isFloat ? Math.fround(start + delta * steps + rng.float(0, Math.abs(delta)) * Math.sign(delta)) : start + delta * steps + rng.int(0, Math.abs(delta) - 1) * Math.sign(delta);
      const f = Math.fround;
      const len = isFloat ? Math.ceil(Math.abs(f(f(limit - start) / delta))) : Math.ceil(Math.abs(limit - start) / Math.abs(delta));
      const scalar = (v: number): TensorArg => ({ dtype, shape: [], data: [v] });
      return { spec: { op: 'RANGE', inputs: [scalar(start), scalar(limit), scalar(delta)], outputs: [{ dtype, shape: [len] }] }, inputs: [] };
    },
  },
  FLOOR_DIV: { dtypes: ['float32', 'int32'], build: divModCase('FLOOR_DIV') },
  FLOOR_MOD: { dtypes: ['float32', 'int32', 'int64'], build: divModCase('FLOOR_MOD') },
  POW: {
    dtypes: ['float32', 'int32'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4), 4);
      const sb = broadcastTo(rng, shape);
      const n = count(shape);
      if (dtype === 'int32') {
        // Exponents up to 33 overflow int32 for bases beyond ±1: the official runtime's -2^31 is checked too.
        return {
          spec: { op: 'POW', inputs: [{ dtype, shape }, { dtype, shape: sb }], outputs: [{ dtype, shape }] },
          inputs: [rng.ints(n, -5, 5), rng.ints(count(sb), 0, rng.bool() ? 6 : 33)],
        };
      }
      // Positive bases with any exponent, and negative bases with integer exponents (NaN otherwise, as pow).
      const base = Array.from({ length: n }, () => (rng.bool(0.7) ? rng.float(0.01, 4) : -rng.int(0, 4)));
      const exp = Array.from({ length: count(sb) }, () => (rng.bool(0.5) ? rng.float(-3, 3) : rng.int(-3, 4)));
      return { spec: { op: 'POW', inputs: [{ dtype, shape }, { dtype, shape: sb }], outputs: [{ dtype, shape }] }, inputs: [base, exp] };
    },
  },
  SELECT: {
    dtypes: ['float32', 'int32', 'int8', 'uint8', 'int16', 'bool', 'int64'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4), 4);
      const form = rng.int(0, 2);
      const cs = form === 0 ? shape : form === 1 ? [] : [shape[0]];
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'SELECT', version: versionOf({ int8: 2 }, dtype),
          inputs: [{ dtype: 'bool', shape: cs }, { dtype, shape, quantization: q }, { dtype, shape, quantization: q }],
          outputs: [{ dtype, shape, quantization: q }],
        },
        inputs: [rng.ints(count(cs), 0, 1), valuesOf(rng, dtype, count(shape)), valuesOf(rng, dtype, count(shape))],
      };
    },
  },
  SELECT_V2: {
    dtypes: ['float32', 'int8', 'uint8', 'int16', 'bool', 'int64'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4), 4);
      const [cs, xs, ys] = [0, 1, 2].map(() => broadcastTo(rng, shape));
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'SELECT_V2',
          inputs: [{ dtype: 'bool', shape: cs }, { dtype, shape: xs, quantization: q }, { dtype, shape: ys, quantization: q }],
          outputs: [{ dtype, shape, quantization: q }],
        },
        inputs: [rng.ints(count(cs), 0, 1), valuesOf(rng, dtype, count(xs)), valuesOf(rng, dtype, count(ys))],
      };
    },
  },
  LOGICAL_AND: { dtypes: ['bool'], build: logicalCase('LOGICAL_AND') },
  LOGICAL_OR: { dtypes: ['bool'], build: logicalCase('LOGICAL_OR') },
  LOGICAL_NOT: {
    dtypes: ['bool'],
    build(rng) {
      const shape = randomShape(rng, rng.int(0, 4), 5);
      return { spec: { op: 'LOGICAL_NOT', inputs: [{ dtype: 'bool', shape }], outputs: [{ dtype: 'bool', shape }] }, inputs: [rng.ints(count(shape), 0, 1)] };
    },
  },
  ADD_N: {
    dtypes: ['float32', 'int32'],
    build(rng, dtype) {
      const shape = randomShape(rng, rng.int(0, 4), 5);
      const n = rng.int(2, 5);
      return {
        spec: { op: 'ADD_N', inputs: Array.from({ length: n }, () => ({ dtype, shape })), outputs: [{ dtype, shape }] },
        inputs: Array.from({ length: n }, () => (dtype === 'int32' ? rng.ints(count(shape), -(2 ** 30), 2 ** 30) : valuesOf(rng, dtype, count(shape)))),
      };
    },
  },
  GATHER_ND: {
    dtypes: ['float32', 'int8', 'uint8', 'int16', 'int32', 'int64'],
    build(rng, dtype) {
      const params = randomShape(rng, rng.int(1, 4), 4);
      const k = rng.int(1, params.length);
      const lead = randomShape(rng, rng.int(0, 2), 3);
      const tuples = count(lead);
      const idx: number[] = [];
      for (let t = 0; t < tuples; t++) for (let d = 0; d < k; d++) idx.push(rng.int(0, params[d] - 1));
      const q = quantFor(rng, dtype);
      return {
        spec: {
          op: 'GATHER_ND', version: versionOf({ int16: 3 }, dtype),
          inputs: [{ dtype, shape: params, quantization: q }, { dtype: rng.bool(0.3) ? 'int64' : 'int32', shape: [...lead, k] }],
          outputs: [{ dtype, shape: [...lead, ...params.slice(k)], quantization: q }],
        },
        inputs: [valuesOf(rng, dtype, count(params)), idx],
      };
    },
  },
};

/** A shape that broadcasts to `shape` (leading dims dropped, some set to 1). */
function broadcastTo(rng: Rng, shape: number[]): number[] {
  const drop = rng.bool(0.3) ? rng.int(0, shape.length) : 0;
  return shape.slice(drop).map((d) => (rng.bool(0.3) ? 1 : d));
}

function divModCase(op: string) {
  return (rng: Rng, dtype: DType): Built => {
    const shape = randomShape(rng, rng.int(1, 4), 4);
    const sb = broadcastTo(rng, shape);
    const nonZero = (n: number) => Array.from({ length: n }, () => {
      const v = dtype === 'float32' ? rng.float(-5, 5) : rng.int(-9, 9);
      return v === 0 ? 3 : v;
    });
    const dividend = dtype === 'float32' ? Array.from(rng.floats(count(shape), -30, 30)) : rng.ints(count(shape), -50, 50);
    return {
      spec: { op, version: op === 'FLOOR_DIV' && dtype === 'float32' ? 2 : 1, inputs: [{ dtype, shape }, { dtype, shape: sb }], outputs: [{ dtype, shape }] },
      inputs: [dividend, nonZero(count(sb))],
    };
  };
}

function logicalCase(op: string) {
  return (rng: Rng): Built => {
    const shape = randomShape(rng, rng.int(1, 4), 4);
    const sb = broadcastTo(rng, shape);
    return {
      spec: { op, inputs: [{ dtype: 'bool', shape }, { dtype: 'bool', shape: sb }], outputs: [{ dtype: 'bool', shape }] },
      inputs: [rng.ints(count(shape), 0, 1), rng.ints(count(sb), 0, 1)],
    };
  };
}

registerSeededOpTests(builders, 70000, CASES, stats);

// ---------------------------------------------------------------- independent arithmetic

/** Run a one-op model in our interpreter; inputs in order, outputs as plain arrays (bigints as numbers). */
function runOurs(spec: OpSpec, inputs: ArrayLike<number | bigint>[]): { shape: number[]; values: number[] }[] {
  const it = Interpreter.fromBytes(writeModel(singleOpModel(spec)));
  inputs.forEach((v, k) => it.setInput(k, v as ArrayLike<number>));
  it.invoke();
  return it.outputDetails().map((d, k) => ({ shape: d.shape, values: Array.from(it.getOutput(k) as ArrayLike<number | bigint>, Number) }));
}

test('MIRROR_PAD by independent arithmetic: numpy.pad reflect / symmetric on [1, 2, 3] and a 2-D case', () => {
  const pad = (mode: string, shape: number[], pads: number[], x: number[]) =>
    runOurs({
      op: 'MIRROR_PAD', options: { mode }, inputs: [{ dtype: 'float32', shape }, i32(pads, [shape.length, 2])],
      outputs: [{ dtype: 'float32', shape: shape.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]) }],
    }, [x])[0].values;
  assert.deepEqual(pad('REFLECT', [3], [2, 2], [1, 2, 3]), [3, 2, 1, 2, 3, 2, 1]);
  assert.deepEqual(pad('SYMMETRIC', [3], [3, 3], [1, 2, 3]), [3, 2, 1, 1, 2, 3, 3, 2, 1]);
  assert.deepEqual(pad('REFLECT', [2, 2], [1, 0, 0, 1], [1, 2, 3, 4]), [3, 4, 3, 1, 2, 1, 3, 4, 3]);
});

test('MIRROR_PAD int16 (not in the official build: it refuses version 3) equals the float32 result on the same values', async () => {
  const rng = new Rng(515);
  for (let c = 0; c < 6; c++) {
    const shape = randomShape(rng, rng.int(1, 3), 4);
    const mode = rng.pick(['REFLECT', 'SYMMETRIC']);
    const pads = shape.flatMap((d) => [0, 0].map(() => rng.int(0, mode === 'REFLECT' ? d - 1 : d)));
    const out = shape.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]);
    const x = rng.ints(count(shape), -32768, 32767);
    const spec = (dtype: DType): OpSpec => ({
      op: 'MIRROR_PAD', version: dtype === 'int16' ? 3 : 1, options: { mode },
      inputs: [{ dtype, shape, quantization: dtype === 'int16' ? { scale: [0.001], zeroPoint: [0], quantizedDimension: 0 } : null }, i32(pads, [shape.length, 2])],
      outputs: [{ dtype, shape: out, quantization: dtype === 'int16' ? { scale: [0.001], zeroPoint: [0], quantizedDimension: 0 } : null }],
    });
    const [ref] = await runReference(writeModel(singleOpModel(spec('float32'))), [x]);
    assert.deepEqual(runOurs(spec('int16'), [x])[0].values, Array.from(ref.data));
  }
});

test('ONE_HOT int16 (the official build fails it at invoke) by independent arithmetic', () => {
  const [r] = runOurs({
    op: 'ONE_HOT', options: { axis: 0 },
    inputs: [{ dtype: 'int32', shape: [3] }, i32([3], []), { dtype: 'int16', shape: [], data: [-300] }, { dtype: 'int16', shape: [], data: [7] }],
    outputs: [{ dtype: 'int16', shape: [3, 3] }],
  }, [[2, 0, 3]]);
  assert.deepEqual(r.shape, [3, 3]);
  // Rows = depth entries, columns = indices [2, 0, 3]; index 3 is out of range: all off.
  assert.deepEqual(r.values, [7, -300, 7, 7, 7, 7, -300, 7, 7]);
});

test('FILL with empty dims makes a scalar, by independent arithmetic', () => {
  const [r] = runOurs({
    op: 'FILL', inputs: [{ dtype: 'int32', shape: [0], data: [] }, { dtype: 'float32', shape: [] }], outputs: [{ dtype: 'float32', shape: [] }],
  }, [[2.5]]);
  assert.deepEqual(r, { shape: [], values: [2.5] });
});

test('RANGE int64 (the official build refuses version 2) and float32 accumulation, by independent arithmetic', async () => {
  const scalar = (dtype: DType, v: number): TensorArg => ({ dtype, shape: [], data: [v] });
  const [r] = runOurs({ op: 'RANGE', version: 2, inputs: [scalar('int64', 10), scalar('int64', -3), scalar('int64', -4)], outputs: [{ dtype: 'int64', shape: [4] }] }, []);
  assert.deepEqual(r.values, [10, 6, 2, -2]);
  // float32: each element is the previous plus delta in float32 (0.1 + 0.1 + 0.1 != 3 * 0.1 in float32).
  const [f] = runOurs({ op: 'RANGE', inputs: [scalar('float32', 0), scalar('float32', 1), scalar('float32', 0.1)], outputs: [{ dtype: 'float32', shape: [10] }] }, []);
  const want: number[] = [];
  for (let i = 0, v = 0; i < 10; i++, v = Math.fround(v + Math.fround(0.1))) want.push(v);
  assert.deepEqual(f.values, want);
  assert.equal(f.values.length, 10);
});

test('FLOOR_DIV / FLOOR_MOD / POW: TF semantics on signs by independent arithmetic', () => {
  const bin = (op: string, dtype: DType, a: number[], b: number[], version = 1) =>
    runOurs({ op, version, inputs: [{ dtype, shape: [a.length] }, { dtype, shape: [b.length] }], outputs: [{ dtype, shape: [a.length] }] }, [a, b])[0].values;
  assert.deepEqual(bin('FLOOR_DIV', 'int32', [7, -7, 7, -7, 0], [2, 2, -2, -2, 5]), [3, -4, -4, 3, 0]);
  assert.deepEqual(bin('FLOOR_MOD', 'int32', [7, -7, 7, -7, 0], [2, 2, -2, -2, 5]), [1, 1, -1, -1, 0]);
  assert.deepEqual(bin('FLOOR_DIV', 'float32', [7.5, -7.5, 1], [2, 2, -0.5], 2), [3, -4, -2]);
  assert.deepEqual(bin('FLOOR_MOD', 'float32', [7.5, -7.5, 7.5], [2, 2, -2]), [1.5, 0.5, -0.5]);
  assert.deepEqual(bin('POW', 'int32', [2, -3, 0, 5], [10, 3, 0, 1]), [1024, -27, 1, 5]);
});

test('FLOOR_DIV by zero, FLOOR_MOD int by zero, int POW to a negative power and negative GATHER_ND indices fail the invoke (as in the official runtime)', async () => {
  const cases: { spec: OpSpec; inputs: number[][]; message: RegExp }[] = [
    { spec: { op: 'FLOOR_DIV', version: 2, inputs: [{ dtype: 'float32', shape: [2] }, { dtype: 'float32', shape: [2] }], outputs: [{ dtype: 'float32', shape: [2] }] }, inputs: [[1, 2], [1, 0]], message: /division by zero/ },
    { spec: { op: 'FLOOR_DIV', inputs: [{ dtype: 'int32', shape: [2] }, { dtype: 'int32', shape: [2] }], outputs: [{ dtype: 'int32', shape: [2] }] }, inputs: [[1, 2], [0, 1]], message: /division by zero/ },
    { spec: { op: 'FLOOR_MOD', inputs: [{ dtype: 'int32', shape: [2] }, { dtype: 'int32', shape: [2] }], outputs: [{ dtype: 'int32', shape: [2] }] }, inputs: [[1, 2], [0, 1]], message: /division by zero/ },
    { spec: { op: 'POW', inputs: [{ dtype: 'int32', shape: [2] }, { dtype: 'int32', shape: [2] }], outputs: [{ dtype: 'int32', shape: [2] }] }, inputs: [[2, 2], [1, -1]], message: /negative power/ },
    { spec: { op: 'GATHER_ND', inputs: [{ dtype: 'float32', shape: [2, 2] }, { dtype: 'int32', shape: [1, 2] }], outputs: [{ dtype: 'float32', shape: [1] }] }, inputs: [[1, 2, 3, 4], [1, -1]], message: /negative/ },
    { spec: { op: 'GATHER_ND', inputs: [{ dtype: 'float32', shape: [2, 2] }, { dtype: 'int32', shape: [1, 1] }], outputs: [{ dtype: 'float32', shape: [1, 2] }] }, inputs: [[1, 2, 3, 4], [2]], message: /outside params/ },
  ];
  for (const { spec, inputs, message } of cases) {
    assert.throws(() => runOurs(spec, inputs), (e: unknown) => e instanceof InputError && message.test((e as Error).message), `${spec.op} ${JSON.stringify(inputs)}`);
    await assert.rejects(runReference(writeModel(singleOpModel(spec)), inputs), /Infer\(\) failed/, `official ${spec.op} ${JSON.stringify(inputs)}`);
  }
  // Float FLOOR_MOD by zero is NaN in both (fmod).
  const spec: OpSpec = { op: 'FLOOR_MOD', inputs: [{ dtype: 'float32', shape: [1] }, { dtype: 'float32', shape: [1] }], outputs: [{ dtype: 'float32', shape: [1] }] };
  assert.ok(Number.isNaN(runOurs(spec, [[3], [0]])[0].values[0]));
  const [ref] = await runReference(writeModel(singleOpModel(spec)), [[3], [0]]);
  assert.ok(Number.isNaN(ref.data[0]));
});

test('GATHER_ND: an index past its dimension whose slice lands inside params reads there, as the official runtime', async () => {
  const spec: OpSpec = { op: 'GATHER_ND', inputs: [{ dtype: 'float32', shape: [2, 2] }, { dtype: 'int32', shape: [1, 2] }], outputs: [{ dtype: 'float32', shape: [1] }] };
  const [ref] = await runReference(writeModel(singleOpModel(spec)), [[1, 2, 3, 4], [0, 3]]);
  assert.deepEqual(runOurs(spec, [[1, 2, 3, 4], [0, 3]])[0].values, Array.from(ref.data));
  assert.deepEqual(Array.from(ref.data), [4]);
});

test('shape-setting inputs that are not constant, invalid paddings and block sizes are clear unsupported errors', () => {
  const bad: [OpSpec, RegExp][] = [
    [{ op: 'FILL', inputs: [{ dtype: 'int32', shape: [2] }, { dtype: 'float32', shape: [], data: [1] }], outputs: [{ dtype: 'float32', shape: [1, 1] }] }, /FILL dims .* must be constant/],
    [{ op: 'RANGE', inputs: [{ dtype: 'int32', shape: [] }, { dtype: 'int32', shape: [], data: [3] }, { dtype: 'int32', shape: [], data: [1] }], outputs: [{ dtype: 'int32', shape: [3] }] }, /must be constant/],
    [{ op: 'MIRROR_PAD', options: { mode: 'REFLECT' }, inputs: [{ dtype: 'float32', shape: [2] }, i32([2, 0], [1, 2])], outputs: [{ dtype: 'float32', shape: [4] }] }, /REFLECT padding 2 on dimension 0 of size 2/],
    [{ op: 'DEPTH_TO_SPACE', options: { blockSize: 2 }, inputs: [{ dtype: 'float32', shape: [1, 1, 1, 3] }], outputs: [{ dtype: 'float32', shape: [1, 2, 2, 1] }] }, /not a multiple/],
    [{ op: 'SELECT', inputs: [{ dtype: 'bool', shape: [3] }, { dtype: 'float32', shape: [2, 3] }, { dtype: 'float32', shape: [2, 3] }], outputs: [{ dtype: 'float32', shape: [2, 3] }] }, /SELECT condition \[3\]/],
    [{ op: 'RANGE', inputs: [{ dtype: 'int32', shape: [], data: [0] }, { dtype: 'int32', shape: [], data: [3] }, { dtype: 'int32', shape: [], data: [-1] }], outputs: [{ dtype: 'int32', shape: [3] }] }, /never ends/],
  ];
  for (const [spec, message] of bad) {
    assert.throws(() => Interpreter.fromBytes(writeModel(singleOpModel(spec))), (e: unknown) => e instanceof UnsupportedError && message.test((e as Error).message), spec.op);
  }
});
