// GPTQ and AdaRound weight rounding. Oracles: independent float arithmetic (the output error ||X (W - s Q)||² of
// a small fully-connected layer, with X itself, not the Gram matrix), TF.js (the layer inputs' Gram matrix
// reproduces the output error TF.js convolutions compute, with stride, padding, dilation, depthwise), and the
// official runtime (a model quantized with each algorithm runs bit-exact in ours and in it).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { convert } from '../../src/convert.js';
import { readModel, writeModel } from '../../src/format/index.js';
import type { Model } from '../../src/graph/model.js';
import { quantize, algorithmNames } from '../../src/quantize/index.js';
import { floatValues } from '../../src/quantize/weights.js';
import { collectLayerInputs } from '../../src/quantize/algorithms/layer-inputs.js';
import { gptqSolve } from '../../src/quantize/algorithms/gptq.js';
import { adaroundSolve } from '../../src/quantize/algorithms/adaround.js';
import { makeAlgorithms } from '../../src/quantize/algorithms/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { UsageError } from '../../src/errors.js';
import { mulberry32 } from '../helpers/random.js';
import { loadTf } from '../importers/tfjs-reference.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { toInputValues } from './helpers.js';

// ---------------------------------------------------------------------------------- a small FC layer, by hand

/** n x k weights, rows x k inputs with correlated columns (a shared factor), scales max|w_r| / 127. */
function fcProblem(seed: number, n: number, k: number, rows: number, scaleShrink = 1) {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const w = Float64Array.from({ length: n * k }, () => 0.05 * gauss());
  const x = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const common = gauss();
    for (let j = 0; j < k; j++) x[r * k + j] = Math.max(0, 0.8 * common + 0.6 * gauss() + 0.2 * (j % 3));
  }
  const scales = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    let m = 0;
    for (let j = 0; j < k; j++) m = Math.max(m, Math.abs(w[c * k + j]));
    scales[c] = (m / 127) * scaleShrink;
  }
  const gram = new Float64Array(k * k);
  for (let r = 0; r < rows; r++) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) gram[i * k + j] += x[r * k + i] * x[r * k + j];
  return { w, x, scales, gram, n, k, rows };
}

/** ||X (W - s Q)ᵀ||² computed from X directly. */
function outputError(p: ReturnType<typeof fcProblem>, q: ArrayLike<number>): number {
  let total = 0;
  for (let r = 0; r < p.rows; r++) {
    for (let c = 0; c < p.n; c++) {
      let d = 0;
      for (let j = 0; j < p.k; j++) d += p.x[r * p.k + j] * (p.w[c * p.k + j] - p.scales[c] * q[c * p.k + j]);
      total += d * d;
    }
  }
  return total;
}

function nearest(p: ReturnType<typeof fcProblem>): Int32Array {
  return Int32Array.from(p.w, (v, i) => {
    const t = v / p.scales[Math.floor(i / p.k)];
    return Math.max(-127, Math.min(127, Math.sign(t) * Math.floor(Math.abs(t) + 0.5)));
  });
}

function inInt8Range(q: ArrayLike<number>): boolean {
  for (let i = 0; i < q.length; i++) if (!(Number.isInteger(q[i]) && q[i] >= -127 && q[i] <= 127)) return false;
  return true;
}

test('GPTQ and AdaRound lower the output error of a small fully-connected layer below round-to-nearest', () => {
  for (const seed of [1, 2, 3]) {
    const p = fcProblem(seed, 8, 24, 300);
    const rtn = outputError(p, nearest(p));
    for (const [name, q] of [['gptq', gptqSolve(p)], ['gptq natural order', gptqSolve(p, Infinity, { order: 'natural' })], ['adaround', adaroundSolve(p)]] as const) {
      assert.ok(q, `${name}: solved`);
      assert.ok(inInt8Range(q), `${name}: integers in [-127, 127]`);
      const e = outputError(p, q);
      console.log(`# seed ${seed} ${name}: output error ${e.toExponential(3)} vs round-to-nearest ${rtn.toExponential(3)} (${(100 * (e - rtn) / rtn).toFixed(1)} %)`);
      assert.ok(e <= rtn, `${name} seed ${seed}: ${e} > round-to-nearest ${rtn}`);
      assert.ok(e < 0.8 * rtn, `${name} seed ${seed}: only ${(100 * (1 - e / rtn)).toFixed(1)} % below round-to-nearest`);
    }
  }
});

test('weights beyond the scale\'s range stay clamped to [-127, 127]', () => {
  const p = fcProblem(7, 4, 12, 100, 0.5); // half the max-abs scale: the largest weights reach +-254 steps
  for (const q of [gptqSolve(p), adaroundSolve(p)]) {
    assert.ok(q && inInt8Range(q));
    assert.ok(q.some((v) => Math.abs(v) === 127), 'some weights saturate');
  }
});

test('a layer over the work budget is left to round to nearest (null)', () => {
  const p = fcProblem(4, 4, 64, 80);
  assert.equal(gptqSolve(p, 1000), null);
  assert.equal(adaroundSolve(p, 1000), null);
});

test('both algorithms are registered; bad options are usage errors', () => {
  assert.ok(algorithmNames().includes('gptq') && algorithmNames().includes('adaround'));
  assert.throws(() => makeAlgorithms([{ name: 'gptq', options: { damp: -1 } }]), UsageError);
  assert.throws(() => makeAlgorithms([{ name: 'gptq', options: { order: 'random' } }]), UsageError);
  assert.throws(() => makeAlgorithms([{ name: 'adaround', options: { iterations: 0.5 } }]), UsageError);
  assert.throws(() => makeAlgorithms([{ name: 'adaround', options: { lamda: 1 } }]), /unknown option 'lamda'/);
});

// ------------------------------------------------------------------- layer inputs of a converted Keras model

type Tf = Awaited<ReturnType<typeof loadTf>>;
let tf: Tf;
let keras: any;
let float: Model;
let samples: Float32Array[][];
const INPUT: [number, number, number] = [9, 9, 3];

before(async () => {
  tf = await loadTf();
  const L = tf.layers;
  const x = tf.input({ shape: INPUT });
  const c1 = L.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'c1' }).apply(x) as any;
  const d1 = L.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, padding: 'same', activation: 'relu', name: 'd1' }).apply(c1) as any;
  const c2 = L.conv2d({ filters: 4, kernelSize: 2, dilationRate: 2, padding: 'valid', name: 'c2' }).apply(d1) as any;
  const f = L.flatten({}).apply(c2) as any;
  const y = L.dense({ units: 5, name: 'fc' }).apply(f) as any;
  keras = tf.model({ inputs: x, outputs: [y, c1, d1, f] });
  const rnd = mulberry32(11);
  for (const layer of keras.layers) {
    layer.setWeights(layer.weights.map((w: any) => tf.tensor(Float32Array.from({ length: w.shape.reduce((a: number, b: number) => a * b, 1) }, () => (rnd() * 2 - 1) * 0.5), w.shape)));
  }
  const single = tf.model({ inputs: x, outputs: y });
  let artifacts: any = null;
  await single.save(tf.io.withSaveHandler(async (a: any) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  float = (await convert(artifacts, { label: 'rounding-net' })).model;
  const size = INPUT[0] * INPUT[1] * INPUT[2];
  samples = Array.from({ length: 12 }, () => [Float32Array.from({ length: size }, () => rnd())]);
});

test('the Gram matrix of each layer\'s inputs reproduces TF.js\'s output error (stride 2 SAME conv, even-sized SAME depthwise, dilated VALID conv, dense)', () => {
  const sg = float.subgraphs[0];
  const inputs = collectLayerInputs(float, samples, { maxRows: 1e6, maxWorkPerLayer: 1e12 });
  assert.equal(inputs.layers.size, 4, `collected: ${[...inputs.layers.values()].map((l) => l.op)}; skipped ${inputs.skipped}`);
  const batch = tf.tensor(Float32Array.from(samples.flatMap((s) => [...s[0]])), [samples.length, ...INPUT]);
  const [, c1, d1, f] = keras.predict(batch) as any[];
  const rnd = mulberry32(5);
  for (const layer of inputs.layers.values()) {
    const wt = sg.tensors[sg.operators[layer.node].inputs[1]];
    // A random weight error Δ in the file's layout, and its output error through the Gram matrix ...
    const delta = Float32Array.from({ length: floatValues(wt).length }, () => rnd() - 0.5);
    let viaGram = 0;
    const channels = layer.groups * layer.perGroup;
    for (let c = 0; c < channels; c++) {
      const g = Math.floor(c / layer.perGroup);
      const d = Array.from({ length: layer.k }, (_, j) => (layer.op === 'DEPTHWISE_CONV_2D' ? delta[j * channels + c] : delta[c * layer.k + j]));
      for (let i = 0; i < layer.k; i++) for (let j = 0; j < layer.k; j++) viaGram += d[i] * layer.gram[g * layer.k * layer.k + i * layer.k + j] * d[j];
    }
    // ... and through TF.js's own layer arithmetic on the layer's float input.
    let out: any;
    if (layer.op === 'CONV_2D') {
      const [co, kh, kw, ci] = wt.shape;
      const filter = tf.transpose(tf.tensor(delta, [co, kh, kw, ci]), [1, 2, 3, 0]);
      out = ci === 3 ? tf.conv2d(batch as any, filter as any, 2, 'same') : tf.conv2d(d1, filter as any, 1, 'valid', 'NHWC', 2);
    } else if (layer.op === 'DEPTHWISE_CONV_2D') {
      const [, kh, kw] = wt.shape;
      const filter = tf.tensor(delta, [kh, kw, 6, 2]);
      out = tf.depthwiseConv2d(c1, filter as any, 1, 'same');
      assert.deepEqual(out.shape, d1.shape);
    } else {
      const [units, k] = wt.shape;
      out = tf.matMul(f, tf.tensor(delta, [units, k]), false, true);
    }
    const viaTf = (tf.sum(tf.square(out)).dataSync() as Float32Array)[0];
    console.log(`# ${layer.op} '${layer.name}': k ${layer.k}, ${layer.rows} rows, error via Gram ${viaGram.toFixed(4)}, via TF.js ${viaTf.toFixed(4)}`);
    assert.ok(Math.abs(viaGram - viaTf) <= 1e-4 * viaTf, `${layer.op}: ${viaGram} vs TF.js ${viaTf}`);
  }
});

test('a bounded random subset of rows when there are many', () => {
  const inputs = collectLayerInputs(float, samples, { maxRows: 24 });
  for (const layer of inputs.layers.values()) assert.ok(layer.rows <= 24 && layer.rows >= 12, `${layer.op}: ${layer.rows} rows`);
  const capped = collectLayerInputs(float, samples, { maxColumns: 20 });
  assert.ok(capped.skipped.some((s) => /27 columns > 20/.test(s)), capped.skipped.join('; '));
});

test('a model quantized with gptq / adaround runs bit-exact in the official runtime and ours; the filters change', async () => {
  const plain = await quantize(float, { mode: 'int8', inputType: 'int8', outputType: 'int8', representativeDataset: samples });
  const filters = (m: Model) => m.subgraphs[0].operators.filter((o) => o.op !== 'QUANTIZE' && o.op !== 'DEQUANTIZE' && o.inputs.length > 1)
    .map((o) => m.subgraphs[0].tensors[o.inputs[1]]).filter((t) => t.dtype === 'int8' && t.data).map((t) => new Int8Array(t.data!.buffer, t.data!.byteOffset, t.data!.length));
  const rnd = mulberry32(9);
  const probes = Array.from({ length: 6 }, () => Float32Array.from({ length: samples[0][0].length }, () => rnd()));
  for (const name of ['gptq', 'adaround']) {
    const { model, report } = await quantize(float, { mode: 'int8', inputType: 'int8', outputType: 'int8', representativeDataset: samples, algorithms: [{ name }] });
    assert.match(report.description, new RegExp(`algorithms=${name}`));
    assert.equal(report.algorithms.filter((n) => /output MSE on calibration data/.test(n)).length, 4, report.algorithms.join('\n'));
    const changed = filters(model).map((q, i) => q.some((v, j) => v !== filters(plain.model)[i][j]));
    assert.ok(changed.some(Boolean), `${name}: no filter changed`);
    for (const q of filters(model)) assert.ok(!q.includes(-128), `${name}: -128 in a filter`);
    const bytes = writeModel(model);
    const ours = Interpreter.fromModel(readModel(bytes, `${name}.tflite`));
    const official = await createOfficialRunner(bytes);
    const inT = model.subgraphs[0].tensors[model.subgraphs[0].inputs[0]];
    try {
      for (const probe of probes) {
        const raw = toInputValues(inT, probe);
        ours.setInput(0, Int8Array.from(raw));
        ours.invoke();
        official.setInput(0, raw);
        official.invoke();
        assert.deepEqual(Array.from(ours.getOutput(0) as Int8Array), Array.from(official.getOutputs()[0].data as Int8Array), `${name}: ours vs official`);
      }
    } finally {
      official.delete();
    }
  }
});
