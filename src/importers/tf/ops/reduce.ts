// Reductions over constant axes (keep_dims) and ArgMax / ArgMin, declared as data.

import { dtypeOfTf } from '../normalize/const-value.js';
import { axisOf, out, type OpMapper } from './context.js';

const REDUCERS: Readonly<Record<string, string>> = {
  Mean: 'MEAN', Sum: 'SUM', Max: 'REDUCE_MAX', Min: 'REDUCE_MIN', Prod: 'REDUCE_PROD', Any: 'REDUCE_ANY', All: 'REDUCE_ALL',
};

const reduce: OpMapper = {
  ops: Object.keys(REDUCERS),
  map(ctx) {
    const s = ctx.shape(0);
    const axes = [...new Set(Array.from(ctx.constant(1, 'reduction axes').values, (a) => axisOf(ctx, a, s.length)))].sort((a, b) => a - b);
    const keep = ctx.attr.bool('keep_dims');
    const shape = keep ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
    const keepsBatch = !axes.includes(0) && ctx.batchIsDynamic(0);
    return [out(ctx.emit(REDUCERS[ctx.node.op], [ctx.tensor(0), ctx.constI('axes', [axes.length], axes)], shape, { keepDims: keep }, undefined, '',
      { dynamicBatch: keepsBatch }))];
  },
};

const ARG: Readonly<Record<string, string>> = { ArgMax: 'ARG_MAX', ArgMin: 'ARG_MIN' };

const argReduce: OpMapper = {
  ops: Object.keys(ARG),
  map(ctx) {
    const s = ctx.shape(0);
    const c = ctx.constant(1, 'dimension');
    if (c.values.length !== 1) ctx.fail(`dimension must be a scalar, it has shape [${c.shape}]`);
    const axis = axisOf(ctx, c.values[0], s.length);
    // int64 indices are int32 here (as in TF.js).
    const outType = dtypeOfTf(ctx.attr.type('output_type')) === 'int32' ? 'int32' : ctx.fail(`output_type ${ctx.attr.type('output_type')}`);
    return [out(ctx.emit(ARG[ctx.node.op], [ctx.tensor(0), ctx.constI('axis', [1], [axis])], s.filter((_, i) => i !== axis), { outputType: outType }, outType, '',
      { dynamicBatch: axis !== 0 && ctx.batchIsDynamic(0) }))];
  },
};

export const REDUCE_MAPPERS: readonly OpMapper[] = [reduce, argReduce];
