import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as lib from '../../src/index.js';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';
import { runOfficial } from '../helpers/oracle.js';

// The library mirrors the CLI: convert -> quantize -> write -> run, all typed, from one import.
test('library API: convert, quantize with a representative dataset, write, run (official runtime agrees)', { skip: NO_CORPUS }, async () => {
  const { model } = await lib.convert(corpusPath('keras/moonflower2022_mnist_model.h5'));
  const calibration = await lib.openDataset('mnist:train', { inputShapes: [[1, 28, 28, 1]], limit: 20 });
  const { model: q, report } = await lib.quantize(model, { mode: 'int8', representativeDataset: calibration, samples: 20, inputType: 'uint8', outputType: 'uint8' });
  assert.equal(report.calibration?.samples, 20);
  const bytes = lib.writeModel(q);
  const interp = lib.Interpreter.fromBytes(bytes);
  assert.equal(interp.inputDetails()[0].dtype, 'uint8');
  const x = Uint8Array.from({ length: 784 }, (_, i) => (i * 7) % 256);
  interp.setInput(0, x);
  interp.invoke();
  const [ref] = await runOfficial(bytes, [x]);
  assert.deepEqual(Array.from(interp.getOutput(0) as Uint8Array), Array.from(ref.data as Uint8Array));
});
