// Layer coverage: a TF.js Layers model using many layer types, converted and compared with TF.js's predictions
// (several inputs and outputs, so multi-input/multi-output graphs are covered too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convert } from '../../src/convert.js';
import { UnsupportedError } from '../../src/errors.js';
import { mulberry32 } from '../helpers/random.js';
import { maxAbsDiff, runOfficialMany, runOursMany } from './helpers.js';
import { loadTf } from './tfjs-reference.js';

test('many Keras layer types agree with TF.js (official runtime and our interpreter)', async (t) => {
  const tf = await loadTf();
  const L = tf.layers;
  const ap = (layer: any, x: any) => layer.apply(x) as any;
  const img = tf.input({ shape: [6, 6, 2], name: 'img' });
  const seq = tf.input({ shape: [6, 3], name: 'seq' });
  const tok = tf.input({ shape: [4], name: 'tok' });

  let a = ap(L.separableConv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'selu', name: 'sep' }), img);
  a = ap(L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid', name: 'deconv' }), a);
  a = ap(L.zeroPadding2d({ padding: [[1, 0], [0, 1]], name: 'zpad' }), a);
  a = ap(L.cropping2D({ cropping: [[1, 0], [0, 1]], name: 'crop' }), a);
  const up = ap(L.upSampling2d({ size: [2, 2], name: 'up' }), img);
  const sub = ap(L.add({ name: 'sum' }), [a, up]); // TF.js has no Subtract layer
  const mul = ap(L.multiply({ name: 'mul' }), [sub, up]);
  const avg = ap(L.average({ name: 'avg' }), [mul, up, a]);
  const mx = ap(L.maximum({ name: 'max' }), [avg, sub]);
  const mn = ap(L.minimum({ name: 'min' }), [mx, up]);
  let b = ap(L.prelu({ name: 'prelu' }), mn);
  b = ap(L.leakyReLU({ alpha: 0.1, name: 'leaky' }), b);
  b = ap(L.reLU({ maxValue: 0.7, name: 'relu_max' }), b);
  b = ap(L.elu({ name: 'elu' }), b);
  const out1 = ap(L.globalAveragePooling2d({ name: 'gap' }), b);

  let c = ap(L.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, activation: 'softplus', name: 'dilated' }), img);
  c = ap(L.globalMaxPooling2d({ name: 'gmp' }), c);
  const out2 = ap(L.dense({ units: 3, activation: 'softsign', name: 'dense_softsign' }), c);

  let d = ap(L.conv1d({ filters: 4, kernelSize: 2, padding: 'same', activation: 'swish', name: 'conv1d' }), seq);
  d = ap(L.maxPooling1d({ poolSize: 2, padding: 'same', name: 'maxpool1d' }), d);
  d = ap(L.layerNormalization({ name: 'layernorm' }), d);
  d = ap(L.permute({ dims: [2, 1], name: 'permute' }), d);
  d = ap(L.dense({ units: 2, activation: 'hardSigmoid', name: 'dense_3d' }), d);
  d = ap(L.reshape({ targetShape: [-1], name: 'reshape' }), d);
  const out3 = ap(L.softmax({ name: 'softmax' }), d);

  let e = ap(L.embedding({ inputDim: 10, outputDim: 3, name: 'embed' }), tok);
  e = ap(L.globalAveragePooling1d({ name: 'gap1d' }), e);
  const out4 = ap(L.dense({ units: 2, activation: 'tanh', name: 'dense_tanh' }), e);

  const model = tf.model({ inputs: [img, seq, tok], outputs: [out1, out2, out3, out4] });
  const rnd = mulberry32(21);
  for (const layer of model.layers) {
    layer.setWeights(layer.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => rnd() * 2 - 1), w.shape)));
  }
  let artifacts: any = null;
  await model.save(tf.io.withSaveHandler(async (x: any) => { artifacts = x; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  const ours = await convert(artifacts, { label: 'coverage' });

  const inputs = Array.from({ length: 3 }, () => [
    Float32Array.from({ length: 72 }, () => rnd() * 2 - 1),
    Float32Array.from({ length: 18 }, () => rnd() * 2 - 1),
    Float32Array.from({ length: 4 }, () => Math.floor(rnd() * 10)),
  ]);
  const expected = inputs.map((ins) => (model.predict([tf.tensor(ins[0], [1, 6, 6, 2]), tf.tensor(ins[1], [1, 6, 3]), tf.tensor(ins[2], [1, 4])]) as any[])
    .map((t) => Float32Array.from(t.dataSync())));
  const official = await runOfficialMany(ours.bytes, inputs);
  const worstOf = (got: Float32Array[][]) => {
    let w = 0;
    for (let i = 0; i < inputs.length; i++) for (let k = 0; k < 4; k++) w = Math.max(w, maxAbsDiff(got[i][k], expected[i][k]));
    return w;
  };
  const worst = worstOf(official);
  console.log(`coverage: ${ours.summary.ops} ops (${Object.entries(ours.summary.opCounts).map(([k, v]) => `${k}x${v}`).join(' ')}); max abs diff official ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-5, `official runtime: max abs diff ${worst}`);
  let mine: Float32Array[][];
  try {
    mine = await runOursMany(ours.model, inputs);
  } catch (e) {
    // An op our interpreter lacks yet is reported as a skip, not hidden.
    if (e instanceof UnsupportedError) { t.skip(`our interpreter: ${e.message}`); return; }
    throw e;
  }
  const worstOurs = worstOf(mine);
  console.log(`coverage: max abs diff ours ${worstOurs.toExponential(2)}`);
  assert.ok(worstOurs <= 1e-5, `our interpreter: max abs diff ${worstOurs}`);
  // No size bound here: this toy has 67 ops for 509 weights, so FlatBuffer tables, not weights, dominate its size.
});
