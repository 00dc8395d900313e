// Tensors made from a shape: FILL (constant dims, a scalar value read at eval; the output takes the value's dtype,
// a quantized value is copied raw) and ZEROS_LIKE (zeros of the input's shape and dtype).

import type { Kernel } from '../kernel.js';
import { checkGeneratedShape, constIntValues, requireDtype, requireInput, sizeOf, type Elements } from './shape-util.js';

export const fillKernel: Kernel<null> = {
  op: 'FILL',
  maxVersion: 3,
  prepare(ctx) {
    const dims = constIntValues(ctx, requireInput(ctx, 0), 'FILL dims');
    const value = requireInput(ctx, 1);
    requireDtype(ctx, value, ['float32', 'int32', 'int64', 'int8', 'int16', 'bool']);
    if (sizeOf(value.shape) !== 1) ctx.unsupported(`FILL value '${value.name}' must be a scalar, has shape [${value.shape}]`);
    checkGeneratedShape(ctx, dims, 'FILL dims');
    const out = ctx.outputs[0];
    out.dtype = value.dtype;
    out.shape = dims;
    return null;
  },
  eval(_plan, inputs, outputs) {
    const v = (inputs[1]!.data as Elements)[0];
    (outputs[0].data as unknown as { fill(v: number | bigint): void }).fill(v);
  },
};

export const zerosLikeKernel: Kernel<null> = {
  op: 'ZEROS_LIKE',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    requireDtype(ctx, input, ['float32', 'int32', 'int64']);
    const out = ctx.outputs[0];
    out.dtype = input.dtype;
    out.shape = input.shape.slice();
    return null;
  },
  eval(_plan, _inputs, outputs) {
    const out = outputs[0].data;
    if (out instanceof BigInt64Array) out.fill(0n);
    else (out as Float32Array).fill(0);
  },
};
