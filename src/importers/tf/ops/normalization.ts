// BiasAdd -> ADD of a per-channel constant (the float passes fold it into the conv / FC before it); inference
// FusedBatchNorm (V1/V2/V3) -> per-channel MUL + ADD, folded the same way. A batch norm in training mode
// (is_training, TensorFlow's default when the attribute was stripped) normalises by the batch's own statistics,
// which is not what a converted inference model should do: refused.

import { out, type OpMapper } from './context.js';
import { batchNormAffine } from './fused.js';

const biasAdd: OpMapper = {
  ops: ['BiasAdd', 'BiasAddV1'],
  map(ctx) {
    const s = ctx.shape(0);
    const bs = ctx.shape(1);
    if (bs.length !== 1 || bs[0] !== s[s.length - 1]) ctx.fail(`bias [${bs}] does not match the channels of [${s}]`);
    return [out(ctx.emit('ADD', [ctx.tensor(0), ctx.tensor(1)], [...s]))];
  },
};

const fusedBatchNorm: OpMapper = {
  ops: ['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3'],
  map(ctx) {
    if (ctx.attr.bool('is_training')) {
      ctx.fail('is_training is true (training-mode batch norm uses batch statistics; re-export the graph for inference)');
    }
    const s = ctx.shape(0);
    const c = s[s.length - 1];
    const params = ['scale', 'offset', 'mean', 'variance'].map((w, i) => {
      const v = ctx.constant(i + 1, w);
      if (v.values.length !== c) ctx.fail(`${w} has ${v.values.length} values for ${c} channels`);
      return v.values;
    });
    const { scale, offset } = batchNormAffine(params[0], params[1], params[2], params[3], ctx.attr.float('epsilon'));
    const m = ctx.emit('MUL', [ctx.tensor(0), ctx.constF('scale', [c], scale)], [...s], {}, undefined, 'mul');
    return [out(ctx.emit('ADD', [m, ctx.constF('offset', [c], offset)], [...s]))];
  },
};

export const NORMALIZATION_MAPPERS: readonly OpMapper[] = [biasAdd, fusedBatchNorm];
