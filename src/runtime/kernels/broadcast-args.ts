// BROADCAST_ARGS: the broadcast shape of two 1-D shape tensors (int32 or int64). The output length is the longer
// input's length (known at prepare); its values are computed at invoke, and shapes that do not broadcast fail it.

import { InputError } from '../../errors.js';
import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput, type Elements } from './shape-util.js';

interface BroadcastArgsPlan { rank: number; big: boolean; names: [string, string] }

export const broadcastArgsKernel: Kernel<BroadcastArgsPlan> = {
  op: 'BROADCAST_ARGS',
  maxVersion: 1,
  prepare(ctx) {
    const a = requireInput(ctx, 0);
    const b = requireInput(ctx, 1);
    requireDtype(ctx, a, ['int32', 'int64']);
    if (b.dtype !== a.dtype) ctx.unsupported(`BROADCAST_ARGS inputs differ in dtype (${a.dtype}, ${b.dtype})`);
    if (a.shape.length !== 1 || b.shape.length !== 1) ctx.unsupported('BROADCAST_ARGS inputs must be 1-D shapes');
    const out = ctx.outputs[0];
    out.dtype = a.dtype;
    const rank = Math.max(a.shape[0], b.shape[0]);
    out.shape = [rank];
    return { rank, big: a.dtype === 'int64', names: [a.name, b.name] };
  },
  eval(p, inputs, outputs) {
    const A = inputs[0]!.data as Elements;
    const B = inputs[1]!.data as Elements;
    const O = outputs[0].data as Elements;
    const offA = p.rank - A.length, offB = p.rank - B.length;
    for (let i = 0; i < p.rank; i++) {
      const da = i < offA ? 1 : Number(A[i - offA]);
      const db = i < offB ? 1 : Number(B[i - offB]);
      if (da !== db && da !== 1 && db !== 1) throw new InputError(`BROADCAST_ARGS: shapes '${p.names[0]}' and '${p.names[1]}' do not broadcast (dimension ${i}: ${da} vs ${db})`);
      const d = da === 1 ? db : da;
      O[i] = p.big ? BigInt(d) : d;
    }
  },
};
