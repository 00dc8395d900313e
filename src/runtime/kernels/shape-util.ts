// Shape helpers shared by the element-wise, reduction and data-movement kernels: axis normalization,
// NumPy-style broadcasting (as TFLite's BroadcastN paths), strides, reading small constant int tensors.

import type { PrepareContext, RuntimeTensor, TypedArray } from '../kernel.js';
import { chargeActive } from '../budget.js';

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Axis in [-rank, rank) to [0, rank). */
export function normalizeAxis(ctx: PrepareContext, axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) ctx.unsupported(`${what} ${axis} out of range for rank ${rank}`);
  return a;
}

/** Output shape of broadcasting `a` with `b` (right-aligned; each pair equal or one of them 1). */
export function broadcastShapes(ctx: PrepareContext, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da !== db && da !== 1 && db !== 1) ctx.unsupported(`shapes [${a}] and [${b}] cannot be broadcast`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For each element of `outShape` (row-major), the flat index of the element of a tensor of shape `inShape`
 * that broadcasts to it. Null when no broadcasting is needed (identical element order).
 */
export function broadcastIndexMap(inShape: readonly number[], outShape: readonly number[]): Int32Array | null {
  const total = sizeOf(outShape);
  if (sizeOf(inShape) === total) return null;
  const rank = outShape.length;
  const inStrides = new Array<number>(rank).fill(0);
  const s = stridesOf(inShape);
  const off = rank - inShape.length;
  for (let i = 0; i < inShape.length; i++) inStrides[i + off] = inShape[i] === 1 ? 0 : s[i];
  chargeActive(4 * total, 'the broadcast index map');
  const map = new Int32Array(total);
  const counter = new Array<number>(rank).fill(0);
  let idx = 0;
  for (let k = 0; k < total; k++) {
    map[k] = idx;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      idx += inStrides[d];
      if (counter[d] < outShape[d]) break;
      idx -= inStrides[d] * outShape[d];
      counter[d] = 0;
    }
  }
  return map;
}

/** Values of a small integer tensor (int32 or int64) as numbers. */
export function intValues(t: RuntimeTensor): number[] {
  const out: number[] = [];
  const d = t.data;
  for (let i = 0; i < d.length; i++) out.push(Number(d[i]));
  return out;
}

/**
 * Values of an input that determines output shapes. Prepare can only read it when it is constant;
 * otherwise the op needs dynamic shapes, which we do not plan for.
 */
export function constIntValues(ctx: PrepareContext, t: RuntimeTensor, what: string): number[] {
  // An empty tensor (e.g. the dims of a scalar) has no values to wait for, constant or not.
  if (sizeOf(t.shape) === 0 && (t.dtype === 'int32' || t.dtype === 'int64')) return [];
  if (!t.isConstant) ctx.unsupported(`${what} (tensor '${t.name}') must be constant`);
  if (t.dtype !== 'int32' && t.dtype !== 'int64') ctx.unsupported(`${what} (tensor '${t.name}') must be int32 or int64, not ${t.dtype}`);
  return intValues(t);
}

/** The input at `k`, or an UnsupportedError naming what is missing. */
export function requireInput(ctx: PrepareContext, k: number): RuntimeTensor {
  const t = ctx.inputs[k];
  if (!t) ctx.unsupported(`input ${k} is missing`);
  return t;
}

export function requireDtype(ctx: PrepareContext, t: RuntimeTensor, allowed: readonly string[]): void {
  if (!allowed.includes(t.dtype)) ctx.unsupported(`tensor '${t.name}' has dtype ${t.dtype} (supported: ${allowed.join(', ')})`);
}

/** Copy `src` into `dst` element by element (same dtype family; bigint arrays pair with bigint arrays). */
export function copyInto(dst: TypedArray, src: TypedArray): void {
  (dst as Float32Array).set(src as Float32Array);
}

/** True when the tensor carries a per-tensor quantization. */
export function isQuant(t: RuntimeTensor): boolean {
  return t.scale.length > 0;
}

/** Elements of any tensor's data, int64 (bigint) included, for kernels that only move or compare values. */
export type Elements = { [k: number]: number | bigint; readonly length: number };

/** The single value of a constant scalar int input that determines shapes (depth, block size, ...). */
export function constIntScalar(ctx: PrepareContext, t: RuntimeTensor, what: string): number {
  const v = constIntValues(ctx, t, what);
  if (v.length !== 1) ctx.unsupported(`${what} (tensor '${t.name}') must hold one value, has ${v.length}`);
  return v[0];
}

/** Output shape-determining tensors may not describe more elements than this (checked before allocating). */
export const MAX_GENERATED_ELEMENTS = 1 << 28;

/** Reject a shape computed from tensor values when it is negative, fractional or too large to allocate. */
export function checkGeneratedShape(ctx: PrepareContext, shape: readonly number[], what: string): void {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) ctx.unsupported(`${what}: dimension ${d} in [${shape}] is invalid`);
    n *= d;
  }
  if (n > MAX_GENERATED_ELEMENTS) ctx.unsupported(`${what}: [${shape}] has ${n} elements (at most ${MAX_GENERATED_ELEMENTS})`);
}

/**
 * Values of an int32/int64 input that decides an output's shape: a constant's, or a model input's as the interpreter
 * supplies them (null while they are not known yet: the caller plans a node that is prepared again before it runs).
 */
export function shapeDecidingValues(ctx: PrepareContext, t: RuntimeTensor, what: string): number[] | null {
  if (t.dtype !== 'int32' && t.dtype !== 'int64') ctx.unsupported(`${what} (tensor '${t.name}') must be int32 or int64, not ${t.dtype}`);
  if (t.isConstant) return intValues(t);
  const values = ctx.valuesForShape?.(t);
  if (values === undefined) ctx.unsupported(`${what} (tensor '${t.name}') must be a constant or a model input`);
  if (values === null) return null;
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) out.push(Number(values[i]));
  return out;
}
