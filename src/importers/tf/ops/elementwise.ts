// Element-wise binary ops with broadcasting, comparisons, Select, AddN, Cast, and the ops TFLite lacks that are
// written with builtins (Log1p = log(x + 1)). Plain one-to-one mappings are declared as data.

import type { DType } from '../../../graph/model.js';
import { dtypeOfTf } from '../normalize/const-value.js';
import { broadcastOf, out, type OpMapper } from './context.js';

/** TensorFlow binary op -> TFLite builtin (and the output type when it is not the inputs'). */
const BINARY: Readonly<Record<string, { tflite: string; out?: DType }>> = {
  Add: { tflite: 'ADD' }, AddV2: { tflite: 'ADD' }, Sub: { tflite: 'SUB' }, Mul: { tflite: 'MUL' },
  RealDiv: { tflite: 'DIV' }, Minimum: { tflite: 'MINIMUM' }, Maximum: { tflite: 'MAXIMUM' },
  SquaredDifference: { tflite: 'SQUARED_DIFFERENCE' }, Pow: { tflite: 'POW' },
  FloorDiv: { tflite: 'FLOOR_DIV' }, FloorMod: { tflite: 'FLOOR_MOD' },
  Equal: { tflite: 'EQUAL', out: 'bool' }, NotEqual: { tflite: 'NOT_EQUAL', out: 'bool' },
  Less: { tflite: 'LESS', out: 'bool' }, LessEqual: { tflite: 'LESS_EQUAL', out: 'bool' },
  Greater: { tflite: 'GREATER', out: 'bool' }, GreaterEqual: { tflite: 'GREATER_EQUAL', out: 'bool' },
  LogicalAnd: { tflite: 'LOGICAL_AND', out: 'bool' }, LogicalOr: { tflite: 'LOGICAL_OR', out: 'bool' },
};

const binaryMappers: OpMapper[] = Object.entries(BINARY).map(([tf, spec]) => ({
  ops: [tf],
  map(ctx) {
    const shape = broadcastOf(ctx, ctx.shape(0), ctx.shape(1));
    return [out(ctx.emit(spec.tflite, [ctx.tensor(0), ctx.tensor(1)], shape, {}, spec.out ?? ctx.dtype(0)))];
  },
}));

const log1p: OpMapper = {
  ops: ['Log1p'],
  map(ctx) {
    const s = [...ctx.shape(0)];
    const p1 = ctx.emit('ADD', [ctx.tensor(0), ctx.constF('one', [], [1])], s, {}, undefined, 'plus_one');
    return [out(ctx.emit('LOG', [p1], s))];
  },
};

const addN: OpMapper = {
  ops: ['AddN'],
  map(ctx) {
    let acc = ctx.tensor(0);
    let shape = [...ctx.shape(0)];
    for (let i = 1; i < ctx.inputCount; i++) {
      shape = broadcastOf(ctx, shape, ctx.shape(i));
      acc = ctx.emit('ADD', [acc, ctx.tensor(i)], shape, {}, undefined, i === ctx.inputCount - 1 ? '' : `sum${i}`);
    }
    return [out(acc)];
  },
};

/**
 * Select(cond, x, y): TF's v1 op takes a cond of x's shape (TFLite SELECT) or a vector selecting rows, which we
 * reshape to broadcast; SelectV2 broadcasts all three (TFLite SELECT_V2).
 */
const select: OpMapper = {
  ops: ['Select', 'SelectV2'],
  map(ctx) {
    let cond = ctx.tensor(0);
    const cs = ctx.shape(0), xs = ctx.shape(1), ys = ctx.shape(2);
    if (ctx.node.op === 'Select') {
      if (xs.join() !== ys.join()) ctx.fail(`x [${xs}] and y [${ys}] differ in shape`);
      if (cs.join() === xs.join()) return [out(ctx.emit('SELECT', [cond, ctx.tensor(1), ctx.tensor(2)], [...xs]))];
      if (cs.length !== 1 || cs[0] !== xs[0]) ctx.fail(`condition [${cs}] is neither x's shape [${xs}] nor its rows`);
      const rows = [cs[0], ...xs.slice(1).map(() => 1)];
      cond = ctx.emit('RESHAPE', [cond, ctx.constI('cond_shape', [rows.length], rows)], rows, {}, 'bool', 'cond_rows');
      return [out(ctx.emit('SELECT_V2', [cond, ctx.tensor(1), ctx.tensor(2)], [...xs]))];
    }
    const shape = broadcastOf(ctx, broadcastOf(ctx, cs, xs), ys);
    return [out(ctx.emit('SELECT_V2', [cond, ctx.tensor(1), ctx.tensor(2)], shape, {}, ctx.dtype(1)))];
  },
};

const cast: OpMapper = {
  ops: ['Cast'],
  map(ctx) {
    const to = dtypeOfTf(ctx.attr.type('DstT')) ?? ctx.fail(`cast to ${ctx.attr.type('DstT')}`);
    // int64 is int32 here (as in TF.js), so int32 <-> int64 casts vanish.
    if (to === ctx.dtype(0)) return [ctx.value(0)];
    return [out(ctx.emit('CAST', [ctx.tensor(0)], [...ctx.shape(0)], { inDataType: ctx.dtype(0), outDataType: to }, to))];
  },
};

export const ELEMENTWISE_MAPPERS: readonly OpMapper[] = [...binaryMappers, log1p, addN, select, cast];
