// Weight-rounding algorithms (gptq, adaround) against plain round-to-nearest on real models, measured in the
// OFFICIAL runtime: int8 top-1 on test images, with each algorithm's per-layer output MSE on the calibration data.
// Usage: node dist/scripts/measure-rounding.js [--test N] [--samples N] [--algorithms gptq,adaround,...]
//        [--model PATH:DATASET]...   (DATASET: mnist or fashion-mnist; default: the tutorial model and the corpus MNIST .h5)
import { convert } from '../src/convert.js';
import { writeModel } from '../src/format/index.js';
import type { Model } from '../src/graph/model.js';
import { openDataset } from '../src/evaluate/datasets/index.js';
import { quantize, type AlgorithmSpec } from '../src/quantize/index.js';
import { corpusPath } from '../test/helpers/corpus.js';
import { collectLayerInputs, type LayerInputs } from '../src/quantize/algorithms/layer-inputs.js';
import { floatValues } from '../src/quantize/weights.js';
import { accuracy, agreement, runOfficialOn, take } from '../test/quantize/helpers.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const testCount = Number(opt('--test', '2000'));
const samples = Number(opt('--samples', '100'));
const variants: { label: string; algorithms: AlgorithmSpec[] }[] = [{ label: 'nearest', algorithms: [] }];
for (const a of opt('--algorithms', 'gptq,adaround').split(',').filter(Boolean)) {
  // name or name{key=value;...}
  const m = /^([a-z0-9_-]+)(?:\{(.*)\})?$/.exec(a)!;
  const options: Record<string, number | string> = {};
  for (const kv of (m[2] ?? '').split(';').filter(Boolean)) {
    const [k, v] = kv.split('=');
    options[k] = Number.isFinite(Number(v)) ? Number(v) : v;
  }
  variants.push({ label: a, algorithms: [{ name: m[1], options }] });
}
const models: [string, string][] = [];
args.forEach((a, i) => { if (a === '--model') { const s = args[i + 1]; const c = s.lastIndexOf(':'); models.push([s.slice(0, c), s.slice(c + 1)]); } });
if (!models.length) models.push(['models/mnist-cnn/model.json', 'mnist'], [corpusPath('keras/moonflower2022_mnist_model.h5'), 'mnist']);

const inputShapes = (m: Model) => m.subgraphs[0].inputs.map((i) => m.subgraphs[0].tensors[i].shape);
const ROUNDED = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/**
 * Output MSE of each layer's quantized filter (dequantized from the file) against the float filter, on the held-out
 * rows' Gram matrix: the k-th conv/dense node of the quantized model is the k-th of the float one.
 */
function heldOutMse(float: Model, quantized: Model, held: LayerInputs): string {
  const fsg = float.subgraphs[0], qsg = quantized.subgraphs[0];
  const fNodes = fsg.operators.map((o, n) => [o, n] as const).filter(([o]) => ROUNDED.has(o.op));
  const qNodes = qsg.operators.filter((o) => ROUNDED.has(o.op));
  const parts: string[] = [];
  fNodes.forEach(([fo, n], idx) => {
    const layer = held.layers.get(n);
    const qt = qsg.tensors[qNodes[idx]?.inputs[1]];
    if (!layer || !qt || qt.dtype !== 'int8' || !qt.quantization) return;
    const w = floatValues(fsg.tensors[fo.inputs[1]]);
    const q = new Int8Array(qt.data!.buffer, qt.data!.byteOffset, qt.data!.length);
    const scales = qt.quantization.scale;
    const channels = layer.groups * layer.perGroup, k = layer.k;
    const dw = layer.op === 'DEPTHWISE_CONV_2D';
    let total = 0;
    const d = new Float64Array(k);
    for (let c = 0; c < channels; c++) {
      const s = scales.length === 1 ? scales[0] : scales[c];
      for (let j = 0; j < k; j++) { const i = dw ? j * channels + c : c * k + j; d[j] = w[i] - s * q[i]; }
      const g = layer.gram.subarray(Math.floor(c / layer.perGroup) * k * k);
      for (let i = 0; i < k; i++) { let a = 0; for (let j = 0; j < k; j++) a += g[i * k + j] * d[j]; total += d[i] * a; }
    }
    parts.push(`${layer.name} ${(total / (layer.rows * channels)).toExponential(2)}`);
  });
  return parts.join(', ');
}

for (const [file, data] of models) {
  const { model: float, bytes: floatBytes } = await convert(file);
  const shapes = inputShapes(float);
  const testSet = await take(await openDataset(`${data}:test[:${testCount}]`, { inputShapes: shapes }), testCount);
  const calibration = await take(await openDataset(`${data}:train[:${samples}]`, { inputShapes: shapes }), samples);
  const floatRun = await runOfficialOn(floatBytes, testSet);
  const held = collectLayerInputs(float, testSet.slice(0, 500).map((t) => t.inputs), { seed: 7 });
  const fAcc = accuracy(floatRun.top1, testSet);
  console.log(`\n${file} (${data}): float top-1 ${fAcc.toFixed(2)} % on ${testSet.length} test images; int8, minmax, ${samples} calibration samples`);
  let base: number[] | null = null;
  for (const v of variants) {
    const t0 = Date.now();
    const { model, report } = await quantize(float, { mode: 'int8', representativeDataset: calibration, algorithms: v.algorithms });
    const seconds = (Date.now() - t0) / 1000;
    const run = await runOfficialOn(writeModel(model), testSet);
    const acc = accuracy(run.top1, testSet);
    base ??= run.top1;
    console.log(`  ${v.label.padEnd(28)} top-1 ${acc.toFixed(2)} % (${(acc - fAcc >= 0 ? '+' : '') + (acc - fAcc).toFixed(2)} vs float), `
      + `agreement with float ${agreement(run.top1, floatRun.top1).toFixed(2)} %, with nearest ${agreement(run.top1, base).toFixed(2)} %, quantize ${seconds.toFixed(1)} s`);
    console.log(`      layer output MSE on 500 held-out test images: ${heldOutMse(float, model, held)}`);
    for (const n of report.algorithms) console.log(`      ${n}`);
  }
}
