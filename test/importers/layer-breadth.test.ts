// Layer breadth: one tiny TF.js Layers model per layer variant (padding, strides, dilation, axes, broadcasting,
// activation parameters, nested models), saved as TF.js saves it, converted, and run in the official runtime and
// our interpreter against TF.js's own model.predict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convert } from '../../src/convert.js';
import { mulberry32 } from '../helpers/random.js';
import { maxAbsDiff, runOfficialMany, runOursMany } from './helpers.js';
import { loadTf } from './tfjs-reference.js';

type Tf = Awaited<ReturnType<typeof loadTf>>;
type L = Tf['layers'];
interface InputSpec { shape: number[]; ints?: number }
interface Options {
  /** Edit the saved Keras config (layers or settings TF.js cannot build or run, e.g. causal padding). */
  patch?: (topology: any) => void;
  /** An independent float computation of the expected outputs (Keras's definition in TF.js core ops), used
   * instead of model.predict where TF.js's Layers implementation lacks or differs from Keras. */
  reference?: (tf: Tf, model: any, xs: any[]) => any[];
}

/** The Keras config of the layer named `name` in a saved topology. */
function layerConfig(topology: any, name: string): any {
  const l = (topology.model_config ?? topology).config.layers.find((x: any) => x.config.name === name);
  assert.ok(l, `no layer ${name}`);
  return l;
}

/** The weights of layer `name` as TF.js tensors. */
const weightsOf = (model: any, name: string) => model.getLayer(name).getWeights();

/** Build with `build`, randomize weights (seeded), convert, and compare both runtimes with TF.js's predict. */
async function agree(label: string, inputs: InputSpec[], build: (L: L, ins: any[], tf: Tf) => any | any[], opts: Options = {}, seed = 1): Promise<void> {
  const tf = await loadTf();
  const ins = inputs.map((s, i) => tf.input({ shape: s.shape, name: `in${i}`, dtype: s.ints ? 'int32' : 'float32' }));
  const outs = [build(tf.layers, ins, tf)].flat();
  const model = tf.model({ inputs: ins, outputs: outs });
  const rnd = mulberry32(seed);
  for (const layer of model.layers) {
    layer.setWeights(layer.weights.map((w) => {
      const size = w.shape.reduce((p: number, d) => p * (d ?? 1), 1);
      const positive = /variance/.test(w.originalName);
      return tf.tensor(Float32Array.from({ length: size }, () => (positive ? 0.5 + rnd() : rnd() * 2 - 1)), w.shape as number[]);
    }));
  }
  let artifacts: any = null;
  await model.save(tf.io.withSaveHandler(async (a: any) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  opts.patch?.(artifacts.modelTopology);
  const ours = await convert(artifacts, { label });
  const cases = Array.from({ length: 2 }, () => inputs.map((s) => {
    const n = s.shape.reduce((p, d) => p * d, 1);
    return Float32Array.from({ length: n }, () => (s.ints ? Math.floor(rnd() * s.ints) : rnd() * 4 - 2));
  }));
  const expected = cases.map((c) => {
    const xs = c.map((v, i) => tf.tensor(v, [1, ...inputs[i].shape], inputs[i].ints ? 'int32' : 'float32'));
    return [opts.reference ? opts.reference(tf, model, xs) : model.predict(xs)].flat().map((t: any) => Float32Array.from(t.dataSync()));
  });
  const worst = (got: Float32Array[][]) => {
    let w = 0;
    got.forEach((outsK, i) => outsK.forEach((o, k) => { w = Math.max(w, maxAbsDiff(o, expected[i][k])); }));
    return w;
  };
  const off = worst(await runOfficialMany(ours.bytes, cases));
  const mine = worst(await runOursMany(ours.model, cases));
  assert.ok(off <= 1e-5 && mine <= 1e-5, `${label}: max abs diff official ${off}, ours ${mine} (ops ${ours.summary.opList.join(' ')})`);
}

const cases: [string, InputSpec[], (L: L, ins: any[], tf: Tf) => any, Options?][] = [
  // TF.js cannot run causal padding: built 'valid', saved as 'causal'; Keras left-pads (kernel-1)*dilation zeros.
  ['Conv1D causal dilated', [{ shape: [9, 2] }], (L, [x]) => L.conv1d({ filters: 3, kernelSize: 3, dilationRate: 2, name: 'c' }).apply(x), {
    patch: (t) => { layerConfig(t, 'c').config.padding = 'causal'; },
    reference: (tf, m, [x]) => { const [k, b] = weightsOf(m, 'c'); return [tf.conv1d(tf.pad(x, [[0, 0], [4, 0], [0, 0]]), k, 1, 'valid', 'NWC', 2).add(b)]; },
  }],
  ['Conv1D strided valid, no bias', [{ shape: [9, 2] }], (L, [x]) => L.conv1d({ filters: 3, kernelSize: 2, strides: 2, useBias: false }).apply(x)],
  ['Conv1D same dilated', [{ shape: [8, 2] }], (L, [x]) => L.conv1d({ filters: 2, kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'elu' }).apply(x)],
  ['Conv2D strides 2 same, dilation in other', [{ shape: [7, 7, 2] }], (L, [x]) => {
    const a = L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(x);
    return L.conv2d({ filters: 2, kernelSize: [2, 3], dilationRate: [2, 1], padding: 'same', activation: 'tanh' }).apply(a);
  }],
  // TF.js's DepthwiseConv2D layer ignores dilation_rate: reference from the core op.
  ['DepthwiseConv2D dilated, multiplier 2, no bias', [{ shape: [7, 7, 2] }], (L, [x]) =>
    L.depthwiseConv2d({ kernelSize: 3, dilationRate: 2, depthMultiplier: 2, padding: 'same', useBias: false, name: 'dw' }).apply(x), {
    reference: (tf, m, [x]) => [tf.depthwiseConv2d(x, weightsOf(m, 'dw')[0], 1, 'same', 'NHWC', 2)],
  }],
  ['DepthwiseConv2D dilated valid', [{ shape: [7, 7, 2] }], (L, [x]) => L.depthwiseConv2d({ kernelSize: [3, 2], dilationRate: [2, 3], name: 'dw' }).apply(x), {
    reference: (tf, m, [x]) => { const [k, b] = weightsOf(m, 'dw'); return [tf.depthwiseConv2d(x, k, 1, 'valid', 'NHWC', [2, 3]).add(b)]; },
  }],
  ['DepthwiseConv2D strided valid', [{ shape: [7, 7, 2] }], (L, [x]) => L.depthwiseConv2d({ kernelSize: 3, strides: 2 }).apply(x)],
  ['SeparableConv2D depth_multiplier 2', [{ shape: [6, 6, 2] }], (L, [x]) =>
    L.separableConv2d({ filters: 3, kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu6' }).apply(x)],
  ['SeparableConv2D strided valid, no bias', [{ shape: [7, 7, 2] }], (L, [x]) =>
    L.separableConv2d({ filters: 2, kernelSize: 2, strides: 2, useBias: false }).apply(x)],
  ['Conv2DTranspose strides 2 same', [{ shape: [3, 4, 2] }], (L, [x]) => L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }).apply(x)],
  ['Conv2DTranspose strides 2 valid, even kernel', [{ shape: [3, 3, 2] }], (L, [x]) => L.conv2dTranspose({ filters: 2, kernelSize: 4, strides: 2, padding: 'valid' }).apply(x)],
  ['Conv2DTranspose strides [1,2] same, no bias', [{ shape: [3, 3, 2] }], (L, [x]) =>
    L.conv2dTranspose({ filters: 2, kernelSize: [2, 3], strides: [1, 2], padding: 'same', useBias: false }).apply(x)],
  ['Dense on rank 3 and 4, no bias', [{ shape: [2, 3, 4] }], (L, [x]) => {
    const a = L.dense({ units: 3, useBias: false }).apply(x);
    return L.dense({ units: 2, activation: 'selu' }).apply(L.reshape({ targetShape: [6, 3] }).apply(a));
  }],
  ['Permute 3 axes', [{ shape: [2, 3, 4] }], (L, [x]) => L.permute({ dims: [3, 1, 2] }).apply(x)],
  ['Reshape with -1 in the middle', [{ shape: [4, 6] }], (L, [x]) => L.reshape({ targetShape: [2, -1, 3] }).apply(x)],
  ['Embedding then Flatten', [{ shape: [5], ints: 7 }], (L, [x]) => L.flatten().apply(L.embedding({ inputDim: 7, outputDim: 3 }).apply(x))],
  ['LayerNormalization last axis, rank 4', [{ shape: [2, 3, 4] }], (L, [x]) => L.layerNormalization({ epsilon: 1e-5 }).apply(x)],
  ['LayerNormalization axes [1,2,3]', [{ shape: [2, 3, 4] }], (L, [x]) => L.layerNormalization({ axis: [1, 2, 3] }).apply(x)],
  ['LayerNormalization axes [-2,-1], no center/scale', [{ shape: [2, 3, 4] }], (L, [x]) => L.layerNormalization({ axis: [-2, -1], center: false, scale: false }).apply(x)],
  ['GlobalMaxPooling1D, AveragePooling1D', [{ shape: [7, 3] }], (L, [x]) => [
    L.globalMaxPooling1d().apply(x), L.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x), L.averagePooling1d({ poolSize: 2 }).apply(x),
  ]],
  ['pooling 2D same, odd sizes', [{ shape: [5, 7, 2] }], (L, [x]) => [
    L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x), L.averagePooling2d({ poolSize: [2, 3], strides: [1, 2], padding: 'same' }).apply(x),
  ]],
  ['Cropping2D and ZeroPadding2D asymmetric', [{ shape: [6, 5, 2] }], (L, [x]) => {
    const a = L.zeroPadding2d({ padding: [[0, 2], [3, 1]] }).apply(x);
    return [L.cropping2D({ cropping: [[2, 1], [0, 3]] }).apply(a), L.zeroPadding2d({ padding: 1 }).apply(x), L.cropping2D({ cropping: 1 }).apply(x)];
  }],
  ['UpSampling2D nearest [2,3]', [{ shape: [3, 4, 2] }], (L, [x]) => L.upSampling2d({ size: [2, 3] }).apply(x)],
  // Keras resizes with tf.image.resize (half-pixel centers); TF.js's layer uses the old corner-aligned grid.
  ['UpSampling2D bilinear', [{ shape: [3, 4, 2] }], (L, [x]) => L.upSampling2d({ size: [2, 3], interpolation: 'bilinear' }).apply(x), {
    reference: (tf, _m, [x]) => [tf.image.resizeBilinear(x, [6, 12], false, true)],
  }],
  // TF.js's Concatenate joins on the last axis whatever a negative axis says: reference from tf.concat.
  ['Concatenate on axes 1, 2, -2, -3', [{ shape: [2, 3, 2] }, { shape: [2, 3, 2] }], (L, [a, b]) => [
    L.concatenate({ axis: 1 }).apply([a, b]), L.concatenate({ axis: 2 }).apply([a, b]), L.concatenate({ axis: -2 }).apply([a, b]), L.concatenate({ axis: -3 }).apply([a, b]),
  ], { reference: (tf, _m, [a, b]) => [tf.concat([a, b], 1), tf.concat([a, b], 2), tf.concat([a, b], 2), tf.concat([a, b], 1)] }],
  ['merge layers with broadcasting', [{ shape: [3, 4] }, { shape: [1, 4] }, { shape: [3, 1] }], (L, [a, b, c]) => [
    L.multiply().apply([a, b]), L.average().apply([a, b, c]), L.maximum().apply([b, a]), L.minimum().apply([c, a]), L.add().apply([c, b]),
  ]],
  ['activations by name', [{ shape: [12] }], (L, [x]) =>
    ['softplus', 'selu', 'swish', 'tanh', 'hardSigmoid', 'relu6', 'elu', 'sigmoid', 'softsign', 'linear', 'relu', 'softmax', 'gelu', 'mish']
      .map((a) => L.activation({ activation: a as any }).apply(x))],
  // TF.js's ELU layer rejects alpha != 1: built with 1, saved with 0.5 / 1.7. Keras: x > 0 ? x : alpha * (exp(x) - 1).
  ['ELU alpha 0.5 and 1.7', [{ shape: [8] }], (L, [x]) => [L.elu({ name: 'e1' }).apply(x), L.elu({ name: 'e2' }).apply(x)], {
    patch: (t) => { layerConfig(t, 'e1').config.alpha = 0.5; layerConfig(t, 'e2').config.alpha = 1.7; },
    reference: (tf, _m, [x]) => [0.5, 1.7].map((a) => tf.where(tf.greater(x, 0), x, tf.exp(x).sub(1).mul(a))),
  }],
  ['ReLU max_value 1.5, LeakyReLU alpha 0.01, ThresholdedReLU', [{ shape: [8] }], (L, [x]) => [
    L.reLU({ maxValue: 1.5 }).apply(x), L.leakyReLU({ alpha: 0.01 }).apply(x), L.thresholdedReLU({ theta: 0.5 }).apply(x),
  ]],
  ['PReLU shared_axes [1,2]', [{ shape: [3, 4, 2] }], (L, [x]) => L.prelu({ sharedAxes: [1, 2] }).apply(x)],
  ['PReLU shared_axes [1], rank 3', [{ shape: [3, 4] }], (L, [x]) => L.prelu({ sharedAxes: [1] }).apply(x)],
  // TF.js writes Softmax's axis as 1 but cannot run it on a non-last axis: reference by hand.
  ['Softmax on axis 1 and -1 of rank 3', [{ shape: [2, 5] }], (L, [x]) => [L.softmax({ name: 's1' }).apply(x), L.softmax({ axis: -1 }).apply(x)], {
    reference: (tf, _m, [x]) => [1, 2].map((ax) => { const ex = tf.exp(x.sub(x.max(ax, true))); return ex.div(ex.sum(ax, true)); }),
  }],
  // TF.js's BatchNormalization broadcasts its parameters wrongly on a non-last axis: reference by hand.
  ['BatchNormalization on rank 3, last axis and axis 1', [{ shape: [3, 4] }], (L, [x]) => [L.batchNormalization({ name: 'b1' }).apply(x), L.batchNormalization({ axis: 1, epsilon: 0.01, name: 'b2' }).apply(x)], {
    reference: (tf, m, [x]) => [['b1', [4], 1e-3], ['b2', [3, 1], 0.01]].map(([n, shape, eps]) => {
      const [g, b, mean, v] = weightsOf(m, n as string).map((w: any) => w.reshape(shape));
      return x.sub(mean).div(v.add(eps as number).sqrt()).mul(g).add(b);
    }),
  }],
  ['inputs of different ranks', [{ shape: [4, 4, 2] }, { shape: [3] }, { shape: [5, 2] }], (L, [img, v, s]) => {
    const a = L.globalAveragePooling2d({}).apply(img);
    const b = L.globalMaxPooling1d().apply(s);
    return L.dense({ units: 2 }).apply(L.concatenate().apply([a, v, b]));
  }],
  ['Rescaling', [{ shape: [3, 2] }], (L, [x]) => [L.rescaling({ scale: 1 / 127.5, offset: -1 }).apply(x), L.rescaling({ scale: 2 }).apply(x)]],
  ['nested Sequential and Functional models', [{ shape: [4, 4, 2] }], (L, [x], tf) => {
    const inner = tf.sequential({ name: 'inner_seq', layers: [L.conv2d({ inputShape: [4, 4, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }), L.flatten()] });
    const fin = tf.input({ shape: [48] });
    const fa = L.dense({ units: 4, activation: 'tanh' }).apply(fin) as any;
    const fb = L.dense({ units: 4 }).apply(fin) as any;
    const innerF = tf.model({ name: 'inner_fn', inputs: fin, outputs: L.add().apply([fa, fb]) as any });
    return L.dense({ units: 2 }).apply(innerF.apply(inner.apply(x)));
  }],
  ['GELU and mish activations (erf GELU, Keras default)', [{ shape: [12] }], (L, [x]) => [L.activation({ activation: 'gelu' }).apply(x), L.activation({ activation: 'mish' }).apply(x)], {
    reference: (tf, _m, [x]) => [x.mul(tf.erf(x.div(Math.SQRT2)).add(1)).mul(0.5), x.mul(tf.tanh(tf.softplus(x)))],
  }],
  // Keras 3's hard_sigmoid is relu6(x + 3) / 6 (Keras 2 and TF.js: clip(0.2x + 0.5, 0, 1)).
  ['Keras 3 hard_sigmoid', [{ shape: [12] }], (L, [x]) => L.activation({ activation: 'hardSigmoid' }).apply(x), {
    patch: (t) => { t.keras_version = '3.3.3'; },
    reference: (tf, _m, [x]) => [tf.clipByValue(x.add(3), 0, 6).div(6)],
  }],
  // The general ReLU (TF.js only knows max_value): Keras's relu(x, negative_slope, max_value, threshold).
  ['ReLU threshold / negative_slope / max_value combinations', [{ shape: [16] }], (L, [x]) =>
    ['r1', 'r2', 'r3', 'r4', 'r5'].map((name) => L.reLU({ name }).apply(x)), {
    patch: (t) => {
      Object.assign(layerConfig(t, 'r1').config, { threshold: 0.5, negative_slope: 0, max_value: null });
      Object.assign(layerConfig(t, 'r2').config, { threshold: 0.5, negative_slope: 0.1, max_value: 1.2 });
      Object.assign(layerConfig(t, 'r3').config, { threshold: 0, negative_slope: 0.2, max_value: 1 });
      Object.assign(layerConfig(t, 'r4').config, { threshold: -0.5, negative_slope: 0, max_value: 1 });
      Object.assign(layerConfig(t, 'r5').config, { threshold: -0.5, negative_slope: 0.3, max_value: null });
    },
    reference: (tf, _m, [x]) => ([[0.5, 0, null], [0.5, 0.1, 1.2], [0, 0.2, 1], [-0.5, 0, 1], [-0.5, 0.3, null]] as [number, number, number | null][])
      .map(([thr, slope, max]) => {
        let y = thr !== 0 ? x.mul(tf.greater(x, thr).cast('float32')) : tf.relu(x);
        if (max !== null) y = tf.clipByValue(y, 0, max);
        return slope ? y.sub(tf.relu(tf.neg(x).add(thr)).mul(slope)) : y;
      }),
  }],
  // TF.js has no Subtract layer: an Add saved as Subtract.
  ['Subtract with broadcasting', [{ shape: [3, 4] }, { shape: [1, 4] }], (L, [a, b]) => [L.add({ name: 'sub' }).apply([a, b]), L.add({ name: 'sub2' }).apply([b, a])], {
    patch: (t) => { layerConfig(t, 'sub').class_name = 'Subtract'; layerConfig(t, 'sub2').class_name = 'Subtract'; },
    reference: (_tf, _m, [a, b]) => [a.sub(b), b.sub(a)],
  }],
  // TF.js has no Normalization layer: a Rescaling saved as Keras's Normalization with mean / variance in its config.
  // Keras: (x - mean) / max(sqrt(variance), 1e-7).
  ['Normalization (config mean / variance, per channel and scalar)', [{ shape: [2, 3] }], (L, [x]) => [L.rescaling({ scale: 1, name: 'n1' }).apply(x), L.rescaling({ scale: 1, name: 'n2' }).apply(x)], {
    patch: (t) => {
      Object.assign(layerConfig(t, 'n1'), { class_name: 'Normalization' });
      Object.assign(layerConfig(t, 'n1').config, { axis: -1, mean: [0.5, -1, 2], variance: [4, 0.25, 0.09] });
      Object.assign(layerConfig(t, 'n2'), { class_name: 'Normalization' });
      Object.assign(layerConfig(t, 'n2').config, { axis: null, mean: 0.3, variance: 2.5 });
    },
    reference: (tf, _m, [x]) => [
      x.sub(tf.tensor([0.5, -1, 2])).div(tf.tensor([2, 0.5, 0.3])),
      x.sub(0.3).div(Math.sqrt(2.5)),
    ],
  }],
  // TF.js has no ZeroPadding1D / Cropping1D / UpSampling1D: stand-in layers saved under those classes.
  ['ZeroPadding1D, Cropping1D, UpSampling1D', [{ shape: [5, 2] }], (L, [x]) => ['p', 'c', 'u'].map((name) => L.activation({ activation: 'linear', name }).apply(x)), {
    patch: (t) => {
      Object.assign(layerConfig(t, 'p'), { class_name: 'ZeroPadding1D' }).config.padding = [2, 1];
      Object.assign(layerConfig(t, 'c'), { class_name: 'Cropping1D' }).config.cropping = [1, 2];
      Object.assign(layerConfig(t, 'u'), { class_name: 'UpSampling1D' }).config.size = 3;
    },
    reference: (tf, _m, [x]) => [tf.pad(x, [[0, 0], [2, 1], [0, 0]]), x.slice([0, 1, 0], [1, 2, 2]), tf.tile(x.reshape([1, 5, 1, 2]), [1, 1, 3, 1]).reshape([1, 15, 2])],
  }],
  ['RepeatVector', [{ shape: [3] }], (L, [x]) => L.repeatVector({ n: 4 }).apply(x)],
  ['Resizing bilinear and nearest (half-pixel centers, as tf.image.resize)', [{ shape: [3, 4, 2] }], (L, [x]) =>
    [L.resizing({ height: 5, width: 7, name: 'rb' }).apply(x), L.resizing({ height: 5, width: 3, interpolation: 'nearest', name: 'rn' }).apply(x)], {
    reference: (tf, _m, [x]) => [tf.image.resizeBilinear(x, [5, 7], false, true), tf.image.resizeNearestNeighbor(x, [5, 3], false, true)],
  }],
  ['Conv2DTranspose stride larger than kernel, valid', [{ shape: [3, 2, 2] }], (L, [x]) => L.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3 }).apply(x)],
  ['Conv2DTranspose stride larger than kernel, same', [{ shape: [3, 2, 2] }], (L, [x]) => L.conv2dTranspose({ filters: 2, kernelSize: [1, 2], strides: 3, padding: 'same' }).apply(x)],
  ['BatchNormalization without center / scale', [{ shape: [2, 2, 3] }], (L, [x]) => [L.batchNormalization({ center: false }).apply(x), L.batchNormalization({ scale: false }).apply(x)]],
  ['LayerNormalization axes [1, 3] (not contiguous)', [{ shape: [2, 3, 4] }], (L, [x]) => L.layerNormalization({ axis: [1, 3], name: 'ln' }).apply(x), {
    reference: (tf, m, [x]) => {
      const [g, b] = weightsOf(m, 'ln').map((w: any) => w.reshape([1, 2, 1, 4]));
      const { mean, variance } = tf.moments(x, [1, 3], true);
      return [x.sub(mean).mul(tf.rsqrt(variance.add(1e-3))).mul(g).add(b)];
    },
  }],
  // TF.js's global pooling layers have no keepdims: saved with keepdims=True.
  ['GlobalAveragePooling2D / GlobalMaxPooling1D keepdims', [{ shape: [3, 2, 2] }], (L, [x]) => [L.globalAveragePooling2d({ name: 'g2' }).apply(x), L.globalMaxPooling1d({ name: 'g1' }).apply(L.reshape({ targetShape: [6, 2] }).apply(x))], {
    patch: (t) => { layerConfig(t, 'g2').config.keepdims = true; layerConfig(t, 'g1').config.keepdims = true; },
    reference: (_tf, _m, [x]) => [x.mean([1, 2], true), x.reshape([1, 6, 2]).max(1, true)],
  }],
  // Keras puts a lower-rank input's new axes right after the batch axis: [b, 3] with [b, 3, 1] gives [b, 3, 3].
  ['merge layers on inputs of different ranks', [{ shape: [3, 1] }, { shape: [3] }], (L, [a, b]) => [L.add({ name: 'm' }).apply([a, b]), L.multiply().apply([b, a])], {
    reference: (_tf, _m, [a, b]) => [a.add(b.reshape([1, 1, 3])), b.reshape([1, 1, 3]).mul(a)],
  }],
  // Keras activation names TF.js lacks: Activation layers saved with them.
  ['activations TF.js lacks: log_softmax, exponential, hard_swish, leaky_relu, silu', [{ shape: [10] }], (L, [x]) =>
    ['a1', 'a2', 'a3', 'a4', 'a5'].map((name) => L.activation({ activation: 'linear', name }).apply(x)), {
    patch: (t) => ['log_softmax', 'exponential', 'hard_swish', 'leaky_relu', 'silu'].forEach((a, i) => { layerConfig(t, `a${i + 1}`).config.activation = a; }),
    reference: (tf, _m, [x]) => [
      tf.logSoftmax(x), tf.exp(x), x.mul(tf.clipByValue(x.add(3), 0, 6)).div(6), tf.where(tf.greater(x, 0), x, x.mul(0.2)), x.mul(tf.sigmoid(x)),
    ],
  }],
  ['Keras 3 style config: nested models, policies, unknown options', [{ shape: [4, 4, 2] }], (L, [x], tf) => {
    const inner = tf.sequential({ name: 'inner_seq', layers: [L.conv2d({ inputShape: [4, 4, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }), L.flatten()] });
    const fin = tf.input({ shape: [48] });
    const innerF = tf.model({ name: 'inner_fn', inputs: fin, outputs: L.add().apply([L.dense({ units: 4, activation: 'tanh' }).apply(fin), L.dense({ units: 4 }).apply(fin)] as any) as any });
    const y = innerF.apply(inner.apply(x)) as any;
    return [L.dense({ units: 2, activation: 'softmax' }).apply(y), y];
  }, { patch: (t) => toKeras3(t) }],
];

/**
 * Rewrite a TF.js-saved topology as Keras 3 writes its configs: {args, kwargs} inbound nodes with keras_history
 * leaves, batch_shape, DTypePolicy objects, module / registered_name / build_config keys, activations as
 * serialized functions, InputLayers listed in Sequential models, nested Functional models' calls counted from 1
 * (their construction is node 0) and nested Sequential ones from 0. Plus options no converter knows yet.
 */
function toKeras3(topology: any): void {
  const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  const visitModel = (m: any) => {
    const layers = m.config.layers;
    const cls = new Map(layers.map((l: any) => [l.config.name, l.class_name]));
    const nodeOf = (name: string, i: number) => (cls.get(name) === 'Model' ? i : cls.get(name) === 'Sequential' ? i - 1 : i);
    if (m.class_name === 'Sequential' && layers[0].class_name !== 'InputLayer') {
      const shape = layers[0].config.batch_input_shape;
      delete layers[0].config.batch_input_shape;
      layers.unshift({ class_name: 'InputLayer', config: { batch_shape: shape, dtype: 'float32', sparse: false, name: `${m.config.name}_input` } });
    }
    for (const l of layers) {
      if (l.class_name === 'Sequential' || l.class_name === 'Model') visitModel(l);
      if (l.class_name === 'Model') l.class_name = 'Functional';
      const c = l.config;
      Object.assign(l, { module: 'keras.layers', registered_name: null, build_config: { input_shape: [null, 1] } });
      if (c.batch_input_shape) { c.batch_shape = c.batch_input_shape; delete c.batch_input_shape; }
      if (typeof c.activation === 'string') c.activation = { module: 'keras.activations', class_name: 'function', config: c.activation, registered_name: 'function' };
      if (l.class_name !== 'InputLayer') c.dtype = policy;
      c.some_future_option = { nested: [1, 'x', null] };
      if (Array.isArray(l.inbound_nodes)) {
        l.inbound_nodes = l.inbound_nodes.map((node: any[]) => ({
          args: node.map((r: any[]) => ({ class_name: '__keras_tensor__', config: { shape: [null, 1], dtype: 'float32', keras_history: [r[0], nodeOf(r[0], r[1]), r[2]] } })),
          kwargs: { training: false },
        }));
      }
    }
    if (m.config.output_layers) m.config.output_layers = m.config.output_layers.map((r: any[]) => [r[0], nodeOf(r[0], r[1]), r[2]]);
  };
  visitModel(topology.model_config ?? topology);
  topology.keras_version = '3.3.3';
}

const only = process.env.BREADTH_ONLY;
for (const [label, inputs, build, opts] of cases) {
  if (only && !label.includes(only)) continue;
  test(label, () => agree(label, inputs, build, opts));
}

test('unsupported layers, nested ones included, are listed in one error by path and class', async () => {
  const tf = await loadTf();
  const L = tf.layers;
  const x = tf.input({ shape: [4, 3] });
  const inner = tf.sequential({ name: 'inner', layers: [L.dense({ inputShape: [4, 3], units: 3, name: 'd_lora' }), L.layerNormalization({ name: 'ln_rms' })] });
  const y = L.lstm({ units: 2, name: 'lstm' }).apply(inner.apply(x) as any) as any;
  const model = tf.model({ inputs: x, outputs: L.dense({ units: 2, name: 'd_int8' }).apply(y) as any });
  let a: any = null;
  await model.save(tf.io.withSaveHandler(async (s: any) => { a = s; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  const innerCfg = layerConfig(a.modelTopology, 'inner').config.layers;
  innerCfg[0].config.lora_rank = 4;
  innerCfg[1].config.rms_scaling = true;
  layerConfig(a.modelTopology, 'd_int8').config.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'int8_from_float32' } };
  layerConfig(a.modelTopology, 'd_int8').config.some_future_option = [1, 2];
  layerConfig(a.modelTopology, 'lstm').config.stateful = true;
  await assert.rejects(convert(a, { label: 'bad.json' }), (e: Error) => {
    assert.equal(e.name, 'UnsupportedError');
    assert.ok(!e.message.includes('\n'));
    for (const part of ['bad.json', '4 unsupported layers', 'inner/d_lora (Dense: LoRA', 'inner/ln_rms (LayerNormalization: rms_scaling', 'lstm (LSTM', "d_int8 (Dense: Keras-quantized layer (dtype policy 'int8_from_float32')"]) {
      assert.ok(e.message.includes(part), `missing '${part}' in: ${e.message}`);
    }
    return true;
  });
});
