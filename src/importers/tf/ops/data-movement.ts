// Slicing, joining, splitting, padding, gathering and OneHot. StridedSlice is resolved against the input's
// shape (ellipsis and new axes expanded) and written as STRIDED_SLICE with begin/end/shrink masks only, plus a
// RESHAPE when it inserts axes.

import { resolveStridedSlice } from '../slicing.js';
import { axisOf, dimsMayMatch, isDynamicDim, out, type MapContext, type OpMapper } from './context.js';

const ints = (ctx: MapContext, i: number, what: string) => Array.from(ctx.constant(i, what).values, Number);

const slice: OpMapper = {
  ops: ['Slice'],
  map(ctx) {
    const s = ctx.shape(0);
    const begin = ints(ctx, 1, 'begin'), size = ints(ctx, 2, 'size');
    if (begin.length !== s.length || size.length !== s.length) ctx.fail(`begin [${begin}] / size [${size}] do not fit rank ${s.length}`);
    const shape = s.map((d, i) => (size[i] === -1 ? d - begin[i] : size[i]));
    if (shape.some((n, i) => n < 0 || begin[i] < 0 || begin[i] + n > s[i])) ctx.fail(`slice begin [${begin}] size [${size}] out of range of [${s}]`);
    // A size to the end of a dimension known only at run time stays -1.
    const sizeT = ctx.constI('size', [shape.length], shape.map((n, i) => (isDynamicDim(n) && size[i] === -1 ? -1 : n)));
    return [out(ctx.emit('SLICE', [ctx.tensor(0), ctx.constI('begin', [begin.length], begin), sizeT], shape, {}, undefined, '',
      { dynamicBatch: begin[0] === 0 && shape[0] === s[0] && ctx.batchIsDynamic(0) }))];
  },
};

const stridedSlice: OpMapper = {
  ops: ['StridedSlice'],
  map(ctx) {
    const s = ctx.shape(0);
    const a = ctx.attr;
    let spec;
    try {
      spec = resolveStridedSlice(s, ints(ctx, 1, 'begin'), ints(ctx, 2, 'end'), ints(ctx, 3, 'strides'), {
        beginMask: a.int('begin_mask'), endMask: a.int('end_mask'), ellipsisMask: a.int('ellipsis_mask'),
        newAxisMask: a.int('new_axis_mask'), shrinkAxisMask: a.int('shrink_axis_mask'),
      });
    } catch (e) {
      return ctx.hasDynamicDims(0) ? ctx.dynamicFail((e as Error).message) : ctx.fail((e as Error).message);
    }
    let beginMask = 0, endMask = 0, shrinkMask = 0;
    spec.dims.forEach((r, i) => {
      if (r.stride < 0 && r.end === -1) endMask |= 1 << i;
      if (r.shrink) shrinkMask |= 1 << i;
      if (r.beginMasked) beginMask |= 1 << i;
      if (r.endMasked) endMask |= 1 << i;
    });
    const r = spec.dims.length;
    const needsReshape = spec.outShape.length !== spec.slicedShape.length;
    const keepsBatch = !spec.dims[0]?.shrink && spec.dims[0]?.begin === 0 && spec.dims[0]?.stride === 1 && spec.dims[0]?.size === s[0] && ctx.batchIsDynamic(0);
    let y = ctx.emit('STRIDED_SLICE', [ctx.tensor(0), ctx.constI('begin', [r], spec.dims.map((d) => d.begin)),
      ctx.constI('end', [r], spec.dims.map((d) => (d.stride < 0 && d.end === -1 && !d.endMasked ? 0 : d.end))), ctx.constI('strides', [r], spec.dims.map((d) => d.stride))],
    spec.slicedShape, { beginMask, endMask, shrinkAxisMask: shrinkMask }, undefined, needsReshape ? 'slice' : '', { dynamicBatch: keepsBatch && !needsReshape });
    if (needsReshape) {
      y = ctx.emit('RESHAPE', [y, ctx.constI('shape', [spec.outShape.length], spec.outShape)], spec.outShape, {}, undefined, '', { dynamicBatch: false });
    }
    return [out(y)];
  },
};

const concat: OpMapper = {
  ops: ['ConcatV2'],
  map(ctx) {
    const n = ctx.inputCount - 1;
    const s0 = ctx.shape(0);
    const axis = axisOf(ctx, ints(ctx, n, 'axis')[0], s0.length);
    const shape = [...s0];
    shape[axis] = 0;
    const ins: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = ctx.shape(i);
      if (s.length !== s0.length || s.some((d, k) => k !== axis && !dimsMayMatch(d, s0[k]))) ctx.fail(`input ${i} [${s}] does not fit [${s0}] on axis ${axis}`);
      shape[axis] += s[axis];
      ins.push(ctx.tensor(i));
    }
    if (n === 1) return [ctx.value(0)];
    return [out(ctx.emit('CONCATENATION', ins, shape, { axis }, undefined, '', { dynamicBatch: axis !== 0 && ctx.batchIsDynamic(0) }))];
  },
};

const pack: OpMapper = {
  ops: ['Pack'],
  map(ctx) {
    const n = ctx.inputCount;
    const s0 = ctx.shape(0);
    const axis = axisOf(ctx, ctx.attr.int('axis'), s0.length + 1);
    for (let i = 1; i < n; i++) if (ctx.shape(i).length !== s0.length || ctx.shape(i).some((d, k) => !dimsMayMatch(d, s0[k]))) ctx.fail(`input ${i} [${ctx.shape(i)}] differs from [${s0}]`);
    const shape = [...s0];
    shape.splice(axis, 0, n);
    return [out(ctx.emit('PACK', Array.from({ length: n }, (_, i) => ctx.tensor(i)), shape, { valuesCount: n, axis }, undefined, '',
      { dynamicBatch: axis > 0 && ctx.batchIsDynamic(0) }))];
  },
};

const unpack: OpMapper = {
  ops: ['Unpack'],
  map(ctx) {
    const s = ctx.shape(0);
    const axis = axisOf(ctx, ctx.attr.int('axis'), s.length);
    const num = ctx.attr.has('num') ? ctx.attr.int('num') : s[axis];
    if (num !== s[axis]) ctx.fail(`num ${num} but dimension ${axis} has ${s[axis]}`);
    const shape = s.filter((_, i) => i !== axis);
    const outs = ctx.emitMulti('UNPACK', [ctx.tensor(0)], Array.from({ length: num }, () => shape), { num, axis }, undefined, axis > 0 && ctx.batchIsDynamic(0));
    return outs.map(out);
  },
};

/** Split(axis, value) -> SPLIT (axis, value); SplitV(value, sizes, axis) -> SPLIT_V. */
const split: OpMapper = {
  ops: ['Split', 'SplitV'],
  map(ctx) {
    const v = ctx.node.op === 'Split' ? 1 : 0;
    const s = ctx.shape(v);
    const axisIn = ctx.node.op === 'Split' ? 0 : 2;
    const axis = axisOf(ctx, ints(ctx, axisIn, 'axis')[0], s.length);
    const dyn = axis !== 0 && ctx.batchIsDynamic(v);
    if (ctx.node.op === 'Split') {
      const num = ctx.attr.int('num_split');
      if (num < 1 || s[axis] % num !== 0) ctx.fail(`cannot split ${s[axis]} into ${num} equal parts`);
      const part = s.map((d, i) => (i === axis ? d / num : d));
      return ctx.emitMulti('SPLIT', [ctx.constI('axis', [], [axis]), ctx.tensor(1)], Array.from({ length: num }, () => part), { numSplits: num }, ctx.dtype(1), dyn).map(out);
    }
    const sizes = ints(ctx, 1, 'size_splits');
    const free = sizes.filter((x) => x === -1).length;
    const known = sizes.reduce((p, x) => (x === -1 ? p : p + x), 0);
    if (free > 1 || (free === 0 && known !== s[axis]) || known > s[axis]) ctx.fail(`size_splits [${sizes}] do not split ${s[axis]}`);
    const resolved = sizes.map((x) => (x === -1 ? s[axis] - known : x));
    const shapes = resolved.map((k) => s.map((d, i) => (i === axis ? k : d)));
    return ctx.emitMulti('SPLIT_V', [ctx.tensor(0), ctx.constI('size_splits', [resolved.length], resolved), ctx.constI('axis', [], [axis])], shapes,
      { numSplits: resolved.length }, ctx.dtype(0), dyn).map(out);
  },
};

const gather: OpMapper = {
  ops: ['GatherV2', 'Gather'],
  map(ctx) {
    const p = ctx.shape(0), idx = ctx.shape(1);
    const axis = ctx.node.op === 'Gather' ? 0 : axisOf(ctx, ints(ctx, 2, 'axis')[0], p.length);
    const batchDims = ctx.attr.has('batch_dims') ? ctx.attr.int('batch_dims') : 0;
    if (batchDims !== 0) ctx.fail(`batch_dims ${batchDims}`);
    const shape = [...p.slice(0, axis), ...idx, ...p.slice(axis + 1)];
    return [out(ctx.emit('GATHER', [ctx.tensor(0), ctx.tensor(1)], shape, { axis, batchDims: 0 }, ctx.dtype(0), '',
      { dynamicBatch: axis > 0 && ctx.batchIsDynamic(0) }))];
  },
};

/** Pad / PadV2 (constant value) / MirrorPad (REFLECT / SYMMETRIC): paddings [rank, 2]. */
const pad: OpMapper = {
  ops: ['Pad', 'PadV2', 'MirrorPad'],
  map(ctx) {
    const s = ctx.shape(0);
    const p = ints(ctx, 1, 'paddings');
    if (p.length !== 2 * s.length || p.some((x) => x < 0)) ctx.fail(`paddings [${p}] do not fit rank ${s.length}`);
    const shape = s.map((d, i) => d + p[2 * i] + p[2 * i + 1]);
    const padT = ctx.constI('paddings', [s.length, 2], p);
    const dyn = p[0] === 0 && p[1] === 0 && ctx.batchIsDynamic(0);
    if (ctx.node.op === 'PadV2') return [out(ctx.emit('PADV2', [ctx.tensor(0), padT, ctx.tensor(2)], shape, {}, undefined, '', { dynamicBatch: dyn }))];
    if (ctx.node.op === 'MirrorPad') {
      const mode = ctx.attr.string('mode');
      if (mode !== 'REFLECT' && mode !== 'SYMMETRIC') ctx.fail(`mode '${mode}'`);
      return [out(ctx.emit('MIRROR_PAD', [ctx.tensor(0), padT], shape, { mode }, undefined, '', { dynamicBatch: dyn }))];
    }
    return [out(ctx.emit('PAD', [ctx.tensor(0), padT], shape, {}, undefined, '', { dynamicBatch: dyn }))];
  },
};

const oneHot: OpMapper = {
  ops: ['OneHot'],
  map(ctx) {
    const s = ctx.shape(0);
    const depth = ints(ctx, 1, 'depth')[0];
    if (!(depth >= 0)) ctx.fail(`depth ${depth}`);
    const axisAttr = ctx.attr.int('axis');
    const axis = axisAttr === -1 ? s.length : axisOf(ctx, axisAttr, s.length + 1);
    const shape = [...s];
    shape.splice(axis, 0, depth);
    return [out(ctx.emit('ONE_HOT', [ctx.tensor(0), ctx.constI('depth', [], [depth]), ctx.tensor(2), ctx.tensor(3)], shape, { axis: axisAttr }, ctx.dtype(2), '',
      { dynamicBatch: axis > 0 && ctx.batchIsDynamic(0) }))];
  },
};

export const DATA_MOVEMENT_MAPPERS: readonly OpMapper[] = [slice, stridedSlice, concat, pack, unpack, split, gather, pad, oneHot];
