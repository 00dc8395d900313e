// AVERAGE_POOL_2D, MAX_POOL_2D, QUANTIZE and DEQUANTIZE vs the official TFLite runtime on seeded random one-op models
// (float32, int8, uint8, int16; SAME/VALID, strides, window sizes up to global pooling, fused activations; float to
// integer quantization, integer requantization, per-tensor and per-channel dequantization, float16).
import { after, test } from 'node:test';
import type { DType, Quantization } from '../../src/graph/model.js';
import { encodeValues, GraphBuilder } from '../../src/graph/builder.js';
import { writeModel } from '../../src/format/index.js';
import { ACTIVATIONS, ConformanceStats, PADDINGS, Rng, checkBytes, perChannel, perTensor, type OpSpec } from '../helpers/conformance.js';
import { checkCase, count, randomQuant, randomValues } from '../helpers/op-cases.js';

const stats = new ConformanceStats();
after(() => stats.print());

// Every quantized variant is asserted bit-exact (0 LSB, stricter than the 1 LSB).
const CASES = 30;

// ---------------------------------------------------------------- pooling

const POOL_VERSION: Record<string, number> = { float32: 1, uint8: 1, int8: 2, int16: 3 };

function buildPool(rng: Rng, op: string, dtype: DType): { spec: OpSpec; inputs: ArrayLike<number>[] } {
  const shape = [rng.int(1, 2), rng.int(1, 9), rng.int(1, 9), rng.int(1, 7)];
  const [, h, w] = shape;
  let padding: string = rng.pick([...PADDINGS]);
  let filterH: number, filterW: number, strideH: number, strideW: number;
  if (rng.bool(0.2)) {
    // Global pooling, as Keras' GlobalAveragePooling2D is sometimes converted.
    [filterH, filterW, strideH, strideW, padding] = [h, w, 1, 1, 'VALID'];
  } else {
    filterH = rng.int(1, Math.min(4, padding === 'VALID' ? h : 4));
    filterW = rng.int(1, Math.min(4, padding === 'VALID' ? w : 4));
    strideH = rng.int(1, 3);
    strideW = rng.int(1, 3);
  }
  const outSize = (size: number, f: number, s: number) => (padding === 'SAME' ? Math.floor((size + s - 1) / s) : Math.floor((size - f + s) / s));
  const outShape = [shape[0], outSize(h, filterH, strideH), outSize(w, filterW, strideW), shape[3]];
  const q = dtype === 'float32' ? null : randomQuant(rng, dtype, 0.01, 0.1);
  // RELU_N1_TO_1 on a quantized output needs the range [-1, 1] to be representable; keep it for float and wide scales.
  const act = rng.pick([...ACTIVATIONS]);
  const spec: OpSpec = {
    op, version: POOL_VERSION[dtype],
    options: { padding, strideH, strideW, filterHeight: filterH, filterWidth: filterW, fusedActivationFunction: act },
    inputs: [{ dtype, shape, quantization: q }],
    outputs: [{ dtype, shape: outShape, quantization: q }],
  };
  return { spec, inputs: [randomValues(rng, dtype, count(shape), 4)] };
}

for (const op of ['AVERAGE_POOL_2D', 'MAX_POOL_2D']) {
  for (const dtype of ['float32', 'int8', 'uint8', 'int16'] as DType[]) {
    const label = `${op} ${dtype}`;
    test(label, async () => {
      for (let c = 0; c < CASES; c++) {
        const rng = new Rng(9100 + 1000 * op.length + 100 * POOL_VERSION[dtype] + dtype.length + c * 7);
        const { spec, inputs } = buildPool(rng, op, dtype);
        await checkCase(`${label} case ${c}`, spec, inputs, stats, label, 0);
      }
    });
  }
}

// ---------------------------------------------------------------- QUANTIZE

/** Versions as the converter writes them: int16 output 2, otherwise 1 (requantizing 8-bit ones: 2). */
function quantizeVersion(from: DType, to: DType): number {
  if (to === 'int16' || from === 'int16') return 2;
  return from === 'float32' ? 1 : 2;
}

/** Float inputs over the output's real range and beyond, with exact half-way points between quantization steps. */
function floatInputs(rng: Rng, n: number, q: Quantization): Float32Array {
  const s = q.scale[0];
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rng.float(0, 1);
    if (r < 0.3) x[i] = (rng.int(-200, 200) + 0.5) * s; // ties (exact when s is a power of two)
    else if (r < 0.4) x[i] = rng.int(-200, 200) * s;
    else x[i] = rng.float(-150, 150) * s;
  }
  return x;
}

function outputQuant(rng: Rng, dtype: DType): Quantization {
  // A third of the cases use a power-of-two scale, where half-way inputs are exact.
  if (rng.bool(0.33)) {
    const s = 2 ** -rng.int(dtype === 'int16' ? 10 : 3, dtype === 'int16' ? 14 : 8);
    return perTensor(s, dtype === 'int8' ? rng.int(-30, 30) : dtype === 'uint8' ? rng.int(100, 156) : 0);
  }
  return randomQuant(rng, dtype, 0.005, 0.1);
}

const QUANTIZE_VARIANTS: [DType, DType][] = [
  ['float32', 'int8'], ['float32', 'uint8'], ['float32', 'int16'],
  ['int8', 'int8'], ['uint8', 'uint8'], ['uint8', 'int8'], ['int8', 'uint8'], ['int16', 'int16'], ['int16', 'int8'],
];

for (const [from, to] of QUANTIZE_VARIANTS) {
  const label = `QUANTIZE ${from}->${to}`;
  test(label, async () => {
    for (let c = 0; c < CASES; c++) {
      const rng = new Rng(5300 + 100 * QUANTIZE_VARIANTS.findIndex(([a, b]) => a === from && b === to) + c);
      const shape = Array.from({ length: rng.int(1, 4) }, () => rng.int(1, 6));
      const n = count(shape);
      const qo = outputQuant(rng, to);
      let qi: Quantization | null = null;
      let values: ArrayLike<number>;
      if (from === 'float32') {
        values = floatInputs(rng, n, qo);
      } else {
        // Requantization: scale ratios below and above 1, sometimes equal scales with different zero points.
        const ratio = rng.pick([0.3, 0.5, 0.77, 1, 1.3, 2, 3.7]) * rng.float(0.9, 1.1);
        const inScale = from === to && rng.bool(0.2) ? qo.scale[0] : qo.scale[0] * ratio;
        qi = perTensor(inScale, from === 'int8' ? rng.int(-30, 30) : from === 'uint8' ? rng.int(100, 156) : 0);
        values = randomValues(rng, from, n);
      }
      const spec: OpSpec = {
        op: 'QUANTIZE', version: quantizeVersion(from, to),
        inputs: [{ dtype: from, shape, quantization: qi }],
        outputs: [{ dtype: to, shape, quantization: qo }],
      };
      await checkCase(`${label} case ${c}`, spec, [values], stats, label, 0);
    }
  });
}

test('QUANTIZE int8->int8 / uint8->uint8 over every input value, scale ratios inside, at and outside XNNPACK\'s [2^-8, 2^7]', async () => {
  // Inside the limits the delegate requantizes with an 8-bit fixed-point multiplier; outside, TFLite's kernel runs.
  const ratios = [2 ** -9, 2 ** -8, 0.0041, 1 / 3, 0.742, 1, 2.5, 127, 2 ** 7, 200];
  for (const dtype of ['int8', 'uint8'] as DType[]) {
    const lo = dtype === 'int8' ? -128 : 0;
    const values = Array.from({ length: 256 }, (_, i) => lo + i);
    for (const ratio of ratios) {
      const so = 0.0371;
      const label = `QUANTIZE ${dtype}->${dtype} sweep`;
      const spec: OpSpec = {
        op: 'QUANTIZE', version: 2,
        inputs: [{ dtype, shape: [256], quantization: perTensor(so * ratio, lo + 131) }],
        outputs: [{ dtype, shape: [256], quantization: perTensor(so, lo + 120) }],
      };
      await checkCase(`${label} ratio ${ratio}`, spec, [values], stats, label, 0);
    }
  }
});

// ---------------------------------------------------------------- DEQUANTIZE

const DEQUANTIZE_VARIANTS = ['int8', 'uint8', 'int16', 'float16', 'int8 per-channel'] as const;

/** IEEE half-precision bits of random finite values (normals, subnormals, zeros of both signs). */
function halfBits(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => {
    const sign = rng.bool() ? 0x8000 : 0;
    const exp = rng.bool(0.1) ? 0 : rng.int(1, 30);
    return sign | (exp << 10) | rng.int(0, 1023);
  });
}

for (const variant of DEQUANTIZE_VARIANTS) {
  const label = `DEQUANTIZE ${variant}`;
  test(label, async () => {
    for (let c = 0; c < CASES; c++) {
      const rng = new Rng(6400 + 100 * DEQUANTIZE_VARIANTS.indexOf(variant) + c);
      const shape = Array.from({ length: rng.int(1, 4) }, () => rng.int(1, 6));
      const n = count(shape);
      const dtype = variant.split(' ')[0] as DType;
      let q: Quantization | null = null;
      let version = dtype === 'int16' || dtype === 'float16' ? 3 : dtype === 'int8' ? 2 : 1;
      if (variant === 'int8 per-channel') {
        // Per-channel int8 weights dequantized for a float op (as a converter writes for weights kept in int8).
        const axis = rng.int(0, shape.length - 1);
        const ch = shape[axis];
        q = perChannel(Array.from({ length: ch }, () => rng.float(0.001, 0.05)), new Array(ch).fill(0), axis);
        version = 5;
      } else if (dtype !== 'float16') {
        q = randomQuant(rng, dtype, 0.001, 0.2);
      }
      const values = dtype === 'float16' ? halfBits(rng, n) : randomValues(rng, dtype, n);
      // Dequantized weights are constants in real models. The official runtime's XNNPACK delegate takes a constant
      // DEQUANTIZE over into the op that consumes it and fails when its output is a model output, so constant cases
      // feed an ADD of zeros (exact). float16 model inputs cannot be fed to the official runner: constants only.
      const constant = dtype === 'float16' || rng.bool();
      if (constant) {
        const b = new GraphBuilder();
        const w = b.addTensor({ name: 'w', dtype, shape, quantization: q, data: encodeValues(dtype, values) });
        const x = b.addInput({ name: 'x', dtype: 'float32', shape, quantization: null });
        const dq = b.addTensor({ name: 'dq', dtype: 'float32', shape, quantization: null });
        const out = b.addTensor({ name: 'out', dtype: 'float32', shape, quantization: null });
        b.addOp('DEQUANTIZE', [w], [dq], {}, version);
        b.addOp('ADD', [dq, x], [out], { fusedActivationFunction: 'NONE' }, 1);
        b.markOutput(out);
        await checkBytes(`${label} case ${c} (constant) ${JSON.stringify([shape, q])}`, writeModel(b.model()), [new Float32Array(n)],
          { stats, label, lsb: 0 });
        continue;
      }
      const spec: OpSpec = {
        op: 'DEQUANTIZE', version,
        inputs: [{ dtype, shape, quantization: q }],
        outputs: [{ dtype: 'float32', shape }],
      };
      await checkCase(`${label} case ${c}`, spec, [values], stats, label, 0);
    }
  });
}
