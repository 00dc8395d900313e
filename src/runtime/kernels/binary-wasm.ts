// The WebAssembly path of the element-wise binary ops (assembly/binary.ts): the broadcast seen as [outer, inner]
// with each operand streaming or repeated per row, found at prepare; constant operands copied into the arena.

import type { RuntimeTensor } from '../kernel.js';
import type { WasmArena } from '../wasm/arena.js';

type Fn = (...args: number[]) => void;

/** How an operand is read per output row (the module's MODE_* values). */
export const OperandMode = { Full: 0, Row: 1, Scalar: 2, Column: 3 } as const;
export type OperandMode = (typeof OperandMode)[keyof typeof OperandMode];

export interface BinaryView {
  outer: number;
  inner: number;
  aMode: OperandMode;
  bMode: OperandMode;
}

function isStream(m: OperandMode): boolean {
  return m === OperandMode.Full || m === OperandMode.Row;
}

/** How `shape` (right-aligned to `out`) is read when `out` is split into [outer = dims < s, inner = dims >= s]. */
function modeAt(shape: readonly number[], out: readonly number[], s: number): OperandMode | null {
  const rank = out.length;
  const dim = (i: number) => (i < rank - shape.length ? 1 : shape[i - (rank - shape.length)]);
  let same = true, ones = true, outerOnes = true, outerSame = true, innerSame = true, innerOnes = true;
  for (let i = 0; i < rank; i++) {
    const d = dim(i);
    if (d !== out[i]) same = false;
    if (d !== 1) ones = false;
    if (i < s) {
      if (d !== 1) outerOnes = false;
      if (d !== out[i]) outerSame = false;
    } else {
      if (d !== out[i]) innerSame = false;
      if (d !== 1) innerOnes = false;
    }
  }
  if (same) return OperandMode.Full;
  if (ones) return OperandMode.Scalar;
  if (outerOnes && innerSame) return OperandMode.Row;
  if (outerSame && innerOnes) return OperandMode.Column;
  return null;
}

/** The [outer, inner] view of a broadcast both operands fit (at least one streaming), widest inner first; or null. */
export function binaryView(a: readonly number[], b: readonly number[], out: readonly number[]): BinaryView | null {
  const total = out.reduce((x, y) => x * y, 1);
  if (total === 0) return null;
  for (let s = 0; s <= out.length; s++) {
    const aMode = modeAt(a, out, s);
    const bMode = modeAt(b, out, s);
    if (aMode === null || bMode === null || (!isStream(aMode) && !isStream(bMode))) continue;
    const inner = out.slice(s).reduce((x, y) => x * y, 1);
    return { outer: total / inner, inner, aMode, bMode };
  }
  return null;
}

export interface BinaryWasm {
  arena: WasmArena;
  view: BinaryView;
  /** Byte offsets of constant operands copied into the arena, or -1 for operands read in place. */
  constA: number;
  constB: number;
  /** The module call with everything but the three tensors' offsets bound. */
  call: (a: number, b: number, out: number) => void;
}

/** Copy a constant operand into the arena (its bytes as they are). */
function constantOffset(arena: WasmArena, t: RuntimeTensor): number {
  if (!t.isConstant) return -1;
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const at = arena.alloc(Math.max(16, bytes.length), 16);
  arena.u8.set(bytes, at);
  return at;
}

/** float32 op codes of binaryF32. */
export const F32_OP_CODES: Record<string, number> = { ADD: 0, SUB: 1, MUL: 2, DIV: 3, MAXIMUM: 4, MINIMUM: 5, SQUARED_DIFFERENCE: 6 };

export function planBinaryF32(arena: WasmArena, op: string, a: RuntimeTensor, b: RuntimeTensor, out: RuntimeTensor,
  lo: number, hi: number): BinaryWasm | null {
  const view = binaryView(a.shape, b.shape, out.shape);
  const code = F32_OP_CODES[op];
  if (!view || code === undefined) return null;
  const fn = arena.exports.binaryF32 as Fn;
  const { outer, inner, aMode, bMode } = view;
  return {
    arena, view, constA: constantOffset(arena, a), constB: constantOffset(arena, b),
    call: (pa, pb, po) => fn(code, pa, pb, po, outer, inner, aMode, bMode, lo, hi),
  };
}

export interface AddQ8Params {
  multiplierA: number;
  multiplierB: number;
  shift: number;
  bias: number;
  outputZeroPoint: number;
  min: number;
  max: number;
}

/** 8-bit ADD/SUB with XNNPACK's parameters (xnnpack-add.ts). */
export function planAddQ8(arena: WasmArena, signed: boolean, q: AddQ8Params, a: RuntimeTensor, b: RuntimeTensor,
  out: RuntimeTensor): BinaryWasm | null {
  const view = binaryView(a.shape, b.shape, out.shape);
  if (!view) return null;
  const fn = arena.exports.addQ8 as Fn;
  const { outer, inner, aMode, bMode } = view;
  const s = signed ? 1 : 0;
  const { multiplierA, multiplierB, shift, bias, outputZeroPoint, min, max } = q;
  return {
    arena, view, constA: constantOffset(arena, a), constB: constantOffset(arena, b),
    call: (pa, pb, po) => fn(s, pa, pb, po, outer, inner, aMode, bMode, multiplierA, multiplierB, shift, bias, outputZeroPoint, min, max),
  };
}

/** 8-bit MUL with XNNPACK's float32 scale; lo, hi: the output range minus its zero point. */
export function planMulQ8(arena: WasmArena, signed: boolean, a: RuntimeTensor, b: RuntimeTensor, out: RuntimeTensor,
  scale: number, zp: number, lo: number, hi: number): BinaryWasm | null {
  const view = binaryView(a.shape, b.shape, out.shape);
  if (!view) return null;
  const fn = arena.exports.mulQ8 as Fn;
  const { outer, inner, aMode, bMode } = view;
  const s = signed ? 1 : 0;
  const za = a.zeroPoint[0], zb = b.zeroPoint[0];
  return {
    arena, view, constA: constantOffset(arena, a), constB: constantOffset(arena, b),
    call: (pa, pb, po) => fn(s, pa, pb, po, outer, inner, aMode, bMode, za, zb, scale, zp, lo, hi),
  };
}

/** Run on the module; false when an operand lives outside the arena (the TypeScript loops run instead). */
export function runBinaryWasm(k: BinaryWasm, a: RuntimeTensor, b: RuntimeTensor, out: RuntimeTensor): boolean {
  const arena = k.arena;
  if (!arena.holds(out.data) || (k.constA < 0 && !arena.holds(a.data)) || (k.constB < 0 && !arena.holds(b.data))) return false;
  k.call(k.constA >= 0 ? k.constA : a.data.byteOffset, k.constB >= 0 ? k.constB : b.data.byteOffset, out.data.byteOffset);
  return true;
}
