// litequant convert IN -o OUT.tflite [--json]
// A .tflite input is re-serialized through our graph (a round trip); Keras and TF.js inputs are imported.

import fs from 'node:fs';
import type { Command } from 'commander';
import { readModelFile, writeModelFile } from '../format/index.js';
import { summarizeModel } from '../format/details.js';
import { UsageError } from '../errors.js';
import { formatBytes, printJson } from './output.js';

export function registerConvert(program: Command): void {
  program.command('convert')
    .description('convert a model (.tflite, Keras .h5/.keras, TF.js model.json) to a float .tflite')
    .argument('<model>', 'input model file')
    .requiredOption('-o, --output <file>', 'output .tflite file (written atomically)')
    .option('--json', 'machine-readable summary')
    .action((input: string, opts: { output: string; json?: boolean }) => {
      if (!input.toLowerCase().endsWith('.tflite')) {
        throw new UsageError(`${input}: only .tflite input is supported by this build of convert`);
      }
      const model = readModelFile(input);
      writeModelFile(opts.output, model);
      const bytes = fs.statSync(opts.output).size;
      const s = summarizeModel(model, opts.output, bytes);
      const result = { input, output: opts.output, input_bytes: fs.statSync(input).size, output_bytes: bytes,
        ops: s.ops, operator_count: s.operator_count, tensors: s.tensors };
      if (opts.json) printJson(result);
      else process.stdout.write(`${input} -> ${opts.output}: ${s.operator_count} ops, ${formatBytes(bytes)} (${bytes} bytes)\n`);
    });
}
