// FLOOR_DIV, FLOOR_MOD and POW with broadcasting, in TFLite's arithmetic:
// - FLOOR_DIV: floor(x / y) (float32 quotient, then floor; integers round toward -inf). A zero divisor fails the
//   invoke for every dtype, as TFLite checks it.
// - FLOOR_MOD: the remainder with the divisor's sign (truncated remainder plus y when the signs differ). Integer
//   zero divisors fail; float ones give NaN (fmod).
// - POW: float32 pow; int32 pow of non-negative exponents (a negative one fails). int32 results follow the
//   official runtime's two paths: a single exponent broadcast over the base multiplies in int32 (wrapping modulo
//   2^32); otherwise the exact power is converted to int32, a result outside int32 becoming -2^31.

import { InputError } from '../../errors.js';
import type { Kernel, PrepareContext } from '../kernel.js';
import { broadcastIndexMap, broadcastShapes, requireDtype, requireInput, sameShape, sizeOf } from './shape-util.js';

type Op = 'FLOOR_DIV' | 'FLOOR_MOD' | 'POW';

interface FloorPowPlan {
  n: number;
  mapA: Int32Array | null;
  mapB: Int32Array | null;
  fn: (x: number, y: number) => number;
  /** int64 FLOOR_MOD works on bigints. */
  big: boolean;
  name: string;
}

const f32 = Math.fround;
const INT32_MIN = -2147483648;

function zeroDivisor(op: string, name: string): never {
  throw new InputError(`${op}: division by zero computing '${name}'`);
}

function floorDivInt(x: number, y: number): number {
  const q = Math.trunc(x / y);
  return (x % y !== 0 && (x < 0) !== (y < 0) ? q - 1 : q) | 0;
}

function floorModFloat(x: number, y: number): number {
  const m = x % y;
  return m !== 0 && (y < 0) !== (m < 0) ? f32(m + y) : m;
}

function floorModInt(x: number, y: number): number {
  const m = x % y;
  return (m !== 0 && (y < 0) !== (m < 0) ? m + y : m) | 0;
}

function powIntWrapping(x: number, y: number): number {
  let result = 1;
  let base = x | 0;
  for (let e = y; e > 0; e >>>= 1) {
    if (e & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
  }
  return result;
}

function powInt(x: number, y: number): number {
  const v = Math.trunc(Math.pow(x, y));
  return v >= INT32_MIN && v <= 2147483647 ? v : INT32_MIN;
}

const DTYPES: Record<Op, string[]> = {
  FLOOR_DIV: ['float32', 'int32'],
  FLOOR_MOD: ['float32', 'int32', 'int64'],
  POW: ['float32', 'int32'],
};

function prepareFloorPow(ctx: PrepareContext, op: Op): FloorPowPlan {
  const a = requireInput(ctx, 0);
  const b = requireInput(ctx, 1);
  requireDtype(ctx, a, DTYPES[op]);
  if (b.dtype !== a.dtype) ctx.unsupported(`${op} inputs differ in dtype (${a.dtype}, ${b.dtype})`);
  const shape = broadcastShapes(ctx, a.shape, b.shape);
  const out = ctx.outputs[0];
  out.dtype = a.dtype;
  out.shape = shape;
  const isFloat = a.dtype === 'float32';
  const fn = op === 'FLOOR_DIV' ? (isFloat ? (x: number, y: number) => Math.floor(f32(x / y)) : floorDivInt)
    : op === 'FLOOR_MOD' ? (isFloat ? floorModFloat : floorModInt)
      : isFloat ? (x: number, y: number) => f32(Math.pow(x, y))
        : sizeOf(b.shape) === 1 && !sameShape(a.shape, b.shape) ? powIntWrapping : powInt;
  return {
    n: sizeOf(shape), mapA: broadcastIndexMap(a.shape, shape), mapB: broadcastIndexMap(b.shape, shape),
    fn, big: a.dtype === 'int64', name: out.name,
  };
}

function makeKernel(op: Op, maxVersion: number, checkDivisor: 'all' | 'int' | 'negative-int'): Kernel<FloorPowPlan> {
  return {
    op,
    maxVersion,
    prepare: (ctx) => prepareFloorPow(ctx, op),
    eval(p, inputs, outputs) {
      const { n, mapA, mapB } = p;
      const B = inputs[1]!.data;
      const isInt = !(B instanceof Float32Array);
      // TFLite validates the whole divisor (exponent) tensor before computing.
      if (checkDivisor === 'all' || (checkDivisor === 'int' && isInt)) {
        for (let k = 0; k < B.length; k++) if (Number(B[k]) === 0) zeroDivisor(op, p.name);
      } else if (checkDivisor === 'negative-int' && isInt) {
        for (let k = 0; k < B.length; k++) {
          if (Number(B[k]) < 0) throw new InputError(`POW: integer to the negative power ${Number(B[k])} computing '${p.name}'`);
        }
      }
      if (p.big) {
        const A = inputs[0]!.data as BigInt64Array;
        const Bb = B as BigInt64Array;
        const Y = outputs[0].data as BigInt64Array;
        for (let k = 0; k < n; k++) {
          const x = A[mapA === null ? k : mapA[k]];
          const y = Bb[mapB === null ? k : mapB[k]];
          const m = x % y;
          Y[k] = m !== 0n && (y < 0n) !== (m < 0n) ? m + y : m;
        }
        return;
      }
      const A = inputs[0]!.data as Float32Array;
      const Bn = B as Float32Array;
      const Y = outputs[0].data as Float32Array;
      const fn = p.fn;
      for (let k = 0; k < n; k++) Y[k] = fn(A[mapA === null ? k : mapA[k]], Bn[mapB === null ? k : mapB[k]]);
    },
  };
}

export const floorDivKernel = makeKernel('FLOOR_DIV', 2, 'all');
export const floorModKernel = makeKernel('FLOOR_MOD', 1, 'int');
export const powKernel = makeKernel('POW', 1, 'negative-int');
