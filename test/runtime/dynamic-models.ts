// TF.js Layers models whose input is [null, null, null, 3] (unknown height and width), with seeded weights, for the
// dynamic-shape tests: a classifier (global pooling then Dense), a fully convolutional one, and one with an
// upsampling, a Concatenate skip and an Add skip.
import { loadTf, saveArtifacts, seedWeights } from '../importers/tfjs-reference.js';

export type DynamicModelKind = 'classifier' | 'fully-conv' | 'skip';

export async function buildDynamicModel(kind: DynamicModelKind, seed = 7) {
  const tf = await loadTf();
  const L = tf.layers;
  const input = tf.input({ shape: [null, null, 3], name: 'image' } as any);
  const conv1 = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'conv1' }).apply(input) as any;
  const relu = L.reLU({ name: 'relu' }).apply(conv1) as any;
  const dw = L.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu', name: 'dw' }).apply(relu) as any;
  let out: any;
  if (kind === 'classifier') {
    const pool = L.maxPooling2d({ poolSize: 2, padding: 'same', name: 'pool' }).apply(dw) as any;
    const conv2 = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv2' }).apply(pool) as any;
    const gap = L.globalAveragePooling2d({ name: 'gap' }).apply(conv2) as any;
    out = L.dense({ units: 5, activation: 'softmax', name: 'dense' }).apply(gap) as any;
  } else if (kind === 'fully-conv') {
    const pool = L.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid', name: 'pool' }).apply(dw) as any;
    const conv2 = L.conv2d({ filters: 4, kernelSize: 3, padding: 'valid', activation: 'relu', name: 'conv2' }).apply(pool) as any;
    out = L.conv2d({ filters: 3, kernelSize: 1, activation: 'softmax', name: 'head' }).apply(conv2) as any;
  } else {
    const pool = L.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(dw) as any;
    const conv2 = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv2' }).apply(pool) as any;
    const up = L.upSampling2d({ size: [2, 2], name: 'up' }).apply(conv2) as any;
    const pad = L.zeroPadding2d({ padding: [[0, 0], [0, 0]], name: 'pad' }).apply(up) as any;
    const cat = L.concatenate({ name: 'cat' }).apply([pad, relu]) as any;
    const conv3 = L.conv2d({ filters: 6, kernelSize: 1, name: 'conv3' }).apply(cat) as any;
    const add = L.add({ name: 'add' }).apply([conv3, relu]) as any;
    const crop = L.cropping2D({ cropping: [[1, 0], [0, 1]], name: 'crop' }).apply(add) as any;
    out = L.conv2d({ filters: 2, kernelSize: 1, name: 'head' }).apply(crop) as any;
  }
  const model = tf.model({ inputs: input, outputs: out });
  await seedWeights(model, seed);
  return { tf, model, artifacts: await saveArtifacts(model) };
}
