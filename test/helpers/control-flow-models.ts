// Multi-subgraph models written with our GraphBuilder, as TF's converter lays them out: a WHILE loop (cond and
// body subgraphs), a WHILE whose state grows each iteration, an IF (then/else subgraphs) and a stateful
// accumulator (CALL_ONCE init subgraph + VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE).
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Model, Subgraph } from '../../src/graph/model.js';
import { Rng } from './random.js';

function model(subgraphs: Subgraph[]): Model {
  return { version: 3, description: 'litequant test', subgraphs, metadata: [], signatureDefs: [] };
}

export const LOOP_UNITS = 8;

/**
 * WHILE i < n: x = tanh(FC(x) + x), i += 1. Inputs: x [1,8] float32, n [] int32 (iterations). Output: x after
 * the loop. The loop counter starts at a constant 0.
 */
export function whileLoopModel(seed = 1): Model {
  const rng = new Rng(seed);
  const U = LOOP_UNITS;
  const main = new GraphBuilder('main');
  const x = main.addInput({ name: 'x', dtype: 'float32', shape: [1, U] });
  const n = main.addInput({ name: 'n', dtype: 'int32', shape: [] });
  const i0 = main.addConstant('i0', 'int32', [], [0]);
  const iOut = main.addTensor({ name: 'i_out', dtype: 'int32', shape: [] });
  const nOut = main.addTensor({ name: 'n_out', dtype: 'int32', shape: [] });
  const xOut = main.addTensor({ name: 'x_out', dtype: 'float32', shape: [1, U] });
  main.addOp('WHILE', [i0, n, x], [iOut, nOut, xOut], { condSubgraphIndex: 1, bodySubgraphIndex: 2 });
  main.markOutput(xOut);

  const cond = new GraphBuilder('cond');
  const ci = cond.addInput({ name: 'i', dtype: 'int32', shape: [] });
  const cn = cond.addInput({ name: 'n', dtype: 'int32', shape: [] });
  cond.addInput({ name: 'x', dtype: 'float32', shape: [1, U] });
  const less = cond.addTensor({ name: 'less', dtype: 'bool', shape: [] });
  cond.addOp('LESS', [ci, cn], [less]);
  cond.markOutput(less);

  const body = new GraphBuilder('body');
  const bi = body.addInput({ name: 'i', dtype: 'int32', shape: [] });
  const bn = body.addInput({ name: 'n', dtype: 'int32', shape: [] });
  const bx = body.addInput({ name: 'x', dtype: 'float32', shape: [1, U] });
  const one = body.addConstant('one', 'int32', [], [1]);
  const w = body.addConstant('w', 'float32', [U, U], rng.floats(U * U, -0.6, 0.6));
  const b = body.addConstant('b', 'float32', [U], rng.floats(U, -0.3, 0.3));
  const i1 = body.addTensor({ name: 'i_next', dtype: 'int32', shape: [] });
  const fc = body.addTensor({ name: 'fc', dtype: 'float32', shape: [1, U] });
  const sum = body.addTensor({ name: 'sum', dtype: 'float32', shape: [1, U] });
  const y = body.addTensor({ name: 'x_next', dtype: 'float32', shape: [1, U] });
  body.addOp('ADD', [bi, one], [i1]);
  body.addOp('FULLY_CONNECTED', [bx, w, b], [fc]);
  body.addOp('ADD', [fc, bx], [sum]);
  body.addOp('TANH', [sum], [y]);
  body.markOutput(i1);
  body.markOutput(bn);
  body.markOutput(y);
  return model([main.subgraph(), cond.subgraph(), body.subgraph()]);
}

/**
 * WHILE i < n: x = concat(x, x * 0.5) along axis 1, i += 1: the state doubles in width each iteration.
 * Inputs: x [1,2] float32, n [] int32. Output: x [1, 2 * 2^n].
 */
export function growingWhileModel(): Model {
  const main = new GraphBuilder('main');
  const x = main.addInput({ name: 'x', dtype: 'float32', shape: [1, 2] });
  const n = main.addInput({ name: 'n', dtype: 'int32', shape: [] });
  const i0 = main.addConstant('i0', 'int32', [], [0]);
  const iOut = main.addTensor({ name: 'i_out', dtype: 'int32', shape: [] });
  const nOut = main.addTensor({ name: 'n_out', dtype: 'int32', shape: [] });
  const xOut = main.addTensor({ name: 'x_out', dtype: 'float32', shape: [1, 2], shapeSignature: [1, -1] });
  main.addOp('WHILE', [i0, n, x], [iOut, nOut, xOut], { condSubgraphIndex: 1, bodySubgraphIndex: 2 });
  main.markOutput(xOut);

  const cond = new GraphBuilder('cond');
  const ci = cond.addInput({ name: 'i', dtype: 'int32', shape: [] });
  const cn = cond.addInput({ name: 'n', dtype: 'int32', shape: [] });
  cond.addInput({ name: 'x', dtype: 'float32', shape: [1, 2], shapeSignature: [1, -1] });
  const less = cond.addTensor({ name: 'less', dtype: 'bool', shape: [] });
  cond.addOp('LESS', [ci, cn], [less]);
  cond.markOutput(less);

  const body = new GraphBuilder('body');
  const bi = body.addInput({ name: 'i', dtype: 'int32', shape: [] });
  const bn = body.addInput({ name: 'n', dtype: 'int32', shape: [] });
  const bx = body.addInput({ name: 'x', dtype: 'float32', shape: [1, 2], shapeSignature: [1, -1] });
  const one = body.addConstant('one', 'int32', [], [1]);
  const half = body.addConstant('half', 'float32', [], [0.5]);
  const i1 = body.addTensor({ name: 'i_next', dtype: 'int32', shape: [] });
  const halved = body.addTensor({ name: 'halved', dtype: 'float32', shape: [1, 2], shapeSignature: [1, -1] });
  const y = body.addTensor({ name: 'x_next', dtype: 'float32', shape: [1, 4], shapeSignature: [1, -1] });
  body.addOp('ADD', [bi, one], [i1]);
  body.addOp('MUL', [bx, half], [halved]);
  body.addOp('CONCATENATION', [bx, halved], [y], { axis: 1 });
  body.markOutput(i1);
  body.markOutput(bn);
  body.markOutput(y);
  return model([main.subgraph(), cond.subgraph(), body.subgraph()]);
}

export const IF_UNITS = 6;

/**
 * IF s > 0: y = relu(FC(x)) else y = tanh(x * 1.5 + c). Inputs: s [1] float32 (the condition), x [1,6] float32.
 * Output: y [1,6], then y2 = y + x outside the IF.
 */
export function ifModel(seed = 2): Model {
  const rng = new Rng(seed);
  const U = IF_UNITS;
  const main = new GraphBuilder('main');
  const s = main.addInput({ name: 's', dtype: 'float32', shape: [1] });
  const x = main.addInput({ name: 'x', dtype: 'float32', shape: [1, U] });
  const zero = main.addConstant('zero', 'float32', [1], [0]);
  const c = main.addTensor({ name: 'cond', dtype: 'bool', shape: [1] });
  const y = main.addTensor({ name: 'y', dtype: 'float32', shape: [1, U] });
  const y2 = main.addTensor({ name: 'y2', dtype: 'float32', shape: [1, U] });
  main.addOp('GREATER', [s, zero], [c]);
  main.addOp('IF', [c, x], [y], { thenSubgraphIndex: 1, elseSubgraphIndex: 2 });
  main.addOp('ADD', [y, x], [y2]);
  main.markOutput(y2);

  const then = new GraphBuilder('then');
  const tx = then.addInput({ name: 'x', dtype: 'float32', shape: [1, U] });
  const w = then.addConstant('w', 'float32', [U, U], rng.floats(U * U, -0.8, 0.8));
  const b = then.addConstant('b', 'float32', [U], rng.floats(U, -0.2, 0.2));
  const ty = then.addTensor({ name: 'then_y', dtype: 'float32', shape: [1, U] });
  then.addOp('FULLY_CONNECTED', [tx, w, b], [ty], { fusedActivationFunction: 'RELU' });
  then.markOutput(ty);

  const other = new GraphBuilder('else');
  const ex = other.addInput({ name: 'x', dtype: 'float32', shape: [1, U] });
  const k = other.addConstant('k', 'float32', [], [1.5]);
  const cc = other.addConstant('c', 'float32', [U], rng.floats(U, -0.5, 0.5));
  const m = other.addTensor({ name: 'scaled', dtype: 'float32', shape: [1, U] });
  const a = other.addTensor({ name: 'shifted', dtype: 'float32', shape: [1, U] });
  const ey = other.addTensor({ name: 'else_y', dtype: 'float32', shape: [1, U] });
  other.addOp('MUL', [ex, k], [m]);
  other.addOp('ADD', [m, cc], [a]);
  other.addOp('TANH', [a], [ey]);
  other.markOutput(ey);
  return model([main.subgraph(), then.subgraph(), other.subgraph()]);
}

export const ACC_UNITS = 4;

/**
 * A running sum across invokes: CALL_ONCE runs subgraph 1, which assigns `start` to resource variable 'acc';
 * each invoke reads it, adds x, assigns the sum back and outputs sum * 2.
 */
export function accumulatorModel(start: number[] = [0.5, -1, 0, 2]): Model {
  const U = ACC_UNITS;
  const main = new GraphBuilder('main');
  const x = main.addInput({ name: 'x', dtype: 'float32', shape: [1, U] });
  const h = main.addTensor({ name: 'handle', dtype: 'resource', shape: [] });
  const v = main.addTensor({ name: 'acc_value', dtype: 'float32', shape: [1, U] });
  const sum = main.addTensor({ name: 'acc_next', dtype: 'float32', shape: [1, U] });
  const two = main.addConstant('two', 'float32', [], [2]);
  const out = main.addTensor({ name: 'out', dtype: 'float32', shape: [1, U] });
  main.addOp('CALL_ONCE', [], [], { initSubgraphIndex: 1 });
  main.addOp('VAR_HANDLE', [], [h], { container: '', sharedName: 'acc' });
  main.addOp('READ_VARIABLE', [h], [v]);
  main.addOp('ADD', [v, x], [sum]);
  main.addOp('ASSIGN_VARIABLE', [h, sum], []);
  main.addOp('MUL', [sum, two], [out]);
  main.markOutput(out);

  const init = new GraphBuilder('init');
  const ih = init.addTensor({ name: 'handle', dtype: 'resource', shape: [] });
  const s0 = init.addConstant('start', 'float32', [1, U], start);
  init.addOp('VAR_HANDLE', [], [ih], { container: '', sharedName: 'acc' });
  init.addOp('ASSIGN_VARIABLE', [ih, s0], []);
  return model([main.subgraph(), init.subgraph()]);
}
