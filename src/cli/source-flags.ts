// How a model that litequant converts is read, for every command that converts one (convert, quantize, eval,
// compare): --input-shape for inputs the model leaves unknown (the rule is ../importers/input-shapes.ts), and, for
// TensorFlow graphs, which signature or nodes to convert and which importer reads a SavedModel.

import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { INPUT_SHAPE_FLAG, parseInputShapeFlag, type InputShapes } from '../importers/input-shapes.js';
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

function parseImporter(v: string): ImporterChoice {
  if (!(IMPORTERS as readonly string[]).includes(v)) throw new UsageError(`--importer takes ${IMPORTERS.join(', ')}, got '${v}'`);
  return v as ImporterChoice;
}

function nameList(flag: string) {
  return (v: string, previous: string[] | undefined): string[] => {
    const names = v.split(',').map((s) => s.trim());
    if (names.some((n) => !n)) throw new UsageError(`${flag} takes comma-separated names, got '${v}'`);
    return [...(previous ?? []), ...names];
  };
}

function nonEmpty(flag: string) {
  return (v: string): string => {
    if (!v.trim()) throw new UsageError(`${flag} takes a name`);
    return v;
  };
}

/** Adds the source flags (parsed: `inputShape`, `importer`, `signature`, `inputs`, `outputs`, `tags`). */
export function addSourceFlags(cmd: Command): Command {
  return cmd
    .option(`${INPUT_SHAPE_FLAG} <name:dims>`,
      'shape of a model input whose size the model leaves unknown, e.g. image:1,224,224,3 (the whole shape, batch first; repeatable)',
      parseInputShapeFlag)
    .option('--signature <name>', 'SavedModel signature to convert (default: serving_default)', nonEmpty('--signature'))
    .option('--inputs <nodes>', 'TensorFlow graph: Placeholder nodes to take as inputs (comma-separated; for graphs without a signature)', nameList('--inputs'))
    .option('--outputs <tensors>', 'TensorFlow graph: nodes or node:k tensors to take as outputs (comma-separated)', nameList('--outputs'))
    .option('--importer <which>', 'SavedModel: auto (its Keras config when it has one, else the graph), keras or graph', parseImporter)
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
