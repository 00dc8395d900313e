// READ_VARIABLE: copies the resource variable whose id input 0 holds into the output. The output keeps the shape
// the model gives it (kernels after it are prepared for that shape); a variable of another dtype or size is an
// error when the node runs, as is reading one never assigned.

import type { Kernel, ResourceTable } from '../kernel.js';
import { ModelFormatError } from '../../errors.js';

export const readVariableKernel: Kernel<ResourceTable> = {
  op: 'READ_VARIABLE',
  maxVersion: 1,
  foldable: false,
  prepare(ctx) {
    const handle = ctx.inputs[0];
    if (!handle || ctx.inputs.length !== 1 || ctx.outputs.length !== 1) return ctx.unsupported('READ_VARIABLE takes a resource handle and gives one output');
    if (handle.dtype !== 'resource') ctx.unsupported(`input 0 '${handle.name}' must be a resource tensor, it is ${handle.dtype}`);
    return ctx.resources;
  },
  eval(resources, inputs, outputs) {
    const id = Number(inputs[0]!.data[0]);
    const out = outputs[0];
    const v = resources.read(id);
    if (!v) throw new ModelFormatError(`READ_VARIABLE -> '${out.name}': resource variable ${id} is read before any ASSIGN_VARIABLE`);
    if (v.dtype !== out.dtype || v.data.length !== out.data.length) {
      throw new ModelFormatError(`READ_VARIABLE -> '${out.name}' (${out.dtype} [${out.shape}]): resource variable ${id} holds ${v.dtype} [${v.shape}]`);
    }
    (out.data as Float32Array).set(v.data as Float32Array);
  },
};
