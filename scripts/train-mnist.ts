// Trains the tutorial's model: a small MNIST CNN, with TensorFlow.js on its pure-JS CPU backend, seeded, and
// saves it as a TF.js Layers model (model.json + weights.bin) plus TRAINING.md.
//
//   npm run train:mnist -- [--out DIR] [--epochs N] [--train-images N] [--batch N]
//
// Strided convolutions keep the work small: the CPU backend is the only one that trains convolutions here
// (tfjs-node cannot install, the WASM backend lacks conv gradients); training/tfjs-cpu.ts replaces its slow
// filter-gradient kernel.

import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { openDataset } from '../src/evaluate/datasets/index.js';
import { seededPermutation } from '../src/util/random.js';
import { installFastFilterGradients, saveLayersModel } from './training/tfjs-cpu.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PROJECT_ROOT = (() => {
  let d = here;
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
})();

interface Config { out: string; epochs: number; trainImages: number; batch: number; seed: number; learningRate: number }

function parseArgs(argv: string[]): Config {
  const cfg: Config = { out: path.join(PROJECT_ROOT, 'models', 'mnist-cnn'), epochs: 4, trainImages: 60000, batch: 64, seed: 42, learningRate: 2e-3 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = () => {
      const v = Number(val());
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${a} needs a positive integer`);
      return v;
    };
    if (a === '--out') cfg.out = path.resolve(val());
    else if (a === '--epochs') cfg.epochs = int();
    else if (a === '--train-images') cfg.trainImages = Math.min(int(), 60000);
    else if (a === '--batch') cfg.batch = int();
    else if (a === '--seed') cfg.seed = int();
    else throw new Error(`unknown option ${a} (options: --out DIR, --epochs N, --train-images N, --batch N, --seed N)`);
  }
  return cfg;
}

// ---------------------------------------------------------------------------------------------- model + data

function buildModel(seed: number): tf.Sequential {
  let s = seed;
  const init = () => tf.initializers.heNormal({ seed: s++ });
  return tf.sequential({
    name: 'mnist_cnn',
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init() }),
      tf.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init() }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'dense', units: 32, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dense({ name: 'logits', units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: s++ }) }),
      tf.layers.softmax({ name: 'softmax' }),
    ],
  });
}

async function loadMnist(part: 'train' | 'test', limit?: number): Promise<{ x: Float32Array; y: Int32Array; n: number }> {
  const ds = await openDataset(`mnist:${part}`, { inputShapes: [[1, 28, 28, 1]], limit });
  const x = new Float32Array(ds.size * 784);
  const y = new Int32Array(ds.size);
  let i = 0;
  for await (const s of ds) { x.set(s.inputs[0], i * 784); y[i] = s.label!; i++; }
  return { x, y, n: i };
}

async function accuracy(model: tf.LayersModel, data: { x: Float32Array; y: Int32Array; n: number }): Promise<number> {
  let correct = 0;
  const bs = 500;
  for (let i = 0; i < data.n; i += bs) {
    const m = Math.min(bs, data.n - i);
    const pred = tf.tidy(() => (model.predict(tf.tensor4d(data.x.subarray(i * 784, (i + m) * 784), [m, 28, 28, 1])) as tf.Tensor).argMax(-1));
    const p = (await pred.data()) as Int32Array;
    pred.dispose();
    for (let k = 0; k < m; k++) if (p[k] === data.y[i + k]) correct++;
  }
  return correct / data.n;
}

const fmtTime = (ms: number) => `${Math.floor(ms / 60000)}m${String(Math.round((ms % 60000) / 1000)).padStart(2, '0')}s`;

async function main(): Promise<void> {
  const cfg = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const loadAtStart = os.loadavg()[0];
  await tf.setBackend('cpu');
  installFastFilterGradients();
  const train = await loadMnist('train', cfg.trainImages);
  const test = await loadMnist('test');
  const model = buildModel(cfg.seed);
  const params = model.countParams();
  console.log(`MNIST CNN: ${params} parameters; ${train.n} training images x ${cfg.epochs} epochs, batch ${cfg.batch}, seed ${cfg.seed}; TF.js ${tf.version.tfjs} backend ${tf.getBackend()}`);
  const batchesPerEpoch = Math.ceil(train.n / cfg.batch);
  const totalSteps = batchesPerEpoch * cfg.epochs;
  const optimizer = tf.train.adam(cfg.learningRate);
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const xb = new Float32Array(cfg.batch * 784);
  const yb = new Float32Array(cfg.batch);
  let step = 0;
  const trainStart = Date.now();
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const order = seededPermutation(train.n, cfg.seed * 1000 + epoch);
    let lossSum = 0, accSum = 0, seen = 0;
    for (let bi = 0; bi < batchesPerEpoch; bi++) {
      // Cosine decay of the learning rate over all steps: large steps first, fine ones at the end.
      // (AdamOptimizer reads its learningRate field at every step; TS marks it protected.)
      (optimizer as unknown as { learningRate: number }).learningRate = cfg.learningRate * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps));
      const m = Math.min(cfg.batch, train.n - bi * cfg.batch);
      for (let k = 0; k < m; k++) {
        const src = order[bi * cfg.batch + k];
        xb.set(train.x.subarray(src * 784, (src + 1) * 784), k * 784);
        yb[k] = train.y[src];
      }
      const xs = tf.tensor4d(xb.subarray(0, m * 784), [m, 28, 28, 1]);
      const ys = tf.tensor2d(yb.subarray(0, m), [m, 1]);
      const [loss, acc] = (await model.trainOnBatch(xs, ys)) as number[];
      xs.dispose(); ys.dispose();
      lossSum += loss * m; accSum += acc * m; seen += m; step++;
      if (bi % 50 === 49 || bi === batchesPerEpoch - 1) {
        const elapsed = Date.now() - trainStart;
        const eta = (elapsed / step) * (totalSteps - step);
        console.log(`epoch ${epoch + 1}/${cfg.epochs} batch ${bi + 1}/${batchesPerEpoch}  loss ${(lossSum / seen).toFixed(4)}  acc ${(accSum / seen * 100).toFixed(2)}%  elapsed ${fmtTime(Date.now() - started)}  eta ${fmtTime(eta)}`);
      }
    }
  }
  const trainMs = Date.now() - trainStart;
  console.log('evaluating on the 10,000 MNIST test images ...');
  const testAcc = await accuracy(model, test);
  const sizes = await saveLayersModel(model, cfg.out);
  const totalMs = Date.now() - started;
  console.log(`test accuracy ${(testAcc * 100).toFixed(2)}%  (training ${fmtTime(trainMs)}, total ${fmtTime(totalMs)})`);
  console.log(`wrote ${path.join(cfg.out, 'model.json')} (${sizes.jsonBytes} B) and weights.bin (${sizes.weightBytes} B)`);

  const layers = model.layers.map((l) => {
    const cfgL = l.getConfig() as Record<string, unknown>;
    const detail = l.getClassName() === 'Conv2D' ? `${cfgL.filters} filters ${(cfgL.kernelSize as number[]).join('x')}, strides ${(cfgL.strides as number[]).join('x')}, padding ${cfgL.padding}, ${cfgL.activation}`
      : l.getClassName() === 'Dense' ? `${cfgL.units} units, ${cfgL.activation}` : '';
    return `| ${l.name} | ${l.getClassName()} | ${detail} | ${JSON.stringify(l.outputShape)} | ${l.countParams()} |`;
  });
  const md = `# mnist-cnn

The tutorial's model, written by \`npm run train:mnist\` (\`scripts/train-mnist.ts\`): a small CNN trained with
TensorFlow.js on its pure-JS CPU backend. Input: [batch, 28, 28, 1] float32, pixel / 255. Output: [batch, 10]
class probabilities (softmax).

| layer | type | configuration | output shape | parameters |
| --- | --- | --- | --- | --- |
${layers.join('\n')}

- Parameters: ${params} (weights.bin ${sizes.weightBytes} bytes, model.json ${sizes.jsonBytes} bytes)
- Training: ${train.n} MNIST training images, ${cfg.epochs} epochs, batch ${cfg.batch}, Adam with learning rate ${cfg.learningRate}
  and cosine decay to 0, sparse categorical cross-entropy; seed ${cfg.seed} (He/Glorot initializers, data order)
- TF.js ${tf.version.tfjs}, backend ${tf.getBackend()}, Node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}
- Time: training ${fmtTime(trainMs)}, whole script ${fmtTime(totalMs)} (1-minute load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end: other work shared the cores)
- **Test accuracy (10,000 MNIST test images, measured by TF.js): ${(testAcc * 100).toFixed(2)} %**
`;
  fs.writeFileSync(path.join(cfg.out, 'TRAINING.md'), md);
}

main().catch((e) => {
  console.error(`train-mnist: ${(e as Error).message}`);
  process.exit(1);
});
