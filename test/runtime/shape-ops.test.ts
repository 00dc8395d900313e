// Reductions, data movement (reshape family, concat/split/pack, pad, transpose, slices, gather, tile),
// resize, cast/shape/arg-max, comparisons, select and float unary math vs the official TFLite runtime.
import { after, test } from 'node:test';
import type { DType } from '../../src/graph/model.js';
import { ConformanceStats, Rng, perTensor, type OpSpec, type TensorArg } from '../helpers/conformance.js';
import { checkCase, count, inputArg, randomQuant, randomShape, randomValues } from '../helpers/op-cases.js';

const stats = new ConformanceStats();
after(() => stats.print());

const CASES = 16;
const SLICE_CASES = 40;
type Built = { spec: OpSpec; inputs: ArrayLike<number>[] };
const QDT: DType[] = ['float32', 'int8', 'uint8'];

const i32 = (values: number[], shape = [values.length]): TensorArg => ({ dtype: 'int32', shape, data: values });
/** A single-input op whose output keeps the input's dtype and quantization. */
function unaryIo(rng: Rng, dtype: DType, shape: number[]) {
  const q = dtype === 'float32' || dtype === 'int32' || dtype === 'int64' || dtype === 'bool' ? null : randomQuant(rng, dtype);
  return { arg: inputArg(rng, dtype, shape, q), q, values: randomValues(rng, dtype, count(shape)) };
}
function uniqueAxes(rng: Rng, rank: number): number[] {
  const n = rng.int(1, rank);
  const axes = [...Array(rank).keys()].sort(() => rng.next() - 0.5).slice(0, n);
  return axes.map((a) => (rng.bool(0.3) ? a - rank : a));
}

/** `exact`: dtypes bit-exact with the official runtime (0 LSB instead of the 1). */
const builders: Record<string, { dtypes: DType[]; exact?: DType[]; build: (rng: Rng, dtype: DType) => Built }> = {
  MEAN: { dtypes: QDT, exact: ['int8', 'uint8'], build: reduceCase('MEAN') },
  SUM: { dtypes: QDT, build: reduceCase('SUM') },
  REDUCE_MAX: { dtypes: ['float32', 'int8'], build: reduceCase('REDUCE_MAX') },
  REDUCE_MIN: { dtypes: ['float32', 'int8'], build: reduceCase('REDUCE_MIN') },
  RESHAPE: {
    dtypes: ['float32', 'int8'], build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4));
      const u = unaryIo(rng, dtype, shape);
      const n = count(shape);
      const first = [1, 2, 3, 4, 5, 6].filter((d) => n % d === 0);
      const d0 = rng.pick(first);
      const target = rng.bool() ? [d0, -1] : [-1, d0, 1];
      const outShape = target.map((d) => (d === -1 ? n / d0 : d));
      return { spec: { op: 'RESHAPE', inputs: [u.arg, i32(target)], outputs: [{ dtype, shape: outShape, quantization: u.q }] }, inputs: [u.values] };
    },
  },
  SQUEEZE: {
    dtypes: ['float32', 'int8'], build(rng, dtype) {
      const shape = randomShape(rng, rng.int(2, 5)).map((d) => (rng.bool(0.4) ? 1 : d));
      const u = unaryIo(rng, dtype, shape);
      const ones = shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
      const dims = rng.bool() ? [] : ones.filter(() => rng.bool());
      const drop = dims.length ? dims : ones;
      return {
        spec: { op: 'SQUEEZE', options: { squeezeDims: dims }, inputs: [u.arg], outputs: [{ dtype, shape: shape.filter((_, i) => !drop.includes(i)), quantization: u.q }] },
        inputs: [u.values],
      };
    },
  },
  EXPAND_DIMS: {
    dtypes: ['float32', 'int8'], build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4));
      const u = unaryIo(rng, dtype, shape);
      const axis = rng.int(-shape.length - 1, shape.length);
      const a = axis < 0 ? axis + shape.length + 1 : axis;
      const out = shape.slice();
      out.splice(a, 0, 1);
      return { spec: { op: 'EXPAND_DIMS', inputs: [u.arg, i32([axis])], outputs: [{ dtype, shape: out, quantization: u.q }] }, inputs: [u.values] };
    },
  },
  CONCATENATION: {
    dtypes: ['float32', 'int8', 'uint8'], build(rng, dtype) {
      const rank = rng.int(1, 4);
      const shape = randomShape(rng, rank);
      const axis = rng.int(0, rank - 1);
      const n = rng.int(2, 4);
      const qo = dtype === 'float32' ? null : randomQuant(rng, dtype);
      const ins: TensorArg[] = [];
      const values: ArrayLike<number>[] = [];
      let total = 0;
      for (let k = 0; k < n; k++) {
        const s = shape.slice();
        s[axis] = rng.int(1, 4);
        total += s[axis];
        // int8 concatenation requires equal quantization in TFLite; the official runtime copies uint8 values
        // without rescaling, so rescaling is checked separately below.
        const q = qo;
        ins.push(inputArg(rng, dtype, s, q));
        values.push(randomValues(rng, dtype, count(s)));
      }
      const out = shape.slice();
      out[axis] = total;
      return {
        spec: {
          op: 'CONCATENATION', options: { axis: rng.bool() ? axis : axis - rank, fusedActivationFunction: 'NONE' },
          inputs: ins, outputs: [{ dtype, shape: out, quantization: qo }],
        },
        inputs: values,
      };
    },
  },
  SPLIT: {
    dtypes: ['float32', 'int8'], build(rng, dtype) {
      const rank = rng.int(1, 4);
      const shape = randomShape(rng, rank);
      const axis = rng.int(0, rank - 1);
      const n = rng.int(1, 3);
      shape[axis] = n * rng.int(1, 3);
      const u = unaryIo(rng, dtype, shape);
      const os = shape.slice();
      os[axis] = shape[axis] / n;
      return {
        spec: {
          op: 'SPLIT', options: { numSplits: n }, inputs: [i32([rng.bool() ? axis : axis - rank], []), u.arg],
          outputs: Array.from({ length: n }, () => ({ dtype, shape: os, quantization: u.q })),
        },
        inputs: [u.values],
      };
    },
  },
  SPLIT_V: {
    dtypes: ['float32', 'int8'], build(rng, dtype) {
      const rank = rng.int(1, 4);
      const shape = randomShape(rng, rank);
      const axis = rng.int(0, rank - 1);
      const sizes = Array.from({ length: rng.int(1, 3) }, () => rng.int(1, 3));
      shape[axis] = sizes.reduce((a, b) => a + b, 0);
      const u = unaryIo(rng, dtype, shape);
      const given = sizes.slice();
      if (rng.bool()) given[rng.int(0, sizes.length - 1)] = -1;
      return {
        spec: {
          op: 'SPLIT_V', options: { numSplits: sizes.length }, inputs: [u.arg, i32(given), i32([axis], [])],
          outputs: sizes.map((s) => ({ dtype, shape: shape.map((d, i) => (i === axis ? s : d)), quantization: u.q })),
        },
        inputs: [u.values],
      };
    },
  },
  PACK: {
    dtypes: ['float32', 'int8'], build(rng, dtype) {
      const shape = randomShape(rng, rng.int(0, 3));
      const n = rng.int(1, 4);
      const axis = rng.int(0, shape.length);
      const q = dtype === 'float32' ? null : randomQuant(rng, dtype);
      const out = shape.slice();
      out.splice(axis, 0, n);
      return {
        spec: { op: 'PACK', options: { valuesCount: n, axis }, inputs: Array.from({ length: n }, () => inputArg(rng, dtype, shape, q)), outputs: [{ dtype, shape: out, quantization: q }] },
        inputs: Array.from({ length: n }, () => randomValues(rng, dtype, count(shape))),
      };
    },
  },
  UNPACK: {
    dtypes: ['float32', 'int8'], build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4));
      const axis = rng.int(0, shape.length - 1);
      const u = unaryIo(rng, dtype, shape);
      const os = shape.filter((_, i) => i !== axis);
      return {
        spec: { op: 'UNPACK', options: { num: shape[axis], axis }, inputs: [u.arg], outputs: Array.from({ length: shape[axis] }, () => ({ dtype, shape: os, quantization: u.q })) },
        inputs: [u.values],
      };
    },
  },
  PAD: { dtypes: QDT, build: padCase('PAD') },
  PADV2: { dtypes: QDT, build: padCase('PADV2') },
  TRANSPOSE: {
    dtypes: ['float32', 'int8'], build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 5));
      const perm = [...shape.keys()].sort(() => rng.next() - 0.5);
      const u = unaryIo(rng, dtype, shape);
      return { spec: { op: 'TRANSPOSE', inputs: [u.arg, i32(perm)], outputs: [{ dtype, shape: perm.map((p) => shape[p]), quantization: u.q }] }, inputs: [u.values] };
    },
  },
  SLICE: {
    dtypes: ['float32', 'int8'], build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4), 6);
      const begin = shape.map((d) => rng.int(0, d - 1));
      const size = shape.map((d, i) => (rng.bool(0.2) ? -1 : rng.int(0, d - begin[i])));
      const u = unaryIo(rng, dtype, shape);
      return {
        spec: { op: 'SLICE', inputs: [u.arg, i32(begin), i32(size)], outputs: [{ dtype, shape: size.map((s, i) => (s === -1 ? shape[i] - begin[i] : s)), quantization: u.q }] },
        inputs: [u.values],
      };
    },
  },
  STRIDED_SLICE: {
    dtypes: ['float32', 'int8', 'int32'], build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4), 7);
      const rank = shape.length;
      const u = unaryIo(rng, dtype, shape);
      const n = rng.int(1, rank);
      const begin: number[] = [], end: number[] = [], strides: number[] = [];
      for (let i = 0; i < n; i++) {
        const d = shape[i];
        const s = rng.pick([1, 1, 2, 3, -1, -2]);
        strides.push(s);
        begin.push(rng.int(-d - 1, d));
        end.push(rng.int(-d - 1, d + 1));
      }
      const mask = () => rng.int(0, (1 << n) - 1) & rng.int(0, (1 << n) - 1);
      const options = { beginMask: mask(), endMask: mask(), shrinkAxisMask: 0, ellipsisMask: 0, newAxisMask: 0 };
      // Shrink only where the begin index is valid; the output shape is computed by our kernel, checked against the runtime.
      for (let i = 0; i < n; i++) {
        if (rng.bool(0.2)) {
          options.shrinkAxisMask |= 1 << i;
          begin[i] = rng.int(-shape[i], shape[i] - 1);
          strides[i] = 1;
          end[i] = begin[i] + 1;
        }
      }
      // Sometimes one index is an ellipsis or a new axis (its begin/end/stride are ignored).
      if (n >= 2 && rng.bool(0.4)) {
        const i = rng.int(0, n - 1);
        options.shrinkAxisMask &= ~(1 << i);
        if (rng.bool()) options.ellipsisMask = 1 << i; else options.newAxisMask = 1 << i;
      }
      return { spec: { op: 'STRIDED_SLICE', version: 2, options, inputs: [u.arg, i32(begin), i32(end), i32(strides)], outputs: [{ dtype, shape: [], quantization: u.q }] }, inputs: [u.values] };
    },
  },
  GATHER: {
    dtypes: ['float32', 'int8'], build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4));
      const rank = shape.length;
      const axis = rng.int(0, rank - 1);
      const batchDims = rng.bool(0.3) ? rng.int(0, axis) : 0;
      const iShape = [...shape.slice(0, batchDims), ...randomShape(rng, rng.int(0, 2), 4)];
      const u = unaryIo(rng, dtype, shape);
      const idx = rng.ints(count(iShape), 0, shape[axis] - 1);
      const out = [...shape.slice(0, axis), ...iShape.slice(batchDims), ...shape.slice(axis + 1)];
      return {
        spec: { op: 'GATHER', options: { axis: rng.bool() ? axis : axis - rank, batchDims }, inputs: [u.arg, { dtype: 'int32', shape: iShape }], outputs: [{ dtype, shape: out, quantization: u.q }] },
        inputs: [u.values, idx],
      };
    },
  },
  TILE: {
    dtypes: ['float32', 'int8'], build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4), 4);
      const m = shape.map(() => rng.int(1, 3));
      const u = unaryIo(rng, dtype, shape);
      return { spec: { op: 'TILE', inputs: [u.arg, i32(m)], outputs: [{ dtype, shape: shape.map((d, i) => d * m[i]), quantization: u.q }] }, inputs: [u.values] };
    },
  },
  CAST: {
    dtypes: ['float32', 'int32', 'uint8', 'bool'], build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 3));
      const to: DType = rng.pick((['float32', 'int32', 'bool'] as DType[]).filter((d) => d !== dtype));
      const values = dtype === 'float32' ? Array.from(rng.floats(count(shape), -50, 50)) : dtype === 'uint8' ? rng.ints(count(shape), 0, 255) : randomValues(rng, dtype, count(shape));
      return { spec: { op: 'CAST', options: { inDataType: dtype, outDataType: to }, inputs: [{ dtype, shape }], outputs: [{ dtype: to, shape }] }, inputs: [values] };
    },
  },
  SHAPE: {
    dtypes: ['float32'], build(rng, dtype) {
      const shape = randomShape(rng, rng.int(0, 4));
      return { spec: { op: 'SHAPE', options: { outType: 'int32' }, inputs: [{ dtype, shape }], outputs: [{ dtype: 'int32', shape: [shape.length] }] }, inputs: [randomValues(rng, dtype, count(shape))] };
    },
  },
  ARG_MAX: { dtypes: ['float32', 'int8', 'uint8'], build: argCase('ARG_MAX') },
  ARG_MIN: { dtypes: ['float32', 'int8'], build: argCase('ARG_MIN') },
  RESIZE_BILINEAR: { dtypes: QDT, exact: ['int8', 'uint8'], build: resizeCase('RESIZE_BILINEAR') },
  RESIZE_NEAREST_NEIGHBOR: { dtypes: QDT, build: resizeCase('RESIZE_NEAREST_NEIGHBOR') },
  LESS: { dtypes: ['float32', 'int32', 'int8'], build: compareCase('LESS') },
  EQUAL: { dtypes: ['float32', 'int32'], build: compareCase('EQUAL') },
  GREATER_EQUAL: { dtypes: ['float32', 'int32'], build: compareCase('GREATER_EQUAL') },
  SELECT_V2: {
    dtypes: ['float32', 'int32'], build(rng, dtype) {
      const shape = randomShape(rng, rng.int(1, 4));
      const cs = shape.map((d) => (rng.bool(0.3) ? 1 : d));
      return {
        spec: { op: 'SELECT_V2', inputs: [{ dtype: 'bool', shape: cs }, { dtype, shape }, { dtype, shape }], outputs: [{ dtype, shape }] },
        inputs: [rng.ints(count(cs), 0, 1), randomValues(rng, dtype, count(shape)), randomValues(rng, dtype, count(shape))],
      };
    },
  },
  ...Object.fromEntries(['EXP', 'LOG', 'SQRT', 'RSQRT', 'ABS', 'NEG', 'SQUARE', 'FLOOR'].map((op) => [op, {
    dtypes: ['float32'] as DType[], build(rng: Rng, dtype: DType): Built {
      const shape = randomShape(rng, rng.int(1, 3));
      const positive = op === 'LOG' || op === 'SQRT' || op === 'RSQRT';
      const values = Array.from(rng.floats(count(shape), positive ? 0.01 : -4, 4));
      return { spec: { op, inputs: [{ dtype, shape }], outputs: [{ dtype, shape }] }, inputs: [values] };
    },
  }])),
};

function reduceCase(op: string) {
  return (rng: Rng, dtype: DType): Built => {
    const spatial = op === 'MEAN' && rng.bool(0.35);
    const shape = spatial ? [rng.int(1, 2), rng.int(1, 6), rng.int(1, 6), rng.int(1, 5)] : randomShape(rng, rng.int(1, 4));
    const rank = shape.length;
    const axes = spatial ? [1, 2] : uniqueAxes(rng, rank);
    const keep = spatial ? true : rng.bool();
    const q = dtype === 'float32' ? null : randomQuant(rng, dtype);
    const sameQ = op.startsWith('REDUCE') || rng.bool(0.25);
    const qo = q === null ? null : sameQ ? q : op === 'SUM' ? perTensor(q.scale[0] * rng.float(2, 6), q.zeroPoint[0]) : randomQuant(rng, dtype);
    const norm = axes.map((a) => (a < 0 ? a + rank : a));
    const out = keep ? shape.map((d, i) => (norm.includes(i) ? 1 : d)) : shape.filter((_, i) => !norm.includes(i));
    return {
      spec: { op, options: { keepDims: keep }, inputs: [inputArg(rng, dtype, shape, q), i32(axes)], outputs: [{ dtype, shape: out, quantization: qo }] },
      inputs: [randomValues(rng, dtype, count(shape))],
    };
  };
}

function padCase(op: string) {
  return (rng: Rng, dtype: DType): Built => {
    const shape = randomShape(rng, rng.int(1, 4), 4);
    const pads = shape.flatMap(() => [rng.int(0, 2), rng.int(0, 2)]);
    const u = unaryIo(rng, dtype, shape);
    const inputs: TensorArg[] = [u.arg, i32(pads, [shape.length, 2])];
    if (op === 'PADV2') inputs.push({ dtype, shape: [], quantization: u.q, data: dtype === 'float32' ? [rng.float(-2, 2)] : [rng.int(0, 100)] });
    return { spec: { op, inputs, outputs: [{ dtype, shape: shape.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]), quantization: u.q }] }, inputs: [u.values] };
  };
}

function argCase(op: string) {
  return (rng: Rng, dtype: DType): Built => {
    const shape = randomShape(rng, rng.int(1, 4));
    const axis = rng.int(0, shape.length - 1);
    const u = unaryIo(rng, dtype, shape);
    // The official runner cannot read int64 outputs.
    const outType: DType = 'int32';
    // Integer inputs with few distinct values exercise ties (the first extreme wins).
    const values = dtype === 'float32' ? u.values : rng.ints(count(shape), dtype === 'int8' ? -3 : 0, 3);
    return {
      spec: { op, options: { outputType: outType }, inputs: [u.arg, i32([rng.bool() ? axis : axis - shape.length], [1])], outputs: [{ dtype: outType, shape: shape.filter((_, i) => i !== axis) }] },
      inputs: [values],
    };
  };
}

function resizeCase(op: string) {
  return (rng: Rng, dtype: DType): Built => {
    const shape = [rng.int(1, 2), rng.int(1, 6), rng.int(1, 6), rng.int(1, 3)];
    const size = [rng.int(1, 12), rng.int(1, 12)];
    const mode = rng.int(0, 2);
    const u = unaryIo(rng, dtype, shape);
    return {
      spec: {
        op, version: dtype === 'int8' ? 2 : mode === 2 ? 3 : 1, options: { alignCorners: mode === 1, halfPixelCenters: mode === 2 },
        inputs: [u.arg, i32(size)], outputs: [{ dtype, shape: [shape[0], size[0], size[1], shape[3]], quantization: u.q }],
      },
      inputs: [u.values],
    };
  };
}

function compareCase(op: string) {
  return (rng: Rng, dtype: DType): Built => {
    const shape = randomShape(rng, rng.int(1, 4));
    const sb = shape.map((d) => (rng.bool(0.3) ? 1 : d));
    const q = dtype === 'int8' ? randomQuant(rng, dtype) : null;
    const small = (n: number) => (dtype === 'float32' ? Array.from({ length: n }, () => rng.int(-3, 3) / 2) : rng.ints(n, -3, 3));
    return {
      spec: { op, inputs: [inputArg(rng, dtype, shape, q), inputArg(rng, dtype, sb, q)], outputs: [{ dtype: 'bool', shape }] },
      inputs: [small(count(shape)), small(count(sb))],
    };
  };
}

let seedBase = 20000;
for (const [op, { dtypes, exact, build }] of Object.entries(builders)) {
  for (const dtype of dtypes) {
    const label = `${op} ${dtype}`;
    const seed = (seedBase += 100);
    test(label, async () => {
      for (let c = 0; c < (op === 'STRIDED_SLICE' ? SLICE_CASES : CASES); c++) {
        const { spec, inputs } = build(new Rng(seed + c), dtype);
        await checkCase(`${label} case ${c}`, spec, inputs, stats, label, exact?.includes(dtype) ? 0 : 1);
      }
    });
  }
}

test('MEAN int8/uint8 exact on every axis form the XNNPACK delegate takes (4-D over W or H and W) and on the ones it leaves', async () => {
  const rng = new Rng(4242);
  const forms: { axes: number[]; keep: boolean }[] = [
    { axes: [1, 2], keep: true }, { axes: [2, 1], keep: false }, { axes: [2], keep: true }, { axes: [2], keep: false },
    { axes: [1], keep: true }, { axes: [-2], keep: false }, { axes: [3], keep: false }, { axes: [1, 2, 3], keep: true },
  ];
  for (const dtype of ['int8', 'uint8'] as DType[]) {
    for (const { axes, keep } of forms) {
      const shape = [2, rng.int(2, 9), rng.int(2, 9), rng.int(1, 4)];
      const norm = axes.map((a) => (a < 0 ? a + 4 : a));
      const out = keep ? shape.map((d, i) => (norm.includes(i) ? 1 : d)) : shape.filter((_, i) => !norm.includes(i));
      const q = randomQuant(rng, dtype);
      for (const qo of [q, randomQuant(rng, dtype)]) {
        const label = `MEAN ${dtype} axis forms`;
        const spec: OpSpec = { op: 'MEAN', options: { keepDims: keep }, inputs: [inputArg(rng, dtype, shape, q), i32(axes)], outputs: [{ dtype, shape: out, quantization: qo }] };
        await checkCase(`${label} ${JSON.stringify(axes)} keep ${keep}`, spec, [randomValues(rng, dtype, count(shape))], stats, label, 0);
      }
    }
  }
});

test('RESIZE_BILINEAR int8/uint8 exact when the output quantization differs from the input (TFLite kernel, not XNNPACK)', async () => {
  const rng = new Rng(4343);
  for (const dtype of ['int8', 'uint8'] as DType[]) {
    for (let c = 0; c < 6; c++) {
      const shape = [1, rng.int(2, 7), rng.int(2, 7), rng.int(1, 3)];
      const size = [rng.int(1, 12), rng.int(1, 12)];
      const mode = c % 3;
      const label = `RESIZE_BILINEAR ${dtype} requantizing`;
      const spec: OpSpec = {
        op: 'RESIZE_BILINEAR', version: dtype === 'int8' ? 2 : mode === 2 ? 3 : 1, options: { alignCorners: mode === 1, halfPixelCenters: mode === 2 },
        inputs: [inputArg(rng, dtype, shape, randomQuant(rng, dtype)), i32(size)],
        outputs: [{ dtype, shape: [1, size[0], size[1], shape[3]], quantization: randomQuant(rng, dtype) }],
      };
      await checkCase(`${label} case ${c}`, spec, [randomValues(rng, dtype, count(shape))], stats, label, 0);
    }
  }
});

test('CONCATENATION uint8 with different input scales requantizes as TFLite reference (independent arithmetic)', async () => {
  const { Interpreter } = await import('../../src/runtime/interpreter.js');
  const { writeModel } = await import('../../src/format/index.js');
  const { singleOpModel } = await import('../helpers/conformance.js');
  const assert = (await import('node:assert/strict')).default;
  const rng = new Rng(99);
  for (let c = 0; c < 10; c++) {
    const qa = randomQuant(rng, 'uint8'), qb = randomQuant(rng, 'uint8'), qo = randomQuant(rng, 'uint8', 0.05, 0.2);
    const a = rng.ints(6, 0, 255), b = rng.ints(4, 0, 255);
    const spec: OpSpec = {
      op: 'CONCATENATION', options: { axis: 1 },
      inputs: [{ dtype: 'uint8', shape: [2, 3], quantization: qa }, { dtype: 'uint8', shape: [2, 2], quantization: qb }],
      outputs: [{ dtype: 'uint8', shape: [2, 5], quantization: qo }],
    };
    const it = Interpreter.fromBytes(writeModel(singleOpModel(spec)));
    it.setInput(0, a);
    it.setInput(1, b);
    it.invoke();
    const got = Array.from(it.getOutput(0) as Uint8Array);
    const rq = (v: number, q: typeof qa) => Math.max(0, Math.min(255, Math.round(((v - q!.zeroPoint[0]) * q!.scale[0]) / qo!.scale[0]) + qo!.zeroPoint[0]));
    const want: number[] = [];
    for (let r = 0; r < 2; r++) want.push(...a.slice(3 * r, 3 * r + 3).map((v) => rq(v, qa)), ...b.slice(2 * r, 2 * r + 2).map((v) => rq(v, qb)));
    got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= 1, `case ${c} element ${i}: ${g} vs ${want[i]}`));
  }
});
