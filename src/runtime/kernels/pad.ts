// PAD and PADV2: quantized PAD fills with the output zero point; PADV2 fills with its constant (raw value).

import type { Kernel, PrepareContext } from '../kernel.js';
import { buildIndexMap, gatherEval, type GatherPlan } from './index-map.js';
import { constIntValues, isQuant, requireInput, stridesOf } from './shape-util.js';

function preparePad(ctx: PrepareContext, withConstant: boolean): GatherPlan {
  const input = requireInput(ctx, 0);
  const rank = input.shape.length;
  const pads = constIntValues(ctx, requireInput(ctx, 1), 'paddings');
  if (pads.length !== rank * 2) ctx.unsupported(`paddings hold ${pads.length} values, need ${rank}x2`);
  const out = ctx.outputs[0];
  out.dtype = input.dtype;
  out.shape = input.shape.map((d, i) => {
    if (pads[2 * i] < 0 || pads[2 * i + 1] < 0) ctx.unsupported('negative paddings');
    return d + pads[2 * i] + pads[2 * i + 1];
  });
  const strides = stridesOf(input.shape);
  const dimOffsets = out.shape.map((size, d) => {
    const a = new Int32Array(size);
    for (let j = 0; j < size; j++) {
      const i = j - pads[2 * d];
      a[j] = i >= 0 && i < input.shape[d] ? i * strides[d] : -1;
    }
    return a;
  });
  let fill = isQuant(out) && input.dtype !== 'float32' ? out.zeroPoint[0] : 0;
  const constant = withConstant ? ctx.inputs[2] ?? null : null;
  if (constant) {
    if (constant.dtype !== input.dtype) ctx.unsupported(`PADV2 constant is ${constant.dtype}, input is ${input.dtype}`);
    if (!constant.isConstant) ctx.unsupported('PADV2 constant_values must be constant');
    if (constant.data.length !== 1) ctx.unsupported('PADV2 constant_values must hold one value');
    fill = Number(constant.data[0]);
  }
  return { map: buildIndexMap(out.shape, dimOffsets), fill };
}

export const padKernel: Kernel<GatherPlan> = {
  op: 'PAD',
  maxVersion: 4,
  prepare: (ctx) => preparePad(ctx, false),
  eval: gatherEval,
};

export const padV2Kernel: Kernel<GatherPlan> = {
  op: 'PADV2',
  maxVersion: 4,
  prepare: (ctx) => preparePad(ctx, true),
  eval: gatherEval,
};
