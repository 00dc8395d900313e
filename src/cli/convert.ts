// litequant convert IN -o OUT.tflite [--input-shape NAME:d0,d1,...] [--json]
// A .tflite input is re-serialized through our graph (a round trip); Keras .h5/.keras and TF.js model.json are
// imported and converted to a float .tflite as TFLiteConverter.from_keras_model would.

import fs from 'node:fs';
import type { Command } from 'commander';
import { readModelFile, writeModelFileAsync } from '../format/index.js';
import { summarizeModel } from '../format/details.js';
import { convert } from '../convert.js';
import { inputShapeHint, unresolvedInputs } from '../importers/input-shapes.js';
import { addSourceFlags, checkSourceFlagTargets, sourceOptions, type SourceFlags } from './source-flags.js';
import { checkOutputs } from '../util/in-place.js';
import { modelInputPaths } from './common.js';
import { outputFile } from './flags.js';
import { bold, formatBytes, printJson, table, yellow } from './output.js';

export function registerConvert(program: Command): void {
  const cmd = program.command('convert')
    .description('convert a model (.tflite, Keras .h5/.keras, TF.js model.json, a SavedModel directory, a frozen GraphDef .pb) to a float .tflite')
    .argument('<model>', 'input model file, or a SavedModel directory')
    .requiredOption('-o, --output <file>', 'output .tflite file (written atomically; never one of the input files)', outputFile('-o'))
    .option('--json', 'machine-readable summary');
  addSourceFlags(cmd)
    .action(async (input: string, opts: { output: string; json?: boolean } & SourceFlags) => {
      checkSourceFlagTargets([input], opts);
      checkOutputs([{ role: '-o', file: opts.output }], modelInputPaths('the input model', input));
      if (input.toLowerCase().endsWith('.tflite')) {
        const model = readModelFile(input);
        await writeModelFileAsync(opts.output, model);
        const bytes = fs.statSync(opts.output).size;
        const s = summarizeModel(model, opts.output, bytes);
        const result = { input, output: opts.output, format: 'tflite', input_bytes: fs.statSync(input).size,
          output_bytes: bytes, ops: s.ops, operator_count: s.operator_count, tensors: s.tensors };
        if (opts.json) return printJson(result);
        process.stdout.write(`${input} -> ${opts.output}: ${s.operator_count} ops, ${formatBytes(bytes)} (${bytes} bytes)\n`);
        return;
      }
      const { summary, model } = await convert(input, { output: opts.output, ...sourceOptions(opts) });
      if (opts.json) return printJson(summary);
      const unknown = unresolvedInputs(model).map((i) =>
        yellow(`note: input '${i.name}' has unknown dimensions [${i.signature}], written as 1; to run the model at a size, convert with ${inputShapeHint(i.name, i.signature)}`));
      const ops = Object.entries(summary.opCounts).map(([op, n]) => [op, n]);
      const layers = Object.entries(summary.layerClasses).map(([c, n]) => [c, n]);
      const keras = summary.importer === 'keras';
      const versions = [summary.tensorflowVersion && `TF ${summary.tensorflowVersion}`, summary.kerasVersion && `Keras ${summary.kerasVersion}`]
        .filter(Boolean).join(', ');
      process.stdout.write([
        `${bold(input)} (${summary.format}${versions ? `, ${versions}` : ''}; ${keras ? 'Keras layers' : 'TensorFlow graph'}) -> ${bold(opts.output)}`,
        `${summary.layers} ${keras ? 'layers' : 'graph nodes'} -> ${summary.ops} ops, ${summary.params.toLocaleString('en-US')} parameters, ` +
          `${formatBytes(summary.sizeBytes)} (${summary.sizeBytes} bytes)`,
        '',
        table([keras ? 'layer class' : 'TensorFlow op', '>count'], layers),
        '',
        table(['op', '>count'], ops),
        ...unknown,
        '',
      ].join('\n'));
    });
}
