// Constant tensors while a graph is converted: Const nodes decoded from their TensorProto, and values folded from
// them. An int vector may hold entries that are only known when the model runs (the batch size read by a Shape op):
// those are flagged `unknown` (their stored value is what the converted model assumes, 1 for a free batch), so a
// shape built from them can keep -1 where TensorFlow would.

import { ModelFormatError, UnsupportedError } from '../../../errors.js';
import type { DType } from '../../../graph/model.js';
import { float16BitsToFloat } from '../../../graph/float16.js';
import type { TensorProto, TfDataType } from '../proto/index.js';

export type ConstDType = 'float32' | 'int32' | 'bool';

export interface ConstValue {
  dtype: ConstDType;
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
  /** Per element: true where the value is only known at run time (the stored value is the assumed one). */
  unknown?: boolean[];
}

/** Largest constant we materialise (elements): beyond this a malformed file could make us allocate without bound. */
export const MAX_CONST_ELEMENTS = 1 << 28;

/** Largest constant built by repeating a listed value (tensor_content sizes are checked against the bytes instead). */
const MAX_SPLAT_ELEMENTS = 1 << 24;

/** Our element type for a TensorFlow DataType: int64 narrows to int32 and half/double widen/narrow to float32, as TF.js does. */
export function dtypeOfTf(t: TfDataType | undefined): DType | null {
  switch (t) {
    case 'DT_FLOAT': case 'DT_HALF': case 'DT_DOUBLE': case 'DT_BFLOAT16': return 'float32';
    case 'DT_INT32': case 'DT_INT64': case 'DT_INT16': case 'DT_UINT16': case 'DT_UINT32': return 'int32';
    case 'DT_BOOL': return 'bool';
    case 'DT_UINT8': return 'uint8';
    case 'DT_INT8': return 'int8';
    default: return null;
  }
}

export function constDtypeOfTf(t: TfDataType | undefined): ConstDType | null {
  const d = dtypeOfTf(t);
  if (d === 'float32' || d === 'int32' || d === 'bool') return d;
  if (d === 'uint8' || d === 'int8') return 'int32';
  return null;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function allocate(dtype: ConstDType, n: number): Float32Array | Int32Array | Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_CONST_ELEMENTS) throw new UnsupportedError(`constant of ${n} elements is too large`);
  return dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
}

export function makeConst(dtype: ConstDType, shape: number[], values: ArrayLike<number>, unknown?: boolean[]): ConstValue {
  const v = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) v[i] = dtype === 'bool' ? (values[i] ? 1 : 0) : values[i];
  const c: ConstValue = { dtype, shape: [...shape], values: v };
  if (unknown && unknown.some((u) => u)) c.unknown = [...unknown];
  return c;
}

export function scalarOf(c: ConstValue): number {
  if (c.values.length !== 1) throw new UnsupportedError(`expected a scalar, got shape [${c.shape}]`);
  return c.values[0];
}

export function hasUnknown(c: ConstValue): boolean {
  return !!c.unknown && c.unknown.some((u) => u);
}

const BYTES: Record<string, number> = {
  DT_FLOAT: 4, DT_DOUBLE: 8, DT_INT32: 4, DT_INT64: 8, DT_BOOL: 1, DT_HALF: 2, DT_BFLOAT16: 2, DT_UINT8: 1, DT_INT8: 1,
  DT_INT16: 2, DT_UINT16: 2, DT_UINT32: 4,
};

/** A TensorProto's values (tensor_content bytes, or the typed *_val lists, whose last value repeats to fill). */
export function constFromTensorProto(t: TensorProto, where: string): ConstValue {
  const tfType = t.dtype ?? 'DT_INVALID';
  const dtype = constDtypeOfTf(tfType);
  if (!dtype) throw new UnsupportedError(`${where}: constant of type ${tfType}`);
  const dims = (t.tensorShape?.dim ?? []).map((d) => Number(d.size ?? 0));
  if (t.tensorShape?.unknownRank || dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new ModelFormatError(`${where}: constant has shape [${dims}] (want known non-negative dimensions)`);
  }
  const n = elementCount(dims);
  if (n > MAX_CONST_ELEMENTS) throw new ModelFormatError(`${where}: constant of shape [${dims}] is too large`);
  const out = allocate(dtype, n);
  const content = t.tensorContent;
  if (content && content.length > 0) {
    const size = BYTES[tfType];
    if (content.length !== n * size) {
      throw new ModelFormatError(`${where}: constant of shape [${dims}] and type ${tfType} holds ${content.length} bytes, not ${n * size}`);
    }
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    for (let i = 0; i < n; i++) {
      const o = i * size;
      switch (tfType) {
        case 'DT_FLOAT': out[i] = view.getFloat32(o, true); break;
        case 'DT_DOUBLE': out[i] = view.getFloat64(o, true); break;
        case 'DT_INT32': out[i] = view.getInt32(o, true); break;
        case 'DT_INT64': out[i] = clampInt32(Number(view.getBigInt64(o, true))); break;
        case 'DT_BOOL': case 'DT_UINT8': out[i] = view.getUint8(o); break;
        case 'DT_INT8': out[i] = view.getInt8(o); break;
        case 'DT_INT16': out[i] = view.getInt16(o, true); break;
        case 'DT_UINT16': out[i] = view.getUint16(o, true); break;
        case 'DT_UINT32': out[i] = clampInt32(view.getUint32(o, true)); break;
        case 'DT_HALF': out[i] = float16BitsToFloat(view.getUint16(o, true)); break;
        case 'DT_BFLOAT16': out[i] = bfloat16ToFloat(view.getUint16(o, true)); break;
      }
    }
    return { dtype, shape: dims, values: out };
  }
  let list: ArrayLike<number | boolean> = [];
  let conv: (v: number | boolean) => number = Number;
  switch (tfType) {
    case 'DT_FLOAT': list = t.floatVal ?? []; break;
    case 'DT_DOUBLE': list = t.doubleVal ?? []; break;
    case 'DT_INT32': case 'DT_INT16': case 'DT_INT8': case 'DT_UINT8': case 'DT_UINT16': list = t.intVal ?? []; break;
    case 'DT_INT64': list = t.int64Val ?? []; conv = (v) => clampInt32(Number(v)); break;
    case 'DT_UINT32': list = t.uint32Val ?? []; conv = (v) => clampInt32(Number(v)); break;
    case 'DT_BOOL': list = t.boolVal ?? []; conv = (v) => (v ? 1 : 0); break;
    case 'DT_HALF': list = t.halfVal ?? []; conv = (v) => float16BitsToFloat(Number(v)); break;
    case 'DT_BFLOAT16': list = t.halfVal ?? []; conv = (v) => bfloat16ToFloat(Number(v)); break;
  }
  if (list.length > n) throw new ModelFormatError(`${where}: constant of shape [${dims}] lists ${list.length} values`);
  // A short list repeats its last value: cap what a few bytes in the file can make us allocate.
  if (n > MAX_SPLAT_ELEMENTS && list.length < n) throw new ModelFormatError(`${where}: constant of shape [${dims}] spreads ${list.length} listed values over ${n} elements`);
  if (list.length > 0) {
    for (let i = 0; i < n; i++) out[i] = conv(list[Math.min(i, list.length - 1)]);
  }
  return { dtype, shape: dims, values: out };
}

function clampInt32(v: number): number {
  return v > 2147483647 ? 2147483647 : v < -2147483648 ? -2147483648 : v;
}

function bfloat16ToFloat(bits: number): number {
  const f = new Float32Array(new Uint32Array([(bits & 0xffff) << 16]).buffer);
  return f[0];
}

/** Strides of a row-major shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Numpy-style broadcast of two shapes, or null when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** For each output element of `outShape`, the index into an operand of `inShape` broadcast to it. */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const r = outShape.length;
  const padded = [...new Array(r - inShape.length).fill(1), ...inShape];
  const inStr = stridesOf(padded), outStr = stridesOf(outShape);
  const n = elementCount(outShape);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let rem = i, k = 0;
    for (let d = 0; d < r; d++) {
      const q = Math.floor(rem / outStr[d]);
      rem -= q * outStr[d];
      if (padded[d] !== 1) k += q * inStr[d];
    }
    idx[i] = k;
  }
  return idx;
}
