// Graph-level behaviour of the importer: a free batch (-1 in the input's signature, a flatten kept as [-1, N]),
// input shapes given by the caller, constant subgraphs folded (a batch norm written out as Rsqrt/Mul/Sub ends in
// the conv), control edges and pass-through ops dropped. Results checked against TF.js running the same GraphDef.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/errors.js';
import { frozenGraphToModel } from '../../../src/importers/tf/import-graph.js';
import { tfjsGraphFromArtifacts } from '../../../src/importers/tf/tfjs-graph.js';
import { int32Values } from '../../../src/graph/passes/util.js';
import { mulberry32 } from '../../helpers/random.js';
import { A, GraphSpec, closeness, runOfficialModel, runOursModel, runTfjs } from './graph-helpers.js';

function flattenGraph(): GraphSpec {
  const rnd = mulberry32(5);
  const g = new GraphSpec();
  const x = g.placeholder('x', [-1, 4, 4, 3]);
  const c = g.op('conv', 'Conv2D', [x, g.weight('k', [3, 3, 3, 2], Array.from({ length: 54 }, () => rnd() - 0.5))],
    { strides: A.ints([1, 1, 1, 1]), padding: A.s('SAME'), dilations: A.ints([1, 1, 1, 1]) });
  const batch = g.op('batch', 'StridedSlice', [g.op('shape', 'Shape', [c]), g.ints('b', [0]), g.ints('e', [1]), g.ints('s', [1])], { shrink_axis_mask: A.i(1) });
  const flat = g.op('flat', 'Reshape', [c, g.op('pack', 'Pack', [batch, g.ints('n', [32], [])], { N: A.i(2) })]);
  g.output(g.op('y', 'MatMul', [flat, g.weight('w', [32, 5], Array.from({ length: 160 }, () => rnd() - 0.5))]));
  return g;
}

test('a free batch stays -1 in the input signature, and a Shape-built flatten becomes RESHAPE [-1, N]', () => {
  const { model } = frozenGraphToModel(tfjsGraphFromArtifacts(flattenGraph().artifacts(), 'flatten'));
  const sg = model.subgraphs[0];
  const input = sg.tensors[sg.inputs[0]];
  assert.deepEqual(input.shape, [1, 4, 4, 3]);
  assert.deepEqual(input.shapeSignature, [-1, 4, 4, 3]);
  const reshape = sg.operators.find((o) => o.op === 'RESHAPE')!;
  assert.deepEqual([...int32Values(sg.tensors[reshape.inputs[1]])], [-1, 32]);
  assert.deepEqual(sg.tensors[reshape.outputs[0]].shapeSignature, [-1, 32]);
  assert.deepEqual(sg.operators.map((o) => o.op), ['CONV_2D', 'RESHAPE', 'FULLY_CONNECTED']);
});

test('inputShapes: the given batch is used (no signature left), matching TF.js at batch 3', async () => {
  const g = flattenGraph();
  const { model } = frozenGraphToModel(tfjsGraphFromArtifacts(g.artifacts(), 'flatten'), { inputShapes: { x: [3, 4, 4, 3] } });
  const sg = model.subgraphs[0];
  assert.deepEqual(sg.tensors[sg.inputs[0]].shape, [3, 4, 4, 3]);
  assert.equal(sg.tensors[sg.inputs[0]].shapeSignature, undefined);
  const rnd = mulberry32(9);
  const x = Float32Array.from({ length: 3 * 48 }, () => 2 * rnd() - 1);
  const [ref] = await runTfjs(g.artifacts(), { x: { values: x, shape: [3, 4, 4, 3], dtype: 'float32' } }, ['y']);
  for (const got of [(await runOfficialModel(model, [x]))[0], runOursModel(model, [x])[0]]) {
    const r = closeness(got, ref, 1e-4, 1e-5);
    assert.ok(r.ok, `[${r.at}] ${got[r.at]} vs ${ref[r.at]}`);
  }
  assert.throws(() => frozenGraphToModel(tfjsGraphFromArtifacts(g.artifacts(), 'flatten'), { inputShapes: { x: [3, 5, 4, 3] } }), InputError);
});

test('a batch norm written out as Rsqrt/Mul/Sub on constants folds into the conv; control edges and Identity vanish', async () => {
  const rnd = mulberry32(3);
  const w = (n: number, lo = -1, hi = 1) => Array.from({ length: n }, () => lo + (hi - lo) * rnd());
  const g = new GraphSpec();
  const x = g.placeholder('x', [1, 5, 5, 3]);
  const conv = g.op('conv', 'Conv2D', [x, g.weight('k', [3, 3, 3, 4], w(108))], { strides: A.ints([1, 1, 1, 1]), padding: A.s('VALID'), dilations: A.ints([1, 1, 1, 1]) });
  // Keras-1-style batch norm: y = x * (gamma * rsqrt(var + eps)) + (beta - mean * gamma * rsqrt(var + eps)).
  const inv = g.op('bn/rsqrt', 'Rsqrt', [g.op('bn/add', 'AddV2', [g.weight('var', [4], w(4, 0.5, 1.5)), g.weight('eps', [], [0.001])])]);
  const scale = g.op('bn/scale', 'Mul', [inv, g.weight('gamma', [4], w(4))]);
  const shift = g.op('bn/shift', 'Sub', [g.weight('beta', [4], w(4)), g.op('bn/mm', 'Mul', [g.weight('mean', [4], w(4)), scale])]);
  const y = g.op('bn/y', 'AddV2', [g.op('bn/mul', 'Mul', [conv, scale]), shift]);
  g.op('noop', 'NoOp', []);
  const id = g.op('out', 'Identity', [g.op('relu', 'Relu', [y, '^noop'])]);
  g.output(id);
  const { model } = frozenGraphToModel(tfjsGraphFromArtifacts(g.artifacts(), 'bn'));
  const sg = model.subgraphs[0];
  assert.deepEqual(sg.operators.map((o) => o.op), ['CONV_2D']);
  assert.equal(sg.operators[0].options.fusedActivationFunction, 'RELU');
  assert.equal(sg.tensors[sg.outputs[0]].name, 'out');
  const xs = Float32Array.from({ length: 75 }, () => 2 * rnd() - 1);
  const [ref] = await runTfjs(g.artifacts(), { x: { values: xs, shape: [1, 5, 5, 3], dtype: 'float32' } }, ['out']);
  for (const got of [(await runOfficialModel(model, [xs]))[0], runOursModel(model, [xs])[0]]) {
    const r = closeness(got, ref, 1e-4, 1e-5);
    assert.ok(r.ok, `[${r.at}] ${got[r.at]} vs ${ref[r.at]}`);
  }
});

test('an output that is the input itself, and one that is a constant, become their own tensors', async () => {
  const g = new GraphSpec();
  const x = g.placeholder('x', [2, 3]);
  g.output(g.op('same', 'Identity', [x]), g.op('k', 'Identity', [g.weight('c', [2], [4, 5])]));
  const { model } = frozenGraphToModel(tfjsGraphFromArtifacts(g.artifacts(), 'io'));
  const xs = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const [same, k] = await runOfficialModel(model, [xs]);
  assert.deepEqual([...same], [...xs]);
  assert.deepEqual([...k], [4, 5]);
  const sg = model.subgraphs[0];
  assert.deepEqual(sg.outputs.map((i) => sg.tensors[i].name), ['same', 'k']);
});
