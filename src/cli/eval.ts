// litequant eval MODEL --dataset SPEC [--runtime builtin|tflite|litert] [--keep-state] [--threads N] [--json]

import type { Command } from 'commander';
import { evaluate, formatEvaluation, type Runtime } from '../evaluate/index.js';
import { addDatasetFlags, addThreadsFlag, datasetOptions, evaluationSource, type DatasetFlags } from './common.js';
import { datasetSpec, nonNegativeInt, oneOf } from './flags.js';
import { addMaxMemoryFlag } from './memory-flag.js';
import { addSourceFlags, checkSourceFlagTargets, type SourceFlags } from './source-flags.js';
import { phaseProgress, printJson } from './output.js';

export interface EvalFlags extends DatasetFlags, SourceFlags {
  dataset: string;
  runtime: Runtime;
  keepState?: boolean;
  threads?: number;
  maxMemory?: number;
  outputIndex?: number;
  json?: boolean;
}

const RUNTIMES: readonly Runtime[] = ['builtin', 'tflite', 'litert'];

/** Dataset options without the model-derived shapes (evaluate() adds them). */
export function evalDatasetOptions(flags: DatasetFlags) {
  const { inputShapes: _s, inputNames: _n, ...rest } = datasetOptions(flags, [], []);
  return rest;
}

/** The flags every evaluating command has (eval, compare): the dataset, the runtime, state handling. */
export function addEvaluationFlags(cmd: Command): Command {
  cmd.requiredOption('-d, --dataset <spec>', 'mnist:test, fashion-mnist:test, idx:IMAGES,LABELS, npy:X.npy,Y.npy, images:DIR, csv:FILE', datasetSpec('--dataset'))
    .option('--runtime <runtime>', 'builtin (litequant\'s interpreter), tflite (the official runtime, @tensorflow/tfjs-tflite) or litert (LiteRT.js, @litertjs/core), if installed',
      oneOf('--runtime', RUNTIMES), 'builtin')
    .option('--keep-state', 'keep variable (state) tensors across samples, for streaming models (default: reset before each sample)');
  addMaxMemoryFlag(cmd);
  return addThreadsFlag(cmd, 'to spread the samples over',
    '; --keep-state and --runtime tflite run on one thread; latency is always measured on one thread');
}

export function registerEval(program: Command): void {
  const cmd = addEvaluationFlags(program.command('eval')
    .description('accuracy (top-1/top-5, per class, confusion matrix), latency and throughput of a model on a dataset')
    .argument('<model>', '.tflite file (a Keras .h5/.keras or TF.js model.json is converted to float first)'))
    .option('--output-index <k>', 'which output holds the class scores', nonNegativeInt('--output-index'), 0)
    .option('--json', 'machine-readable output');
  addSourceFlags(cmd);
  addDatasetFlags(cmd);
  cmd.action(async (file: string, flags: EvalFlags) => {
    checkSourceFlagTargets([file], flags);
    const progress = phaseProgress(!flags.json);
    const result = await evaluate(await evaluationSource(file, flags), flags.dataset, {
      runtime: flags.runtime, keepState: flags.keepState, outputIndex: flags.outputIndex, threads: flags.threads, maxMemoryBytes: flags.maxMemory,
      datasetOptions: evalDatasetOptions(flags),
      onProgress: (done, total) => progress.tick('evaluating', done, total),
    }).finally(progress.stop);
    if (flags.json) printJson(result);
    else process.stdout.write(formatEvaluation(result) + '\n');
  });
}
