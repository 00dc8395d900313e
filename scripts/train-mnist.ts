// Trains the tutorial's model: a small MNIST CNN, with TensorFlow.js on its pure-JS CPU backend, seeded, and
// saves it as a TF.js Layers model (model.json + weights.bin) plus TRAINING.md.
//
//   npm run train:mnist -- [--out DIR] [--epochs N] [--train-images N] [--batch N]
//
// Strided convolutions keep the work small: the CPU backend is the only one that trains convolutions here
// (tfjs-node cannot install, the WASM backend lacks conv gradients). Its Conv2DBackpropFilter kernel reads
// every element through TensorBuffer.get and is ~50x slower than the forward convolution, so we register a
// direct-loop kernel with the same arithmetic (dW[kh,kw,ci,co] = sum over batch and output positions of
// x[..., ci] * dy[..., co]), checked against the built-in kernel on a random case before training.

import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { openDataset } from '../src/evaluate/datasets/index.js';
import { seededPermutation } from '../src/util/random.js';

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

// ------------------------------------------------------------------------------------- faster filter gradient

type CpuBackend = { data: { get(id: object): { values: Float32Array } }; makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };

function conv2dBackpropFilterFast(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const x = args.inputs.x!, dy = args.inputs.dy!;
  const backend = args.backend as CpuBackend;
  const attrs = args.attrs as unknown as { strides: [number, number] | number; pad: 'same' | 'valid' | number; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
  if (attrs.dataFormat === 'NCHW') throw new Error('conv2dBackpropFilterFast: NCHW is not used by this script');
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: ci, outHeight, outWidth, outChannels: co, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  const xv = backend.data.get(x.dataId).values;
  const dyv = backend.data.get(dy.dataId).values;
  const dw = new Float32Array(filterHeight * filterWidth * ci * co);
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyAt = ((b * outHeight + oy) * outWidth + ox) * co;
        for (let kh = 0; kh < filterHeight; kh++) {
          const iy = oy * strideHeight + kh - top;
          if (iy < 0 || iy >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const ix = ox * strideWidth + kw - left;
            if (ix < 0 || ix >= inWidth) continue;
            const xAt = ((b * inHeight + iy) * inWidth + ix) * ci;
            const wAt = (kh * filterWidth + kw) * ci * co;
            for (let c = 0; c < ci; c++) {
              const xval = xv[xAt + c];
              if (xval === 0) continue; // ReLU outputs and MNIST borders are mostly zero
              const row = wAt + c * co;
              for (let o = 0; o < co; o++) dw[row + o] += xval * dyv[dyAt + o];
            }
          }
        }
      }
    }
  }
  return backend.makeTensorInfo(attrs.filterShape, 'float32', dw);
}

/** Replaces the CPU Conv2DBackpropFilter kernel after checking it against the built-in one. */
function installFastFilterGradient(): void {
  const builtin = tf.getKernel('Conv2DBackpropFilter', 'cpu');
  if (!builtin) throw new Error('TF.js CPU backend has no Conv2DBackpropFilter kernel');
  for (const [strides, pad] of [[2, 'same'], [1, 'valid'], [2, 'valid']] as const) {
    const x = tf.randomNormal([2, 9, 8, 3], 0, 1, 'float32', 7);
    const dy = tf.randomNormal(tf.conv2d(x as tf.Tensor4D, tf.zeros([3, 3, 3, 4]) as tf.Tensor4D, strides, pad).shape, 0, 1, 'float32', 8);
    const attrs = { strides, pad, dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] } as unknown as tf.NamedAttrMap;
    const backend = tf.backend();
    const ref = builtin.kernelFunc({ inputs: { x, dy }, backend, attrs }) as tf.TensorInfo;
    const ours = conv2dBackpropFilterFast({ inputs: { x, dy }, backend, attrs });
    const a = (backend as unknown as CpuBackend).data.get(ref.dataId).values;
    const b = (backend as unknown as CpuBackend).data.get(ours.dataId).values;
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    if (maxDiff > 1e-4) throw new Error(`fast Conv2DBackpropFilter disagrees with TF.js (strides ${strides}, ${pad}): max diff ${maxDiff}`);
  }
  tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'cpu', kernelFunc: conv2dBackpropFilterFast as unknown as tf.KernelFunc });
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

async function saveModel(model: tf.LayersModel, dir: string): Promise<{ jsonBytes: number; weightBytes: number }> {
  fs.mkdirSync(dir, { recursive: true });
  let sizes = { jsonBytes: 0, weightBytes: 0 };
  await model.save(tf.io.withSaveHandler(async (art) => {
    const parts = art.weightData === undefined ? [] : Array.isArray(art.weightData) ? art.weightData : [art.weightData];
    const weights = Buffer.concat(parts.map((p) => Buffer.from(p)));
    const json = {
      modelTopology: art.modelTopology,
      format: 'layers-model',
      generatedBy: art.generatedBy,
      convertedBy: null,
      weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs }],
    };
    const text = JSON.stringify(json);
    fs.writeFileSync(path.join(dir, 'model.json'), text);
    fs.writeFileSync(path.join(dir, 'weights.bin'), weights);
    sizes = { jsonBytes: Buffer.byteLength(text), weightBytes: weights.length };
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', modelTopologyBytes: sizes.jsonBytes, weightDataBytes: sizes.weightBytes } };
  }));
  return sizes;
}

async function main(): Promise<void> {
  const cfg = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const loadAtStart = os.loadavg()[0];
  await tf.setBackend('cpu');
  installFastFilterGradient();
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
  const sizes = await saveModel(model, cfg.out);
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
