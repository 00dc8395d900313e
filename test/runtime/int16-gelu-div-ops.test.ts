// int16 LOGISTIC/TANH/SOFTMAX, GELU and uint8 DIV vs the official TFLite runtime on seeded random cases
// (shapes, scales, options). int16 LOGISTIC/TANH cover both TFLite paths: power-of-two input scales (gemmlowp
// fixed point) and general scales (sigmoid-table interpolation).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { DType, Quantization } from '../../src/graph/model.js';
import { UnsupportedError } from '../../src/errors.js';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { erf } from '../../src/runtime/kernels/lut.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { ACTIVATIONS, ConformanceStats, Rng, perTensor, singleOpModel, type OpSpec } from '../helpers/conformance.js';
import { broadcastable, checkCase, count, inputArg, randomQuant, randomShape, randomValues } from '../helpers/op-cases.js';

const stats = new ConformanceStats();
after(() => stats.print());

const CASES = 30;
const OUT16 = perTensor(1 / 32768, 0);

interface Variant {
  label: string;
  build(rng: Rng): { spec: OpSpec; inputs: ArrayLike<number>[] };
}

/** A one-input element-wise op on a random shape. */
function unary(op: string, version: number, dtype: DType, qi: Quantization | null, qo: Quantization | null,
  options: Record<string, unknown>, rng: Rng, rank = rng.int(1, 4)): { spec: OpSpec; inputs: ArrayLike<number>[] } {
  const shape = randomShape(rng, rank, 7);
  return {
    spec: { op, version, options: options as OpSpec['options'], inputs: [inputArg(rng, dtype, shape, qi)], outputs: [{ dtype, shape, quantization: qo }] },
    inputs: [randomValues(rng, dtype, count(shape), 6)],
  };
}

/**
 * int16 input scales: general (not a power of two), or the power of two of TFLite's fixed-point path (exact, or
 * within CheckedLog2's 1e-3 tolerance in log2, which TFLite also treats as the power of two).
 */
function int16Scale(rng: Rng, pot: number | null): Quantization {
  if (pot !== null) return perTensor(Math.pow(2, pot) * rng.pick([1, 1, 1.0005, 0.9995]), 0);
  return randomQuant(rng, 'int16', 0.02, 1);
}

const VARIANTS: Variant[] = [
  { label: 'LOGISTIC int16', build: (r) => unary('LOGISTIC', 3, 'int16', int16Scale(r, null), OUT16, {}, r) },
  { label: 'LOGISTIC int16 pot', build: (r) => unary('LOGISTIC', 3, 'int16', int16Scale(r, -12), OUT16, {}, r) },
  { label: 'TANH int16', build: (r) => unary('TANH', 3, 'int16', int16Scale(r, null), OUT16, {}, r) },
  { label: 'TANH int16 pot', build: (r) => unary('TANH', 3, 'int16', int16Scale(r, r.pick([-12, -11])), OUT16, {}, r) },
  {
    label: 'SOFTMAX int16',
    build: (r) => unary('SOFTMAX', 3, 'int16', randomQuant(r, 'int16', 0.01, 1), OUT16, { beta: r.pick([1, 1, 0.5, 2]) }, r),
  },
  // 8-bit input, int16 output (TFLite's float-table softmax written to int16).
  ...(['int8', 'uint8'] as DType[]).map((dtype): Variant => ({
    label: `SOFTMAX ${dtype}->int16`,
    build: (r) => {
      const shape = randomShape(r, r.int(1, 4), 7);
      return {
        spec: {
          op: 'SOFTMAX', version: 3, options: { beta: r.pick([1, 0.5, 2]) },
          inputs: [inputArg(r, dtype, shape, randomQuant(r, dtype, 0.01, 0.1))], outputs: [{ dtype: 'int16', shape, quantization: OUT16 }],
        },
        inputs: [randomValues(r, dtype, count(shape))],
      };
    },
  })),
  ...[false, true].map((approximate): Variant => ({
    label: `GELU float32${approximate ? ' approximate' : ''}`,
    build: (r) => unary('GELU', 1, 'float32', null, null, { approximate }, r),
  })),
  ...(['int8', 'uint8'] as DType[]).flatMap((dtype) => [false, true].map((approximate): Variant => ({
    label: `GELU ${dtype}${approximate ? ' approximate' : ''}`,
    build: (r) => unary('GELU', 2, dtype, randomQuant(r, dtype, 0.01, 0.05), randomQuant(r, dtype, 0.005, 0.03), { approximate }, r),
  }))),
  { label: 'DIV uint8', build: (r) => buildDiv(r) },
  { label: 'MEAN int16', build: (r) => buildReduce(r, 'MEAN', 'int16', 3) },
  { label: 'SUM int16', build: (r) => buildReduce(r, 'SUM', 'int16', 2) },
  // The spatial special case is chosen on the axis values as written: [-3, -2] is not it.
  { label: 'MEAN int8 axes written [-3, -2]', build: (r) => buildReduce(r, 'MEAN', 'int8', 2, [-3, -2]) },
];

function buildReduce(rng: Rng, op: string, dtype: DType, version: number, fixedAxes?: number[]): { spec: OpSpec; inputs: ArrayLike<number>[] } {
  const spatial = fixedAxes !== undefined || (op === 'MEAN' && rng.bool(0.4));
  const shape = spatial ? [rng.int(1, 2), rng.int(1, 7), rng.int(1, 7), rng.int(1, 5)] : randomShape(rng, rng.int(1, 4), 6);
  const rank = shape.length;
  let axes: number[];
  if (fixedAxes) axes = fixedAxes;
  else if (spatial) axes = rng.pick([[1, 2], [2, 1]]);
  else axes = shape.map((_, i) => i).filter(() => rng.bool(0.5)).map((a) => (rng.bool(0.3) ? a - rank : a));
  if (axes.length === 0) axes = [rng.int(0, rank - 1)];
  const keep = spatial ? true : rng.bool();
  const qi = randomQuant(rng, dtype, 0.01, 0.5);
  // int16 SUM runs only with equal input/output quantization in TFLite.
  const same = (op === 'SUM' && dtype === 'int16') || rng.bool(0.25);
  const qo = same ? qi : randomQuant(rng, dtype, 0.01, 0.5);
  const norm = axes.map((a) => (a < 0 ? a + rank : a));
  const out = keep ? shape.map((d, i) => (norm.includes(i) ? 1 : d)) : shape.filter((_, i) => !norm.includes(i));
  // SUM of full-range int16 values wraps; keep the values small enough to stay in range.
  const values = op === 'SUM' ? rng.ints(count(shape), -300, 300) : randomValues(rng, dtype, count(shape));
  return {
    spec: {
      op, version, options: { keepDims: keep },
      inputs: [inputArg(rng, dtype, shape, qi), { dtype: 'int32', shape: [axes.length], data: axes }],
      outputs: [{ dtype, shape: out, quantization: qo }],
    },
    inputs: [values],
  };
}

function buildDiv(rng: Rng): { spec: OpSpec; inputs: ArrayLike<number>[] } {
  const shape = randomShape(rng, rng.int(0, 4));
  let sa = shape, sb = shape;
  if (rng.bool(0.5)) {
    if (rng.bool()) sb = broadcastable(rng, shape); else sa = broadcastable(rng, shape);
  }
  const qa = randomQuant(rng, 'uint8', 0.01, 0.1);
  const qb = randomQuant(rng, 'uint8', 0.01, 0.1);
  const qo = randomQuant(rng, 'uint8', 0.02, 0.5);
  // A divisor equal to its zero point is a division by zero, which TFLite leaves undefined: avoid it.
  const zb = qb.zeroPoint[0];
  const b = Array.from(randomValues(rng, 'uint8', count(sb)), (x) => (x === zb ? zb + 1 : x));
  const a = randomValues(rng, 'uint8', count(sa));
  const constB = rng.bool(0.25);
  const spec: OpSpec = {
    op: 'DIV', version: 1, options: { fusedActivationFunction: rng.pick(ACTIVATIONS) },
    inputs: [inputArg(rng, 'uint8', sa, qa), constB ? { ...inputArg(rng, 'uint8', sb, qb), data: b } : inputArg(rng, 'uint8', sb, qb)],
    outputs: [{ dtype: 'uint8', shape, quantization: qo }],
  };
  return { spec, inputs: constB ? [a] : [a, b] };
}

VARIANTS.forEach((v, k) => {
  test(v.label, async () => {
    for (let c = 0; c < CASES; c++) {
      const rng = new Rng(53000 + 100 * k + c);
      const { spec, inputs } = v.build(rng);
      await checkCase(`${v.label} case ${c}`, spec, inputs, stats, v.label);
    }
  });
});

test('erf (used by GELU tables) matches tabulated values', () => {
  // Abramowitz & Stegun table 7.1 values, and symmetry.
  const known: [number, number][] = [[0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149],
    [2, 0.9953222650189527], [2.5, 0.999593047982555], [3, 0.9999779095030014], [4, 0.9999999845827421]];
  for (const [x, v] of known) {
    assert.ok(Math.abs(erf(x) - v) < 1e-14, `erf(${x}) = ${erf(x)}, expected ${v}`);
    assert.equal(erf(-x), -erf(x));
  }
  assert.equal(erf(0), 0);
  assert.equal(erf(10), 1);
});

/** Both runtimes must refuse the model: ours with an UnsupportedError matching `pattern`. */
async function assertBothRefuse(spec: OpSpec, pattern: RegExp): Promise<void> {
  const bytes = writeModel(singleOpModel(spec));
  assert.throws(() => {
    const it = Interpreter.fromBytes(bytes);
    it.invoke();
  }, (e: Error) => e instanceof UnsupportedError && pattern.test(e.message));
  let officialRan = false;
  try {
    const r = await createOfficialRunner(bytes);
    try {
      r.invoke();
      officialRan = true;
    } finally {
      r.delete();
    }
  } catch {
    // refused, as expected
  }
  assert.equal(officialRan, false, `the official runtime ran ${spec.op}, which we refuse`);
}

test('refused as TFLite refuses them: int8 DIV, int16 LOGISTIC with a wrong output scale, int16 SUM rescaling', async () => {
  const q = perTensor(0.05, 3);
  await assertBothRefuse({
    op: 'DIV', inputs: [{ dtype: 'int8', shape: [4], quantization: q }, { dtype: 'int8', shape: [4], quantization: q }],
    outputs: [{ dtype: 'int8', shape: [4], quantization: q }],
  }, /DIV on int8/);
  await assertBothRefuse({
    op: 'LOGISTIC', version: 3, inputs: [{ dtype: 'int16', shape: [4], quantization: perTensor(1 / 4096, 0) }],
    outputs: [{ dtype: 'int16', shape: [4], quantization: perTensor(1 / 16384, 0) }],
  }, /int16 LOGISTIC output must have scale 1\/32768/);
  await assertBothRefuse({
    op: 'SUM', version: 2, options: { keepDims: false },
    inputs: [{ dtype: 'int16', shape: [2, 3], quantization: perTensor(0.01, 0) }, { dtype: 'int32', shape: [1], data: [1] }],
    outputs: [{ dtype: 'int16', shape: [2], quantization: perTensor(0.02, 0) }],
  }, /int16 SUM with different input and output quantization/);
});
