// LiteRT.js (npm @litertjs/core) against tfjs-tflite on corpus models, through the same runner interface:
// quantized outputs exact or within 1 LSB, float outputs within 1e-4 of the output range. Both are Google's TFLite
// kernels under XNNPACK, so this checks our loader and I/O plumbing (element types, signature vs subgraph order, the
// int8 path under the public Tensor API), not the kernels. Skipped when the package is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLiteRtRunner, liteRtAvailable } from '../../src/runtime/litert.js';
import { OfficialRuntimeError } from '../../src/runtime/official.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { NO_CORPUS, readCorpus } from '../helpers/corpus.js';
import { Rng } from '../helpers/random.js';

const NO_LITERT = liteRtAvailable() ? false : '@litertjs/core is not installed: LiteRT.js tests skipped';
const skip = NO_CORPUS || NO_LITERT;

const MODELS = [
  'tflite/mlcommons-tiny/pretrainedResnet_quant.tflite', // int8 in and out
  'tflite/mlcommons-tiny/pretrainedResnet.tflite', // float
  'tflite/coral/mobilenet_v1_0.25_128_quant.tflite', // legacy uint8
  'tflite/coral/split_concat.tflite', // 3 inputs, 5 outputs
];

function randomInput(rng: Rng, dtype: string, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'float32': out[i] = rng.float(-1, 1); break;
      case 'int8': out[i] = rng.int(-128, 127); break;
      case 'uint8': out[i] = rng.int(0, 255); break;
      default: throw new Error(`input dtype ${dtype}`);
    }
  }
  return out;
}

for (const rel of MODELS) {
  test(`LiteRT.js gives tfjs-tflite's outputs on ${rel}`, { skip }, async () => {
    const bytes = readCorpus(rel);
    const lite = await createLiteRtRunner(bytes);
    const tfl = await createOfficialRunner(bytes);
    try {
      const ins = tfl.inputs();
      assert.deepEqual(lite.inputs().map((t) => [t.name, t.dtype, t.shape]), ins.map((t) => [t.name, t.dtype, t.shape]));
      const rng = new Rng(0x11e27 ^ rel.length);
      for (let run = 0; run < 3; run++) {
        const inputs = ins.map((d) => randomInput(rng, d.dtype, d.data.length));
        inputs.forEach((v, k) => { lite.setInput(k, v); tfl.setInput(k, v); });
        lite.invoke();
        tfl.invoke();
        const a = lite.getOutputs();
        const b = tfl.getOutputs();
        assert.equal(a.length, b.length);
        for (let k = 0; k < b.length; k++) {
          assert.equal(a[k].name, b[k].name, `output ${k} order`);
          assert.equal(a[k].dtype, b[k].dtype);
          assert.equal(a[k].data.length, b[k].data.length);
          const x = Array.from(a[k].data as ArrayLike<number>, Number);
          const y = Array.from(b[k].data as ArrayLike<number>, Number);
          if (b[k].dtype === 'float32') {
            const range = Math.max(...y.map(Math.abs), 1e-6);
            x.forEach((v, i) => assert.ok(Math.abs(v - y[i]) <= 1e-4 * range, `${b[k].name}[${i}]: ${v} vs ${y[i]} (range ${range})`));
          } else {
            x.forEach((v, i) => assert.ok(Math.abs(v - y[i]) <= 1, `${b[k].name}[${i}]: ${v} vs ${y[i]}`));
          }
        }
      }
    } finally {
      lite.delete();
      tfl.delete();
    }
  });
}

test('LiteRT.js refuses a model with variable tensors with a typed error that says why', { skip }, async () => {
  await assert.rejects(createLiteRtRunner(readCorpus('tflite/tflite-micro/trained_lstm_int8.tflite')),
    (e: Error) => e instanceof OfficialRuntimeError && /Variable tensors/.test(e.message));
});
