// ResNet-8 full int8 with int8 I/O, calibrated on 100 seeded random images in [0, 1], checked in the official runtime
// and against Google's own int8 conversion of the same Keras model (size, op versions) and independent arithmetic
// (per-channel scales = max|w|/127 of the float weights).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readModel, writeModel } from '../../src/format/index.js';
import type { Model } from '../../src/graph/model.js';
import { quantize } from '../../src/quantize/index.js';
import { floatValues } from '../../src/quantize/weights.js';
import { NO_CORPUS, corpusPath, readCorpus, PROJECT_ROOT } from '../helpers/corpus.js';
import { agreement, rawAgreement, runOfficialOn, runOursOn, seededImages } from './helpers.js';

/** Our float conversion of a Keras file when the importer exists, else Google's float conversion of the same file. */
export async function floatModel(kerasRel: string, tfliteRel: string | null): Promise<{ model: Model; source: string }> {
  if (fs.existsSync(path.join(PROJECT_ROOT, 'src', 'convert.ts')) || fs.existsSync(path.join(PROJECT_ROOT, 'dist', 'src', 'convert.js'))) {
    const { convert } = await import('../../src/convert.js' as string) as { convert: (src: string, o?: object) => Promise<Model | { model: Model }> };
    const r = await convert(corpusPath(kerasRel), {});
    return { model: 'subgraphs' in r ? r : r.model, source: kerasRel };
  }
  if (!tfliteRel) throw new Error(`${kerasRel}: no importer yet (src/convert.ts) and no float .tflite of it`);
  return { model: readModel(readCorpus(tfliteRel), tfliteRel), source: tfliteRel };
}

const GOOGLE_INT8 = 'tflite/mlcommons-tiny/pretrainedResnet_quant.tflite';

test('ResNet-8 int8 (int8 I/O): official runtime runs it, size and op versions as Google\'s, scales = max|w|/127', { skip: NO_CORPUS }, async () => {
  const { model: float, source } = await floatModel('keras/pretrainedResnet.h5', 'tflite/mlcommons-tiny/pretrainedResnet.tflite');
  const calibration = seededImages(100, 32 * 32 * 3, 2024);
  const { model, report } = await quantize(float, { mode: 'int8', representativeDataset: calibration, inputType: 'int8', outputType: 'int8' });
  const bytes = writeModel(model);
  console.log(`# ResNet-8 from ${source}: ${bytes.length} bytes (Google's int8: 98,496), ${report.quantizedOps.length} ops quantized, ${report.floatOps.length} float`);
  assert.equal(report.floatOps.length, 0);
  assert.ok(bytes.length <= 98496, `${bytes.length} bytes > Google's 98,496`);

  const sg = model.subgraphs[0];
  assert.equal(sg.tensors[sg.inputs[0]].dtype, 'int8');
  assert.equal(sg.tensors[sg.outputs[0]].dtype, 'int8');
  assert.deepEqual(sg.tensors[sg.outputs[0]].quantization?.scale, [1 / 256]);
  assert.deepEqual(sg.tensors[sg.outputs[0]].quantization?.zeroPoint, [-128]);

  // Op versions: each op's version equals the one in Google's file.
  const google = readModel(readCorpus(GOOGLE_INT8), GOOGLE_INT8);
  const googleVersion = new Map(google.subgraphs[0].operators.map((o) => [o.op, o.version]));
  for (const op of sg.operators) assert.equal(op.version, googleVersion.get(op.op), `${op.op} version`);
  assert.deepEqual([...new Set(sg.operators.map((o) => o.op))].sort(), [...googleVersion.keys()].sort());

  // Conv weights: per channel (dim 0), scale_c = max|w_c| / 127 of the float weights (by name), zero point 0.
  const fsg = float.subgraphs[0];
  let convs = 0;
  for (const op of sg.operators.filter((o) => o.op === 'CONV_2D')) {
    const w = sg.tensors[op.inputs[1]];
    const fw = fsg.tensors.find((t) => t.name === w.name && t.dtype === 'float32');
    assert.ok(fw, `float weights '${w.name}'`);
    const v = floatValues(fw!);
    const ch = fw!.shape[0], inner = v.length / ch;
    assert.equal(w.quantization!.scale.length, ch);
    assert.equal(w.quantization!.quantizedDimension, 0);
    for (let c = 0; c < ch; c++) {
      let m = 0;
      for (let i = 0; i < inner; i++) m = Math.max(m, Math.abs(v[c * inner + i]));
      assert.equal(w.quantization!.scale[c], Math.fround(m / 127), `${w.name}[${c}]`);
      assert.equal(w.quantization!.zeroPoint[c], 0);
    }
    convs++;
  }
  assert.equal(convs, 9);

  // Runs in the official runtime, and our interpreter (XNNPACK arithmetic, the default) agrees with it: the issue's
  // bar is at most 1 LSB off on every output element and the same top-1 on every image.
  const images = seededImages(20, 32 * 32 * 3, 7).map((inputs) => ({ inputs }));
  const official = await runOfficialOn(bytes, images);
  const ours = runOursOn(readModel(bytes, 'resnet_int8.tflite'), images);
  const agree = rawAgreement(official.raw, ours.raw);
  console.log(`# ResNet-8 int8: our interpreter vs official over ${images.length} images: ${agree.within1.toFixed(1)} % within 1 LSB, max |diff| ${agree.max}, top-1 ${agreement(official.top1, ours.top1)} % identical`);
  assert.equal(agreement(official.top1, ours.top1), 100);
  assert.ok(agree.max <= 1, `max |diff| ${agree.max} LSB`);
});
