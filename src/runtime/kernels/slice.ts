// SLICE (begin/size, size -1 = to the end) and STRIDED_SLICE (TensorFlow semantics: begin/end/ellipsis/
// new-axis/shrink masks, negative strides, clamping; `offset` makes end relative to begin).

import type { Kernel, PrepareContext } from '../kernel.js';
import { buildIndexMap, gatherEval, type GatherPlan } from './index-map.js';
import { constIntValues, requireInput, stridesOf } from './shape-util.js';

export const sliceKernel: Kernel<GatherPlan> = {
  op: 'SLICE',
  maxVersion: 5,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const rank = input.shape.length;
    const begin = constIntValues(ctx, requireInput(ctx, 1), 'SLICE begin');
    const size = constIntValues(ctx, requireInput(ctx, 2), 'SLICE size');
    if (begin.length !== rank || size.length !== rank) ctx.unsupported(`SLICE begin/size must have ${rank} values`);
    const strides = stridesOf(input.shape);
    const outShape = input.shape.map((d, i) => {
      const s = size[i] === -1 ? d - begin[i] : size[i];
      if (begin[i] < 0 || s < 0 || begin[i] + s > d) ctx.unsupported(`SLICE begin ${begin[i]} size ${size[i]} out of range for dimension ${d}`);
      return s;
    });
    const out = ctx.outputs[0];
    out.dtype = input.dtype;
    out.shape = outShape;
    const dimOffsets = outShape.map((s, d) => Int32Array.from({ length: s }, (_, j) => (begin[d] + j) * strides[d]));
    return { map: buildIndexMap(outShape, dimOffsets), fill: 0 };
  },
  eval: gatherEval,
};

const NEW_AXIS = -1;
const SHRINK_AXIS = -2;

function prepareStridedSlice(ctx: PrepareContext): GatherPlan {
  const input = requireInput(ctx, 0);
  const rank = input.shape.length;
  const sBegin = constIntValues(ctx, requireInput(ctx, 1), 'STRIDED_SLICE begin');
  const sEnd = constIntValues(ctx, requireInput(ctx, 2), 'STRIDED_SLICE end');
  const stridesInput = ctx.inputs[3] ?? null;
  const sStrides = stridesInput ? constIntValues(ctx, stridesInput, 'STRIDED_SLICE strides') : sBegin.map(() => 1);
  const n = sBegin.length;
  if (sEnd.length !== n || sStrides.length !== n) ctx.unsupported('STRIDED_SLICE begin, end and strides differ in length');
  const o = ctx.options;
  const beginMask = Number(o.beginMask ?? 0);
  const endMask = Number(o.endMask ?? 0);
  let ellipsisMask = Number(o.ellipsisMask ?? 0);
  const newAxisMask = Number(o.newAxisMask ?? 0);
  const shrinkMask = Number(o.shrinkAxisMask ?? 0);
  const offset = o.offset === true;
  const bit = (m: number, i: number) => ((m >> i) & 1) === 1;

  // Without an ellipsis, an implicit one follows the given dims (unspecified trailing dims are taken whole).
  let sparseDims = n;
  if (ellipsisMask === 0) {
    ellipsisMask = 1 << n;
    sparseDims = n + 1;
  }
  let ellipsisPos = -1;
  for (let i = 0; i < sparseDims; i++) if (bit(ellipsisMask, i)) { ellipsisPos = i; break; }
  let newAxesAfterEllipsis = 0;
  for (let i = ellipsisPos + 1; i < sparseDims; i++) if (bit(newAxisMask, i)) newAxesAfterEllipsis++;

  // Dense spec: one entry per input dimension.
  const dBegin = new Array<number>(rank).fill(0);
  const dEnd = new Array<number>(rank).fill(0);
  const dStride = new Array<number>(rank).fill(1);
  const dBeginMasked = new Array<boolean>(rank).fill(false);
  const dEndMasked = new Array<boolean>(rank).fill(false);
  const dShrink = new Array<boolean>(rank).fill(false);
  const finalGather: number[] = [];
  let full = 0;
  for (let i = 0; i < sparseDims; i++) {
    if (bit(ellipsisMask, i)) {
      const next = Math.min(rank - (sparseDims - i) + 1 + newAxesAfterEllipsis, rank);
      for (; full < next; full++) {
        dBeginMasked[full] = true;
        dEndMasked[full] = true;
        finalGather.push(full);
      }
    } else if (bit(newAxisMask, i)) {
      finalGather.push(NEW_AXIS);
    } else {
      if (full >= rank) ctx.unsupported(`STRIDED_SLICE indexes more dimensions than the input's ${rank}`);
      dBegin[full] = sBegin[i];
      dEnd[full] = offset ? sBegin[i] + sEnd[i] : sEnd[i];
      dStride[full] = sStrides[i];
      dBeginMasked[full] = bit(beginMask, i);
      dEndMasked[full] = bit(endMask, i);
      dShrink[full] = bit(shrinkMask, i);
      finalGather.push(dShrink[full] ? SHRINK_AXIS : full);
      full++;
    }
  }

  const strides = stridesOf(input.shape);
  const procSize: number[] = [];
  const procStart: number[] = [];
  for (let d = 0; d < rank; d++) {
    const dim = input.shape[d];
    const s = dStride[d];
    if (s === 0) ctx.unsupported('STRIDED_SLICE stride 0');
    if (dShrink[d]) {
      // As TFLite's StartForAxis: a begin mask wins over the given index (the shrunk index is then 0).
      const b = dBeginMasked[d] ? 0 : dBegin[d] < 0 ? dBegin[d] + dim : dBegin[d];
      if (b < 0 || b >= dim) ctx.unsupported(`STRIDED_SLICE shrink index ${dBegin[d]} out of range for dimension ${dim}`);
      procStart[d] = b;
      dStride[d] = 1;
      procSize[d] = 1;
      continue;
    }
    const lo = s > 0 ? 0 : -1;
    const hi = s > 0 ? dim : dim - 1;
    const canonical = (x: number, masked: boolean, isEnd: boolean) => {
      if (masked) return (s > 0) !== isEnd ? lo : hi;
      const fwd = x < 0 ? dim + x : x;
      return fwd < lo ? lo : fwd > hi ? hi : fwd;
    };
    const b = canonical(dBegin[d], dBeginMasked[d], false);
    const e = canonical(dEnd[d], dEndMasked[d], true);
    const interval = e - b;
    procStart[d] = b;
    procSize[d] = interval === 0 || (interval < 0) !== (s < 0) ? 0 : Math.ceil(Math.abs(interval) / Math.abs(s));
  }
  // Output shape: processing dims with new axes inserted and shrunk axes removed. The index map runs over
  // the processing dims (new axes have size 1 and do not move in the input).
  const outShape: number[] = [];
  for (const g of finalGather) {
    if (g === NEW_AXIS) outShape.push(1);
    else if (g !== SHRINK_AXIS) outShape.push(procSize[g]);
  }
  const out = ctx.outputs[0];
  out.dtype = input.dtype;
  out.shape = outShape;
  const dimOffsets = procSize.map((size, d) => Int32Array.from({ length: size }, (_, j) => (procStart[d] + j * dStride[d]) * strides[d]));
  return { map: buildIndexMap(procSize, dimOffsets), fill: 0 };
}

export const stridedSliceKernel: Kernel<GatherPlan> = {
  op: 'STRIDED_SLICE',
  maxVersion: 8,
  prepare: prepareStridedSlice,
  eval: gatherEval,
};
