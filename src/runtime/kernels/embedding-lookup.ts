// EMBEDDING_LOOKUP: rows of a table (rank 2 or more) selected by int32 ids: out[i, ...] = value[ids[i], ...].
// A float32 table, or an int8/uint8 one with an output of its own type, is copied row by row; an int8/uint8 table
// with a float32 output is the hybrid form, each element dequantized as q x scale without a zero point, the bytes
// read as int8 even in a uint8 table (TFLite's hybrid lookup does both). One scale per table: the official runtime
// gives zeros for per-row scales, so they are refused. An id outside the table fails the invoke.

import { InputError } from '../../errors.js';
import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput, sizeOf } from './shape-util.js';

interface EmbeddingPlan {
  rows: number;
  rowSize: number;
  /** Hybrid: the table's scale (float32); null = plain copy. */
  scale: number | null;
  /** A uint8 table read as int8 (hybrid). */
  asInt8: boolean;
  name: string;
}

export const embeddingLookupKernel: Kernel<EmbeddingPlan> = {
  op: 'EMBEDDING_LOOKUP',
  maxVersion: 3,
  prepare(ctx) {
    const ids = requireInput(ctx, 0);
    const value = requireInput(ctx, 1);
    requireDtype(ctx, ids, ['int32']);
    requireDtype(ctx, value, ['float32', 'int8', 'uint8']);
    if (ids.shape.length !== 1) ctx.unsupported(`EMBEDDING_LOOKUP ids must be 1-D, not [${ids.shape}]`);
    if (value.shape.length < 2) ctx.unsupported('EMBEDDING_LOOKUP table must have rank 2 or more');
    const out = ctx.outputs[0];
    out.shape = [ids.shape[0], ...value.shape.slice(1)];
    const rows = value.shape[0];
    const rowSize = sizeOf(value.shape.slice(1));
    let scale: number | null = null;
    if (out.dtype === 'float32' && (value.dtype === 'int8' || value.dtype === 'uint8')) {
      if (value.scale.length !== 1) ctx.unsupported(`EMBEDDING_LOOKUP table '${value.name}' needs one scale (it has ${value.scale.length})`);
      scale = Math.fround(value.scale[0]);
    } else if (out.dtype !== value.dtype) {
      ctx.unsupported(`EMBEDDING_LOOKUP output is ${out.dtype}, table is ${value.dtype}`);
    }
    return { rows, rowSize, scale, asInt8: value.dtype === 'uint8' && scale !== null, name: ids.name };
  },
  eval(p, inputs, outputs) {
    const ids = inputs[0]!.data as Int32Array;
    const table = inputs[1]!.data as Float32Array;
    const out = outputs[0].data as Float32Array;
    const { rows, rowSize, scale, asInt8 } = p;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id < 0 || id >= rows) throw new InputError(`EMBEDDING_LOOKUP: id ${id} in '${p.name}' is outside the table (${rows} rows)`);
      const from = id * rowSize, to = i * rowSize;
      if (scale !== null) {
        for (let k = 0; k < rowSize; k++) {
          const q = table[from + k];
          out[to + k] = (asInt8 && q > 127 ? q - 256 : q) * scale;
        }
      } else {
        for (let k = 0; k < rowSize; k++) out[to + k] = table[from + k];
      }
    }
  },
};
