// BlazeFace (a real TF.js graph model from the corpus) converted by the graph importer, against TF.js executing the
// same GraphDef (tf.loadGraphModel): all 4 outputs on 20 seeded inputs within 1e-4 relative + 1e-5 of the output's
// range, in the official runtime and in our interpreter; then the same after the GraphDef is serialised to a binary
// frozen .pb and imported through the .pb path. TF.js takes ~0.8 s per inference: references computed once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { writeModel } from '../../../src/format/index.js';
import type { Model } from '../../../src/graph/model.js';
import { loadFrozenGraphDef } from '../../../src/importers/tf/graphdef.js';
import { frozenGraphToModel } from '../../../src/importers/tf/import-graph.js';
import { encodeMessage } from '../../../src/importers/tf/proto/index.js';
import { loadTfjsGraphModel } from '../../../src/importers/tf/tfjs-graph.js';
import { Interpreter } from '../../../src/runtime/interpreter.js';
import { NO_CORPUS, corpusPath } from '../../helpers/corpus.js';
import { createOfficialRunner } from '../../helpers/oracle.js';
import { mulberry32 } from '../../helpers/random.js';
import { loadTf } from '../tfjs-reference.js';
import { BLAZEFACE_DIR, blazefaceFiles, blazefaceInputs, blazefaceJson } from './blazeface-source.js';

const N = 20;

interface Reference { inputs: Float32Array[]; outputs: Record<string, Float32Array>[]; range: Record<string, number> }
let reference: Promise<Reference> | null = null;

function tfjsReference(): Promise<Reference> {
  reference ??= (async () => {
    const tf = await loadTf();
    const json = blazefaceJson();
    const weightData = new Uint8Array(fs.readFileSync(corpusPath(`${BLAZEFACE_DIR}/blazeface.bin`))).buffer;
    const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
    const names = ['Identity', 'Identity_1', 'Identity_2', 'Identity_3'];
    const inputs = blazefaceInputs(N, 7, mulberry32);
    const outputs = inputs.map((x) => {
      const t = tf.tensor(x, [1, 256, 256, 3]);
      const res = model.execute({ 'input:0': t }, names.map((n) => `${n}:0`)) as any[];
      const o = Object.fromEntries(names.map((n, k) => [n, Float32Array.from(res[k].dataSync())]));
      res.forEach((r) => r.dispose());
      t.dispose();
      return o;
    });
    const range: Record<string, number> = {};
    for (const n of names) {
      let lo = Infinity, hi = -Infinity;
      for (const o of outputs) for (const v of o[n]) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      range[n] = hi - lo;
    }
    return { inputs, outputs, range };
  })();
  return reference;
}

function compare(who: string, model: Model, got: Float32Array[][], ref: Reference): string {
  const sg = model.subgraphs[0];
  const names = sg.outputs.map((i) => sg.tensors[i].name);
  assert.deepEqual([...names].sort(), Object.keys(ref.range).sort(), `${who}: output names`);
  let worst = 0;
  got.forEach((outs, k) => outs.forEach((o, j) => {
    const r = ref.outputs[k][names[j]];
    assert.equal(o.length, r.length, `${who}: ${names[j]} has ${o.length} values, TF.js ${r.length}`);
    const atol = 1e-5 * ref.range[names[j]];
    for (let i = 0; i < r.length; i++) {
      const d = Math.abs(o[i] - r[i]);
      worst = Math.max(worst, d / ref.range[names[j]]);
      if (!(d <= 1e-4 * Math.abs(r[i]) + atol)) assert.fail(`${who}: ${names[j]}[${i}] sample ${k}: ${o[i]} vs TF.js ${r[i]}`);
    }
  }));
  return `${who}: worst |diff| ${worst.toExponential(2)} of the output range`;
}

async function runBoth(t: any, model: Model, ref: Reference): Promise<void> {
  const bytes = writeModel(model);
  const runner = await createOfficialRunner(bytes);
  const official: Float32Array[][] = [];
  try {
    for (const x of ref.inputs) {
      runner.setInput(0, x);
      runner.invoke();
      official.push(runner.getOutputs().map((o) => Float32Array.from(o.data as Float32Array)));
    }
  } finally {
    runner.delete();
  }
  t.diagnostic(compare('official runtime', model, official, ref));
  const it = Interpreter.fromModel(model);
  const ours = ref.inputs.map((x) => {
    it.setInput(0, x);
    it.invoke();
    return model.subgraphs[0].outputs.map((_, k) => Float32Array.from(it.getOutput(k) as Float32Array));
  });
  t.diagnostic(compare('our interpreter', model, ours, ref));
}

test('blazeface TF.js graph model: converted, official runtime and our interpreter match TF.js on 20 inputs', { skip: NO_CORPUS }, async (t) => {
  const ref = await tfjsReference();
  const frozen = loadTfjsGraphModel(blazefaceJson(), blazefaceFiles(), 'blazeface.json');
  const { model, opCounts } = frozenGraphToModel(frozen);
  assert.equal(opCounts._FusedConv2D, 37);
  const ops: Record<string, number> = {};
  for (const o of model.subgraphs[0].operators) ops[o.op] = (ops[o.op] ?? 0) + 1;
  // As TF's converter writes it: fused convs stay 37 CONV_2D, the 31 Relu are fused into the ADDs.
  assert.deepEqual(ops, { CONV_2D: 37, DEPTHWISE_CONV_2D: 32, ADD: 31, MAX_POOL_2D: 3, PAD: 2, RESHAPE: 4 });
  assert.equal(model.subgraphs[0].operators.filter((o) => o.op === 'ADD' && o.options.fusedActivationFunction === 'RELU').length, 31);
  await runBoth(t, model, ref);
});

test('blazeface as a binary frozen GraphDef (.pb): the same results through the .pb path', { skip: NO_CORPUS }, async (t) => {
  const ref = await tfjsReference();
  const frozen = loadTfjsGraphModel(blazefaceJson(), blazefaceFiles(), 'blazeface.json');
  const pb = encodeMessage('GraphDef', frozen.graph);
  const fromPb = loadFrozenGraphDef(pb, 'blazeface.pb', { inputs: ['input'], outputs: ['Identity', 'Identity_1', 'Identity_2', 'Identity_3'] });
  assert.equal(fromPb.inputs[0].shape?.join(), '1,256,256,3');
  await runBoth(t, frozenGraphToModel(fromPb).model, ref);
});
