// Models the benchmark builds itself (deterministic, seeded, no downloads), besides the corpus files:
//  - MobileNetV2 (alpha 0.35, 96x96x3, 1000 classes): Keras' layout (stem conv, 17 inverted residual blocks with
//    ReLU6 and linear bottlenecks, 1280-channel head), made with TF.js layers and seeded weights, converted by
//    convert(); then its int8 quantization (float I/O, 20 seeded calibration inputs) and its float16-weight version;
//  - the tutorial pair: models/mnist-cnn converted to float, and quantized to int8 with uint8 I/O as `tutorial` does.

import type { Model } from '../src/graph/model.js';
import { convert } from '../src/convert.js';
import { writeModel } from '../src/format/index.js';
import { quantize } from '../src/quantize/index.js';
import { mulberry32 } from '../src/util/random.js';
import { tutorialFloatModel, tutorialInt8Model } from '../src/cli/tutorial.js';

export interface BuiltModel {
  name: string;
  what: string;
  bytes: Uint8Array;
}

export const MOBILENET = 'built/mobilenetv2_0.35_96';
export const MNIST = 'built/mnist_cnn';
/** Names of every model buildBenchModels() can make, so a filter can skip the building. */
export const BUILT_NAMES = [`${MOBILENET}_float`, `${MOBILENET}_int8`, `${MOBILENET}_float16`, `${MNIST}_float`, `${MNIST}_int8_uint8io`];

type Tf = typeof import('@tensorflow/tfjs');

async function loadTf(): Promise<Tf> {
  // The CPU backend prints a banner on its first use: keep the bench output clean.
  const warn = console.warn, log = console.log;
  console.warn = () => {};
  console.log = () => {};
  try {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    await tf.ready();
    tf.tensor([1]).dataSync();
    return tf;
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

/** Keras' _make_divisible: channel counts rounded to multiples of 8, never below 90 % of the request. */
function makeDivisible(v: number, divisor = 8): number {
  const n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return n < 0.9 * v ? n + divisor : n;
}

/** MobileNetV2 as keras.applications builds it, at any alpha and square input size (even sizes). */
function mobileNetV2(tf: Tf, alpha: number, size: number, classes: number) {
  const L = tf.layers;
  type T = ReturnType<typeof tf.input>;
  const bn = (name: string) => L.batchNormalization({ epsilon: 1e-3, momentum: 0.999, name });
  const relu6 = (name: string) => L.reLU({ maxValue: 6, name });
  const input = tf.input({ shape: [size, size, 3], name: 'input' });
  let x: T = L.conv2d({ filters: makeDivisible(32 * alpha), kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'Conv1' }).apply(input) as T;
  x = bn('bn_Conv1').apply(x) as T;
  x = relu6('Conv1_relu').apply(x) as T;
  let channels = makeDivisible(32 * alpha);
  let spatial = size / 2;
  let block = 0;
  const invertedResidual = (filters: number, stride: number, expansion: number) => {
    const out = makeDivisible(filters * alpha);
    const p = block === 0 ? 'expanded_conv_' : `block_${block}_`;
    let y = x;
    if (block > 0) {
      y = L.conv2d({ filters: expansion * channels, kernelSize: 1, padding: 'same', useBias: false, name: `${p}expand` }).apply(y) as T;
      y = bn(`${p}expand_BN`).apply(y) as T;
      y = relu6(`${p}expand_relu`).apply(y) as T;
    }
    if (stride === 2) {
      // Keras' correct_pad for an even input: one row/column after, none before.
      const adjust = spatial % 2 === 0 ? 1 : 0;
      y = L.zeroPadding2d({ padding: [[1 - adjust, 1], [1 - adjust, 1]], name: `${p}pad` }).apply(y) as T;
      spatial = Math.ceil(spatial / 2);
    }
    y = L.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: stride === 1 ? 'same' : 'valid', useBias: false, name: `${p}depthwise` }).apply(y) as T;
    y = bn(`${p}depthwise_BN`).apply(y) as T;
    y = relu6(`${p}depthwise_relu`).apply(y) as T;
    y = L.conv2d({ filters: out, kernelSize: 1, padding: 'same', useBias: false, name: `${p}project` }).apply(y) as T;
    y = bn(`${p}project_BN`).apply(y) as T;
    if (channels === out && stride === 1) y = L.add({ name: `${p}add` }).apply([x, y]) as T;
    x = y;
    channels = out;
    block++;
  };
  // (filters, stride, expansion, repeats) of keras.applications.MobileNetV2.
  const stages: [number, number, number, number][] = [[16, 1, 1, 1], [24, 2, 6, 2], [32, 2, 6, 3], [64, 2, 6, 4], [96, 1, 6, 3], [160, 2, 6, 3], [320, 1, 6, 1]];
  for (const [filters, stride, expansion, repeats] of stages) {
    for (let r = 0; r < repeats; r++) invertedResidual(filters, r === 0 ? stride : 1, expansion);
  }
  const head = alpha > 1 ? makeDivisible(1280 * alpha) : 1280;
  x = L.conv2d({ filters: head, kernelSize: 1, useBias: false, name: 'Conv_1' }).apply(x) as T;
  x = bn('Conv_1_bn').apply(x) as T;
  x = relu6('out_relu').apply(x) as T;
  x = L.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(x) as T;
  x = L.dense({ units: classes, activation: 'softmax', name: 'predictions' }).apply(x) as T;
  return tf.model({ inputs: input, outputs: x, name: `mobilenetv2_${alpha}_${size}` });
}

/**
 * Seeded weights in the ranges a trained network has: kernels uniform with variance 1/fan-in (a depthwise kernel's
 * fan-in is its window), BatchNorm gamma near 1, small beta and mean, variance in [0.5, 1.5].
 */
function seedWeights(tf: Tf, model: ReturnType<Tf['model']>, seed: number): void {
  const rnd = mulberry32(seed);
  for (const layer of model.layers) {
    if (!layer.weights.length) continue;
    // A larger classifier gain spreads the logits as training does, so softmax is not flat (and int8 not all zero).
    const gain = layer.name === 'predictions' ? 6 : 1;
    layer.setWeights(layer.weights.map((w) => {
      const shape = w.shape as number[];
      const size = shape.reduce((a, d) => a * d, 1);
      const leaf = w.name.split('/').pop() ?? '';
      const fanIn = leaf.startsWith('depthwise_kernel') ? shape[0] * shape[1] : shape.slice(0, -1).reduce((a, d) => a * d, 1);
      const gen: () => number = leaf.startsWith('gamma') ? () => 0.8 + 0.4 * rnd()
        : leaf.startsWith('moving_variance') ? () => 0.5 + rnd()
        : leaf.startsWith('beta') || leaf.startsWith('moving_mean') || leaf.startsWith('bias') ? () => 0.2 * rnd() - 0.1
        : () => (2 * rnd() - 1) * gain * Math.sqrt(3 / fanIn);
      return tf.tensor(Float32Array.from({ length: size }, gen), shape);
    }));
  }
}

async function toArtifacts(tf: Tf, model: ReturnType<Tf['model']>) {
  let artifacts: any = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } };
  }));
  return artifacts;
}

/** `count` seeded inputs in MobileNetV2's [-1, 1] preprocessing range. */
function calibrationInputs(shape: number[], count: number, seed: number): Float32Array[][] {
  const rnd = mulberry32(seed);
  const n = shape.reduce((a, d) => a * d, 1);
  return Array.from({ length: count }, () => [Float32Array.from({ length: n }, () => 2 * rnd() - 1)]);
}

/** Builds the wanted models (all by default); a few seconds. */
export async function buildBenchModels(wanted: (name: string) => boolean = () => true): Promise<BuiltModel[]> {
  const out: BuiltModel[] = [];
  const want = (suffix: string, base: string) => wanted(`${base}_${suffix}`);
  if (['float', 'int8', 'float16'].some((s) => want(s, MOBILENET))) {
    const tf = await loadTf();
    const keras = mobileNetV2(tf, 0.35, 96, 1000);
    seedWeights(tf, keras, 0x3b1e);
    const artifacts = await toArtifacts(tf, keras);
    keras.dispose();
    const float: Model = (await convert(artifacts, { label: 'mobilenetv2_0.35_96' })).model;
    const what = 'MobileNetV2 a=0.35 96x96x3, 17 blocks, seeded weights';
    if (want('float', MOBILENET)) out.push({ name: `${MOBILENET}_float`, what: `${what}, float32`, bytes: writeModel(float) });
    if (want('int8', MOBILENET)) {
      const sg = float.subgraphs[0];
      const { model } = await quantize(float, {
        mode: 'int8', inputType: 'float32', outputType: 'float32', samples: 20,
        representativeDataset: calibrationInputs(sg.tensors[sg.inputs[0]].shape, 20, 0xca1b),
      });
      out.push({ name: `${MOBILENET}_int8`, what: `${what}, int8 (float I/O, 20 calibration inputs)`, bytes: writeModel(model) });
    }
    if (want('float16', MOBILENET)) {
      const { model } = await quantize(float, { mode: 'float16' });
      out.push({ name: `${MOBILENET}_float16`, what: `${what}, float16 weights`, bytes: writeModel(model) });
    }
  }
  if (want('float', MNIST) || want('int8_uint8io', MNIST)) {
    const float = (await tutorialFloatModel()).model;
    if (want('float', MNIST)) out.push({ name: `${MNIST}_float`, what: 'tutorial CNN (models/mnist-cnn), float32', bytes: writeModel(float) });
    if (want('int8_uint8io', MNIST)) {
      const { model } = await tutorialInt8Model(float);
      out.push({ name: `${MNIST}_int8_uint8io`, what: 'tutorial CNN, int8 with uint8 I/O (100 MNIST training images)', bytes: writeModel(model) });
    }
  }
  return out;
}
