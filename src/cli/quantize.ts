// litequant quantize MODEL -o OUT.tflite --mode dynamic|float16|int8|int16x8 [--calibration DATASET] ...
// A thin wrapper over quantize(): the flags are its options; calibration data come from a dataset spec.

import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { algorithmNames, quantize, DEFAULT_SAMPLES, type AlgorithmSpec, type QuantizeReport } from '../quantize/index.js';
import { openDataset } from '../evaluate/datasets/index.js';
import { writeModel, writeModelFileAsync } from '../format/index.js';
import { IO_TYPES, MODES } from '../quantize/recipe.js';
import { requireResolvedInputs } from '../importers/input-shapes.js';
import { checkInputResize, dynamicInputPositions, modelWithInputShapes, sizeIsDynamicInside } from '../runtime/input-resize.js';
import { DatasetError, InputError, UsageError } from '../errors.js';
import { checkOutputs } from '../util/in-place.js';
import {
  addDatasetFlags, addThreadsFlag, datasetInputPaths, datasetOptions, loadSourceModel, modelInputPaths, modelInputs, type DatasetFlags,
} from './common.js';
import { algorithm, calibrationMethod, datasetSpec, each, excludeOp, nonEmpty, oneOf, outputFile, points, positiveInt, positiveSeconds } from './flags.js';
import { NO_SOLUTION_EXIT_CODE, runAutoQuantize, type AutoQuantizeFlags } from './auto-quantize.js';
import { addMaxMemoryFlag } from './memory-flag.js';
import { applyRecipeFlags, loadRecipeFile, saveRunRecipe, type LoadedRecipe } from './recipe-flags.js';
import { addSourceFlags, checkSourceFlagTargets, isTflite, type SourceFlags } from './source-flags.js';
import { bold, formatBytes, phaseProgress, printJson, table, yellow } from './output.js';

interface QuantizeFlags extends DatasetFlags, SourceFlags {
  output: string;
  mode?: string;
  recipe?: string;
  saveRecipe?: string;
  calibration?: string;
  samples: number;
  inputType?: string;
  outputType?: string;
  perTensor?: boolean;
  perChannelDense?: boolean;
  calibrationMethod?: string;
  excludeOp?: string[];
  excludeTensor?: string[];
  algorithm?: AlgorithmSpec[];
  strict?: boolean;
  threads?: number;
  maxMemory?: number;
  json?: boolean;
}

export interface QuantizeFileResult {
  input: string;
  output: string;
  input_bytes: number;
  output_bytes: number;
  ratio: number;
  report: QuantizeReport;
}

/** `explicit`: the flags given on the command line (a --recipe must agree with them; see recipe-flags.ts). */
export async function quantizeFile(input: string, flags: QuantizeFlags, showProgress = false, explicit: ReadonlySet<string> = new Set()): Promise<QuantizeFileResult> {
  checkSourceFlagTargets([input], flags);
  let recipe: LoadedRecipe | undefined;
  if (flags.recipe) {
    recipe = loadRecipeFile(flags.recipe);
    flags = applyRecipeFlags(flags, recipe, explicit);
  }
  if (!flags.mode) throw new UsageError('quantize needs --mode MODE or --recipe FILE');
  const mode = flags.mode;
  if (flags.saveRecipe && path.resolve(flags.saveRecipe) === path.resolve(flags.output)) {
    throw new UsageError(`--save-recipe and -o name the same file ${flags.output}`);
  }
  checkOutputs([{ role: '-o', file: flags.output }, ...(flags.saveRecipe ? [{ role: '--save-recipe', file: flags.saveRecipe }] : [])],
    [...modelInputPaths('the input model', input), ...datasetInputPaths('a --calibration file', flags.calibration),
      ...(flags.recipe ? [{ role: 'the --recipe file', file: flags.recipe }] : [])]);
  let model = await loadSourceModel(input, flags);
  const inputs = modelInputs(model);
  const calibrates = flags.mode === 'int8' || flags.mode === 'int16x8';
  // Calibration runs the model: an input of unknown size (input 0) takes the calibration samples' size (an image
  // folder's own, or --size); the written model keeps its shape_signature.
  const dynamic = dynamicInputPositions(model);
  if (calibrates && (!flags.calibration || !sizeIsDynamicInside(model) || dynamic.some((k) => k !== 0))) requireResolvedInputs(model, input, !isTflite(input));
  let representativeDataset;
  if (flags.calibration && calibrates) {
    // Without --shuffle only the first N samples are read (the seed's .take(N)); with it, quantize() picks N at random.
    const limit = flags.shuffle === undefined ? flags.samples : undefined;
    const sg = model.subgraphs[0];
    const shapes = dynamic.length ? sg.inputs.map((i) => (sg.tensors[i].shapeSignature ?? sg.tensors[i].shape).map((d, j) => (j === 0 ? 1 : d))) : inputs.shapes;
    representativeDataset = await openDataset(flags.calibration, datasetOptions({ ...flags, limit, shuffle: undefined }, shapes, inputs.names));
    if (dynamic.length) {
      const shape = [1, ...representativeDataset.sampleShape];
      try {
        model = modelWithInputShapes(model, checkInputResize(model, { 0: shape }, input));
      } catch (e) {
        if (!(e instanceof UsageError || e instanceof InputError)) throw e;
        throw new DatasetError(`${flags.calibration}: calibration samples of shape [${representativeDataset.sampleShape}] do not fit: ${e.message}`);
      }
    }
  }
  const shuffleSeed = flags.shuffle;
  const progress = phaseProgress(showProgress);
  const scopes = recipe?.scopes(model) ?? [];
  if (recipe && flags.algorithm && JSON.stringify(recipe.algorithms) !== JSON.stringify(flags.algorithm)) {
    throw new UsageError(`--algorithm ${flags.algorithm.map((a) => a.name).join(' ')} disagrees with the algorithms of ${flags.recipe} `
      + `(${recipe.algorithms.map((a) => a.name).join(', ') || 'none'})`);
  }
  const algorithms = recipe?.algorithms ?? flags.algorithm ?? [];
  const { model: quantized, report } = await quantize(model, {
    mode, scopes, algorithms, representativeDataset, samples: flags.samples, shuffleSeed,
    inputType: flags.inputType, outputType: flags.outputType, perTensor: flags.perTensor,
    perChannelDense: flags.perChannelDense, calibrationMethod: flags.calibrationMethod,
    excludeOps: flags.excludeOp, excludeTensors: flags.excludeTensor, strict: flags.strict, threads: flags.threads,
    maxMemoryBytes: flags.maxMemory, modelLabel: input, onProgress: (p) => progress.tick('calibrating', p.done, p.total), modelName: input,
  }).finally(progress.stop);
  await writeModelFileAsync(flags.output, quantized);
  if (recipe?.notes.length) report.warnings.push(...recipe.notes);
  if (flags.saveRecipe) await saveRunRecipe(flags.saveRecipe, { ...flags, mode }, scopes, algorithms);
  // A Keras / TF.js source is compared with its float conversion, the file `convert` would write.
  const inputBytes = input.toLowerCase().endsWith('.tflite') ? fs.statSync(input).size : writeModel(model).length;
  const outputBytes = fs.statSync(flags.output).size;
  return { input, output: flags.output, input_bytes: inputBytes, output_bytes: outputBytes, ratio: outputBytes / inputBytes, report };
}

export function formatQuantizeResult(r: QuantizeFileResult): string {
  const rep = r.report;
  const counts = new Map<string, number>();
  for (const o of rep.quantizedOps) {
    const key = `${o.op}|${o.variant ?? ''}|${o.version ?? ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const lines = [
    `${bold(r.output)}: ${rep.mode}, input ${rep.inputType}, output ${rep.outputType}, ` +
      `${formatBytes(r.output_bytes)} (${r.output_bytes} bytes)` +
      `, ${(100 * r.ratio).toFixed(1)} % of ${r.input}${r.input.toLowerCase().endsWith('.tflite') ? '' : ' as float .tflite'}`,
    rep.calibration ? `calibration: ${rep.calibration.samples} samples, ${rep.calibration.method} (${rep.calibration.threads} thread${rep.calibration.threads > 1 ? 's' : ''})` : 'calibration: none (weights only)',
    '',
    table(['op', 'quantized as', '>version', '>count'], [...counts].map(([k, n]) => [...k.split('|'), n])),
  ];
  if (rep.algorithms.length) lines.push('', ...rep.algorithms.map((a) => `algorithm ${a}`));
  if (rep.floatOps.length) {
    lines.push('', table(['left in float', 'reason'], rep.floatOps.map((o) => [`${o.op} (node ${o.index}${o.subgraph ? ` of subgraph ${o.subgraph}` : ''})`, o.reason ?? ''])));
  }
  if (rep.adjustments.length) {
    lines.push('', table(['adjusted tensor', 'action', 'what and why'], rep.adjustments.map((a) => [a.tensor, a.action, a.detail])));
  }
  for (const w of rep.warnings) lines.push(yellow(`warning: ${w}`));
  return lines.join('\n') + '\n';
}

export function registerQuantize(program: Command): void {
  const cmd = program.command('quantize')
    .description('post-training quantization of a float model (.tflite, Keras .h5/.keras, TF.js model.json)')
    .argument('<model>', 'float model')
    .requiredOption('-o, --output <file>', 'output .tflite file (written atomically; never one of the input files)', outputFile('-o'))
    .option('--mode <mode>', 'dynamic | float16 | int8 | int16x8 (required unless --recipe gives it or --max-drop searches)', oneOf('--mode', MODES))
    .option('--recipe <file>', 'replay a recipe: a litequant recipe JSON (--save-recipe) or an AI Edge Quantizer recipe (JSON array); flags it also sets must agree', nonEmpty('--recipe', 'a file name'))
    .option('--save-recipe <file>', 'also write the recipe of this run (litequant recipe JSON) to replay it with --recipe', outputFile('--save-recipe'))
    .option('--calibration <dataset>', 'representative dataset for int8/int16x8, e.g. mnist:train, npy:x.npy, images:DIR', datasetSpec('--calibration'))
    .option('--samples <n>', 'calibration samples (first n, as .take(n); see --shuffle)', positiveInt('--samples'), DEFAULT_SAMPLES)
    .option('--input-type <type>', 'model input type: float32 | int8 | uint8 (int8 modes) | int16 (int16x8)', oneOf('--input-type', IO_TYPES, { float: 'float32' }))
    .option('--output-type <type>', 'model output type: float32 | int8 | uint8 (int8 modes) | int16 (int16x8)', oneOf('--output-type', IO_TYPES, { float: 'float32' }))
    .option('--per-tensor', 'per-tensor instead of per-channel conv weights')
    .option('--per-channel-dense', 'per-channel FULLY_CONNECTED weights (full-integer modes only)')
    .option('--calibration-method <m>', 'minmax (default, as TF) | percentile[:P] | mse | kl', calibrationMethod)
    .option('--exclude-op <op...>', 'keep these op types (builtin names, e.g. SOFTMAX) or nodes (#3) in float', each(excludeOp))
    .option('--exclude-tensor <name...>', 'keep the ops producing these tensors in float', each(nonEmpty('--exclude-tensor', 'a tensor name')))
    .option('--algorithm <spec...>', `PTQ algorithms, each name[:key=value,...], run in stage order: ${algorithmNames().join(', ')} (README: Algorithms)`, each(algorithm))
    .option('--strict', 'fail instead of leaving unquantizable ops in float (TFLITE_BUILTINS_INT8)')
    .option('--max-drop <points>', 'automatic search: the smallest (then fastest) model whose --validation top-1 is at most this many ' +
      `points below float (needs --calibration, --validation; no model meets it: nothing written, exit ${NO_SOLUTION_EXIT_CODE})`, points('--max-drop'))
    .option('--validation <dataset>', 'with --max-drop: labelled data the candidates are chosen on (disjoint from --calibration)', datasetSpec('--validation'))
    .option('--test <dataset>', 'with --max-drop: labelled data the chosen model\'s drop is reported on (never used to choose)', datasetSpec('--test'))
    .option('--budget <seconds>', 'with --max-drop: stop after this long and write the best found', positiveSeconds('--budget'))
    .option('--integer-only', 'with --max-drop: only full-integer candidates (int8, 16x8 and their mixes; no float layers, dynamic or float16)')
    .option('--json', 'machine-readable report');
  addThreadsFlag(cmd, 'to spread the calibration samples over', ' (the file is the same for any number)');
  addMaxMemoryFlag(cmd);
  addSourceFlags(cmd);
  addDatasetFlags(cmd, { limit: false });
  cmd.action(async (input: string, flags: QuantizeFlags & Partial<AutoQuantizeFlags>, command: Command) => {
    if (flags.maxDrop !== undefined) {
      if (flags.recipe) throw new UsageError('--recipe replays one recipe; --max-drop searches for one: give one of them');
      return runAutoQuantize(input, flags as AutoQuantizeFlags);
    }
    for (const [f, flag] of [['validation', '--validation'], ['test', '--test'], ['budget', '--budget'], ['integerOnly', '--integer-only']] as const) {
      if (flags[f] !== undefined) throw new UsageError(`${flag} applies to the automatic search: give --max-drop`);
    }
    if (flags.mode === undefined && !flags.recipe) throw new UsageError('quantize needs --mode dynamic|float16|int8|int16x8, --recipe FILE, or --max-drop POINTS for the automatic search');
    const explicit = new Set(Object.keys(flags).filter((k) => command.getOptionValueSource(k) === 'cli'));
    const result = await quantizeFile(input, flags, !flags.json, explicit);
    if (flags.json) printJson(result);
    else process.stdout.write(formatQuantizeResult(result));
  });
}
