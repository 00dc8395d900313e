// VAR_HANDLE: outputs the id of the resource variable named (container, shared_name); every VAR_HANDLE of the
// interpreter with the same pair, in any subgraph, gives the same id.

import type { Kernel } from '../kernel.js';

export const varHandleKernel: Kernel<number> = {
  op: 'VAR_HANDLE',
  maxVersion: 1,
  foldable: false,
  prepare(ctx) {
    const out = ctx.outputs[0];
    if (ctx.outputs.length !== 1 || ctx.inputs.length !== 0) ctx.unsupported('VAR_HANDLE takes no inputs and gives one output');
    if (out.dtype !== 'resource') ctx.unsupported(`output '${out.name}' must be a resource tensor, it is ${out.dtype}`);
    if (out.shape.reduce((a, b) => a * b, 1) !== 1) out.shape = [1];
    return ctx.resources.handle(String(ctx.options.container ?? ''), String(ctx.options.sharedName ?? ''));
  },
  eval(id, _inputs, outputs) {
    outputs[0].data[0] = id;
  },
};
