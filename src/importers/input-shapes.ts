// Concrete shapes for model inputs whose dimensions the source leaves unknown: one rule for every importer.
//
// An importer describes each model input by a signature, -1 for an unknown dimension (Keras `None`, TF `-1` / `?`).
// The user may give the whole shape of any input by name (ConvertOptions.inputShapes, `--input-shape NAME:d0,d1,...`):
// it must have the signature's rank and agree with every known dimension. Without it, each unknown dimension is 1
// in the written shape and stays -1 in the shape_signature, as TF's converter writes dynamic dimensions. The batch
// dimension (0) stays -1 in the signature either way: it remains dynamic as in every converted model.
// A command that runs the model (calibration, eval, compare) refuses an input still unknown beyond the batch
// (requireResolvedInputs): its result at size 1 would not be the model's.

import { InputError, UsageError } from '../errors.js';
import type { Model } from '../graph/model.js';

/** Input name -> full shape (batch included). */
export type InputShapes = Record<string, number[]>;

/** A model input as its source declares it: -1 for each unknown dimension. */
export interface DeclaredInput {
  name: string;
  signature: number[];
}

/** What to write for one input: its concrete `shape`, and the `signature` that keeps what is still dynamic. */
export interface ResolvedInput {
  name: string;
  shape: number[];
  signature: number[];
}

export const INPUT_SHAPE_FLAG = '--input-shape';

const isDim = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 1;

/**
 * One `--input-shape` value, 'NAME:d0,d1,...' (the last ':' separates, so TF tensor names such as 'x:0' work),
 * added to `previous`: the parser of a repeatable commander option. UsageError when malformed or NAME repeats.
 */
export function parseInputShapeFlag(value: string, previous?: InputShapes): InputShapes {
  const colon = value.lastIndexOf(':');
  const name = colon < 0 ? '' : value.slice(0, colon).trim();
  const dims = colon < 0 ? [] : value.slice(colon + 1).split(',').map((d) => d.trim());
  if (!name || dims.some((d) => !/^\d+$/.test(d) || !isDim(Number(d)))) {
    throw new UsageError(`${INPUT_SHAPE_FLAG} takes NAME:d0,d1,... (the input's name, then its whole shape, batch first, in positive integers), got '${value}'`);
  }
  if (previous && Object.hasOwn(previous, name)) throw new UsageError(`${INPUT_SHAPE_FLAG} gives input '${name}' twice`);
  return { ...previous, [name]: dims.map(Number) };
}

/** A library caller's `inputShapes` option checked: names to lists of positive integers (UsageError otherwise). */
export function checkInputShapes(shapes: unknown, what = 'inputShapes'): InputShapes | undefined {
  if (shapes === undefined) return undefined;
  if (shapes === null || typeof shapes !== 'object' || Array.isArray(shapes)) {
    throw new UsageError(`${what} takes an object of input name -> shape, got ${JSON.stringify(shapes)}`);
  }
  for (const [name, shape] of Object.entries(shapes)) {
    if (!Array.isArray(shape) || !shape.every(isDim)) {
      throw new UsageError(`${what}: the shape of '${name}' is ${JSON.stringify(shape)} (want a list of positive integers)`);
    }
  }
  return shapes as InputShapes;
}

const fmt = (s: number[]) => `[${s.join(',')}]`;
const listInputs = (inputs: DeclaredInput[]) => inputs.map((i) => `'${i.name}' ${fmt(i.signature)}`).join(', ');

/** True when a dimension past the batch is unknown. */
export function hasUnknownDims(signature: number[]): boolean {
  return signature.slice(1).some((d) => d < 0);
}

/**
 * The shapes to write for a model's inputs (in their order), from what the source declares and the user's shapes.
 * A given shape must name an input, have its rank and match its known dimensions: InputError naming the input and
 * listing the model's inputs otherwise.
 */
export function resolveInputShapes(file: string, inputs: DeclaredInput[], given: InputShapes | undefined): ResolvedInput[] {
  for (const name of Object.keys(given ?? {})) {
    if (!inputs.some((i) => i.name === name)) {
      throw new InputError(`${file}: a shape is given for input '${name}', which the model does not have (its inputs: ${listInputs(inputs)})`);
    }
  }
  return inputs.map(({ name, signature }) => {
    const shape = given && Object.hasOwn(given, name) ? given[name] : undefined;
    if (!shape) return { name, shape: signature.map((d) => (d < 0 ? 1 : d)), signature: [...signature] };
    const clash = shape.length !== signature.length ? `has rank ${shape.length} where the input has rank ${signature.length}`
      : shape.map((d, i) => (signature[i] >= 0 && signature[i] !== d ? `has ${d} in dimension ${i} where the input has ${signature[i]}` : '')).find(Boolean);
    if (clash) {
      throw new InputError(`${file}: the shape ${fmt(shape)} given for input '${name}' ${clash} (its inputs: ${listInputs(inputs)})`);
    }
    return { name, shape: [...shape], signature: shape.map((d, i) => (i === 0 && signature[0] < 0 ? -1 : d)) };
  });
}

/** How to write the flag for an input: known dimensions as they are, the batch as 1, unknown ones as <dK>. */
export function inputShapeHint(name: string, signature: number[]): string {
  return `${INPUT_SHAPE_FLAG} ${name}:${signature.map((d, i) => (d >= 0 ? d : i === 0 ? 1 : `<d${i}>`)).join(',')}`;
}

/** The inputs of a model (first subgraph) whose shape_signature is still unknown beyond the batch dimension. */
export function unresolvedInputs(model: Model): DeclaredInput[] {
  const sg = model.subgraphs[0];
  if (!sg) return [];
  return sg.inputs.map((i) => sg.tensors[i])
    .filter((t) => t.shapeSignature && hasUnknownDims(t.shapeSignature))
    .map((t) => ({ name: t.name, signature: [...t.shapeSignature!] }));
}

/**
 * For commands that run a model: InputError, one line naming the first input whose size is unknown and the flag that
 * gives it. `converted`: the model was converted by this command (the flag applies); else it is a .tflite as given.
 */
export function requireResolvedInputs(model: Model, label: string, converted: boolean): void {
  const [first] = unresolvedInputs(model);
  if (!first) return;
  const hint = inputShapeHint(first.name, first.signature);
  throw new InputError(converted
    ? `${label}: input '${first.name}' has unknown dimensions ${fmt(first.signature)}; give its size with ${hint}`
    : `${label}: input '${first.name}' has unknown dimensions (shape_signature ${fmt(first.signature)}); convert the source model with ${hint}`);
}
