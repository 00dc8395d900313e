// Shape ops. Reshape targets are constants (possibly with run-time entries from a folded Shape: such an entry
// becomes -1 in the new-shape tensor, so "flatten to [batch, N]" stays [-1, N] and the batch stays free);
// Shape itself folds to a constant whose batch entry is flagged run-time.

import { elementCount, makeConst } from '../normalize/const-value.js';
import { resolveReshape } from '../normalize/const-eval.js';
import { axisOf, constOut, out, type OpMapper } from './context.js';

const reshape: OpMapper = {
  ops: ['Reshape'],
  map(ctx) {
    const target = ctx.constant(1, 'shape');
    const count = elementCount(ctx.shape(0));
    let wanted = Array.from(target.values, Number);
    const unknown = (target.unknown ?? []).map((u, i) => (u ? i : -1)).filter((i) => i >= 0);
    // A run-time entry takes its assumed value here; a -1 next to it is then resolved against that.
    let shape: number[];
    try {
      shape = resolveReshape(wanted, count);
    } catch {
      return ctx.fail(`cannot reshape [${ctx.shape(0)}] to [${wanted}]`);
    }
    if (unknown.length === 1) {
      wanted = [...shape];
      wanted[unknown[0]] = -1;
    } else if (wanted.includes(-1) && ctx.batchIsDynamic(0) && shape.length > 0 && !wanted.slice(1).includes(-1) && wanted[0] === -1) {
      wanted = [-1, ...shape.slice(1)];
    } else {
      wanted = [...shape];
    }
    const dyn = wanted[0] === -1 && ctx.batchIsDynamic(0);
    return [out(ctx.emit('RESHAPE', [ctx.tensor(0), ctx.constI('shape', [wanted.length], wanted)], shape, {}, undefined, '', { dynamicBatch: dyn }))];
  },
};

const squeeze: OpMapper = {
  ops: ['Squeeze'],
  map(ctx) {
    const s = ctx.shape(0);
    const given = ctx.attr.ints('squeeze_dims').map((d) => axisOf(ctx, d, s.length));
    // No dims: every size-1 dimension, except a run-time batch (TensorFlow would not know it is 1).
    const dims = given.length ? given : s.map((d, i) => (d === 1 && !(i === 0 && ctx.batchIsDynamic(0)) ? i : -1)).filter((i) => i >= 0);
    for (const d of dims) if (s[d] !== 1) ctx.fail(`cannot squeeze dimension ${d} of size ${s[d]}`);
    const shape = s.filter((_, i) => !dims.includes(i));
    return [out(ctx.emit('SQUEEZE', [ctx.tensor(0)], shape, { squeezeDims: dims }, undefined, '',
      { dynamicBatch: !dims.includes(0) && ctx.batchIsDynamic(0) }))];
  },
};

const expandDims: OpMapper = {
  ops: ['ExpandDims'],
  map(ctx) {
    const s = ctx.shape(0);
    const a = ctx.constant(1, 'axis');
    if (a.values.length !== 1) ctx.fail(`axis must be a scalar, it has shape [${a.shape}]`);
    const axis = axisOf(ctx, a.values[0], s.length + 1);
    const shape = [...s];
    shape.splice(axis, 0, 1);
    return [out(ctx.emit('EXPAND_DIMS', [ctx.tensor(0), ctx.constI('axis', [], [axis])], shape, {}, undefined, '',
      { dynamicBatch: axis > 0 && ctx.batchIsDynamic(0) }))];
  },
};

const shapeOp: OpMapper = {
  ops: ['Shape'],
  map(ctx) {
    const s = ctx.shape(0);
    return [constOut(makeConst('int32', [s.length], s, s.map((_, i) => i === 0 && ctx.batchIsDynamic(0))))];
  },
};

const fill: OpMapper = {
  ops: ['Fill'],
  map(ctx) {
    const dims = ctx.constant(0, 'dims');
    const shape = Array.from(dims.values, Number);
    return [out(ctx.emit('FILL', [ctx.tensor(0), ctx.tensor(1)], shape, {}, ctx.dtype(1), '', { dynamicBatch: !!dims.unknown?.[0] }))];
  },
};

const transpose: OpMapper = {
  ops: ['Transpose'],
  map(ctx) {
    const s = ctx.shape(0);
    const perm = Array.from(ctx.constant(1, 'perm').values, Number);
    if (perm.length !== s.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) ctx.fail(`perm [${perm}] is not a permutation of rank ${s.length}`);
    return [out(ctx.emit('TRANSPOSE', [ctx.tensor(0), ctx.constI('perm', [perm.length], perm)], perm.map((p) => s[p]), {}, undefined, '',
      { dynamicBatch: perm[0] === 0 && ctx.batchIsDynamic(0) }))];
  },
};

const tile: OpMapper = {
  ops: ['Tile'],
  map(ctx) {
    const s = ctx.shape(0);
    const m = Array.from(ctx.constant(1, 'multiples').values, Number);
    if (m.length !== s.length || m.some((k) => k < 0)) ctx.fail(`multiples [${m}] do not fit rank ${s.length}`);
    return [out(ctx.emit('TILE', [ctx.tensor(0), ctx.constI('multiples', [m.length], m)], s.map((d, i) => d * m[i]), {}, undefined, '',
      { dynamicBatch: m[0] === 1 && ctx.batchIsDynamic(0) }))];
  },
};

export const SHAPE_MAPPERS: readonly OpMapper[] = [reshape, squeeze, expandDims, shapeOp, fill, transpose, tile];
