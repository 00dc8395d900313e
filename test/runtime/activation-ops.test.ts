// Activations, SOFTMAX/LOG_SOFTMAX and L2_NORMALIZATION vs the official TFLite runtime on seeded random cases.
import { after, test } from 'node:test';
import type { DType, Quantization } from '../../src/graph/model.js';
import { ConformanceStats, Rng, perTensor, type OpSpec } from '../helpers/conformance.js';
import { checkCase, count, inputArg, randomQuant, randomShape, randomValues } from '../helpers/op-cases.js';

const stats = new ConformanceStats();
after(() => stats.print());

const CASES = 20;

interface Variant {
  op: string;
  dtype: DType;
  version?: number;
  /** Fixed output quantization (LOGISTIC, TANH, LOG_SOFTMAX, L2_NORMALIZATION). */
  out?: (dtype: DType) => Quantization;
  options?: (rng: Rng) => Record<string, number>;
  second?: 'alpha';
  /** Bit-exact with the official runtime (quantized: 0 LSB instead of the 1). */
  exact?: boolean;
}

const q8 = (s: number, zpInt8: number, zpUint8: number) => (d: DType) => perTensor(s, d === 'int8' ? zpInt8 : zpUint8);

const VARIANTS: Variant[] = [
  ...['RELU', 'RELU6', 'RELU_N1_TO_1'].flatMap((op) => (['float32', 'int8', 'uint8'] as DType[])
    // The official runtime refuses int8 RELU_N1_TO_1.
    .filter((dtype) => !(op === 'RELU_N1_TO_1' && dtype === 'int8'))
    .map((dtype) => ({ op, dtype, version: dtype === 'int8' ? 2 : 1 }))),
  // 8-bit LEAKY_RELU reproduces XNNPACK's vlrelu (and TFLite's kernel where XNNPACK refuses the scales): exact.
  ...(['float32', 'int8', 'uint8'] as DType[]).map((dtype) => ({
    op: 'LEAKY_RELU', dtype, exact: dtype !== 'float32', options: (r: Rng) => ({ alpha: r.pick([0.1, 0.2, 0.3, 0.01, 1.5]) }),
  })),
  ...(['float32', 'int8', 'uint8'] as DType[]).map((dtype) => ({ op: 'HARD_SWISH', dtype })),
  ...(['float32', 'int8', 'uint8'] as DType[]).map((dtype) => ({ op: 'PRELU', dtype, second: 'alpha' as const })),
  ...(['float32', 'int8', 'uint8'] as DType[]).map((dtype) => ({ op: 'LOGISTIC', dtype, version: dtype === 'int8' ? 2 : 1, out: q8(1 / 256, -128, 0) })),
  ...(['float32', 'int8', 'uint8'] as DType[]).map((dtype) => ({ op: 'TANH', dtype, version: dtype === 'int8' ? 2 : 1, out: q8(1 / 128, 0, 128) })),
  ...(['float32', 'int8'] as DType[]).map((dtype) => ({ op: 'ELU', dtype })),
  ...(['float32', 'int8', 'uint8'] as DType[]).map((dtype) => ({
    op: 'SOFTMAX', dtype, version: dtype === 'int8' ? 2 : 1, out: q8(1 / 256, -128, 0), options: (r: Rng) => ({ beta: r.pick([1, 1, 0.5, 2]) }),
  })),
  ...(['float32', 'int8', 'uint8'] as DType[]).map((dtype) => ({ op: 'LOG_SOFTMAX', dtype, version: dtype === 'int8' ? 2 : 1, out: q8(16 / 256, 127, 255) })),
  ...(['float32', 'int8', 'uint8'] as DType[]).map((dtype) => ({ op: 'L2_NORMALIZATION', dtype, version: dtype === 'int8' ? 2 : 1, out: q8(1 / 128, 0, 128) })),
];

function build(rng: Rng, v: Variant): { spec: OpSpec; inputs: ArrayLike<number>[] } {
  const shape = randomShape(rng, rng.int(1, 4), 6);
  const quantized = v.dtype !== 'float32';
  const qi = quantized ? randomQuant(rng, v.dtype, 0.01, v.op === 'L2_NORMALIZATION' ? 0.05 : 0.1) : null;
  let qo: Quantization | null = null;
  if (quantized) qo = v.out ? v.out(v.dtype) : v.op.startsWith('RELU') && rng.bool(0.4) ? qi : randomQuant(rng, v.dtype, 0.01, 0.1);
  const inputs: OpSpec['inputs'] = [inputArg(rng, v.dtype, shape, qi)];
  const values: ArrayLike<number>[] = [randomValues(rng, v.dtype, count(shape), 4)];
  if (v.second === 'alpha') {
    // Per-channel alpha (last dimension) or full, constant as converters write it.
    const as = rng.bool() ? [shape[shape.length - 1]] : shape.slice();
    const qa = quantized ? randomQuant(rng, v.dtype, 0.002, 0.01) : null;
    inputs.push({ ...inputArg(rng, v.dtype, as, qa), data: randomValues(rng, v.dtype, count(as), 0.5) });
  }
  const spec: OpSpec = {
    op: v.op, version: v.version ?? 1, options: v.options ? v.options(rng) : {},
    inputs, outputs: [{ dtype: v.dtype, shape, quantization: qo }],
  };
  return { spec, inputs: values };
}

for (const v of VARIANTS) {
  const label = `${v.op} ${v.dtype}`;
  test(label, async () => {
    for (let c = 0; c < CASES; c++) {
      const rng = new Rng(7000 + 100 * VARIANTS.indexOf(v) + c);
      const { spec, inputs } = build(rng, v);
      await checkCase(`${label} case ${c}`, spec, inputs, stats, label, v.exact ? 0 : 1);
    }
  });
}

test('LEAKY_RELU int8/uint8 over every input value: exact inside and outside XNNPACK\'s scale-ratio limits', async () => {
  // Ratios s_in/s_out and alpha chosen so the negative-side ratio falls below 2^-8 (TFLite's kernel runs), inside
  // the limits (XNNPACK's 8.8 fixed point), and with a negative alpha.
  const cases: [number, number, number][] = [[0.02, 0.05, 0.2], [0.05, 0.02, 1.5], [0.01, 0.1, 0.01], [0.0005, 0.1, 0.3], [0.03, 0.02, -0.5]];
  for (const dtype of ['int8', 'uint8'] as DType[]) {
    const lo = dtype === 'int8' ? -128 : 0;
    const values = Array.from({ length: 256 }, (_, i) => lo + i);
    for (const [si, so, alpha] of cases) {
      const label = `LEAKY_RELU ${dtype} sweep`;
      const spec: OpSpec = {
        op: 'LEAKY_RELU', options: { alpha },
        inputs: [{ dtype, shape: [256], quantization: perTensor(si, lo + 140) }],
        outputs: [{ dtype, shape: [256], quantization: perTensor(so, lo + 100) }],
      };
      await checkCase(`${label} ${si}/${so} alpha ${alpha}`, spec, [values], stats, label, 0);
    }
  }
});
