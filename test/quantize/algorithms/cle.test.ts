// Cross-layer equalization: the float model computes the same outputs (our interpreter, 1e-5 relative), channel
// ranges of the equalized pairs become equal (Nagel et al.: r1_c = r2_c = sqrt(r1_c r2_c)), and an int8 model made
// with it runs in the official runtime, ours bit-exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { quantize } from '../../../src/quantize/index.js';
import { makeAlgorithms } from '../../../src/quantize/algorithms/index.js';
import '../../../src/quantize/algorithms/registry.js';
import { convert } from '../../../src/convert.js';
import { BUNDLED_MODEL } from '../../../src/cli/tutorial.js';
import { readModel, writeModel } from '../../../src/format/index.js';
import { floatValues } from '../../../src/graph/passes/util.js';
import type { Model } from '../../../src/graph/model.js';
import { corpusPath, NO_CORPUS } from '../../helpers/corpus.js';
import { runOfficialOn, runOursOn } from '../helpers.js';
import { floatOutputs, separableModel, separableSamples } from './helpers.js';

function transform(model: Model): { model: Model; notes: string[] } {
  const notes: string[] = [];
  const [cle] = makeAlgorithms([{ name: 'cle' }]);
  return { model: cle.transformFloat!(model, { samples: [], notes }) as Model, notes };
}

function assertSameOutputs(a: Model, b: Model, samples: Float32Array[][]): void {
  const ya = floatOutputs(a, samples), yb = floatOutputs(b, samples);
  ya.forEach((row, k) => {
    const scale = Math.max(...row.map(Math.abs));
    row.forEach((v, i) => assert.ok(Math.abs(v - yb[k][i]) <= 1e-5 * scale, `sample ${k} output ${i}: ${v} vs ${yb[k][i]}`));
  });
}

const weightsOf = (m: Model, name: string) => floatValues(m.subgraphs[0].tensors.find((t) => t.name === name)!);

test('cle on a depthwise-separable net: same float outputs, equal channel ranges, bias scaled', () => {
  const model = separableModel(7);
  const { model: eq, notes } = transform(model);
  assert.match(notes[0], /^cle: 3 layer pair\(s\) equalized/);
  assertSameOutputs(model, eq, separableSamples(20, 1));
  // conv1 -> dw: output channel c of conv1 ([8,3,3,3]) and input channel c of dw ([1,3,3,8]) end with equal max|w|.
  const w1 = weightsOf(eq, 'conv1/w'), w2 = weightsOf(eq, 'dw/w');
  for (let c = 0; c < 8; c++) {
    let r1 = 0, r2 = 0;
    for (let i = 0; i < 27; i++) r1 = Math.max(r1, Math.abs(w1[c * 27 + i]));
    for (let i = 0; i < 9; i++) r2 = Math.max(r2, Math.abs(w2[i * 8 + c]));
    assert.ok(Math.abs(r1 - r2) <= 1e-3 * r1, `channel ${c}: ${r1} vs ${r2}`);
  }
  // Bias of conv1 scaled with its channel: b'/b equals w'/w of the same channel.
  const w0 = weightsOf(model, 'conv1/w'), b0 = weightsOf(model, 'conv1/b'), b1 = weightsOf(eq, 'conv1/b');
  for (let c = 0; c < 8; c++) assert.ok(Math.abs(b1[c] / b0[c] - w1[c * 27] / w0[c * 27]) < 1e-4);
});

test('cle keeps the float outputs of the tutorial CNN and the moonflower CNN (conv -> relu/pool -> conv/fc)', { skip: NO_CORPUS || !fs.existsSync(BUNDLED_MODEL) }, async () => {
  const rnd = separableSamples(10, 3).map(() => [Float32Array.from({ length: 784 }, (_, i) => ((i * 37) % 101) / 101)]);
  for (const file of [BUNDLED_MODEL, corpusPath('keras/moonflower2022_mnist_model.h5')]) {
    const model = (await convert(file)).model;
    const { model: eq, notes } = transform(model);
    assert.match(notes[0], /^cle: [1-9]\d* layer pair/);
    assertSameOutputs(model, eq, rnd);
  }
});

test('int8 with cle: runs in the official runtime, ours bit-exact; the description names it', async () => {
  const model = separableModel(7);
  const samples = separableSamples(30, 2);
  const { model: q, report } = await quantize(model, { mode: 'int8', representativeDataset: samples, inputType: 'int8', outputType: 'int8', algorithms: [{ name: 'cle' }] });
  assert.match(q.description, /algorithms=cle/);
  assert.match(report.algorithms.join('\n'), /cle: 3 layer pair/);
  const bytes = writeModel(q);
  const tests = separableSamples(20, 9).map((inputs) => ({ inputs }));
  const official = await runOfficialOn(bytes, tests);
  assert.deepEqual(runOursOn(readModel(bytes, 'cle.tflite'), tests).raw, official.raw);
});
