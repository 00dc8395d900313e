// SEGMENT_SUM and UNSORTED_SEGMENT_SUM / _PROD / _MAX / _MIN (float32, int32): combine the rows of `data` that
// share a segment id. SEGMENT_SUM's ids ([rows], sorted: start at 0, each step 0 or +1, as TFLite checks) decide
// the output's row count; the unsorted variants take it from num_segments, their ids may have any shape that
// prefixes data's; constant ids outside [0, num_segments) are refused and ids fed at run time outside it skipped. A segment no id names keeps the combination's
// identity: 0, 1, the type's lowest value (max: -FLT_MAX, not -inf) or its highest (min).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { checkGeneratedShape, requireDtype, requireInput, shapeDecidingValues, sizeOf } from './shape-util.js';

type Combine = 'sum' | 'prod' | 'max' | 'min';

export interface SegmentPlan {
  combine: Combine;
  /** Elements per row (the data dims after the ids' dims), rows of data, rows of output. */
  inner: number; rows: number; segments: number;
  identity: number;
  int: boolean;
}

const FLT_MAX = 3.4028234663852886e38;

function identityOf(combine: Combine, int: boolean): number {
  switch (combine) {
    case 'sum': return 0;
    case 'prod': return 1;
    case 'max': return int ? -2147483648 : -FLT_MAX;
    case 'min': return int ? 2147483647 : FLT_MAX;
  }
}

function prepareSegment(ctx: PrepareContext, combine: Combine, sorted: boolean): SegmentPlan {
  const need = sorted ? 2 : 3;
  if (ctx.inputs.length !== need) ctx.unsupported(`needs ${need} inputs, got ${ctx.inputs.length}`);
  const data = requireInput(ctx, 0);
  const ids = requireInput(ctx, 1);
  requireDtype(ctx, data, ['float32', 'int32']);
  requireDtype(ctx, ids, ['int32']);
  const out = ctx.outputs[0];
  if (out.dtype !== data.dtype) ctx.unsupported(`output dtype ${out.dtype} differs from data ${data.dtype}`);
  const idRank = ids.shape.length;
  if (idRank < 1 || idRank > data.shape.length || ids.shape.some((d, i) => d !== data.shape[i])) {
    ctx.unsupported(`segment ids '${ids.name}' [${ids.shape}] must be a leading part of data's shape [${data.shape}]`);
  }
  if (sorted && idRank !== 1) ctx.unsupported(`segment ids '${ids.name}' must be 1-D`);
  let segments: number;
  if (sorted) {
    const values = shapeDecidingValues(ctx, ids, 'segment ids');
    if (values) {
      for (let i = 0; i < values.length; i++) {
        const step = i === 0 ? values[0] : values[i] - values[i - 1];
        if (step !== 0 && step !== 1) ctx.unsupported(`segment ids '${ids.name}' must start at 0 and grow by 0 or 1, got ${values[i]} at ${i}`);
      }
      segments = values.length ? values[values.length - 1] + 1 : 0;
    } else {
      segments = out.shape[0] ?? 0;
    }
  } else {
    const n = requireInput(ctx, 2);
    const values = shapeDecidingValues(ctx, n, 'num_segments');
    if (values && values.length !== 1) ctx.unsupported(`num_segments '${n.name}' must hold one value, has ${values.length}`);
    segments = values ? values[0] : out.shape[0] ?? 0;
    // TFLite refuses constant ids outside [0, num_segments) when it prepares; ids fed at run time are skipped there.
    if (values && ids.isConstant) {
      const bad = Array.from(ids.data as Int32Array).findIndex((v) => v < 0 || v >= segments);
      if (bad >= 0) ctx.unsupported(`segment id ${Number(ids.data[bad])} at ${bad} of '${ids.name}' is outside [0, ${segments})`);
    }
  }
  const inner = data.shape.slice(idRank);
  const shape = [segments, ...inner];
  checkGeneratedShape(ctx, shape, 'segment output');
  out.shape = shape;
  const int = data.dtype === 'int32';
  return { combine, inner: sizeOf(inner), rows: sizeOf(ids.shape), segments, identity: identityOf(combine, int), int };
}

function evalSegment(p: SegmentPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const x = inputs[0]!.data as Float32Array;
  const ids = inputs[1]!.data as Int32Array;
  const y = outputs[0].data as Float32Array;
  const { inner, rows, segments, combine, int } = p;
  y.fill(p.identity);
  for (let r = 0; r < rows; r++) {
    const s = ids[r];
    if (s < 0 || s >= segments) continue;
    const src = r * inner, dst = s * inner;
    for (let k = 0; k < inner; k++) {
      const a = y[dst + k], b = x[src + k];
      switch (combine) {
        case 'sum': y[dst + k] = int ? (a + b) | 0 : a + b; break;
        case 'prod': y[dst + k] = int ? Math.imul(a, b) : a * b; break;
        case 'max': y[dst + k] = a > b ? a : b; break;
        case 'min': y[dst + k] = a < b ? a : b; break;
      }
    }
  }
}

function segmentKernel(op: string, combine: Combine, sorted: boolean): Kernel<SegmentPlan> {
  return { op, maxVersion: 1, prepare: (ctx) => prepareSegment(ctx, combine, sorted), eval: evalSegment };
}

export const segmentSumKernel = segmentKernel('SEGMENT_SUM', 'sum', true);
export const unsortedSegmentSumKernel = segmentKernel('UNSORTED_SEGMENT_SUM', 'sum', false);
export const unsortedSegmentProdKernel = segmentKernel('UNSORTED_SEGMENT_PROD', 'prod', false);
export const unsortedSegmentMaxKernel = segmentKernel('UNSORTED_SEGMENT_MAX', 'max', false);
export const unsortedSegmentMinKernel = segmentKernel('UNSORTED_SEGMENT_MIN', 'min', false);
