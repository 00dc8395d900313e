// DENSIFY: a sparse constant (float32, float16 or int8) to an ordinary tensor, as TF's converter inserts it in front
// of ops that cannot read sparse weights (e.g. sparse float16 weights -> DENSIFY -> DEQUANTIZE -> CONV_2D).
// The interpreter expands every sparse constant once when it loads it (graph/sparsity.ts, densify), so the input
// here already holds the dense values: the node copies them, and since its input is constant it runs once, at
// prepare.

import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput } from './shape-util.js';

export const densifyKernel: Kernel<null> = {
  op: 'DENSIFY',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const out = ctx.outputs[0];
    requireDtype(ctx, input, ['float32', 'float16', 'int8']);
    // TFLite's kernel only takes a constant input (the sparse weights themselves).
    if (!input.isConstant) ctx.unsupported(`input '${input.name}' is not a constant`);
    if (out.dtype !== input.dtype) ctx.unsupported(`output '${out.name}' is ${out.dtype}, input '${input.name}' ${input.dtype}`);
    out.shape = input.shape.slice();
    return null;
  },
  eval(_plan, inputs, outputs) {
    // Same dtype on both sides, so the same typed-array class: set() copies the bytes.
    (outputs[0].data as Float32Array).set(inputs[0]!.data as Float32Array);
  },
};
