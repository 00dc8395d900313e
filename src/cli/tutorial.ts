// litequant tutorial [--out DIR] [--train] [--json]
// The whole post-training quantization flow on MNIST, in one command: the bundled CNN (TF.js Layers, trained by
// `npm run train:mnist`) -> float .tflite -> int8 .tflite with uint8 input/output calibrated on the first 100
// training images -> both evaluated on the 10,000 test images -> comparison table and HTML report.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { convert } from '../convert.js';
import { quantize, type Progress } from '../quantize/index.js';
import type { Model } from '../graph/model.js';
import { openDataset } from '../evaluate/datasets/index.js';
import { compare, formatComparison, writeReportHtml, type ComparisonResult } from '../evaluate/index.js';
import { writeModelFileAsync, readModelFile } from '../format/index.js';
import { summarizeModel, type TensorDetails } from '../format/details.js';
import { LitequantError, OutputError } from '../errors.js';
import { checkOutputs } from '../util/in-place.js';
import { bold, cyan, dim, formatBytes, green, phaseProgress, printJson, red } from './output.js';
import { datasetInputPaths, modelInputPaths, modelInputs } from './common.js';
import { nonEmpty, positiveInt } from './flags.js';
import { makeRequantize } from './compare.js';

const PROJECT_ROOT = (() => {
  let d = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
})();
export const BUNDLED_MODEL = path.join(PROJECT_ROOT, 'models', 'mnist-cnn', 'model.json');
const TRAIN_SCRIPT = path.join(PROJECT_ROOT, 'dist', 'scripts', 'train-mnist.js');

/**
 * Training needs TensorFlow.js, a development dependency only (it is large and nothing else uses it): say what to
 * install before starting, instead of a module-not-found trace from the training process.
 */
function checkTrainingAvailable(): void {
  try {
    // Resolved from the script's folder, as the training process will resolve it.
    createRequire(TRAIN_SCRIPT).resolve('@tensorflow/tfjs');
  } catch {
    throw new LitequantError('tutorial --train needs @tensorflow/tfjs, which is not installed: npm install @tensorflow/tfjs');
  }
  if (!fs.existsSync(TRAIN_SCRIPT)) throw new LitequantError(`tutorial --train: the training script is missing (${TRAIN_SCRIPT})`);
}

export interface TutorialOptions {
  out: string;
  train?: boolean;
  /** Test images to evaluate on (default: all 10,000). */
  limit?: number;
  /** Calibration samples (default 100, the seed's .take(100)). */
  samples?: number;
  json?: boolean;
  /** Print the steps as they happen (the CLI); off for --json and the library. */
  log?: (line: string) => void;
}

export interface TutorialResult {
  out: string;
  model_source: string;
  trained_now: boolean;
  training_seconds?: number;
  float_model: string;
  int8_model: string;
  float_bytes: number;
  int8_bytes: number;
  /** int8 size / float size. */
  size_ratio: number;
  float_io: { inputs: TensorDetails[]; outputs: TensorDetails[] };
  int8_io: { inputs: TensorDetails[]; outputs: TensorDetails[] };
  calibration_samples: number;
  float_top1: number | null;
  int8_top1: number | null;
  /** int8 minus float top-1, in percentage points. */
  delta_points: number | null;
  agreement_top1: number;
  report: string;
  comparison: ComparisonResult;
  seconds: number;
}

function ioLine(d: TensorDetails): string {
  const q = d.quantization_parameters.scales.length ? `quantization (scale, zero_point) = (${d.quantization[0]}, ${d.quantization[1]})` : 'not quantized';
  return `  ${d.name}: shape [${d.shape.join(', ')}], dtype ${d.dtype}, ${q}`;
}

/** Step 2: the TF.js Layers model converted to a float .tflite (written to `output` when given). */
export function tutorialFloatModel(source = BUNDLED_MODEL, output?: string) {
  return convert(source, { output });
}

/** Step 3: full-integer int8 with uint8 input and output, calibrated on the first `samples` MNIST training images. */
export async function tutorialInt8Model(floatModel: Model, samples = 100, onProgress?: (p: Progress) => void) {
  const inputs = modelInputs(floatModel);
  const calibration = await openDataset('mnist:train', { inputShapes: inputs.shapes, inputNames: inputs.names, limit: samples });
  return quantize(floatModel, {
    mode: 'int8', inputType: 'uint8', outputType: 'uint8', representativeDataset: calibration, samples, onProgress,
  });
}

export async function runTutorial(opts: TutorialOptions): Promise<TutorialResult> {
  const log = opts.log ?? (() => {});
  if (opts.train) checkTrainingAvailable();
  const t0 = performance.now();
  const out = path.resolve(opts.out);
  try {
    fs.mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new OutputError(`--out ${opts.out}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const step = (n: number, title: string) => log(`\n${bold(cyan(`${n}. ${title}`))}`);

  // 1. The model: the bundled one, or retrained now.
  let source = BUNDLED_MODEL;
  let trainingSeconds: number | undefined;
  step(1, 'The model');
  if (opts.train) {
    const dir = path.join(out, 'mnist-cnn');
    log(`  training a new CNN with TensorFlow.js (npm run train:mnist) into ${dir} ...`);
    const s0 = performance.now();
    const r = spawnSync(process.execPath, [TRAIN_SCRIPT, '--out', dir], { stdio: opts.json ? 'ignore' : 'inherit' });
    if (r.status !== 0) throw new LitequantError(`training failed (exit code ${r.status}); run npm run train:mnist to see why`);
    trainingSeconds = (performance.now() - s0) / 1000;
    log(`  trained in ${(trainingSeconds / 60).toFixed(1)} minutes`);
    source = path.join(dir, 'model.json');
  } else if (!fs.existsSync(source)) {
    throw new LitequantError(`the bundled model is missing (${source}); run with --train to train one`);
  }
  log(`  ${path.relative(process.cwd(), source) || source} (TF.js Layers model)`);
  const floatPath = path.join(out, 'mnist_float.tflite');
  const int8Path = path.join(out, 'mnist_int8.tflite');
  const reportPath = path.join(out, 'report.html');
  checkOutputs([floatPath, int8Path, reportPath].map((file) => ({ role: 'the output', file })), [
    ...modelInputPaths('the model', source), ...datasetInputPaths('an MNIST file', 'mnist:train'), ...datasetInputPaths('an MNIST file', 'mnist:test'),
  ]);

  // 2. Convert to a float .tflite, as TFLiteConverter.from_keras_model does.
  step(2, 'Convert to a float TensorFlow Lite model');
  const converted = await tutorialFloatModel(source, floatPath);
  const floatBytes = fs.statSync(floatPath).size;
  log(`  ${converted.summary.layers} layers -> ${converted.summary.ops} ops, ${converted.summary.params.toLocaleString('en-US')} parameters`);
  log(`  ${floatPath}: ${formatBytes(floatBytes)}`);

  // 3. Full-integer quantization with uint8 input and output, calibrated on the first 100 training images.
  step(3, 'Quantize: int8 weights and activations, uint8 input/output');
  const samples = opts.samples ?? 100;
  const calibrating = phaseProgress(!opts.json);
  const { model: int8Model, report } = await tutorialInt8Model(converted.model, samples,
    (p) => calibrating.tick('  calibrating', p.done, p.total)).finally(calibrating.stop);
  await writeModelFileAsync(int8Path, int8Model);
  const int8Bytes = fs.statSync(int8Path).size;
  log(`  calibrated on the first ${report.calibration?.samples ?? samples} training images (${report.calibration?.method ?? 'minmax'} ranges)`);
  for (const w of report.warnings) log(`  warning: ${w}`);
  log(`  ${int8Path}: ${formatBytes(int8Bytes)}, ${(floatBytes / int8Bytes).toFixed(2)}x smaller than float`);

  // 4. What the interpreter sees: input and output details of both files.
  step(4, 'Input and output details');
  const floatSummary = summarizeModel(readModelFile(floatPath), floatPath, floatBytes);
  const int8Summary = summarizeModel(readModelFile(int8Path), int8Path, int8Bytes);
  for (const [name, s] of [['float', floatSummary], ['int8', int8Summary]] as const) {
    log(`  ${bold(name)} input:`);
    s.inputs.forEach((d) => log(ioLine(d)));
    log(`  ${bold(name)} output:`);
    s.outputs.forEach((d) => log(ioLine(d)));
  }

  // 5. Evaluate both on the test set; per-layer error on the first 100 images; the report.
  step(5, `Evaluate on ${opts.limit ? `the first ${opts.limit}` : 'the 10,000'} MNIST test images`);
  const progress = phaseProgress(!opts.json);
  // The two worst layers' suggestions are measured: re-quantized with that layer kept in float, and evaluated.
  const requantize = makeRequantize(converted.model, 'mnist:train', {});
  const comparison = await compare([floatPath, int8Path], 'mnist:test', {
    datasetOptions: { limit: opts.limit },
    layerSamples: 100,
    requantize,
    measureSuggestions: 2,
    onProgress: (p) => progress.tick(`  ${p.phase}${p.detail ? ` ${p.detail}` : ''}`, p.done, p.total),
  }).finally(progress.stop);
  writeReportHtml(reportPath, comparison);
  log('');
  log(formatComparison(comparison));

  const [f, q] = comparison.models;
  const delta = f.top1 !== null && q.top1 !== null ? (q.top1 - f.top1) * 100 : null;
  const result: TutorialResult = {
    out, model_source: source, trained_now: Boolean(opts.train), training_seconds: trainingSeconds,
    float_model: floatPath, int8_model: int8Path, float_bytes: floatBytes, int8_bytes: int8Bytes,
    size_ratio: int8Bytes / floatBytes,
    float_io: { inputs: floatSummary.inputs, outputs: floatSummary.outputs },
    int8_io: { inputs: int8Summary.inputs, outputs: int8Summary.outputs },
    calibration_samples: report.calibration?.samples ?? samples,
    float_top1: f.top1, int8_top1: q.top1, delta_points: delta, agreement_top1: q.agreement_top1,
    report: reportPath, comparison, seconds: (performance.now() - t0) / 1000,
  };

  step(6, 'What quantization cost');
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)} %`);
  log(`  size      ${formatBytes(floatBytes)} -> ${formatBytes(int8Bytes)}: int8 is ${(100 * result.size_ratio).toFixed(1)} % of float (${(1 / result.size_ratio).toFixed(2)}x smaller)`);
  const deltaText = delta === null ? '' : ` (${delta >= 0 ? '+' : ''}${delta.toFixed(2)} points)`;
  log(`  accuracy  float ${pct(f.top1)}, int8 ${pct(q.top1)}${delta !== null && delta >= -0.1 ? green(deltaText) : red(deltaText)}`);
  log(`  agreement ${pct(q.agreement_top1)} of test images get the same top-1 class from both models`);
  log(`  report    ${reportPath}`);
  log(dim(`  done in ${result.seconds.toFixed(1)} s`));
  return result;
}

export function registerTutorial(program: Command): void {
  program.command('tutorial')
    .description('the MNIST post-training quantization flow end to end: convert, quantize (int8, uint8 I/O), evaluate, report')
    .option('--out <dir>', 'where the .tflite files and report.html go', nonEmpty('--out', 'a folder'), 'litequant-tutorial')
    .option('--train', 'retrain the CNN first (npm run train:mnist; takes up to ~30 minutes)')
    .option('--limit <n>', 'evaluate on the first n test images only', positiveInt('--limit'))
    .option('--json', 'machine-readable result')
    .action(async (opts: { out: string; train?: boolean; limit?: number; json?: boolean }) => {
      const result = await runTutorial({
        out: opts.out, train: opts.train, limit: opts.limit, json: opts.json,
        log: opts.json ? undefined : (line) => process.stdout.write(line + '\n'),
      });
      if (opts.json) printJson(result);
    });
}
