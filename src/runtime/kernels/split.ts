// SPLIT (equal parts; axis is input 0) and SPLIT_V (given sizes, one may be -1; axis is input 2).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { constIntValues, normalizeAxis, requireInput, sizeOf } from './shape-util.js';

interface SplitPlan {
  outer: number;
  /** Elements per outer step of the input. */
  inChunk: number;
  /** Elements per outer step, per output. */
  chunks: number[];
}

function planSplit(ctx: PrepareContext, input: RuntimeTensor, axis: number, sizes: number[]): SplitPlan {
  if (sizes.length !== ctx.outputs.length) ctx.unsupported(`${sizes.length} splits but ${ctx.outputs.length} outputs`);
  const inner = sizeOf(input.shape.slice(axis + 1));
  sizes.forEach((s, k) => {
    const out = ctx.outputs[k];
    out.shape = input.shape.slice();
    out.shape[axis] = s;
    out.dtype = input.dtype;
  });
  return { outer: sizeOf(input.shape.slice(0, axis)), inChunk: input.shape[axis] * inner, chunks: sizes.map((s) => s * inner) };
}

/** Runs shorter than this are copied element by element. */
const SHORT_RUN = 64;

function splitEval(plan: SplitPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[], srcIndex: number): void {
  const src = inputs[srcIndex]!.data as Float32Array;
  for (let b = 0; b < plan.outer; b++) {
    let s = b * plan.inChunk;
    for (let k = 0; k < outputs.length; k++) {
      const len = plan.chunks[k];
      const dst = outputs[k].data as Float32Array;
      // Short runs (e.g. a split of the channel axis) are copied in place: a subarray view per run would allocate.
      if (len < SHORT_RUN) {
        for (let j = 0, o = b * len; j < len; j++) dst[o + j] = src[s + j];
      } else {
        dst.set(src.subarray(s, s + len), b * len);
      }
      s += len;
    }
  }
}

export const splitKernel: Kernel<SplitPlan> = {
  op: 'SPLIT',
  maxVersion: 4,
  prepare(ctx) {
    const axisValues = constIntValues(ctx, requireInput(ctx, 0), 'SPLIT axis');
    const input = requireInput(ctx, 1);
    const axis = normalizeAxis(ctx, axisValues[0], input.shape.length);
    const n = Number(ctx.options.numSplits ?? ctx.outputs.length);
    if (n <= 0 || input.shape[axis] % n !== 0) ctx.unsupported(`cannot split dimension of size ${input.shape[axis]} into ${n} parts`);
    return planSplit(ctx, input, axis, new Array<number>(n).fill(input.shape[axis] / n));
  },
  eval(plan, inputs, outputs) {
    splitEval(plan, inputs, outputs, 1);
  },
};

export const splitVKernel: Kernel<SplitPlan> = {
  op: 'SPLIT_V',
  maxVersion: 2,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const sizes = constIntValues(ctx, requireInput(ctx, 1), 'SPLIT_V size_splits');
    const axisValues = constIntValues(ctx, requireInput(ctx, 2), 'SPLIT_V axis');
    const axis = normalizeAxis(ctx, axisValues[0], input.shape.length);
    const dim = input.shape[axis];
    let unknown = -1;
    let sum = 0;
    sizes.forEach((s, k) => {
      if (s === -1) {
        if (unknown >= 0) ctx.unsupported('SPLIT_V size_splits has more than one -1');
        unknown = k;
      } else {
        sum += s;
      }
    });
    if (unknown >= 0) sizes[unknown] = dim - sum;
    if (sizes.some((s) => s < 0) || sizes.reduce((a, b) => a + b, 0) !== dim) {
      ctx.unsupported(`SPLIT_V sizes [${sizes}] do not add up to ${dim}`);
    }
    return planSplit(ctx, input, axis, sizes);
  },
  eval(plan, inputs, outputs) {
    splitEval(plan, inputs, outputs, 0);
  },
};
