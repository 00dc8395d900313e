// L2_POOL_2D (float32): sqrt of the mean of squares over each NHWC window, padding cells skipped (the mean is over
// the cells inside the input), then the fused activation, as TFLite's L2Pool. Sums accumulate in float32.

import type { Kernel } from '../kernel.js';
import { computePadding, floatClamp } from './conv-common.js';
import { poolWindow } from './pooling.js';
import { requireDtype, requireInput } from './shape-util.js';

interface L2PoolPlan {
  batches: number; inH: number; inW: number; channels: number; outH: number; outW: number;
  filterH: number; filterW: number; strideH: number; strideW: number; padH: number; padW: number;
  actMin: number; actMax: number;
}

export const l2Pool2dKernel: Kernel<L2PoolPlan> = {
  op: 'L2_POOL_2D',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    requireDtype(ctx, input, ['float32']);
    const { batches, inH, inW, channels, outH, outW, filterH, filterW, strideH, strideW } = poolWindow(ctx, input);
    const out = ctx.outputs[0];
    out.dtype = 'float32';
    out.shape = [batches, outH, outW, channels];
    const [actMin, actMax] = floatClamp(ctx);
    return {
      batches, inH, inW, channels, outH, outW, filterH, filterW, strideH, strideW,
      padH: computePadding(strideH, 1, inH, filterH, outH), padW: computePadding(strideW, 1, inW, filterW, outW), actMin, actMax,
    };
  },
  eval(p, inputs, outputs) {
    const X = inputs[0]!.data as Float32Array;
    const Y = outputs[0].data as Float32Array;
    const f = Math.fround;
    for (let b = 0; b < p.batches; b++) {
      for (let oy = 0; oy < p.outH; oy++) {
        const y0 = oy * p.strideH - p.padH;
        const yStart = Math.max(0, y0), yEnd = Math.min(p.inH, y0 + p.filterH);
        for (let ox = 0; ox < p.outW; ox++) {
          const x0 = ox * p.strideW - p.padW;
          const xStart = Math.max(0, x0), xEnd = Math.min(p.inW, x0 + p.filterW);
          for (let c = 0; c < p.channels; c++) {
            let sum = 0;
            let count = 0;
            for (let y = yStart; y < yEnd; y++) {
              for (let x = xStart; x < xEnd; x++) {
                const v = X[((b * p.inH + y) * p.inW + x) * p.channels + c];
                sum = f(sum + f(v * v));
                count++;
              }
            }
            const r = f(Math.sqrt(f(sum / count)));
            Y[((b * p.outH + oy) * p.outW + ox) * p.channels + c] = Math.min(p.actMax, Math.max(p.actMin, r));
          }
        }
      }
    }
  },
};
