// ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE vs the official TFLite runtime: seeded random shapes
// (rank 0-5, broadcasting), fused activations, dtypes and quantization parameters.
import { after, test } from 'node:test';
import type { DType } from '../../src/graph/model.js';
import { ACTIVATIONS, ConformanceStats, Rng, perTensor, type OpSpec } from '../helpers/conformance.js';
import { broadcastable, checkCase, count, inputArg, randomQuant, randomShape, randomValues } from '../helpers/op-cases.js';

const stats = new ConformanceStats();
after(() => stats.print());

const CASES = 24;

interface Variant { op: string; dtype: DType; version: number; pot?: boolean }

const VARIANTS: Variant[] = [
  ...['ADD', 'SUB', 'MUL'].flatMap((op): Variant[] => [
    { op, dtype: 'float32', version: 1 }, { op, dtype: 'int32', version: op === 'MUL' ? 4 : op === 'SUB' ? 3 : 1 },
    { op, dtype: 'int8', version: 2 }, { op, dtype: 'uint8', version: 1 }, { op, dtype: 'int16', version: op === 'MUL' ? 4 : 3 },
  ]),
  { op: 'ADD', dtype: 'int16', version: 3, pot: true },
  { op: 'SUB', dtype: 'int16', version: 3, pot: true },
  { op: 'DIV', dtype: 'float32', version: 1 }, { op: 'DIV', dtype: 'int32', version: 1 },
  ...['MAXIMUM', 'MINIMUM'].flatMap((op): Variant[] => [
    { op, dtype: 'float32', version: 1 }, { op, dtype: 'int32', version: 1 }, { op, dtype: 'int8', version: 2 },
    { op, dtype: 'uint8', version: 1 },
  ]),
  { op: 'SQUARED_DIFFERENCE', dtype: 'float32', version: 1 },
  { op: 'SQUARED_DIFFERENCE', dtype: 'int8', version: 2 },
];

function build(rng: Rng, v: Variant): { spec: OpSpec; inputs: ArrayLike<number>[] } {
  // The official runtime aborts on rank-5 broadcasting except for float and 8-bit ADD/SUB/MUL/MAXIMUM/MINIMUM.
  const rank5Broadcast = v.dtype === 'float32' || ((v.dtype === 'int8' || v.dtype === 'uint8') && v.op !== 'SQUARED_DIFFERENCE');
  // The power-of-two int16 ADD path has no broadcasting in the official runtime (it aborts).
  const broadcast = rng.bool(0.6) && !(v.pot && v.op === 'ADD');
  const rank = rng.pick(broadcast && !rank5Broadcast ? [0, 1, 2, 3, 4, 4] : [0, 1, 2, 3, 4, 4, 4, 5]);
  const shape = randomShape(rng, rank);
  let sa = shape, sb = shape;
  if (broadcast) {
    if (rng.bool()) sb = broadcastable(rng, shape); else sa = broadcastable(rng, shape);
  }
  const quantized = v.dtype === 'int8' || v.dtype === 'uint8' || v.dtype === 'int16';
  const sameQuant = v.op === 'MAXIMUM' || v.op === 'MINIMUM';
  let qa = quantized ? randomQuant(rng, v.dtype) : null;
  let qb = quantized ? (sameQuant ? qa : randomQuant(rng, v.dtype)) : null;
  let qo = quantized ? (sameQuant ? qa : randomQuant(rng, v.dtype, v.op === 'MUL' ? 0.05 : 0.01, v.op === 'MUL' ? 2 : 0.2)) : null;
  if (v.pot) {
    // Power-of-two scales: the output and one input share a scale, the other input is finer.
    const e = -rng.int(6, 12);
    qo = perTensor(Math.pow(2, e), 0);
    const finer = perTensor(Math.pow(2, e - rng.int(0, 3)), 0);
    [qa, qb] = rng.bool() ? [qo, finer] : [finer, qo];
  }
  const options: Record<string, string | boolean> = {};
  if (['ADD', 'SUB', 'MUL', 'DIV'].includes(v.op)) {
    options.fusedActivationFunction = v.dtype === 'int32' ? 'NONE' : rng.pick(ACTIVATIONS);
  }
  if ((v.op === 'ADD' || v.op === 'SUB') && v.dtype === 'int16') options.potScaleInt16 = v.pot === true;
  const a = randomValues(rng, v.dtype, count(sa));
  let b = randomValues(rng, v.dtype, count(sb));
  if (v.op === 'DIV') {
    b = Array.from(b, (x) => (v.dtype === 'int32' ? (x === 0 ? 7 : x) : (x >= 0 ? x + 0.5 : x - 0.5)));
  }
  const constB = rng.bool(0.25);
  const spec: OpSpec = {
    op: v.op, version: v.version, options,
    inputs: [inputArg(rng, v.dtype, sa, qa), constB ? { ...inputArg(rng, v.dtype, sb, qb), data: b } : inputArg(rng, v.dtype, sb, qb)],
    outputs: [{ dtype: v.dtype, shape: shape, quantization: qo }],
  };
  return { spec, inputs: constB ? [a] : [a, b] };
}

for (const v of VARIANTS) {
  const label = `${v.op} ${v.dtype}${v.pot ? ' pot' : ''}`;
  test(label, async () => {
    for (let c = 0; c < CASES; c++) {
      const rng = new Rng(1000 * VARIANTS.indexOf(v) + c);
      const { spec, inputs } = build(rng, v);
      await checkCase(`${label} case ${c}`, spec, inputs, stats, label);
    }
  });
}
