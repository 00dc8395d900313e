// Bad input to the graph importer: every problem is a typed, one-line error naming the file and the thing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, LitequantError, ModelFormatError, UnsupportedError } from '../../../src/errors.js';
import { loadFrozenGraphDef } from '../../../src/importers/tf/graphdef.js';
import { frozenGraphToModel } from '../../../src/importers/tf/import-graph.js';
import { encodeMessage, graphDefFromJson } from '../../../src/importers/tf/proto/index.js';
import { loadTfjsGraphModel, tfjsGraphFromArtifacts } from '../../../src/importers/tf/tfjs-graph.js';
import { NO_CORPUS } from '../../helpers/corpus.js';
import { A, GraphSpec } from './graph-helpers.js';
import { blazefaceFiles, blazefaceJson } from './blazeface-source.js';

function rejects(fn: () => unknown, type: new (...a: any[]) => LitequantError, ...parts: (string | RegExp)[]): string {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof type, `expected ${type.name}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  const msg = (err as Error).message;
  assert.ok(!msg.includes('\n'), `one line: ${msg}`);
  for (const p of parts) assert.ok(typeof p === 'string' ? msg.includes(p) : p.test(msg), `message names ${p}: ${msg}`);
  return msg;
}

const convert = (g: GraphSpec) => frozenGraphToModel(tfjsGraphFromArtifacts(g.artifacts(), 'bad.json'));

/** A frozen .pb of a small graph: the GraphSpec's weights put into its Const nodes. */
function pbOf(g: GraphSpec): Uint8Array {
  return encodeMessage('GraphDef', tfjsGraphFromArtifacts(g.artifacts(), 'x').graph);
}

test('unsupported ops are listed at once, with counts and node names', () => {
  const g = new GraphSpec();
  const x = g.placeholder('x', [2, 3]);
  const e1 = g.op('erf1', 'Erf', [x]);
  const e2 = g.op('erf2', 'Erf', [e1]);
  const c = g.op('cum', 'Cumsum', [e2, g.ints('ax', [0], [])]);
  g.output(g.op('out', 'Relu', [g.op('atan', 'Atan', [c])]));
  rejects(() => convert(g), UnsupportedError, 'bad.json', '4 nodes of 3 unsupported ops', "Erf x2 ('erf1', 'erf2')", "Cumsum x1 ('cum')", 'Atan x1');
});

test('a TF1 while loop is refused in one error naming the loop and its ops', () => {
  const g = new GraphSpec();
  const x = g.placeholder('x', [2]);
  const enter = g.op('loop/Enter', 'Enter', [x], { frame_name: A.s('my_loop') });
  const merge = g.op('loop/Merge', 'Merge', [enter, 'loop/NextIteration']);
  const cond = g.op('loop/LoopCond', 'LoopCond', [g.op('loop/Less', 'Less', [merge, merge])]);
  const sw = g.op('loop/Switch', 'Switch', [merge, cond]);
  g.op('loop/NextIteration', 'NextIteration', [g.op('loop/body', 'Relu', ['loop/Switch:1'])]);
  g.output(g.op('loop/Exit', 'Exit', [sw]));
  rejects(() => convert(g), UnsupportedError, 'bad.json', 'control flow', "'my_loop'", 'Enter x1', 'Merge x1', 'Switch x1', 'NextIteration x1', 'Exit x1', 'LoopCond x1');
});

test('functional Case is refused the same way; a While without its functions names the attribute', () => {
  const g = new GraphSpec();
  const x = g.placeholder('x', [2]);
  g.output(g.op('k', 'StatelessCase', [g.placeholder('c', [], 'int32'), x]));
  rejects(() => convert(g), UnsupportedError, 'control flow', 'StatelessCase x1', "'k'");
  const h = new GraphSpec();
  h.output(h.op('w', 'StatelessWhile', [h.placeholder('x', [2])]));
  rejects(() => convert(h), UnsupportedError, 'bad.json', "node 'w' (StatelessWhile)", "'cond' attribute");
});

test('unknown input / output node names: InputError naming them', () => {
  const g = new GraphSpec();
  g.output(g.op('y', 'Relu', [g.placeholder('x', [2])]));
  const pb = pbOf(g);
  rejects(() => loadFrozenGraphDef(pb, 'model.pb', { inputs: ['x'], outputs: ['nope', 'y:0', 'gone:1'] }), InputError, 'model.pb', "'nope'", "'gone:1'", '--outputs');
  rejects(() => loadFrozenGraphDef(pb, 'model.pb', { inputs: ['in'], outputs: ['y'] }), InputError, "'in'");
  rejects(() => loadFrozenGraphDef(pb, 'model.pb', { inputs: ['y'], outputs: ['y'] }), InputError, "input 'y' is a Relu node");
  rejects(() => frozenGraphToModel(loadFrozenGraphDef(pb, 'model.pb', { outputs: ['y:3'] })), ModelFormatError, 'model.pb', "'y:3'");
});

test('ambiguous outputs without --outputs: InputError listing placeholders and sinks', { skip: NO_CORPUS }, () => {
  const pb = encodeMessage('GraphDef', loadTfjsGraphModel(blazefaceJson(), blazefaceFiles(), 'b').graph);
  rejects(() => loadFrozenGraphDef(pb, 'blazeface.pb'), InputError, 'blazeface.pb', '4 sink nodes', '--outputs', 'placeholders: input', 'Identity_3');
  // With outputs named, the single placeholder is the input.
  assert.equal(loadFrozenGraphDef(pb, 'blazeface.pb', { outputs: ['Identity'] }).inputs[0].node, 'input');
});

test('a graph with no placeholder and no --inputs: InputError', () => {
  const pb = encodeMessage('GraphDef', graphDefFromJson({ node: [
    { name: 'w', op: 'Const', attr: { dtype: A.type('DT_FLOAT'), value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '2' }] }, floatVal: [1, -1] } } } },
    { name: 'y', op: 'Relu', input: ['w'] },
  ] }, 'c'));
  rejects(() => loadFrozenGraphDef(pb, 'c.pb'), InputError, 'c.pb', 'no Placeholder', '--inputs', 'sink nodes: y');
});

test('a truncated or non-protobuf .pb: ModelFormatError naming the file', { skip: NO_CORPUS }, () => {
  const pb = encodeMessage('GraphDef', loadTfjsGraphModel(blazefaceJson(), blazefaceFiles(), 'b').graph);
  rejects(() => loadFrozenGraphDef(pb.subarray(0, Math.floor(pb.length / 3)), 'cut.pb', { outputs: ['Identity'] }), ModelFormatError, 'cut.pb');
  rejects(() => loadFrozenGraphDef(new TextEncoder().encode('hello, not a graph'), 'text.pb'), ModelFormatError, 'text.pb');
  rejects(() => loadFrozenGraphDef(new Uint8Array(0), 'empty.pb'), ModelFormatError, 'empty.pb', 'empty');
});

test('model.json whose shard is missing or short: ModelFormatError naming file, shard and weight', { skip: NO_CORPUS }, () => {
  rejects(() => loadTfjsGraphModel(blazefaceJson(), blazefaceFiles({ 'blazeface.bin': null }), 'blazeface.json'), ModelFormatError, 'blazeface.bin', 'missing');
  const short = blazefaceFiles().read('blazeface.bin').subarray(0, 1000);
  rejects(() => loadTfjsGraphModel(blazefaceJson(), blazefaceFiles({ 'blazeface.bin': short }), 'blazeface.json'), ModelFormatError,
    'blazeface.json', 'shard blazeface.bin holds 1000 bytes', "weight '", 'truncated or missing');
  const j = blazefaceJson();
  j.weightsManifest[0].weights[3].shape = [1e9, 1e9];
  rejects(() => loadTfjsGraphModel(j, blazefaceFiles(), 'huge.json'), ModelFormatError, 'huge.json', j.weightsManifest[0].weights[3].name);
  const k = blazefaceJson();
  k.format = 'layers-model';
  rejects(() => loadTfjsGraphModel(k, blazefaceFiles(), 'layers.json'), ModelFormatError, 'layers.json', 'graph-model');
});

test('a Const whose weight is missing from the manifest: ModelFormatError naming the node', () => {
  const g = new GraphSpec();
  g.output(g.op('y', 'Add', [g.placeholder('x', [2]), g.weight('w', [2], [1, 2])]));
  const a = g.artifacts();
  a.weightSpecs = [];
  rejects(() => frozenGraphToModel(tfjsGraphFromArtifacts(a, 'nw.json')), ModelFormatError, 'nw.json', "Const node 'w'", 'no value');
});

test('FusedBatchNorm with is_training stripped (TF default true) is refused, naming the node', () => {
  const g = new GraphSpec();
  const w = (n: string) => g.weight(n, [3], [1, 1, 1]);
  g.output(g.op('bn', 'FusedBatchNormV3', [g.placeholder('x', [1, 2, 2, 3]), w('s'), w('o'), w('m'), w('v')]));
  rejects(() => convert(g), UnsupportedError, "node 'bn' (FusedBatchNormV3)", 'is_training');
});

test('NCHW data_format is refused, listing the nodes', () => {
  const g = new GraphSpec();
  g.output(g.op('c', 'Conv2D', [g.placeholder('x', [1, 3, 4, 4]), g.weight('k', [1, 1, 3, 2], [1, 2, 3, 4, 5, 6])],
    { strides: A.ints([1, 1, 1, 1]), padding: A.s('SAME'), data_format: A.s('NCHW') }));
  rejects(() => convert(g), UnsupportedError, "'c' (Conv2D, NCHW)", 'NHWC');
});

test('a run-time filter, an unknown-rank input, bad attributes: typed errors naming the node', () => {
  const g = new GraphSpec();
  g.output(g.op('c', 'Conv2D', [g.placeholder('x', [1, 4, 4, 2]), g.placeholder('k', [1, 1, 2, 2])], { strides: A.ints([1, 1, 1, 1]), padding: A.s('SAME') }));
  rejects(() => convert(g), UnsupportedError, "node 'c' (Conv2D)", 'filter', 'must be a constant');

  const h = new GraphSpec();
  h.output(h.op('y', 'Relu', [h.placeholder('x', [2])]));
  const topo = h.artifacts();
  (topo.modelTopology.node[0] as any).attr.shape = { shape: { unknownRank: true } };
  delete (topo.signature.inputs['x:0'] as any).tensorShape;
  rejects(() => frozenGraphToModel(tfjsGraphFromArtifacts(topo, 'ur.json')), UnsupportedError, 'ur.json', "input 'x' has an unknown rank", '--input-shape');

  const s = new GraphSpec();
  s.output(s.op('c', 'Conv2D', [s.placeholder('x', [1, 4, 4, 1]), s.weight('k', [1, 1, 1, 1], [1])], { strides: A.ints([1, 1]), padding: A.s('SAME') }));
  rejects(() => convert(s), UnsupportedError, "node 'c' (Conv2D)", 'strides has 2 values');
  const m = new GraphSpec();
  m.output(m.op('c', 'Conv2D', [m.placeholder('x', [1, 4, 4, 1]), m.weight('k', [1, 1, 1, 1], [1])], { padding: A.s('SAME') }));
  rejects(() => convert(m), ModelFormatError, "node 'c' (Conv2D) has no list(int) attribute 'strides'");
});

test('protobuf JSON that is not a GraphDef: ModelFormatError', () => {
  assert.throws(() => graphDefFromJson({ node: 'nope' }, 'j.json'), ModelFormatError);
  rejects(() => tfjsGraphFromArtifacts({ modelTopology: { node: [{ op: 'Relu' }] } }, 'nn.json'), ModelFormatError, 'nn.json', 'node 0 has no name');
});
