// compare() on the corpus ResNet-8 pair (float and Google's full-int8 conversion) with a small npy dataset of
// seeded random images. Oracles: the files' sizes on disk, the official runtime's outputs, and RMSE/scale computed
// here from captured tensors with the quantization parameters read from the file.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compare, formatComparison, type ComparisonResult } from '../../src/evaluate/index.js';
import { encodeNpy } from '../../src/evaluate/npy.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { readModel, writeModel } from '../../src/format/index.js';
import { quantize } from '../../src/quantize/index.js';
import { corpusPath, NO_CORPUS, readCorpus } from '../helpers/corpus.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { Rng } from '../helpers/random.js';

const FLOAT = 'tflite/mlcommons-tiny/pretrainedResnet.tflite';
const QUANT = 'tflite/mlcommons-tiny/pretrainedResnet_quant.tflite';
const N = 8;
const LAYER_SAMPLES = 4;
const CHECKED = 'model/activation_2/Relu;model/add/add';

function writeDataset(): { dir: string; spec: string; images: Uint8Array; labels: Int32Array } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-compare-'));
  const rng = new Rng(6);
  const images = new Uint8Array(N * 32 * 32 * 3);
  for (let i = 0; i < images.length; i++) images[i] = rng.int(0, 255);
  const labels = Int32Array.from({ length: N }, () => rng.int(0, 9));
  fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy(images, [N, 32, 32, 3]));
  fs.writeFileSync(path.join(dir, 'y.npy'), encodeNpy(labels, [N]));
  return { dir, spec: `npy:${path.join(dir, 'x.npy')},${path.join(dir, 'y.npy')}`, images, labels };
}

test('compare: ResNet-8 float vs int8 on random images', { skip: NO_CORPUS }, async (t) => {
  const data = writeDataset();
  t.after(() => fs.rmSync(data.dir, { recursive: true, force: true }));
  let requantizeCalls = 0;
  const progress: number[] = [];
  const r: ComparisonResult = await compare([corpusPath(FLOAT), corpusPath(QUANT)], data.spec, {
    layerSamples: LAYER_SAMPLES,
    measureSuggestions: 1,
    // Stands in for the quantizer: "re-quantizing" to the same file must measure the same accuracy as the file.
    requantize: async () => { requantizeCalls++; return corpusPath(QUANT); },
    onProgress: (p) => { if (p.phase === 'evaluate') progress.push(p.done); },
  });

  await t.test('table: sizes are the file sizes, accuracy and agreement are fractions', () => {
    assert.equal(r.models.length, 2);
    assert.equal(r.models[0].file_bytes, fs.statSync(corpusPath(FLOAT)).size);
    assert.equal(r.models[1].file_bytes, fs.statSync(corpusPath(QUANT)).size);
    assert.equal(r.models[1].size_ratio, r.models[1].file_bytes / r.models[0].file_bytes);
    assert.equal(r.samples, N);
    assert.deepEqual(progress, Array.from({ length: N }, (_, i) => i + 1));
    for (const m of r.models) {
      assert.ok(m.top1 !== null && m.top1 >= 0 && m.top1 <= 1);
      assert.ok(m.agreement_top1 >= 0 && m.agreement_top1 <= 1);
      assert.ok(m.latency_ms.p50 > 0 && m.latency_ms.p99 >= m.latency_ms.p50);
      assert.equal(m.evaluation.correct_top1, Math.round(m.top1! * N));
    }
    assert.equal(r.models[0].agreement_top1, 1);
    assert.equal(r.models[1].delta_top1, r.models[1].top1! - r.models[0].top1!);
    assert.equal(r.state, 'reset per sample');
  });

  await t.test('predictions and accuracy match the official runtime (1 LSB of output may flip a near tie)', async () => {
    // Inputs as the seed feeds them: float model gets pixel values; int8 model gets q = round(x / 1) - 128.
    const preds: number[][] = [[], []];
    for (const [k, file] of [FLOAT, QUANT].entries()) {
      for (let i = 0; i < N; i++) {
        const runner = await createOfficialRunner(readCorpus(file));
        const px = data.images.subarray(i * 3072, (i + 1) * 3072);
        runner.setInput(0, k === 0 ? Float32Array.from(px) : Int8Array.from(px, (v) => v - 128));
        runner.invoke();
        const out = runner.getOutputs()[0].data as ArrayLike<number>;
        runner.delete();
        let best = 0;
        for (let c = 1; c < out.length; c++) if (out[c] > out[best]) best = c;
        preds[k].push(best);
      }
    }
    const correct = (p: number[]) => p.filter((c, i) => c === data.labels[i]).length;
    assert.equal(r.models[0].evaluation.correct_top1, correct(preds[0]), 'float model, exact');
    assert.ok(Math.abs(r.models[1].evaluation.correct_top1 - correct(preds[1])) <= 1, 'int8 model');
    const agree = preds[0].filter((c, i) => c === preds[1][i]).length / N;
    assert.ok(Math.abs(r.models[1].agreement_top1 - agree) <= 1 / N + 1e-12);
  });

  const rep = r.layer_error[0];
  await t.test('per-layer rows: tensors matched by name, including the _int8 input and output', () => {
    assert.equal(rep.error, undefined);
    assert.equal(rep.samples, LAYER_SAMPLES);
    const float = readModel(readCorpus(FLOAT)).subgraphs[0];
    const activations = float.tensors.filter((x) => !x.data || x.data.length === 0).length;
    assert.equal(rep.matched + rep.unmatched.length, activations);
    assert.equal(rep.matched, 17);
    const names = rep.rows.map((x) => x.name);
    assert.ok(names.includes('input_1_int8') && names.includes('Identity_int8'));
    assert.equal(rep.rows.find((x) => x.name === 'Identity_int8')!.reference_name, 'Identity');
    for (let i = 1; i < rep.rows.length; i++) {
      const a = rep.rows[i - 1].rmse_over_scale, b = rep.rows[i].rmse_over_scale;
      if (a !== null && b !== null) assert.ok(a >= b, 'worst first');
    }
    // Integer pixels with scale 1: the int8 input carries no error at all.
    assert.equal(rep.rows.find((x) => x.name === 'input_1_int8')!.rmse, 0);
    assert.ok(Math.abs(rep.total_rmse_over_scale - rep.rows.reduce((a, x) => a + (x.rmse_over_scale ?? 0), 0)) < 1e-9);
    assert.ok(rep.suggestions.length >= 1);
    assert.equal(rep.suggestions[0].exclude.tensors[0], rep.rows.find((x) => x.suggestion)!.name);
  });

  await t.test(`RMSE/scale of '${CHECKED}' recomputed here from captured tensors`, () => {
    const fm = readModel(readCorpus(FLOAT)), qm = readModel(readCorpus(QUANT));
    const fi = fm.subgraphs[0].tensors.findIndex((x) => x.name === CHECKED);
    const qi = qm.subgraphs[0].tensors.findIndex((x) => x.name === CHECKED);
    const q = qm.subgraphs[0].tensors[qi].quantization!;
    assert.equal(q.scale.length, 1);
    const [scale, zp] = [q.scale[0], q.zeroPoint[0]];
    const fInterp = Interpreter.fromModel(fm), qInterp = Interpreter.fromModel(qm);
    let n = 0, sum = 0, sq = 0, max = 0;
    for (let s = 0; s < LAYER_SAMPLES; s++) {
      const px = data.images.subarray(s * 3072, (s + 1) * 3072);
      let ref: Float32Array | null = null;
      fInterp.setInput(0, Float32Array.from(px));
      fInterp.invoke({ onTensor: (i, tensor) => { if (i === fi) ref = (tensor.data as Float32Array).slice(); } });
      qInterp.setInput(0, Int8Array.from(px, (v) => v - 128));
      qInterp.invoke({
        onTensor: (i, tensor) => {
          if (i !== qi) return;
          const d = tensor.data as Int8Array;
          for (let e = 0; e < d.length; e++) {
            const err = scale * (d[e] - zp) - ref![e];
            n++; sum += err; sq += err * err; max = Math.max(max, Math.abs(err));
          }
        },
      });
    }
    const row = rep.rows.find((x) => x.name === CHECKED)!;
    assert.equal(row.elements, n);
    assert.equal(row.scale, scale);
    assert.ok(Math.abs(row.rmse - Math.sqrt(sq / n)) < 1e-9 * Math.max(1, row.rmse));
    assert.ok(Math.abs(row.rmse_over_scale! - Math.sqrt(sq / n) / scale) < 1e-9 * Math.max(1, row.rmse_over_scale!));
    assert.ok(Math.abs(row.mean_error - sum / n) < 1e-9);
    assert.ok(Math.abs(row.max_abs_error - max) < 1e-9);
    assert.equal(row.op, 'ADD');
    assert.match(row.suggestion!, /^--exclude-tensor '/);
  });

  await t.test('output layer error agrees with the official runtime outputs', async (t) => {
    // The official runtime (XNNPACK) and our reference-style kernels may differ by a few output steps after ten
    // quantized layers, so the bound is the triangle inequality: |RMSE(a - f) - RMSE(b - g)| <= RMSE(a - b) + RMSE(f - g),
    // with a, f our int8 (dequantized) and float outputs, b, g the official ones.
    const fm = readModel(readCorpus(FLOAT)), qm = readModel(readCorpus(QUANT));
    const q = qm.subgraphs[0].tensors[qm.subgraphs[0].outputs[0]].quantization!;
    const deq = (v: number) => q.scale[0] * (v - q.zeroPoint[0]);
    const ourF = Interpreter.fromModel(fm), ourQ = Interpreter.fromModel(qm);
    let n = 0, officialSq = 0, quantGapSq = 0, floatGapSq = 0, maxStepGap = 0;
    for (let s = 0; s < LAYER_SAMPLES; s++) {
      const px = data.images.subarray(s * 3072, (s + 1) * 3072);
      const fIn = Float32Array.from(px), qIn = Int8Array.from(px, (v) => v - 128);
      const f = await createOfficialRunner(readCorpus(FLOAT));
      f.setInput(0, fIn); f.invoke();
      const g = f.getOutputs()[0].data as Float32Array; f.delete();
      const o = await createOfficialRunner(readCorpus(QUANT));
      o.setInput(0, qIn); o.invoke();
      const b = o.getOutputs()[0].data as Int8Array; o.delete();
      ourF.setInput(0, fIn); ourF.invoke();
      const a = ourF.getOutput(0) as Float32Array;
      ourQ.setInput(0, qIn); ourQ.invoke();
      const aq = ourQ.getOutput(0) as Int8Array;
      for (let e = 0; e < g.length; e++) {
        officialSq += (deq(b[e]) - g[e]) ** 2;
        quantGapSq += (deq(aq[e]) - deq(b[e])) ** 2;
        floatGapSq += (a[e] - g[e]) ** 2;
        maxStepGap = Math.max(maxStepGap, Math.abs(aq[e] - b[e]));
        n++;
      }
    }
    const row = rep.rows.find((x) => x.name === 'Identity_int8')!;
    const officialRmse = Math.sqrt(officialSq / n);
    const bound = Math.sqrt(quantGapSq / n) + Math.sqrt(floatGapSq / n) + 1e-12;
    t.diagnostic(`int8 output: ours vs official up to ${maxStepGap} steps; RMSE ${row.rmse} vs official ${officialRmse}`);
    assert.ok(Math.abs(row.rmse - officialRmse) <= bound, `RMSE ${row.rmse} vs official ${officialRmse} (bound ${bound})`);
  });

  await t.test('a measured suggestion re-runs the requantized model on the same samples', () => {
    assert.equal(requantizeCalls, 1);
    const m = rep.suggestions[0].measured!;
    assert.ok(m, rep.suggestions[0].measure_error);
    assert.equal(m.samples, N);
    assert.equal(m.top1, r.models[1].top1);
    assert.equal(m.baseline_top1, r.models[1].top1);
    assert.equal(m.delta_top1, 0);
    assert.equal(m.file_bytes, r.models[1].file_bytes);
    assert.ok(Math.abs(m.total_rmse_over_scale! - rep.total_rmse_over_scale) < 1e-9);
    assert.equal(rep.suggestions[1]?.measured, undefined, 'only the first was asked for');
  });

  await t.test('human table and JSON', () => {
    const text = formatComparison(r);
    assert.match(text, /pretrainedResnet\.tflite/);
    assert.match(text, /pretrainedResnet_quant\.tflite/);
    assert.match(text, /RMSE\/scale/);
    assert.ok(text.includes(rep.rows[0].name.slice(0, 40)));
    const json = JSON.parse(JSON.stringify(r)) as ComparisonResult;
    assert.equal(json.models[1].file_bytes, r.models[1].file_bytes);
    assert.equal(json.layer_error[0].rows.length, rep.rows.length);
  });
});

test('compare: a model whose input size differs from the dataset gets one clear error', { skip: NO_CORPUS }, async (t) => {
  const data = writeDataset();
  t.after(() => fs.rmSync(data.dir, { recursive: true, force: true }));
  await assert.rejects(
    compare([corpusPath(FLOAT), corpusPath('tflite/tflite-micro/hello_world_float.tflite')], data.spec, { layerSamples: 0 }),
    (e: Error) => e.name === 'InputError' && /hello_world_float\.tflite: input .* needs 1 values per sample, the dataset gives 3072/.test(e.message),
  );
});

test('compare: excluding the worst layer, re-quantized by our quantizer, lowers the summed per-layer error', { skip: NO_CORPUS }, async (t) => {
  const data = writeDataset();
  t.after(() => fs.rmSync(data.dir, { recursive: true, force: true }));
  const floatModel = readModel(readCorpus(FLOAT));
  const calibration = Array.from({ length: 4 }, (_, i) => [Float32Array.from(data.images.subarray(i * 3072, (i + 1) * 3072))]);
  const make = async (exclude: { ops: string[]; tensors: string[] }, name: string) => {
    const { model } = await quantize(readModel(readCorpus(FLOAT)), {
      mode: 'int8', representativeDataset: calibration, samples: calibration.length, inputType: 'int8', outputType: 'int8',
      excludeOps: exclude.ops, excludeTensors: exclude.tensors,
    });
    return { name, bytes: writeModel(model), model };
  };
  const quantized = await make({ ops: [], tensors: [] }, 'resnet_int8.tflite');
  const r = await compare([{ name: 'resnet.tflite', bytes: readCorpus(FLOAT), model: floatModel }, quantized], data.spec, {
    layerSamples: LAYER_SAMPLES, measureSuggestions: 1,
    requantize: (exclude) => make(exclude, 'resnet_int8_excluded.tflite'),
  });
  const rep = r.layer_error[0];
  const s = rep.suggestions[0];
  assert.ok(s.measured, s.measure_error);
  const worst = rep.rows.find((x) => x.suggestion)!;
  assert.deepEqual(s.exclude.tensors, [worst.name]);
  t.diagnostic(`${s.flag}: summed RMSE/scale ${rep.total_rmse_over_scale.toFixed(2)} -> ${s.measured.total_rmse_over_scale!.toFixed(2)}; ` +
    `top-1 ${s.measured.baseline_top1} -> ${s.measured.top1}`);
  assert.ok(s.measured.total_rmse_over_scale! < rep.total_rmse_over_scale);
  assert.ok(s.measured.file_bytes > 0 && s.measured.samples === N);
});
