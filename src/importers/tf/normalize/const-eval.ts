// Evaluating TensorFlow ops on constants, one small evaluator per op: used to fold constant subgraphs (a
// decomposed batch norm's rsqrt(variance + eps) * gamma, shape arithmetic) before and during mapping. Results are
// float32-rounded like TensorFlow's own float kernels. Entries flagged `unknown` (run-time sizes) propagate.

import { UnsupportedError } from '../../../errors.js';
import { Attrs } from '../attrs.js';
import { gatherIndices, resolveStridedSlice } from '../slicing.js';
import {
  allocate, broadcastIndex, broadcastShape, constDtypeOfTf, elementCount, stridesOf,
  type ConstDType, type ConstValue,
} from './const-value.js';
import type { TfNode } from './graph.js';

export type ConstEvaluator = (node: TfNode, attrs: Attrs, inputs: ConstValue[]) => ConstValue[] | null;

/** Largest result folded (elements): larger constant results are computed at run time instead. */
const MAX_FOLD_ELEMENTS = 1 << 22;

const f32 = Math.fround;

function withUnknown(c: ConstValue, unknown: boolean[] | null): ConstValue {
  if (unknown && unknown.some((u) => u)) c.unknown = unknown;
  return c;
}

function pick(src: ConstValue, idx: ArrayLike<number>, shape: number[], dtype: ConstDType = src.dtype): ConstValue {
  const out = allocate(dtype, idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = src.values[idx[i]];
  const unknown = src.unknown ? Array.from(idx, (k) => src.unknown![k]) : null;
  return withUnknown({ dtype, shape, values: out }, unknown);
}

function binary(fn: (a: number, b: number) => number, result?: ConstDType): ConstEvaluator {
  return (_n, _a, [a, b]) => {
    if (!a || !b) return null;
    const shape = broadcastShape(a.shape, b.shape);
    if (!shape || elementCount(shape) > MAX_FOLD_ELEMENTS) return null;
    const dtype = result ?? a.dtype;
    const ia = broadcastIndex(a.shape, shape), ib = broadcastIndex(b.shape, shape);
    const out = allocate(dtype, ia.length);
    const isInt = a.dtype === 'int32';
    for (let i = 0; i < ia.length; i++) {
      const v = fn(a.values[ia[i]], b.values[ib[i]]);
      out[i] = dtype === 'float32' ? f32(v) : dtype === 'bool' ? (v ? 1 : 0) : isInt ? Math.trunc(v) : v;
    }
    const unknown = a.unknown || b.unknown ? Array.from(ia, (k, i) => !!(a.unknown?.[k] || b.unknown?.[ib[i]])) : null;
    return [withUnknown({ dtype, shape, values: out }, unknown)];
  };
}

function unary(fn: (a: number) => number, floatOnly = true): ConstEvaluator {
  return (_n, _a, [x]) => {
    if (!x || (floatOnly && x.dtype !== 'float32')) return null;
    const out = allocate(x.dtype, x.values.length);
    for (let i = 0; i < out.length; i++) out[i] = fn(x.values[i]);
    return [withUnknown({ dtype: x.dtype, shape: [...x.shape], values: out }, x.unknown ? [...x.unknown] : null)];
  };
}

/** A constant as a list of ints (axes, shapes, sizes). */
export function intList(c: ConstValue): number[] {
  return Array.from(c.values, Number);
}

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new UnsupportedError(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Resolve a Reshape target (one -1 allowed) against an element count; throws when it cannot. */
export function resolveReshape(target: number[], count: number): number[] {
  const free = target.filter((d) => d === -1).length;
  if (free > 1 || target.some((d) => d < -1)) throw new UnsupportedError(`reshape to [${target}]`);
  const known = target.reduce((p, d) => (d === -1 ? p : p * d), 1);
  if (free === 1) {
    if (known === 0 || count % known !== 0) throw new UnsupportedError(`cannot reshape ${count} elements to [${target}]`);
    return target.map((d) => (d === -1 ? count / known : d));
  }
  if (known !== count) throw new UnsupportedError(`cannot reshape ${count} elements to [${target}]`);
  return [...target];
}

const reshapeTo = (x: ConstValue, shape: number[]): ConstValue => ({ ...x, shape });

function concat(values: ConstValue[], axis: number): ConstValue | null {
  const rank = values[0].shape.length;
  const a = normAxis(axis, rank);
  const shape = [...values[0].shape];
  shape[a] = values.reduce((s, v) => s + v.shape[a], 0);
  if (elementCount(shape) > MAX_FOLD_ELEMENTS) return null;
  const outer = elementCount(shape.slice(0, a));
  const out = allocate(values[0].dtype, elementCount(shape));
  const unknown: boolean[] = [];
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const v of values) {
      const inner = elementCount(v.shape.slice(a));
      for (let k = 0; k < inner; k++) {
        out[o] = v.values[i * inner + k];
        unknown[o++] = !!v.unknown?.[i * inner + k];
      }
    }
  }
  return withUnknown({ dtype: values[0].dtype, shape, values: out }, unknown);
}

function reduce(fn: (acc: number, v: number) => number, init: number, mean = false): ConstEvaluator {
  return (_n, attrs, [x, axes]) => {
    if (!x || !axes) return null;
    const rank = x.shape.length;
    const ax = new Set(intList(axes).map((a) => normAxis(a, rank)));
    const keep = attrs.bool('keep_dims');
    const outFull = x.shape.map((d, i) => (ax.has(i) ? 1 : d));
    const n = elementCount(outFull);
    const acc = new Float64Array(n).fill(init);
    const unknown = new Array<boolean>(n).fill(false);
    const oStr = stridesOf(outFull), xStr = stridesOf(x.shape);
    for (let i = 0; i < x.values.length; i++) {
      let rem = i, o = 0;
      for (let d = 0; d < rank; d++) {
        const q = Math.floor(rem / xStr[d]);
        rem -= q * xStr[d];
        if (!ax.has(d)) o += q * oStr[d];
      }
      acc[o] = fn(acc[o], x.values[i]);
      if (x.unknown?.[i]) unknown[o] = true;
    }
    const count = x.values.length / Math.max(n, 1);
    const out = allocate(x.dtype, n);
    for (let i = 0; i < n; i++) out[i] = mean ? (x.dtype === 'float32' ? acc[i] / count : Math.trunc(acc[i] / count)) : acc[i];
    const shape = keep ? outFull : x.shape.filter((_, i) => !ax.has(i));
    return [withUnknown({ dtype: x.dtype, shape, values: out }, unknown)];
  };
}

const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));

export const CONST_EVALUATORS: Readonly<Record<string, ConstEvaluator>> = {
  Add: binary((a, b) => a + b), AddV2: binary((a, b) => a + b), Sub: binary((a, b) => a - b),
  Mul: binary((a, b) => a * b), RealDiv: binary((a, b) => a / b),
  Div: (n, at, ins) => binary(ins[0]?.dtype === 'int32' ? (a, b) => Math.trunc(a / b) : (a, b) => a / b)(n, at, ins),
  FloorDiv: binary((a, b) => Math.floor(a / b)), FloorMod: binary((a, b) => a - Math.floor(a / b) * b),
  Minimum: binary(Math.min), Maximum: binary(Math.max), SquaredDifference: binary((a, b) => (a - b) * (a - b)),
  Pow: binary(Math.pow),
  Equal: binary((a, b) => +(a === b), 'bool'), NotEqual: binary((a, b) => +(a !== b), 'bool'),
  Less: binary((a, b) => +(a < b), 'bool'), LessEqual: binary((a, b) => +(a <= b), 'bool'),
  Greater: binary((a, b) => +(a > b), 'bool'), GreaterEqual: binary((a, b) => +(a >= b), 'bool'),
  Neg: unary((a) => -a, false), Abs: unary(Math.abs, false), Square: unary((a) => a * a, false),
  Exp: unary(Math.exp), Log: unary(Math.log), Log1p: unary(Math.log1p), Sqrt: unary(Math.sqrt),
  Rsqrt: unary((a) => 1 / Math.sqrt(a)), Reciprocal: unary((a) => 1 / a), Sigmoid: unary(sigmoid), Tanh: unary(Math.tanh),
  Relu: unary((a) => Math.max(a, 0), false), Relu6: unary((a) => Math.min(Math.max(a, 0), 6), false),
  Floor: unary(Math.floor), Ceil: unary(Math.ceil),

  Reshape: (_n, _a, [x, s]) => {
    if (!x || !s) return null;
    return [reshapeTo(x, resolveReshape(intList(s), x.values.length))];
  },
  ExpandDims: (_n, _a, [x, axis]) => {
    if (!x || !axis) return null;
    const rank = x.shape.length + 1;
    const a = normAxis(intList(axis)[0], rank);
    const shape = [...x.shape];
    shape.splice(a, 0, 1);
    return [reshapeTo(x, shape)];
  },
  Squeeze: (_n, attrs, [x]) => {
    if (!x) return null;
    const dims = attrs.ints('squeeze_dims').map((d) => normAxis(d, x.shape.length));
    const shape = x.shape.filter((d, i) => (dims.length ? !dims.includes(i) : d !== 1));
    return [reshapeTo(x, shape)];
  },
  Pack: (_n, attrs, ins) => {
    if (ins.length === 0 || ins.some((v) => !v)) return null;
    const rank = ins[0].shape.length + 1;
    const axis = normAxis(attrs.int('axis'), rank);
    const expanded = ins.map((v) => {
      const shape = [...v.shape];
      shape.splice(axis, 0, 1);
      return reshapeTo(v, shape);
    });
    const c = concat(expanded, axis);
    return c ? [c] : null;
  },
  ConcatV2: (_n, _a, ins) => {
    if (ins.length < 2 || ins.some((v) => !v)) return null;
    const axis = intList(ins[ins.length - 1])[0];
    const c = concat(ins.slice(0, -1), axis);
    return c ? [c] : null;
  },
  StridedSlice: (_n, attrs, [x, b, e, s]) => {
    if (!x || !b || !e || !s) return null;
    const spec = resolveStridedSlice(x.shape, b.values, e.values, s.values, {
      beginMask: attrs.int('begin_mask'), endMask: attrs.int('end_mask'), ellipsisMask: attrs.int('ellipsis_mask'),
      newAxisMask: attrs.int('new_axis_mask'), shrinkAxisMask: attrs.int('shrink_axis_mask'),
    });
    if (elementCount(spec.outShape) > MAX_FOLD_ELEMENTS) return null;
    return [pick(x, gatherIndices(x.shape, spec.dims), spec.outShape)];
  },
  Slice: (_n, _a, [x, b, sz]) => {
    if (!x || !b || !sz) return null;
    const begin = intList(b), size = intList(sz);
    const dims = x.shape.map((d, i) => ({ begin: begin[i], stride: 1, size: size[i] === -1 ? d - begin[i] : size[i] }));
    if (dims.some((r, i) => r.begin < 0 || r.size < 0 || r.begin + r.size > x.shape[i])) throw new UnsupportedError(`slice [${begin}] size [${size}] out of range of [${x.shape}]`);
    const shape = dims.map((r) => r.size);
    if (elementCount(shape) > MAX_FOLD_ELEMENTS) return null;
    return [pick(x, gatherIndices(x.shape, dims), shape)];
  },
  GatherV2: (_n, attrs, [p, idx, axisC]) => {
    if (!p || !idx || !axisC || attrs.int('batch_dims') !== 0) return null;
    const axis = normAxis(intList(axisC)[0], p.shape.length);
    const shape = [...p.shape.slice(0, axis), ...idx.shape, ...p.shape.slice(axis + 1)];
    if (elementCount(shape) > MAX_FOLD_ELEMENTS) return null;
    const outer = elementCount(p.shape.slice(0, axis)), inner = elementCount(p.shape.slice(axis + 1)), dim = p.shape[axis];
    const map: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const k0 of idx.values) {
        const k = k0 < 0 ? k0 + dim : k0;
        if (k < 0 || k >= dim) throw new UnsupportedError(`gather index ${k0} out of range for a dimension of ${dim}`);
        for (let i = 0; i < inner; i++) map.push((o * dim + k) * inner + i);
      }
    }
    return [pick(p, map, shape)];
  },
  Transpose: (_n, _a, [x, permC]) => {
    if (!x || !permC) return null;
    const perm = intList(permC);
    const shape = perm.map((p) => x.shape[p]);
    const xs = stridesOf(x.shape), os = stridesOf(shape);
    const map = new Int32Array(x.values.length);
    for (let i = 0; i < map.length; i++) {
      let rem = i, src = 0;
      for (let d = 0; d < shape.length; d++) {
        const q = Math.floor(rem / os[d]);
        rem -= q * os[d];
        src += q * xs[perm[d]];
      }
      map[i] = src;
    }
    return [pick(x, map, shape)];
  },
  Cast: (_n, attrs, [x]) => {
    if (!x) return null;
    const dtype = constDtypeOfTf(attrs.type('DstT'));
    if (!dtype) return null;
    const out = allocate(dtype, x.values.length);
    for (let i = 0; i < out.length; i++) {
      const v = x.values[i];
      out[i] = dtype === 'int32' ? Math.trunc(v) : dtype === 'bool' ? (v !== 0 ? 1 : 0) : v;
    }
    return [withUnknown({ dtype, shape: [...x.shape], values: out }, x.unknown ? [...x.unknown] : null)];
  },
  Fill: (_n, _a, [dims, v]) => {
    if (!dims || !v) return null;
    const shape = intList(dims);
    if (elementCount(shape) > MAX_FOLD_ELEMENTS) return null;
    const out = allocate(v.dtype, elementCount(shape));
    out.fill(v.values[0]);
    return [{ dtype: v.dtype, shape, values: out }];
  },
  Range: (_n, _a, [start, limit, delta]) => {
    if (!start || !limit || !delta) return null;
    const [s, l, d] = [start.values[0], limit.values[0], delta.values[0]];
    if (d === 0) throw new UnsupportedError('Range with delta 0');
    const n = Math.max(0, Math.ceil((l - s) / d));
    if (n > MAX_FOLD_ELEMENTS) return null;
    const out = allocate(start.dtype, n);
    for (let i = 0; i < n; i++) out[i] = s + i * d;
    return [{ dtype: start.dtype, shape: [n], values: out }];
  },
  Sum: reduce((a, v) => a + v, 0), Prod: reduce((a, v) => a * v, 1), Max: reduce(Math.max, -Infinity),
  Min: reduce(Math.min, Infinity), Mean: reduce((a, v) => a + v, 0, true),
};

/** Evaluate `node` on constant inputs, or null when it has no evaluator or the result is too large to fold. */
export function evaluateConst(node: TfNode, inputs: ConstValue[], label: string): ConstValue[] | null {
  const ev = CONST_EVALUATORS[node.op];
  if (!ev) return null;
  return ev(node, new Attrs(node, label), inputs);
}
