// MIRROR_PAD: padding by reflection. REFLECT mirrors around the edge element (it is not repeated: [1 2 3] padded
// by 2 on the left is [3 2 | 1 2 3]); SYMMETRIC mirrors including it ([2 1 | 1 2 3]). Paddings are constant
// [rank, 2]; each side is at most dim - 1 (REFLECT) or dim (SYMMETRIC), as TF requires. A pure index map, so every
// dtype moves raw values (quantized input and output share parameters).

import type { Kernel } from '../kernel.js';
import { buildIndexMap, gatherEval, type GatherPlan } from './index-map.js';
import { checkGeneratedShape, constIntValues, requireDtype, requireInput, stridesOf } from './shape-util.js';

export const mirrorPadKernel: Kernel<GatherPlan> = {
  op: 'MIRROR_PAD',
  maxVersion: 3,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    requireDtype(ctx, input, ['float32', 'int32', 'int64', 'int8', 'uint8', 'int16']);
    const rank = input.shape.length;
    const pads = constIntValues(ctx, requireInput(ctx, 1), 'MIRROR_PAD paddings');
    if (pads.length !== 2 * rank) ctx.unsupported(`MIRROR_PAD paddings hold ${pads.length} values, need ${rank}x2`);
    const mode = String(ctx.options.mode ?? 'REFLECT');
    if (mode !== 'REFLECT' && mode !== 'SYMMETRIC') ctx.unsupported(`MIRROR_PAD mode ${mode}`);
    const symmetric = mode === 'SYMMETRIC';
    input.shape.forEach((d, i) => {
      const limit = symmetric ? d : d - 1;
      for (const p of [pads[2 * i], pads[2 * i + 1]]) {
        if (p < 0 || p > limit) ctx.unsupported(`MIRROR_PAD ${mode} padding ${p} on dimension ${i} of size ${d} (allowed 0..${limit})`);
      }
    });
    const shape = input.shape.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]);
    checkGeneratedShape(ctx, shape, 'MIRROR_PAD output');
    const out = ctx.outputs[0];
    out.dtype = input.dtype;
    out.shape = shape;
    const strides = stridesOf(input.shape);
    const dimOffsets = (size: number, d: number) => {
      const n = input.shape[d];
      const before = pads[2 * d];
      const a = new Int32Array(size);
      for (let j = 0; j < size; j++) {
        let i = j - before;
        if (i < 0) i = symmetric ? -i - 1 : -i;
        else if (i >= n) i = symmetric ? 2 * n - 1 - i : 2 * (n - 1) - i;
        a[j] = i * strides[d];
      }
      return a;
    };
    return { map: buildIndexMap(shape, dimOffsets), fill: 0 };
  },
  eval: gatherEval,
};
