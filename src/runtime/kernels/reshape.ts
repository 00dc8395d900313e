// RESHAPE, SQUEEZE, EXPAND_DIMS: same elements in the same order, a new shape. Eval is a copy.

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { constIntValues, normalizeAxis, requireInput, sizeOf } from './shape-util.js';

function copyEval(_plan: unknown, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const src = inputs[0]!.data;
  const dst = outputs[0].data;
  if (dst !== src) (dst as Float32Array).set(src as Float32Array);
}

function setShape(ctx: PrepareContext, input: RuntimeTensor, shape: number[]): null {
  if (sizeOf(shape) !== sizeOf(input.shape)) {
    ctx.unsupported(`cannot reshape [${input.shape}] (${sizeOf(input.shape)} elements) to [${shape}]`);
  }
  const out = ctx.outputs[0];
  out.shape = shape;
  out.dtype = input.dtype;
  return null;
}

/** Resolve a requested shape with at most one -1 against `count` elements. */
function resolveShape(ctx: PrepareContext, requested: number[], count: number): number[] {
  let unknown = -1;
  let known = 1;
  const shape = requested.slice();
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === -1) {
      if (unknown >= 0) ctx.unsupported(`new shape [${requested}] has more than one -1`);
      unknown = i;
    } else if (shape[i] < 0) {
      ctx.unsupported(`new shape [${requested}] has a negative dimension`);
    } else {
      known *= shape[i];
    }
  }
  if (unknown >= 0) {
    if (known === 0 || count % known !== 0) ctx.unsupported(`cannot infer -1 in [${requested}] for ${count} elements`);
    shape[unknown] = count / known;
  }
  return shape;
}

export const reshapeKernel: Kernel<null> = {
  op: 'RESHAPE',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const shapeTensor = ctx.inputs[1] ?? null;
    let requested: number[];
    // As TFLite: a 1-D shape input wins; otherwise the new_shape option.
    if (shapeTensor && shapeTensor.shape.length === 1 && (shapeTensor.isConstant || !Array.isArray(ctx.options.newShape))) {
      requested = constIntValues(ctx, shapeTensor, 'RESHAPE shape');
    } else if (Array.isArray(ctx.options.newShape)) {
      requested = ctx.options.newShape;
    } else {
      return ctx.unsupported('RESHAPE needs a 1-D shape input or the new_shape option');
    }
    return setShape(ctx, input, resolveShape(ctx, requested, sizeOf(input.shape)));
  },
  eval: copyEval,
};

export const squeezeKernel: Kernel<null> = {
  op: 'SQUEEZE',
  maxVersion: 2,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const rank = input.shape.length;
    const dims = Array.isArray(ctx.options.squeezeDims) ? ctx.options.squeezeDims : [];
    const drop = new Array<boolean>(rank).fill(false);
    if (dims.length === 0) {
      for (let i = 0; i < rank; i++) drop[i] = input.shape[i] === 1;
    } else {
      for (const d of dims) {
        const a = normalizeAxis(ctx, d, rank, 'squeeze dim');
        if (input.shape[a] !== 1) ctx.unsupported(`cannot squeeze dimension ${d} of size ${input.shape[a]}`);
        drop[a] = true;
      }
    }
    return setShape(ctx, input, input.shape.filter((_, i) => !drop[i]));
  },
  eval: copyEval,
};

export const expandDimsKernel: Kernel<null> = {
  op: 'EXPAND_DIMS',
  maxVersion: 2,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const axisValues = constIntValues(ctx, requireInput(ctx, 1), 'EXPAND_DIMS axis');
    if (axisValues.length !== 1) ctx.unsupported('EXPAND_DIMS axis must hold one value');
    const rank = input.shape.length;
    const axis = normalizeAxis(ctx, axisValues[0], rank + 1);
    const shape = input.shape.slice();
    shape.splice(axis, 0, 1);
    return setShape(ctx, input, shape);
  },
  eval: copyEval,
};
