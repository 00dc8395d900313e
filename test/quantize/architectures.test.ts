// Post-training quantization of small float models with op mixes beyond the corpus (MobileNet-style blocks,
// residual Add + channel Concatenate, ZeroPadding + MaxPooling, MLP with sigmoid/tanh, Conv1D, UpSampling2D,
// Multiply/Subtract, LeakyReLU, hard-swish, LayerNormalization, PAD, MEAN, SUM), each quantized in every mode.
// Oracles: the OFFICIAL runtime runs the float model (the reference outputs) and every quantized file (it loads =
// every op version accepted); our interpreter must give the official runtime's raw outputs (<= 1 LSB).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convert } from '../../src/convert.js';
import { readModel, writeModel } from '../../src/format/index.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Model } from '../../src/graph/model.js';
import { UnsupportedError } from '../../src/errors.js';
import { quantize } from '../../src/quantize/index.js';
import type { QuantizeOptions } from '../../src/quantize/index.js';
import { mulberry32 } from '../helpers/random.js';
import { loadTf } from '../importers/tfjs-reference.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { argmax, toFloat, toInputValues } from './helpers.js';

type Tf = Awaited<ReturnType<typeof loadTf>>;

interface Architecture {
  name: string;
  /** Builds the float model (TF.js layers, converted by convert(), or a graph built directly). */
  build(tf: Tf): Promise<Model>;
  /** Realistic input range of the samples. */
  range: [number, number];
  classifier: boolean;
  /** Ops expected to stay float in the full-integer modes (with a warning naming them). */
  floatOps?: string[];
  /** The same for int16x8 when it differs (ops with an int8 kernel only). */
  floatOps16?: string[];
}

/** Seeded weights (BatchNorm variances positive), TF.js artifacts kept in memory, converted by convert(). */
async function fromLayers(tf: Tf, model: any, seed: number, scale = 1, patch?: (topology: any) => void): Promise<Model> {
  const rnd = mulberry32(seed);
  for (const layer of model.layers) {
    layer.setWeights(layer.weights.map((w: any) => {
      const size = w.shape.reduce((p: number, d: number | null) => p * (d ?? 1), 1);
      const fanIn = w.shape.length > 1 ? w.shape.slice(0, -1).reduce((p: number, d: number) => p * d, 1) : 1;
      const variance = w.name.includes('variance');
      const gain = w.shape.length > 1 ? scale * Math.sqrt(3 / fanIn) : 0.3;
      return tf.tensor(Float32Array.from({ length: size }, () => (variance ? 0.5 + rnd() : (2 * rnd() - 1) * gain)), w.shape);
    }));
  }
  let artifacts: any = null;
  await model.save(tf.io.withSaveHandler(async (a: any) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  patch?.(artifacts.modelTopology);
  return (await convert(artifacts, { label: model.name })).model;
}

const ARCHITECTURES: Architecture[] = [
  {
    name: 'mobilenet-block', range: [-1, 1], classifier: true,
    async build(tf) {
      const L = tf.layers;
      const x = tf.input({ shape: [8, 8, 3] });
      let y = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(x) as any;
      y = L.batchNormalization().apply(y) as any;
      y = L.reLU({ maxValue: 6 }).apply(y) as any;
      y = L.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }).apply(y) as any;
      y = L.batchNormalization().apply(y) as any;
      y = L.reLU({ maxValue: 6 }).apply(y) as any;
      y = L.conv2d({ filters: 16, kernelSize: 1, useBias: false }).apply(y) as any;
      y = L.batchNormalization().apply(y) as any;
      y = L.reLU({ maxValue: 6 }).apply(y) as any;
      y = L.globalAveragePooling2d({}).apply(y) as any;
      y = L.dense({ units: 5, activation: 'softmax' }).apply(y) as any;
      return fromLayers(tf, tf.model({ inputs: x, outputs: y, name: 'mobilenet_block' }), 1, 2);
    },
  },
  {
    name: 'residual-concat-pad-maxpool', range: [0, 1], classifier: true,
    async build(tf) {
      const L = tf.layers;
      const x = tf.input({ shape: [6, 6, 3] });
      const c1 = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as any;
      const c2 = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(c1) as any;
      const sum = L.add().apply([c1, c2]) as any;
      const cat = L.concatenate({ axis: -1 }).apply([sum, c1]) as any;
      const pad = L.zeroPadding2d({ padding: 1 }).apply(cat) as any;
      const mp = L.maxPooling2d({ poolSize: 2 }).apply(pad) as any;
      const fl = L.flatten().apply(mp) as any;
      const y = L.dense({ units: 4, activation: 'softmax' }).apply(fl) as any;
      return fromLayers(tf, tf.model({ inputs: x, outputs: y, name: 'residual' }), 2, 2);
    },
  },
  {
    // 16 x 64 = 1024 weights: the dynamic mode's hybrid FULLY_CONNECTED applies.
    name: 'mlp-tanh-sigmoid', range: [-2, 2], classifier: false,
    async build(tf) {
      const L = tf.layers;
      const x = tf.input({ shape: [16] });
      let y = L.dense({ units: 64, activation: 'tanh' }).apply(x) as any;
      y = L.dense({ units: 8, activation: 'relu' }).apply(y) as any;
      y = L.dense({ units: 3, activation: 'sigmoid' }).apply(y) as any;
      return fromLayers(tf, tf.model({ inputs: x, outputs: y, name: 'mlp' }), 3, 2);
    },
  },
  {
    name: 'mlp-tanh-output', range: [-1, 1], classifier: false,
    async build(tf) {
      const L = tf.layers;
      const x = tf.input({ shape: [12] });
      let y = L.dense({ units: 10, activation: 'sigmoid' }).apply(x) as any;
      y = L.dense({ units: 4, activation: 'tanh' }).apply(y) as any;
      return fromLayers(tf, tf.model({ inputs: x, outputs: y, name: 'mlp_tanh' }), 4, 2);
    },
  },
  {
    name: 'conv1d', range: [-1, 1], classifier: true,
    async build(tf) {
      const L = tf.layers;
      const x = tf.input({ shape: [16, 4] });
      let y = L.conv1d({ filters: 8, kernelSize: 3, activation: 'relu' }).apply(x) as any;
      y = L.maxPooling1d({ poolSize: 2 }).apply(y) as any;
      y = L.conv1d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(y) as any;
      y = L.globalAveragePooling1d({}).apply(y) as any;
      y = L.dense({ units: 3, activation: 'softmax' }).apply(y) as any;
      return fromLayers(tf, tf.model({ inputs: x, outputs: y, name: 'conv1d' }), 5, 2);
    },
  },
  {
    // hard-swish as Keras writes it with TF.js activations: x * hard_sigmoid(x).
    name: 'upsample-mul-sub-leaky-hardswish', range: [-1, 1], classifier: false,
    async build(tf) {
      const L = tf.layers;
      const x = tf.input({ shape: [4, 4, 3] });
      const c = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(x) as any;
      const lr = L.leakyReLU({ alpha: 0.1 }).apply(c) as any;
      const up = L.upSampling2d({ size: [2, 2] }).apply(lr) as any;
      const a = L.conv2d({ filters: 4, kernelSize: 1 }).apply(up) as any;
      const b = L.conv2d({ filters: 4, kernelSize: 1 }).apply(up) as any;
      const hs = L.activation({ activation: 'hardSigmoid' }).apply(a) as any;
      const hswish = L.multiply().apply([a, hs]) as any;
      const prod = L.multiply().apply([a, b]) as any;
      // TF.js has no Subtract layer: an Add whose saved config becomes Keras's Subtract (same inputs, same config).
      const diff = L.add({ name: 'subtract' }).apply([hswish, prod]) as any;
      const y = L.conv2d({ filters: 2, kernelSize: 1 }).apply(diff) as any;
      return fromLayers(tf, tf.model({ inputs: x, outputs: y, name: 'upsample' }), 6, 1.5, (topology) => {
        const layers = (topology.model_config ?? topology).config.layers as any[];
        layers.find((l) => l.name === 'subtract').class_name = 'Subtract';
      });
    },
  },
  {
    // Decoder-style: Conv2DTranspose with and without bias (TRANSPOSE_CONV), PReLU (PRELU: int8 only), bilinear
    // UpSampling2D (RESIZE_BILINEAR), Cropping2D, GlobalMaxPooling2D (REDUCE_MAX), ELU (int8 table; no 16x8 kernel in the official runtime: float there).
    name: 'transpose-conv-prelu-bilinear-elu', range: [-1, 1], classifier: false,
    floatOps16: ['ELU', 'PRELU'],
    async build(tf) {
      const L = tf.layers;
      const x = tf.input({ shape: [4, 4, 3] });
      let y = L.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(x) as any;
      y = L.prelu({}).apply(y) as any;
      y = L.conv2dTranspose({ filters: 4, kernelSize: 2, strides: 1, padding: 'valid', useBias: false }).apply(y) as any;
      y = L.conv2dTranspose({ filters: 4, kernelSize: 1, activation: 'relu' }).apply(y) as any;
      y = L.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }).apply(y) as any;
      y = L.cropping2D({ cropping: [[1, 1], [2, 0]] }).apply(y) as any;
      y = L.elu({}).apply(y) as any;
      y = L.conv2d({ filters: 6, kernelSize: 3, activation: 'relu' }).apply(y) as any;
      y = L.globalMaxPooling2d({}).apply(y) as any;
      y = L.dense({ units: 3 }).apply(y) as any;
      return fromLayers(tf, tf.model({ inputs: x, outputs: y, name: 'decoder' }), 9, 1.5);
    },
  },
  {
    // Two inputs, two outputs: a model input concatenated directly (requantized to the concat's parameters),
    // AveragePooling2D, Permute (TRANSPOSE), outputs straight from RESHAPE and CONCATENATION (same-scale ops at the
    // model edge), Dense without bias, Maximum, Average.
    name: 'two-inputs-two-outputs', range: [0, 2], classifier: false,
    async build(tf) {
      const L = tf.layers;
      const img = tf.input({ shape: [6, 6, 2] });
      const vec = tf.input({ shape: [4] });
      const c = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(img) as any;
      const cat = L.concatenate({ axis: -1 }).apply([img, c]) as any;
      const ap = L.averagePooling2d({ poolSize: 2 }).apply(cat) as any;
      const perm = L.permute({ dims: [3, 1, 2] }).apply(ap) as any;
      const out1 = L.reshape({ targetShape: [54] }).apply(perm) as any;
      const v = L.dense({ units: 6, useBias: false }).apply(vec) as any;
      const v2 = L.dense({ units: 6, activation: 'relu' }).apply(vec) as any;
      const m = L.maximum().apply([v, v2]) as any;
      const a = L.average().apply([v, m]) as any;
      const gap = L.globalAveragePooling2d({}).apply(ap) as any;
      const out2 = L.concatenate().apply([a, gap]) as any;
      return fromLayers(tf, tf.model({ inputs: [img, vec], outputs: [out1, out2], name: 'two_io' }), 10, 1.5);
    },
  },
  {
    // RSQRT (of variance + epsilon) has an int8 kernel only: float in 16x8.
    name: 'layernorm', range: [-1, 1], classifier: true, floatOps16: ['RSQRT'],
    async build(tf) {
      const L = tf.layers;
      const x = tf.input({ shape: [8] });
      let y = L.dense({ units: 16 }).apply(x) as any;
      y = L.layerNormalization({}).apply(y) as any;
      y = L.dense({ units: 4, activation: 'softmax' }).apply(y) as any;
      return fromLayers(tf, tf.model({ inputs: x, outputs: y, name: 'layernorm' }), 7, 2);
    },
  },
  {
    // Element-wise activations with 8-bit kernels: ELU, GELU (exact and tanh-approximate) and LOGISTIC (tables),
    // RSQRT (fixed point), ABS (rescaled), SQUARED_DIFFERENCE. The official runtime runs none of the first five
    // in 16x8 except ABS and LOGISTIC.
    name: 'elu-gelu-rsqrt-abs', range: [-1, 1], classifier: false,
    floatOps16: ['ELU', 'GELU', 'GELU', 'RSQRT', 'SQUARED_DIFFERENCE'],
    async build() {
      const g = new GraphBuilder();
      const rnd = mulberry32(11);
      const f = (name: string, shape: number[]) => g.addTensor({ name, shape, dtype: 'float32' });
      const dense = (name: string, input: number, inN: number, outN: number, gain: number): number => {
        const out = f(name, [1, outN]);
        const w = g.addConstant(`${name}_w`, 'float32', [outN, inN], Array.from({ length: outN * inN }, () => gain * (2 * rnd() - 1)));
        const b = g.addConstant(`${name}_b`, 'float32', [outN], Array.from({ length: outN }, () => 0.2 * (2 * rnd() - 1)));
        g.addOp('FULLY_CONNECTED', [input, w, b], [out]);
        return out;
      };
      const unary = (op: string, input: number, n: number, options: Record<string, boolean> = {}): number => {
        const out = f(`${op.toLowerCase()}_${input}`, [1, n]);
        g.addOp(op, [input], [out], options);
        return out;
      };
      const x = g.addInput({ name: 'x', shape: [1, 8], dtype: 'float32' });
      const h1 = dense('fc1', x, 8, 12, 1.2);
      const elu = unary('ELU', h1, 12);
      const geluExact = unary('GELU', dense('fc2', elu, 12, 12, 0.8), 12, { approximate: false });
      const geluTanh = unary('GELU', dense('fc3', elu, 12, 12, 0.8), 12, { approximate: true });
      const diff = f('sqdiff', [1, 12]);
      g.addOp('SQUARED_DIFFERENCE', [geluExact, geluTanh], [diff]);
      // RSQRT(|a| + 0.5): positive by construction, as a normalizer would feed it.
      const abs = unary('ABS', dense('fc4', h1, 12, 12, 0.8), 12);
      const shifted = f('abs_plus', [1, 12]);
      g.addOp('ADD', [abs, g.addConstant('half', 'float32', [1], [0.5])], [shifted], { fusedActivationFunction: 'NONE' });
      const rsqrt = unary('RSQRT', shifted, 12);
      const mixed = f('mixed', [1, 12]);
      g.addOp('MUL', [rsqrt, geluExact], [mixed], { fusedActivationFunction: 'NONE' });
      const both = f('both', [1, 24]);
      g.addOp('CONCATENATION', [mixed, diff], [both], { axis: 1, fusedActivationFunction: 'NONE' });
      const gate = unary('LOGISTIC', dense('fc5', both, 24, 4, 0.6), 4);
      g.markOutput(gate);
      return g.model();
    },
  },
  {
    // PAD (explicit paddings) -> MEAN over H (keep dims) -> SUM over W and channels -> FULLY_CONNECTED.
    // TFLite's int16 SUM adds raw values without rescaling (reduce.cc rescales 8-bit only): SUM stays float in 16x8.
    name: 'pad-mean-sum', range: [-1, 1], classifier: false, floatOps16: ['SUM'],
    async build() {
      const g = new GraphBuilder();
      const rnd = mulberry32(8);
      const f = (name: string, shape: number[]) => g.addTensor({ name, shape, dtype: 'float32' });
      const x = g.addInput({ name: 'x', shape: [1, 4, 4, 3], dtype: 'float32' });
      const padded = f('padded', [1, 6, 6, 3]);
      g.addOp('PAD', [x, g.addConstant('paddings', 'int32', [4, 2], [0, 0, 1, 1, 1, 1, 0, 0])], [padded]);
      const mean = f('mean', [1, 1, 6, 3]);
      g.addOp('MEAN', [padded, g.addConstant('mean_axes', 'int32', [1], [1])], [mean], { keepDims: true });
      const sum = f('sum', [1, 6]);
      g.addOp('SUM', [mean, g.addConstant('sum_axes', 'int32', [1], [3])], [sum], { keepDims: false });
      const flat = f('flat', [1, 6]);
      g.addOp('RESHAPE', [sum, g.addConstant('flat_shape', 'int32', [2], [1, 6])], [flat], { newShape: [1, 6] });
      const out = f('out', [1, 3]);
      const w = g.addConstant('w', 'float32', [3, 6], Array.from({ length: 18 }, () => rnd() - 0.5));
      const b = g.addConstant('b', 'float32', [3], [0.1, -0.2, 0.05]);
      g.addOp('FULLY_CONNECTED', [flat, w, b], [out]);
      g.markOutput(out);
      return g.model();
    },
  },
];

interface ModeCase {
  name: string;
  options: Omit<QuantizeOptions, 'representativeDataset'>;
  /** Largest RMSE / (float output range) allowed. */
  relRmse: number;
  /** Raw outputs are integers (compared within 1 LSB) or floats (compared with a relative tolerance). */
  integerOutput: boolean;
}

const MODES: ModeCase[] = [
  { name: 'int8 (uint8 I/O)', options: { mode: 'int8', inputType: 'uint8', outputType: 'uint8' }, relRmse: 0.05, integerOutput: true },
  { name: 'int8 (int8 I/O)', options: { mode: 'int8', inputType: 'int8', outputType: 'int8' }, relRmse: 0.05, integerOutput: true },
  { name: 'int16x8 (int16 I/O)', options: { mode: 'int16x8', inputType: 'int16', outputType: 'int16' }, relRmse: 0.01, integerOutput: true },
  { name: 'dynamic', options: { mode: 'dynamic' }, relRmse: 0.03, integerOutput: false },
  { name: 'float16', options: { mode: 'float16' }, relRmse: 0.005, integerOutput: false },
];

function seededInputs(model: Model, n: number, seed: number, [lo, hi]: [number, number]): Float32Array[][] {
  const sg = model.subgraphs[0];
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => sg.inputs.map((i) => {
    const size = sg.tensors[i].shape.reduce((p, d) => p * d, 1);
    return Float32Array.from({ length: size }, () => lo + (hi - lo) * rnd());
  }));
}

/** Raw outputs per sample per model output, inputs converted to the file's input types. */
async function runOfficialAll(bytes: Uint8Array, model: Model, samples: Float32Array[][]): Promise<number[][][]> {
  const sg = model.subgraphs[0];
  const runner = await createOfficialRunner(bytes);
  try {
    return samples.map((inputs) => {
      inputs.forEach((v, i) => runner.setInput(i, toInputValues(sg.tensors[sg.inputs[i]], v)));
      runner.invoke();
      return runner.getOutputs().map((o) => Array.from(o.data as ArrayLike<number>, Number));
    });
  } finally {
    runner.delete();
  }
}

function runOursAll(model: Model, samples: Float32Array[][]): number[][][] {
  const sg = model.subgraphs[0];
  const interp = Interpreter.fromModel(model);
  return samples.map((inputs) => {
    inputs.forEach((v, i) => interp.setInput(i, toInputValues(sg.tensors[sg.inputs[i]], v)));
    interp.invoke();
    return sg.outputs.map((_, o) => Array.from(interp.getOutput(o) as ArrayLike<number>, Number));
  });
}

interface Outcome { arch: string; mode: string; ok: boolean; detail: string }
const matrix: Outcome[] = [];

for (const arch of ARCHITECTURES) {
  test(`quantize ${arch.name}: every mode runs in the official runtime, close to float, our interpreter agrees`, async () => {
    const tf = await loadTf();
    const float = await arch.build(tf);
    const floatBytes = writeModel(float);
    const calibration = seededInputs(float, 50, 100, arch.range);
    const evalSet = seededInputs(float, 100, 200, arch.range);
    const reference = await runOfficialAll(floatBytes, float, evalSet);
    const nOut = float.subgraphs[0].outputs.length;
    const outRange = Array.from({ length: nOut }, (_, o) => {
      let lo = Infinity, hi = -Infinity;
      for (const row of reference) for (const v of row[o]) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      assert.ok(hi - lo > 1e-3, `${arch.name}: float output ${o} nearly constant (${lo}..${hi}): a useless test model`);
      return hi - lo;
    });
    const failures: string[] = [];

    for (const mode of MODES) {
      const label = `${arch.name} / ${mode.name}`;
      const problems: string[] = [];
      const details: string[] = [];
      try {
        const { model, report } = await quantize(float, { ...mode.options, representativeDataset: calibration });
        const bytes = writeModel(model);
        const q = readModel(bytes, `${arch.name}.tflite`);
        const sg = q.subgraphs[0];

        // (5) What stays float is named in a warning (full-integer modes).
        if (mode.options.mode === 'int8' || mode.options.mode === 'int16x8') {
          const floatNames = report.floatOps.map((o) => o.op).sort();
          const expected = [...((mode.options.mode === 'int16x8' ? arch.floatOps16 : undefined) ?? arch.floatOps ?? [])].sort();
          if (floatNames.join() !== expected.join()) problems.push(`float ops [${floatNames}] (expected [${expected}]): ${report.warnings.join('; ')}`);
          for (const op of floatNames) if (!report.warnings.some((w) => w.includes(op))) problems.push(`no warning names ${op}`);
          for (const t of [...sg.inputs, ...sg.outputs].map((i) => sg.tensors[i])) {
            const want = sg.inputs.includes(sg.tensors.indexOf(t)) ? mode.options.inputType : mode.options.outputType;
            if (t.dtype !== want) problems.push(`I/O tensor '${t.name}' is ${t.dtype}, not ${want}`);
          }
        }

        // (1) + (4) The official runtime loads it (every op version accepted) and runs it.
        const official = await runOfficialAll(bytes, q, evalSet);
        const ours = runOursAll(q, evalSet);

        for (let o = 0; o < nOut; o++) {
          const outT = sg.tensors[sg.outputs[o]];
          const tag = nOut > 1 ? `out${o} ` : '';
          // (2) Close to the float model.
          let se = 0, n = 0, top1Same = 0, worst = 0;
          official.forEach((row, k) => {
            const deq = toFloat(outT, row[o]);
            const ref = reference[k][o];
            for (let i = 0; i < ref.length; i++) { se += (deq[i] - ref[i]) ** 2; n++; worst = Math.max(worst, Math.abs(deq[i] - ref[i])); }
            if (argmax(deq) === argmax(ref)) top1Same++;
          });
          const rel = Math.sqrt(se / n) / outRange[o];
          details.push(`${tag}rmse/range ${(100 * rel).toFixed(2)} % (worst ${(100 * worst / outRange[o]).toFixed(1)} %)`);
          if (rel > mode.relRmse) problems.push(`${tag}rmse/range ${(100 * rel).toFixed(2)} % > ${100 * mode.relRmse} %`);
          // A wrapped or saturated value shows as one huge error even when the RMSE is small.
          if (worst > 0.25 * outRange[o]) problems.push(`${tag}worst error ${(100 * worst / outRange[o]).toFixed(1)} % of the output range`);
          if (arch.classifier && o === 0) {
            details.push(`top-1 ${top1Same} %`);
            if (top1Same < 90) problems.push(`top-1 agreement ${top1Same} % < 90 %`);
          }
          // (3) Our interpreter gives the official runtime's raw outputs.
          let maxDiff = 0, maxRel = 0;
          official.forEach((row, k) => row[o].forEach((v, i) => {
            const d = Math.abs(v - ours[k][o][i]);
            maxDiff = Math.max(maxDiff, d);
            maxRel = Math.max(maxRel, d / outRange[o]);
          }));
          const agree = mode.integerOutput ? `ours vs official max ${maxDiff} LSB` : `ours vs official max ${(maxRel * 100).toExponential(1)} % of range`;
          details.push(agree);
          if (mode.integerOutput ? maxDiff > 1 : maxRel > 1e-4) problems.push(`${tag}our interpreter differs from the official runtime: ${agree}`);
        }
      } catch (e) {
        problems.push(`threw: ${(e as Error).message}`);
      }
      const detail = problems.length ? problems.join('; ') : details.join(', ');
      matrix.push({ arch: arch.name, mode: mode.name, ok: problems.length === 0, detail });
      if (problems.length) failures.push(`${label}: ${detail}`);
    }

    // strict: an op that cannot be quantized is an error naming it.
    if (arch.floatOps?.length) {
      await assert.rejects(
        quantize(float, { mode: 'int8', representativeDataset: calibration, strict: true }),
        (e: Error) => e instanceof UnsupportedError && arch.floatOps!.every((op) => e.message.includes(op)),
      );
    } else {
      await quantize(float, { mode: 'int8', representativeDataset: calibration, strict: true });
    }
    assert.deepEqual(failures, []);
  });
}

test('architectures x modes matrix', () => {
  for (const o of matrix) console.log(`# ${o.ok ? 'PASS' : 'FAIL'} ${o.arch.padEnd(34)} ${o.mode.padEnd(20)} ${o.detail}`);
  assert.ok(matrix.length > 0);
});
