// ASSIGN_VARIABLE: stores a copy of input 1 (its dtype and shape too) as the resource variable whose id input 0
// holds; it has no outputs.

import type { Kernel, ResourceTable } from '../kernel.js';

export const assignVariableKernel: Kernel<ResourceTable> = {
  op: 'ASSIGN_VARIABLE',
  maxVersion: 1,
  foldable: false,
  prepare(ctx) {
    const [handle, value] = ctx.inputs;
    if (!handle || !value || ctx.inputs.length !== 2) return ctx.unsupported('ASSIGN_VARIABLE takes a resource handle and a value');
    if (handle.dtype !== 'resource') ctx.unsupported(`input 0 '${handle.name}' must be a resource tensor, it is ${handle.dtype}`);
    if (value.dtype === 'string' || value.dtype === 'resource' || value.dtype === 'variant') ctx.unsupported(`values of dtype ${value.dtype} are not supported`);
    return ctx.resources;
  },
  eval(resources, inputs) {
    resources.assign(Number(inputs[0]!.data[0]), inputs[1]!);
  },
};
