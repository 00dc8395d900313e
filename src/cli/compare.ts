// litequant compare A.tflite B.tflite [...] --dataset SPEC [--report report.html] [--calibration DATASET]
//   [--official-latency [N]] [--json]
// With --calibration, the suggested exclusions are measured: the first model (float) is re-quantized with the
// candidate's recorded settings plus the exclusion, and evaluated. With --official-latency, each model's latency is
// also measured on the first N samples with every installed official runtime (tfjs-tflite, LiteRT.js) beside ours.

import type { Command } from 'commander';
import { compare, formatComparison, writeReportHtml, type ExcludeSpec, type LoadedModel } from '../evaluate/index.js';
import { quantize } from '../quantize/index.js';
import { openDataset } from '../evaluate/datasets/index.js';
import { assertDisjoint } from '../evaluate/datasets/disjoint.js';
import { writeModel } from '../format/index.js';
import type { Model } from '../graph/model.js';
import { InputError } from '../errors.js';
import { addDatasetFlags, datasetInputPaths, evaluationSource, loadSourceModel, modelInputPaths, modelInputs, type DatasetFlags } from './common.js';
import { addSourceFlags, checkSourceFlagTargets, type SourceFlags } from './source-flags.js';
import { addEvaluationFlags, evalDatasetOptions } from './eval.js';
import { datasetSpec, nonNegativeInt, outputFile, positiveInt } from './flags.js';
import { checkOutputs } from '../util/in-place.js';
import type { Runtime } from '../evaluate/index.js';
import { phaseProgress, printJson } from './output.js';

interface CompareFlags extends DatasetFlags, SourceFlags {
  dataset: string;
  runtime: Runtime;
  keepState?: boolean;
  threads?: number;
  maxMemory?: number;
  report?: string;
  layerSamples: number;
  calibration?: string;
  officialLatency?: boolean | number;
  json?: boolean;
}

const OFFICIAL_LATENCY_SAMPLES = 20;

function officialLatencySamples(v: boolean | number | undefined): number {
  if (v === undefined || v === false) return 0;
  return v === true ? OFFICIAL_LATENCY_SAMPLES : v;
}

/** Settings litequant recorded in a quantized model's description ("litequant quantize: mode=int8 input=uint8 ..."). */
export function recordedSettings(model: Model): Record<string, string> | null {
  const m = /^litequant quantize:(.*)$/.exec(model.description);
  if (!m) return null;
  const out: Record<string, string> = {};
  for (const tok of m[1].trim().split(/\s+/)) {
    const eq = tok.indexOf('=');
    if (eq > 0) out[tok.slice(0, eq)] = tok.slice(eq + 1);
  }
  return out;
}

/** A requantize callback for compare(): float source = the first model, settings from the candidate. */
export function makeRequantize(floatModel: Model, calibration: string, flags: DatasetFlags & { threads?: number; maxMemory?: number }) {
  return async (exclude: ExcludeSpec, candidate: LoadedModel) => {
    const s = recordedSettings(candidate.model);
    if (!s) throw new InputError(`${candidate.name}: not written by litequant quantize, its settings are unknown`);
    const samples = Number(s.samples ?? 100);
    const inputs = modelInputs(floatModel);
    const dataset = await openDataset(calibration, { ...evalDatasetOptions(flags), inputShapes: inputs.shapes, inputNames: inputs.names,
      limit: s.shuffle === undefined ? samples : undefined, shuffle: undefined });
    const { model } = await quantize(floatModel, {
      mode: s.mode, inputType: s.input, outputType: s.output, samples, calibrationMethod: s.calibration,
      shuffleSeed: s.shuffle === undefined ? undefined : Number(s.shuffle), representativeDataset: dataset,
      excludeOps: exclude.ops, excludeTensors: exclude.tensors, threads: flags.threads, maxMemoryBytes: flags.maxMemory,
    });
    return { name: `${candidate.name} ${[...exclude.ops.map((o) => `-${o}`), ...exclude.tensors.map((t) => `-${t}`)].join(' ')}`, bytes: writeModel(model) };
  };
}

export function registerCompare(program: Command): void {
  const cmd = addEvaluationFlags(program.command('compare')
    .description('compare models side by side: size, accuracy, agreement, latency, and per-layer error of float vs quantized')
    .argument('<models...>', '.tflite files; the first is the reference (e.g. the float model; a Keras/TF.js model is converted)'))
    .option('--report <file.html>', 'write a self-contained HTML report (never one of the input files)', outputFile('--report'))
    .option('--layer-samples <n>', 'samples for the per-layer error (0 = off)', nonNegativeInt('--layer-samples'), 100)
    .option('--calibration <dataset>', 'measure the suggested exclusions by re-quantizing the first model on this dataset', datasetSpec('--calibration'))
    .option('--official-latency [samples]', `also time each model on the first samples (default ${OFFICIAL_LATENCY_SAMPLES}) with every installed official runtime ` +
      '(@tensorflow/tfjs-tflite, @litertjs/core) beside ours: p50 per sample, 1 thread, same scope as the latency columns', positiveInt('--official-latency'))
    .option('--json', 'machine-readable output');
  addSourceFlags(cmd);
  addDatasetFlags(cmd);
  cmd.action(async (files: string[], flags: CompareFlags) => {
    checkSourceFlagTargets(files, flags);
    if (flags.report) {
      checkOutputs([{ role: '--report', file: flags.report }], [
        ...files.flatMap((f, k) => modelInputPaths(`input model ${k + 1}`, f)),
        ...datasetInputPaths('a --dataset file', flags.dataset), ...datasetInputPaths('a --calibration file', flags.calibration),
      ]);
    }
    // Exclusions measured on the data they were calibrated on would look better than they are.
    if (flags.calibration) assertDisjoint([{ role: '--calibration', spec: flags.calibration }, { role: '--dataset', spec: flags.dataset }]);
    const officialLatency = officialLatencySamples(flags.officialLatency);
    const progress = phaseProgress(!flags.json);
    // The reference may be a Keras / TF.js model: it is converted to float (and re-quantized from, with --calibration).
    const sources = await Promise.all(files.map((f) => evaluationSource(f, flags)));
    const requantize = flags.calibration ? makeRequantize(await loadSourceModel(files[0], flags), flags.calibration, flags) : undefined;
    const result = await compare(sources, flags.dataset, {
      runtime: flags.runtime, keepState: flags.keepState, threads: flags.threads, maxMemoryBytes: flags.maxMemory, layerSamples: flags.layerSamples,
      datasetOptions: evalDatasetOptions(flags), requantize, measureSuggestions: Boolean(requantize), officialLatency,
      onProgress: (p) => progress.tick(`${p.phase}${p.detail ? ` ${p.detail}` : ''}`, p.done, p.total),
    }).finally(progress.stop);
    if (flags.report) writeReportHtml(flags.report, result);
    if (flags.json) printJson(flags.report ? { ...result, report: flags.report } : result);
    else {
      process.stdout.write(formatComparison(result) + '\n');
      if (flags.report) process.stdout.write(`report: ${flags.report}\n`);
    }
  });
}
