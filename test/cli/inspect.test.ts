import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectFile } from '../../src/cli/inspect.js';
import { cli } from '../helpers/cli.js';
import { corpusPath, corpusTflites, readCorpus, NO_CORPUS, OFFICIAL_REFUSES } from '../helpers/corpus.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { rawTensors } from '../helpers/raw-tflite.js';

// Names, shapes and dtypes of inputs/outputs as the official runtime reports them; scales and zero points as the
// file's bytes hold them (the runtime does not expose quantization).
test('inspect agrees with the official runtime and the file bytes on every corpus model', { skip: NO_CORPUS }, async () => {
  const files = corpusTflites();
  assert.equal(files.length, 15);
  for (const f of files) {
    const s = inspectFile(corpusPath(f));
    const bytes = readCorpus(f);
    assert.equal(s.file_bytes, bytes.length);
    const raw = rawTensors(bytes);
    for (const d of [...s.inputs, ...s.outputs]) {
      const r = raw[d.index];
      assert.equal(d.name, r.name, `${f}: tensor ${d.index} name`);
      assert.deepEqual(d.quantization_parameters.scales, r.scale, `${f}: ${d.name} scales`);
      assert.deepEqual(d.quantization_parameters.zero_points, r.zeroPoint, `${f}: ${d.name} zero points`);
      assert.equal(d.quantization_parameters.quantized_dimension, r.quantizedDimension);
      assert.deepEqual(d.quantization, r.scale.length ? [r.scale[0], r.zeroPoint[0]] : [0, 0]);
    }
    if (OFFICIAL_REFUSES.has(f)) continue;
    const runner = await createOfficialRunner(bytes);
    try {
      const ref = (list: ReturnType<typeof runner.inputs>) => list.map((t) => ({ index: t.id, name: t.name, shape: t.shape, dtype: t.dtype }));
      const ours = (list: typeof s.inputs) => list.map((d) => ({ index: d.index, name: d.name, shape: d.shape, dtype: d.dtype as string }));
      assert.deepEqual(ours(s.inputs), ref(runner.inputs()), `${f}: inputs`);
      assert.deepEqual(ours(s.outputs), ref(runner.outputs()), `${f}: outputs`);
    } finally {
      runner.delete();
    }
  }
});

test('inspect summarizes ops, weights and metadata of a Google-written file', { skip: NO_CORPUS }, () => {
  const s = inspectFile(corpusPath('tflite/mlcommons-tiny/pretrainedResnet_quant.tflite'));
  const conv = s.ops.find((o) => o.op === 'CONV_2D');
  assert.ok(conv && conv.count === 9, 'ResNet-8 has 9 convolutions (PROVENANCE: Conv2D x9)');
  assert.ok((s.weight_bytes.int8 ?? 0) > 70000, 'int8 weights dominate');
  assert.ok(s.metadata.some((m) => m.name === 'min_runtime_version'));
});

test('inspect of a model litequant converts (SavedModel, Keras .h5, TF.js model.json) says to convert it first; other files do not', { skip: NO_CORPUS }, () => {
  for (const [source, says] of [
    ['tf/savedmodel/kws_ref_model', /a SavedModel: convert it first/],
    ['keras/pretrainedResnet.h5', /a Keras \.h5 model: convert it first/],
    ['tf/tfjs-graph/blazeface/blazeface.json', /a TF\.js model\.json: convert it first/],
  ] as const) {
    const r = cli(['inspect', corpusPath(source)]);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], says);
  }
  const r = cli(['inspect', '/dev/zero']);
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stderr, /convert it first/);
});
