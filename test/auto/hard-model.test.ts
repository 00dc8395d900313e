// The automatic search on a model where full int8 misses the target: the transformer benchmark model (LayerNorm,
// attention) with minmax calibration only, full-integer candidates only and no PTQ algorithm, so the layer moves must
// find the answer; then with the algorithms, where the range search finds a full-int8 model instead.
// Small slices keep it under a minute. The chosen model is checked independently in the official runtime: its
// validation accuracy and its outputs bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createOfficialRunner } from '../helpers/oracle.js';
import { PROJECT_ROOT } from '../helpers/corpus.js';
import { convert } from '../../src/convert.js';
import { openDataset } from '../../src/evaluate/datasets/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { autoQuantize } from '../../src/auto/index.js';

const MODELS = process.env.LITEQUANT_BENCH_MODELS ?? path.join(PROJECT_ROOT, 'models');
const MODEL = path.join(MODELS, 'mnist-attention', 'model.json');
const VAL = 'mnist:train[50000:50500]';
const skip = fs.existsSync(MODEL) ? false : `benchmark model ${MODEL} absent (set LITEQUANT_BENCH_MODELS to the models directory)`;

test('hard model, minmax only, integer only: int8 misses, the layer moves find a model within 0.2 points smaller than full 16x8', { skip }, async () => {
  const { model } = await convert(MODEL);
  const shapes = [[1, 28, 28]];
  const result = await autoQuantize(model, {
    maxDropPoints: 0.2, integerOnly: true, calibrationMethods: ['minmax'], algorithms: [], threads: 1, samples: 200,
    calibration: await openDataset('mnist:train[0:200]', { inputShapes: shapes }),
    validation: await openDataset(VAL, { inputShapes: shapes }),
  });
  const rows = new Map(result.candidates.map((c) => [c.name, c]));
  assert.equal(rows.get('int8')!.status, 'misses', 'full int8 (minmax) loses more than 0.2 points here');
  // Only full-integer candidates: no float layers, dynamic range or float16.
  for (const c of result.candidates) {
    assert.ok(!['dynamic', 'float16'].includes(c.name) && !(c.options.scopes ?? []).some((s) => s.precision === 'float'), c.name);
  }
  // The sensitivity ranking names a layer the measured moves confirm: attn_norm (the first LayerNorm) among the top 2.
  assert.ok(result.sensitivity.slice(0, 2).some((s) => s.layer === 'attn_norm'), JSON.stringify(result.sensitivity.slice(0, 3)));
  assert.ok(result.candidates.some((c) => c.name.startsWith('region 16x8')), 'regions were built');
  assert.ok(result.candidates.some((c) => c.name.startsWith('greedy 16x8') && c.top1 !== null), 'the 16x8 chain was measured');
  const chosen = result.candidates.find((c) => c.chosen)!;
  assert.ok(chosen && result.bytes, 'a model meets the target');
  assert.equal(chosen.status, 'meets');
  assert.ok(chosen.file_bytes! < rows.get('int16x8')!.file_bytes!, `${chosen.name} ${chosen.file_bytes} B vs full 16x8`);
  for (const c of result.candidates) if (c.file_bytes !== null && c.file_bytes < chosen.file_bytes! && c.status !== 'skipped') assert.notEqual(c.top1, null, c.name);

  // The official runtime counts the same correct answers, with the same outputs bit for bit.
  const ours = Interpreter.fromBytes(result.bytes!);
  const theirs = await createOfficialRunner(result.bytes!);
  try {
    let correct = 0, n = 0;
    for await (const s of await openDataset(VAL, { inputShapes: shapes })) {
      ours.setInput(0, s.inputs[0]);
      ours.invoke();
      theirs.setInput(0, s.inputs[0]);
      theirs.invoke();
      const mine = Array.from(ours.getOutput(0) as Float32Array), official = Array.from(theirs.getOutputs()[0].data as Float32Array);
      assert.deepEqual(mine, official, s.id);
      if (official.indexOf(Math.max(...official)) === s.label) correct++;
      n++;
    }
    assert.equal(n, 500);
    assert.equal(correct, chosen.correct);
    assert.ok(result.float.correct - correct <= 1, `float ${result.float.correct}, chosen ${correct} of 500 (0.2 points = 1 sample)`);
  } finally {
    theirs.delete();
  }
});

test('hard model, minmax only, integer only, with the PTQ algorithms: a full-int8 model with range-search meets the target', { skip }, async () => {
  const { model } = await convert(MODEL);
  const shapes = [[1, 28, 28]];
  const result = await autoQuantize(model, {
    maxDropPoints: 0.2, integerOnly: true, calibrationMethods: ['minmax'], threads: 1, samples: 200,
    calibration: await openDataset('mnist:train[0:200]', { inputShapes: shapes }),
    validation: await openDataset(VAL, { inputShapes: shapes }),
  });
  const rows = new Map(result.candidates.map((c) => [c.name, c]));
  assert.equal(rows.get('int8')!.status, 'misses');
  const chosen = result.candidates.find((c) => c.chosen)!;
  assert.ok(chosen, 'a model meets the target');
  assert.ok((chosen.options.algorithms ?? []).some((a) => a.name === 'range-search'), `${chosen.name}: ${JSON.stringify(chosen.options)}`);
  assert.ok(!(chosen.options.scopes ?? []).length && chosen.options.mode === 'int8', `full int8, no layer moved: ${chosen.name}`);
  assert.ok(chosen.file_bytes! <= rows.get('int8')!.file_bytes! + 64, `${chosen.name} is as small as full int8`);
  // The official runtime agrees with ours and with the accuracy the search measured.
  const ours = Interpreter.fromBytes(result.bytes!);
  const theirs = await createOfficialRunner(result.bytes!);
  try {
    let correct = 0;
    for await (const s of await openDataset(VAL, { inputShapes: shapes })) {
      ours.setInput(0, s.inputs[0]);
      ours.invoke();
      theirs.setInput(0, s.inputs[0]);
      theirs.invoke();
      const official = Array.from(theirs.getOutputs()[0].data as Float32Array);
      assert.deepEqual(Array.from(ours.getOutput(0) as Float32Array), official, s.id);
      if (official.indexOf(Math.max(...official)) === s.label) correct++;
    }
    assert.equal(correct, chosen.correct);
    assert.ok(result.float.correct - correct <= 1, `float ${result.float.correct}, chosen ${correct} of 500`);
  } finally {
    theirs.delete();
  }
});

test('auto mode refuses an unknown algorithm name', async () => {
  const { UsageError } = await import('../../src/errors.js');
  const shapes = [[1, 28, 28]];
  await assert.rejects(async () => autoQuantize((await convert(MODEL)).model, {
    maxDropPoints: 0.2, algorithms: ['range-search', 'magic'], threads: 1, samples: 10,
    calibration: await openDataset('mnist:train[0:10]', { inputShapes: shapes }),
    validation: await openDataset('mnist:train[50000:50010]', { inputShapes: shapes }),
  }), (e) => e instanceof UsageError && /unknown quantization algorithm\(s\) magic/.test((e as Error).message));
});
