// The op catalogue's options layouts, checked by the official runtime: one-op models with non-default options
// (including fields after deprecated slots, enums and TensorType fields) must compute what hand arithmetic says.
// A wrong field id or enum code would make the runtime read a default instead and give a different answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { DType, OpOptions } from '../../src/graph/model.js';
import { builtinCode, builtinName, defaultOptions } from '../../src/graph/ops.js';
import { readModel, writeModel } from '../../src/format/index.js';
import { runOfficial } from '../helpers/oracle.js';

interface Case {
  name: string;
  op: string;
  input: { shape: number[]; dtype?: DType; values: number[] };
  /** Constant inputs after the runtime input (int32 unless dtype given); null = omitted (-1). */
  consts?: ({ shape: number[]; values: number[]; dtype?: DType } | null)[];
  options: OpOptions;
  out: { shape: number[]; dtype?: DType };
  expected: number[];
  version?: number;
}

const CASES: Case[] = [
  { name: 'RESIZE_BILINEAR alignCorners (after two deprecated fields)', op: 'RESIZE_BILINEAR',
    input: { shape: [1, 2, 2, 1], values: [0, 1, 2, 3] }, consts: [{ shape: [2], values: [3, 3] }],
    options: { alignCorners: true }, out: { shape: [1, 3, 3, 1] }, expected: [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3] },
  { name: 'STRIDED_SLICE shrinkAxisMask', op: 'STRIDED_SLICE', input: { shape: [2, 3], values: [0, 1, 2, 3, 4, 5] },
    consts: [{ shape: [2], values: [1, 0] }, { shape: [2], values: [2, 3] }, { shape: [2], values: [1, 1] }],
    options: { shrinkAxisMask: 1 }, out: { shape: [3] }, expected: [3, 4, 5] },
  { name: 'STRIDED_SLICE beginMask/endMask', op: 'STRIDED_SLICE', input: { shape: [2, 3], values: [0, 1, 2, 3, 4, 5] },
    consts: [{ shape: [2], values: [1, 1] }, { shape: [2], values: [0, 0] }, { shape: [2], values: [1, 1] }],
    options: { beginMask: 1, endMask: 3 }, out: { shape: [2, 2] }, expected: [1, 2, 4, 5] },
  { name: 'MEAN keepDims', op: 'MEAN', input: { shape: [2, 3], values: [0, 1, 2, 3, 4, 5] },
    consts: [{ shape: [1], values: [1] }], options: { keepDims: true }, out: { shape: [2, 1] }, expected: [1, 4] },
  { name: 'SOFTMAX beta', op: 'SOFTMAX', input: { shape: [1, 2], values: [0, 1] }, options: { beta: 2 },
    out: { shape: [1, 2] }, expected: [1 / (1 + Math.exp(2)), Math.exp(2) / (1 + Math.exp(2))] },
  { name: 'LEAKY_RELU alpha', op: 'LEAKY_RELU', input: { shape: [2], values: [-4, 2] }, options: { alpha: 0.25 },
    out: { shape: [2] }, expected: [-1, 2] },
  { name: 'CONCATENATION axis', op: 'CONCATENATION', input: { shape: [2, 1], values: [-1, 2] },
    consts: [{ shape: [2, 1], values: [3, -4], dtype: 'float32' }], options: { axis: 1 },
    out: { shape: [2, 2] }, expected: [-1, 3, 2, -4] },
  { name: 'ADD fused RELU_N1_TO_1', op: 'ADD', input: { shape: [3], values: [-3, 0.25, 2] },
    consts: [{ shape: [3], values: [0, 0.25, 0], dtype: 'float32' }], options: { fusedActivationFunction: 'RELU_N1_TO_1' },
    out: { shape: [3] }, expected: [-1, 0.5, 1] },
  { name: 'AVERAGE_POOL_2D filter/stride/padding', op: 'AVERAGE_POOL_2D', input: { shape: [1, 2, 4, 1], values: [1, 2, 3, 4, 5, 6, 7, 8] },
    options: { padding: 'VALID', strideW: 2, strideH: 2, filterWidth: 2, filterHeight: 2 }, out: { shape: [1, 1, 2, 1] }, expected: [3.5, 5.5] },
  { name: 'MAX_POOL_2D fused RELU6', op: 'MAX_POOL_2D', input: { shape: [1, 1, 4, 1], values: [1, 9, -3, -2] },
    options: { padding: 'VALID', strideW: 2, strideH: 1, filterWidth: 2, filterHeight: 1, fusedActivationFunction: 'RELU6' },
    out: { shape: [1, 1, 2, 1] }, expected: [6, 0] },
  { name: 'GATHER axis', op: 'GATHER', input: { shape: [2, 3], values: [0, 1, 2, 3, 4, 5] }, consts: [{ shape: [2], values: [2, 0] }],
    options: { axis: 1 }, out: { shape: [2, 2] }, expected: [2, 0, 5, 3] },
  { name: 'PACK valuesCount/axis', op: 'PACK', input: { shape: [2], values: [1, 2] }, consts: [{ shape: [2], values: [3, 4], dtype: 'float32' }],
    options: { valuesCount: 2, axis: 1 }, out: { shape: [2, 2] }, expected: [1, 3, 2, 4] },
  { name: 'ARG_MAX outputType (TensorType)', op: 'ARG_MAX', input: { shape: [1, 4], values: [1, 7, 3, 2] },
    consts: [{ shape: [1], values: [1] }], options: { outputType: 'int32' }, out: { shape: [1], dtype: 'int32' }, expected: [1] },
  { name: 'CAST in/out data types', op: 'CAST', input: { shape: [2], values: [1.75, -2.25] },
    options: { inDataType: 'float32', outDataType: 'int32' }, out: { shape: [2], dtype: 'int32' }, expected: [1, -2] },
  { name: 'MIRROR_PAD SYMMETRIC', op: 'MIRROR_PAD', input: { shape: [3], values: [1, 2, 3] }, consts: [{ shape: [1, 2], values: [1, 1] }],
    options: { mode: 'SYMMETRIC' }, out: { shape: [5] }, expected: [1, 1, 2, 3, 3] },
  { name: 'MIRROR_PAD REFLECT', op: 'MIRROR_PAD', input: { shape: [3], values: [1, 2, 3] }, consts: [{ shape: [1, 2], values: [1, 1] }],
    options: { mode: 'REFLECT' }, out: { shape: [5] }, expected: [2, 1, 2, 3, 2] },
  { name: 'SQUEEZE squeezeDims', op: 'SQUEEZE', input: { shape: [1, 3, 1], values: [1, 2, 3] }, options: { squeezeDims: [0] },
    out: { shape: [3, 1] }, expected: [1, 2, 3] },
  { name: 'DEPTH_TO_SPACE blockSize', op: 'DEPTH_TO_SPACE', input: { shape: [1, 1, 1, 4], values: [1, 2, 3, 4] },
    options: { blockSize: 2 }, out: { shape: [1, 2, 2, 1] }, expected: [1, 2, 3, 4] },
  { name: 'FULLY_CONNECTED keepNumDims', op: 'FULLY_CONNECTED', input: { shape: [1, 2, 3], values: [1, 2, 3, 4, 5, 6] },
    consts: [{ shape: [2, 3], values: [1, 0, 0, 0, 1, 1], dtype: 'float32' }, null], options: { keepNumDims: true },
    out: { shape: [1, 2, 2] }, expected: [1, 5, 4, 11], version: 5 },
  { name: 'CONV_2D strides, padding, dilation', op: 'CONV_2D', input: { shape: [1, 1, 5, 1], values: [1, 2, 3, 4, 5] },
    consts: [{ shape: [1, 1, 2, 1], values: [1, 10], dtype: 'float32' }, { shape: [1], values: [0.5], dtype: 'float32' }],
    options: { padding: 'VALID', strideW: 2, strideH: 1, dilationWFactor: 2 }, out: { shape: [1, 1, 2, 1] },
    expected: [1 + 30 + 0.5, 3 + 50 + 0.5], version: 2 },
  { name: 'DEPTHWISE_CONV_2D depthMultiplier', op: 'DEPTHWISE_CONV_2D', input: { shape: [1, 1, 1, 1], values: [3] },
    consts: [{ shape: [1, 1, 1, 2], values: [2, -1], dtype: 'float32' }, { shape: [2], values: [0, 0], dtype: 'float32' }],
    options: { padding: 'VALID', strideW: 1, strideH: 1, depthMultiplier: 2, fusedActivationFunction: 'RELU' },
    out: { shape: [1, 1, 1, 2] }, expected: [6, 0] },
  { name: 'BATCH_MATMUL adjY', op: 'BATCH_MATMUL', input: { shape: [1, 2, 2], values: [1, 2, 3, 4] },
    consts: [{ shape: [1, 2, 2], values: [1, 0, 1, 1], dtype: 'float32' }], options: { adjY: true },
    out: { shape: [1, 2, 2] }, expected: [1, 3, 3, 7] },
];

for (const c of CASES) {
  test(`options: ${c.name}`, async () => {
    const g = new GraphBuilder();
    const x = g.addInput({ name: 'x', shape: c.input.shape, dtype: c.input.dtype ?? 'float32' });
    const ins = [x, ...(c.consts ?? []).map((k, i) => (k === null ? -1 : g.addConstant(`c${i}`, k.dtype ?? 'int32', k.shape, k.values)))];
    const y = g.addTensor({ name: 'y', shape: c.out.shape, dtype: c.out.dtype ?? 'float32' });
    g.addOp(c.op, ins, [y], c.options, c.version ?? 1);
    g.markOutput(y);
    const bytes = writeModel(g.model());
    // Our reader decodes the options we wrote.
    const back = readModel(bytes).subgraphs[0].operators[0];
    for (const [k, v] of Object.entries(c.options)) assert.deepEqual(back.options[k], v, `option ${k} read back`);
    const [out] = await runOfficial(bytes, [c.input.values]);
    assert.deepEqual(out.shape, c.out.shape);
    const got = Array.from(out.data as ArrayLike<number>);
    assert.equal(got.length, c.expected.length);
    got.forEach((v, i) => assert.ok(Math.abs(v - c.expected[i]) <= 1e-6, `element ${i}: ${v} != ${c.expected[i]} (all: ${got})`));
  });
}

test('catalogue: enum round trips and defaults', () => {
  for (let code = 0; builtinName(code) !== undefined; code++) assert.equal(builtinCode(builtinName(code)!), code);
  assert.equal(builtinName(-1), undefined);
  assert.deepEqual(defaultOptions('RELU'), { optionsType: null, options: {} });
  const add = defaultOptions('ADD');
  assert.equal(add.optionsType, 'AddOptions');
  assert.equal(add.options.potScaleInt16, true); // schema default true
  assert.equal(defaultOptions('CONV_2D').options.dilationWFactor, 1);
  assert.equal(defaultOptions('UNIQUE').options.idxOutType, 'int32');
});
