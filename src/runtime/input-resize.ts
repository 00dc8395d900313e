// Running a model at another input size: which inputs may change (dimensions -1 in their shape_signature), checking
// a requested shape against that, and a copy of a model with its inputs' shapes set, for runtimes that take the
// size from the file (the official runtimes expose no resize), with the signature kept.

import { InputError, UsageError } from '../errors.js';
import type { Model, Subgraph, Tensor } from '../graph/model.js';

/** Input position or name -> whole shape (batch first). */
export type InputResize = Record<string, number[]>;

const fmt = (s: readonly number[]) => `[${s.join(',')}]`;

function signatureOf(t: Tensor): number[] {
  return t.shapeSignature ?? t.shape;
}

/** Positions of the inputs whose shape_signature leaves a dimension past the batch unknown (-1). */
export function dynamicInputPositions(model: Model): number[] {
  const sg = model.subgraphs[0];
  if (!sg) return [];
  return sg.inputs.flatMap((ti, k) => (signatureOf(sg.tensors[ti]).slice(1).some((d) => d < 0) ? [k] : []));
}

/**
 * Whether the unknown input size reaches the rest of the graph: some tensor other than an input has -1 past the
 * batch in its signature. A model whose inputs alone say -1 (its inner shapes, and constants folded from them, are
 * those of the placeholder size 1) cannot run at another size.
 */
export function sizeIsDynamicInside(model: Model): boolean {
  const sg = model.subgraphs[0];
  if (!sg) return false;
  const inputs = new Set(sg.inputs);
  return sg.tensors.some((t, i) => !inputs.has(i) && (t.shapeSignature ?? []).slice(1).some((d) => d < 0));
}

/**
 * The requested sizes change an input's unknown dimensions, but the model's inner tensors do not reflect them
 * (sizeIsDynamicInside is false: its shapes and constants were folded at the placeholder size): what it would compute
 * at that size is not the model's. Returns the first such input's position, or -1.
 */
export function resizeBeyondFoldedSize(model: Model, resize: Map<number, number[]>): number {
  const sg = model.subgraphs[0];
  for (const [k, shape] of resize) {
    const t = sg.tensors[sg.inputs[k]];
    const sig = signatureOf(t);
    if (shape.some((d, i) => i > 0 && sig[i] < 0 && d !== t.shape[i]) && !sizeIsDynamicInside(model)) return k;
  }
  return -1;
}

/** The input a key names: its tensor name, else its position ('0', '1', ...). InputError listing the inputs otherwise. */
function inputPosition(sg: Subgraph, key: string, label: string): number {
  const byName = sg.inputs.findIndex((ti) => sg.tensors[ti].name === key);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(key) && Number(key) < sg.inputs.length) return Number(key);
  const list = sg.inputs.map((ti, k) => `${k} '${sg.tensors[ti].name}' ${fmt(signatureOf(sg.tensors[ti]))}`).join(', ');
  throw new InputError(`${label}: the model has no input '${key}' (its inputs: ${list})`);
}

/**
 * Requested input shapes checked against the model: each must have the input's rank and keep every dimension its
 * shape_signature fixes (UsageError naming the input otherwise: the request, not the file, is wrong). Returns them
 * keyed by input position.
 */
export function checkInputResize(model: Model, shapes: InputResize, label: string): Map<number, number[]> {
  const sg = model.subgraphs[0];
  const out = new Map<number, number[]>();
  for (const [key, shape] of Object.entries(shapes)) {
    const k = inputPosition(sg, key, label);
    const t = sg.tensors[sg.inputs[k]];
    const sig = signatureOf(t);
    if (out.has(k)) throw new UsageError(`${label}: input '${t.name}' is given two shapes`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
      throw new UsageError(`${label}: the shape ${JSON.stringify(shape)} given for input '${t.name}' is not a list of positive integers`);
    }
    if (shape.length !== sig.length) {
      throw new UsageError(`${label}: input '${t.name}' has rank ${sig.length} (shape_signature ${fmt(sig)}); the shape given, ${fmt(shape)}, has rank ${shape.length}`);
    }
    const fixed = shape.findIndex((d, i) => sig[i] >= 0 && sig[i] !== d);
    if (fixed >= 0) {
      throw new UsageError(`${label}: input '${t.name}' has dimension ${fixed} fixed at ${sig[fixed]} (shape_signature ${fmt(sig)}); the shape given, ${fmt(shape)}, changes it`);
    }
    out.set(k, [...shape]);
  }
  return out;
}

/** The same shapes keyed as InterpreterOptions.inputShapes takes them (by position). */
export function interpreterInputShapes(resize: Map<number, number[]>): Record<string, number[]> {
  return Object.fromEntries([...resize].map(([k, s]) => [String(k), s]));
}

/**
 * A copy of the model whose inputs have the given shapes (shape_signature kept), sharing everything else: what a
 * runtime without resize (tfjs-tflite, LiteRT.js) needs to run the model at that size.
 */
export function modelWithInputShapes(model: Model, resize: Map<number, number[]>): Model {
  if (resize.size === 0) return model;
  const [sg, ...rest] = model.subgraphs;
  const tensors = [...sg.tensors];
  for (const [k, shape] of resize) {
    const ti = sg.inputs[k];
    const t = tensors[ti];
    tensors[ti] = { ...t, shape: [...shape], shapeSignature: [...signatureOf(t)] };
  }
  return { ...model, subgraphs: [{ ...sg, tensors }, ...rest] };
}
