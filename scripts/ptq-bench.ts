// The PTQ benchmark: every quantization configuration on every benchmark model (scripts/ptq-bench/models.ts),
// measured with our interpreter (bit-exact with the official runtime, checked once per model here) on disjoint
// calibration / validation / test data.
//
//   npm run ptq-bench -- [--models a,b] [--quick] [--json] [--no-combinations]
//
// Per model: float accuracy; then per configuration the file size, validation and test top-1, the test drop in
// points with 2 paired standard errors (SE of the mean of per-image correct_float - correct_quant), and agreement
// with the float model's top-1 on the test split. Configurations: full int8 with each calibration method; each
// registered PTQ algorithm alone and in combination on top of the calibration method that was best on validation;
// dynamic range; float16; 16x8; then the rows of the extension providers (automatic mode, reference grid).

import path from 'node:path';
import { convert } from '../src/convert.js';
import { openDataset } from '../src/evaluate/datasets/index.js';
import { loadModel } from '../src/evaluate/load-model.js';
import { writeModel } from '../src/format/index.js';
import type { Model } from '../src/graph/model.js';
import { algorithmNames } from '../src/quantize/algorithms/index.js';
import { parseCalibrationMethod, quantize, type QuantizeOptions } from '../src/quantize/index.js';
import { Interpreter } from '../src/runtime/interpreter.js';
import { argmax } from '../src/evaluate/metrics.js';
import { createRuntimeRunner, runtimeInstalled, RUNTIME_SHORT, type OfficialRuntime } from '../src/evaluate/runtimes.js';
import { PROJECT_ROOT } from './training/tfjs-cpu.js';
import { accuracyOf, pairedDrop } from './ptq-bench/stats.js';
import { EXTRA_ROW_PROVIDERS, type BenchContext, type BenchRowResult } from './ptq-bench/extensions.js';
import { benchModelFile, checkBenchSplits, quickSplits, selectBenchModels, type BenchModel, type BenchSplits } from './ptq-bench/models.js';

interface Options { models?: string[]; quick: boolean; json: boolean; combinations: boolean }

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, json: false, combinations: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a === '--no-combinations') o.combinations = false;
    else if (a === '--models') {
      const v = argv[++i];
      if (!v) throw new Error('--models needs a comma-separated list');
      o.models = v.split(',').map((s) => s.trim()).filter(Boolean);
    } else throw new Error(`unknown option ${a} (options: --models a,b  --quick  --json  --no-combinations)`);
  }
  return o;
}

// ------------------------------------------------------------------------------------------------------ data

interface Labelled { inputs: Float32Array[][]; labels: Int32Array }

const dataCache = new Map<string, Labelled>();

/** All samples of a spec in memory (flat per input: the same pixels serve every input shape of 784 values). */
async function loadSamples(spec: string, inputShapes: number[][]): Promise<Labelled> {
  const key = `${spec}|${inputShapes.map((s) => s.reduce((p, d) => p * Math.max(d, 1), 1)).join(',')}`;
  const hit = dataCache.get(key);
  if (hit) return hit;
  const ds = await openDataset(spec, { inputShapes });
  const inputs: Float32Array[][] = [];
  const labels: number[] = [];
  for await (const s of ds) { inputs.push(s.inputs); labels.push(s.label ?? -1); }
  const got = { inputs, labels: Int32Array.from(labels) };
  dataCache.set(key, got);
  return got;
}

// --------------------------------------------------------------------------------------------------- running

/** Top-1 class of every sample in our interpreter, variables reset before each (stateful models see one image). */
function predict(model: Model, data: Labelled): Int32Array {
  const it = Interpreter.fromModel(model);
  const out = new Int32Array(data.inputs.length);
  data.inputs.forEach((ins, i) => {
    it.resetVariables();
    ins.forEach((v, k) => it.setInput(k, v));
    it.invoke();
    const y = it.getOutput(0) as ArrayLike<number>;
    let best = 0;
    for (let j = 1; j < y.length; j++) if (y[j] > y[best]) best = j;
    out[i] = best;
  });
  return out;
}

/**
 * A quantized model in an official runtime vs our interpreter on a few test samples: outputs compared bit for bit;
 * where they differ (float ops sum in another order than XNNPACK's), the largest difference and the top-1 agreement.
 * A fresh official runner per sample gives it fresh variables (LSTM state).
 */
async function officialCheck(model: Model, data: Labelled, count: number, runtime: OfficialRuntime = 'tflite'): Promise<string> {
  const bytes = writeModel(model);
  const it = Interpreter.fromModel(model);
  let same = 0, sameTop1 = 0, maxDiff = 0, maxOut = 0;
  const n = Math.min(count, data.inputs.length);
  for (let i = 0; i < n; i++) {
    const runner = await createRuntimeRunner(runtime, bytes);
    try {
      data.inputs[i].forEach((v, k) => runner.setInput(k, v));
      runner.invoke();
      const theirs = runner.getOutputs()[0].data as ArrayLike<number>;
      it.resetVariables();
      data.inputs[i].forEach((v, k) => it.setInput(k, v));
      it.invoke();
      const ours = it.getOutput(0) as ArrayLike<number>;
      let equal = theirs.length === ours.length;
      for (let j = 0; j < ours.length; j++) {
        equal &&= Object.is(ours[j], theirs[j]);
        maxDiff = Math.max(maxDiff, Math.abs(Number(ours[j]) - Number(theirs[j])));
        maxOut = Math.max(maxOut, Math.abs(Number(theirs[j])));
      }
      if (equal) same++;
      if (argmax(ours) === argmax(theirs)) sameTop1++;
    } finally {
      runner.delete();
    }
  }
  const exact = `${same}/${n} samples bit-exact with the official runtime (${RUNTIME_SHORT[runtime]})`;
  return same === n ? exact : `${exact}, max |difference| ${maxDiff.toExponential(2)} (outputs up to ${maxOut.toPrecision(3)}), same top-1 on ${sameTop1}/${n}`;
}

/**
 * The check in tfjs-tflite, and where that differs, also in LiteRT.js (tfjs-tflite computes hybrid FULLY_CONNECTED
 * with per-channel weights as zeros; LiteRT.js, Google's current runtime, computes it).
 */
async function officialChecks(model: Model, data: Labelled, count: number): Promise<string> {
  const failed = (e: unknown) => `official runtime failed: ${(e as Error).message.split('\n')[0]}`;
  const tflite = await officialCheck(model, data, count).catch(failed);
  if (tflite.startsWith(`${Math.min(count, data.inputs.length)}/`) || !(await runtimeInstalled('litert'))) return tflite;
  return `${tflite}; ${await officialCheck(model, data, count, 'litert').catch(failed)}`;
}

// ---------------------------------------------------------------------------------------------- per model

interface ModelReport {
  name: string;
  architecture: string;
  splits: BenchSplits;
  calibrationSamples: number;
  validationSeen: boolean;
  notes: string;
  floatValidationAcc: number;
  floatTestAcc: number;
  floatBytes: number;
  officialCheck: string;
  bestCalibration: string;
  rows: BenchRowResult[];
  skipped?: string;
  seconds: number;
}

async function loadFloat(file: string): Promise<Model> {
  if (file.endsWith('.tflite')) return loadModel(file).model;
  return (await convert(file, { label: path.basename(file) })).model;
}

/** One line per algorithm for the table: a weight rounder's per-layer lines become a count (the full report is in --json). */
function algorithmSummary(notes: string[]): string[] {
  const layers = new Map<string, number>();
  const lines: string[] = [];
  for (const n of notes) {
    const name = n.slice(0, n.indexOf(':'));
    if (/output MSE/.test(n)) layers.set(name, (layers.get(name) ?? 0) + 1);
    else if (!/input statistics/.test(n)) lines.push(n);
  }
  for (const [name, k] of layers) lines.push(`${name}: ${k} layer(s) rounded`);
  return lines;
}

/** Calibration methods to try: the existing ones, and 'kl' when this build accepts it. */
function calibrationMethods(): string[] {
  const methods = ['minmax', 'percentile', 'mse'];
  try { parseCalibrationMethod('kl'); methods.push('kl'); } catch { /* not available in this build */ }
  return methods;
}

/** Subsets of the algorithms to run: each alone, each pair, and all together (de-duplicated). */
function algorithmSets(names: string[], combinations: boolean): string[][] {
  const sets: string[][] = names.map((n) => [n]);
  if (combinations) {
    for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) sets.push([names[i], names[j]]);
    if (names.length > 2) sets.push([...names]);
  }
  return sets;
}

async function benchModel(bench: BenchModel, file: string, opts: Options, log: (s: string) => void): Promise<ModelReport> {
  const started = Date.now();
  checkBenchSplits(bench);
  const splits = opts.quick ? quickSplits(bench.splits) : bench.splits;
  const float = await loadFloat(file);
  const inputShapes = float.subgraphs[0].inputs.map((t) => float.subgraphs[0].tensors[t].shape);
  const calibData = await loadSamples(splits.calibration, inputShapes);
  const calibration = calibData.inputs.slice(0, bench.calibrationSamples);
  const validation = await loadSamples(splits.validation, inputShapes);
  const test = await loadSamples(splits.test, inputShapes);
  log(`${bench.name}: float model, ${validation.labels.length} validation and ${test.labels.length} test images`);
  const floatVal = predict(float, validation), floatTest = predict(float, test);
  const floatBytes = writeModel(float).length;
  const rows: BenchRowResult[] = [];

  const measure = async (config: string, model: Model, notes?: string): Promise<BenchRowResult> => {
    const t0 = Date.now();
    const qv = predict(model, validation), qt = predict(model, test);
    const d = pairedDrop(floatTest, qt, test.labels);
    const row: BenchRowResult = {
      config, bytes: writeModel(model).length, validationAcc: accuracyOf(qv, validation.labels), testAcc: accuracyOf(qt, test.labels),
      testDrop: d.drop, testDrop2se: d.twoSe, agreement: d.agreement, ...(notes ? { notes } : {}),
    };
    log(`  ${config}: validation ${(row.validationAcc * 100).toFixed(2)} %, test ${(row.testAcc * 100).toFixed(2)} % (drop ${row.testDrop.toFixed(2)} ± ${row.testDrop2se.toFixed(2)}) [${((Date.now() - t0) / 1000).toFixed(0)} s]`);
    return row;
  };
  const quantizeWith = async (o: Omit<QuantizeOptions, 'representativeDataset'>): Promise<{ model: Model; notes: string }> => {
    const q = await quantize(float, { representativeDataset: calibration, samples: bench.calibrationSamples, threads: 1, ...o });
    const floatOps = o.mode === 'int8' || o.mode === 'int16x8' ? q.report.floatOps.length : 0;
    const notes = [...(floatOps ? [`${floatOps} op(s) left in float`] : []), ...algorithmSummary(q.report.algorithms ?? [])].join('; ');
    return { model: q.model, notes };
  };
  const tryRow = async (config: string, make: () => Promise<{ model: Model; notes: string }>): Promise<BenchRowResult | null> => {
    try {
      const { model, notes } = await make();
      const row = await measure(config, model, notes || undefined);
      rows.push(row);
      return row;
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      log(`  ${config}: failed: ${msg}`);
      rows.push({ config, bytes: 0, validationAcc: NaN, testAcc: NaN, testDrop: NaN, testDrop2se: NaN, agreement: NaN, notes: `failed: ${msg}` });
      return null;
    }
  };

  // Full int8 with each calibration method; the best on validation (existing methods only) carries the algorithms.
  let officialResult = 'not checked';
  let best = { method: 'minmax', acc: -1 };
  for (const method of calibrationMethods()) {
    const row = await tryRow(`int8 ${method}`, async () => {
      const q = await quantizeWith({ mode: 'int8', calibrationMethod: method });
      if (method === 'minmax') officialResult = await officialChecks(q.model, test, 5);
      return q;
    });
    if (row && method !== 'kl' && row.validationAcc > best.acc) best = { method, acc: row.validationAcc };
  }
  log(`  official check (int8 minmax): ${officialResult}`);
  for (const set of algorithmSets(algorithmNames(), opts.combinations)) {
    await tryRow(`int8 ${best.method} + ${set.join(' + ')}`, () => quantizeWith({ mode: 'int8', calibrationMethod: best.method, algorithms: set.map((name) => ({ name })) }));
  }
  await tryRow('dynamic', () => quantizeWith({ mode: 'dynamic' }));
  await tryRow('float16', () => quantizeWith({ mode: 'float16' }));
  await tryRow('16x8 minmax', () => quantizeWith({ mode: 'int16x8' }));

  const ctx: BenchContext = {
    bench, float, splits, calibration, bestCalibration: best.method,
    measure: (label, model, notes) => measure(label, model, notes),
    officialCheck: (model) => officialChecks(model, test, 20),
  };
  for (const provider of EXTRA_ROW_PROVIDERS) {
    try { rows.push(...await provider.rows(ctx)); } catch (e) { log(`  ${provider.name}: failed: ${(e as Error).message.split('\n')[0]}`); }
  }
  return {
    name: bench.name, architecture: bench.architecture, splits, calibrationSamples: bench.calibrationSamples, validationSeen: bench.validationSeen, notes: bench.notes,
    floatValidationAcc: accuracyOf(floatVal, validation.labels), floatTestAcc: accuracyOf(floatTest, test.labels), floatBytes,
    officialCheck: officialResult, bestCalibration: best.method, rows, seconds: (Date.now() - started) / 1000,
  };
}

// ------------------------------------------------------------------------------------------------- output

const pct = (x: number) => (Number.isFinite(x) ? (x * 100).toFixed(2) : '—');

/** Algorithm rows the recovery line always reports (fixed choices, so no selection on test). */
const FIXED_ALGORITHM_ROWS = ['range-search', 'norm-l2', 'norm-l2 + range-search'];

/**
 * How much of full int8's loss the algorithms win back, on the test split. The baseline is the strictest: the
 * smallest test loss of the existing calibration methods (minmax, percentile, MSE). Against it: the fixed algorithm
 * rows on the calibration method validation preferred (no selection on test), and the algorithm row
 * validation ranks first (with a 1,000-image validation range, --quick, that ranking is mostly noise).
 */
export function recoveryLine(r: ModelReport): string | null {
  const finite = (rows: BenchRowResult[]) => rows.filter((row) => Number.isFinite(row.testDrop) && Number.isFinite(row.validationAcc));
  const minmax = r.rows.find((row) => row.config === 'int8 minmax');
  const existing = finite(r.rows.filter((row) => ['int8 minmax', 'int8 percentile', 'int8 mse'].includes(row.config)))
    .reduce<BenchRowResult | null>((a, row) => (a === null || row.testDrop < a.testDrop ? row : a), null);
  const algorithmRows = finite(r.rows.filter((row) => row.config.startsWith(`int8 ${r.bestCalibration} + `)));
  if (!minmax || !existing || !algorithmRows.length) return null;
  const byValidation = algorithmRows.reduce((a, row) => (row.validationAcc > a.validationAcc ? row : a));
  const fixed = FIXED_ALGORITHM_ROWS.map((set) => algorithmRows.find((row) => row.config === `int8 ${r.bestCalibration} + ${set}`))
    .filter((row): row is BenchRowResult => row !== undefined);
  const loss = existing.testDrop;
  const share = (row: BenchRowResult) => `${row.config}: ${row.testDrop.toFixed(2)} ± ${row.testDrop2se.toFixed(2)}`
    + (loss > 0 ? ` (${(((loss - row.testDrop) / loss) * 100).toFixed(0)} % of the loss recovered)` : '');
  const hard = minmax.testDrop >= 1 ? 'hard model: int8 minmax loses ≥ 1 point on test' : 'int8 minmax loses < 1 point on test';
  return `recovery (${hard}): the best existing calibration on test, ${existing.config}, loses ${loss.toFixed(2)} points; `
    + fixed.map((row) => `${share(row)}; `).join('') + `best algorithm row on validation, ${share(byValidation)}`;
}

export function markdownReport(reports: ModelReport[], quick: boolean): string {
  const out: string[] = [`# PTQ bench${quick ? ' (--quick: 1,000 validation images)' : ''}`, ''];
  for (const r of reports) {
    out.push(`## ${r.name}`, '');
    if (r.skipped) { out.push(`skipped: ${r.skipped}`, ''); continue; }
    out.push(`${r.architecture}. ${r.notes}.`, '');
    out.push(`calibration: first ${r.calibrationSamples} of \`${r.splits.calibration}\`; validation: \`${r.splits.validation}\`${r.validationSeen ? ' (seen in training)' : ''}; test: \`${r.splits.test}\``);
    out.push(`float: validation ${pct(r.floatValidationAcc)} %, test ${pct(r.floatTestAcc)} %, ${(r.floatBytes / 1024).toFixed(1)} KiB; int8 minmax: ${r.officialCheck}; best existing calibration on validation: ${r.bestCalibration}; ${r.seconds.toFixed(0)} s`, '');
    const recovery = recoveryLine(r);
    if (recovery) out.push(recovery, '');
    out.push('| configuration | size KiB | val top-1 % | test top-1 % | test drop (pts) ± 2 SE | agreement % | notes |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const row of r.rows) {
      const drop = Number.isFinite(row.testDrop) ? `${row.testDrop.toFixed(2)} ± ${row.testDrop2se.toFixed(2)}` : '—';
      out.push(`| ${row.config} | ${row.bytes ? (row.bytes / 1024).toFixed(1) : '—'} | ${pct(row.validationAcc)} | ${pct(row.testAcc)} | ${drop} | ${pct(row.agreement)} | ${row.notes ?? ''} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const reports: ModelReport[] = [];
  for (const bench of selectBenchModels(opts.models)) {
    const where = benchModelFile(bench, PROJECT_ROOT);
    if ('skip' in where) {
      log(`${bench.name}: skipped: ${where.skip}`);
      reports.push({ name: bench.name, architecture: bench.architecture, splits: bench.splits, calibrationSamples: bench.calibrationSamples, validationSeen: bench.validationSeen, notes: bench.notes,
        floatValidationAcc: NaN, floatTestAcc: NaN, floatBytes: 0, officialCheck: '', bestCalibration: '', rows: [], skipped: where.skip, seconds: 0 });
      continue;
    }
    reports.push(await benchModel(bench, where.file, opts, log));
  }
  process.stdout.write(opts.json ? `${JSON.stringify({ quick: opts.quick, algorithms: algorithmNames(), models: reports }, null, 2)}\n` : `${markdownReport(reports, opts.quick)}\n`);
}

main().catch((e) => {
  console.error(`ptq-bench: ${(e as Error).message}`);
  process.exit(1);
});
