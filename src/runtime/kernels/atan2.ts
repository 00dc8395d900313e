// ATAN2(y, x): the angle of (x, y) in float32, element by element. TFLite's kernel takes two inputs of one shape
// (no broadcasting) and computes std::atan2 in float; here the double result is rounded to float32.

import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput, sameShape } from './shape-util.js';

export const atan2Kernel: Kernel<null> = {
  op: 'ATAN2',
  maxVersion: 1,
  prepare(ctx) {
    const y = requireInput(ctx, 0);
    const x = requireInput(ctx, 1);
    requireDtype(ctx, y, ['float32']);
    if (x.dtype !== y.dtype) ctx.unsupported(`ATAN2 inputs differ in dtype (${y.dtype}, ${x.dtype})`);
    if (!sameShape(x.shape, y.shape)) ctx.unsupported(`ATAN2 inputs differ in shape ([${y.shape}], [${x.shape}])`);
    const out = ctx.outputs[0];
    out.dtype = y.dtype;
    out.shape = y.shape.slice();
    return null;
  },
  eval(_p, inputs, outputs) {
    const Y = inputs[0]!.data as Float32Array;
    const X = inputs[1]!.data as Float32Array;
    const O = outputs[0].data as Float32Array;
    for (let i = 0; i < O.length; i++) O[i] = Math.atan2(Y[i], X[i]);
  },
};
