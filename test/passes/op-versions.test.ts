// The float op-version pass on the ops TF graphs bring: the versions op_version.cc gives for their dtypes and
// options, and the official runtime accepting the files (BROADCAST_TO's withdrawn version 1 is refused by it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DType, OpOptions } from '../../src/graph/model.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import { runPasses, setFloatOpVersions } from '../../src/graph/passes/index.js';
import { writeModel } from '../../src/format/index.js';
import { runReference, singleOpModel } from '../helpers/conformance.js';

interface Case {
  op: string;
  ins: { dtype: DType; shape: number[]; data?: number[] }[];
  out: { dtype: DType; shape: number[] };
  options?: OpOptions;
  want: number;
}

function versionAfterPass(c: Case): number {
  const b = new GraphBuilder();
  const ins = c.ins.map((t, i) => (t.data ? b.addConstant(`c${i}`, t.dtype, t.shape, t.data) : b.addInput({ name: `in${i}`, dtype: t.dtype, shape: t.shape })));
  const out = b.addTensor({ name: 'out', dtype: c.out.dtype, shape: c.out.shape });
  b.markOutput(out);
  b.addOp(c.op, ins, [out], c.options ?? {}, 1);
  const model = b.model();
  runPasses(model, [setFloatOpVersions]);
  return model.subgraphs[0].operators[0].version;
}

const f32 = (shape: number[]) => ({ dtype: 'float32' as DType, shape });
const i32c = (data: number[], shape = [data.length]) => ({ dtype: 'int32' as DType, shape, data });

const CASES: Case[] = [
  { op: 'BROADCAST_TO', ins: [f32([3]), i32c([2, 3])], out: f32([2, 3]), want: 2 },
  { op: 'FLOOR_DIV', ins: [f32([3]), f32([3])], out: f32([3]), want: 2 },
  { op: 'FLOOR_DIV', ins: [{ dtype: 'int32', shape: [3] }, { dtype: 'int32', shape: [3] }], out: { dtype: 'int32', shape: [3] }, want: 1 },
  { op: 'RANGE', ins: [{ dtype: 'int64', shape: [], data: [0] }, { dtype: 'int64', shape: [], data: [4] }, { dtype: 'int64', shape: [], data: [1] }], out: { dtype: 'int64', shape: [4] }, want: 2 },
  { op: 'FILL', ins: [i32c([2]), { dtype: 'bool', shape: [] }], out: { dtype: 'bool', shape: [2] }, want: 2 },
  { op: 'FILL', ins: [i32c([2]), f32([])], out: f32([2]), want: 1 },
  { op: 'CAST', ins: [f32([2])], out: { dtype: 'int64', shape: [2] }, options: { inDataType: 'float32', outDataType: 'int64' }, want: 1 },
  { op: 'CAST', ins: [{ dtype: 'float64', shape: [2] }], out: f32([2]), options: { inDataType: 'float64', outDataType: 'float32' }, want: 5 },
  { op: 'SPLIT', ins: [i32c([0], []), { dtype: 'int32', shape: [4] }], out: { dtype: 'int32', shape: [2] }, options: { numSplits: 2 }, want: 3 },
  { op: 'STRIDED_SLICE', ins: [f32([2, 3]), i32c([0]), i32c([1]), i32c([1])], out: f32([2, 3]), options: { ellipsisMask: 1 }, want: 6 },
  { op: 'STRIDED_SLICE', ins: [f32([2, 3]), i32c([0]), i32c([1]), i32c([1])], out: f32([1, 3]), options: { offset: true }, want: 8 },
  { op: 'STRIDED_SLICE', ins: [{ dtype: 'bool', shape: [2, 3] }, i32c([0]), i32c([1]), i32c([1])], out: { dtype: 'bool', shape: [1, 3] }, want: 3 },
  { op: 'GATHER', ins: [{ dtype: 'bool', shape: [3] }, { dtype: 'int32', shape: [2] }], out: { dtype: 'bool', shape: [2] }, want: 3 },
  { op: 'GATHER_ND', ins: [{ dtype: 'bool', shape: [3] }, { dtype: 'int32', shape: [2, 1] }], out: { dtype: 'bool', shape: [2] }, want: 5 },
  { op: 'ARG_MAX', ins: [f32([3]), i32c([0])], out: { dtype: 'int64', shape: [] }, options: { outputType: 'int64' }, want: 1 },
  { op: 'TRANSPOSE', ins: [{ dtype: 'bool', shape: [2, 3] }, i32c([1, 0])], out: { dtype: 'bool', shape: [3, 2] }, want: 3 },
  { op: 'SELECT', ins: [{ dtype: 'bool', shape: [2] }, f32([2]), f32([2])], out: f32([2]), want: 1 },
  { op: 'SPACE_TO_BATCH_ND', ins: [f32([1, 4, 2]), i32c([2]), i32c([0, 0], [1, 2])], out: f32([2, 2, 2]), want: 3 },
  { op: 'MIRROR_PAD', ins: [f32([3]), i32c([1, 1], [1, 2])], out: f32([5]), options: { mode: 'REFLECT' }, want: 1 },
];

test('float op versions follow op_version.cc for the ops TF graphs bring', () => {
  for (const c of CASES) {
    assert.equal(versionAfterPass(c), c.want, `${c.op} ${c.ins.map((t) => t.dtype).join(',')} ${JSON.stringify(c.options ?? {})}`);
  }
});

test('ops on quantized tensors keep the version the quantizer gave them', () => {
  const b = new GraphBuilder();
  const q = { scale: [0.1], zeroPoint: [0], quantizedDimension: 0 };
  const x = b.addInput({ name: 'x', dtype: 'int8', shape: [3], quantization: q });
  const out = b.addTensor({ name: 'y', dtype: 'int8', shape: [5], quantization: q });
  const pads = b.addConstant('pads', 'int32', [1, 2], [1, 1]);
  b.markOutput(out);
  b.addOp('MIRROR_PAD', [x, pads], [out], { mode: 'REFLECT' }, 2);
  const model = b.model();
  runPasses(model, [setFloatOpVersions]);
  assert.equal(model.subgraphs[0].operators[0].version, 2);
});

test('the official runtime refuses BROADCAST_TO version 1 and runs the version the pass writes', async () => {
  const spec = { op: 'BROADCAST_TO', inputs: [f32([3]), { ...i32c([2, 3]) }], outputs: [f32([2, 3])] };
  await assert.rejects(runReference(writeModel(singleOpModel({ ...spec, version: 1 })), [[1, 2, 3]]), /refused/);
  const [r] = await runReference(writeModel(singleOpModel({ ...spec, version: versionAfterPass({ op: 'BROADCAST_TO', ins: [f32([3]), i32c([2, 3])], out: f32([2, 3]), want: 2 }) })), [[1, 2, 3]]);
  assert.deepEqual(Array.from(r.data), [1, 2, 3, 1, 2, 3]);
});
