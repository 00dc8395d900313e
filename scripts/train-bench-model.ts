// Trains one of the PTQ benchmark's own models with TensorFlow.js on its pure-JS CPU backend, seeded, on
// TRAIN[0:50000] (so TRAIN[50000:60000] stays a clean validation range), and writes models/<name>/ (TF.js Layers
// model.json + weights.bin + TRAINING.md).
//
//   node --import tsx scripts/train-bench-model.ts NAME [--epochs N] [--batch N] [--seed N] [--out DIR]
//
// NAME: fashion-dscnn (depthwise-separable CNN with BatchNormalization and ReLU on Fashion-MNIST),
// mnist-attention (a one-block transformer encoder over the 28 rows of an MNIST digit; fashion-attention: the same
// on Fashion-MNIST) or fashion-mlp-ln (an MLP
// with LayerNormalization on Fashion-MNIST).

import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import {
  PROJECT_ROOT, accuracy, fmtTime, installFastElementwiseKernels, installFastFilterGradients, loadLabelledImages, saveLayersModel, trainClassifier,
  type TrainConfig,
} from './training/tfjs-cpu.js';

interface BenchModelRecipe {
  description: string;
  dataset: 'mnist' | 'fashion-mnist';
  /** Shape of one sample as the model takes it. */
  sampleShape: number[];
  train: TrainConfig;
  build(seed: number): tf.LayersModel;
}

/** MobileNet-style blocks: 3x3 depthwise then 1x1 pointwise convolution, each followed by BatchNorm and ReLU. */
function buildFashionDsCnn(seed: number): tf.LayersModel {
  let s = seed;
  const he = () => tf.initializers.heNormal({ seed: s++ });
  const layers: tf.layers.Layer[] = [];
  const bnRelu = (name: string) => {
    layers.push(tf.layers.batchNormalization({ name: `${name}_bn`, momentum: 0.9 }));
    layers.push(tf.layers.reLU({ name: `${name}_relu` }));
  };
  layers.push(tf.layers.conv2d({ name: 'stem', inputShape: [28, 28, 1], filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: he() }));
  bnRelu('stem');
  const block = (name: string, filters: number, strides: number) => {
    layers.push(tf.layers.depthwiseConv2d({ name: `${name}_dw`, kernelSize: 3, strides, padding: 'same', useBias: false, depthwiseInitializer: he() }));
    bnRelu(`${name}_dw`);
    layers.push(tf.layers.conv2d({ name: `${name}_pw`, filters, kernelSize: 1, useBias: false, kernelInitializer: he() }));
    bnRelu(`${name}_pw`);
  };
  block('block1', 32, 2); // 7x7x32
  block('block2', 64, 1); // 7x7x64
  block('block3', 64, 1); // 7x7x64
  layers.push(tf.layers.globalAveragePooling2d({ name: 'pool' }));
  layers.push(tf.layers.dense({ name: 'logits', units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: s++ }) }));
  layers.push(tf.layers.softmax({ name: 'softmax' }));
  return tf.sequential({ name: 'fashion_dscnn', layers });
}

/**
 * Pre-norm transformer encoder blocks over the digit's rows: Conv1D row embedding (3 rows wide, so the order of
 * rows is seen), then per block LayerNorm, single-head self-attention from Dense projections (scores = Q·K^T with
 * `dot`, softmax, then ·V with `dot`), residual, LayerNorm, ReLU MLP, residual; then a final LayerNorm, mean over
 * rows, Dense softmax. Layers of blocks after the first carry the block number (`attn_norm_2`, ...).
 */
function buildRowAttention(seed: number, width = 32, blocks = 1): tf.LayersModel {
  let s = seed;
  const glorot = () => tf.initializers.glorotUniform({ seed: s++ });
  const input = tf.input({ shape: [28, 28], name: 'rows' });
  let x = tf.layers.conv1d({ name: 'embed', filters: width, kernelSize: 3, padding: 'same', kernelInitializer: glorot() }).apply(input) as tf.SymbolicTensor;
  for (let b = 1; b <= blocks; b++) {
    const n = (name: string) => (b === 1 ? name : `${name}_${b}`);
    const dense = (name: string, units: number, v: tf.SymbolicTensor, activation?: 'relu') =>
      tf.layers.dense({ name: n(name), units, activation, kernelInitializer: glorot() }).apply(v) as tf.SymbolicTensor;
    const ln = (name: string, v: tf.SymbolicTensor) => tf.layers.layerNormalization({ name: n(name), axis: -1 }).apply(v) as tf.SymbolicTensor;
    const h = ln('attn_norm', x);
    const q = dense('query', width, h), k = dense('key', width, h), v = dense('value', width, h);
    const scores = tf.layers.dot({ name: n('scores'), axes: [2, 2] }).apply([q, k]) as tf.SymbolicTensor; // [B, 28, 28]
    const weights = tf.layers.activation({ name: n('attention'), activation: 'softmax' }).apply(scores) as tf.SymbolicTensor;
    const mixed = tf.layers.dot({ name: n('mixed'), axes: [2, 1] }).apply([weights, v]) as tf.SymbolicTensor; // [B, 28, width]
    x = tf.layers.add({ name: n('attn_residual') }).apply([x, dense('attn_out', width, mixed)]) as tf.SymbolicTensor;
    const f = dense('mlp_out', width, dense('mlp_in', 2 * width, ln('mlp_norm', x), 'relu'));
    x = tf.layers.add({ name: n('mlp_residual') }).apply([x, f]) as tf.SymbolicTensor;
  }
  x = tf.layers.layerNormalization({ name: 'final_norm', axis: -1 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling1d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'logits', units: 10, activation: 'softmax', kernelInitializer: glorot() }).apply(x) as tf.SymbolicTensor;
  return tf.model({ name: 'row_attention', inputs: input, outputs: out });
}

/** A plain MLP with LayerNormalization before each ReLU, as in MLP blocks of normalized networks. */
function buildFashionMlpLn(seed: number): tf.LayersModel {
  let s = seed;
  const he = () => tf.initializers.heNormal({ seed: s++ });
  return tf.sequential({
    name: 'fashion_mlp_ln',
    layers: [
      tf.layers.flatten({ name: 'flatten', inputShape: [28, 28, 1] }),
      tf.layers.dense({ name: 'dense1', units: 256, kernelInitializer: he() }),
      tf.layers.layerNormalization({ name: 'norm1' }),
      tf.layers.reLU({ name: 'relu1' }),
      tf.layers.dense({ name: 'dense2', units: 128, kernelInitializer: he() }),
      tf.layers.layerNormalization({ name: 'norm2' }),
      tf.layers.reLU({ name: 'relu2' }),
      tf.layers.dense({ name: 'logits', units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: s++ }) }),
      tf.layers.softmax({ name: 'softmax' }),
    ],
  });
}

const RECIPES: Record<string, BenchModelRecipe> = {
  'fashion-mlp-ln': {
    description: 'MLP (Dense 256, Dense 128) with LayerNormalization before each ReLU on Fashion-MNIST',
    dataset: 'fashion-mnist',
    sampleShape: [28, 28, 1],
    train: { epochs: 1, batch: 128, seed: 42, learningRate: 2e-3 },
    build: buildFashionMlpLn,
  },
  'fashion-dscnn': {
    description: 'depthwise-separable CNN (MobileNet-style blocks, BatchNormalization, plain ReLU) on Fashion-MNIST',
    dataset: 'fashion-mnist',
    sampleShape: [28, 28, 1],
    train: { epochs: 1, batch: 128, seed: 42, learningRate: 4e-3 },
    build: buildFashionDsCnn,
  },
  'fashion-attention': {
    description: 'one-block transformer encoder (LayerNormalization, single-head self-attention from Dense + Dot) over Fashion-MNIST rows',
    dataset: 'fashion-mnist',
    sampleShape: [28, 28],
    train: { epochs: 1, batch: 128, seed: 42, learningRate: 3e-3 },
    build: (seed) => buildRowAttention(seed),
  },
  'mnist-attention-wide': {
    description: 'the mnist-attention block at width 64 (twice as wide) over MNIST rows',
    dataset: 'mnist',
    sampleShape: [28, 28],
    train: { epochs: 1, batch: 128, seed: 42, learningRate: 3e-3 },
    build: (seed) => buildRowAttention(seed, 64),
  },
  'mnist-attention-2block': {
    description: 'two-block transformer encoder (the mnist-attention block twice) over MNIST rows',
    dataset: 'mnist',
    sampleShape: [28, 28],
    train: { epochs: 1, batch: 128, seed: 42, learningRate: 3e-3 },
    build: (seed) => buildRowAttention(seed, 32, 2),
  },
  'mnist-attention': {
    description: 'one-block transformer encoder (LayerNormalization, single-head self-attention from Dense + Dot) over MNIST rows',
    dataset: 'mnist',
    sampleShape: [28, 28],
    train: { epochs: 1, batch: 128, seed: 42, learningRate: 3e-3 },
    build: (seed) => buildRowAttention(seed),
  },
};

function parseArgs(argv: string[]): { name: string; out: string; train: TrainConfig; trainImages: number } {
  const name = argv[0];
  const recipe = name === undefined ? undefined : RECIPES[name];
  if (!recipe) throw new Error(`first argument: one of ${Object.keys(RECIPES).join(', ')}`);
  const train = { ...recipe.train };
  let out = path.join(PROJECT_ROOT, 'models', name);
  let trainImages = 50000;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    const n = Number(v);
    if (a === '--out') { out = path.resolve(v); continue; }
    if (!(n > 0)) throw new Error(`${a} needs a positive number`);
    if (a === '--epochs') train.epochs = n;
    else if (a === '--batch') train.batch = n;
    else if (a === '--seed') train.seed = n;
    else if (a === '--lr') train.learningRate = n;
    else if (a === '--train-images') trainImages = Math.min(50000, Math.floor(n));
    else throw new Error(`unknown option ${a} (options: --epochs N, --batch N, --seed N, --lr X, --train-images N, --out DIR)`);
  }
  return { name, out, train, trainImages };
}

function describeLayers(model: tf.LayersModel): string[] {
  return model.layers.map((l) => {
    const c = l.getConfig() as Record<string, unknown>;
    const bits: string[] = [];
    if (c.filters !== undefined) bits.push(`${c.filters} filters`);
    if (c.kernelSize !== undefined) bits.push(`kernel ${([] as unknown[]).concat(c.kernelSize).join('x')}`);
    if (c.strides !== undefined && ([] as unknown[]).concat(c.strides).some((v) => v !== 1)) bits.push(`strides ${([] as unknown[]).concat(c.strides).join('x')}`);
    if (c.units !== undefined) bits.push(`${c.units} units`);
    if (c.axes !== undefined) bits.push(`axes ${JSON.stringify(c.axes)}`);
    if (typeof c.activation === 'string' && c.activation !== 'linear') bits.push(c.activation);
    return `| ${l.name} | ${l.getClassName()} | ${bits.join(', ')} | ${JSON.stringify(l.outputShape)} | ${l.countParams()} |`;
  });
}

/** Where one training step's time goes, per TF.js kernel (PROFILE_KERNELS=1): to keep the models trainable here. */
async function profileKernels(model: tf.LayersModel, train: Awaited<ReturnType<typeof loadLabelledImages>>, sampleShape: number[], cfg: TrainConfig): Promise<void> {
  model.compile({ optimizer: tf.train.adam(cfg.learningRate), loss: 'sparseCategoricalCrossentropy' });
  const xs = tf.tensor(train.x.subarray(0, cfg.batch * train.pixels), [cfg.batch, ...sampleShape]);
  const ys = tf.tensor2d(Float32Array.from(train.y.subarray(0, cfg.batch)), [cfg.batch, 1]);
  await model.trainOnBatch(xs, ys);
  const t0 = Date.now();
  const info = await tf.profile(async () => { await model.trainOnBatch(xs, ys); });
  const byKernel = new Map<string, number>();
  for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  console.log(`one step ${Date.now() - t0} ms; by kernel:`);
  for (const [k, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${k.padEnd(40)} ${ms.toFixed(1)} ms`);
}

async function main(): Promise<void> {
  const { name, out, train: cfg, trainImages } = parseArgs(process.argv.slice(2));
  const recipe = RECIPES[name]!;
  const started = Date.now();
  const loadAtStart = os.loadavg()[0];
  await tf.setBackend('cpu');
  installFastFilterGradients();
  installFastElementwiseKernels();
  const trainSpec = `${recipe.dataset}:train[0:${trainImages}]`, valSpec = `${recipe.dataset}:train[50000:60000]`, testSpec = `${recipe.dataset}:test`;
  const train = await loadLabelledImages(trainSpec);
  const model = recipe.build(cfg.seed);
  const params = model.countParams();
  if (process.env.PROFILE_KERNELS) return profileKernels(model, train, recipe.sampleShape, cfg);
  console.log(`${name}: ${params} parameters; ${train.n} images (${trainSpec}) x ${cfg.epochs} epochs, batch ${cfg.batch}, seed ${cfg.seed}; TF.js ${tf.version.tfjs} backend ${tf.getBackend()}`);
  const trainMs = await trainClassifier(model, train, recipe.sampleShape, cfg);
  const valAcc = await accuracy(model, await loadLabelledImages(valSpec), recipe.sampleShape);
  const testAcc = await accuracy(model, await loadLabelledImages(testSpec), recipe.sampleShape);
  const sizes = await saveLayersModel(model, out);
  const totalMs = Date.now() - started;
  console.log(`validation ${(valAcc * 100).toFixed(2)}%  test ${(testAcc * 100).toFixed(2)}%  (training ${fmtTime(trainMs)}, total ${fmtTime(totalMs)})`);
  const md = `# ${name}

A PTQ benchmark model: ${recipe.description}. Trained by our own script with TensorFlow.js on its pure-JS CPU
backend, seeded:

    node --import tsx scripts/train-bench-model.ts ${name} --epochs ${cfg.epochs} --batch ${cfg.batch} --seed ${cfg.seed} --lr ${cfg.learningRate}

Input: [batch, ${recipe.sampleShape.join(', ')}] float32, pixel / 255 (spec \`${recipe.dataset}:...\`). Output: [batch, 10]
class probabilities (softmax).

| layer | type | configuration | output shape | parameters |
| --- | --- | --- | --- | --- |
${describeLayers(model).join('\n')}

- Parameters: ${params} (weights.bin ${sizes.weightBytes} bytes, model.json ${sizes.jsonBytes} bytes)
- Data: trained on \`${trainSpec}\` only; \`${valSpec}\` is unseen validation data, \`${testSpec}\` the test split
- Training: ${cfg.epochs} epochs, batch ${cfg.batch}, Adam with learning rate ${cfg.learningRate} and cosine decay to 0,
  sparse categorical cross-entropy; seed ${cfg.seed} (initializers, data order)
- TF.js ${tf.version.tfjs}, backend ${tf.getBackend()}, Node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}
- Time: training ${fmtTime(trainMs)}, whole script ${fmtTime(totalMs)} (1-minute load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end: other work shared the cores)
- **Float accuracy measured by TF.js: validation ${(valAcc * 100).toFixed(2)} %, test ${(testAcc * 100).toFixed(2)} %**
`;
  fs.writeFileSync(path.join(out, 'TRAINING.md'), md);
}

main().catch((e) => {
  console.error(`train-bench-model: ${(e as Error).stack ?? (e as Error).message}`);
  process.exit(1);
});
