// --input-shape NAME:d0,d1,...: the shapes of model inputs a Keras / TF.js model leaves unknown, for every command
// that converts such a model (convert, quantize, eval, compare). The rule itself is ../importers/input-shapes.ts.

import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { INPUT_SHAPE_FLAG, parseInputShapeFlag, type InputShapes } from '../importers/input-shapes.js';

export const isTflite = (file: string): boolean => file.toLowerCase().endsWith('.tflite');

/** Adds --input-shape NAME:d0,d1,... (repeatable), parsed to `inputShape: {name: shape}`. */
export function addInputShapeFlag(cmd: Command): Command {
  return cmd.option(`${INPUT_SHAPE_FLAG} <name:dims>`,
    'shape of a Keras / TF.js model input whose size the model leaves unknown, e.g. image:1,224,224,3 (the whole shape, batch first; repeatable)',
    parseInputShapeFlag);
}

/** --input-shape sets the inputs of a model litequant converts: refused when every model given is a .tflite. */
export function checkInputShapeTargets(files: string[], inputShapes: InputShapes | undefined): void {
  if (inputShapes && files.every(isTflite)) {
    throw new UsageError(`${INPUT_SHAPE_FLAG} sets the input shapes of a Keras / TF.js model being converted; ${files.join(', ')} ${files.length > 1 ? 'are .tflite files' : 'is a .tflite file'}, whose shapes are fixed`);
  }
}
