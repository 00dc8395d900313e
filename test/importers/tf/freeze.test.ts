// Freezing SavedModels built here: a TF1 graph (VariableV2 + Identity reads, a resource variable, save/init nodes to
// prune) and a TF2 graph whose signature runs nested function calls (StatefulPartitionedCall -> PartitionedCall and
// a direct call of a list-polymorphic function), multi-output ops read by arg name, captured variables bound through
// the object graph, a ResourceGather. Expected values: independent arithmetic, and TF.js's graph executor running the
// frozen GraphDef. Control flow is refused with one error naming the loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, ModelFormatError, UnsupportedError } from '../../../src/errors.js';
import { readSavedModel } from '../../../src/importers/tf/saved-model.js';
import { frozenGraphToModel } from '../../../src/importers/tf/import-graph.js';
import { writeModel } from '../../../src/format/index.js';
import { Interpreter } from '../../../src/runtime/interpreter.js';
import { createOfficialRunner } from '../../helpers/oracle.js';
import { encodeMessage, type FunctionDef, type NodeDef } from '../../../src/importers/tf/proto/index.js';
import { Rng } from '../../helpers/random.js';
import { maxAbsDiff } from '../helpers.js';
import { attrs, f32bytes, floatConst, intConst, runFrozenWithTfjs, savedModelFiles, writeBundle } from './helpers.js';

const F = attrs.type('DT_FLOAT');
const meta = (tags = ['serve']) => ({ tags, tensorflowVersion: '1.15.0' });
const placeholder = (name: string, shape: number[]): NodeDef => ({ name, op: 'Placeholder', attr: { dtype: F, shape: attrs.shape(shape) } });

// ------------------------------------------------------------------------------------------------ TF1 graph

const W = [0.5, -1, 2, 0.25, -0.75, 1.5]; // [3, 2]
const B = [0.1, -0.2];
const SCALE = [1.5];

function tf1Model(withSignature: boolean) {
  const nodes: NodeDef[] = [
    placeholder('x', [-1, 3]),
    { name: 'W', op: 'VariableV2', attr: { dtype: F, shape: attrs.shape([3, 2]) } },
    floatConst('W/initial_value', [3, 2], [0, 0, 0, 0, 0, 0]),
    { name: 'W/Assign', op: 'Assign', input: ['W', 'W/initial_value'], attr: { T: F } },
    { name: 'W/read', op: 'Identity', input: ['W'], attr: { T: F } },
    { name: 'b', op: 'VariableV2', attr: { dtype: F, shape: attrs.shape([2]) } },
    { name: 'b/read', op: 'Identity', input: ['b', '^W/Assign'], attr: { T: F } },
    { name: 'scale', op: 'VarHandleOp', attr: { dtype: F, shape: attrs.shape([]), shared_name: attrs.s('scale') } },
    { name: 'scale/Read', op: 'ReadVariableOp', input: ['scale'], attr: { dtype: F } },
    { name: 'mm', op: 'MatMul', input: ['x', 'W/read'], attr: { T: F } },
    { name: 'y0', op: 'BiasAdd', input: ['mm', 'b/read'], attr: { T: F } },
    { name: 'y', op: 'Mul', input: ['y0', 'scale/Read'], attr: { T: F } },
    { name: 'save/filename', op: 'Placeholder', attr: { dtype: attrs.type('DT_STRING'), shape: attrs.shape([]) } },
    { name: 'save/SaveV2', op: 'SaveV2', input: ['save/filename', 'W', 'b'], attr: { dtypes: attrs.types(['DT_FLOAT', 'DT_FLOAT']) } },
    { name: 'init', op: 'NoOp', input: ['^W/Assign'] },
  ];
  const sm = {
    savedModelSchemaVersion: 1,
    metaGraphs: [{
      metaInfoDef: meta(),
      graphDef: { node: nodes, versions: { producer: 134 } },
      signatureDef: withSignature ? {
        serving_default: {
          inputs: { features: { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: -1 }, { size: 3 }] } } },
          outputs: { scores: { name: 'y:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: -1 }, { size: 2 }] } } },
          methodName: 'tensorflow/serving/predict',
        },
      } : {},
    }],
  };
  const bundle = writeBundle([
    { key: 'W', dtype: 'DT_FLOAT', shape: [3, 2], bytes: f32bytes(W) },
    { key: 'b', dtype: 'DT_FLOAT', shape: [2], bytes: f32bytes(B) },
    { key: 'scale', dtype: 'DT_FLOAT', shape: [], bytes: f32bytes(SCALE) },
    { key: 'global_step', dtype: 'DT_INT64', shape: [], bytes: new Uint8Array(8) },
  ]);
  return savedModelFiles('tf1_model', sm, bundle);
}

function tf1Expected(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * 2);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < 2; c++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += x[r * 3 + k] * W[k * 2 + c];
      out[r * 2 + c] = (s + B[c]) * SCALE[0];
    }
  }
  return out;
}

test('TF1 SavedModel: ref and resource variables freeze to Consts of the checkpoint; TF.js runs it as arithmetic says', async () => {
  const sm = readSavedModel(tf1Model(true));
  assert.equal(sm.kind, 'tf1');
  const fg = sm.freeze();
  assert.equal(fg.source, 'savedmodel-tf1');
  assert.deepEqual(fg.inputs, [{ name: 'features', node: 'x', dtype: 'DT_FLOAT', shape: [-1, 3] }]);
  assert.deepEqual(fg.outputs, [{ name: 'scores', tensor: 'y' }]);
  const byName = new Map(fg.graph.node!.map((n) => [n.name!, n]));
  assert.deepEqual([...byName.keys()].sort(), ['W', 'W/read', 'b', 'b/read', 'mm', 'scale/Read', 'x', 'y', 'y0']);
  for (const [name, values] of [['W', W], ['b', B], ['scale/Read', SCALE]] as const) {
    const n = byName.get(name)!;
    assert.equal(n.op, 'Const', name);
    assert.deepEqual(Array.from(new Float32Array(n.attr!.value!.tensor!.tensorContent!.slice().buffer)), values.map(Math.fround), name);
  }
  assert.deepEqual(byName.get('b/read')!.input, ['b'], 'control inputs dropped');

  const rng = new Rng(7);
  const x = Float32Array.from({ length: 12 }, () => rng.float(-2, 2));
  const [[y]] = await runFrozenWithTfjs(fg, [[{ data: x, shape: [4, 3] }]]);
  assert.ok(maxAbsDiff(y, tf1Expected(x, 4)) < 1e-5);
});

test('TF1 SavedModel without signatures: the caller names outputs (and inputs, or the placeholders reached)', () => {
  const sm = readSavedModel(tf1Model(false));
  assert.deepEqual(sm.signatures(), []);
  assert.throws(() => sm.freeze(), (e: Error) => e instanceof InputError && /tf1_model: the SavedModel has no signatures/.test(e.message));
  const fg = sm.freeze({ outputs: ['y'] });
  assert.deepEqual(fg.inputs.map((i) => [i.name, i.node, i.shape]), [['x', 'x', [-1, 3]]]);
  assert.deepEqual(fg.outputs, [{ name: 'y', tensor: 'y' }]);
  const only = sm.freeze({ outputs: ['y0'], inputs: ['x'] });
  assert.ok(!only.graph.node!.some((n) => n.name === 'scale/Read' || n.name === 'scale'), 'pruned to what y0 needs');
  assert.throws(() => sm.freeze({ outputs: ['nope:0'] }), (e: Error) => e instanceof InputError && /output 'nope:0': no node 'nope'/.test(e.message));
});

// ------------------------------------------------------------------------------------------------ TF2 graph

const K = Array.from({ length: 16 }, (_, i) => ((i * 7) % 11) / 5 - 1); // [4, 4]
const TABLE = Array.from({ length: 20 }, (_, i) => (i % 6) * 0.3 - 0.7); // [5, 4]
const BN = { scale: [1.5, 0.5, 2, 1], offset: [0.1, 0.2, -0.3, 0], mean: [0.5, -0.5, 0.25, 0], variance: [1, 4, 0.5, 2], eps: 0.001 };

const node = (name: string, op: string, input: string[], attr: Record<string, unknown> = {}): NodeDef => ({ name, op, input, attr: attr as NodeDef['attr'] });
const arg = (name: string, type = 'DT_FLOAT') => ({ name, type });

function tf2Library(): FunctionDef[] {
  // inner(x, k) -> (x @ read(k), -x)
  const inner: FunctionDef = {
    signature: { name: 'inner', inputArg: [arg('x'), arg('k', 'DT_RESOURCE')], outputArg: [arg('out_a'), arg('out_b')] },
    nodeDef: [
      node('read', 'ReadVariableOp', ['k'], { dtype: F }),
      node('mm', 'MatMul', ['x', 'read:value:0'], { T: F }),
      node('neg', 'Neg', ['x'], { T: F }),
    ],
    ret: { out_a: 'mm:product:0', out_b: 'neg:y:0' },
  };
  // pair<N, T>(xs: N floats) -> ys: the same N tensors (IdentityN), a function with list args and attr placeholders.
  const pair: FunctionDef = {
    signature: { name: 'pair', inputArg: [{ name: 'xs', type: 'DT_FLOAT', numberAttr: 'N' }], outputArg: [{ name: 'ys', type: 'DT_FLOAT', numberAttr: 'N' }] },
    attr: {},
    nodeDef: [node('idn', 'IdentityN', ['xs'], { T: { placeholder: 'T' } })],
    ret: { ys: 'idn:output:0' },
  };
  // outer(x, k, t): the signature function body.
  const outer: FunctionDef = {
    signature: { name: 'outer', inputArg: [arg('x'), arg('k', 'DT_RESOURCE'), arg('t', 'DT_RESOURCE')], outputArg: [arg('out'), arg('negated')] },
    nodeDef: [
      node('call', 'PartitionedCall', ['x', 'k'], { f: attrs.func('inner'), Tin: attrs.types(['DT_FLOAT', 'DT_RESOURCE']), Tout: attrs.types(['DT_FLOAT', 'DT_FLOAT']) }),
      intConst('split/dim', [], [1]),
      node('split', 'Split', ['split/dim:output:0', 'call:output:0'], { T: F, num_split: attrs.i(2) }),
      node('swap', 'pair', ['split:output:0', 'split:output:1'], { N: attrs.i(2), T: attrs.types(['DT_FLOAT', 'DT_FLOAT']) }),
      intConst('concat/axis', [], [1]),
      node('concat', 'ConcatV2', ['swap:ys:1', 'swap:ys:0', 'concat/axis:output:0', '^call'], { T: F, N: attrs.i(2), Tidx: attrs.type('DT_INT32') }),
      floatConst('bn/scale', [4], BN.scale),
      floatConst('bn/offset', [4], BN.offset),
      floatConst('bn/mean', [4], BN.mean),
      floatConst('bn/variance', [4], BN.variance),
      node('bn', 'FusedBatchNormV3', ['concat:output:0', 'bn/scale:output:0', 'bn/offset:output:0', 'bn/mean:output:0', 'bn/variance:output:0'],
        { T: F, U: F, epsilon: attrs.f(BN.eps), is_training: attrs.b(false), data_format: attrs.s('NHWC') }),
      intConst('gather/indices', [2], [3, 0]),
      node('gather', 'ResourceGather', ['t', 'gather/indices:output:0'], { dtype: F, Tindices: attrs.type('DT_INT32') }),
      intConst('sum/axis', [1], [0]),
      node('sum', 'Sum', ['gather:output:0', 'sum/axis:output:0'], { T: F, Tidx: attrs.type('DT_INT32'), keep_dims: attrs.b(false) }),
      node('add', 'AddV2', ['bn:y:0', 'sum:output:0'], { T: F }),
      node('unused', 'Square', ['bn:batch_mean:0'], { T: F }),
    ],
    ret: { out: 'add:z:0', negated: 'call:output:1' },
  };
  return [inner, pair, outer];
}

function tf2Model(extra: { mainNodes?: NodeDef[]; functions?: FunctionDef[]; signatures?: Record<string, unknown> } = {}) {
  const main: NodeDef[] = [
    placeholder('serving_default_x', [-1, 4]),
    // shared_names that match nothing in the checkpoint: only the object graph's bound_inputs can find the values.
    { name: 'dense/kernel', op: 'VarHandleOp', attr: { dtype: F, shape: attrs.shape([4, 4]), shared_name: attrs.s('dense/kernel_17') } },
    { name: 'emb/table', op: 'VarHandleOp', attr: { dtype: F, shape: attrs.shape([5, 4]), shared_name: attrs.s('emb/table_3') } },
    node('StatefulPartitionedCall', 'StatefulPartitionedCall', ['serving_default_x', 'dense/kernel', 'emb/table'], {
      f: attrs.func('outer'), Tin: attrs.types(['DT_FLOAT', 'DT_RESOURCE', 'DT_RESOURCE']), Tout: attrs.types(['DT_FLOAT', 'DT_FLOAT']),
    }),
    ...(extra.mainNodes ?? []),
  ];
  const objectGraph = {
    nodes: [
      { children: [{ nodeId: 1, localName: 'kernel' }, { nodeId: 2, localName: 'table' }, { nodeId: 3, localName: 'signatures' }], userObject: { identifier: '_generic_user_object' } },
      { variable: { dtype: 'DT_FLOAT', shape: { dim: [{ size: 4 }, { size: 4 }] }, trainable: true, name: 'dense/kernel' } },
      { variable: { dtype: 'DT_FLOAT', shape: { dim: [{ size: 5 }, { size: 4 }] }, trainable: true, name: 'emb/table' } },
      { userObject: { identifier: 'signature_map' } },
    ],
    concreteFunctions: { outer: { boundInputs: [1, 2] } },
  };
  // The checkpoint's object graph numbers the two variables the other way round: matched by child names.
  const ckptGraph = encodeMessage('TrackableObjectGraph', {
    nodes: [
      { children: [{ nodeId: 2, localName: 'kernel' }, { nodeId: 1, localName: 'table' }] },
      { attributes: [{ name: 'VARIABLE_VALUE', fullName: 'emb/table', checkpointKey: 'table/.ATTRIBUTES/VARIABLE_VALUE' }] },
      { attributes: [{ name: 'VARIABLE_VALUE', fullName: 'dense/kernel', checkpointKey: 'kernel/.ATTRIBUTES/VARIABLE_VALUE' }] },
    ],
  });
  const bundle = writeBundle([
    { key: 'kernel/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'DT_FLOAT', shape: [4, 4], bytes: f32bytes(K) },
    { key: 'table/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'DT_FLOAT', shape: [5, 4], bytes: f32bytes(TABLE) },
    { key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], strings: [ckptGraph] },
  ]);
  return savedModelFiles('tf2_model', {
    savedModelSchemaVersion: 1,
    metaGraphs: [{
      metaInfoDef: { tags: ['serve'], tensorflowVersion: '2.15.0' },
      graphDef: { node: main, library: { function: [...tf2Library(), ...(extra.functions ?? [])] }, versions: { producer: 1645 } },
      signatureDef: extra.signatures ?? {
        serving_default: {
          inputs: { x: { name: 'serving_default_x:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: -1 }, { size: 4 }] } } },
          outputs: {
            out: { name: 'StatefulPartitionedCall:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: -1 }, { size: 4 }] } },
            negated: { name: 'StatefulPartitionedCall:1', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: -1 }, { size: 4 }] } },
          },
        },
        __saved_model_init_op: { outputs: { __saved_model_init_op: { name: 'NoOp' } } },
      },
      objectGraphDef: objectGraph,
    }],
  }, bundle);
}

function tf2Expected(x: Float32Array, n: number): { out: Float32Array; negated: Float32Array } {
  const out = new Float32Array(n * 4);
  const g = [0, 1, 2, 3].map((c) => TABLE[3 * 4 + c] + TABLE[0 * 4 + c]);
  for (let r = 0; r < n; r++) {
    const mm = [0, 1, 2, 3].map((c) => [0, 1, 2, 3].reduce((s, k) => s + x[r * 4 + k] * K[k * 4 + c], 0));
    const cat = [mm[2], mm[3], mm[0], mm[1]];
    for (let c = 0; c < 4; c++) {
      const bn = (cat[c] - BN.mean[c]) / Math.sqrt(BN.variance[c] + BN.eps) * BN.scale[c] + BN.offset[c];
      out[r * 4 + c] = bn + g[c];
    }
  }
  return { out, negated: x.map((v) => -v) };
}

test('TF2 SavedModel: nested calls inlined, arg-named outputs flattened, captured variables bound via the object graph', async () => {
  const sm = readSavedModel(tf2Model());
  assert.equal(sm.kind, 'tf2');
  assert.deepEqual(sm.signatures().map((s) => s.name), ['serving_default']);
  assert.deepEqual(sm.variables().map((v) => [v.name, v.key]), [
    ['dense/kernel', 'kernel/.ATTRIBUTES/VARIABLE_VALUE'], ['emb/table', 'table/.ATTRIBUTES/VARIABLE_VALUE'],
  ]);
  const fg = sm.freeze();
  assert.deepEqual(fg.inputs, [{ name: 'x', node: 'serving_default_x', dtype: 'DT_FLOAT', shape: [-1, 4] }]);
  assert.deepEqual(fg.outputs, [
    { name: 'out', tensor: 'StatefulPartitionedCall/add' },
    { name: 'negated', tensor: 'StatefulPartitionedCall/call/neg' },
  ]);
  const byName = new Map(fg.graph.node!.map((n) => [n.name!, n]));
  const ops = fg.graph.node!.map((n) => n.op).sort();
  assert.ok(!ops.some((op) => /Call|VarHandleOp|ReadVariableOp|ResourceGather|^pair$/.test(op!)), ops.join(','));
  assert.ok(!byName.has('StatefulPartitionedCall/unused'), 'pruned');
  // "split:output:1" -> "split:1"; the list function's outputs; FusedBatchNormV3's y is output 0.
  assert.deepEqual(byName.get('StatefulPartitionedCall/swap/idn')!.input, ['StatefulPartitionedCall/split', 'StatefulPartitionedCall/split:1']);
  assert.deepEqual(byName.get('StatefulPartitionedCall/swap/idn')!.attr!.T, attrs.types(['DT_FLOAT', 'DT_FLOAT']), 'attr placeholder filled from the call');
  assert.deepEqual(byName.get('StatefulPartitionedCall/concat')!.input, ['StatefulPartitionedCall/swap/idn:1', 'StatefulPartitionedCall/swap/idn', 'StatefulPartitionedCall/concat/axis']);
  assert.deepEqual(byName.get('StatefulPartitionedCall/add')!.input, ['StatefulPartitionedCall/bn', 'StatefulPartitionedCall/sum']);
  const kernel = byName.get('StatefulPartitionedCall/call/read')!;
  assert.equal(kernel.op, 'Const');
  assert.deepEqual(Array.from(new Float32Array(kernel.attr!.value!.tensor!.tensorContent!.slice().buffer)), K.map(Math.fround));
  assert.equal(byName.get('StatefulPartitionedCall/gather')!.op, 'GatherV2');

  const rng = new Rng(11);
  const x = Float32Array.from({ length: 12 }, () => rng.float(-2, 2));
  const [[out, negated]] = await runFrozenWithTfjs(fg, [[{ data: x, shape: [3, 4] }]]);
  const want = tf2Expected(x, 3);
  assert.ok(maxAbsDiff(out, want.out) < 1e-5, `out off by ${maxAbsDiff(out, want.out)}`);
  assert.deepEqual(negated, want.negated);
});

test('signature and tag choice: unknown names are InputErrors listing what there is', () => {
  const files = tf2Model();
  const sm = readSavedModel(files);
  assert.throws(() => sm.freeze({ signature: 'predict' }),
    (e: Error) => e instanceof InputError && e.message === "tf2_model: no signature 'predict'; the SavedModel has: serving_default");
  assert.throws(() => readSavedModel(files, { tags: ['train'] }),
    (e: Error) => e instanceof InputError && e.message === 'tf2_model/saved_model.pb: no MetaGraphDef tagged train; the SavedModel has tag sets [serve]');
});

test('a functional loop on the output path is kept with its library (converted to WHILE); Case is one UnsupportedError naming it; off the path it is pruned', async () => {
  const body: FunctionDef = {
    signature: { name: 'loop_body', inputArg: [arg('i'), arg('v')], outputArg: [arg('i2'), arg('v2')] },
    nodeDef: [floatConst('one', [], [1]), node('inc', 'AddV2', ['i', 'one:output:0'], { T: F }), node('tw', 'Mul', ['v', 'v'], { T: F })],
    ret: { i2: 'inc:z:0', v2: 'tw:z:0' },
  };
  const cond: FunctionDef = {
    signature: { name: 'loop_cond', inputArg: [arg('i'), arg('v')], outputArg: [arg('c', 'DT_BOOL')] },
    nodeDef: [floatConst('n', [], [3]), node('less', 'Less', ['i', 'n:output:0'], { T: F })],
    ret: { c: 'less:z:0' },
  };
  const whileNodes = (name: string): NodeDef[] => [
    floatConst(`${name}/i0`, [], [0]),
    node(name, 'StatelessWhile', [`${name}/i0`, 'serving_default_x'], { T: attrs.types(['DT_FLOAT', 'DT_FLOAT']), body: attrs.func('loop_body'), cond: attrs.func('loop_cond') }),
  ];
  const onPath = readSavedModel(tf2Model({
    mainNodes: whileNodes('while'), functions: [body, cond],
    signatures: { serving_default: { inputs: { x: { name: 'serving_default_x:0', dtype: 'DT_FLOAT' } }, outputs: { y: { name: 'while:1', dtype: 'DT_FLOAT' } } } },
  }));
  const frozen = onPath.freeze();
  assert.ok(frozen.graph.node!.some((n) => n.op === 'StatelessWhile'));
  const kept = frozen.graph.library?.function?.map((f) => f.signature?.name) ?? [];
  assert.ok(kept.includes('loop_body') && kept.includes('loop_cond'), kept.join(', '));
  // Three iterations of v = v * v: x^8 (independent arithmetic).
  const { model } = frozenGraphToModel(frozen, { inputShapes: { x: [1, 4] } });
  assert.deepEqual(model.subgraphs[0].operators.map((o) => o.op), ['WHILE']);
  const xs = [0.5, -1.1, 1.05, 0.9];
  const want = xs.map((v) => Math.fround(Math.fround(Math.fround(v * v) ** 2) ** 2));
  const it = Interpreter.fromModel(model);
  it.setInput(0, Float32Array.from(xs));
  it.invoke();
  const official = await createOfficialRunner(writeModel(model));
  try {
    official.setInput(0, Float32Array.from(xs));
    official.invoke();
    assert.ok(maxAbsDiff(it.getOutput(0) as Float32Array, want) < 1e-6, `ours ${it.getOutput(0)} vs ${want}`);
    assert.ok(maxAbsDiff(official.getOutputs()[0].data as Float32Array, want) < 1e-6, `official ${official.getOutputs()[0].data} vs ${want}`);
  } finally {
    official.delete();
  }
  const caseNodes: NodeDef[] = [
    intConst('case/k', [], [0]),
    node('case', 'StatelessCase', ['case/k', 'serving_default_x'], { branches: { list: { func: [{ name: 'loop_body' }] } } }),
  ];
  const withCase = readSavedModel(tf2Model({
    mainNodes: caseNodes, functions: [body, cond],
    signatures: { serving_default: { inputs: { x: { name: 'serving_default_x:0', dtype: 'DT_FLOAT' } }, outputs: { y: { name: 'case:0', dtype: 'DT_FLOAT' } } } },
  }));
  assert.throws(() => withCase.freeze(), (e: Error) => e instanceof UnsupportedError
    && e.message === "tf2_model: control flow is not supported: conditional 'case' (StatelessCase)");
  const offPath = readSavedModel(tf2Model({ mainNodes: whileNodes('while'), functions: [body, cond] }));
  assert.equal(offPath.freeze().outputs.length, 2);

  // TF1 dataflow loop.
  const tf1Loop = readSavedModel(savedModelFiles('tf1_loop', {
    metaGraphs: [{
      metaInfoDef: meta(),
      graphDef: {
        node: [
          placeholder('x', [2]),
          node('w/Enter', 'Enter', ['x'], { T: F, frame_name: attrs.s('while/while_context') }),
          node('w/Merge', 'Merge', ['w/Enter', 'w/NextIteration'], { T: F, N: attrs.i(2) }),
          node('w/Switch', 'Switch', ['w/Merge', 'w/LoopCond'], { T: F }),
          node('w/LoopCond', 'LoopCond', ['w/Merge']),
          node('w/body', 'Square', ['w/Switch:1'], { T: F }),
          node('w/NextIteration', 'NextIteration', ['w/body'], { T: F }),
          node('w/Exit', 'Exit', ['w/Switch'], { T: F }),
        ],
      },
      signatureDef: { serving_default: { inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT' } }, outputs: { y: { name: 'w/Exit:0', dtype: 'DT_FLOAT' } } } },
    }],
  }));
  assert.throws(() => tf1Loop.freeze(), (e: Error) => e instanceof UnsupportedError
    && e.message === "tf1_loop: control flow is not supported: loop 'while/while_context' uses Enter, Exit, LoopCond, Merge, NextIteration, Switch (6 node(s))");
});

test('a variable handle passed into a loop is bound to its saved value; the body reads it (x @ K @ K, ours and official)', async () => {
  // TF2 passes a captured variable into a While as a resource loop value the body reads and returns unchanged.
  const body: FunctionDef = {
    signature: { name: 'mat_body', inputArg: [arg('i', 'DT_INT32'), arg('v'), arg('k', 'DT_RESOURCE')], outputArg: [arg('i2', 'DT_INT32'), arg('v2'), arg('k2', 'DT_RESOURCE')] },
    nodeDef: [
      intConst('one', [], [1]), node('inc', 'AddV2', ['i', 'one:output:0'], { T: attrs.type('DT_INT32') }),
      node('read', 'ReadVariableOp', ['k', '^inc'], { dtype: F }),
      node('mm', 'MatMul', ['v', 'read:value:0'], { T: F, transpose_a: attrs.b(false), transpose_b: attrs.b(false) }),
      node('k_id', 'Identity', ['k'], { T: attrs.type('DT_RESOURCE') }),
    ],
    ret: { i2: 'inc:z:0', v2: 'mm:product:0', k2: 'k_id:output:0' },
  };
  const cond: FunctionDef = {
    signature: { name: 'mat_cond', inputArg: [arg('i', 'DT_INT32'), arg('v'), arg('k', 'DT_RESOURCE')], outputArg: [arg('c', 'DT_BOOL')] },
    nodeDef: [intConst('two', [], [2]), node('less', 'Less', ['i', 'two:output:0'], { T: attrs.type('DT_INT32') })],
    ret: { c: 'less:z:0' },
  };
  const files = tf2Model({
    mainNodes: [
      intConst('w/i0', [], [0]),
      node('w', 'While', ['w/i0', 'serving_default_x', 'dense/kernel'], { T: attrs.types(['DT_INT32', 'DT_FLOAT', 'DT_RESOURCE']), body: attrs.func('mat_body'), cond: attrs.func('mat_cond') }),
    ],
    functions: [body, cond],
    signatures: { serving_default: { inputs: { x: { name: 'serving_default_x:0', dtype: 'DT_FLOAT' } }, outputs: { y: { name: 'w:1', dtype: 'DT_FLOAT' } } } },
  });
  const { model } = frozenGraphToModel(readSavedModel(files).freeze(), { inputShapes: { x: [1, 4] } });
  const loop = model.subgraphs[0].operators.find((o) => o.op === 'WHILE')!;
  assert.equal(loop.inputs.length, 2, 'the kernel is bound into the body, not a loop value');
  const bodySg = model.subgraphs[Number(loop.options.bodySubgraphIndex)];
  assert.ok(bodySg.operators.some((o) => o.op === 'FULLY_CONNECTED' && bodySg.tensors[o.inputs[1]].data), bodySg.operators.map((o) => o.op).join(' '));
  const x = [0.3, -0.7, 1.2, 0.05];
  const matvec = (v: number[]) => [0, 1, 2, 3].map((c) => v.reduce((s, vr, r) => s + vr * K[r * 4 + c], 0));
  const want = matvec(matvec(x));
  const it = Interpreter.fromModel(model);
  it.setInput(0, Float32Array.from(x));
  it.invoke();
  const official = await createOfficialRunner(writeModel(model));
  try {
    official.setInput(0, Float32Array.from(x));
    official.invoke();
    assert.ok(maxAbsDiff(it.getOutput(0) as Float32Array, want) < 1e-5, `ours ${it.getOutput(0)} vs ${want}`);
    assert.ok(maxAbsDiff(official.getOutputs()[0].data as Float32Array, want) < 1e-5, `official ${official.getOutputs()[0].data} vs ${want}`);
  } finally {
    official.delete();
  }
});

test('graphs that do not fit together are ModelFormatErrors naming the node', () => {
  const missingFn = tf2Model({
    mainNodes: [node('call2', 'PartitionedCall', ['serving_default_x'], { f: attrs.func('nowhere') })],
    signatures: { s: { inputs: { x: { name: 'serving_default_x:0' } }, outputs: { y: { name: 'call2:0' } } } },
  });
  assert.throws(() => readSavedModel(missingFn).freeze(), (e: Error) => e instanceof ModelFormatError
    && e.message === "tf2_model: node 'call2' (PartitionedCall) calls function 'nowhere', which is not in the graph's function library");
  const badRef = tf2Model({
    functions: [{ signature: { name: 'g', inputArg: [arg('a')], outputArg: [arg('b')] }, nodeDef: [node('n', 'Neg', ['missing:y:0'], { T: F })], ret: { b: 'n:y:0' } }],
    mainNodes: [node('call3', 'g', ['serving_default_x'])],
    signatures: { s: { inputs: {}, outputs: { y: { name: 'call3:0' } } } },
  });
  assert.throws(() => readSavedModel(badRef).freeze(), (e: Error) => e instanceof ModelFormatError
    && e.message === "tf2_model: node 'n' of function 'g' reads 'missing:y:0', but there is no node or input arg 'missing'");
  const twoArgs = tf2Model({
    functions: [{
      signature: { name: 'h', inputArg: [arg('a')], outputArg: [arg('b')] },
      nodeDef: [node('m', 'MysteryOp', ['a'], { T: F }), node('s', 'AddV2', ['m:first:0', 'm:second:0'], { T: F })],
      ret: { b: 's:z:0' },
    }],
    mainNodes: [node('call4', 'h', ['serving_default_x'])],
    signatures: { s: { inputs: {}, outputs: { y: { name: 'call4:0' } } } },
  });
  assert.throws(() => readSavedModel(twoArgs).freeze(), (e: Error) => e instanceof UnsupportedError
    && /reads outputs 'first' and 'second' of op MysteryOp \('m'\), whose output args litequant does not know/.test(e.message));
});
