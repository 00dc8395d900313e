// BlazeFace converted by the graph importer, then quantized in every mode we ship for it (int8 with int8 and uint8
// I/O, dynamic range, float16): the official runtime loads and runs each file, and our interpreter gives its
// outputs (integer outputs within 1 LSB, float16 outputs within 1e-4 of the output range, as the quantizer's own
// model tests check; dynamic-range outputs bit-identical on both kernel paths: its hybrid convolutions quantize
// their float inputs, so any ulp-level difference upstream flips quantized values and grows through the network,
// see test/runtime/hybrid-conformance.test.ts). The float model run by the official runtime is the accuracy reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readModel, writeModel } from '../../../src/format/index.js';
import type { KernelImplementation } from '../../../src/runtime/interpreter.js';
import { frozenGraphToModel } from '../../../src/importers/tf/import-graph.js';
import { loadTfjsGraphModel } from '../../../src/importers/tf/tfjs-graph.js';
import { quantize, type QuantizeOptions } from '../../../src/quantize/index.js';
import { NO_CORPUS } from '../../helpers/corpus.js';
import { mulberry32 } from '../../helpers/random.js';
import { officialRawOutputs, ourRawOutputs, toFloat } from '../../quantize/helpers.js';
import { blazefaceFiles, blazefaceInputs, blazefaceJson } from './blazeface-source.js';

// Error bounds vs the float model on noise images (BlazeFace's score logits span a narrow range there, so the
// full-integer files' relative error on them is large: ~13 % measured; a broken file is far worse).
// `agree`: the largest |ours - official| allowed, in LSB for integer outputs, as a fraction of the output range for
// float ones; `kernels`: our kernel paths checked (the TypeScript loops, slower, on the first two images only).
const MODES: { name: string; options: QuantizeOptions; integer: boolean; relRmse: number; agree: number; kernels: KernelImplementation[] }[] = [
  { name: 'int8 (int8 I/O)', options: { mode: 'int8', inputType: 'int8', outputType: 'int8' }, integer: true, relRmse: 0.25, agree: 1, kernels: ['wasm'] },
  { name: 'int8 (uint8 I/O)', options: { mode: 'int8', inputType: 'uint8', outputType: 'uint8' }, integer: true, relRmse: 0.25, agree: 1, kernels: ['wasm'] },
  { name: 'dynamic', options: { mode: 'dynamic' }, integer: false, relRmse: 0.03, agree: 0, kernels: ['wasm', 'typescript'] },
  { name: 'float16', options: { mode: 'float16' }, integer: false, relRmse: 0.005, agree: 1e-4, kernels: ['wasm'] },
];

test('blazeface graph model quantized: every mode runs in the official runtime and our interpreter agrees', { skip: NO_CORPUS }, async (t) => {
  const float = frozenGraphToModel(loadTfjsGraphModel(blazefaceJson(), blazefaceFiles(), 'blazeface.json')).model;
  const calibration = blazefaceInputs(8, 100, mulberry32).map((x) => [x]);
  const evalSet = blazefaceInputs(4, 200, mulberry32);
  const reference = await officialRawOutputs(writeModel(float), float, evalSet);
  const nOut = float.subgraphs[0].outputs.length;
  const range = Array.from({ length: nOut }, (_, o) => {
    let lo = Infinity, hi = -Infinity;
    for (const row of reference) for (const v of row[o]) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    return hi - lo;
  });
  for (const mode of MODES) {
    await t.test(mode.name, async (st) => {
      const { model } = await quantize(float, { ...mode.options, representativeDataset: calibration });
      const bytes = writeModel(model);
      const q = readModel(bytes, `blazeface-${mode.name}.tflite`);
      const sg = q.subgraphs[0];
      if (mode.options.mode === 'int8') {
        for (const i of [...sg.inputs, ...sg.outputs]) assert.equal(sg.tensors[i].dtype, sg.inputs.includes(i) ? mode.options.inputType : mode.options.outputType);
      }
      const official = await officialRawOutputs(bytes, q, evalSet);
      const ours = new Map(mode.kernels.map((k) => [k, ourRawOutputs(q, k === 'typescript' ? evalSet.slice(0, 2) : evalSet, k)] as const));
      const disagreements: string[] = [];
      for (let o = 0; o < nOut; o++) {
        const outT = sg.tensors[sg.outputs[o]];
        let se = 0, n = 0;
        official.forEach((row, k) => {
          const deq = toFloat(outT, row[o]);
          reference[k][o].forEach((r, i) => { se += (deq[i] - r) ** 2; n++; });
        });
        const rel = Math.sqrt(se / n) / range[o];
        assert.ok(rel <= mode.relRmse, `${outT.name}: rmse ${(100 * rel).toFixed(2)} % of range > ${100 * mode.relRmse} %`);
        for (const [kernels, rows] of ours) {
          let maxDiff = 0;
          rows.forEach((row, k) => row[o].forEach((v, i) => { maxDiff = Math.max(maxDiff, Math.abs(official[k][o][i] - v)); }));
          const diff = mode.integer ? maxDiff : maxDiff / range[o];
          st.diagnostic(`${outT.name}: rmse ${(100 * rel).toFixed(2)} % of range; ours (${kernels}) vs official max ` +
            (mode.integer ? `${maxDiff} LSB` : `${diff.toExponential(1)} of range`));
          if (diff > mode.agree) disagreements.push(`${outT.name} (${kernels}): ${diff} > ${mode.agree}`);
        }
      }
      await st.test(`our interpreter agrees with the official runtime (${mode.agree ? `within ${mode.agree}${mode.integer ? ' LSB' : ' of the range'}` : 'bit-identical'})`, () => {
        assert.deepEqual(disagreements, [], `our interpreter differs from the official runtime: ${disagreements.join('; ')}`);
      });
    });
  }
});
