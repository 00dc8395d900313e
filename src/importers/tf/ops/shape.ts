// Shape ops. Reshape targets are constants (possibly with run-time entries from a folded Shape: such an entry
// becomes -1 in the new-shape tensor, so "flatten to [batch, N]" stays [-1, N] and the batch stays free);
// Shape itself folds to a constant whose batch entry is flagged run-time. The Shape of a tensor whose size past
// the batch is unknown is a SHAPE op, and a Reshape to a shape computed from it keeps that tensor as its new shape
// when one constant (a single -1) cannot say it.

import { elementCount, makeConst } from '../normalize/const-value.js';
import { resolveReshape } from '../normalize/const-eval.js';
import { axisOf, constOut, isDynamicDim, out, type MapContext, type OpMapper, type TfValue } from './context.js';

const product = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

/** Reshape where the input's size or the new shape depends on the input's unknown size. */
function reshapeDynamic(ctx: MapContext): TfValue[] {
  const xs = ctx.shape(0);
  const target = ctx.knownValue(1);
  if (!target) return ctx.fail('its shape (input 1) is computed at run time from values, not sizes');
  const wanted = Array.from(target.values, Number);
  const unknown = wanted.map((_, i) => !!target.unknown?.[i]);
  const batchDyn = ctx.batchIsDynamic(0);
  const free = wanted.flatMap((d, i) => (d === -1 && !unknown[i] ? [i] : []));
  if (free.length > 1 || wanted.some((d, i) => !unknown[i] && d < -1)) ctx.fail(`cannot reshape [${xs}] to [${wanted}]`);
  const dims = wanted.map((d, i) => (unknown[i] ? NaN : d));
  let dynBatch = isDynamicDim(dims[0]);
  if (free.length === 1) {
    const k = free[0];
    const others = dims.filter((_, i) => i !== k);
    if (!others.some(isDynamicDim) && !xs.some(isDynamicDim)) {
      // Everything known but the batch: the free entry takes what the batch leaves.
      dims[k] = elementCount(xs) / product(others);
      if (k === 0 && batchDyn) dynBatch = true;
    } else if (unknown[0] && batchDyn && !xs.slice(1).some(isDynamicDim) && !others.slice(1).some(isDynamicDim) && k > 0) {
      // [batch, ..., -1, ...]: the batch cancels.
      dims[k] = elementCount(xs.slice(1)) / product(others.slice(1));
    } else {
      dims[k] = NaN;
      if (k === 0) dynBatch = true;
    }
    if (Number.isFinite(dims[k]) && !Number.isInteger(dims[k])) ctx.fail(`cannot reshape [${xs}] to [${wanted}]`);
  }
  // What a constant new shape would say: -1 where the size is known only at run time.
  const written = dims.map((d, i) => (isDynamicDim(d) || (i === 0 && dynBatch) ? -1 : d));
  let shapeT: number;
  if (written.filter((d) => d === -1).length <= 1) shapeT = ctx.constI('shape', [written.length], written);
  else if (!ctx.isConst(1)) shapeT = ctx.tensor(1);
  else return ctx.dynamicFail(`its new shape [${written.map((d) => (d < 0 ? '?' : d))}] has more than one size known only at run time`);
  return [out(ctx.emit('RESHAPE', [ctx.tensor(0), shapeT], dims, {}, undefined, '', { dynamicBatch: dynBatch }))];
}

const reshape: OpMapper = {
  ops: ['Reshape'],
  map(ctx) {
    if (ctx.hasDynamicDims(0) || !ctx.isConst(1)) return reshapeDynamic(ctx);
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
    const batch = ctx.batchIsDynamic(0);
    if (!s.some(isDynamicDim)) return [constOut(makeConst('int32', [s.length], s, s.map((_, i) => i === 0 && batch)))];
    // Sizes known only at run time: read them then (as TF's converter does); what is fixed stays known here.
    const t = ctx.emit('SHAPE', [ctx.tensor(0)], [s.length], { outType: 'int32' }, 'int32', '', { dynamicBatch: false });
    const known = makeConst('int32', [s.length], s.map((d) => (isDynamicDim(d) ? 1 : d)), s.map((d, i) => isDynamicDim(d) || (i === 0 && batch)));
    return [{ tensor: t, known }];
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
