// SIGN: (x > 0) - (x < 0) per element, on float32 and int32 (so NaN gives 0). TFLite has no quantized SIGN.

import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput } from './shape-util.js';

export const signKernel: Kernel<null> = {
  op: 'SIGN',
  maxVersion: 2,
  prepare(ctx) {
    const x = requireInput(ctx, 0);
    requireDtype(ctx, x, ['float32', 'int32']);
    const out = ctx.outputs[0];
    if (out.dtype !== x.dtype) ctx.unsupported(`SIGN output is ${out.dtype}, input is ${x.dtype}`);
    out.shape = x.shape.slice();
    return null;
  },
  eval(_p, inputs, outputs) {
    const X = inputs[0]!.data as Float32Array;
    const Y = outputs[0].data as Float32Array;
    for (let i = 0; i < Y.length; i++) {
      const x = X[i];
      Y[i] = (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0);
    }
  },
};
