// Keras SavedModels laid out as TF >= 2.5 writes them (config in keras_metadata.pb) and as TF 2.0-2.4 does (in the
// objects' SavedUserObject.metadata), built here from a TF.js model: a Bidirectional(LSTM) (weights under
// forward_layer/backward_layer -> cell), a nested Sequential with Dense + BatchNormalization, Flatten, Dense.
// The checkpoint numbers its objects like the object graph, keys are path-like. Reference: the TF.js model's own
// predict, so the weights must land on the right layers. Subclassed and non-Keras roots give no KerasSource.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeModel } from '../../../src/format/writer.js';
import { FLOAT_CONVERSION_PASSES, runPasses } from '../../../src/graph/passes/index.js';
import { kerasToGraph } from '../../../src/importers/keras/index.js';
import { memoryModelFiles } from '../../../src/importers/tf/memory-files.js';
import { encodeMessage } from '../../../src/importers/tf/proto/index.js';
import { readSavedModel } from '../../../src/importers/tf/saved-model.js';
import { createOfficialRunner } from '../../helpers/oracle.js';
import { mulberry32 } from '../../helpers/random.js';
import { maxAbsDiff } from '../helpers.js';
import { loadTf } from '../tfjs-reference.js';
import { f32bytes, writeBundle, type BundleTensorSpec } from './helpers.js';

const STEPS = 6, FEATURES = 5;

/** Keras's JSON encoding of shapes: tuples. */
function withTuples(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) {
    if (/shape$/.test(key) && v.every((d) => d === null || typeof d === 'number')) return { class_name: '__tuple__', items: v };
    return v.map((x) => withTuples(x));
  }
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withTuples(x, k)]));
}

interface Obj {
  identifier?: string;
  metadata?: Record<string, unknown>;
  children: [string, number][];
  variable?: { name: string; shape: number[]; values: Float32Array };
}

async function buildModel() {
  const tf = await loadTf();
  const L = tf.layers;
  const input = tf.input({ shape: [STEPS, FEATURES], name: 'seq' });
  const bidi = L.bidirectional({ layer: L.lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid', name: 'lstm' }) as any, mergeMode: 'concat', name: 'bidi' });
  const head = tf.sequential({
    name: 'head',
    layers: [L.dense({ units: 3, activation: 'relu', inputShape: [STEPS, 8], name: 'd1' }), L.batchNormalization({ name: 'bn' })],
  });
  const flat = L.flatten({ name: 'flat' });
  const out = L.dense({ units: 4, activation: 'softmax', name: 'out' });
  const y = out.apply(flat.apply(head.apply(bidi.apply(input)))) as any;
  const model = tf.model({ inputs: input, outputs: y, name: 'net' });
  const rnd = mulberry32(5);
  for (const layer of [bidi, ...head.layers, out]) {
    layer.setWeights(layer.weights.map((w: any) => {
      const size = w.shape.reduce((p: number, d: number) => p * d, 1);
      const variance = /variance/.test(w.name);
      return tf.tensor(Float32Array.from({ length: size }, () => (variance ? 0.5 + rnd() : 1.6 * (rnd() - 0.5))), w.shape);
    }));
  }
  return { tf, model, bidi, head, out };
}

/** The object graph and checkpoint of the model, as Keras's SavedModel writer lays them out. */
async function kerasSavedModel(layout: 'keras_metadata' | 'user_object') {
  const { tf, model, bidi, head, out } = await buildModel();
  const json = model.toJSON(null, false) as any;
  const objs: Obj[] = [];
  const add = (o: Obj) => objs.push(o) - 1;
  const root = add({ identifier: '_tf_keras_network', children: [] });
  objs[root].metadata = {
    class_name: 'Functional', name: 'net', trainable: true, expects_training_arg: true, dtype: 'float32',
    config: withTuples(json.config), keras_version: '2.9.0', backend: 'tensorflow', is_graph_network: true,
  };
  const layerObj = (className: string, name: string, identifier = '_tf_keras_layer', extra: Record<string, unknown> = {}) =>
    add({ identifier, metadata: { class_name: className, name, ...extra }, children: [] });
  const vars = (owner: number, names: string[], values: any[], prefix: string) => names.forEach((n, i) => {
    objs[owner].children.push([n, add({ children: [], variable: { name: `${prefix}/${n}`, shape: values[i].shape, values: values[i].dataSync() } })]);
  });
  const lstmVars = ['kernel', 'recurrent_kernel', 'bias'];
  const bw = bidi.getWeights();

  const inputObj = layerObj('InputLayer', 'seq', '_tf_keras_input_layer', { batch_input_shape: { class_name: '__tuple__', items: [null, STEPS, FEATURES] } });
  const bidiObj = layerObj('Bidirectional', 'bidi');
  for (const [k, side, offset] of [['forward_layer', 'forward_lstm', 0], ['backward_layer', 'backward_lstm', 3]] as const) {
    const rnn = layerObj('LSTM', side, '_tf_keras_rnn_layer');
    const cell = layerObj('LSTMCell', 'lstm_cell');
    vars(cell, lstmVars, bw.slice(offset, offset + 3), `bidi/${side}/lstm_cell`);
    objs[rnn].children.push(['cell', cell]);
    objs[bidiObj].children.push([k, rnn]);
  }
  objs[bidiObj].children.push(['layer', layerObj('LSTM', 'lstm', '_tf_keras_rnn_layer')]); // the unbuilt original
  const headObj = layerObj('Sequential', 'head', '_tf_keras_sequential', {
    config: withTuples((head.toJSON(null, false) as any).config), build_input_shape: { class_name: 'TensorShape', items: [null, STEPS, 8] },
  });
  const d1 = layerObj('Dense', 'd1');
  vars(d1, ['kernel', 'bias'], head.layers[0].getWeights(), 'd1');
  const bn = layerObj('BatchNormalization', 'bn');
  vars(bn, ['gamma', 'beta', 'moving_mean', 'moving_variance'], head.layers[1].getWeights(), 'bn');
  objs[headObj].children.push(['layer-0', d1], ['layer_with_weights-0', d1], ['layer-1', bn], ['layer_with_weights-1', bn]);
  const flatObj = layerObj('Flatten', 'flat');
  const outObj = layerObj('Dense', 'out');
  vars(outObj, ['kernel', 'bias'], out.getWeights(), 'out');
  objs[root].children.push(
    ['layer-0', inputObj], ['layer-1', bidiObj], ['layer_with_weights-0', bidiObj], ['layer-2', headObj],
    ['layer_with_weights-1', headObj], ['layer-3', flatObj], ['layer-4', outObj], ['layer_with_weights-2', outObj],
  );

  // Checkpoint keys: the first path of child names from the root, as TF names them.
  const keyOf = new Map<number, string>();
  const walk = (id: number, p: string[]) => {
    if (objs[id].variable && !keyOf.has(id)) keyOf.set(id, [...p, '.ATTRIBUTES/VARIABLE_VALUE'].join('/'));
    for (const [n, c] of objs[id].children) if (!keyOf.has(c) || objs[c].children.length) walk(c, [...p, n]);
  };
  walk(root, []);
  const ckpt = encodeMessage('TrackableObjectGraph', {
    nodes: objs.map((o, id) => ({
      children: o.children.map(([localName, nodeId]) => ({ localName, nodeId })),
      attributes: o.variable ? [{ name: 'VARIABLE_VALUE', fullName: o.variable.name, checkpointKey: keyOf.get(id) }] : [],
    })),
  });
  const tensors: BundleTensorSpec[] = objs.flatMap((o, id) => o.variable ? [{ key: keyOf.get(id)!, dtype: 'DT_FLOAT', shape: o.variable.shape, bytes: f32bytes(Array.from(o.variable.values)) }] : []);
  tensors.push({ key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], strings: [ckpt] });
  const bundle = writeBundle(tensors);

  const inUserObject = layout === 'user_object';
  const savedModel = {
    savedModelSchemaVersion: 1,
    metaGraphs: [{
      metaInfoDef: { tags: ['serve'], tensorflowVersion: inUserObject ? '2.4.1' : '2.9.1' },
      graphDef: { node: [] },
      objectGraphDef: {
        nodes: objs.map((o) => o.variable
          ? { variable: { dtype: 'DT_FLOAT', shape: { dim: o.variable.shape.map((size) => ({ size })) }, trainable: true, name: o.variable.name } }
          : {
            children: o.children.map(([localName, nodeId]) => ({ localName, nodeId })),
            userObject: { identifier: o.identifier, metadata: inUserObject && o.metadata ? JSON.stringify(o.metadata) : '' },
          }),
      },
    }],
  };
  const files: Record<string, Uint8Array> = {
    'saved_model.pb': encodeMessage('SavedModel', savedModel),
    'variables/variables.index': bundle.index,
    'variables/variables.data-00000-of-00001': bundle.data,
  };
  if (!inUserObject) {
    files['keras_metadata.pb'] = encodeMessage('KerasSavedMetadata', {
      nodes: objs.flatMap((o, id) => o.metadata ? [{ nodeId: id, nodePath: id === 0 ? 'root' : `root.obj${id}`, identifier: o.identifier, metadata: JSON.stringify(o.metadata) }] : []),
    });
  }
  return { tf, model, files: memoryModelFiles(`keras_${layout}`, files) };
}

for (const layout of ['keras_metadata', 'user_object'] as const) {
  test(`Keras SavedModel (${layout === 'keras_metadata' ? 'keras_metadata.pb, TF >= 2.5' : 'SavedUserObject.metadata, TF 2.0-2.4'}): weights land on their layers; official runtime = TF.js predict`, async () => {
    const { tf, model, files } = await kerasSavedModel(layout);
    const src = readSavedModel(files).kerasSource();
    assert.ok(src);
    assert.equal(src.kerasVersion, '2.9.0');
    assert.deepEqual(src.model.config.layers[0].config.batch_input_shape, [null, STEPS, FEATURES], '__tuple__ decoded');
    assert.deepEqual([...src.layerWeights(['bidi', 'backward_lstm'], ['recurrent_kernel']).values()][0].shape, [4, 16]);
    const { model: graph } = kerasToGraph(src);
    runPasses(graph, FLOAT_CONVERSION_PASSES);
    const ops = graph.subgraphs[0].operators.map((o) => o.op);
    assert.equal(ops.filter((o) => o === 'UNIDIRECTIONAL_SEQUENCE_LSTM').length, 2);
    const bytes = writeModel(graph);

    const rnd = mulberry32(9);
    let worst = 0;
    for (let i = 0; i < 8; i++) {
      const x = Float32Array.from({ length: STEPS * FEATURES }, () => 2 * rnd() - 1);
      const t = tf.tensor(x, [1, STEPS, FEATURES]);
      const y = model.predict(t) as any;
      const expected = y.dataSync() as Float32Array;
      const r = await createOfficialRunner(bytes); // fresh LSTM state per sample
      try {
        r.setInput(0, x);
        r.invoke();
        worst = Math.max(worst, maxAbsDiff(r.getOutputs()[0].data as Float32Array, expected));
      } finally {
        r.delete();
      }
      t.dispose();
      y.dispose();
    }
    assert.ok(worst < 1e-5, `max |diff| ${worst}`);
  });
}

test('subclassed and non-Keras SavedModels have no Keras source (the graph path converts them)', () => {
  const build = (identifier: string, metadata: Record<string, unknown>) => readSavedModel(memoryModelFiles('m', {
    'saved_model.pb': encodeMessage('SavedModel', {
      metaGraphs: [{ metaInfoDef: { tags: ['serve'] }, graphDef: { node: [] }, objectGraphDef: { nodes: [{ userObject: { identifier, metadata: JSON.stringify(metadata) } }] } }],
    }),
  }));
  assert.equal(build('_tf_keras_model', { class_name: 'MyModel', name: 'my_model', is_graph_network: false }).kerasSource(), null);
  assert.equal(build('_generic_user_object', {}).kerasSource(), null);
  assert.equal(build('_tf_keras_network', { class_name: 'Functional', name: 'x' }).kerasSource(), null, 'no config');
});
