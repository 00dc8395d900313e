// NON_MAX_SUPPRESSION_V4/V5, LOCAL_RESPONSE_NORMALIZATION, REVERSE_SEQUENCE, SEGMENT_SUM, UNSORTED_SEGMENT_* and
// SQUARED_DIFFERENCE int8 vs the official TFLite runtime on seeded one-op models. Tolerances: data movement,
// selections and integer results exact; float results within the harness's 1e-5 relative + 1e-6 absolute.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { DType } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { GraphBuilder, encodeValues } from '../../src/graph/builder.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import * as tf from '@tensorflow/tfjs';
import { createOfficialRunner } from '../helpers/oracle.js';
import { ConformanceStats, Rng, checkOp, compareArrays, perTensor, runReference, singleOpModel, type OpSpec } from '../helpers/conformance.js';
import { count, inputArg, randomShape, randomValues } from '../helpers/op-cases.js';

const stats = new ConformanceStats();
after(() => stats.print());

const scalarF = (v: number) => ({ dtype: 'float32' as DType, shape: [], data: [v] });

/** Boxes in [0, 1] (corners in either order), distinct scores (TFLite leaves the order of ties to its queue). */
function boxesAndScores(rng: Rng, n: number): { boxes: Float32Array; scores: Float32Array } {
  const boxes = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const cy = rng.float(0, 1), cx = rng.float(0, 1), h = rng.float(0.05, 0.5), w = rng.float(0.05, 0.5);
    const flip = rng.bool(0.2);
    boxes.set(flip ? [cy + h / 2, cx + w / 2, cy - h / 2, cx - w / 2] : [cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], i * 4);
  }
  if (n > 2) boxes.set([0.3, 0.3, 0.3, 0.6], 4); // a box without area: IoU 0 with everything
  const perm = [...Array(n).keys()].sort(() => rng.next() - 0.5);
  const scores = Float32Array.from(perm, (k) => (k + rng.float(0.05, 0.95)) / n);
  return { boxes, scores };
}

for (const v5 of [false, true]) {
  const op = v5 ? 'NON_MAX_SUPPRESSION_V5' : 'NON_MAX_SUPPRESSION_V4';
  test(`${op} float32: seeded boxes, thresholds${v5 ? ' and soft-NMS sigmas' : ''}, exact selections vs the official runtime`, async () => {
    const rng = new Rng(v5 ? 505 : 404);
    for (let c = 0; c < 14; c++) {
      const n = rng.int(1, 40);
      const maxOut = rng.pick([1, 3, 5, 10, 50]);
      const iou = rng.pick([0.3, 0.5, 0.7, 1]);
      const scoreThreshold = rng.pick([-Infinity, 0, 0.2, 0.5]);
      const sigma = v5 ? rng.pick([0, 0.1, 0.5, 1]) : 0;
      const { boxes, scores } = boxesAndScores(rng, n);
      const spec: OpSpec = {
        op,
        inputs: [
          { dtype: 'float32', shape: [n, 4] }, { dtype: 'float32', shape: [n] }, { dtype: 'int32', shape: [], data: [maxOut] },
          scalarF(iou), scalarF(Number.isFinite(scoreThreshold) ? scoreThreshold : -3e38), ...(v5 ? [scalarF(sigma)] : []),
        ],
        outputs: [
          { dtype: 'int32', shape: [maxOut] }, ...(v5 ? [{ dtype: 'float32' as DType, shape: [maxOut] }] : []), { dtype: 'int32', shape: [] },
        ],
      };
      // Soft-NMS scores pass through expf: float tolerance there, the selections stay exact.
      await checkOp(`${op} case ${c}: ${n} boxes max ${maxOut} iou ${iou} score>${scoreThreshold} sigma ${sigma}`, spec, [boxes, scores],
        { lsb: 0, stats, label: op });
    }
  });
}

test('NON_MAX_SUPPRESSION_V4: max_output_size as a model input sizes the outputs at invoke (official runtime on constant copies)', async () => {
  const rng = new Rng(77);
  const { boxes, scores } = boxesAndScores(rng, 20);
  const spec = (max: number | null): OpSpec => ({
    op: 'NON_MAX_SUPPRESSION_V4',
    inputs: [{ dtype: 'float32', shape: [20, 4] }, { dtype: 'float32', shape: [20] },
      max === null ? { dtype: 'int32', shape: [] } : { dtype: 'int32', shape: [], data: [max] }, scalarF(0.5), scalarF(0)],
    outputs: [{ dtype: 'int32', shape: [1] }, { dtype: 'int32', shape: [] }],
  });
  const it = Interpreter.fromBytes(writeModel(singleOpModel(spec(null))));
  for (const max of [4, 9, 2]) {
    const [refIdx, refCount] = await runReference(writeModel(singleOpModel(spec(max))), [boxes, scores]);
    it.setInput(0, boxes); it.setInput(1, scores); it.setInput(2, [max]);
    it.invoke();
    assert.deepEqual(it.outputDetails()[0].shape, [max]);
    assert.deepEqual(Array.from(it.getOutput(0) as Int32Array), Array.from(refIdx.data), `max ${max}: indices`);
    assert.deepEqual(Array.from(it.getOutput(1) as Int32Array), Array.from(refCount.data), `max ${max}: count`);
  }
});

test('LOCAL_RESPONSE_NORMALIZATION float32: seeded shapes and parameters vs the official runtime', async () => {
  const rng = new Rng(1234);
  for (let c = 0; c < 12; c++) {
    const shape = [rng.int(1, 2), rng.int(1, 4), rng.int(1, 4), rng.int(1, 12)];
    const options = { radius: rng.int(0, 5), bias: rng.pick([1, 2, 0.5]), alpha: rng.pick([1e-4, 0.01, 0.2, 1]), beta: rng.pick([0.75, 0.5, 1, 0.3]) };
    const spec: OpSpec = { op: 'LOCAL_RESPONSE_NORMALIZATION', options, inputs: [{ dtype: 'float32', shape }], outputs: [{ dtype: 'float32', shape }] };
    await checkOp(`LRN case ${c} [${shape}] ${JSON.stringify(options)}`, spec, [randomValues(rng, 'float32', count(shape))], { stats, label: 'LOCAL_RESPONSE_NORMALIZATION' });
  }
});

// The official runtime's REVERSE_SEQUENCE takes float32, int32, int16 and uint8 data (not int8); its runner takes
// no int64 inputs, so int64 lengths are constants there.
for (const dtype of ['float32', 'int32', 'uint8', 'int16'] as DType[]) {
  test(`REVERSE_SEQUENCE ${dtype}: seeded shapes, seq/batch dims and lengths (int32 model input or int64 constant), exact vs the official runtime`, async () => {
    const rng = new Rng(900 + dtype.length * 13 + dtype.charCodeAt(3));
    for (let c = 0; c < 8; c++) {
      const rank = rng.int(2, 4);
      const shape = randomShape(rng, rank, 5);
      const seqDim = rng.int(0, rank - 1);
      let batchDim = rng.int(0, rank - 1);
      if (batchDim === seqDim) batchDim = (seqDim + 1) % rank;
      const lengths = rng.ints(shape[batchDim], 0, shape[seqDim]);
      const lenType: DType = rng.bool() ? 'int32' : 'int64';
      const arg = inputArg(rng, dtype, shape);
      const spec: OpSpec = {
        op: 'REVERSE_SEQUENCE', options: { seqDim, batchDim },
        inputs: [arg, lenType === 'int32' ? { dtype: lenType, shape: [shape[batchDim]] } : { dtype: lenType, shape: [shape[batchDim]], data: lengths }],
        outputs: [{ dtype, shape, quantization: arg.quantization ?? null }],
      };
      const values = randomValues(rng, dtype, count(shape));
      await checkOp(`REVERSE_SEQUENCE ${dtype} case ${c} [${shape}] seq ${seqDim} batch ${batchDim} lengths [${lengths}] ${lenType}`, spec,
        lenType === 'int32' ? [values, lengths] : [values], { lsb: 0, stats, label: `REVERSE_SEQUENCE ${dtype}` });
    }
  });
}

// The official runtime always sizes SEGMENT_SUM's output at eval (a dynamic tensor its runner does not expose: it
// reads zeros), so the reference is TF.js's unsortedSegmentSum with num_segments = last id + 1.
for (const dtype of ['float32', 'int32'] as DType[]) {
  test(`SEGMENT_SUM ${dtype}: seeded sorted ids (constant or a model input) vs TF.js unsortedSegmentSum`, () => {
    const rng = new Rng(31 + dtype.length);
    for (let c = 0; c < 10; c++) {
      const rows = rng.int(1, 12);
      const inner = randomShape(rng, rng.int(0, 2), 4);
      const ids: number[] = [];
      for (let r = 0; r < rows; r++) ids.push(r === 0 ? 0 : ids[r - 1] + (rng.bool(0.4) ? 1 : 0));
      const shape = [rows, ...inner];
      const outShape = [ids[rows - 1] + 1, ...inner];
      const idsInput = c % 2 === 1;
      const spec: OpSpec = {
        op: 'SEGMENT_SUM', inputs: [{ dtype, shape }, idsInput ? { dtype: 'int32', shape: [rows] } : { dtype: 'int32', shape: [rows], data: ids }],
        outputs: [{ dtype, shape: outShape }],
      };
      const values = randomValues(rng, dtype, count(shape));
      const expected = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor(Array.from(values), shape, dtype as 'float32' | 'int32'), tf.tensor1d(ids, 'int32'), outShape[0]).dataSync());
      const it = Interpreter.fromBytes(writeModel(singleOpModel(spec)));
      it.setInput(0, values);
      if (idsInput) it.setInput(1, ids);
      it.invoke();
      assert.deepEqual(it.outputDetails()[0].shape, outShape, `case ${c}: shape`);
      const cmp = compareArrays(it.getOutput(0) as Float32Array, expected, dtype, 0);
      stats.add(`SEGMENT_SUM ${dtype}`, cmp);
      assert.ok(cmp.ok, `SEGMENT_SUM ${dtype} case ${c} [${shape}] ids [${ids}]: ${cmp.message}`);
    }
  });
}

// Constant ids as the official runtime runs them (ids fed at run time make its output dynamic: its runner reads
// zeros); the same ids as a model input in ours must give the same values.
for (const op of ['UNSORTED_SEGMENT_SUM', 'UNSORTED_SEGMENT_PROD', 'UNSORTED_SEGMENT_MAX', 'UNSORTED_SEGMENT_MIN']) {
  for (const dtype of ['float32', 'int32'] as DType[]) {
    test(`${op} ${dtype}: seeded ids (constant, and the same as a model input; some segments empty) vs the official runtime`, async () => {
      const rng = new Rng(op.length * 101 + dtype.length);
      for (let c = 0; c < 8; c++) {
        const idShape = randomShape(rng, rng.int(1, 2), 5);
        const inner = randomShape(rng, rng.int(0, 2), 3);
        const shape = [...idShape, ...inner];
        const segments = rng.int(1, 7);
        const ids = rng.ints(count(idShape), 0, segments - 1);
        const spec = (idsInput: boolean): OpSpec => ({
          op, inputs: [{ dtype, shape }, idsInput ? { dtype: 'int32', shape: idShape } : { dtype: 'int32', shape: idShape, data: ids },
            { dtype: 'int32', shape: [1], data: [segments] }],
          outputs: [{ dtype, shape: [segments, ...inner] }],
        });
        const values = op === 'UNSORTED_SEGMENT_PROD' && dtype === 'float32' ? rng.floats(count(shape), 0.5, 1.5) : randomValues(rng, dtype, count(shape));
        const name = `${op} ${dtype} case ${c} [${shape}] ids [${ids}] segments ${segments}`;
        await checkOp(name, spec(false), [values], { lsb: 0, stats, label: `${op} ${dtype}` });
        const [ref] = await runReference(writeModel(singleOpModel(spec(false))), [values]);
        const it = Interpreter.fromBytes(writeModel(singleOpModel(spec(true))));
        it.setInput(0, values);
        it.setInput(1, ids);
        it.invoke();
        assert.deepEqual(Array.from(it.getOutput(0) as Float32Array), Array.from(ref.data), `${name}: ids as a model input`);
      }
    });
  }
}

test('UNSORTED_SEGMENT_SUM: constant ids outside [0, num_segments) are refused, as the official runtime refuses them', async () => {
  const spec: OpSpec = {
    op: 'UNSORTED_SEGMENT_SUM',
    inputs: [{ dtype: 'float32', shape: [4, 2] }, { dtype: 'int32', shape: [4], data: [0, -1, 1, 3] }, { dtype: 'int32', shape: [], data: [3] }],
    outputs: [{ dtype: 'float32', shape: [3, 2] }],
  };
  const bytes = writeModel(singleOpModel(spec));
  await assert.rejects(runReference(bytes, [new Float32Array(8)]), /refused/);
  assert.throws(() => Interpreter.fromBytes(bytes), /segment id -1 at 1/);
});

test('SQUARED_DIFFERENCE int8: seeded shapes with broadcasting and mixed scales, exact vs the official runtime', async () => {
  const rng = new Rng(4711);
  for (let c = 0; c < 12; c++) {
    const shape = randomShape(rng, rng.int(1, 4), 5);
    const other = rng.bool(0.4) ? shape.map((d) => (rng.bool(0.4) ? 1 : d)) : shape;
    const qa = perTensor(rng.float(0.005, 0.1), rng.int(-40, 40));
    const qb = perTensor(rng.float(0.005, 0.1), rng.int(-40, 40));
    const qo = perTensor(rng.float(0.01, 0.5), rng.int(-128, -60));
    const spec: OpSpec = {
      op: 'SQUARED_DIFFERENCE', version: 2,
      inputs: [{ dtype: 'int8', shape, quantization: qa }, { dtype: 'int8', shape: other, quantization: qb }],
      outputs: [{ dtype: 'int8', shape, quantization: qo }],
    };
    await checkOp(`SQUARED_DIFFERENCE int8 case ${c} [${shape}] x [${other}]`, spec,
      [randomValues(rng, 'int8', count(shape)), randomValues(rng, 'int8', count(other))], { lsb: 0, stats, label: 'SQUARED_DIFFERENCE int8' });
  }
});

// TFLite's SQUARED_DIFFERENCE kernel computes float32, int32 and int8 only; the official runtime loads an int16
// model and fails when it runs it. Ours refuses it at preparation with the reason, rather than invent arithmetic.
test('SQUARED_DIFFERENCE int16: the official runtime fails to run it, ours refuses it by name', async () => {
  const q = perTensor(0.01, 0);
  const spec: OpSpec = {
    op: 'SQUARED_DIFFERENCE', version: 2,
    inputs: [{ dtype: 'int16', shape: [4], quantization: q }, { dtype: 'int16', shape: [4], quantization: q }],
    outputs: [{ dtype: 'int16', shape: [4], quantization: q }],
  };
  const bytes = writeModel(singleOpModel(spec));
  await assert.rejects(runReference(bytes, [[1, 2, 3, 4], [4, 3, 2, 1]]), /Infer|failed/);
  assert.throws(() => Interpreter.fromBytes(bytes), /SQUARED_DIFFERENCE on int16/);
});

// TFLite sizes TRANSPOSE_CONV's output at eval when output_shape is not constant; neither official runtime exposes
// such an output (their runners read zeros), so each size is checked against the official runtime running a copy
// with that output_shape constant. One interpreter of ours serves every size (prepared again when the value changes).
test('TRANSPOSE_CONV with output_shape as a model input: one interpreter, 4 output sizes, vs the official runtime on constant copies', async () => {
  const rng = new Rng(6006);
  const weights = rng.floats(3 * 3 * 3 * 2, -0.5, 0.5);
  const bias = rng.floats(3, -0.2, 0.2);
  const spec = (outShape: number[] | null): OpSpec => ({
    op: 'TRANSPOSE_CONV', version: 3, options: { padding: 'SAME', strideH: 2, strideW: 2 },
    inputs: [
      outShape ? { dtype: 'int32', shape: [4], data: outShape } : { dtype: 'int32', shape: [4] },
      { dtype: 'float32', shape: [3, 3, 3, 2], data: weights },
      { dtype: 'float32', shape: [1, 4, 4, 2] },
      { dtype: 'float32', shape: [3], data: bias },
    ],
    outputs: [{ dtype: 'float32', shape: [1, 8, 8, 3] }],
  });
  const it = Interpreter.fromBytes(writeModel(singleOpModel(spec(null))));
  assert.deepEqual(it.outputDetails()[0].shape, [1, 8, 8, 3], 'before the first invoke: the declared shape');
  const x = rng.floats(32, -1, 1);
  for (const outShape of [[1, 8, 8, 3], [1, 7, 7, 3], [1, 8, 7, 3], [1, 7, 8, 3], [1, 8, 8, 3]]) {
    const [ref] = await runReference(writeModel(singleOpModel(spec(outShape))), [x]);
    it.setInput(0, outShape);
    it.setInput(1, x);
    it.invoke();
    assert.deepEqual(it.outputDetails()[0].shape, outShape);
    const cmp = compareArrays(it.getOutput(0) as Float32Array, ref.data, 'float32');
    stats.add('TRANSPOSE_CONV dynamic output_shape', cmp);
    assert.ok(cmp.ok, `output_shape [${outShape}]: ${cmp.message}`);
  }
  // A value the weights cannot produce is refused when the node is prepared for it, naming the tensor.
  it.setInput(0, [1, 8, 8, 4]);
  assert.throws(() => it.invoke(), /output_shape depth 4 does not match/);
  assert.throws(() => it.invoke(), /output_shape depth 4 does not match/, 'refused again, never run with the old plan');
  // Fuzzed values: a huge size is refused before anything is allocated.
  it.setInput(0, [1, 2 ** 30, 2 ** 30, 3]);
  assert.throws(() => it.invoke(), /output_shape/);
  // Valid values again: the interpreter recovers.
  it.setInput(0, [1, 7, 7, 3]);
  it.setInput(1, x);
  it.invoke();
  assert.deepEqual(it.outputDetails()[0].shape, [1, 7, 7, 3]);
});

test('RANK: int32 scalar of the input rank, vs the official runtime', async () => {
  const rng = new Rng(55);
  for (const rank of [1, 2, 3, 4, 5]) {
    const shape = randomShape(rng, rank, 3);
    const spec: OpSpec = { op: 'RANK', inputs: [{ dtype: 'float32', shape }], outputs: [{ dtype: 'int32', shape: [] }] };
    await checkOp(`RANK [${shape}]`, spec, [randomValues(rng, 'float32', count(shape))], { lsb: 0, stats, label: 'RANK' });
  }
});

for (const op of ['REDUCE_ANY', 'REDUCE_ALL']) {
  test(`${op} bool: seeded shapes, axes (negative, repeated) and keep_dims, exact vs the official runtime`, async () => {
    const rng = new Rng(op.length * 17);
    for (let c = 0; c < 12; c++) {
      const rank = rng.int(1, 4);
      const shape = randomShape(rng, rank, 4);
      const axes = rng.ints(rng.int(1, rank), -rank, rank - 1);
      const keepDims = rng.bool();
      const norm = new Set(axes.map((a) => (a + rank) % rank));
      const outShape = keepDims ? shape.map((d, i) => (norm.has(i) ? 1 : d)) : shape.filter((_, i) => !norm.has(i));
      const spec: OpSpec = {
        op, options: { keepDims }, inputs: [{ dtype: 'bool', shape }, { dtype: 'int32', shape: [axes.length], data: axes }],
        outputs: [{ dtype: 'bool', shape: outShape }],
      };
      // Mostly-true or mostly-false data, so both results occur.
      const p = rng.pick([0.1, 0.5, 0.9]);
      const x = Array.from({ length: count(shape) }, () => (rng.bool(p) ? 1 : 0));
      await checkOp(`${op} case ${c} [${shape}] axes [${axes}] keep ${keepDims}`, spec, [x], { lsb: 0, stats, label: op });
    }
  });
}

for (const dtype of ['float32', 'int32', 'int8', 'uint8'] as DType[]) {
  test(`SPARSE_TO_DENSE ${dtype}: seeded indices (1-D and 2-D), one value per index (a scalar for one), exact vs the official runtime`, async () => {
    const rng = new Rng(300 + dtype.length * 3 + dtype.charCodeAt(0));
    for (let c = 0; c < 8; c++) {
      const shape = randomShape(rng, rng.int(1, 3), 5);
      const total = count(shape);
      const n = rng.int(1, Math.min(total, 6));
      const flat = [...Array(total).keys()].sort(() => rng.next() - 0.5).slice(0, n).sort((a, b) => a - b);
      const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
      const coords = flat.flatMap((f) => shape.map((dim, d) => Math.floor(f / strides[d]) % dim));
      const scalar = n === 1 && rng.bool();
      const values = randomValues(rng, dtype, scalar ? 1 : n);
      const q = dtype === 'int8' || dtype === 'uint8' ? perTensor(0.1, dtype === 'int8' ? 0 : 128) : null;
      const indicesArg = shape.length === 1 ? { dtype: 'int32' as DType, shape: [n], data: coords } : { dtype: 'int32' as DType, shape: [n, shape.length], data: coords };
      const spec: OpSpec = {
        op: 'SPARSE_TO_DENSE', version: dtype === 'int8' || dtype === 'uint8' ? 2 : 1, options: { validateIndices: false },
        inputs: [indicesArg, { dtype: 'int32', shape: [shape.length], data: shape }, { dtype, shape: scalar ? [] : [n], quantization: q },
          { dtype, shape: [], data: randomValues(rng, dtype, 1), quantization: q }],
        outputs: [{ dtype, shape, quantization: q }],
      };
      await checkOp(`SPARSE_TO_DENSE ${dtype} case ${c} [${shape}] at [${flat}]${scalar ? ' scalar value' : ''}`, spec, [values],
        { lsb: 0, stats, label: `SPARSE_TO_DENSE ${dtype}` });
    }
  });
}

// UNIQUE's first output has a data-dependent length: the official runtime sizes it at eval and its runner reads
// zeros there, so the reference is TF.js's tf.unique (same order of first occurrence, same indices).
for (const dtype of ['float32', 'int32'] as DType[]) {
  test(`UNIQUE ${dtype}: seeded inputs (a model input, values changing between invocations) vs TF.js unique`, () => {
    const rng = new Rng(dtype === 'float32' ? 71 : 72);
    for (const idxType of ['int32', 'int64'] as DType[]) {
      const n = rng.int(1, 30);
      const spec: OpSpec = {
        op: 'UNIQUE', options: { idxOutType: idxType }, inputs: [{ dtype, shape: [n] }],
        outputs: [{ dtype, shape: [n] }, { dtype: idxType, shape: [n] }],
      };
      const it = Interpreter.fromBytes(writeModel(singleOpModel(spec)));
      for (let k = 0; k < 4; k++) {
        const pool = rng.int(1, 8);
        const choices = dtype === 'float32' ? Array.from(rng.floats(pool, -3, 3)) : rng.ints(pool, -50, 50);
        const x = Array.from({ length: n }, () => rng.pick(choices));
        const ref = tf.tidy(() => {
          const u = tf.unique(tf.tensor1d(x, dtype as 'float32' | 'int32'));
          return { values: Array.from(u.values.dataSync()), indices: Array.from(u.indices.dataSync()) };
        });
        it.setInput(0, x);
        it.invoke();
        assert.deepEqual(it.outputDetails()[0].shape, [ref.values.length], `invoke ${k}: unique count`);
        assert.deepEqual(Array.from(it.getOutput(0) as Float32Array), ref.values, `invoke ${k}: values`);
        assert.deepEqual(Array.from(it.getOutput(1) as unknown as ArrayLike<number | bigint>, Number), ref.indices, `invoke ${k}: indices`);
      }
    }
  });
}

// RFFT2D outputs complex64, which the official runtime's runner does not read: RFFT2D -> REAL, IMAG and COMPLEX_ABS
// give the parts from the official runtime (float32 FFT: compared within 1e-5 of the largest magnitude); the
// imaginary parts are also checked against a direct DFT in double precision (independent arithmetic).
test('RFFT2D (+ REAL, IMAG, COMPLEX_ABS): seeded signals, cropped and zero-padded fft_length, vs the official runtime and a direct DFT', async () => {
  const rng = new Rng(2024);
  for (let c = 0; c < 8; c++) {
    const lead = rng.bool() ? [rng.int(1, 2)] : [];
    const h = rng.int(1, 9), w = rng.int(1, 9);
    const fftH = rng.pick([1, 2, 4, 8]), fftW = rng.pick([2, 4, 8, 16]);
    const bins = fftW / 2 + 1;
    const inShape = [...lead, h, w];
    const b = new GraphBuilder();
    const x = b.addInput({ name: 'x', dtype: 'float32', shape: inShape });
    const len = b.addTensor({ name: 'fft_length', dtype: 'int32', shape: [2], data: encodeValues('int32', [fftH, fftW]) });
    const spec = b.addTensor({ name: 'spectrum', dtype: 'complex64', shape: [...lead, fftH, bins] });
    const real = b.addTensor({ name: 'real', dtype: 'float32', shape: [...lead, fftH, bins] });
    b.addOp('RFFT2D', [x, len], [spec], {}, 1);
    b.addOp('REAL', [spec], [real], {}, 1);
    const imag = b.addTensor({ name: 'imag', dtype: 'float32', shape: [...lead, fftH, bins] });
    b.addOp('IMAG', [spec], [imag], {}, 1);
    const magnitude = b.addTensor({ name: 'magnitude', dtype: 'float32', shape: [...lead, fftH, bins] });
    b.addOp('COMPLEX_ABS', [spec], [magnitude], {}, 1);
    b.markOutput(real);
    b.markOutput(imag);
    b.markOutput(magnitude);
    const bytes = writeModel(b.model());
    const values = rng.floats(count(inShape), -1, 1);
    const refs = await runReference(bytes, [values]);
    const it = Interpreter.fromBytes(bytes);
    it.setInput(0, values);
    it.invoke();
    const scale = Math.max(1, ...Array.from(refs[2].data as ArrayLike<number>, Math.abs));
    ['REAL', 'IMAG', 'COMPLEX_ABS'].forEach((part, k) => {
      const ours = it.getOutput(k) as Float32Array;
      const worst = Math.max(...Array.from(ours, (v, i) => Math.abs(v - Number(refs[k].data[i]))));
      assert.ok(worst <= 1e-5 * scale, `case ${c} [${inShape}] fft [${fftH}, ${fftW}]: ${part} differs by ${worst}`);
    });
    // Imaginary parts: the spectrum tensor itself, against the DFT definition.
    const spectrum = it.tensor(spec).data as Float32Array;
    const batches = lead.length ? lead[0] : 1;
    for (let bi = 0; bi < batches; bi++) {
      for (let u = 0; u < fftH; u++) {
        for (let k = 0; k < bins; k++) {
          let im = 0;
          for (let m = 0; m < Math.min(h, fftH); m++) {
            for (let n = 0; n < Math.min(w, fftW); n++) im -= values[bi * h * w + m * w + n] * Math.sin(2 * Math.PI * (u * m / fftH + k * n / fftW));
          }
          const at = ((bi * fftH + u) * bins + k) * 2 + 1;
          assert.ok(Math.abs(spectrum[at] - im) <= 1e-5 * scale, `case ${c}: imaginary part at (${bi}, ${u}, ${k}): ${spectrum[at]} vs ${im}`);
        }
      }
    }
  }
});

// Seeded random ops draw the same Philox stream as the official runtime: uniform values exactly, normal values
// within float tolerance (its logf/sinf/cosf), over 3 invocations (the stream advances) and after resetVariables().
for (const op of ['RANDOM_UNIFORM', 'RANDOM_STANDARD_NORMAL']) {
  test(`${op}: seeded streams over 3 invocations vs the official runtime`, async () => {
    const rng = new Rng(op.length * 3);
    for (let c = 0; c < 6; c++) {
      const shape = randomShape(rng, rng.int(1, 3), 5);
      const options = { seed: rng.pick([1, 42, 87654321, -5]), seed2: rng.pick([0, 7, 123456789]) };
      const spec: OpSpec = { op, options, inputs: [{ dtype: 'int32', shape: [shape.length], data: shape }], outputs: [{ dtype: 'float32', shape }] };
      const bytes = writeModel(singleOpModel(spec));
      const ref = await createOfficialRunner(bytes);
      const ours = Interpreter.fromBytes(bytes);
      const firsts: number[] = [];
      try {
        for (let t = 0; t < 3; t++) {
          ref.invoke();
          ours.invoke();
          const r = Array.from(ref.getOutputs()[0].data as ArrayLike<number>, Number);
          const cmp = compareArrays(ours.getOutput(0) as Float32Array, r, 'float32');
          stats.add(op, cmp);
          assert.ok(cmp.ok && (op !== 'RANDOM_UNIFORM' || cmp.exact === cmp.elements), `${op} case ${c} [${shape}] ${JSON.stringify(options)} invoke ${t}: ${cmp.message}`);
          if (t === 0) firsts.push(...r);
        }
      } finally {
        ref.delete();
      }
      ours.resetVariables();
      ours.invoke();
      assert.ok(compareArrays(ours.getOutput(0) as Float32Array, firsts, 'float32').ok, `${op} case ${c}: after resetVariables the stream restarts`);
    }
  });
}
