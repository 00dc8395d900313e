// REVERSE_SEQUENCE: for each index b along batch_dim, reverse the first seq_lengths[b] elements along seq_dim and
// copy the rest. seq_lengths (int32 or int64, one per batch) is read at eval: it is usually a model input. Lengths
// beyond the sequence dimension are clamped to it (TF rejects them; nothing is read out of bounds here).

import type { Kernel, RuntimeTensor } from '../kernel.js';
import { normalizeAxis, requireDtype, requireInput, stridesOf, type Elements } from './shape-util.js';

export interface ReverseSequencePlan {
  /** Blocks before the outer of the two dims, sizes and strides of seq/batch dims. */
  shape: number[];
  strides: number[];
  seqDim: number; batchDim: number;
}

export const reverseSequenceKernel: Kernel<ReverseSequencePlan> = {
  op: 'REVERSE_SEQUENCE',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const lengths = requireInput(ctx, 1);
    requireDtype(ctx, input, ['float32', 'int8', 'uint8', 'int16', 'int32', 'int64']);
    requireDtype(ctx, lengths, ['int32', 'int64']);
    const rank = input.shape.length;
    const seqDim = normalizeAxis(ctx, Number(ctx.options.seqDim ?? 0), rank, 'seq_dim');
    const batchDim = normalizeAxis(ctx, Number(ctx.options.batchDim ?? 0), rank, 'batch_dim');
    if (seqDim === batchDim) ctx.unsupported(`seq_dim and batch_dim are both ${seqDim}`);
    if (lengths.shape.length !== 1 || lengths.shape[0] !== input.shape[batchDim]) {
      ctx.unsupported(`seq_lengths '${lengths.name}' must be [${input.shape[batchDim]}], got [${lengths.shape}]`);
    }
    const out = ctx.outputs[0];
    if (out.dtype !== input.dtype) ctx.unsupported(`output dtype ${out.dtype} differs from input ${input.dtype}`);
    out.shape = input.shape.slice();
    return { shape: input.shape.slice(), strides: stridesOf(input.shape), seqDim, batchDim };
  },
  eval(p: ReverseSequencePlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]) {
    const x = inputs[0]!.data as unknown as Elements;
    const lengths = inputs[1]!.data as unknown as Elements;
    const y = outputs[0].data as unknown as Elements;
    const { shape, strides, seqDim, batchDim } = p;
    const rank = shape.length;
    const seqSize = shape[seqDim];
    const counter = new Array<number>(rank).fill(0);
    for (let k = 0; k < y.length; k++) {
      const s = counter[seqDim];
      let len = Number(lengths[counter[batchDim]]);
      len = len < 0 ? 0 : len > seqSize ? seqSize : len;
      y[k] = s < len ? x[k + (len - 1 - 2 * s) * strides[seqDim]] : x[k];
      for (let d = rank - 1; d >= 0; d--) {
        if (++counter[d] < shape[d]) break;
        counter[d] = 0;
      }
    }
  },
};
