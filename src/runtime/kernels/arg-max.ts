// ARG_MAX / ARG_MIN along one axis (the first of equal extremes wins, as TFLite's strict comparison).

import type { Kernel, PrepareContext } from '../kernel.js';
import { constIntValues, normalizeAxis, requireDtype, requireInput, sizeOf } from './shape-util.js';

interface ArgPlan {
  outer: number;
  axisSize: number;
  inner: number;
}

function prepareArg(ctx: PrepareContext): ArgPlan {
  const input = requireInput(ctx, 0);
  requireDtype(ctx, input, ['float32', 'int32', 'int8', 'uint8', 'int16', 'int64', 'bool']);
  const axisValues = constIntValues(ctx, requireInput(ctx, 1), 'axis');
  const axis = normalizeAxis(ctx, axisValues[0], input.shape.length);
  const out = ctx.outputs[0];
  const want = String(ctx.options.outputType ?? out.dtype);
  if (want !== 'int32' && want !== 'int64') ctx.unsupported(`output_type ${want}`);
  out.dtype = want as 'int32' | 'int64';
  out.shape = input.shape.filter((_, i) => i !== axis);
  return { outer: sizeOf(input.shape.slice(0, axis)), axisSize: input.shape[axis], inner: sizeOf(input.shape.slice(axis + 1)) };
}

function makeArg(op: string, sign: 1 | -1): Kernel<ArgPlan> {
  return {
    op,
    // Version 3: bool input.
    maxVersion: 3,
    prepare: prepareArg,
    eval(plan, inputs, outputs) {
      const src = inputs[0]!.data as Float32Array;
      const out = outputs[0].data;
      const big = out instanceof BigInt64Array;
      const { outer, axisSize, inner } = plan;
      for (let o = 0; o < outer; o++) {
        for (let r = 0; r < inner; r++) {
          const base = o * axisSize * inner + r;
          let best = 0;
          let bestV = Number(src[base]) * sign;
          for (let k = 1; k < axisSize; k++) {
            const v = Number(src[base + k * inner]) * sign;
            if (v > bestV) {
              bestV = v;
              best = k;
            }
          }
          if (big) (out as BigInt64Array)[o * inner + r] = BigInt(best);
          else (out as Int32Array)[o * inner + r] = best;
        }
      }
    },
  };
}

export const argMaxKernel = makeArg('ARG_MAX', 1);
export const argMinKernel = makeArg('ARG_MIN', -1);
