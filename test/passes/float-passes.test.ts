// The float conversion passes: the rewritten graph must compute what the original computes (both run in the
// official runtime), with the expected ops left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Model } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { FLOAT_CONVERSION_PASSES, runPasses } from '../../src/graph/passes/index.js';
import { runOfficial } from '../helpers/oracle.js';
import { mulberry32 } from '../helpers/random.js';

const rnd = mulberry32(9);
const rand = (n: number) => Float32Array.from({ length: n }, () => rnd() * 2 - 1);

/** x[1,5,5,3] -> CONV_2D -> MUL(c) -> ADD(c) -> RELU -> RESHAPE(same shape) -> out; plus a foldable constant ADD. */
function buildGraph(extraReaderOfConv: boolean): Model {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', shape: [1, 5, 5, 3], dtype: 'float32', shapeSignature: [-1, 5, 5, 3] });
  const w = b.addConstant('w', 'float32', [4, 3, 3, 3], rand(108));
  const bias = b.addConstant('bias', 'float32', [4], rand(4));
  const conv = b.addTensor({ name: 'conv', shape: [1, 5, 5, 4], dtype: 'float32' });
  b.addOp('CONV_2D', [x, w, bias], [conv], { padding: 'SAME', strideH: 1, strideW: 1 });
  // scale = s1 + s2, both constants: constant folding makes it one constant, then it folds into the conv.
  const s1 = b.addConstant('s1', 'float32', [4], rand(4));
  const s2 = b.addConstant('s2', 'float32', [4], rand(4));
  const scale = b.addTensor({ name: 'scale', shape: [4], dtype: 'float32' });
  b.addOp('ADD', [s1, s2], [scale]);
  const m = b.addTensor({ name: 'bn_mul', shape: [1, 5, 5, 4], dtype: 'float32' });
  b.addOp('MUL', [conv, scale], [m]);
  const a = b.addTensor({ name: 'bn_add', shape: [1, 5, 5, 4], dtype: 'float32' });
  b.addOp('ADD', [m, b.addConstant('shift', 'float32', [4], rand(4))], [a]);
  const r = b.addTensor({ name: 'relu', shape: [1, 5, 5, 4], dtype: 'float32' });
  b.addOp('RELU', [a], [r]);
  const out = b.addTensor({ name: 'out', shape: [1, 5, 5, 4], dtype: 'float32' });
  b.addOp('RESHAPE', [r, b.addConstant('shape', 'int32', [4], [-1, 5, 5, 4])], [out]);
  b.markOutput(out);
  if (extraReaderOfConv) {
    // A second reader of the conv output: nothing may fold into the conv then.
    const t = b.addTensor({ name: 'tanh', shape: [1, 5, 5, 4], dtype: 'float32' });
    b.addOp('TANH', [conv], [t]);
    b.markOutput(t);
  }
  return b.model();
}

async function compare(before: Model, after: Model): Promise<number> {
  const x = rand(75);
  const ya = await runOfficial(writeModel(before), [x]);
  const yb = await runOfficial(writeModel(after), [x]);
  let worst = 0;
  ya.forEach((o, k) => { for (let i = 0; i < o.data.length; i++) worst = Math.max(worst, Math.abs(Number(o.data[i]) - Number(yb[k].data[i]))); });
  return worst;
}

test('BN-style MUL+ADD fold into the conv, RELU fuses, no-op RESHAPE and folded constants disappear', async () => {
  const original = buildGraph(false);
  const model = structuredClone(original);
  runPasses(model, FLOAT_CONVERSION_PASSES);
  const sg = model.subgraphs[0];
  assert.deepEqual(sg.operators.map((o) => o.op), ['CONV_2D']);
  assert.equal(sg.operators[0].options.fusedActivationFunction, 'RELU');
  assert.equal(sg.tensors[sg.outputs[0]].name, 'out', 'the graph output keeps its tensor');
  // Only x, out, the folded weights and bias remain.
  assert.deepEqual(sg.tensors.map((t) => t.name).sort(), ['bias', 'out', 'w', 'x']);
  const worst = await compare(original, model);
  assert.ok(worst <= 1e-5, `max abs diff ${worst}`);
});

test('nothing folds or fuses into an op whose output has another reader', async () => {
  const original = buildGraph(true);
  const model = structuredClone(original);
  runPasses(model, FLOAT_CONVERSION_PASSES);
  const ops = model.subgraphs[0].operators;
  assert.deepEqual(ops.map((o) => o.op).sort(), ['ADD', 'CONV_2D', 'MUL', 'TANH']);
  assert.equal(ops.find((o) => o.op === 'CONV_2D')!.options.fusedActivationFunction, 'NONE');
  // RELU fuses into the ADD (its only reader); the constant ADD is folded.
  assert.equal(ops.find((o) => o.op === 'ADD')!.options.fusedActivationFunction, 'RELU');
  const worst = await compare(original, model);
  assert.ok(worst <= 1e-5, `max abs diff ${worst}`);
});

test('identical constants are stored once', () => {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', shape: [1, 4], dtype: 'float32' });
  const c1 = b.addConstant('c1', 'float32', [4], [1, 2, 3, 4]);
  const c2 = b.addConstant('c2', 'float32', [4], [1, 2, 3, 4]);
  const y = b.addTensor({ name: 'y', shape: [1, 4], dtype: 'float32' });
  b.addOp('MUL', [x, c1], [y]);
  const z = b.addTensor({ name: 'z', shape: [1, 4], dtype: 'float32' });
  b.addOp('SUB', [y, c2], [z]);
  b.markOutput(z);
  const model = b.model();
  runPasses(model, FLOAT_CONVERSION_PASSES);
  const sg = model.subgraphs[0];
  assert.equal(sg.tensors.filter((t) => t.data).length, 1);
  assert.equal(sg.operators[0].inputs[1], sg.operators[1].inputs[1]);
});
