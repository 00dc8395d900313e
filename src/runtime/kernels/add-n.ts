// ADD_N: the element-wise sum of N tensors of one shape (float32, or int32 wrapping as TFLite's int arithmetic).

import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput, sameShape } from './shape-util.js';

export const addNKernel: Kernel<{ isFloat: boolean }> = {
  op: 'ADD_N',
  maxVersion: 1,
  prepare(ctx) {
    if (ctx.inputs.length < 2) ctx.unsupported(`ADD_N needs at least 2 inputs, has ${ctx.inputs.length}`);
    const first = requireInput(ctx, 0);
    requireDtype(ctx, first, ['float32', 'int32']);
    for (let k = 1; k < ctx.inputs.length; k++) {
      const t = requireInput(ctx, k);
      if (t.dtype !== first.dtype || !sameShape(t.shape, first.shape)) {
        ctx.unsupported(`ADD_N input '${t.name}' (${t.dtype} [${t.shape}]) differs from input 0 (${first.dtype} [${first.shape}])`);
      }
    }
    const out = ctx.outputs[0];
    out.dtype = first.dtype;
    out.shape = first.shape.slice();
    return { isFloat: first.dtype === 'float32' };
  },
  eval(plan, inputs, outputs) {
    const Y = outputs[0].data as Float32Array;
    Y.set(inputs[0]!.data as Float32Array);
    for (let j = 1; j < inputs.length; j++) {
      const X = inputs[j]!.data as Float32Array;
      if (plan.isFloat) for (let k = 0; k < Y.length; k++) Y[k] += X[k];
      else for (let k = 0; k < Y.length; k++) Y[k] = (Y[k] + X[k]) | 0;
    }
  },
};
