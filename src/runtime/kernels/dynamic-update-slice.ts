// DYNAMIC_UPDATE_SLICE: the operand with `update` written over it at start indices (a 1-D int32/int64 tensor, one
// per dimension, read at invoke). As XLA's DynamicUpdateSlice (and TFLite's kernel), each start is clamped to
// [0, operand_dim - update_dim], so the update always lies inside the operand. Raw copies: quantized tensors keep
// their parameters (TF's quantizer gives operand, update and output one scale).

import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput, sizeOf, stridesOf, type Elements } from './shape-util.js';

interface DusPlan { opShape: number[]; upShape: number[]; opStrides: number[]; upCount: number; start: number[]; counter: number[] }

export const dynamicUpdateSliceKernel: Kernel<DusPlan> = {
  op: 'DYNAMIC_UPDATE_SLICE',
  maxVersion: 3,
  prepare(ctx) {
    const operand = requireInput(ctx, 0);
    const update = requireInput(ctx, 1);
    const starts = requireInput(ctx, 2);
    requireDtype(ctx, operand, ['float32', 'int8', 'int16', 'int32', 'int64', 'bool', 'uint8']);
    if (update.dtype !== operand.dtype) ctx.unsupported(`DYNAMIC_UPDATE_SLICE update is ${update.dtype}, operand is ${operand.dtype}`);
    requireDtype(ctx, starts, ['int32', 'int64']);
    const rank = operand.shape.length;
    if (update.shape.length !== rank) ctx.unsupported(`DYNAMIC_UPDATE_SLICE update rank ${update.shape.length} differs from operand rank ${rank}`);
    if (starts.shape.length !== 1 || starts.shape[0] !== rank) ctx.unsupported(`DYNAMIC_UPDATE_SLICE start indices [${starts.shape}] need one per dimension (${rank})`);
    for (let d = 0; d < rank; d++) if (update.shape[d] > operand.shape[d]) ctx.unsupported(`DYNAMIC_UPDATE_SLICE update [${update.shape}] is larger than operand [${operand.shape}]`);
    const out = ctx.outputs[0];
    out.dtype = operand.dtype;
    out.shape = operand.shape.slice();
    return {
      opShape: operand.shape.slice(), upShape: update.shape.slice(), opStrides: stridesOf(operand.shape),
      upCount: sizeOf(update.shape), start: new Array(rank).fill(0), counter: new Array(rank).fill(0),
    };
  },
  eval(p, inputs, outputs) {
    const src = inputs[0]!.data as Elements;
    const upd = inputs[1]!.data as Elements;
    const st = inputs[2]!.data as Elements;
    const out = outputs[0].data as Elements;
    if (out !== src) for (let i = 0; i < src.length; i++) out[i] = src[i];
    const { opShape, upShape, opStrides, start, counter } = p;
    const rank = opShape.length;
    let base = 0;
    for (let d = 0; d < rank; d++) {
      const s = Number(st[d]);
      start[d] = Math.min(Math.max(s, 0), opShape[d] - upShape[d]);
      base += start[d] * opStrides[d];
      counter[d] = 0;
    }
    if (p.upCount === 0) return;
    let at = base;
    for (let i = 0; i < p.upCount; i++) {
      out[at] = upd[i];
      for (let d = rank - 1; d >= 0; d--) {
        counter[d]++;
        at += opStrides[d];
        if (counter[d] < upShape[d]) break;
        at -= opStrides[d] * upShape[d];
        counter[d] = 0;
      }
    }
  },
};
