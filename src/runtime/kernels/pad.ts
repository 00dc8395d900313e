// PAD and PADV2: quantized PAD fills with the output zero point; PADV2 fills with its constant (raw value).
// The WebAssembly path (assembly/pad.ts) copies whole input rows and fills the padding in blocks; the index-map
// gather stays the specification and the path of shapes it does not cover.

import type { DType } from '../../graph/model.js';
import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import type { WasmArena } from '../wasm/arena.js';
import { inArena } from './float-gemm.js';
import { buildIndexMap, gatherEval, type GatherPlan } from './index-map.js';
import { constIntValues, isQuant, requireInput, stridesOf } from './shape-util.js';

interface PadPlan extends GatherPlan {
  /** The WebAssembly path: its record (see assembly/pad.ts) and function, or null. */
  wasm: { record: number; run: (record: number, src: number, dst: number) => void } | null;
}

/** Bytes per element of the dtypes the block copy handles (the arena's layout), or 0. */
function elementBytes(dtype: DType): number {
  switch (dtype) {
    case 'int8': case 'uint8': case 'bool': return 1;
    case 'int16': case 'uint16': case 'float16': case 'bfloat16': return 2;
    case 'float32': case 'int32': case 'uint32': return 4;
    case 'int64': case 'uint64': case 'float64': case 'complex64': return 8;
    default: return 0;
  }
}

/** The fill element repeated over 32 bits (its raw bytes), or null when it is wider than 32 bits and not zero. */
function fillPattern(dtype: DType, bytes: number, fill: number): number | null {
  if (fill === 0) return 0;
  if (bytes === 8) return null;
  if (dtype === 'float32') return new Uint32Array(new Float32Array([fill]).buffer)[0];
  if (bytes === 4) return fill >>> 0;
  if (bytes === 2) return ((fill & 0xffff) * 0x10001) >>> 0;
  return ((fill & 0xff) * 0x01010101) >>> 0;
}

/**
 * The block-copy record: dimensions without padding merged into the one before (so rows are as long as possible),
 * leading ones added to make four, the innermost counted in bytes. Null when more than four dimensions remain.
 */
function planWasm(arena: WasmArena, input: RuntimeTensor, output: RuntimeTensor, pads: number[], fill: number): PadPlan['wasm'] {
  const bytes = elementBytes(input.dtype);
  if (bytes === 0 || !inArena(input, output)) return null;
  const pattern = fillPattern(input.dtype, bytes, fill);
  if (pattern === null) return null;
  const dims: number[] = [];
  const before: number[] = [];
  const after: number[] = [];
  input.shape.forEach((d, i) => {
    const b = pads[2 * i], a = pads[2 * i + 1];
    if (dims.length > 0 && b === 0 && a === 0) {
      const k = dims.length - 1;
      dims[k] *= d;
      before[k] *= d;
      after[k] *= d;
      return;
    }
    dims.push(d);
    before.push(b);
    after.push(a);
  });
  if (dims.length > 4) return null;
  while (dims.length < 4) {
    dims.unshift(1);
    before.unshift(0);
    after.unshift(0);
  }
  dims[3] *= bytes;
  before[3] *= bytes;
  after[3] *= bytes;
  const record = arena.alloc(13 * 4, 16);
  const i32 = arena.i32;
  i32.set([...dims, before[0], after[0], before[1], after[1], before[2], after[2], before[3], after[3]], record / 4);
  arena.i32[record / 4 + 12] = pattern | 0;
  return { record, run: arena.exports.padBlocks };
}

function preparePad(ctx: PrepareContext, withConstant: boolean): PadPlan {
  const input = requireInput(ctx, 0);
  const rank = input.shape.length;
  const pads = constIntValues(ctx, requireInput(ctx, 1), 'paddings');
  if (pads.length !== rank * 2) ctx.unsupported(`paddings hold ${pads.length} values, need ${rank}x2`);
  const out = ctx.outputs[0];
  out.dtype = input.dtype;
  out.shape = input.shape.map((d, i) => {
    if (pads[2 * i] < 0 || pads[2 * i + 1] < 0) ctx.unsupported('negative paddings');
    return d + pads[2 * i] + pads[2 * i + 1];
  });
  let fill = isQuant(out) && input.dtype !== 'float32' ? out.zeroPoint[0] : 0;
  const constant = withConstant ? ctx.inputs[2] ?? null : null;
  if (constant) {
    if (constant.dtype !== input.dtype) ctx.unsupported(`PADV2 constant is ${constant.dtype}, input is ${input.dtype}`);
    if (!constant.isConstant) ctx.unsupported('PADV2 constant_values must be constant');
    if (constant.data.length !== 1) ctx.unsupported('PADV2 constant_values must hold one value');
    fill = Number(constant.data[0]);
  }
  const total = out.shape.reduce((a, b) => a * b, 1);
  const wasm = ctx.wasm && total > 0 ? planWasm(ctx.wasm, input, out, pads, fill) : null;
  if (wasm) return { map: new Int32Array(0), fill, wasm };
  const strides = stridesOf(input.shape);
  const dimOffsets = (size: number, d: number) => {
    const a = new Int32Array(size);
    for (let j = 0; j < size; j++) {
      const i = j - pads[2 * d];
      a[j] = i >= 0 && i < input.shape[d] ? i * strides[d] : -1;
    }
    return a;
  };
  return { map: buildIndexMap(out.shape, dimOffsets), fill, wasm: null };
}

function evalPad(plan: PadPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  if (plan.wasm) plan.wasm.run(plan.wasm.record, inputs[0]!.data.byteOffset, outputs[0].data.byteOffset);
  else gatherEval(plan, inputs, outputs);
}

export const padKernel: Kernel<PadPlan> = {
  op: 'PAD',
  maxVersion: 4,
  prepare: (ctx) => preparePad(ctx, false),
  eval: evalPad,
  path: (p) => (p.wasm ? 'wasm' : 'js'),
};

export const padV2Kernel: Kernel<PadPlan> = {
  op: 'PADV2',
  maxVersion: 4,
  prepare: (ctx) => preparePad(ctx, true),
  eval: evalPad,
  path: (p) => (p.wasm ? 'wasm' : 'js'),
};
