// The single-step LSTM op (kernel_type FULL) vs the official TFLite runtime: float32, hybrid (int8 weights, float
// activations; symmetric and asymmetric input quantization) and integer 8x8_16 (with and without layer norm), each
// case over several consecutive invocations through one runner on each side, so the state carried in the variable
// inputs is compared too; both our WebAssembly path and the TypeScript loops. Tolerances: float, the harness's
// (1e-5 relative + 1e-6 absolute); integer bit-exact; hybrid, additionally an absolute bound: an ulp of difference
// in tanh/logistic can move one value quantized per batch (output state, hidden before the projection) by one
// step. The sequence op's hybrid test states 5e-5; here one case (projection, zero input after a first step)
// reaches 5.01e-5 on every output of the step, so the bound is 1e-4 (every other case stays below 2e-5).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { ConformanceStats, Rng, compareArrays, perTensor, singleOpModel, type OpSpec, type TensorArg } from '../helpers/conformance.js';
import { createOfficialRunner } from '../helpers/oracle.js';

const stats = new ConformanceStats();
after(() => stats.print());

type Kind = 'float' | 'hybrid' | 'hybrid-asymmetric' | 'int8' | 'int8-layer-norm';

interface CellShape { batches: number; nInput: number; nCell: number; nOutput: number; cifg: boolean; peephole: boolean; projection: boolean; layerNorm: boolean }

function randomShape(rng: Rng, kind: Kind): CellShape {
  const projection = rng.bool(0.4);
  // TFLite's integer layer norm divides 2^20 by the cell count: exact only for powers of two.
  const nCell = kind === 'int8-layer-norm' ? rng.pick([2, 4, 8, 16]) : rng.int(1, 8);
  return {
    batches: rng.int(1, 3), nInput: rng.int(1, 6), nCell, nOutput: projection ? rng.int(1, 6) : nCell,
    cifg: rng.bool(0.3), peephole: rng.bool(0.4), projection,
    layerNorm: kind === 'int8-layer-norm' || (kind !== 'int8' && rng.bool(0.4)),
  };
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Float32 or hybrid (int8 weights with per-tensor scales; float biases, states and layer-norm coefficients). */
function floatSpec(rng: Rng, s: CellShape, kind: Kind, activation: string): OpSpec {
  const { batches, nInput, nCell, nOutput } = s;
  const hybrid = kind !== 'float';
  const weights = (shape: number[], m: number): TensorArg => (hybrid
    ? { dtype: 'int8', shape, data: rng.ints(count(shape), -127, 127), quantization: perTensor(m / 127, 0) }
    : { dtype: 'float32', shape, data: rng.floats(count(shape), -m, m) });
  const gateW = (cols: number, skip: boolean) => (skip ? null : weights([nCell, cols], rng.float(0.3, 1)));
  const vec = (skip: boolean, lo: number, hi: number): TensorArg | null => (skip ? null : { dtype: 'float32', shape: [nCell], data: rng.floats(nCell, lo, hi) });
  const peep = (skip: boolean) => (skip || !s.peephole ? null : weights([nCell], 0.5));
  return {
    op: 'LSTM', version: kind === 'float' ? 1 : kind === 'hybrid' ? 3 : 4,
    options: {
      fusedActivationFunction: activation, cellClip: rng.pick([0, 0, 3]), projClip: s.projection ? rng.pick([0, 0.8]) : 0,
      kernelType: 'FULL', asymmetricQuantizeInputs: kind === 'hybrid-asymmetric',
    },
    inputs: [
      { dtype: 'float32', shape: [batches, nInput] },
      gateW(nInput, s.cifg), gateW(nInput, false), gateW(nInput, false), gateW(nInput, false),
      gateW(nOutput, s.cifg), gateW(nOutput, false), gateW(nOutput, false), gateW(nOutput, false),
      peep(s.cifg), peep(false), peep(false),
      vec(s.cifg, -0.5, 0.5), vec(false, 0.5, 1.5), vec(false, -0.3, 0.3), vec(false, -0.3, 0.3),
      s.projection ? weights([nOutput, nCell], 0.7) : null,
      s.projection && rng.bool() ? { dtype: 'float32', shape: [nOutput], data: rng.floats(nOutput, -0.2, 0.2) } : null,
      { dtype: 'float32', shape: [batches, nOutput], isVariable: true },
      { dtype: 'float32', shape: [batches, nCell], isVariable: true },
      vec(!s.layerNorm || s.cifg, 0.5, 1.5), vec(!s.layerNorm, 0.5, 1.5), vec(!s.layerNorm, 0.5, 1.5), vec(!s.layerNorm, 0.5, 1.5),
    ],
    outputs: [{ dtype: 'float32', shape: [batches, nOutput] }],
  };
}

/**
 * Integer 8x8_16: int8 input, weights and output state, int16 cell state (power-of-two scale), int32 biases; gate
 * pre-activations in Q3.12, or with layer norm in the scales of intermediates 0..3 (then int16 coefficients and
 * the bias added after normalization); intermediate 4 is the hidden value's int8 scale. Scales keep the gates in a
 * good part of their range without saturating.
 */
function integerSpec(rng: Rng, s: CellShape): OpSpec {
  const { batches, nInput, nCell, nOutput } = s;
  const inputScale = rng.float(0.004, 0.01), stateScale = rng.float(0.006, 0.01);
  const hiddenScale = s.projection ? rng.float(0.006, 0.01) : stateScale;
  const stateZp = rng.pick([0, -1, rng.int(-10, 10)]);
  const hiddenZp = s.projection ? rng.pick([0, -1]) : stateZp;
  const cellScale = 2 ** rng.pick([-12, -11, -10]);
  const gateScales = [0, 1, 2, 3].map(() => (s.layerNorm ? rng.float(0.5, 4) : 1) * 2 ** -12);
  const w8 = (shape: number[], fanIn: number, inScale: number, gate: number): TensorArg => ({
    dtype: 'int8', shape, data: rng.ints(count(shape), -127, 127),
    quantization: perTensor(rng.float(0.5, 2) * 8000 * gateScales[gate] / (inScale * 73 * 74 * Math.sqrt(fanIn)), 0),
  });
  const skipInput = (k: number) => k === 0 && s.cifg;
  const lnCoef = (skip: boolean): TensorArg | null => (skip || !s.layerNorm ? null
    : { dtype: 'int16', shape: [nCell], data: rng.ints(nCell, 8000, 32000), quantization: perTensor(1 / 16384, 0) });
  // Without layer norm the bias adds to the input products (in their scale); with it, after normalization.
  const biasRange = s.layerNorm ? 200000 : 20000;
  const bias = (skip: boolean): TensorArg | null => (skip ? null
    : { dtype: 'int32', shape: [nCell], data: rng.ints(nCell, -biasRange, biasRange), quantization: perTensor(2 ** -24, 0) });
  const peep = (skip: boolean, k: number): TensorArg | null => (skip || !s.peephole ? null
    : { dtype: 'int16', shape: [nCell], data: rng.ints(nCell, -32767, 32767), quantization: perTensor(rng.float(1, 10) * gateScales[k] * 2 ** -12 / cellScale, 0) });
  const inputs: (TensorArg | null)[] = [
    { dtype: 'int8', shape: [batches, nInput], quantization: perTensor(inputScale, rng.int(-20, 20)) },
    ...[0, 1, 2, 3].map((k) => (skipInput(k) ? null : w8([nCell, nInput], nInput, inputScale, k))),
    ...[0, 1, 2, 3].map((k) => (skipInput(k) ? null : w8([nCell, nOutput], nOutput, stateScale, k))),
    peep(s.cifg, 0), peep(false, 1), peep(false, 3),
    bias(s.cifg), bias(false), bias(false), bias(false),
    s.projection ? { dtype: 'int8', shape: [nOutput, nCell], data: rng.ints(nOutput * nCell, -127, 127), quantization: perTensor(rng.float(0.5, 2) * stateScale / (hiddenScale * 127 * Math.sqrt(nCell)), 0) } : null,
    null,
    { dtype: 'int8', shape: [batches, nOutput], isVariable: true, quantization: perTensor(stateScale, stateZp) },
    { dtype: 'int16', shape: [batches, nCell], isVariable: true, quantization: perTensor(cellScale, 0) },
    lnCoef(s.cifg), lnCoef(false), lnCoef(false), lnCoef(false),
  ];
  const holder = (name: string, k: number): TensorArg => ({ name, dtype: 'int16', shape: [0], quantization: perTensor(gateScales[k], 0) });
  return {
    op: 'LSTM', version: 4,
    options: { fusedActivationFunction: 'TANH', cellClip: rng.pick([0, 0, 4]), projClip: 0, kernelType: 'FULL' },
    inputs,
    outputs: [{ dtype: 'int8', shape: [batches, nOutput], quantization: perTensor(stateScale, stateZp) }],
    intermediates: [holder('input_gate', 0), holder('forget_gate', 1), holder('cell_gate', 2), holder('output_gate', 3),
      { name: 'effective_hidden', dtype: 'int8', shape: [0], quantization: perTensor(hiddenScale, hiddenZp) }],
  };
}

/** Hybrid: the sequence op's hybrid bound (5e-5), doubled; see the file comment for the one case that needs it. */
const HYBRID_ATOL = 1e-4;

/** Runs `cases` seeded cells of one kind, 4 invocations each, on both of our paths against the official runtime. */
async function checkCells(kind: Kind, seed: number, cases: number, shapeOf: (rng: Rng) => CellShape, label = `LSTM ${kind}`): Promise<void> {
  const integer = kind.startsWith('int8');
  const rng = new Rng(seed);
  let total = 0, saturated = 0;
  const distinct = new Set<number>();
  for (let c = 0; c < cases; c++) {
    const s = shapeOf(rng);
    // Not NONE: there the official runtime's output disagrees with the identity cell activation by O(1), for the
    // sequence op as well.
    const activation = integer ? 'TANH' : rng.pick(['TANH', 'TANH', 'RELU', 'RELU6']);
    const spec = integer ? integerSpec(rng, s) : floatSpec(rng, s, kind, activation);
    const bytes = writeModel(singleOpModel(spec));
    const ref = await createOfficialRunner(bytes);
    const fast = Interpreter.fromBytes(bytes);
    const loops = Interpreter.fromBytes(bytes, { kernels: 'typescript' });
    const n = s.batches * s.nInput;
    const name = `${kind} case ${c}: ${JSON.stringify(s)} ${activation}`;
    try {
      for (let t = 0; t < 4; t++) {
        const x = integer ? rng.ints(n, -128, 127) : t === 1 ? new Float32Array(n) : rng.floats(n, -2, 2);
        for (const r of [ref, fast, loops]) r.setInput(0, x);
        ref.invoke(); fast.invoke(); loops.invoke();
        const expected = ref.getOutputs()[0].data as ArrayLike<number>;
        for (const [path, ours] of [['wasm', fast], ['typescript', loops]] as const) {
          const cmp = integer
            ? compareArrays(ours.getOutput(0) as Int8Array, expected, 'int8', 0)
            : compareArrays(ours.getOutput(0) as Float32Array, expected, 'float32');
          stats.add(label, cmp);
          const ok = cmp.ok || (kind.startsWith('hybrid') && cmp.maxAbsDiff <= HYBRID_ATOL);
          assert.ok(ok, `${name} (${path}) invoke ${t}: ${cmp.message}`);
        }
        if (integer) for (let i = 0; i < expected.length; i++) { total++; distinct.add(expected[i]); if (expected[i] === -128 || expected[i] === 127) saturated++; }
      }
    } finally {
      ref.delete();
    }
  }
  if (integer) assert.ok(saturated < 0.25 * total && distinct.size > 30, `${saturated}/${total} saturated, ${distinct.size} distinct values`);
}

const SEEDS: Record<Kind, number> = { float: 4101, hybrid: 4102, 'hybrid-asymmetric': 4103, int8: 4104, 'int8-layer-norm': 4105 };

for (const kind of Object.keys(SEEDS) as Kind[]) {
  const integer = kind.startsWith('int8');
  test(`LSTM ${kind}: CIFG, peephole, projection${integer ? '' : ', layer norm'}, clips; 4 invocations vs the official runtime`, async () => {
    await checkCells(kind, SEEDS[kind], 12, (rng) => {
      const s = randomShape(rng, kind);
      // Integer peephole with more outputs than cells is refused (below).
      if (integer && s.peephole && s.nOutput > s.nCell) s.nOutput = rng.int(1, s.nCell);
      return s;
    });
  });
}

// TFLite's integer cell applies the peephole over the flat [batch, cell] buffers with n_output as the row length:
// with fewer outputs than cells (a projection) that differs from the per-cell product, so these cases check it.
for (const kind of ['int8', 'int8-layer-norm'] as const) {
  test(`LSTM ${kind}: peephole with a projection to fewer outputs than cells, bit-exact vs the official runtime`, async () => {
    await checkCells(kind, SEEDS[kind] + 100, 6, (rng) => {
      const s = { ...randomShape(rng, kind), peephole: true, projection: true, cifg: rng.bool() };
      if (s.nCell < 2) s.nCell = 2;
      s.nOutput = rng.int(1, s.nCell - 1);
      return s;
    }, `LSTM ${kind} peephole + projection`);
  });
}

test('UNIDIRECTIONAL_SEQUENCE_LSTM int8 shares the flat peephole walk: 3 steps, time- and batch-major, bit-exact vs the official runtime', async () => {
  const rng = new Rng(4321);
  for (let c = 0; c < 8; c++) {
    const layerNorm = rng.bool();
    const nCell = layerNorm ? rng.pick([4, 8]) : rng.int(2, 8);
    const s: CellShape = { batches: rng.int(2, 3), nInput: rng.int(1, 5), nCell, nOutput: rng.int(1, nCell - 1), cifg: rng.bool(), peephole: true, projection: true, layerNorm };
    const spec = integerSpec(rng, s);
    const { kernelType: _kernelType, ...options } = spec.options!;
    spec.op = 'UNIDIRECTIONAL_SEQUENCE_LSTM';
    spec.version = 1;
    // Time-major steps run all batches at once (the walk crosses batch rows); batch-major, one batch per step.
    const timeMajor = c % 2 === 0;
    spec.options = { ...options, timeMajor };
    spec.inputs[0] = { ...spec.inputs[0]!, shape: timeMajor ? [3, s.batches, s.nInput] : [s.batches, 3, s.nInput] };
    spec.outputs[0] = { ...spec.outputs[0], shape: timeMajor ? [3, s.batches, s.nOutput] : [s.batches, 3, s.nOutput] };
    const bytes = writeModel(singleOpModel(spec));
    const ref = await createOfficialRunner(bytes);
    const ours = Interpreter.fromBytes(bytes);
    try {
      for (let t = 0; t < 2; t++) {
        const x = rng.ints(s.batches * 3 * s.nInput, -128, 127);
        ref.setInput(0, x); ours.setInput(0, x);
        ref.invoke(); ours.invoke();
        const cmp = compareArrays(ours.getOutput(0) as Int8Array, ref.getOutputs()[0].data as ArrayLike<number>, 'int8', 0);
        stats.add('UNIDIRECTIONAL_SEQUENCE_LSTM int8 peephole + projection', cmp);
        assert.ok(cmp.ok, `sequence case ${c} ${JSON.stringify(s)}${timeMajor ? ' time-major' : ''} invoke ${t}: ${cmp.message}`);
      }
    } finally {
      ref.delete();
    }
  }
});

test('LSTM int8 with peephole weights and more outputs than cells is refused (TFLite reads past the cell state)', () => {
  const spec = integerSpec(new Rng(3), { batches: 2, nInput: 2, nCell: 2, nOutput: 3, cifg: false, peephole: true, projection: true, layerNorm: false });
  assert.throws(() => Interpreter.fromBytes(writeModel(singleOpModel(spec))), /peephole weights and more outputs \(3\) than cells \(2\)/);
});

test('LSTM with kernel_type BASIC is refused with a message naming the kernel type', () => {
  const spec = floatSpec(new Rng(1), { batches: 1, nInput: 2, nCell: 2, nOutput: 2, cifg: false, peephole: false, projection: false, layerNorm: false }, 'float', 'TANH');
  spec.options = { ...spec.options, kernelType: 'BASIC' };
  spec.version = 2;
  assert.throws(() => Interpreter.fromBytes(writeModel(singleOpModel(spec))), /kernel_type BASIC/);
});

test('LSTM with a 3-D input is refused (the op takes [batch, input])', () => {
  const spec = floatSpec(new Rng(2), { batches: 1, nInput: 2, nCell: 2, nOutput: 2, cifg: false, peephole: false, projection: false, layerNorm: false }, 'float', 'TANH');
  spec.inputs[0] = { dtype: 'float32', shape: [1, 1, 2] };
  assert.throws(() => Interpreter.fromBytes(writeModel(singleOpModel(spec))), /2-D/);
});
