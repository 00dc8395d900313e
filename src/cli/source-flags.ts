// How a model that litequant converts is read, for every command that converts one (convert, quantize, eval,
// compare): --input-shape for inputs the model leaves unknown (the rule is ../importers/input-shapes.ts), and, for
// TensorFlow graphs, which signature or nodes to convert and which importer reads a SavedModel.

import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { INPUT_SHAPE_FLAG, parseInputShapeFlag, type InputShapes } from '../importers/input-shapes.js';
import { flagParser, nameList, nonEmpty, oneOf } from './flags.js';
import type { ImporterChoice, SourceOptions } from '../importers/sources.js';

export const isTflite = (file: string): boolean => file.toLowerCase().endsWith('.tflite');

export interface SourceFlags {
  inputShape?: InputShapes;
  importer?: ImporterChoice;
  signature?: string;
  inputs?: string[];
  outputs?: string[];
  tags?: string[];
}

const IMPORTERS: readonly ImporterChoice[] = ['auto', 'keras', 'graph'];

/** --input-shape, as input-shapes.ts parses it. */
export const inputShape = flagParser<InputShapes>({ valid: 'image:1,28,28,1', invalid: ['', 'image', 'image:', ':1,2', 'image:0,2', 'image:a'] }, parseInputShapeFlag);

/** Adds the source flags (parsed: `inputShape`, `importer`, `signature`, `inputs`, `outputs`, `tags`). */
export function addSourceFlags(cmd: Command): Command {
  return cmd
    .option(`${INPUT_SHAPE_FLAG} <name:dims>`,
      'shape of a model input whose size the model leaves unknown, e.g. image:1,224,224,3 (the whole shape, batch first; repeatable)',
      inputShape)
    .option('--signature <name>', 'SavedModel signature to convert (default: serving_default)', nonEmpty('--signature', 'a signature name'))
    .option('--inputs <nodes>', 'TensorFlow graph: Placeholder nodes to take as inputs (comma-separated; for graphs without a signature)', nameList('--inputs'))
    .option('--outputs <tensors>', 'TensorFlow graph: nodes or node:k tensors to take as outputs (comma-separated)', nameList('--outputs'))
    .option('--importer <which>', 'SavedModel: auto (its Keras config when it has one, else the graph), keras or graph', oneOf('--importer', IMPORTERS))
    .option('--tags <tags>', 'SavedModel MetaGraphDef tags (default: serve, or the only one)', nameList('--tags'));
}

/** Source flags describe a model litequant converts: refused when every model given is a .tflite. */
export function checkSourceFlagTargets(files: string[], flags: SourceFlags): void {
  const given = [
    flags.inputShape && INPUT_SHAPE_FLAG, flags.signature && '--signature', flags.inputs && '--inputs',
    flags.outputs && '--outputs', flags.importer && '--importer', flags.tags && '--tags',
  ].filter(Boolean);
  if (given.length && files.every(isTflite)) {
    throw new UsageError(`${given.join(', ')} ${given.length > 1 ? 'describe' : 'describes'} a model being converted; ${files.join(', ')} ${files.length > 1 ? 'are .tflite files' : 'is a .tflite file'}, read as ${files.length > 1 ? 'they are' : 'it is'}`);
  }
}

/** Options for convert() from the flags. */
export function sourceOptions(flags: SourceFlags): SourceOptions & { inputShapes?: InputShapes } {
  return {
    inputShapes: flags.inputShape, importer: flags.importer, signature: flags.signature,
    inputs: flags.inputs, outputs: flags.outputs, tags: flags.tags,
  };
}
