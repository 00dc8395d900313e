// PAD and PADV2: quantized PAD fills with the output zero point; PADV2 fills with its constant (raw value).
// The TypeScript path gathers through an index map (index-map.ts). The WebAssembly path (assembly/pad.ts) sees the
// output as runs of the input, each contiguous in both tensors (everything inside the last padded dimension), with
// fill between them: one memory copy per run.

import type { DType } from '../../graph/model.js';
import type { Kernel, KernelPath, PrepareContext } from '../kernel.js';
import { buildIndexMap, gatherEval, type GatherPlan } from './index-map.js';
import { constIntValues, isQuant, requireInput, stridesOf } from './shape-util.js';

interface PadPlan extends GatherPlan {
  /** The WebAssembly path: the module's padRuns and its descriptor, or null (TypeScript gather). */
  run: ((desc: number, input: number, output: number) => void) | null;
  desc: number;
}

/** Typed arrays writing one fill element, for the element types the module pads. */
const FILL_ARRAYS: Partial<Record<DType, Int8ArrayConstructor | Uint8ArrayConstructor | Int16ArrayConstructor | Uint16ArrayConstructor
  | Int32ArrayConstructor | Uint32ArrayConstructor | Float32ArrayConstructor>> = {
  int8: Int8Array, uint8: Uint8Array, bool: Uint8Array, int16: Int16Array, uint16: Uint16Array, float16: Uint16Array,
  int32: Int32Array, uint32: Uint32Array, float32: Float32Array,
};

/** The run list and fill pattern in the arena (see assembly/pad.ts), or 0 where the module cannot pad this. */
function prepareRuns(ctx: PrepareContext, inShape: number[], outShape: number[], pads: number[], fill: number): number {
  const arena = ctx.wasm;
  const input = ctx.inputs[0]!;
  const out = ctx.outputs[0];
  const Fill = FILL_ARRAYS[out.dtype];
  if (!arena || !Fill || input.isConstant || input.isVariable || out.isConstant || out.isVariable) return 0;
  const size = Fill.BYTES_PER_ELEMENT;
  const rank = inShape.length;
  let last = rank - 1;
  while (last >= 0 && pads[2 * last] === 0 && pads[2 * last + 1] === 0) last--;
  // A run: one line of the last padded dimension with everything inside it (the whole tensor when nothing pads).
  let inner = 1;
  for (let d = last + 1; d < rank; d++) inner *= inShape[d];
  const runElements = last >= 0 ? inShape[last] * inner : inner;
  let runs = 1;
  for (let d = 0; d < last; d++) runs *= inShape[d];
  if (runElements === 0) runs = 0;
  const total = outShape.reduce((a, b) => a * b, 1);
  if (total * size >= 2 ** 31) return 0;
  const outStrides = stridesOf(outShape);
  const table = new Int32Array(2 * runs);
  const index = new Array<number>(Math.max(0, last)).fill(0);
  for (let r = 0; r < runs; r++) {
    let dst = last >= 0 ? pads[2 * last] * outStrides[last] : 0;
    for (let d = 0; d < last; d++) dst += (index[d] + pads[2 * d]) * outStrides[d];
    table[2 * r] = r * runElements * size;
    table[2 * r + 1] = dst * size;
    for (let d = last - 1; d >= 0; d--) {
      if (++index[d] < inShape[d]) break;
      index[d] = 0;
    }
  }
  const desc = arena.alloc(32, 16);
  const tableAt = arena.alloc(Math.max(8, table.byteLength), 16);
  arena.i32.set(table, tableAt >> 2);
  const i32 = arena.i32;
  const d = desc >> 2;
  i32[d] = runs;
  i32[d + 1] = runElements * size;
  i32[d + 2] = total * size;
  i32[d + 3] = tableAt;
  const pattern = new Fill(16 / size).fill(fill);
  arena.u8.set(new Uint8Array(pattern.buffer), desc + 16);
  return desc;
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
  const desc = prepareRuns(ctx, input.shape, out.shape, pads, fill);
  if (desc) return { map: new Int32Array(0), fill, run: ctx.wasm!.exports.padRuns as PadPlan['run'], desc };
  const strides = stridesOf(input.shape);
  const dimOffsets = out.shape.map((size, d) => {
    const a = new Int32Array(size);
    for (let j = 0; j < size; j++) {
      const i = j - pads[2 * d];
      a[j] = i >= 0 && i < input.shape[d] ? i * strides[d] : -1;
    }
    return a;
  });
  return { map: buildIndexMap(out.shape, dimOffsets), fill, run: null, desc: 0 };
}

function padEval(plan: PadPlan, inputs: Parameters<typeof gatherEval>[1], outputs: Parameters<typeof gatherEval>[2]): void {
  if (plan.run) plan.run(plan.desc, inputs[0]!.data.byteOffset, outputs[0].data.byteOffset);
  else gatherEval(plan, inputs, outputs);
}

const padPath = (plan: PadPlan): KernelPath => (plan.run ? 'wasm' : 'js');

export const padKernel: Kernel<PadPlan> = {
  op: 'PAD',
  maxVersion: 4,
  prepare: (ctx) => preparePad(ctx, false),
  eval: padEval,
  path: padPath,
};

export const padV2Kernel: Kernel<PadPlan> = {
  op: 'PADV2',
  maxVersion: 4,
  prepare: (ctx) => preparePad(ctx, true),
  eval: padEval,
  path: padPath,
};
