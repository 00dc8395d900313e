// What our training scripts share: TensorFlow.js on its pure-JS CPU backend (tfjs-node cannot install, the WASM
// backend lacks convolution gradients) made fast enough for small models, labelled image sets as flat arrays, a
// seeded training loop, and saving a TF.js Layers model (model.json + weights.bin).
//
// The CPU backend's filter-gradient kernels (Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter) read every
// element through TensorBuffer.get and are ~50x slower than the forward convolutions, so we register direct-loop
// kernels with the same arithmetic, each checked against the built-in kernel on random cases before use.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { openDataset } from '../../src/evaluate/datasets/index.js';
import { seededPermutation } from '../../src/util/random.js';

export const PROJECT_ROOT = (() => {
  let d = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
})();

export const fmtTime = (ms: number): string => `${Math.floor(ms / 60000)}m${String(Math.round((ms % 60000) / 1000)).padStart(2, '0')}s`;

// ------------------------------------------------------------------------------------- faster filter gradients

type CpuBackend = { data: { get(id: object): { values: Float32Array } }; makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };
type FilterGradAttrs = { strides: [number, number] | number; pad: 'same' | 'valid' | number; dataFormat?: 'NHWC' | 'NCHW'; dilations?: [number, number] | number; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/**
 * dW[kh, kw, ci, m] of a convolution: sum over batch and output positions of x[.., ci] * dy[.., o], where
 * o = co (dense: every ci with every co) or ci * multiplier + m (depthwise).
 */
function filterGradient(args: KernelArgs, depthwise: boolean): tf.TensorInfo {
  const x = args.inputs.x!, dy = args.inputs.dy!;
  const backend = args.backend as CpuBackend;
  const attrs = args.attrs as unknown as FilterGradAttrs;
  if (attrs.dataFormat === 'NCHW') throw new Error('fast filter gradient: NCHW is not used by our scripts');
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, depthwise);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error('fast filter gradient: dilations are not used by our scripts');
  const { batchSize, inHeight, inWidth, inChannels: ci, outHeight, outWidth, outChannels: co, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  const xv = backend.data.get(x.dataId).values;
  const dyv = backend.data.get(dy.dataId).values;
  const dw = new Float32Array(filterHeight * filterWidth * ci * (depthwise ? co / ci : co));
  const mult = co / ci;
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
            if (depthwise) {
              // Filter [kh, kw, ci, mult]; output channel ci * mult + m: both are contiguous runs of co.
              const wAt = (kh * filterWidth + kw) * co;
              for (let c = 0; c < ci; c++) {
                const xval = xv[xAt + c];
                if (xval === 0) continue;
                for (let m = 0; m < mult; m++) dw[wAt + c * mult + m] += xval * dyv[dyAt + c * mult + m];
              }
            } else {
              const wAt = (kh * filterWidth + kw) * ci * co;
              for (let c = 0; c < ci; c++) {
                const xval = xv[xAt + c];
                if (xval === 0) continue; // ReLU outputs and image borders are mostly zero
                const row = wAt + c * co;
                for (let o = 0; o < co; o++) dw[row + o] += xval * dyv[dyAt + o];
              }
            }
          }
        }
      }
    }
  }
  return backend.makeTensorInfo(attrs.filterShape, 'float32', dw);
}

function replaceKernel(name: string, depthwise: boolean): void {
  const builtin = tf.getKernel(name, 'cpu');
  if (!builtin) throw new Error(`TF.js CPU backend has no ${name} kernel`);
  const ours = (args: KernelArgs) => filterGradient(args, depthwise);
  const backend = tf.backend();
  for (const [strides, pad] of [[2, 'same'], [1, 'valid'], [2, 'valid'], [1, 'same']] as const) {
    const filterShape: [number, number, number, number] = depthwise ? [3, 3, 3, 2] : [3, 3, 3, 4];
    const x = tf.randomNormal([2, 9, 8, 3], 0, 1, 'float32', 7);
    const yShape = depthwise
      ? tf.depthwiseConv2d(x as tf.Tensor4D, tf.zeros(filterShape) as tf.Tensor4D, strides, pad).shape
      : tf.conv2d(x as tf.Tensor4D, tf.zeros(filterShape) as tf.Tensor4D, strides, pad).shape;
    const dy = tf.randomNormal(yShape, 0, 1, 'float32', 8);
    const attrs = { strides, pad, dataFormat: 'NHWC', dilations: 1, filterShape } as unknown as tf.NamedAttrMap;
    const ref = builtin.kernelFunc({ inputs: { x, dy }, backend, attrs }) as tf.TensorInfo;
    const mine = ours({ inputs: { x, dy }, backend, attrs });
    const a = (backend as unknown as CpuBackend).data.get(ref.dataId).values;
    const b = (backend as unknown as CpuBackend).data.get(mine.dataId).values;
    let maxDiff = a.length === b.length ? 0 : Infinity;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    if (!(maxDiff <= 1e-4)) throw new Error(`fast ${name} disagrees with TF.js (strides ${strides}, ${pad}): max diff ${maxDiff}`);
  }
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: ours as unknown as tf.KernelFunc });
}

/** Replaces the CPU filter-gradient kernels of Conv2D and DepthwiseConv2D after checking them against TF.js's. */
export function installFastFilterGradients(): void {
  replaceKernel('Conv2DBackpropFilter', false);
  replaceKernel('DepthwiseConv2dNativeBackpropFilter', true);
}

// ---------------------------------------------------------------------------------------------------- data

export interface LabelledImages { x: Float32Array; y: Int32Array; n: number; pixels: number }

/** A labelled 28x28 set (mnist / fashion-mnist spec, ranges allowed) as flat pixel / 255 values. */
export async function loadLabelledImages(spec: string): Promise<LabelledImages> {
  const ds = await openDataset(spec, { inputShapes: [[1, 28, 28, 1]] });
  const pixels = 784;
  const x = new Float32Array(ds.size * pixels);
  const y = new Int32Array(ds.size);
  let i = 0;
  for await (const s of ds) { x.set(s.inputs[0], i * pixels); y[i] = s.label!; i++; }
  return { x, y, n: i, pixels };
}

/** Top-1 accuracy of `model` (input shape [batch, ...sampleShape]) measured by TF.js. */
export async function accuracy(model: tf.LayersModel, data: LabelledImages, sampleShape: number[]): Promise<number> {
  let correct = 0;
  const bs = 500;
  for (let i = 0; i < data.n; i += bs) {
    const m = Math.min(bs, data.n - i);
    const pred = tf.tidy(() => (model.predict(tf.tensor(data.x.subarray(i * data.pixels, (i + m) * data.pixels), [m, ...sampleShape])) as tf.Tensor).argMax(-1));
    const p = (await pred.data()) as Int32Array;
    pred.dispose();
    for (let k = 0; k < m; k++) if (p[k] === data.y[i + k]) correct++;
  }
  return correct / data.n;
}

// ------------------------------------------------------------------------------------------------ training

export interface TrainConfig { epochs: number; batch: number; seed: number; learningRate: number; weightDecay?: number }

/**
 * Adam with cosine decay of the learning rate to 0 over all steps, sparse categorical cross-entropy, a seeded
 * shuffle per epoch. Logs progress every 50 batches.
 */
export async function trainClassifier(model: tf.LayersModel, train: LabelledImages, sampleShape: number[], cfg: TrainConfig, log: (line: string) => void = console.log): Promise<number> {
  const batchesPerEpoch = Math.ceil(train.n / cfg.batch);
  const totalSteps = batchesPerEpoch * cfg.epochs;
  const optimizer = tf.train.adam(cfg.learningRate);
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const xb = new Float32Array(cfg.batch * train.pixels);
  const yb = new Float32Array(cfg.batch);
  let step = 0;
  const started = Date.now();
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const order = seededPermutation(train.n, cfg.seed * 1000 + epoch);
    let lossSum = 0, accSum = 0, seen = 0;
    for (let bi = 0; bi < batchesPerEpoch; bi++) {
      // AdamOptimizer reads its learningRate field at every step; TS marks it protected.
      (optimizer as unknown as { learningRate: number }).learningRate = cfg.learningRate * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps));
      const m = Math.min(cfg.batch, train.n - bi * cfg.batch);
      for (let k = 0; k < m; k++) {
        const src = order[bi * cfg.batch + k];
        xb.set(train.x.subarray(src * train.pixels, (src + 1) * train.pixels), k * train.pixels);
        yb[k] = train.y[src];
      }
      const xs = tf.tensor(xb.subarray(0, m * train.pixels), [m, ...sampleShape]);
      const ys = tf.tensor2d(yb.subarray(0, m), [m, 1]);
      const [loss, acc] = (await model.trainOnBatch(xs, ys)) as number[];
      xs.dispose(); ys.dispose();
      lossSum += loss * m; accSum += acc * m; seen += m; step++;
      if (bi % 50 === 49 || bi === batchesPerEpoch - 1) {
        const elapsed = Date.now() - started;
        log(`epoch ${epoch + 1}/${cfg.epochs} batch ${bi + 1}/${batchesPerEpoch}  loss ${(lossSum / seen).toFixed(4)}  acc ${(accSum / seen * 100).toFixed(2)}%  elapsed ${fmtTime(elapsed)}  eta ${fmtTime((elapsed / step) * (totalSteps - step))}`);
      }
    }
  }
  return Date.now() - started;
}

/** Writes model.json (weights manifest pointing at weights.bin) and weights.bin into `dir`. */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<{ jsonBytes: number; weightBytes: number }> {
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

// ------------------------------------------------------------------ faster broadcasting, reductions, slices
//
// The CPU backend computes broadcasting binary ops, reductions over outer axes (via a transpose), Slice and Tile
// with a per-element index conversion; BatchNorm and LayerNorm training spend most of their time there. These
// replacements walk the output with precomputed strides. float32 only (anything else goes to the built-in kernel),
// each checked against the built-in kernel on random cases before use.

type Values = Float32Array;
const valuesOf = (backend: unknown, t: tf.TensorInfo): Values => (backend as CpuBackend).data.get(t.dataId).values;
const makeF32 = (backend: unknown, shape: number[], values: Float32Array): tf.TensorInfo => (backend as CpuBackend).makeTensorInfo(shape, 'float32', values);

/** Row-major strides of `shape`. */
function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/**
 * Calls visit(outerOffsetA, outerOffsetB, outIndex) for every row of `outShape` (all dims but the last), where the
 * offsets advance by strideA / strideB per dimension (0 for broadcast or reduced dimensions).
 */
function forEachRow(outShape: readonly number[], strideA: readonly number[], strideB: readonly number[], visit: (a: number, b: number, row: number) => void): void {
  const r = outShape.length - 1;
  const idx = new Array<number>(Math.max(r, 0)).fill(0);
  const rows = outShape.slice(0, r).reduce((p, d) => p * d, 1);
  let a = 0, b = 0;
  for (let row = 0; row < rows; row++) {
    visit(a, b, row);
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++; a += strideA[d]; b += strideB[d];
      if (idx[d] < outShape[d]) break;
      a -= strideA[d] * outShape[d]; b -= strideB[d] * outShape[d]; idx[d] = 0;
    }
  }
}

function broadcastBinary(kind: 'Add' | 'Sub' | 'Multiply' | 'RealDiv') {
  return (args: KernelArgs): tf.TensorInfo | null => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
    const rank = Math.max(a.shape.length, b.shape.length, 1);
    const pad = (s: number[]) => [...new Array(rank - s.length).fill(1), ...s];
    const as = pad(a.shape), bs = pad(b.shape);
    const out = as.map((d, i) => (d === 1 ? bs[i] : d));
    if (as.some((d, i) => d !== out[i] && d !== 1) || bs.some((d, i) => d !== out[i] && d !== 1)) return null;
    const sa = stridesOf(as).map((s, i) => (as[i] === 1 ? 0 : s));
    const sb = stridesOf(bs).map((s, i) => (bs[i] === 1 ? 0 : s));
    const av = valuesOf(args.backend, a), bv = valuesOf(args.backend, b);
    const o = new Float32Array(out.reduce((p, d) => p * d, 1));
    const n = out[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
    forEachRow(out, sa, sb, (pa, pb, row) => {
      const base = row * n;
      if (kind === 'Add') for (let j = 0; j < n; j++) o[base + j] = av[pa + j * ia] + bv[pb + j * ib];
      else if (kind === 'Sub') for (let j = 0; j < n; j++) o[base + j] = av[pa + j * ia] - bv[pb + j * ib];
      else if (kind === 'Multiply') for (let j = 0; j < n; j++) o[base + j] = av[pa + j * ia] * bv[pb + j * ib];
      else for (let j = 0; j < n; j++) o[base + j] = av[pa + j * ia] / bv[pb + j * ib];
    });
    return makeF32(args.backend, a.shape.length >= b.shape.length ? out.slice(rank - Math.max(a.shape.length, b.shape.length)) : out, o);
  };
}

function reduceSumMean(kind: 'Sum' | 'Mean') {
  return (args: KernelArgs): tf.TensorInfo | null => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32' || x.shape.length === 0) return null;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const reduced = x.shape.map((_, i) => axes.includes(i));
    const keptShape = x.shape.map((d, i) => (reduced[i] ? 1 : d));
    const outStrides = stridesOf(keptShape).map((s, i) => (reduced[i] ? 0 : s));
    const xv = valuesOf(args.backend, x);
    const o = new Float64Array(keptShape.reduce((p, d) => p * d, 1));
    const r = x.shape.length, n = x.shape[r - 1], so = outStrides[r - 1];
    forEachRow(x.shape, outStrides, outStrides, (po, _pb, row) => {
      const base = row * n;
      if (so === 0) { let s = 0; for (let j = 0; j < n; j++) s += xv[base + j]; o[po] += s; }
      else for (let j = 0; j < n; j++) o[po + j] += xv[base + j];
    });
    const count = x.shape.reduce((p, d, i) => (reduced[i] ? p * d : p), 1);
    const result = new Float32Array(o.length);
    for (let i = 0; i < o.length; i++) result[i] = kind === 'Mean' ? o[i] / count : o[i];
    return makeF32(args.backend, keepDims ? keptShape : x.shape.filter((_, i) => !reduced[i]), result);
  };
}

function fastSlice(args: KernelArgs): tf.TensorInfo | null {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype !== 'float32' || x.shape.length === 0) return null;
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
  const xs = stridesOf(x.shape), r = x.shape.length;
  const xv = valuesOf(args.backend, x);
  const o = new Float32Array(s.reduce((p, d) => p * d, 1));
  if (o.length === 0) return makeF32(args.backend, s, o);
  const start = b.reduce((p, v, i) => p + v * xs[i], 0);
  const n = s[r - 1];
  forEachRow(s, xs, xs, (pa, _pb, row) => { o.set(xv.subarray(start + pa, start + pa + n), row * n); });
  return makeF32(args.backend, s, o);
}

function fastTile(args: KernelArgs): tf.TensorInfo | null {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype !== 'float32' || x.shape.length === 0) return null;
  const { reps } = args.attrs as unknown as { reps: number[] };
  const out = x.shape.map((d, i) => d * reps[i]);
  const xs = stridesOf(x.shape), r = x.shape.length;
  const xv = valuesOf(args.backend, x);
  const o = new Float32Array(out.reduce((p, d) => p * d, 1));
  const n = out[r - 1], inner = x.shape[r - 1];
  // Walk output rows; each output row reads input row (index mod input dim) per dimension.
  const idx = new Array<number>(r).fill(0);
  const rows = o.length / Math.max(n, 1);
  for (let row = 0; row < rows; row++) {
    let src = 0;
    for (let d = 0; d < r - 1; d++) src += (idx[d] % x.shape[d]) * xs[d];
    for (let j = 0; j < n; j++) o[row * n + j] = xv[src + (j % inner)];
    for (let d = r - 2; d >= 0; d--) { if (++idx[d] < out[d]) break; idx[d] = 0; }
  }
  return makeF32(args.backend, out, o);
}

function replaceWithFallback(name: string, fast: (args: KernelArgs) => tf.TensorInfo | null, cases: Array<() => KernelArgs>): void {
  const builtin = tf.getKernel(name, 'cpu');
  if (!builtin) throw new Error(`TF.js CPU backend has no ${name} kernel`);
  const backend = tf.backend();
  for (const make of cases) {
    const args = { ...make(), backend };
    const mine = fast(args);
    if (!mine) throw new Error(`fast ${name} declined its own check case`);
    const ref = builtin.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const a = valuesOf(backend, ref), b = valuesOf(backend, mine);
    let maxDiff = a.length === b.length && ref.shape.join() === mine.shape.join() ? 0 : Infinity;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    if (!(maxDiff <= 1e-4)) throw new Error(`fast ${name} disagrees with TF.js: shape [${mine.shape}] vs [${ref.shape}], max diff ${maxDiff}`);
  }
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: ((args: KernelArgs) => fast(args) ?? builtin.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0])) as unknown as tf.KernelFunc });
}

/** Replaces the CPU kernels that dominate normalization-layer training (see above). */
export function installFastElementwiseKernels(): void {
  const rnd = (shape: number[], seed: number) => tf.randomNormal(shape, 1, 1, 'float32', seed) as unknown as tf.TensorInfo;
  for (const kind of ['Add', 'Sub', 'Multiply', 'RealDiv'] as const) {
    replaceWithFallback(kind, broadcastBinary(kind), [
      () => ({ inputs: { a: rnd([2, 3, 4, 5], 1), b: rnd([5], 2) }, backend: null }),
      () => ({ inputs: { a: rnd([1, 1, 5], 3), b: rnd([2, 3, 4, 1], 4) }, backend: null }),
      () => ({ inputs: { a: rnd([2, 1, 4], 5), b: rnd([2, 3, 1], 6) }, backend: null }),
      () => ({ inputs: { a: rnd([], 7), b: rnd([3, 2], 8) }, backend: null }),
    ]);
  }
  for (const kind of ['Sum', 'Mean'] as const) {
    replaceWithFallback(kind, reduceSumMean(kind), [
      () => ({ inputs: { x: rnd([2, 3, 4, 5], 1) }, backend: null, attrs: { axis: [0, 1, 2], keepDims: false } }),
      () => ({ inputs: { x: rnd([2, 3, 4, 5], 2) }, backend: null, attrs: { axis: [3], keepDims: true } }),
      () => ({ inputs: { x: rnd([2, 3, 4], 3) }, backend: null, attrs: { axis: [0, 2], keepDims: true } }),
      () => ({ inputs: { x: rnd([6, 7], 4) }, backend: null, attrs: { axis: [0, 1], keepDims: false } }),
    ]);
  }
  replaceWithFallback('Slice', fastSlice, [
    () => ({ inputs: { x: rnd([3, 4, 5], 1) }, backend: null, attrs: { begin: [1, 0, 2], size: [2, -1, 3] } }),
    () => ({ inputs: { x: rnd([4, 6], 2) }, backend: null, attrs: { begin: [0, 3], size: [4, 3] } }),
  ]);
  replaceWithFallback('Tile', fastTile, [
    () => ({ inputs: { x: rnd([2, 1, 3], 1) }, backend: null, attrs: { reps: [2, 4, 2] } }),
    () => ({ inputs: { x: rnd([3], 2) }, backend: null, attrs: { reps: [3] } }),
  ]);
}
