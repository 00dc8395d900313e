// Whole corpus models in our interpreter (default arithmetic 'xnnpack', as the official runtime's XNNPACK delegate)
// vs the official runtime on seeded random inputs:
// float outputs within 1e-4 (relative to max(1, |ref|)), quantized outputs >= 99% within 1 LSB and none more than
// 4 off, top-1 identical (a reference tie within 1 LSB counts as agreement). Also times both runtimes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { NO_CORPUS, readCorpus } from '../helpers/corpus.js';
import { Rng } from '../helpers/random.js';

const MODELS = [
  'tflite/tflite-micro/hello_world_float.tflite',
  'tflite/tflite-micro/hello_world_int8.tflite',
  'tflite/tflite-micro/micro_speech_quantized.tflite',
  'tflite/tflite-micro/trained_lstm.tflite',
  'tflite/tflite-micro/trained_lstm_int8.tflite',
  'tflite/coral/keras_lstm_mnist_ptq.tflite',
  'tflite/coral/mobilenet_v1_0.25_128_quant.tflite',
  'tflite/mlcommons-tiny/pretrainedResnet.tflite',
  'tflite/mlcommons-tiny/pretrainedResnet_quant.tflite',
  'tflite/mlcommons-tiny/kws_ref_model.tflite',
  'tflite/mlcommons-tiny/kws_ref_model_float32.tflite',
  'tflite/mlcommons-tiny/str_ww_ref_model.tflite',
];
const RUNS = 20;
const report: string[] = [];
after(() => { for (const l of report) console.log(`[corpus] ${l}`); });

function randomInput(rng: Rng, dtype: string, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'float32': out[i] = rng.float(-1, 1); break;
      case 'int8': out[i] = rng.int(-128, 127); break;
      case 'uint8': out[i] = rng.int(0, 255); break;
      case 'int16': out[i] = rng.int(-32768, 32767); break;
      default: throw new Error(`input dtype ${dtype}`);
    }
  }
  return out;
}

function argmax(a: ArrayLike<number>): number {
  let k = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[k]) k = i;
  return k;
}

for (const rel of MODELS) {
  test(`corpus ${rel} matches the official runtime`, { skip: NO_CORPUS }, async () => {
    const bytes = readCorpus(rel);
    // Hello-world float models take their input in [0, 2*pi].
    const ours = Interpreter.fromBytes(bytes, { fileName: rel });
    const ref = await createOfficialRunner(bytes);
    try {
      const ins = ours.inputDetails();
      const outs = ours.outputDetails();
      const rng = new Rng(0x5eed ^ rel.length);
      let elements = 0, within1 = 0, exact = 0, maxDiff = 0, top1Same = 0, maxFloatErr = 0;
      let oursMs = 0, refMs = 0;
      for (let r = 0; r < RUNS; r++) {
        const inputs = ins.map((d) => randomInput(rng, d.dtype, d.shape.reduce((a, b) => a * b, 1)));
        // Fresh state per run for both (LSTM models keep state in variable tensors).
        ours.resetVariables();
        const fresh = r === 0 ? ref : await createOfficialRunner(bytes);
        try {
          inputs.forEach((v, k) => { ours.setInput(k, v); fresh.setInput(k, v); });
          let t0 = performance.now();
          ours.invoke();
          oursMs += performance.now() - t0;
          t0 = performance.now();
          fresh.invoke();
          refMs += performance.now() - t0;
          const refOuts = fresh.getOutputs();
          outs.forEach((d, k) => {
            const a = ours.getOutput(k) as unknown as ArrayLike<number>;
            const b = refOuts[k].data as unknown as ArrayLike<number>;
            assert.equal(a.length, b.length, `${rel} output ${k} length`);
            for (let i = 0; i < b.length; i++) {
              const diff = Math.abs(Number(a[i]) - Number(b[i]));
              elements++;
              if (d.dtype === 'float32') {
                const err = diff / Math.max(1, Math.abs(Number(b[i])));
                maxFloatErr = Math.max(maxFloatErr, err);
                if (err <= 1e-4) within1++;
                if (diff === 0) exact++;
              } else {
                if (diff <= 1) within1++;
                if (diff === 0) exact++;
                maxDiff = Math.max(maxDiff, diff);
              }
            }
            const ta = argmax(a), tb = argmax(b);
            if (ta === tb || Math.abs(Number(b[ta]) - Number(b[tb])) <= (d.dtype === 'float32' ? 1e-4 : 1)) top1Same++;
          });
        } finally {
          if (fresh !== ref) fresh.delete();
        }
      }
      const isFloat = outs.every((d) => d.dtype === 'float32');
      const pctWithin = (100 * within1) / elements;
      const line = `${rel}: ${RUNS} runs, ${elements} output elements, ${((100 * exact) / elements).toFixed(1)}% exact, ` +
        (isFloat ? `max rel err ${maxFloatErr.toExponential(2)}` : `${pctWithin.toFixed(2)}% within 1 LSB, max diff ${maxDiff}`) +
        `, top-1 agree ${top1Same}/${RUNS * outs.length}; ours ${(oursMs / RUNS).toFixed(2)} ms vs official ${(refMs / RUNS).toFixed(2)} ms`;
      report.push(line);
      if (isFloat) {
        assert.ok(maxFloatErr <= 1e-4, line);
        assert.equal(top1Same, RUNS * outs.length, line);
      } else {
        assert.ok(pctWithin >= 99, line);
        assert.ok(maxDiff <= 4, line);
        assert.equal(top1Same, RUNS * outs.length, line);
      }
    } finally {
      ref.delete();
    }
  });
}
