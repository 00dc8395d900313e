// The corpus's kws SavedModel (TF 2.3 / Keras 2.4, Keras config in the root object's metadata) through both paths:
// Keras (config + checkpoint weights -> the Keras converter) and graph (signature -> inlined, frozen GraphDef).
// Oracles: TF.js Layers `predict` of the same Keras config with the bundle's weights; TF.js's graph executor running
// the frozen GraphDef; Google's own kws .tflite for the op structure; arithmetic for the BN folding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readModel } from '../../../src/format/reader.js';
import { writeModel } from '../../../src/format/writer.js';
import { FLOAT_CONVERSION_PASSES, runPasses } from '../../../src/graph/passes/index.js';
import { kerasToGraph } from '../../../src/importers/keras/index.js';
import { directoryModelFiles } from '../../../src/importers/tf/node-files.js';
import { loadSavedModel, type LoadedSavedModel } from '../../../src/importers/tf/saved-model.js';
import { corpusPath, NO_CORPUS, readCorpus } from '../../helpers/corpus.js';
import { Rng } from '../../helpers/random.js';
import { maxAbsDiff, runOfficialMany, runOursMany } from '../helpers.js';
import { frozenGraphToModel } from '../../../src/importers/tf/import-graph.js';
import { tfjsModelOf } from '../tfjs-reference.js';
import { runFrozenWithTfjs } from './helpers.js';

const KWS = 'tf/savedmodel/kws_ref_model';
const KWS_OPS = [
  'CONV_2D', 'DEPTHWISE_CONV_2D', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'CONV_2D',
  'DEPTHWISE_CONV_2D', 'CONV_2D', 'AVERAGE_POOL_2D', 'RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX',
];

let loaded: LoadedSavedModel | null = null;
async function kws(): Promise<LoadedSavedModel> {
  loaded ??= await loadSavedModel(directoryModelFiles(corpusPath(KWS)));
  return loaded;
}

/** 20 seeded inputs [1, 49, 10, 1] (MFCC-like ranges), computed once. */
const INPUTS = (() => {
  const rng = new Rng(4909);
  return Array.from({ length: 20 }, () => Float32Array.from({ length: 490 }, () => rng.normal(0, 8)));
})();

/** A config without training-only settings TF.js cannot deserialize (Keras 2.4's 'L2' regularizer class). */
function withoutRegularizers(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutRegularizers);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k.endsWith('_regularizer') ? null : withoutRegularizers(x)]));
}

/** TF.js Layers predictions of the model's Keras config with the bundle's weights: the reference, computed once. */
let reference: Promise<Float32Array[]> | null = null;
function tfjsReference(sm: LoadedSavedModel): Promise<Float32Array[]> {
  reference ??= (async () => {
    const src = sm.kerasSource()!;
    const { tf, model } = await tfjsModelOf({ ...src, model: withoutRegularizers(src.model) as typeof src.model });
    try {
      return INPUTS.map((x) => {
        const t = tf.tensor(x, [1, 49, 10, 1]);
        const y = model.predict(t) as any;
        const v = Float32Array.from(y.dataSync() as Float32Array);
        t.dispose();
        y.dispose();
        return v;
      });
    } finally {
      model.dispose();
    }
  })();
  return reference;
}

test('kws SavedModel: meta graph, signature, variables', { skip: NO_CORPUS }, async () => {
  const sm = await kws();
  assert.equal(sm.kind, 'tf2');
  assert.deepEqual(sm.tags, ['serve']);
  assert.equal(sm.tensorflowVersion, '2.3.2');
  assert.deepEqual(sm.signatures(), [{
    name: 'serving_default', methodName: 'tensorflow/serving/predict',
    inputs: [{ name: 'input_1', tensor: 'serving_default_input_1:0', dtype: 'DT_FLOAT', shape: [-1, 49, 10, 1] }],
    outputs: [{ name: 'dense', tensor: 'StatefulPartitionedCall:0', dtype: 'DT_FLOAT', shape: [-1, 12] }],
  }]);
  const vars = sm.variables();
  const model = vars.filter((v) => v.key?.startsWith('layer_with_weights-'));
  assert.equal(model.length, 56);
  // Slot variables are objects too, but no path of children leads to them: no checkpoint key, never read.
  const slots = vars.filter((v) => /^Adam\/.*\/[mv]$/.test(v.name));
  assert.equal(slots.length, 76);
  assert.ok(slots.every((v) => v.key === null));
});

test('kws Keras path: 13 ops in Google\'s order and shapes; BN folded into the conv as arithmetic says', { skip: NO_CORPUS }, async () => {
  const sm = await kws();
  const src = sm.kerasSource();
  assert.ok(src);
  assert.equal(src.format, 'savedmodel');
  assert.equal(src.kerasVersion, '2.4.0');
  assert.equal(src.model.class_name, 'Functional');
  const { model, layerCount } = kerasToGraph(src);
  assert.equal(layerCount, 33);
  runPasses(model, FLOAT_CONVERSION_PASSES);
  const ours = model.subgraphs[0];
  assert.deepEqual(ours.operators.map((o) => o.op), KWS_OPS);

  // Google's conversion of the same architecture (another training run): same ops, same tensor shapes.
  const google = readModel(readCorpus('tflite/mlcommons-tiny/kws_ref_model_float32.tflite')).subgraphs[0];
  assert.deepEqual(google.operators.map((o) => o.op), KWS_OPS);
  ours.operators.forEach((op, i) => {
    const g = google.operators[i];
    assert.deepEqual(ours.tensors[op.outputs[0]].shape, google.tensors[g.outputs[0]].shape, `op ${i} (${op.op}) output shape`);
    if (op.inputs.length > 1) assert.deepEqual(ours.tensors[op.inputs[1]].shape, google.tensors[g.inputs[1]].shape, `op ${i} (${op.op}) weight shape`);
  });

  // The first conv's filter and bias = conv2d kernel/bias with batch_normalization folded in (epsilon 1e-3):
  // w' = w * gamma / sqrt(var + eps) per output channel, b' = (b - mean) * gamma / sqrt(var + eps) + beta.
  const byName = new Map(sm.variables().map((v) => [v.name, v.key!]));
  const raw = (name: string) => sm.bundle!.float32(byName.get(name)!).values;
  const [kernel, bias] = [raw('conv2d/kernel'), raw('conv2d/bias')];
  const [gamma, beta, mean, variance] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((v) => raw(`batch_normalization/${v}`));
  const conv = ours.operators[0];
  const filter = new Float32Array(ours.tensors[conv.inputs[1]].data!.slice().buffer); // [64, 10, 4, 1]
  const foldedBias = new Float32Array(ours.tensors[conv.inputs[2]].data!.slice().buffer);
  let worst = 0;
  for (let o = 0; o < 64; o++) {
    const s = gamma[o] / Math.sqrt(variance[o] + 1e-3);
    worst = Math.max(worst, Math.abs(foldedBias[o] - ((bias[o] - mean[o]) * s + beta[o])));
    for (let k = 0; k < 40; k++) {
      const expected = kernel[k * 64 + o] * s; // Keras [10, 4, 1, 64] -> TFLite [64, 10, 4, 1]
      worst = Math.max(worst, Math.abs(filter[o * 40 + k] - expected));
    }
  }
  console.log(`kws Keras path: first conv's folded weights vs the folding arithmetic on the raw variables: max |diff| ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-6, `folded conv weights off by ${worst}`);
});

test('kws Keras path in the official runtime = TF.js Layers predict (20 seeded inputs, within 1e-5)', { skip: NO_CORPUS }, async () => {
  const sm = await kws();
  const expected = await tfjsReference(sm);
  const { model } = kerasToGraph(sm.kerasSource()!);
  runPasses(model, FLOAT_CONVERSION_PASSES);
  const got = await runOfficialMany(writeModel(model), INPUTS.map((x) => [x]));
  let worst = 0;
  got.forEach((outs, i) => { worst = Math.max(worst, maxAbsDiff(outs[0], expected[i])); });
  console.log(`kws SavedModel -> Keras path -> official runtime vs TF.js Layers: max |diff| ${worst.toExponential(2)} over 20 inputs`);
  assert.ok(worst < 1e-5, `max |diff| ${worst}`);
  // Sanity: the reference is a real 12-way softmax, not a constant.
  assert.ok(expected.every((p) => Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-5));
  assert.ok(new Set(expected.map((p) => p.indexOf(Math.max(...p)))).size > 1, 'inputs should not all give the same class');
});

test('kws freeze: inference ops only, Consts hold the checkpoint values, TF.js runs it like the Keras model', { skip: NO_CORPUS }, async () => {
  const sm = await kws();
  const fg = sm.freeze();
  assert.equal(fg.source, 'savedmodel-tf2');
  assert.deepEqual(fg.inputs, [{ name: 'input_1', node: 'serving_default_input_1', dtype: 'DT_FLOAT', shape: [-1, 49, 10, 1] }]);
  assert.deepEqual(fg.outputs.map((o) => o.name), ['dense']);
  const counts: Record<string, number> = {};
  for (const n of fg.graph.node!) counts[n.op!] = (counts[n.op!] ?? 0) + 1;
  assert.deepEqual(counts, {
    Placeholder: 1, Const: 57, Conv2D: 5, DepthwiseConv2dNative: 4, BiasAdd: 10, FusedBatchNormV3: 9, Relu: 9,
    Identity: 4, AvgPool: 1, Reshape: 1, MatMul: 1, Softmax: 1,
  });
  for (const n of fg.graph.node!) {
    for (const i of n.input ?? []) assert.ok(!i.startsWith('^'), `control input left on ${n.name}`);
  }
  // Every model variable is a Const holding exactly its checkpoint bytes.
  const bundle = sm.bundle!;
  const byBytes = new Map<string, string>();
  for (const v of sm.variables()) if (v.key?.startsWith('layer_with_weights-')) byBytes.set(Buffer.from(bundle.tensor(v.key).bytes).toString('base64'), v.key);
  const matched = new Set<string>();
  for (const n of fg.graph.node!) {
    const content = n.attr?.value?.tensor?.tensorContent;
    const key = n.op === 'Const' && content ? byBytes.get(Buffer.from(content).toString('base64')) : undefined;
    if (key) {
      matched.add(key);
      const shape = n.attr!.value!.tensor!.tensorShape!.dim!.map((d) => d.size);
      assert.deepEqual(shape, bundle.entry(key).shape, `${n.name} shape`);
    }
  }
  assert.equal(matched.size, 56);

  const expected = await tfjsReference(sm);
  const got = await runFrozenWithTfjs(fg, INPUTS.map((x) => [{ data: x, shape: [1, 49, 10, 1] }]));
  let worst = 0;
  got.forEach((outs, i) => { worst = Math.max(worst, maxAbsDiff(outs[0], expected[i])); });
  console.log(`kws frozen GraphDef in TF.js's graph executor vs TF.js Layers: max |diff| ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-5, `max |diff| ${worst}`);
});

test('kws graph path: the same 13 ops and folded weights as the Keras path; official runtime and ours = TF.js Layers predict', { skip: NO_CORPUS }, async () => {
  const sm = await kws();
  const { model: graphModel } = frozenGraphToModel(sm.freeze());
  const graph = graphModel.subgraphs[0];
  assert.deepEqual(graph.operators.map((o) => o.op), KWS_OPS);

  // Weights: every conv / FC filter and bias equal to the Keras path's (which the test above checks against the
  // batch-norm folding arithmetic on the raw variables): two independent routes from the checkpoint.
  const { model: kerasModel } = kerasToGraph(sm.kerasSource()!);
  runPasses(kerasModel, FLOAT_CONVERSION_PASSES);
  const keras = kerasModel.subgraphs[0];
  const floats = (t: { data: Uint8Array | null }) => new Float32Array(t.data!.slice().buffer);
  let worst = 0;
  graph.operators.forEach((op, i) => {
    for (let k = 1; k < op.inputs.length; k++) {
      const g = graph.tensors[op.inputs[k]];
      const kt = keras.tensors[keras.operators[i].inputs[k]];
      if (!g.data || g.dtype !== 'float32') continue;
      assert.deepEqual(g.shape, kt.shape, `op ${i} (${op.op}) input ${k} shape`);
      const [a, b] = [floats(g), floats(kt)];
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
    }
  });
  console.log(`kws graph path vs Keras path: folded weights max |diff| ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-6, `folded weights differ by ${worst}`);

  const expected = await tfjsReference(sm);
  const bytes = writeModel(graphModel);
  const official = await runOfficialMany(bytes, INPUTS.map((x) => [x]));
  const ours = await runOursMany(readModel(bytes), INPUTS.map((x) => [x]));
  let worstOfficial = 0;
  let worstOurs = 0;
  INPUTS.forEach((_, i) => {
    worstOfficial = Math.max(worstOfficial, maxAbsDiff(official[i][0], expected[i]));
    worstOurs = Math.max(worstOurs, maxAbsDiff(ours[i][0], expected[i]));
  });
  console.log(`kws SavedModel -> graph path vs TF.js Layers: official max |diff| ${worstOfficial.toExponential(2)}, ours ${worstOurs.toExponential(2)}`);
  assert.ok(worstOfficial < 1e-5, `official: max |diff| ${worstOfficial}`);
  assert.ok(worstOurs < 1e-5, `ours: max |diff| ${worstOurs}`);
});
